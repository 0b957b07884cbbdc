"""The expression layer over whole facts: fact references, comparisons and Kleene logic.

Every node evaluates, generates Python code through :class:`_Codegen`, renders as text and
reports the facts it reads; :mod:`herniarules.rules._items` adds the nodes over items.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import attrs

from herniarules.facts import FACT_LABELS, ITEM_COLLECTIONS, ConditionFact, Facts, HerniaFact
from herniarules.frozen import FrozenDict

__all__ = [
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

_OPS: dict[str, tuple[str, str]] = {
    ">=": (">=", "≥"),
    ">": (">", ">"),
    "<=": ("<=", "≤"),
    "<": ("<", "<"),
    "==": ("==", "="),
    "!=": ("!=", "≠"),
}


class RuleError(ValueError):
    """Raised when a rule or rule set is malformed (bad id, unknown fact, duplicate id)."""


def _item_name(item: object) -> str:
    """Return the name of one item in text: ``hernia C5-C6 (cervical, 7 mm)``, ``condition C61``.

    A condition is named by its code and display name (``condition C61 Malignant neoplasm of
    prostate``) when it has them, else by its concept.
    """
    if isinstance(item, HerniaFact):
        size = "size not recorded" if item.size_mm is None else f"{item.size_mm:g} mm"
        return f"hernia {item.level} ({item.region}, {size})"
    if isinstance(item, ConditionFact):
        if item.code is not None:
            return f"condition {item.code}" + ("" if item.display is None else f" {item.display}")
        return f"condition {item.display or item.concept}"
    return str(item)


def _fmt(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple) and value and isinstance(value[0], HerniaFact | ConditionFact):
        return "; ".join(map(_item_name, value))
    if isinstance(value, frozenset | set | tuple | list):
        return "{" + ", ".join(sorted(map(str, value))) + "}" if value else "none"
    if value is None:
        return "not recorded"
    return str(value)


class Expr(abc.ABC):
    """A three-valued predicate over facts. Combine with ``&``, ``|`` and ``~``."""

    @abc.abstractmethod
    def evaluate(self, facts: Facts) -> Tri:
        """Return ``True``, ``False`` or ``None`` (unknown) for ``facts``."""

    @abc.abstractmethod
    def code(self, ctx: _Codegen) -> str:
        """Return a Python expression computing :meth:`evaluate` on a local ``f``."""

    @abc.abstractmethod
    def render(self, facts: Facts | None = None) -> str:
        """Return the predicate as text, with the patient's values when ``facts`` is given."""

    @abc.abstractmethod
    def reads(self) -> tuple[str, ...]:
        """Return the names of the facts this predicate reads, in order of first use."""

    #: Whether :meth:`render` gives text that needs parentheses inside ``and`` / ``or``.
    compound: ClassVar[bool] = False

    def witnesses(self, facts: Facts) -> Witnesses:
        """Return the positions of the items that made this predicate's result, by collection.

        Only quantifiers over item collections (``F.hernias.any(...)``) name items; a
        predicate over whole facts names none.
        """
        return {}

    def evidence(self, facts: Facts) -> Mapping[str, Any]:
        """Return the values of the facts this predicate reads, as a finding quotes them.

        An item collection a quantifier decided on shows only the items that made the result
        (see :meth:`witnesses`), each as a read-only ``{field: value}``; everything else is
        :meth:`Facts.evidence <herniarules.facts.Facts.evidence>`.
        """
        names = self.reads()
        evidence = facts.evidence(names)
        if not any(name in ITEM_COLLECTIONS for name in names):
            return evidence
        picked = self.witnesses(facts)
        if not picked:
            return evidence
        result = dict(evidence)
        for name, positions in picked.items():
            items = getattr(facts, name)
            result[name] = tuple(items[i].evidence() for i in sorted(positions))
        return FrozenDict(result)

    def missing(self, facts: Facts) -> tuple[str, ...]:
        """Return labels of the values this predicate needs that were not recorded."""
        return tuple(
            FACT_LABELS.get(name, name) for name in self.reads() if getattr(facts, name) is None
        )

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


