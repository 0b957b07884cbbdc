"""The errors of bad input: every problem named by its path, all of them at once.

Both doors into the patient record raise :class:`InputError`: the JSON door
(:func:`herniarules.io.loads_patient` and friends) with JSON paths such as
``hernias[0].size_mm``, and the Python door (the constructors of
:mod:`herniarules.model`) with :class:`ModelError`, its subclass, whose paths are relative to
the object being built (``age``, ``hernias[0]``, ``$`` for the object as a whole).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

__all__ = ["MAX_LISTED_PROBLEMS", "InputError", "ModelError", "Problem", "line"]

#: Most problems an :class:`InputError` message lists; the rest are counted ("and 12 more").
#: :attr:`InputError.problems` always holds every one of them.
MAX_LISTED_PROBLEMS = 100
#: Longest line of the message for one problem, in characters. Only a path can be longer (a
#: key of any length); such a line loses its middle, so the message at its end is kept.
_MAX_LINE = 1000


@attrs.frozen
class Problem:
    """One problem in an input record: where it is and what is wrong."""

    path: str
    """JSON path without the root sign: ``hernias[0].size_mm``; ``$`` for the whole record."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def line(problem: Problem) -> str:
    """Return the line of the message for ``problem``, its middle cut if it is too long."""
    text = str(problem)
    if len(text) <= _MAX_LINE:
        return text
    half = (_MAX_LINE - 3) // 2
    return text[:half] + "..." + text[-half:]


class InputError(ValueError):
    """Raised when an input record cannot be read; lists every problem with its JSON path."""

    def __init__(self, problems: Sequence[Problem], source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        head = f"invalid {self._subject()}{where} ({count} problem{'s' if count != 1 else ''})"
        lines = [head + ":", *map(line, self.problems[:MAX_LISTED_PROBLEMS])]
        if count > MAX_LISTED_PROBLEMS:
            lines.append(f"... and {count - MAX_LISTED_PROBLEMS} more")
        super().__init__("\n  ".join(lines))

    def _subject(self) -> str:
        return "patient record"

    def subject(self) -> str:
        """What could not be read, as the message's first line names it (``patient record``)."""
        return self._subject()

    def render(self, locale: str = "en") -> str:
        """Return the message in ``locale`` (``"ru"``); in English, ``str(self)``.

        Paths, the values found and the allowed values stay as they are; the error itself,
        its message and its problems are unchanged (:mod:`herniarules.i18n.problems`).
        """
        if locale == "en":
            return str(self)
        from herniarules.i18n.problems import render_error

        return render_error(self, locale)

    def with_source(self, source: str) -> InputError:
        """Return the same error naming the file or stream it came from."""
        return InputError(self.problems, source)


class ModelError(InputError):
    """Raised by a model constructor given a bad value; names every bad field.

    ``record`` is the class being built (``"Hernia"``); each problem's path is relative to it:
    ``level``, ``hernias[0]`` for an item of a tuple field, ``$`` for a problem of the object
    as a whole (``diastolic_mmhg (90) must be below systolic_mmhg (80)``). The messages are
    those the JSON door gives for the same value.
    """

    def __init__(
        self, problems: Sequence[Problem], source: str | None = None, *, record: str = "record"
    ) -> None:
        self.record = record
        super().__init__(problems, source)

    def _subject(self) -> str:
        return self.record

    def with_source(self, source: str) -> ModelError:
        """Return the same error naming the file or stream it came from."""
        return ModelError(self.problems, source, record=self.record)
