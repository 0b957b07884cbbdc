"""The same rules as the engine, hand-written in plain Python: the baseline of the benchmark.

No expression layer, no plugin manager, no attrs results: one function derives the same facts
as ``herniarules.facts.derive_facts`` from a loaded :class:`~herniarules.Patient` into a dict
(sets as sorted tuples; one dict per hernia and per condition item, with the severity tier read
from the shipped code table, which is data, copied once into plain dicts), then every core rule
(``safety.core_rules()`` under the default policy, one rule per concept and severity tier) and
every benchmark technique rule is an ``if``. The rules over condition items share one pass that
groups the items by (concept, tier); each fires with the items of its group as evidence, as the
engine's quantified rules do. Medications and allergies are classified by hand from the
vocabulary's data tables (``MEDICATION_VALUE_SETS``, ``INGREDIENTS``, ``ALLERGY_CONCEPTS``).
Rule texts (titles, messages, sources, outcomes) are read from the rule definitions once at
import, so the output can be compared with the engine's; the predicates are written out by
hand here. Fact labels for insufficient-data messages come from
``herniarules.facts.FACT_LABELS`` for the same reason.

The result of :func:`assess` is ``(techniques, ranking)``: for each technique id a tuple
``(verdict, findings, protocol)`` where ``verdict`` is an ``int`` on the outcome scale and each
finding is ``(rule_id, outcome, message, source, evidence, cleared_by)``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from techniques import (
    LARGE_HERNIA_MM,
    PROTOCOLS,
    SURGERY_WAIT_DAYS,
    TECHNIQUE_RULES,
    TECHNIQUES,
    TRACTION_MAX_AGE,
)

from herniarules.facts import FACT_LABELS
from herniarules.model import Patient
from herniarules.outcomes import Outcome
from herniarules.safety import DEFAULT_POLICY, core_rules
from herniarules.terminology import CORE_VALUE_SETS, CodeSystem, code_table
from herniarules.vocabulary import (
    ALLERGY_CONCEPTS,
    INGREDIENT_SYNONYMS,
    INGREDIENTS,
    MEDICATION_CONCEPTS,
    MEDICATION_VALUE_SETS,
)

Finding = tuple[str, int, str, str, dict[str, Any], str | None]

# -- rule texts ------------------------------------------------------------------------------
#: rule id -> (outcome, message, source, title)
META: dict[str, tuple[int, str, str, str]] = {
    r.id: (int(r.outcome), r.message, r.source, r.title) for r in core_rules(DEFAULT_POLICY)
}
META.update({t.id: (int(t.outcome), t.message, t.source, t.title) for t in TECHNIQUE_RULES})

REQUIRES_CLEARANCE = 2
INSUFFICIENT_DATA = 3
PERMITTING = 1

SEVERE_PAIN = DEFAULT_POLICY.severe_pain_score
RESIDUAL_PAIN = DEFAULT_POLICY.residual_pain_max
RAISED_TEMP = DEFAULT_POLICY.raised_temperature_c
BP_GRADE = DEFAULT_POLICY.deferring_bp_grade
COURSE_BREAK = DEFAULT_POLICY.min_course_break_days

# -- ICD-10 look-up ------------------------------------------------------------------------
# The shipped code table is the data: every valid code of each system with its display and
# classifications. The baseline copies it once into a plain dict per system, with each
# classification as a ``(concept, tier, tier label, site)`` tuple.
LABEL: dict[int, str] = {int(o): o.label for o in Outcome}
CONTRAINDICATED = int(Outcome.CONTRAINDICATED)


def _code_dict(system: CodeSystem) -> dict[str, tuple[str, tuple[tuple[str, int, str, Any], ...]]]:
    shared: dict[tuple[Any, ...], tuple[tuple[str, int, str, Any], ...]] = {}
    out: dict[str, tuple[str, tuple[tuple[str, int, str, Any], ...]]] = {}
    for code, display, found in code_table(system).items():
        classes = shared.get(found)
        if classes is None:
            classes = shared[found] = tuple(
                (k.concept, int(k.tier), k.tier.label, k.site) for k in found
            )
        out[code] = (display, classes)
    return out


CODES = {system.value: _code_dict(system) for system in CodeSystem}
#: Per concept: the tier of a condition named without a code (most severe of its value sets)
#: and the tier of one no longer active (``None``: it does not count).
CONCEPT_TIER: dict[str, int] = {}
HISTORY_TIER: dict[str, int] = {}
for _vs in CORE_VALUE_SETS:
    _tier = int(_vs.strictest_tier)
    CONCEPT_TIER[_vs.concept] = max(_tier, CONCEPT_TIER.get(_vs.concept, _tier))
    if _vs.history_tier is not None:
        _h = int(_vs.history_tier)
        HISTORY_TIER[_vs.concept] = max(_h, HISTORY_TIER.get(_vs.concept, _h))


def normalize(code: str) -> str:
    """Return a code the model accepted in the table's spelling: ``' c34.1'`` -> ``'C341'``."""
    return code.strip().upper().replace(".", "").rstrip("*†+")


