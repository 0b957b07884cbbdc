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
import inspect
import json
import linecache
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
from herniarules.errors import InputError, ModelError, Problem
from herniarules.model import Patient
from herniarules.outcomes import Assessment, Decision, Outcome
from herniarules.vocabulary import Term

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_ITEMS_PER_LIST",
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
#: Most items accepted in one array of a record (conditions, medications, ...), and most keys
#: in one object; a real record holds a few dozen at most. Checked before any item is read.
MAX_ITEMS_PER_LIST = 500

_CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Invalid(Exception):
    """Marks a value that failed; its problems are already recorded.

    Raised as a fresh instance every time: a shared instance would keep, in its ever longer
    traceback, the frames (and so the input) of every record ever rejected.
    """


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
        return _Invalid()

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
            if len(value) > MAX_ITEMS_PER_LIST:
                raise w.fail(
                    path, f"must have at most {MAX_ITEMS_PER_LIST} items, got {len(value)}"
                )
            items = []
            failed = False
            for index, element in enumerate(value):
                try:
                    items.append(item(w, element, (path, index)))
                except _Invalid:
                    failed = True
            if failed:
                raise _Invalid
            return tuple(items)

        return sequence
    if attrs.has(tp):
        return _attrs_structurer(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {m.value: m for m in tp}
        allowed = ", ".join(repr(v) for v in members)
        # A vocabulary also reads its synonyms, and names the closest terms to a wrong one.
        parse = tp.parse if issubclass(tp, Term) else None

        def member(w: _Walker, value: Any, path: JsonPath) -> Any:
            try:
                return members[value]
            except (KeyError, TypeError):
                if parse is not None and type(value) is str:
                    try:
                        return parse(value)
                    except ValueError as exc:
                        raise w.fail(path, str(exc)) from None
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
        if len(value) > MAX_ITEMS_PER_LIST:
            raise w.fail(path, f"must have at most {MAX_ITEMS_PER_LIST} keys, got {len(value)}")
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
            raise _Invalid
        try:
            return cls(**kwargs)
        except ModelError as exc:  # checks of the object as a whole, or of a field left out
            for problem in exc.problems:
                w.fail(path if problem.path == "$" else _join(path, problem.path), problem.message)
            raise _Invalid from None
        except (ValueError, TypeError) as exc:
            raise w.fail(path, str(exc)) from None

    return structure


class _Probe:
    """Stands in for the instance when a field validator reads sibling fields."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return None


# Most records are valid, and for them the walker's bookkeeping (paths, problem lists, one
# function call per value) is most of the work. So a record is first read by functions
# generated once per class, as Python source compiled the way attrs and cattrs do: the type
# checks are inlined, and anything not exactly right abandons the attempt. The walker then
# reads the record again and reports every problem with its path. The fast path therefore
# only ever answers "valid, and here is the object"; it applies the walker's own conversions
# and calls the same constructor with the same arguments, so whatever it returns, the walker
# would have returned too.


class _NotFast(Exception):
    """The fast path met a value it does not accept; the walker reads the record instead.

    Raised as a fresh instance every time, like :class:`_Invalid`.
    """


#: Everything the fast path raises on a value that is not exactly right: its own marker, a
#: failed enum lookup (KeyError, or TypeError for an unhashable value), a failed date
#: (ValueError), an integer beyond a float (OverflowError), a failed constructor or validator
#: (ValueError, TypeError). Anything else propagates, as it would from the walker.
_NOT_FAST_ERRORS = (_NotFast, KeyError, TypeError, ValueError, OverflowError)
#: ``fast(value, keys)``: the object, or one of ``_NOT_FAST_ERRORS``; adds the number of keys
#: of every object it read to ``keys[0]``.
_FastStructurer = Callable[[Any, list[int]], Any]
_FAST: dict[Any, _FastStructurer] = {}


def _fast_structurer(cls: Any) -> _FastStructurer:
    """Return the (cached) generated fast structurer of the attrs class ``cls``."""
    fn = _FAST.get(cls)
    if fn is None:
        fn = _FAST[cls] = _compile_fast(cls)
    return fn


class _Unsupported(Exception):
    """A class or type the generator has no inline code for; its records go the slow way."""


def _compile_fast(root: Any) -> _FastStructurer:
    """Generate, compile and return the fast structurer of the attrs class ``root``."""
    generator = _FastSource()
    try:
        body = generator.object_lines(root, "value", "result")
        # loads_patient skips the depth check for what the fast structurer accepts.
        if generator.deepest > MAX_NESTING:
            raise _Unsupported(root)
    except _Unsupported:

        def always_slow(value: Any, keys: list[int]) -> Any:
            raise _NotFast

        return always_slow
    name = f"structure_{root.__name__}"
    lines = [
        f"def {name}(value, keys):",
        "    k = 0",
        *("    " + line for line in body),
        "    keys[0] += k",
        "    return result",
    ]
    source = "\n".join(lines) + "\n"
    filename = f"<herniarules fast structurer {root.__module__}.{root.__qualname__}>"
    # Registered like attrs' generated methods, so a traceback through it shows the source.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = generator.namespace
    exec(compile(source, filename, "exec"), namespace)
    fn: _FastStructurer = namespace[name]
    return fn


class _FastSource:
    """Writes the body of a fast structurer, with every class it reaches written inline.

    Inline, a nested record costs no function call; ``k`` counts the keys of every object read.
    ``deepest`` is the deepest nesting of objects and arrays that the structurer accepts.
    """

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "_NotFast": _NotFast,
            "_calendar": _CALENDAR_DATE.fullmatch,
            "_fromisoformat": date.fromisoformat,
        }
        self.names = 0
        self.inside: list[Any] = []  # the classes being written, to refuse one that holds itself
        self.depth = 0
        self.deepest = 0

    def nest(self) -> None:
        self.depth += 1
        self.deepest = max(self.deepest, self.depth)

    def fresh(self, stem: str) -> str:
        self.names += 1
        return f"{stem}{self.names}"

    def constant(self, stem: str, value: Any) -> str:
        name = self.fresh(f"_{stem}")
        self.namespace[name] = value
        return name

    def object_lines(self, cls: Any, source: str, target: str) -> list[str]:
        """Return lines that read the object in ``source`` into an instance of ``cls``."""
        if cls in self.inside:
            raise _Unsupported(cls)
        self.inside.append(cls)
        self.nest()
        hints = typing.get_type_hints(cls)
        fields = {f.name: f for f in attrs.fields(cls)}
        parameters = inspect.signature(cls).parameters
        # The walker passes each field that is there by name and leaves the others to
        # __init__'s defaults; the generated call passes every parameter, a missing one as
        # that same default.
        if set(parameters) != set(fields):
            raise _Unsupported(cls)
        count = self.fresh("n")
        required = 0
        lines = [f"if type({source}) is not dict:", "    raise _NotFast"]
        arguments: list[str] = []
        for field_name, parameter in parameters.items():
            var = self.fresh("a")
            is_required = fields[field_name].default is attrs.NOTHING
            if is_required != (parameter.default is inspect.Parameter.empty):
                raise _Unsupported(cls)
            tp = hints[field_name]
            inner = _optional_of(tp)
            if is_required:
                required += 1
                lines.append(f"{var} = {source}[{field_name!r}]")
                lines.extend(self.checks(tp, var))
            elif parameter.default is None and inner is not None:
                # Missing and null both give None, so only a value that is there is counted.
                lines.append(f"{var} = {source}.get({field_name!r})")
                lines.append(f"if {var} is not None:")
                lines.append(f"    {count} += 1")
                lines.extend(self.indent(self.checks(inner, var)))
            else:
                lines.append(f"if {field_name!r} in {source}:")
                lines.append(f"    {var} = {source}[{field_name!r}]")
                lines.append(f"    {count} += 1")
                lines.extend(self.indent(self.checks(tp, var)))
                lines.append("else:")
                lines.append(f"    {var} = {self.constant('default', parameter.default)}")
            if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
                arguments.append(var)
            elif parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                arguments.append(f"{field_name}={var}")
            else:
                raise _Unsupported(cls)
        names = self.constant("names", frozenset(fields))
        constructor = self.constant(cls.__name__, cls)
        self.inside.pop()
        self.depth -= 1
        return [
            *lines[:2],
            f"{count} = {required}",
            *lines[2:],
            # The count of distinct fields that are there falls short of len() if a key names
            # no field, or a null was not counted; only then are the keys compared.
            f"if {count} != len({source}) and not {names}.issuperset({source}):",
            "    raise _NotFast",
            f"k += len({source})",
            f"{target} = {constructor}({', '.join(arguments)})",
        ]

    def checks(self, tp: Any, var: str) -> list[str]:
        """Return lines that check ``var`` as the walker would, converting it in place."""
        inner = _optional_of(tp)
        if inner is not None:
            return [f"if {var} is not None:", *self.indent(self.checks(inner, var))]
        if typing.get_origin(tp) is tuple:
            item_type = typing.get_args(tp)[0]  # as the walker reads it
            item = self.fresh("e")
            self.nest()
            item_checks = self.indent(self.checks(item_type, item))
            self.depth -= 1
            lines = [
                f"if type({var}) is not list or len({var}) > {MAX_ITEMS_PER_LIST}:",
                "    raise _NotFast",
                f"for {item} in {var}:",
            ]
            if item_type is str:  # nothing to convert: check each item and keep them all
                return [*lines, *item_checks, f"{var} = tuple({var})"]
            items = self.fresh("items")
            return [
                *lines[:2],
                f"{items} = []",
                *lines[2:],
                *item_checks,
                f"    {items}.append({item})",
                f"{var} = tuple({items})",
            ]
        if attrs.has(tp):
            return self.object_lines(tp, var, var)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            members = self.constant(tp.__name__, {m.value: m for m in tp})
            return [f"{var} = {members}[{var}]"]
        if tp is bool:
            return [f"if {var} is not True and {var} is not False:", "    raise _NotFast"]
        if tp is int:
            return [
                f"if type({var}) is not int:",
                f"    if type({var}) is float and {var}.is_integer():",
                f"        {var} = int({var})",
                "    else:",
                "        raise _NotFast",
            ]
        if tp is float:
            return [
                f"if type({var}) is not float:",
                f"    if type({var}) is int:",
                f"        {var} = float({var})",
                "    else:",
                "        raise _NotFast",
            ]
        if tp is str:
            return [f"if type({var}) is not str:", "    raise _NotFast"]
        if tp is date:
            return [
                f"if not (isinstance({var}, str) and _calendar({var})):",
                "    raise _NotFast",
                f"{var} = _fromisoformat({var})",
            ]
        raise _Unsupported(tp)

    @staticmethod
    def indent(lines: list[str]) -> list[str]:
        return ["    " + line for line in lines]


def _optional_of(tp: Any) -> Any:
    """Return ``X`` if ``tp`` is ``X | None`` (as the walker reads it), else ``None``."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    inner = [a for a in typing.get_args(tp) if a is not type(None)]
    if len(inner) != 1:
        raise _Unsupported(tp)
    return inner[0]


def _structure_slow(value: Any, cls: type[T]) -> T:
    """Structure ``value`` with the walker alone, collecting every problem with its path."""
    walker = _Walker()
    try:
        return walker.structure_attrs(value, cls, "$")
    except _Invalid:
        pass
    # Raised outside the handler, so that the error holds no context: no frame of the walker
    # and no part of the rejected record.
    raise InputError(walker.problems)


def _structure_strict(cls: type[T]) -> Callable[[Any, type[T]], T]:
    def structure(value: Any, _: type[T]) -> T:
        try:
            result: T = _fast_structurer(cls)(value, [0])
        except _NOT_FAST_ERRORS:
            pass  # read by the walker below, outside the handler: no context is kept
        else:
            return result
        return _structure_slow(value, cls)

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


def _checked_text(text: str | bytes) -> str:
    """Return the input as text; raise :class:`InputError` if it is too large or not UTF-8."""
    if isinstance(text, bytes):
        if len(text) > MAX_INPUT_BYTES:
            raise InputError([Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes")])
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError([Problem("$", f"input is not UTF-8 text ({exc.reason})")]) from None
    if len(text) > MAX_INPUT_BYTES:
        raise InputError([Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes")])
    return text


def _too_deep() -> InputError:
    return InputError([Problem("$", f"input is nested deeper than {MAX_NESTING} levels")])


def _parse_checked(text: str) -> Any:
    """Parse text that passed :func:`_checked_text`: no NaN, no duplicate keys, bounded depth."""
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


def parse_json(text: str | bytes) -> Any:
    """Parse JSON text strictly (no NaN, no duplicate keys, bounded size and depth)."""
    return _parse_checked(_checked_text(text))


#: The C scanner without a Python hook per object, so it cannot see duplicate keys (see
#: below). It is what ``raw_decode`` calls; calling it directly saves two regular expression
#: matches for the surrounding whitespace, which is checked below instead.
_PLAIN_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder(
    parse_constant=_reject_constant
).scan_once  # type: ignore[attr-defined]
#: JSON's whitespace (str.isspace and str.strip would take other characters too).
_JSON_SPACE = " \t\n\r"


def loads_patient(text: str | bytes) -> Patient:
    """Read a patient from JSON text; raise :class:`InputError` naming every problem."""
    if type(text) is not str or len(text) > MAX_INPUT_BYTES:
        text = _checked_text(text)
    # The fast way: the plain scanner and the fast structurer. Anything either of them rejects
    # (leading whitespace included) is read the exact way, which finds and reports the
    # problems as it always has.
    patient: Patient | None = None
    try:
        data, end = _PLAIN_SCAN(text, 0)
        if end != len(text) and text[end:].strip(_JSON_SPACE):
            raise _NotFast  # extra data after the document
        keys = [0]
        patient = _fast_structurer(Patient)(data, keys)
    except (StopIteration, RecursionError, *_NOT_FAST_ERRORS):  # ValueError: any JSON error
        patient = None  # read the exact way below, outside the handler: no context is kept
    if patient is None:
        return patient_from_dict(_parse_checked(text))
    # Duplicate keys: every key in the text is followed by its own colon, and the structurer
    # counted the keys of every object in the data (it reads every object of a valid record).
    # Were a key repeated, its object would hold fewer keys than the text has colons. So equal
    # counts prove there is none; more colons (a duplicate, or a colon inside a string) call
    # for the exact parse, which raises for a duplicate. Without one it gives these same data,
    # so the patient stands. The depth needs no check: a valid record is 3 levels deep.
    if keys[0] != text.count(":"):
        _parse_checked(text)
    return patient


def load_patient(path: str | Path) -> Patient:
    """Read a patient from a JSON file; the :class:`InputError` names the file.

    At most :data:`MAX_INPUT_BYTES` and one byte more are read: a larger file (or an endless
    one, such as ``/dev/zero``) is refused without being read to its end.
    """
    name = str(path)
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError([Problem("$", f"cannot read file: {exc.strerror}")], name) from None
    if len(data) > MAX_INPUT_BYTES:
        raise InputError([Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes")], name)
    try:
        return loads_patient(data)
    except InputError as exc:
        error = exc.with_source(name)
    raise error  # outside the handler: the error holds no context


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
