"""The fast paths give what the plain definitions give.

Rule predicates compiled to Python agree with their own evaluation on any value a fact may
hold; a compiled rule set builds findings only after every predicate has run, and reuses them
only for equal values; the engine's one decision loop clears findings, calls protocol builders
and ranks techniques as documented, and deciding every technique at once agrees with
deciding each alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings

from herniarules import (
    Custom,
    Engine,
    F,
    Outcome,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Rule,
    RuleError,
    hookimpl,
)
from herniarules.facts import Facts, derive_facts
from herniarules.model import Patient
from herniarules.rules import All, Any_, CompiledRules, Expr, Tri
from herniarules.technique import Technique
from herniarules.testing import patients

AS_OF = date(2026, 11, 27)


def _rule(when: Expr, rule_id: str = "tests.rule", outcome: Outcome = Outcome.DEFER) -> Rule:
    return Rule(rule_id, "A test rule", when, outcome, "Test message.", "test suite")


def _compiled_value(expr: Expr, facts: Facts) -> Tri:
    fired = CompiledRules([_rule(expr)]).fired(facts)
    return fired[0][1] if fired else False


@pytest.fixture(scope="module")
def facts(make_patient: Any) -> Facts:
    return derive_facts(make_patient(), AS_OF)


# --------------------------------------------------------------------------- compiled predicates


@pytest.mark.parametrize(
    "concepts",
    [
        frozenset({"fever"}),
        frozenset({"fever", "malignancy"}),
        frozenset(),
        {"fever"},
        ("fever",),
        ["malignancy"],
        "fever",  # a string is not a set of concepts: its letters are its items
        None,
    ],
)
def test_one_concept_test_agrees_with_evaluation_whatever_the_fact_holds(
    facts: Facts, concepts: Any
) -> None:
    expr = F.concepts.contains("fever")
    odd = attrs.evolve(facts, concepts=concepts)
    assert _compiled_value(expr, odd) is expr.evaluate(odd)


class _Unknowable(Custom):
    def evaluate(self, facts: Facts) -> Tri:
        return None


def _strict(values: Iterable[Tri]) -> Tri:
    return all(value is True for value in values)  # unknown counts as no


class _StrictAll(All):
    combine = staticmethod(_strict)


@pytest.mark.parametrize(
    "build",
    [
        lambda: _Unknowable(lambda f: True, "a predicate that never knows"),
        lambda: _StrictAll(F.pain_score >= 0, Custom(lambda f: None, "unknown")),
    ],
    ids=["Custom", "All"],
)
def test_a_subclass_of_a_node_is_refused_not_compiled_as_its_parent(
    build: Any, facts: Facts
) -> None:
    # A subclass of a node is a node no back-end was written for: compiling or evaluating it
    # as its parent would silently drop what the subclass changes.
    expr = build()
    name = type(expr).__qualname__
    with pytest.raises(RuleError, match=rf"does not know the node type .*\b{name}\b"):
        CompiledRules([_rule(expr)])
    with pytest.raises(RuleError, match=rf"^the interpreter \(missing\) does not .*{name}"):
        expr.missing(facts)
    with pytest.raises(RuleError, match=rf"^the renderer \(render\) does not know .*{name}"):
        expr.render(facts)


@pytest.mark.parametrize("group", [All, Any_])
@pytest.mark.parametrize("first", [True, False, None])
def test_compiled_group_runs_every_part_even_when_the_first_decides(
    facts: Facts, group: type[All] | type[Any_], first: Tri
) -> None:
    calls: list[str] = []

    def second(f: Facts) -> Tri:
        calls.append("second")
        return True

    expr = group(Custom(lambda f: first, "first"), Custom(second, "second"))
    compiled = _compiled_value(expr, facts)
    assert calls == ["second"]  # compiled rule sets evaluate every part, as they always have
    assert compiled is expr.evaluate(facts)


# --------------------------------------------------------------------------- compiled findings


def _counting_make(built: list[str]) -> Any:
    def make(rule: Rule, result: Tri, reads: tuple[str, ...], facts: Facts) -> tuple[Any, ...]:
        built.append(rule.id)
        return (rule.id, result, tuple(getattr(facts, name) for name in reads))

    return make


def test_a_rule_that_raises_stops_its_set_before_any_finding_is_built(facts: Facts) -> None:
    def broken(f: Facts) -> Tri:
        raise RuntimeError("broken rule")

    compiled = CompiledRules(
        [_rule(F.pain_score >= 0, "tests.fires"), _rule(Custom(broken, "broken"), "tests.raises")]
    )
    built: list[str] = []
    findings_of = compiled.findings_function(_counting_make(built), 10)
    with pytest.raises(RuntimeError, match="broken rule"):
        findings_of(facts)
    assert built == []
    assert [len(cache) for cache in compiled.findings.values()] == [0]


def test_findings_are_reused_only_for_equal_values_and_the_limit_evicts_the_oldest(
    facts: Facts,
) -> None:
    compiled = CompiledRules([_rule(F.pain_score >= 0)])
    built: list[str] = []
    make = _counting_make(built)
    findings_of = compiled.findings_function(make, 1)
    assert compiled.findings_function(make, 1) is findings_of
    one, three = attrs.evolve(facts, pain_score=1), attrs.evolve(facts, pain_score=3)
    (cache,) = compiled.findings.values()
    first = findings_of(one)
    assert first == [("tests.rule", True, (1,))]
    assert len(cache) == 0  # a key seen once is not kept...
    assert findings_of(attrs.evolve(facts, pain_score=1)) == first
    assert len(cache) == 1  # ...seen twice, it is
    assert findings_of(one)[0] is findings_of(one)[0]  # and reused
    assert built == ["tests.rule"] * 2
    assert findings_of(three) == [("tests.rule", True, (3,))]
    assert findings_of(three) == [("tests.rule", True, (3,))]
    assert findings_of(three) == [("tests.rule", True, (3,))]
    assert built == ["tests.rule"] * 4  # 3 replaced 1 when it came the second time: limit 1
    assert findings_of(one) == first
    assert built == ["tests.rule"] * 5  # 1 was evicted, so it is built again
    assert len(cache) == 1


def test_findings_kept_stay_within_the_byte_budget(facts: Facts) -> None:
    compiled = CompiledRules([_rule(F.pain_score >= 0)])
    built: list[str] = []
    findings_of = compiled.findings_function(_counting_make(built), 10_000, budget=4_000)
    for pain in range(200):
        for _ in range(2):  # a finding is kept when its key comes the second time
            assert findings_of(attrs.evolve(facts, pain_score=pain)) == [
                ("tests.rule", True, (pain,))
            ]
    (cache,) = compiled.findings.values()
    assert 0 < cache.bytes <= 4_000
    assert len(cache) < 200


# --------------------------------------------------------------------------- engine


def test_cleared_finding_is_the_same_finding_with_the_physician_named(
    make_engine: Any, plugin_class: Any, make_patient: Any
) -> None:
    rule = Rule(
        "probe.approval", "Approval", F.pain_score >= 0, Outcome.REQUIRES_CLEARANCE,
        "Needs approval.", "test suite", techniques={"probe"},
    )  # fmt: skip
    engine = make_engine(plugin_class(rules=[rule]))
    plain = engine.evaluate(make_patient(), "probe", as_of=AS_OF)
    clearance = {"technique": "probe", "physician": "Dr. A. Surgeon", "date": "2026-11-01"}
    cleared = engine.evaluate(make_patient(clearances=[clearance]), "probe", as_of=AS_OF)
    assert not plain.permitted and cleared.permitted
    assert cleared.findings == tuple(
        attrs.evolve(f, cleared_by="Dr. A. Surgeon")
        if f.outcome is Outcome.REQUIRES_CLEARANCE
        else f
        for f in plain.findings
    )


class _PerPatientProtocol:
    """A plugin whose protocol builder declares the patient id, so each patient gets one."""

    __name__ = "per-patient"

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [
            Technique(
                "per-patient",
                "Per patient",
                "A test technique.",
                "test suite",
                protocol=self.protocol,
                reads=("patient_id",),
            )
        ]

    def protocol(self, facts: ProtocolFacts, parameters: object) -> Protocol:
        self.seen.append(facts.patient_id)
        return Protocol(
            technique="per-patient",
            steps=(ProtocolStep("stroking", f"Light stroking for {facts.patient_id}."),),
            session_minutes=(10.0, 20.0),
            course_sessions=(10, 12),
            pressure="light",
        )


def test_a_protocol_builder_sees_the_declared_facts_of_each_patient(
    make_engine: Any, make_patient: Any
) -> None:
    plugin = _PerPatientProtocol()
    engine = make_engine(plugin)
    first = engine.evaluate(make_patient(), "per-patient", as_of=AS_OF)
    second = engine.evaluate(make_patient(id="T-002"), "per-patient", as_of=AS_OF)
    again = engine.evaluate(make_patient(), "per-patient", as_of=AS_OF)
    assert first.protocol is not None and second.protocol is not None
    assert first.protocol.steps[0].description == "Light stroking for T-001."
    assert second.protocol.steps[0].description == "Light stroking for T-002."
    assert again.protocol is first.protocol
    assert plugin.seen == ["T-001", "T-002"]


@pytest.fixture(scope="module")
def installed() -> Engine:
    return Engine()


def _ranking_by_definition(engine: Engine, patient: Patient, decisions: Any) -> tuple[str, ...]:
    wanted = set(patient.indications)

    def key(decision: Any) -> tuple[int, int, str]:
        served = set(engine.technique(decision.technique).indications)
        return (-len(wanted & served), int(decision.outcome), decision.technique)

    return tuple(d.technique for d in sorted((d for d in decisions if d.permitted), key=key))


_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


@_SETTINGS
@given(patient=patients(with_hernia=None) | patients(clean=True))
def test_assessing_every_technique_agrees_with_deciding_each_alone(
    installed: Engine, patient: Patient
) -> None:
    assessment = installed.assess(patient, as_of=AS_OF)
    assert [d.technique for d in assessment.decisions] == [t.id for t in installed.techniques]
    for decision in assessment.decisions:
        assert installed.evaluate(patient, decision.technique, as_of=AS_OF) == decision
    assert assessment.ranking == _ranking_by_definition(installed, patient, assessment.decisions)


@_SETTINGS
@given(
    patient=patients(
        clean=True,
        clearance_for=["acupressure", "hydromassage", "segmental"],
    )
)
def test_ranking_follows_its_definition_for_any_order_of_techniques(
    installed: Engine, patient: Patient
) -> None:
    ids = [t.id for t in installed.techniques][::-1]
    assessment = installed.assess(patient, as_of=AS_OF, techniques=ids)
    assert [d.technique for d in assessment.decisions] == ids
    assert assessment.ranking == _ranking_by_definition(installed, patient, assessment.decisions)


@_SETTINGS
@given(
    patient=patients(with_hernia=None)
    | patients(clean=True, clearance_for=["acupressure", "kinesio", "segmental", "traction"])
)
def test_the_generated_decision_of_every_technique_agrees_with_the_loop(
    installed: Engine, patient: Patient
) -> None:
    # assess decides every technique through one function generated for the engine's
    # techniques; the loop over the slots (_decide) is its reference.
    facts = installed.facts(patient, AS_OF)
    audit = [patient, AS_OF, None, None]
    ranked_fast: list[Any] = []
    ranked_loop: list[Any] = []
    fast = installed._decide_sorted(patient, facts, ranked_fast, audit)
    loop = installed._decide(installed._sorted_slots, patient, facts, ranked_loop, audit)
    assert fast == loop
    assert [d.protocol for d in fast] == [d.protocol for d in loop]
    assert sorted(ranked_fast) == sorted(ranked_loop)
    # Again, now that every permitted technique's protocol is kept: the generated step's
    # own path for a kept protocol, against the same loop.
    ranked_again: list[Any] = []
    again = installed._decide_sorted(patient, facts, ranked_again, audit)
    assert again == loop
    assert [d.protocol for d in again] == [d.protocol for d in loop]
    assert sorted(ranked_again) == sorted(ranked_loop)