def concepts_for(code: str, system: str) -> set[str]:
    """Return the concepts of a valid ICD-10 code (any spelling the model accepts)."""
    return {klass[0] for klass in CODES[system][normalize(code)][1]}


# -- facts ---------------------------------------------------------------------------------
PHASE_RANK = {"acute": 0, "exacerbation": 1, "subacute": 2, "post-surgical": 3, "remission": 4}
ACTIVE = frozenset(("active", "recurrence", "relapse"))
FLARE = frozenset(("recurrence", "relapse"))
HISTORY = frozenset(("remission", "resolved", "inactive"))
EXACERBATION = "chronic-disease-exacerbation"
DISC_HERNIA = "disc-hernia"
ALLERGIES: dict[str, frozenset[str]] = {str(k): v for k, v in ALLERGY_CONCEPTS.items()}
MEDICATION_CATEGORIES: dict[str, frozenset[str]] = {
    str(k): v for k, v in MEDICATION_CONCEPTS.items() if k != "other"
}
ATC_PREFIXES = tuple(
    (prefix, concept) for concept, prefixes in MEDICATION_VALUE_SETS.items() for prefix in prefixes
)
CERVICAL = frozenset({"cervical"})
THORACIC = frozenset({"thoracic"})
LUMBAR = frozenset({"lumbar", "lumbosacral"})
NOT_CERVICAL = frozenset({"thoracic", "lumbar", "lumbosacral"})
M51_SITE = {"4": THORACIC, "5": frozenset({"thoracic", "lumbar"}), "6": LUMBAR, "7": LUMBAR}


def atc_concepts(code: str) -> set[str] | None:
    """Return the concepts of an ATC code; ``None`` for a code above a value-set boundary."""
    found: set[str] = set()
    for prefix, concept in ATC_PREFIXES:
        if code.startswith(prefix):
            found.add(concept)
        elif prefix.startswith(code):
            return None
    return found


def medication_concepts(category: str | None, name: str | None, atc: str | None) -> set[str] | None:
    """Return what a medication means, or ``None`` when no part of the record says."""
    known = False
    found: set[str] = set()
    if category is not None and category in MEDICATION_CATEGORIES:
        found |= MEDICATION_CATEGORIES[category]
        known = True
    if atc is not None:
        by_code = atc_concepts(atc)
        if by_code is not None:
            found |= by_code
            known = True
    if name is not None:
        key = " ".join(name.lower().split())
        code = INGREDIENTS.get(INGREDIENT_SYNONYMS.get(key, key))
        if code is not None:
            found |= atc_concepts(code) or set()
            known = True
    return found if known else None


def hernia_code_regions(normalized: str) -> frozenset[str]:
    """Return the hernia regions a disc-hernia code is compatible with."""
    if normalized[:3] == "M50" or normalized[:4] == "S130":
        return CERVICAL
    if normalized[:4] == "S230":
        return THORACIC
    if normalized[:4] == "S330":
        return LUMBAR
    return M51_SITE.get(normalized[4:5], NOT_CERVICAL)


