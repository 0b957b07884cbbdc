"""Predicates about items: some, every or how many hernias or conditions satisfy a condition.

``F.hernias`` and ``F.conditions`` hold one item per hernia and per (active condition,
concept); ``H`` and ``Dx`` name the fields of those items::

    F.hernias.any(H.region.in_("cervical", "thoracic") & (H.size_mm >= 6))
    F.hernias.all(H.phase.eq("remission"))
    F.hernias.count(H.phase.eq("acute")) >= 2
    F.conditions.any(Dx.concept.eq("varicose-veins") & Dx.site.eq("legs"))

An item predicate is three-valued like a fact predicate: a comparison with a field that was
not recorded is unknown. ``any`` holds when some item holds, is unknown when none holds but
some is unknown, and fails otherwise (an empty collection fails); ``all`` is its dual (an
empty collection holds); ``count(p) >= n`` holds when the items that certainly satisfy ``p``
reach ``n``, fails when even the unknown ones cannot, and is unknown in between.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import attrs

from herniarules.facts import ITEM_COLLECTIONS, ConditionFact, Facts, HerniaFact
from herniarules.model import ClinicalStatus, HerniaKind, Phase, Region
from herniarules.outcomes import Outcome
from herniarules.rules._core import (
    _OPS,
    Comparable,
    Compare,
    Contains,
    Expr,
    Fact,
    In,
    RuleError,
    Tri,
    Witnesses,
    _all3,
    _any3,
    _Codegen,
    _fmt,
    _item_name,
    kleene_code,
)
from herniarules.terminology import CodeSystem, dotted, normalize_code
from herniarules.vocabulary import Site

__all__ = [
    "CONDITION_ITEMS",
    "HERNIA_ITEMS",
    "Count",
    "CountCompare",
    "Dx",
    "Every",
    "F",
    "H",
    "ItemExpr",
    "ItemField",
    "ItemKind",
    "Items",
    "Some",
]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_ORDERING = frozenset({">=", ">", "<=", "<"})


def _dotted_code(code: str) -> str:
    """Return ``code`` in dotted spelling: ``'c341'`` and ``'C34.1'`` give ``'C34.1'``."""
    return dotted(normalize_code(code))


@attrs.frozen
class _FieldSpec:
    """What one item field holds: its label, value type and, if enumerated, its values."""

    label: str
    kind: type
    """``str``, ``float`` (any number but a bool) or ``bool``."""
    values: frozenset[str] | None = None
    """The values the field can take, when it is enumerated."""
    normalize: Callable[[str], str] | None = None
    """Turns a rule's value into the field's spelling (ICD-10 codes into dotted form)."""
    readable: bool = True
    """Whether rules may read the field; a display name is for explanations only."""

    def check(self, name: str, value: object) -> object:
        """Return ``value`` as the field holds it; raise :class:`RuleError` if it cannot be."""
        kind = self.kind
        if kind is float:
            # NaN compares false with everything: a rule comparing with it could never fire.
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value == value
        else:
            ok = isinstance(value, kind)
        if not ok:
            raise RuleError(f"item field {name!r} holds {kind.__name__} values, got {value!r}")
        if self.normalize is not None and isinstance(value, str):
            try:
                value = self.normalize(value)
            except ValueError as exc:
                raise RuleError(f"item field {name!r}: {exc}") from None
        if self.values is not None and value not in self.values:
            known = ", ".join(sorted(self.values))
            raise RuleError(f"item field {name!r} cannot be {value!r}; it is one of {known}")
        return value


class ItemKind:
    """One item collection of :class:`~herniarules.facts.Facts` and the fields of its items."""

    def __init__(
        self,
        collection: str,
        item_class: type,
        singular: str,
        fields: dict[str, _FieldSpec],
        ref: Callable[[Any], str],
    ) -> None:
        declared = [field.name for field in attrs.fields(item_class)]
        if collection not in ITEM_COLLECTIONS or sorted(fields) != sorted(declared):
            raise RuleError(f"fields of {collection!r} do not match {item_class.__name__}")
        #: The name of the fact holding the items (``hernias``).
        self.collection = collection
        #: The class of the items (:class:`~herniarules.facts.HerniaFact`).
        self.item_class = item_class
        #: How one item is called in text (``hernia``).
        self.singular = singular
        #: The fields, in declaration order, with their labels and values.
        self.fields = {name: fields[name] for name in declared}
        self._ref = ref

    def __repr__(self) -> str:
        return f"ItemKind({self.collection!r})"

    def spec(self, name: str) -> _FieldSpec:
        """Return the field ``name``; raise :class:`RuleError` listing the fields if unknown."""
        spec = self.fields.get(name)
        if spec is None:
            known = ", ".join(self.fields)
            raise RuleError(f"unknown {self.singular} field {name!r}; known fields: {known}")
        return spec

    def ref(self, item: Any) -> str:
        """Return a short reference to ``item``: ``hernia L4-L5``, ``condition C61``."""
        return self._ref(item)


def _str(label: str, values: Iterable[str] | None = None) -> _FieldSpec:
    return _FieldSpec(label, str, None if values is None else frozenset(values))


#: The items of ``F.hernias``: one :class:`~herniarules.facts.HerniaFact` per hernia.
HERNIA_ITEMS = ItemKind(
    "hernias",
    HerniaFact,
    "hernia",
    {
        "region": _str("region", (r.value for r in Region)),
        "level": _str("level"),
        "kind": _str("kind", (k.value for k in HerniaKind)),
        "phase": _str("phase", (p.value for p in Phase)),
        "size_mm": _FieldSpec("size (mm)", float),
        "surgery_indicated": _FieldSpec("surgery indicated", bool),
    },
    lambda item: f"hernia {item.level}",
)
#: The items of ``F.conditions``: one :class:`~herniarules.facts.ConditionFact` per active
#: condition and concept it expresses.
CONDITION_ITEMS = ItemKind(
    "conditions",
    ConditionFact,
    "condition",
    {
        "concept": _str("concept"),
        "tier": _str("tier", (o.label for o in Outcome)),
        "site": _str("site", (site.value for site in Site)),
        "code": _FieldSpec("code", str, normalize=_dotted_code),
        "system": _str("code system", (s.value for s in CodeSystem)),
        "display": _FieldSpec("name", str, readable=False),
        "status": _str("status", (s.value for s in ClinicalStatus)),
    },
    lambda item: f"condition {item.code or item.concept}",
)
_KINDS: dict[str, ItemKind] = {kind.collection: kind for kind in (HERNIA_ITEMS, CONDITION_ITEMS)}


# --------------------------------------------------------------------------- item predicates


class ItemExpr(abc.ABC):
    """A three-valued predicate over one item. Combine with ``&``, ``|`` and ``~``."""

    #: The item collection whose items this predicate reads.
    kind: ItemKind
    #: Whether :meth:`render` gives text that needs parentheses inside ``and`` / ``or``.
    compound: ClassVar[bool] = False

    @abc.abstractmethod
    def evaluate(self, item: Any) -> Tri:
        """Return ``True``, ``False`` or ``None`` (unknown) for one item."""

    @abc.abstractmethod
    def code(self, ctx: _Codegen, item: str) -> str:
        """Return a Python expression computing :meth:`evaluate` on the local ``item``."""

    @abc.abstractmethod
    def render(self, item: Any = None) -> str:
        """Return the predicate as text, with the item's values when ``item`` is given."""

    @abc.abstractmethod
    def fields(self) -> tuple[str, ...]:
        """Return the item fields this predicate reads, in order of first use."""

    def explain(self, item: Any, result: Tri) -> str:
        """Return the parts of the predicate that gave ``result`` for ``item``, with values."""
        return self.render(item)

    def missing(self, item: Any) -> tuple[str, ...]:
        """Return labels of the fields this predicate reads that ``item`` lacks."""
        return tuple(
            self.kind.fields[name].label for name in self.fields() if getattr(item, name) is None
        )

    def _same_kind(self, other: object, operator: str) -> ItemExpr:
        if not isinstance(other, ItemExpr):
            raise RuleError(
                f"cannot combine an item predicate with {other!r} by {operator!r}: "
                "put the item predicate inside F.<items>.any/all/count first"
            )
        if other.kind is not self.kind:
            raise RuleError(
                f"cannot combine predicates on {self.kind.singular} and {other.kind.singular} items"
            )
        return other

    def __and__(self, other: ItemExpr) -> ItemExpr:
        return ItemAll(self, self._same_kind(other, "&"))

    def __or__(self, other: ItemExpr) -> ItemExpr:
        return ItemAny(self, self._same_kind(other, "|"))

    def __invert__(self) -> ItemExpr:
        return ItemNot(self)

    def __bool__(self) -> bool:
        raise TypeError("use & | ~ to combine predicates, not and / or / not")

    def labelled(self, text: str) -> ItemExpr:
        """Return this predicate rendered as ``text``: the same test, in plain words.

        ``Dx.concept.eq("hypertension") & Dx.tier.eq("requires-clearance")`` explains itself
        field by field; labelled "hypertension, requires clearance", an explanation reads
        ``condition I10 Essential (primary) hypertension: hypertension, requires clearance``.
        """
        return Labelled(self, text)


