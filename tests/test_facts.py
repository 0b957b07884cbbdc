"""Facts: the flat record every rule reads, derived from one patient on one day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import attrs
import pytest

from herniarules import CodeSystem, Concept, InputError, Terminology, ValueSet, derive_facts
from herniarules.facts import FACT_LABELS, ConditionFact, Facts, HerniaFact, bp_grade
from herniarules.terminology import DEFAULT_TERMINOLOGY, CodeRange

AS_OF = date(2026, 11, 27)


def facts_of(make_patient, **fields: Any) -> Facts:
    return derive_facts(make_patient(**fields), AS_OF)


def hernia(level: str, phase: str, size: float | None = 4.0, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "region": "lumbar",
        "level": level,
        "kind": "protrusion",
        "phase": phase,
    }
    if size is not None:
        item["size_mm"] = size
    item.update(extra)
    return item


# --------------------------------------------------------------------------- hernias


def test_worst_phase_is_the_most_severe_of_all_hernias(make_patient) -> None:
    facts = facts_of(
        make_patient,
        hernias=[hernia("L3-L4", "remission"), hernia("L4-L5", "exacerbation")],
    )
    assert facts.worst_phase == "exacerbation"
    assert facts.phases == {"remission", "exacerbation"}


@pytest.mark.parametrize(
    ("phases", "worst"),
    [
        (("remission", "acute"), "acute"),
        (("post-surgical", "remission"), "post-surgical"),
        (("subacute", "post-surgical"), "subacute"),
        (("remission",), "remission"),
    ],
)
def test_worst_phase_follows_the_severity_order(make_patient, phases, worst) -> None:
    levels = ["L2-L3", "L3-L4", "L4-L5"]
    facts = facts_of(
        make_patient, hernias=[hernia(lv, p) for lv, p in zip(levels, phases, strict=False)]
    )
    assert facts.worst_phase == worst


def test_patient_without_hernia_has_no_phase(make_patient) -> None:
    facts = facts_of(make_patient, hernias=[], indications=["prevention"])
    assert facts.has_hernia is False
    assert facts.worst_phase is None
    assert facts.phases == frozenset()
    assert facts.surgery_indicated is False
    assert facts.indications == {"prevention"}


def test_largest_hernia_is_the_maximum_size(make_patient) -> None:
    facts = facts_of(
        make_patient, hernias=[hernia("L3-L4", "remission", 3.0), hernia("L4-L5", "remission", 6.5)]
    )
    assert facts.max_hernia_size_mm == 6.5


def test_largest_hernia_is_unknown_if_any_hernia_was_not_measured(make_patient) -> None:
    facts = facts_of(
        make_patient,
        hernias=[hernia("L3-L4", "remission", 9.0), hernia("L4-L5", "remission", None)],
    )
    assert facts.max_hernia_size_mm is None


@pytest.mark.parametrize(
    ("flags", "expected"),
    [((False, False), False), ((False, True), True), ((None, True), True), ((False, None), None)],
)
def test_surgery_indicated_is_true_if_any_hernia_needs_it_unknown_if_any_unknown(
    make_patient, flags, expected
) -> None:
    hernias = []
    for level, flag in zip(("L3-L4", "L4-L5"), flags, strict=True):
        item = hernia(level, "remission")
        if flag is not None:
            item["surgery_indicated"] = flag
        hernias.append(item)
    assert facts_of(make_patient, hernias=hernias).surgery_indicated is expected


# --------------------------------------------------------------------------- vitals


@pytest.mark.parametrize(
    ("systolic", "diastolic", "grade"),
    [
        (139, 89, 0),
        (140, 80, 1),
        (120, 90, 1),
        (159, 99, 1),
        (160, 80, 2),
        (120, 100, 2),
        (179, 109, 2),
        (180, 80, 3),
        (150, 110, 3),
        (None, 80, None),
        (120, None, None),
    ],
)
def test_blood_pressure_grade_is_the_esc_esh_grade_of_the_higher_reading(
    systolic, diastolic, grade
) -> None:
    assert bp_grade(systolic, diastolic) == grade


def test_vitals_are_copied_into_the_facts(make_patient) -> None:
    facts = facts_of(make_patient)
    assert (facts.pain_score, facts.temperature_c, facts.systolic_mmhg, facts.diastolic_mmhg) == (
        1,
        36.6,
        120,
        80,
    )
    assert facts.bp_grade == 0


# --------------------------------------------------------------------------- conditions


def condition(code: str, status: str = "active", system: str = "icd-10") -> dict[str, Any]:
    return {"code": code, "status": status, "system": system}


def test_resolved_infection_is_not_an_active_infection(make_patient) -> None:
    active = facts_of(make_patient, conditions=[condition("J06.9")])
    resolved = facts_of(make_patient, conditions=[condition("J06.9", "resolved")])
    assert Concept.INFECTIOUS_DISEASE in active.concepts
    assert Concept.INFECTIOUS_DISEASE not in resolved.concepts


@pytest.mark.parametrize(
    ("status", "present"),
    [
        ("active", True),
        ("recurrence", True),
        ("relapse", True),
        ("remission", False),
        ("resolved", False),
        ("inactive", False),
    ],
)
def test_cancer_counts_only_while_present(make_patient, status: str, present: bool) -> None:
    facts = facts_of(make_patient, conditions=[condition("C50.9", status)])
    assert (Concept.MALIGNANCY in facts.concepts) is present


def test_recurrence_or_relapse_marks_an_exacerbated_chronic_disease(make_patient) -> None:
    facts = facts_of(
        make_patient,
        conditions=[condition("J45.9", "relapse"), condition("K29.7", "active")],
    )
    assert facts.exacerbated_conditions == {"J45.9"}


def test_condition_recorded_as_a_concept_sets_that_concept(make_patient) -> None:
    facts = facts_of(make_patient, conditions=[{"concept": "varicose-veins", "status": "active"}])
    assert Concept.VARICOSE_VEINS in facts.concepts


def test_codes_in_icd10_cm_spelling_map_too(make_patient) -> None:
    facts = facts_of(make_patient, conditions=[condition("Z86.718", system="icd-10-cm")])
    assert Concept.THROMBOSIS_TENDENCY in facts.concepts
    # WHO's Z86.7 is any history of circulatory disease: a physician says whether it was a
    # thrombosis, so it needs clearance rather than contraindicating.
    who = facts_of(make_patient, conditions=[condition("Z86.7")])
    assert [(c.concept, c.tier) for c in who.conditions] == [
        ("thrombosis-tendency", "requires-clearance")
    ]


def test_anticoagulant_medication_and_bee_allergy_set_their_concepts(make_patient) -> None:
    facts = facts_of(
        make_patient,
        medications=[{"category": "anticoagulant", "name": "warfarin"}],
        allergies=[{"substance": "propolis"}],
    )
    assert {Concept.ANTICOAGULANT_THERAPY, Concept.HONEY_ALLERGY} <= facts.concepts


def test_inflammation_coded_as_a_condition_counts_as_an_inflammatory_process(make_patient) -> None:
    facts = facts_of(make_patient, inflammatory_process=False, conditions=[condition("M46.4")])
    assert facts.inflammatory_process is True
    assert Concept.INFLAMMATORY_PROCESS in facts.concepts


def test_plugin_value_set_widens_the_concepts(make_patient) -> None:
    extra = ValueSet(
        "tested-concept", "Test", (CodeRange("Q65"),), "test suite", "tests.tested-concept"
    )
    terminology: Terminology = DEFAULT_TERMINOLOGY.with_value_sets(extra)
    patient = make_patient(conditions=[condition("Q65.1")])
    assert "tested-concept" in derive_facts(patient, AS_OF, terminology).concepts
    assert "tested-concept" not in derive_facts(patient, AS_OF).concepts


# --------------------------------------------------------------------------- pregnancy


@pytest.mark.parametrize(
    ("sex", "age", "recorded", "derived"),
    [
        ("female", 30, None, None),
        ("female", 30, True, True),
        ("female", 30, False, False),
        ("male", 30, None, False),
        ("female", 70, None, False),
        ("female", 11, None, False),
        ("other", 30, None, None),
    ],
)
def test_pregnancy_is_unknown_only_when_it_is_possible_and_unrecorded(
    make_patient, sex: str, age: int, recorded: bool | None, derived: bool | None
) -> None:
    fields: dict[str, Any] = {"sex": sex, "age": age}
    if recorded is not None:
        fields["pregnant"] = recorded
    facts = facts_of(make_patient, **fields)
    assert facts.pregnant is derived
    assert (Concept.PREGNANCY in facts.concepts) is bool(derived)


def test_pregnancy_code_makes_the_patient_pregnant(make_patient) -> None:
    facts = facts_of(make_patient, sex="female", age=30, conditions=[condition("O26.8")])
    assert facts.pregnant is True


# --------------------------------------------------------------------------- history


def test_days_since_the_last_course_counts_from_its_last_session(make_patient) -> None:
    courses = [
        {"end_date": (AS_OF - timedelta(days=200)).isoformat()},
        {"end_date": (AS_OF - timedelta(days=45)).isoformat()},
    ]
    facts = facts_of(make_patient, massage_courses=courses)
    assert facts.had_massage_course is True
    assert facts.days_since_last_course == 45


def test_no_course_means_no_days_since_course(make_patient) -> None:
    facts = facts_of(make_patient)
    assert facts.had_massage_course is False
    assert facts.days_since_last_course is None


def test_days_since_surgery_counts_from_the_latest_operation(make_patient) -> None:
    surgeries = [{"date": "2026-08-29"}, {"date": "2025-01-01"}]
    facts = facts_of(make_patient, surgeries=surgeries)
    assert facts.had_spinal_surgery is True
    assert facts.days_since_surgery == (AS_OF - date(2026, 8, 29)).days


# --------------------------------------------------------------------------- evidence


def test_evidence_quotes_values_and_sorts_sets(make_patient) -> None:
    facts = facts_of(make_patient, conditions=[condition("C50.9"), condition("I10")])
    evidence = facts.evidence(("pain_score", "concepts"))
    assert evidence == {"pain_score": 1, "concepts": tuple(sorted(facts.concepts))}
    assert evidence["concepts"] == ("hypertension", "malignancy")


def test_evidence_is_read_only(make_patient) -> None:
    facts = facts_of(make_patient)
    evidence = facts.evidence(("pain_score",))
    with pytest.raises(TypeError):
        evidence["pain_score"] = 0  # type: ignore[index]


def test_every_fact_has_a_label() -> None:
    import attrs

    assert set(FACT_LABELS) == set(attrs.fields_dict(Facts))


def test_flat_facts_do_not_depend_on_the_order_of_records(make_patient) -> None:
    conditions = [condition("C50.9"), condition("J45.9", "recurrence"), condition("I10")]
    hernias = [hernia("L3-L4", "remission", 3.0), hernia("L4-L5", "subacute", 5.0)]
    forward = facts_of(make_patient, conditions=conditions, hernias=hernias)
    backward = facts_of(make_patient, conditions=conditions[::-1], hernias=hernias[::-1])
    # Only the item collections follow the record, in its order.
    assert attrs.evolve(backward, hernias=forward.hernias, conditions=forward.conditions) == forward
    assert backward.hernias == forward.hernias[::-1]
    assert backward.conditions == forward.conditions[::-1]


def test_code_system_is_respected(make_patient) -> None:
    # M49.0 (tuberculosis of spine) exists only in WHO ICD-10: sent as ICD-10-CM it is an
    # error naming the system it belongs to, never a code with no concept.
    who = facts_of(make_patient, conditions=[condition("M49.0")])
    assert Concept.BONE_TUBERCULOSIS in who.concepts
    with pytest.raises(InputError, match=r"M49\.0 is a WHO ICD-10 code, not an ICD-10-CM one"):
        facts_of(make_patient, conditions=[condition("M49.0", system=CodeSystem.ICD10_CM.value)])


# --------------------------------------------------------------------------- item facts


def test_hernia_items_keep_each_hernias_values_in_record_order(make_patient) -> None:
    facts = facts_of(
        make_patient,
        hernias=[
            hernia("L4-L5", "remission", 7.0, surgery_indicated=True),
            hernia("C5-C6", "acute", None, region="cervical", kind="extrusion"),
        ],
    )
    assert facts.hernias == (
        HerniaFact("lumbar", "L4-L5", "protrusion", "remission", 7.0, True),
        HerniaFact("cervical", "C5-C6", "extrusion", "acute", None, None),
    )


def test_a_patient_without_hernias_has_no_hernia_items(make_patient) -> None:
    assert facts_of(make_patient, hernias=[]).hernias == ()


def test_condition_items_give_one_item_per_concept_a_code_expresses(make_patient) -> None:
    record = {**condition("i11.9"), "display": "Hypertensive heart disease"}
    facts = facts_of(make_patient, conditions=[record])
    assert [(c.concept, c.code) for c in facts.conditions] == [
        ("hypertension", "I11.9"),
        ("hypertension-organ-damage", "I11.9"),
    ]
    first = facts.conditions[0]
    # The tier and the display come from the code table, not from the record.
    assert (first.tier, first.site, first.system, first.display, first.status) == (
        "requires-clearance",
        None,
        "icd-10",
        "Hypertensive heart disease without (congestive) heart failure",
        "active",
    )
    assert facts.conditions[1].tier == "contraindicated"


def test_condition_items_hold_the_code_in_dotted_spelling(make_patient) -> None:
    facts = facts_of(make_patient, conditions=[condition("C509"), condition("c61")])
    assert [c.code for c in facts.conditions] == ["C50.9", "C61"]


def test_condition_items_include_a_named_concept_and_follow_record_order(make_patient) -> None:
    named = {"concept": "varicose-veins", "status": "relapse"}
    facts = facts_of(make_patient, conditions=[condition("L40.0"), named])
    assert [(c.concept, c.code, c.system, c.status) for c in facts.conditions] == [
        ("skin-pathology", "L40.0", "icd-10", "active"),
        ("varicose-veins", None, None, "relapse"),
    ]


def test_inactive_and_unmapped_conditions_give_no_condition_items(make_patient) -> None:
    facts = facts_of(make_patient, conditions=[condition("L40.0", "resolved"), condition("J45.9")])
    assert facts.conditions == ()


def test_a_resolved_cancer_gives_a_history_item_that_needs_clearance(make_patient) -> None:
    facts = facts_of(make_patient, conditions=[condition("C50.9", "resolved")])
    assert [(c.concept, c.tier, c.status) for c in facts.conditions] == [
        ("malignancy", "requires-clearance", "resolved")
    ]
    assert Concept.MALIGNANCY not in facts.concepts


def test_condition_items_use_the_code_system_of_the_record(make_patient) -> None:
    cm = facts_of(make_patient, conditions=[condition("Z86.71", system="icd-10-cm")])
    assert [(c.concept, c.system) for c in cm.conditions] == [("thrombosis-tendency", "icd-10-cm")]


def test_facts_built_by_derive_facts_equal_facts_built_by_their_init(make_patient) -> None:
    # derive_facts sets the slots directly; the result must be what __init__ gives.
    facts = facts_of(
        make_patient,
        hernias=[hernia("L4-L5", "remission", 7.0)],
        conditions=[condition("I11.9")],
    )
    again = Facts(*(getattr(facts, field.name) for field in attrs.fields(Facts)))
    assert again == facts and hash(again) == hash(facts)
    item = facts.hernias[0]
    assert HerniaFact(*attrs.astuple(item)) == item
    assert ConditionFact(*attrs.astuple(facts.conditions[0])) == facts.conditions[0]
