"""The columnar back-end: predicates as polars expressions over a table of facts.

One row of the facts table holds one patient's :class:`~herniarules.facts.Facts`: a column per
fact, set-valued facts as lists of distinct strings (in any order), and the item collections
(``hernias``, ``conditions``) as lists of structs with the item fields. :class:`Columnar` compiles
predicates into expressions whose value is a three-valued boolean column, ``null`` standing for
unknown; polars' ``&``, ``|`` and ``~`` follow Kleene's logic as the interpreter
(:mod:`herniarules.rules._interpret`) does, and a comparison with a null value is null.

A quantifier over items decides from two numbers per patient: the items for which its item
predicate holds and those for which it is unknown, as
:func:`~herniarules.rules._interpret.decide` does from the values. :meth:`Columnar.item_counts`
computes them on the list columns themselves: the item predicate is an element-wise expression
(``list.eval``), which polars evaluates once over all the items of the column, and the lists'
sums are the numbers, with no join. :meth:`Columnar.item_tables` is the obvious reference: the
items exploded into a table of their own (one row per item, with the row of its patient),
summed per patient by a ``group_by``, to be joined back.

A node the back-end cannot express (a :class:`~herniarules.rules.Custom` predicate, or a
comparison whose value does not fit the column's type) raises :class:`Unsupported`; the
caller then evaluates that rule row by row with the interpreter.

polars is imported by this module only; nothing in the core imports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import Any, Literal

import polars as pl

from herniarules.facts import ITEM_COLLECTIONS
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

__all__ = ["ENGINE", "ROW", "Columnar", "Unsupported", "item_count_columns"]

#: The column holding each patient's row number in the facts table and the item tables.
ROW = "__row"
#: The engine the screen's lazy queries are collected with. polars 2 collects with its
#: streaming engine by default, which takes more CPU time for these queries over tables held
#: in memory (about 2.8 s against 2.3 s for a screen of 200,000 patients).
ENGINE: Literal["in-memory"] = "in-memory"


class Unsupported(Exception):
    """Raised for a node the columnar back-end cannot express; evaluate its rule row-wise."""


_COMPARE: dict[str, Callable[[pl.Expr, Any], pl.Expr]] = {
    ">=": lambda c, v: c >= v,
    ">": lambda c, v: c > v,
    "<=": lambda c, v: c <= v,
    "<": lambda c, v: c < v,
    "==": lambda c, v: c == v,
    "!=": lambda c, v: c != v,
}


def _fits(dtype: pl.DataType, value: object) -> bool:
    """Return whether ``value`` compares with a column of ``dtype`` as it would in Python."""
    if isinstance(value, bool):
        return dtype == pl.Boolean
    if isinstance(value, int | float):
        return dtype.is_numeric() and value == value
    if isinstance(value, str):
        return dtype == pl.String
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dtype == pl.Date
    return False


class Columnar:
    """Compile predicates over one facts schema into polars expressions.

    :param schema: the facts table's schema (``{column: dtype}``).

    Compile every predicate with :meth:`compile` first; :meth:`item_counts` then gives the
    item counts those predicates read, to add to the facts table before the compiled
    expressions are evaluated (or :meth:`item_tables` the same counts as tables, to join on
    :data:`ROW`).
    """

    def __init__(self, schema: pl.Schema) -> None:
        self.schema = schema
        #: Per item collection, the item predicates quantified over, each with its column name,
        #: over the item fields as columns (of the items exploded and unnested).
        self.item_predicates: dict[str, list[tuple[str, pl.Expr]]] = {
            name: [] for name in ITEM_COLLECTIONS
        }
        #: The same predicates over the fields of ``pl.element()``, for ``list.eval``.
        self.element_predicates: dict[str, list[tuple[str, pl.Expr]]] = {
            name: [] for name in ITEM_COLLECTIONS
        }
        self._element = False
        self._item_fields: dict[str, pl.Schema] = {}
        for name in ITEM_COLLECTIONS:
            dtype = schema[name]
            assert isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct)
            self._item_fields[name] = pl.Schema({f.name: f.dtype for f in dtype.inner.fields})
        self._current: str = ""

    # -- whole facts ------------------------------------------------------------------------
    def compile(self, node: Expr) -> pl.Expr:
        """Return ``node`` as a boolean expression; ``null`` where it is unknown."""
        added = {name: len(preds) for name, preds in self.item_predicates.items()}
        try:
            return COMPILE.function(node, self)
        except Unsupported:
            # Item predicates of a rule that falls back to the interpreter are not needed.
            for name, count in added.items():
                del self.item_predicates[name][count:]
                del self.element_predicates[name][count:]
            raise

    def column(self, name: str) -> tuple[pl.Expr, pl.DataType]:
        """Return the column of fact ``name`` and its type."""
        dtype = self.schema.get(name)
        if dtype is None:
            raise Unsupported(f"the facts table has no column {name!r}")
        return pl.col(name), dtype

    def quantified(self, collection: str, predicate: ItemExpr) -> str:
        """Register ``predicate`` over ``collection``'s items; return its column prefix."""
        self._current = collection
        expr = COMPILE_ITEM.function(predicate, self)
        self._element = True
        try:
            element = COMPILE_ITEM.function(predicate, self)
        finally:
            self._element = False
        predicates = self.item_predicates[collection]
        name = f"__{collection}_{len(predicates)}"
        predicates.append((name, expr))
        self.element_predicates[collection].append((name, element))
        return name

    def item_field(self, name: str) -> tuple[pl.Expr, pl.DataType]:
        """Return the field ``name`` of the current collection's items and its type."""
        fields = self._item_fields[self._current]
        if name not in fields:
            raise Unsupported(f"the {self._current} items have no field {name!r}")
        if self._element:
            return pl.element().struct.field(name), fields[name]
        return pl.col(name), fields[name]

    def item_counts(self) -> list[pl.Expr]:
        """Return the columns :meth:`item_tables` gives, computed on the facts' list columns.

        Per collection with quantified predicates ``__<collection>_n`` (its items), and per
        item predicate ``p`` ``p_t`` and ``p_u``; a null item is not counted, as the
        exploded tables leave it out. To be added to the facts table (``with_columns``)
        before the compiled expressions are evaluated.
        """
        present = pl.element().is_not_null()
        columns: list[pl.Expr] = []
        for collection, predicates in self.element_predicates.items():
            if not predicates:
                continue
            columns.append(_total(collection, present).alias(f"__{collection}_n"))
            for name, expr in predicates:
                holds = (expr & present).fill_null(False)
                columns.append(_total(collection, holds).alias(f"{name}_t"))
                columns.append(_total(collection, expr.is_null() & present).alias(f"{name}_u"))
        return columns

    def item_count_frame(
        self,
        facts: pl.DataFrame,
        extra: Mapping[str, Sequence[tuple[str, pl.Expr]]] | None = None,
    ) -> pl.DataFrame:
        """Return the columns :meth:`item_counts` gives, a row per row of ``facts`` in order.

        A population repeats its items' values: the item predicates are evaluated once per
        distinct combination of the item fields they read, over a collection's items exploded
        (a null item, an empty or a null list left out), and the items each predicate holds
        for (or is unknown for) counted per row by ``numpy.bincount`` of their rows. A
        collection whose predicates read a field that is not text, a whole number or a
        boolean is counted by :meth:`item_counts` instead.

        :param extra: per collection, more item expressions (over the item fields as
            columns), each counted as a column of its name: the items it is true for. They
            are left out for a collection counted by :meth:`item_counts`.
        """
        import numpy as np

        extra = extra or {}
        n = len(facts)
        position, key = "__position", "__key"
        plain = (pl.String, pl.Boolean, pl.Int64, pl.Int32, pl.UInt32)
        columns: list[pl.Series] = []
        rest: list[pl.Expr] = []
        for collection, predicates in self.item_predicates.items():
            more = list(extra.get(collection, ()))
            if not predicates and not more:
                continue
            kinds = self._item_fields[collection]
            exprs = [e for _, e in predicates] + [e for _, e in more]
            read = sorted({f for e in exprs for f in e.meta.root_names()}) or [next(iter(kinds))]
            if any(kinds[f] not in plain for f in read):
                if predicates:
                    rest.extend(self._collection_counts(collection))
                continue
            items = (
                facts.select(pl.int_range(pl.len(), dtype=pl.Int64()).alias(position), collection)
                .explode(collection)
                .filter(pl.col(collection).is_not_null())
                .select(position, *(pl.col(collection).struct.field(f) for f in read))
            )
            distinct = items.select(read).unique(maintain_order=True).with_row_index(key)
            parts = [
                part
                for name, expr in predicates
                for part in (
                    expr.fill_null(False).alias(f"{name}_t"),
                    expr.is_null().alias(f"{name}_u"),
                )
            ] + [expr.fill_null(False).alias(name) for name, expr in more]
            names = [part.meta.output_name() for part in parts]
            held = distinct.select(parts).to_numpy().astype(bool)
            keyed = items.join(
                distinct, on=read, how="left", nulls_equal=True, maintain_order="left"
            )
            rows = keyed.get_column(position).to_numpy()
            keys = keyed.get_column(key).to_numpy()
            if predicates:
                columns.append(pl.Series(f"__{collection}_n", np.bincount(rows, minlength=n)))
            # The items' rows grouped by distinct value: a predicate's items are the groups of
            # the values it holds for.
            by_key = rows[np.argsort(keys, kind="stable")]
            bounds = np.concatenate(([0], np.cumsum(np.bincount(keys, minlength=len(distinct)))))
            for j, name in enumerate(names):
                groups = [by_key[bounds[k] : bounds[k + 1]] for k in np.flatnonzero(held[:, j])]
                hits = np.concatenate(groups) if groups else rows[:0]
                columns.append(pl.Series(name, np.bincount(hits, minlength=n)))
        frame = pl.DataFrame(columns, height=n).cast(pl.Int64())
        return frame.hstack(facts.select(rest)) if rest else frame

    def _collection_counts(self, collection: str) -> list[pl.Expr]:
        """Return :meth:`item_counts`'s columns of one collection."""
        names = {f"__{collection}_n"} | {
            f"{name}{suffix}"
            for name, _ in self.element_predicates[collection]
            for suffix in ("_t", "_u")
        }
        return [c for c in self.item_counts() if c.meta.output_name() in names]

    def item_tables(self, facts: pl.LazyFrame) -> list[pl.LazyFrame]:
        """Return, per collection with quantified predicates, the counts per patient row.

        The reference :meth:`item_counts` is tested against.

        Each table has :data:`ROW` and, per item predicate ``p``, ``p_t`` (items for which
        it holds), ``p_u`` (items for which it is unknown) and the collection's ``__n``
        (items in all); a patient with no items has no row, and counts as zero of each.
        """
        tables = []
        for collection, predicates in self.item_predicates.items():
            if not predicates:
                continue
            exploded = (
                facts.select(ROW, collection)
                .explode(collection)
                .filter(pl.col(collection).is_not_null())
                .unnest(collection)
            )
            counts: list[pl.Expr] = [pl.len().alias(f"__{collection}_n")]
            for name, expr in predicates:
                value = expr.alias(name)
                counts.append(value.fill_null(False).sum().cast(pl.Int64).alias(f"{name}_t"))
                counts.append(value.is_null().sum().cast(pl.Int64).alias(f"{name}_u"))
            tables.append(exploded.group_by(ROW).agg(counts))
        return tables


