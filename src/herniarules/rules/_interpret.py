"""The interpreter: a predicate's value for a patient's facts, and the evidence it reports.

This is the reference meaning of every node, written as plainly as possible; the Python code
generator (:mod:`herniarules.rules._python`) is the fast path and must agree with it on every
result. The evidence and the missing values a finding reports come from here.

Logic is Kleene's: ``False & unknown`` is ``False``, ``True & unknown`` is unknown, and
negation keeps unknown unknown. A quantifier evaluates its item predicate on every item and
decides from the values (:data:`decide`); the items that gave its result are its witnesses.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from herniarules.facts import FACT_LABELS, ITEM_COLLECTIONS, Facts
from herniarules.frozen import FrozenDict
from herniarules.rules import _reads
from herniarules.rules._core import (
    All,
    Always,
    Any_,
    Compare,
    Contains,
    Custom,
    Expr,
    In,
    Not,
    NotEmpty,
    Tri,
    Witnesses,
)
from herniarules.rules._items import (
    CountCompare,
    Every,
    ItemAll,
    ItemAlways,
    ItemAny,
    ItemCompare,
    ItemExpr,
    ItemIn,
    ItemNot,
    Labelled,
    Some,
)
from herniarules.rules._visit import Dispatch

__all__ = [
    "all3",
    "any3",
    "decide",
    "evaluate",
    "evaluate_item",
    "evidence",
    "item_values",
    "missing",
    "missing_fields",
    "picks",
    "witnesses",
]

#: The comparison each operator stands for.
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def all3(values: Iterable[Tri]) -> Tri:
    """Return the Kleene conjunction of ``values``: false wins, then unknown."""
    unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            unknown = True
    return None if unknown else True


def any3(values: Iterable[Tri]) -> Tri:
    """Return the Kleene disjunction of ``values``: true wins, then unknown."""
    unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            unknown = True
    return None if unknown else False


def _not3(value: Tri) -> Tri:
    return None if value is None else not value


# --------------------------------------------------------------------------- whole facts

#: ``evaluate(node, facts)``: ``True``, ``False`` or ``None`` (unknown).
EVALUATE: Dispatch[Tri] = Dispatch("evaluate", "facts", "the interpreter")
evaluate: Callable[[Expr, Facts], Tri] = EVALUATE.function


@EVALUATE.register(Compare)
def _compare(node: Compare, facts: Facts) -> Tri:
    actual = getattr(facts, node.fact.name)
    return None if actual is None else COMPARE[node.op](actual, node.value)


@EVALUATE.register(In)
def _in(node: In, facts: Facts) -> Tri:
    actual = getattr(facts, node.fact.name)
    return None if actual is None else actual in node.values


@EVALUATE.register(Contains)
def _contains(node: Contains, facts: Facts) -> Tri:
    actual = getattr(facts, node.fact.name)
    return None if actual is None else not node.items.isdisjoint(actual)


@EVALUATE.register(NotEmpty)
def _not_empty(node: NotEmpty, facts: Facts) -> Tri:
    actual = getattr(facts, node.fact.name)
    return None if actual is None else bool(actual)


@EVALUATE.register(All)
def _all(node: All, facts: Facts) -> Tri:
    return all3(evaluate(part, facts) for part in node.parts)


@EVALUATE.register(Any_)
def _any(node: Any_, facts: Facts) -> Tri:
    return any3(evaluate(part, facts) for part in node.parts)


@EVALUATE.register(Not)
def _not(node: Not, facts: Facts) -> Tri:
    return _not3(evaluate(node.part, facts))


@EVALUATE.register(Always)
def _always(node: Always, facts: Facts) -> Tri:
    return True


@EVALUATE.register(Custom)
def _custom(node: Custom, facts: Facts) -> Tri:
    result = node.function(facts)
    return result if isinstance(result, bool) else None


@EVALUATE.register(Some, Every, CountCompare)
def _quantifier(node: Some | Every | CountCompare, facts: Facts) -> Tri:
    found = interpreted_item_values(node, facts)
    return None if found is None else decide(node, found[1])


# --------------------------------------------------------------------------- items

#: ``evaluate_item(node, item)``: the value of an item predicate for one item.
EVALUATE_ITEM: Dispatch[Tri] = Dispatch("evaluate_item", "item", "the interpreter")
evaluate_item: Callable[[ItemExpr, Any], Tri] = EVALUATE_ITEM.function


@EVALUATE_ITEM.register(ItemCompare)
def _item_compare(node: ItemCompare, item: Any) -> Tri:
    actual = getattr(item, node.field.name)
    return None if actual is None else COMPARE[node.op](actual, node.value)


@EVALUATE_ITEM.register(ItemIn)
def _item_in(node: ItemIn, item: Any) -> Tri:
    actual = getattr(item, node.field.name)
    return None if actual is None else actual in node.values


@EVALUATE_ITEM.register(ItemAlways)
def _item_always(node: ItemAlways, item: Any) -> Tri:
    return True


@EVALUATE_ITEM.register(ItemAll)
def _item_all(node: ItemAll, item: Any) -> Tri:
    return all3([evaluate_item(part, item) for part in node.parts])


@EVALUATE_ITEM.register(ItemAny)
def _item_any(node: ItemAny, item: Any) -> Tri:
    return any3([evaluate_item(part, item) for part in node.parts])


@EVALUATE_ITEM.register(ItemNot)
def _item_not(node: ItemNot, item: Any) -> Tri:
    return _not3(evaluate_item(node.part, item))


@EVALUATE_ITEM.register(Labelled)
def _labelled(node: Labelled, item: Any) -> Tri:
    return evaluate_item(node.inner, item)


Quantifier = Some | Every | CountCompare


def interpreted_item_values(
    node: Quantifier, facts: Facts
) -> tuple[Sequence[Any], list[Tri]] | None:
    """Return the items of ``node``'s collection and its item predicate's value on each.

    ``None`` when the collection was not recorded. This is the reference: each item predicate
    is walked node by node with :data:`evaluate_item`; :func:`item_values` gives the same
    values through compiled code.
    """
    items = getattr(facts, node.kind.collection)
    if items is None:
        return None
    predicate = node.predicate
    return items, [evaluate_item(predicate, item) for item in items]


#: The compiled function of each item predicate :func:`item_values` has met, by node (nodes
#: compare by identity); an entry goes with its node. Rule data only, never patient data.
_ITEM_FUNCTIONS: weakref.WeakKeyDictionary[ItemExpr, Callable[[Any], Tri]] = (
    weakref.WeakKeyDictionary()
)


def item_function(predicate: ItemExpr) -> Callable[[Any], Tri]:
    """Return the compiled function from one item to ``predicate``'s value on it."""
    function = _ITEM_FUNCTIONS.get(predicate)
    if function is None:
        from herniarules.rules._python import item_function as compile_item  # builds on this

        function = _ITEM_FUNCTIONS[predicate] = compile_item(predicate)
    return function


