"""The same rules in ``rule-engine`` (PyPI ``rule-engine``): one ``Rule`` per rule, each
evaluated against the dict of facts from ``baseline.derive``.

Unknown values follow the engine's three-valued logic through the ternary operator: a rule whose
fact is ``null`` evaluates to ``null`` and yields an insufficient-data finding. A rule over the
condition items (one per concept and severity tier) is a comprehension that returns the items
it holds for, which are its evidence; it fires when that list is not empty.
"""

from __future__ import annotations

from datetime import date

import rule_engine
from baseline import TIERED_RULES, Result, derive
from common import RULE_IDS, TECHNIQUE_IDS, TECHNIQUE_OF, TIERED, Fired, result_from_fired
from techniques import LARGE_HERNIA_MM, SURGERY_WAIT_DAYS, TRACTION_MAX_AGE

from herniarules.model import Patient
from herniarules.safety import DEFAULT_POLICY as P


def _known(name: str, test: str) -> str:
    return f"{name} == null ? null : {name} {test}"


def _has(name: str, *items: str) -> str:
    return " or ".join(f"'{item}' in {name}" for item in items)


def _items(concept: str, tier: str) -> str:
    return f"[c for c in conditions if c['concept'] == '{concept}' and c['tier'] == '{tier}']"


_LARGE = f"not has_hernia ? false : ({_known('max_hernia_size_mm', f'>= {LARGE_HERNIA_MM}')})"

EXPRESSIONS: dict[str, str] = {
    "core.acute-phase": _has("phases", "acute"),
    "core.exacerbation": _has("phases", "exacerbation"),
    "core.pain-not-eliminated": _known("pain_score", f"> {P.residual_pain_max}"),
    "core.severe-pain": _known("pain_score", f">= {P.severe_pain_score}"),
    "core.inflammatory-process": _known("inflammatory_process", "== true"),
    "core.raised-temperature": _known("temperature_c", f">= {P.raised_temperature_c}"),
    "core.surgery-indicated": _known("surgery_indicated", "== true"),
    "core.disc-prolapsed": _has("hernia_kinds", "extrusion", "sequestration"),
    "core.post-surgical": _has("phases", "post-surgical"),
    "core.high-blood-pressure": _known("bp_grade", f">= {P.deferring_bp_grade}"),
    "core.pregnancy": _known("pregnant", "== true"),
    "core.exacerbated-chronic-disease": "exacerbated_conditions.length > 0",
    "core.course-break": "not had_massage_course ? false : ("
    + _known("days_since_last_course", f"< {P.min_course_break_days}")
    + ")",
    "core.spinal-surgery-healing": "not had_spinal_surgery ? false : ("
    + _known("days_since_surgery", f"< {P.surgery_healing_days}")
    + ")",
    "core.spinal-surgery-rehabilitation": "not had_spinal_surgery ? false : ("
    + _known("days_since_surgery", f"< {P.surgery_clearance_days}")
    + ")",
    "core.hernia-code-without-record": "unrecorded_hernia_codes.length > 0",
    "core.unconfirmed-condition": "unconfirmed_conditions.length > 0",
    "core.unclassified-condition": "unclassified_conditions.length > 0",
    **{rule_id: _items(concept, tier) for rule_id, concept, tier in TIERED_RULES},
    "acupressure.anticoagulants": _has("concepts", "anticoagulant-therapy"),
    "acupressure.moderate-pain": _known("pain_score", ">= 4"),
    "classic.anticoagulants": _has("concepts", "anticoagulant-therapy"),
    "classic.large-hernia": _LARGE,
    "honey.bee-allergy": _has("concepts", "honey-allergy"),
    "honey.large-hernia": _LARGE,
    "honey.skin-pathology-site": _has("concepts", "skin-pathology", "urticaria-oedema"),
    "hydromassage.blood-pressure": _known("bp_grade", "== 1"),
    "hydromassage.temperature-unknown": _known("temperature_c", "> 37.0"),
    "reflex.doctor-approval": "true",
    "reflex.cervical": _has("hernia_regions", "cervical"),
    "segmental.recent-surgery": "not had_spinal_surgery ? false : ("
    + _known("days_since_surgery", f"< {SURGERY_WAIT_DAYS}")
    + ")",
    "segmental.doctor-approval": "true",
    "traction.prolapsed-disc": _has("hernia_kinds", "extrusion", "sequestration"),
    "traction.cervical": _has("hernia_regions", "cervical"),
    "traction.older-patient": f"age >= {TRACTION_MAX_AGE}",
    "vacuum.anticoagulants": _has("concepts", "anticoagulant-therapy"),
    "vacuum.varicose-veins": _has("concepts", "varicose-veins"),
    "vacuum.thoracic-pressure": _has("hernia_regions", "thoracic"),
}

#: Compiled once, in evaluation order.
RULES: tuple[tuple[str, rule_engine.Rule], ...] = tuple(
    (rule_id, rule_engine.Rule(EXPRESSIONS[rule_id])) for rule_id in RULE_IDS
)


def assess(patient: Patient, as_of: date) -> Result:
    """Assess all eight techniques with rule-engine evaluating every rule."""
    f = derive(patient, as_of)
    fired: list[Fired] = []
    for rule_id, rule in RULES:
        value = rule.evaluate(f)
        if rule_id in TIERED:
            if value:
                fired.append((rule_id, True, value))
        elif value is not False:
            fired.append((rule_id, None if value is None else True, None))
    return result_from_fired(patient, as_of, f, fired)


#: One rule set per technique: the core rules and that technique's rules.
PER_TECHNIQUE = {
    technique: tuple((r, rule) for r, rule in RULES if TECHNIQUE_OF[r] in (None, technique))
    for technique in TECHNIQUE_IDS
}


def assess_per_technique(patient: Patient, as_of: date) -> Result:
    """Assess with one rule set per technique, as an integration that keeps the core rules in
    every technique's rule set would: the core rules are evaluated once per technique."""
    f = derive(patient, as_of)
    fired: dict[str, Fired] = {}
    for technique in TECHNIQUE_IDS:
        for rule_id, rule in PER_TECHNIQUE[technique]:
            value = rule.evaluate(f)
            if rule_id in TIERED:
                if value:
                    fired[rule_id] = (rule_id, True, value)
            elif value is not False:
                fired[rule_id] = (rule_id, None if value is None else True, None)
    ordered = [fired[rule_id] for rule_id in RULE_IDS if rule_id in fired]
    return result_from_fired(patient, as_of, f, ordered)
