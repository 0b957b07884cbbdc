"""Engine.technique_rules: what decides a technique beyond the core rules, read only."""

from __future__ import annotations

import pytest

from herniarules import Custom, Outcome, Rule


def _rule(rule_id: str, techniques: set[str]) -> Rule:
    return Rule(
        rule_id,
        "Pain recorded",
        Custom(lambda facts: facts.pain_score is not None, "pain recorded"),
        Outcome.DEFER,
        "pain recorded",
        "test suite",
        techniques=techniques,
    )


def test_a_technique_gets_its_plugins_rules_for_it_and_a_failed_plugin_none(
    make_engine, plugin_class
) -> None:
    mine = _rule("mine.only", {"mine"})
    engine = make_engine(plugin_class("mine", [mine]), plugin_class("good"))
    decides = engine.technique_rules("mine")
    assert decides.technique.id == "mine"
    assert decides.rules == (mine,)
    assert not decides.failed
    assert decides.treated is None
    assert engine.technique_rules("good").rules == ()
    with pytest.raises(KeyError, match="unknown technique 'nothing'; known: good, mine"):
        engine.technique_rules("nothing")


def test_a_technique_of_a_plugin_that_failed_to_load_has_no_rules_and_is_marked_failed(
    make_engine, plugin_class
) -> None:
    engine = make_engine(plugin_class("broken", [_rule("broken.x", {"broken"})], fail_in="rules"))
    decides = engine.technique_rules("broken")
    assert decides.failed and decides.rules == ()
