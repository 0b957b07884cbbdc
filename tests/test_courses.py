"""Course planning: dated sessions, the course's end, and the break before the next course."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import attrs
import pytest

from herniarules import (
    Clearance,
    CoursePlan,
    Engine,
    Hernia,
    HerniaKind,
    MassageCourse,
    NotPermittedError,
    Patient,
    Phase,
    Policy,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Region,
    Rule,
    Session,
    Sex,
    Technique,
    Vitals,
    cli,
    hookimpl,
)
from herniarules.courses import default_plan

DEMO = "course-demo"
START = date(2025, 3, 3)  # a Monday
SESSION_MINUTES = (20.0, 30.0)
COURSE_SESSIONS = (10, 20)


def demo_protocol(facts: ProtocolFacts, parameters: object) -> Protocol:
    return Protocol(
        technique=DEMO,
        steps=(ProtocolStep("stroking", "Stroking without force."),),
        session_minutes=SESSION_MINUTES,
        course_sessions=COURSE_SESSIONS,
        pressure="none",
    )


class CourseDemoPlugin:
    """A technique with a fixed protocol, so every planned value follows from it."""

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [
            Technique(
                id=DEMO,
                name="Course demo",
                description="A technique used to test course planning.",
                source="test fixture",
                protocol=demo_protocol,
            )
        ]

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> list[Rule]:
        return []


def make_engine(policy: Policy | None = None) -> Engine:
    return Engine(plugins=[CourseDemoPlugin()], entry_points=False, policy=policy or Policy())


def patient(phase: Phase = Phase.REMISSION, courses: tuple[MassageCourse, ...] = ()) -> Patient:
    return Patient(
        id="C-1",
        age=50,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=120, diastolic_mmhg=80, temperature_c=36.6, pain_score=1),
        hernias=(Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, phase, 3.0, False),),
        inflammatory_process=False,
        massage_courses=courses,
    )


def protocol(sessions: tuple[int, int] = COURSE_SESSIONS) -> Protocol:
    return Protocol(
        technique=DEMO,
        steps=(),
        session_minutes=SESSION_MINUTES,
        course_sessions=sessions,
        pressure="none",
    )


# -- default_plan ----------------------------------------------------------------------------
def test_default_plan_is_the_fewest_sessions_daily_at_the_longest_duration() -> None:
    plan = default_plan(protocol(), "C-1", START, 60)
    assert [s.number for s in plan.sessions] == list(range(1, COURSE_SESSIONS[0] + 1))
    assert [s.date for s in plan.sessions] == [
        START + timedelta(days=i) for i in range(COURSE_SESSIONS[0])
    ]
    assert {s.minutes for s in plan.sessions} == {SESSION_MINUTES[1]}
    assert plan.start == START
    assert plan.end == START + timedelta(days=COURSE_SESSIONS[0] - 1)
    assert plan.last_session == plan.end


def test_next_course_is_the_break_after_the_last_session() -> None:
    plan = default_plan(protocol(), "C-1", START, 75)
    assert plan.next_course_earliest == plan.end + timedelta(days=75)
    assert plan.break_days == 75


def test_every_other_day_spacing() -> None:
    plan = default_plan(protocol((4, 8)), "C-1", START, 60, spacing_days=2)
    assert [s.date.isoformat() for s in plan.sessions] == [
        "2025-03-03",
        "2025-03-05",
        "2025-03-07",
        "2025-03-09",
    ]
    assert plan.end == date(2025, 3, 9)
    assert plan.next_course_earliest == date(2025, 5, 8)  # 9 March + 60 days


@pytest.mark.parametrize("start", [None, "2025-03-03", datetime(2025, 3, 3, 9, 0)])
def test_a_course_needs_a_start_date(start: object) -> None:
    with pytest.raises(TypeError, match="start date"):
        default_plan(protocol(), "C-1", start, 60)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("sessions", "break_days", "spacing"),
    [((0, 0), 60, 1), ((10, 20), 0, 1), ((10, 20), 60, 0), ((10, 20), 60, True)],
)
def test_a_course_needs_sessions_a_break_and_a_spacing(
    sessions: tuple[int, int], break_days: int, spacing: int
) -> None:
    with pytest.raises(ValueError):
        default_plan(protocol(sessions), "C-1", START, break_days, spacing_days=spacing)


# -- CoursePlan and Session invariants -------------------------------------------------------
def sessions(*days: int) -> tuple[Session, ...]:
    return tuple(Session(i + 1, START + timedelta(days=d), 30) for i, d in enumerate(days))


def test_course_plan_rejects_no_sessions() -> None:
    with pytest.raises(ValueError, match="at least one session"):
        CoursePlan(DEMO, "C-1", (), START)


def test_course_plan_rejects_sessions_out_of_order() -> None:
    with pytest.raises(ValueError, match="not after"):
        CoursePlan(DEMO, "C-1", sessions(0, 2, 2), START + timedelta(days=90))


def test_course_plan_rejects_misnumbered_sessions() -> None:
    bad = (Session(1, START, 30), Session(3, START + timedelta(days=1), 30))
    with pytest.raises(ValueError, match="numbered"):
        CoursePlan(DEMO, "C-1", bad, START + timedelta(days=90))


def test_next_course_must_come_after_the_last_session() -> None:
    with pytest.raises(ValueError, match="after the last session"):
        CoursePlan(DEMO, "C-1", sessions(0, 1), START + timedelta(days=1))


@pytest.mark.parametrize("minutes", [0, -5, True])
def test_session_needs_positive_minutes(minutes: float) -> None:
    with pytest.raises(ValueError):
        Session(1, START, minutes)


def test_break_can_only_be_lengthened() -> None:
    plan = CoursePlan(DEMO, "C-1", sessions(0, 1), START + timedelta(days=61))
    assert plan.with_break_of_at_least(30) is plan
    longer = plan.with_break_of_at_least(90)
    assert longer.next_course_earliest == plan.end + timedelta(days=90)
    assert longer.break_days == 90
    assert longer.sessions == plan.sessions


# -- the engine ------------------------------------------------------------------------------
def test_engine_plans_with_the_policy_break() -> None:
    engine = make_engine()
    plan = engine.plan_course(patient(), DEMO, START)
    assert len(plan.sessions) == COURSE_SESSIONS[0]
    assert plan.break_days == Policy().min_course_break_days


def test_stricter_policy_lengthens_the_break() -> None:
    plan = make_engine(Policy(min_course_break_days=90)).plan_course(patient(), DEMO, START)
    assert plan.next_course_earliest == plan.end + timedelta(days=90)


def test_next_course_earliest_is_the_first_day_the_break_rule_is_quiet() -> None:
    # The plan and the core rule must agree: on next_course_earliest a repeat course needs no
    # clearance, one day earlier it does.
    engine = make_engine()
    plan = engine.plan_course(patient(), DEMO, START)
    after = patient(courses=(MassageCourse(end_date=plan.end, technique=DEMO, start_date=START),))
    on_time = engine.evaluate(after, DEMO, as_of=plan.next_course_earliest)
    early = engine.evaluate(after, DEMO, as_of=plan.next_course_earliest - timedelta(days=1))
    assert "core.course-break" not in {f.rule_id for f in on_time.findings}
    assert on_time.permitted
    assert "core.course-break" in {f.rule_id for f in early.findings}
    assert not early.permitted


def test_engine_refuses_a_course_in_the_acute_stage() -> None:
    with pytest.raises(NotPermittedError) as refused:
        make_engine().plan_course(patient(Phase.ACUTE), DEMO, START)
    assert not refused.value.decision.permitted
    assert "core.acute-phase" in str(refused.value)


def test_clearance_lets_a_course_start_inside_the_break() -> None:
    engine = make_engine()
    recent = (MassageCourse(end_date=START - timedelta(days=10)),)
    with pytest.raises(NotPermittedError):
        engine.plan_course(patient(courses=recent), DEMO, START)
    cleared = attrs.evolve(
        patient(courses=recent), clearances=(Clearance(DEMO, "Dr. Petrov", START),)
    )
    assert engine.plan_course(cleared, DEMO, START).start == START


# -- the command line ------------------------------------------------------------------------
@pytest.fixture
def demo_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``herniarules`` use an engine with only the demo technique."""
    monkeypatch.setattr(cli, "Engine", lambda **options: make_engine())


