"""Compact JSON text for decisions and assessments, assembled from cached fragments.

The engine reuses one immutable :class:`~herniarules.outcomes.Finding` for equal results and
plugins reuse built protocols, so most of a decision's text has been written before. Each
finding, protocol and plugin record is encoded once and its text kept (keyed by the object's
identity, with the object held so the key stays valid); a decision or assessment is then
joined from those fragments. The text is exactly what ``json.dumps(converter.unstructure(x),
sort_keys=True, ensure_ascii=False)`` gives: without indentation, an object's encoding does
not depend on where it sits, so a fragment can be pasted in unchanged.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import cattrs

from herniarules.outcomes import Assessment, Decision, Finding, Outcome, PluginInfo, Protocol

__all__ = ["Emitter"]

#: Fragments kept per cached type; the store is emptied when it fills, so a long-running
#: process with ever-new results keeps a bounded store of recent ones.
FRAGMENT_CACHE_SIZE = 4096

Writer = Callable[[Any], str]

_encode = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
_quote: Callable[[str], str] = json.encoder.encode_basestring


class Emitter:
    """Write decisions and assessments as compact JSON text with sorted keys."""

    def __init__(self, converter: cattrs.Converter) -> None:
        self._converter = converter
        self._writers: dict[Any, Writer] = {}
        self._stores: list[dict[int, tuple[Any, str]]] = []
        for part in (Finding, Protocol, PluginInfo):
            self._writers[part] = self._cached(part)
        for record in (Decision, Assessment):
            self._writers[record] = self._record(record)

    def write(self, value: Decision | Assessment) -> str:
        """Return ``value`` as JSON text."""
        return self._writers[type(value)](value)

    @property
    def fragments(self) -> int:
        """How many encoded fragments are kept now, over all cached types."""
        return sum(len(store) for store in self._stores)

    def _cached(self, cls: type[Any]) -> Writer:
        # Keyed by identity; the entry holds the object, so its id cannot be reused while the
        # entry exists.
        store: dict[int, tuple[Any, str]] = {}
        self._stores.append(store)
        unstructure = self._converter.unstructure

        def write(value: Any) -> str:
            entry = store.get(id(value))
            if entry is not None:
                return entry[1]
            text = _encode(unstructure(value, cls))
            if len(store) >= FRAGMENT_CACHE_SIZE:
                store.clear()
            store[id(value)] = (value, text)
            return text

        return write

    def _record(self, cls: type[Any]) -> Writer:
        # One generated function per class: the field writers' texts and the constant text
        # between them are joined once, so a large result is copied once, not once per field.
        hints = typing.get_type_hints(cls)
        names = sorted(field.name for field in attrs.fields(cls))
        namespace: dict[str, Any] = {f"w_{name}": self._writer(hints[name]) for name in names}
        pieces: list[str] = []
        before = "{"
        for name in names:
            pieces += [repr(before + json.dumps(name) + ": "), f"w_{name}(v.{name})"]
            before = ", "
        pieces.append(repr("}"))
        source = f"def write(v):\n    return ''.join(({', '.join(pieces)}))\n"
        exec(compile(source, f"<herniarules JSON writer for {cls.__name__}>", "exec"), namespace)
        write: Writer = namespace["write"]
        return write

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
        return lambda value: _encode(unstructure(value, tp))


def _string(value: str) -> str:
    return _quote(value)


def _boolean(value: bool) -> str:
    return "true" if value else "false"


_OUTCOMES: dict[Outcome, str] = {outcome: _quote(outcome.label) for outcome in Outcome}
