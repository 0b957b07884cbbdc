"""The patient record: frozen, validated values and nothing else.

Every class here holds data and its invariants only; conversion from JSON lives in
:mod:`herniarules.io`, derivation in :mod:`herniarules.facts`. Units are in the field names
(``size_mm``, ``temperature_c``, ``systolic_mmhg``). ``None`` always means "not recorded", and a
rule that needs a value that was not recorded yields *insufficient data*, never *allowed*.

Every field checks its type as well as its value: ``True`` is not a pain score, ``"yes"`` is
not a boolean, a ``datetime`` is not a date, a list is not a tuple. Fields of a fixed
enumeration (:class:`Sex`, :class:`Region`, :class:`Phase`...) take its members only; fields
of a vocabulary (:class:`~herniarules.vocabulary.Substance`,
:class:`~herniarules.vocabulary.MedicationCategory`, :class:`~herniarules.vocabulary.Site`,
:class:`~herniarules.vocabulary.Indication`) also take the term or a synonym as text and keep
the member. A constructor given bad values raises :class:`~herniarules.errors.ModelError`
naming every bad field, with the messages the JSON door gives.
"""

from __future__ import annotations

import datetime as dt
import enum
import inspect
import re
import sys
import types
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeAlias, TypeVar

import attrs

from herniarules._codegen import define
from herniarules.errors import ModelError, Problem
from herniarules.terminology import CodeSystem, check_code, normalize_code
from herniarules.vocabulary import (
    ATC_PATTERN,
    CONDITION_CONCEPTS,
    Indication,
    MedicationCategory,
    Site,
    Substance,
    Term,
    check_atc,
    check_concept,
)

Validator: TypeAlias = Callable[[Any, "attrs.Attribute[Any]", Any], None]
T = TypeVar("T")
E = TypeVar("E", bound=Term)

