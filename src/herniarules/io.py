"""JSON in and out: one cattrs converter, strict structuring, path-named errors.

Input is structured strictly: no type coercion (``"5"`` is not an integer, ``true`` is not a
number), no unknown fields, no defaults silently filled in for required fields. Every problem
in a record is collected and reported at once in one :class:`InputError` whose lines name the
JSON path of each problem, e.g. ``hernias[0].size_mm: must be between 0 and 40, got -3``.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn

from herniarules import _emit
from herniarules.model import Patient
from herniarules.outcomes import Assessment, Decision, Outcome

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_NESTING",
    "InputError",
    "Problem",
    "assessment_to_dict",
    "converter",
    "decision_to_dict",
    "dumps",
    "load_patient",
    "loads_patient",
    "patient_from_dict",
    "patient_to_dict",
]

T = TypeVar("T")

#: Largest JSON document accepted, in bytes; a patient record is a few kilobytes.
MAX_INPUT_BYTES = 1_000_000
#: Deepest nesting of arrays and objects accepted; a patient record needs 4.
MAX_NESTING = 16

_CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@attrs.frozen
class Problem:
    """One problem in an input record: where it is and what is wrong."""

    path: str
    """JSON path without the root sign: ``hernias[0].size_mm``; ``$`` for the whole record."""
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class InputError(ValueError):
    """Raised when an input record cannot be read; lists every problem with its JSON path."""

    def __init__(self, problems: typing.Sequence[Problem], source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        where = f" in {source}" if source else ""
        count = len(self.problems)
        head = f"invalid patient record{where} ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n  ".join([head + ":", *map(str, self.problems)]))

    def with_source(self, source: str) -> InputError:
        """Return the same error naming the file or stream it came from."""
        return InputError(self.problems, source)


class _Invalid(Exception):
    """Marks a value that failed; its problems are already recorded."""


_INVALID = _Invalid()


#: A JSON path under construction: ``"$"`` or ``(parent path, key)``, rendered only on failure.
JsonPath = Any


def _join(path: JsonPath, key: str | int) -> JsonPath:
    return (path, key)


def _render(path: JsonPath) -> str:
    keys: list[str | int] = []
    while path != "$":
        path, key = path
        keys.append(key)
    text = ""
    for key in reversed(keys):
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else key
    return text or "$"


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: object) -> str:
    text = json.dumps(value) if isinstance(value, str | int | float | bool) else _type_name(value)
    return text if len(text) <= 40 else text[:37] + "..."


Structurer = Callable[["_Walker", Any, Any], Any]


class _Walker:
    """Structure plain data into model objects, recording every problem with its path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: JsonPath, message: str) -> _Invalid:
        self.problems.append(Problem(_render(path), message))
        return _INVALID

    def structure_attrs(self, value: Any, cls: type[T], path: JsonPath) -> T:
        result: T = _structurer(cls)(self, value, path)
        return result


_STRUCTURERS: dict[Any, Structurer] = {}


def _structurer(tp: Any) -> Structurer:
    """Return the (cached) function that structures values of type ``tp``."""
    fn = _STRUCTURERS.get(tp)
    if fn is None:
        fn = _STRUCTURERS[tp] = _build_structurer(tp)
    return fn


