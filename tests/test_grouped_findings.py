"""The grouped findings function sorts findings as the plain one finds them."""

from __future__ import annotations

import functools

import pytest
from hypothesis import given, settings

from herniarules import Engine, RuleError
from herniarules.engine import _make_finding
from herniarules.rules import CompiledRules
from herniarules.testing import AS_OF, patients


@functools.cache
def _engine() -> Engine:
    return Engine()


@pytest.fixture(scope="module")
def engine() -> Engine:
    return _engine()


@settings(max_examples=60, deadline=None)
@given(patient=patients())
def test_each_group_holds_exactly_the_findings_of_its_rules_in_order(patient: object) -> None:
    engine = _engine()
    rules = engine.rules
    # Rule i goes to group i % 3, and every fourth rule to group 3 as well.
    groups = [(i % 3, 3) if i % 4 == 0 else (i % 3,) for i in range(len(rules))]
    compiled = CompiledRules(rules)
    plain = compiled.findings_function(_make_finding, 64)
    grouped = compiled.grouped_findings_function(_make_finding, 64, groups, 5)
    facts = engine.facts(patient, AS_OF)  # type: ignore[arg-type]
    found = plain(facts)
    index = {rule.id: i for i, rule in enumerate(rules)}
    sorted_out = grouped(facts)
    assert len(sorted_out) == 5 and sorted_out[4] == []
    for group in range(5):
        expected = [f for f in found if group in groups[index[f.rule_id]]]
        assert sorted_out[group] == expected


@settings(max_examples=60, deadline=None)
@given(patient=patients())
def test_assessing_all_at_once_decides_as_each_technique_alone(patient: object) -> None:
    # assess reads every technique's findings from the joint function; evaluate of one
    # technique runs the core's and that technique's own functions.
    engine = _engine()
    assessment = engine.assess(patient, as_of=AS_OF)  # type: ignore[arg-type]
    for decision in assessment.decisions:
        assert decision == engine.evaluate(patient, decision.technique, as_of=AS_OF)  # type: ignore[arg-type]


def test_groups_are_checked(engine: Engine) -> None:
    compiled = CompiledRules(engine.rules[:3])
    with pytest.raises(RuleError, match="2 groups for 3 rules"):
        compiled.grouped_findings_function(_make_finding, 8, [(0,), (0,)], 1)
    with pytest.raises(RuleError, match="numbered from 0 to 1"):
        compiled.grouped_findings_function(_make_finding, 8, [(0,), (2,), (0,)], 2)
