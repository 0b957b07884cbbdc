"""Whatever a plugin raises, SystemExit and GeneratorExit included, it fails alone.

A plugin's hook may raise any ``BaseException``. The engine contains every one of them but
``KeyboardInterrupt``: the plugin's techniques are not permitted, with a finding (or a load
error) that names the plugin, the hook and the exception, and every other plugin is decided
as if it were not installed. ``KeyboardInterrupt`` propagates, so an operator can still stop
the program. The cases are those of :mod:`herniarules.testing.hostile`, which plugin authors
run against their own plugins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

import herniarules.cli
from herniarules import (
    Custom,
    Engine,
    Facts,
    NotPermittedError,
    Outcome,
    Policy,
    Rule,
    hookimpl,
)
from herniarules.cli import EXIT_OK, main
from herniarules.testing import ConformanceError, check_fails_closed, raising_plugin
from herniarules.testing.hostile import RAISER_TECHNIQUE, RAISING_HOOKS, raised_exceptions
from tests.test_hostile_plugins import AS_OF, PLUGIN_ERROR, Good, Hostile, _patient

EXCEPTIONS = raised_exceptions()
EXCEPTION_IDS = [repr(e) for e in EXCEPTIONS]
LOAD_HOOKS = ("herniarules_rules", "herniarules_value_sets")


def _errors(engine: Engine, technique: str = RAISER_TECHNIQUE) -> list[str]:
    decision = engine.assess(_patient(), as_of=AS_OF).decision(technique)
    assert not decision.permitted and decision.protocol is None
    return [f.message for f in decision.findings if f.rule_id == PLUGIN_ERROR]


def _assert_good_unaffected(engine: Engine) -> None:
    alone = Engine(plugins=[Good()], entry_points=False).evaluate(_patient(), "good", as_of=AS_OF)
    decision = engine.assess(_patient(), as_of=AS_OF).decision("good")
    assert decision.permitted and decision == alone


# --------------------------------------------------------------------------- load time


@pytest.mark.parametrize("exception", EXCEPTIONS, ids=EXCEPTION_IDS)
def test_raising_while_declaring_techniques_fails_the_plugin_to_load(
    exception: BaseException,
) -> None:
    engine = Engine(
        plugins=[Good(), raising_plugin("herniarules_techniques", exception)], entry_points=False
    )
    [info] = [i for i in engine.plugins if i.name == "raising-in-techniques"]
    assert info.error is not None
    assert f"herniarules_techniques raised {type(exception).__name__}" in info.error
    assert [t.id for t in engine.techniques] == ["good"]
    _assert_good_unaffected(engine)


@pytest.mark.parametrize("exception", EXCEPTIONS, ids=EXCEPTION_IDS)
@pytest.mark.parametrize("hook", LOAD_HOOKS)
def test_raising_in_a_load_hook_refuses_the_plugins_techniques_naming_hook_and_exception(
    hook: str, exception: BaseException
) -> None:
    plugin = raising_plugin(hook, exception)
    engine = Engine(plugins=[Good(), plugin], entry_points=False)
    [message] = _errors(engine)
    assert f"The plugin {plugin.__name__} " in message
    assert f"{hook} raised {type(exception).__name__}" in message
    _assert_good_unaffected(engine)


def test_the_exit_code_of_a_system_exit_is_in_the_message() -> None:
    engine = Engine(
        plugins=[Good(), raising_plugin("herniarules_rules", SystemExit(3))], entry_points=False
    )
    [message] = _errors(engine)
    assert "failed (herniarules_rules raised SystemExit: 3)" in message


class _FakeDist:
    metadata = {"Name": "exiting-plugin"}  # noqa: RUF012 - read-only stand-in
    version = "1.0"
    files = None  # as for a distribution installed without a RECORD


class _ExitingEntryPoint:
    name = "exiting"
    value = "exiting_plugin:plugin"
    module = "exiting_plugin"
    dist = _FakeDist()

    def load(self) -> object:
        raise SystemExit("bye from import")


def test_a_plugin_that_exits_on_import_is_reported_and_the_rest_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [_ExitingEntryPoint()])
    engine = Engine(plugins=[Good()])
    [info] = [i for i in engine.plugins if i.name == "exiting-plugin"]
    assert info.error is not None
    assert "could not import exiting_plugin:plugin" in info.error
    assert "SystemExit('bye from import')" in info.error
    _assert_good_unaffected(engine)


class _ExitsWhenInspected:
    """pluggy lists a plugin's attributes when registering it; this one exits when listed."""

    def __dir__(self) -> list[str]:
        raise SystemExit(0)


