"""The patient model: frozen values whose validators keep impossible records out."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from herniarules import (
    Allergy,
    Clearance,
    ClinicalStatus,
    Condition,
    Hernia,
    HerniaKind,
    MassageCourse,
    Medication,
    Patient,
    Phase,
    Region,
    Sex,
    Surgery,
    Vitals,
)
from herniarules.errors import ModelError, Problem
from herniarules.model import PHASE_SEVERITY


def lumbar(level: str = "L4-L5", **kw: object) -> Hernia:
    return Hernia(Region.LUMBAR, level, HerniaKind.PROTRUSION, Phase.REMISSION, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("region", "level"),
    [
        (Region.CERVICAL, "C5-C6"),
        (Region.CERVICAL, "C1-C2"),
        (Region.CERVICAL, "C7-T1"),
        (Region.THORACIC, "C7-T1"),
        (Region.THORACIC, "T8"),
        (Region.THORACIC, "T12-L1"),
        (Region.LUMBAR, "L4-L5"),
        (Region.LUMBAR, "L5-S1"),
        (Region.LUMBOSACRAL, "L5-S1"),
        (Region.LUMBOSACRAL, "S1"),
    ],
)
def test_vertebral_level_in_its_region_is_accepted(region: Region, level: str) -> None:
    assert Hernia(region, level, HerniaKind.PROTRUSION, Phase.REMISSION).level == level


@pytest.mark.parametrize(
    ("region", "level", "words"),
    [
        (Region.LUMBAR, "L4-L6", "vertebral level"),
        (Region.LUMBAR, "L6", "vertebral level"),
        (Region.THORACIC, "T13", "vertebral level"),
        (Region.CERVICAL, "C8", "vertebral level"),
        (Region.LUMBAR, "l4-l5", "vertebral level"),
        (Region.LUMBAR, "L4 - L5", "vertebral level"),
        (Region.LUMBAR, "L5-L4", "adjacent"),
        (Region.LUMBAR, "L3-L5", "adjacent"),
        (Region.LUMBAR, "C5-C6", "cervical"),
        (Region.CERVICAL, "L4-L5", "lumbar"),
        (Region.LUMBAR, "T8", "thoracic"),
    ],
)
def test_impossible_vertebral_level_is_rejected(region: Region, level: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Hernia(region, level, HerniaKind.PROTRUSION, Phase.REMISSION)


@pytest.mark.parametrize("size", [-0.1, 40.1, float("nan")])
def test_hernia_size_outside_0_to_40_mm_is_rejected(size: float) -> None:
    with pytest.raises(ValueError):
        lumbar(size_mm=size)


def test_hernia_size_bounds_are_inclusive() -> None:
    assert lumbar(size_mm=0.0).size_mm == 0.0
    assert lumbar(size_mm=40.0).size_mm == 40.0


@pytest.mark.parametrize(
    "values",
    [
        {"pain_score": 11},
        {"pain_score": -1},
        {"temperature_c": 29.9},
        {"temperature_c": 45.1},
        {"systolic_mmhg": 301},
        {"diastolic_mmhg": 19},
        {"systolic_mmhg": 120, "diastolic_mmhg": 120},
        {"systolic_mmhg": 120, "diastolic_mmhg": 130},
    ],
)
def test_impossible_vitals_are_rejected(values: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Vitals(**values)  # type: ignore[arg-type]


def test_vitals_default_to_not_measured() -> None:
    assert attrs.astuple(Vitals()) == (None, None, None, None)


def test_phases_are_ordered_from_most_to_least_severe() -> None:
    assert PHASE_SEVERITY[:2] == (Phase.ACUTE, Phase.EXACERBATION)
    assert set(PHASE_SEVERITY) == set(Phase)


@pytest.mark.parametrize(
    ("status", "active", "exacerbation"),
    [
        (ClinicalStatus.ACTIVE, True, False),
        (ClinicalStatus.RECURRENCE, True, True),
        (ClinicalStatus.RELAPSE, True, True),
        (ClinicalStatus.REMISSION, False, False),
        (ClinicalStatus.RESOLVED, False, False),
        (ClinicalStatus.INACTIVE, False, False),
    ],
)
def test_clinical_status_says_whether_a_condition_is_present_now(
    status: ClinicalStatus, active: bool, exacerbation: bool
) -> None:
    assert status.is_active is active
    assert status.is_exacerbation is exacerbation


def test_condition_needs_a_code_or_a_concept() -> None:
    with pytest.raises(ValueError, match="code or a concept"):
        Condition(ClinicalStatus.ACTIVE)
    assert Condition(ClinicalStatus.ACTIVE, code="C50.9").code == "C50.9"
    assert Condition(ClinicalStatus.ACTIVE, concept="varicose-veins").concept == "varicose-veins"


@pytest.mark.parametrize("code", ["cancer", "C5", "50.9", ""])
def test_condition_code_must_be_shaped_like_icd10(code: str) -> None:
    with pytest.raises(ValueError):
        Condition(ClinicalStatus.ACTIVE, code=code)


def test_condition_concept_must_be_kebab_case() -> None:
    with pytest.raises(ValueError):
        Condition(ClinicalStatus.ACTIVE, concept="Varicose Veins")


def test_male_patient_cannot_be_recorded_as_pregnant() -> None:
    with pytest.raises(ValueError, match="male"):
        Patient(id="P-1", age=30, sex=Sex.MALE, pregnant=True)
    assert Patient(id="P-1", age=30, sex=Sex.MALE, pregnant=False).pregnant is False


@pytest.mark.parametrize("age", [-1, 131])
def test_age_outside_0_to_130_is_rejected(age: int) -> None:
    with pytest.raises(ValueError, match="between 0 and 130"):
        Patient(id="P-1", age=age, sex=Sex.FEMALE)


@pytest.mark.parametrize("patient_id", ["", "-lead", "has space", "x" * 65])
def test_patient_id_must_be_a_plain_identifier(patient_id: str) -> None:
    with pytest.raises(ValueError):
        Patient(id=patient_id, age=30, sex=Sex.FEMALE)


def test_collections_must_be_tuples_of_their_kind() -> None:
    with pytest.raises(ModelError) as as_list:
        Patient(id="P-1", age=30, sex=Sex.FEMALE, hernias=[lumbar()])  # type: ignore[arg-type]
    assert as_list.value.problems == (Problem("hernias", "must be a tuple of Hernia, got list"),)
    with pytest.raises(ModelError) as of_text:
        Patient(id="P-1", age=30, sex=Sex.FEMALE, hernias=("L4-L5",))  # type: ignore[arg-type]
    assert of_text.value.problems == (Problem("hernias[0]", "must be Hernia, got str"),)


def test_patient_without_hernia_is_a_prevention_patient() -> None:
    assert Patient(id="P-1", age=30, sex=Sex.MALE).hernias == ()


def test_patient_is_immutable() -> None:
    patient = Patient(id="P-1", age=30, sex=Sex.MALE)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        patient.age = 31  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "valid"),
    [
        (date(2026, 10, 31), False),
        (date(2026, 11, 1), True),
        (date(2026, 12, 1), True),
        (date(2026, 12, 2), False),
    ],
)
def test_clearance_holds_from_its_date_to_valid_until_inclusive(day: date, valid: bool) -> None:
    clearance = Clearance("classic", "Dr. A", date(2026, 11, 1), valid_until=date(2026, 12, 1))
    assert clearance.is_valid_on(day) is valid


def test_open_ended_clearance_holds_from_its_date_on() -> None:
    clearance = Clearance("classic", "Dr. A", date(2026, 11, 1))
    assert not clearance.is_valid_on(date(2026, 10, 31))
    assert clearance.is_valid_on(date(2036, 1, 1))


def test_clearance_cannot_expire_before_it_is_given() -> None:
    with pytest.raises(ValueError, match="before"):
        Clearance("classic", "Dr. A", date(2026, 11, 1), valid_until=date(2026, 10, 1))


@pytest.mark.parametrize(("technique", "physician"), [("Classic", "Dr. A"), ("classic", " ")])
def test_clearance_names_a_technique_and_a_physician(technique: str, physician: str) -> None:
    with pytest.raises(ValueError):
        Clearance(technique, physician, date(2026, 11, 1))


def test_massage_course_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="after"):
        MassageCourse(end_date=date(2026, 5, 1), start_date=date(2026, 5, 2))
    assert MassageCourse(end_date=date(2026, 5, 1), start_date=date(2026, 5, 1))


def test_allergy_and_medication_use_lower_case_names() -> None:
    assert Allergy("bee products").substance == "bee products"
    assert Medication("anticoagulant", "warfarin").category == "anticoagulant"
    with pytest.raises(ValueError):
        Allergy("Honey")
    with pytest.raises(ValueError):
        Medication("Anticoagulant")


def test_surgery_records_a_date_and_optional_region() -> None:
    surgery = Surgery(date(2026, 8, 12), "microdiscectomy", Region.LUMBAR)
    assert surgery.region is Region.LUMBAR