def item_values(node: Quantifier, facts: Facts) -> tuple[Sequence[Any], list[Tri]] | None:
    """Return the items of ``node``'s collection and its item predicate's value on each.

    ``None`` when the collection was not recorded. The values are those of
    :func:`interpreted_item_values`, computed by the predicate's generated code (what a
    finding's evidence, rendering and missing values read); :func:`evaluate` keeps to the
    interpreted walk, so that it stays a reference for the generated rule functions.
    """
    items = getattr(facts, node.kind.collection)
    if items is None:
        return None
    return items, list(map(item_function(node.predicate), items))


#: ``decide(node, values)``: a quantifier's value from its item predicate's values.
DECIDE: Dispatch[Tri] = Dispatch("decide", "values", "the interpreter")
decide: Callable[[Quantifier, list[Tri]], Tri] = DECIDE.function


@DECIDE.register(Some)
def _decide_some(node: Some, values: list[Tri]) -> Tri:
    return any3(values)


@DECIDE.register(Every)
def _decide_every(node: Every, values: list[Tri]) -> Tri:
    return all3(values)


@DECIDE.register(CountCompare)
def _decide_count(node: CountCompare, values: list[Tri]) -> Tri:
    return decide_count(node.op, node.number, values)


def decide_count(op: str, number: int, values: list[Tri]) -> Tri:
    """Return whether the number of true ``values`` is ``<op> number``, unknowns counted both ways.

    The count lies between the true values and the true or unknown ones: the comparison holds
    when it holds at every count in that range, fails when it fails at every one.
    """
    low = values.count(True)
    high = low + values.count(None)
    if op == "==":
        return True if low == high == number else None if low <= number <= high else False
    if op == "!=":
        return False if low == high == number else None if low <= number <= high else True
    # The other comparisons are monotone in the count: the ends of the range decide.
    compare = COMPARE[op]
    at_low, at_high = compare(low, number), compare(high, number)
    return at_low if at_low == at_high else None


#: ``picks(node, values, result)``: the positions of the items that gave a quantifier's result.
PICKS: Dispatch[list[int]] = Dispatch("picks", "values, result", "the interpreter")
picks: Callable[[Quantifier, list[Tri], Tri], list[int]] = PICKS.function


@PICKS.register(Some)
def _picks_some(node: Some, values: list[Tri], result: Tri) -> list[int]:
    if result is False:
        return list(range(len(values)))
    return [i for i, value in enumerate(values) if value is result]


@PICKS.register(Every)
def _picks_every(node: Every, values: list[Tri], result: Tri) -> list[int]:
    if result is True:
        return list(range(len(values)))
    return [i for i, value in enumerate(values) if value is result]


@PICKS.register(CountCompare)
def _picks_count(node: CountCompare, values: list[Tri], result: Tri) -> list[int]:
    return [i for i, value in enumerate(values) if value is not False]


# --------------------------------------------------------------------------- witnesses

