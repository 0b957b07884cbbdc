"""The screening kernel: a facts table in, one decision per patient and technique out.

:class:`Kernel` takes an :class:`~herniarules.Engine`'s rules and techniques as they were
loaded and compiled, compiles every rule once with the columnar back-end, and decides each
technique for every row as :mod:`herniarules.decide` does for one patient:

1. A rule *fires* when its predicate is true or unknown; unknown gives *insufficient data*.
2. A physician's clearance for the technique, valid on the day, satisfies its *requires
   clearance* findings (:func:`herniarules.decide.cleared`).
3. A finding of a local rule whose sites all lie outside the technique's area becomes *allowed
   with modifications* (:func:`herniarules.decide.outside_area`).
4. The verdict is the most restrictive effective outcome.

A rule the columnar back-end cannot express (a ``Custom`` predicate) is evaluated row by row
with the interpreter, for that rule only, on :class:`~herniarules.facts.Facts` rebuilt from the
facts table; a predicate that raises makes its technique not permitted for that row with an
``engine.plugin-error`` finding, as the engine does. A technique whose plugin failed to load is
*insufficient data* for every row, with the same finding.

The fired rules are a bitmask over :attr:`Kernel.rule_ids` (bit ``i`` is rule ``i``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import attrs
import polars as pl

from herniarules.engine import PLUGIN_ERROR, Engine
from herniarules.facts import FACT_LABELS, ITEM_COLLECTIONS, Facts
from herniarules.outcomes import Outcome
from herniarules.rules import Rule
from herniarules.rules._items import Some
from herniarules.rules._polars import ROW, Columnar, Unsupported, item_count_columns
from herniarules.screen._facts import FACTS_SCHEMA, facts_from_row

__all__ = ["DECISION_SCHEMA", "Kernel", "ScreenError"]

_U64 = pl.UInt64()
_LABELS = {int(o): o.label for o in Outcome}
_REQUIRES_CLEARANCE = int(Outcome.REQUIRES_CLEARANCE)
_PERMITTING = int(Outcome.ALLOWED_WITH_MODIFICATIONS)
_INSUFFICIENT = int(Outcome.INSUFFICIENT_DATA)
#: The facts whose absence a decision reports, in bit order of ``missing_mask``.
MISSING_FACTS = tuple(name for name in FACTS_SCHEMA if name != ROW)

#: The columns of the decisions table, one row per patient and technique.
DECISION_SCHEMA = pl.Schema(
    {
        ROW: pl.UInt32(),
        "patient_id": pl.String(),
        "technique": pl.String(),
        "verdict": pl.String(),
        "permitted": pl.Boolean(),
        "fired_mask": _U64,
        "missing_mask": _U64,
    }
)
"""``fired_rules`` and ``missing`` follow: lists of the rule ids (an ``Enum`` of
:attr:`Kernel.rule_ids`) and of the labels of the missing facts."""


class ScreenError(ValueError):
    """Raised when a screening cannot be set up: an unknown technique, too many rules."""


@attrs.frozen
class _Plan:
    """One technique as the kernel decides it."""

    id: str
    rules: tuple[int, ...]
    """Indices into :attr:`Kernel.rules` of the core rules and the technique's own."""
    own: tuple[int, ...]
    """The technique's own rules (a failure of one of its row-wise rules replaces them)."""
    treated: frozenset[str] | None
    failed: bool
    """Whether the technique's plugin failed: insufficient data for every row."""


