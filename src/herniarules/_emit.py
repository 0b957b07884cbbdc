"""Compact JSON text for decisions and assessments, written field by field from the objects.

The text is exactly what ``json.dumps(converter.unstructure(x), sort_keys=True,
ensure_ascii=False)`` gives (the reference, which ``tests/test_emit.py`` compares it with),
without building the intermediate dicts. Without indentation an object's encoding does not
depend on where it sits, so each record is written by one generated function that joins the
texts of its fields, in sorted order, with the constant text between them.

Most of a decision's text has been written before: the engine reuses one
:class:`~herniarules.outcomes.Finding` for equal results and plugins reuse built protocols. The
text of each finding, protocol and plugin record is kept in a
:class:`~herniarules.bounded.BoundedCache` (within :data:`herniarules.bounded.TEXTS`, oldest
dropped first), keyed by the object's value and used only for the very object it was
written from. Those objects are immutable all the way down (a finding's evidence is frozen
when it is built), so a kept text cannot go stale; an object that cannot be hashed is written
every time. (An earlier version keyed the texts by ``id()`` and by entry count: a finding built
from a dict that was changed afterwards was written with the dict's old values, and the texts
held patient data without a bound in bytes.)

A field of free-form values (a finding's evidence, a protocol's parameters, the numbers of a
protocol) is handed to the C JSON encoder as it is when it holds only plain JSON values
(``str``, ``int``, ``float``, ``bool``, ``None``, tuples and lists of them, dicts with string
keys): the converter leaves such values unchanged, so the text is the same. Anything else
(dates, enum members, attrs objects) goes through the converter first, as the reference does.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import cattrs

from herniarules import bounded
from herniarules._codegen import define
from herniarules.bounded import BoundedCache
from herniarules.frozen import FrozenDict
from herniarules.outcomes import (
    ASSESSMENT_AUDIT,
    DECISION_AUDIT,
    NESTED_DECISION_AUDIT,
    Assessment,
    Decision,
    Finding,
    Outcome,
    PluginInfo,
    Protocol,
    ProtocolStep,
)

__all__ = ["Emitter"]

Writer = Callable[[Any], str]

#: The budget the kept texts share, with the records they were written from (findings hold
#: patient data: their evidence); a test may set another before building an :class:`Emitter`.
FRAGMENT_BUDGET: bounded.Budget | int = bounded.TEXTS

_getsizeof = sys.getsizeof

_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
_quote: Callable[[str], str] = json.encoder.encode_basestring


def _refuse(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _plain_encoder() -> Callable[[Any], str]:
    """Return a function writing a value :func:`plain` accepted, as ``_encode`` would.

    ``JSONEncoder.encode`` builds a C encoder on every call; this one is built once. It skips
    the check for circular references: a plain value is a tree of tuples, lists and dicts
    that :func:`plain` has already walked to the end.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - CPython always has the C accelerator
        return _encode
    iterencode = make(None, _refuse, _quote, None, ": ", ", ", True, False, True)
    return lambda value: "".join(iterencode(value, 0))


_encode_plain = _plain_encoder()

#: Types the converter returns unchanged and the C encoder writes as the reference does.
_LEAVES: frozenset[type] = frozenset({str, int, float, bool, type(None)})
_SEQUENCES: frozenset[type] = frozenset({tuple, list})
_MAPPINGS: frozenset[type[Any]] = frozenset((dict, FrozenDict))

#: The records written by generated functions, innermost first.
_RECORDS: tuple[type[Any], ...] = (
    ProtocolStep,
    Protocol,
    Finding,
    PluginInfo,
    Decision,
    Assessment,
)

#: The audit fields each record writes beside its attrs fields (a decision inside an
#: assessment writes only its id; one written on its own, all of :data:`DECISION_AUDIT`).
_AUDIT: dict[type[Any], dict[str, Any]] = {
    Decision: NESTED_DECISION_AUDIT,
    Assessment: ASSESSMENT_AUDIT,
}

#: Records whose texts are kept: most decisions share them (the engine reuses one finding for
#: equal results, plugins one protocol for equal inputs, the engine its plugin records).
_SHARED: frozenset[type[Any]] = frozenset({Finding, Protocol, PluginInfo})


def plain(value: object) -> bool:
    """Return whether ``value`` holds plain JSON values only, which the converter leaves as is.

    Exact types only: a subclass of ``int`` or ``str`` (an enum member, say) may be written
    differently by the converter (:class:`~herniarules.outcomes.Outcome` becomes its label).
    """
    kind = type(value)
    if kind in _LEAVES:
        return True
    if kind in _SEQUENCES:
        return all(map(plain, value))  # type: ignore[call-overload]
    if kind in _MAPPINGS:
        for key, item in value.items():  # type: ignore[attr-defined]
            if type(key) is not str or (type(item) not in _LEAVES and not plain(item)):
                return False
        return True
    return False


