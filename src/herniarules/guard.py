"""The one way the engine calls plugin code: guarded, timed, and remembered when it fails.

Every call into a plugin (its load-time hooks, a technique's protocol builder or course
planner, a ``Custom`` predicate's rule set) goes through :meth:`Guard.call`. Whatever the
plugin raises, ``SystemExit`` and ``GeneratorExit`` included, becomes a :class:`PluginError`
naming what was called; only ``KeyboardInterrupt`` propagates, so an operator can still stop
the program. A call that takes longer than the budget has its result discarded. The
traceback of the last failure of each plugin is kept on its record, trimmed to
:data:`TRACEBACK_LIMIT` characters, and printed to standard error when the engine runs with
``debug=True``.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

__all__ = ["TRACEBACK_LIMIT", "Guard", "PluginError", "describe", "text_of"]

T = TypeVar("T")

#: Most characters of a failing call's traceback kept per plugin.
TRACEBACK_LIMIT = 16_000

_clock = time.perf_counter


class PluginError(Exception):
    """A plugin broke the contract; the message names the plugin and the hook."""


class _Record(Protocol):
    name: str
    version: str
    traceback: str | None


def text_of(exc: BaseException) -> str:
    """Return ``str(exc)``, or a placeholder if the exception cannot be printed."""
    try:
        return str(exc)
    except KeyboardInterrupt:
        raise
    except BaseException:  # an exception whose __str__ raises is still reported
        return "<unprintable>"


def describe(what: str, exc: BaseException) -> str:
    """Describe an exception plugin code raised: where, its type and its text."""
    if isinstance(exc, PluginError):
        return text_of(exc)
    text = text_of(exc)
    name = type(exc).__name__
    return f"{what} raised {name}: {text}" if text else f"{what} raised {name}"


def _formatted(exc: BaseException) -> str:
    try:
        text = "".join(traceback.format_exception(exc))
    except KeyboardInterrupt:
        raise
    except BaseException:  # a traceback that cannot be formatted is still recorded
        text = f"{type(exc).__name__}: {text_of(exc)}\n"
    if len(text) > TRACEBACK_LIMIT:
        text = "...\n" + text[-TRACEBACK_LIMIT:]
    return text


class Guard:
    """Calls plugin code within a time budget, turning any failure into :class:`PluginError`.

    :param budget_s: longest a call may take, in seconds.
    :param debug: print the traceback of every failing call to standard error.
    """

    def __init__(self, budget_s: float, *, debug: bool = False) -> None:
        self.budget_s = budget_s
        self.debug = debug

    def call(self, record: _Record, what: str, function: Callable[..., T], *args: Any) -> T:
        """Return ``function(*args)``; raise :class:`PluginError` if it fails or is too slow.

        :param record: the plugin's record; its ``traceback`` is set when the call fails.
        :param what: what is called, for messages (``herniarules_rules``, ``the protocol
            builder of 'honey'``).
        """
        started = _clock()
        try:
            result = function(*args)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # a plugin may not end the process or abort the engine
            self.failed(record, exc)
            raise PluginError(describe(what, exc)) from None
        elapsed = _clock() - started
        if elapsed > self.budget_s:
            raise PluginError(
                f"{what} took {elapsed:.3f} s, more than the {self.budget_s:g} s budget"
            )
        return result

    def failed(self, record: _Record, exc: BaseException) -> None:
        """Keep the traceback of ``exc`` on ``record``; print it when debugging."""
        record.traceback = _formatted(exc)
        if self.debug:
            sys.stderr.write(
                f"herniarules: plugin {record.name} {record.version} failed:\n{record.traceback}"
            )
