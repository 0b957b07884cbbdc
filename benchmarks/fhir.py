"""FHIR Bundle text -> assessment JSON, against herniarules JSON text -> assessment JSON.

The patient is US Core's ``Patient/example`` with every US Core 9.0.0 example about her in the
shared corpus (conditions, vital signs, pregnancy status, allergies, medication requests,
encounters...), as one ``collection`` Bundle: a US Core-sized record. The herniarules-JSON path
reads the same patient (the one the FHIR path gives, written with ``patient_to_dict``). Both
paths end in the same ``json.dumps(assessment_to_dict(...))``, with the eight benchmark
plugins, on the same day. Reported: the median of per-round ratios, FHIR time ÷ JSON time, in
one run; target ≤ 2.5×.

    .venv/bin/python benchmarks/fhir.py [--rounds N] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from techniques import plugins

from herniarules import Engine, loads_patient
from herniarules.fhir import from_bundle
from herniarules.io import assessment_to_dict, patient_to_dict

ROOT = Path(__file__).resolve().parents[1]
US_CORE = ROOT / "tests" / "interop" / "fhir-r4" / "us-core"
AS_OF = date(2022, 8, 25)
TARGET = 2.5


def us_core_bundle() -> dict[str, Any]:
    """Return Patient/example and every US Core example about her as a collection Bundle."""
    entries = []
    for path in sorted(US_CORE.glob("*.json")):
        resource = json.loads(path.read_text(encoding="utf-8"))
        kind = resource["resourceType"]
        if kind == "Patient" and resource["id"] != "example":
            continue
        if kind == "Bundle":
            entries.extend({"resource": e["resource"]} for e in resource.get("entry", []))
        else:
            entries.append({"resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def per_call(work: Callable[[], object], repeats: int) -> float:
    started = time.perf_counter()
    for _ in range(repeats):
        work()
    return (time.perf_counter() - started) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    engine = Engine(entry_points=False, plugins=plugins())
    fhir_text = json.dumps(us_core_bundle())
    record = from_bundle(json.loads(fhir_text), as_of=AS_OF)
    json_text = json.dumps(patient_to_dict(record.patient))

    def fhir_path() -> str:
        got = from_bundle(json.loads(fhir_text), as_of=AS_OF)
        return json.dumps(assessment_to_dict(engine.assess(got.patient, as_of=AS_OF)))

    def json_path() -> str:
        patient = loads_patient(json_text)
        return json.dumps(assessment_to_dict(engine.assess(patient, as_of=AS_OF)))

    def read_only() -> object:
        return from_bundle(json.loads(fhir_text), as_of=AS_OF)

    assert fhir_path() == json_path(), "both paths must give the same assessment"
    ratios, fhir_times, json_times, read_times = [], [], [], []
    for number in range(args.rounds):
        first, second = (fhir_path, json_path) if number % 2 else (json_path, fhir_path)
        a, b = per_call(first, args.repeats), per_call(second, args.repeats)
        f, j = (a, b) if first is fhir_path else (b, a)
        fhir_times.append(f)
        json_times.append(j)
        read_times.append(per_call(read_only, args.repeats))
        ratios.append(f / j)
    ratio = statistics.median(ratios)
    print(
        f"bundle: {len(json.loads(fhir_text)['entry'])} resources, {len(fhir_text):,} bytes; "
        f"herniarules JSON: {len(json_text):,} bytes"
    )
    print(f"FHIR Bundle text -> assessment JSON   {statistics.median(fhir_times) * 1e6:8.1f} µs")
    print(f"  of which: json.loads + from_bundle  {statistics.median(read_times) * 1e6:8.1f} µs")
    print(f"JSON text -> assessment JSON          {statistics.median(json_times) * 1e6:8.1f} µs")
    verdict = "meets" if ratio <= TARGET else "misses"
    print(
        f"FHIR ÷ JSON (median of {args.rounds} rounds)       {ratio:8.2f}×  ({verdict} ≤ {TARGET}×)"
    )


if __name__ == "__main__":
    main()
