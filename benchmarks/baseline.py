"""The same rules as the engine, hand-written in plain Python: the baseline of the benchmark.

No expression layer, no plugin manager, no attrs results: one function derives the facts from
a loaded :class:`~herniarules.Patient` into a dict (with its own ICD-10 look-up tables), then
every core rule (``safety.core_rules()`` under the default policy) and every benchmark technique
rule is an ``if``. Rule texts (titles, messages, sources, outcomes) are read from the rule
definitions once at import, so the output can be compared with the engine's; the predicates
are written out by hand here. Fact labels for insufficient-data messages come from
``herniarules.facts.FACT_LABELS`` for the same reason.

The result of :func:`assess` is ``(techniques, ranking)``: for each technique id a tuple
``(verdict, findings, protocol)`` where ``verdict`` is an ``int`` on the outcome scale and each
finding is ``(rule_id, outcome, message, source, evidence, cleared_by)``.
"""

from __future__ import annotations

from collections.abc import Iterator
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
from herniarules.safety import DEFAULT_POLICY, core_rules
from herniarules.terminology import CORE_VALUE_SETS, CodeSystem

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
# A code range "start-end" contains a normalized code when code[:len(start)] >= start and
# code[:len(end)] <= end, so membership depends only on code[:L], L = max(len(start),
# len(end)). For each L the table maps every string of length 3..L that lies in some range
# to its concepts; a look-up is one dict probe per distinct L.
_FIRST = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_DIGITS = "0123456789"
_ALNUM = _DIGITS + _FIRST


def _in_range(code: str, start: str, end: str) -> bool:
    return code[: len(start)] >= start and code[: len(end)] <= end


def _strings(start: str, end: str) -> Iterator[str]:
    """Yield every string of length 3..L in the range, pruning prefixes outside it."""
    top = max(len(start), len(end))

    def grow(prefix: str) -> Iterator[str]:
        n = len(prefix)
        if n >= 3 and _in_range(prefix, start, end):
            yield prefix
        if n == top:
            return
        alphabet = _FIRST if n == 0 else _DIGITS if n == 1 else _ALNUM
        for char in alphabet:
            candidate = prefix + char
            k = len(candidate)
            if candidate < start[:k] or candidate > end[:k]:
                continue
            yield from grow(candidate)

    return grow("")


def _tables() -> dict[str, tuple[tuple[int, dict[str, frozenset[str]]], ...]]:
    tables: dict[str, dict[int, dict[str, set[str]]]] = {s.value: {} for s in CodeSystem}
    for value_set in CORE_VALUE_SETS:
        for code_range in value_set.codes:
            top = max(len(code_range.start), len(code_range.end))
            for system in code_range.systems:
                table = tables[system.value].setdefault(top, {})
                for text in _strings(code_range.start, code_range.end):
                    table.setdefault(text, set()).add(value_set.concept)
    return {
        system: tuple(
            (top, {k: frozenset(v) for k, v in table.items()}) for top, table in sorted(by.items())
        )
        for system, by in tables.items()
    }


ICD_TABLES = _tables()


def concepts_for(code: str, system: str) -> set[str]:
    """Return the concepts of an ICD-10 code (any spelling the model accepts)."""
    normalized = code.strip().upper().replace(".", "").rstrip("*†")
    found: set[str] = set()
    for top, table in ICD_TABLES[system]:
        hit = table.get(normalized[:top])
        if hit:
            found |= hit
    return found


# -- facts ---------------------------------------------------------------------------------
PHASE_RANK = {"acute": 0, "exacerbation": 1, "subacute": 2, "post-surgical": 3, "remission": 4}
MEDICATIONS = {"anticoagulant": "anticoagulant-therapy", "antiplatelet": "anticoagulant-therapy"}
ALLERGIES = dict.fromkeys(
    ("honey", "bee products", "bee-products", "propolis", "royal jelly", "bee pollen", "bee venom"),
    "honey-allergy",
)
ACTIVE = {"active", "recurrence", "relapse"}
FLARE = {"recurrence", "relapse"}
SET_FACTS = (
    "phases",
    "hernia_regions",
    "hernia_kinds",
    "concepts",
    "exacerbated_conditions",
    "indications",
)