class Labelled(ItemExpr):
    """An item predicate with its own text; it evaluates and compiles as the one it wraps."""

    def __init__(self, inner: ItemExpr, text: str) -> None:
        if not isinstance(inner, ItemExpr):
            raise RuleError(f"expected an item predicate, got {inner!r}")
        if not isinstance(text, str) or not text.strip():
            raise RuleError("a labelled item predicate needs non-empty text")
        self.inner, self.text, self.kind = inner, text.strip(), inner.kind

    def evaluate(self, item: Any) -> Tri:
        return self.inner.evaluate(item)

    def code(self, ctx: _Codegen, item: str) -> str:
        return self.inner.code(ctx, item)

    def render(self, item: Any = None) -> str:
        return self.text

    def fields(self) -> tuple[str, ...]:
        return self.inner.fields()


class ItemField(Comparable["ItemCompare"]):
    """A reference to one field of an item (``H.size_mm``); operators build item predicates."""

    def __init__(self, kind: ItemKind, name: str) -> None:
        self.spec = kind.spec(name)
        if not self.spec.readable:
            raise RuleError(
                f"the {kind.singular} field {name!r} is for explanations only; rules never read it"
            )
        self.kind, self.name, self.label = kind, name, self.spec.label

    def __repr__(self) -> str:
        return f"{'H' if self.kind is HERNIA_ITEMS else 'Dx'}.{self.name}"

    def __eq__(self, other: object) -> bool:
        raise RuleError(f"compare {self!r} with .eq(value) or .ne(value), not == or !=")

    __hash__ = None  # type: ignore[assignment]

    def _cmp(self, op: str, value: object) -> ItemCompare:
        if op in _ORDERING and self.spec.kind is not float:
            raise RuleError(f"{self!r} is not a number; compare it with eq, ne or in_")
        return ItemCompare(self, op, self.spec.check(self.name, value))

    def in_(self, *values: object) -> ItemIn:
        """Return the item predicate "the field's value is one of ``values``"."""
        if not values:
            raise RuleError(f"{self!r}.in_ needs at least one value")
        return ItemIn(self, frozenset(self.spec.check(self.name, v) for v in values))


