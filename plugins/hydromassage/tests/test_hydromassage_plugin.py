"""Hydromassage needs a doctor's approval, never overrides the core, and keeps the jet gentle."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import herniarules_hydromassage as plugin
import pytest
from herniarules_hydromassage import HydromassageParameters

from herniarules import (
    Clearance,
    ClinicalStatus,
    Condition,
    Engine,
    Hernia,
    HerniaKind,
    NotPermittedError,
    Outcome,
    Patient,
    Phase,
    Policy,
    Region,
    Sex,
    Vitals,
)

TODAY = date(2025, 3, 3)
APPROVAL = "hydromassage.physician-approval"


def patient(
    *,
    phase: Phase = Phase.REMISSION,
    region: Region = Region.LUMBAR,
    level: str = "L4-L5",
    clearances: tuple[Clearance, ...] = (),
    conditions: tuple[Condition, ...] = (),
) -> Patient:
    """Return a man in good general health with one small protrusion."""
    return Patient(
        id="HYD-1",
        age=45,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=125, diastolic_mmhg=80, temperature_c=36.6, pain_score=2),
        hernias=(Hernia(region, level, HerniaKind.PROTRUSION, phase, 4.0, False),),
        inflammatory_process=False,
        clearances=clearances,
        conditions=conditions,
    )


def clearance(technique: str = "hydromassage", **kwargs: object) -> Clearance:
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


def test_plugin_loads_and_declares_hydromassage(engine: Engine) -> None:
    assert [p.error for p in engine.plugins] == [None]
    technique = engine.technique("hydromassage")
    assert set(technique.indications) == {"muscle-relaxation", "circulation"}
    assert isinstance(technique.parameters, HydromassageParameters)
    assert "hydromassage" in technique.source


def test_without_clearance_hydromassage_requires_a_doctors_approval(engine: Engine) -> None:
    decision = engine.evaluate(patient(), "hydromassage", as_of=TODAY)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert not decision.permitted
    assert decision.protocol is None
    approval = [f for f in decision.findings if f.rule_id == APPROVAL]
    assert len(approval) == 1
    assert "approved by a doctor" in approval[0].source


def test_valid_clearance_satisfies_the_approval(engine: Engine) -> None:
    decision = engine.evaluate(patient(clearances=(clearance(),)), "hydromassage", as_of=TODAY)
    assert decision.permitted
    assert decision.protocol is not None
    (approval,) = [f for f in decision.findings if f.rule_id == APPROVAL]
    assert approval.cleared_by == "Dr. Ivanova"
    assert approval.effective_outcome is Outcome.ALLOWED


def test_expired_clearance_does_not_satisfy_the_approval(engine: Engine) -> None:
    expired = clearance(date=TODAY - timedelta(days=90), valid_until=TODAY - timedelta(days=1))
    decision = engine.evaluate(patient(clearances=(expired,)), "hydromassage", as_of=TODAY)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert not decision.permitted


def test_clearance_dated_after_the_visit_does_not_count(engine: Engine) -> None:
    future = clearance(date=TODAY + timedelta(days=1))
    decision = engine.evaluate(patient(clearances=(future,)), "hydromassage", as_of=TODAY)
    assert not decision.permitted


def test_clearance_for_another_technique_does_not_satisfy_the_approval(engine: Engine) -> None:
    other = clearance(technique="classic")
    decision = engine.evaluate(patient(clearances=(other,)), "hydromassage", as_of=TODAY)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert not decision.permitted


@pytest.mark.parametrize("phase", [Phase.ACUTE, Phase.EXACERBATION])
def test_clearance_never_lifts_the_acute_stage_deferral(engine: Engine, phase: Phase) -> None:
    decision = engine.evaluate(
        patient(phase=phase, clearances=(clearance(),)), "hydromassage", as_of=TODAY
    )
    assert decision.outcome is Outcome.DEFER
    assert not decision.permitted
    assert decision.protocol is None


def test_clearance_never_lifts_a_contraindication(engine: Engine) -> None:
    cancer = Condition(ClinicalStatus.ACTIVE, code="C34.1")
    decision = engine.evaluate(
        patient(clearances=(clearance(),), conditions=(cancer,)), "hydromassage", as_of=TODAY
    )
    assert decision.outcome is Outcome.CONTRAINDICATED


@pytest.mark.parametrize("code", ["S31.0", "s21.1", "T14.1"])
def test_open_wound_defers_hydromassage_even_with_clearance(engine: Engine, code: str) -> None:
    wound = Condition(ClinicalStatus.ACTIVE, code=code)
    decision = engine.evaluate(
        patient(clearances=(clearance(),), conditions=(wound,)), "hydromassage", as_of=TODAY
    )
    assert decision.outcome is Outcome.DEFER
    assert "hydromassage.open-wound" in {f.rule_id for f in decision.findings}


def test_healed_wound_and_unrelated_injury_do_not_defer(engine: Engine) -> None:
    healed = Condition(ClinicalStatus.RESOLVED, code="S31.0")
    sprain = Condition(ClinicalStatus.ACTIVE, code="S33.5")  # lumbar sprain, skin intact
    decision = engine.evaluate(
        patient(clearances=(clearance(),), conditions=(healed, sprain)), "hydromassage", as_of=TODAY
    )
    assert decision.permitted


def test_open_wound_rule_is_limited_to_hydromassage(engine: Engine) -> None:
    (rule,) = [r for r in engine.rules if r.id == "hydromassage.open-wound"]
    assert rule.techniques == frozenset({"hydromassage"})


def test_protocol_keeps_the_jet_gentle_and_off_the_spine(engine: Engine) -> None:
    decision = engine.evaluate(patient(clearances=(clearance(),)), "hydromassage", as_of=TODAY)
    protocol = decision.protocol
    assert protocol is not None
    assert protocol.session_minutes == (10.0, 20.0)
    assert protocol.course_sessions == (10, 15)
    assert [s.name for s in protocol.steps] == ["immersion", "underwater jet massage", "rest"]
    assert sum(s.minutes or 0 for s in protocol.steps) <= protocol.session_minutes[1]
    assert "35-37 °C" in protocol.steps[0].description
    assert "at most 2 atm" in protocol.pressure
    assert any("spinous processes" in a for a in protocol.avoid)
    assert any("hernia" in a for a in protocol.avoid)
    assert any("approved by a doctor" in n for n in protocol.notes)


def test_clinic_may_shorten_sessions_and_the_protocol_follows() -> None:
    strict = HydromassageParameters(
        session_minutes_min=8,
        session_minutes_max=10,
        course_sessions_max=10,
        water_temperature_c_max=36,
        jet_pressure_atm_max=1.5,
    )
    engine = Engine(plugins=[plugin], entry_points=False, parameters={"hydromassage": strict})
    protocol = engine.evaluate(patient(clearances=(clearance(),)), "hydromassage", as_of=TODAY)
    assert protocol.protocol is not None
    assert protocol.protocol.session_minutes == (8, 10)
    assert protocol.protocol.course_sessions == (10, 10)
    assert sum(s.minutes or 0 for s in protocol.protocol.steps) <= 10
    assert protocol.protocol.parameters["session_minutes_max"] == 10
    assert "35-36 °C" in protocol.protocol.steps[0].description
    assert "at most 1.5 atm" in protocol.protocol.pressure


@pytest.mark.parametrize(
    "changes",
    [
        {"session_minutes_max": 21},
        {"course_sessions_max": 16},
        {"water_temperature_c_max": 38},
        {"water_temperature_c_min": 34},
        {"water_temperature_c_min": 37, "water_temperature_c_max": 36},
        {"jet_pressure_atm_max": 3},
        {"spacing_days": 1},
        {"session_minutes_min": 0},
        {"course_sessions_min": True},
        {"session_minutes_min": 18, "session_minutes_max": 16},
        {"course_sessions_min": 12, "course_sessions_max": 11},
    ],
)
def test_parameters_can_only_be_tightened(changes: dict[str, object]) -> None:
    with pytest.raises((ValueError, TypeError)):
        attrs.evolve(HydromassageParameters(), **changes)


def test_course_runs_every_other_day() -> None:
    engine = Engine(plugins=[plugin], entry_points=False)
    plan = engine.plan_course(patient(clearances=(clearance(),)), "hydromassage", TODAY)
    assert len(plan.sessions) == HydromassageParameters().course_sessions_min
    gaps = {(b.date - a.date).days for a, b in zip(plan.sessions, plan.sessions[1:], strict=False)}
    assert gaps == {2}
    assert plan.start == TODAY
    assert plan.end == TODAY + timedelta(days=2 * (len(plan.sessions) - 1))
    assert all(s.minutes <= 20 for s in plan.sessions)
    assert plan.next_course_earliest == plan.end + timedelta(
        days=engine.policy.min_course_break_days
    )


def test_clinic_spacing_is_followed() -> None:
    strict = HydromassageParameters(spacing_days=3)
    engine = Engine(plugins=[plugin], entry_points=False, parameters={"hydromassage": strict})
    plan = engine.plan_course(patient(clearances=(clearance(),)), "hydromassage", TODAY)
    assert plan.sessions[1].date - plan.sessions[0].date == timedelta(days=3)


def test_clinic_break_between_courses_is_followed() -> None:
    engine = Engine(plugins=[plugin], entry_points=False, policy=Policy(min_course_break_days=90))
    plan = engine.plan_course(patient(clearances=(clearance(),)), "hydromassage", TODAY)
    assert plan.next_course_earliest == plan.end + timedelta(days=90)


def test_no_course_is_planned_without_clearance() -> None:
    engine = Engine(plugins=[plugin], entry_points=False)
    with pytest.raises(NotPermittedError) as refused:
        engine.plan_course(patient(), "hydromassage", TODAY)
    assert APPROVAL in str(refused.value)
