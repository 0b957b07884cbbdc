"""Fuzz every input door for a number of minutes and print how many inputs were tried.

    .venv/bin/python fuzz/run_long.py --minutes 30

Three fuzzers take turns until the time is up: hypothesis-generated near-valid documents
through ``patient_from_dict``, hypothesis-generated JSON text through ``loads_patient`` and
(one batch in ten) through ``herniarules assess FILE``, and a byte-level mutator over the
example patients through ``loads_patient``. A violation (an exception other than InputError,
an exit status other than 0 or 2, one input taking more than two seconds) is printed with the
input and counted; the run carries on and exits 1 at the end if there was any.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from doors import try_cli, try_dict, try_text

from herniarules.testing.fuzzing import json_texts, mutate_bytes, patient_documents

ROOT = Path(__file__).resolve().parent.parent


def _hypothesis_batch(
    strategy: st.SearchStrategy[Any],
    door: Callable[[Any], str],
    size: int,
    counts: Counter[str],
    name: str,
) -> None:
    @settings(
        max_examples=size,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def batch(value: Any) -> None:
        counts[f"{name}:{door(value)}"] += 1

    batch()


def _mutation_batch(
    corpus: list[bytes], rng: random.Random, size: int, counts: Counter[str]
) -> None:
    for _ in range(size):
        data = mutate_bytes(rng.choice(corpus), rng)
        counts[f"bytes->loads_patient:{try_text(data)}"] += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    corpus = [p.read_bytes() for p in sorted((ROOT / "examples" / "patients").glob("*.json"))]
    deadline = time.monotonic() + args.minutes * 60
    counts: Counter[str] = Counter()
    violations = 0
    batches = 0
    last_report = time.monotonic()
    print(f"fuzzing for {args.minutes:g} min, seed {seed}", flush=True)
    while time.monotonic() < deadline:
        kind = batches % 10
        try:
            if kind in (0, 3, 6):
                _hypothesis_batch(patient_documents(), try_dict, 200, counts, "dict")
            elif kind in (1, 4, 7):
                _hypothesis_batch(json_texts(), try_text, 200, counts, "text")
            elif kind == 9:
                _hypothesis_batch(json_texts(), try_cli, 50, counts, "cli")
            else:
                _mutation_batch(corpus, rng, 2000, counts)
        except Exception:  # a DoorViolation, or hypothesis reporting one (e.g. as flaky)
            violations += 1
            print("VIOLATION", flush=True)
            traceback.print_exc(file=sys.stdout)
        batches += 1
        if time.monotonic() - last_report > 60:
            last_report = time.monotonic()
            print(
                f"{sum(counts.values())} inputs so far: {dict(sorted(counts.items()))}", flush=True
            )
    total = sum(counts.values())
    print(f"done: {total} inputs in {args.minutes:g} min, {violations} violations, seed {seed}")
    for key, value in sorted(counts.items()):
        print(f"  {key}: {value}")
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
