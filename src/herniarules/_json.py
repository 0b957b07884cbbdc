"""The JSON reader: the first stage of reading a patient, from text (or a file) to plain data.

It checks what can be checked before the data mean anything: a document is at most
:data:`MAX_INPUT_BYTES` (a file is read to at most that and one byte more), UTF-8, valid JSON
without ``NaN`` or ``Infinity``, without a key repeated in an object, and nested at most
:data:`MAX_NESTING` levels deep. Each failure is an :class:`~herniarules.errors.InputError`
whose one problem is at ``$``. The data then go to a structurer (:mod:`herniarules._walk`,
:mod:`herniarules._fast`), which checks what each value means.

Two ways in. :func:`parse_checked` is the exact one, with a hook on every object to find
repeated keys. :func:`read_quickly` is the quick one, the C scanner alone: it cannot see a
repeated key, so it proves there is none from the keys the structurer counted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from herniarules.errors import InputError, Problem

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_NESTING",
    "QUICK_ERRORS",
    "checked_text",
    "parse_checked",
    "read_file",
    "read_quickly",
]

T = TypeVar("T")

#: Largest JSON document accepted, in bytes; a patient record is a few kilobytes.
MAX_INPUT_BYTES = 1_000_000
#: Deepest nesting of arrays and objects accepted; a patient record needs 4.
MAX_NESTING = 16


def _too_large() -> InputError:
    return InputError([Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes")])


def _too_deep() -> InputError:
    return InputError([Problem("$", f"input is nested deeper than {MAX_NESTING} levels")])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)


def _nesting(data: Any) -> int:
    """Return the deepest nesting of arrays and objects in parsed JSON data."""
    if type(data) is not dict and type(data) is not list:
        return 0
    # Level by level: one list comprehension per container, no stack entry per child.
    depth = 0
    level = [data]
    while level:
        depth += 1
        below: list[Any] = []
        for node in level:
            below += [
                child
                for child in (node.values() if type(node) is dict else node)
                if type(child) is dict or type(child) is list
            ]
        level = below
    return depth


def checked_text(text: str | bytes) -> str:
    """Return the input as text; raise :class:`InputError` if it is too large or not UTF-8."""
    if isinstance(text, bytes):
        if len(text) > MAX_INPUT_BYTES:
            raise _too_large()
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError([Problem("$", f"input is not UTF-8 text ({exc.reason})")]) from None
    if len(text) > MAX_INPUT_BYTES:
        raise _too_large()
    return text


def parse_checked(text: str) -> Any:
    """Parse text that passed :func:`checked_text`: no NaN, no duplicate keys, bounded depth."""
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise InputError([Problem("$", message)]) from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        raise InputError([Problem("$", f"not valid JSON: {exc}")]) from None
    # Counting brackets is cheap and bounds the depth; walk the data only when it could be deep.
    if text.count("[") + text.count("{") > MAX_NESTING and _nesting(data) > MAX_NESTING:
        raise _too_deep()
    return data


def read_file(path: str | Path) -> bytes:
    """Return the bytes of a file; raise :class:`InputError`, naming the file, if it is larger
    than :data:`MAX_INPUT_BYTES` or cannot be read.

    At most :data:`MAX_INPUT_BYTES` and one byte more are read: a larger file (or an endless
    one, such as ``/dev/zero``) is refused without being read to its end.
    """
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError([Problem("$", f"cannot read file: {exc.strerror}")], str(path)) from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError([Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes")], str(path))
    return data


#: The C scanner without a Python hook per object, so it cannot see duplicate keys. It is
#: what ``raw_decode`` calls; calling it directly saves two regular expression matches for
#: the surrounding whitespace, which :func:`read_quickly` checks instead.
_PLAIN_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder(
    parse_constant=_reject_constant
).scan_once  # type: ignore[attr-defined]
#: JSON's whitespace (str.isspace and str.strip would take other characters too).
_JSON_SPACE = " \t\n\r"

#: What :func:`read_quickly` raises on text it does not read: a JSON error (a ``ValueError``),
#: text that does not start with a value (``StopIteration``), nesting deeper than Python's
#: stack.
QUICK_ERRORS = (ValueError, StopIteration, RecursionError)


def read_quickly(text: str, structure: Callable[[Any, list[int]], T]) -> T:
    """Read text with the C scanner alone, then ``structure(data, keys)``; return what it gives.

    The scanner is blind to repeated keys, so ``structure`` must read every object of the
    data and add the number of its keys to ``keys[0]``. Every key in the text is followed by
    its own colon; were a key repeated, its object would hold fewer keys than the text has
    colons. So equal counts prove there is none; more colons (a duplicate, or a colon inside
    a string) call for the exact parse, which raises :class:`InputError` for a duplicate.
    Without one it gives the same data, so what ``structure`` gave stands.

    Whitespace before the document, or anything but JSON whitespace after it, raises one of
    :data:`QUICK_ERRORS`, as does any text the scanner does not read; the exact parse then
    reads the text and reports the problem, if there is one. ``structure`` may raise too.
    """
    data, end = _PLAIN_SCAN(text, 0)
    if end != len(text) and text[end:].strip(_JSON_SPACE):
        raise ValueError("extra data after the document")
    keys = [0]
    result = structure(data, keys)
    if keys[0] != text.count(":"):
        parse_checked(text)
    return result
