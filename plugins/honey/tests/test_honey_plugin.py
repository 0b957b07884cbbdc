"""Specification of the honey plugin: rules, protocol, parameters and the lengthening course."""

from __future__ import annotations

from datetime import date, timedelta

import herniarules_honey
import pytest
from herniarules_honey import HoneyParameters

import herniarules
from herniarules import (
    Allergy,
    ClinicalStatus,
    Condition,
    Hernia,
    HerniaKind,
    Outcome,
    Patient,
    Phase,
    Region,
    Sex,
    Site,
    Vitals,
)

AS_OF = date(2026, 11, 10)
HONEY_RULES = {"honey.large-hernia", "honey.allergy", "honey.skin-pathology"}


def engine(**kwargs: object) -> herniarules.Engine:
    return herniarules.Engine(entry_points=False, plugins=[herniarules_honey], **kwargs)  # type: ignore[arg-type]


LUMBAR = (Region.LUMBAR, "L4-L5")
CERVICAL = (Region.CERVICAL, "C5-C6")
THORACIC = (Region.THORACIC, "T7-T8")
LUMBOSACRAL = (Region.LUMBOSACRAL, "L5-S1")


def hernia(size_mm: float | None, where: tuple[Region, str] = LUMBAR) -> Hernia:
    return Hernia(where[0], where[1], HerniaKind.PROTRUSION, Phase.REMISSION, size_mm, False)


def patient(
    *hernias: Hernia,
    allergies: tuple[Allergy, ...] = (),
    conditions: tuple[Condition, ...] = (),
) -> Patient:
    """A man in remission with a 4 mm lumbar hernia unless told otherwise: no rule fires."""
    return Patient(
        id="H-1",
        age=40,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=120, diastolic_mmhg=78, temperature_c=36.6, pain_score=1),
        hernias=hernias or (hernia(4.0),),
        inflammatory_process=False,
        allergies=allergies,
        conditions=conditions,
    )


def evaluate(p: Patient) -> herniarules.Decision:
    return engine().evaluate(p, "honey", as_of=AS_OF)


def own(decision: herniarules.Decision) -> dict[str, Outcome]:
    return {f.rule_id: f.outcome for f in decision.findings if f.rule_id.startswith("honey.")}


def test_plugin_declares_honey_for_muscle_weakness() -> None:
    e = engine()
    assert [t.id for t in e.techniques] == ["honey"]
    assert e.technique("honey").indications == ("muscle-weakness",)
    assert {r.id for r in e.rules if not r.is_core} == HONEY_RULES


def test_small_lumbar_hernia_without_contraindications_is_allowed() -> None:
    decision = evaluate(patient())
    assert decision.outcome is Outcome.ALLOWED
    assert own(decision) == {}
    assert decision.protocol is not None


# -- honey.large-hernia --------------------------------------------------------------------


def large_hernia(decision: herniarules.Decision) -> herniarules.Finding:
    return next(f for f in decision.findings if f.rule_id == "honey.large-hernia")


@pytest.mark.parametrize(
    ("size", "where"),
    [
        (9.0, LUMBAR),
        (12.5, LUMBAR),
        (9.0, LUMBOSACRAL),
        (6.0, CERVICAL),
        (7.0, CERVICAL),
        (7.0, THORACIC),
    ],
)
def test_large_hernia_contraindicates_honey(size: float, where: tuple[Region, str]) -> None:
    decision = evaluate(patient(hernia(size, where)))
    assert own(decision) == {"honey.large-hernia": Outcome.CONTRAINDICATED}
    (item,) = large_hernia(decision).evidence["hernias"]
    assert (item["region"], item["level"], item["size_mm"]) == (where[0].value, where[1], size)


@pytest.mark.parametrize(
    ("size", "where"),
    [(8.9, LUMBAR), (8.0, LUMBOSACRAL), (5.9, CERVICAL), (5.0, THORACIC)],
)
def test_hernia_below_the_threshold_of_its_region_is_not_large(
    size: float, where: tuple[Region, str]
) -> None:
    assert "honey.large-hernia" not in own(evaluate(patient(hernia(size, where))))


def test_each_hernia_is_judged_by_the_threshold_of_its_own_region() -> None:
    # 7 mm is below the lumbar threshold, and the cervical hernia is 2 mm: neither is large.
    decision = evaluate(patient(hernia(7.0), hernia(2.0, CERVICAL)))
    assert own(decision) == {}
    assert decision.outcome is Outcome.ALLOWED