class Emitter:
    """Write decisions and assessments as compact JSON text with sorted keys."""

    def __init__(self, converter: cattrs.Converter) -> None:
        self._converter = converter
        self._writers: dict[Any, Writer] = {}
        self._stores: list[BoundedCache[Any, tuple[Any, str]]] = []
        for record in _RECORDS:
            self._writers[record] = self._record(record, _AUDIT.get(record, {}))
        #: A decision written on its own is a full audit record.
        self._top: dict[type[Any], Writer] = {Decision: self._record(Decision, DECISION_AUDIT)}

    def write(self, value: Decision | Assessment) -> str:
        """Return ``value`` as JSON text."""
        kind = type(value)
        return (self._top.get(kind) or self._writers[kind])(value)

    @property
    def fragments(self) -> int:
        """How many texts of findings, protocols and plugin records are kept now."""
        return sum(len(store) for store in self._stores)

    @property
    def bytes(self) -> int:
        """The estimated bytes the kept texts and the objects they were written from hold."""
        return sum(store.bytes for store in self._stores)

    def _record(self, cls: type[Any], audit: dict[str, Any]) -> Writer:
        # One generated function per class: the field writers' texts and the constant text
        # between them are joined once, so a large result is copied once, not once per field.
        # Private fields (the audit context) are not written; the audit properties are.
        hints = {**typing.get_type_hints(cls), **audit}
        names = sorted(
            {field.name for field in attrs.fields(cls) if not field.name.startswith("_")}
            | audit.keys()
        )
        namespace: dict[str, Any] = {
            f"w_{name}": _last_kept(self._writer(hints[name]))
            if name in _ENGINE_FIELDS
            else self._writer(hints[name])
            for name in names
        }
        pieces: list[str] = []
        before = "{"
        for name in names:
            pieces += [repr(before + json.dumps(name) + ": "), f"w_{name}(v.{name})"]
            before = ", "
        pieces.append(repr("}"))
        source = f"def write(v):\n    return ''.join(({', '.join(pieces)}))\n"
        write: Writer = define(source, "write", f"JSON writer of {cls.__name__}", namespace)
        return self._kept(cls, write) if cls in _SHARED else write

    def _kept(self, cls: type[Any], write: Writer) -> Writer:
        # Keyed by value (the records are frozen and cache their hash), and a text is used
        # only for the very object it was written from: an equal object may still be written
        # differently (``1 == 1.0 == True``), so it is written anew and replaces the entry.
        store: BoundedCache[Any, tuple[Any, str]] = BoundedCache(
            f"JSON text of {cls.__name__}", FRAGMENT_BUDGET, size=_fragment_size
        )
        self._stores.append(store)
        get, put = store.get, store.put

        def kept(value: Any) -> str:
            try:
                entry = get(value)
            except TypeError:  # a value that cannot be hashed is not kept
                return write(value)
            if entry is not None and entry[0] is value:
                return entry[1]
            text = write(value)
            put(value, (value, text))
            return text

        return kept

    def _writer(self, tp: Any) -> Writer:
        known = self._writers.get(tp)
        if known is not None:
            return known
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis and args[0] in self._writers:
            item = self._writers[args[0]]
            return lambda values: f"[{', '.join(map(item, values))}]"
        if origin in (typing.Union, types.UnionType) and type(None) in args:
            (inner_type,) = [a for a in args if a is not type(None)]
            inner = self._writer(inner_type)
            return lambda value: "null" if value is None else inner(value)
        if tp is str:
            return _string
        if tp is bool:
            return _boolean
        if tp is Outcome:
            return _OUTCOMES.__getitem__
        if tp is date:
            return lambda value: '"' + value.isoformat() + '"'
        unstructure = self._converter.unstructure

        def write(value: Any) -> str:
            if plain(value):
                return _encode_plain(value)
            return _encode(unstructure(value, tp))

        return write


#: Audit fields that hold the engine's own records (its plugins, its policy): the same objects
#: in every record one engine makes.
_ENGINE_FIELDS = frozenset({"plugins", "policy"})


def _last_kept(write: Writer) -> Writer:
    """Return ``write``, keeping the last text for the very object it was written from.

    One entry, holding engine data only (never a patient's): the records of one engine share
    the objects, so their text is written once.
    """
    last: list[Any] = [_NOTHING, ""]

    def kept(value: Any) -> str:
        if value is last[0]:
            text: str = last[1]
            return text
        text = write(value)
        last[0], last[1] = value, text
        return text

    return kept


_NOTHING = object()


def _fragment_size(key: Any, entry: tuple[Any, str]) -> int:
    # The text, and the object it was written from (the key), estimated from the text: written
    # out, an object's strings are all there, and its containers are a few characters each.
    # Over the findings and protocols of 3,000 generated patients, estimate(object) was 0.9 to
    # 3.9 times the text's size (median 1.7); the object is often held by the findings cache
    # as well, and counted there too.
    return (1 + _OBJECT_PER_TEXT) * _getsizeof(entry[1])


#: Bytes of the object counted per byte of its text (see :func:`_fragment_size`).
_OBJECT_PER_TEXT = 4


def _string(value: str) -> str:
    return _quote(value)


def _boolean(value: bool) -> str:
    return "true" if value else "false"


_OUTCOMES: dict[Outcome, str] = {outcome: _quote(outcome.label) for outcome in Outcome}
