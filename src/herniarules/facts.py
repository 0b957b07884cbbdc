"""Derive the flat, explainable :class:`Facts` record that every rule reads.

A patient record is nested and partly coded; rules should not care. :func:`derive_facts`
turns one :class:`~herniarules.model.Patient` into one :class:`Facts` value: the worst hernia
phase, the pain score, the blood-pressure grade, the set of active contraindication concepts
and so on. Findings quote these values as evidence, so a clinician sees exactly what
triggered a rule. ``None`` means the value was not recorded.

Two facts keep one item per record entry, for rules about *some* hernia or condition rather
than the patient as a whole: :attr:`Facts.hernias` (one :class:`HerniaFact` per hernia) and
:attr:`Facts.conditions` (one :class:`ConditionFact` per active condition and concept it
expresses). The flat facts are derived from the same entries and stay as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from herniarules._slots import constructor
from herniarules.frozen import FrozenDict
from herniarules.i18n.markers import N_
from herniarules.model import (
    PHASE_SEVERITY,
    ClinicalStatus,
    Condition,
    Medication,
    Patient,
    Phase,
    Sex,
    Verification,
)
from herniarules.terminology import DEFAULT_TERMINOLOGY, Concept, Terminology, dotted
from herniarules.vocabulary import allergy_concepts, classify_medication

__all__ = [
    "FACT_LABELS",
    "ITEM_COLLECTIONS",
    "ConditionFact",
    "Facts",
    "HerniaFact",
    "bp_grade",
    "derive_facts",
]


#: Ages, in years, at which an unrecorded pregnancy status counts as unknown rather than no.
CHILDBEARING_AGES = (12, 55)


@attrs.frozen(slots=True, cache_hash=True)
class HerniaFact:
    """One hernia of the patient, as the rules see it; values are the enum value strings."""

    region: str
    """Spinal region: ``cervical``, ``thoracic``, ``lumbar`` or ``lumbosacral``."""
    level: str
    """Vertebral level as recorded: ``L4-L5``, ``C5-C6``, ``T8``."""
    kind: str
    """Morphology: ``protrusion``, ``extrusion``, ``sequestration`` or ``schmorl-node``."""
    phase: str
    """Phase: ``acute``, ``exacerbation``, ``subacute``, ``remission`` or ``post-surgical``."""
    size_mm: float | None
    """Largest dimension on imaging, in millimetres; ``None`` if not recorded."""
    surgery_indicated: bool | None
    """Whether a surgeon has indicated an operation; ``None`` if not recorded."""

    def evidence(self) -> Mapping[str, Any]:
        """Return the item as a read-only ``{field: value}`` of plain values."""
        return FrozenDict(
            region=self.region,
            level=self.level,
            kind=self.kind,
            phase=self.phase,
            size_mm=self.size_mm,
            surgery_indicated=self.surgery_indicated,
        )


@attrs.frozen(slots=True, cache_hash=True)
class ConditionFact:
    """One concept that one active condition expresses, with how severe it is for that concept.

    A condition whose code expresses two concepts gives two items. ``tier`` is an outcome label
    (``contraindicated``, ``defer``, ``requires-clearance``...) saying how severe this code is
    for this concept; ``site`` is the body area the condition is at, when the code says.
    """

    concept: str
    """The concept id, such as ``malignancy`` or ``varicose-veins``."""
    tier: str
    """How severe the condition is for the concept, as an outcome label."""
    site: str | None
    """Body area the condition is at (``legs``, ``back``); ``None`` if not known."""
    code: str | None
    """The diagnosis code in dotted spelling (``C61``, ``M51.1``); ``None`` for a named concept."""
    system: str | None
    """The code system value (``icd-10``, ``icd-10-cm``); ``None`` when there is no code."""
    display: str | None
    """Human-readable name of the condition, for explanations."""
    status: str
    """Clinical status: ``active``, ``recurrence`` or ``relapse``."""

    def evidence(self) -> Mapping[str, Any]:
        """Return the item as a read-only ``{field: value}`` of plain values."""
        return FrozenDict(
            concept=self.concept,
            tier=self.tier,
            site=self.site,
            code=self.code,
            system=self.system,
            display=self.display,
            status=self.status,
        )


@attrs.frozen(slots=True)
class Facts:
    """Everything the rules may read about one patient on one day.

    Derived by :func:`derive_facts` from one :class:`~herniarules.model.Patient` and the
    assessment date. Categorical values are the value strings of the model's enums
    (``lumbar``, ``remission``). ``None`` means the value was not recorded: a rule that needs
    it is unknown and gives *insufficient data*, never *allowed*. A set or tuple fact is empty
    when nothing of its kind is recorded.
    """

    patient_id: str
    """The patient's id, from the record."""
    as_of: date
    """The day the facts hold on: the assessment date. Every duration is counted to it."""
    age: int
    """Age in years, as recorded; always recorded."""
    sex: str
    """Sex as recorded: ``female``, ``male``, ``other`` or ``unknown``."""
    has_hernia: bool
    """Whether at least one hernia is recorded."""
    worst_phase: str | None
    """The most severe hernia phase, from most to least severe: ``acute``, ``exacerbation``,
    ``subacute``, ``post-surgical``, ``remission``. ``None`` when no hernia is recorded."""
    phases: frozenset[str]
    """The phases of every recorded hernia (values as in :attr:`worst_phase`)."""
    hernia_regions: frozenset[str]
    """The spinal regions of the recorded hernias: ``cervical``, ``thoracic``, ``lumbar``,
    ``lumbosacral``."""
    hernia_kinds: frozenset[str]
    """The morphologies of the recorded hernias: ``protrusion``, ``extrusion``,
    ``sequestration``, ``schmorl-node``."""
    max_hernia_size_mm: float | None
    """Largest dimension of the largest hernia on imaging, in millimetres; ``None`` if there is
    no hernia or any hernia's size was not recorded."""
    surgery_indicated: bool | None
    """``True`` if a surgeon has indicated an operation for any hernia; ``None`` if none is
    indicated and it is not recorded for some hernia; ``False`` otherwise, also when no hernia
    is recorded."""
    pain_score: int | None
    """Pain on the NRS-11 scale, from 0 (none) to 10 (worst imaginable); ``None`` if not
    recorded."""
    temperature_c: float | None
    """Body temperature in degrees Celsius; ``None`` if not recorded."""
    systolic_mmhg: int | None
    """Systolic office blood pressure in mmHg; ``None`` if not recorded."""
    diastolic_mmhg: int | None
    """Diastolic office blood pressure in mmHg; ``None`` if not recorded."""
    bp_grade: int | None
    """Office blood-pressure grade per ESC/ESH 2018 (:func:`bp_grade`): 0 below 140/90, then 1,
    2, 3, the higher grade of the two readings; ``None`` if either reading is not recorded."""
    pregnant: bool | None
    """``True`` if the record says so or an active condition expresses ``pregnancy``;
    otherwise the recorded value. Not recorded counts as ``False`` for a man and for anyone
    younger than 12 or older than 55, and stays ``None`` (not recorded) for everyone else."""
    inflammatory_process: bool | None
    """``True`` if the record says so or an active condition expresses
    ``inflammatory-process``; otherwise the recorded value, ``None`` if it was not assessed."""
    concepts: frozenset[str]
    """Active contraindication concepts from conditions, medications, allergies and flags
    (``malignancy``, ``anticoagulant-therapy``, ``pregnancy``)."""
    exacerbated_conditions: frozenset[str]
    """Active conditions that have flared up: those whose status is recurrence or relapse, and
    those whose code or concept means an exacerbation (J44.1). Each is named by its dotted
    code or by the concept the record names."""
    had_massage_course: bool
    """Whether any earlier massage course is recorded."""
    days_since_last_course: int | None
    """Days from the end of the latest recorded massage course to :attr:`as_of`; ``None`` if
    no course is recorded."""
    had_spinal_surgery: bool
    """Whether any spinal operation is recorded."""
    days_since_surgery: int | None
    """Days from the latest recorded spinal operation to :attr:`as_of`; ``None`` if no
    operation is recorded."""
    indications: frozenset[str]
    """What massage is sought for, as :class:`~herniarules.Indication` values
    (``compression``, ``muscle-weakness``); used to rank permitted techniques."""
    hernias: tuple[HerniaFact, ...]
    """Every hernia, in record order."""
    conditions: tuple[ConditionFact, ...]
    """One item per condition and concept it expresses, in record order: every active
    condition, and a condition in remission, resolved or inactive whose concept's value set
    gives a history tier (a malignancy in remission, a resolved thrombosis)."""
    unrecorded_hernia_codes: frozenset[str]
    """Disc-hernia codes of active conditions with no hernia record in a matching region."""
    unclassified_medications: frozenset[str]
    """Medications whose class (anticoagulant, antiplatelet, thrombolytic) cannot be told, each
    named by what the record gives of its name, ATC code and category (``name / atc``)."""
    unconfirmed_conditions: frozenset[str]
    """Diagnoses recorded as unconfirmed, provisional or differential that would bear on a rule
    if confirmed: an active one whose code or concept expresses a concept, or one in
    remission, resolved or inactive whose concept gives a history tier. Each is named by its
    dotted code or concept. They add nothing to :attr:`concepts` or :attr:`conditions`."""
    unclassified_conditions: frozenset[str]
    """Conditions recorded only by a code of a system the SDK does not read (SNOMED CT
    alone), in any status that can bear on a rule (active, recurrence, relapse, remission,
    resolved, inactive), each named by its display and ``system|code``."""

    def evidence(self, names: tuple[str, ...]) -> Mapping[str, Any]:
        """Return a read-only ``{name: value}`` of the named facts.

        Sets become sorted tuples and item collections tuples of read-only ``{field: value}``
        mappings, so the evidence holds plain, JSON-able values only.
        """
        result: dict[str, Any] = {}
        for name in names:
            value = getattr(self, name)
            if isinstance(value, frozenset):
                value = tuple(sorted(value))
            elif type(value) is tuple:
                value = tuple(item.evidence() for item in value)
            result[name] = value
        return FrozenDict(result)


