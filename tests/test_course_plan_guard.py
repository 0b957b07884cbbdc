"""A plugin's course plan is held to the decision, the protocol and the clinic's policy."""

from __future__ import annotations

from datetime import date, timedelta

import attrs
import pytest

import herniarules
from herniarules import hookimpl
from herniarules.courses import CoursePlan, Session
from herniarules.outcomes import Protocol, ProtocolStep

START = date(2026, 12, 1)


@attrs.frozen
class Params:
    minutes: int = 20


def _protocol(facts, parameters):  # type: ignore[no-untyped-def]
    return Protocol(
        technique="guarded",
        steps=(ProtocolStep("stroking", "soft stroking"),),
        session_minutes=(10, 20),
        course_sessions=(3, 5),
        pressure="none",
    )


def _plugin(plan_factory):  # type: ignore[no-untyped-def]
    def plan_course(facts, parameters, protocol, start, policy):  # type: ignore[no-untyped-def]
        return plan_factory(start, policy)

    class Plugin:
        __name__ = "guarded"

        @hookimpl
        def herniarules_techniques(self):  # type: ignore[no-untyped-def]
            return [
                herniarules.Technique(
                    id="guarded",
                    name="Guarded",
                    description="d",
                    source="s",
                    parameters=Params(),
                    protocol=_protocol,
                    plan_course=plan_course,
                )
            ]

    return Plugin()


def _sessions(count: int, minutes: float, first: date = START) -> tuple[Session, ...]:
    return tuple(Session(i + 1, first + timedelta(days=i), minutes) for i in range(count))


def _patient() -> herniarules.Patient:
    return herniarules.Patient(
        id="P",
        age=40,
        sex=herniarules.Sex.MALE,
        vitals=herniarules.Vitals(120, 80, 36.6, 1),
        inflammatory_process=False,
    )


def _plan(**overrides):  # type: ignore[no-untyped-def]
    def factory(start, policy):  # type: ignore[no-untyped-def]
        fields = {
            "technique": "guarded",
            "patient_id": "P",
            "sessions": _sessions(3, 20),
            "next_course_earliest": START + timedelta(days=30),
        }
        fields.update(overrides)
        return CoursePlan(**fields)

    return factory


def test_a_valid_plugin_plan_gets_at_least_the_policy_break() -> None:
    engine = herniarules.Engine([_plugin(_plan())], entry_points=False)
    plan = engine.plan_course(_patient(), "guarded", START)
    last = plan.sessions[-1].date
    assert plan.next_course_earliest == last + timedelta(days=60)


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"sessions": _sessions(6, 20)}, "more than the protocol's 5"),
        ({"sessions": _sessions(3, 45)}, "longer than the protocol's 20 minutes"),
        ({"sessions": _sessions(3, 20, START - timedelta(days=1))}, "before the start"),
        ({"patient_id": "someone-else"}, "returned a plan for"),
    ],
)
def test_a_plan_beyond_the_protocol_is_refused(overrides: dict[str, object], problem: str) -> None:
    engine = herniarules.Engine([_plugin(_plan(**overrides))], entry_points=False)
    with pytest.raises(herniarules.NotPermittedError) as caught:
        engine.plan_course(_patient(), "guarded", START)
    assert problem in str(caught.value)
    assert caught.value.decision.findings[-1].rule_id == "engine.plugin-error"


def test_a_plan_hook_returning_the_wrong_type_is_refused() -> None:
    engine = herniarules.Engine([_plugin(lambda start, policy: "tomorrow")], entry_points=False)
    with pytest.raises(herniarules.NotPermittedError, match="not a CoursePlan"):
        engine.plan_course(_patient(), "guarded", START)
