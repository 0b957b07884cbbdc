"""Specification of the vacuum plugin: cupping rules, protocol, parameters and course."""

from __future__ import annotations

from datetime import date, timedelta

import herniarules_vacuum
import pytest
from herniarules_vacuum import VacuumParameters

import herniarules
from herniarules import (
    ClinicalStatus,
    Condition,
    Hernia,
    HerniaKind,
    Medication,
    Outcome,
    Patient,
    Phase,
    Region,
    Sex,
    Site,
    Vitals,
)

AS_OF = date(2026, 11, 10)
VACUUM_RULES = {
    "vacuum.anticoagulant-therapy",
    "vacuum.unclassified-medication",
    "vacuum.varicose-veins",
    "vacuum.skin-pathology",
}


def engine(**kwargs: object) -> herniarules.Engine:
    return herniarules.Engine(entry_points=False, plugins=[herniarules_vacuum], **kwargs)  # type: ignore[arg-type]


def patient(
    *, medications: tuple[Medication, ...] = (), conditions: tuple[Condition, ...] = ()
) -> Patient:
    """A man in remission with a small lumbar hernia: no rule fires unless a test adds one."""
    return Patient(
        id="V-1",
        age=50,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=124, diastolic_mmhg=80, temperature_c=36.6, pain_score=1),
        hernias=(
            Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.REMISSION, 4.0, False),
        ),
        inflammatory_process=False,
        medications=medications,
        conditions=conditions,
    )


def evaluate(p: Patient) -> herniarules.Decision:
    return engine().evaluate(p, "vacuum", as_of=AS_OF)


def own(decision: herniarules.Decision) -> dict[str, Outcome]:
    return {f.rule_id: f.outcome for f in decision.findings if f.rule_id.startswith("vacuum.")}


def test_plugin_declares_vacuum_for_disc_nutrition_and_circulation() -> None:
    e = engine()
    assert [t.id for t in e.techniques] == ["vacuum"]
    assert {"disc-nutrition", "circulation"} <= set(e.technique("vacuum").indications)
    rules = [r for r in e.rules if not r.is_core]
    assert {r.id for r in rules} == VACUUM_RULES
    assert all(r.source.startswith("clinical convention (cupping practice)") for r in rules)


def test_clean_patient_is_allowed_vacuum() -> None:
    decision = evaluate(patient())
    assert decision.outcome is Outcome.ALLOWED
    assert own(decision) == {}


# -- vacuum.anticoagulant-therapy ----------------------------------------------------------


@pytest.mark.parametrize("category", ["anticoagulant", "antiplatelet"])
def test_anticoagulant_or_antiplatelet_medication_contraindicates_vacuum(category: str) -> None:
    decision = evaluate(patient(medications=(Medication(category, "drug"),)))
    assert own(decision) == {"vacuum.anticoagulant-therapy": Outcome.CONTRAINDICATED}


def test_anticoagulant_use_code_contraindicates_vacuum() -> None:
    code = Condition(ClinicalStatus.ACTIVE, code="Z79.01", system=herniarules.CodeSystem.ICD10_CM)
    assert own(evaluate(patient(conditions=(code,)))) == {
        "vacuum.anticoagulant-therapy": Outcome.CONTRAINDICATED
    }


def test_other_medication_does_not_fire() -> None:
    assert own(evaluate(patient(medications=(Medication("nsaid", "ibuprofen"),)))) == {}


# -- vacuum.varicose-veins -----------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        Condition(ClinicalStatus.ACTIVE, concept="varicose-veins"),
        Condition(ClinicalStatus.ACTIVE, code="I86.8"),  # varicose veins of other sites
        Condition(ClinicalStatus.ACTIVE, concept="varicose-veins", site=Site.LUMBAR),
    ],
)
def test_varicose_veins_not_known_to_be_off_the_back_contraindicate_vacuum(
    condition: Condition,
) -> None:
    decision = evaluate(patient(conditions=(condition,)))
    assert own(decision) == {"vacuum.varicose-veins": Outcome.CONTRAINDICATED}
    assert not decision.permitted


def test_leg_varicose_veins_let_vacuum_go_ahead_avoiding_the_legs() -> None:
    # I83 is varicose veins of the lower extremities: the code table gives the site "legs".
    decision = evaluate(patient(conditions=(Condition(ClinicalStatus.ACTIVE, code="I83.9"),)))
    assert own(decision) == {"vacuum.varicose-veins": Outcome.ALLOWED_WITH_MODIFICATIONS}
    assert decision.outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    finding = next(f for f in decision.findings if f.rule_id == "vacuum.varicose-veins")
    assert finding.site == "legs"
    assert decision.protocol is not None
    assert any(area.startswith("legs:") for area in decision.protocol.avoid)


def test_resolved_varicose_veins_do_not_fire() -> None:
    resolved = Condition(ClinicalStatus.RESOLVED, code="I83.9")
    assert own(evaluate(patient(conditions=(resolved,)))) == {}


# -- vacuum.skin-pathology -----------------------------------------------------------------


@pytest.mark.parametrize("code", ["L40.0", "L02.2", "B02.9"])
def test_skin_disease_of_unknown_site_contraindicates_vacuum(code: str) -> None:
    decision = evaluate(patient(conditions=(Condition(ClinicalStatus.ACTIVE, code=code),)))
    assert own(decision) == {"vacuum.skin-pathology": Outcome.CONTRAINDICATED}
    assert decision.outcome is Outcome.CONTRAINDICATED
    finding = next(f for f in decision.findings if f.rule_id == "vacuum.skin-pathology")
    assert finding.site is None


