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
from typing import TYPE_CHECKING, Any

import attrs
import polars as pl

from herniarules.engine import PLUGIN_ERROR, Engine
from herniarules.facts import FACT_LABELS, ITEM_COLLECTIONS, Facts
from herniarules.outcomes import Outcome
from herniarules.rules import Rule
from herniarules.rules._items import Some
from herniarules.rules._polars import ENGINE, ROW, Columnar, Unsupported, item_count_columns
from herniarules.screen._facts import FACTS_SCHEMA, SET_FACTS, facts_from_row

if TYPE_CHECKING:
    import numpy as np

__all__ = ["DECISION_SCHEMA", "Kernel", "ScreenError"]

_U64 = pl.UInt64()
_POSITION = "__position"
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
        #: Indices of the core rules, which every technique is decided by.
        self.core: tuple[int, ...] = core
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
        #: The treated areas of the techniques that have one, in the order of ``a<i>_<n>``.
        self._areas: tuple[frozenset[str], ...] = tuple(
            sorted({p.treated for p in self.plans if p.treated is not None}, key=sorted)
        )

    # -- evaluation -------------------------------------------------------------------------
    def results(self, facts: pl.DataFrame, *, reference: bool = False) -> pl.LazyFrame:
        """Return :data:`ROW`, ``patient_id``, per fact the rules read whether it is null
        (``unrecorded:<fact>``) and ``r<i>`` (rule ``i``'s three-valued result) per rule.

        A local rule also gets, for the treated areas, ``z<i>`` (some condition item that
        makes it true has no site) and per area ``n`` ``a<i>_<n>`` (the site of some item that
        makes it true lies in the area; :meth:`_site_flags`). The item counts come from
        :meth:`Columnar.item_count_frame`. With ``reference``, the obvious way instead: the
        item counts from exploded tables joined back (:meth:`Columnar.item_tables`) and
        ``s<i>``, the sites of the items that make it true or null when one of them has no
        site (:meth:`_sites`).
        """
        lazy = facts.lazy()
        if reference:
            for table in self.compiler.item_tables(lazy):
                lazy = lazy.join(table, on=ROW, how="left", maintain_order="left")
            counts = item_count_columns(self.compiler)
            if counts:
                lazy = lazy.with_columns(pl.col(counts).fill_null(0))
        else:
            # The site flags are counted with the item counts: the items a flag is true for.
            sited = self._site_predicates()
            items = self.compiler.item_count_frame(facts, {"conditions": sited})
            lazy = pl.concat([facts, items], how="horizontal").lazy()
        columns = [expr.alias(f"r{i}") for i, expr in self._exprs.items()]
        # Only what the verdicts read goes on: whether each fact a rule reads is recorded.
        read = sorted(
            {n for reads in self._reads.values() for n in reads if n not in ITEM_COLLECTIONS}
        )
        unrecorded = [pl.col(name).is_null().alias(_unrecorded(name)) for name in read]
        lazy = lazy.select(ROW, "patient_id", *unrecorded, *columns)
        if self._sited and not reference:
            if all(name in items.columns for name, _ in sited):
                flags = items.select((pl.col(name) > 0).alias(name[1:]) for name, _ in sited)
            else:
                flags = self._site_flags(facts).drop(ROW)
            lazy = pl.concat([lazy, flags.lazy()], how="horizontal")
        if self._sited and reference:
            sites = self._sites(facts)
            lazy = lazy.join(sites.lazy(), on=ROW, how="left", maintain_order="left")
        if self.row_wise:
            lazy = lazy.join(
                self._row_wise(facts).lazy(), on=ROW, how="left", maintain_order="left"
            )
        return lazy

    def _site_predicates(self) -> list[tuple[str, pl.Expr]]:
        """Return ``_z<i>`` and ``_a<i>_<n>`` of every local rule: over a condition item,
        whether the flag ``z<i>`` or ``a<i>_<n>`` (see :meth:`results`) holds for it."""
        site = pl.col("site")
        out: list[tuple[str, pl.Expr]] = []
        predicates = dict(self.compiler.item_predicates["conditions"])
        for i, name in self._sited.items():
            hold = predicates[name].fill_null(False)
            out.append((f"_z{i}", hold & site.is_null()))
            for n, area in enumerate(self._areas):
                inside = site.is_in(pl.lit(pl.Series(sorted(area), dtype=pl.String())).implode())
                out.append((f"_a{i}_{n}", hold & inside.fill_null(False)))
        return out

    def _site_flags(self, facts: pl.DataFrame) -> pl.DataFrame:
        """Return ``z<i>`` and ``a<i>_<n>`` of every local rule (see :meth:`results`), a row
        per row of ``facts`` in its order.

        Only the condition items that make some local rule true are looked at: the items
        exploded, those kept, and their sites aggregated per row. A row with none has every
        flag false; its rules are not true, so their sites do not matter.
        """
        holds = {
            i: dict(self.compiler.item_predicates["conditions"])[name].fill_null(False)
            for i, name in self._sited.items()
        }
        site = pl.col("site")
        items = (
            facts.lazy()
            .select(ROW, "conditions")
            .explode("conditions")
            .filter(pl.col("conditions").is_not_null())
            .unnest("conditions")
            .select(ROW, "site", *(h.alias(f"_h{i}") for i, h in holds.items()))
            .filter(pl.any_horizontal(pl.col(f"_h{i}") for i in holds))
        )
        aggregates: list[pl.Expr] = []
        for i in holds:
            hold = pl.col(f"_h{i}")
            aggregates.append((hold & site.is_null()).any().alias(f"z{i}"))
            for n, area in enumerate(self._areas):
                inside = site.is_in(pl.lit(pl.Series(sorted(area), dtype=pl.String())).implode())
                aggregates.append((hold & inside.fill_null(False)).any().alias(f"a{i}_{n}"))
        table = items.group_by(ROW).agg(aggregates)
        names = [e.meta.output_name() for e in aggregates]
        return (
            facts.lazy()
            .select(ROW)
            .join(table, on=ROW, how="left", maintain_order="left")
            .with_columns(pl.col(names).fill_null(False))
            .collect(engine=ENGINE)
        )

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
        out = facts.lazy().select(ROW).join(table, on=ROW, how="left", maintain_order="left")
        for i in self._sited:
            static = self.rules[i].site
            fallback = pl.lit(static.split(", ") if static else None, pl.List(pl.String()))
            out = out.with_columns(
                pl.when(pl.col(f"s{i}").is_null()).then(fallback).otherwise(pl.col(f"s{i}"))
            )
        return out.collect(engine=ENGINE)

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
        results = self.results(facts).join(
            clearances.lazy(), on=ROW, how="left", maintain_order="left"
        )
        return self._decide_all(results)

    def decide_per_technique(self, facts: pl.DataFrame, clearances: pl.DataFrame) -> pl.DataFrame:
        """Return :meth:`decide`'s table the obvious way: every rule again for each technique.

        The reference :meth:`decide` is tested against; rows in the same order.
        """
        results = (
            self.results(facts, reference=True)
            .join(clearances.lazy(), on=ROW, how="left")
            .collect(engine=ENGINE)
        )
        frames = [self._decide_one(results.lazy(), plan) for plan in self.plans]
        return pl.concat(frames).collect(engine=ENGINE).sort(ROW, "technique", maintain_order=True)

    def _decide_all(self, results: pl.LazyFrame) -> pl.DataFrame:
        """Return the decisions of every technique, sorted by row and technique id.

        Each rule's result is read once, as a number per row (0 false, 1 true, 2 unknown),
        and the verdicts, fired masks and missing masks are worked out with numpy in arrays
        of one row per patient and technique. The fired and unknown rules of a row are packed
        into bit words once (``numpy.packbits``); a technique's fired mask is those bits of
        its rules. Its missing mask is the facts read by its unknown rules that are not
        recorded: the facts read are looked up once per distinct word of unknown rules. The
        core rules' outcomes are the same for every technique but for a valid clearance (a
        *requires clearance* rule) and the treated area (a local rule): their largest
        outcome is computed once per treated area and clearance value, and each technique
        picks its own and adds its own rules. The result is :meth:`_decide_one`'s per
        technique (:meth:`decide_per_technique`, the reference).
        """
        import numpy as np

        if not self.plans:
            return pl.DataFrame(schema=DECISION_SCHEMA)
        rules = self.rules
        plans = sorted(self.plans, key=lambda plan: plan.id)
        dependent = [
            i for i in self.core if rules[i].outcome is Outcome.REQUIRES_CLEARANCE or rules[i].local
        ]
        fixed = [i for i in self.core if i not in dependent]
        local = any(rules[i].local for i in dependent)
        areas = sorted({plan.treated if local else None for plan in plans}, key=_area_key)
        evaluated = sorted({i for plan in plans for i in plan.rules})
        # Whether a local rule's finding lies outside a treated area, per rule and area.
        outside_of = [
            (i, treated)
            for i in evaluated
            if rules[i].local
            for treated in sorted(
                {plan.treated for plan in plans if i in plan.own}
                | (set(areas) if i in self.core else set()),
                key=_area_key,
            )
            if treated is not None
        ]
        read = sorted({n for i in evaluated for n in self._reads[i] if n not in ITEM_COLLECTIONS})
        state = [pl.col(f"r{i}").cast(pl.UInt8()).fill_null(2).alias(f"v{i}") for i in evaluated]
        flags: dict[str, pl.Expr] = {f"m:{name}": pl.col(_unrecorded(name)) for name in read}
        for n, (i, treated) in enumerate(outside_of):
            flags[f"o{n}"] = self._outside(i, treated).fill_null(False)
        for plan in plans:
            flags[f"c:{plan.id}"] = pl.col(f"cleared:{plan.id}").fill_null(False)
        for i in self.row_wise:
            flags[f"e{i}"] = pl.col(f"e{i}").fill_null(False)
        wide = results.select(
            ROW,
            "patient_id",
            *state,
            *(expr.cast(pl.UInt8()).alias(name) for name, expr in flags.items()),
        ).collect(engine=ENGINE)
        count, k = len(wide), len(plans)
        words = len(self.mask_columns)
        # Rule i's state (0 false, 1 true, 2 unknown); rules not evaluated do not fire.
        matrix = wide.select(f"v{i}" for i in evaluated).to_numpy()  # a column per rule
        # Each a matrix in one piece, column by column as ``matrix`` is: its columns are
        # read without a new array for each.
        fires_of, true_of, unknown_by = matrix != 0, matrix == 1, matrix == 2
        true = {i: true_of[:, n] for n, i in enumerate(evaluated)}
        unknown_of = {i: unknown_by[:, n] for n, i in enumerate(evaluated)}

        def flag(name: str) -> np.ndarray[Any, Any]:
            return wide[name].to_numpy().view(np.bool_)

        def packed(columns: dict[int, np.ndarray[Any, Any]], width: int) -> np.ndarray[Any, Any]:
            """Return per row the words of ``width`` bits with bit i set where columns[i]."""
            out = np.zeros((count, width // 8), dtype=np.uint8)
            value, shifted = np.empty(count, dtype=np.uint8), np.empty(count, dtype=np.uint8)
            for byte in range(width // 8):
                held = [(i, c) for i, c in columns.items() if i // 8 == byte]
                if held:
                    value.fill(0)
                    for i, column in held:
                        np.left_shift(column.view(np.uint8), np.uint8(i % 8), out=shifted)
                        np.bitwise_or(value, shifted, out=value)
                    out[:, byte] = value
            return out.view("<u8")

        fired = packed({i: fires_of[:, n] for n, i in enumerate(evaluated)}, 64 * words)
        # The unknown rules as bits in the order of ``evaluated``: one word for up to 64.
        unknown = packed(
            {n: unknown_of[i] for n, i in enumerate(evaluated)},
            64 * max(1, -(-len(evaluated) // 64)),
        )
        outside = {key: flag(f"o{n}") for n, key in enumerate(outside_of)}

        def outcome(
            i: int, cleared: np.ndarray[Any, Any] | bool, treated: frozenset[str] | None
        ) -> np.ndarray[Any, Any]:
            """Rule ``i``'s effective outcome (as :meth:`_decide_one` has it)."""
            rule = rules[i]
            value: Any = np.uint8(int(rule.outcome))
            if rule.outcome is Outcome.REQUIRES_CLEARANCE:
                value = np.where(cleared, np.uint8(0), value)
            if rule.local and treated is not None:
                value = np.where(outside[i, treated], np.minimum(value, _PERMITTING), value)
            result: np.ndarray[Any, Any] = true[i] * np.uint8(value) + unknown_of[i] * np.uint8(
                _INSUFFICIENT
            )
            return result

        def largest(parts: list[np.ndarray[Any, Any]]) -> np.ndarray[Any, Any]:
            result = np.zeros(count, dtype=np.uint8)
            for part in parts:
                np.maximum(result, part, out=result)
            return result

        fixed_outcome = largest([outcome(i, False, None) for i in fixed])
        by_area = {
            (treated, value): largest([outcome(i, value, treated) for i in dependent])
            for treated in areas
            for value in (False, True)
        }
        verdict = np.empty((count, k), dtype=np.uint8)
        failure = np.zeros((count, k), dtype=np.bool_)
        for j, plan in enumerate(plans):
            cleared = flag(f"c:{plan.id}")
            area = plan.treated if local else None
            failure[:, j] = plan.failed
            for i in plan.own:
                if i in self.row_wise:
                    failure[:, j] |= flag(f"e{i}")
            kept = ~failure[:, j]
            mine = [fixed_outcome, np.where(cleared, by_area[area, True], by_area[area, False])]
            mine.append(failure[:, j] * np.uint8(_INSUFFICIENT))
            mine.extend(outcome(i, cleared, plan.treated) * kept for i in plan.own)
            verdict[:, j] = largest(mine)

        def bits(indices: Sequence[int]) -> np.ndarray[Any, Any]:
            """Return the words (one per mask column) with the bits of ``indices`` set."""
            out = np.zeros(words, dtype=np.uint64)
            for i in indices:
                out[i // 64] |= np.uint64(1 << (i % 64))
            return out

        mine_bits = np.stack([bits(plan.rules) for plan in plans])  # (k, words)
        core_bits = bits(self.core)
        plugin_bit = len(self.rule_ids) - 1
        masks = [fired[:, w, None] & mine_bits[None, :, w] for w in range(words)]
        if failure.any():
            rows, columns = np.nonzero(failure)
            for w, mask in enumerate(masks):
                mask[rows, columns] = fired[rows, w] & core_bits[w]
            masks[plugin_bit // 64][rows, columns] |= np.uint64(1 << (plugin_bit % 64))
        # The facts each distinct word of unknown rules reads, for each technique's rules.
        # Per row, the facts not recorded (and the item collections, always).
        everywhere = np.ones(count, dtype=np.bool_)
        recorded = {
            MISSING_FACTS.index(name): flag(f"m:{name}") if name in read else everywhere
            for name in MISSING_FACTS
            if name in read or name in ITEM_COLLECTIONS
        }
        unrecorded = packed(recorded, 64)[:, 0]
        distinct, inverse = _distinct_rows(unknown)
        reads = np.zeros((len(distinct), k), dtype=np.uint64)
        core_reads = np.zeros(len(distinct), dtype=np.uint64)
        for n, i in enumerate(evaluated):
            read_bits = np.uint64(sum(1 << MISSING_FACTS.index(name) for name in self._reads[i]))
            hit = (distinct[:, n // 64] >> np.uint64(n % 64)) & np.uint64(1) != 0
            contribution = np.where(hit, read_bits, np.uint64(0))
            if i in self.core:
                core_reads |= contribution
            for j, plan in enumerate(plans):
                if i in plan.rules:
                    reads[:, j] |= contribution
        missing = reads[inverse] & unrecorded[:, None]
        if failure.any():
            missing[rows, columns] = core_reads[inverse[rows]] & unrecorded[rows]
        repeat = pl.Series(np.repeat(np.arange(count, dtype=np.uint32), k))
        verdicts = pl.Series(verdict.reshape(count * k), dtype=pl.UInt8())
        labels = pl.Series([_LABELS.get(o) for o in range(max(_LABELS) + 1)], dtype=pl.String())
        return pl.DataFrame(
            {
                ROW: pl.Series(np.repeat(wide[ROW].to_numpy(), k), dtype=pl.UInt32()),
                "patient_id": wide["patient_id"].gather(repeat),
                "technique": pl.Series([plan.id for plan in plans], dtype=pl.String()).gather(
                    pl.Series(np.tile(np.arange(k, dtype=np.uint32), count))
                ),
                "verdict": labels.gather(verdicts),
                "permitted": verdicts <= _PERMITTING,
                **{
                    name: pl.Series(mask.reshape(count * k), dtype=_U64)
                    for name, mask in zip(self.mask_columns, masks, strict=True)
                },
                "missing_mask": pl.Series(missing.reshape(count * k), dtype=_U64),
            }
        )

    def _outside(self, i: int, treated: frozenset[str]) -> pl.Expr:
        """Return whether local rule ``i``'s finding, when it fires, lies outside ``treated``.

        The finding's sites are its items' (all outside the area when none lies inside), or
        the rule's own when an item has no site; a row-wise rule's are its ``s<i>`` lists.
        """
        if i not in self._sited:
            return _outside_lists(i, treated)
        rule = self.rules[i]
        n = self._areas.index(treated)
        inside, unsited = pl.col(f"a{i}_{n}"), pl.col(f"z{i}")
        own = set(rule.site.split(", ")) if rule.site else None
        if own is None:
            return ~unsited & ~inside
        return pl.when(unsited).then(pl.lit(not own & treated)).otherwise(~inside)

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
            result, outcome = _rule_outcome(rule, i)
            if rule.outcome is Outcome.REQUIRES_CLEARANCE:
                outcome = pl.when(result.fill_null(False) & cleared).then(0).otherwise(outcome)
            if rule.local and plan.treated is not None:
                outcome = (
                    pl.when(result.fill_null(False) & _outside_lists(i, plan.treated))
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
        facts = facts.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32()).alias(_POSITION))
        for plan in self.plans:
            reads = list(self.engine.technique(plan.id).reads)
            permitted = decisions.filter(
                (pl.col("technique") == plan.id) & pl.col("permitted")
            ).select(ROW)
            # Grouped on the declared facts alone; only a group's first row is read whole.
            rows = facts.select(ROW, *reads, _POSITION).join(permitted, on=ROW, how="semi")
            if rows.is_empty():
                continue
            if reads:
                groups = rows.group_by(reads, maintain_order=True).agg(pl.col(ROW))
                sets = [name for name in reads if name in SET_FACTS]
                if sets:  # a set's list is in any order: the groups of equal sets are merged
                    groups = (
                        groups.with_columns(pl.col(sets).list.sort())
                        .group_by(reads, maintain_order=True)
                        .agg(pl.col(ROW).explode())
                    )
            else:
                groups = rows.select(pl.col(ROW).implode())
            members: list[list[int]] = groups[ROW].to_list()
            first = {group[0]: group for group in members}
            at = rows.filter(pl.col(ROW).is_in(list(first)))[_POSITION]
            for row in facts.drop(_POSITION)[at].iter_rows(named=True):
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
                failures.with_columns(_failed=pl.lit(True)),
                on=[ROW, "technique"],
                how="left",
                maintain_order="left",
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

        The masks are decoded with integer operations, a chunk of rows at a time
        (:func:`_bit_lists`), each distinct missing mask once; :meth:`fired_ids` and
        :func:`missing_labels` are the same decoding for one row.
        """
        fired_names = [(mask_column(i // 64), i % 64, rid) for i, rid in enumerate(self.rule_ids)]
        missing_names = [
            ("missing_mask", bit, FACT_LABELS.get(name, name))
            for bit, name in enumerate(MISSING_FACTS)
            if bit in self._read_bits
        ]
        # A population has few distinct missing masks (a few hundred in 1.6 million
        # decisions), so each is decoded once; fired masks are mostly distinct.
        masks = decisions.select("missing_mask")
        distinct = masks.unique()
        missing = distinct.with_columns(
            _bit_lists(distinct, ["missing_mask"], missing_names, "missing")
        )
        decoded = masks.join(
            missing, on="missing_mask", how="left", maintain_order="left", nulls_equal=True
        )
        return decisions.with_columns(
            _bit_lists(decisions, list(self.mask_columns), fired_names, "fired_rules"),
            decoded["missing"],
        )

    def _missing_bits(self, i: int) -> pl.Expr:
        """Return the bits of the facts rule ``i`` reads that are not recorded (or are items)."""
        bits: list[pl.Expr] = [pl.lit(0, _U64)]
        for name in self._reads[i]:
            bit = pl.lit(1 << MISSING_FACTS.index(name), _U64)
            if name in ITEM_COLLECTIONS:
                bits.append(bit)  # an unknown quantifier: some item lacks a field it reads
            else:
                bits.append(pl.when(pl.col(_unrecorded(name))).then(bit).otherwise(0))
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


_DECODE_CHUNK = 1 << 15


def _check_names(
    decisions: pl.DataFrame, keys: list[str], names: list[tuple[str, int, str]]
) -> dict[str, dict[int, int]]:
    """Return, per mask column of ``keys``, each named bit's position -> its index in ``names``.

    Raise ValueError when a column has a bit set that has no name, or the names do not run
    column by column.
    """
    order = [keys.index(column) for column, _, _ in names]
    assert order == sorted(order), "names run column by column"
    positions: dict[str, dict[int, int]] = {}
    for key in keys:
        positions[key] = {p: n for n, (c, p, _) in enumerate(names) if c == key}
        unnamed = ~sum(1 << p for p in positions[key]) & (2**64 - 1)
        stray = (pl.col(key).cast(_U64) & pl.lit(unnamed, _U64)) != 0
        if unnamed and decisions.select(stray.any()).item():
            raise ValueError(f"{key} has a bit set that stands for nothing")
    return positions


def _bit_lists(
    decisions: pl.DataFrame, keys: list[str], names: list[tuple[str, int, str]], alias: str
) -> pl.Series:
    """Return per row the names of the bits set in the mask columns ``keys``, in order.

    ``names`` gives, in order, each bit's column, position in that column and name; the
    lists are of an ``Enum`` of the names. A bit without a name must not be set. Each mask
    word gives up its lowest set bit, whose position is the number of bits below it
    (``numpy.bitwise_count``), into its row's next slot, again for the words that still have
    bits set; so the work grows with the bits set rather than with the width of the masks.
    :func:`_bit_lists_unpacked` unpacks every bit instead.
    """
    import numpy as np
    import pyarrow as pa  # type: ignore[import-untyped]

    positions = _check_names(decisions, keys, names)
    labels = [name for _, _, name in names]
    kind = pl.Enum(labels)
    codes = _enum_codes(kind)
    label_of = {key: np.zeros(65, dtype=np.uint32) for key in keys}
    for key in keys:
        for p, index in positions[key].items():
            label_of[key][p] = index
    columns = [decisions[key].cast(_U64).fill_null(0).to_numpy() for key in keys]
    one = np.uint64(1)
    chunks: list[pa.Array] = []
    # A chunk of rows at a time, so that the arrays worked on stay small.
    for start in range(0, max(len(decisions), 1), _DECODE_CHUNK):
        words = [c[start : start + _DECODE_CHUNK].astype(np.uint64) for c in columns]
        counts = sum((np.bitwise_count(w).astype(np.int64) for w in words), np.int64(0))
        offsets = np.zeros(len(words[0]) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        which = np.zeros(int(offsets[-1]), dtype=np.uint32)
        at = offsets[:-1].copy()  # where each row's next name goes
        for key, word in zip(keys, words, strict=True):
            active = word != 0
            rest, slot = word[active], at[active]
            at += np.bitwise_count(word)
            while len(rest):
                lowest = rest & (~rest + one)
                which[slot] = label_of[key][np.bitwise_count(lowest - one)]
                rest ^= lowest
                slot += 1
                left = rest != 0
                rest, slot = rest[left], slot[left]
        if codes is not None:  # the names as the Enum's own codes
            values = pa.array(which.astype(codes))
        else:  # as an Arrow dictionary of the labels, which the cast to the Enum maps once
            values = pa.DictionaryArray.from_arrays(
                pa.array(which), pa.array(labels, pa.large_string())
            )
        chunks.append(pa.LargeListArray.from_arrays(pa.array(offsets), values))
    lists = pl.Series(alias, pa.chunked_array(chunks))
    if codes is not None:
        lists = lists.list.eval(pl.element().cat.to(kind))
    return lists.cast(pl.List(kind)).slice(0, len(decisions)).alias(alias)


def _enum_codes(kind: pl.Enum) -> Any:
    """Return the numpy type of ``kind``'s codes, or ``None`` where polars cannot make an
    ``Enum`` from its codes (``cat.to``, polars 2)."""
    empty = pl.Series([], dtype=kind)
    if not hasattr(empty.cat, "to"):
        return None
    return empty.cat.physical().to_numpy().dtype


def _bit_lists_unpacked(
    decisions: pl.DataFrame, keys: list[str], names: list[tuple[str, int, str]], alias: str
) -> pl.Series:
    """Return :func:`_bit_lists` by unpacking every bit of the masks.

    The reference :func:`_bit_lists` is tested against. A chunk of rows at a time, the bytes
    of each mask word that hold named bits are unpacked into bits (``numpy.unpackbits``), and
    the list offsets and values read off the set bits.
    """
    import numpy as np
    import pyarrow as pa

    order = [keys.index(column) for column, _, _ in names]
    assert order == sorted(order), "names run column by column"
    labels = [name for _, _, name in names]
    kind = pl.Enum(labels)
    text = pl.Series(labels, dtype=kind)
    words: dict[str, np.ndarray[Any, Any]] = {}
    widths: dict[str, int] = {}
    label_of: list[int] = []
    for key in keys:
        positions = {p: n for n, (c, p, _) in enumerate(names) if c == key}
        unnamed = ~sum(1 << p for p in positions) & (2**64 - 1)
        column = decisions[key].cast(_U64)
        stray = (pl.col(key).cast(_U64) & pl.lit(unnamed, _U64)) != 0
        if unnamed and decisions.select(stray.any()).item():
            raise ValueError(f"{key} has a bit set that stands for nothing")
        words[key] = np.ascontiguousarray(column.fill_null(0).to_numpy(), dtype="<u8")
        widths[key] = max(positions, default=-1) // 8 + 1
        label_of.extend(positions.get(p, 0) for p in range(8 * widths[key]))
    index = np.array(label_of, dtype=np.uint32)
    chunks = []
    for start in range(0, max(len(decisions), 1), _DECODE_CHUNK):
        blocks = []
        for key in keys:
            word = words[key][start : start + _DECODE_CHUNK]
            raw = word.view(np.uint8).reshape(-1, 8)[:, : widths[key]]
            blocks.append(np.unpackbits(raw, axis=1, bitorder="little"))
        bits = np.concatenate(blocks, axis=1) if len(blocks) > 1 else blocks[0]
        which = index[np.flatnonzero(bits) % bits.shape[1]] if bits.shape[1] else index[:0]
        offsets = np.zeros(len(bits) + 1, dtype=np.int32)
        np.cumsum(bits.sum(axis=1, dtype=np.int32), out=offsets[1:])
        values = text.gather(pl.Series(which, dtype=pl.UInt32())).to_arrow()
        lists = pa.ListArray.from_arrays(pa.array(offsets), values)
        chunks.append(pl.Series(alias, lists).cast(pl.List(kind)))
    return pl.concat(chunks).slice(0, len(decisions)).alias(alias)


def _distinct_rows(
    words: np.ndarray[Any, Any],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Return the distinct rows of a matrix of words and each row's index among them.

    By hashing (a join of the rows on their distinct values); ``numpy.unique(words, axis=0,
    return_inverse=True)`` gives the same up to the order of the distinct rows.
    """
    import numpy as np

    frame = pl.DataFrame({f"w{n}": words[:, n] for n in range(words.shape[1])})
    distinct = frame.unique().with_row_index("_index")
    index = frame.join(distinct, on=frame.columns, how="left", maintain_order="left")
    rows = distinct.drop("_index").to_numpy().astype(np.uint64)
    rows = rows.reshape(len(distinct), words.shape[1])
    return rows, index["_index"].to_numpy()


def _area_key(area: frozenset[str] | None) -> tuple[int, list[str]]:
    return (0, []) if area is None else (1, sorted(area))


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


def _unrecorded(name: str) -> str:
    """Return the name of the column of :meth:`Kernel.results` saying fact ``name`` is null."""
    return f"unrecorded:{name}"


def _outside_lists(i: int, treated: frozenset[str]) -> pl.Expr:
    """Return whether local rule ``i``'s finding has sites (``s<i>``), all outside ``treated``."""
    sites = pl.col(f"s{i}")
    inside = sites.list.eval(pl.element().is_in(pl.lit(pl.Series(sorted(treated))).implode()))
    return sites.is_not_null() & ~inside.list.any()


def _rule_outcome(rule: Rule, i: int) -> tuple[pl.Expr, pl.Expr]:
    """Return rule ``i``'s result column and its outcome before clearances and areas.

    Unknown (null) is *insufficient data*, true the rule's outcome, false 0 (allowed).
    """
    result = pl.col(f"r{i}")
    outcome = (
        pl.when(result.is_null())
        .then(_INSUFFICIENT)
        .when(result)
        .then(int(rule.outcome))
        .otherwise(0)
    )
    return result, outcome
