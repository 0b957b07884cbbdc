"""What each field type accepts from JSON: the one table both structurers are built from.

Reading a patient has three stages: :mod:`herniarules._json` turns text into plain data,
a structurer turns the data into model objects (strictly: ``"5"`` is not an integer, ``true``
is not a number), and the model's own validators check the values. There are two
structurers: the walker (:mod:`herniarules._walk`), the exact reference that names the JSON
path of every problem, and the fast structurer (:mod:`herniarules._fast`), generated code that
reads a valid record and gives up on anything else. Both are built from this table, so
what a type accepts, what it becomes and why anything else is refused is written once:

* a :class:`Leaf` for each scalar type (``bool``, ``int``, ``float``, ``str``, ``date``, every
  enumeration and vocabulary): the forms of value it takes, each a Python expression over the
  value, in order, and the message for a value none of them takes;
* :data:`ARRAY` and :data:`OBJECT`, the refusals every array and every object is checked
  against, with their messages; :data:`UNKNOWN_FIELD` and :data:`MISSING_FIELD`;
* :func:`kind`, which says of any field type whether it is optional, an array, a record
  (an attrs class, with its fields as :class:`Field`) or a leaf.

The walker compiles the expressions into small functions and reports each failure by path;
the fast structurer writes them inline into one function per record.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import attrs

from herniarules.outcomes import Outcome
from herniarules.vocabulary import Term

__all__ = [
    "ARRAY",
    "MAX_ITEMS_PER_LIST",
    "MISSING_FIELD",
    "OBJECT",
    "UNKNOWN_FIELD",
    "Array",
    "Case",
    "Field",
    "Leaf",
    "Optional",
    "Record",
    "Refusal",
    "Unsupported",
    "kind",
    "show",
]

#: Most items accepted in one array of a record (conditions, medications, ...), and most keys
#: in one object; a real record holds a few dozen at most. Checked before any item is read.
MAX_ITEMS_PER_LIST = 500


def type_name(value: object) -> str:
    """Name the JSON type of ``value`` for a message: ``a string``, ``null``, ``an array``."""
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


def show(value: object) -> str:
    """Show ``value`` in a message: a scalar as JSON (cut to 40 characters), else its type."""
    text = json.dumps(value) if isinstance(value, str | int | float | bool) else type_name(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --------------------------------------------------------------------------- the vocabulary

#: Expressions in the table are Python source over the value, written ``{v}``; other names in
#: braces are the leaf's constants. The structurers substitute their own variable names.


@attrs.frozen
class Case:
    """One form of value a leaf type accepts, and what it becomes.

    ``when`` is a condition on the value (``None``: always tried); ``gives`` the value it
    becomes. If ``gives`` raises one of ``fails``, the value is refused with ``says(value,
    error)`` or, without ``says``, the next case is tried. A case with ``fast`` false is left
    to the walker: the fast structurer gives up where it would apply.
    """

    when: str | None
    gives: str = "{v}"
    fails: tuple[type[Exception], ...] = ()
    says: Callable[[Any, Exception], str] | None = None
    fast: bool = True


@attrs.frozen(eq=False)
class Leaf:
    """A scalar type: the cases it accepts, in order, and why any other value is refused.

    ``constants`` are the names (other than ``{v}``) that the cases' expressions use.
    """

    name: str
    cases: tuple[Case, ...]
    refusal: Callable[[Any], str]
    constants: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class Refusal:
    """A condition (``when``, over ``{v}``) under which a value is refused, and the message.

    ``fast`` false: the fast structurer need not check it, as what it reads cannot pass it.
    """

    when: str
    says: Callable[[Any], str]
    fast: bool = True


@attrs.frozen
class Optional:
    """``X | None``: null, or a value of ``inner``."""

    inner: Any


@attrs.frozen
class Array:
    """``tuple[X, ...]``: a JSON array of ``item`` values, read into a tuple."""

    item: Any


@attrs.frozen
class Field:
    """A field of a record, and how its constructor takes it."""

    name: str
    type: Any
    required: bool
    #: The constructor's default for the field (attrs' ``NOTHING`` for a factory).
    default: Any
    keyword_only: bool


@attrs.frozen
class Record:
    """An attrs class, read from a JSON object whose keys are its fields.

    ``direct`` is whether every field is a parameter of ``__init__`` under its own name, with
    a default exactly when the field has one, so that the constructor can be called with
    every field (as the fast structurer does: in order, then the keyword-only ones by name);
    the walker passes the fields that are there by name.
    """

    cls: Any
    fields: tuple[Field, ...]
    names: frozenset[str]
    direct: bool


class Unsupported(TypeError):
    """A type the table does not read."""


# --------------------------------------------------------------------------- the refusals

#: A JSON array: a list, of at most :data:`MAX_ITEMS_PER_LIST` items.
ARRAY: tuple[Refusal, ...] = (
    Refusal(
        "type({v}) is not list and not isinstance({v}, list)",
        lambda v: f"must be an array, got {show(v)}",
    ),
    Refusal(
        f"len({{v}}) > {MAX_ITEMS_PER_LIST}",
        lambda v: f"must have at most {MAX_ITEMS_PER_LIST} items, got {len(v)}",
    ),
)
#: A JSON object: a dict, of at most :data:`MAX_ITEMS_PER_LIST` keys.
OBJECT: tuple[Refusal, ...] = (
    Refusal("type({v}) is not dict", lambda v: f"must be an object, got {show(v)}"),
    # The fast structurer reads records of fewer fields than that; an object with more keys
    # has a key that names no field, which it refuses anyway.
    Refusal(
        f"len({{v}}) > {MAX_ITEMS_PER_LIST}",
        lambda v: f"must have at most {MAX_ITEMS_PER_LIST} keys, got {len(v)}",
        fast=False,
    ),
)
#: The problem of a key that names no field of its record.
UNKNOWN_FIELD = "unknown field"
#: The problem of a required field that is not there.
MISSING_FIELD = "required field is missing"


# --------------------------------------------------------------------------- the leaves

_CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

BOOLEAN = Leaf(
    "boolean",
    (Case("{v} is True or {v} is False"),),
    lambda v: f"must be true or false, got {show(v)}",
)
INTEGER = Leaf(
    "integer",
    (
        Case("type({v}) is int"),
        # 7.0 is a whole number; JSON does not tell 7 from 7.0.
        Case("type({v}) is float and {v}.is_integer()", "int({v})"),
    ),
    lambda v: f"must be a whole number, got {show(v)}",
)
NUMBER = Leaf(
    "number",
    (
        Case("type({v}) is float"),
        Case(
            "type({v}) is int",
            "float({v})",
            fails=(OverflowError,),  # an integer literal beyond the range of a float
            says=lambda v, _: f"must be a number in range, got {show(v)}",
        ),
    ),
    lambda v: f"must be a number, got {show(v)}",
)
STRING = Leaf(
    "string",
    (Case("type({v}) is str"),),
    lambda v: f"must be a string, got {show(v)}",
)
CALENDAR_DATE = Leaf(
    "date",
    # fromisoformat also takes ISO week dates ("2026-W01-1") and "20261101"; only the
    # calendar form YYYY-MM-DD that the schema documents is accepted.
    (
        Case(
            "isinstance({v}, str) and {calendar}({v})",
            "{fromisoformat}({v})",
            fails=(ValueError,),  # "2026-02-30"
        ),
    ),
    lambda v: f"must be a date as YYYY-MM-DD, got {show(v)}",
    {"calendar": _CALENDAR_DATE.fullmatch, "fromisoformat": date.fromisoformat},
)


def _enumeration(tp: type[enum.Enum]) -> Leaf:
    # An outcome is written as its label (``requires-clearance``), every other member as its
    # value; a vocabulary also reads its synonyms, and names the closest terms to a wrong one.
    members: dict[Any, enum.Enum]
    if tp is Outcome:
        members = {outcome.label: outcome for outcome in Outcome}
    else:
        members = {member.value: member for member in tp}
    allowed = ", ".join(repr(value) for value in members)
    cases = [Case(None, "{members}[{v}]", fails=(KeyError, TypeError))]
    constants: dict[str, Any] = {"members": members}
    if issubclass(tp, Term):
        cases.append(
            Case(
                "type({v}) is str",
                "{parse}({v})",
                fails=(ValueError,),
                says=lambda v, error: str(error),
                fast=False,  # a synonym: the walker reads it
            )
        )
        constants["parse"] = tp.parse
    return Leaf(
        tp.__name__,
        tuple(cases),
        lambda v: f"must be one of {allowed}, got {show(v)}",
        constants,
    )


_LEAVES: dict[Any, Leaf] = {
    bool: BOOLEAN,
    int: INTEGER,
    float: NUMBER,
    str: STRING,
    date: CALENDAR_DATE,
}


# --------------------------------------------------------------------------- types


@functools.cache
def kind(tp: Any) -> Optional | Array | Record | Leaf:
    """Say how values of the field type ``tp`` are read; raise :class:`Unsupported` if not."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in args if arg is not type(None)]
        if len(inner) != 1 or len(args) != 2:
            raise Unsupported(f"cannot read a value of type {tp!r}")
        return Optional(inner[0])
    if origin is tuple:
        if len(args) != 2 or args[1] is not Ellipsis:
            raise Unsupported(f"cannot read a value of type {tp!r}")
        return Array(args[0])
    if attrs.has(tp):
        return _record(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enumeration(tp)
    leaf = _LEAVES.get(tp)
    if leaf is None:
        raise Unsupported(f"cannot read a value of type {tp!r}")
    return leaf


def _record(cls: Any) -> Record:
    hints = typing.get_type_hints(cls)
    attributes = attrs.fields(cls)
    parameters = inspect.signature(cls).parameters
    direct = set(parameters) == {a.name for a in attributes}
    fields = []
    for attribute in attributes:
        required = attribute.default is attrs.NOTHING
        parameter = parameters.get(attribute.name)
        if parameter is None or parameter.kind not in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            direct = False
            default, keyword_only = attrs.NOTHING, False
        else:
            if required != (parameter.default is inspect.Parameter.empty):
                direct = False
            default = parameter.default
            keyword_only = parameter.kind is inspect.Parameter.KEYWORD_ONLY
        fields.append(Field(attribute.name, hints[attribute.name], required, default, keyword_only))
    positional = [name for name, p in parameters.items() if p.kind is not p.KEYWORD_ONLY]
    if positional != [f.name for f in fields if not f.keyword_only]:
        direct = False  # the fast structurer passes these in order
    return Record(cls, tuple(fields), frozenset(a.name for a in attributes), direct)
