"""What would change the answer: lapse days, thresholds and clearances, checked by the engine."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herniarules import Engine, Outcome, Patient, Policy
from herniarules.outlook import (
    DATA,
    NO_CHANGE,
    PERMITTED,
    TIME,
    VALUE,
    Change,
    DecisionOutlook,
    Threshold,
    outlook,
)
from herniarules.testing import strategies
from tests.conftest import AS_OF, TechniquePlugin, build_engine, build_patient

BLOCKING = Outcome.ALLOWED_WITH_MODIFICATIONS


@pytest.fixture(scope="module")
def engine() -> Engine:
    return build_engine()


@pytest.fixture(scope="module")
def installed() -> Engine:
    """The engine with every installed plugin, as the command line builds it."""
    return Engine()


def _probe(engine: Engine, patient: Patient, day: date = AS_OF) -> DecisionOutlook:
    return outlook(engine, patient, as_of=day).decision("probe")


def _blocking_ids(engine: Engine, patient: Patient, technique: str, day: date) -> set[str]:
    decision = engine.evaluate(patient, technique, as_of=day)
    return {f.rule_id for f in decision.findings if f.effective_outcome > BLOCKING}


# -- time ---------------------------------------------------------------------------------------


def test_a_course_break_lapses_sixty_days_after_the_course_ended(engine: Engine) -> None:
    end = AS_OF - timedelta(days=11)
    patient = build_patient(massage_courses=[{"end_date": end.isoformat()}])
    ahead = _probe(engine, patient)
    assert ahead.status == TIME
    (change,) = ahead.changes
    assert change.rule_id == "core.course-break"
    assert change.lapses_on == end + timedelta(days=60)
    assert ahead.earliest_day == ahead.bookable_on == end + timedelta(days=60)
    assert change.clearance == "probe"
    assert ahead.lifts_when == ("a physician's clearance for probe is recorded",)


def test_a_stricter_policy_moves_the_first_bookable_day(make_engine: Any) -> None:
    strict = make_engine(policy=Policy(min_course_break_days=90))
    end = AS_OF - timedelta(days=11)
    patient = build_patient(massage_courses=[{"end_date": end.isoformat()}])
    assert _probe(strict, patient).bookable_on == end + timedelta(days=90)


def test_recent_surgery_defers_for_the_healing_period_then_needs_clearance(
    engine: Engine,
) -> None:
    operated = AS_OF - timedelta(days=5)
    patient = build_patient(surgeries=[{"date": operated.isoformat()}])
    ahead = _probe(engine, patient)
    by_rule = {c.rule_id: c for c in ahead.changes}
    assert by_rule["core.spinal-surgery-healing"].lapses_on == operated + timedelta(days=14)
    assert by_rule["core.spinal-surgery-healing"].clearance is None
    assert by_rule["core.spinal-surgery-rehabilitation"].lapses_on == operated + timedelta(days=90)
    assert ahead.bookable_on == operated + timedelta(days=90)
    assert ahead.status == TIME


def test_a_clearance_dated_later_lifts_the_break_on_its_date(engine: Engine) -> None:
    end = AS_OF - timedelta(days=11)
    signed = AS_OF + timedelta(days=4)
    patient = build_patient(
        massage_courses=[{"end_date": end.isoformat()}],
        clearances=[{"technique": "probe", "physician": "Dr. B", "date": signed.isoformat()}],
    )
    ahead = _probe(engine, patient)
    assert ahead.changes[0].lapses_on == signed
    assert ahead.bookable_on == signed


def test_a_short_clearance_dated_later_makes_its_first_day_bookable(engine: Engine) -> None:
    end = AS_OF - timedelta(days=11)
    first, last = AS_OF + timedelta(days=2), AS_OF + timedelta(days=3)
    patient = build_patient(
        massage_courses=[{"end_date": end.isoformat()}],
        clearances=[
            {
                "technique": "probe",
                "physician": "Dr. B",
                "date": first.isoformat(),
                "valid_until": last.isoformat(),
            }
        ],
    )
    ahead = _probe(engine, patient)
    assert ahead.changes[0].lapses_on == first
    assert ahead.bookable_on == first
    # Once the clearance has run out, the break applies again until it is over.
    later = _probe(engine, patient, last + timedelta(days=1))
    assert later.bookable_on == end + timedelta(days=60)


# -- values -------------------------------------------------------------------------------------


def test_pain_names_the_score_that_lifts_it(engine: Engine) -> None:
    patient = build_patient(
        vitals={"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 36.6, "pain_score": 8}
    )
    ahead = _probe(engine, patient)
    assert ahead.status == VALUE
    thresholds = {c.rule_id: c.thresholds for c in ahead.changes}
    assert thresholds["core.pain-not-eliminated"] == (Threshold("pain_score", "<=", 3),)
    assert thresholds["core.severe-pain"] == (Threshold("pain_score", "<=", 6),)
    # The two pain thresholds merge into the stricter one.
    assert ahead.lifts_when == ("pain score is 3 or below",)
    assert ahead.bookable_on is None and ahead.earliest_day is None


def test_a_raised_temperature_and_blood_pressure_name_their_bounds(engine: Engine) -> None:
    patient = build_patient(
        vitals={"systolic_mmhg": 165, "diastolic_mmhg": 80, "temperature_c": 37.8, "pain_score": 1}
    )
    ahead = _probe(engine, patient)
    assert set(ahead.lifts_when) == {
        "body temperature (°C) is below 37.5",
        "blood-pressure grade is 1 or below",
    }


def test_a_stricter_policy_gives_a_stricter_threshold(make_engine: Any) -> None:
    strict = make_engine(policy=Policy(residual_pain_max=1))
    patient = build_patient(
        vitals={"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 36.6, "pain_score": 5}
    )
    assert _probe(strict, patient).lifts_when == ("pain score is 1 or below",)


def test_a_threshold_lifts_the_rule_when_the_patient_has_that_value(engine: Engine) -> None:
    vitals = {"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 36.6, "pain_score": 8}
    ahead = _probe(engine, build_patient(vitals=vitals))
    assert ahead.lifts_when == ("pain score is 3 or below",)
    lifted = build_patient(vitals={**vitals, "pain_score": 3})
    assert engine.evaluate(lifted, "probe", as_of=AS_OF).permitted
    still = build_patient(vitals={**vitals, "pain_score": 4})
    assert not engine.evaluate(still, "probe", as_of=AS_OF).permitted


def test_missing_values_are_named_and_nothing_is_promised(engine: Engine) -> None:
    patient = build_patient(vitals={"temperature_c": 36.6})
    ahead = _probe(engine, patient)
    assert ahead.status == DATA
    assert "pain score is recorded" in ahead.lifts_when
    assert ahead.text().startswith("may change once:")


# -- never suggest what the core forbids ---------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "rule_id"),
    [("acute", "core.acute-phase"), ("exacerbation", "core.exacerbation")],
)
def test_the_acute_stage_and_an_exacerbation_get_no_change_and_no_suggestion(
    engine: Engine, phase: str, rule_id: str
) -> None:
    def acute(data: dict[str, Any]) -> None:
        data["hernias"][0]["phase"] = phase
        data["vitals"]["pain_score"] = 8
        data["massage_courses"] = [{"end_date": (AS_OF - timedelta(days=3)).isoformat()}]

    ahead = _probe(engine, build_patient(acute))
    assert ahead.status == NO_CHANGE
    assert ahead.lifts_when == ()
    assert ahead.bookable_on is None and ahead.earliest_day is None
    lasting = [c for c in ahead.changes if c.lasting]
    assert [c.rule_id for c in lasting] == [rule_id]
    for change in ahead.changes:
        assert change.thresholds == () and change.clearance is None and change.record == ()
    assert "pain score" not in ahead.text() and "clearance" not in ahead.text()


@pytest.mark.parametrize(
    ("fields", "rule_id"),
    [
        ({"conditions": [{"code": "C61", "status": "active"}]}, "core.malignancy"),
        ({"sex": "female", "pregnant": True}, "core.pregnancy"),
        ({"inflammatory_process": True}, "core.inflammatory-process"),
    ],
)
def test_lasting_contraindications_get_no_change(
    engine: Engine, fields: dict[str, Any], rule_id: str
) -> None:
    ahead = _probe(engine, build_patient(**fields))
    assert ahead.status == NO_CHANGE
    assert rule_id in {c.rule_id for c in ahead.changes if c.lasting}
    assert ahead.lifts_when == ()


def test_a_permitted_technique_has_nothing_to_change(engine: Engine) -> None:
    ahead = _probe(engine, build_patient())
    assert ahead.status == PERMITTED and ahead.changes == () and ahead.text() == "permitted"


def test_a_failing_plugin_is_lasting(make_engine: Any) -> None:
    broken = make_engine(TechniquePlugin(fail_in="protocol"))
    ahead = _probe(broken, build_patient())
    assert ahead.status == NO_CHANGE


# -- the API ------------------------------------------------------------------------------------


def test_a_given_assessment_is_used_and_must_match(engine: Engine) -> None:
    patient = build_patient()
    assessment = engine.assess(patient, as_of=AS_OF)
    assert outlook(engine, patient, assessment=assessment).as_of == AS_OF
    with pytest.raises(ValueError, match="another patient or another day"):
        outlook(engine, patient, as_of=AS_OF + timedelta(days=1), assessment=assessment)
    with pytest.raises(ValueError, match="another patient"):
        outlook(engine, build_patient(id="OTHER"), assessment=assessment)


def test_the_outlook_as_data_has_every_field(engine: Engine) -> None:
    end = AS_OF - timedelta(days=11)
    patient = build_patient(massage_courses=[{"end_date": end.isoformat()}])
    data = outlook(engine, patient, as_of=AS_OF).to_dict()
    (probe,) = data["decisions"]
    assert probe["bookable_on"] == (end + timedelta(days=60)).isoformat()
    assert probe["status"] == TIME
    assert probe["changes"][0]["rule_id"] == "core.course-break"
    assert probe["changes"][0]["lasting"] is False


def test_only_the_named_techniques_are_looked_at(installed: Engine) -> None:
    patient = build_patient()
    ahead = outlook(installed, patient, as_of=AS_OF, techniques=["classic"])
    assert [d.technique for d in ahead.decisions] == ["classic"]


def test_change_text_says_no_change_when_nothing_lifts_it() -> None:
    assert Change("core.malignancy", Outcome.CONTRAINDICATED).text() == (
        "no change by time or by a value"
    )


# -- checked by the engine, for any patient ------------------------------------------------------


def _check_time(engine: Engine, patient: Patient) -> None:
    day = strategies.AS_OF
    for ahead in outlook(engine, patient, as_of=day).decisions:
        if ahead.status == NO_CHANGE:
            assert ahead.lifts_when == () and ahead.bookable_on is None
            assert all(c.thresholds == () and c.clearance is None for c in ahead.changes)
        for change in ahead.changes:
            if change.lapses_on is None:
                continue
            on = change.lapses_on
            assert on > day
            assert change.rule_id not in _blocking_ids(engine, patient, ahead.technique, on)
            before = on - timedelta(days=1)
            assert change.rule_id in _blocking_ids(engine, patient, ahead.technique, before)
        if ahead.bookable_on is not None:
            on = ahead.bookable_on
            assert engine.evaluate(patient, ahead.technique, as_of=on).permitted
            before = on - timedelta(days=1)
            assert not engine.evaluate(patient, ahead.technique, as_of=before).permitted


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient=strategies.patients(), recent=st.integers(0, 120))
def test_every_lapse_day_is_the_first_day_the_rule_stops_blocking(
    installed: Engine, patient: Patient, recent: int
) -> None:
    # Bring the latest course or surgery near the assessment day, where the rules are timed.
    import attrs

    from herniarules import MassageCourse, Surgery

    day = strategies.AS_OF - timedelta(days=recent)
    patient = attrs.evolve(
        patient,
        massage_courses=(*patient.massage_courses, MassageCourse(end_date=day)),
        surgeries=(Surgery(date=day - timedelta(days=recent // 3)),) if recent % 2 else (),
    )
    _check_time(installed, patient)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient=strategies.patients(clean=True), recent=st.integers(0, 100))
def test_a_clean_patient_after_a_course_is_bookable_on_the_offered_day(
    installed: Engine, patient: Patient, recent: int
) -> None:
    import attrs

    from herniarules import MassageCourse

    end = strategies.AS_OF - timedelta(days=recent)
    patient = attrs.evolve(patient, massage_courses=(MassageCourse(end_date=end),))
    _check_time(installed, patient)
    ahead = outlook(installed, patient, as_of=strategies.AS_OF, techniques=["classic"])
    classic = ahead.decision("classic")
    if recent < 60:
        assert classic.bookable_on == end + timedelta(days=60)
    else:
        assert classic.status == PERMITTED


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patient=strategies.patients(complete=True))
def test_a_pain_or_temperature_threshold_lifts_its_rule_for_the_patient(
    installed: Engine, patient: Patient
) -> None:
    import attrs

    day = strategies.AS_OF
    for ahead in outlook(installed, patient, as_of=day).decisions:
        for change in ahead.changes:
            for threshold in change.thresholds:
                if threshold.fact not in ("pain_score", "temperature_c"):
                    continue
                value = threshold.value
                if threshold.op == "<":
                    value = value - (1 if threshold.fact == "pain_score" else 0.1)
                changed: dict[str, Any] = {threshold.fact: value}
                vitals = attrs.evolve(patient.vitals, **changed)
                lifted = attrs.evolve(patient, vitals=vitals)
                blocking = _blocking_ids(installed, lifted, ahead.technique, day)
                assert change.rule_id not in blocking, (threshold, change)