class ItemCompare(ItemExpr):
    """``field <op> value`` on one item; unknown when the item lacks the field."""

    def __init__(self, field: ItemField, op: str, value: object) -> None:
        if op not in _OPS:
            raise RuleError(f"unknown operator {op!r}")
        self.field, self.op, self.value, self.kind = field, op, value, field.kind
        self._fn = _COMPARE[op]

    def evaluate(self, item: Any) -> Tri:
        actual = getattr(item, self.field.name)
        return None if actual is None else self._fn(actual, self.value)

    def code(self, ctx: _Codegen, item: str) -> str:
        v = ctx.temp()
        value = ctx.constant(self.value)
        return f"(None if ({v} := {item}.{self.field.name}) is None else {v} {self.op} {value})"

    def render(self, item: Any = None) -> str:
        label, symbol = self.field.label, _OPS[self.op][1]
        if self.value is True and self.op == "==":
            return label if item is None else f"{label} ({_fmt(getattr(item, self.field.name))})"
        if item is None:
            return f"{label} {symbol} {_fmt(self.value)}"
        actual = getattr(item, self.field.name)
        if actual is None:
            return f"{label} not recorded (rule: {symbol} {_fmt(self.value)})"
        return f"{label} {_fmt(actual)} {symbol} {_fmt(self.value)}"

    def fields(self) -> tuple[str, ...]:
        return (self.field.name,)