def test_a_plugin_that_exits_while_being_registered_is_reported() -> None:
    engine = Engine(plugins=[Good(), _ExitsWhenInspected()], entry_points=False)
    [info] = [i for i in engine.plugins if i.name == "_ExitsWhenInspected"]
    assert info.error is not None and "could not register: SystemExit" in info.error
    _assert_good_unaffected(engine)


# --------------------------------------------------------------------------- per patient


@pytest.mark.parametrize("exception", EXCEPTIONS, ids=EXCEPTION_IDS)
def test_raising_in_the_protocol_hook_refuses_only_that_technique(
    exception: BaseException,
) -> None:
    plugin = raising_plugin("protocol", exception)
    engine = Engine(plugins=[Good(), plugin], entry_points=False)
    [message] = _errors(engine)
    assert f"The plugin {plugin.__name__} " in message
    assert f"protocol builder of {RAISER_TECHNIQUE!r} raised {type(exception).__name__}" in message
    _assert_good_unaffected(engine)
    [info] = [i for i in engine.plugins if i.name == plugin.__name__]
    assert info.error is None, "a per-patient failure does not unload the plugin"


@pytest.mark.parametrize("exception", EXCEPTIONS, ids=EXCEPTION_IDS)
def test_raising_while_planning_refuses_the_course_naming_hook_and_exception(
    exception: BaseException,
) -> None:
    plugin = raising_plugin("plan_course", exception)
    engine = Engine(plugins=[Good(), plugin], entry_points=False)
    with pytest.raises(NotPermittedError) as refused:
        engine.plan_course(_patient(), RAISER_TECHNIQUE, AS_OF)
    [message] = [f.message for f in refused.value.decision.findings if f.rule_id == PLUGIN_ERROR]
    assert f"course planner of {RAISER_TECHNIQUE!r} raised {type(exception).__name__}" in message
    assert engine.plan_course(_patient(), "good", AS_OF).sessions


class ExitsInPredicate(Hostile):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        def leave(facts: Facts) -> bool:
            raise SystemExit(0)

        return [
            Rule(
                "hostile.leave",
                "Leave",
                Custom(leave, "exits"),
                Outcome.DEFER,
                "x",
                "none",
                techniques={"hostile"},
            )
        ]


def test_a_rule_predicate_that_exits_refuses_only_its_technique() -> None:
    engine = Engine(plugins=[Good(), ExitsInPredicate()], entry_points=False)
    [message] = _errors(engine, "hostile")
    assert "a Custom predicate raised SystemExit: 0" in message
    _assert_good_unaffected(engine)


class UnprintableExit(SystemExit):
    def __str__(self) -> str:
        raise SystemExit("not even this")


def test_an_exception_that_cannot_be_printed_is_still_reported() -> None:
    engine = Engine(
        plugins=[Good(), raising_plugin("protocol", UnprintableExit())],
        entry_points=False,
    )
    [message] = _errors(engine)
    assert "raised UnprintableExit: <unprintable>" in message


# --------------------------------------------------------------------------- KeyboardInterrupt


@pytest.mark.parametrize("hook", ["herniarules_techniques", *LOAD_HOOKS])
def test_keyboard_interrupt_in_a_load_hook_propagates(hook: str) -> None:
    with pytest.raises(KeyboardInterrupt):
        Engine(plugins=[raising_plugin(hook, KeyboardInterrupt())], entry_points=False)