def test_finding_names_the_large_hernia_among_several() -> None:
    decision = evaluate(patient(hernia(9.5), hernia(2.0, CERVICAL), hernia(3.0, THORACIC)))
    finding = large_hernia(decision)
    assert [item["level"] for item in finding.evidence["hernias"]] == ["L4-L5"]
    assert finding.explanation.startswith("hernia L4-L5 (lumbar, 9.5 mm): ")
    assert "size (mm) 9.5 ≥ 9" in finding.explanation


def test_unknown_hernia_size_gives_insufficient_data() -> None:
    decision = evaluate(patient(hernia(None)))
    assert own(decision) == {"honey.large-hernia": Outcome.INSUFFICIENT_DATA}
    assert not decision.permitted
    assert "size (mm) of hernia L4-L5 not recorded" in large_hernia(decision).message


def test_one_unmeasured_hernia_among_several_gives_insufficient_data() -> None:
    decision = evaluate(patient(hernia(3.0), hernia(None, CERVICAL)))
    assert own(decision) == {"honey.large-hernia": Outcome.INSUFFICIENT_DATA}
    (item,) = large_hernia(decision).evidence["hernias"]
    assert (item["level"], item["size_mm"]) == ("C5-C6", None)


def test_a_lumbar_hernia_below_the_threshold_beside_an_unmeasured_cervical_one_is_unknown() -> None:
    decision = evaluate(patient(hernia(7.0), hernia(None, CERVICAL)))
    assert own(decision) == {"honey.large-hernia": Outcome.INSUFFICIENT_DATA}
    assert not decision.permitted


def test_a_large_hernia_decides_even_beside_an_unmeasured_one() -> None:
    decision = evaluate(patient(hernia(None), hernia(6.5, CERVICAL)))
    assert own(decision) == {"honey.large-hernia": Outcome.CONTRAINDICATED}
    (item,) = large_hernia(decision).evidence["hernias"]
    assert item["level"] == "C5-C6"


def test_patient_without_a_hernia_is_not_held_back_by_the_size_rule() -> None:
    p = Patient(
        id="H-2",
        age=30,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=120, diastolic_mmhg=78, temperature_c=36.6, pain_score=0),
        inflammatory_process=False,
    )
    decision = evaluate(p)
    assert own(decision) == {}
    assert decision.permitted


# -- honey.allergy -------------------------------------------------------------------------


@pytest.mark.parametrize("substance", ["honey", "propolis", "bee products"])
def test_allergy_to_honey_or_bee_products_contraindicates_honey(substance: str) -> None:
    decision = evaluate(patient(allergies=(Allergy(substance),)))
    assert own(decision) == {"honey.allergy": Outcome.CONTRAINDICATED}


def test_bee_allergy_status_code_contraindicates_honey() -> None:
    code = Condition(ClinicalStatus.ACTIVE, code="Z91.030", system=herniarules.CodeSystem.ICD10_CM)
    assert own(evaluate(patient(conditions=(code,)))) == {"honey.allergy": Outcome.CONTRAINDICATED}


def test_unrelated_allergy_does_not_fire() -> None:
    assert own(evaluate(patient(allergies=(Allergy("penicillin"),)))) == {}


# -- honey.skin-pathology ------------------------------------------------------------------


@pytest.mark.parametrize("code", ["L40.0", "L02.2", "B35.4"])
def test_skin_disease_of_unknown_site_contraindicates_honey(code: str) -> None:
    decision = evaluate(patient(conditions=(Condition(ClinicalStatus.ACTIVE, code=code),)))
    assert own(decision) == {"honey.skin-pathology": Outcome.CONTRAINDICATED}
    finding = next(f for f in decision.findings if f.rule_id == "honey.skin-pathology")
    assert finding.site is None
    assert decision.outcome is Outcome.CONTRAINDICATED


def test_skin_disease_on_the_back_contraindicates_honey() -> None:
    on_back = Condition(ClinicalStatus.ACTIVE, code="L40.0", site=Site.LUMBAR)
    decision = evaluate(patient(conditions=(on_back,)))
    assert own(decision) == {"honey.skin-pathology": Outcome.CONTRAINDICATED}
    assert decision.outcome is Outcome.CONTRAINDICATED


def test_skin_disease_on_the_legs_lets_honey_go_ahead_avoiding_the_legs() -> None:
    on_legs = Condition(ClinicalStatus.ACTIVE, code="L40.0", site=Site.LEGS)
    decision = evaluate(patient(conditions=(on_legs,)))
    assert own(decision) == {"honey.skin-pathology": Outcome.ALLOWED_WITH_MODIFICATIONS}
    assert decision.outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    assert decision.permitted
    assert decision.protocol is not None
    assert any(area.startswith("legs:") for area in decision.protocol.avoid)
    finding = next(f for f in decision.findings if f.rule_id == "honey.skin-pathology")
    assert finding.site == "legs"
    assert "outside the area" in finding.message