class ItemIn(ItemExpr):
    """The item field's value is one of a set of values."""

    def __init__(self, field: ItemField, values: frozenset[object]) -> None:
        self.field, self.values, self.kind = field, values, field.kind

    def evaluate(self, item: Any) -> Tri:
        actual = getattr(item, self.field.name)
        return None if actual is None else actual in self.values

    def code(self, ctx: _Codegen, item: str) -> str:
        v = ctx.temp()
        values = ctx.constant(self.values)
        return f"(None if ({v} := {item}.{self.field.name}) is None else {v} in {values})"

    def render(self, item: Any = None) -> str:
        if item is None:
            return f"{self.field.label} ∈ {_fmt(self.values)}"
        actual = getattr(item, self.field.name)
        if actual is None:
            return f"{self.field.label} not recorded (rule: ∈ {_fmt(self.values)})"
        return f"{self.field.label} {_fmt(actual)} ∈ {_fmt(self.values)}"

    def fields(self) -> tuple[str, ...]:
        return (self.field.name,)


class ItemAlways(ItemExpr):
    """The item predicate that every item satisfies: ``F.hernias.count()`` counts them all."""

    def __init__(self, kind: ItemKind) -> None:
        self.kind = kind

    def evaluate(self, item: Any) -> Tri:
        return True

    def code(self, ctx: _Codegen, item: str) -> str:
        return "True"

    def render(self, item: Any = None) -> str:
        return "any"

    def fields(self) -> tuple[str, ...]:
        return ()


class _ItemGroup(ItemExpr):
    joiner: ClassVar[str]
    combine: ClassVar[Callable[[Iterable[Tri]], Tri]]
    compound = True

    def __init__(self, *parts: ItemExpr) -> None:
        if len(parts) < 2:
            raise RuleError(f"{type(self).__name__} needs at least two item predicates")
        first = parts[0]
        if not isinstance(first, ItemExpr):
            raise RuleError(f"expected an item predicate, got {first!r}")
        self.kind = first.kind
        flat: list[ItemExpr] = []
        for part in parts:
            first._same_kind(part, self.joiner)
            if isinstance(part, _ItemGroup) and type(part) is type(self):
                flat.extend(part.parts)
            else:
                flat.append(part)
        self.parts: tuple[ItemExpr, ...] = tuple(flat)

    def evaluate(self, item: Any) -> Tri:
        return type(self).combine([p.evaluate(item) for p in self.parts])

    def code(self, ctx: _Codegen, item: str) -> str:
        conjunction = type(self).combine is _all3
        return kleene_code(ctx, conjunction, [p.code(ctx, item) for p in self.parts])

    def render(self, item: Any = None) -> str:
        return f" {self.joiner} ".join(
            f"({p.render(item)})" if p.compound else p.render(item) for p in self.parts
        )

    def explain(self, item: Any, result: Tri) -> str:
        # As for whole facts: a conjunction that holds (or is unknown) shows every part, one
        # that fails its false parts; a disjunction that holds (or is unknown) shows the parts
        # with its value, one that fails every part.
        pairs = [(p, p.evaluate(item)) for p in self.parts]
        conjunction = type(self).combine is _all3
        if (result is False) if conjunction else (result is not False):
            pairs = [(p, v) for p, v in pairs if v is result]
        if len(pairs) == 1:
            ((part, value),) = pairs
            return part.explain(item, value)
        return f" {self.joiner} ".join(
            f"({p.explain(item, v)})" if p.compound else p.explain(item, v) for p, v in pairs
        )

    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(name for p in self.parts for name in p.fields()))

    def missing(self, item: Any) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label for p in self.parts for label in p.missing(item)))


class ItemAll(_ItemGroup):
    """True when every part is true of the item; false when any is false; else unknown."""

    joiner = "and"
    combine = staticmethod(_all3)  # type: ignore[assignment]


class ItemAny(_ItemGroup):
    """True when any part is true of the item; false when every part is false; else unknown."""

    joiner = "or"
    combine = staticmethod(_any3)  # type: ignore[assignment]


class ItemNot(ItemExpr):
    """Negation of an item predicate; unknown stays unknown."""

    def __init__(self, part: ItemExpr) -> None:
        self.part, self.kind = part, part.kind

    def evaluate(self, item: Any) -> Tri:
        value = self.part.evaluate(item)
        return None if value is None else not value

    def code(self, ctx: _Codegen, item: str) -> str:
        v = ctx.temp()
        return f"(None if ({v} := {self.part.code(ctx, item)}) is None else not {v})"

    def render(self, item: Any = None) -> str:
        return f"not ({self.part.render(item)})"

    def explain(self, item: Any, result: Tri) -> str:
        return f"not ({self.part.explain(item, None if result is None else not result)})"

    def fields(self) -> tuple[str, ...]:
        return self.part.fields()

    def missing(self, item: Any) -> tuple[str, ...]:
        return self.part.missing(item)