def test_keyboard_interrupt_in_the_protocol_hook_propagates() -> None:
    engine = Engine(plugins=[raising_plugin("protocol", KeyboardInterrupt())], entry_points=False)
    with pytest.raises(KeyboardInterrupt):
        engine.assess(_patient(), as_of=AS_OF)


def test_keyboard_interrupt_while_planning_propagates() -> None:
    engine = Engine(
        plugins=[raising_plugin("plan_course", KeyboardInterrupt())],
        entry_points=False,
    )
    with pytest.raises(KeyboardInterrupt):
        engine.plan_course(_patient(), RAISER_TECHNIQUE, AS_OF)


class InterruptsInPredicate(ExitsInPredicate):
    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        def stop(facts: Facts) -> bool:
            raise KeyboardInterrupt

        return [
            Rule(
                "hostile.stop",
                "Stop",
                Custom(stop, "stops"),
                Outcome.DEFER,
                "x",
                "none",
                techniques={"hostile"},
            )
        ]


def test_keyboard_interrupt_in_a_rule_predicate_propagates() -> None:
    engine = Engine(plugins=[InterruptsInPredicate()], entry_points=False)
    with pytest.raises(KeyboardInterrupt):
        engine.assess(_patient(), as_of=AS_OF)


# --------------------------------------------------------------------------- the kit


def test_the_kit_passes_a_well_behaved_plugin() -> None:
    check_fails_closed(Good())


def test_the_kit_covers_every_hook_and_the_non_exception_kinds() -> None:
    assert set(RAISING_HOOKS) == {
        "herniarules_techniques",
        "herniarules_rules",
        "herniarules_value_sets",
        "protocol",
        "plan_course",
    }
    kinds = {type(e) for e in raised_exceptions()}
    assert {SystemExit, GeneratorExit} <= kinds
    assert any(not issubclass(kind, Exception | SystemExit | GeneratorExit) for kind in kinds)


def test_the_kit_reports_an_engine_that_lets_a_system_exit_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = Engine._collect

    def unguarded(self: Engine) -> None:
        # As the engine was: the rules hook called with no guard, so SystemExit escapes.
        for record in self._plugins:
            for impl in self._pm.hook.herniarules_rules.get_hookimpls():
                if impl.plugin is record.plugin:
                    impl.function(policy=self.policy)
        real(self)

    monkeypatch.setattr(Engine, "_collect", unguarded)
    with pytest.raises(ConformanceError, match="SystemExit in herniarules_rules stopped the"):
        check_fails_closed(Good(), hooks=["herniarules_rules"])


def test_the_kit_refuses_an_unknown_hook() -> None:
    with pytest.raises(ValueError, match="unknown hook 'protocl'"):
        raising_plugin("protocl", SystemExit(0))


def test_the_kit_reports_a_raiser_whose_failure_is_not_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import herniarules.guard

    monkeypatch.setattr(herniarules.guard, "describe", lambda what, exc: "something failed")
    with pytest.raises(ConformanceError, match="no finding names the plugin, hook and exception"):
        check_fails_closed(Good(), hooks=["protocol"])


# --------------------------------------------------------------------------- the CLI


def test_a_system_exit_0_in_a_protocol_hook_does_not_end_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, patient_data: dict[str, Any]
) -> None:
    def engine_factory(**_: Any) -> Engine:
        return Engine(
            plugins=[Good(), raising_plugin("protocol", SystemExit(0))],
            entry_points=False,
        )

    monkeypatch.setattr(herniarules.cli, "Engine", engine_factory)
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(patient_data), encoding="utf-8")
    out, err = StringIO(), StringIO()
    assert main(["assess", str(path), "--as-of", date(2026, 11, 27).isoformat()], out, err) == (
        EXIT_OK
    )
    text = out.getvalue()
    assert f"Patient {patient_data['id']}" in text
    assert "good           PERMITTED" in text
    assert f"{RAISER_TECHNIQUE} NOT PERMITTED" in text
    assert "raised SystemExit: 0" in text
    assert err.getvalue() == ""
