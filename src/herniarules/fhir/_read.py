"""FHIR R4 resources -> one herniarules :class:`~herniarules.Patient`, with provenance.

The hot path walks plain dicts: each resource is read by the function for its type
(``_conditions``, ``_observations``, ``_medications`` for medications and allergies,
``_procedures``), which checks the elements it reads and names the FHIR path of every problem;
this module picks the patient, hands each resource to its reader and builds the Patient.
Nothing here imports a FHIR model library.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from herniarules.errors import ModelError, Problem
from herniarules.fhir._base import (
    DEFAULT_FRESHNESS,
    FhirError,
    FhirRecord,
    Freshness,
    Note,
    Problems,
    parse_day,
    shown,
)
from herniarules.fhir._conditions import read_condition
from herniarules.fhir._medications import (
    MED_REQUEST_CURRENT,
    MED_STATEMENT_CURRENT,
    read_allergy,
    read_medication,
)
from herniarules.fhir._observations import read_observation
from herniarules.fhir._procedures import read_procedure
from herniarules.fhir._reading import (
    Reading,
    Source,
    list_of,
    reference_of,
    split_element,
    text_of,
)
from herniarules.model import (
    Patient,
    Sex,
    Vitals,
)

__all__ = ["PATIENT_TYPES", "READ_TYPES", "map_resources", "sources_of"]


#: Resource types read about the patient; every other type is skipped and counted.
PATIENT_TYPES = frozenset(
    {
        "Condition",
        "Observation",
        "AllergyIntolerance",
        "MedicationRequest",
        "MedicationStatement",
        "Procedure",
    }
)


#: Every resource type the mapping reads: the patient's, the Patient, and Medication (read
#: when a medication statement or request refers to it).
READ_TYPES = PATIENT_TYPES | {"Patient", "Medication"}


def _patient_aliases(source: Source) -> frozenset[str]:
    rid = source.resource.get("id")
    names: set[str] = set()
    if isinstance(rid, str):
        names.update({f"Patient/{rid}", f"urn:uuid:{rid}"})
    if source.full_url:
        names.add(source.full_url)
    return frozenset(names)


def _is_about(reference: str | None, aliases: frozenset[str], rid: str | None) -> bool:
    if reference is None:  # no literal reference: the resource came with this patient
        return True
    if reference in aliases:
        return True
    return rid is not None and reference.endswith(f"/Patient/{rid}")


def _subject(resource: Mapping[str, Any]) -> object:
    if "subject" in resource:
        return resource["subject"]
    return resource.get("patient")


def select_patient(sources: list[Source], wanted: str | None) -> Source:
    """Return the Patient resource the record is about."""
    patients = [s for s in sources if s.type == "Patient"]
    if wanted is not None:
        chosen = [s for s in patients if s.resource.get("id") == wanted or s.full_url == wanted]
        if not chosen:
            ids = ", ".join(str(s.resource.get("id")) for s in patients) or "none"
            raise FhirError([Problem("$", f"no Patient with id {wanted!r}; Patients: {ids}")])
        return chosen[0]
    if not patients:
        raise FhirError([Problem("$", "no Patient resource: the record needs one")])
    if len(patients) > 1:
        ids = ", ".join(str(s.resource.get("id")) for s in patients)
        raise FhirError(
            [Problem("$", f"{len(patients)} Patient resources ({ids}): name the one to read")]
        )
    return patients[0]


_SEX_CODINGS = {"248152002": Sex.FEMALE, "248153007": Sex.MALE}


_BIRTH_SEX = {"F": Sex.FEMALE, "M": Sex.MALE}


def _read_patient(source: Source, reading: Reading) -> tuple[str, int, Sex]:
    resource, path, name = source.resource, source.path, source.name
    problems = reading.problems
    rid = resource.get("id")
    if not isinstance(rid, str) or not rid:
        problems.add(f"{path}.id", f"must be the patient's id, got {shown(rid)}")
        rid = "unknown"
    gender = resource.get("gender")
    sex = Sex.UNKNOWN
    if gender is not None:
        if isinstance(gender, str) and gender in Sex._value2member_map_:
            sex = Sex(gender)
            reading.provenance["sex"] = f"{name}.gender"
        else:
            allowed = ", ".join(s.value for s in Sex)
            problems.add(f"{path}.gender", f"must be one of {allowed}, got {shown(gender)}")
    else:
        for index, extension in enumerate(list_of(resource.get("extension"))):
            url = (
                text_of(extension.get("url"))
                if (type(extension) is dict or isinstance(extension, Mapping))
                else None
            )
            if url and url.endswith("/us-core-individual-sex"):
                coding = extension.get("valueCoding")
                code = (
                    text_of(coding.get("code"))
                    if (type(coding) is dict or isinstance(coding, Mapping))
                    else None
                )
                if code in _SEX_CODINGS:
                    sex = _SEX_CODINGS[code]
                    reading.provenance["sex"] = f"{name}.extension[{index}].valueCoding"
                    break
            if url and url.endswith("/us-core-birthsex"):
                code = text_of(extension.get("valueCode"))
                if code in _BIRTH_SEX:
                    sex = _BIRTH_SEX[code]
                    reading.provenance["sex"] = f"{name}.extension[{index}].valueCode"
    birth = resource.get("birthDate")
    age = 0
    span = parse_day(birth)
    if span is None:
        if birth is None:
            problems.add(f"{path}.birthDate", "required: the age is counted from it")
        else:
            problems.add(f"{path}.birthDate", f"must be a FHIR date, got {shown(birth)}")
    else:
        oldest, youngest = _age(span[0], reading.as_of), _age(span[1], reading.as_of)
        if oldest != youngest:
            problems.add(
                f"{path}.birthDate",
                f"{birth} gives an age of {youngest} or {oldest} on "
                f"{reading.as_of.isoformat()}: record the full date",
            )
        elif youngest < 0:
            problems.add(
                f"{path}.birthDate", f"{birth} is after the assessment day {reading.as_of}"
            )
        else:
            age = youngest
            reading.provenance["age"] = f"{name}.birthDate"
    reading.provenance["id"] = f"{name}.id"
    return rid, age, sex


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def map_resources(
    sources: list[Source],
    *,
    as_of: date,
    patient: str | None,
    freshness: Freshness = DEFAULT_FRESHNESS,
    problems: Problems | None = None,
) -> FhirRecord:
    """Read the patient's resources among ``sources`` into a :class:`FhirRecord`."""
    reading = Reading(as_of, freshness)
    if problems is not None:
        reading.problems = problems
    chosen = select_patient(sources, patient)
    aliases = _patient_aliases(chosen)
    rid = chosen.resource.get("id")
    rid = rid if isinstance(rid, str) else None
    index: dict[str, Source] = {}
    for source in sources:
        if source.type == "Medication":
            if source.full_url:
                index[source.full_url] = source
            index[source.name] = source
    pid, age, sex = _read_patient(chosen, reading)
    readers: dict[str, Callable[[Source, Reading], None]] = {
        "Condition": read_condition,
        "Observation": read_observation,
        "AllergyIntolerance": read_allergy,
        "MedicationRequest": lambda s, r: read_medication(s, r, index, MED_REQUEST_CURRENT),
        "MedicationStatement": lambda s, r: read_medication(s, r, index, MED_STATEMENT_CURRENT),
        "Procedure": read_procedure,
    }
    for source in sources:
        reader = readers.get(source.type)
        if reader is None:
            if source.type not in ("Patient", "Medication"):
                reading.skipped[source.type] = reading.skipped.get(source.type, 0) + 1
            continue
        if not _is_about(reference_of(_subject(source.resource)), aliases, rid):
            reading.ignored.append(Note(source.name, "subject", "about another patient"))
            continue
        reader(source, reading)
    reading.problems.raise_any()
    return _assemble(reading, chosen, pid, age, sex)


