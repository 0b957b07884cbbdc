"""Inputs for fuzzing the input doors: near-valid patient documents and hostile JSON text.

Random JSON rarely gets past the first type check, so most of what :func:`patient_documents`
yields starts from a valid patient and breaks one or a few things in it: a value of another
type, an out-of-range number, a missing or unknown field, an odd string. :func:`mutate_bytes`
does the same at the byte level for a fuzzer that runs without hypothesis.
"""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import strategies as st

from herniarules.io import patient_to_dict
from herniarules.testing.strategies import patients

__all__ = ["json_texts", "json_values", "mutate_bytes", "patient_documents"]

_ODD_STRINGS = (
    "",
    " ",
    "\x00",
    "L4-L5\n",
    "l4-l5",
    "C34.1†",
    "ZZZ",
    "9999-99-99",
    "2025-02-30",
    "2025-1-1",
    "NaN",
    "Infinity",
    "−1",
    "\ud800",
    "😀",
    "a" * 300,
    "remission ",
    "ACUTE",
    "true",
    "{}",
)
_ODD_NUMBERS = (
    0,
    -1,
    1e308,
    -1e308,
    1e-308,
    2**63,
    -(2**63),
    10**40,
    0.5,
    -0.0,
    36.6,
    300,
    301,
    130,
    131,
    40.000001,
)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Return arbitrary JSON values, with the strings and numbers validators trip on."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.sampled_from(_ODD_NUMBERS)
        | st.text(max_size=20)
        | st.sampled_from(_ODD_STRINGS)
    )
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=12), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


@st.composite
def patient_documents(draw: st.DrawFn, max_mutations: int = 3) -> Any:
    """Return plain data shaped like a patient record, valid or broken in a few places."""
    document: Any = patient_to_dict(draw(patients(with_hernia=None)))
    for _ in range(draw(st.integers(0, max_mutations))):
        paths = _paths(document)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add", "wrap", "duplicate"]))
        if not path:
            if action == "replace":
                document = draw(json_values())
            elif action == "wrap":
                document = [document]
            continue
        parent = _get(document, path[:-1])
        key = path[-1]
        if action == "replace":
            parent[key] = draw(json_values())
        elif action == "delete":
            del parent[key]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(json_values())
        elif action == "add" and isinstance(parent, list):
            parent.append(draw(json_values()))
        elif action == "wrap":
            parent[key] = [parent[key]] if draw(st.booleans()) else {"value": parent[key]}
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(parent[key])
    return document


@st.composite
def json_texts(draw: st.DrawFn) -> str | bytes:
    """Return JSON text: documents, truncated or spliced documents, deep nesting, raw bytes."""
    document = draw(patient_documents())
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    kind = draw(st.sampled_from(["plain", "truncate", "splice", "nest", "bytes", "raw", "dup"]))
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "splice":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.text(max_size=10)) + text[at:]
    if kind == "nest":
        depth = draw(st.integers(1, 2000))
        return "[" * depth + text + "]" * draw(st.integers(0, depth))
    if kind == "bytes":
        data = text.encode("utf-8", "surrogatepass")
        return mutate_bytes(data, random.Random(draw(st.integers(0, 2**32))))
    if kind == "raw":
        return draw(st.binary(max_size=64))
    if kind == "dup" and text.startswith("{") and len(text) > 2:
        return '{"id": "X", ' + text[1:]
    return text


_INTERESTING = (
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b",",
    b":",
    b"\\",
    b"\\u",
    b"\xff",
    b"\xc3",
    b"-",
    b"e9",
    b"NaN",
    b"null",
)


def mutate_bytes(data: bytes, rng: random.Random, rounds: int | None = None) -> bytes:
    """Return ``data`` with a few random byte-level edits (flip, insert, delete, splice)."""
    buffer = bytearray(data)
    for _ in range(rounds if rounds is not None else rng.randint(1, 4)):
        at = rng.randint(0, len(buffer))
        action = rng.randrange(5)
        if action == 0 and at < len(buffer):
            buffer[at] ^= 1 << rng.randrange(8)
        elif action == 1:
            buffer[at:at] = rng.choice(_INTERESTING)
        elif action == 2 and buffer:
            end = min(len(buffer), at + rng.randint(1, 8))
            del buffer[at:end]
        elif action == 3 and buffer:
            start = rng.randrange(len(buffer))
            chunk = buffer[start : start + rng.randint(1, 16)]
            buffer[at:at] = chunk
        else:
            buffer[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
    return bytes(buffer)
