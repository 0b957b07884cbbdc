"""The walker: structures plain data into model objects, naming the JSON path of every problem.

The exact, slow reference of the structuring stage. It reads a value the way the table in
:mod:`herniarules._checks` says, one function per type; where a value is refused it records a
:class:`~herniarules.errors.Problem` with the value's JSON path (``hernias[0].size_mm``) and
reads on, so that one :class:`~herniarules.errors.InputError` reports every problem of a
record at once. Where every field reads, it calls the model's constructor; if a validator
refuses a value, each field's validator is run on its own, so that every bad field is named.

The fast structurer (:mod:`herniarules._fast`) reads valid records without this bookkeeping;
whatever it accepts, the walker gives the same object.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from herniarules import _checks
from herniarules._checks import Array, Leaf, Optional, Record, Refusal
from herniarules._codegen import define
from herniarules.errors import InputError, ModelError, Problem

__all__ = ["Invalid", "Walker", "reader", "structure"]

T = TypeVar("T")


class Invalid(Exception):
    """Marks a value that failed; its problems are already recorded.

    Raised as a fresh instance every time: a shared instance would keep, in its ever longer
    traceback, the frames (and so the input) of every record ever rejected.
    """


#: A JSON path under construction: ``"$"`` or ``(parent path, key)``, rendered only on failure.
JsonPath = Any


def render(path: JsonPath) -> str:
    """Return a path as text: ``"$"``, ``"age"``, ``"hernias[0].size_mm"``."""
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


class Walker:
    """Collects the problems of one record, each with its path."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: JsonPath, message: str) -> Invalid:
        """Record a problem at ``path``; return a fresh :class:`Invalid` to raise."""
        self.problems.append(Problem(render(path), message))
        return Invalid()


#: ``read(walker, value, path)``: the value read, or :class:`Invalid` once its problems are
#: recorded.
Reader = Callable[[Walker, Any, JsonPath], Any]


def structure(value: Any, cls: type[T]) -> T:
    """Structure ``value`` into ``cls``; raise :class:`InputError` naming every problem."""
    walker = Walker()
    try:
        result: T = reader(cls)(walker, value, "$")
        return result
    except Invalid:
        problems = walker.problems
    # Raised outside the handler, so that the error holds no context: no frame of the walker
    # and no part of the rejected record.
    raise InputError(problems)


_READERS: dict[Any, Reader] = {}


def reader(tp: Any) -> Reader:
    """Return the (cached) function that reads values of the field type ``tp``."""
    found = _READERS.get(tp)
    if found is None:
        found = _READERS[tp] = _reader(tp)
    return found


def _reader(tp: Any) -> Reader:
    how = _checks.kind(tp)
    if isinstance(how, Optional):
        return _optional(how)
    if isinstance(how, Array):
        return _array(how)
    if isinstance(how, Record):
        return _record(how)
    return _leaf(how)


def _optional(how: Optional) -> Reader:
    inner = reader(how.inner)

    def optional(w: Walker, value: Any, path: JsonPath) -> Any:
        return None if value is None else inner(w, value, path)

    return optional


def _array(how: Array) -> Reader:
    refused = _refuser("array", _checks.ARRAY)
    item = reader(how.item)

    def array(w: Walker, value: Any, path: JsonPath) -> Any:
        message = refused(value)
        if message is not None:
            raise w.fail(path, message)
        items = []
        failed = False
        for index, element in enumerate(value):
            try:
                items.append(item(w, element, (path, index)))
            except Invalid:
                failed = True
        if failed:
            raise Invalid
        return tuple(items)

    return array


def _record(how: Record) -> Reader:
    cls = how.cls
    names = how.names
    refused = _refuser("object", _checks.OBJECT)
    # Field readers are looked up on first use, so that classes may refer to each other.
    plan: list[tuple[str, bool, Reader]] = []

    def resolve() -> list[tuple[str, bool, Reader]]:
        if not plan:
            plan.extend((f.name, f.required, reader(f.type)) for f in how.fields)
        return plan

    def record(w: Walker, value: Any, path: JsonPath) -> Any:
        message = refused(value)
        if message is not None:
            raise w.fail(path, message)
        failed = False
        if not names.issuperset(value):
            for key in value:
                if key not in names:
                    w.fail((path, key), _checks.UNKNOWN_FIELD)
            failed = True
        kwargs: dict[str, Any] = {}
        for name, required, field_reader in plan or resolve():
            if name in value:
                try:
                    kwargs[name] = field_reader(w, value[name], (path, name))
                except Invalid:
                    failed = True
            elif required:
                w.fail((path, name), _checks.MISSING_FIELD)
                failed = True
        if not failed:
            # attrs' __init__ stops at the first failing validator; if it fails, run each
            # field's validator on its own below, so every bad field is reported by path.
            with contextlib.suppress(ValueError, TypeError):
                return cls(**kwargs)
        probe = _Probe(kwargs)
        for field in attrs.fields(cls):
            if field.validator is not None and field.name in kwargs:
                try:
                    field.validator(probe, field, kwargs[field.name])
                except (ValueError, TypeError) as exc:
                    w.fail((path, field.name), str(exc))
                    failed = True
        if failed:
            raise Invalid
        try:
            return cls(**kwargs)
        except ModelError as exc:  # checks of the object as a whole, or of a field left out
            for problem in exc.problems:
                w.fail(path if problem.path == "$" else (path, problem.path), problem.message)
            raise Invalid from None
        except (ValueError, TypeError) as exc:
            raise w.fail(path, str(exc)) from None

    return record


class _Probe:
    """Stands in for the instance when a field validator reads sibling fields."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:
        return None


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _leaf(leaf: Leaf) -> Reader:
    """Compile the reader of a leaf type from its cases, as the table states them."""
    namespace: dict[str, Any] = {"_refusal": leaf.refusal}
    names = {"v": "v"}
    for name, value in leaf.constants.items():
        names[name] = f"_{name}"
        namespace[f"_{name}"] = value
    lines: list[str] = []
    for index, case in enumerate(leaf.cases):
        gives = case.gives.format(**names)
        body = [f"return {gives}"]
        if case.fails:
            namespace[f"_fails{index}"] = case.fails
            if case.says is None:
                handler = ["pass"]  # not this case: try the next
            else:
                namespace[f"_says{index}"] = case.says
                handler = [f"raise w.fail(path, _says{index}(v, exc)) from None"]
            body = ["try:", *_indent(body), f"except _fails{index} as exc:", *_indent(handler)]
        if case.when is None:
            lines += body
        else:
            lines += [f"if {case.when.format(**names)}:", *_indent(body)]
    name = f"read_{leaf.name}"
    source = "\n".join(
        [f"def {name}(w, v, path):", *_indent(lines), "    raise w.fail(path, _refusal(v))"]
    )
    read: Reader = define(source, name, f"reader of {leaf.name}", namespace)
    return read


#: ``refused(value)``: the message of the first refusal that applies, or ``None``.
_Refuser = Callable[[Any], "str | None"]


@functools.cache
def _refuser(what: str, refusals: tuple[Refusal, ...]) -> _Refuser:
    """Compile the checks of an array or object into one function giving the message."""
    namespace: dict[str, Any] = {}
    lines = ["def refused(v):"]
    for index, refusal in enumerate(refusals):
        namespace[f"_says{index}"] = refusal.says
        lines += [f"    if {refusal.when.format(v='v')}:", f"        return _says{index}(v)"]
    lines.append("    return None")
    refused: _Refuser = define("\n".join(lines), "refused", f"checks of an {what}", namespace)
    return refused
