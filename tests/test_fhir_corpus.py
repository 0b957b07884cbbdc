"""The whole shared FHIR corpus maps: no crash, and every relevant resource is accounted for.

One test per folder of ``tests/interop/fhir-r4``. A resource of a type the mapping reads
about the patient (Condition, Observation, AllergyIntolerance, MedicationRequest,
MedicationStatement, Procedure) must end up in the record's provenance (it gave a value), in
``unclassified`` (it could not be classified and blocks what depends on it), in ``ignored``
(with the reason it was left out), or, for an Observation of a code the mapping does not
read (a heart rate), in the ``skipped`` count. Nothing is dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from herniarules import Engine
from herniarules.fhir import PATIENT_TYPES, FhirRecord, from_bundle, from_resources, read_ndjson
from tests.test_fhir import FHIR


AS_OF = date(2024, 1, 1)


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def resources_of(data: Any) -> Iterable[dict[str, Any]]:
    if data.get("resourceType") == "Bundle":
        for entry in data.get("entry", []):
            if "resource" in entry:
                yield entry["resource"]
    else:
        yield data


def names(resource: dict[str, Any], full_url: str | None = None) -> set[str]:
    found = {f"{resource['resourceType']}/{resource['id']}"} if "id" in resource else set()
    if full_url:
        found.add(full_url)
    return found


def accounted(record: FhirRecord) -> set[str]:
    """Return the resources the record names: in provenance, unclassified or ignored."""
    found: set[str] = set()
    for element in record.provenance.values():
        found.add(
            element.split(" ", 1)[0].split(".", 1)[0]
            if not element.startswith("urn:")
            else element.split(".", 1)[0]
        )
        found.add(element.split(" ", 1)[0])
    for note in (*record.unclassified, *record.ignored):
        found.add(note.resource)
    return found


def check_everything_accounted(
    record: FhirRecord, expected: list[tuple[dict[str, Any], str | None]]
) -> None:
    named = accounted(record)
    seen = {n for n in named}
    unread_observations = 0
    for resource, full_url in expected:
        if resource["resourceType"] not in PATIENT_TYPES:
            continue
        candidates = names(resource, full_url)
        if any(any(s == c or s.startswith(c + ".") for s in seen) for c in candidates):
            continue
        assert resource["resourceType"] == "Observation", f"{candidates} is not accounted for"
        unread_observations += 1
    assert record.skipped.get("Observation (not read)", 0) == unread_observations


def test_every_us_core_example_maps_about_patient_example() -> None:
    folder = FHIR / "us-core"
    data = [load(p) for p in sorted(folder.glob("*.json"))]
    record = from_resources(data, as_of=AS_OF, patient="example")
    expected = []
    for item in data:
        for resource in resources_of(item):
            subject = resource.get("subject", resource.get("patient", {}))
            if subject.get("reference") in (None, "Patient/example"):
                expected.append((resource, None))
    check_everything_accounted(record, expected)
    Engine().assess(record.patient, as_of=AS_OF)


@pytest.mark.parametrize(
    "name",
    ["patient-child-example.json", "patient-infant-example.json", "patient-deceased-example.json"],
)
def test_every_other_us_core_patient_maps(name: str) -> None:
    record = from_resources([load(FHIR / "us-core" / name)], as_of=AS_OF)
    assert record.patient.sex.value == "unknown" or record.provenance.get("sex")


def test_the_irrelevant_us_core_examples_map_and_are_counted() -> None:
    folder = FHIR / "us-core" / "irrelevant"
    data = [load(FHIR / "us-core" / "patient-example.json")] + [
        load(p) for p in sorted(folder.glob("*.json"))
    ]
    record = from_resources(data, as_of=AS_OF, patient="example")
    expected = [(r, None) for item in data for r in resources_of(item)]
    check_everything_accounted(record, expected)
    assert record.patient.conditions == () and record.patient.vitals.pain_score is None
    # a relative's condition (FamilyMemberHistory) is not the patient's
    assert record.skipped["FamilyMemberHistory"] == 1


def test_the_us_core_6_1_examples_map() -> None:
    folder = FHIR / "us-core" / "v6.1.0"
    record = from_resources([load(p) for p in sorted(folder.glob("*.json"))], as_of=AS_OF)
    assert record.patient.sex.value == "female"  # 6.1.0 still had Patient.gender
    # the resolved burn of the ear is SNOMED CT only: unclassified, since a past condition can count
    assert [n.resource for n in record.unclassified] == ["Condition/encounter-diagnosis-example1"]


def test_the_fhir_core_document_bundle_maps() -> None:
    bundle = load(FHIR / "core-examples" / "document-example-dischargesummary.json")
    record = from_bundle(bundle, as_of=AS_OF)
    expected = [(e["resource"], e.get("fullUrl")) for e in bundle["entry"]]
    check_everything_accounted(record, expected)
    # text-only medications (a request of status unknown counts as current) and allergy
    assert [m.name for m in record.patient.medications] == [
        "Theophylline 200mg",
        "Ventolin Inhaler",
    ]
    assert len(record.unclassified) == 2
    assert [a.substance.value for a in record.patient.allergies] == ["other"]


@pytest.mark.parametrize(
    "path",
    sorted((FHIR / "synthea" / "smart-sandbox-r4").glob("*.json")),
    ids=lambda p: p.name[:12],
)
def test_every_synthea_sandbox_bundle_maps(path: Path) -> None:
    bundle = load(path)
    record = from_bundle(bundle, as_of=AS_OF)
    expected = [(e["resource"], e.get("fullUrl")) for e in bundle["entry"]]
    check_everything_accounted(record, expected)
    Engine().assess(record.patient, as_of=AS_OF)


def test_the_synthea_bulk_export_maps_one_record_per_patient() -> None:
    folder = FHIR / "synthea" / "sample-bulk-10-patients"
    files = sorted(p for p in folder.glob("*.ndjson") if p.name != "log.ndjson")
    records = list(read_ndjson(files, as_of=AS_OF))
    lines = [
        json.loads(line)
        for f in files
        for line in f.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(records) == sum(1 for r in lines if r["resourceType"] == "Patient")
    for record in records:
        mine = [
            (r, None)
            for r in lines
            if r.get("subject", r.get("patient", {})).get("reference")
            == f"Patient/{record.patient.id}"
        ]
        check_everything_accounted(record, mine)
        Engine().assess(record.patient, as_of=AS_OF)
