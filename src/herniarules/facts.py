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
    """The most severe hernia phase (acute > exacerbation > subacute > post-surgical > remission)."""
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

    def evidence(self, names: tuple[str, ...]) -> dict[str, Any]:
        """Return ``{name: value}`` for the named facts, sets as sorted lists."""
        result: dict[str, Any] = {}
        for name in names:
            value = getattr(self, name)
            result[name] = sorted(value) if isinstance(value, frozenset) else value
        return result


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

    def grade(value: int, cuts: tuple[int, int, int]) -> int:
        return sum(value >= cut for cut in cuts)

    return max(grade(systolic, (140, 160, 180)), grade(diastolic, (90, 100, 110)))


_PHASE_RANK = {phase: rank for rank, phase in enumerate(PHASE_SEVERITY)}


def derive_facts(
    patient: Patient, as_of: date, terminology: Terminology = DEFAULT_TERMINOLOGY
) -> Facts:
    """Return the facts about ``patient`` on day ``as_of``."""
    hernias = patient.hernias
    worst: Phase | None = min((h.phase for h in hernias), key=_PHASE_RANK.__getitem__, default=None)
    sizes = [h.size_mm for h in hernias]
    max_size = None if not sizes or None in sizes else max(s for s in sizes if s is not None)
    indicated = [h.surgery_indicated for h in hernias]
    surgery_indicated = True if True in indicated else (None if None in indicated else False)

    concepts: set[str] = set()
    exacerbated: set[str] = set()
    for condition in patient.conditions:
        if not condition.status.is_active:
            continue
        if condition.code is not None:
            concepts.update(terminology.concepts_for(condition.code, condition.system))
        if condition.concept is not None:
            concepts.add(condition.concept)
        if condition.status.is_exacerbation:
            exacerbated.add(condition.code or condition.concept or "")
    for medication in patient.medications:
        concept = MEDICATION_CONCEPTS.get(medication.category)
        concepts.add(concept if concept is not None else medication.category)
    for allergy in patient.allergies:
        concepts.add(ALLERGY_CONCEPTS.get(allergy.substance, f"allergy-{allergy.substance}"))

    pregnant = patient.pregnant
    if Concept.PREGNANCY in concepts:
        pregnant = True
    elif pregnant is None and (
        patient.sex is Sex.MALE
        or not CHILDBEARING_AGES[0] <= patient.age <= CHILDBEARING_AGES[1]
    ):
        pregnant = False
    if pregnant:
        concepts.add(Concept.PREGNANCY)

    inflammatory = patient.inflammatory_process
    if Concept.INFLAMMATORY_PROCESS in concepts:
        inflammatory = True
    if inflammatory:
        concepts.add(Concept.INFLAMMATORY_PROCESS)

    vitals = patient.vitals
    course_ends = [c.end_date for c in patient.massage_courses]
    surgery_dates = [s.date for s in patient.surgeries]
    return Facts(
        patient_id=patient.id,
        as_of=as_of,
        age=patient.age,
        sex=patient.sex.value,
        has_hernia=bool(hernias),
        worst_phase=worst.value if worst is not None else None,
        phases=frozenset(h.phase.value for h in hernias),
        hernia_regions=frozenset(h.region.value for h in hernias),
        hernia_kinds=frozenset(h.kind.value for h in hernias),
        max_hernia_size_mm=max_size,
        surgery_indicated=surgery_indicated,
        pain_score=vitals.pain_score,
        temperature_c=vitals.temperature_c,
        systolic_mmhg=vitals.systolic_mmhg,
        diastolic_mmhg=vitals.diastolic_mmhg,
        bp_grade=bp_grade(vitals.systolic_mmhg, vitals.diastolic_mmhg),
        pregnant=pregnant,
        inflammatory_process=inflammatory,
        concepts=frozenset(concepts),
        exacerbated_conditions=frozenset(exacerbated),
        had_massage_course=bool(course_ends),
        days_since_last_course=(as_of - max(course_ends)).days if course_ends else None,
        had_spinal_surgery=bool(surgery_dates),
        days_since_surgery=(as_of - max(surgery_dates)).days if surgery_dates else None,
        indications=frozenset(patient.indications),
    )
