"""``herniarules screen``: screen a population file, write decisions, errors and a summary."""

from __future__ import annotations

import argparse
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