# --------------------------------------------------------------------------- quantifiers


class _Quantifier(Expr):
    """A predicate over the whole collection built from an item predicate."""

    compound = True

    def __init__(self, items: Items, predicate: ItemExpr) -> None:
        if not isinstance(predicate, ItemExpr):
            raise RuleError(
                f"{items!r} needs a predicate on {items.kind.singular} items, got {predicate!r}"
            )
        if predicate.kind is not items.kind:
            raise RuleError(
                f"{items!r} holds {items.kind.singular} items; the predicate reads "
                f"{predicate.kind.singular} items"
            )
        self.items, self.predicate, self.kind = items, predicate, items.kind

    def _values(self, facts: Facts) -> tuple[Sequence[Any], list[Tri]] | None:
        items = getattr(facts, self.kind.collection)
        if items is None:
            return None
        predicate = self.predicate.evaluate
        return items, [predicate(item) for item in items]

    @abc.abstractmethod
    def decide(self, values: list[Tri]) -> Tri:
        """Return the predicate's value from the item predicate's value on each item."""

    @abc.abstractmethod
    def picks(self, values: list[Tri], result: Tri) -> list[int]:
        """Return the positions of the items that gave ``result``."""

    def evaluate(self, facts: Facts) -> Tri:
        found = self._values(facts)
        return None if found is None else self.decide(found[1])

    def reads(self) -> tuple[str, ...]:
        return (self.kind.collection,)

    def witnesses(self, facts: Facts) -> Witnesses:
        found = self._values(facts)
        if found is None:
            return {}
        values = found[1]
        return {self.kind.collection: set(self.picks(values, self.decide(values)))}

    def missing(self, facts: Facts) -> tuple[str, ...]:
        found = self._values(facts)
        if found is None:
            return (self.items.label,)
        ref = self.kind.ref
        labels = (
            f"{label} of {ref(item)}"
            for item, value in zip(*found, strict=True)
            if value is None
            for label in self.predicate.missing(item)
        )
        return tuple(dict.fromkeys(labels))

    def _listed(self, items: Sequence[Any], positions: Iterable[int], result: Tri) -> str:
        return "; ".join(
            f"{_item_name(items[i])}: {self.predicate.explain(items[i], result)}" for i in positions
        )

    def _loop(self, ctx: _Codegen) -> tuple[str, str]:
        """Return the local holding the collection and the list of the item values."""
        collection = ctx.fact(self.kind.collection)
        item = ctx.temp()
        return collection, f"[{self.predicate.code(ctx, item)} for {item} in {collection}]"


class Some(_Quantifier):
    """Some item satisfies the item predicate (``F.hernias.any(...)``); empty fails."""

    def decide(self, values: list[Tri]) -> Tri:
        return _any3(values)

    def picks(self, values: list[Tri], result: Tri) -> list[int]:
        if result is False:
            return list(range(len(values)))
        return [i for i, value in enumerate(values) if value is result]

    def code(self, ctx: _Codegen) -> str:
        collection, values = self._loop(ctx)
        v = ctx.temp()
        general = (
            f"(None if {collection} is None else False if not {collection} "
            f"else True if True in ({v} := {values}) else None if None in {v} else False)"
        )
        concept = _required_concept(self.predicate) if self.kind is CONDITION_ITEMS else None
        if concept is None:
            return general
        # Most rules over conditions select one concept, and most patients have none of it:
        # the set of the items' concepts, built once per evaluation, decides those rules
        # without a loop. It can only say "no item has the concept", and only when no item
        # lacks a concept (an item without one leaves the predicate unknown, not false).
        present = ctx.derive(
            "_d_condition_concepts",
            f"{{_x.concept for _x in {collection}}} if {collection} else ()",
        )
        return (
            f"(False if {collection} and {ctx.constant(concept)} not in {present} "
            f"and None not in {present} else {general})"
        )

    def render(self, facts: Facts | None = None) -> str:
        head = f"some {self.kind.singular}: {self.predicate.render()}"
        found = None if facts is None else self._values(facts)
        if found is None:
            return head if facts is None else f"{head} ({self.items.label} not recorded)"
        items, values = found
        result = self.decide(values)
        if result is False:
            return f"no {self.kind.singular} with {self.predicate.render()} ({_recorded(items)})"
        return self._listed(items, self.picks(values, result), result)


