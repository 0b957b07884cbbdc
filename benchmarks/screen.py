"""Population screening against the per-patient engine, as ratios measured in one run.

Run from the repository root: ``.venv/bin/python benchmarks/screen.py [N]`` (default 20 000
patients of :mod:`population`, distinct and seeded). Measured on the same population:

- the whole screen from an in-memory patient table against the ``Engine.assess`` loop;
- from NDJSON on disk to a Parquet decisions file, against the per-patient pipeline
  (read the line, ``loads_patient``, ``assess``, write the assessment's JSON);
- the rule stage alone (rules and verdicts over a prebuilt facts table) against the facts
  derivation, to show where the time goes;
- the decisions file's size per patient.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import population

import herniarules
from herniarules.io import dumps, loads_patient, patient_to_dict
from herniarules.screen import screen, write_decisions
from herniarules.screen._facts import derive_table
from herniarules.screen._kernel import Kernel
from herniarules.screen._table import patients_to_table

AS_OF = date(2026, 11, 27)


def _timed(function, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    patients = list(population.patients(n))
    engine = herniarules.Engine()
    table = patients_to_table(patients)
    screen(table[:100], as_of=AS_OF, engine=engine)  # warm up: imports, compilation

    loop, _ = _timed(lambda: [engine.assess(p, as_of=AS_OF) for p in patients])
    whole, result = _timed(screen, table, as_of=AS_OF, engine=engine)
    derive, (facts, _) = _timed(derive_table, table, AS_OF, engine.terminology)
    kernel = Kernel(engine)
    clearances = __import__("herniarules.screen", fromlist=["_clearances"])._clearances(
        table, [p.id for p in kernel.plans], AS_OF
    )
    rules, _ = _timed(kernel.decide, facts, clearances)

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "patients.ndjson"
        source.write_text("".join(json.dumps(patient_to_dict(p)) + "\n" for p in patients))

        def pipeline() -> None:
            with source.open("rb") as lines, (Path(tmp) / "out.ndjson").open("w") as out:
                for line in lines:
                    out.write(dumps(engine.assess(loads_patient(line), as_of=AS_OF)) + "\n")

        per_patient, _ = _timed(pipeline)
        decisions = Path(tmp) / "decisions.parquet"

        def columnar() -> None:
            write_decisions(screen(source, as_of=AS_OF, engine=engine), decisions)

        end_to_end, _ = _timed(columnar)
        size = decisions.stat().st_size
        json_size = (Path(tmp) / "out.ndjson").stat().st_size

    print(f"{n} patients, {len(kernel.plans)} techniques, {len(kernel.rule_ids)} rule bits")
    print(f"assess loop            {n / loop:>12,.0f} patients/s")
    print(f"screen (table)         {n / whole:>12,.0f} patients/s   {loop / whole:6.1f}x the loop")
    print(f"  facts derivation     {n / derive:>12,.0f} patients/s")
    print(f"  rules and verdicts   {n / rules:>12,.0f} patients/s")
    print(f"NDJSON pipeline        {n / per_patient:>12,.0f} patients/s")
    print(
        f"screen NDJSON->parquet {n / end_to_end:>12,.0f} patients/s   "
        f"{per_patient / end_to_end:6.1f}x the pipeline"
    )
    print(f"decisions file         {size / n:>12,.0f} bytes/patient (JSON: {json_size / n:,.0f})")
    print(f"result rows            {len(result.decisions):>12,}")


if __name__ == "__main__":
    main()