__all__ = [
    "Allergy",
    "Clearance",
    "ClinicalStatus",
    "CodeSystem",
    "Condition",
    "Hernia",
    "HerniaKind",
    "Indication",
    "MassageCourse",
    "Medication",
    "MedicationCategory",
    "ModelError",
    "Patient",
    "Phase",
    "Region",
    "Sex",
    "Site",
    "Substance",
    "Surgery",
    "Verification",
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


class Verification(enum.StrEnum):
    """How certain a diagnosis is, as in FHIR ``Condition.verificationStatus``.

    A refuted diagnosis or one entered in error is not a condition of the patient and is not
    recorded at all. A diagnosis that is not confirmed (``unconfirmed``, ``provisional``,
    ``differential``) is neither counted nor ignored: where it would bear on a rule it gives
    *insufficient data* until it is confirmed or refuted.
    """

    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"
    PROVISIONAL = "provisional"
    """A tentative diagnosis, still being worked up."""
    DIFFERENTIAL = "differential"
    """One of several possible diagnoses under consideration."""

    @property
    def is_confirmed(self) -> bool:
        """Return whether the diagnosis is confirmed."""
        return self is Verification.CONFIRMED


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
#: A code of a system the SDK does not read, as ``system|code`` (one line, no spaces).
_OTHER_CODE = re.compile(r"^[^\s|]{1,200}\|[^\s|]{1,64}$")
#: Free-text names (a drug as prescribed, a procedure): no surrounding space, one line.
_NAME = re.compile(r"^\S(?:.{0,198}\S)?$")


def _vertebra_regions(name: str) -> frozenset[Region]:
    return _LEVEL_REGIONS["S" if name == "S1" else name[0]]


def _got(value: object) -> str:
    """Show a wrong value in a message, as Python writes it."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _level(instance: Hernia, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"must be a string, got {_got(value)}")
    match = _LEVEL.fullmatch(value)  # fullmatch: '$' alone would let a final newline in
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


def text(
    regex: re.Pattern[str] | None = None, what: str = "", *, optional: bool = False
) -> Validator:
    """Return a validator accepting a ``str`` (matching ``regex``), or ``None`` if ``optional``."""

    def check(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
        if not isinstance(value, str):
            if value is None and optional:
                return
            raise TypeError(f"must be a string, got {_got(value)}")
        if regex is not None and not regex.fullmatch(value):
            raise ValueError(f"must be {what}, got {value!r}")

    check.pattern = regex  # type: ignore[attr-defined]
    return check


_identifier = text(_ID, "1-64 letters, digits or . _ : / - starting with a letter or digit")
technique_id = text(TECHNIQUE_ID_PATTERN, "a technique id: lower-case letters, digits and '-'")
concept_id = text(CONCEPT_ID_PATTERN, "a concept id: lower-case letters, digits and '-'")
_optional_technique = text(
    TECHNIQUE_ID_PATTERN, "a technique id: lower-case letters, digits and '-'", optional=True
)
_optional_name = text(_NAME, "a name of 1-200 characters on one line", optional=True)


def _number(value: float) -> str:
    try:
        return f"{value:g}"
    except OverflowError:  # an integer too large for a float still deserves a message
        text = str(value)
        return text if len(text) <= 20 else f"{text[:17]}... ({len(text)} digits)"


def between(low: float, high: float, *, whole: bool = False, optional: bool = True) -> Validator:
    """Return a validator accepting a number from ``low`` to ``high`` inclusive.

    ``whole`` asks for an ``int``; otherwise an ``int`` or a ``float``. A ``bool`` is never a
    number. ``None`` passes if ``optional``. ``.bounds`` holds ``(low, high)`` for the schema.
    """
    kind = "a whole number" if whole else "a number"

    def check(
        instance: object, attribute: attrs.Attribute[float | None], value: float | None
    ) -> None:
        if value is None:
            if optional:
                return
            raise TypeError(f"must be {kind}, got None")
        # The exact types are the common case; anything else is checked the long way.
        cls = type(value)
        if (
            cls is not int
            and (cls is not float or whole)
            and (isinstance(value, bool) or not isinstance(value, int if whole else int | float))
        ):
            raise TypeError(f"must be {kind}, got {_got(value)}")
        if value != value:  # NaN is the only value unequal to itself
            raise ValueError("must be a number, got NaN")
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}, got {_number(value)}")

    check.bounds = (low, high)  # type: ignore[attr-defined]
    return check


def _flag(instance: object, attribute: attrs.Attribute[bool | None], value: object) -> None:
    """Accept ``True``, ``False`` or ``None`` (not recorded), and nothing else."""
    if value is not None and value is not True and value is not False:
        raise TypeError(f"must be True or False, got {_got(value)}")


def member(kind: type[enum.Enum], *, optional: bool = False) -> Validator:
    """Return a validator accepting a member of the enumeration ``kind`` (or ``None``)."""
    listed = ", ".join(f"{kind.__name__}.{m.name}" for m in kind)

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is kind or (value is None and optional):
            return
        hint = ""
        if isinstance(value, str):
            named = [m for m in kind if m.value == value]
            if named:
                hint = f" (use {kind.__name__}.{named[0].name})"
        raise TypeError(f"must be a {kind.__name__}: one of {listed}, got {_got(value)}{hint}")

    check.enum = kind  # type: ignore[attr-defined]
    return check


def day(*, optional: bool = False) -> Validator:
    """Return a validator accepting a ``datetime.date`` that is not a ``datetime``."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if type(value) is date or (value is None and optional):
            return
        if isinstance(value, dt.datetime):
            raise TypeError(f"must be a datetime.date, not a datetime, got {_got(value)}")
        raise TypeError(f"must be a datetime.date, got {_got(value)}")

    return check


def record(kind: type) -> Validator:
    """Return a validator accepting an instance of the model class ``kind``."""

    def check(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, kind):
            raise TypeError(f"must be {kind.__name__}, got {type(value).__name__}")

    return check


class _ItemError(TypeError):
    """Items of a tuple field are wrong; ``items`` holds ``(index, message)`` for each."""

    def __init__(self, items: Sequence[tuple[int, str]]) -> None:
        self.items = tuple(items)
        super().__init__(self.items[0][1])


def items(kind: type) -> Validator:
    """Return a validator for a tuple whose items are all ``kind``."""

    def check(instance: object, attribute: attrs.Attribute[object], value: object) -> None:
        if type(value) is not tuple:
            raise TypeError(f"must be a tuple of {kind.__name__}, got {type(value).__name__}")
        for item in value:
            if not isinstance(item, kind):
                raise _ItemError(
                    [
                        (index, f"must be {kind.__name__}, got {type(item).__name__}")
                        for index, item in enumerate(value)
                        if not isinstance(item, kind)
                    ]
                )

    return check


def _parse_terms(kind: type[E], value: object) -> tuple[E, ...]:
    """Return a tuple of terms of ``kind``, each given as a member or its text."""
    if type(value) is not tuple:
        raise TypeError(f"must be a tuple of {kind.__name__}, got {type(value).__name__}")
    for item in value:
        if type(item) is not kind:
            break
    else:
        return value
    converted: list[E] = []
    wrong: list[tuple[int, str]] = []
    for index, item in enumerate(value):
        try:
            converted.append(kind.parse(item))
        except ValueError as exc:
            wrong.append((index, str(exc)))
    if wrong:
        raise _ItemError(wrong)
    return tuple(converted)


# Converters of vocabulary fields: a member stays, text is looked up (synonyms included).


def _site(value: Site | str | None) -> Site | None:
    return value if value is None or type(value) is Site else Site.parse(value)


def _substance(value: Substance | str) -> Substance:
    return value if type(value) is Substance else Substance.parse(value)


def _category(value: MedicationCategory | str | None) -> MedicationCategory | None:
    if value is None or type(value) is MedicationCategory:
        return value
    return MedicationCategory.parse(value)


def _indications(value: Sequence[Indication | str]) -> tuple[Indication, ...]:
    return _parse_terms(Indication, value)


def _atc(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"must be a string, got {_got(value)}")
    check_atc(value)


def _concept(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"must be a string, got {_got(value)}")
    check_concept(value)


# What the JSON Schema of these fields says (see herniarules.schema).
_level.pattern = _LEVEL  # type: ignore[attr-defined]
_atc.pattern = re.compile(f"^{ATC_PATTERN.pattern}$")  # type: ignore[attr-defined]
_concept.choices = CONDITION_CONCEPTS  # type: ignore[attr-defined]


def _icd10(instance: object, attribute: attrs.Attribute[str | None], value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise TypeError(f"must be a string, got {_got(value)}")
    system = getattr(instance, "system", CodeSystem.ICD10)
    if type(system) is CodeSystem:
        check_code(value, system)
    else:  # the system field reports its own problem; the shape can still be checked
        normalize_code(value)


# --------------------------------------------------------------------------- the Python door

_ERRORS = (ValueError, TypeError)


def _problems(name: str, exc: BaseException) -> list[Problem]:
    if isinstance(exc, _ItemError):
        return [Problem(f"{name}[{index}]", message) for index, message in exc.items]
    return [Problem(name, str(exc))]


def _explain(cls: type, exc: BaseException, values: tuple[Any, ...]) -> ModelError:
    """Return the error naming every bad field of a failed ``cls(*values)``."""
    fields = [f for f in attrs.fields(cls) if f.init]
    found: dict[str, list[Problem]] = {}
    converted: dict[str, Any] = {}
    for field, value in zip(fields, values, strict=True):
        if value is attrs.NOTHING and isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            value = field.default.factory()  # a default: valid by construction
        converter = field.converter
        if callable(converter):
            try:
                value = converter(value)
            except _ERRORS as error:
                found[field.name] = _problems(field.name, error)
                value = None
        converted[field.name] = value
    probe = types.SimpleNamespace(**converted)
    for field in fields:
        if field.validator is None or field.name in found:
            continue
        try:
            field.validator(probe, field, converted[field.name])
        except _ERRORS as error:
            found[field.name] = _problems(field.name, error)
    problems = [problem for field in fields for problem in found.get(field.name, ())]
    if not problems:  # no field is wrong on its own: the object as a whole is
        problems = [Problem("$", str(exc))]
    return ModelError(problems, record=cls.__name__)


def _python_door(cls: type[T]) -> type[T]:
    """Make the constructor of the attrs class ``cls`` raise :class:`ModelError`.

    attrs' ``__init__`` stops at the first failing converter or validator and raises its bare
    ``ValueError`` or ``TypeError``. The ``__init__`` set here calls it with the same
    arguments; only when it fails does :func:`_explain` run each field's check on its own and
    raise one :class:`ModelError` naming every bad field. The signature is attrs' own.
    """
    raw = cls.__init__
    parameters = list(inspect.signature(raw).parameters.values())[1:]
    defaults = {f"_default_{p.name}": p.default for p in parameters if p.default is not p.empty}
    signature = ", ".join(
        p.name if p.default is p.empty else f"{p.name}=_default_{p.name}" for p in parameters
    )
    names = ", ".join(p.name for p in parameters)
    source = (
        f"def _make(_raw, _explain, _errors, {', '.join(['_cls', *defaults])}):\n"
        f"    def __init__(self, {signature}):\n"
        f"        try:\n"
        f"            _raw(self, {names})\n"
        f"        except _errors as exc:\n"
        f"            raise _explain(_cls, exc, ({names},)) from None\n"
        f"    return __init__\n"
    )
    # Not put in linecache: tools that read a function's source to rewrite its signature
    # (Sphinx's autodoc_preserve_defaults) would then replace the defaults the JSON door reads.
    # The module's globals, so that the annotations (strings) resolve as attrs' do.
    make = define(
        source,
        "_make",
        f"model door {cls.__qualname__}",
        vars(sys.modules[cls.__module__]),
        local={},
        register=False,
    )
    init = make(raw, _explain, _ERRORS, cls, *defaults.values())
    init.__annotations__ = dict(raw.__annotations__)
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = raw.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


@_python_door
@attrs.frozen
class Vitals:
    """Measurements taken at the visit. Each value is optional; ``None`` means not measured."""

    systolic_mmhg: int | None = attrs.field(default=None, validator=between(50, 300, whole=True))
    """Systolic office blood pressure, in mmHg (50 to 300)."""
    diastolic_mmhg: int | None = attrs.field(default=None, validator=between(20, 200, whole=True))
    """Diastolic office blood pressure, in mmHg (20 to 200), below the systolic."""
    temperature_c: float | None = attrs.field(default=None, validator=between(30.0, 45.0))
    """Body temperature, in degrees Celsius (30 to 45)."""
    pain_score: int | None = attrs.field(default=None, validator=between(0, 10, whole=True))
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


@_python_door
@attrs.frozen
class Hernia:
    """One intervertebral disc hernia (or Schmorl's node)."""

    region: Region = attrs.field(validator=member(Region))
    """The spine region of the hernia."""
    level: str = attrs.field(validator=_level)
    """Vertebral level: two adjacent vertebrae (``L4-L5``, ``L5-S1``) or one (``T8``)."""
    kind: HerniaKind = attrs.field(validator=member(HerniaKind))
    """The kind of disc displacement (protrusion, extrusion, sequestration and so on)."""
    phase: Phase = attrs.field(validator=member(Phase))
    """The clinical phase of the hernia (acute, subacute, remission and so on)."""
    size_mm: float | None = attrs.field(default=None, validator=between(0.0, 40.0))
    """Largest dimension of the herniation on imaging, in millimetres."""
    surgery_indicated: bool | None = attrs.field(default=None, validator=_flag)
    """Whether a surgeon has indicated an operation for this hernia."""


@_python_door
@attrs.frozen
class Condition:
    """A diagnosis: an ICD-10 code, or a named concept when no code is known."""

    status: ClinicalStatus = attrs.field(validator=member(ClinicalStatus))
    """Whether the condition is present now; only active, recurrence and relapse count."""
    code: str | None = attrs.field(default=None, validator=_icd10)
    """ICD-10 code in either spelling, with or without the dot (``C34.1``, ``c341``)."""
    system: CodeSystem = attrs.field(default=CodeSystem.ICD10, validator=member(CodeSystem))
    """The code system of code: WHO ICD-10 or ICD-10-CM."""
    concept: str | None = attrs.field(default=None, validator=_concept)
    """A known concept id such as ``varicose-veins`` (see
    :data:`herniarules.vocabulary.CONDITION_CONCEPTS`), used when no code is known."""
    display: str | None = attrs.field(default=None, validator=text(optional=True))
    """Human-readable name of the condition, for display only; rules never read it."""
    onset: date | None = attrs.field(default=None, validator=day(optional=True))
    """Day the condition began, when known."""
    site: Site | None = attrs.field(default=None, converter=_site)
    """Where on the body the condition is, when it is local (a rash on the ``back``)."""
    verification: Verification | None = attrs.field(
        default=None, validator=member(Verification, optional=True)
    )
    """How certain the diagnosis is; ``None`` means not stated, read as confirmed. An
    unconfirmed, provisional or differential diagnosis gives *insufficient data* where it
    would bear on a rule."""
    other_code: str | None = attrs.field(
        default=None,
        validator=text(_OTHER_CODE, "a code written 'system|code'", optional=True),
    )
    """The condition's code in a system the SDK does not read, written ``system|code``
    (``http://snomed.info/sct|38341003``). A condition with neither an ICD-10 code nor a
    concept (only an ``other_code`` or a ``display``) is *unclassified*: it gives
    *insufficient data*, since the SDK cannot tell what it means."""

    def __attrs_post_init__(self) -> None:
        if (
            self.code is None
            and self.concept is None
            and self.other_code is None
            and self.display is None
        ):
            raise ValueError(
                "needs a code or a concept (or, when neither is known, an other_code or a "
                "display: the condition is then unclassified)"
            )


_display_text = text(_NAME, "a name of 1-200 characters on one line")


def _allergy_display(
    instance: Allergy, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if value is None:
        if instance.substance is Substance.OTHER:
            raise ValueError("must name the substance when substance is 'other'")
        return
    _display_text(instance, attribute, value)


@_python_door
@attrs.frozen
class Allergy:
    """An allergy or intolerance to one substance of :class:`~herniarules.vocabulary.Substance`.

    Synonyms are replaced by the substance they name (``apitoxin`` -> ``bee venom``). A
    substance not listed is recorded as ``other`` with its name in ``display``.
    """

    substance: Substance = attrs.field(converter=_substance)
    """The substance: a :class:`~herniarules.vocabulary.Substance` or its name or synonym."""
    display: str | None = attrs.field(default=None, validator=_allergy_display)
    """The substance as the record names it; required when ``substance`` is ``other``."""


@_python_door
@attrs.frozen
class Medication:
    """A medication the patient takes: by category, name or WHO ATC code (at least one).

    What it means to the rules is :func:`herniarules.vocabulary.classify_medication`: the
    union of what its known parts say, or ``None`` (unknown) when no part is known.
    """

    category: MedicationCategory | None = attrs.field(default=None, converter=_category)
    """The class of the drug (``anticoagulant``, ``antiplatelet``...), when the record gives it."""
    name: str | None = attrs.field(default=None, validator=_optional_name)
    """The drug as prescribed: an INN (``warfarin``) or a brand; matched in any case."""
    atc: str | None = attrs.field(default=None, validator=_atc)
    """WHO ATC code of the drug at any level from the second (``B01AA03``, ``B01AC``)."""

    def __attrs_post_init__(self) -> None:
        if self.category is None and self.name is None and self.atc is None:
            raise ValueError("needs a name, an ATC code or a category")


@_python_door
@attrs.frozen
class MassageCourse:
    """A previous massage course; ``end_date`` is the day of its last session."""

    end_date: date = attrs.field(validator=day())
    """The day the course ended."""
    technique: str | None = attrs.field(default=None, validator=_optional_technique)
    """The id of the technique of the course, if known."""
    start_date: date | None = attrs.field(default=None, validator=day(optional=True))
    """The day the course began, if known."""

    def __attrs_post_init__(self) -> None:
        if self.start_date is not None and self.start_date > self.end_date:
            raise ValueError(f"start_date {self.start_date} is after end_date {self.end_date}")


@_python_door
@attrs.frozen
class Surgery:
    """A spinal operation with its date."""

    date: dt.date = attrs.field(validator=day())
    """The day of the operation."""
    procedure: str | None = attrs.field(default=None, validator=text(optional=True))
    """What was done, in free text."""
    region: Region | None = attrs.field(default=None, validator=member(Region, optional=True))
    """The spine region operated on, if known."""


@_python_door
@attrs.frozen
class Clearance:
    """A physician's recorded approval of one technique for this patient."""

    technique: str = attrs.field(validator=technique_id)
    """The id of the technique the physician cleared."""
    physician: str = attrs.field(validator=text(re.compile(r"^\S.*$"), "a non-empty name"))
    """The name of the physician who gave the clearance."""
    date: dt.date = attrs.field(validator=day())
    """The day the clearance was given; it applies from that day."""
    valid_until: dt.date | None = attrs.field(default=None, validator=day(optional=True))
    """The last day the clearance applies; open-ended when absent."""

    def __attrs_post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until < self.date:
            raise ValueError(f"valid_until {self.valid_until} is before date {self.date}")

    def is_valid_on(self, day: dt.date) -> bool:
        """Return whether the clearance holds on ``day``."""
        return self.date <= day and (self.valid_until is None or day <= self.valid_until)


@_python_door
@attrs.frozen
class Patient:
    """Everything herniarules knows about one patient at one visit.

    A patient with no hernias is assessed for preventive massage.
    """

    id: str = attrs.field(validator=_identifier)
    """The patient's identifier in the calling system (letters, digits, dot, dash, underscore)."""
    age: int = attrs.field(validator=between(0, 130, whole=True, optional=False))
    """Age in whole years (0 to 130)."""
    sex: Sex = attrs.field(validator=member(Sex))
    """The patient's sex."""
    vitals: Vitals = attrs.field(factory=Vitals, validator=record(Vitals))
    """The latest vital signs and pain score."""
    hernias: tuple[Hernia, ...] = attrs.field(default=(), validator=items(Hernia))
    """Every intervertebral disc hernia recorded."""
    pregnant: bool | None = attrs.field(default=None, validator=_flag)
    """``None`` means not recorded; for a woman aged 12-55 this yields insufficient data."""
    inflammatory_process: bool | None = attrs.field(default=None, validator=_flag)
    """Whether an active inflammatory process is present; ``None`` means not assessed."""
    conditions: tuple[Condition, ...] = attrs.field(default=(), validator=items(Condition))
    """Other conditions, coded in ICD-10 or named by concept."""
    allergies: tuple[Allergy, ...] = attrs.field(default=(), validator=items(Allergy))
    """Known allergies, by substance."""
    medications: tuple[Medication, ...] = attrs.field(default=(), validator=items(Medication))
    """Current medications, by ATC code, ingredient name or category."""
    massage_courses: tuple[MassageCourse, ...] = attrs.field(
        default=(), validator=items(MassageCourse)
    )
    """Previous massage courses, for the break between courses."""
    surgeries: tuple[Surgery, ...] = attrs.field(default=(), validator=items(Surgery))
    """Spine operations, for the healing period after surgery."""
    clearances: tuple[Clearance, ...] = attrs.field(default=(), validator=items(Clearance))
    """Physician clearances recorded for techniques."""
    indications: tuple[Indication, ...] = attrs.field(default=(), converter=_indications)
    """What massage is sought for (``compression``, ``muscle-weakness``...), used for ranking."""

    def __attrs_post_init__(self) -> None:
        if self.pregnant and self.sex is Sex.MALE:
            raise ValueError("pregnant is true but sex is male")
