"""FHIR R4 in and out: read a patient from FHIR resources, write an assessment as FHIR.

Read a patient from a Bundle (collection, searchset, transaction, document), from resources,
from a CDS Hooks prefetch or from Bulk Data NDJSON; each gives a :class:`FhirRecord` holding
the :class:`~herniarules.Patient`, the FHIR element every value came from, what could not be
classified and what was left out. Bad FHIR raises :class:`FhirError` (an
:class:`~herniarules.InputError`) naming the FHIR path of every problem. The reader walks
plain dicts and needs no third-party package. See the FHIR mapping page of the docs for every
element read and how.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from herniarules.errors import Problem
from herniarules.fhir._base import (
    DEFAULT_FRESHNESS,
    FhirError,
    FhirRecord,
    Freshness,
    Note,
    Problems,
)
from herniarules.fhir._read import PATIENT_TYPES, READ_TYPES, map_resources, sources_of
from herniarules.fhir._reading import Source
from herniarules.fhir._write import (
    ProvenanceIndex,
    detected_issues,
    finding_provenance,
    guidance_response,
)
from herniarules.fhir.extensions import structure_definitions
from herniarules.fhir.strict import SchemaValidator

__all__ = [
    "DEFAULT_FRESHNESS",
    "PATIENT_TYPES",
    "PREFETCH",
    "READ_TYPES",
    "FhirError",
    "FhirRecord",
    "Freshness",
    "Note",
    "ProvenanceIndex",
    "SchemaValidator",
    "detected_issues",
    "finding_provenance",
    "from_bundle",
    "from_prefetch",
    "from_resources",
    "guidance_response",
    "read_ndjson",
    "structure_definitions",
]

#: CDS Hooks prefetch templates for every resource the mapping reads about the patient.
PREFETCH: Mapping[str, str] = MappingProxyType(
    {
        "patient": "Patient/{{context.patientId}}",
        "conditions": "Condition?patient={{context.patientId}}",
        "observations": "Observation?patient={{context.patientId}}"
        "&code=http://loinc.org|85354-9,http://loinc.org|55284-4,http://loinc.org|8480-6,"
        "http://loinc.org|8462-4,http://loinc.org|8310-5,http://loinc.org|8331-1,"
        "http://loinc.org|8332-9,http://loinc.org|8333-7,http://loinc.org|8328-7,"
        "http://loinc.org|72514-3,http://loinc.org|82810-3",
        "allergies": "AllergyIntolerance?patient={{context.patientId}}",
        "medicationRequests": "MedicationRequest?patient={{context.patientId}}"
        "&_include=MedicationRequest:medication",
        "medicationStatements": "MedicationStatement?patient={{context.patientId}}"
        "&_include=MedicationStatement:medication",
        "procedures": "Procedure?patient={{context.patientId}}",
    }
)


def _bundle_items(
    bundle: object, path: str, problems: Problems
) -> list[tuple[object, str, str | None]]:
    if not (type(bundle) is dict or isinstance(bundle, Mapping)):
        problems.add(path or "$", f"must be a FHIR Bundle (an object), got {type(bundle).__name__}")
        return []
    prefix = f"{path}." if path else ""
    if bundle.get("resourceType") != "Bundle":
        problems.add(
            f"{prefix}resourceType", f"expected Bundle, got {bundle.get('resourceType')!r}"
        )
        return []
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        problems.add(f"{prefix}entry", "must be an array of entries")
        return []
    items: list[tuple[object, str, str | None]] = []
    for index, entry in enumerate(entries):
        where = f"{prefix}entry[{index}]"
        if not (type(entry) is dict or isinstance(entry, Mapping)):
            problems.add(where, "must be an object")
            continue
        if "resource" not in entry:  # a transaction response or a deleted entry
            continue
        items.append((entry["resource"], f"{where}.resource", entry.get("fullUrl")))
    return items


def from_bundle(
    bundle: Mapping[str, Any],
    *,
    as_of: date,
    patient: str | None = None,
    freshness: Freshness = DEFAULT_FRESHNESS,
    strict: SchemaValidator | None = None,
) -> FhirRecord:
    """Read the patient of a FHIR R4 Bundle on day ``as_of``.

    ``patient`` is the Patient's id when the Bundle holds several. Resources about another
    patient are left out (with a note); resource types the mapping does not read are counted
    in :attr:`FhirRecord.skipped`. ``freshness`` says how old an observation may be. With
    ``strict`` (a :class:`SchemaValidator`), every resource is first checked against the
    official FHIR R4 JSON schema, and any problem is an error.
    """
    problems = Problems()
    items = _bundle_items(bundle, "", problems)
    problems.raise_any()
    if strict is not None:
        strict.check((resource, path) for resource, path, _ in items)
    sources = sources_of(items, problems)
    return map_resources(
        sources, as_of=as_of, patient=patient, freshness=freshness, problems=problems
    )


def from_resources(
    resources: Iterable[Mapping[str, Any]],
    *,
    as_of: date,
    patient: str | None = None,
    freshness: Freshness = DEFAULT_FRESHNESS,
    strict: SchemaValidator | None = None,
) -> FhirRecord:
    """Read the patient of FHIR R4 resources (a Bundle among them is read entry by entry)."""
    problems = Problems()
    items: list[tuple[object, str, str | None]] = []
    for index, resource in enumerate(resources):
        if (type(resource) is dict or isinstance(resource, Mapping)) and resource.get(
            "resourceType"
        ) == "Bundle":
            items.extend(_bundle_items(resource, f"[{index}]", problems))
        else:
            items.append((resource, f"[{index}]", None))
    if strict is not None:
        problems.raise_any()
        strict.check((resource, path) for resource, path, _ in items)
    sources = sources_of(items, problems)
    return map_resources(
        sources, as_of=as_of, patient=patient, freshness=freshness, problems=problems
    )


def from_prefetch(
    prefetch: Mapping[str, Any],
    *,
    as_of: date,
    patient: str | None = None,
    freshness: Freshness = DEFAULT_FRESHNESS,
    strict: SchemaValidator | None = None,
) -> FhirRecord:
    """Read the patient of a CDS Hooks prefetch object.

    Each value is a resource, a Bundle (the answer to a search) or ``null`` (a prefetch the
    client could not satisfy); a ``null`` value gives no data, so what it would have given
    counts as not recorded. ``patient`` is the id of the hook's ``context.patientId``, needed
    only when the prefetch holds several Patients.
    """
    problems = Problems()
    if not (type(prefetch) is dict or isinstance(prefetch, Mapping)):
        raise FhirError([Problem("prefetch", "must be an object")])
    items: list[tuple[object, str, str | None]] = []
    for key, value in prefetch.items():
        path = f"prefetch.{key}"
        if value is None:
            continue
        if (type(value) is dict or isinstance(value, Mapping)) and value.get(
            "resourceType"
        ) == "Bundle":
            items.extend(_bundle_items(value, path, problems))
        else:
            items.append((value, path, None))
    if strict is not None:
        problems.raise_any()
        strict.check((resource, path) for resource, path, _ in items)
    sources = sources_of(items, problems)
    return map_resources(
        sources, as_of=as_of, patient=patient, freshness=freshness, problems=problems
    )


def _patient_key(resource: Mapping[str, Any]) -> str | None:
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return f"Patient/{rid}" if isinstance(rid, str) else None
    subject = resource.get("subject", resource.get("patient"))
    if type(subject) is dict or isinstance(subject, Mapping):
        reference = subject.get("reference")
        if isinstance(reference, str):
            return reference
    return None


def read_ndjson(
    paths: Iterable[str | Path],
    *,
    as_of: date,
    freshness: Freshness = DEFAULT_FRESHNESS,
    strict: SchemaValidator | None = None,
) -> Iterator[FhirRecord]:
    """Read Bulk Data NDJSON files: one record per Patient, in the order Patients appear.

    Every line of every file is read first (resources of one patient are spread over one file
    per type), then each Patient's record is built from the resources that refer to it.
    Lines that are not resources (an export log) are problems; an empty line is skipped.
    """
    for key, sources in bulk_sources(paths, strict=strict):
        yield map_resources(sources, as_of=as_of, patient=key.split("/", 1)[1], freshness=freshness)


def bulk_sources(
    paths: Iterable[str | Path], *, strict: SchemaValidator | None = None
) -> Iterator[tuple[str, list[Source]]]:
    """Return ``(Patient/id, sources)`` per Patient of Bulk Data NDJSON files, in file order.

    Every line is read before the first patient is returned, and a line that is not JSON or
    not a resource raises :class:`~herniarules.InputError` naming ``file:line``: such a line
    may belong to any patient, so no patient is read without it. What one patient's resources
    hold is checked by :func:`map_resources`, patient by patient.
    """
    problems = Problems()
    by_patient: dict[str, list[tuple[object, str, str | None]]] = {}
    shared: list[tuple[object, str, str | None]] = []
    order: list[str] = []
    for path in paths:
        name = Path(path).name
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{name}:{number}"
                try:
                    resource = json.loads(line)
                except ValueError as exc:
                    problems.add(where, f"not JSON: {exc}")
                    continue
                if not (type(resource) is dict or isinstance(resource, Mapping)) or not isinstance(
                    resource.get("resourceType"), str
                ):
                    problems.add(where, "not a FHIR resource: no resourceType")
                    continue
                if strict is not None:
                    problems.items.extend(strict.problems(resource, where))
                key = _patient_key(resource)
                if resource.get("resourceType") == "Patient" and key is not None:
                    order.append(key)
                if key is None:
                    shared.append((resource, where, None))
                else:
                    by_patient.setdefault(key, []).append((resource, where, None))
    problems.raise_any()
    medications = [item for item in shared if _is_medication(item[0])]
    for key in order:
        items = by_patient.get(key, [])
        yield key, sources_of(items + medications, Problems())


def _is_medication(resource: object) -> bool:
    return (type(resource) is dict or isinstance(resource, Mapping)) and resource.get(
        "resourceType"
    ) == "Medication"
