"""pytest plugin registered through the ``pytest11`` entry point.

pytest imports this module in every run in an environment where herniarules is installed, so
it imports nothing beyond the standard library until a test asks for its fixture. It adds:

* the ``herniarules_conformance`` fixture: a function ``check(plugin, checks=None)`` that runs
  the conformance suite on a plugin module or object;
* the ``--herniarules-examples N`` option: hypothesis examples per conformance check (default
  60), for longer runs than CI's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

import pytest

_ENV = "HERNIARULES_CONFORMANCE_EXAMPLES"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--herniarules-examples``."""
    group = parser.getgroup("herniarules")
    group.addoption(
        "--herniarules-examples",
        type=int,
        default=None,
        metavar="N",
        help="hypothesis examples per herniarules conformance check (default 60)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Pass ``--herniarules-examples`` on to the conformance suite."""
    value = config.getoption("herniarules_examples", default=None)
    if value is not None:
        os.environ[_ENV] = str(value)


@pytest.fixture
def herniarules_conformance() -> Callable[..., None]:
    """Return ``check(plugin, checks=None)``, which runs the conformance suite on ``plugin``."""
    from herniarules.testing.conformance import check_plugin

    def check(plugin: object, checks: Iterable[str] | None = None, **_: Any) -> None:
        check_plugin(plugin, checks)

    return check
