"""The screening kernel on Spark local[2] gives the single-process run's decisions."""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest

import herniarules
from herniarules.screen import screen
from herniarules.screen._table import patients_to_table

EXAMPLES = Path(__file__).parent.parent / "examples" / "patients"
AS_OF = date(2026, 11, 27)

pytest.importorskip("pyspark")
if shutil.which("java") is None:  # .ci/run installs Java 17 where it is missing
    pytest.skip("Spark needs Java (java is not on PATH)", allow_module_level=True)


def test_spark_local_mode_gives_the_polars_decisions_and_refuses_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyspark.sql import SparkSession

    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter

    from herniarules.screen.spark import screen_spark

    patients = [herniarules.load_patient(p) for p in sorted(EXAMPLES.glob("*.json"))]
    table = patients_to_table(patients)
    bad = table.head(1).with_columns(
        pl.lit("BAD-1").alias("id"), pl.lit(-3, pl.Int64()).alias("age")
    )
    table = pl.concat([table, bad])
    table.write_parquet(tmp_path / "patients.parquet")
    expected = screen(table, as_of=AS_OF)
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "3")
        .getOrCreate()
    )
    try:
        frame = spark.read.parquet(str(tmp_path / "patients.parquet")).repartition(2)
        decided = screen_spark(frame, as_of=AS_OF).toArrow()
        # Batches of 3 rows, each screened alone: the same decisions and refused rows.
        alone = screen_spark(frame, as_of=AS_OF, batch_rows=2).toArrow()
        refused = screen_spark(frame, as_of=AS_OF, errors=True, batch_rows=2).toArrow()
    finally:
        spark.stop()
    got = pl.from_arrow(decided)
    assert isinstance(got, pl.DataFrame)
    want = expected.decisions.drop("__row").with_columns(
        pl.col("fired_mask", "missing_mask").reinterpret(signed=True)
    )
    key = ["patient_id", "technique"]
    assert got.sort(key).equals(want.select(got.columns).sort(key))
    one_by_one = pl.from_arrow(alone)
    assert isinstance(one_by_one, pl.DataFrame)
    assert one_by_one.sort(key).equals(got.sort(key))
    assert len(got) == len(patients) * len(expected.decisions["technique"].unique())
    errors = pl.from_arrow(refused)
    assert isinstance(errors, pl.DataFrame)
    assert errors["id"].to_list() == ["BAD-1"] and errors["path"].to_list() == ["age"]
    assert [e.path for e in expected.errors] == ["age"]
