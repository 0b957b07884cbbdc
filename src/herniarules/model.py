"""The patient record: frozen, validated values and nothing else.

Every class here holds data and its invariants only; conversion from JSON lives in
:mod:`herniarules.io`, derivation in :mod:`herniarules.facts`. Units are in the field names
(``size_mm``, ``temperature_c``, ``systolic_mmhg``). ``None`` always means "not recorded", and a
rule that needs a value that was not recorded yields *insufficient data*, never *allowed*.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable
from datetime import date
from typing import Any, TypeAlias

import attrs
from attrs import validators as v

from herniarules.terminology import CodeSystem, normalize_code

Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]

__all__ = [
    "Allergy",
    "Clearance",
    "ClinicalStatus",
    "CodeSystem",
    "Condition",
    "Hernia",
    "HerniaKind",
    "MassageCourse",
    "Medication",
    "Patient",
    "Phase",
    "Region",
    "Sex",
    "Surgery",
    "Vitals",
]


class Region(enum.StrEnum):
    """Spinal region of a hernia."""

    CERVICAL = "cervical"
    THORACIC = "thoracic"
    LUMBAR = "lumbar"
    LUMBOSACRAL = "lumbosacral"


class HerniaKind(enum.StrEnum):
    """Morphology of the disc lesion, from least to most displaced."""

    PROTRUSION = "protrusion"
    EXTRUSION = "extrusion"
    """Extrusion, also called prolapse: the nucleus pulposus has passed the annulus fibrosus."""
    SEQUESTRATION = "sequestration"
    SCHMORL_NODE = "schmorl-node"
    """Schmorl's node: herniation of the disc into the vertebral body end plate."""


class Phase(enum.StrEnum):
    """Clinical phase of a hernia. ``ACUTE`` and ``EXACERBATION`` forbid massage outright."""

    ACUTE = "acute"
    EXACERBATION = "exacerbation"
    SUBACUTE = "subacute"
    REMISSION = "remission"
    POST_SURGICAL = "post-surgical"
    """Rehabilitation period after surgery on the hernia."""


#: Severity order of phases, most severe first; the "worst phase" of a patient is the
#: hernia phase with the lowest index here.
PHASE_SEVERITY: tuple[Phase, ...] = (
    Phase.ACUTE,
    Phase.EXACERBATION,
    Phase.SUBACUTE,
    Phase.POST_SURGICAL,
    Phase.REMISSION,
)