#: The facts that hold a tuple of items, with the item class of each.
ITEM_COLLECTIONS: Mapping[str, type[HerniaFact] | type[ConditionFact]] = {
    "hernias": HerniaFact,
    "conditions": ConditionFact,
}


#: Human labels of the facts, used when rules are rendered as text.
FACT_LABELS: Mapping[str, str] = {
    "patient_id": N_("patient id"),
    "as_of": N_("assessment date"),
    "age": N_("age (years)"),
    "sex": N_("sex"),
    "has_hernia": N_("has a hernia"),
    "worst_phase": N_("worst hernia phase"),
    "phases": N_("hernia phases"),
    "hernia_regions": N_("hernia regions"),
    "hernia_kinds": N_("hernia kinds"),
    "max_hernia_size_mm": N_("largest hernia (mm)"),
    "surgery_indicated": N_("surgery indicated"),
    "pain_score": N_("pain score"),
    "temperature_c": N_("body temperature (°C)"),
    "systolic_mmhg": N_("systolic BP (mmHg)"),
    "diastolic_mmhg": N_("diastolic BP (mmHg)"),
    "bp_grade": N_("blood-pressure grade"),
    "pregnant": N_("pregnant"),
    "inflammatory_process": N_("inflammatory process"),
    "concepts": N_("recorded contraindications"),
    "exacerbated_conditions": N_("conditions in recurrence or relapse"),
    "had_massage_course": N_("had a massage course"),
    "days_since_last_course": N_("days since the last massage course"),
    "had_spinal_surgery": N_("had spinal surgery"),
    "days_since_surgery": N_("days since spinal surgery"),
    "indications": N_("indications"),
    "hernias": N_("hernias"),
    "conditions": N_("conditions"),
    "unrecorded_hernia_codes": N_("disc-hernia codes without a hernia record"),
    "unclassified_medications": N_("medications that cannot be classified"),
    "unconfirmed_conditions": N_("diagnoses not confirmed"),
    "unclassified_conditions": N_("conditions that cannot be classified"),
}