def test_skin_disease_on_the_neck_contraindicates_vacuum() -> None:
    on_neck = Condition(ClinicalStatus.ACTIVE, code="L40.0", site=Site.NECK)
    decision = evaluate(patient(conditions=(on_neck,)))
    assert own(decision) == {"vacuum.skin-pathology": Outcome.CONTRAINDICATED}


def test_non_skin_condition_does_not_fire_skin_rule() -> None:
    other = Condition(ClinicalStatus.ACTIVE, code="M54.5")  # low back pain
    assert own(evaluate(patient(conditions=(other,)))) == {}


# -- protocol ------------------------------------------------------------------------------


def protocol(**kwargs: object) -> herniarules.Protocol:
    result = engine(**kwargs).evaluate(patient(), "vacuum", as_of=AS_OF).protocol
    assert result is not None
    return result


def test_protocol_follows_the_sources_vacuum_technique() -> None:
    p = protocol()
    assert [s.name for s in p.steps] == [
        "glide",
        "placing the cups",
        "moving the cups",
        "removing the cups",
    ]
    glide, place, move, _ = p.steps
    assert "ointment or cream" in glide.description
    assert "2 cups symmetrically" in place.description and "spinal column" in place.description
    assert "cups (air drawn out with fire) or a vacuum-massage device" in place.description
    assert "not exceed 2 cm" in place.description
    assert "straight, wavy or zigzag" in move.description
    assert "from the lower back to the cervical region and back" in move.description
    assert "without touching the vertebrae" in move.description
    assert any("vertebrae" in area and "spinous processes" in area for area in p.avoid)
    assert any("more than 2 cm" in area for area in p.avoid)
    assert p.session_minutes == (5, 15)
    assert p.course_sessions == (10, 15)


def test_clinic_parameters_shape_the_protocol() -> None:
    strict = VacuumParameters(
        max_skin_draw_cm=1.5, paths=("straight",), cupping=("device",), glide_agent="cream"
    )
    p = protocol(parameters={"vacuum": strict})
    glide, place, move, _ = p.steps
    assert "cream" in glide.description and "ointment" not in glide.description
    assert "1.5 cm" in place.description and "fire" not in place.description
    assert "in straight paths" in move.description
    assert "1.5 cm" in p.pressure


# -- parameters ----------------------------------------------------------------------------


def test_parameter_defaults_are_the_sources_values() -> None:
    p = VacuumParameters()
    assert (p.cups, p.max_skin_draw_cm) == (2, 2.0)
    assert p.paths == ("straight", "wavy", "zigzag")
    assert p.cupping == ("cups", "device")
    assert p.glide_agent == "ointment or cream"


def test_a_clinic_may_tighten_the_parameters() -> None:
    p = VacuumParameters(
        max_skin_draw_cm=1,
        paths=["wavy"],
        session_minutes_max=10,
        course_sessions_max=12,
        interval_days=3,
        break_days=90,
    )
    assert p.paths == ("wavy",)


@pytest.mark.parametrize(
    "changes",
    [
        {"cups": 1},
        {"cups": 4},
        {"max_skin_draw_cm": 2.5},
        {"max_skin_draw_cm": 0},
        {"max_skin_draw_cm": -1.0},
        {"paths": ()},
        {"paths": ("spiral",)},
        {"paths": ("wavy", "wavy")},
        {"cupping": ("electric",)},
        {"glide_agent": "oil"},
        {"session_minutes_max": 20},
        {"session_minutes_min": 12, "session_minutes_max": 10},
        {"course_sessions_max": 20},
        {"interval_days": 1},
        {"break_days": 30},
    ],
)
def test_parameters_beyond_the_limits_are_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        VacuumParameters(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("changes", [{"paths": "straight"}, {"max_skin_draw_cm": float("nan")}])
def test_malformed_parameters_are_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(TypeError):
        VacuumParameters(**changes)  # type: ignore[arg-type]


# -- course plan ---------------------------------------------------------------------------


def test_course_is_ten_sessions_every_other_day_short_first() -> None:
    start = date(2026, 12, 1)
    plan = engine().plan_course(patient(), "vacuum", start, as_of=AS_OF)
    assert [s.date for s in plan.sessions] == [start + timedelta(days=2 * i) for i in range(10)]
    assert [s.minutes for s in plan.sessions] == [5] + [15] * 9
    assert plan.next_course_earliest == plan.last_session + timedelta(days=60)


def test_clinic_parameters_shape_the_course() -> None:
    strict = VacuumParameters(session_minutes_min=8, session_minutes_max=12, interval_days=3)
    plan = engine(parameters={"vacuum": strict}).plan_course(
        patient(), "vacuum", date(2026, 12, 1), as_of=AS_OF
    )
    assert plan.sessions[1].date - plan.sessions[0].date == timedelta(days=3)
    assert [s.minutes for s in plan.sessions[:2]] == [8, 12]


def test_course_is_refused_under_anticoagulants() -> None:
    with pytest.raises(herniarules.NotPermittedError) as info:
        engine().plan_course(
            patient(medications=(Medication("anticoagulant"),)),
            "vacuum",
            date(2026, 12, 1),
            as_of=AS_OF,
        )
    assert "vacuum.anticoagulant-therapy" in str(info.value)