class Kernel:
    """Every rule of ``engine`` compiled once for columnar evaluation.

    :param engine: the engine whose rules, policy, techniques and terminology are used.
    :param techniques: the technique ids to decide (default: every technique, sorted).
    """

    def __init__(self, engine: Engine, techniques: Sequence[str] | None = None) -> None:
        self.engine = engine
        #: The rules in bit order: the core rules, then every loaded plugin's.
        self.rules: tuple[Rule, ...] = engine.rules
        #: The ids a fired mask's bits stand for; the last is ``engine.plugin-error``.
        self.rule_ids: tuple[str, ...] = (*(r.id for r in self.rules), PLUGIN_ERROR)
        #: The fired-mask columns: ``fired_mask`` for rules 0-63, ``fired_mask_1`` for 64-127...
        self.mask_columns: tuple[str, ...] = tuple(
            mask_column(word) for word in range((len(self.rule_ids) + 63) // 64)
        )
        index = {rule.id: i for i, rule in enumerate(self.rules)}
        known = sorted(t.id for t in engine.techniques)
        wanted = known if techniques is None else list(techniques)
        unknown = [t for t in wanted if t not in known]
        if unknown:
            raise ScreenError(
                f"unknown technique {', '.join(map(repr, unknown))}; known: {', '.join(known)}"
            )
        core = tuple(i for i, rule in enumerate(self.rules) if rule.is_core)
        plans = []
        for technique_id in wanted:
            decides = engine.technique_rules(technique_id)
            own = tuple(index[r.id] for r in decides.rules)
            plans.append(_Plan(technique_id, (*core, *own), own, decides.treated, decides.failed))
        #: The techniques, in output order.
        self.plans: tuple[_Plan, ...] = tuple(plans)
        self.compiler = Columnar(FACTS_SCHEMA)
        self._exprs: dict[int, pl.Expr] = {}
        self._sited: dict[int, str] = {}
        #: Indices of the rules evaluated row by row (``Custom`` predicates).
        self.row_wise: tuple[int, ...] = ()
        row_wise = []
        needed = sorted({i for plan in self.plans for i in plan.rules})
        for i in needed:
            rule = self.rules[i]
            when = rule.when
            local_sites = rule.local and not (
                isinstance(when, Some) and when.kind.collection == "conditions"
            )
            try:
                if local_sites:
                    raise Unsupported("a local rule that is not 'some condition: ...'")
                self._exprs[i] = self.compiler.compile(when)
                if rule.local:
                    self._sited[i] = self.compiler.item_predicates["conditions"][-1][0]
            except Unsupported:
                row_wise.append(i)
        self.row_wise = tuple(row_wise)
        self._reads = {i: self.rules[i].when.reads() for i in needed}
        self._read_bits = frozenset(
            MISSING_FACTS.index(name) for reads in self._reads.values() for name in reads
        )

    # -- evaluation -------------------------------------------------------------------------
    def results(self, facts: pl.DataFrame) -> pl.LazyFrame:
        """Return the facts with ``r<i>`` (rule ``i``'s three-valued result) for every rule.

        A local rule also gets ``s<i>``: the sites of the condition items that made it true,
        or null when one of them has no site.
        """
        lazy = facts.lazy()
        for table in self.compiler.item_tables(lazy):
            lazy = lazy.join(table, on=ROW, how="left")
        counts = item_count_columns(self.compiler)
        if counts:
            lazy = lazy.with_columns(pl.col(counts).fill_null(0))
        columns = [expr.alias(f"r{i}") for i, expr in self._exprs.items()]
        # Only what the verdicts read goes on: the item lists stay behind.
        read = sorted(
            {n for reads in self._reads.values() for n in reads if n not in ITEM_COLLECTIONS}
        )
        lazy = lazy.select(ROW, "patient_id", *read, *columns)
        if self._sited:
            sites = self._sites(facts)
            lazy = lazy.join(sites.lazy(), on=ROW, how="left")
        if self.row_wise:
            lazy = lazy.join(self._row_wise(facts).lazy(), on=ROW, how="left")
        return lazy

    def _sites(self, facts: pl.DataFrame) -> pl.DataFrame:
        """Return ``s<i>`` per local rule: the sites of the items its predicate holds for."""
        exploded = (
            facts.lazy()
            .select(ROW, "conditions")
            .explode("conditions")
            .filter(pl.col("conditions").is_not_null())
            .unnest("conditions")
        )
        aggregates = []
        for i, name in self._sited.items():
            predicate = dict(self.compiler.item_predicates["conditions"])[name]
            holds = predicate.fill_null(False)
            site = pl.col("site")
            aggregates.append(
                pl.when((holds & site.is_null()).any())
                .then(pl.lit(None, pl.List(pl.String())))
                .otherwise(site.filter(holds).unique().sort().implode())
                .alias(f"s{i}")
            )
        table = exploded.group_by(ROW).agg(aggregates)
        out = facts.lazy().select(ROW).join(table, on=ROW, how="left")
        for i in self._sited:
            static = self.rules[i].site
            fallback = pl.lit(static.split(", ") if static else None, pl.List(pl.String()))
            out = out.with_columns(
                pl.when(pl.col(f"s{i}").is_null()).then(fallback).otherwise(pl.col(f"s{i}"))
            )
        return out.collect()

    def _row_wise(self, facts: pl.DataFrame) -> pl.DataFrame:
        """Return ``r<i>`` (and ``s<i>``) of the row-wise rules, and ``e<i>`` when one raised."""
        rows: list[int] = []
        values: dict[int, list[Any]] = {i: [] for i in self.row_wise}
        sites: dict[int, list[Any]] = {i: [] for i in self.row_wise if self.rules[i].local}
        errors: dict[int, list[bool]] = {i: [] for i in self.row_wise}
        for row in facts.iter_rows(named=True):
            rows.append(row[ROW])
            patient = facts_from_row(row)
            for i in self.row_wise:
                rule = self.rules[i]
                try:
                    result = rule.when.evaluate(_private(patient))
                    failed = False
                except KeyboardInterrupt:
                    raise
                except BaseException:  # a plugin's predicate fails its technique alone
                    result, failed = None, True
                values[i].append(result)
                errors[i].append(failed)
                if i in sites:
                    sites[i].append(_finding_sites(rule, result, patient))
        data: dict[str, Any] = {ROW: pl.Series(rows, dtype=pl.UInt32())}
        for i in self.row_wise:
            data[f"r{i}"] = pl.Series(values[i], dtype=pl.Boolean())
            data[f"e{i}"] = pl.Series(errors[i], dtype=pl.Boolean())
            if i in sites:
                data[f"s{i}"] = pl.Series(sites[i], dtype=pl.List(pl.String()))
        return pl.DataFrame(data)

    def decide(self, facts: pl.DataFrame, clearances: pl.DataFrame) -> pl.DataFrame:
        """Return the decisions table: one row per row of ``facts`` and technique.

        :param clearances: :data:`ROW` and, per technique id, whether a physician's clearance
            for it is valid on the day.
        """
        results = self.results(facts).join(clearances.lazy(), on=ROW, how="left").collect()
        frames = [self._decide_one(results.lazy(), plan) for plan in self.plans]
        return pl.concat(frames).collect()

    def _decide_one(self, results: pl.LazyFrame, plan: _Plan) -> pl.LazyFrame:
        rules = self.rules
        outcomes: list[pl.Expr] = [pl.lit(0, pl.Int64())]
        fires_of: dict[int, pl.Expr] = {}
        missing: list[pl.Expr] = [pl.lit(0, _U64)]
        cleared = pl.col(f"cleared:{plan.id}").fill_null(False)
        failure = pl.lit(plan.failed)
        for i in plan.rules:
            if i in plan.own and i in self.row_wise:
                failure = failure | pl.col(f"e{i}")
        for i in plan.rules:
            rule = rules[i]
            result = pl.col(f"r{i}")
            outcome = (
                pl.when(result.is_null())
                .then(_INSUFFICIENT)
                .when(result)
                .then(int(rule.outcome))
                .otherwise(0)
            )
            if rule.outcome is Outcome.REQUIRES_CLEARANCE:
                outcome = pl.when(result.fill_null(False) & cleared).then(0).otherwise(outcome)
            if rule.local and plan.treated is not None:
                sites = pl.col(f"s{i}")
                outside = ~sites.list.eval(
                    pl.element().is_in(pl.lit(pl.Series(sorted(plan.treated))).implode())
                ).list.any()
                outcome = (
                    pl.when(result.fill_null(False) & sites.is_not_null() & outside)
                    .then(pl.min_horizontal(outcome, pl.lit(_PERMITTING)))
                    .otherwise(outcome)
                )
            own = i in plan.own
            outcomes.append(outcome if not own else pl.when(failure).then(0).otherwise(outcome))
            fires = result.fill_null(True)
            fires_of[i] = fires & ~failure if own else fires
            unknown = result.is_null() if not own else result.is_null() & ~failure
            missing.append(pl.when(unknown).then(self._missing_bits(i)).otherwise(0))
        outcomes.append(pl.when(failure).then(_INSUFFICIENT).otherwise(0))
        fires_of[len(self.rule_ids) - 1] = failure
        verdict = pl.max_horizontal(outcomes)
        words: list[list[pl.Expr]] = [[pl.lit(0, _U64)] for _ in self.mask_columns]
        for i, fires in fires_of.items():
            bit = pl.lit(1 << (i % 64), _U64)
            words[i // 64].append(pl.when(fires).then(bit).otherwise(pl.lit(0, _U64)))
        missing_mask = _bit_or(missing)
        return results.select(
            pl.col(ROW),
            pl.col("patient_id"),
            pl.lit(plan.id).alias("technique"),
            verdict.replace_strict(_LABELS, return_dtype=pl.String()).alias("verdict"),
            (verdict <= _PERMITTING).alias("permitted"),
            *(
                _bit_or(parts).alias(name)
                for name, parts in zip(self.mask_columns, words, strict=True)
            ),
            missing_mask.alias("missing_mask"),
        )

    def protocol_failures(self, facts: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
        """Return :data:`ROW` and ``technique`` of the permitted decisions whose protocol
        builder fails, as :meth:`Engine.assess <herniarules.Engine.assess>` would find.

        Each builder runs once per distinct combination of the facts it declares among the
        rows its technique is permitted for (through the engine, so equal declared facts share
        one protocol, kept for reuse), on the facts of one row of that combination: a builder
        reads nothing else, so the row stands for all of them.
        """
        failed: list[tuple[int, str]] = []
        for plan in self.plans:
            reads = list(self.engine.technique(plan.id).reads)
            permitted = decisions.filter(
                (pl.col("technique") == plan.id) & pl.col("permitted")
            ).select(ROW)
            if permitted.is_empty():
                continue
            rows = facts.join(permitted, on=ROW, how="semi")
            if reads:
                groups = rows.group_by(reads, maintain_order=True).agg(pl.col(ROW))
            else:
                groups = rows.select(pl.col(ROW).implode())
            members: list[list[int]] = groups[ROW].to_list()
            first = {group[0]: group for group in members}
            for row in rows.filter(pl.col(ROW).is_in(list(first))).iter_rows(named=True):
                if self.engine.protocol_failure(plan.id, facts_from_row(row)) is not None:
                    failed.extend((member, plan.id) for member in first[row[ROW]])
        return pl.DataFrame(
            failed, schema={ROW: pl.UInt32(), "technique": pl.String()}, orient="row"
        )

    def with_failures(self, decisions: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
        """Return ``decisions`` with each of ``failures`` not permitted, for want of data,
        and its ``engine.plugin-error`` bit set, as the engine decides a failed builder."""
        if failures.is_empty():
            return decisions
        bit = len(self.rule_ids) - 1
        word = mask_column(bit // 64)
        hit = pl.col("_failed").fill_null(False)
        return (
            decisions.join(
                failures.with_columns(_failed=pl.lit(True)), on=[ROW, "technique"], how="left"
            )
            .with_columns(
                pl.when(hit)
                .then(pl.lit(_LABELS[_INSUFFICIENT]))
                .otherwise("verdict")
                .alias("verdict"),
                (pl.col("permitted") & ~hit).alias("permitted"),
                pl.when(hit)
                .then(pl.col(word) | pl.lit(1 << (bit % 64), _U64))
                .otherwise(pl.col(word))
                .alias(word),
            )
            .drop("_failed")
        )

    def with_lists(self, decisions: pl.DataFrame) -> pl.DataFrame:
        """Add ``fired_rules`` and ``missing``, the lists the masks stand for, in bit order.

        Each distinct mask is decoded once, column-wise, and joined back.
        """
        fired_names = [(mask_column(i // 64), i % 64, rid) for i, rid in enumerate(self.rule_ids)]
        missing_names = [
            ("missing_mask", bit, FACT_LABELS.get(name, name))
            for bit, name in enumerate(MISSING_FACTS)
            if bit in self._read_bits
        ]
        out = decisions.lazy()
        for keys, names, alias in (
            (list(self.mask_columns), fired_names, "fired_rules"),
            (["missing_mask"], missing_names, "missing"),
        ):
            out = out.join(_decoded(decisions, keys, names, alias), on=keys, how="left")
        return out.collect()

    def _missing_bits(self, i: int) -> pl.Expr:
        """Return the bits of the facts rule ``i`` reads that are not recorded (or are items)."""
        bits: list[pl.Expr] = [pl.lit(0, _U64)]
        for name in self._reads[i]:
            bit = pl.lit(1 << MISSING_FACTS.index(name), _U64)
            if name in ITEM_COLLECTIONS:
                bits.append(bit)  # an unknown quantifier: some item lacks a field it reads
            else:
                bits.append(pl.when(pl.col(name).is_null()).then(bit).otherwise(0))
        return _bit_or(bits)

    def fired_ids(self, *words: int) -> list[str]:
        """Return the rule ids of the bits set in the fired-mask words, in bit order."""
        mask = sum(word << (64 * n) for n, word in enumerate(words))
        return [rule_id for bit, rule_id in enumerate(self.rule_ids) if mask >> bit & 1]


def missing_labels(mask: int) -> list[str]:
    """Return the labels of the facts whose bits are set in a ``missing_mask``."""
    return [FACT_LABELS.get(n, n) for bit, n in enumerate(MISSING_FACTS) if mask >> bit & 1]


def mask_column(word: int) -> str:
    """Return the name of fired-mask column ``word`` (bits ``64 * word`` to ``64 * word + 63``)."""
    return "fired_mask" if word == 0 else f"fired_mask_{word}"


_DECODE_CHUNK = 1 << 18


def _decoded(
    decisions: pl.DataFrame, keys: list[str], names: list[tuple[str, int, str]], alias: str
) -> pl.LazyFrame:
    """Return per distinct value of the mask columns ``keys`` the names of its set bits.

    ``names`` gives, in order, each bit's column, position in that column and name. The
    masks are unpacked into a bit matrix with numpy, a chunk of masks at a time, and the
    lists built from its set bits' offsets with Arrow.
    """
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped]

    distinct = decisions.select(keys).unique()
    order = [keys.index(column) for column, _, _ in names]
    assert order == sorted(order), "names run column by column"
    labels = [name for _, _, name in names]
    kind = pl.Enum(labels)
    text = pl.Series(labels, dtype=kind)
    chunks = []
    for start in range(0, len(distinct), _DECODE_CHUNK):
        part = distinct.slice(start, _DECODE_CHUNK)
        words = [part[key].to_numpy() for key in keys]
        blocks = []
        for key, word in zip(keys, words, strict=True):  # names run column by column
            positions = np.array([p for c, p, _ in names if c == key], dtype=np.uint64)
            blocks.append((word[:, None] >> positions[None, :]) & np.uint64(1))
        bits = np.concatenate(blocks, axis=1).astype(bool)
        _, which = np.nonzero(bits)
        offsets = np.zeros(len(part) + 1, dtype=np.int32)
        np.cumsum(bits.sum(axis=1), out=offsets[1:])
        values = text.gather(pl.Series(which, dtype=pl.UInt32())).to_arrow()
        lists = pa.ListArray.from_arrays(pa.array(offsets), values)
        frame = pl.from_arrow(pa.table({alias: lists}))
        assert isinstance(frame, pl.DataFrame)
        chunks.append(part.with_columns(frame[alias].cast(pl.List(kind))))
    if not chunks:
        return distinct.lazy().with_columns(pl.lit([], pl.List(kind)).alias(alias))
    return pl.concat(chunks).lazy()


def _bit_or(parts: list[pl.Expr]) -> pl.Expr:
    result = parts[0].cast(_U64)
    for part in parts[1:]:
        result = result | part.cast(_U64)
    return result


def _private(facts: Facts) -> Facts:
    """Return a copy of ``facts`` with its own item objects, as plugin code gets it."""
    return attrs.evolve(
        facts,
        hernias=tuple(attrs.evolve(h) for h in facts.hernias),
        conditions=tuple(attrs.evolve(c) for c in facts.conditions),
    )


def _finding_sites(rule: Rule, result: bool | None, facts: Facts) -> list[str] | None:
    """Return the sites a local rule's finding carries, as the engine's finding does."""
    if result is not True:
        return rule.site.split(", ") if rule.site else None
    items = rule.when.evidence(facts).get("conditions") or ()
    sites = {item["site"] for item in items}
    if items and None not in sites:
        return sorted(sites)
    return rule.site.split(", ") if rule.site else None