def derive(patient: Patient, as_of: date) -> dict[str, Any]:
    """Return the facts about ``patient`` on ``as_of`` as a dict; sets as sorted tuples, items
    as dicts."""
    worst_rank = 9
    worst: str | None = None
    max_size: float | None = None
    size_unknown = False
    surgery: bool | None = False
    phases: set[str] = set()
    regions: set[str] = set()
    kinds: set[str] = set()
    hernias: list[dict[str, Any]] = []
    for hernia in patient.hernias:
        phase = hernia.phase._value_
        region = hernia.region._value_
        kind = hernia.kind._value_
        rank = PHASE_RANK[phase]
        if rank < worst_rank:
            worst_rank, worst = rank, phase
        phases.add(phase)
        regions.add(region)
        kinds.add(kind)
        size = hernia.size_mm
        indicated = hernia.surgery_indicated
        hernias.append(
            {
                "region": region,
                "level": hernia.level,
                "kind": kind,
                "phase": phase,
                "size_mm": size,
                "surgery_indicated": indicated,
            }
        )
        if size is None:
            size_unknown = True
        elif max_size is None or size > max_size:
            max_size = size
        if indicated:
            surgery = True
        elif indicated is None and surgery is False:
            surgery = None
    if size_unknown:
        max_size = None

    concepts: set[str] = set()
    exacerbated: set[str] = set()
    items: list[dict[str, Any]] = []
    hernia_codes: list[tuple[str, str]] = []
    unconfirmed: set[str] = set()
    unclassified_conditions: set[str] = set()
    for condition in patient.conditions:
        status = condition.status._value_
        active = status in ACTIVE
        if not active and status not in HISTORY:
            continue
        label = " / ".join(p for p in (condition.display, condition.other_code) if p is not None)
        verification = condition.verification
        if verification is not None and verification._value_ != "confirmed":
            if condition.code is None and condition.concept is None:
                unconfirmed.add(label)
                continue
            meant: list[str] = []
            shown_code = None
            if condition.code is not None:
                key = normalize(condition.code)
                shown_code = key if len(key) <= 3 else key[:3] + "." + key[3:]
                meant += [c[0] for c in CODES[condition.system._value_][key][1]]
            if condition.concept is not None:
                meant.append(condition.concept)
                shown_code = shown_code or condition.concept
            if (active and meant) or (not active and any(m in HISTORY_TIER for m in meant)):
                assert shown_code is not None
                unconfirmed.add(shown_code)
            continue
        if condition.code is None and condition.concept is None:
            unclassified_conditions.add(label)
            continue
        site = condition.site
        site_value = site._value_ if site is not None else None
        code = condition.code
        if code is not None:
            system = condition.system._value_
            table = CODES[system]
            entry = table.get(code)
            key = code
            if entry is None:
                key = normalize(code)
                entry = table[key]
            shown = key if len(key) <= 3 else key[:3] + "." + key[3:]
            display, classes = entry
            for concept, tier, label, code_site in classes:
                if active:
                    concepts.add(concept)
                    if concept == EXACERBATION:
                        exacerbated.add(shown)
                    elif concept == DISC_HERNIA:
                        hernia_codes.append((key, shown))
                else:
                    history = HISTORY_TIER.get(concept)
                    if history is None:
                        continue
                    if history < tier:
                        label = LABEL[history]
                items.append(
                    {
                        "concept": concept,
                        "tier": label,
                        "site": site_value or code_site,
                        "code": shown,
                        "system": system,
                        "display": display,
                        "status": status,
                    }
                )
            if active and status in FLARE:
                exacerbated.add(shown)
        named = condition.concept
        if named is not None:
            tier = CONCEPT_TIER.get(named, CONTRAINDICATED)
            if active:
                concepts.add(named)
                if status in FLARE or named == EXACERBATION:
                    exacerbated.add(named)
            else:
                history = HISTORY_TIER.get(named)
                if history is None:
                    continue
                tier = min(tier, history)
            items.append(
                {
                    "concept": named,
                    "tier": LABEL[tier],
                    "site": site_value,
                    "code": None,
                    "system": None,
                    "display": condition.display,
                    "status": status,
                }
            )
    unrecorded = {
        shown for key, shown in hernia_codes if regions.isdisjoint(hernia_code_regions(key))
    }
    unclassified: set[str] = set()
    for medication in patient.medications:
        category = medication.category
        category_value = category._value_ if category is not None else None
        meant = medication_concepts(category_value, medication.name, medication.atc)
        if meant is None:
            unclassified.add(
                " / ".join(
                    str(part)
                    for part in (medication.name, medication.atc, category_value)
                    if part is not None
                )
            )
        else:
            concepts |= meant
    for allergy in patient.allergies:
        concepts |= ALLERGIES[allergy.substance]

    sex = patient.sex._value_
    pregnant = patient.pregnant
    if "pregnancy" in concepts:
        pregnant = True
    elif pregnant is None and (sex == "male" or not 12 <= patient.age <= 55):
        pregnant = False
    if pregnant:
        concepts.add("pregnancy")
    inflammatory = patient.inflammatory_process
    if "inflammatory-process" in concepts:
        inflammatory = True
    if inflammatory:
        concepts.add("inflammatory-process")

    vitals = patient.vitals
    sys_, dia = vitals.systolic_mmhg, vitals.diastolic_mmhg
    if sys_ is None or dia is None:
        grade = None
    elif sys_ >= 180 or dia >= 110:
        grade = 3
    elif sys_ >= 160 or dia >= 100:
        grade = 2
    elif sys_ >= 140 or dia >= 90:
        grade = 1
    else:
        grade = 0
    courses = patient.massage_courses
    last_course = max(c.end_date for c in courses) if courses else None
    surgeries = patient.surgeries
    last_surgery = max(s.date for s in surgeries) if surgeries else None
    return {
        "patient_id": patient.id,
        "as_of": as_of,
        "age": patient.age,
        "sex": sex,
        "has_hernia": bool(phases),
        "worst_phase": worst,
        "phases": tuple(sorted(phases)),
        "hernia_regions": tuple(sorted(regions)),
        "hernia_kinds": tuple(sorted(kinds)),
        "max_hernia_size_mm": max_size,
        "surgery_indicated": surgery,
        "pain_score": vitals.pain_score,
        "temperature_c": vitals.temperature_c,
        "systolic_mmhg": sys_,
        "diastolic_mmhg": dia,
        "bp_grade": grade,
        "pregnant": pregnant,
        "inflammatory_process": inflammatory,
        "concepts": tuple(sorted(concepts)),
        "exacerbated_conditions": tuple(sorted(exacerbated)),
        "had_massage_course": last_course is not None,
        "days_since_last_course": (as_of - last_course).days if last_course else None,
        "had_spinal_surgery": last_surgery is not None,
        "days_since_surgery": (as_of - last_surgery).days if last_surgery else None,
        "indications": tuple(sorted(patient.indications)),
        "hernias": tuple(hernias),
        "conditions": tuple(items),
        "unrecorded_hernia_codes": tuple(sorted(unrecorded)),
        "unclassified_medications": tuple(sorted(unclassified)),
        "unconfirmed_conditions": tuple(sorted(unconfirmed)),
        "unclassified_conditions": tuple(sorted(unclassified_conditions)),
    }


