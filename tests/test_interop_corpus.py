"""The interoperability corpus in ``tests/interop`` is the published data, byte for byte.

The FHIR and CDS Hooks tests read files written by HL7, SMART and Synthea, never data written
to pass. ``MANIFEST.tsv`` records each file's size and SHA-256 with where it comes from (see
the corpus README); this test proves the copy kept in the repository is that data.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "interop"


def test_every_corpus_file_matches_its_manifest_line() -> None:
    with (CORPUS / "MANIFEST.tsv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert len(rows) > 100
    for row in rows:
        data = (CORPUS / row["path"]).read_bytes()
        assert len(data) == int(row["bytes"]), row["path"]
        assert hashlib.sha256(data).hexdigest() == row["sha256"], row["path"]
    listed = {row["path"] for row in rows}
    present = {
        p.relative_to(CORPUS).as_posix()
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md")
    }
    assert present == listed  # nothing added beside the published files
