"""The straight-line floor: the engine's output for the benchmark techniques, and no more work.

:func:`assess` gives, for a loaded :class:`~herniarules.Patient` and a day, what
``Engine(entry_points=False, plugins=techniques.plugins()).assess(patient, as_of=day)`` gives
for each technique (verdict, findings, protocol) and the ranking, in plain Python written top
to bottom: no rule objects, no facts record, no caches. ``run.py`` asserts that the output is
equal to the engine's for every patient it times, so the floor cannot do less than the output
requires. Compared with ``baseline.py``, which derives every field of the facts first and then
evaluates the rules over them, the floor

- derives only what some rule reads or the output holds: no ``worst_phase``, no per-hernia
  items, no systolic and diastolic facts apart from the grade, no labels for medications that
  cannot be classified (no benchmark rule reads them), and condition items only for the
  (concept, tier) pairs a core rule fires on;
- sorts a set only when a finding quotes it (the hernia phases, kinds and regions, the
  concepts, the exacerbated conditions, the hernia codes without a record, the sites of a
  local finding) and once per patient at most; the ranking is sorted because it is ordered;
- takes every rule's outcome, message and source from tables made at import, including the
  "cannot check" message of each rule that can lack a value, and the findings whose evidence
  never varies (the two doctor's-approval rules, and every "cannot check" finding) as
  ready-made tuples;
- builds a finding's evidence only when its rule fires;
- looks codes up in dicts made at import from the shipped code tables, one entry per code
  with the concepts it adds, the condition items it gives active or no longer active (with
  the core rule each item fires), whether it is an exacerbation code and, for a disc-hernia
  code, the hernia regions it fits; medications by category, ingredient name and ATC prefix
  in dicts made the same way;
- evaluates the core rules once per patient and shares their findings between techniques,
  and reads the clearances once per patient into a dict of technique → physician.

What it leaves out because the output here cannot show it: the engine's rendered
``explanation`` of each finding and its frozen (read-only) evidence; the assessment's
plugin records, fingerprint and unmatched clearances; the plugin-failure and time-budget
handling; the check of local findings against a technique's treatment area (the benchmark
techniques declare none, so it never moves a verdict). Findings are plain tuples
``(rule_id, outcome, message, source, evidence, cleared_by, site)``, evidence plain dicts.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from techniques import (
    LARGE_HERNIA_MM,
    PROTOCOLS,
    SURGERY_WAIT_DAYS,
    TECHNIQUES,
    TRACTION_MAX_AGE,
    plugins,
)

from herniarules.facts import FACT_LABELS
from herniarules.model import Patient, Sex
from herniarules.outcomes import Outcome
from herniarules.safety import DEFAULT_POLICY, core_rules
from herniarules.terminology import CORE_VALUE_SETS, CodeSystem, code_table
from herniarules.vocabulary import (
    ALLERGY_CONCEPTS,
    INGREDIENT_SYNONYMS,
    INGREDIENTS,
    MEDICATION_CONCEPTS,
    MEDICATION_VALUE_SETS,
    MedicationCategory,
    atc_concepts,
)

Finding = tuple[str, int, str, str, dict[str, Any], str | None, str | None]
Result = tuple[dict[str, tuple[int, tuple[Finding, ...], object]], tuple[str, ...]]

# -- rule texts, made once -----------------------------------------------------------------
_CORE = core_rules(DEFAULT_POLICY)
_RULES = {rule.id: rule for rule in (*_CORE, *(r for p in plugins() for r in p.rules))}
assert all(rule.site is None for rule in _RULES.values()), "a benchmark rule has a fixed site"
#: rule id -> (rule id, outcome, message, source): the first four fields of its finding.
HEAD: dict[str, tuple[str, int, str, str]] = {
    rid: (rid, int(rule.outcome), rule.message, rule.source) for rid, rule in _RULES.items()
}


def _cannot_check(rule_id: str, evidence: dict[str, Any]) -> Finding:
    """Return the constant insufficient-data finding of a rule whose ``None`` facts are given."""
    rule = _RULES[rule_id]
    missing = ", ".join(FACT_LABELS[name] for name, value in evidence.items() if value is None)
    message = (
        f"Cannot check '{rule.title}': {missing} not recorded; "
        "the technique is not permitted until it is."
    )
    return (rule_id, int(Outcome.INSUFFICIENT_DATA), message, rule.source, evidence, None, None)


_HERNIA_SIZE_UNKNOWN = {"has_hernia": True, "max_hernia_size_mm": None}
#: The findings that never vary: a rule that cannot be checked, a rule that always holds.
UNKNOWN: dict[str, Finding] = {
    rid: _cannot_check(rid, {name: None})
    for rid, name in (
        ("core.pain-not-eliminated", "pain_score"),
        ("core.severe-pain", "pain_score"),
        ("core.inflammatory-process", "inflammatory_process"),
        ("core.raised-temperature", "temperature_c"),
        ("core.surgery-indicated", "surgery_indicated"),
        ("core.high-blood-pressure", "bp_grade"),
        ("core.pregnancy", "pregnant"),
        ("acupressure.moderate-pain", "pain_score"),
        ("hydromassage.blood-pressure", "bp_grade"),
        ("hydromassage.temperature-unknown", "temperature_c"),
    )
}
UNKNOWN["classic.large-hernia"] = _cannot_check("classic.large-hernia", _HERNIA_SIZE_UNKNOWN)
UNKNOWN["honey.large-hernia"] = _cannot_check("honey.large-hernia", _HERNIA_SIZE_UNKNOWN)
REFLEX_APPROVAL: Finding = (*HEAD["reflex.doctor-approval"], {}, None, None)
SEGMENTAL_APPROVAL: Finding = (*HEAD["segmental.doctor-approval"], {}, None, None)

# -- the core rules over condition items -----------------------------------------------------
#: Main rule id -> concept, for the core rules over condition items; a rule for another tier
#: of the concept is the main id plus ``-<tier>``.
_CODED_CONCEPTS = {
    "core.fever-diagnosis": "fever",
    "core.hypertension-stage-2-3": "hypertension-organ-damage",
    "core.hypertension": "hypertension",
    "core.thrombosis-tendency": "thrombosis-tendency",
    "core.blood-disease": "blood-disease",
    "core.malignancy": "malignancy",
    "core.heart-dysfunction": "heart-dysfunction",
    "core.osteomyelitis": "osteomyelitis",
    "core.bone-tuberculosis": "bone-tuberculosis",
    "core.purulent-skin-rash": "purulent-skin-rash",
    "core.skin-pathology": "skin-pathology",
    "core.psychiatric-disorder": "psychiatric-disorder",
    "core.varicose-veins": "varicose-veins",
    "core.urticaria-oedema": "urticaria-oedema",
    "core.infectious-disease": "infectious-disease",
    "core.digestive-disorder": "digestive-disorder",
}
_TIER_SUFFIXES = tuple(f"-{o.label}" for o in Outcome)
#: Position in ``core_rules()`` of every core rule.
CORE_INDEX = {rule.id: i for i, rule in enumerate(_CORE)}
#: (concept, tier label) -> position of the core rule that fires on such items.
ITEM_RULE: dict[tuple[str, str], int] = {}
#: Position -> (rule id, outcome, message, source, whether the rule is local).
ITEM_RULE_TEXT: dict[int, tuple[str, int, str, str, bool]] = {}
for _i, _rule in enumerate(_CORE):
    if _rule.when.reads() != ("conditions",):
        continue
    _main, _tier = _rule.id, _rule.outcome.label
    for _suffix in _TIER_SUFFIXES:
        if _rule.id.endswith(_suffix) and _rule.id[: -len(_suffix)] in _CODED_CONCEPTS:
            _main, _tier = _rule.id[: -len(_suffix)], _suffix[1:]
    ITEM_RULE[_CODED_CONCEPTS[_main], _tier] = _i
    ITEM_RULE_TEXT[_i] = (*HEAD[_rule.id], _rule.local)
#: The core rules after each group of rules over condition items, by position.
_FEVER_END = CORE_INDEX["core.surgery-indicated"]
_HYPERTENSION_END = CORE_INDEX["core.pregnancy"]
_CONTRA_END = CORE_INDEX["core.exacerbated-chronic-disease"]

# -- code tables, made once ----------------------------------------------------------------
LABEL = {int(o): o.label for o in Outcome}
EXACERBATION = "chronic-disease-exacerbation"
DISC_HERNIA = "disc-hernia"
_HISTORY_TIER: dict[str, int] = {}
_CONCEPT_TIER: dict[str, int] = {}
for _vs in CORE_VALUE_SETS:
    _t = int(_vs.strictest_tier)
    _CONCEPT_TIER[_vs.concept] = max(_t, _CONCEPT_TIER.get(_vs.concept, _t))
    if _vs.history_tier is not None:
        _h = int(_vs.history_tier)
        _HISTORY_TIER[_vs.concept] = max(_h, _HISTORY_TIER.get(_vs.concept, _h))

CERVICAL = frozenset({"cervical"})
THORACIC = frozenset({"thoracic"})
LUMBAR = frozenset({"lumbar", "lumbosacral"})
NOT_CERVICAL = frozenset({"thoracic", "lumbar", "lumbosacral"})
M51_SITE = {"4": THORACIC, "5": frozenset({"thoracic", "lumbar"}), "6": LUMBAR, "7": LUMBAR}


def _hernia_regions(code: str) -> frozenset[str]:
    """Return the hernia regions a disc-hernia code (table spelling) fits."""
    if code[:3] == "M50" or code[:4] == "S130":
        return CERVICAL
    if code[:4] == "S230":
        return THORACIC
    if code[:4] == "S330":
        return LUMBAR
    return M51_SITE.get(code[4:5], NOT_CERVICAL)


Item = tuple[int, str, str, str | None]  # (core rule position, concept, tier label, code site)
Entry = tuple[str, frozenset[str], tuple[Item, ...], tuple[Item, ...], bool, frozenset[str] | None]


def _codes(system: CodeSystem) -> dict[str, Entry]:
    """Return code -> (display, concepts, active items, history items, exacerbation, regions)."""
    shared: dict[Any, tuple[frozenset[str], tuple[Item, ...], tuple[Item, ...]]] = {}
    out: dict[str, Entry] = {}
    for code, display, found in code_table(system).items():
        parts = shared.get(found)
        if parts is None:
            active: list[Item] = []
            history: list[Item] = []
            for k in found:
                tier = int(k.tier)
                rule = ITEM_RULE.get((k.concept, LABEL[tier]))
                if rule is not None:
                    active.append((rule, k.concept, LABEL[tier], k.site))
                h = _HISTORY_TIER.get(k.concept)
                if h is not None:
                    rule = ITEM_RULE.get((k.concept, LABEL[min(tier, h)]))
                    if rule is not None:
                        history.append((rule, k.concept, LABEL[min(tier, h)], k.site))
            concepts = frozenset(k.concept for k in found)
            parts = shared[found] = (concepts, tuple(active), tuple(history))
        concepts = parts[0]
        regions = _hernia_regions(code) if DISC_HERNIA in concepts else None
        out[code] = (display, *parts, EXACERBATION in concepts, regions)
    return out


CODES: dict[str, dict[str, Entry]] = {system.value: _codes(system) for system in CodeSystem}
#: Concept named without a code -> (core rule position, tier label) while active and when no
#: longer active; only concepts and states a core rule fires on.
NAMED_ACTIVE: dict[str, tuple[int, str]] = {}
NAMED_HISTORY: dict[str, tuple[int, str]] = {}
for (_concept, _label), _i in ITEM_RULE.items():
    _t = _CONCEPT_TIER.get(_concept, int(Outcome.CONTRAINDICATED))
    if LABEL[_t] == _label:
        NAMED_ACTIVE[_concept] = (_i, _label)
    _h = _HISTORY_TIER.get(_concept)
    if _h is not None and LABEL[min(_t, _h)] == _label:
        NAMED_HISTORY[_concept] = (_i, _label)


def _unclassified_label(condition: Any) -> str:
    return " / ".join(p for p in (condition.display, condition.other_code) if p is not None)


def _unconfirmed(condition: Any, active: bool) -> str | None:
    """Name an unconfirmed condition that would bear on a rule, or ``None``."""
    code, named = condition.code, condition.concept
    if code is None and named is None:
        return _unclassified_label(condition)
    shown = None
    bears = False
    if code is not None:
        key = code.strip().upper().replace(".", "").rstrip("*†+")
        entry = CODES[condition.system._value_][key]
        shown = key if len(key) <= 3 else key[:3] + "." + key[3:]
        bears = bool(entry[1]) if active else bool(entry[3])
    if named is not None:
        shown = shown or named
        bears = bears or active or named in NAMED_HISTORY
    return shown if bears else None


ACTIVE = frozenset(("active", "recurrence", "relapse"))
FLARE = frozenset(("recurrence", "relapse"))
HISTORY = frozenset(("remission", "resolved", "inactive"))
ALLERGIES: dict[str, frozenset[str]] = {str(k): v for k, v in ALLERGY_CONCEPTS.items()}
CATEGORY: dict[str, frozenset[str]] = {
    str(k): v for k, v in MEDICATION_CONCEPTS.items() if k is not MedicationCategory.OTHER
}
#: Ingredient name or synonym (folded) -> the concepts its ATC code means.
NAMES: dict[str, frozenset[str]] = {}
for _name in {*INGREDIENTS, *INGREDIENT_SYNONYMS}:
    _atc = INGREDIENTS.get(INGREDIENT_SYNONYMS.get(_name, _name))
    if _atc is not None:
        NAMES[_name] = atc_concepts(_atc) or frozenset()
#: ATC value-set prefix -> concepts; the lengths of the prefixes; every code more general
#: than a prefix (it says nothing).
ATC_PREFIX: dict[str, set[str]] = {}
for _concept, _prefixes in MEDICATION_VALUE_SETS.items():
    for _p in _prefixes:
        ATC_PREFIX.setdefault(_p, set()).add(_concept)
ATC_LENGTHS = tuple(sorted({len(p) for p in ATC_PREFIX}))
ATC_ABOVE = frozenset(p[:n] for p in ATC_PREFIX for n in range(1, len(p)))
assert all(" ".join(n.lower().split()) == n for n in NAMES), "an ingredient key is not folded"

INDICATIONS = {tid: frozenset(ind) for tid, _, ind in TECHNIQUES}
TECHNIQUE_IDS = tuple(sorted(tid for tid, _, _ in TECHNIQUES))
assert TECHNIQUE_IDS == (
    "acupressure",
    "classic",
    "honey",
    "hydromassage",
    "reflex",
    "segmental",
    "traction",
    "vacuum",
)
MALE = Sex.MALE
SEVERE_PAIN = DEFAULT_POLICY.severe_pain_score
RESIDUAL_PAIN = DEFAULT_POLICY.residual_pain_max
RAISED_TEMP = DEFAULT_POLICY.raised_temperature_c
BP_GRADE = DEFAULT_POLICY.deferring_bp_grade
COURSE_BREAK = DEFAULT_POLICY.min_course_break_days
SURGERY_HEALING = DEFAULT_POLICY.surgery_healing_days
SURGERY_CLEARANCE = DEFAULT_POLICY.surgery_clearance_days
# The rules below nest the milder threshold's test inside the stricter one's.
assert RESIDUAL_PAIN < SEVERE_PAIN and SURGERY_HEALING <= SURGERY_CLEARANCE


def _item_findings(
    out: list[Finding], grouped: dict[int, list[dict[str, Any]]], order: list[int], end: int
) -> None:
    """Append, in rule order, the findings of the item rules before position ``end``."""
    while order and order[0] < end:
        position = order.pop(0)
        items = grouped[position]
        rule_id, outcome, message, source, local = ITEM_RULE_TEXT[position]
        site = None
        if local:
            sites = {item["site"] for item in items}
            if None not in sites:
                site = ", ".join(sorted(sites))
        out.append((rule_id, outcome, message, source, {"conditions": tuple(items)}, None, site))


def assess(patient: Patient, as_of: date) -> Result:
    """Assess the eight benchmark techniques for ``patient`` on ``as_of``."""
    H = HEAD
    # -- hernias -------------------------------------------------------------------------
    phases: set[str] = set()
    regions: set[str] = set()
    kinds: set[str] = set()
    max_size: float | None = None
    size_unknown = False
    surgery: bool | None = False
    hernias = patient.hernias
    for hernia in hernias:
        phases.add(hernia.phase._value_)
        regions.add(hernia.region._value_)
        kinds.add(hernia.kind._value_)
        size = hernia.size_mm
        if size is None:
            size_unknown = True
        elif max_size is None or size > max_size:
            max_size = size
        indicated = hernia.surgery_indicated
        if indicated:
            surgery = True
        elif indicated is None and surgery is False:
            surgery = None
    if size_unknown:
        max_size = None

    # -- conditions ----------------------------------------------------------------------
    concepts: set[str] = set()
    exacerbated: set[str] = set()
    grouped: dict[int, list[dict[str, Any]]] = {}
    unrecorded: set[str] = set()
    unconfirmed: set[str] = set()
    unclassified_conditions: set[str] = set()
    for condition in patient.conditions:
        status = condition.status._value_
        if status in ACTIVE:
            active = True
        elif status in HISTORY:
            active = False
        else:
            continue
        verification = condition.verification
        if verification is not None and verification._value_ != "confirmed":
            name = _unconfirmed(condition, active)
            if name is not None:
                unconfirmed.add(name)
            continue
        if condition.code is None and condition.concept is None:
            unclassified_conditions.add(_unclassified_label(condition))
            continue
        site = condition.site
        if site is not None:
            site = site._value_
        code = condition.code
        if code is not None:
            system = condition.system._value_
            table = CODES[system]
            # The dotted spelling records use is the table's key without its dot.
            if len(code) > 4 and code[3] == ".":
                key = code[:3] + code[4:]
                entry = table.get(key)
                shown = code
            else:
                key = code
                entry = table.get(code)
                shown = ""
            if entry is None:
                key = code.strip().upper().replace(".", "").rstrip("*†+")
                entry = table[key]
                shown = ""
            if not shown:
                shown = key if len(key) <= 3 else key[:3] + "." + key[3:]
            display, meant, active_items, history_items, exacerbation, fits = entry
            if active:
                if meant:
                    concepts |= meant
                    if exacerbation:
                        exacerbated.add(shown)
                    if fits is not None and regions.isdisjoint(fits):
                        unrecorded.add(shown)
                if status in FLARE:
                    exacerbated.add(shown)
                items = active_items
            else:
                items = history_items
            for position, concept, tier, code_site in items:
                item = {
                    "concept": concept,
                    "tier": tier,
                    "site": site or code_site,
                    "code": shown,
                    "system": system,
                    "display": display,
                    "status": status,
                }
                group = grouped.get(position)
                if group is None:
                    grouped[position] = [item]
                else:
                    group.append(item)
        named = condition.concept
        if named is not None:
            if active:
                concepts.add(named)
                if status in FLARE or named == EXACERBATION:
                    exacerbated.add(named)
                rule = NAMED_ACTIVE.get(named)
            else:
                rule = NAMED_HISTORY.get(named)
            if rule is not None:
                item = {
                    "concept": named,
                    "tier": rule[1],
                    "site": site,
                    "code": None,
                    "system": None,
                    "display": condition.display,
                    "status": status,
                }
                group = grouped.get(rule[0])
                if group is None:
                    grouped[rule[0]] = [item]
                else:
                    group.append(item)

    # -- medications, allergies, flags ---------------------------------------------------
    for medication in patient.medications:
        category = medication.category
        if category is not None:
            meant = CATEGORY.get(category._value_)
            if meant:
                concepts |= meant
        atc = medication.atc
        if atc is not None and atc not in ATC_ABOVE:
            for length in ATC_LENGTHS:
                meant = ATC_PREFIX.get(atc[:length])
                if meant:
                    concepts |= meant
        name = medication.name
        if name is not None:
            meant = NAMES.get(name)
            if meant is None:
                meant = NAMES.get(" ".join(name.lower().split()))
            if meant:
                concepts |= meant
    for allergy in patient.allergies:
        concepts |= ALLERGIES[allergy.substance]
    pregnant = patient.pregnant
    if "pregnancy" in concepts:
        pregnant = True
    elif pregnant is None and (patient.sex is MALE or not 12 <= patient.age <= 55):
        pregnant = False
    if pregnant:
        concepts.add("pregnancy")
    inflammatory = patient.inflammatory_process
    if "inflammatory-process" in concepts:
        inflammatory = True
    if inflammatory:
        concepts.add("inflammatory-process")

    vitals = patient.vitals
    pain = vitals.pain_score
    temp = vitals.temperature_c
    systolic, diastolic = vitals.systolic_mmhg, vitals.diastolic_mmhg
    if systolic is None or diastolic is None:
        grade = None
    elif systolic >= 180 or diastolic >= 110:
        grade = 3
    elif systolic >= 160 or diastolic >= 100:
        grade = 2
    elif systolic >= 140 or diastolic >= 90:
        grade = 1
    else:
        grade = 0

    # -- core rules, once ----------------------------------------------------------------
    core: list[Finding] = []
    order = sorted(grouped) if grouped else []
    sorted_phases: tuple[str, ...] | None = None
    if phases:
        if "acute" in phases:
            sorted_phases = tuple(sorted(phases))
            core.append((*H["core.acute-phase"], {"phases": sorted_phases}, None, None))
        if "exacerbation" in phases:
            sorted_phases = sorted_phases or tuple(sorted(phases))
            core.append((*H["core.exacerbation"], {"phases": sorted_phases}, None, None))
    if pain is None:
        core.append(UNKNOWN["core.pain-not-eliminated"])
        core.append(UNKNOWN["core.severe-pain"])
    elif pain > RESIDUAL_PAIN:
        core.append((*H["core.pain-not-eliminated"], {"pain_score": pain}, None, None))
        if pain >= SEVERE_PAIN:
            core.append((*H["core.severe-pain"], {"pain_score": pain}, None, None))
    if inflammatory is None:
        core.append(UNKNOWN["core.inflammatory-process"])
    elif inflammatory is True:
        evidence = {"inflammatory_process": True}
        core.append((*H["core.inflammatory-process"], evidence, None, None))
    if temp is None:
        core.append(UNKNOWN["core.raised-temperature"])
    elif temp >= RAISED_TEMP:
        core.append((*H["core.raised-temperature"], {"temperature_c": temp}, None, None))
    if order:
        _item_findings(core, grouped, order, _FEVER_END)
    if surgery is None:
        core.append(UNKNOWN["core.surgery-indicated"])
    elif surgery:
        core.append((*H["core.surgery-indicated"], {"surgery_indicated": True}, None, None))
    prolapsed = "extrusion" in kinds or "sequestration" in kinds
    sorted_kinds = tuple(sorted(kinds)) if prolapsed else ()
    if prolapsed:
        core.append((*H["core.disc-prolapsed"], {"hernia_kinds": sorted_kinds}, None, None))
    if "post-surgical" in phases:
        sorted_phases = sorted_phases or tuple(sorted(phases))
        core.append((*H["core.post-surgical"], {"phases": sorted_phases}, None, None))
    if grade is None:
        core.append(UNKNOWN["core.high-blood-pressure"])
    elif grade >= BP_GRADE:
        core.append((*H["core.high-blood-pressure"], {"bp_grade": grade}, None, None))
    if order:
        _item_findings(core, grouped, order, _HYPERTENSION_END)
    if pregnant is None:
        core.append(UNKNOWN["core.pregnancy"])
    elif pregnant is True:
        core.append((*H["core.pregnancy"], {"pregnant": True}, None, None))
    if order:
        _item_findings(core, grouped, order, _CONTRA_END)
    if exacerbated:
        evidence = {"exacerbated_conditions": tuple(sorted(exacerbated))}
        core.append((*H["core.exacerbated-chronic-disease"], evidence, None, None))
    if order:
        _item_findings(core, grouped, order, len(CORE_INDEX))
    courses = patient.massage_courses
    if courses:
        days = (as_of - max(c.end_date for c in courses)).days
        if days < COURSE_BREAK:
            evidence = {"had_massage_course": True, "days_since_last_course": days}
            core.append((*H["core.course-break"], evidence, None, None))
    surgeries = patient.surgeries
    surgery_days = None
    if surgeries:
        surgery_days = (as_of - max(s.date for s in surgeries)).days
        if surgery_days < SURGERY_CLEARANCE:
            evidence = {"had_spinal_surgery": True, "days_since_surgery": surgery_days}
            if surgery_days < SURGERY_HEALING:
                core.append((*H["core.spinal-surgery-healing"], evidence, None, None))
            core.append((*H["core.spinal-surgery-rehabilitation"], evidence, None, None))
    if unrecorded:
        evidence = {"unrecorded_hernia_codes": tuple(sorted(unrecorded))}
        core.append((*H["core.hernia-code-without-record"], evidence, None, None))
    if unconfirmed:
        evidence = {"unconfirmed_conditions": tuple(sorted(unconfirmed))}
        core.append((*H["core.unconfirmed-condition"], evidence, None, None))
    if unclassified_conditions:
        evidence = {"unclassified_conditions": tuple(sorted(unclassified_conditions))}
        core.append((*H["core.unclassified-condition"], evidence, None, None))
    core_findings = tuple(core)
    core_worst = 0
    for finding in core:
        if finding[1] > core_worst:
            core_worst = finding[1]

    # -- each technique's own rules ------------------------------------------------------
    sorted_concepts: tuple[str, ...] = ()
    anticoagulated = "anticoagulant-therapy" in concepts
    if anticoagulated:
        sorted_concepts = tuple(sorted(concepts))
    cervical = "cervical" in regions
    thoracic = "thoracic" in regions
    sorted_regions = tuple(sorted(regions)) if cervical or thoracic else ()
    large: tuple[Finding, Finding] | None = None
    if hernias:
        if max_size is None:
            large = (UNKNOWN["classic.large-hernia"], UNKNOWN["honey.large-hernia"])
        elif max_size >= LARGE_HERNIA_MM:
            evidence = {"has_hernia": True, "max_hernia_size_mm": max_size}
            large = (
                (*H["classic.large-hernia"], evidence, None, None),
                (*H["honey.large-hernia"], evidence, None, None),
            )

    acupressure: list[Finding] = []
    if anticoagulated:
        evidence = {"concepts": sorted_concepts}
        acupressure.append((*H["acupressure.anticoagulants"], evidence, None, None))
    if pain is None:
        acupressure.append(UNKNOWN["acupressure.moderate-pain"])
    elif pain >= 4:
        acupressure.append((*H["acupressure.moderate-pain"], {"pain_score": pain}, None, None))

    classic: list[Finding] = []
    if anticoagulated:
        classic.append((*H["classic.anticoagulants"], {"concepts": sorted_concepts}, None, None))
    if large is not None:
        classic.append(large[0])

    honey: list[Finding] = []
    if "honey-allergy" in concepts:
        sorted_concepts = sorted_concepts or tuple(sorted(concepts))
        honey.append((*H["honey.bee-allergy"], {"concepts": sorted_concepts}, None, None))
    if large is not None:
        honey.append(large[1])
    if "skin-pathology" in concepts or "urticaria-oedema" in concepts:
        sorted_concepts = sorted_concepts or tuple(sorted(concepts))
        evidence = {"concepts": sorted_concepts}
        honey.append((*H["honey.skin-pathology-site"], evidence, None, None))

    hydromassage: list[Finding] = []
    if grade is None:
        hydromassage.append(UNKNOWN["hydromassage.blood-pressure"])
    elif grade == 1:
        evidence = {"bp_grade": 1}
        hydromassage.append((*H["hydromassage.blood-pressure"], evidence, None, None))
    if temp is None:
        hydromassage.append(UNKNOWN["hydromassage.temperature-unknown"])
    elif temp > 37.0:
        evidence = {"temperature_c": temp}
        hydromassage.append((*H["hydromassage.temperature-unknown"], evidence, None, None))

    reflex: list[Finding] = [REFLEX_APPROVAL]
    if cervical:
        evidence = {"hernia_regions": sorted_regions}
        reflex.append((*H["reflex.cervical"], evidence, None, None))

    segmental: list[Finding] = []
    if surgery_days is not None and surgery_days < SURGERY_WAIT_DAYS:
        evidence = {"had_spinal_surgery": True, "days_since_surgery": surgery_days}
        segmental.append((*H["segmental.recent-surgery"], evidence, None, None))
    segmental.append(SEGMENTAL_APPROVAL)

    traction: list[Finding] = []
    if prolapsed:
        evidence = {"hernia_kinds": sorted_kinds}
        traction.append((*H["traction.prolapsed-disc"], evidence, None, None))
    if cervical:
        evidence = {"hernia_regions": sorted_regions}
        traction.append((*H["traction.cervical"], evidence, None, None))
    age = patient.age
    if age >= TRACTION_MAX_AGE:
        traction.append((*H["traction.older-patient"], {"age": age}, None, None))

    vacuum: list[Finding] = []
    if anticoagulated:
        vacuum.append((*H["vacuum.anticoagulants"], {"concepts": sorted_concepts}, None, None))
    if "varicose-veins" in concepts:
        sorted_concepts = sorted_concepts or tuple(sorted(concepts))
        vacuum.append((*H["vacuum.varicose-veins"], {"concepts": sorted_concepts}, None, None))
    if thoracic:
        evidence = {"hernia_regions": sorted_regions}
        vacuum.append((*H["vacuum.thoracic-pressure"], evidence, None, None))

    # -- clearances, once; verdicts, protocols, ranking ----------------------------------
    cleared: dict[str, str] | None = None
    for clearance in patient.clearances:
        until = clearance.valid_until
        if clearance.date <= as_of and (until is None or as_of <= until):
            if cleared is None:
                cleared = {clearance.technique: clearance.physician}
            elif clearance.technique not in cleared:
                cleared[clearance.technique] = clearance.physician
    wanted = patient.indications
    decisions: dict[str, tuple[int, tuple[Finding, ...], object]] = {}
    permitted: list[tuple[int, int, str]] = []
    for technique_id, own in (
        ("acupressure", acupressure),
        ("classic", classic),
        ("honey", honey),
        ("hydromassage", hydromassage),
        ("reflex", reflex),
        ("segmental", segmental),
        ("traction", traction),
        ("vacuum", vacuum),
    ):
        worst = core_worst
        if own:
            findings = core_findings + tuple(own)
            for finding in own:
                if finding[1] > worst:
                    worst = finding[1]
        else:
            findings = core_findings
        physician = cleared.get(technique_id) if cleared is not None else None
        if physician is not None:
            findings = tuple(
                (f[0], 2, f[2], f[3], f[4], physician, f[6]) if f[1] == 2 else f for f in findings
            )
            worst = 0
            for finding in findings:
                if finding[1] > worst and finding[5] is None:
                    worst = finding[1]
        if worst <= 1:
            decisions[technique_id] = (worst, findings, PROTOCOLS[technique_id])
            matches = len(INDICATIONS[technique_id].intersection(wanted)) if wanted else 0
            permitted.append((-matches, worst, technique_id))
        else:
            decisions[technique_id] = (worst, findings, None)
    if len(permitted) > 1:
        permitted.sort()
    return decisions, tuple([key[2] for key in permitted])