class Fact(Comparable["Compare"]):
    """A reference to one fact by name; operators on it build predicates."""

    def __init__(self, name: str) -> None:
        if name not in attrs.fields_dict(Facts):
            known = ", ".join(sorted(attrs.fields_dict(Facts)))
            raise RuleError(f"unknown fact {name!r}; known facts: {known}")
        self.name = name
        self.label = FACT_LABELS.get(name, name.replace("_", " "))

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


#: Facts holding a frozenset; membership of one item in them is a plain ``in`` test.
_SET_FACTS = frozenset(
    field.name for field in attrs.fields(Facts) if str(field.type).startswith("frozenset")
)


class _Codegen:
    """Collects constants and helpers a generated function refers to.

    Each fact a predicate reads is loaded once into a local at the top of the generated
    function (:meth:`fact`); facts are immutable, so one read serves every rule.
    """

    def __init__(self) -> None:
        self.constants: dict[str, object] = {}
        self.counter = 0
        self.facts: dict[str, str] = {}
        self.sets: dict[str, str] = {}
        self.derived: dict[str, str] = {}

    def constant(self, value: object) -> str:
        self.counter += 1
        name = f"_c{self.counter}"
        self.constants[name] = value
        return name

    def temp(self) -> str:
        self.counter += 1
        return f"_v{self.counter}"

    def fact(self, name: str) -> str:
        """Return the local that holds fact ``name`` in the generated function."""
        local = self.facts.get(name)
        if local is None:
            local = self.facts[name] = f"_f_{name}"
        return local

    def is_set(self, name: str) -> str:
        """Return the local that tells whether fact ``name`` holds a frozenset."""
        local = self.sets.get(name)
        if local is None:
            local = self.sets[name] = f"_s_{name}"
        return local

    def derive(self, local: str, expression: str) -> str:
        """Return ``local``, computed once from ``expression`` after the facts are loaded.

        For values several predicates share, such as an index of the condition items.
        """
        self.derived.setdefault(local, expression)
        return local

    def prologue(self) -> list[str]:
        """Return the lines loading every fact used so far into its local."""
        lines = [f"    {local} = f.{name}" for name, local in self.facts.items()]
        lines += [
            f"    {flag} = type({self.facts[name]}) is frozenset"
            for name, flag in self.sets.items()
        ]
        lines += [f"    {local} = {expression}" for local, expression in self.derived.items()]
        return lines


class Compare(Expr):
    """``fact <op> value``; unknown when the fact was not recorded."""

    def __init__(self, fact: Fact, op: str, value: object) -> None:
        if op not in _OPS:
            raise RuleError(f"unknown operator {op!r}")
        self.fact, self.op, self.value = fact, op, value
        self._fn: Callable[[Any, Any], bool] = {
            ">=": lambda a, b: a >= b,
            ">": lambda a, b: a > b,
            "<=": lambda a, b: a <= b,
            "<": lambda a, b: a < b,
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
        }[op]

    def evaluate(self, facts: Facts) -> Tri:
        actual = getattr(facts, self.fact.name)
        return None if actual is None else self._fn(actual, self.value)

    def code(self, ctx: _Codegen) -> str:
        v = ctx.fact(self.fact.name)
        return f"(None if {v} is None else {v} {_OPS[self.op][0]} {ctx.constant(self.value)})"

    def render(self, facts: Facts | None = None) -> str:
        symbol = _OPS[self.op][1]
        if self.value is True and self.op == "==":
            head = f"{self.fact.label}"
            return head if facts is None else f"{head} ({_fmt(getattr(facts, self.fact.name))})"
        if facts is None:
            return f"{self.fact.label} {symbol} {_fmt(self.value)}"
        actual = getattr(facts, self.fact.name)
        if actual is None:
            return f"{self.fact.label} not recorded (rule: {symbol} {_fmt(self.value)})"
        return f"{self.fact.label} {_fmt(actual)} {symbol} {_fmt(self.value)}"

    def reads(self) -> tuple[str, ...]:
        return (self.fact.name,)


class In(Expr):
    """The fact's value is one of a set of values."""

    def __init__(self, fact: Fact, values: frozenset[object]) -> None:
        self.fact, self.values = fact, values

    def evaluate(self, facts: Facts) -> Tri:
        actual = getattr(facts, self.fact.name)
        return None if actual is None else actual in self.values

    def code(self, ctx: _Codegen) -> str:
        v = ctx.fact(self.fact.name)
        return f"(None if {v} is None else {v} in {ctx.constant(self.values)})"

    def render(self, facts: Facts | None = None) -> str:
        actual = "" if facts is None else f" {_fmt(getattr(facts, self.fact.name))}"
        return f"{self.fact.label}{actual} ∈ {_fmt(self.values)}"

    def reads(self) -> tuple[str, ...]:
        return (self.fact.name,)