# -- findings ------------------------------------------------------------------------------
def hit(rule_id: str, evidence: dict[str, Any]) -> Finding:
    """Return the finding of a rule whose predicate is true."""
    outcome, message, source, _ = META[rule_id]
    return (rule_id, outcome, message, source, evidence, None)


def unknown(rule_id: str, evidence: dict[str, Any]) -> Finding:
    """Return the insufficient-data finding of a rule that read a value not recorded."""
    _, _, source, title = META[rule_id]
    missing = ", ".join(FACT_LABELS.get(n, n) for n, v in evidence.items() if v is None)
    text = (
        f"Cannot check '{title}': {missing or 'a value it needs'} not recorded; "
        "the technique is not permitted until it is."
    )
    return (rule_id, INSUFFICIENT_DATA, text, source, evidence, None)


def value_rule(out: list[Finding], rule_id: str, name: str, value: Any, fired: bool) -> None:
    """Append the finding of a one-fact comparison: unknown when the value is missing."""
    if value is None:
        out.append(unknown(rule_id, {name: None}))
    elif fired:
        out.append(hit(rule_id, {name: value}))


def tiered(concept: str, title_id: str, *tiers: str) -> tuple[tuple[str, str, str], ...]:
    """Return ``(rule id, concept, tier)`` of a coded concept's rules: the first tier is the
    main rule ``title_id``, each other ``<title_id>-<tier>``."""
    return tuple(
        (title_id if i == 0 else f"{title_id}-{tier}", concept, tier)
        for i, tier in enumerate(tiers)
    )


