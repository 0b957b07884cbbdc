"""Findings are immutable values: equal inputs may share one, different inputs never do."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import herniarules
from herniarules.bounded import caches
from herniarules.outcomes import raw_explanation
from herniarules.rules._render import render
from herniarules.testing import patients

AS_OF = date(2026, 11, 27)


def _patient(pain: int, patient_id: str = "P") -> herniarules.Patient:
    return herniarules.Patient(
        id=patient_id,
        age=40,
        sex=herniarules.Sex.MALE,
        vitals=herniarules.Vitals(120, 80, 36.6, pain),
        inflammatory_process=False,
    )


def _engine() -> herniarules.Engine:
    return herniarules.Engine(entry_points=True, allow={"herniarules-classic"})


def test_each_patient_gets_the_explanation_of_its_own_values() -> None:
    engine = _engine()
    eight = engine.evaluate(_patient(8), "classic", as_of=AS_OF)
    nine = engine.evaluate(_patient(9), "classic", as_of=AS_OF)
    again = engine.evaluate(_patient(8, "other"), "classic", as_of=AS_OF)
    explain = {
        d.patient_id + str(i): next(f for f in d.findings if f.rule_id == "core.severe-pain")
        for i, d in enumerate((eight, nine, again))
    }
    assert explain["P0"].explanation == "pain score 8 ≥ 7"
    assert explain["P1"].explanation == "pain score 9 ≥ 7"
    assert explain["P1"].evidence == {"pain_score": 9}
    assert explain["other2"] == explain["P0"]


def test_evidence_cannot_be_changed_through_a_shared_finding() -> None:
    engine = _engine()
    decision = engine.evaluate(_patient(8), "classic", as_of=AS_OF)
    finding = next(f for f in decision.findings if f.rule_id == "core.severe-pain")
    with pytest.raises(TypeError):
        finding.evidence["pain_score"] = 0  # type: ignore[index]
    later = engine.evaluate(_patient(8), "classic", as_of=AS_OF)
    assert next(f for f in later.findings if f.rule_id == "core.severe-pain").evidence == {
        "pain_score": 8
    }


def test_every_verdict_is_the_strictest_effective_finding() -> None:
    from pathlib import Path

    from herniarules.decide import most_restrictive

    engine = herniarules.Engine()
    root = Path(__file__).resolve().parent.parent / "examples" / "patients"
    checked = 0
    for path in sorted(root.glob("*.json")):
        for decision in engine.assess(herniarules.load_patient(path), as_of=AS_OF).decisions:
            assert decision.outcome == most_restrictive(decision.findings), decision.technique
            assert decision.permitted == (decision.outcome <= herniarules.Outcome(1))
            checked += 1
    assert checked >= 8 * 11


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated=st.lists(patients(with_hernia=None), min_size=1, max_size=6))
def test_findings_explain_what_the_renderer_renders_and_are_kept_rendered(
    generated: list[herniarules.Patient],
) -> None:
    # The engine renders a finding's explanation on its first read; read or not, it is the
    # text the renderer gives for the rule and the patient's facts, and a finding the
    # findings cache keeps has its text in place (its estimate read it), not what renders it.
    engine = herniarules.Engine(entry_points=True)
    rules = {rule.id: rule for rule in engine.rules}
    for patient in [*generated, *generated]:  # the second time, findings are reused
        facts = engine.facts(patient, AS_OF)
        for decision in engine.assess(patient, as_of=AS_OF).decisions:
            for finding in decision.findings:
                rule = rules.get(finding.rule_id)
                if rule is not None:
                    assert finding.explanation == render(rule.when, facts)
    kept = [
        value
        for cache in caches()
        if cache.name == "findings"
        for value in list(cache._data.values())
        if isinstance(value, herniarules.Finding)
    ]
    assert kept  # the second time round, the findings of the first were kept
    for finding in kept:
        assert type(raw_explanation(finding)) is str
