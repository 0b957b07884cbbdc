"""The nodes of predicates over whole facts: fact references, comparisons and Kleene logic.

A node is frozen data that describes a piece of a predicate and nothing else. What can be
done with it lives in the back-ends, each a module that visits the nodes through one dispatch
table per operation (:mod:`herniarules.rules._visit`): the interpreter evaluates a node and
collects its evidence (:mod:`~herniarules.rules._interpret`), the renderer writes it as text
(:mod:`~herniarules.rules._render`), the reads analysis lists the facts it reads
(:mod:`~herniarules.rules._reads`) and the code generator writes it as Python
(:mod:`~herniarules.rules._python`). The methods on the nodes are thin delegations to them.
:mod:`herniarules.rules._items` adds the nodes over items.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from herniarules.facts import FACT_LABELS, Facts

__all__ = [
    "OPERATORS",
    "All",
    "Always",
    "Any_",
    "Compare",
    "Contains",
    "Custom",
    "Expr",
    "Fact",
    "In",
    "Not",
    "NotEmpty",
    "RuleError",
    "Tri",
]

#: A three-valued truth value: ``True``, ``False`` or ``None`` for unknown.
Tri = bool | None
#: Positions of items, by item collection, that made a predicate's result (see
#: :meth:`Expr.witnesses`).
Witnesses = dict[str, set[int]]

#: The comparison operators a predicate may use, spelled as in Python.
OPERATORS = frozenset({">=", ">", "<=", "<", "==", "!="})


class RuleError(ValueError):
    """Raised when a rule or rule set is malformed (bad id, unknown fact, duplicate id)."""


def _operator(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in OPERATORS:
        raise RuleError(f"unknown operator {value!r}")


class Expr:
    """A three-valued predicate over facts. Combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    def evaluate(self, facts: Facts) -> Tri:
        """Return ``True``, ``False`` or ``None`` (unknown) for ``facts``."""
        return _interpret.evaluate(self, facts)

    def render(self, facts: Facts | None = None) -> str:
        """Return the predicate as text, with the patient's values when ``facts`` is given."""
        return _render.render(self, facts)

    def reads(self) -> tuple[str, ...]:
        """Return the names of the facts this predicate reads, in order of first use."""
        return _reads.reads(self)

    def witnesses(self, facts: Facts) -> Witnesses:
        """Return the positions of the items that made this predicate's result, by collection.

        Only quantifiers over item collections (``F.hernias.any(...)``) name items; a
        predicate over whole facts names none.
        """
        return _interpret.witnesses(self, facts)

    def evidence(self, facts: Facts) -> Mapping[str, Any]:
        """Return the values of the facts this predicate reads, as a finding quotes them.

        An item collection a quantifier decided on shows only the items that made the result
        (see :meth:`witnesses`), each as a read-only ``{field: value}``; everything else is
        :meth:`Facts.evidence <herniarules.facts.Facts.evidence>`.
        """
        return _interpret.evidence(self, facts)

    def missing(self, facts: Facts) -> tuple[str, ...]:
        """Return labels of the values this predicate needs that were not recorded."""
        return _interpret.missing(self, facts)

    def __and__(self, other: Expr) -> Expr:
        return All(self, other)

    def __or__(self, other: Expr) -> Expr:
        return Any_(self, other)

    def __invert__(self) -> Expr:
        return Not(self)

    def __bool__(self) -> bool:
        raise TypeError("use & | ~ to combine predicates, not and / or / not")


P_co = TypeVar("P_co", covariant=True)


class Comparable(Generic[P_co]):
    """The comparison operators of a reference to a value: a fact, or an item's field.

    Each builds a predicate through :meth:`_cmp`, which the reference defines.
    """

    __slots__ = ()

    @abc.abstractmethod
    def _cmp(self, op: str, value: object) -> P_co:
        """Return the predicate ``reference <op> value``."""

    def __ge__(self, value: object) -> P_co:
        return self._cmp(">=", value)

    def __gt__(self, value: object) -> P_co:
        return self._cmp(">", value)

    def __le__(self, value: object) -> P_co:
        return self._cmp("<=", value)

    def __lt__(self, value: object) -> P_co:
        return self._cmp("<", value)

    def eq(self, value: object) -> P_co:
        """Return the predicate ``value of the reference == value``."""
        return self._cmp("==", value)

    def ne(self, value: object) -> P_co:
        """Return the predicate ``value of the reference != value``."""
        return self._cmp("!=", value)

    def is_true(self) -> P_co:
        """Return the predicate "this yes/no value is yes"."""
        return self._cmp("==", True)

    def is_false(self) -> P_co:
        """Return the predicate "this yes/no value is no"."""
        return self._cmp("==", False)


def _known_fact(instance: object, attribute: attrs.Attribute[str], name: str) -> None:
    if name not in attrs.fields_dict(Facts):
        known = ", ".join(sorted(attrs.fields_dict(Facts)))
        raise RuleError(f"unknown fact {name!r}; known facts: {known}")


