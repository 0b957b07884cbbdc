"""Acupressure needs a doctor's approval, never overrides the core, and stays gentle."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import herniarules_acupressure as plugin
import pytest
from herniarules_acupressure import AcupressureParameters

from herniarules import (
    Clearance,
    ClinicalStatus,
    Condition,
    Engine,
    Hernia,
    HerniaKind,
    Medication,
    Outcome,
    Patient,
    Phase,
    Region,
    Sex,
    Vitals,
)

TODAY = date(2025, 3, 3)
APPROVAL = "acupressure.physician-approval"


def patient(
    *,
    phase: Phase = Phase.REMISSION,
    region: Region = Region.LUMBAR,
    level: str = "L4-L5",
    clearances: tuple[Clearance, ...] = (),
    medications: tuple[Medication, ...] = (),
    conditions: tuple[Condition, ...] = (),
) -> Patient:
    """Return a man in good general health with one small protrusion."""
    return Patient(
        id="ACU-1",
        age=45,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=125, diastolic_mmhg=80, temperature_c=36.6, pain_score=2),
        hernias=(Hernia(region, level, HerniaKind.PROTRUSION, phase, 4.0, False),),
        inflammatory_process=False,
        clearances=clearances,
        medications=medications,
        conditions=conditions,
    )


def clearance(technique: str = "acupressure", **kwargs: object) -> Clearance:
    values: dict[str, object] = {
        "technique": technique,
        "physician": "Dr. Ivanova",
        "date": TODAY - timedelta(days=7),
    }
    values.update(kwargs)
    return Clearance(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(plugins=[plugin], entry_points=False)


def test_plugin_loads_and_declares_acupressure(engine: Engine) -> None:
    assert [p.error for p in engine.plugins] == [None]
    technique = engine.technique("acupressure")
    assert set(technique.indications) == {"pain-relief", "muscle-relaxation"}
    assert isinstance(technique.parameters, AcupressureParameters)
    assert "acupressure" in technique.source


def test_without_clearance_acupressure_requires_a_doctors_approval(engine: Engine) -> None:
    decision = engine.evaluate(patient(), "acupressure", as_of=TODAY)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert not decision.permitted
    assert decision.protocol is None
    approval = [f for f in decision.findings if f.rule_id == APPROVAL]
    assert len(approval) == 1
    assert "approved by a doctor" in approval[0].source


def test_valid_clearance_satisfies_the_approval(engine: Engine) -> None:
    decision = engine.evaluate(patient(clearances=(clearance(),)), "acupressure", as_of=TODAY)
    assert decision.permitted
    assert decision.protocol is not None
    (approval,) = [f for f in decision.findings if f.rule_id == APPROVAL]
    assert approval.cleared_by == "Dr. Ivanova"
    assert approval.effective_outcome is Outcome.ALLOWED


def test_expired_clearance_does_not_satisfy_the_approval(engine: Engine) -> None:
    expired = clearance(date=TODAY - timedelta(days=90), valid_until=TODAY - timedelta(days=1))
    decision = engine.evaluate(patient(clearances=(expired,)), "acupressure", as_of=TODAY)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert not decision.permitted


def test_clearance_dated_after_the_visit_does_not_count(engine: Engine) -> None:
    future = clearance(date=TODAY + timedelta(days=1))
    decision = engine.evaluate(patient(clearances=(future,)), "acupressure", as_of=TODAY)
    assert not decision.permitted


def test_clearance_for_another_technique_does_not_satisfy_the_approval(engine: Engine) -> None:
    other = clearance(technique="classic")
    decision = engine.evaluate(patient(clearances=(other,)), "acupressure", as_of=TODAY)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert not decision.permitted


@pytest.mark.parametrize("phase", [Phase.ACUTE, Phase.EXACERBATION])
def test_clearance_never_lifts_the_acute_stage_deferral(engine: Engine, phase: Phase) -> None:
    decision = engine.evaluate(
        patient(phase=phase, clearances=(clearance(),)), "acupressure", as_of=TODAY
    )
    assert decision.outcome is Outcome.DEFER
    assert not decision.permitted
    assert decision.protocol is None


def test_clearance_never_lifts_a_contraindication(engine: Engine) -> None:
    cancer = Condition(ClinicalStatus.ACTIVE, code="C34.1")
    decision = engine.evaluate(
        patient(clearances=(clearance(),), conditions=(cancer,)), "acupressure", as_of=TODAY
    )
    assert decision.outcome is Outcome.CONTRAINDICATED


def test_anticoagulant_therapy_is_flagged_for_the_approving_doctor(engine: Engine) -> None:
    on_warfarin = (Medication("anticoagulant", "warfarin"),)
    flagged = engine.evaluate(patient(medications=on_warfarin), "acupressure", as_of=TODAY)
    assert "acupressure.anticoagulant-therapy" in {f.rule_id for f in flagged.findings}
    plain = engine.evaluate(patient(), "acupressure", as_of=TODAY)
    assert "acupressure.anticoagulant-therapy" not in {f.rule_id for f in plain.findings}


def test_protocol_is_gentle_avoids_the_spine_and_fits_the_session(engine: Engine) -> None:
    decision = engine.evaluate(patient(clearances=(clearance(),)), "acupressure", as_of=TODAY)
    protocol = decision.protocol
    assert protocol is not None
    defaults = AcupressureParameters()
    assert protocol.session_minutes == (defaults.session_minutes_min, 15.0)
    assert protocol.course_sessions == (10, 12)
    assert [s.name for s in protocol.steps] == ["warm-up", "point pressure", "closing"]
    assert protocol.steps[0].pressure == "none"
    assert sum(s.minutes or 0 for s in protocol.steps) <= protocol.session_minutes[1]
    assert any("spinous processes" in a for a in protocol.avoid)
    assert any("hernia" in a for a in protocol.avoid)
    assert any("approved by a doctor" in n for n in protocol.notes)
    assert "lower back" in protocol.steps[1].description


def test_protocol_follows_the_hernia_region(engine: Engine) -> None:
    neck = patient(region=Region.CERVICAL, level="C5-C6", clearances=(clearance(),))
    protocol = engine.evaluate(neck, "acupressure", as_of=TODAY).protocol
    assert protocol is not None
    assert "neck" in protocol.steps[1].description
    assert "lower back" not in protocol.steps[1].description


def test_clinic_may_shorten_sessions_and_the_protocol_follows() -> None:
    strict = AcupressureParameters(
        session_minutes_min=8, session_minutes_max=10, course_sessions_max=10
    )
    engine = Engine(plugins=[plugin], entry_points=False, parameters={"acupressure": strict})
    protocol = engine.evaluate(patient(clearances=(clearance(),)), "acupressure", as_of=TODAY)
    assert protocol.protocol is not None
    assert protocol.protocol.session_minutes == (8, 10)
    assert protocol.protocol.course_sessions == (10, 10)
    assert sum(s.minutes or 0 for s in protocol.protocol.steps) <= 10
    assert protocol.protocol.parameters["session_minutes_max"] == 10


@pytest.mark.parametrize(
    "changes",
    [
        {"session_minutes_max": 16},
        {"course_sessions_max": 13},
        {"seconds_per_point": 90},
        {"session_minutes_min": 0},
        {"course_sessions_min": True},
        {"session_minutes_min": 15, "session_minutes_max": 12},
        {"course_sessions_min": 12, "course_sessions_max": 11},
    ],
)
def test_parameters_can_only_be_tightened(changes: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        attrs.evolve(AcupressureParameters(), **changes)


def test_course_plan_uses_the_protocols_fewest_sessions() -> None:
    engine = Engine(plugins=[plugin], entry_points=False)
    plan = engine.plan_course(patient(clearances=(clearance(),)), "acupressure", TODAY)
    assert len(plan.sessions) == AcupressureParameters().course_sessions_min
    assert all(s.minutes <= 15 for s in plan.sessions)
    assert plan.sessions[0].date == TODAY
