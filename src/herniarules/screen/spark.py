"""Population screening on Apache Spark: the same kernel on every partition, through ``mapInArrow``.

:func:`screen_spark` takes a Spark DataFrame of patients (the columns of
:data:`~herniarules.screen.PATIENT_SCHEMA`, as a Parquet file written by polars or by
``herniarules screen`` holds them) and returns a Spark DataFrame of decisions with the columns
of :func:`herniarules.screen.screen`'s, computed by :func:`~herniarules.screen.screen` itself on
each Arrow batch: the verdicts and fired rules are those of the single-process run, row for row.
Spark has no unsigned integers, so the mask columns are ``long`` holding the same 64 bits.

Spark hands a partition to Python in Arrow batches of
``spark.sql.execution.arrow.maxRecordsPerBatch`` rows (10,000 by default). A screen has a fixed
cost per table (its queries planned, the code table joined, the lists built), so consecutive
batches are screened together, up to ``batch_rows`` rows or :data:`GROUP_BYTES` bytes of
patient data: a screen of 10,000 rows costs about twice as much per patient as one of 50,000.

Each Python worker builds its :class:`~herniarules.Engine` once, from the same ``allow`` list
and policy as the driver's; the plugins must be installed on the workers. Install the
``spark`` extra (pyspark); nothing else in herniarules imports pyspark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from herniarules.engine import Engine
from herniarules.safety import DEFAULT_POLICY, Policy

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa  # type: ignore[import-untyped]
    from pyspark.sql import DataFrame

__all__ = ["ERROR_COLUMNS", "GROUP_BYTES", "screen_spark"]

#: The columns of the refused rows :func:`screen_spark` gives with ``errors=True``.
ERROR_COLUMNS = ("id", "path", "message")

#: The most patient data (Arrow bytes) a worker screens in one table, whatever ``batch_rows``.
GROUP_BYTES = 256 * 2**20

_ENGINES: dict[tuple[Any, ...], Engine] = {}


def _engine(allow: Collection[str] | None, policy: Policy) -> Engine:
    """Return this worker's engine for ``allow`` and ``policy`` (one per pair; a few at most)."""
    key = (None if allow is None else tuple(sorted(allow)), repr(policy))
    engine = _ENGINES.get(key)
    if engine is None:
        if len(_ENGINES) >= 4:
            _ENGINES.clear()
        engine = _ENGINES[key] = Engine(allow=allow, policy=policy)
    return engine


def _spark_schema(mask_columns: Sequence[str], errors: bool) -> str:
    if errors:
        return "id string, path string, message string"
    masks = ", ".join(f"{name} long" for name in mask_columns)
    return (
        "patient_id string, technique string, verdict string, permitted boolean, "
        f"{masks}, missing_mask long, fired_rules array<string>, missing array<string>"
    )


def _grouped(
    batches: Iterator[pa.RecordBatch], rows: int, size: int = GROUP_BYTES
) -> Iterator[pa.Table]:
    """Yield ``batches`` in order as tables of consecutive batches.

    A table is closed once it holds ``rows`` rows or ``size`` bytes or more; the last one may
    hold fewer. Empty batches are dropped.
    """
    import pyarrow as pa

    held: list[pa.RecordBatch] = []
    count = nbytes = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        held.append(batch)
        count += batch.num_rows
        nbytes += batch.nbytes
        if count >= rows or nbytes >= size:
            yield pa.Table.from_batches(held)
            held, count, nbytes = [], 0, 0
    if held:
        yield pa.Table.from_batches(held)


def _decide_batches(
    batches: Iterator[pa.RecordBatch],
    as_of: dt.date,
    techniques: Sequence[str] | None,
    allow: Collection[str] | None,
    policy: Policy,
    mask_columns: Sequence[str],
    errors: bool,
    batch_rows: int,
) -> Iterator[pa.RecordBatch]:
    """Screen the Arrow batches, ``batch_rows`` rows together or more (:func:`_grouped`);
    yield their decisions (or their refused rows) as Arrow batches."""
    from herniarules.screen import screen

    engine = _engine(allow, policy)
    for group in _grouped(batches, batch_rows):
        table = pl.from_arrow(group)
        assert isinstance(table, pl.DataFrame)
        result = screen(table, as_of=as_of, techniques=techniques, engine=engine)
        if errors:
            ids = table["id"].to_list() if "id" in table.columns else [None] * len(table)
            out = pl.DataFrame(
                {
                    "id": [ids[e.row] for e in result.errors],
                    "path": [e.path for e in result.errors],
                    "message": [e.message for e in result.errors],
                },
                schema={"id": pl.String(), "path": pl.String(), "message": pl.String()},
            )
        else:
            signed = [pl.col(name).reinterpret(signed=True) for name in mask_columns]
            out = result.decisions.select(
                "patient_id",
                "technique",
                "verdict",
                "permitted",
                *signed,
                pl.col("missing_mask").reinterpret(signed=True),
                pl.col("fired_rules").cast(pl.List(pl.String())),
                pl.col("missing").cast(pl.List(pl.String())),
            )
        yield from _spark_arrow(out.to_arrow()).to_batches()


def _spark_arrow(table: pa.Table) -> pa.Table:
    """Return ``table`` with the Arrow types Spark reads: 32-bit offsets for lists and text."""
    import pyarrow as pa

    def plain(kind: pa.DataType) -> pa.DataType:
        if pa.types.is_large_list(kind) or pa.types.is_list(kind):
            return pa.list_(plain(kind.value_type))
        if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            return pa.string()
        return kind

    schema = pa.schema([pa.field(f.name, plain(f.type)) for f in table.schema])
    return table.cast(schema)


def screen_spark(
    patients: DataFrame,
    *,
    as_of: dt.date | None = None,
    techniques: Sequence[str] | None = None,
    allow: Collection[str] | None = None,
    policy: Policy = DEFAULT_POLICY,
    errors: bool = False,
    batch_rows: int = 100_000,
) -> DataFrame:
    """Return the decisions of every patient of a Spark DataFrame, one row per technique.

    :param patients: a Spark DataFrame with the columns of
        :data:`~herniarules.screen.PATIENT_SCHEMA` (``spark.read.parquet(...)``).
    :param as_of: the assessment date of every patient (default today, on the driver).
    :param techniques: the technique ids to decide (default: every technique).
    :param allow: the plugin names the engines may load (default: every installed plugin).
    :param policy: the clinic policy (only stricter than the default).
    :param errors: return the refused rows (``id``, ``path``, ``message``) instead.
    :param batch_rows: the rows of a partition a worker screens together: consecutive Arrow
        batches are joined until they hold this many rows (or :data:`GROUP_BYTES` bytes).
    :raises ValueError: if ``batch_rows`` is not a positive integer.
    """
    from herniarules.screen._kernel import Kernel

    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise ValueError(f"batch_rows: must be a positive integer, got {batch_rows!r}")

    day = as_of or dt.date.today()
    kernel = Kernel(Engine(allow=allow, policy=policy), techniques)  # checks the names now
    masks = kernel.mask_columns
    wanted = None if techniques is None else tuple(techniques)
    allowed = None if allow is None else tuple(allow)

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        return _decide_batches(batches, day, wanted, allowed, policy, masks, errors, batch_rows)

    return patients.mapInArrow(run, _spark_schema(masks, errors))
