"""Memory over many distinct inputs: it must stay flat once the process is warm.

Two runs in one process, each over inputs that never repeat:

- **patients**: ``Engine(entry_points=False, plugins=techniques.plugins()).assess`` over
  ``--patients`` distinct generated patients (default 1,000,000), streamed from
  ``population.stream`` one at a time, so the run itself holds one patient;
- **rejected records**: ``herniarules.loads_patient`` over ``--rejected`` distinct invalid
  patient JSON texts (default 100,000), each raising ``herniarules.InputError``, which is
  caught; the texts are made one at a time, each with its own defect and its own values.

Memory is read after ``gc.collect()`` as the resident set size (``/proc/self/statm``) and as
``sys.getallocatedblocks()`` (the blocks Python's allocator holds), at the end of a warm-up
(a tenth of the run by default) and at every tenth of the run. The result is the ratio of the
end to the warm-up; "flat" is within ±10 % for both. ``tracemalloc`` stays off: it slows the
run several times and changes the allocation pattern. The estimated bytes held by the SDK's
bounded caches (``herniarules.bounded.total_bytes()``) are recorded beside them.

Run ``make bench-memory`` (or ``.venv/bin/python benchmarks/memory.py``); ``--patients`` and
``--rejected`` set the sizes for a quick run. Results go to ``benchmarks/memory.json``;
``--readme`` also rewrites the memory numbers in ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import population  # noqa: E402
import techniques  # noqa: E402

import herniarules  # noqa: E402
from herniarules import bounded  # noqa: E402

AS_OF = date(2026, 11, 27)
FLAT = 0.10
"""Largest relative change from the warm-up to the end that counts as flat."""
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    """Return this process's resident set size, from ``/proc/self/statm``."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE


def sample(done: int, started: float) -> dict[str, Any]:
    """Collect garbage, then return the memory readings after ``done`` inputs."""
    gc.collect()
    return {
        "inputs": done,
        "rss_bytes": rss_bytes(),
        "allocated_blocks": sys.getallocatedblocks(),
        "cache_bytes": bounded.total_bytes(),
        "seconds": time.perf_counter() - started,
    }


