"""Tests that mutation testing showed were missing from the safety kernel's suite.

Each test pins a behaviour that a surviving mutant of ``safety.py``, ``rules.py``,
``terminology.py`` or ``engine.py`` changed without any other test noticing (see
``mutation/RESULTS.md``): policy validation, the less used predicate operators and their
rendering, error messages that name what is wrong, and the course-planning hook's contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from herniarules import (
    CodeRange,
    Custom,
    Engine,
    F,
    Facts,
    Hernia,
    HerniaKind,
    MassageCourse,
    NotPermittedError,
    Outcome,
    Patient,
    Phase,
    Policy,
    PolicyError,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Region,
    RuleError,
    Sex,
    Technique,
    Terminology,
    Vitals,
    derive_facts,
    hookimpl,
)
from herniarules.courses import CoursePlan, Session
from herniarules.rules import Always
from herniarules.safety import core_rules

START = date(2025, 3, 14)


def _patient(**changes: Any) -> Patient:
    values: dict[str, Any] = {
        "id": "MK-1",
        "age": 40,
        "sex": Sex.MALE,
        "vitals": Vitals(systolic_mmhg=120, diastolic_mmhg=80, temperature_c=36.6, pain_score=3),
        "hernias": (
            Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.REMISSION, 5.0, False),
        ),
        "inflammatory_process": False,
    }
    values.update(changes)
    return Patient(**values)


def _facts(**changes: Any) -> Facts:
    return derive_facts(_patient(**changes), START)


# -- safety.Policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("severe_pain_score", True, "severe_pain_score must be a number, got True"),
        ("severe_pain_score", "7", "severe_pain_score must be a number, got '7'"),
        ("severe_pain_score", 0, "severe_pain_score must be between 1 and 10, got 0"),
        (
            "severe_pain_score",
            8,
            "severe_pain_score may only be made stricter: must be at most 7, got 8",
        ),
        ("residual_pain_max", 4, "must be at most 3, got 4"),
        ("raised_temperature_c", 37.6, "must be at most 37.5, got 37.6"),
        ("raised_temperature_c", 36.5, "must be between 36.6 and 42, got 36.5"),
        ("deferring_bp_grade", 3, "must be at most 2, got 3"),
        ("min_course_break_days", 59, "min_course_break_days must be between 60 and 730, got 59"),
        ("min_course_break_days", 731, "must be between 60 and 730, got 731"),
    ],
)
def test_a_looser_or_nonsense_policy_is_refused_with_a_clear_message(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(PolicyError) as caught:
        Policy(**{field: value})
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "values",
    [
        {"severe_pain_score": 7},
        {"severe_pain_score": 1},
        {"residual_pain_max": 0},
        {"raised_temperature_c": 36.6},
        {"raised_temperature_c": 37.5},
        {"deferring_bp_grade": 1},
        {"min_course_break_days": 60},
        {"min_course_break_days": 730},
        {"min_course_break_days": 90},
    ],
)
def test_the_defaults_and_stricter_values_including_the_bounds_are_accepted(
    values: dict[str, Any],
) -> None:
    policy = Policy(**values)
    for name, value in values.items():
        assert getattr(policy, name) == value


def test_a_looser_break_message_says_at_least() -> None:
    # 59 days is below both the floor and the default; the floor is reported first.
    with pytest.raises(PolicyError, match="between 60 and 730"):
        Policy(min_course_break_days=59)


# -- rules: operators, rendering, messages --------------------------------------------------


@pytest.mark.parametrize(("pain", "expected"), [(2, True), (3, True), (4, False), (None, None)])
def test_less_or_equal(pain: int | None, expected: bool | None) -> None:
    facts = _facts(vitals=Vitals(120, 80, 36.6, pain))
    assert (F.pain_score <= 3).evaluate(facts) is expected


def test_eq_ne_and_is_false() -> None:
    facts = _facts()
    assert F.age.eq(40).evaluate(facts) is True
    assert F.age.eq(41).evaluate(facts) is False
    assert F.age.ne(40).evaluate(facts) is False
    assert F.age.ne(41).evaluate(facts) is True
    assert F.inflammatory_process.is_false().evaluate(facts) is True
    assert F.inflammatory_process.is_false().evaluate(_facts(inflammatory_process=True)) is False
    assert F.inflammatory_process.is_false().evaluate(_facts(inflammatory_process=None)) is None
    assert F.inflammatory_process.is_false().render() == "inflammatory process = no"


def test_in_evaluates_and_renders() -> None:
    expr = F.worst_phase.in_("acute", "exacerbation")
    assert expr.evaluate(_facts()) is False
    acute = Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.ACUTE, 5.0, False)
    assert expr.evaluate(_facts(hernias=(acute,))) is True
    assert expr.evaluate(_facts(hernias=())) is None
    assert expr.render() == "worst hernia phase ∈ {acute, exacerbation}"
    assert expr.render(_facts()) == "worst hernia phase remission ∈ {acute, exacerbation}"


def test_set_predicates_on_an_unrecorded_fact_are_unknown() -> None:
    no_hernia = _facts(hernias=())
    assert F.worst_phase.contains("acute").evaluate(no_hernia) is None
    assert F.pain_score.not_empty().evaluate(_facts(vitals=Vitals())) is None
    assert F.concepts.not_empty().evaluate(no_hernia) is False


def test_not_renders_with_the_patients_values() -> None:
    facts = _facts(vitals=Vitals(120, 80, 36.6, 8))
    assert (~(F.pain_score >= 7)).render(facts) == "not (pain score 8 ≥ 7)"


def test_always() -> None:
    assert Always().render() == "always"
    assert Always().evaluate(_facts()) is True
    assert Always().reads() == ()


def test_custom_errors_and_rendering() -> None:
    with pytest.raises(RuleError, match=r"^Custom needs a callable$"):
        Custom(42, "x")  # type: ignore[arg-type]
    with pytest.raises(RuleError, match=r"^Custom predicates need a description$"):
        Custom(lambda f: True, "  ")
    expr = Custom(lambda f: True, "a check", reads=("pain_score", "age"))
    assert expr.render(_facts()) == "a check (pain score 3, age (years) 40)"
    assert expr.render() == "a check"


def test_predicates_refuse_python_boolean_operators() -> None:
    with pytest.raises(TypeError, match=r"^use & \| ~ to combine predicates, not and / or / not$"):
        bool(F.pain_score >= 7)


# -- terminology -----------------------------------------------------------------------------


def test_terminology_names_a_wrong_value_set_type() -> None:
    with pytest.raises(TypeError, match=r"^expected ValueSet, got str$"):
        Terminology(["core.malignancy"])  # type: ignore[list-item]


def test_a_code_range_without_systems_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a code range must apply to at least one code system$"):
        CodeRange("C00", "C97", frozenset())


@pytest.mark.parametrize(
    ("start", "end", "text"),
    [
        ("C34.1", None, "C34.1"),
        ("C00", "C97", "C00–C97"),
        ("Z86.71", "Z86.72", "Z86.71–Z86.72"),
        ("M86", None, "M86"),
    ],
)
def test_code_ranges_render_in_conventional_spelling(
    start: str, end: str | None, text: str
) -> None:
    code_range = CodeRange(start) if end is None else CodeRange(start, end)
    assert code_range.render() == text


# -- engine: messages and the course-planning contract ----------------------------------------


@attrs.frozen
class Params:
    minutes: int = 25


class Planner:
    """A technique whose course plan the test controls and whose planner arguments it records."""

    def __init__(self, plan: Any = None) -> None:
        self.plan = plan
        self.calls: list[dict[str, Any]] = []

    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        return [
            Technique(
                "planner",
                "Planner",
                "A test technique.",
                "test",
                parameters=Params(),
                protocol=self.protocol,
                plan_course=None if self.plan is None else self.plan_course,
            )
        ]

    def protocol(self, facts: ProtocolFacts, parameters: Any) -> Protocol:
        return Protocol(
            "planner", (ProtocolStep("s", "d"),), (10.0, parameters.minutes), (3, 5), "light"
        )

    def plan_course(
        self,
        facts: Facts,
        parameters: object,
        protocol: Protocol,
        start: date,
        policy: Policy,
    ) -> Any:
        self.calls.append(
            {
                "facts": facts,
                "parameters": parameters,
                "protocol": protocol,
                "start": start,
                "policy": policy,
            }
        )
        return self.plan(start) if callable(self.plan) else self.plan


def _sessions(
    start: date, count: int = 3, minutes: float = 20.0, offset: int = 0
) -> tuple[Session, ...]:
    return tuple(Session(i + 1, start + timedelta(days=i + offset), minutes) for i in range(count))


def _plan(technique: str = "planner", patient: str = "MK-1", **kwargs: Any) -> Any:
    def build(start: date) -> CoursePlan:
        return CoursePlan(
            technique, patient, _sessions(start, **kwargs), start + timedelta(days=90)
        )

    return build


def test_the_planner_gets_the_facts_parameters_protocol_and_policy_of_the_start_date() -> None:
    planner = Planner(_plan(count=4))
    policy = Policy(min_course_break_days=90)
    engine = Engine(
        plugins=[planner], entry_points=False, policy=policy, parameters={"planner": Params(20)}
    )
    plan = engine.plan_course(_patient(), "planner", START)
    [call] = planner.calls
    assert type(call["facts"]) is Facts
    assert call["facts"] == engine.facts(_patient(), START)
    assert call["parameters"] == Params(20)
    assert call["protocol"] == engine.evaluate(_patient(), "planner", as_of=START).protocol
    assert call["protocol"].session_minutes == (10.0, 20)
    assert call["start"] == START
    # The planner gets a copy of the clinic's policy, not the engine's own.
    assert call["policy"] == policy and type(call["policy"]) is Policy
    assert call["policy"] is not engine.policy and call["policy"] is not policy
    # The planner's sessions are used; its 87-day break is lengthened to the policy's 90.
    assert plan.sessions == _sessions(START, count=4)
    assert plan.next_course_earliest == plan.sessions[-1].date + timedelta(days=90)


def test_without_a_planner_the_default_plan_is_used_with_the_policy_break() -> None:
    planner = Planner()
    engine = Engine(plugins=[planner], entry_points=False, policy=Policy(min_course_break_days=90))
    assert engine.technique("planner").plan_course is None
    plan = engine.plan_course(_patient(), "planner", START)
    assert planner.calls == []
    # The fewest sessions, one a day, each the longest the protocol allows.
    assert plan.patient_id == "MK-1" and plan.technique == "planner"
    assert plan.sessions == _sessions(START, count=3, minutes=25)
    assert plan.next_course_earliest == plan.sessions[-1].date + timedelta(days=90)


def test_the_course_is_decided_on_the_start_date_not_today() -> None:
    # A course ended 30 days before the start: too early on the start date, fine years later.
    patient = _patient(massage_courses=(MassageCourse(end_date=START - timedelta(days=30)),))
    engine = Engine(plugins=[Planner()], entry_points=False)
    with pytest.raises(NotPermittedError) as caught:
        engine.plan_course(patient, "planner", START)
    assert caught.value.decision.outcome is Outcome.REQUIRES_CLEARANCE
    later = engine.plan_course(patient, "planner", START, as_of=START + timedelta(days=400))
    assert later.sessions[0].date == START


@pytest.mark.parametrize(
    ("plan", "problem"),
    [
        (_plan(technique="other"), "returned a plan for 'other' / 'MK-1'"),
        (_plan(patient="MK-2"), "returned a plan for 'planner' / 'MK-2'"),
        (_plan(offset=-1), "before the start 2025-03-14"),
        (_plan(count=6), "planned 6 sessions, more than the protocol's 5"),
        (_plan(minutes=25.5), "planned a session longer than the protocol's 25 minutes"),
        (lambda start: "a plan", "returned str, not a CoursePlan"),
        (lambda start: None, "returned NoneType, not a CoursePlan"),
    ],
    ids=["technique", "patient", "early", "too-many", "too-long", "type", "none"],
)
def test_a_plan_that_breaks_the_protocol_is_refused(plan: Any, problem: str) -> None:
    engine = Engine(plugins=[Planner(plan)], entry_points=False)
    with pytest.raises(NotPermittedError) as caught:
        engine.plan_course(_patient(), "planner", START)
    decision = caught.value.decision
    assert decision.technique == "planner" and decision.patient_id == "MK-1"
    [failure] = [f for f in decision.findings if f.rule_id == "engine.plugin-error"]
    assert problem in failure.message
    assert "'planner'" in failure.message


def test_a_valid_plugin_plan_is_used_with_at_least_the_policy_break() -> None:
    engine = Engine(plugins=[Planner(_plan(count=5, minutes=25.0))], entry_points=False)
    plan = engine.plan_course(_patient(), "planner", START)
    assert [s.minutes for s in plan.sessions] == [25.0] * 5
    assert plan.next_course_earliest >= plan.sessions[-1].date + timedelta(days=60)


def test_a_raising_planner_names_the_technique() -> None:
    def boom(start: date) -> CoursePlan:
        raise RuntimeError("no calendar")

    engine = Engine(plugins=[Planner(boom)], entry_points=False)
    with pytest.raises(NotPermittedError) as caught:
        engine.plan_course(_patient(), "planner", START)
    decision = caught.value.decision
    assert decision.technique == "planner" and decision.patient_id == "MK-1"
    assert "the course planner of 'planner' raised RuntimeError: no calendar" in str(caught.value)


def test_not_permitted_lists_every_reason() -> None:
    engine = Engine(plugins=[Planner()], entry_points=False)
    acute = Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.ACUTE, 5.0, False)
    patient = _patient(hernias=(acute,), vitals=Vitals(120, 80, 38.5, 3))
    with pytest.raises(NotPermittedError) as caught:
        engine.plan_course(patient, "planner", START)
    message = str(caught.value)
    assert message.startswith("planner is not permitted for patient MK-1 (defer): ")
    assert "core.acute-phase: " in message and "; core.raised-temperature: " in message


def test_an_unknown_technique_lists_the_known_ones() -> None:
    with pytest.raises(KeyError) as caught:
        Engine(plugins=[Planner()], entry_points=False).technique("reiki")
    assert caught.value.args[0] == "unknown technique 'reiki'; known: planner"
    with pytest.raises(KeyError) as caught:
        Engine(entry_points=False).evaluate(_patient(), "reiki")
    assert caught.value.args[0] == "unknown technique 'reiki'; known: none"


def test_a_plugin_failure_explains_fail_closed() -> None:
    class Broken(Planner):
        def protocol(self, facts: ProtocolFacts, parameters: Any) -> Protocol:
            raise RuntimeError("broken")

    decision = Engine(plugins=[Broken()], entry_points=False).evaluate(
        _patient(), "planner", as_of=START
    )
    [failure] = [f for f in decision.findings if f.rule_id == "engine.plugin-error"]
    assert (
        failure.source
        == "herniarules fails closed: a technique whose plugin fails is not permitted."
    )
    assert failure.outcome is Outcome.INSUFFICIENT_DATA


def test_installed_plugins_are_loaded_in_entry_point_name_order() -> None:
    import importlib.metadata

    names = sorted(ep.name for ep in importlib.metadata.entry_points(group="herniarules"))
    if len(names) < 2:
        pytest.skip("needs two installed plugins")
    engine = Engine()
    loaded = [info.name for info in engine.plugins]
    dists = {
        ep.name: ep.dist.metadata["Name"] if ep.dist else ep.name
        for ep in importlib.metadata.entry_points(group="herniarules")
    }
    assert loaded == [dists[name] for name in names]


# -- engine: loading, parameters, findings ----------------------------------------------------


class Probe:
    """One technique; rules, value sets and hooks given by the test."""

    def __init__(
        self, rules: Sequence[Any] = (), value_sets: Sequence[Any] = (), tid: str = "probe"
    ) -> None:
        self.rules = rules
        self.value_sets = value_sets
        self.tid = tid

    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        return [
            Technique(
                self.tid, "Probe", "A probe.", "test", parameters=Params(), protocol=self.protocol
            )
        ]

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Any]:
        return self.rules

    @hookimpl
    def herniarules_value_sets(self) -> Sequence[Any]:
        return self.value_sets

    def protocol(self, facts: ProtocolFacts, parameters: Any) -> Protocol:
        return Protocol(self.tid, (ProtocolStep("s", "d"),), (10.0, 20.0), (3, 5), "light")


def _error(engine: Engine, name: str) -> str:
    [info] = [i for i in engine.plugins if i.name == name]
    assert info.error is not None
    return info.error


def test_a_failed_plugin_does_not_stop_the_next_one_loading() -> None:
    class Broken(Probe):
        @hookimpl
        def herniarules_rules(self, policy: Policy) -> Sequence[Any]:
            raise RuntimeError("broken")

    engine = Engine(plugins=[Broken(tid="broken"), Probe()], entry_points=False)
    assert engine.evaluate(_patient(), "probe", as_of=START).permitted
    assert not engine.evaluate(_patient(), "broken", as_of=START).permitted


@pytest.mark.parametrize(
    ("probe", "message"),
    [
        (Probe(rules={"a": 1}), "herniarules_rules must return a list of Rule, got dict"),
        (Probe(value_sets="x"), "herniarules_value_sets must return a list of ValueSet, got str"),
    ],
)
def test_wrong_hook_results_name_the_hook_and_the_type(probe: Probe, message: str) -> None:
    assert message in _error(Engine(plugins=[probe], entry_points=False), "Probe")


def test_wrong_techniques_name_the_hook() -> None:
    class Wrong:
        @hookimpl
        def herniarules_techniques(self) -> Any:
            return "probe"

    message = "herniarules_techniques must return a list of Technique, got str"
    assert message in _error(Engine(plugins=[Wrong()], entry_points=False), "Wrong")


def _scoped_rule(techniques: Any) -> Any:
    from herniarules import Rule

    return Rule("probe.x", "T", F.age >= 0, Outcome.DEFER, "m", "s", techniques=techniques)


def test_a_rule_with_an_empty_technique_scope_is_refused() -> None:
    engine = Engine(plugins=[Probe(rules=[_scoped_rule(frozenset())])], entry_points=False)
    assert "rule 'probe.x' must name only this plugin's techniques (probe)" in _error(
        engine, "Probe"
    )


def test_a_plugin_without_techniques_cannot_scope_rules() -> None:
    class NoTechniques(Probe):
        @hookimpl
        def herniarules_techniques(self) -> Sequence[Technique]:
            return []

    engine = Engine(plugins=[NoTechniques(rules=[_scoped_rule({"probe"})])], entry_points=False)
    assert "must name only this plugin's techniques (none)" in _error(engine, "NoTechniques")


def test_unknown_hooks_are_named() -> None:
    class Misspelled:
        @hookimpl
        def herniarules_technique(self) -> Any:
            return []

        @hookimpl
        def herniarules_rule(self) -> Any:
            return []

    engine = Engine(plugins=[Misspelled()], entry_points=False)
    assert _error(engine, "Misspelled") == (
        "implements unknown hook herniarules_rule; did you mean herniarules_rules?; "
        "implements unknown hook herniarules_technique; did you mean herniarules_techniques?"
    )
    assert engine.techniques == ()


def test_an_unknown_hook_with_no_close_name_gets_no_suggestion() -> None:
    class Stranger(Probe):
        # A protocol builder is a plain method the technique carries, not a hook.
        @hookimpl
        def protocol(self, facts: ProtocolFacts, parameters: Any) -> Protocol:
            return super().protocol(facts, parameters)

    engine = Engine(plugins=[Stranger()], entry_points=False)
    assert _error(engine, "Stranger") == "implements unknown hook protocol"


@pytest.mark.parametrize(
    ("hook", "instead"),
    [
        ("herniarules_protocol", "pass protocol= (and reads=) to Technique instead"),
        ("herniarules_plan_course", "pass plan_course= to Technique instead"),
    ],
)
def test_a_removed_hook_fails_the_plugin_and_says_what_to_do_instead(
    hook: str, instead: str
) -> None:
    def old(*args: Any) -> Any:
        raise AssertionError("a removed hook is never called")

    plugin = Probe()
    setattr(plugin, hook, hookimpl(old))
    engine = Engine(plugins=[plugin, Probe(tid="other")], entry_points=False)
    [info, other] = engine.plugins
    assert info.error == f"implements {hook}, removed in 0.2: {instead}"
    assert other.error is None
    # None of the failed plugin's hooks ran, so it declares no technique.
    assert [t.id for t in engine.techniques] == ["other"]
    assert engine.evaluate(_patient(), "other", as_of=START).permitted


def test_a_hook_without_the_marker_is_refused_rather_than_ignored() -> None:
    class Unmarked(Probe):
        def herniarules_value_sets(self) -> Sequence[Any]:  # no @hookimpl
            return []

    engine = Engine(plugins=[Unmarked()], entry_points=False)
    assert _error(engine, "Unmarked") == (
        "defines herniarules_value_sets without @hookimpl, so the engine would never call it"
    )
    assert engine.techniques == ()


def test_clinic_parameters_are_checked_and_used() -> None:
    engine = Engine(plugins=[Probe()], entry_points=False, parameters={"probe": Params(10)})
    assert engine.parameters("probe") == Params(10)
    assert Engine(plugins=[Probe()], entry_points=False).parameters("probe") == Params()
    with pytest.raises(ValueError, match=r"^parameters given for unknown technique 'reiki'$"):
        Engine(plugins=[Probe()], entry_points=False, parameters={"reiki": Params()})
    with pytest.raises(TypeError, match=r"^parameters for 'probe' must be a Params, got dict$"):
        Engine(plugins=[Probe()], entry_points=False, parameters={"probe": {"minutes": 10}})


def test_plugin_value_sets_reach_the_facts_and_the_rules() -> None:
    from herniarules import ClinicalStatus, Condition, Rule, ValueSet

    value_set = ValueSet(
        "probe-diabetes", "Diabetes", (CodeRange("E11"),), "test", "probe.diabetes"
    )
    rule = Rule(
        "probe.diabetes",
        "Diabetes",
        F.concepts.contains("probe-diabetes"),
        Outcome.REQUIRES_CLEARANCE,
        "m",
        "s",
        techniques={"probe"},
        site="skin",
    )
    engine = Engine(plugins=[Probe([rule], [value_set])], entry_points=False)
    patient = _patient(conditions=(Condition(ClinicalStatus.ACTIVE, code="E11.9"),))
    assert "probe-diabetes" in engine.facts(patient, START).concepts
    decision = engine.evaluate(patient, "probe", as_of=START)
    [finding] = decision.findings
    assert finding.rule_id == "probe.diabetes" and finding.site == "skin"
    assert decision.patient_id == "MK-1"


def test_insufficient_data_names_the_missing_facts() -> None:
    engine = Engine(plugins=[Probe()], entry_points=False)
    decision = engine.evaluate(_patient(vitals=Vitals(120, 80, 36.6, None)), "probe", as_of=START)
    messages = {f.rule_id: f.message for f in decision.findings}
    assert messages["core.severe-pain"] == (
        "Cannot check 'Severe pain': pain score not recorded; "
        "the technique is not permitted until it is."
    )


def test_a_technique_permitted_with_modifications_still_gets_its_protocol() -> None:
    from herniarules import Rule

    rule = Rule(
        "probe.care",
        "Care",
        F.age >= 18,
        Outcome.ALLOWED_WITH_MODIFICATIONS,
        "m",
        "s",
        techniques={"probe"},
    )
    decision = Engine(plugins=[Probe([rule])], entry_points=False).evaluate(
        _patient(), "probe", as_of=START
    )
    assert decision.outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    assert decision.protocol is not None and decision.patient_id == "MK-1"


def test_assess_uses_the_given_date_and_patient() -> None:
    engine = Engine(plugins=[Probe()], entry_points=False)
    assessment = engine.assess(_patient(), as_of=START)
    assert assessment.as_of == START
    assert [d.patient_id for d in assessment.decisions] == ["MK-1"]
    acute = Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.ACUTE, 5.0, False)
    deferred = engine.assess(_patient(hernias=(acute,)), as_of=START).decisions[0]
    assert deferred.patient_id == "MK-1"


def test_failures_name_their_technique() -> None:
    class Raises(Probe):
        @hookimpl
        def herniarules_rules(self, policy: Policy) -> Sequence[Any]:
            from herniarules import Rule

            def boom(facts: Facts) -> bool:
                raise RuntimeError("boom")

            return [
                Rule(
                    "probe.boom",
                    "Boom",
                    Custom(boom, "boom"),
                    Outcome.DEFER,
                    "m",
                    "s",
                    techniques={"probe"},
                )
            ]

    class NoProtocol:
        @hookimpl
        def herniarules_techniques(self) -> Sequence[Technique]:
            return [Technique("bare", "Bare", "A probe.", "test", protocol=None)]  # type: ignore[arg-type]

    class BadProtocol(Probe):
        def protocol(self, facts: ProtocolFacts, parameters: Any) -> Any:
            return ["steps"]

    engine = Engine(plugins=[Raises(), NoProtocol(), BadProtocol(tid="bad")], entry_points=False)
    assessment = engine.assess(_patient(), as_of=START)
    expected = {
        "probe": "a Custom predicate raised RuntimeError: boom",
        "bad": "the protocol builder of 'bad' returned list, not a Protocol for 'bad'",
    }
    for technique, what in expected.items():
        decision = assessment.decision(technique)
        assert decision.patient_id == "MK-1"
        [failure] = [f for f in decision.findings if f.rule_id == "engine.plugin-error"]
        assert f"provides {technique!r} failed ({what})" in failure.message
    # A technique without a protocol builder cannot be declared: its plugin fails to load.
    assert _error(engine, "NoProtocol") == (
        "herniarules_techniques raised ValueError: "
        "technique 'bare': protocol must be a function, got None"
    )
    assert "bare" not in {d.technique for d in assessment.decisions}


def test_facts_refuse_a_non_patient_by_name() -> None:
    with pytest.raises(TypeError, match=r"^expected a herniarules.Patient, got dict$"):
        Engine(entry_points=False).facts({"id": "x"}, START)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^expected a herniarules.Patient, got dict$"):
        Engine(entry_points=False).assess({"id": "x"}, as_of=START)  # type: ignore[arg-type]


def test_code_errors_say_what_a_code_looks_like() -> None:
    from herniarules.terminology import normalize_code

    with pytest.raises(TypeError, match=r"^ICD-10 code must be a str, not int$"):
        normalize_code(341)  # type: ignore[arg-type]
    with pytest.raises(ValueError) as caught:
        normalize_code("C3")
    assert str(caught.value).endswith(
        "then optionally a dot and 1-4 letters or digits (e.g. 'C34.1', 'O9A.1', 'Z91.030')"
    )


# -- safety: the text a clinician reads ------------------------------------------------------

SOURCE_COPY = Path(__file__).resolve().parent.parent / "traceability" / "source.txt"


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(not SOURCE_COPY.exists(), reason="the copy of the clinical source is missing")
def test_core_rule_sources_quote_the_clinical_source_verbatim_with_its_case() -> None:
    source = _words(SOURCE_COPY.read_text(encoding="utf-8"))
    for rule in core_rules():
        for passage in rule.source.split(";"):
            assert _words(passage) in source, f"{rule.id}: {passage!r} is not quoted verbatim"


def test_core_rule_titles_are_unique_and_in_sentence_case() -> None:
    titles = [rule.title for rule in core_rules()]
    assert len(set(titles)) == len(titles)
    for title in titles:
        assert title[0].isupper() and title[1:] == title[1:].lower(), title
        assert not title.endswith(".")


def test_core_rule_messages_are_plain_sentences() -> None:
    messages = [rule.message for rule in core_rules()]
    assert len(set(messages)) == len(messages)
    for message in messages:
        assert message[0].isupper() and message.endswith("."), message
        assert not any(len(word) > 1 and word.isupper() for word in message.split()), message


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: F.pain_score >= 3, {2: False, 3: True, 4: True}),
        (lambda: F.pain_score > 3, {2: False, 3: False, 4: True}),
        (lambda: F.pain_score <= 3, {2: True, 3: True, 4: False}),
        (lambda: F.pain_score < 3, {2: True, 3: False, 4: False}),
    ],
    ids=[">=", ">", "<=", "<"],
)
def test_comparisons_at_their_boundary_interpreted_and_compiled(
    build: Any, expected: dict[int, bool]
) -> None:
    from herniarules import Rule
    from herniarules.rules import CompiledRules

    expr = build()
    rule = Rule("probe.cmp", "Cmp", expr, Outcome.DEFER, "m", "s", techniques={"probe"})
    compiled = CompiledRules([rule])
    for pain, result in expected.items():
        facts = _facts(vitals=Vitals(120, 80, 36.6, pain))
        assert expr.evaluate(facts) is result, pain
        assert bool(compiled.fired(facts)) is result, pain
    with pytest.raises(RuleError, match=r"^unknown operator '=~'$"):
        from herniarules.rules import Compare

        Compare(F.pain_score, "=~", 1)
