"""What every part of the FHIR adapter shares: the record type, notes, errors, small readers."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from herniarules.errors import InputError, Problem
from herniarules.frozen import FrozenDict
from herniarules.model import Patient

__all__ = ["FhirError", "FhirRecord", "Freshness", "Note"]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10_PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
CPT = "http://www.ama-assn.org/go/cpt"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


class FhirError(InputError):
    """Raised when a FHIR resource cannot be read; each problem names its FHIR path."""

    def _subject(self) -> str:
        return "FHIR input"

    def with_source(self, source: str) -> FhirError:
        """Return the same error naming the file or stream it came from."""
        return FhirError(self.problems, source)


@attrs.frozen
class Note:
    """One resource or element the mapping read but did not turn into a patient fact."""

    resource: str
    """The resource, as ``Type/id`` (or its ``fullUrl`` when it has no id)."""
    element: str
    """The element within it (``code``, ``component[1]``), or ``""`` for the whole resource."""
    reason: str
    """Why, in plain words."""

    def __str__(self) -> str:
        where = f"{self.resource}.{self.element}" if self.element else self.resource
        return f"{where}: {self.reason}"


@attrs.frozen
class Freshness:
    """How old an observation may be, in days before the assessment day, and still count.

    An older observation counts as not recorded. Vital signs (blood pressure, temperature,
    pain) are those taken at the visit, as :class:`~herniarules.Vitals` says: the assessment
    day or the day before (``1``), so that an evening visit recorded across midnight, or in
    another time zone, still counts; this follows the convention of office blood pressure
    (ESC/ESH 2018), which is measured at the visit. A positive pregnancy status counts for
    280 days, the length of a term pregnancy by Naegele's rule; a negative one for 7 days,
    the window in which a negative status is taken to hold in the CDC's criteria for being
    "reasonably certain that a woman is not pregnant" (US MEC 2016). Each may be shortened,
    never lengthened.
    """

    vital_signs_days: int = attrs.field(default=1)
    pregnant_days: int = attrs.field(default=280)
    not_pregnant_days: int = attrs.field(default=7)

    def __attrs_post_init__(self) -> None:
        limits = {"vital_signs_days": 1, "pregnant_days": 280, "not_pregnant_days": 7}
        for name, limit in limits.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
                raise ValueError(f"{name} must be a whole number from 0 to {limit}, got {value!r}")


DEFAULT_FRESHNESS = Freshness()


@attrs.frozen
class FhirRecord:
    """A patient read from FHIR resources, with where each value came from.

    ``provenance`` maps a path of the herniarules patient record (``vitals.systolic_mmhg``,
    ``conditions[0]``) to the FHIR element it was read from
    (``Observation/bp-1.component[0].valueQuantity``, ``Condition/c1``); where the value was
    not read as written, a note in parentheses follows the element
    (``Condition/c1.code.coding[0] (SNOMED CT 38341003 read as ICD-10-CM I10)``,
    ``Condition/c2 (no clinicalStatus: read as active)``). ``unclassified``
    lists what was read but could not be classified (a condition coded only in SNOMED CT);
    each such item is also in the patient where it can block (it gives *insufficient data*).
    ``ignored`` lists what was read and deliberately left out (a refuted diagnosis, a stopped
    medication, an observation older than the freshness window). ``skipped`` counts the
    resources of types the mapping does not read, by type.
    """

    patient: Patient
    provenance: Mapping[str, str] = attrs.field(converter=FrozenDict)
    unclassified: tuple[Note, ...] = ()
    ignored: tuple[Note, ...] = ()
    skipped: Mapping[str, int] = attrs.field(factory=FrozenDict, converter=FrozenDict)
    patient_resource: str = ""
    """The Patient resource the record is about, as ``Patient/id``."""
    as_of: date | None = None
    """The day the record was read for: ages and freshness are counted to it."""


class Problems:
    """Collects path-named problems; raises them together as one :class:`FhirError`."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(Problem(path, message))

    def raise_any(self) -> None:
        if self.items:
            raise FhirError(self.items)


def shown(value: object) -> str:
    """Show a wrong value in a message, as JSON writes it, shortened."""
    if isinstance(value, str):
        text = '"' + value + '"'
    elif value is None:
        text = "null"
    elif value is True or value is False:
        text = "true" if value else "false"
    elif isinstance(value, dict):
        text = "an object"
    elif isinstance(value, list):
        text = "an array"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_day(value: object) -> tuple[date, date] | None:
    """Return the first and last day a FHIR date or dateTime may mean, or ``None``.

    ``2021-04`` may mean any day of April 2021. The time and zone of a dateTime are dropped:
    the day as written is the day it happened where it was recorded.
    """
    if not isinstance(value, str):
        return None
    match = _DATE.match(value)
    if match is None:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        if day is not None:
            one = date(int(year), int(month), int(day))
            return one, one
        if month is not None:
            first = date(int(year), int(month), 1)
            following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
            return first, date.fromordinal(following.toordinal() - 1)
        return date(int(year), 1, 1), date(int(year), 12, 31)
    except ValueError:
        return None


def codings(concept: object) -> list[Mapping[str, Any]]:
    """Return the codings of a CodeableConcept that are objects (others are not read)."""
    # JSON gives dicts and lists: the exact types are checked first, the ABCs only if not
    if type(concept) is not dict and not isinstance(concept, Mapping):
        return []
    found = concept.get("coding")
    if type(found) is not list:
        return []
    for coding in found:
        if type(coding) is not dict:
            return [c for c in found if isinstance(c, Mapping)]
    return found


def concept_text(concept: object) -> str | None:
    """Return the words of a CodeableConcept: its text, else the first coding's display."""
    if not (type(concept) is dict or isinstance(concept, Mapping)):
        return None
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return " ".join(text.split())
    for coding in codings(concept):
        display = coding.get("display")
        if isinstance(display, str) and display.strip():
            return " ".join(display.split())
    return None


def has_code(concept: object, system: str, codes: frozenset[str]) -> int | None:
    """Return the index of the first coding of ``system`` with a code in ``codes``."""
    for index, coding in enumerate(codings(concept)):
        code = coding.get("code")
        if coding.get("system") == system and isinstance(code, str) and code in codes:
            return index
    return None


def status_code(concept: object, system: str) -> str | None:
    """Return the code of a status CodeableConcept in ``system`` (or with no system)."""
    for coding in codings(concept):
        found = coding.get("system")
        code = coding.get("code")
        if isinstance(code, str) and (found == system or found is None):
            return code
    return None


def number(value: object) -> float | None:
    """Return a JSON number as a float, or ``None`` for anything else (bool included)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def one_line(text: str, limit: int = 200) -> str:
    """Return ``text`` on one line, at most ``limit`` characters."""
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 3].rstrip() + "..."