def test_resolved_skin_disease_does_not_fire() -> None:
    resolved = Condition(ClinicalStatus.RESOLVED, code="L40.0")
    assert own(evaluate(patient(conditions=(resolved,)))) == {}


# -- protocol ------------------------------------------------------------------------------


def protocol(**kwargs: object) -> herniarules.Protocol:
    result = engine(**kwargs).evaluate(patient(), "honey", as_of=AS_OF).protocol
    assert result is not None
    return result


def test_protocol_follows_the_sources_honey_technique() -> None:
    p = protocol()
    assert [s.name for s in p.steps] == [
        "warm-up",
        "honey application",
        "light massage",
        "palm tear-off",
    ]
    warm_up, application, massage, tear_off = p.steps
    assert "stroking and light rubbing" in warm_up.description
    assert "without force" in warm_up.description
    assert "thick layer" in application.description
    assert "smooth and soft" in massage.description and "no pressing" in massage.description
    assert "tear it off" in tear_off.description and "absorbed" in tear_off.description
    assert p.pressure.startswith("none")
    assert "pressing on problem areas" in p.avoid
    assert p.session_minutes == (5, 30)
    assert p.course_sessions == (10, 20)


def test_clinic_parameters_shape_the_protocol() -> None:
    strict = HoneyParameters(first_session_minutes=3, max_session_minutes=20)
    assert protocol(parameters={"honey": strict}).session_minutes == (3, 20)


# -- parameters ----------------------------------------------------------------------------


def test_parameter_defaults() -> None:
    p = HoneyParameters()
    assert (p.first_session_minutes, p.daily_increment_minutes, p.max_session_minutes) == (5, 5, 30)
    assert (p.course_sessions_min, p.course_sessions_max, p.break_days) == (10, 20, 60)


def test_a_clinic_may_tighten_the_parameters() -> None:
    p = HoneyParameters(
        first_session_minutes=3,
        daily_increment_minutes=2,
        max_session_minutes=15,
        course_sessions_max=12,
        break_days=90,
    )
    assert [p.session_minutes(n) for n in (1, 2, 7, 8)] == [3, 5, 15, 15]


@pytest.mark.parametrize(
    "changes",
    [
        {"first_session_minutes": 2},
        {"first_session_minutes": 15},
        {"daily_increment_minutes": 0},
        {"daily_increment_minutes": 10},
        {"max_session_minutes": 31},
        {"course_sessions_min": 5},
        {"course_sessions_max": 25},
        {"break_days": 30},
        {"pressure": "firm"},
        {"first_session_minutes": 10, "max_session_minutes": 8},
        {"course_sessions_min": 15, "course_sessions_max": 12},
    ],
)
def test_parameters_beyond_the_limits_are_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        HoneyParameters(**changes)  # type: ignore[arg-type]


def test_session_number_starts_at_one() -> None:
    with pytest.raises(ValueError):
        HoneyParameters().session_minutes(0)


# -- course plan ---------------------------------------------------------------------------


def test_course_starts_at_a_few_minutes_and_lengthens_daily_to_the_maximum() -> None:
    start = date(2026, 12, 1)
    plan = engine().plan_course(patient(), "honey", start, as_of=AS_OF)
    assert [s.date for s in plan.sessions] == [start + timedelta(days=i) for i in range(10)]
    assert [s.minutes for s in plan.sessions] == [5, 10, 15, 20, 25, 30, 30, 30, 30, 30]
    assert plan.next_course_earliest == plan.last_session + timedelta(days=60)


def test_clinic_parameters_shape_the_course() -> None:
    strict = HoneyParameters(
        first_session_minutes=3, daily_increment_minutes=3, max_session_minutes=12, break_days=75
    )
    plan = engine(parameters={"honey": strict}).plan_course(
        patient(), "honey", date(2026, 12, 1), as_of=AS_OF
    )
    minutes = [s.minutes for s in plan.sessions]
    assert minutes[:5] == [3, 6, 9, 12, 12]
    assert minutes == sorted(minutes) and max(minutes) == 12
    assert plan.next_course_earliest == plan.last_session + timedelta(days=75)


def test_course_is_refused_for_a_large_hernia() -> None:
    with pytest.raises(herniarules.NotPermittedError) as info:
        engine().plan_course(patient(hernia(10.0)), "honey", date(2026, 12, 1), as_of=AS_OF)
    assert "honey.large-hernia" in str(info.value)