def bp_grade(systolic: int | None, diastolic: int | None) -> int | None:
    """Return the ESC/ESH 2018 office blood-pressure grade, the higher of the two readings.

    Grade 1 is 140-159 / 90-99 mmHg, grade 2 is 160-179 / 100-109, grade 3 is at least 180 /
    110; 0 is below grade 1. ``None`` when either reading is missing.
    """
    if systolic is None or diastolic is None:
        return None
    if systolic >= 180 or diastolic >= 110:
        return 3
    if systolic >= 160 or diastolic >= 100:
        return 2
    if systolic >= 140 or diastolic >= 90:
        return 1
    return 0


_make_facts = constructor(Facts)
_make_hernia = constructor(HerniaFact)
_make_condition = constructor(ConditionFact)


def _medication_label(medication: Medication) -> str:
    """Return how a finding names a medication: its name, ATC code or category."""
    parts = [medication.name, medication.atc, medication.category]
    return " / ".join(str(part) for part in parts if part is not None)


def _condition_label(condition: Condition) -> str:
    """Return how a finding names an unclassified condition: its display and other code."""
    parts = [condition.display, condition.other_code]
    return " / ".join(part for part in parts if part is not None)


def _unconfirmed_name(condition: Condition, active: bool, terminology: Terminology) -> str | None:
    """Return how a finding names an unconfirmed condition that would bear on a rule, or
    ``None`` when it would bear on none (its code expresses no concept, or it is a past
    condition whose concepts give no history tier)."""
    meant: list[str] = []
    shown: str | None = None
    if condition.code is not None:
        normalized, _display, found = terminology.resolve(condition.code, condition.system)
        shown = dotted(normalized)
        meant.extend(klass.concept for klass in found)
    if condition.concept is not None:
        meant.append(condition.concept)
        shown = shown or condition.concept
    if condition.code is None and condition.concept is None:
        return _condition_label(condition)  # unknown meaning: it may bear on any rule
    if active:
        return shown if meant else None
    if any(terminology.history_tier(concept) is not None for concept in meant):
        return shown
    return None