def _required_concept(predicate: ItemExpr) -> str | None:
    """Return the concept an item must have for ``predicate`` to hold, if it names one.

    That is ``Dx.concept.eq(c)`` alone or as a part of a conjunction (through a label).
    """
    while isinstance(predicate, Labelled):
        predicate = predicate.inner
    parts = predicate.parts if isinstance(predicate, ItemAll) else (predicate,)
    for part in parts:
        if (
            isinstance(part, ItemCompare)
            and part.field.name == "concept"
            and part.op == "=="
            and isinstance(part.value, str)
        ):
            return part.value
    return None


class Every(_Quantifier):
    """Every item satisfies the item predicate (``F.hernias.all(...)``); empty holds."""

    def decide(self, values: list[Tri]) -> Tri:
        return _all3(values)

    def picks(self, values: list[Tri], result: Tri) -> list[int]:
        if result is True:
            return list(range(len(values)))
        return [i for i, value in enumerate(values) if value is result]

    def code(self, ctx: _Codegen) -> str:
        collection, values = self._loop(ctx)
        v = ctx.temp()
        return (
            f"(None if {collection} is None else False if False in ({v} := {values}) "
            f"else None if None in {v} else True)"
        )

    def render(self, facts: Facts | None = None) -> str:
        head = f"every {self.kind.singular}: {self.predicate.render()}"
        found = None if facts is None else self._values(facts)
        if found is None:
            return head if facts is None else f"{head} ({self.items.label} not recorded)"
        items, values = found
        if not items:
            return f"{head} ({_recorded(items)})"
        result = self.decide(values)
        return self._listed(items, self.picks(values, result), result)


def _recorded(items: Sequence[Any]) -> str:
    return "none recorded" if not items else f"{len(items)} recorded"


class CountCompare(_Quantifier):
    """How many items satisfy the item predicate, compared with a number.

    With ``t`` items certainly satisfying it and ``u`` unknown, the count lies between ``t``
    and ``t + u``: the comparison holds when it holds for every count in that range, fails
    when it fails for every one, and is unknown otherwise.
    """

    def __init__(self, items: Items, predicate: ItemExpr, op: str, number: int) -> None:
        super().__init__(items, predicate)
        if op not in _OPS:
            raise RuleError(f"unknown operator {op!r}")
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise RuleError(f"a count is compared with a whole number ≥ 0, got {number!r}")
        self.op, self.number = op, number
        self._fn = _COMPARE[op]

    def decide(self, values: list[Tri]) -> Tri:
        low = values.count(True)
        high = low + values.count(None)
        number = self.number
        if self.op == "==":
            return True if low == high == number else None if low <= number <= high else False
        if self.op == "!=":
            return False if low == high == number else None if low <= number <= high else True
        # The other comparisons are monotone in the count: the ends of the range decide.
        at_low, at_high = self._fn(low, number), self._fn(high, number)
        return at_low if at_low == at_high else None

    def picks(self, values: list[Tri], result: Tri) -> list[int]:
        return [i for i, value in enumerate(values) if value is not False]

    def code(self, ctx: _Codegen) -> str:
        collection, values = self._loop(ctx)
        return f"(None if {collection} is None else {ctx.constant(self.decide)}({values}))"

    def render(self, facts: Facts | None = None) -> str:
        what = f"number of {self.kind.collection}"
        if not isinstance(self.predicate, ItemAlways):
            what += f" with {self.predicate.render()}"
        rule = f"{_OPS[self.op][1]} {self.number}"
        found = None if facts is None else self._values(facts)
        if found is None:
            return f"{what} {rule}" if facts is None else f"{what} not recorded (rule: {rule})"
        items, values = found
        certain, unknown = values.count(True), values.count(None)
        count = str(certain) if not unknown else f"{certain} (+{unknown} not decided)"
        listed = "; ".join(
            _item_name(items[i]) + ("" if values[i] else ": not decided")
            for i in self.picks(values, None)
        )
        return f"{what} {count} {rule}" + (f" — {listed}" if listed else "")


