"""``herniarules assess --fhir FILE...``: assess the patients of FHIR R4 files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from herniarules import _json
from herniarules.engine import Engine
from herniarules.errors import InputError, Problem
from herniarules.fhir import (
    FhirError,
    FhirRecord,
    detected_issues,
    from_bundle,
    from_resources,
    guidance_response,
    read_ndjson,
)
from herniarules.io import assessment_to_dict
from herniarules.outcomes import Assessment

__all__ = ["MAX_FHIR_BYTES", "assess_files", "load_records"]

#: Largest FHIR JSON file read, in bytes: a patient's whole history can be several megabytes.
MAX_FHIR_BYTES = 64_000_000


def _read_json(path: Path) -> Any:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_FHIR_BYTES + 1)
    except OSError as exc:
        raise FhirError(
            [Problem("$", f"cannot read the file: {exc.strerror}")], str(path)
        ) from None
    if len(data) > MAX_FHIR_BYTES:
        raise FhirError([Problem("$", f"larger than {MAX_FHIR_BYTES} bytes")], str(path))
    try:
        return _json.parse_checked(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise FhirError([Problem("$", "not UTF-8 text")], str(path)) from None


def load_records(paths: Sequence[str], as_of: date) -> list[FhirRecord]:
    """Read every patient of FHIR files: JSON files one by one, NDJSON files together."""
    records: list[FhirRecord] = []
    ndjson = [Path(p) for p in paths if Path(p).suffix == ".ndjson"]
    for name in paths:
        path = Path(name)
        if path.suffix == ".ndjson":
            continue
        data = _read_json(path)
        try:
            if isinstance(data, dict) and data.get("resourceType") == "Bundle":
                patients = [
                    e["resource"]["id"]
                    for e in data.get("entry") or []
                    if isinstance(e, dict)
                    and isinstance(e.get("resource"), dict)
                    and e["resource"].get("resourceType") == "Patient"
                    and isinstance(e["resource"].get("id"), str)
                ]
                if len(patients) > 1:
                    records.extend(from_bundle(data, as_of=as_of, patient=p) for p in patients)
                else:
                    records.append(from_bundle(data, as_of=as_of))
            else:
                records.append(from_resources([data], as_of=as_of))
        except InputError as exc:
            raise exc.with_source(str(path)) from None
    if ndjson:
        try:
            records.extend(read_ndjson(ndjson, as_of=as_of))
        except InputError as exc:
            raise exc.with_source(", ".join(map(str, ndjson))) from None
    return records


def assess_files(
    engine: Engine,
    paths: Sequence[str],
    as_of: date | None,
    techniques: Sequence[str] | None,
    output: str,
    out: TextIO,
    verbose: bool = False,
) -> int:
    """Assess the patients of FHIR files and write the result; return the exit status."""
    from herniarules.cli import EXIT_OK, _text_assessment

    day = as_of or date.today()
    records = load_records(paths, day)
    pairs: list[tuple[FhirRecord, Assessment]] = [
        (r, engine.assess(r.patient, as_of=day, techniques=techniques)) for r in records
    ]
    if output == "fhir":
        entries = []
        for record, assessment in pairs:
            for resource in (
                guidance_response(assessment, record),
                *detected_issues(assessment, record),
            ):
                entries.append(
                    {
                        "fullUrl": f"urn:uuid:{_uuid(resource['id'])}",
                        "resource": resource,
                    }
                )
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}
        out.write(json.dumps(bundle, indent=2, ensure_ascii=False) + "\n")
    elif output in ("json", "jsonl"):
        # As for herniarules JSON: always an array (or JSON Lines), one entry per patient.
        data = [assessment_to_dict(a) for _, a in pairs]
        if output == "jsonl":
            out.writelines(json.dumps(d, ensure_ascii=False, sort_keys=True) + "\n" for d in data)
        else:
            out.write(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    else:
        indications = {t.id: tuple(t.indications) for t in engine.techniques}
        for record, assessment in pairs:
            _text_assessment(assessment, out, verbose, record.patient, indications)
            for note in record.unclassified:
                out.write(f"  unclassified: {note}\n")
            if record.unclassified:
                out.write("\n")
    return EXIT_OK


def _uuid(hexdigits: str) -> str:
    h = (hexdigits + "0" * 32)[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