def run(
    name: str,
    inputs: Iterable[Any],
    count: int,
    warmup: int,
    call: Callable[[Any], object],
) -> dict[str, Any]:
    """Feed ``count`` inputs to ``call``, reading memory after ``warmup`` and every tenth."""
    marks = {warmup, count, *(count * k // 10 for k in range(1, 10))}
    marks = {mark for mark in marks if mark >= warmup}
    started = time.perf_counter()
    samples = [sample(0, started)]
    done = 0
    for item in inputs:
        call(item)
        done += 1
        if done in marks:
            samples.append(sample(done, started))
            print(
                f"{name}: {done:>9,}  rss {samples[-1]['rss_bytes'] / 2**20:8.1f} MiB  "
                f"blocks {samples[-1]['allocated_blocks']:>10,}  "
                f"caches {samples[-1]['cache_bytes'] / 2**20:6.2f} MiB  "
                f"{samples[-1]['seconds']:7.1f} s",
                flush=True,
            )
    assert done == count, f"{name}: {done} inputs, expected {count}"
    warm = next(s for s in samples if s["inputs"] == warmup)
    end = samples[-1]
    rss_ratio = end["rss_bytes"] / warm["rss_bytes"]
    blocks_ratio = end["allocated_blocks"] / warm["allocated_blocks"]
    return {
        "count": count,
        "warmup": warmup,
        "warm": warm,
        "end": end,
        "rss_ratio": rss_ratio,
        "blocks_ratio": blocks_ratio,
        "flat": abs(rss_ratio - 1) <= FLAT and abs(blocks_ratio - 1) <= FLAT,
        "samples": samples,
    }


# -- rejected records -------------------------------------------------------------------------
def _valid(number: int) -> dict[str, Any]:
    """Return a valid patient record as JSON data, different for every ``number``."""
    return {
        "id": f"R-{number:07d}",
        "age": 20 + number % 70,
        "sex": "female" if number % 2 else "male",
        "vitals": {
            "systolic_mmhg": 100 + number % 80,
            "diastolic_mmhg": 60 + number % 30,
            "temperature_c": 36.0 + (number % 20) / 10,
            "pain_score": number % 11,
        },
        "hernias": [
            {
                "region": "lumbar",
                "level": "L4-L5",
                "kind": "protrusion",
                "phase": "remission",
                "size_mm": 1.0 + (number % 130) / 10,
                "surgery_indicated": False,
            }
        ],
        "conditions": [{"status": "active", "code": "I10", "system": "icd-10"}],
        "medications": [{"name": "warfarin"}],
    }


def _defects(number: int) -> str:
    """Return an invalid patient JSON text; each ``number`` gives a text of its own."""
    data = _valid(number)
    kind = number % 10
    if kind == 0:  # a code that does not exist in its system (suggestions are looked up)
        data["conditions"][0]["code"] = f"U{number % 100:02d}.{number % 10}{number // 10 % 10}"
    elif kind == 1:  # a field the model does not know
        data[f"field_{number}"] = number
    elif kind == 2:  # out of range
        data["age"] = 200 + number
    elif kind == 3:  # wrong type
        data["vitals"]["pain_score"] = f"{number}"
    elif kind == 4:  # a word outside a vocabulary
        data["hernias"][0]["phase"] = f"phase-{number}"
    elif kind == 5:  # not a WHO ATC code
        data["medications"][0] = {"atc": f"Z{number}"}
    elif kind == 6:  # a clearance that ends before it starts
        data["clearances"] = [
            {
                "technique": f"technique-{number}",
                "physician": "Dr. A. Petrova",
                "date": "2026-11-01",
                "valid_until": "2026-10-01",
            }
        ]
    elif kind == 7:  # truncated text
        return json.dumps(data)[: 40 + number % 60]
    elif kind == 8:  # a key given twice
        text = json.dumps(data)
        return text[:-1] + f', "id": "R-{number:07d}-again"}}'
    else:  # several problems at once
        data["age"] = -number
        data["sex"] = f"sex-{number}"
        data["vitals"]["temperature_c"] = number
    return json.dumps(data)


def rejected(count: int) -> Iterator[str]:
    """Yield ``count`` distinct invalid patient texts, one at a time."""
    for number in range(count):
        yield _defects(number)


def reject(text: str) -> None:
    """Read ``text`` as a patient; it must raise ``InputError``, which is caught."""
    try:
        herniarules.loads_patient(text)
    except herniarules.InputError:
        return
    raise AssertionError(f"accepted an invalid record: {text[:80]}")


# -- main -------------------------------------------------------------------------------------
def _git_commit() -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return proc.stdout.strip()


def _line(name: str, result: dict[str, Any]) -> str:
    warm, end = result["warm"], result["end"]
    return (
        f"{name}: {result['count']:,} inputs, warm-up {result['warmup']:,}: "
        f"RSS {warm['rss_bytes'] / 2**20:.1f} → {end['rss_bytes'] / 2**20:.1f} MiB "
        f"({result['rss_ratio']:.3f}×), allocated blocks {warm['allocated_blocks']:,} → "
        f"{end['allocated_blocks']:,} ({result['blocks_ratio']:.3f}×), "
        f"{end['seconds']:.0f} s — " + ("PASS" if result["flat"] else "MISS") + " (flat ±10 %)"
    )


def write_readme(out: dict[str, Any]) -> None:
    """Replace the text between the memory markers of README.md with this run's numbers."""
    readme = HERE / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- memory:start -->", "<!-- memory:end -->"
    load = out["machine"]["load_average"]
    lines = [
        start,
        f"Commit {out['commit']}, Python {out['machine']['python']}, "
        f"{out['machine']['cpus']} CPUs, load average {load[0]:.1f} → {load[1]:.1f}.",
        "",
        "| Run | Inputs | Warm-up | RSS at warm-up → end | Allocated blocks | Time | Flat ±10 % |",
        "|---|---:|---:|---|---|---:|---|",
    ]
    for key, label in (
        ("patients", "engine.assess, distinct generated patients"),
        ("rejected", "loads_patient, distinct rejected records"),
    ):
        r = out[key]
        warm, last = r["warm"], r["end"]
        lines.append(
            f"| {label} | {r['count']:,} | {r['warmup']:,} | "
            f"{warm['rss_bytes'] / 2**20:.1f} → {last['rss_bytes'] / 2**20:.1f} MiB "
            f"({r['rss_ratio']:.3f}×) | {warm['allocated_blocks']:,} → "
            f"{last['allocated_blocks']:,} ({r['blocks_ratio']:.3f}×) | {last['seconds']:.0f} s | "
            + ("PASS" if r["flat"] else "MISS")
            + " |"
        )
    lines.append(end)
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    readme.write_text(head + "\n".join(lines) + tail, encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run both memory runs, print the readings and write ``benchmarks/memory.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000_000, help="distinct patients")
    parser.add_argument("--rejected", type=int, default=100_000, help="distinct invalid texts")
    parser.add_argument(
        "--warmup",
        type=float,
        default=0.1,
        help="share of each run before the first reading that counts (default 0.1)",
    )
    parser.add_argument("--no-write", action="store_true", help="do not write memory.json")
    parser.add_argument(
        "--readme", action="store_true", help="rewrite the memory numbers in benchmarks/README.md"
    )
    args = parser.parse_args(argv)
    if not 0 < args.warmup < 1 or args.patients < 10 or args.rejected < 10:
        parser.error("--warmup must be between 0 and 1, the counts at least 10")
    load_before = os.getloadavg()[0]
    engine = herniarules.Engine(entry_points=False, plugins=techniques.plugins())
    assert len(engine.techniques) == 8

    def assess(patient: herniarules.Patient) -> object:
        return engine.assess(patient, as_of=AS_OF)

    results: dict[str, Any] = {}
    count = args.patients
    results["patients"] = run(
        "patients", population.stream(count), count, int(count * args.warmup), assess
    )
    count = args.rejected
    results["rejected"] = run("rejected", rejected(count), count, int(count * args.warmup), reject)
    load_after = os.getloadavg()[0]
    print()
    print(_line("engine.assess, distinct generated patients", results["patients"]))
    print(_line("loads_patient, distinct rejected records", results["rejected"]))
    out = {
        "commit": _git_commit(),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average": [load_before, load_after],
        },
        "as_of": AS_OF.isoformat(),
        "seed": population.SEED,
        "flat_within": FLAT,
        **results,
    }
    if not args.no_write:
        (HERE / "memory.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if args.readme:
        write_readme(out)
    return 0 if all(result["flat"] for result in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