class Count:
    """How many items satisfy an item predicate; compare it with a number to get a predicate."""

    def __init__(self, items: Items, predicate: ItemExpr) -> None:
        self.items, self.predicate = items, predicate

    def __repr__(self) -> str:
        return f"{self.items!r}.count({self.predicate.render()!r})"

    def _cmp(self, op: str, number: int) -> CountCompare:
        return CountCompare(self.items, self.predicate, op, number)

    def __ge__(self, number: int) -> CountCompare:
        return self._cmp(">=", number)

    def __gt__(self, number: int) -> CountCompare:
        return self._cmp(">", number)

    def __le__(self, number: int) -> CountCompare:
        return self._cmp("<=", number)

    def __lt__(self, number: int) -> CountCompare:
        return self._cmp("<", number)

    def eq(self, number: int) -> CountCompare:
        """Return the predicate "exactly ``number`` items satisfy it"."""
        return self._cmp("==", number)

    def ne(self, number: int) -> CountCompare:
        """Return the predicate "not exactly ``number`` items satisfy it"."""
        return self._cmp("!=", number)

    def __eq__(self, other: object) -> bool:
        raise RuleError("compare a count with .eq(n) or .ne(n), not == or !=")

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("compare a count with a number: F.hernias.count(...) >= 2")


class Items(Fact):
    """A reference to an item collection (``F.hernias``); quantify over it with an item predicate.

    Whole-value comparisons do not apply to a collection; :meth:`not_empty` does.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.kind = _KINDS[name]

    def any(self, predicate: ItemExpr) -> Some:
        """Return the predicate "some item satisfies ``predicate``"."""
        return Some(self, predicate)

    def all(self, predicate: ItemExpr) -> Every:
        """Return the predicate "every item satisfies ``predicate``"."""
        return Every(self, predicate)

    def count(self, predicate: ItemExpr | None = None) -> Count:
        """Return the number of items satisfying ``predicate`` (all items without one)."""
        return Count(self, ItemAlways(self.kind) if predicate is None else predicate)

    def _refuse(self) -> RuleError:
        return RuleError(
            f"{self!r} is a collection of {self.kind.singular} items: use "
            f"{self!r}.any(...), .all(...) or .count(...) with an item predicate"
        )

    def _cmp(self, op: str, value: object) -> Compare:
        raise self._refuse()

    def in_(self, *values: object) -> In:
        """Refused: a collection is not one value; see :meth:`any`."""
        raise self._refuse()

    def contains(self, item: str) -> Contains:
        """Refused: a collection holds items, not strings; see :meth:`any`."""
        raise self._refuse()

    def contains_any(self, *items: str) -> Contains:
        """Refused: a collection holds items, not strings; see :meth:`any`."""
        raise self._refuse()


class _ItemNamespace:
    """``H.size_mm`` is a reference to the ``size_mm`` field of a hernia item."""

    def __init__(self, kind: ItemKind) -> None:
        self._kind = kind

    def __getattr__(self, name: str) -> ItemField:
        if name.startswith("__"):
            raise AttributeError(name)
        return ItemField(self._kind, name)

    def __repr__(self) -> str:
        return f"<fields of {self._kind.singular} items>"


class _FactNamespace:
    """``F.pain_score`` is ``Fact("pain_score")``; unknown names raise :class:`RuleError`.

    ``F.hernias`` and ``F.conditions`` are :class:`Items`.
    """

    hernias: Items
    conditions: Items

    def __getattr__(self, name: str) -> Fact:
        if name.startswith("__"):
            raise AttributeError(name)
        return Items(name) if name in _KINDS else Fact(name)


#: Fact references for building predicates: ``F.pain_score >= 7``, ``F.hernias.any(...)``.
F = _FactNamespace()
#: Fields of a hernia item: ``H.region``, ``H.level``, ``H.kind``, ``H.phase``, ``H.size_mm``,
#: ``H.surgery_indicated``.
H = _ItemNamespace(HERNIA_ITEMS)
#: Fields of a condition item: ``Dx.concept``, ``Dx.tier``, ``Dx.site``, ``Dx.code``,
#: ``Dx.system``, ``Dx.display``, ``Dx.status``.
Dx = _ItemNamespace(CONDITION_ITEMS)
