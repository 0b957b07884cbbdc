"""Population screening against the per-patient engine and a columnar floor, as ratios of one run.

Run from the repository root: ``.venv/bin/python benchmarks/screen.py [N] [--spark]`` (default
200,000 patients of :mod:`population`, distinct and seeded). Measured in one run on the same
population:

- the rule stage (``Kernel.decide`` over a prebuilt facts table) against a columnar floor: the
  same rules' compiled expressions over prebuilt fact columns and item counts, each rule
  evaluated once, each technique's verdict the largest outcome of its rules, nothing else (no
  clearances, sites, missing facts, masks or lists); the best of three runs of each;
- the whole screen from an in-memory Arrow patient table against the ``Engine.assess`` loop
  (timed on the first 20,000 patients; rates are per patient), and with the fired-rule and
  missing-fact lists, which are built when the decisions are first read;
- the reading floor: every child record of the patient table read once (each list exploded
  and counted per row, the conditions' codes joined to the code table), no fact derived; with
  the columnar floor, the least a screen from the table does, against the time a screen at
  100x the loop may take;
- from NDJSON on disk to a Parquet decisions file, against the per-patient pipeline
  (read the line, ``loads_patient``, ``assess``, write the assessment's JSON; first 20,000);
- with ``--spark``, the same kernel on Spark ``local[2]`` against the single-process run;
- the peak memory of a screen per million patients (resident set size of a child process,
  before and after) and the decisions file's size per patient.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import population

import herniarules
from herniarules.io import dumps, loads_patient, patient_to_dict
from herniarules.outcomes import Outcome
from herniarules.rules._polars import ENGINE, ROW
from herniarules.screen import _clearances, screen, write_decisions
from herniarules.screen._facts import _code_frame, derive_table
from herniarules.screen._kernel import Kernel
from herniarules.screen._table import patients_to_table

AS_OF = date(2026, 11, 27)
LOOP = 20_000


def _timed(function: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def floor(kernel: Kernel, prepared: pl.DataFrame) -> pl.DataFrame:
    """Return each technique's verdict from the compiled rules alone.

    Each rule's expression is evaluated once (a core rule decides every technique), then each
    technique's verdict is the largest outcome of its rules: two selects in one query.
    """
    exprs = kernel._exprs
    results = prepared.lazy().select(ROW, *(expr.alias(f"r{i}") for i, expr in exprs.items()))
    columns = []
    for plan in kernel.plans:
        outcomes = [
            pl.when(pl.col(f"r{i}").is_null())
            .then(int(Outcome.INSUFFICIENT_DATA))
            .when(pl.col(f"r{i}"))
            .then(int(kernel.rules[i].outcome))
            .otherwise(0)
            for i in plan.rules
            if i in exprs
        ]
        columns.append(pl.max_horizontal(outcomes).alias(plan.id))
    return results.select(ROW, *columns).collect(engine=ENGINE)


def reading_floor(frame: pl.DataFrame, codes: pl.DataFrame) -> pl.DataFrame:
    """Return per patient the count of each kind of child record, every record read once.

    The least any facts derivation from the patient table does: each list of child records
    exploded with its row and counted per row, the conditions' codes joined to the code
    table once, the per-row counts joined to the patient columns. No fact is derived.
    """
    rows = frame.lazy().with_row_index(ROW)
    parts = []
    for name in (
        "hernias",
        "conditions",
        "allergies",
        "medications",
        "massage_courses",
        "surgeries",
        "clearances",
        "indications",
    ):
        items = rows.select(ROW, name).explode(name)
        if name == "conditions":
            key = pl.col(name).struct.field("code").str.replace(".", "", literal=True)
            items = items.with_columns(key=key.str.to_uppercase()).join(
                codes.lazy().select("key", "known"), on="key", how="left"
            )
        parts.append(items.group_by(ROW).agg(pl.col(name).count().alias(name)))
    query = rows.select(ROW, "id", "age", "vitals")
    for part in parts:
        query = query.join(part, on=ROW, how="left")
    return query.collect(engine=ENGINE)


def _prepared(kernel: Kernel, facts: pl.DataFrame) -> pl.DataFrame:
    """Return the facts with the item counts the compiled rules read, as the kernel adds them."""
    return facts.with_columns(kernel.compiler.item_counts())


def _screen_memory(parquet: Path) -> tuple[int, int]:
    """Return a child's resident set before a screen of ``parquet`` and its peak during it (KiB).

    The child reads the table and screens 100 rows first (imports, code tables, compilation),
    then resets the kernel's peak-RSS mark (``/proc/self/clear_refs``) before the screen.
    """
    code = (
        "import datetime, polars as pl, herniarules\n"
        "from herniarules.screen import screen\n"
        "def status(key):\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith(key):\n"
        "            return int(line.split()[1])\n"
        f"table = pl.read_parquet({str(parquet)!r}); engine = herniarules.Engine()\n"
        "day = datetime.date(2026, 11, 27)\n"
        "screen(table[:100], as_of=day, engine=engine)\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "before = status('VmRSS:')\n"
        "result = screen(table, as_of=day, engine=engine)\n"
        "print(before, status('VmHWM:'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, peak = out.stdout.split()
    return int(before), int(peak)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 200_000
    loop_n = min(n, LOOP)
    patients = population.patients(n)
    engine = herniarules.Engine()
    table = patients_to_table(patients).to_arrow()
    screen(pl.from_arrow(table)[:100], as_of=AS_OF, engine=engine)  # type: ignore[index]

    loop, _ = _timed(lambda: [engine.assess(p, as_of=AS_OF) for p in patients[:loop_n]])
    whole, result = _timed(screen, table, as_of=AS_OF, engine=engine)
    lists, _ = _timed(lambda: result.decisions)  # built when first asked for
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    derive, (facts, _) = _timed(derive_table, frame, AS_OF, engine.terminology)
    kernel = Kernel(engine)
    clearances = _clearances(frame, [p.id for p in kernel.plans], AS_OF)
    # The rule stage and its floor are short (well under a second each): the best of three
    # runs of each, taken in turn, so that a burst of other work on the machine does not
    # decide the ratio.
    prepared = _prepared(kernel, facts)
    rule_runs, floor_runs = [], []
    for _ in range(3):
        rule_runs.append(_timed(kernel.decide, facts, clearances)[0])
        floor_runs.append(_timed(floor, kernel, prepared)[0])
    rules, floor_time = min(rule_runs), min(floor_runs)
    codes = _code_frame(engine.terminology)
    reading = min(_timed(reading_floor, frame, codes)[0] for _ in range(3))

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "patients.ndjson"
        with source.open("w") as out:
            for p in patients:
                out.write(json.dumps(patient_to_dict(p)) + "\n")
        first = Path(tmp) / "first.ndjson"
        with source.open() as src, first.open("w") as dst:
            for _ in range(loop_n):
                dst.write(src.readline())

        def pipeline() -> None:
            with first.open("rb") as lines, (Path(tmp) / "out.ndjson").open("w") as out:
                for line in lines:
                    out.write(dumps(engine.assess(loads_patient(line), as_of=AS_OF)) + "\n")

        per_patient, _ = _timed(pipeline)
        decisions = Path(tmp) / "decisions.parquet"

        def columnar() -> None:
            write_decisions(screen(source, as_of=AS_OF, engine=engine), decisions)

        end_to_end, _ = _timed(columnar)
        size = decisions.stat().st_size
        json_size = (Path(tmp) / "out.ndjson").stat().st_size
        parquet = Path(tmp) / "patients.parquet"
        frame.write_parquet(parquet)
        before, after = _screen_memory(parquet)
        spark_line = ""
        if "--spark" in sys.argv:
            from pyspark.sql import SparkSession

            from herniarules.screen.spark import screen_spark

            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            spark = SparkSession.builder.master("local[2]").getOrCreate()
            patients_df = spark.read.parquet(str(parquet)).repartition(2)
            screen_spark(patients_df.limit(100), as_of=AS_OF).count()  # warm: workers, engines
            spark_time, _ = _timed(lambda: screen_spark(patients_df, as_of=AS_OF).count())
            single, _ = _timed(screen, pl.read_parquet(parquet), as_of=AS_OF, engine=engine)
            spark_line = (
                f"Spark local[2] (Parquet)   {n / spark_time:>12,.0f} patients/s   "
                f"{single / spark_time:6.2f}x the single-process run from Parquet "
                f"({n / single:,.0f}/s)\n"
            )
            spark.stop()

    techniques = len(kernel.plans)
    print(f"{n:,} patients, {techniques} techniques, {len(kernel.rule_ids)} rule bits")
    print(f"assess loop ({loop_n:,})         {loop_n / loop:>12,.0f} patients/s")
    print(
        f"screen (Arrow table)       {n / whole:>12,.0f} patients/s   "
        f"{(n / whole) / (loop_n / loop):6.1f}x the loop"
    )
    print(
        f"  and its decisions' lists {n / (whole + lists):>12,.0f} patients/s   "
        f"{(n / (whole + lists)) / (loop_n / loop):6.1f}x the loop"
    )
    print(f"  facts derivation         {n / derive:>12,.0f} patients/s")
    print(
        f"  rule stage (decide)      {n / rules:>12,.0f} patients/s   "
        f"{rules / floor_time:6.2f}x the floor's time"
    )
    print(f"  columnar floor           {n / floor_time:>12,.0f} patients/s")
    budget = n / (100 * loop_n / loop)
    print(f"  reading floor            {n / reading:>12,.0f} patients/s")
    print(
        f"  100x the loop is a screen of {budget:.3f} s; the reading floor and the columnar "
        f"floor alone take {reading + floor_time:.3f} s ({(reading + floor_time) / budget:.0%})"
    )
    print(f"NDJSON pipeline ({loop_n:,})     {loop_n / per_patient:>12,.0f} patients/s")
    print(
        f"screen NDJSON->Parquet     {n / end_to_end:>12,.0f} patients/s   "
        f"{(n / end_to_end) / (loop_n / per_patient):6.1f}x the pipeline"
    )
    print(spark_line, end="")
    print(
        f"peak memory of a screen     {(after - before) * 1024 / n * 1e6 / 2**20:>11,.0f} MiB "
        f"per million patients (a child's RSS {before // 1024:,} MiB before the screen, "
        f"peak {after // 1024:,} MiB during it)"
    )
    print(
        f"decisions file             {size / n:>12,.1f} bytes/patient "
        f"(assessment JSON: {json_size / loop_n:,.0f})"
    )
    print(f"decision rows              {len(result.decisions):>12,}")


if __name__ == "__main__":
    main()
