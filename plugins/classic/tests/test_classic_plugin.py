"""Specification of the classic plugin: techniques, traction rules, protocols, parameters, plans."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import attrs
import herniarules_classic
import pytest
from herniarules_classic import MAIN_MOVES, ClassicParameters

import herniarules
from herniarules import (
    ClinicalStatus,
    CodeSystem,
    Condition,
    Hernia,
    HerniaKind,
    InputError,
    Outcome,
    Patient,
    Phase,
    Region,
    Sex,
    Surgery,
    Vitals,
)

AS_OF = date(2026, 11, 10)
TRACTION_RULES = {"traction.sequestration", "traction.recent-surgery", "traction.osteoporosis"}


def engine(**kwargs: object) -> herniarules.Engine:
    return herniarules.Engine(entry_points=False, plugins=[herniarules_classic], **kwargs)  # type: ignore[arg-type]


def patient(
    *,
    kind: HerniaKind = HerniaKind.PROTRUSION,
    phase: Phase = Phase.REMISSION,
    region: Region = Region.LUMBAR,
    level: str = "L4-L5",
    conditions: tuple[Condition, ...] = (),
    surgeries: tuple[Surgery, ...] = (),
) -> Patient:
    """A man in remission with no contraindication: every rule is off unless a test adds one."""
    return Patient(
        id="T-1",
        age=45,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=125, diastolic_mmhg=80, temperature_c=36.6, pain_score=1),
        hernias=(Hernia(region, level, kind, phase, size_mm=4.0, surgery_indicated=False),),
        inflammatory_process=False,
        conditions=conditions,
        surgeries=surgeries,
    )


def own_findings(decision: herniarules.Decision) -> dict[str, Outcome]:
    return {f.rule_id: f.outcome for f in decision.findings if not f.rule_id.startswith("core.")}


# -- techniques ----------------------------------------------------------------------------


def test_plugin_declares_classic_and_traction_as_its_variant() -> None:
    e = engine()
    assert [t.id for t in e.techniques] == ["classic", "traction"]
    assert e.technique("traction").variant_of == "classic"
    assert set(e.technique("traction").indications) == {"compression", "pinched-muscle-fibres"}
    assert all(info.error is None for info in e.plugins)


def test_classic_adds_no_rule_of_its_own_and_permits_a_clean_patient() -> None:
    e = engine()
    assert not [r for r in e.rules if r.techniques and "classic" in r.techniques]
    decision = e.evaluate(patient(), "classic", as_of=AS_OF)
    assert decision.outcome is Outcome.ALLOWED
    assert decision.findings == ()


def test_traction_rules_apply_to_traction_only_and_cite_their_source() -> None:
    rules = {r.id: r for r in engine().rules if not r.is_core}
    assert set(rules) == TRACTION_RULES
    for rule in rules.values():
        assert rule.techniques == frozenset({"traction"})
        assert "clinical convention" in rule.source


def test_clean_patient_is_allowed_traction() -> None:
    decision = engine().evaluate(patient(), "traction", as_of=AS_OF)
    assert decision.outcome is Outcome.ALLOWED
    assert decision.protocol is not None


# -- traction.sequestration ----------------------------------------------------------------


def test_sequestration_contraindicates_traction_but_not_classic() -> None:
    p = patient(kind=HerniaKind.SEQUESTRATION)
    e = engine()
    traction = e.evaluate(p, "traction", as_of=AS_OF)
    assert own_findings(traction) == {"traction.sequestration": Outcome.CONTRAINDICATED}
    assert traction.outcome is Outcome.CONTRAINDICATED
    # classic keeps only the core's clearance requirement for a prolapsed disc
    assert e.evaluate(p, "classic", as_of=AS_OF).outcome is Outcome.REQUIRES_CLEARANCE


@pytest.mark.parametrize("kind", [HerniaKind.PROTRUSION, HerniaKind.EXTRUSION])
def test_contained_or_extruded_disc_does_not_fire_sequestration(kind: HerniaKind) -> None:
    decision = engine().evaluate(patient(kind=kind), "traction", as_of=AS_OF)
    assert "traction.sequestration" not in own_findings(decision)


# -- traction.recent-surgery ---------------------------------------------------------------


def operated(days_ago: int) -> Patient:
    return patient(
        phase=Phase.POST_SURGICAL, surgeries=(Surgery(AS_OF - timedelta(days=days_ago)),)
    )


@pytest.mark.parametrize("days_ago", [0, 30, 89])
def test_traction_is_deferred_within_90_days_of_spinal_surgery(days_ago: int) -> None:
    decision = engine().evaluate(operated(days_ago), "traction", as_of=AS_OF)
    assert own_findings(decision) == {"traction.recent-surgery": Outcome.DEFER}


@pytest.mark.parametrize("days_ago", [90, 400])
def test_traction_is_not_deferred_from_day_90_after_surgery(days_ago: int) -> None:
    decision = engine().evaluate(operated(days_ago), "traction", as_of=AS_OF)
    assert "traction.recent-surgery" not in own_findings(decision)


def test_recent_surgery_fires_even_when_the_hernia_is_not_marked_post_surgical() -> None:
    p = patient(surgeries=(Surgery(AS_OF - timedelta(days=10)),))
    assert own_findings(engine().evaluate(p, "traction", as_of=AS_OF)) == {
        "traction.recent-surgery": Outcome.DEFER
    }


def test_post_surgical_phase_without_a_surgery_date_is_insufficient_data() -> None:
    decision = engine().evaluate(patient(phase=Phase.POST_SURGICAL), "traction", as_of=AS_OF)
    assert own_findings(decision) == {"traction.recent-surgery": Outcome.INSUFFICIENT_DATA}
    assert not decision.permitted


def test_recent_surgery_defer_is_not_lifted_by_a_clearance() -> None:
    p = attrs.evolve(
        operated(10),
        clearances=(herniarules.Clearance("traction", "Dr. X", AS_OF - timedelta(days=1)),),
    )
    decision = engine().evaluate(p, "traction", as_of=AS_OF)
    assert decision.outcome is Outcome.DEFER


# -- traction.osteoporosis -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("M81.0", CodeSystem.ICD10),
        ("M80.08XA", CodeSystem.ICD10_CM),
        ("M82.0", CodeSystem.ICD10),
    ],
)
def test_osteoporosis_code_contraindicates_traction(code: str, system: CodeSystem) -> None:
    p = patient(conditions=(Condition(ClinicalStatus.ACTIVE, code=code, system=system),))
    decision = engine().evaluate(p, "traction", as_of=AS_OF)
    assert own_findings(decision) == {"traction.osteoporosis": Outcome.CONTRAINDICATED}


def test_osteoporosis_recorded_as_concept_contraindicates_traction() -> None:
    p = patient(conditions=(Condition(ClinicalStatus.ACTIVE, concept="osteoporosis"),))
    assert "traction.osteoporosis" in own_findings(engine().evaluate(p, "traction", as_of=AS_OF))


def test_osteoporosis_does_not_restrict_classic_massage() -> None:
    p = patient(conditions=(Condition(ClinicalStatus.ACTIVE, code="M81.0"),))
    assert engine().evaluate(p, "classic", as_of=AS_OF).outcome is Outcome.ALLOWED


def test_who_only_osteoporosis_code_sent_as_icd10_cm_is_an_error() -> None:
    # M82 (osteoporosis in diseases classified elsewhere) exists only in WHO ICD-10.
    with pytest.raises(InputError, match=r"M82\.0 is a WHO ICD-10 code"):
        Condition(ClinicalStatus.ACTIVE, code="M82.0", system=CodeSystem.ICD10_CM)


@pytest.mark.parametrize(
    ("code", "system", "status"),
    [
        ("M83.0", CodeSystem.ICD10, ClinicalStatus.ACTIVE),  # osteomalacia, not osteoporosis
        ("M81.0", CodeSystem.ICD10, ClinicalStatus.RESOLVED),
    ],
)
def test_non_osteoporosis_codes_do_not_fire(
    code: str, system: CodeSystem, status: ClinicalStatus
) -> None:
    p = patient(conditions=(Condition(status, code=code, system=system),))
    assert "traction.osteoporosis" not in own_findings(
        engine().evaluate(p, "traction", as_of=AS_OF)
    )


def test_osteoporosis_value_set_is_namespaced_to_the_plugin() -> None:
    ids = [vs.id for vs in engine().terminology.codes_for("osteoporosis")]
    assert ids == ["classic.osteoporosis"]


# -- protocols -----------------------------------------------------------------------------


def classic_protocol(p: Patient | None = None, **kwargs: object) -> herniarules.Protocol:
    protocol = engine(**kwargs).evaluate(p or patient(), "classic", as_of=AS_OF).protocol
    assert protocol is not None
    return protocol


def test_classic_protocol_has_the_sources_sequence_in_order() -> None:
    steps = classic_protocol().steps
    names = [s.name for s in steps]
    assert names[:4] == [
        "warm-up",
        "stroking the latissimus and longus dorsi",
        "kneading the gluteal muscles",
        "back muscles again",
    ]
    assert names[4:11] == [f"main move {n}" for n in range(1, 8)]
    assert names[11:] == ["pinching and shaking"]
    assert "without force" in steps[0].description


def test_classic_main_moves_are_the_sources_seven_moves_verbatim() -> None:
    seeds = Path(__file__).resolve().parents[4] / "shared/seeds/000_755de5a2e3641f64.txt"
    main = [s for s in classic_protocol().steps if s.name.startswith("main move")]
    assert len(MAIN_MOVES) == len(main) == 7
    for move, step in zip(MAIN_MOVES, main, strict=True):
        assert step.description.lower().startswith(move.lower())
        assert step.repetitions == "3-4"
    if seeds.exists():  # the source text sits beside the repository in development
        text = seeds.read_text(encoding="utf-8")
        for number, move in enumerate(MAIN_MOVES, 1):
            assert f"{number}. {move};" in text or f"{number}. {move}." in text


def test_classic_protocol_carries_the_sources_limits_and_no_pressure() -> None:
    protocol = classic_protocol()
    assert protocol.session_minutes == (30, 60)
    assert protocol.course_sessions == (10, 20)
    assert protocol.pressure.startswith("none")
    assert all(step.pressure == protocol.pressure for step in protocol.steps)
    assert any("pressure or force" in area for area in protocol.avoid)
    assert protocol.parameters["break_days_min"] == 60


def test_cervical_hernia_gets_a_note_that_the_sequence_is_for_the_lumbar_spine() -> None:
    cervical = classic_protocol(patient(region=Region.CERVICAL, level="C5-C6"))
    lumbar = classic_protocol()
    assert any("cervical hernia" in note for note in cervical.notes)
    assert not any("adapts the protocol" in note for note in lumbar.notes)


def test_traction_protocol_is_classic_plus_a_gentle_traction_step() -> None:
    e = engine()
    classic = e.evaluate(patient(), "classic", as_of=AS_OF).protocol
    traction = e.evaluate(patient(), "traction", as_of=AS_OF).protocol
    assert classic is not None and traction is not None
    assert traction.technique == "traction"
    added = [s for s in traction.steps if s not in classic.steps]
    assert [s.name for s in added] == ["gentle traction"]
    assert "without force" in added[0].description
    # traction comes after the seventh move, before the finishing pinching and shaking
    names = [s.name for s in traction.steps]
    assert names.index("gentle traction") == names.index("main move 7") + 1
    assert names[-1] == "pinching and shaking"
    assert set(classic.avoid) < set(traction.avoid)


def test_clinic_parameters_shape_the_protocol() -> None:
    strict = ClassicParameters(session_minutes_max=45, repetitions_max=3, course_sessions_max=15)
    protocol = classic_protocol(parameters={"classic": strict})
    assert protocol.session_minutes == (30, 45)
    assert protocol.course_sessions == (10, 15)
    assert {s.repetitions for s in protocol.steps if s.repetitions} == {"3"}


# -- parameters ----------------------------------------------------------------------------


def test_parameter_defaults_are_the_sources_values() -> None:
    p = ClassicParameters()
    assert (p.session_minutes_min, p.session_minutes_max) == (30, 60)
    assert (p.course_sessions_min, p.course_sessions_max) == (10, 20)
    assert (p.repetitions_min, p.repetitions_max) == (3, 4)
    assert (p.break_days_min, p.break_days_max) == (60, 90)
    assert p.pressure == "none: soft movements without pressure or force"


def test_a_clinic_may_tighten_the_parameters() -> None:
    p = ClassicParameters(
        session_minutes_min=40,
        session_minutes_max=45,
        course_sessions_max=12,
        repetitions_min=3,
        repetitions_max=3,
        break_days_min=90,
    )
    assert p.repetitions == "3"


@pytest.mark.parametrize(
    "changes",
    [
        {"session_minutes_max": 61},
        {"session_minutes_min": 20},
        {"course_sessions_max": 21},
        {"course_sessions_min": 5},
        {"repetitions_max": 5},
        {"repetitions_min": 2},
        {"break_days_min": 30},
        {"break_days_max": 120},
        {"pressure": "moderate"},
        {"session_minutes_min": 50, "session_minutes_max": 40},
        {"course_sessions_min": 15, "course_sessions_max": 12},
    ],
)
def test_parameters_outside_the_sources_limits_are_rejected(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ClassicParameters(**changes)  # type: ignore[arg-type]


def test_non_integer_minutes_are_rejected() -> None:
    with pytest.raises(TypeError):
        ClassicParameters(session_minutes_max=45.5)  # type: ignore[arg-type]


# -- course plan ---------------------------------------------------------------------------


def test_classic_course_is_ten_daily_sessions_and_a_60_day_break() -> None:
    start = date(2026, 12, 1)
    plan = engine().plan_course(patient(), "classic", start, as_of=AS_OF)
    assert [s.number for s in plan.sessions] == list(range(1, 11))
    assert [s.date for s in plan.sessions] == [start + timedelta(days=i) for i in range(10)]
    assert {s.minutes for s in plan.sessions} == {30}
    assert plan.last_session == date(2026, 12, 10)
    assert plan.next_course_earliest == date(2026, 12, 10) + timedelta(days=60)


def test_next_planned_course_is_not_flagged_by_the_core_course_break_rule() -> None:
    e = engine()
    plan = e.plan_course(patient(), "classic", date(2026, 12, 1), as_of=AS_OF)
    done = herniarules.MassageCourse(plan.last_session, "classic", plan.sessions[0].date)
    after = attrs.evolve(patient(), massage_courses=(done,))
    on_time = e.evaluate(after, "classic", as_of=plan.next_course_earliest)
    early = e.evaluate(after, "classic", as_of=plan.next_course_earliest - timedelta(days=1))
    assert "core.course-break" not in {f.rule_id for f in on_time.findings}
    assert "core.course-break" in {f.rule_id for f in early.findings}


def test_clinic_parameters_shape_the_course_plan() -> None:
    strict = ClassicParameters(session_minutes_min=40, course_sessions_min=12, break_days_min=90)
    e = engine(parameters={"traction": strict})
    plan = e.plan_course(patient(), "traction", date(2026, 12, 1), as_of=AS_OF)
    assert plan.technique == "traction"
    assert len(plan.sessions) == 12
    assert {s.minutes for s in plan.sessions} == {40}
    assert plan.next_course_earliest == plan.last_session + timedelta(days=90)


def test_a_course_is_refused_for_a_contraindicated_patient() -> None:
    with pytest.raises(herniarules.NotPermittedError) as info:
        engine().plan_course(
            patient(kind=HerniaKind.SEQUESTRATION), "traction", date(2026, 12, 1), as_of=AS_OF
        )
    assert "traction.sequestration" in str(info.value)
