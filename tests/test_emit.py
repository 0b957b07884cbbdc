"""``dumps`` of decisions and assessments: joined from kept fragments, same text as encoding.

The reference is the plain route every other object takes: unstructure with the converter,
then ``json.dumps(sort_keys=True, ensure_ascii=False)``. The fast route must give the same
text for every result, including ones with plugin errors, clearances, no protocol, non-ASCII
text and evidence of every type.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herniarules import (
    Assessment,
    Clearance,
    Decision,
    Engine,
    F,
    Finding,
    Outcome,
    Protocol,
    ProtocolStep,
    Rule,
    _emit,
    dumps,
    load_patient,
)
from herniarules._convert import converter
from herniarules.testing import AS_OF, strategies

_ENGINE = Engine()


def reference(value: object) -> str:
    return json.dumps(converter.unstructure(value), sort_keys=True, ensure_ascii=False)


def check(value: Decision | Assessment) -> None:
    expected = reference(value)
    assert dumps(value) == expected
    # The second call reads the kept texts.
    assert dumps(value) == expected
    assert json.loads(dumps(value)) == json.loads(expected)


def test_example_patients_every_technique(example_paths: list[Path], as_of: date) -> None:
    seen_outcomes = set()
    for path in example_paths:
        assessment = _ENGINE.assess(load_patient(path), as_of=as_of)
        check(assessment)
        for decision in assessment.decisions:
            check(decision)
            seen_outcomes.add(decision.outcome)
    # The examples reach permitted and refused decisions alike.
    assert Outcome.ALLOWED in seen_outcomes or Outcome.ALLOWED_WITH_MODIFICATIONS in seen_outcomes
    assert Outcome.CONTRAINDICATED in seen_outcomes


@settings(max_examples=150)
@given(patient=strategies.patients(with_hernia=None))
def test_generated_patients(patient: Any) -> None:
    check(_ENGINE.assess(patient, as_of=AS_OF))


def test_plugin_errors_and_missing_protocol(
    make_engine: Callable[..., Engine],
    plugin_class: type,
    make_patient: Callable[..., Any],
    as_of: date,
) -> None:
    engine = make_engine(
        plugin_class("good"),
        plugin_class("broken", fail_in="protocol"),
        plugin_class("wrong", protocol_result="not a protocol"),
    )
    assessment = engine.assess(make_patient(), as_of=as_of)
    by_id = {d.technique: d for d in assessment.decisions}
    assert by_id["good"].protocol is not None
    assert by_id["broken"].protocol is None
    assert any(f.rule_id == "engine.plugin-error" for f in by_id["wrong"].findings)
    check(assessment)
    for decision in assessment.decisions:
        check(decision)


def test_cleared_finding(
    make_engine: Callable[..., Engine],
    plugin_class: type,
    make_patient: Callable[..., Any],
    as_of: date,
) -> None:
    rule = Rule(
        id="probe.needs-approval",
        title="Needs approval",
        when=F.pain_score >= 0,
        outcome=Outcome.REQUIRES_CLEARANCE,
        message="Physician approval is needed — «проверка».",
        source="test suite",
        techniques=("probe",),
    )
    clearance = Clearance(
        technique="probe",
        physician="Dr Ünal",
        date=as_of - timedelta(days=1),
        valid_until=as_of + timedelta(days=30),
    )
    engine = make_engine(plugin_class("probe", rules=[rule]))
    decision = engine.evaluate(
        make_patient(clearances=[converter.unstructure(clearance)]), "probe", as_of=as_of
    )
    cleared = [f for f in decision.findings if f.cleared_by is not None]
    assert cleared and cleared[0].cleared_by == "Dr Ünal"
    check(decision)
    # Non-ASCII is written as is, as ``dumps`` documents.
    assert "Dr Ünal" in dumps(decision)


def test_hand_built_results_with_every_evidence_type() -> None:
    finding = Finding(
        rule_id="x.evidence",
        outcome=Outcome.DEFER,
        message='quote " backslash \\ tab \t newline \n and ≥',
        source="test suite",
        evidence={
            "pain_score": 8,
            "temperature_c": 37.7,
            "phase": None,
            "flags": (True, False),
            "concepts": ("malignancy", "varicose-veins"),
        },
        explanation="pain score 8 ≥ 7",
        site="back",
    )
    protocol = Protocol(
        technique="probe",
        steps=(ProtocolStep("stroking", "Light stroking.", repetitions="3-4", minutes=5.5),),
        session_minutes=(10.0, 20.0),
        course_sessions=(10, 12),
        pressure="light",
        avoid=("vertebrae",),
        notes=("note",),
        parameters={"sessions": 12, "minutes": [10, 20], "nested": {"b": 1, "a": 2}},
    )
    decision = Decision("probe", "P-1", (finding, finding), protocol, outcome=Outcome.DEFER)
    check(decision)
    assessment = Assessment(
        patient_id="P-1",
        as_of=date(2026, 11, 27),
        decisions=(decision, decision),
        plugins=(),
        ruleset_fingerprint="abc",
        ranking=("probe",),
    )
    check(assessment)


def test_equal_objects_are_written_alike() -> None:
    first = Finding(rule_id="x.a", outcome=Outcome.DEFER, message="m", source="s")
    second = Finding(rule_id="x.a", outcome=Outcome.DEFER, message="m", source="s")
    other = Finding(rule_id="x.b", outcome=Outcome.DEFER, message="m", source="s")
    texts = [
        dumps(Decision("t", "P", (finding,), outcome=Outcome.DEFER))
        for finding in (first, second, other, first)
    ]
    assert texts[0] == texts[1] == texts[3]
    assert texts[2] != texts[0]
    assert '"x.b"' in texts[2]


def test_equal_findings_written_differently_each_get_their_own_text() -> None:
    # 1 == 1.0 == True, so the three findings are equal and hash alike; a text kept for one
    # must not be handed out for another.
    emitter = _emit.Emitter(converter)
    values = (1, 1.0, True, 1, True)
    for value in values:
        finding = Finding("x.one", Outcome.DEFER, "m", "s", {"value": value})
        decision = Decision("t", "P", (finding,), outcome=Outcome.DEFER)
        assert emitter.write(decision) == reference(decision)
        assert f'"value": {json.dumps(value)}' in emitter.write(decision)


def test_the_store_stays_within_its_byte_budget_and_stays_correct(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_emit, "FRAGMENT_BUDGET", 5_000)
    emitter = _emit.Emitter(converter)
    findings = [
        Finding(rule_id=f"x.r{n}", outcome=Outcome.DEFER, message=f"m{n}" * 20, source="s")
        for n in range(40)
    ]
    for round_ in range(2):
        for finding in findings:
            decision = Decision("t", "P", (finding,), outcome=Outcome.DEFER)
            assert emitter.write(decision) == reference(decision), round_
            assert emitter.bytes <= 5_000
    assert 0 < emitter.fragments < 40


def test_evidence_changed_after_construction_is_not_what_is_written() -> None:
    evidence: dict[str, Any] = {"pain_score": 8, "phases": ["acute"]}
    finding = Finding("x.pain", Outcome.DEFER, "Wait.", "test suite", evidence)
    decision = Decision("t", "P", (finding,), outcome=Outcome.DEFER)
    before = dumps(decision)
    evidence["pain_score"] = 9
    evidence["phases"].append("remission")
    check(decision)
    assert dumps(decision) == before
    assert '"evidence": {"pain_score": 8, "phases": ["acute"]}' in before


@given(
    evidence=st.dictionaries(
        st.text(max_size=5),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False)
            | st.text(max_size=5),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=3), inner, max_size=3)
            ),
            max_leaves=8,
        ),
        max_size=4,
    )
)
def test_any_plain_evidence_is_written_as_the_reference_writes_it(evidence: Any) -> None:
    finding = Finding("x.any", Outcome.DEFER, "m", "s", evidence)
    check(Decision("t", "P", (finding,), outcome=Outcome.DEFER))


def test_evidence_that_is_not_plain_json_goes_through_the_converter() -> None:
    finding = Finding(
        "x.typed",
        Outcome.DEFER,
        "m",
        "s",
        {"worst": Outcome.DEFER, "since": date(2026, 1, 2), "tiers": (Outcome.DEFER, 1, True)},
    )
    decision = Decision("t", "P", (finding,), outcome=Outcome.DEFER)
    check(decision)
    assert '"worst": "defer"' in dumps(decision)


def test_indent_uses_the_plain_route(example_paths: list[Path], as_of: date) -> None:
    assessment = _ENGINE.assess(load_patient(example_paths[0]), as_of=as_of)
    expected = json.dumps(
        converter.unstructure(assessment), indent=2, sort_keys=True, ensure_ascii=False
    )
    assert dumps(assessment, indent=2) == expected


@given(st.sampled_from(list(Outcome)))
def test_outcome_labels(outcome: Outcome) -> None:
    decision = Decision("t", "P", (), outcome=outcome)
    assert json.loads(dumps(decision))["outcome"] == outcome.label
    check(decision)