def _build_structurer(tp: Any) -> Structurer:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        (inner_type,) = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = _structurer(inner_type)

        def optional(w: _Walker, value: Any, path: JsonPath) -> Any:
            return None if value is None else inner(w, value, path)

        return optional
    if origin is tuple:
        item = _structurer(typing.get_args(tp)[0])

        def sequence(w: _Walker, value: Any, path: JsonPath) -> Any:
            if not isinstance(value, list):
                raise w.fail(path, f"must be an array, got {_show(value)}")
            items = []
            failed = False
            for index, element in enumerate(value):
                try:
                    items.append(item(w, element, (path, index)))
                except _Invalid:
                    failed = True
            if failed:
                raise _INVALID
            return tuple(items)

        return sequence
    if attrs.has(tp):
        return _attrs_structurer(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {m.value: m for m in tp}
        allowed = ", ".join(repr(v) for v in members)

        def member(w: _Walker, value: Any, path: JsonPath) -> Any:
            try:
                return members[value]
            except (KeyError, TypeError):
                raise w.fail(path, f"must be one of {allowed}, got {_show(value)}") from None

        return member
    if tp is bool:

        def boolean(w: _Walker, value: Any, path: JsonPath) -> Any:
            if value is True or value is False:
                return value
            raise w.fail(path, f"must be true or false, got {_show(value)}")

        return boolean
    if tp is int:

        def integer(w: _Walker, value: Any, path: JsonPath) -> Any:
            kind = type(value)
            if kind is int:
                return value
            if kind is float and value.is_integer():
                return int(value)
            raise w.fail(path, f"must be a whole number, got {_show(value)}")

        return integer
    if tp is float:

        def number(w: _Walker, value: Any, path: JsonPath) -> Any:
            kind = type(value)
            if kind is float:
                return value
            if kind is int:
                try:
                    return float(value)
                except OverflowError:  # an integer literal beyond the range of a float
                    raise w.fail(path, f"must be a number in range, got {_show(value)}") from None
            raise w.fail(path, f"must be a number, got {_show(value)}")

        return number
    if tp is str:

        def string(w: _Walker, value: Any, path: JsonPath) -> Any:
            if type(value) is str:
                return value
            raise w.fail(path, f"must be a string, got {_show(value)}")

        return string
    if tp is date:

        def calendar_date(w: _Walker, value: Any, path: JsonPath) -> Any:
            # fromisoformat also takes ISO week dates ("2026-W01-1") and "20261101"; only
            # the calendar form YYYY-MM-DD that the schema documents is accepted.
            if isinstance(value, str) and _CALENDAR_DATE.fullmatch(value):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
            raise w.fail(path, f"must be a date as YYYY-MM-DD, got {_show(value)}")

        return calendar_date
    raise TypeError(f"cannot read a value of type {tp!r}")  # pragma: no cover


def _attrs_structurer(cls: Any) -> Structurer:
    hints = typing.get_type_hints(cls)
    fields = attrs.fields(cls)
    names = frozenset(f.name for f in fields)
    # Field structurers are looked up on first use, so that classes may refer to each other.
    plan: list[tuple[str, bool, Structurer]] = []

    def resolve() -> list[tuple[str, bool, Structurer]]:
        if not plan:
            plan.extend(
                (f.name, f.default is attrs.NOTHING, _structurer(hints[f.name])) for f in fields
            )
        return plan

    def structure(w: _Walker, value: Any, path: JsonPath) -> Any:
        if type(value) is not dict:
            raise w.fail(path, f"must be an object, got {_show(value)}")
        failed = False
        if not names.issuperset(value):
            for key in value:
                if key not in names:
                    w.fail(_join(path, key), "unknown field")
            failed = True
        kwargs: dict[str, Any] = {}
        for name, required, field_structurer in plan or resolve():
            if name in value:
                try:
                    kwargs[name] = field_structurer(w, value[name], (path, name))
                except _Invalid:
                    failed = True
            elif required:
                w.fail(_join(path, name), "required field is missing")
                failed = True
        if not failed:
            # attrs' __init__ stops at the first failing validator; if it fails, run each
            # field's validator on its own below, so every bad field is reported by path.
            with contextlib.suppress(ValueError, TypeError):
                return cls(**kwargs)
        probe = _Probe(kwargs)
        for field in fields:
            if field.validator is not None and field.name in kwargs:
                try:
                    field.validator(probe, field, kwargs[field.name])
                except (ValueError, TypeError) as exc:
                    w.fail(_join(path, field.name), str(exc))
                    failed = True
        if failed:
            raise _INVALID
        try:
            return cls(**kwargs)
        except (ValueError, TypeError) as exc:
            raise w.fail(path, str(exc)) from None

    return structure


class _Probe:
    """Stands in for the instance when a field validator reads sibling fields."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return None


def _structure_strict(cls: type[T]) -> Callable[[Any, type[T]], T]:
    def structure(value: Any, _: type[T]) -> T:
        walker = _Walker()
        try:
            return walker.structure_attrs(value, cls, "$")
        except _Invalid:
            raise InputError(walker.problems) from None

    return structure


_MAPPINGS: tuple[object, ...] = (Mapping, dict)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, omit_if_default=False)
    conv.register_structure_hook(Patient, _structure_strict(Patient))
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda e: e.value
    )
    # Derived fields (a decision's outcome, a finding's effective outcome) are written too.
    conv.register_unstructure_hook_factory(
        attrs.has,
        lambda cls: make_dict_unstructure_fn(cls, conv, _cattrs_include_init_false=True),
    )
    conv.register_unstructure_hook(Outcome, lambda o: o.label)
    conv.register_structure_hook(Outcome, lambda v, _: Outcome.from_label(v))
    conv.register_unstructure_hook(frozenset, lambda s: sorted(s))
    conv.register_unstructure_hook_func(
        lambda t: t is Mapping or typing.get_origin(t) in _MAPPINGS,
        lambda m: {k: conv.unstructure(v) for k, v in m.items()},
    )
    return conv


#: The one converter: ``converter.structure(data, Patient)`` and ``converter.unstructure(obj)``.
converter: cattrs.Converter = _make_converter()


def patient_from_dict(data: object) -> Patient:
    """Build a :class:`~herniarules.model.Patient` from plain data; raise :class:`InputError`."""
    return converter.structure(data, Patient)


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
    deepest = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if type(node) is dict else node if type(node) is list else None
        if children is None:
            continue
        if depth > deepest:
            deepest = depth
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
    return deepest


def parse_json(text: str | bytes) -> Any:
    """Parse JSON text strictly (no NaN, no duplicate keys, bounded size and depth)."""
    if isinstance(text, bytes):
        if len(text) > MAX_INPUT_BYTES:
            raise InputError([Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError([Problem("$", f"input is not UTF-8 text ({exc.reason})")]) from None
    if len(text) > MAX_INPUT_BYTES:
        raise InputError([Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes")])
    too_deep = InputError([Problem("$", f"input is nested deeper than {MAX_NESTING} levels")])
    try:
        data = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise InputError([Problem("$", message)]) from None
    except RecursionError:
        raise too_deep from None
    except ValueError as exc:
        raise InputError([Problem("$", f"not valid JSON: {exc}")]) from None
    # Counting brackets is cheap and bounds the depth; walk the data only when it could be deep.
    if text.count("[") + text.count("{") > MAX_NESTING and _nesting(data) > MAX_NESTING:
        raise too_deep
    return data


def loads_patient(text: str | bytes) -> Patient:
    """Read a patient from JSON text; raise :class:`InputError` naming every problem."""
    return patient_from_dict(parse_json(text))


def load_patient(path: str | Path) -> Patient:
    """Read a patient from a JSON file; the :class:`InputError` names the file."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError([Problem("$", f"cannot read file: {exc.strerror}")], name) from None
    try:
        return loads_patient(data)
    except InputError as exc:
        raise exc.with_source(name) from None


def patient_to_dict(patient: Patient) -> dict[str, Any]:
    """Return the patient as plain JSON-ready data; the inverse of :func:`patient_from_dict`."""
    data: dict[str, Any] = converter.unstructure(patient)
    return data


def dumps(value: object, *, indent: int | None = None) -> str:
    """Serialise a model or result object to JSON text with sorted, stable keys.

    Without ``indent``, decisions and assessments are joined from the cached text of their
    findings, protocols and plugin records (:mod:`herniarules._emit`); the text is the same.
    """
    if indent is None and type(value) in (Decision, Assessment):
        return _emitter().write(value)  # type: ignore[arg-type]
    data = value if isinstance(value, dict | list) else converter.unstructure(value)
    return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False)


@functools.cache
def _emitter() -> _emit.Emitter:
    return _emit.Emitter(converter)


def assessment_to_dict(assessment: Assessment) -> dict[str, Any]:
    """Return an assessment as JSON-ready data (the layout of ``herniarules schema assessment``)."""
    data: dict[str, Any] = converter.unstructure(assessment)
    return data


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """Return a decision as JSON-ready data."""
    data: dict[str, Any] = converter.unstructure(decision)
    return data
