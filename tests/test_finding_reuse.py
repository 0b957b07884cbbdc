"""Findings are immutable values: equal inputs may share one, different inputs never do."""

from __future__ import annotations

from datetime import date

import pytest

import herniarules

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