X_, D_, RC_ = "contraindicated", "defer", "requires-clearance"
FEVER_RULES = tiered("fever", "core.fever-diagnosis", D_)
HYPERTENSION_RULES = (
    *tiered("hypertension-organ-damage", "core.hypertension-stage-2-3", X_),
    ("core.hypertension-defer", "hypertension", D_),
    ("core.hypertension", "hypertension", RC_),
)
CONTRA_CONCEPT_RULES = (
    *tiered("thrombosis-tendency", "core.thrombosis-tendency", X_, RC_),
    *tiered("blood-disease", "core.blood-disease", X_, D_, RC_),
    *tiered("malignancy", "core.malignancy", X_, RC_),
    *tiered("heart-dysfunction", "core.heart-dysfunction", X_, RC_),
    *tiered("osteomyelitis", "core.osteomyelitis", X_),
    *tiered("bone-tuberculosis", "core.bone-tuberculosis", X_),
    *tiered("purulent-skin-rash", "core.purulent-skin-rash", D_),
    *tiered("skin-pathology", "core.skin-pathology", D_, RC_),
    *tiered("psychiatric-disorder", "core.psychiatric-disorder", X_, D_, RC_),
    *tiered("varicose-veins", "core.varicose-veins", X_, RC_),
)
LATE_CONCEPT_RULES = (
    *tiered("urticaria-oedema", "core.urticaria-oedema", D_),
    *tiered("infectious-disease", "core.infectious-disease", D_, RC_),
    *tiered("digestive-disorder", "core.digestive-disorder", D_, RC_),
)
#: Every rule over condition items, by (concept, tier); ``run.py`` checks it against the SDK.
TIERED_RULES = (*FEVER_RULES, *HYPERTENSION_RULES, *CONTRA_CONCEPT_RULES, *LATE_CONCEPT_RULES)
SURGERY_HEALING = DEFAULT_POLICY.surgery_healing_days
SURGERY_CLEARANCE = DEFAULT_POLICY.surgery_clearance_days