def derive(patient: Patient, as_of: date) -> dict[str, Any]:
    """Return the facts about ``patient`` on ``as_of`` as a dict; sets as sorted lists."""
    worst_rank = 9
    max_size: float | None = None
    size_unknown = False
    surgery: bool | None = False
    phases: set[str] = set()
    regions: set[str] = set()
    kinds: set[str] = set()
    for hernia in patient.hernias:
        phase = hernia.phase.value
        rank = PHASE_RANK[phase]
        if rank < worst_rank:
            worst_rank = rank
        phases.add(phase)
        regions.add(hernia.region.value)
        kinds.add(hernia.kind.value)
        size = hernia.size_mm
        if size is None:
            size_unknown = True
        elif max_size is None or size > max_size:
            max_size = size
        if hernia.surgery_indicated:
            surgery = True
        elif hernia.surgery_indicated is None and surgery is False:
            surgery = None
    if size_unknown:
        max_size = None

    concepts: set[str] = set()
    exacerbated: set[str] = set()
    for condition in patient.conditions:
        status = condition.status.value
        if status not in ACTIVE:
            continue
        if condition.code is not None:
            concepts |= concepts_for(condition.code, condition.system.value)
        if condition.concept is not None:
            concepts.add(condition.concept)
        if status in FLARE:
            exacerbated.add(condition.code or condition.concept or "")
    for medication in patient.medications:
        concepts.add(MEDICATIONS.get(medication.category, medication.category))
    for allergy in patient.allergies:
        concepts.add(ALLERGIES.get(allergy.substance, "allergy-" + allergy.substance))

    pregnant = patient.pregnant
    if "pregnancy" in concepts:
        pregnant = True
    elif pregnant is None and (patient.sex.value == "male" or not 12 <= patient.age <= 55):
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
        "age": patient.age,
        "has_hernia": bool(phases),
        "phases": tuple(sorted(phases)),
        "hernia_regions": tuple(sorted(regions)),
        "hernia_kinds": tuple(sorted(kinds)),
        "max_hernia_size_mm": max_size,
        "surgery_indicated": surgery,
        "pain_score": vitals.pain_score,
        "temperature_c": vitals.temperature_c,
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


CORE_CONCEPT_RULES = (
    ("core.hypertension-stage-2-3", "hypertension-organ-damage"),
    ("core.hypertension", "hypertension"),
)
CONTRA_CONCEPT_RULES = (
    ("core.thrombosis-tendency", "thrombosis-tendency"),
    ("core.blood-disease", "blood-disease"),
    ("core.malignancy", "malignancy"),
    ("core.heart-dysfunction", "heart-dysfunction"),
    ("core.osteomyelitis", "osteomyelitis"),
    ("core.bone-tuberculosis", "bone-tuberculosis"),
    ("core.purulent-skin-rash", "purulent-skin-rash"),
    ("core.skin-pathology", "skin-pathology"),
    ("core.psychiatric-disorder", "psychiatric-disorder"),
    ("core.varicose-veins", "varicose-veins"),
)
LATE_CONCEPT_RULES = (
    ("core.urticaria-oedema", "urticaria-oedema"),
    ("core.infectious-disease", "infectious-disease"),
    ("core.digestive-disorder", "digestive-disorder"),
)


def core_findings(f: dict[str, Any], concept_set: set[str]) -> list[Finding]:
    """Evaluate every core rule, in the order of ``safety.core_rules()``."""
    out: list[Finding] = []
    phases = f["phases"]
    concepts = f["concepts"]
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
    if "fever" in concept_set:
        out.append(hit("core.fever-diagnosis", {"concepts": concepts}))
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
    for rule_id, concept in CORE_CONCEPT_RULES:
        if concept in concept_set:
            out.append(hit(rule_id, {"concepts": concepts}))
    pregnant = f["pregnant"]
    value_rule(out, "core.pregnancy", "pregnant", pregnant, pregnant is True)
    for rule_id, concept in CONTRA_CONCEPT_RULES:
        if concept in concept_set:
            out.append(hit(rule_id, {"concepts": concepts}))
    if f["exacerbated_conditions"]:
        out.append(
            hit(
                "core.exacerbated-chronic-disease",
                {"exacerbated_conditions": f["exacerbated_conditions"]},
            )
        )
    for rule_id, concept in LATE_CONCEPT_RULES:
        if concept in concept_set:
            out.append(hit(rule_id, {"concepts": concepts}))
    if f["had_massage_course"]:
        days = f["days_since_last_course"]
        evidence = {"had_massage_course": True, "days_since_last_course": days}
        if days is None:
            out.append(unknown("core.course-break", evidence))
        elif days < COURSE_BREAK:
            out.append(hit("core.course-break", evidence))
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
    concept_set = set(f["concepts"])
    return decide(
        patient, as_of, f, core_findings(f, concept_set), technique_findings(f, concept_set)
    )
