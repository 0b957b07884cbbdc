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

from collections.abc import Callable, Iterable
from typing import Any

import attrs

from herniarules.facts import ITEM_COLLECTIONS, ConditionFact, HerniaFact
from herniarules.model import ClinicalStatus, HerniaKind, Phase, Region
from herniarules.outcomes import Outcome
from herniarules.rules._core import (
    OPERATORS,
    Comparable,
    Compare,
    Contains,
    Expr,
    Fact,
    In,
    RuleError,
    Tri,
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
    "ItemAll",
    "ItemAlways",
    "ItemAny",
    "ItemCompare",
    "ItemExpr",
    "ItemField",
    "ItemIn",
    "ItemKind",
    "ItemNot",
    "Items",
    "Labelled",
    "Some",
]

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


class ItemExpr:
    """A three-valued predicate over one item. Combine with ``&``, ``|`` and ``~``."""

    __slots__ = ()

    @property
    def kind(self) -> ItemKind:
        """The item collection whose items this predicate reads."""
        raise RuleError(f"{type(self).__name__} does not say which items it reads")

    def evaluate(self, item: Any) -> Tri:
        """Return ``True``, ``False`` or ``None`` (unknown) for one item."""
        return _interpret.evaluate_item(self, item)

    def render(self, item: Any = None) -> str:
        """Return the predicate as text, with the item's values when ``item`` is given."""
        return _render.render_item(self, item)

    def fields(self) -> tuple[str, ...]:
        """Return the item fields this predicate reads, in order of first use."""
        return _reads.fields(self)

    def explain(self, item: Any, result: Tri) -> str:
        """Return the parts of the predicate that gave ``result`` for ``item``, with values."""
        return _render.explain(self, item, result)

    def missing(self, item: Any) -> tuple[str, ...]:
        """Return labels of the fields this predicate reads that ``item`` lacks."""
        return _interpret.missing_fields(self, item)

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


def _item_predicate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, ItemExpr):
        raise RuleError(f"expected an item predicate, got {value!r}")


def _label_text(instance: object, attribute: attrs.Attribute[str], text: object) -> None:
    if not isinstance(text, str) or not text:
        raise RuleError("a labelled item predicate needs non-empty text")


def _stripped(text: object) -> object:
    return text.strip() if isinstance(text, str) else text


@attrs.frozen(eq=False)
class Labelled(ItemExpr):
    """An item predicate with its own text; it evaluates and compiles as the one it wraps."""

    inner: ItemExpr = attrs.field(validator=_item_predicate)
    text: str = attrs.field(converter=_stripped, validator=_label_text)

    @property
    def kind(self) -> ItemKind:
        return self.inner.kind


@attrs.frozen(eq=False, repr=False)
class ItemField(Comparable["ItemCompare"]):
    """A reference to one field of an item (``H.size_mm``); operators build item predicates."""

    kind: ItemKind
    name: str
    spec: _FieldSpec = attrs.field(
        init=False, default=attrs.Factory(lambda self: self.kind.spec(self.name), takes_self=True)
    )
    """What the field holds: its label, value type and values."""

    def __attrs_post_init__(self) -> None:
        if not self.spec.readable:
            raise RuleError(
                f"the {self.kind.singular} field {self.name!r} is for explanations only; "
                "rules never read it"
            )

    @property
    def label(self) -> str:
        """The field's name in text: ``size (mm)``."""
        return self.spec.label

    def __repr__(self) -> str:
        return f"{'H' if self.kind is HERNIA_ITEMS else 'Dx'}.{self.name}"

    def __eq__(self, other: object) -> bool:
        raise RuleError(f"compare {self!r} with .eq(value) or .ne(value), not == or !=")

    __hash__ = None  # type: ignore[assignment]

    def _cmp(self, op: str, value: object) -> ItemCompare:
        spec = self.spec
        if op in _ORDERING and spec.kind is not float:
            raise RuleError(f"{self!r} is not a number; compare it with eq, ne or in_")
        return ItemCompare(self, op, spec.check(self.name, value))

    def in_(self, *values: object) -> ItemIn:
        """Return the item predicate "the field's value is one of ``values``"."""
        if not values:
            raise RuleError(f"{self!r}.in_ needs at least one value")
        spec = self.spec
        return ItemIn(self, frozenset(spec.check(self.name, v) for v in values))