def by_tier(conditions: tuple[dict[str, Any], ...]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Group the condition items by (concept, tier), in record order: one pass for all rules."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for item in conditions:
        key = (item["concept"], item["tier"])
        found = grouped.get(key)
        if found is None:
            grouped[key] = [item]
        else:
            found.append(item)
    return grouped


def coded(
    out: list[Finding],
    grouped: dict[tuple[str, str], list[dict[str, Any]]],
    rules: tuple[tuple[str, str, str], ...],
) -> None:
    """Append the findings of rules over condition items; evidence holds the items that fired."""
    if grouped:
        for rule_id, concept, tier in rules:
            items = grouped.get((concept, tier))
            if items:
                out.append(hit(rule_id, {"conditions": tuple(items)}))


def core_findings(f: dict[str, Any]) -> list[Finding]:
    """Evaluate every core rule, in the order of ``safety.core_rules()``."""
    out: list[Finding] = []
    phases = f["phases"]
    grouped = by_tier(f["conditions"])
    if "acute" in phases:
        out.append(hit("core.acute-phase", {"phases": phases}))
    if "exacerbation" in phases:
        out.append(hit("core.exacerbation", {"phases": phases}))
    pain = f["pain_score"]
    value_rule(
        out,
        "core.pain-not-eliminated",
        "pain_score",
        pain,
        pain is not None and pain > RESIDUAL_PAIN,
    )
    value_rule(
        out, "core.severe-pain", "pain_score", pain, pain is not None and pain >= SEVERE_PAIN
    )
    inflammatory = f["inflammatory_process"]
    value_rule(
        out, "core.inflammatory-process", "inflammatory_process", inflammatory, inflammatory is True
    )
    temp = f["temperature_c"]
    value_rule(
        out,
        "core.raised-temperature",
        "temperature_c",
        temp,
        temp is not None and temp >= RAISED_TEMP,
    )
    coded(out, grouped, FEVER_RULES)
    surgery = f["surgery_indicated"]
    value_rule(out, "core.surgery-indicated", "surgery_indicated", surgery, surgery is True)
    kinds = f["hernia_kinds"]
    if "extrusion" in kinds or "sequestration" in kinds:
        out.append(hit("core.disc-prolapsed", {"hernia_kinds": kinds}))
    if "post-surgical" in phases:
        out.append(hit("core.post-surgical", {"phases": phases}))
    grade = f["bp_grade"]
    value_rule(
        out, "core.high-blood-pressure", "bp_grade", grade, grade is not None and grade >= BP_GRADE
    )
    coded(out, grouped, HYPERTENSION_RULES)
    pregnant = f["pregnant"]
    value_rule(out, "core.pregnancy", "pregnant", pregnant, pregnant is True)
    coded(out, grouped, CONTRA_CONCEPT_RULES)
    if f["exacerbated_conditions"]:
        out.append(
            hit(
                "core.exacerbated-chronic-disease",
                {"exacerbated_conditions": f["exacerbated_conditions"]},
            )
        )
    coded(out, grouped, LATE_CONCEPT_RULES)
    if f["had_massage_course"]:
        days = f["days_since_last_course"]
        evidence = {"had_massage_course": True, "days_since_last_course": days}
        if days is None:
            out.append(unknown("core.course-break", evidence))
        elif days < COURSE_BREAK:
            out.append(hit("core.course-break", evidence))
    if f["had_spinal_surgery"]:
        days = f["days_since_surgery"]
        evidence = {"had_spinal_surgery": True, "days_since_surgery": days}
        if days is None:
            out.append(unknown("core.spinal-surgery-healing", evidence))
            out.append(unknown("core.spinal-surgery-rehabilitation", evidence))
        else:
            if days < SURGERY_HEALING:
                out.append(hit("core.spinal-surgery-healing", evidence))
            if days < SURGERY_CLEARANCE:
                out.append(hit("core.spinal-surgery-rehabilitation", evidence))
    unrecorded = f["unrecorded_hernia_codes"]
    if unrecorded:
        out.append(hit("core.hernia-code-without-record", {"unrecorded_hernia_codes": unrecorded}))
    if f["unconfirmed_conditions"]:
        evidence = {"unconfirmed_conditions": f["unconfirmed_conditions"]}
        out.append(hit("core.unconfirmed-condition", evidence))
    if f["unclassified_conditions"]:
        evidence = {"unclassified_conditions": f["unclassified_conditions"]}
        out.append(hit("core.unclassified-condition", evidence))
    return out


def _large_hernia(out: list[Finding], rule_id: str, f: dict[str, Any]) -> None:
    if not f["has_hernia"]:
        return
    size = f["max_hernia_size_mm"]
    evidence = {"has_hernia": True, "max_hernia_size_mm": size}
    if size is None:
        out.append(unknown(rule_id, evidence))
    elif size >= LARGE_HERNIA_MM:
        out.append(hit(rule_id, evidence))


def technique_findings(f: dict[str, Any], concept_set: set[str]) -> dict[str, list[Finding]]:
    """Evaluate the eight techniques' own rules; return findings by technique id."""
    concepts = f["concepts"]
    regions = f["hernia_regions"]
    anticoagulated = "anticoagulant-therapy" in concept_set

    acupressure: list[Finding] = []
    if anticoagulated:
        acupressure.append(hit("acupressure.anticoagulants", {"concepts": concepts}))
    pain = f["pain_score"]
    value_rule(
        acupressure, "acupressure.moderate-pain", "pain_score", pain, pain is not None and pain >= 4
    )

    classic: list[Finding] = []
    if anticoagulated:
        classic.append(hit("classic.anticoagulants", {"concepts": concepts}))
    _large_hernia(classic, "classic.large-hernia", f)

    honey: list[Finding] = []
    if "honey-allergy" in concept_set:
        honey.append(hit("honey.bee-allergy", {"concepts": concepts}))
    _large_hernia(honey, "honey.large-hernia", f)
    if "skin-pathology" in concept_set or "urticaria-oedema" in concept_set:
        honey.append(hit("honey.skin-pathology-site", {"concepts": concepts}))

    hydro: list[Finding] = []
    grade = f["bp_grade"]
    value_rule(hydro, "hydromassage.blood-pressure", "bp_grade", grade, grade == 1)
    temp = f["temperature_c"]
    value_rule(
        hydro,
        "hydromassage.temperature-unknown",
        "temperature_c",
        temp,
        temp is not None and temp > 37.0,
    )

    reflex = [hit("reflex.doctor-approval", {})]
    if "cervical" in regions:
        reflex.append(hit("reflex.cervical", {"hernia_regions": regions}))

    segmental: list[Finding] = []
    if f["had_spinal_surgery"]:
        days = f["days_since_surgery"]
        evidence = {"had_spinal_surgery": True, "days_since_surgery": days}
        if days is None:
            segmental.append(unknown("segmental.recent-surgery", evidence))
        elif days < SURGERY_WAIT_DAYS:
            segmental.append(hit("segmental.recent-surgery", evidence))
    segmental.append(hit("segmental.doctor-approval", {}))

    traction: list[Finding] = []
    kinds = f["hernia_kinds"]
    if "extrusion" in kinds or "sequestration" in kinds:
        traction.append(hit("traction.prolapsed-disc", {"hernia_kinds": kinds}))
    if "cervical" in regions:
        traction.append(hit("traction.cervical", {"hernia_regions": regions}))
    if f["age"] >= TRACTION_MAX_AGE:
        traction.append(hit("traction.older-patient", {"age": f["age"]}))

    vacuum: list[Finding] = []
    if anticoagulated:
        vacuum.append(hit("vacuum.anticoagulants", {"concepts": concepts}))
    if "varicose-veins" in concept_set:
        vacuum.append(hit("vacuum.varicose-veins", {"concepts": concepts}))
    if "thoracic" in regions:
        vacuum.append(hit("vacuum.thoracic-pressure", {"hernia_regions": regions}))

    return {
        "acupressure": acupressure,
        "classic": classic,
        "honey": honey,
        "hydromassage": hydro,
        "reflex": reflex,
        "segmental": segmental,
        "traction": traction,
        "vacuum": vacuum,
    }


INDICATIONS = {tid: frozenset(ind) for tid, _, ind in TECHNIQUES}

Result = tuple[dict[str, tuple[int, list[Finding], object]], tuple[str, ...]]


def decide(
    patient: Patient,
    as_of: date,
    f: dict[str, Any],
    core: list[Finding],
    own: dict[str, list[Finding]],
) -> Result:
    """Combine core and technique findings into verdicts, clearances, protocols and ranking."""
    clearances = patient.clearances
    decisions: dict[str, tuple[int, list[Finding], object]] = {}
    for technique_id in sorted(own):
        findings = core + own[technique_id]
        physician = None
        for clearance in clearances:
            if clearance.technique == technique_id and clearance.is_valid_on(as_of):
                physician = clearance.physician
                break
        worst = 0
        if physician is None:
            for finding in findings:
                if finding[1] > worst:
                    worst = finding[1]
        else:
            cleared = []
            for finding in findings:
                outcome = finding[1]
                if outcome == REQUIRES_CLEARANCE:
                    finding = (*finding[:5], physician)
                    outcome = 0
                if outcome > worst:
                    worst = outcome
                cleared.append(finding)
            findings = cleared
        protocol = PROTOCOLS[technique_id] if worst <= PERMITTING else None
        decisions[technique_id] = (worst, findings, protocol)
    wanted = set(f["indications"])
    permitted = [t for t, d in decisions.items() if d[0] <= PERMITTING]
    ranking = tuple(
        sorted(
            permitted,
            key=lambda t: (-len(wanted & INDICATIONS[t]), decisions[t][0], t),
        )
    )
    return decisions, ranking


def assess(patient: Patient, as_of: date) -> Result:
    """Assess all eight techniques for ``patient`` on ``as_of``, by hand."""
    f = derive(patient, as_of)
    return decide(patient, as_of, f, core_findings(f), technique_findings(f, set(f["concepts"])))
