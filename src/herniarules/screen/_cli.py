"""``herniarules screen``: screen a population file, write decisions, errors and a summary."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Collection
from pathlib import Path
from typing import TextIO

from herniarules.engine import Engine
from herniarules.errors import InputError
from herniarules.screen import (
    ScreenError,
    compare,
    compare_summary,
    load_policy,
    screen,
    write_decisions,
    write_errors,
)
from herniarules.screen._report import write_report

__all__ = ["run_screen"]


def _progress(err: TextIO, text: str) -> None:
    if err.isatty():
        err.write(f"\r{text}")
    else:
        err.write(f"{text}\n")


def run_screen(
    args: argparse.Namespace, allow: Collection[str] | None, out: TextIO, err: TextIO
) -> int:
    """Run ``herniarules screen``; return the exit status (2 on invalid input)."""
    started = time.perf_counter()
    if args.engine == "spark":
        try:
            return _run_spark(args, allow, out, err)
        except (InputError, ScreenError, OSError) as exc:
            err.write(f"error: {exc}\n")
            return 2
    try:
        policy = load_policy(args.policy) if args.policy else None
        engine = Engine(allow=allow) if policy is None else Engine(allow=allow, policy=policy)
        _progress(err, f"screening {args.input} ...")
        result = screen(args.input, as_of=args.as_of, techniques=args.technique, engine=engine)
        write_decisions(result, args.out)
        errors = args.errors or str(Path(args.out).with_suffix(".errors.csv"))
        write_errors(result, errors)
        if args.report:
            write_report(result, args.report)
        out.write(result.summary() + "\n")
        out.write(f"decisions: {args.out}; refused rows: {errors}\n")
        if args.compare:
            if policy is None:
                err.write("error: --compare needs --policy\n")
                return 2
            _progress(err, "screening again with the default policy ...")
            before = screen(
                args.input, as_of=args.as_of, techniques=args.technique, engine=Engine(allow=allow)
            )
            out.write(f"policy {args.policy} against the default:\n")
            out.write(compare_summary(compare(before, result)) + "\n")
    except (InputError, ScreenError, OSError) as exc:
        err.write(f"error: {exc}\n")
        return 2
    elapsed = time.perf_counter() - started
    _progress(
        err, f"done in {elapsed:.1f} s ({result.patients / max(elapsed, 1e-9):,.0f} patients/s)"
    )
    if err is sys.stderr and err.isatty():
        err.write("\n")
    return 0


def _run_spark(
    args: argparse.Namespace, allow: Collection[str] | None, out: TextIO, err: TextIO
) -> int:
    """Screen a Parquet file on Spark (the session ``spark-submit`` or the default gives)."""
    if args.compare or args.report:
        err.write("error: --compare and --report run with --engine polars only\n")
        return 2
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as fn

    from herniarules.safety import DEFAULT_POLICY
    from herniarules.screen.spark import screen_spark

    policy = load_policy(args.policy) if args.policy else DEFAULT_POLICY
    # Run locally, the workers use this interpreter, which has herniarules; spark-submit on a
    # cluster sets its own.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = SparkSession.builder.appName("herniarules screen").getOrCreate()
    patients = spark.read.parquet(args.input)
    options: dict[str, object] = {
        "as_of": args.as_of,
        "techniques": args.technique,
        "allow": allow,
        "policy": policy,
    }
    _progress(err, f"screening {args.input} on Spark ({spark.sparkContext.master}) ...")
    screen_spark(patients, **options).write.mode("overwrite").parquet(args.out)  # type: ignore[arg-type]
    errors = args.errors or str(Path(args.out).with_suffix(".errors"))
    refused = screen_spark(patients, errors=True, **options)  # type: ignore[arg-type]
    refused.write.mode("overwrite").option("header", True).csv(errors)
    decisions = spark.read.parquet(args.out)
    out.write(f"decisions: {args.out}; refused rows: {errors}\n")
    for technique, verdict, n in (
        decisions.groupBy("technique", "verdict").count().orderBy("technique", "verdict").collect()
    ):
        out.write(f"  {technique:<16} {verdict:<28} {n}\n")
    out.write("rules that block most (decisions not permitted in which they fired):\n")
    blocking = (
        decisions.filter(~fn.col("permitted"))
        .select(fn.explode("fired_rules").alias("rule"))
        .groupBy("rule")
        .count()
        .orderBy(fn.desc("count"), "rule")
        .limit(10)
        .collect()
    )
    out.write("".join(f"  {rule}: {n}\n" for rule, n in blocking))
    problems = spark.read.option("header", True).csv(errors).count()
    out.write(f"problems in refused rows: {problems}\n")
    return 0