def _label(name: str) -> str:
    return FACT_LABELS.get(name, name.replace("_", " "))


@attrs.frozen(eq=False, repr=False)
class Fact(Comparable["Compare"]):
    """A reference to one fact by name; operators on it build predicates."""

    name: str = attrs.field(validator=_known_fact)
    label: str = attrs.field(
        init=False,
        repr=False,
        default=attrs.Factory(lambda self: _label(self.name), takes_self=True),
    )
    """The fact's name in text: ``pain score (0-10)``."""

    def __repr__(self) -> str:
        return f"F.{self.name}"

    def _cmp(self, op: str, value: object) -> Compare:
        return Compare(self, op, value)

    def in_(self, *values: object) -> In:
        """Return the predicate "the fact's value is one of ``values``"."""
        return In(self, frozenset(values))

    def contains(self, item: str) -> Contains:
        """Return the predicate "this set-valued fact contains ``item``"."""
        return Contains(self, frozenset({item}))

    def contains_any(self, *items: str) -> Contains:
        """Return the predicate "this set-valued fact contains any of ``items``"."""
        return Contains(self, frozenset(items))

    def not_empty(self) -> NotEmpty:
        """Return the predicate "this set-valued fact is not empty"."""
        return NotEmpty(self)


@attrs.frozen(eq=False)
class Compare(Expr):
    """``fact <op> value``; unknown when the fact was not recorded."""

    fact: Fact
    op: str = attrs.field(validator=_operator)
    value: object


@attrs.frozen(eq=False)
class In(Expr):
    """The fact's value is one of a set of values."""

    fact: Fact
    values: frozenset[object]


def _some_items(instance: object, attribute: attrs.Attribute[frozenset[str]], items: Any) -> None:
    if not items:
        raise RuleError("contains_any needs at least one item")


@attrs.frozen(eq=False)
class Contains(Expr):
    """A set-valued fact contains any of the given items."""

    fact: Fact
    items: frozenset[str] = attrs.field(validator=_some_items)


@attrs.frozen(eq=False)
class NotEmpty(Expr):
    """A set-valued fact is not empty."""

    fact: Fact


@attrs.frozen(eq=False, init=False)
class _Group(Expr):
    """The parts of a conjunction or disjunction; nested groups of the same kind are flat."""

    parts: tuple[Expr, ...]

    def __init__(self, *parts: Expr) -> None:
        if len(parts) < 2:
            raise RuleError(f"{type(self).__name__} needs at least two predicates")
        flat: list[Expr] = []
        for part in parts:
            if not isinstance(part, Expr):
                raise RuleError(f"expected a predicate, got {part!r}")
            flat.extend(
                part.parts if isinstance(part, _Group) and type(part) is type(self) else (part,)
            )
        self.__attrs_init__(tuple(flat))


@attrs.frozen(eq=False, init=False)
class All(_Group):
    """True when every part is true; false when any part is false; unknown otherwise."""


@attrs.frozen(eq=False, init=False)
class Any_(_Group):
    """True when any part is true; false when every part is false; unknown otherwise."""


def _predicate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Expr):
        raise RuleError(f"expected a predicate, got {value!r}")


@attrs.frozen(eq=False)
class Not(Expr):
    """Negation; unknown stays unknown."""

    part: Expr = attrs.field(validator=_predicate)


@attrs.frozen(eq=False)
class Always(Expr):
    """A predicate that always holds, for rules that apply to every patient."""


def _callable(instance: object, attribute: attrs.Attribute[Any], function: object) -> None:
    if not callable(function):
        raise RuleError("Custom needs a callable")


def _stripped(text: object) -> object:
    return text.strip() if isinstance(text, str) else text


def _description(instance: object, attribute: attrs.Attribute[str], text: object) -> None:
    if not isinstance(text, str) or not text:
        raise RuleError("Custom predicates need a description")


def _known_facts(instance: object, attribute: attrs.Attribute[Any], names: Iterable[str]) -> None:
    for name in names:
        Fact(name)


@attrs.frozen(eq=False)
class Custom(Expr):
    """Escape hatch: a Python function of the facts, with a required description.

    ``reads`` names the facts the function uses, so findings can show them as evidence. The
    function must return ``True``, ``False`` or ``None``; anything else counts as unknown.
    """

    function: Callable[[Facts], Tri] = attrs.field(validator=_callable)
    description: str = attrs.field(converter=_stripped, validator=_description)
    fact_names: tuple[str, ...] = attrs.field(
        default=(), converter=tuple, validator=_known_facts, alias="reads"
    )
    """The facts the function reads (``reads=`` when building it)."""


# The back-ends visit the nodes above and import them, so they come last.
from herniarules.rules import _interpret, _reads, _render  # noqa: E402