def _total(collection: str, item: pl.Expr) -> pl.Expr:
    """Return per row the number of ``collection`` items for which ``item`` is true."""
    return pl.col(collection).list.eval(item).list.sum().fill_null(0).cast(pl.Int64)


def item_count_columns(compiler: Columnar) -> list[str]:
    """Return the count columns :meth:`Columnar.item_tables` adds, for filling nulls with 0."""
    names = []
    for collection, predicates in compiler.item_predicates.items():
        if predicates:
            names.append(f"__{collection}_n")
            for name, _ in predicates:
                names.extend((f"{name}_t", f"{name}_u"))
    return names


COMPILE: Dispatch[pl.Expr] = Dispatch("compile", "compiler", "the columnar back-end")
COMPILE_ITEM: Dispatch[pl.Expr] = Dispatch("compile_item", "compiler", "the columnar back-end")


def _unknown_if_null(column: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.when(column.is_null()).then(pl.lit(None, pl.Boolean)).otherwise(value)


@COMPILE.register(Compare)
def _compare(node: Compare, compiler: Columnar) -> pl.Expr:
    column, dtype = compiler.column(node.fact.name)
    if not _fits(dtype, node.value):
        raise Unsupported(f"{node.fact.name} ({dtype}) compared with {node.value!r}")
    return _COMPARE[node.op](column, pl.lit(node.value))


@COMPILE.register(In)
def _in(node: In, compiler: Columnar) -> pl.Expr:
    column, dtype = compiler.column(node.fact.name)
    values = sorted(node.values, key=repr)
    if not values or not all(_fits(dtype, v) for v in values):
        raise Unsupported(f"{node.fact.name} ({dtype}) in {values!r}")
    return _unknown_if_null(column, column.is_in(pl.lit(pl.Series(values, dtype=dtype)).implode()))


@COMPILE.register(Contains)
def _contains(node: Contains, compiler: Columnar) -> pl.Expr:
    column, dtype = compiler.column(node.fact.name)
    if dtype != pl.List(pl.String) or not all(isinstance(i, str) for i in node.items):
        raise Unsupported(f"{node.fact.name} ({dtype}) contains {sorted(node.items)!r}")
    tests = [column.list.contains(pl.lit(item)) for item in sorted(node.items)]
    return _unknown_if_null(column, reduce(lambda a, b: a | b, tests))


@COMPILE.register(NotEmpty)
def _not_empty(node: NotEmpty, compiler: Columnar) -> pl.Expr:
    column, dtype = compiler.column(node.fact.name)
    if not isinstance(dtype, pl.List) or node.fact.name in ITEM_COLLECTIONS:
        raise Unsupported(f"{node.fact.name} ({dtype}) is not a set of values")
    return column.list.len() > 0


@COMPILE.register(All)
def _all(node: All, compiler: Columnar) -> pl.Expr:
    return reduce(lambda a, b: a & b, [COMPILE.function(p, compiler) for p in node.parts])


@COMPILE.register(Any_)
def _any(node: Any_, compiler: Columnar) -> pl.Expr:
    return reduce(lambda a, b: a | b, [COMPILE.function(p, compiler) for p in node.parts])


@COMPILE.register(Not)
def _not(node: Not, compiler: Columnar) -> pl.Expr:
    return ~COMPILE.function(node.part, compiler)


@COMPILE.register(Always)
def _always(node: Always, compiler: Columnar) -> pl.Expr:
    return pl.lit(True)


@COMPILE.register(Custom)
def _custom(node: Custom, compiler: Columnar) -> pl.Expr:
    raise Unsupported(f"Custom predicate {node.description!r} runs Python code")


def _counts(node: Some | Every | CountCompare, compiler: Columnar) -> tuple[pl.Expr, ...]:
    collection = node.kind.collection
    name = compiler.quantified(collection, node.predicate)
    low = pl.col(f"{name}_t")
    return low, pl.col(f"{name}_u"), pl.col(f"__{collection}_n")


_TRUE, _NONE, _FALSE = pl.lit(True), pl.lit(None, pl.Boolean), pl.lit(False)


@COMPILE.register(Some)
def _some(node: Some, compiler: Columnar) -> pl.Expr:
    true, unknown, _ = _counts(node, compiler)
    return pl.when(true > 0).then(_TRUE).when(unknown > 0).then(_NONE).otherwise(_FALSE)


@COMPILE.register(Every)
def _every(node: Every, compiler: Columnar) -> pl.Expr:
    true, unknown, items = _counts(node, compiler)
    false = items - true - unknown
    return pl.when(false > 0).then(_FALSE).when(unknown > 0).then(_NONE).otherwise(_TRUE)


@COMPILE.register(CountCompare)
def _count(node: CountCompare, compiler: Columnar) -> pl.Expr:
    low, unknown, _ = _counts(node, compiler)
    high = low + unknown
    number, op = node.number, node.op
    if op in ("==", "!="):
        exact = (low == number) & (high == number)
        within = (low <= number) & (number <= high)
        sure, never = (_TRUE, _FALSE) if op == "==" else (_FALSE, _TRUE)
        return pl.when(exact).then(sure).when(within).then(_NONE).otherwise(never)
    at_low = _COMPARE[op](low, number)
    at_high = _COMPARE[op](high, number)
    return pl.when(at_low == at_high).then(at_low).otherwise(_NONE)


# --------------------------------------------------------------------------- items


@COMPILE_ITEM.register(ItemCompare)
def _item_compare(node: ItemCompare, compiler: Columnar) -> pl.Expr:
    column, dtype = compiler.item_field(node.field.name)
    if not _fits(dtype, node.value):
        raise Unsupported(f"item field {node.field.name} ({dtype}) compared with {node.value!r}")
    return _COMPARE[node.op](column, pl.lit(node.value))


@COMPILE_ITEM.register(ItemIn)
def _item_in(node: ItemIn, compiler: Columnar) -> pl.Expr:
    column, dtype = compiler.item_field(node.field.name)
    values: Sequence[object] = sorted(node.values, key=repr)
    if not all(_fits(dtype, v) for v in values):
        raise Unsupported(f"item field {node.field.name} ({dtype}) in {values!r}")
    return _unknown_if_null(column, column.is_in(pl.lit(pl.Series(values, dtype=dtype)).implode()))


@COMPILE_ITEM.register(ItemAlways)
def _item_always(node: ItemAlways, compiler: Columnar) -> pl.Expr:
    first = next(iter(compiler._item_fields[compiler._current]))
    return compiler.item_field(first)[0].is_null() | pl.lit(True)


@COMPILE_ITEM.register(ItemAll)
def _item_all(node: ItemAll, compiler: Columnar) -> pl.Expr:
    return reduce(lambda a, b: a & b, [COMPILE_ITEM.function(p, compiler) for p in node.parts])


@COMPILE_ITEM.register(ItemAny)
def _item_any(node: ItemAny, compiler: Columnar) -> pl.Expr:
    return reduce(lambda a, b: a | b, [COMPILE_ITEM.function(p, compiler) for p in node.parts])


@COMPILE_ITEM.register(ItemNot)
def _item_not(node: ItemNot, compiler: Columnar) -> pl.Expr:
    return ~COMPILE_ITEM.function(node.part, compiler)


@COMPILE_ITEM.register(Labelled)
def _item_labelled(node: Labelled, compiler: Columnar) -> pl.Expr:
    return COMPILE_ITEM.function(node.inner, compiler)
