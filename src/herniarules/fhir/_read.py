"""FHIR R4 resources -> one herniarules :class:`~herniarules.Patient`, with provenance.

The hot path walks plain dicts: each resource is read by the function for its type, which
checks the elements it reads and names the FHIR path of every problem. Nothing here imports a
FHIR model library.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

from herniarules.errors import ModelError, Problem
from herniarules.fhir import extensions as ext
from herniarules.fhir._base import (
    ATC,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    CPT,
    DEFAULT_FRESHNESS,
    ICD10,
    ICD10_CM,
    ICD10_PCS,
    LOINC,
    RXNORM,
    SNOMED,
    FhirError,
    FhirRecord,
    Freshness,
    Note,
    Problems,
    codings,
    concept_text,
    has_code,
    number,
    one_line,
    parse_day,
    shown,
    status_code,
)
from herniarules.fhir.snomed import SNOMED_NOT_A_CONDITION, SNOMED_TO_ICD10_CM
from herniarules.model import (
    Allergy,
    ClinicalStatus,
    CodeSystem,
    Condition,
    Hernia,
    HerniaKind,
    Medication,
    Patient,
    Phase,
    Region,
    Sex,
    Surgery,
    Verification,
    Vitals,
)
from herniarules.terminology import DEFAULT_TERMINOLOGY, Concept
from herniarules.vocabulary import (
    Site,
    Substance,
    check_atc,
    classify_medication,
    ingredient_atc,
)

__all__ = ["PATIENT_TYPES", "READ_TYPES", "map_resources"]

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

_SYSTEMS = {ICD10: CodeSystem.ICD10, ICD10_CM: CodeSystem.ICD10_CM}
_CLINICAL = {status.value: status for status in ClinicalStatus}
_VERIFIED = {v.value: v for v in Verification}
_NOT_A_DIAGNOSIS = frozenset({"refuted", "entered-in-error"})
_LEVEL_TEXT = re.compile(r"\b((?:C|T|L)\d{1,2}(?:-(?:C|T|L)\d{1,2}|-S1)?|S1)\b")

# LOINC codes read from Observations.
_BP_PANELS = frozenset({"85354-9", "55284-4"})
_SYSTOLIC = frozenset({"8480-6"})
_DIASTOLIC = frozenset({"8462-4"})
#: Body temperature and its site-specific codes (oral, rectal, tympanic, axillary).
_TEMPERATURE = frozenset({"8310-5", "8331-1", "8332-9", "8333-7", "8328-7"})
_PAIN = frozenset({"72514-3"})
_INFLAMMATORY = frozenset({"inflammatory-process"})

_PREGNANCY = frozenset({"82810-3"})
_PREGNANCY_ANSWERS: Mapping[str, bool | None] = {
    "77386006": True,  # Pregnant
    "60001007": False,  # Not pregnant
    "261665006": None,  # Unknown
}
_LOINC_KINDS: Mapping[str, str] = {
    **{code: "bp" for code in _BP_PANELS},
    **{code: "systolic" for code in _SYSTOLIC},
    **{code: "diastolic" for code in _DIASTOLIC},
    **{code: "temperature" for code in _TEMPERATURE},
    **{code: "pain" for code in _PAIN},
    **{code: "pregnancy" for code in _PREGNANCY},
}
#: A panel is read before its parts; one Observation is read as one kind.
_KIND_ORDER = ("bp", "inflammatory", "systolic", "diastolic", "temperature", "pain", "pregnancy")
_OBSERVATION_IGNORED_STATUS = frozenset({"cancelled", "entered-in-error", "registered"})
_MMHG = frozenset({"mm[Hg]", "mmHg"})

_MED_REQUEST_CURRENT = frozenset({"active", "on-hold", "draft", "unknown"})
_MED_STATEMENT_CURRENT = frozenset({"active", "intended", "on-hold", "unknown"})
_PROCEDURE_DONE = frozenset({"completed", "in-progress", "stopped", "unknown"})

#: Words of a procedure's code display or text that name an operation on the spine.
_SPINAL_WORDS = (
    "discectomy",
    "diskectomy",
    "laminectomy",
    "laminotomy",
    "laminoplasty",
    "foraminotomy",
    "facetectomy",
    "corpectomy",
    "vertebroplasty",
    "kyphoplasty",
    "spinal fusion",
    "spine fusion",
    "fusion of spine",
    "arthrodesis of spine",
    "spinal arthrodesis",
    "intervertebral disc",
    "intervertebral disk",
    "spinal decompression",
    "decompression of spinal",
    "spinal surgery",
    "spine surgery",
    "operation on spine",
    "operation on vertebral",
)
# ICD-10-PCS medical and surgical body systems and parts of the spine: 0R upper joints
# (vertebral joints and discs), 0S lower joints (lumbar and lumbosacral), 0P upper bones
# (cervical and thoracic vertebrae), 0Q lower bones (lumbar vertebra, sacrum).
_PCS_SPINE = {
    "0R": frozenset("013456 9AB".replace(" ", "")),
    "0S": frozenset("0234"),
    "0P": frozenset("34"),
    "0Q": frozenset("01"),
}

_BEE_WORDS: tuple[tuple[str, Substance], ...] = (
    ("royal jelly", Substance.ROYAL_JELLY),
    ("propolis", Substance.PROPOLIS),
    ("bee venom", Substance.BEE_VENOM),
    ("bee sting", Substance.BEE_VENOM),
    ("bee pollen", Substance.BEE_POLLEN),
    ("beeswax", Substance.BEESWAX),
    ("honey", Substance.HONEY),
    ("bee product", Substance.BEE_PRODUCTS),
)


class _Source:
    """One resource of the input, with where it is."""

    __slots__ = ("full_url", "name", "path", "resource", "type")

    def __init__(self, resource: Mapping[str, Any], path: str, full_url: str | None) -> None:
        self.resource = resource
        self.path = path
        self.full_url = full_url
        kind = resource.get("resourceType")
        self.type: str = kind if isinstance(kind, str) else ""
        rid = resource.get("id")
        if isinstance(rid, str) and rid:
            self.name = f"{self.type}/{rid}"
        elif isinstance(full_url, str) and full_url:
            self.name = full_url
        else:
            self.name = f"{self.type}@{path}"


class _Reading:
    """What the reader collects for one patient, before the Patient is built."""

    def __init__(self, as_of: date, freshness: Freshness) -> None:
        self.as_of = as_of
        self.freshness = freshness
        self.problems = Problems()
        self.provenance: dict[str, str] = {}
        self.unclassified: list[Note] = []
        self.ignored: list[Note] = []
        self.skipped: dict[str, int] = {}
        self.conditions: list[tuple[Condition, dict[str, str]]] = []
        self.hernias: list[tuple[Hernia, dict[str, str]]] = []
        self.medications: list[tuple[Medication, str]] = []
        self.allergies: list[tuple[Allergy, str]] = []
        self.surgeries: list[tuple[Surgery, str]] = []
        # kind -> candidates (day, value, element)
        self.observed: dict[str, list[tuple[date, Any, str]]] = {}

    def observe(self, kind: str, day: date, value: Any, element: str) -> None:
        self.observed.setdefault(kind, []).append((day, value, element))

    def latest(self, kind: str, days: int) -> tuple[Any, str] | None:
        """Return the latest value of ``kind`` within ``days`` before the assessment day.

        Values of the same day: the highest, so that a worse reading is never hidden.
        Older values are left out with a note.
        """
        found = self.observed.get(kind)
        if not found:
            return None
        fresh = [c for c in found if 0 <= (self.as_of - c[0]).days <= days]
        for day, _value, element in found:
            if (self.as_of - day).days > days:
                self.ignored.append(
                    Note(*_split(element), f"{day.isoformat()} is older than {days} days")
                )
        if not fresh:
            return None
        newest = max(c[0] for c in fresh)
        same = [c for c in fresh if c[0] == newest]
        best = max(same, key=lambda c: (c[1] is not None, c[1] if c[1] is not None else 0))
        return best[1], best[2]


def _split(element: str) -> tuple[str, str]:
    """Split ``Type/id.path`` into the resource and the element path."""
    head, _, rest = element.partition(".")
    if "/" not in head:  # a fullUrl such as urn:uuid:... has dots of its own
        return element, ""
    return head, rest


# --------------------------------------------------------------------------- selection


def _reference(value: object) -> str | None:
    if type(value) is dict or isinstance(value, Mapping):
        ref = value.get("reference")
        if isinstance(ref, str):
            return ref
    return None


def _patient_aliases(source: _Source) -> frozenset[str]:
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
    return resource.get("subject", resource.get("patient"))


def select_patient(sources: list[_Source], wanted: str | None) -> _Source:
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


# --------------------------------------------------------------------------- Patient


_SEX_CODINGS = {"248152002": Sex.FEMALE, "248153007": Sex.MALE}
_BIRTH_SEX = {"F": Sex.FEMALE, "M": Sex.MALE}


def _read_patient(source: _Source, reading: _Reading) -> tuple[str, int, Sex]:
    resource, path, name = source.resource, source.path, source.name
    problems = reading.problems
    rid = resource.get("id")
    if not isinstance(rid, str) or not rid:
        problems.add(f"{path}.id", f"must be the patient's id, got {shown(rid)}")
        rid = "unknown"
    gender = resource.get("gender")
    sex = Sex.UNKNOWN
    if gender is not None:
        if gender in Sex._value2member_map_:
            sex = Sex(gender)
            reading.provenance["sex"] = f"{name}.gender"
        else:
            allowed = ", ".join(s.value for s in Sex)
            problems.add(f"{path}.gender", f"must be one of {allowed}, got {shown(gender)}")
    else:
        for index, extension in enumerate(_list(resource.get("extension"))):
            url = (
                extension.get("url")
                if (type(extension) is dict or isinstance(extension, Mapping))
                else None
            )
            if url and url.endswith("/us-core-individual-sex"):
                coding = extension.get("valueCoding")
                code = (
                    coding.get("code")
                    if (type(coding) is dict or isinstance(coding, Mapping))
                    else None
                )
                if code in _SEX_CODINGS:
                    sex = _SEX_CODINGS[code]
                    reading.provenance["sex"] = f"{name}.extension[{index}].valueCoding"
                    break
            if url and url.endswith("/us-core-birthsex"):
                code = extension.get("valueCode")
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


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


# --------------------------------------------------------------------------- Condition


def _read_condition(source: _Source, reading: _Reading) -> None:
    resource, path, name = source.resource, source.path, source.name
    problems = reading.problems
    # verification first: a refuted diagnosis is not the patient's at all
    verification: Verification | None = None
    if "verificationStatus" in resource:
        code = status_code(resource["verificationStatus"], CONDITION_VERIFICATION)
        if code in _NOT_A_DIAGNOSIS:
            reading.ignored.append(Note(name, "verificationStatus", f"{code}: not a diagnosis"))
            return
        if code not in _VERIFIED:
            allowed = ", ".join([*_VERIFIED, *sorted(_NOT_A_DIAGNOSIS)])
            problems.add(
                f"{path}.verificationStatus.coding",
                f"expected a code of {CONDITION_VERIFICATION}: one of {allowed}, got {shown(code)}",
            )
            return
        verification = _VERIFIED[code]
    status = ClinicalStatus.ACTIVE
    status_from = f"{name}.clinicalStatus"
    if "clinicalStatus" in resource:
        code = status_code(resource["clinicalStatus"], CONDITION_CLINICAL)
        if code not in _CLINICAL:
            allowed = ", ".join(_CLINICAL)
            problems.add(
                f"{path}.clinicalStatus.coding",
                f"expected a code of {CONDITION_CLINICAL}: one of {allowed}, got {shown(code)}",
            )
            return
        status = _CLINICAL[code]
    else:
        abated = _first_day(resource, "abatement")
        if abated is not None and abated <= reading.as_of:
            status = ClinicalStatus.RESOLVED
            status_from = f"{name}.abatement[x] (no clinicalStatus: read as resolved)"
        else:
            status_from = f"{name} (no clinicalStatus: read as active)"
    onset = _first_day(resource, "onset")
    if onset is not None and onset > reading.as_of:
        reading.ignored.append(
            Note(name, "onset[x]", f"began {onset.isoformat()}, after the assessment day")
        )
        return
    site = _site(resource, path, reading)
    text = concept_text(resource.get("code"))
    display = one_line(text) if text else None
    found = 0
    for index, coding in enumerate(codings(resource.get("code"))):
        system = _SYSTEMS.get(coding.get("system"))  # type: ignore[arg-type]
        if system is None:
            continue
        code = coding.get("code")
        element = f"{path}.code.coding[{index}].code"
        if not isinstance(code, str):
            problems.add(element, f"must be an ICD-10 code, got {shown(code)}")
            continue
        condition = _condition(
            reading, element, status, code, system, display, onset, site, verification
        )
        if condition is None:
            continue
        found += 1
        where = {
            "": name,
            "code": f"{name}.code.coding[{index}]",
            "status": status_from,
        }
        if verification is not None:
            where["verification"] = f"{name}.verificationStatus"
        if site is not None:
            where["site"] = f"{name}.bodySite[0]"
        reading.conditions.append((condition, where))
        if status.is_active:
            _read_hernia(source, reading, condition)
    if found:
        return
    # no ICD-10 coding: a SNOMED CT code the map knows, or unclassified
    for index, coding in enumerate(codings(resource.get("code"))):
        if coding.get("system") != SNOMED:
            continue
        code = coding.get("code")
        if code in SNOMED_NOT_A_CONDITION:
            reading.ignored.append(
                Note(
                    name,
                    f"code.coding[{index}]",
                    f"SNOMED CT {code} {SNOMED_NOT_A_CONDITION[str(code)]}: "
                    "a social circumstance, not a disorder",
                )
            )
            return
        target = SNOMED_TO_ICD10_CM.get(code) if isinstance(code, str) else None
        if target is None:
            continue
        condition = _condition(
            reading,
            f"{path}.code.coding[{index}].code",
            status,
            target,
            CodeSystem.ICD10_CM,
            display,
            onset,
            site,
            verification,
            other_code=f"{SNOMED}|{code}",
        )
        if condition is None:
            return
        where = {
            "": name,
            "code": f"{name}.code.coding[{index}] (SNOMED CT {code} read as ICD-10-CM {target})",
            "status": status_from,
        }
        if verification is not None:
            where["verification"] = f"{name}.verificationStatus"
        reading.conditions.append((condition, where))
        if status.is_active:
            _read_hernia(source, reading, condition)
        return
    first = next(
        (
            c
            for c in codings(resource.get("code"))
            if isinstance(c.get("system"), str) and isinstance(c.get("code"), str)
        ),
        None,
    )
    other = f"{first['system']}|{first['code']}" if first is not None else None
    if other is not None and (" " in other or len(other) > 260):
        other = None
    if other is None and display is None:
        problems.add(f"{path}.code", "a Condition needs a code or a text")
        return
    condition = _condition(
        reading,
        f"{path}.code",
        status,
        None,
        CodeSystem.ICD10,
        display,
        onset,
        site,
        verification,
        other_code=other,
    )
    if condition is None:
        return
    reading.conditions.append((condition, {"": name, "code": f"{name}.code"}))
    what = f"coded {other}" if other else "known by its text only"
    reading.unclassified.append(
        Note(name, "code", f"{what}, in no system the SDK reads: {display or '(no text)'}")
    )


def _condition(
    reading: _Reading,
    element: str,
    status: ClinicalStatus,
    code: str | None,
    system: CodeSystem,
    display: str | None,
    onset: date | None,
    site: Site | None,
    verification: Verification | None,
    *,
    other_code: str | None = None,
) -> Condition | None:
    try:
        return Condition(
            status=status,
            code=code,
            system=system,
            display=display,
            onset=onset,
            site=site,
            verification=verification,
            other_code=other_code,
        )
    except ModelError as error:
        for problem in error.problems:
            reading.problems.add(element, problem.message)
        return None


def _first_day(resource: Mapping[str, Any], prefix: str) -> date | None:
    span = parse_day(resource.get(f"{prefix}DateTime"))
    if span is None:
        period = resource.get(f"{prefix}Period")
        if type(period) is dict or isinstance(period, Mapping):
            span = parse_day(period.get("start"))
    return span[0] if span is not None else None


def _site(resource: Mapping[str, Any], path: str, reading: _Reading) -> Site | None:
    sites = _list(resource.get("bodySite"))
    if not sites:
        return None
    words = concept_text(sites[0])
    if words is None:
        return None
    for candidate in (words, words.lower(), words.lower().replace(" ", "-")):
        found = _term(Site, candidate)
        if found is not None:
            return found
    return None  # a site the vocabulary does not name: unknown, so local rules block


# --------------------------------------------------------------------------- hernia


def _extension(resource: Mapping[str, Any], url: str) -> tuple[int, Mapping[str, Any]] | None:
    for index, extension in enumerate(_list(resource.get("extension"))):
        if (type(extension) is dict or isinstance(extension, Mapping)) and extension.get(
            "url"
        ) == url:
            return index, extension
    return None


_PHASES = {p.value: p for p in Phase}
_KINDS = {k.value: k for k in HerniaKind}


def _read_hernia(source: _Source, reading: _Reading, condition: Condition) -> None:
    """Read the hernia of a disc-hernia Condition from its extensions and body site."""
    assert condition.code is not None
    _normalized, _display, found = DEFAULT_TERMINOLOGY.resolve(condition.code, condition.system)
    if not any(c.concept == Concept.DISC_HERNIA.value for c in found):
        return
    resource, path, name = source.resource, source.path, source.name
    problems = reading.problems
    where: dict[str, str] = {"": name}
    values: dict[str, Any] = {}
    for key, url, table in (
        ("phase", ext.HERNIA_PHASE, _PHASES),
        ("kind", ext.HERNIA_KIND, _KINDS),
    ):
        hit = _extension(resource, url)
        if hit is None:
            continue
        index, extension = hit
        value = extension.get("valueCode")
        if value not in table:
            allowed = ", ".join(table)
            problems.add(
                f"{path}.extension[{index}].valueCode",
                f"{url.rsplit('/', 1)[1]} must be one of {allowed}, got {shown(value)}",
            )
            continue
        values[key] = table[str(value)]
        where[key] = f"{name}.extension[{index}].valueCode"
    hit = _extension(resource, ext.HERNIA_SIZE)
    if hit is not None:
        index, extension = hit
        quantity = extension.get("valueQuantity")
        element = f"{path}.extension[{index}].valueQuantity"
        if (
            not (type(quantity) is dict or isinstance(quantity, Mapping))
            or number(quantity.get("value")) is None
        ):
            problems.add(element, "must be a Quantity with a number value, in mm")
        elif quantity.get("code", quantity.get("unit")) != "mm":
            got = quantity.get("code", quantity.get("unit"))
            problems.add(f"{element}.code", f"expected mm, got {shown(got)}")
        else:
            values["size_mm"] = number(quantity.get("value"))
            where["size_mm"] = f"{name}.extension[{index}].valueQuantity"
    hit = _extension(resource, ext.SURGERY_INDICATED)
    if hit is not None:
        index, extension = hit
        flag = extension.get("valueBoolean")
        if flag is not True and flag is not False:
            problems.add(
                f"{path}.extension[{index}].valueBoolean",
                f"must be true or false, got {shown(flag)}",
            )
        else:
            values["surgery_indicated"] = flag
            where["surgery_indicated"] = f"{name}.extension[{index}].valueBoolean"
    hit = _extension(resource, ext.HERNIA_LEVEL)
    level: str | None = None
    if hit is not None:
        index, extension = hit
        value = extension.get("valueString")
        if isinstance(value, str):
            level = value.strip().upper()
            where["level"] = f"{name}.extension[{index}].valueString"
        else:
            problems.add(
                f"{path}.extension[{index}].valueString",
                f"must be a vertebral level such as L4-L5, got {shown(value)}",
            )
    else:
        for index, site in enumerate(_list(resource.get("bodySite"))):
            words = concept_text(site)
            match = _LEVEL_TEXT.search(words.upper()) if words else None
            if match is not None:
                level = match.group(1)
                where["level"] = f"{name}.bodySite[{index}]"
                break
    missing = [key for key in ("phase", "kind") if key not in values]
    if level is None:
        missing.append("level")
    if missing:
        reading.unclassified.append(
            Note(
                name,
                "extension",
                f"disc hernia {condition.code} without its {', '.join(missing)}: the rules of "
                "the hernia's stage cannot be checked (see the herniarules extensions)",
            )
        )
        return
    assert level is not None
    region = _region(level)
    try:
        hernia = Hernia(
            region=region,
            level=level,
            kind=values["kind"],
            phase=values["phase"],
            size_mm=values.get("size_mm"),
            surgery_indicated=values.get("surgery_indicated"),
        )
    except ModelError as error:
        for problem in error.problems:
            field = problem.path
            element = where.get(field, name)
            problems.add(_path_of(element, source), problem.message)
        return
    where["region"] = where["level"]
    reading.hernias.append((hernia, where))


def _region(level: str) -> Region:
    if "S1" in level:
        return Region.LUMBOSACRAL
    return {"C": Region.CERVICAL, "T": Region.THORACIC}.get(level[:1], Region.LUMBAR)


def _path_of(element: str, source: _Source) -> str:
    """Return the input path of an element named ``Type/id.rest``."""
    if element.startswith(source.name):
        return source.path + element[len(source.name) :]
    return source.path


# --------------------------------------------------------------------------- Observation


def _effective(resource: Mapping[str, Any]) -> tuple[date | None, str]:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in resource:
            span = parse_day(resource[key])
            return (span[0] if span and span[0] == span[1] else None), key
    period = resource.get("effectivePeriod")
    if type(period) is dict or isinstance(period, Mapping):
        for key in ("end", "start"):
            span = parse_day(period.get(key))
            if span is not None:
                return (span[0] if span[0] == span[1] else None), f"effectivePeriod.{key}"
    span = parse_day(resource.get("issued"))
    return (span[0] if span and span[0] == span[1] else None), "issued"


def _read_observation(source: _Source, reading: _Reading) -> None:
    resource, path, name = source.resource, source.path, source.name
    kinds: list[str] = []
    for coding in codings(resource.get("code")):
        system = coding.get("system")
        if system == LOINC:
            kind = _LOINC_KINDS.get(coding.get("code"))  # type: ignore[arg-type]
            if kind is not None:
                kinds.append(kind)
        elif system == ext.FINDINGS and coding.get("code") in _INFLAMMATORY:
            kinds.append("inflammatory")
    kinds.sort(key=_KIND_ORDER.index)
    if not kinds:
        reading.skipped["Observation (not read)"] = (
            reading.skipped.get("Observation (not read)", 0) + 1
        )
        return
    status = resource.get("status")
    if status in _OBSERVATION_IGNORED_STATUS:
        reading.ignored.append(Note(name, "status", f"{status}: not a result"))
        return
    day, date_key = _effective(resource)
    if day is None:
        reading.ignored.append(Note(name, date_key, "no effective day: its freshness is unknown"))
        return
    if day > reading.as_of:
        reading.ignored.append(
            Note(name, date_key, f"{day.isoformat()} is after the assessment day")
        )
        return
    kind = kinds[0]
    if kind == "bp":
        for index, component in enumerate(_list(resource.get("component"))):
            if not (type(component) is dict or isinstance(component, Mapping)):
                continue
            for part, codes in (("systolic", _SYSTOLIC), ("diastolic", _DIASTOLIC)):
                if has_code(component.get("code"), LOINC, codes) is not None:
                    _quantity_mmhg(
                        component,
                        f"{path}.component[{index}]",
                        f"{name}.component[{index}]",
                        part,
                        day,
                        reading,
                    )
        return
    if kind in ("systolic", "diastolic"):
        _quantity_mmhg(resource, path, name, kind, day, reading)
    elif kind == "temperature":
        _temperature(resource, path, name, day, reading)
    elif kind == "pain":
        _pain(resource, path, name, day, reading)
    elif kind == "inflammatory":
        flag = resource.get("valueBoolean")
        if flag is not True and flag is not False:
            reading.problems.add(
                f"{path}.valueBoolean", f"must be true or false, got {shown(flag)}"
            )
            return
        reading.observe("inflammatory", day, flag, f"{name}.valueBoolean")
    else:
        _pregnancy(resource, path, name, day, reading)


def _absent(element: Mapping[str, Any], name: str, reading: _Reading, what: str) -> bool:
    if "dataAbsentReason" in element and "valueQuantity" not in element:
        reason = concept_text(element["dataAbsentReason"]) or status_code(
            element["dataAbsentReason"], "http://terminology.hl7.org/CodeSystem/data-absent-reason"
        )
        reading.ignored.append(
            Note(*_split(f"{name}.dataAbsentReason"), f"{what} absent ({reason}): not recorded")
        )
        return True
    return False


def _quantity(
    element: Mapping[str, Any], path: str, reading: _Reading, units: frozenset[str], expected: str
) -> tuple[float, str] | None:
    quantity = element.get("valueQuantity")
    if not (type(quantity) is dict or isinstance(quantity, Mapping)):
        got = next((k for k in element if k.startswith("value")), None)
        reading.problems.add(
            f"{path}.valueQuantity", f"expected a Quantity in {expected}, got {got or 'no value'}"
        )
        return None
    value = number(quantity.get("value"))
    if value is None:
        reading.problems.add(
            f"{path}.valueQuantity.value", f"must be a number, got {shown(quantity.get('value'))}"
        )
        return None
    key = "code" if "code" in quantity else "unit"
    unit = quantity.get(key)
    if unit not in units:
        reading.problems.add(
            f"{path}.valueQuantity.{key}", f"expected {expected}, got {shown(unit)}"
        )
        return None
    return value, str(unit)


def _quantity_mmhg(
    element: Mapping[str, Any], path: str, name: str, kind: str, day: date, reading: _Reading
) -> None:
    if _absent(element, name, reading, f"{kind} blood pressure"):
        return
    found = _quantity(element, path, reading, _MMHG, "mm[Hg]")
    if found is not None:
        reading.observe(kind, day, math.floor(found[0] + 0.5), f"{name}.valueQuantity")


def _temperature(
    element: Mapping[str, Any], path: str, name: str, day: date, reading: _Reading
) -> None:
    if _absent(element, name, reading, "temperature"):
        return
    found = _quantity(element, path, reading, frozenset({"Cel", "[degF]"}), "Cel or [degF]")
    if found is None:
        return
    value, unit = found
    celsius = value if unit == "Cel" else (value - 32) * 5 / 9
    reading.observe("temperature", day, round(celsius, 2), f"{name}.valueQuantity")


def _pain(element: Mapping[str, Any], path: str, name: str, day: date, reading: _Reading) -> None:
    # A fractional score is rounded up: pain never counts as less than recorded.
    if "valueInteger" in element:
        value = element["valueInteger"]
        if isinstance(value, bool) or not isinstance(value, int):
            reading.problems.add(
                f"{path}.valueInteger", f"must be a whole number, got {shown(value)}"
            )
            return
        reading.observe("pain", day, value, f"{name}.valueInteger")
        return
    if "valueQuantity" in element:
        found = _quantity(element, path, reading, frozenset({"{score}", "1"}), "{score}")
        if found is not None:
            reading.observe("pain", day, math.ceil(found[0]), f"{name}.valueQuantity")
        return
    if "valueCodeableConcept" in element:
        answer = element["valueCodeableConcept"]
        words = [concept_text(answer) or ""]
        words += [str(c.get("display", "")) for c in codings(answer)]
        for word in words:
            if word.strip().isdigit():
                reading.observe("pain", day, int(word.strip()), f"{name}.valueCodeableConcept")
                return
        reading.problems.add(
            f"{path}.valueCodeableConcept",
            "expected an answer whose display is a score from 0 to 10",
        )
        return
    if _absent(element, name, reading, "pain score"):
        return
    reading.problems.add(
        f"{path}.value[x]", "expected valueInteger, valueQuantity {score} or valueCodeableConcept"
    )


def _pregnancy(
    element: Mapping[str, Any], path: str, name: str, day: date, reading: _Reading
) -> None:
    if _absent(element, name, reading, "pregnancy status"):
        return
    answer = element.get("valueCodeableConcept")
    index = has_code(answer, SNOMED, frozenset(_PREGNANCY_ANSWERS))
    if index is None:
        allowed = "77386006 Pregnant, 60001007 Not pregnant, 261665006 Unknown"
        reading.problems.add(
            f"{path}.valueCodeableConcept", f"expected a SNOMED CT answer: {allowed}"
        )
        return
    code = codings(answer)[index]["code"]
    reading.observe(
        "pregnancy", day, _PREGNANCY_ANSWERS[code], f"{name}.valueCodeableConcept.coding[{index}]"
    )


# --------------------------------------------------------------------------- medications


def _medication_concept(
    source: _Source, index: Mapping[str, _Source]
) -> tuple[Mapping[str, Any] | None, str]:
    resource, name = source.resource, source.name
    if "medicationCodeableConcept" in resource:
        return resource["medicationCodeableConcept"], f"{name}.medicationCodeableConcept"
    ref = _reference(resource.get("medicationReference"))
    if ref is None:
        return None, f"{name}.medication[x]"
    if ref.startswith("#"):
        for contained in _list(resource.get("contained")):
            if (type(contained) is dict or isinstance(contained, Mapping)) and contained.get(
                "id"
            ) == ref[1:]:
                return contained.get("code"), f"{name}.contained[{ref}].code"
        return None, f"{name}.medicationReference"
    target = index.get(ref)
    if target is None:
        tail = "/".join(ref.rsplit("/", 2)[-2:])
        target = index.get(tail)
    if target is None:
        return None, f"{name}.medicationReference"
    return target.resource.get("code"), f"{name}.medicationReference ({target.name}.code)"


def _ingredients(words: str) -> list[str]:
    """Return the ingredient names of an RxNorm name: the words before the strength."""
    names = []
    for part in words.split(" / "):
        tokens = []
        for token in part.split():
            if token[:1].isdigit():
                break
            tokens.append(token)
        if tokens:
            names.append(" ".join(tokens).lower())
    return names


def _read_medication(
    source: _Source, reading: _Reading, index: Mapping[str, _Source], current: frozenset[str]
) -> None:
    resource, path, name = source.resource, source.path, source.name
    status = resource.get("status")
    if status not in current:
        reading.ignored.append(Note(name, "status", f"{status}: not taken now"))
        return
    started = parse_day(resource.get("authoredOn"))
    if started is None:
        period = resource.get("effectivePeriod")
        started = parse_day(
            period.get("start")
            if (type(period) is dict or isinstance(period, Mapping))
            else resource.get("effectiveDateTime")
        )
    if started is not None and started[0] > reading.as_of:
        reading.ignored.append(
            Note(name, "", f"started {started[0].isoformat()}, after the assessment day")
        )
        return
    concept, element = _medication_concept(source, index)
    atc: str | None = None
    for k, coding in enumerate(codings(concept)):
        if coding.get("system") == ATC and isinstance(coding.get("code"), str):
            try:
                check_atc(coding["code"])
            except ValueError as exc:
                reading.problems.add(f"{path}.medicationCodeableConcept.coding[{k}].code", str(exc))
                return
            atc = coding["code"]
    words = concept_text(concept)
    if words is None:
        display = _reference(resource.get("medicationReference")) or "(no name)"
        words = f"medication {display}"
    names = _ingredients(words) if any(c.get("system") == RXNORM for c in codings(concept)) else []
    made: list[Medication] = []
    if names and all(ingredient_atc(n) is not None for n in names):
        made = [Medication(name=n) for n in names]
        if atc is not None:
            made[0] = Medication(name=names[0], atc=atc)
    else:
        made = [Medication(name=one_line(words), atc=atc)]
    for medication in made:
        reading.medications.append((medication, element))
        if classify_medication(medication) is None:
            reading.unclassified.append(
                Note(*_split(element), f"medication {words!r}: its class cannot be told")
            )


# --------------------------------------------------------------------------- allergies


T = TypeVar("T", Site, Substance)


def _term(kind: type[T], word: str) -> T | None:
    """Return the member of a vocabulary ``word`` names (value or synonym), or ``None``.

    A lookup, not :meth:`~herniarules.vocabulary.Term.parse`: a word that names nothing is
    common here (free text from an EHR), and the parse error's close-match search is costly.
    """
    found = kind.synonyms().get(word) or kind._value2member_map_.get(word)
    return found if isinstance(found, kind) else None


def _substance(words: str) -> Substance:
    folded = " ".join(words.lower().split())
    for candidate in (folded, folded.replace(" ", "-")):
        found = _term(Substance, candidate)
        if found is not None:
            return found
    for word, substance in _BEE_WORDS:
        if word in folded:
            return substance
    if "latex" in folded:
        return Substance.LATEX
    return Substance.OTHER


def _read_allergy(source: _Source, reading: _Reading) -> None:
    resource, name = source.resource, source.name
    clinical = status_code(
        resource.get("clinicalStatus"),
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
    )
    if clinical in ("inactive", "resolved"):
        reading.ignored.append(Note(name, "clinicalStatus", f"{clinical}: not current"))
        return
    verification = status_code(
        resource.get("verificationStatus"),
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
    )
    if verification in _NOT_A_DIAGNOSIS:
        reading.ignored.append(Note(name, "verificationStatus", f"{verification}: not an allergy"))
        return
    texts = [concept_text(resource.get("code"))]
    texts += [c.get("display") for c in codings(resource.get("code"))]
    words = [t for t in texts if isinstance(t, str) and t.strip()]
    if not words:
        reading.problems.add(
            f"{source.path}.code", "an AllergyIntolerance needs a coded or named substance"
        )
        return
    substance = Substance.OTHER
    for text in words:
        substance = _substance(text)
        if substance is not Substance.OTHER:
            break
    display = None if substance is not Substance.OTHER else one_line(words[0])
    reading.allergies.append((Allergy(substance, display=display), f"{name}.code"))


# --------------------------------------------------------------------------- procedures


def _is_spinal(concept: object) -> bool:
    for coding in codings(concept):
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(code, str):
            continue
        if system == ICD10_PCS and len(code) == 7:
            parts = _PCS_SPINE.get(code[:2])
            if parts is not None and code[3] in parts:
                return True
        if system == CPT and code.isdigit():
            value = int(code)
            if 22010 <= value <= 22899 or 63001 <= value <= 63295 or value == 62380:
                return True
    words = [concept_text(concept) or ""] + [str(c.get("display", "")) for c in codings(concept)]
    folded = " ".join(words).lower()
    return any(word in folded for word in _SPINAL_WORDS)


def _read_procedure(source: _Source, reading: _Reading) -> None:
    resource, path, name = source.resource, source.path, source.name
    status = resource.get("status")
    if status not in _PROCEDURE_DONE:
        reading.ignored.append(Note(name, "status", f"{status}: not performed"))
        return
    if not _is_spinal(resource.get("code")):
        reading.ignored.append(Note(name, "code", "not an operation on the spine"))
        return
    span = parse_day(resource.get("performedDateTime"))
    element = "performedDateTime"
    period = resource.get("performedPeriod")
    if span is None and (type(period) is dict or isinstance(period, Mapping)):
        for key in ("end", "start"):
            span = parse_day(period.get(key))
            if span is not None:
                element = f"performedPeriod.{key}"
                break
    if span is None:
        reading.problems.add(
            f"{path}.performed[x]",
            "a spinal operation needs its date: the healing rules count from it",
        )
        return
    if span[0] > reading.as_of:
        reading.ignored.append(
            Note(name, element, f"performed {span[0].isoformat()}, after the assessment day")
        )
        return
    text = concept_text(resource.get("code"))
    # the latest day it may have been: the healing period is never counted short
    reading.surgeries.append(
        (Surgery(date=span[1], procedure=one_line(text) if text else None), f"{name}.{element}")
    )


# --------------------------------------------------------------------------- assembly


def map_resources(
    sources: list[_Source],
    *,
    as_of: date,
    patient: str | None,
    freshness: Freshness = DEFAULT_FRESHNESS,
    problems: Problems | None = None,
) -> FhirRecord:
    """Read the patient's resources among ``sources`` into a :class:`FhirRecord`."""
    reading = _Reading(as_of, freshness)
    if problems is not None:
        reading.problems = problems
    chosen = select_patient(sources, patient)
    aliases = _patient_aliases(chosen)
    rid = chosen.resource.get("id")
    rid = rid if isinstance(rid, str) else None
    index: dict[str, _Source] = {}
    for source in sources:
        if source.type == "Medication":
            if source.full_url:
                index[source.full_url] = source
            index[source.name] = source
    pid, age, sex = _read_patient(chosen, reading)
    readers: dict[str, Callable[[_Source, _Reading], None]] = {
        "Condition": _read_condition,
        "Observation": _read_observation,
        "AllergyIntolerance": _read_allergy,
        "MedicationRequest": lambda s, r: _read_medication(s, r, index, _MED_REQUEST_CURRENT),
        "MedicationStatement": lambda s, r: _read_medication(s, r, index, _MED_STATEMENT_CURRENT),
        "Procedure": _read_procedure,
    }
    for source in sources:
        reader = readers.get(source.type)
        if reader is None:
            if source.type not in ("Patient", "Medication"):
                reading.skipped[source.type] = reading.skipped.get(source.type, 0) + 1
            continue
        if not _is_about(_reference(_subject(source.resource)), aliases, rid):
            reading.ignored.append(Note(source.name, "subject", "about another patient"))
            continue
        reader(source, reading)
    reading.problems.raise_any()
    return _assemble(reading, chosen, pid, age, sex)


def _assemble(reading: _Reading, chosen: _Source, pid: str, age: int, sex: Sex) -> FhirRecord:
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
                    *_split(element),
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


def sources_of(
    items: Iterable[tuple[object, str, str | None]], problems: Problems
) -> list[_Source]:
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
        found.append(_Source(resource, path, full_url if isinstance(full_url, str) else None))
    return found
