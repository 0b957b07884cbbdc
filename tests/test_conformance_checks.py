"""``check_plugin(checks=...)`` accepts the names of :data:`CHECKS` and refuses any other."""

from __future__ import annotations

import re
from collections.abc import Callable

import herniarules_kinesio
import pytest

from herniarules import Engine
from herniarules.testing import CHECKS, check_plugin
from herniarules.testing import conformance as conformance_module

NAMES = (
    "loads",
    "parameters",
    "acute_never_permitted",
    "clearance_lifts_only_clearance",
    "monotonic",
    "deterministic",
    "no_plugin_errors",
    "catalogue",
)


def test_the_names_are_the_documented_ones() -> None:
    assert tuple(CHECKS) == NAMES
    doc = check_plugin.__doc__ or ""
    for name in NAMES:
        assert f"``{name}``" in doc, name


def test_named_checks_run_in_the_order_given(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def recorder(name: str) -> Callable[[Engine], None]:
        def check(engine: Engine) -> None:
            ran.append(name)

        return check

    for name in NAMES:
        monkeypatch.setitem(CHECKS, name, recorder(name))
    check_plugin(herniarules_kinesio, checks=["parameters", "loads"])
    assert ran == ["parameters", "loads"]
    ran.clear()
    check_plugin(herniarules_kinesio)
    assert ran == list(NAMES)


def test_real_checks_pass_for_the_example_plugin() -> None:
    check_plugin(herniarules_kinesio, checks=("loads", "parameters"))


def test_an_unknown_name_is_a_value_error_listing_the_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[object] = []
    monkeypatch.setattr(conformance_module, "conformance_engine", built.append)
    with pytest.raises(ValueError) as raised:
        check_plugin(herniarules_kinesio, checks=["loads", "monotonik"])
    message = str(raised.value)
    assert "unknown conformance check 'monotonik'" in message
    assert "did you mean 'monotonic'?" in message
    assert message.endswith("the checks are: " + ", ".join(NAMES))
    assert built == []  # refused before any engine was built or any check ran


def test_a_name_with_no_close_match_gets_no_guess() -> None:
    with pytest.raises(ValueError, match=re.escape("unknown conformance check 'x'; the checks")):
        check_plugin(herniarules_kinesio, checks=["x"])


def test_a_name_that_is_not_a_string_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown conformance check 3;"):
        check_plugin(herniarules_kinesio, checks=[3])  # type: ignore[list-item]


def test_one_string_is_not_taken_for_its_letters() -> None:
    with pytest.raises(TypeError, match="not one string: 'loads'"):
        check_plugin(herniarules_kinesio, checks="loads")