class Contains(Expr):
    """A set-valued fact contains any of the given items."""

    def __init__(self, fact: Fact, items: frozenset[str]) -> None:
        if not items:
            raise RuleError("contains_any needs at least one item")
        self.fact, self.items = fact, items

    def evaluate(self, facts: Facts) -> Tri:
        actual = getattr(facts, self.fact.name)
        return None if actual is None else not self.items.isdisjoint(actual)

    def code(self, ctx: _Codegen) -> str:
        v = ctx.fact(self.fact.name)
        general = f"(None if {v} is None else not {ctx.constant(self.items)}.isdisjoint({v}))"
        if len(self.items) == 1 and self.fact.name in _SET_FACTS:
            # For a frozenset, ``item in value`` is ``not {item}.isdisjoint(value)`` without
            # the method call; any other value (a hand-built Facts) takes the general path.
            (item,) = self.items
            return f"({ctx.constant(item)} in {v} if {ctx.is_set(self.fact.name)} else {general})"
        return general

    def render(self, facts: Facts | None = None) -> str:
        items = " or ".join(sorted(self.items))
        if facts is None:
            return f"{self.fact.label} include {items}"
        actual = getattr(facts, self.fact.name)
        if actual is None:
            return f"{self.fact.label} not recorded (rule: include {items})"
        present = sorted(self.items & actual)
        if present:
            return f"{self.fact.label} include {' and '.join(present)}"
        return f"{self.fact.label} {_fmt(actual)} include none of {', '.join(sorted(self.items))}"

    def reads(self) -> tuple[str, ...]:
        return (self.fact.name,)


class NotEmpty(Expr):
    """A set-valued fact is not empty."""

    def __init__(self, fact: Fact) -> None:
        self.fact = fact

    def evaluate(self, facts: Facts) -> Tri:
        actual = getattr(facts, self.fact.name)
        return None if actual is None else bool(actual)

    def code(self, ctx: _Codegen) -> str:
        v = ctx.fact(self.fact.name)
        return f"(None if {v} is None else bool({v}))"

    def render(self, facts: Facts | None = None) -> str:
        actual = "" if facts is None else f" ({_fmt(getattr(facts, self.fact.name))})"
        return f"{self.fact.label}{actual} present"

    def reads(self) -> tuple[str, ...]:
        return (self.fact.name,)


def _all3(values: Iterable[Tri]) -> Tri:
    unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def _any3(values: Iterable[Tri]) -> Tri:
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


class _Group(Expr):
    joiner: ClassVar[str]
    combine: ClassVar[Callable[[Iterable[Tri]], Tri]]
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
        self.parts = tuple(flat)

    def evaluate(self, facts: Facts) -> Tri:
        return type(self).combine(p.evaluate(facts) for p in self.parts)

    def code(self, ctx: _Codegen) -> str:
        combine = type(self).combine
        if combine is not _all3 and combine is not _any3:
            helper = ctx.constant(combine)
            return f"{helper}(({', '.join(p.code(ctx) for p in self.parts)},))"
        return kleene_code(ctx, combine is _all3, [p.code(ctx) for p in self.parts])

    compound = True

    def render(self, facts: Facts | None = None) -> str:
        inner = f" {self.joiner} ".join(
            f"({p.render(facts)})" if p.compound else p.render(facts) for p in self.parts
        )
        return inner

    def reads(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for p in self.parts for name in p.reads()))

    def witnesses(self, facts: Facts) -> Witnesses:
        return _merge(p.witnesses(facts) for p in _deciding(self, facts))

    def missing(self, facts: Facts) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label for p in self.parts for label in p.missing(facts)))


def _merge(parts: Iterable[Witnesses]) -> Witnesses:
    merged: Witnesses = {}
    for part in parts:
        for name, positions in part.items():
            merged.setdefault(name, set()).update(positions)
    return merged


