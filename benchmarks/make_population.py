"""Write a population file of distinct generated patients for ``herniarules screen``.

``.venv/bin/python benchmarks/make_population.py 1000000 patients.parquet`` writes the first
million patients of :func:`population.stream` (seeded, so always the same ones) as Parquet with
the columns of :data:`herniarules.screen.PATIENT_SCHEMA`, or as NDJSON of patient JSON records
when the name ends in ``.ndjson``. Patients are generated and written in chunks, so memory
stays flat however many are asked for.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import population

from herniarules.io import patient_to_dict
from herniarules.screen._table import patients_to_table

CHUNK = 50_000


def main() -> None:
    count, path = int(sys.argv[1]), Path(sys.argv[2])
    patients = population.stream(count)
    if path.suffix == ".ndjson":
        with path.open("w", encoding="utf-8") as out:
            for patient in patients:
                out.write(json.dumps(patient_to_dict(patient)) + "\n")
        return
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    writer = None
    while chunk := list(itertools.islice(patients, CHUNK)):
        table = patients_to_table(chunk).to_arrow()
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


if __name__ == "__main__":
    main()
