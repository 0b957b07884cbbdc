"""Hostile plugins: each tries to break the safety kernel and must fail alone.

Every plugin here is registered with ``Engine(entry_points=False, plugins=[...])`` next to a
well-behaved one, so each test shows both halves of the promise: the hostile plugin's own
technique is not permitted, with an ``engine.plugin-error`` finding saying why, and every
other technique is decided as if the hostile plugin were not installed.

Policy for slow plugins: a hook call that takes longer than ``plugin_time_budget_s`` (1 s by
default) has its result discarded: at load time the plugin fails to load, per patient its
technique is not permitted. A hook that never returns cannot be interrupted inside the
process; an application that installs untrusted plugins runs assessments under a
process-level timeout.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
import pytest

from herniarules import (
    Clearance,
    CodeRange,
    Custom,
    Engine,
    F,
    Facts,
    Hernia,
    HerniaKind,
    NotPermittedError,
    Outcome,
    Patient,
    Phase,
    Policy,
    Protocol,
    ProtocolStep,
    Region,
    Rule,
    RuleError,
    Sex,
    Technique,
    ValueSet,
    Vitals,
    hookimpl,
)
from herniarules.courses import CoursePlan, Session

AS_OF = date(2025, 3, 14)
PLUGIN_ERROR = "engine.plugin-error"


@attrs.frozen
class Params:
    minutes: int = 20


def _technique(technique_id: str, plugin: Any) -> Technique:
    return Technique(
        id=technique_id,
        name=technique_id.title(),
        description="A test technique.",
        source="test",
        indications=("compression",),
        parameters=Params(),
        protocol=plugin.protocol,
        plan_course=getattr(plugin, "plan_course", None),
    )


def _protocol(technique_id: str) -> Protocol:
    return Protocol(
        technique=technique_id,
        steps=(ProtocolStep("stroking", "Light stroking."),),
        session_minutes=(10.0, 20.0),
        course_sessions=(5, 10),
        pressure="light",
    )


class Good:
    """A well-behaved plugin: one technique, one rule, a protocol."""

    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        return [_technique("good", self)]

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return [
            Rule(
                "good.large-hernia",
                "Large hernia",
                F.max_hernia_size_mm >= 10,
                Outcome.CONTRAINDICATED,
                "Too large.",
                "test",
                techniques={"good"},
            )
        ]

    def protocol(self, facts: Any, parameters: object) -> Protocol:
        return _protocol("good")


class Hostile:
    """Base for hostile plugins: declares technique ``technique_id`` and a valid protocol."""

    technique_id = "hostile"

    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        return [_technique(self.technique_id, self)]

    def protocol(self, facts: Any, parameters: object) -> Any:
        return _protocol(self.technique_id)


def _patient(phase: Phase = Phase.REMISSION, **changes: Any) -> Patient:
    values: dict[str, Any] = {
        "id": "H-1",
        "age": 40,
        "sex": Sex.MALE,
        "vitals": Vitals(systolic_mmhg=120, diastolic_mmhg=80, temperature_c=36.6, pain_score=1),
        "hernias": (Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, phase, 5.0, False),),
        "inflammatory_process": False,
    }
    values.update(changes)
    return Patient(**values)


def _engine(*plugins: object, **kwargs: Any) -> Engine:
    return Engine(plugins=[Good(), *plugins], entry_points=False, **kwargs)


def _assert_only_hostile_fails(
    engine: Engine, technique_id: str = "hostile", needle: str = ""
) -> None:
    """The hostile technique is not permitted and says why; ``good`` is unaffected."""
    assessment = engine.assess(_patient(), as_of=AS_OF)
    hostile = assessment.decision(technique_id)
    assert not hostile.permitted
    assert hostile.protocol is None
    errors = [f for f in hostile.findings if f.rule_id == PLUGIN_ERROR]
    assert errors, hostile.findings
    assert needle in errors[0].message
    good = assessment.decision("good")
    assert good.permitted and good.outcome is Outcome.ALLOWED and good.protocol is not None
    alone = Engine(plugins=[Good()], entry_points=False).evaluate(_patient(), "good", as_of=AS_OF)
    assert good == alone


# -- 1. declaring "allowed" or a protocol for acute patients --------------------------------


def test_a_rule_cannot_declare_allowed() -> None:
    with pytest.raises(RuleError, match="above ALLOWED"):
        Rule(
            "hostile.allow",
            "Allow",
            F.phases.contains("acute"),
            Outcome.ALLOWED,
            "ok",
            "none",
            techniques={"hostile"},
        )


class AllowsAcute(Hostile):
    """Tries every way to say "allowed" for an acute patient."""

    calls = 0

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        rule = Rule(
            "hostile.never",
            "Never fires",
            Custom(lambda f: False, "never"),
            Outcome.DEFER,
            "never",
            "none",
            techniques={"hostile"},
        )
        # Frozen attrs: object.__setattr__ bypasses the validator that forbids ALLOWED.
        object.__setattr__(rule, "outcome", Outcome.ALLOWED)
        return [rule]

    def protocol(self, facts: Any, parameters: object) -> Any:
        type(self).calls += 1
        return _protocol("hostile")


@pytest.mark.parametrize("phase", [Phase.ACUTE, Phase.EXACERBATION])
def test_acute_stays_deferred_whatever_the_plugin_says(phase: Phase) -> None:
    AllowsAcute.calls = 0
    engine = _engine(AllowsAcute())
    clearances = tuple(Clearance(t, "Dr. B", AS_OF) for t in ("good", "hostile"))
    assessment = engine.assess(_patient(phase, clearances=clearances), as_of=AS_OF)
    for decision in assessment.decisions:
        assert not decision.permitted
        assert decision.outcome is Outcome.DEFER
        assert decision.protocol is None
        assert {"core.acute-phase", "core.exacerbation"} & {f.rule_id for f in decision.findings}
    assert AllowsAcute.calls == 0, "the protocol hook must not even be asked for a deferred patient"


class RewritesFacts(Hostile):
    """A rule that rewrites the shared facts to look like remission, bypassing frozen."""

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        def erase(facts: Facts) -> bool:
            object.__setattr__(facts, "phases", frozenset({"remission"}))
            return False

        return [
            Rule(
                "hostile.erase",
                "Erase",
                Custom(erase, "erase the acute phase"),
                Outcome.DEFER,
                "x",
                "none",
                techniques={"hostile"},
            )
        ]


def test_rewriting_the_facts_after_the_core_ran_cannot_lift_the_acute_stage() -> None:
    # Core findings are computed once, before any plugin code sees the facts.
    engine = Engine(plugins=[RewritesFacts(), Good()], entry_points=False)
    assessment = engine.assess(_patient(Phase.ACUTE), as_of=AS_OF)
    for decision in assessment.decisions:
        assert decision.outcome is Outcome.DEFER
        assert "core.acute-phase" in {f.rule_id for f in decision.findings}


# -- 2. raising in each hook ----------------------------------------------------------------


class Boom(Exception):
    pass


class RaisesInRules(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        raise Boom("rules exploded")


class RaisesInValueSets(Hostile):
    @hookimpl
    def herniarules_value_sets(self) -> Sequence[ValueSet]:
        raise Boom("value sets exploded")


class RaisesInProtocol(Hostile):
    def protocol(self, facts: Any, parameters: object) -> Any:
        raise Boom("protocol exploded")


class RaisesInRule(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        def explode(facts: Facts) -> bool:
            raise Boom("predicate exploded")

        return [
            Rule(
                "hostile.explode",
                "Explode",
                Custom(explode, "explodes"),
                Outcome.DEFER,
                "x",
                "none",
                techniques={"hostile"},
            )
        ]


@pytest.mark.parametrize(
    ("plugin", "needle"),
    [
        (RaisesInRules(), "rules exploded"),
        (RaisesInValueSets(), "value sets exploded"),
        (RaisesInProtocol(), "protocol exploded"),
        (RaisesInRule(), "predicate exploded"),
    ],
    ids=["rules", "value-sets", "protocol", "rule-predicate"],
)
def test_a_plugin_that_raises_fails_alone(plugin: Hostile, needle: str) -> None:
    _assert_only_hostile_fails(_engine(plugin), needle=needle)


class RaisesInTechniques:
    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        raise Boom("techniques exploded")


def test_a_plugin_that_raises_while_declaring_techniques_is_reported() -> None:
    engine = _engine(RaisesInTechniques())
    [info] = [i for i in engine.plugins if i.name == "RaisesInTechniques"]
    assert info.error is not None and "techniques exploded" in info.error
    assert [t.id for t in engine.techniques] == ["good"]
    assert engine.evaluate(_patient(), "good", as_of=AS_OF).permitted


class RaisesInPlan(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []

    def plan_course(
        self, facts: Facts, parameters: object, protocol: Protocol, start: date, policy: Policy
    ) -> CoursePlan:
        raise Boom("plan exploded")


def test_a_plugin_that_raises_while_planning_refuses_the_course() -> None:
    engine = _engine(RaisesInPlan())
    assert engine.evaluate(_patient(), "hostile", as_of=AS_OF).permitted
    with pytest.raises(NotPermittedError) as caught:
        engine.plan_course(_patient(), "hostile", AS_OF)
    assert any(
        f.rule_id == PLUGIN_ERROR and "plan exploded" in f.message
        for f in caught.value.decision.findings
    )
    assert engine.plan_course(_patient(), "good", AS_OF).sessions


# -- 3. wrong types -------------------------------------------------------------------------


class RulesNotAList(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Any:
        return {"hostile.rule": "allow"}


class RulesOfWrongItems(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Any:
        return ["allow everything"]


class ValueSetsOfWrongItems(Hostile):
    @hookimpl
    def herniarules_value_sets(self) -> Any:
        return [42]


class ProtocolAsDict(Hostile):
    def protocol(self, facts: Any, parameters: object) -> Any:
        return {"technique": "hostile", "steps": []}


class ProtocolForAnotherTechnique(Hostile):
    def protocol(self, facts: Any, parameters: object) -> Any:
        return _protocol("good")


class ProtocolSubclass(Hostile):
    def protocol(self, facts: Any, parameters: object) -> Any:
        class Sneaky(Protocol):
            pass

        return Sneaky(**attrs.asdict(_protocol("hostile"), recurse=False))


class ProtocolNone(Hostile):
    def protocol(self, facts: Any, parameters: object) -> Any:
        return None


@pytest.mark.parametrize(
    ("plugin", "needle"),
    [
        (RulesNotAList(), "must return a list of Rule"),
        (RulesOfWrongItems(), "not a Rule"),
        (ValueSetsOfWrongItems(), "not a ValueSet"),
        (ProtocolAsDict(), "not a Protocol"),
        (ProtocolForAnotherTechnique(), "not a Protocol for 'hostile'"),
        (ProtocolSubclass(), "not a Protocol"),
        (ProtocolNone(), ""),
    ],
    ids=[
        "rules-dict",
        "rules-str",
        "value-sets-int",
        "protocol-dict",
        "protocol-other",
        "protocol-subclass",
        "protocol-none",
    ],
)
def test_a_plugin_returning_wrong_types_fails_alone(plugin: Hostile, needle: str) -> None:
    _assert_only_hostile_fails(_engine(plugin), needle=needle)


class TechniquesNotTechniques:
    @hookimpl
    def herniarules_techniques(self) -> Any:
        return [{"id": "hostile"}]


def test_wrong_technique_objects_make_the_plugin_fail_to_load() -> None:
    engine = _engine(TechniquesNotTechniques())
    [info] = [i for i in engine.plugins if i.name == "TechniquesNotTechniques"]
    assert info.error is not None and "not a Technique" in info.error
    assert [t.id for t in engine.techniques] == ["good"]


class PlanWrongType(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []

    def plan_course(
        self, facts: Facts, parameters: object, protocol: Protocol, start: date, policy: Policy
    ) -> Any:
        return [Session(1, start, 20.0)]


def test_a_wrong_course_plan_refuses_the_course() -> None:
    with pytest.raises(NotPermittedError, match="CoursePlan"):
        _engine(PlanWrongType()).plan_course(_patient(), "hostile", AS_OF)


# -- 4. mutating the patient or the facts ---------------------------------------------------


class MutatesFacts(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []

    def protocol(self, facts: Any, parameters: object) -> Any:
        facts.pain_score = 0  # type: ignore[misc]
        return _protocol("hostile")


class MutatesParameters(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []

    def protocol(self, facts: Any, parameters: Any) -> Any:
        parameters.minutes = 90
        return _protocol("hostile")


class MutatesTechnique(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []

    def protocol(self, facts: Any, parameters: object) -> Any:
        # The technique object this plugin declared; the engine holds its own copy anyway.
        declared = self.herniarules_techniques()[0]
        declared.indications = ("everything",)  # type: ignore[misc]
        return _protocol("hostile")


class MutatesPolicy(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        policy.severe_pain_score = 10  # type: ignore[misc]
        return []


@pytest.mark.parametrize(
    "plugin",
    [MutatesFacts(), MutatesParameters(), MutatesTechnique(), MutatesPolicy()],
    ids=["facts", "parameters", "technique", "policy"],
)
def test_mutation_fails_on_frozen_values_and_only_its_technique(plugin: Hostile) -> None:
    engine = _engine(plugin)
    _assert_only_hostile_fails(engine, needle="can't set attribute")
    assert engine.policy == Policy()
    assert engine.parameters("hostile") == Params()


def test_a_patient_cannot_be_mutated() -> None:
    patient = _patient()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        patient.hernias = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        patient.hernias[0].phase = Phase.REMISSION  # type: ignore[misc]


# -- 5. duplicate and reserved ids ----------------------------------------------------------


def _rule(rule_id: str, techniques: Any = frozenset({"hostile"})) -> Rule:
    return Rule(rule_id, "T", F.pain_score >= 0, Outcome.DEFER, "m", "s", techniques=techniques)


class CoreRuleId(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return [_rule("core.acute-phase")]


class EngineRuleId(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return [_rule("engine.plugin-error")]


class DuplicateOfGood(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return [_rule("good.large-hernia")]


class DuplicateWithin(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return [_rule("hostile.same"), _rule("hostile.same")]


class RuleForOtherTechnique(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return [_rule("hostile.reach", frozenset({"good"}))]


class RuleForEveryTechnique(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return [_rule("hostile.global", None)]


@pytest.mark.parametrize(
    ("plugin", "needle"),
    [
        (CoreRuleId(), "reserved prefix"),
        (EngineRuleId(), "reserved prefix"),
        (DuplicateOfGood(), "already taken"),
        (DuplicateWithin(), "already taken"),
        (RuleForOtherTechnique(), "must name only this plugin's techniques"),
        (RuleForEveryTechnique(), "must name only this plugin's techniques"),
    ],
    ids=[
        "core-id",
        "engine-id",
        "duplicate-of-other",
        "duplicate-within",
        "other-technique",
        "every-technique",
    ],
)
def test_bad_rule_ids_and_scopes_fail_alone(plugin: Hostile, needle: str) -> None:
    _assert_only_hostile_fails(_engine(plugin), needle=needle)


class DuplicateTechnique(Hostile):
    technique_id = "good"


def test_a_duplicate_technique_id_disables_both_plugins() -> None:
    # A second distribution declaring "good" could otherwise replace it, or be replaced.
    engine = _engine(DuplicateTechnique())
    for name in ("Good", "DuplicateTechnique"):
        [info] = [i for i in engine.plugins if i.name == name]
        assert info.error is not None
        assert "'good' is declared by Good unregistered and DuplicateTechnique" in info.error
    decision = engine.evaluate(_patient(), "good", as_of=AS_OF)
    assert not decision.permitted
    assert PLUGIN_ERROR in {f.rule_id for f in decision.findings}


class ShadowsCoreValueSet(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []

    @hookimpl
    def herniarules_value_sets(self) -> Sequence[ValueSet]:
        # Same id as the core set: an attempt to replace the malignancy codes.
        return [ValueSet("malignancy", "Cancer", (CodeRange("Z99"),), "none", "core.malignancy")]


def test_a_value_set_with_a_core_id_fails_alone() -> None:
    _assert_only_hostile_fails(_engine(ShadowsCoreValueSet()), needle="core.malignancy")


def test_a_value_set_with_a_core_id_never_replaces_the_core_codes() -> None:
    # The shadowing plugin fails; the core malignancy codes still count for everyone.
    from herniarules import ClinicalStatus, Condition

    cancer = _patient(conditions=(Condition(ClinicalStatus.ACTIVE, code="C34.1"),))
    engine = _engine(ShadowsCoreValueSet())
    for decision in engine.assess(cancer, as_of=AS_OF).decisions:
        assert decision.outcome is Outcome.CONTRAINDICATED


# -- 6. slow and hanging plugins ------------------------------------------------------------


class SlowProtocol(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []

    def protocol(self, facts: Any, parameters: object) -> Any:
        time.sleep(0.3)
        return _protocol("hostile")


class SlowRules(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        time.sleep(0.3)
        return []


class SlowPlan(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []

    def plan_course(
        self, facts: Facts, parameters: object, protocol: Protocol, start: date, policy: Policy
    ) -> Any:
        time.sleep(0.3)
        return None


@pytest.mark.parametrize("plugin", [SlowProtocol(), SlowRules()], ids=["protocol", "rules"])
def test_a_plugin_over_its_time_budget_fails_alone(plugin: Hostile) -> None:
    engine = _engine(plugin, plugin_time_budget_s=0.1)
    _assert_only_hostile_fails(engine, needle="budget")


def test_a_slow_course_planner_refuses_the_course() -> None:
    engine = _engine(SlowPlan(), plugin_time_budget_s=0.1)
    with pytest.raises(NotPermittedError, match="budget"):
        engine.plan_course(_patient(), "hostile", AS_OF)


def test_a_slow_plugin_within_a_generous_budget_is_fine() -> None:
    engine = _engine(SlowProtocol(), plugin_time_budget_s=5)
    decision = engine.evaluate(_patient(), "hostile", as_of=AS_OF)
    assert decision.permitted and decision.protocol is not None


def test_the_default_budget_is_one_second() -> None:
    assert Engine(entry_points=False).plugin_time_budget_s == 1.0


@pytest.mark.parametrize("budget", [0, -1, float("nan"), "1"])
def test_a_nonsense_budget_is_rejected(budget: Any) -> None:
    with pytest.raises(ValueError, match="plugin_time_budget_s"):
        Engine(entry_points=False, plugin_time_budget_s=budget)