def _deciding(group: _Group, facts: Facts) -> list[Expr]:
    """Return the parts of ``group`` that decide its result for ``facts``.

    A conjunction that holds (or is unknown) is decided by every part, one that fails by its
    false parts; a disjunction that holds by its true parts, an unknown one by its unknown
    parts, one that fails by every part.
    """
    combine = type(group).combine
    values = [p.evaluate(facts) for p in group.parts]
    result = combine(values)
    if (result is False) if combine is _all3 else (combine is _any3 and result is not False):
        return [p for p, v in zip(group.parts, values, strict=True) if v is result]
    return list(group.parts)


def kleene_code(ctx: _Codegen, conjunction: bool, parts: list[str]) -> str:
    """Return Python combining the expressions ``parts`` in Kleene logic (``and`` or ``or``).

    Every part is evaluated first (as the helpers ``_all3`` / ``_any3`` would), then the
    deciding value wins over unknown, and unknown over the neutral one.
    """
    names = [ctx.temp() for _ in parts]
    loaded = ", ".join(f"({v} := {p})" for v, p in zip(names, parts, strict=True))
    decisive, neutral = (False, True) if conjunction else (True, False)
    hit = " or ".join(f"{v} is {decisive}" for v in names)
    unknown = " or ".join(f"{v} is None" for v in names)
    return f"(({loaded}) and ({decisive} if {hit} else None if {unknown} else {neutral}))"


class All(_Group):
    """True when every part is true; false when any part is false; unknown otherwise."""

    joiner = "and"
    combine = staticmethod(_all3)  # type: ignore[assignment]


class Any_(_Group):
    """True when any part is true; false when every part is false; unknown otherwise."""

    joiner = "or"
    combine = staticmethod(_any3)  # type: ignore[assignment]


class Not(Expr):
    """Negation; unknown stays unknown."""

    def __init__(self, part: Expr) -> None:
        self.part = part

    def evaluate(self, facts: Facts) -> Tri:
        value = self.part.evaluate(facts)
        return None if value is None else not value

    def code(self, ctx: _Codegen) -> str:
        v = ctx.temp()
        return f"(None if ({v} := {self.part.code(ctx)}) is None else not {v})"

    def render(self, facts: Facts | None = None) -> str:
        return f"not ({self.part.render(facts)})"

    def reads(self) -> tuple[str, ...]:
        return self.part.reads()

    def witnesses(self, facts: Facts) -> Witnesses:
        return self.part.witnesses(facts)

    def missing(self, facts: Facts) -> tuple[str, ...]:
        return self.part.missing(facts)


class Always(Expr):
    """A predicate that always holds, for rules that apply to every patient."""

    def evaluate(self, facts: Facts) -> Tri:
        return True

    def code(self, ctx: _Codegen) -> str:
        return "True"

    def render(self, facts: Facts | None = None) -> str:
        return "always"

    def reads(self) -> tuple[str, ...]:
        return ()


class Custom(Expr):
    """Escape hatch: a Python function of the facts, with a required description.

    ``reads`` names the facts the function uses, so findings can show them as evidence. The
    function must return ``True``, ``False`` or ``None``; anything else counts as unknown.
    """

    def __init__(
        self, function: Callable[[Facts], Tri], description: str, reads: Iterable[str] = ()
    ) -> None:
        if not callable(function):
            raise RuleError("Custom needs a callable")
        if not description or not description.strip():
            raise RuleError("Custom predicates need a description")
        self.function, self.description = function, description.strip()
        self._reads = tuple(Fact(name).name for name in reads)

    def evaluate(self, facts: Facts) -> Tri:
        result = self.function(facts)
        return result if isinstance(result, bool) else None

    def code(self, ctx: _Codegen) -> str:
        if type(self).evaluate is not Custom.evaluate:  # a subclass decides for itself
            return f"{ctx.constant(self.evaluate)}(f)"
        v = ctx.temp()
        return f"({v} if type({v} := {ctx.constant(self.function)}(f)) is bool else None)"

    def render(self, facts: Facts | None = None) -> str:
        if facts is None or not self._reads:
            return self.description
        values = ", ".join(
            f"{FACT_LABELS.get(n, n)} {_fmt(getattr(facts, n))}" for n in self._reads
        )
        return f"{self.description} ({values})"

    def reads(self) -> tuple[str, ...]:
        return self._reads