#: ``witnesses(node, facts)``: the positions of the items that made the result, by collection.
WITNESSES: Dispatch[Witnesses] = Dispatch("witnesses", "facts", "the interpreter")
witnesses: Callable[[Expr, Facts], Witnesses] = WITNESSES.function


@WITNESSES.register(Compare, In, Contains, NotEmpty, Always, Custom)
def _no_witnesses(node: Expr, facts: Facts) -> Witnesses:
    return {}


@WITNESSES.register(All, Any_)
def _group_witnesses(node: All | Any_, facts: Facts) -> Witnesses:
    merged: Witnesses = {}
    for part in deciding(node, facts):
        for name, positions in witnesses(part, facts).items():
            merged.setdefault(name, set()).update(positions)
    return merged


@WITNESSES.register(Not)
def _not_witnesses(node: Not, facts: Facts) -> Witnesses:
    return witnesses(node.part, facts)


@WITNESSES.register(Some, Every, CountCompare)
def _quantifier_witnesses(node: Quantifier, facts: Facts) -> Witnesses:
    found = item_values(node, facts)
    if found is None:
        return {}
    values = found[1]
    return {node.kind.collection: set(picks(node, values, decide(node, values)))}


def deciding(group: All | Any_, facts: Facts) -> list[Expr]:
    """Return the parts of ``group`` that decide its result for ``facts``.

    A conjunction that holds (or is unknown) is decided by every part, one that fails by its
    false parts; a disjunction that holds by its true parts, an unknown one by its unknown
    parts, one that fails by every part.
    """
    values = [evaluate(part, facts) for part in group.parts]
    if isinstance(group, All):
        result = all3(values)
        narrowed = result is False
    else:
        result = any3(values)
        narrowed = result is not False
    if narrowed:
        return [p for p, v in zip(group.parts, values, strict=True) if v is result]
    return list(group.parts)


def evidence(node: Expr, facts: Facts) -> Mapping[str, Any]:
    """Return the values of the facts ``node`` reads, as a finding quotes them.

    An item collection a quantifier decided on shows only the items that made the result
    (see :data:`witnesses`), each as a read-only ``{field: value}``; everything else is
    :meth:`Facts.evidence <herniarules.facts.Facts.evidence>`.
    """
    names = _reads.reads(node)
    if ITEM_COLLECTIONS.keys().isdisjoint(names):
        return facts.evidence(names)
    picked = witnesses(node, facts)
    if not picked:
        return facts.evidence(names)
    # The other facts as Facts.evidence gives them; the items that made the result only (not
    # every item written out and then replaced), in the order of the names read.
    rest = facts.evidence(tuple(name for name in names if name not in picked))
    result: dict[str, Any] = {}
    for name in names:
        positions = picked.get(name)
        if positions is None:
            result[name] = rest[name]
        else:
            items = getattr(facts, name)
            result[name] = tuple(items[i].evidence() for i in sorted(positions))
    return FrozenDict(result)


# --------------------------------------------------------------------------- missing values

#: ``missing(node, facts)``: labels of the values ``node`` needs that were not recorded.
MISSING: Dispatch[tuple[str, ...]] = Dispatch("missing", "facts", "the interpreter")
missing: Callable[[Expr, Facts], tuple[str, ...]] = MISSING.function


@MISSING.register(Compare, In, Contains, NotEmpty, Always, Custom)
def _missing_facts(node: Expr, facts: Facts) -> tuple[str, ...]:
    return tuple(
        FACT_LABELS.get(name, name) for name in _reads.reads(node) if getattr(facts, name) is None
    )


@MISSING.register(All, Any_)
def _group_missing(node: All | Any_, facts: Facts) -> tuple[str, ...]:
    return tuple(dict.fromkeys(label for part in node.parts for label in missing(part, facts)))


@MISSING.register(Not)
def _not_missing(node: Not, facts: Facts) -> tuple[str, ...]:
    return missing(node.part, facts)


@MISSING.register(Some, Every, CountCompare)
def _quantifier_missing(node: Quantifier, facts: Facts) -> tuple[str, ...]:
    found = item_values(node, facts)
    if found is None:
        return (node.items.label,)
    ref, predicate = node.kind.ref, node.predicate
    labels = (
        f"{label} of {ref(item)}"
        for item, value in zip(*found, strict=True)
        if value is None
        for label in missing_fields(predicate, item)
    )
    return tuple(dict.fromkeys(labels))


#: ``missing_fields(node, item)``: labels of the fields an item predicate reads that ``item``
#: lacks.
MISSING_FIELDS: Dispatch[tuple[str, ...]] = Dispatch("missing_fields", "item", "the interpreter")
missing_fields: Callable[[ItemExpr, Any], tuple[str, ...]] = MISSING_FIELDS.function


@MISSING_FIELDS.register(ItemCompare, ItemIn, ItemAlways, ItemAll, ItemAny, ItemNot, Labelled)
def _missing_fields(node: ItemExpr, item: Any) -> tuple[str, ...]:
    fields = node.kind.fields
    return tuple(fields[name].label for name in _reads.fields(node) if getattr(item, name) is None)
