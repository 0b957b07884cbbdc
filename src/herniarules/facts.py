"""Derive the flat, explainable :class:`Facts` record that every rule reads.

A patient record is nested and partly coded; rules should not care. :func:`derive_facts`
turns one :class:`~herniarules.model.Patient` into one :class:`Facts` value: the worst hernia
phase, the pain score, the blood-pressure grade, the set of active contraindication concepts
and so on. Findings quote these values as evidence, so a clinician sees exactly what
triggered a rule. ``None`` means the value was not recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from herniarules.frozen import FrozenDict
from herniarules.model import PHASE_SEVERITY, Patient, Phase, Sex
from herniarules.terminology import DEFAULT_TERMINOLOGY, Concept, Terminology

__all__ = ["FACT_LABELS", "Facts", "bp_grade", "derive_facts"]

#: Medication categories that set a concept.
MEDICATION_CONCEPTS: Mapping[str, str] = {
    "anticoagulant": Concept.ANTICOAGULANT_THERAPY,
    "antiplatelet": Concept.ANTICOAGULANT_THERAPY,
}
#: Allergy substances that set a concept.
ALLERGY_CONCEPTS: Mapping[str, str] = {
    "honey": Concept.HONEY_ALLERGY,
    "bee products": Concept.HONEY_ALLERGY,
    "bee-products": Concept.HONEY_ALLERGY,
    "propolis": Concept.HONEY_ALLERGY,
    "royal jelly": Concept.HONEY_ALLERGY,
    "bee pollen": Concept.HONEY_ALLERGY,
    "bee venom": Concept.HONEY_ALLERGY,
}
#: Ages, in years, at which an unrecorded pregnancy status counts as unknown rather than no.
CHILDBEARING_AGES = (12, 55)


@attrs.frozen(slots=True)
class Facts:
    """Everything the rules may read about one patient on one day."""

    patient_id: str
    as_of: date
    age: int
    sex: str
    has_hernia: bool
    worst_phase: str | None
    """The most severe hernia phase: acute, exacerbation, subacute, post-surgical, remission."""
    phases: frozenset[str]
    hernia_regions: frozenset[str]
    hernia_kinds: frozenset[str]
    max_hernia_size_mm: float | None
    """Largest hernia; ``None`` if there is none or any hernia's size was not recorded."""
    surgery_indicated: bool | None
    pain_score: int | None
    temperature_c: float | None
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    bp_grade: int | None
    """Office blood-pressure grade per ESC/ESH 2018: 0 below 140/90, then 1, 2, 3."""
    pregnant: bool | None
    inflammatory_process: bool | None
    concepts: frozenset[str]
    """Active contraindication concepts from conditions, medications, allergies and flags."""
    exacerbated_conditions: frozenset[str]
    """Conditions (code or concept) whose status is recurrence or relapse."""
    had_massage_course: bool
    days_since_last_course: int | None
    had_spinal_surgery: bool
    days_since_surgery: int | None
    indications: frozenset[str]

    def evidence(self, names: tuple[str, ...]) -> Mapping[str, Any]:
        """Return a read-only ``{name: value}`` of the named facts, sets as sorted tuples."""
        result: dict[str, Any] = {}
        for name in names:
            value = getattr(self, name)
            result[name] = tuple(sorted(value)) if isinstance(value, frozenset) else value
        return FrozenDict(result)


#: Human labels of the facts, used when rules are rendered as text.
FACT_LABELS: Mapping[str, str] = {
    "patient_id": "patient id",
    "as_of": "assessment date",
    "age": "age (years)",
    "sex": "sex",
    "has_hernia": "has a hernia",
    "worst_phase": "worst hernia phase",
    "phases": "hernia phases",
    "hernia_regions": "hernia regions",
    "hernia_kinds": "hernia kinds",
    "max_hernia_size_mm": "largest hernia (mm)",
    "surgery_indicated": "surgery indicated",
    "pain_score": "pain score",
    "temperature_c": "body temperature (°C)",
    "systolic_mmhg": "systolic BP (mmHg)",
    "diastolic_mmhg": "diastolic BP (mmHg)",
    "bp_grade": "blood-pressure grade",
    "pregnant": "pregnant",
    "inflammatory_process": "inflammatory process",
    "concepts": "active conditions",
    "exacerbated_conditions": "conditions in recurrence or relapse",
    "had_massage_course": "had a massage course",
    "days_since_last_course": "days since the last massage course",
    "had_spinal_surgery": "had spinal surgery",
    "days_since_surgery": "days since spinal surgery",
    "indications": "indications",
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


_PHASE_RANK = {phase: rank for rank, phase in enumerate(PHASE_SEVERITY)}
_EMPTY: frozenset[str] = frozenset()
_PREGNANCY = Concept.PREGNANCY.value
_INFLAMMATORY = Concept.INFLAMMATORY_PROCESS.value
_MALE = Sex.MALE


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
    for hernia in patient.hernias:
        phase = hernia.phase
        rank = _PHASE_RANK[phase]
        if rank < worst_rank:
            worst, worst_rank = phase, rank
        phases.add(phase._value_)
        regions.add(hernia.region._value_)
        kinds.add(hernia.kind._value_)
        size = hernia.size_mm
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
    for condition in patient.conditions:
        status = condition.status
        if not status.is_active:
            continue
        if condition.code is not None:
            concepts.update(terminology.concepts_for(condition.code, condition.system))
        if condition.concept is not None:
            concepts.add(condition.concept)
        if status.is_exacerbation:
            exacerbated.add(condition.code or condition.concept or "")
    for medication in patient.medications:
        concepts.add(MEDICATION_CONCEPTS.get(medication.category, medication.category))
    for allergy in patient.allergies:
        concepts.add(ALLERGY_CONCEPTS.get(allergy.substance, f"allergy-{allergy.substance}"))

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
    return Facts(
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
    )
