"""The reads analysis: which facts a predicate reads, and which fields an item predicate reads.

A finding's evidence quotes the facts its rule reads, and the findings function keys its
cache on their values, so this list must be complete: a value a predicate depends on but does
not list would let two patients who differ in it share a finding.
"""

from __future__ import annotations

from collections.abc import Callable

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

__all__ = ["fields", "reads"]

#: ``reads(node)``: the names of the facts a predicate reads, in order of first use.
READS: Dispatch[tuple[str, ...]] = Dispatch("reads", "", "the reads analysis")
reads: Callable[[Expr], tuple[str, ...]] = READS.function


@READS.register(Compare, In, Contains, NotEmpty)
def _fact(node: Compare | In | Contains | NotEmpty) -> tuple[str, ...]:
    return (node.fact.name,)


@READS.register(All, Any_)
def _group(node: All | Any_) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for part in node.parts for name in reads(part)))


@READS.register(Not)
def _not(node: Not) -> tuple[str, ...]:
    return reads(node.part)


@READS.register(Always)
def _always(node: Always) -> tuple[str, ...]:
    return ()


@READS.register(Custom)
def _custom(node: Custom) -> tuple[str, ...]:
    return node.fact_names


@READS.register(Some, Every, CountCompare)
def _quantifier(node: Some | Every | CountCompare) -> tuple[str, ...]:
    return (node.kind.collection,)


#: ``fields(node)``: the item fields an item predicate reads, in order of first use.
FIELDS: Dispatch[tuple[str, ...]] = Dispatch("fields", "", "the reads analysis")
fields: Callable[[ItemExpr], tuple[str, ...]] = FIELDS.function


@FIELDS.register(ItemCompare, ItemIn)
def _item_field(node: ItemCompare | ItemIn) -> tuple[str, ...]:
    return (node.field.name,)


@FIELDS.register(ItemAlways)
def _item_always(node: ItemAlways) -> tuple[str, ...]:
    return ()


@FIELDS.register(ItemAll, ItemAny)
def _item_group(node: ItemAll | ItemAny) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for part in node.parts for name in fields(part)))


@FIELDS.register(ItemNot)
def _item_not(node: ItemNot) -> tuple[str, ...]:
    return fields(node.part)


@FIELDS.register(Labelled)
def _labelled(node: Labelled) -> tuple[str, ...]:
    return fields(node.inner)