def write(tmp_path: Path, phase: str) -> Path:
    path = tmp_path / f"{phase}.json"
    record = {
        "id": "C-1",
        "age": 50,
        "sex": "male",
        "vitals": {
            "systolic_mmhg": 120,
            "diastolic_mmhg": 80,
            "temperature_c": 36.6,
            "pain_score": 1 if phase != "acute" else 8,
        },
        "hernias": [
            {
                "region": "lumbar",
                "level": "L4-L5",
                "kind": "protrusion",
                "phase": phase,
                "size_mm": 3.0,
                "surgery_indicated": False,
            }
        ],
        "inflammatory_process": False,
    }
    path.write_text(json.dumps(record))
    return path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.usefixtures("demo_cli")
def test_cli_prints_a_dated_table(tmp_path: Path) -> None:
    code, out, err = run(
        "plan", str(write(tmp_path, "remission")), "--technique", DEMO, "--start", "2025-03-03"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"Course of {DEMO} for patient C-1"
    rows = [line.split() for line in lines[2:] if line.split()[0].isdigit()]
    assert len(rows) == COURSE_SESSIONS[0]
    assert rows[0] == ["1", "2025-03-03", "30"]
    assert rows[-1] == ["10", "2025-03-12", "30"]
    assert "next course no earlier than 2025-05-11" in out  # 12 March + 60 days


@pytest.mark.usefixtures("demo_cli")
def test_cli_prints_json(tmp_path: Path) -> None:
    code, out, err = run(
        "plan",
        str(write(tmp_path, "remission")),
        "--technique",
        DEMO,
        "--start",
        "2025-03-03",
        "--format",
        "json",
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["technique"] == DEMO
    assert data["patient_id"] == "C-1"
    assert len(data["sessions"]) == COURSE_SESSIONS[0]
    assert data["sessions"][0] == {"number": 1, "date": "2025-03-03", "minutes": 30.0}
    assert data["start"] == "2025-03-03"
    assert data["end"] == "2025-03-12"
    assert data["next_course_earliest"] == "2025-05-11"
    assert data["break_days"] == 60


@pytest.mark.usefixtures("demo_cli")
def test_cli_refuses_an_acute_patient_with_exit_3_and_the_findings(tmp_path: Path) -> None:
    code, out, err = run(
        "plan",
        str(
            write(tmp_path, "acute"),
        ),
        "--technique",
        DEMO,
        "--start",
        "2025-03-03",
    )
    assert code == 3
    assert out == ""
    assert "refused" in err
    assert "core.acute-phase" in err
    assert "core.severe-pain" in err


@pytest.mark.usefixtures("demo_cli")
@pytest.mark.parametrize("start", [None, "03/03/2025"])
def test_cli_needs_a_valid_start_date(tmp_path: Path, start: str | None) -> None:
    argv = ["plan", str(write(tmp_path, "remission")), "--technique", DEMO]
    if start is not None:
        argv += ["--start", start]
    with pytest.raises(SystemExit) as exited:
        run(*argv)
    assert exited.value.code == 2


def test_a_single_note_stays_one_note() -> None:
    plan = CoursePlan(DEMO, "C-1", sessions(0), START + timedelta(days=60), notes="Bring a towel.")
    assert plan.notes == ("Bring a towel.",)


def test_a_start_too_late_for_a_course_in_the_calendar_is_a_value_error() -> None:
    import datetime as dt

    import herniarules

    engine = herniarules.Engine()
    patient = herniarules.load_patient("examples/patients/01-remission-lumbar.json")
    with pytest.raises(ValueError, match="would end after 9999-12-31"):
        engine.plan_course(patient, "classic", dt.date(9999, 12, 30))