class Sex(enum.StrEnum):
    """Administrative sex, as in FHIR ``Patient.gender``."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class ClinicalStatus(enum.StrEnum):
    """Clinical status of a condition, as in FHIR ``Condition.clinicalStatus``."""

    ACTIVE = "active"
    RECURRENCE = "recurrence"
    RELAPSE = "relapse"
    REMISSION = "remission"
    RESOLVED = "resolved"
    INACTIVE = "inactive"

    @property
    def is_active(self) -> bool:
        """Return whether the condition is present now (active, recurrence or relapse)."""
        return self in _ACTIVE_STATUSES

    @property
    def is_exacerbation(self) -> bool:
        """Return whether the condition has flared up again (recurrence or relapse)."""
        return self in (ClinicalStatus.RECURRENCE, ClinicalStatus.RELAPSE)


_ACTIVE_STATUSES = frozenset(
    {ClinicalStatus.ACTIVE, ClinicalStatus.RECURRENCE, ClinicalStatus.RELAPSE}
)


_LEVEL = re.compile(
    r"^(C[1-7]|T(?:[1-9]|1[0-2])|L[1-5]|S1)(?:-(C[1-7]|T(?:[1-9]|1[0-2])|L[1-5]|S1))?$"
)
_SEGMENT_ORDER: dict[str, int] = {
    **{f"C{i}": i for i in range(1, 8)},
    **{f"T{i}": 7 + i for i in range(1, 13)},
    **{f"L{i}": 19 + i for i in range(1, 6)},
    "S1": 25,
}
_LEVEL_REGIONS: dict[str, frozenset[Region]] = {
    "C": frozenset({Region.CERVICAL}),
    "T": frozenset({Region.THORACIC}),
    "L": frozenset({Region.LUMBAR, Region.LUMBOSACRAL}),
    "S": frozenset({Region.LUMBOSACRAL}),
}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
#: Technique ids: lower-case letters, digits and '-', at most 40 characters.
TECHNIQUE_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
#: Concept and indication ids: lower-case letters, digits and '-', at most 64 characters.
CONCEPT_ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,63}$")


def _vertebra_regions(name: str) -> frozenset[Region]:
    return _LEVEL_REGIONS["S" if name == "S1" else name[0]]


def _level(instance: Hernia, attribute: attrs.Attribute[str], value: str) -> None:
    match = _LEVEL.match(value)
    if match is None:
        raise ValueError(
            f"must be a vertebral level such as 'L4-L5', 'L5-S1', 'C5-C6' or 'T8', got {value!r}"
        )
    upper, lower = match.group(1), match.group(2)
    if lower is not None and _SEGMENT_ORDER[lower] != _SEGMENT_ORDER[upper] + 1:
        raise ValueError(f"must name two adjacent vertebrae, upper first, got {value!r}")
    allowed = _vertebra_regions(upper) | _vertebra_regions(lower or upper)
    if isinstance(instance.region, Region) and instance.region not in allowed:
        names = " or ".join(sorted(r.value for r in allowed))
        raise ValueError(f"level {value} lies in the {names} region, not {instance.region.value}")


def _pattern(regex: re.Pattern[str], what: str) -> Validator:
    def check(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if not regex.match(value):
            raise ValueError(f"must be {what}, got {value!r}")

    return check


_identifier = _pattern(_ID, "1-64 letters, digits or . _ : / - starting with a letter or digit")
technique_id = _pattern(TECHNIQUE_ID_PATTERN, "a technique id: lower-case letters, digits and '-'")
concept_id = _pattern(CONCEPT_ID_PATTERN, "a concept id: lower-case letters, digits and '-'")


def _number(value: float) -> str:
    try:
        return f"{value:g}"
    except OverflowError:  # an integer too large for a float still deserves a message
        text = str(value)
        return text if len(text) <= 20 else f"{text[:17]}... ({len(text)} digits)"


def between(low: float, high: float) -> Validator:
    """Return a validator accepting ``None`` or a number from ``low`` to ``high`` inclusive."""

    def check(
        instance: object, attribute: attrs.Attribute[float | None], value: float | None
    ) -> None:
        if value is None:
            return
        if value != value:  # NaN is the only value unequal to itself
            raise ValueError("must be a number, got NaN")
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}, got {_number(value)}")

    check.bounds = (low, high)  # type: ignore[attr-defined]
    return check


@attrs.frozen
class Vitals:
    """Measurements taken at the visit. Each value is optional; ``None`` means not measured."""

    systolic_mmhg: int | None = attrs.field(default=None, validator=between(50, 300))
    diastolic_mmhg: int | None = attrs.field(default=None, validator=between(20, 200))
    temperature_c: float | None = attrs.field(default=None, validator=between(30.0, 45.0))
    pain_score: int | None = attrs.field(default=None, validator=between(0, 10))
    """Pain on the 0-10 numeric rating scale (NRS-11)."""

    def __attrs_post_init__(self) -> None:
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise ValueError(
                f"diastolic_mmhg ({self.diastolic_mmhg}) must be below systolic_mmhg "
                f"({self.systolic_mmhg})"
            )


@attrs.frozen
class Hernia:
    """One intervertebral disc hernia (or Schmorl's node)."""

    region: Region
    level: str = attrs.field(validator=_level)
    """Vertebral level: two adjacent vertebrae (``L4-L5``, ``L5-S1``) or one (``T8``)."""
    kind: HerniaKind
    phase: Phase
    size_mm: float | None = attrs.field(default=None, validator=between(0.0, 40.0))
    """Largest dimension of the herniation on imaging, in millimetres."""
    surgery_indicated: bool | None = None
    """Whether a surgeon has indicated an operation for this hernia."""


def _icd10(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    normalize_code(value)


@attrs.frozen
class Condition:
    """A diagnosis: an ICD-10 code, or a named concept when no code is known."""

    status: ClinicalStatus
    """Whether the condition is present now; only active, recurrence and relapse count."""
    code: str | None = attrs.field(default=None, validator=v.optional(_icd10))
    """ICD-10 code in either spelling, with or without the dot (``C34.1``, ``c341``)."""
    system: CodeSystem = CodeSystem.ICD10
    concept: str | None = attrs.field(default=None, validator=v.optional(concept_id))
    """A terminology concept id such as ``varicose-veins``, used when no code is known."""
    display: str | None = None
    """Human-readable name of the condition, for display only; rules never read it."""
    onset: date | None = None
    """Day the condition began, when known."""

    def __attrs_post_init__(self) -> None:
        if self.code is None and self.concept is None:
            raise ValueError("needs a code or a concept")


@attrs.frozen
class Allergy:
    """An allergy or intolerance; ``substance`` is a lower-case name such as ``honey``."""

    substance: str = attrs.field(
        validator=_pattern(re.compile(r"^[a-z][a-z0-9 -]{0,63}$"), "a lower-case substance name")
    )


@attrs.frozen
class Medication:
    """A medication that matters to massage, by class (``anticoagulant``) and optional name."""

    category: str = attrs.field(validator=concept_id)
    name: str | None = None


@attrs.frozen
class MassageCourse:
    """A previous massage course; ``end_date`` is the day of its last session."""

    end_date: date
    technique: str | None = attrs.field(default=None, validator=v.optional(technique_id))
    start_date: date | None = None

    def __attrs_post_init__(self) -> None:
        if self.start_date is not None and self.start_date > self.end_date:
            raise ValueError(f"start_date {self.start_date} is after end_date {self.end_date}")


@attrs.frozen
class Surgery:
    """A spinal operation with its date."""

    date: dt.date
    procedure: str | None = None
    region: Region | None = None


@attrs.frozen
class Clearance:
    """A physician's recorded approval of one technique for this patient."""

    technique: str = attrs.field(validator=technique_id)
    physician: str = attrs.field(validator=_pattern(re.compile(r"^\S"), "a non-empty name"))
    date: dt.date
    valid_until: dt.date | None = None

    def __attrs_post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until < self.date:
            raise ValueError(f"valid_until {self.valid_until} is before date {self.date}")

    def is_valid_on(self, day: dt.date) -> bool:
        """Return whether the clearance holds on ``day``."""
        return self.date <= day and (self.valid_until is None or day <= self.valid_until)


def _tuple(kind: type) -> Validator:
    """Return a validator for a tuple whose items are all ``kind``."""

    def check(instance: object, attribute: attrs.Attribute[object], value: object) -> None:
        if type(value) is not tuple:
            raise TypeError(f"must be a tuple of {kind.__name__}, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, kind):
                raise TypeError(f"must contain only {kind.__name__}, got {type(item).__name__}")

    return check


@attrs.frozen
class Patient:
    """Everything herniarules knows about one patient at one visit.

    A patient with no hernias is assessed for preventive massage.
    """

    id: str = attrs.field(validator=_identifier)
    age: int = attrs.field(validator=between(0, 130))
    sex: Sex
    vitals: Vitals = attrs.field(factory=Vitals)
    hernias: tuple[Hernia, ...] = attrs.field(default=(), validator=_tuple(Hernia))
    pregnant: bool | None = None
    """``None`` means not recorded; for a woman aged 12-55 this yields insufficient data."""
    inflammatory_process: bool | None = None
    """Whether an active inflammatory process is present; ``None`` means not assessed."""
    conditions: tuple[Condition, ...] = attrs.field(default=(), validator=_tuple(Condition))
    allergies: tuple[Allergy, ...] = attrs.field(default=(), validator=_tuple(Allergy))
    medications: tuple[Medication, ...] = attrs.field(default=(), validator=_tuple(Medication))
    massage_courses: tuple[MassageCourse, ...] = attrs.field(
        default=(), validator=_tuple(MassageCourse)
    )
    surgeries: tuple[Surgery, ...] = attrs.field(default=(), validator=_tuple(Surgery))
    clearances: tuple[Clearance, ...] = attrs.field(default=(), validator=_tuple(Clearance))
    indications: tuple[str, ...] = attrs.field(
        default=(), validator=v.deep_iterable(concept_id, v.instance_of(tuple))
    )
    """What massage is sought for (``compression``, ``muscle-weakness``...), used for ranking."""

    def __attrs_post_init__(self) -> None:
        if self.pregnant and self.sex is Sex.MALE:
            raise ValueError("pregnant is true but sex is male")