def _hernia_code_regions(normalized: str) -> frozenset[str]:
    """Return the hernia regions a disc-hernia code (normalized) is compatible with."""
    head = normalized[:3]
    if head == "M50" or normalized.startswith("S130"):
        return _CERVICAL
    if normalized.startswith("S230"):
        return _THORACIC
    if normalized.startswith("S330"):
        return _LUMBAR
    # ICD-10-CM M51 gives the site in the fifth character: 4 thoracic, 5 thoracolumbar,
    # 6 lumbar, 7 lumbosacral; WHO M51 does not, and nor does a CM code without it.
    return _M51_SITE.get(normalized[4:5], _NOT_CERVICAL)


_CERVICAL = frozenset({"cervical"})
_THORACIC = frozenset({"thoracic"})
_LUMBAR = frozenset({"lumbar", "lumbosacral"})
_NOT_CERVICAL = frozenset({"thoracic", "lumbar", "lumbosacral"})
_M51_SITE = {
    "4": _THORACIC,
    "5": frozenset({"thoracic", "lumbar"}),
    "6": _LUMBAR,
    "7": _LUMBAR,
}
_DISC_HERNIA = Concept.DISC_HERNIA.value
_EXACERBATION = Concept.CHRONIC_EXACERBATION.value
_HISTORY_STATUSES = frozenset(
    {ClinicalStatus.REMISSION, ClinicalStatus.RESOLVED, ClinicalStatus.INACTIVE}
)
_ACTIVE, _RECURRENCE, _RELAPSE = (
    ClinicalStatus.ACTIVE,
    ClinicalStatus.RECURRENCE,
    ClinicalStatus.RELAPSE,
)


_PHASE_RANK = {phase: rank for rank, phase in enumerate(PHASE_SEVERITY)}
_EMPTY: frozenset[str] = frozenset()
_PREGNANCY = Concept.PREGNANCY.value
_INFLAMMATORY = Concept.INFLAMMATORY_PROCESS.value
_MALE = Sex.MALE
_CONFIRMED = Verification.CONFIRMED