def _operator(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in OPERATORS:
        raise RuleError(f"unknown operator {value!r}")


@attrs.frozen(eq=False)
class ItemCompare(ItemExpr):
    """``field <op> value`` on one item; unknown when the item lacks the field."""

    field: ItemField
    op: str = attrs.field(validator=_operator)
    value: object

    @property
    def kind(self) -> ItemKind:
        return self.field.kind


@attrs.frozen(eq=False)
class ItemIn(ItemExpr):
    """The item field's value is one of a set of values."""

    field: ItemField
    values: frozenset[object]

    @property
    def kind(self) -> ItemKind:
        return self.field.kind


@attrs.frozen(eq=False)
class ItemAlways(ItemExpr):
    """The item predicate that every item satisfies: ``F.hernias.count()`` counts them all."""

    kind: ItemKind


@attrs.frozen(eq=False, init=False)
class _ItemGroup(ItemExpr):
    """The parts of a conjunction or disjunction of item predicates, of one item kind."""

    parts: tuple[ItemExpr, ...]

    def __init__(self, *parts: ItemExpr) -> None:
        if len(parts) < 2:
            raise RuleError(f"{type(self).__name__} needs at least two item predicates")
        first = parts[0]
        if not isinstance(first, ItemExpr):
            raise RuleError(f"expected an item predicate, got {first!r}")
        joiner = "and" if isinstance(self, ItemAll) else "or"
        flat: list[ItemExpr] = []
        for part in parts:
            first._same_kind(part, joiner)
            if isinstance(part, _ItemGroup) and type(part) is type(self):
                flat.extend(part.parts)
            else:
                flat.append(part)
        self.__attrs_init__(tuple(flat))

    @property
    def kind(self) -> ItemKind:
        return self.parts[0].kind


@attrs.frozen(eq=False, init=False)
class ItemAll(_ItemGroup):
    """True when every part is true of the item; false when any is false; else unknown."""


@attrs.frozen(eq=False, init=False)
class ItemAny(_ItemGroup):
    """True when any part is true of the item; false when every part is false; else unknown."""


@attrs.frozen(eq=False)
class ItemNot(ItemExpr):
    """Negation of an item predicate; unknown stays unknown."""

    part: ItemExpr = attrs.field(validator=_item_predicate)

    @property
    def kind(self) -> ItemKind:
        return self.part.kind


# --------------------------------------------------------------------------- quantifiers


def _ranged(quantifier: _Quantifier) -> ItemKind:
    """Return the kind of the items ``quantifier`` ranges over."""
    items = quantifier.items
    if not isinstance(items, Items):
        raise RuleError(f"a quantifier ranges over F.hernias or F.conditions, got {items!r}")
    return items.kind


@attrs.frozen(eq=False)
class _Quantifier(Expr):
    """A predicate over the whole collection built from an item predicate."""

    items: Items
    predicate: ItemExpr
    kind: ItemKind = attrs.field(
        init=False, repr=False, default=attrs.Factory(lambda self: _ranged(self), takes_self=True)
    )
    """The item collection quantified over."""

    def __attrs_post_init__(self) -> None:
        items, predicate = self.items, self.predicate
        if not isinstance(predicate, ItemExpr):
            raise RuleError(
                f"{items!r} needs a predicate on {items.kind.singular} items, got {predicate!r}"
            )
        if predicate.kind is not items.kind:
            raise RuleError(
                f"{items!r} holds {items.kind.singular} items; the predicate reads "
                f"{predicate.kind.singular} items"
            )


@attrs.frozen(eq=False)
class Some(_Quantifier):
    """Some item satisfies the item predicate (``F.hernias.any(...)``); empty fails."""


@attrs.frozen(eq=False)
class Every(_Quantifier):
    """Every item satisfies the item predicate (``F.hernias.all(...)``); empty holds."""


def _count(instance: object, attribute: attrs.Attribute[int], number: object) -> None:
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise RuleError(f"a count is compared with a whole number ≥ 0, got {number!r}")


@attrs.frozen(eq=False)
class CountCompare(_Quantifier):
    """How many items satisfy the item predicate, compared with a number.

    With ``t`` items certainly satisfying it and ``u`` unknown, the count lies between ``t``
    and ``t + u``: the comparison holds when it holds for every count in that range, fails
    when it fails for every one, and is unknown otherwise.
    """

    op: str = attrs.field(validator=_operator)
    number: int = attrs.field(validator=_count)


@attrs.frozen(eq=False, repr=False)
class Count:
    """How many items satisfy an item predicate; compare it with a number to get a predicate."""

    items: Items
    predicate: ItemExpr

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


def _collection(name: str) -> ItemKind:
    kind = _KINDS.get(name)
    if kind is None:
        raise RuleError(f"{name!r} is not an item collection; they are {', '.join(_KINDS)}")
    return kind


@attrs.frozen(eq=False, repr=False)
class Items(Fact):
    """A reference to an item collection (``F.hernias``); quantify over it with an item predicate.

    Whole-value comparisons do not apply to a collection; :meth:`not_empty` does.
    """

    kind: ItemKind = attrs.field(
        init=False, default=attrs.Factory(lambda self: _collection(self.name), takes_self=True)
    )
    """What the items are and which fields they have."""

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

# The back-ends visit the nodes above and import them, so they come last.
from herniarules.rules import _interpret, _reads, _render  # noqa: E402
