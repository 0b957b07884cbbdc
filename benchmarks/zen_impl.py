"""The same rules in GoRules ``zen-engine`` (PyPI ``zen-engine``): one decision table (JSON
Decision Model, hit policy *collect*) evaluated once per patient on the facts of
``baseline.derive``.

Each rule is a row whose cells are unary tests on the facts it reads; a rule that can be unknown
has a second row matching ``$ == null`` that outputs ``known: false``, which becomes an
insufficient-data finding as in the engine's three-valued logic. A rule over the condition
items (one per concept and severity tier) is a row testing ``some($, ...)`` on the items whose
``items`` output is the ``filter(...)`` of the items it holds for, which are its evidence.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import zen
from baseline import TIERED_RULES, Result, derive
from common import RULE_IDS, TECHNIQUE_IDS, TECHNIQUE_OF, Fired, result_from_fired
from techniques import LARGE_HERNIA_MM, SURGERY_WAIT_DAYS, TRACTION_MAX_AGE

from herniarules.model import Patient
from herniarules.safety import DEFAULT_POLICY as P

NULL = "$ == null"
TRUE = "$ == true"


def _has(*items: str) -> str:
    return " or ".join(f"contains($, '{item}')" for item in items)


def _items(concept: str, tier: str) -> list[dict[str, str]]:
    """Row of a rule over condition items: some item of the concept and tier; its items."""
    test = f"#.concept == '{concept}' and #.tier == '{tier}'"
    return [{"conditions": f"some($, {test})", "items": f"filter(conditions, {test})"}]


def _value(name: str, test: str) -> list[dict[str, str]]:
    """Rows of a one-fact comparison: true when ``test`` holds, unknown when missing."""
    return [{name: test}, {name: NULL, "known": "false"}]


def _gated(gate: str, name: str, test: str) -> list[dict[str, str]]:
    """Rows of ``gate is true and name <test>``, unknown when the gate holds and name is null."""
    return [{gate: TRUE, name: test}, {gate: TRUE, name: NULL, "known": "false"}]


ROWS: dict[str, list[dict[str, str]]] = {
    "core.acute-phase": [{"phases": _has("acute")}],
    "core.exacerbation": [{"phases": _has("exacerbation")}],
    "core.pain-not-eliminated": _value("pain_score", f"> {P.residual_pain_max}"),
    "core.severe-pain": _value("pain_score", f">= {P.severe_pain_score}"),
    "core.inflammatory-process": _value("inflammatory_process", TRUE),
    "core.raised-temperature": _value("temperature_c", f">= {P.raised_temperature_c}"),
    "core.surgery-indicated": _value("surgery_indicated", TRUE),
    "core.disc-prolapsed": [{"hernia_kinds": _has("extrusion", "sequestration")}],
    "core.post-surgical": [{"phases": _has("post-surgical")}],
    "core.high-blood-pressure": _value("bp_grade", f">= {P.deferring_bp_grade}"),
    "core.pregnancy": _value("pregnant", TRUE),
    "core.exacerbated-chronic-disease": [{"exacerbated_conditions": "len($) > 0"}],
    "core.course-break": _gated(
        "had_massage_course", "days_since_last_course", f"< {P.min_course_break_days}"
    ),
    "core.spinal-surgery-healing": _gated(
        "had_spinal_surgery", "days_since_surgery", f"< {P.surgery_healing_days}"
    ),
    "core.spinal-surgery-rehabilitation": _gated(
        "had_spinal_surgery", "days_since_surgery", f"< {P.surgery_clearance_days}"
    ),
    "core.hernia-code-without-record": [{"unrecorded_hernia_codes": "len($) > 0"}],
    "core.unconfirmed-condition": [{"unconfirmed_conditions": "len($) > 0"}],
    "core.unclassified-condition": [{"unclassified_conditions": "len($) > 0"}],
    **{rule_id: _items(concept, tier) for rule_id, concept, tier in TIERED_RULES},
    "acupressure.anticoagulants": [{"concepts": _has("anticoagulant-therapy")}],
    "acupressure.moderate-pain": _value("pain_score", ">= 4"),
    "classic.anticoagulants": [{"concepts": _has("anticoagulant-therapy")}],
    "classic.large-hernia": _gated("has_hernia", "max_hernia_size_mm", f">= {LARGE_HERNIA_MM}"),
    "honey.bee-allergy": [{"concepts": _has("honey-allergy")}],
    "honey.large-hernia": _gated("has_hernia", "max_hernia_size_mm", f">= {LARGE_HERNIA_MM}"),
    "honey.skin-pathology-site": [{"concepts": _has("skin-pathology", "urticaria-oedema")}],
    "hydromassage.blood-pressure": _value("bp_grade", "== 1"),
    "hydromassage.temperature-unknown": _value("temperature_c", "> 37.0"),
    "reflex.doctor-approval": [{}],
    "reflex.cervical": [{"hernia_regions": _has("cervical")}],
    "segmental.recent-surgery": _gated(
        "had_spinal_surgery", "days_since_surgery", f"< {SURGERY_WAIT_DAYS}"
    ),
    "segmental.doctor-approval": [{}],
    "traction.prolapsed-disc": [{"hernia_kinds": _has("extrusion", "sequestration")}],
    "traction.cervical": [{"hernia_regions": _has("cervical")}],
    "traction.older-patient": [{"age": f">= {TRACTION_MAX_AGE}"}],
    "vacuum.anticoagulants": [{"concepts": _has("anticoagulant-therapy")}],
    "vacuum.varicose-veins": [{"concepts": _has("varicose-veins")}],
    "vacuum.thoracic-pressure": [{"hernia_regions": _has("thoracic")}],
}


def model(rule_ids: tuple[str, ...] = RULE_IDS) -> dict[str, Any]:
    """Return the JSON Decision Model: input node -> one collect table -> output node."""
    outs = {"known", "items"}
    fields = sorted({name for rows in ROWS.values() for row in rows for name in row} - outs)
    inputs = [{"id": f"in_{name}", "name": name, "field": name} for name in fields]
    outputs = [
        {"id": "out_rule", "name": "rule", "field": "rule"},
        {"id": "out_known", "name": "known", "field": "known"},
        {"id": "out_items", "name": "items", "field": "items"},
    ]
    rules = []
    for rule_id in rule_ids:
        for number, row in enumerate(ROWS[rule_id]):
            cells = {f"in_{name}": row.get(name, "") for name in fields}
            cells.update(
                {
                    "_id": f"{rule_id}#{number}",
                    "out_rule": f"'{rule_id}'",
                    "out_known": row.get("known", "true"),
                    "out_items": row.get("items", "null"),
                }
            )
            rules.append(cells)
    table = {"hitPolicy": "collect", "inputs": inputs, "outputs": outputs, "rules": rules}
    return {
        "nodes": [
            {"id": "request", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {
                "id": "rules",
                "type": "decisionTableNode",
                "name": "Rules",
                "position": {"x": 300, "y": 0},
                "content": table,
            },
            {
                "id": "response",
                "type": "outputNode",
                "name": "Response",
                "position": {"x": 600, "y": 0},
            },
        ],
        "edges": [
            {"id": "e1", "sourceId": "request", "targetId": "rules", "type": "edge"},
            {"id": "e2", "sourceId": "rules", "targetId": "response", "type": "edge"},
        ],
    }


def _context(f: dict[str, Any]) -> dict[str, Any]:
    """Return the facts as zen-engine takes them: the assessment date as ISO text."""
    return {**f, "as_of": f["as_of"].isoformat()}


def _fired(row: dict[str, Any]) -> Fired:
    items = row.get("items")
    return (row["rule"], True if row["known"] else None, None if items is None else tuple(items))


DECISION = zen.ZenEngine().create_decision(json.dumps(model()))


def assess(patient: Patient, as_of: date) -> Result:
    """Assess all eight techniques with one zen-engine decision-table evaluation."""
    f = derive(patient, as_of)
    rows = DECISION.evaluate(_context(f))["result"]
    fired: list[Fired] = [_fired(row) for row in rows]
    return result_from_fired(patient, as_of, f, fired)


#: One decision per technique: the core rows and that technique's rows, as an integration that
#: keeps one rule set per technique would build them.
PER_TECHNIQUE = {
    technique: zen.ZenEngine().create_decision(
        json.dumps(model(tuple(r for r in RULE_IDS if TECHNIQUE_OF[r] in (None, technique))))
    )
    for technique in TECHNIQUE_IDS
}


def assess_per_technique(patient: Patient, as_of: date) -> Result:
    """Assess with one zen-engine decision per technique (core rows evaluated each time)."""
    f = derive(patient, as_of)
    context = _context(f)
    fired: dict[str, Fired] = {}
    for technique in TECHNIQUE_IDS:
        for row in PER_TECHNIQUE[technique].evaluate(context)["result"]:
            fired[row["rule"]] = _fired(row)
    ordered = [fired[rule_id] for rule_id in RULE_IDS if rule_id in fired]
    return result_from_fired(patient, as_of, f, ordered)