def _assemble(reading: Reading, chosen: Source, pid: str, age: int, sex: Sex) -> FhirRecord:
    provenance = reading.provenance
    freshness = reading.freshness
    vitals: dict[str, Any] = {}
    for kind, field in (
        ("systolic", "systolic_mmhg"),
        ("diastolic", "diastolic_mmhg"),
        ("temperature", "temperature_c"),
        ("pain", "pain_score"),
    ):
        found = reading.latest(kind, freshness.vital_signs_days)
        if found is not None:
            vitals[field] = found[0]
            provenance[f"vitals.{field}"] = found[1]
    inflammatory: bool | None = None
    found = reading.latest("inflammatory", freshness.vital_signs_days)
    if found is not None:
        inflammatory = found[0]
        provenance["inflammatory_process"] = found[1]
    pregnant: bool | None = None
    found = reading.latest("pregnancy", freshness.pregnant_days)
    if found is not None:
        value, element = found
        day = max(c[0] for c in reading.observed["pregnancy"] if c[2] == element)
        if value is True or (
            value is False and (reading.as_of - day).days <= freshness.not_pregnant_days
        ):
            pregnant = value
            provenance["pregnant"] = element
        elif value is False:
            reading.ignored.append(
                Note(
                    *split_element(element),
                    f"not pregnant on {day.isoformat()}: older than "
                    f"{freshness.not_pregnant_days} days",
                )
            )
    try:
        vitals_record = Vitals(**vitals)
    except ModelError as error:
        raise FhirError(
            [
                Problem(provenance.get(f"vitals.{p.path}", "vitals"), p.message)
                for p in error.problems
            ]
        ) from None
    conditions = []
    for number_, (condition, where) in enumerate(reading.conditions):
        conditions.append(condition)
        for key, element in where.items():
            provenance[f"conditions[{number_}]" + (f".{key}" if key else "")] = element
    hernias = []
    for number_, (hernia, where) in enumerate(reading.hernias):
        hernias.append(hernia)
        for key, element in where.items():
            provenance[f"hernias[{number_}]" + (f".{key}" if key else "")] = element
    for field, items in (
        ("medications", reading.medications),
        ("allergies", reading.allergies),
        ("surgeries", reading.surgeries),
    ):
        for number_, (_item, element) in enumerate(items):
            provenance[f"{field}[{number_}]"] = element
    if sex is Sex.MALE and pregnant:
        raise FhirError([Problem(provenance["pregnant"], "pregnant, but the Patient is male")])
    try:
        patient = Patient(
            id=pid,
            age=age,
            sex=sex,
            vitals=vitals_record,
            hernias=tuple(hernias),
            pregnant=pregnant,
            inflammatory_process=inflammatory,
            conditions=tuple(conditions),
            allergies=tuple(a for a, _ in reading.allergies),
            medications=tuple(m for m, _ in reading.medications),
            surgeries=tuple(s for s, _ in reading.surgeries),
        )
    except ModelError as error:
        raise FhirError(
            [
                Problem(provenance.get(p.path.split("[")[0], chosen.path), p.message)
                for p in error.problems
            ]
        ) from None
    return FhirRecord(
        patient=patient,
        provenance=provenance,
        unclassified=tuple(reading.unclassified),
        ignored=tuple(reading.ignored),
        skipped=reading.skipped,
        patient_resource=chosen.name,
        as_of=reading.as_of,
    )


def sources_of(items: Iterable[tuple[object, str, str | None]], problems: Problems) -> list[Source]:
    """Return the resources of ``(resource, path, fullUrl)`` triples, checking each is one."""
    found = []
    for resource, path, full_url in items:
        if not (type(resource) is dict or isinstance(resource, Mapping)):
            problems.add(path, f"must be a FHIR resource (an object), got {shown(resource)}")
            continue
        kind = resource.get("resourceType")
        if not isinstance(kind, str) or not kind:
            problems.add(f"{path}.resourceType", f"must be a resource type, got {shown(kind)}")
            continue
        found.append(Source(resource, path, full_url if isinstance(full_url, str) else None))
    return found
