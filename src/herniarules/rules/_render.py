"""The renderer: a predicate as text, alone or with a patient's values ("pain score 8 ≥ 7").

Without facts a predicate renders as its rule (``pain score (0-10) ≥ 7``); with them, as the
explanation a finding carries: the values the patient has, and of a quantifier only the items
that made its result. The explanation follows the interpreter's values
(:mod:`herniarules.rules._interpret`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from herniarules.facts import FACT_LABELS, ConditionFact, Facts, HerniaFact
from herniarules.rules import _interpret
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

__all__ = ["SYMBOLS", "explain", "fmt", "item_name", "render", "render_item"]

#: How each comparison operator is written in text.
SYMBOLS: dict[str, str] = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}

#: Nodes whose text needs parentheses inside ``and`` / ``or``.
_COMPOUND: frozenset[type] = frozenset({All, Any_, Some, Every, CountCompare, ItemAll, ItemAny})


def item_name(item: object) -> str:
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


def fmt(value: object) -> str:
    """Return a value as a rule's text shows it: ``yes``, ``7.5``, ``{a, b}``, ``not recorded``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple) and value and isinstance(value[0], HerniaFact | ConditionFact):
        return "; ".join(map(item_name, value))
    if isinstance(value, frozenset | set | tuple | list):
        return "{" + ", ".join(sorted(map(str, value))) + "}" if value else "none"
    if value is None:
        return "not recorded"
    return str(value)


def _part(node: Expr | ItemExpr, text: str) -> str:
    return f"({text})" if type(node) in _COMPOUND else text


# --------------------------------------------------------------------------- whole facts

#: ``render(node, facts=None)``: the predicate as text, with the patient's values if given.
RENDER: Dispatch[str] = Dispatch("render", "facts=None", "the renderer")
render: Callable[..., str] = RENDER.function


def _comparison(label: str, op: str, value: object, actual: object, known: bool) -> str:
    """Return ``label actual <op> value``; ``known`` is whether there is an actual value."""
    symbol = SYMBOLS[op]
    if value is True and op == "==":
        return label if not known else f"{label} ({fmt(actual)})"
    if not known:
        return f"{label} {symbol} {fmt(value)}"
    if actual is None:
        return f"{label} not recorded (rule: {symbol} {fmt(value)})"
    return f"{label} {fmt(actual)} {symbol} {fmt(value)}"


@RENDER.register(Compare)
def _compare(node: Compare, facts: Facts | None = None) -> str:
    actual = None if facts is None else getattr(facts, node.fact.name)
    return _comparison(node.fact.label, node.op, node.value, actual, facts is not None)


@RENDER.register(In)
def _in(node: In, facts: Facts | None = None) -> str:
    actual = "" if facts is None else f" {fmt(getattr(facts, node.fact.name))}"
    return f"{node.fact.label}{actual} ∈ {fmt(node.values)}"


@RENDER.register(Contains)
def _contains(node: Contains, facts: Facts | None = None) -> str:
    label = node.fact.label
    items = " or ".join(sorted(node.items))
    if facts is None:
        return f"{label} include {items}"
    actual = getattr(facts, node.fact.name)
    if actual is None:
        return f"{label} not recorded (rule: include {items})"
    present = sorted(node.items & actual)
    if present:
        return f"{label} include {' and '.join(present)}"
    return f"{label} {fmt(actual)} include none of {', '.join(sorted(node.items))}"


@RENDER.register(NotEmpty)
def _not_empty(node: NotEmpty, facts: Facts | None = None) -> str:
    actual = "" if facts is None else f" ({fmt(getattr(facts, node.fact.name))})"
    return f"{node.fact.label}{actual} present"


@RENDER.register(All, Any_)
def _group(node: All | Any_, facts: Facts | None = None) -> str:
    joiner = " and " if type(node) is All else " or "
    return joiner.join(_part(part, render(part, facts)) for part in node.parts)


@RENDER.register(Not)
def _not(node: Not, facts: Facts | None = None) -> str:
    return f"not ({render(node.part, facts)})"


@RENDER.register(Always)
def _always(node: Always, facts: Facts | None = None) -> str:
    return "always"


@RENDER.register(Custom)
def _custom(node: Custom, facts: Facts | None = None) -> str:
    if facts is None or not node.fact_names:
        return node.description
    values = ", ".join(f"{FACT_LABELS.get(n, n)} {fmt(getattr(facts, n))}" for n in node.fact_names)
    return f"{node.description} ({values})"


def _recorded(items: Sequence[Any]) -> str:
    return "none recorded" if not items else f"{len(items)} recorded"


def _listed(node: Some | Every, items: Sequence[Any], positions: Iterable[int], result: Tri) -> str:
    predicate = node.predicate
    return "; ".join(
        f"{item_name(items[i])}: {explain(predicate, items[i], result)}" for i in positions
    )