def derive_facts(
    patient: Patient, as_of: date, terminology: Terminology = DEFAULT_TERMINOLOGY
) -> Facts:
    """Return the facts about ``patient`` on day ``as_of``."""
    # This runs once per assessment and is a large part of its cost, so it is written as plain
    # loops, and reads an enum member's value as ``_value_``: the ``value`` property costs a
    # Python call each time.
    worst: Phase | None = None
    worst_rank = len(PHASE_SEVERITY)
    max_size: float | None = None
    size_unknown = False
    surgery_indicated: bool | None = False
    phases: set[str] = set()
    regions: set[str] = set()
    kinds: set[str] = set()
    hernia_items: list[HerniaFact] = []
    for hernia in patient.hernias:
        phase = hernia.phase
        rank = _PHASE_RANK[phase]
        if rank < worst_rank:
            worst, worst_rank = phase, rank
        phase_value, region, kind = phase._value_, hernia.region._value_, hernia.kind._value_
        phases.add(phase_value)
        regions.add(region)
        kinds.add(kind)
        size = hernia.size_mm
        hernia_items.append(
            _make_hernia(region, hernia.level, kind, phase_value, size, hernia.surgery_indicated)
        )
        if size is None:
            size_unknown = True
        elif max_size is None or size > max_size:
            max_size = size
        indicated = hernia.surgery_indicated
        if indicated:
            surgery_indicated = True
        elif indicated is None and surgery_indicated is False:
            surgery_indicated = None
    if size_unknown:
        max_size = None

    concepts: set[str] = set()
    exacerbated: set[str] = set()
    condition_items: list[ConditionFact] = []
    hernia_codes: list[tuple[str, str]] = []
    unconfirmed: set[str] = set()
    unclassified_conditions: set[str] = set()
    for condition in patient.conditions:
        status = condition.status
        # ClinicalStatus.is_active and is_exacerbation by identity: an enum member hashes
        # and its properties run in Python, an identity test does not.
        exacerbation = status is _RECURRENCE or status is _RELAPSE
        active = exacerbation or status is _ACTIVE
        if not active and status not in _HISTORY_STATUSES:
            continue
        verification = condition.verification
        if verification is not None and verification is not _CONFIRMED:
            name = _unconfirmed_name(condition, active, terminology)
            if name is not None:
                unconfirmed.add(name)
            continue
        if condition.code is None and condition.concept is None:
            unclassified_conditions.add(_condition_label(condition))
            continue
        status_value = status._value_
        site = condition.site
        site_value = site._value_ if site is not None else None
        code = condition.code
        if code is not None:
            system = condition.system
            normalized, display, found = terminology.resolve(code, system)
            # dotted(normalized), in line: this runs for every coded condition
            shown = normalized if len(normalized) <= 3 else f"{normalized[:3]}.{normalized[3:]}"
            for klass in found:
                concept = klass.concept
                tier = klass.tier
                if active:
                    concepts.add(concept)
                    if concept == _EXACERBATION:
                        exacerbated.add(shown)
                    elif concept == _DISC_HERNIA:
                        hernia_codes.append((normalized, shown))
                else:
                    history = terminology.history_tier(concept)
                    if history is None:
                        continue
                    tier = min(tier, history)
                condition_items.append(
                    _make_condition(
                        concept,
                        tier.label,
                        site_value or klass.site,
                        shown,
                        system._value_,
                        display,
                        status_value,
                    )
                )
            if exacerbation:
                exacerbated.add(shown)
        named = condition.concept
        if named is not None:
            tier = terminology.concept_tier(named)
            if not active:
                history = terminology.history_tier(named)
                if history is None:
                    continue
                tier = min(tier, history)
            else:
                concepts.add(named)
                if exacerbation or named == _EXACERBATION:
                    exacerbated.add(named)
            condition_items.append(
                _make_condition(
                    named, tier.label, site_value, None, None, condition.display, status_value
                )
            )
    unrecorded: set[str] = set()
    for normalized, shown in hernia_codes:
        if regions.isdisjoint(_hernia_code_regions(normalized)):
            unrecorded.add(shown)
    unclassified: set[str] = set()
    for medication in patient.medications:
        meant = classify_medication(medication)
        if meant is None:
            unclassified.add(_medication_label(medication))
        else:
            concepts.update(meant)
    for allergy in patient.allergies:
        concepts.update(allergy_concepts(allergy))

    sex = patient.sex
    pregnant = patient.pregnant
    if _PREGNANCY in concepts:
        pregnant = True
    elif pregnant is None and (
        sex is _MALE or not CHILDBEARING_AGES[0] <= patient.age <= CHILDBEARING_AGES[1]
    ):
        pregnant = False
    if pregnant:
        concepts.add(_PREGNANCY)

    inflammatory = patient.inflammatory_process
    if _INFLAMMATORY in concepts:
        inflammatory = True
    if inflammatory:
        concepts.add(_INFLAMMATORY)

    vitals = patient.vitals
    systolic, diastolic = vitals.systolic_mmhg, vitals.diastolic_mmhg
    courses = patient.massage_courses
    last_course = max(c.end_date for c in courses) if courses else None
    surgeries = patient.surgeries
    last_surgery = max(s.date for s in surgeries) if surgeries else None
    indications = patient.indications
    return _make_facts(
        patient.id,
        as_of,
        patient.age,
        sex._value_,
        bool(phases),
        worst._value_ if worst is not None else None,
        frozenset(phases) if phases else _EMPTY,
        frozenset(regions) if regions else _EMPTY,
        frozenset(kinds) if kinds else _EMPTY,
        max_size,
        surgery_indicated,
        vitals.pain_score,
        vitals.temperature_c,
        systolic,
        diastolic,
        bp_grade(systolic, diastolic),
        pregnant,
        inflammatory,
        frozenset(concepts) if concepts else _EMPTY,
        frozenset(exacerbated) if exacerbated else _EMPTY,
        last_course is not None,
        (as_of - last_course).days if last_course is not None else None,
        last_surgery is not None,
        (as_of - last_surgery).days if last_surgery is not None else None,
        frozenset(indications) if indications else _EMPTY,
        tuple(hernia_items),
        tuple(condition_items),
        frozenset(unrecorded) if unrecorded else _EMPTY,
        frozenset(unclassified) if unclassified else _EMPTY,
        frozenset(unconfirmed) if unconfirmed else _EMPTY,
        frozenset(unclassified_conditions) if unclassified_conditions else _EMPTY,
    )
