"""JSON in and out: one cattrs converter, strict structuring, path-named errors.

Input is structured strictly: no type coercion (``"5"`` is not an integer, ``true`` is not a
number), no unknown fields, no defaults silently filled in for required fields. Every problem
in a record is collected and reported at once in one :class:`InputError` whose lines name the
JSON path of each problem, e.g. ``hernias[0].size_mm: must be between 0 and 40, got -3``.
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, cast

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn

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


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]" if path != "$" else f"[{key}]"
    return key if path == "$" else f"{path}.{key}"


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


class _Walker:
    """Structure plain data into model objects, recording every problem with its path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> _Invalid:
        self.problems.append(Problem(path, message))
        return _INVALID

    def structure(self, value: Any, tp: Any, path: str) -> Any:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if value is None:
                return None
            return self.structure(value, args[0], path)
        if origin is tuple:
            (item_type, _) = typing.get_args(tp)
            if not isinstance(value, list):
                raise self.fail(path, f"must be an array, got {_show(value)}")
            items = []
            failed = False
            for index, item in enumerate(value):
                try:
                    items.append(self.structure(item, item_type, _join(path, index)))
                except _Invalid:
                    failed = True
            if failed:
                raise _INVALID
            return tuple(items)
        if attrs.has(tp):
            return self.structure_attrs(value, tp, path)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            try:
                return tp(value)
            except (ValueError, TypeError):
                allowed = ", ".join(repr(m.value) for m in tp)
                raise self.fail(path, f"must be one of {allowed}, got {_show(value)}") from None
        if tp is bool:
            if isinstance(value, bool):
                return value
            raise self.fail(path, f"must be true or false, got {_show(value)}")
        if tp is int:
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise self.fail(path, f"must be a whole number, got {_show(value)}")
        if tp is float:
            if isinstance(value, int | float) and not isinstance(value, bool):
                try:
                    return float(value)
                except OverflowError:  # an integer literal beyond the range of a float
                    message = f"must be a number in range, got {_show(value)}"
                    raise self.fail(path, message) from None
            raise self.fail(path, f"must be a number, got {_show(value)}")
        if tp is str:
            if isinstance(value, str):
                return value
            raise self.fail(path, f"must be a string, got {_show(value)}")
        if tp is date:
            # fromisoformat also takes ISO week dates ("2026-W01-1") and "20261101"; only
            # the calendar form YYYY-MM-DD that the schema documents is accepted.
            if isinstance(value, str) and _CALENDAR_DATE.fullmatch(value):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    pass
            raise self.fail(path, f"must be a date as YYYY-MM-DD, got {_show(value)}")
        raise self.fail(path, f"cannot read a value of type {tp!r}")  # pragma: no cover

    def structure_attrs(self, value: Any, cls: type[T], path: str) -> T:
        if not isinstance(value, dict):
            raise self.fail(path, f"must be an object, got {_show(value)}")
        hints = _hints(cls)
        fields = attrs.fields(cast("type[attrs.AttrsInstance]", cls))
        names = {f.name for f in fields}
        failed = False
        for key in value:
            if key not in names:
                self.fail(_join(path, key), "unknown field")
                failed = True
        kwargs: dict[str, Any] = {}
        for field in fields:
            if field.name not in value:
                if field.default is attrs.NOTHING:
                    self.fail(_join(path, field.name), "required field is missing")
                    failed = True
                continue
            field_path = _join(path, field.name)
            try:
                kwargs[field.name] = self.structure(
                    value[field.name], hints[field.name], field_path
                )
            except _Invalid:
                failed = True
        # Validators run in attrs' __init__ and stop at the first failure; run each field's
        # validator here first so that every bad field of the record is reported.
        probe = _Probe(kwargs)
        for field in fields:
            if field.validator is not None and field.name in kwargs:
                try:
                    field.validator(probe, field, kwargs[field.name])
                except (ValueError, TypeError) as exc:
                    self.fail(_join(path, field.name), str(exc))
                    failed = True
        if failed:
            raise _INVALID
        try:
            return cls(**kwargs)
        except (ValueError, TypeError) as exc:
            raise self.fail(path, str(exc)) from None


class _Probe:
    """Stands in for the instance when a field validator reads sibling fields."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return None


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = typing.get_type_hints(cls)
    return hints


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
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _nesting(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
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
    if _nesting(text) > MAX_NESTING:
        raise InputError([Problem("$", f"input is nested deeper than {MAX_NESTING} levels")])
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise InputError([Problem("$", message)]) from None
    except (ValueError, RecursionError) as exc:
        raise InputError([Problem("$", f"not valid JSON: {exc}")]) from None


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
    """Serialise a model or result object to JSON text with sorted, stable keys."""
    data = value if isinstance(value, dict | list) else converter.unstructure(value)
    return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False)


def assessment_to_dict(assessment: Assessment) -> dict[str, Any]:
    """Return an assessment as JSON-ready data (the layout of ``herniarules schema assessment``)."""
    data: dict[str, Any] = converter.unstructure(assessment)
    return data


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """Return a decision as JSON-ready data."""
    data: dict[str, Any] = converter.unstructure(decision)
    return data
