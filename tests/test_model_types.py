"""The Python door: every model field checks its type, and a bad record names each bad field.

``Patient(age=True)`` is not a patient aged one; ``pregnant="yes"`` is not a recorded
pregnancy. Constructors raise :class:`~herniarules.errors.ModelError`, an
:class:`~herniarules.errors.InputError`, whose problems name the field, with the messages the
JSON door gives for the same value.
"""

from __future__ import annotations

import inspect
from datetime import date, datetime
from typing import Any

import attrs
import pytest

import herniarules
from herniarules import io
from herniarules.errors import InputError, ModelError, Problem
from herniarules.model import (
    Allergy,
    Clearance,
    ClinicalStatus,
    CodeSystem,
    Condition,
    Hernia,
    HerniaKind,
    Indication,
    MassageCourse,
    Medication,
    MedicationCategory,
    Patient,
    Phase,
    Region,
    Sex,
    Site,
    Substance,
    Surgery,
    Vitals,
)
from herniarules.terminology import Concept

DAY = date(2026, 11, 1)
MOMENT = datetime(2026, 11, 1, 9, 30)

#: A valid set of arguments for each model class.
VALID: dict[type, dict[str, Any]] = {
    Vitals: {"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 36.6, "pain_score": 2},
    Hernia: {
        "region": Region.LUMBAR,
        "level": "L4-L5",
        "kind": HerniaKind.PROTRUSION,
        "phase": Phase.REMISSION,
        "size_mm": 4.0,
        "surgery_indicated": False,
    },
    Condition: {"status": ClinicalStatus.ACTIVE, "code": "I83.9", "display": "Varicose veins"},
    Allergy: {"substance": Substance.HONEY},
    Medication: {"category": MedicationCategory.ANTICOAGULANT, "name": "warfarin"},
    MassageCourse: {"end_date": DAY, "technique": "classic", "start_date": DAY},
    Surgery: {"date": DAY, "procedure": "microdiscectomy", "region": Region.LUMBAR},
    Clearance: {"technique": "classic", "physician": "Dr. A", "date": DAY, "valid_until": DAY},
    Patient: {"id": "P-1", "age": 40, "sex": Sex.FEMALE, "pregnant": False},
}

REGIONS = "Region.CERVICAL, Region.THORACIC, Region.LUMBAR, Region.LUMBOSACRAL"
SEXES = "Sex.FEMALE, Sex.MALE, Sex.OTHER, Sex.UNKNOWN"
STATUSES = ", ".join(f"ClinicalStatus.{s.name}" for s in ClinicalStatus)

#: (class, field, wrong value, problem path, message)
WRONG: list[tuple[type, str, Any, str, str]] = [
    (Vitals, "systolic_mmhg", True, "systolic_mmhg", "must be a whole number, got True"),
    (Vitals, "diastolic_mmhg", 80.0, "diastolic_mmhg", "must be a whole number, got 80.0"),
    (Vitals, "pain_score", "2", "pain_score", "must be a whole number, got '2'"),
    (Vitals, "temperature_c", True, "temperature_c", "must be a number, got True"),
    (Vitals, "temperature_c", "36.6", "temperature_c", "must be a number, got '36.6'"),
    (
        Hernia,
        "region",
        "lumbar",
        "region",
        f"must be a Region: one of {REGIONS}, got 'lumbar' (use Region.LUMBAR)",
    ),
    (Hernia, "level", 45, "level", "must be a string, got 45"),
    (
        Hernia,
        "kind",
        Phase.ACUTE,
        "kind",
        "must be a HerniaKind: one of HerniaKind.PROTRUSION, "
        "HerniaKind.EXTRUSION, HerniaKind.SEQUESTRATION, HerniaKind.SCHMORL_NODE, got "
        "<Phase.ACUTE: 'acute'>",
    ),
    (
        Hernia,
        "phase",
        None,
        "phase",
        "must be a Phase: one of Phase.ACUTE, Phase.EXACERBATION, "
        "Phase.SUBACUTE, Phase.REMISSION, Phase.POST_SURGICAL, got None",
    ),
    (Hernia, "size_mm", True, "size_mm", "must be a number, got True"),
    (Hernia, "surgery_indicated", 0, "surgery_indicated", "must be True or False, got 0"),
    (
        Condition,
        "status",
        "active",
        "status",
        f"must be a ClinicalStatus: one of {STATUSES}, got 'active' (use ClinicalStatus.ACTIVE)",
    ),
    (Condition, "code", 341, "code", "must be a string, got 341"),
    (
        Condition,
        "system",
        "icd-10",
        "system",
        "must be a CodeSystem: one of CodeSystem.ICD10, CodeSystem.ICD10_CM, got 'icd-10' "
        "(use CodeSystem.ICD10)",
    ),
    (Condition, "concept", 7, "concept", "must be a string, got 7"),
    (
        Condition,
        "display",
        ["Varicose veins"],
        "display",
        "must be a string, got ['Varicose veins']",
    ),
    (
        Condition,
        "onset",
        MOMENT,
        "onset",
        "must be a datetime.date, not a datetime, got datetime.datetime(2026, 11, 1, 9, 30)",
    ),
    (
        Condition,
        "verification",
        "provisional",
        "verification",
        "must be a Verification: one of Verification.CONFIRMED, Verification.UNCONFIRMED, "
        "Verification.PROVISIONAL, Verification.DIFFERENTIAL, got 'provisional' "
        "(use Verification.PROVISIONAL)",
    ),
    (Condition, "other_code", 38341003, "other_code", "must be a string, got 38341003"),
    (Allergy, "display", 5, "display", "must be a string, got 5"),
    (Medication, "name", 5, "name", "must be a string, got 5"),
    (Medication, "atc", ("B01AA03",), "atc", "must be a string, got ('B01AA03',)"),
    (
        MassageCourse,
        "end_date",
        "2026-11-01",
        "end_date",
        "must be a datetime.date, got '2026-11-01'",
    ),
    (MassageCourse, "technique", 5, "technique", "must be a string, got 5"),
    (
        MassageCourse,
        "start_date",
        MOMENT,
        "start_date",
        "must be a datetime.date, not a datetime, got datetime.datetime(2026, 11, 1, 9, 30)",
    ),
    (Surgery, "date", None, "date", "must be a datetime.date, got None"),
    (Surgery, "procedure", 5, "procedure", "must be a string, got 5"),
    (
        Surgery,
        "region",
        "lumbar",
        "region",
        f"must be a Region: one of {REGIONS}, got 'lumbar' (use Region.LUMBAR)",
    ),
    (Clearance, "technique", None, "technique", "must be a string, got None"),
    (Clearance, "physician", 5, "physician", "must be a string, got 5"),
    (Clearance, "date", 20261101, "date", "must be a datetime.date, got 20261101"),
    (
        Clearance,
        "valid_until",
        MOMENT,
        "valid_until",
        "must be a datetime.date, not a datetime, got datetime.datetime(2026, 11, 1, 9, 30)",
    ),
    (Patient, "id", 5, "id", "must be a string, got 5"),
    (Patient, "age", True, "age", "must be a whole number, got True"),
    (Patient, "age", None, "age", "must be a whole number, got None"),
    (Patient, "age", 40.0, "age", "must be a whole number, got 40.0"),
    (
        Patient,
        "sex",
        "female",
        "sex",
        f"must be a Sex: one of {SEXES}, got 'female' (use Sex.FEMALE)",
    ),
    (Patient, "vitals", {"pain_score": 2}, "vitals", "must be Vitals, got dict"),
    (Patient, "hernias", [], "hernias", "must be a tuple of Hernia, got list"),
    (Patient, "hernias", ("L4-L5",), "hernias[0]", "must be Hernia, got str"),
    (Patient, "pregnant", "yes", "pregnant", "must be True or False, got 'yes'"),
    (
        Patient,
        "inflammatory_process",
        "true",
        "inflammatory_process",
        "must be True or False, got 'true'",
    ),
    (Patient, "conditions", (None,), "conditions[0]", "must be Condition, got NoneType"),
    (Patient, "allergies", ("honey",), "allergies[0]", "must be Allergy, got str"),
    (Patient, "medications", ("warfarin",), "medications[0]", "must be Medication, got str"),
    (Patient, "massage_courses", (DAY,), "massage_courses[0]", "must be MassageCourse, got date"),
    (Patient, "surgeries", (DAY,), "surgeries[0]", "must be Surgery, got date"),
    (Patient, "clearances", ("classic",), "clearances[0]", "must be Clearance, got str"),
    (
        Patient,
        "indications",
        ["compression"],
        "indications",
        "must be a tuple of Indication, got list",
    ),
]


def build(cls: type, **changes: Any) -> Any:
    return cls(**{**VALID[cls], **changes})


@pytest.mark.parametrize(
    ("cls", "field", "value", "path", "message"),
    WRONG,
    ids=[f"{case[0].__name__}.{case[1]}={case[2]!r}" for case in WRONG],
)
def test_a_value_of_the_wrong_type_is_refused_naming_its_field(
    cls: type, field: str, value: Any, path: str, message: str
) -> None:
    with pytest.raises(ModelError) as caught:
        build(cls, **{field: value})
    assert caught.value.problems == (Problem(path, message),)
    assert caught.value.record == cls.__name__


@pytest.mark.parametrize("cls", list(VALID), ids=lambda cls: cls.__name__)
def test_every_model_class_accepts_its_valid_arguments(cls: type) -> None:
    instance = build(cls)
    for name, value in VALID[cls].items():
        assert getattr(instance, name) == value


@pytest.mark.parametrize("cls", list(VALID), ids=lambda cls: cls.__name__)
def test_every_field_of_every_model_class_is_checked(cls: type) -> None:
    checked = {case[1] for case in WRONG if case[0] is cls}
    vocabulary = {"substance", "category", "site"}  # converted, and checked in test_vocabulary
    assert checked | vocabulary >= set(attrs.fields_dict(cls)) - vocabulary


def test_true_is_not_a_pain_score() -> None:
    with pytest.raises(InputError, match="pain_score: must be a whole number, got True"):
        Vitals(pain_score=True)


def test_a_whole_number_is_accepted_where_a_measurement_is_a_number() -> None:
    assert Vitals(temperature_c=37).temperature_c == 37
    assert build(Hernia, size_mm=4).size_mm == 4


def test_a_datetime_is_not_a_surgery_date() -> None:
    with pytest.raises(ModelError, match="not a datetime"):
        Surgery(MOMENT)


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(ModelError) as caught:
        Patient(id="P 1", age=True, sex="male", pregnant="yes")  # type: ignore[arg-type]
    assert [p.path for p in caught.value.problems] == ["id", "age", "sex", "pregnant"]
    assert str(caught.value).startswith("invalid Patient (4 problems):\n  id: must be ")


def test_every_bad_item_of_a_tuple_is_reported_by_index() -> None:
    with pytest.raises(ModelError) as caught:
        Patient(id="P-1", age=40, sex=Sex.MALE, hernias=(build(Hernia), "L4-L5", 3))  # type: ignore[arg-type]
    assert caught.value.problems == (
        Problem("hernias[1]", "must be Hernia, got str"),
        Problem("hernias[2]", "must be Hernia, got int"),
    )


def test_a_rule_across_fields_is_reported_for_the_object_as_a_whole() -> None:
    with pytest.raises(ModelError) as caught:
        Vitals(systolic_mmhg=120, diastolic_mmhg=130)
    assert caught.value.problems == (
        Problem("$", "diastolic_mmhg (130) must be below systolic_mmhg (120)"),
    )


def test_a_rule_across_fields_waits_for_every_field_to_be_valid() -> None:
    with pytest.raises(ModelError) as caught:
        Patient(id="P-1", age=True, sex=Sex.MALE, pregnant=True)  # type: ignore[arg-type]
    assert [p.path for p in caught.value.problems] == ["age"]


def test_a_nested_record_is_reported_by_its_own_constructor() -> None:
    with pytest.raises(ModelError) as caught:
        Patient(id="P-1", age=40, sex=Sex.MALE, hernias=(build(Hernia, level="L4-L6"),))
    assert caught.value.record == "Hernia"
    assert [p.path for p in caught.value.problems] == ["level"]


def test_an_identifier_may_not_end_in_a_newline() -> None:
    with pytest.raises(ModelError, match="id: must be 1-64 letters"):
        build(Patient, id="P-1\n")
    with pytest.raises(InputError, match="id: must be 1-64 letters"):
        io.patient_from_dict({"id": "P-1\n", "age": 40, "sex": "female"})


def test_changing_a_field_with_evolve_is_checked_too() -> None:
    with pytest.raises(ModelError, match="age: must be a whole number, got True"):
        attrs.evolve(build(Patient), age=True)


def test_model_error_is_the_input_error_of_the_python_door() -> None:
    assert issubclass(ModelError, InputError)
    assert issubclass(InputError, ValueError)
    assert herniarules.InputError is io.InputError is InputError
    assert herniarules.Problem is io.Problem is Problem
    assert herniarules.ModelError is ModelError
    error = ModelError([Problem("age", "must be a whole number, got True")], record="Patient")
    named = error.with_source("intake form")
    assert type(named) is ModelError
    assert named.record == "Patient"
    assert str(named).startswith("invalid Patient in intake form (1 problem):")


@pytest.mark.parametrize("cls", list(VALID), ids=lambda cls: cls.__name__)
def test_the_constructor_keeps_the_signature_attrs_gives_it(cls: type) -> None:
    parameters = inspect.signature(cls).parameters
    fields = attrs.fields(cls)
    assert list(parameters) == [f.name for f in fields]
    for field in fields:
        default = parameters[field.name].default
        if field.default is attrs.NOTHING:
            assert default is inspect.Parameter.empty
        elif isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            assert default is attrs.NOTHING
        else:
            assert default is field.default


# --------------------------------------------------------------------------- vocabulary fields


def test_vocabulary_fields_take_their_terms_as_text_and_keep_the_member() -> None:
    assert Allergy("honey").substance is Substance.HONEY
    assert Medication("anticoagulant").category is MedicationCategory.ANTICOAGULANT
    condition = Condition(ClinicalStatus.ACTIVE, concept="skin-pathology", site="back")
    assert condition.site is Site.BACK
    patient = build(Patient, indications=("compression", Indication.PREVENTION))
    assert patient.indications == (Indication.COMPRESSION, Indication.PREVENTION)
    assert all(type(i) is Indication for i in patient.indications)


def test_a_condition_may_name_a_concept_by_its_enum_member() -> None:
    condition = Condition(ClinicalStatus.ACTIVE, concept=Concept.VARICOSE_VEINS)
    assert condition.concept == "varicose-veins"


def test_a_wrong_indication_is_reported_by_its_index() -> None:
    with pytest.raises(ModelError) as caught:
        build(Patient, indications=("compression", "massage", "prevention"))
    [problem] = caught.value.problems
    assert problem.path == "indications[1]"
    assert problem.message.startswith("must be one of 'pain-relief', ")


def test_a_medication_by_name_or_atc_code_alone_is_a_medication() -> None:
    assert Medication(name="warfarin").category is None
    assert Medication(atc="B01AA03").name is None


# --------------------------------------------------------------------------- the two doors agree


def json_problems(record: dict[str, Any]) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as caught:
        io.patient_from_dict(record)
    return caught.value.problems


def python_problems(make: Any) -> tuple[Problem, ...]:
    with pytest.raises(ModelError) as caught:
        make()
    return caught.value.problems


BASE = {"id": "P-1", "age": 40, "sex": "female", "pregnant": False}

#: (what, JSON record, where the Python door's object is in it, Python constructor call)
AGREEING: list[tuple[str, dict[str, Any], str, Any]] = [
    ("age out of range", {**BASE, "age": 200}, "", lambda: build(Patient, age=200)),
    ("fractional age", {**BASE, "age": 40.5}, "", lambda: build(Patient, age=40.5)),
    ("numeric id", {**BASE, "id": 5}, "", lambda: build(Patient, id=5)),
    ("id with a space", {**BASE, "id": "P 1"}, "", lambda: build(Patient, id="P 1")),
    (
        "misspelt indication",
        {**BASE, "indications": ["compresion"]},
        "",
        lambda: build(Patient, indications=("compresion",)),
    ),
    (
        "vertebrae not adjacent",
        {
            **BASE,
            "hernias": [
                {"region": "lumbar", "level": "L3-L5", "kind": "protrusion", "phase": "remission"}
            ],
        },
        "hernias[0].",
        lambda: build(Hernia, level="L3-L5"),
    ),
    (
        "pain score out of range",
        {**BASE, "vitals": {"pain_score": 11}},
        "vitals.",
        lambda: Vitals(pain_score=11),
    ),
    (
        "diastolic above systolic",
        {**BASE, "vitals": {"systolic_mmhg": 120, "diastolic_mmhg": 130}},
        "vitals",
        lambda: Vitals(systolic_mmhg=120, diastolic_mmhg=130),
    ),
    (
        "misspelt substance",
        {**BASE, "allergies": [{"substance": "hony"}]},
        "allergies[0].",
        lambda: Allergy("hony"),
    ),
    (
        "other substance without its name",
        {**BASE, "allergies": [{"substance": "other"}]},
        "allergies[0].",
        lambda: Allergy("other"),
    ),
    (
        "plural category",
        {**BASE, "medications": [{"category": "anticoagulants"}]},
        "medications[0].",
        lambda: Medication("anticoagulants"),
    ),
    (
        "lower-case ATC code",
        {**BASE, "medications": [{"atc": "b01aa03"}]},
        "medications[0].",
        lambda: Medication(atc="b01aa03"),
    ),
    (
        "medication of nothing",
        {**BASE, "medications": [{}]},
        "medications[0]",
        lambda: Medication(),
    ),
    (
        "unknown concept",
        {**BASE, "conditions": [{"status": "active", "concept": "varicose-vein"}]},
        "conditions[0].",
        lambda: Condition(ClinicalStatus.ACTIVE, concept="varicose-vein"),
    ),
    (
        "unknown site",
        {**BASE, "conditions": [{"status": "active", "concept": "fever", "site": "lumbal"}]},
        "conditions[0].",
        lambda: Condition(ClinicalStatus.ACTIVE, concept="fever", site="lumbal"),
    ),
    (
        "ICD-10 code of the wrong shape",
        {**BASE, "conditions": [{"status": "active", "code": "XYZ"}]},
        "conditions[0].",
        lambda: Condition(ClinicalStatus.ACTIVE, code="XYZ"),
    ),
    (
        "technique id in capitals",
        {**BASE, "clearances": [{"technique": "Classic", "physician": "Dr", "date": "2026-11-01"}]},
        "clearances[0].",
        lambda: Clearance("Classic", "Dr", DAY),
    ),
    (
        "course ending before it starts",
        {**BASE, "massage_courses": [{"end_date": "2026-05-01", "start_date": "2026-05-02"}]},
        "massage_courses[0]",
        lambda: MassageCourse(end_date=date(2026, 5, 1), start_date=date(2026, 5, 2)),
    ),
]


@pytest.mark.parametrize(
    ("record", "prefix", "make"), [case[1:] for case in AGREEING], ids=[c[0] for c in AGREEING]
)
def test_the_python_door_and_the_json_door_give_the_same_messages(
    record: dict[str, Any], prefix: str, make: Any
) -> None:
    from_json = json_problems(record)
    from_python = python_problems(make)
    moved = tuple(
        Problem(prefix.rstrip(".") if p.path == "$" else prefix + p.path, p.message)
        for p in from_python
    )
    assert moved == from_json


@pytest.mark.parametrize(
    ("field", "json_value", "python_value"),
    [("age", True, True), ("id", 5, 5), ("pregnant", "yes", "yes"), ("age", "40", "40")],
)
def test_the_doors_word_a_wrong_type_alike(field: str, json_value: Any, python_value: Any) -> None:
    [from_json] = json_problems({**BASE, field: json_value})
    [from_python] = python_problems(lambda: build(Patient, **{field: python_value}))
    assert from_json.path == from_python.path == field
    # Each door shows the value as its language writes it: true and "40" against True and '40'.
    wording = from_json.message.split(", got ")[0]
    assert from_python.message.split(", got ")[0].lower() == wording.lower()


def test_code_system_member_defaults_to_icd10() -> None:
    assert Condition(ClinicalStatus.ACTIVE, code="I10").system is CodeSystem.ICD10