@RENDER.register(Some)
def _some(node: Some, facts: Facts | None = None) -> str:
    singular, predicate = node.kind.singular, render_item(node.predicate)
    head = f"some {singular}: {predicate}"
    found = None if facts is None else _interpret.item_values(node, facts)
    if found is None:
        return head if facts is None else f"{head} ({node.items.label} not recorded)"
    items, values = found
    result = _interpret.decide(node, values)
    if result is False:
        return f"no {singular} with {predicate} ({_recorded(items)})"
    return _listed(node, items, _interpret.picks(node, values, result), result)


@RENDER.register(Every)
def _every(node: Every, facts: Facts | None = None) -> str:
    head = f"every {node.kind.singular}: {render_item(node.predicate)}"
    found = None if facts is None else _interpret.item_values(node, facts)
    if found is None:
        return head if facts is None else f"{head} ({node.items.label} not recorded)"
    items, values = found
    if not items:
        return f"{head} ({_recorded(items)})"
    result = _interpret.decide(node, values)
    return _listed(node, items, _interpret.picks(node, values, result), result)


@RENDER.register(CountCompare)
def _count(node: CountCompare, facts: Facts | None = None) -> str:
    what = f"number of {node.kind.collection}"
    if type(node.predicate) is not ItemAlways:
        what += f" with {render_item(node.predicate)}"
    rule = f"{SYMBOLS[node.op]} {node.number}"
    found = None if facts is None else _interpret.item_values(node, facts)
    if found is None:
        return f"{what} {rule}" if facts is None else f"{what} not recorded (rule: {rule})"
    items, values = found
    certain, unknown = values.count(True), values.count(None)
    count = str(certain) if not unknown else f"{certain} (+{unknown} not decided)"
    listed = "; ".join(
        item_name(items[i]) + ("" if values[i] else ": not decided")
        for i in _interpret.picks(node, values, None)
    )
    return f"{what} {count} {rule}" + (f" — {listed}" if listed else "")


# --------------------------------------------------------------------------- items

#: ``render_item(node, item=None)``: an item predicate as text, with the item's values if given.
RENDER_ITEM: Dispatch[str] = Dispatch("render_item", "item=None", "the renderer")
render_item: Callable[..., str] = RENDER_ITEM.function


@RENDER_ITEM.register(ItemCompare)
def _item_compare(node: ItemCompare, item: Any = None) -> str:
    actual = None if item is None else getattr(item, node.field.name)
    return _comparison(node.field.label, node.op, node.value, actual, item is not None)


@RENDER_ITEM.register(ItemIn)
def _item_in(node: ItemIn, item: Any = None) -> str:
    label = node.field.label
    if item is None:
        return f"{label} ∈ {fmt(node.values)}"
    actual = getattr(item, node.field.name)
    if actual is None:
        return f"{label} not recorded (rule: ∈ {fmt(node.values)})"
    return f"{label} {fmt(actual)} ∈ {fmt(node.values)}"


@RENDER_ITEM.register(ItemAlways)
def _item_always(node: ItemAlways, item: Any = None) -> str:
    return "any"


@RENDER_ITEM.register(ItemAll, ItemAny)
def _item_group(node: ItemAll | ItemAny, item: Any = None) -> str:
    joiner = " and " if type(node) is ItemAll else " or "
    return joiner.join(_part(part, render_item(part, item)) for part in node.parts)


@RENDER_ITEM.register(ItemNot)
def _item_not(node: ItemNot, item: Any = None) -> str:
    return f"not ({render_item(node.part, item)})"


@RENDER_ITEM.register(Labelled)
def _labelled(node: Labelled, item: Any = None) -> str:
    return node.text


#: ``explain(node, item, result)``: the parts of an item predicate that gave ``result`` for
#: ``item``, with the item's values.
EXPLAIN: Dispatch[str] = Dispatch("explain", "item, result", "the renderer")
explain: Callable[[ItemExpr, Any, Tri], str] = EXPLAIN.function


@EXPLAIN.register(ItemCompare, ItemIn, ItemAlways, Labelled)
def _explain_leaf(node: ItemExpr, item: Any, result: Tri) -> str:
    return render_item(node, item)


@EXPLAIN.register(ItemAll, ItemAny)
def _explain_group(node: ItemAll | ItemAny, item: Any, result: Tri) -> str:
    # As for whole facts: a conjunction that holds (or is unknown) shows every part, one that
    # fails its false parts; a disjunction that holds (or is unknown) shows the parts with its
    # value, one that fails every part.
    pairs = [(part, _interpret.evaluate_item(part, item)) for part in node.parts]
    conjunction = type(node) is ItemAll
    if (result is False) if conjunction else (result is not False):
        pairs = [(p, v) for p, v in pairs if v is result]
    if len(pairs) == 1:
        ((part, value),) = pairs
        return explain(part, item, value)
    joiner = " and " if conjunction else " or "
    return joiner.join(_part(p, explain(p, item, v)) for p, v in pairs)


@EXPLAIN.register(ItemNot)
def _explain_not(node: ItemNot, item: Any, result: Tri) -> str:
    return f"not ({explain(node.part, item, None if result is None else not result)})"
