"""Clinical knowledge that fails closed, end to end through the public API.

Each test is one of the inputs that used to be read as valid and gave a permissive or
clinically wrong answer: a code that does not exist, a code of the other ICD-10 system, a
valid code inside a named contraindication, an unknown word, a drug known only by its name,
a hernia known only by its code, a wrongly typed value, a small hernia hiding a large one, a
condition of a lower severity tier, and the clinical questions the project has decided.
Every verdict is read from the engine's decisions (outcome, permitted, rule ids of findings),
never from the internals.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from herniarules import (
    Allergy,
    Assessment,
    ClinicalStatus,
    CodeSystem,
    Condition,
    Decision,
    Engine,
    InputError,
    Medication,
    ModelError,
    Outcome,
    Patient,
    Policy,
    PolicyError,
    Sex,
    Site,
    load_patient,
    loads_patient,
    patient_from_dict,
)
from herniarules.cli import EXIT_INPUT, EXIT_OK, main
from herniarules.terminology import code_table, normalize_code

AS_OF = date(2026, 11, 27)
WHO, CM = CodeSystem.ICD10, CodeSystem.ICD10_CM

#: The techniques shipped with herniarules; every "every technique" claim covers them all.
SHIPPED_TECHNIQUES = frozenset(
    {"classic", "traction", "honey", "vacuum", "acupressure", "segmental", "hydromassage"}
)

#: A 46-year-old man with a small lumbar protrusion in remission and nothing else recorded
#: that restricts massage: classic massage is allowed for him.
CLEAR: dict[str, Any] = {
    "id": "KF-001",
    "age": 46,
    "sex": "male",
    "vitals": {"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 36.6, "pain_score": 1},
    "hernias": [
        {
            "region": "lumbar",
            "level": "L4-L5",
            "kind": "protrusion",
            "phase": "remission",
            "size_mm": 4.0,
            "surgery_indicated": False,
        }
    ],
    "inflammatory_process": False,
}

CLASSIC_CLEARANCE = {"technique": "classic", "physician": "Dr. N. Petrova", "date": "2026-11-02"}


def record(**fields: Any) -> dict[str, Any]:
    """Return the clear patient's JSON data with ``fields`` replaced."""
    data = copy.deepcopy(CLEAR)
    data.update(copy.deepcopy(fields))
    return data


def condition(code: str, system: CodeSystem = WHO, status: str = "active") -> dict[str, Any]:
    return {"code": code, "system": system.value, "status": status}


def hernia(region: str, level: str, size_mm: float) -> dict[str, Any]:
    return {
        "region": region,
        "level": level,
        "kind": "protrusion",
        "phase": "remission",
        "size_mm": size_mm,
        "surgery_indicated": False,
    }


def with_conditions(*conditions: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return record(conditions=list(conditions), **fields)


@pytest.fixture(scope="module")
def engine() -> Engine:
    """The engine with the installed plugins, every shipped technique among them."""
    built = Engine()
    broken = [f"{info.name}: {info.error}" for info in built.plugins if info.error]
    assert not broken, f"plugins failed to load: {broken}"
    assert {t.id for t in built.techniques} >= SHIPPED_TECHNIQUES
    return built


@pytest.fixture(scope="module")
def assess(engine: Engine) -> Callable[[dict[str, Any]], Assessment]:
    def run(data: dict[str, Any]) -> Assessment:
        return engine.assess(patient_from_dict(data), as_of=AS_OF)

    return run


def by_technique(assessment: Assessment) -> dict[str, Decision]:
    decisions = {d.technique: d for d in assessment.decisions}
    assert set(decisions) >= SHIPPED_TECHNIQUES
    return decisions


def rule_ids(decision: Decision) -> set[str]:
    return {finding.rule_id for finding in decision.findings}


def finding(decision: Decision, rule_id: str) -> Any:
    found = [f for f in decision.findings if f.rule_id == rule_id]
    assert found, f"{decision.technique}: {rule_id} did not fire; got {sorted(rule_ids(decision))}"
    (only,) = found
    return only


def assert_every_technique(assessment: Assessment, rule_id: str, outcome: Outcome) -> None:
    """Assert ``rule_id`` fires with ``outcome`` for every technique, none of them permitted."""
    for technique, decision in by_technique(assessment).items():
        assert finding(decision, rule_id).outcome is outcome, technique
        assert decision.outcome >= outcome, technique
        assert not decision.permitted, technique


def suggestions(message: str) -> list[str]:
    match = re.search(r"did you mean (.+)\?$", message)
    assert match, f"no close matches offered in {message!r}"
    return [code.strip() for code in match.group(1).split(",")]


def only_problem(error: InputError) -> tuple[str, str]:
    (problem,) = error.problems
    return problem.path, problem.message


def test_the_clear_patient_is_allowed_classic_massage(assess) -> None:
    # Every restriction below is measured against this patient.
    classic = by_technique(assess(record()))["classic"]
    assert classic.outcome is Outcome.ALLOWED
    assert classic.permitted


# --------------------------------------------------------------------------- code table

#: Codes valid in WHO ICD-10 only, in ICD-10-CM only, and in both.
WHO_ONLY = ["M49.0", "M90.0", "M01.1", "Z32.1", "U07.2"]
CM_ONLY = [
    "QA0.0",
    "I16.0",
    "O9A.111",
    "Z3A.01",
    "Z86.718",
    "I5A",
    "I1A.0",
    "R65.20",
    "T81.40XA",
    "J45.901",
    "J47.1",
    "Z79.02",
    "K58.9",
    "I82.401",
]
IN_BOTH = [
    "K58.1",
    "I80.2",
    "G00.9",
    "G06.1",
    "I67.6",
    "G08",
    "R57.0",
    "R21",
    "J85.1",
    "J86.9",
    "J44.1",
    "M51.1",
    "M50.1",
    "F51.0",
    "F41.1",
    "F52.0",
    "F20.0",
    "I44.0",
    "I50.9",
    "D50.9",
    "D66",
    "C50.9",
    "Z85.3",
    "C61",
    "I83.9",
]
EXISTING = [
    *((code, WHO) for code in WHO_ONLY),
    *((code, CM) for code in CM_ONLY),
    *((code, system) for code in IN_BOTH for system in (WHO, CM)),
]


@pytest.mark.parametrize(("code", "system"), EXISTING, ids=lambda v: str(v))
def test_every_code_these_tests_rely_on_exists_in_its_system(code: str, system: CodeSystem) -> None:
    assert normalize_code(code) in code_table(system)


@pytest.mark.parametrize(
    ("code", "other"),
    [*((code, CM) for code in WHO_ONLY), *((code, WHO) for code in CM_ONLY)],
    ids=lambda v: str(v),
)
def test_the_codes_of_one_system_only_are_absent_from_the_other(
    code: str, other: CodeSystem
) -> None:
    assert normalize_code(code) not in code_table(other)


@pytest.mark.parametrize(
    ("code", "system"),
    [("C99.9", WHO), ("C99.9", CM), ("I84.9", WHO), ("I84.9", CM), ("U99", WHO), ("Q99.99", CM)],
    ids=lambda v: str(v),
)
def test_the_codes_that_do_not_exist_are_absent_from_the_code_table(
    code: str, system: CodeSystem
) -> None:
    assert normalize_code(code) not in code_table(system)


# --------------------------------------------------------------------------- missing codes

MISSING_CODES = [("C99.9", WHO), ("I84.9", WHO), ("U99", WHO), ("Q99.99", CM)]
MISSING_IDS = [f"{code}-{system.value}" for code, system in MISSING_CODES]


def assert_names_missing_code(message: str, code: str, system: CodeSystem) -> None:
    assert f"{code} is not a{'n' if system is CM else ''} {system.display_name} code" in message
    close = suggestions(message)
    table = code_table(system)
    assert close, message
    assert all(normalize_code(near) in table for near in close), close


@pytest.mark.parametrize(("code", "system"), MISSING_CODES, ids=MISSING_IDS)
def test_a_code_that_does_not_exist_is_rejected_from_a_dict(code: str, system: CodeSystem) -> None:
    with pytest.raises(InputError) as caught:
        patient_from_dict(with_conditions(condition(code, system)))
    path, message = only_problem(caught.value)
    assert path == "conditions[0].code"
    assert_names_missing_code(message, code, system)


@pytest.mark.parametrize(("code", "system"), MISSING_CODES, ids=MISSING_IDS)
def test_a_code_that_does_not_exist_is_rejected_from_json_text(
    code: str, system: CodeSystem
) -> None:
    with pytest.raises(InputError) as caught:
        loads_patient(json.dumps(with_conditions(condition(code, system))))
    path, message = only_problem(caught.value)
    assert path == "conditions[0].code"
    assert_names_missing_code(message, code, system)


@pytest.mark.parametrize(("code", "system"), MISSING_CODES, ids=MISSING_IDS)
def test_a_code_that_does_not_exist_is_rejected_from_a_file(
    code: str, system: CodeSystem, tmp_path: Path
) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(with_conditions(condition(code, system))), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_patient(path)
    problem_path, message = only_problem(caught.value)
    assert problem_path == "conditions[0].code"
    assert_names_missing_code(message, code, system)
    assert "patient.json" in str(caught.value)


@pytest.mark.parametrize(("code", "system"), MISSING_CODES, ids=MISSING_IDS)
def test_a_code_that_does_not_exist_is_rejected_by_the_condition_constructor(
    code: str, system: CodeSystem
) -> None:
    with pytest.raises(ModelError) as caught:
        Condition(ClinicalStatus.ACTIVE, code=code, system=system)
    assert isinstance(caught.value, InputError)
    path, message = only_problem(caught.value)
    assert path == "code"
    assert_names_missing_code(message, code, system)


@pytest.mark.parametrize(("code", "system"), MISSING_CODES, ids=MISSING_IDS)
def test_a_code_that_does_not_exist_makes_the_command_line_exit_2_naming_its_path(
    code: str, system: CodeSystem, tmp_path: Path
) -> None:
    path = tmp_path / "patient.json"
    path.write_text(json.dumps(with_conditions(condition(code, system))), encoding="utf-8")
    out, err = StringIO(), StringIO()
    status = main(["assess", str(path), "--as-of", AS_OF.isoformat()], out=out, err=err)
    assert status == EXIT_INPUT
    assert out.getvalue() == ""
    assert "conditions[0].code" in err.getvalue()
    assert code in err.getvalue()
    assert "did you mean" in err.getvalue()


def test_the_valid_icd10cm_code_qa0_0_is_accepted_through_every_door(
    assess, tmp_path: Path
) -> None:
    data = with_conditions(condition("QA0.0", CM))
    from_dict = patient_from_dict(data)
    assert from_dict.conditions[0].code == "QA0.0"
    assert loads_patient(json.dumps(data)) == from_dict
    path = tmp_path / "qa0.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_patient(path) == from_dict
    assert Condition(ClinicalStatus.ACTIVE, code="QA0.0", system=CM).code == "QA0.0"
    out, err = StringIO(), StringIO()
    status = main(["assess", str(path), "--as-of", AS_OF.isoformat()], out=out, err=err)
    assert (status, err.getvalue()) == (EXIT_OK, "")
    assert "Patient KF-001" in out.getvalue()
    # A neurodevelopmental disorder related to a genetic variant does not bear on massage.
    assert by_technique(assess(data))["classic"].permitted


# --------------------------------------------------------------------------- the other system


@pytest.mark.parametrize(
    ("code", "sent_as", "belongs_to"),
    [
        ("M49.0", CM, WHO),
        ("M90.0", CM, WHO),
        ("M01.1", CM, WHO),
        ("I16.0", WHO, CM),
        ("O9A.111", WHO, CM),
        ("Z3A.01", WHO, CM),
        ("Z86.718", WHO, CM),
    ],
    ids=lambda v: str(v),
)
def test_a_code_of_the_other_system_is_an_error_that_names_its_system(
    code: str, sent_as: CodeSystem, belongs_to: CodeSystem
) -> None:
    with pytest.raises(InputError) as caught:
        patient_from_dict(with_conditions(condition(code, sent_as)))
    path, message = only_problem(caught.value)
    assert path == "conditions[0].code"
    assert f"{code} is a{'n' if belongs_to is CM else ''} {belongs_to.display_name} code" in message
    assert f"set system to {belongs_to.value!r}" in message
    with pytest.raises(ModelError) as constructed:
        Condition(ClinicalStatus.ACTIVE, code=code, system=sent_as)
    assert belongs_to.display_name in only_problem(constructed.value)[1]


@pytest.mark.parametrize(
    ("code", "system", "rule_id", "outcome"),
    [
        ("M49.0", WHO, "core.bone-tuberculosis", Outcome.CONTRAINDICATED),
        ("M90.0", WHO, "core.bone-tuberculosis", Outcome.CONTRAINDICATED),
        ("M01.1", WHO, "core.bone-tuberculosis", Outcome.CONTRAINDICATED),
        ("I16.0", CM, "core.hypertension-defer", Outcome.DEFER),
        ("O9A.111", CM, "core.pregnancy", Outcome.DEFER),
        ("Z3A.01", CM, "core.pregnancy", Outcome.DEFER),
        ("Z86.718", CM, "core.thrombosis-tendency", Outcome.CONTRAINDICATED),
    ],
    ids=lambda v: str(v),
)
def test_the_same_code_in_its_own_system_is_read_as_its_contraindication(
    assess, code: str, system: CodeSystem, rule_id: str, outcome: Outcome
) -> None:
    data = with_conditions(condition(code, system), sex="female", age=31, pregnant=False)
    assert_every_technique(assess(data), rule_id, outcome)


# --------------------------------------------------------------------------- named conditions

NAMED = [
    ("G00.9", WHO, "core.infectious-disease", Outcome.DEFER),  # bacterial meningitis
    ("G06.1", WHO, "core.infectious-disease", Outcome.DEFER),  # intraspinal abscess
    ("I67.6", WHO, "core.thrombosis-tendency", Outcome.CONTRAINDICATED),  # cerebral venous
    ("G08", WHO, "core.thrombosis-tendency", Outcome.CONTRAINDICATED),  # intraspinal phlebitis
    ("R57.0", WHO, "core.heart-dysfunction", Outcome.CONTRAINDICATED),  # cardiogenic shock
    ("I5A", CM, "core.heart-dysfunction", Outcome.CONTRAINDICATED),  # myocardial injury
    ("R21", WHO, "core.purulent-skin-rash", Outcome.DEFER),  # rash
    ("J85.1", WHO, "core.infectious-disease", Outcome.DEFER),  # lung abscess
    ("J86.9", WHO, "core.infectious-disease", Outcome.DEFER),  # pyothorax
    ("R65.20", CM, "core.infectious-disease", Outcome.DEFER),  # severe sepsis
    ("T81.40XA", CM, "core.infectious-disease", Outcome.DEFER),  # infection after a procedure
    ("U07.2", WHO, "core.infectious-disease", Outcome.DEFER),  # COVID-19, not identified
]


@pytest.mark.parametrize(
    ("code", "system", "rule_id", "outcome"), NAMED, ids=[c for c, *_ in NAMED]
)
def test_a_code_inside_a_named_contraindication_permits_no_technique(
    assess, code: str, system: CodeSystem, rule_id: str, outcome: Outcome
) -> None:
    assert_every_technique(assess(with_conditions(condition(code, system))), rule_id, outcome)


@pytest.mark.parametrize("code", ["G00.9", "G06.1"])
def test_bacterial_meningitis_and_intraspinal_abscess_are_inflammatory_processes(
    assess, code: str
) -> None:
    assert_every_technique(
        assess(with_conditions(condition(code))), "core.inflammatory-process", Outcome.DEFER
    )


def test_bacterial_meningitis_defers_every_technique(assess) -> None:
    for decision in assess(with_conditions(condition("G00.9"))).decisions:
        assert decision.outcome is Outcome.DEFER, decision.technique


def test_pregnancy_confirmed_defers_every_technique_even_when_pregnant_is_recorded_false(
    assess,
) -> None:
    data = with_conditions(condition("Z32.1"), sex="female", age=29, pregnant=False)
    assert_every_technique(assess(data), "core.pregnancy", Outcome.DEFER)


def test_resistant_hypertension_requires_clearance_for_every_technique(assess) -> None:
    assert_every_technique(
        assess(with_conditions(condition("I1A.0", CM))),
        "core.hypertension",
        Outcome.REQUIRES_CLEARANCE,
    )


def test_a_clearance_for_classic_permits_only_classic_with_resistant_hypertension(assess) -> None:
    data = with_conditions(condition("I1A.0", CM), clearances=[CLASSIC_CLEARANCE])
    decisions = by_technique(assess(data))
    classic = decisions.pop("classic")
    assert classic.permitted
    assert finding(classic, "core.hypertension").cleared_by == "Dr. N. Petrova"
    for technique, decision in decisions.items():
        assert not decision.permitted, technique
        assert finding(decision, "core.hypertension").cleared_by is None, technique


@pytest.mark.parametrize(("code", "system"), [("J44.1", WHO), ("J45.901", CM), ("J47.1", CM)])
def test_a_code_that_means_an_exacerbation_defers_every_technique(
    assess, code: str, system: CodeSystem
) -> None:
    data = with_conditions(condition(code, system, status="active"))
    assert_every_technique(assess(data), "core.exacerbated-chronic-disease", Outcome.DEFER)


# --------------------------------------------------------------------------- unknown words

UNKNOWN_WORDS = [
    # (JSON tweak, path, the word, an allowed value listed, the close match offered or None)
    ({"conditions": [{"concept": "cancer", "status": "active"}]},
     "conditions[0].concept", "cancer", "malignancy", None),
    ({"conditions": [{"concept": "pregnant", "status": "active"}]},
     "conditions[0].concept", "pregnant", "pregnancy", "pregnancy"),
    ({"conditions": [{"concept": "varicose-vein", "status": "active"}]},
     "conditions[0].concept", "varicose-vein", "varicose-veins", "varicose-veins"),
    ({"medications": [{"category": "blood-thinner"}]},
     "medications[0].category", "blood-thinner", "anticoagulant", "anticoagulant"),
    ({"medications": [{"category": "anticoagulants"}]},
     "medications[0].category", "anticoagulants", "anticoagulant", "anticoagulant"),
    ({"allergies": [{"substance": "hony"}]},
     "allergies[0].substance", "hony", "honey", "honey"),
    ({"indications": ["pain-releif"]},
     "indications[0]", "pain-releif", "pain-relief", "pain-relief"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "path", "word", "allowed", "close"), UNKNOWN_WORDS, ids=[w[2] for w in UNKNOWN_WORDS]
)
def test_an_unknown_word_is_an_error_listing_the_allowed_words_and_close_matches(
    fields: dict[str, Any], path: str, word: str, allowed: str, close: str | None
) -> None:
    with pytest.raises(InputError) as caught:
        patient_from_dict(record(**fields))
    problem_path, message = only_problem(caught.value)
    assert problem_path == path
    assert f"got {word!r}" in message
    listed = message.split(", got ")[0]
    assert listed.startswith("must be one of ")
    assert repr(allowed) in listed
    if close is not None:
        assert f"did you mean {close!r}" in message


def test_cancer_as_a_concept_is_pointed_to_malignancy() -> None:
    with pytest.raises(InputError) as caught:
        patient_from_dict(record(conditions=[{"concept": "cancer", "status": "active"}]))
    assert "did you mean 'malignancy'" in only_problem(caught.value)[1]


@pytest.mark.parametrize(
    ("build", "path", "close"),
    [
        (lambda: Condition(ClinicalStatus.ACTIVE, concept="varicose-vein"), "concept",
         "varicose-veins"),
        (lambda: Medication(category="anticoagulants"), "category", "anticoagulant"),
        (lambda: Allergy(substance="hony"), "substance", "honey"),
        (lambda: Patient(id="KF-1", age=40, sex=Sex.MALE, indications=("pain-releif",)),
         "indications[0]", "pain-relief"),
    ],
    ids=["concept", "category", "substance", "indication"],
)  # fmt: skip
def test_an_unknown_word_given_to_a_constructor_is_a_model_error_naming_the_field(
    build: Callable[[], object], path: str, close: str
) -> None:
    with pytest.raises(ModelError) as caught:
        build()
    problem_path, message = only_problem(caught.value)
    assert problem_path == path
    assert message.startswith("must be one of ")
    assert f"did you mean {close!r}" in message


def test_blood_thinner_is_refused_as_ambiguous_between_anticoagulant_and_antiplatelet() -> None:
    with pytest.raises(InputError) as caught:
        patient_from_dict(record(medications=[{"category": "blood-thinner"}]))
    assert "did you mean 'anticoagulant' or 'antiplatelet'?" in only_problem(caught.value)[1]


# --------------------------------------------------------------------------- drug names


@pytest.mark.parametrize(
    "medication",
    [{"name": "warfarin"}, {"name": "Apixaban"}, {"atc": "B01AF02"}],
    ids=["warfarin-by-name", "apixaban-by-name", "rivaroxaban-by-atc"],
)
def test_an_anticoagulant_known_by_name_or_atc_code_contraindicates_vacuum_massage(
    assess, medication: dict[str, str]
) -> None:
    vacuum = by_technique(assess(record(medications=[medication])))["vacuum"]
    assert finding(vacuum, "vacuum.anticoagulant-therapy").outcome is Outcome.CONTRAINDICATED
    assert vacuum.outcome is Outcome.CONTRAINDICATED


def test_long_term_antiplatelet_use_coded_z79_02_contraindicates_vacuum_massage(assess) -> None:
    vacuum = by_technique(assess(with_conditions(condition("Z79.02", CM))))["vacuum"]
    assert finding(vacuum, "vacuum.anticoagulant-therapy").outcome is Outcome.CONTRAINDICATED
    assert not vacuum.permitted


def verdicts(assessment: Assessment) -> dict[str, tuple[Outcome, set[str]]]:
    return {d.technique: (d.outcome, rule_ids(d)) for d in assessment.decisions}


def test_an_unclassifiable_medication_blocks_vacuum_for_want_of_data_and_nothing_else(
    assess,
) -> None:
    clear = verdicts(assess(record()))
    taken = assess(record(medications=[{"name": "Zzzyxomab"}]))
    vacuum = by_technique(taken)["vacuum"]
    unclassified = finding(vacuum, "vacuum.unclassified-medication")
    assert unclassified.outcome is Outcome.INSUFFICIENT_DATA
    assert "Zzzyxomab" in unclassified.explanation
    assert vacuum.outcome is Outcome.INSUFFICIENT_DATA
    assert not vacuum.permitted
    # Only techniques whose rules depend on medication class declare the rule; every other
    # technique decides as it does for the clear patient.
    dependent = {
        technique
        for technique, (_, ids) in verdicts(taken).items()
        if f"{technique}.unclassified-medication" in ids
    }
    assert "vacuum" in dependent
    assert "classic" not in dependent
    for technique, verdict in verdicts(taken).items():
        if technique not in dependent:
            assert verdict == clear[technique], technique


def test_paracetamol_by_name_is_classified_and_blocks_no_technique(assess) -> None:
    taken = assess(record(medications=[{"name": "paracetamol"}]))
    assert verdicts(taken) == verdicts(assess(record()))
    assert by_technique(taken)["vacuum"].permitted


# --------------------------------------------------------------------------- hernia codes


def test_a_disc_hernia_known_only_by_its_code_gives_insufficient_data_for_every_technique(
    assess,
) -> None:
    assessment = assess(with_conditions(condition("M51.1"), hernias=[]))
    assert_every_technique(assessment, "core.hernia-code-without-record", Outcome.INSUFFICIENT_DATA)
    for decision in assessment.decisions:
        assert decision.outcome is Outcome.INSUFFICIENT_DATA, decision.technique


def test_a_lumbar_disc_code_with_its_lumbar_hernia_record_is_not_reported_unrecorded(
    assess,
) -> None:
    decisions = by_technique(assess(with_conditions(condition("M51.1"))))
    for technique, decision in decisions.items():
        assert "core.hernia-code-without-record" not in rule_ids(decision), technique
    assert decisions["classic"].permitted


def test_a_cervical_disc_code_with_only_a_lumbar_hernia_record_is_reported_unrecorded(
    assess,
) -> None:
    assessment = assess(with_conditions(condition("M50.1")))
    assert_every_technique(assessment, "core.hernia-code-without-record", Outcome.INSUFFICIENT_DATA)
    evidence = finding(by_technique(assessment)["classic"], "core.hernia-code-without-record")
    assert "M50.1" in evidence.explanation


# --------------------------------------------------------------------------- the Python door


@pytest.mark.parametrize(
    ("field", "value"),
    [("pregnant", "yes"), ("inflammatory_process", "true"), ("age", True)],
    ids=["pregnant-yes", "inflammatory-process-true", "age-true"],
)
def test_the_patient_constructor_refuses_a_wrongly_typed_value_naming_the_field(
    field: str, value: object
) -> None:
    fields: dict[str, Any] = {"id": "KF-1", "age": 40, "sex": Sex.FEMALE, field: value}
    with pytest.raises(InputError) as caught:
        Patient(**fields)
    assert isinstance(caught.value, ModelError)
    path, message = only_problem(caught.value)
    assert path == field
    assert repr(value) in message


# --------------------------------------------------------------------------- facts keep the hernias


def test_a_small_cervical_hernia_beside_a_7_mm_lumbar_one_does_not_contraindicate_honey(
    engine: Engine,
) -> None:
    data = record(hernias=[hernia("lumbar", "L4-L5", 7.0), hernia("cervical", "C5-C6", 2.0)])
    honey = engine.evaluate(patient_from_dict(data), "honey", as_of=AS_OF)
    assert "honey.large-hernia" not in rule_ids(honey)


def test_a_7_mm_cervical_hernia_contraindicates_honey_naming_its_level(engine: Engine) -> None:
    data = record(hernias=[hernia("lumbar", "L4-L5", 4.0), hernia("cervical", "C5-C6", 7.0)])
    honey = engine.evaluate(patient_from_dict(data), "honey", as_of=AS_OF)
    large = finding(honey, "honey.large-hernia")
    assert large.outcome is Outcome.CONTRAINDICATED
    assert "C5-C6" in large.explanation
    assert "L4-L5" not in large.explanation
    assert not honey.permitted


# --------------------------------------------------------------------------- severity tiers

CLEARANCE_TIER = [
    ("F51.0", WHO, "core.psychiatric-disorder-requires-clearance"),  # insomnia
    ("F41.1", WHO, "core.psychiatric-disorder-requires-clearance"),  # generalised anxiety
    ("F52.0", WHO, "core.psychiatric-disorder-requires-clearance"),  # sexual dysfunction
    ("K58.1", WHO, "core.digestive-disorder-requires-clearance"),  # IBS (WHO)
    ("K58.9", CM, "core.digestive-disorder-requires-clearance"),  # IBS (ICD-10-CM)
    ("I44.0", WHO, "core.heart-dysfunction-requires-clearance"),  # first-degree AV block
    ("D50.9", WHO, "core.blood-disease-requires-clearance"),  # iron-deficiency anaemia
]


@pytest.mark.parametrize(
    ("code", "system", "rule_id"), CLEARANCE_TIER, ids=[c for c, *_ in CLEARANCE_TIER]
)
def test_a_milder_form_of_a_named_condition_requires_clearance_and_does_not_contraindicate(
    assess, code: str, system: CodeSystem, rule_id: str
) -> None:
    assessment = assess(with_conditions(condition(code, system)))
    assert_every_technique(assessment, rule_id, Outcome.REQUIRES_CLEARANCE)
    for decision in assessment.decisions:
        assert decision.outcome is Outcome.REQUIRES_CLEARANCE, decision.technique


@pytest.mark.parametrize(
    ("code", "system", "rule_id"), CLEARANCE_TIER, ids=[c for c, *_ in CLEARANCE_TIER]
)
def test_a_recorded_clearance_for_classic_permits_classic_with_a_milder_form(
    assess, code: str, system: CodeSystem, rule_id: str
) -> None:
    data = with_conditions(condition(code, system), clearances=[CLASSIC_CLEARANCE])
    decisions = by_technique(assess(data))
    classic = decisions.pop("classic")
    assert classic.permitted
    assert finding(classic, rule_id).cleared_by == "Dr. N. Petrova"
    assert not decisions["honey"].permitted


@pytest.mark.parametrize(
    ("code", "rule_id"),
    [
        ("F20.0", "core.psychiatric-disorder"),  # paranoid schizophrenia
        ("I50.9", "core.heart-dysfunction"),  # heart failure
        ("D66", "core.blood-disease"),  # haemophilia
    ],
)
def test_a_severe_form_contraindicates_and_a_clearance_does_not_lift_it(
    assess, code: str, rule_id: str
) -> None:
    data = with_conditions(condition(code), clearances=[CLASSIC_CLEARANCE])
    assessment = assess(data)
    assert_every_technique(assessment, rule_id, Outcome.CONTRAINDICATED)
    classic = by_technique(assessment)["classic"]
    assert classic.outcome is Outcome.CONTRAINDICATED
    assert finding(classic, rule_id).cleared_by is None


def test_a_clinic_policy_can_make_insomnia_contraindicate_every_technique() -> None:
    strict = Engine(policy=Policy(minimum_tiers={"psychiatric-disorder": Outcome.CONTRAINDICATED}))
    data = with_conditions(condition("F51.0"), clearances=[CLASSIC_CLEARANCE])
    assessment = strict.assess(patient_from_dict(data), as_of=AS_OF)
    assert_every_technique(
        assessment, "core.psychiatric-disorder-requires-clearance", Outcome.CONTRAINDICATED
    )
    for decision in assessment.decisions:
        assert decision.outcome is Outcome.CONTRAINDICATED, decision.technique


@pytest.mark.parametrize("tier", [Outcome.ALLOWED, Outcome.ALLOWED_WITH_MODIFICATIONS])
def test_a_clinic_policy_cannot_lower_a_tier_below_requires_clearance(tier: Outcome) -> None:
    with pytest.raises(PolicyError, match="psychiatric-disorder"):
        Policy(minimum_tiers={"psychiatric-disorder": tier})


# --------------------------------------------------------------------------- decided questions


@pytest.mark.parametrize(
    "cancer",
    [condition("C50.9", status="remission"), condition("Z85.3")],
    ids=["breast-cancer-in-remission", "history-of-breast-cancer"],
)
def test_cancer_in_remission_or_in_the_history_requires_the_oncologists_clearance(
    assess, cancer: dict[str, Any]
) -> None:
    assessment = assess(with_conditions(cancer, sex="female"))
    assert_every_technique(
        assessment, "core.malignancy-requires-clearance", Outcome.REQUIRES_CLEARANCE
    )
    for decision in assessment.decisions:
        assert "core.malignancy" not in rule_ids(decision), decision.technique


def test_active_prostate_cancer_contraindicates_every_technique_naming_it(assess) -> None:
    assessment = assess(with_conditions(condition("C61")))
    assert_every_technique(assessment, "core.malignancy", Outcome.CONTRAINDICATED)
    for decision in assessment.decisions:
        explanation = finding(decision, "core.malignancy").explanation
        assert "C61 Malignant neoplasm of prostate" in explanation, decision.technique


@pytest.mark.parametrize(
    "thrombosis",
    [
        condition("I82.401", CM, status="inactive"),
        condition("I80.2", WHO, status="resolved"),
        condition("Z86.718", CM),
    ],
    ids=["inactive-leg-dvt-cm", "resolved-deep-thrombophlebitis-who", "history-of-dvt-cm"],
)
def test_a_past_deep_vein_thrombosis_contraindicates_as_its_history_code_does(
    assess, thrombosis: dict[str, Any]
) -> None:
    assert_every_technique(
        assess(with_conditions(thrombosis)), "core.thrombosis-tendency", Outcome.CONTRAINDICATED
    )


def operated(days_ago: int) -> dict[str, Any]:
    """The clear patient (hernia phase remission) operated on the spine ``days_ago`` days ago."""
    when = (AS_OF - timedelta(days=days_ago)).isoformat()
    return record(surgeries=[{"date": when, "procedure": "microdiscectomy", "region": "lumbar"}])


def test_spinal_surgery_yesterday_defers_every_technique_whatever_the_hernia_phase(
    assess,
) -> None:
    assessment = assess(operated(1))
    assert_every_technique(assessment, "core.spinal-surgery-healing", Outcome.DEFER)
    for decision in assessment.decisions:
        assert decision.outcome is Outcome.DEFER, decision.technique


def test_spinal_surgery_30_days_ago_requires_clearance_for_every_technique(assess) -> None:
    assessment = assess(operated(30))
    assert_every_technique(
        assessment, "core.spinal-surgery-rehabilitation", Outcome.REQUIRES_CLEARANCE
    )
    for decision in assessment.decisions:
        assert "core.spinal-surgery-healing" not in rule_ids(decision), decision.technique


def test_spinal_surgery_120_days_ago_no_longer_restricts_massage(assess) -> None:
    decisions = by_technique(assess(operated(120)))
    for technique, decision in decisions.items():
        assert not {"core.spinal-surgery-healing", "core.spinal-surgery-rehabilitation"} & (
            rule_ids(decision)
        ), technique
    assert decisions["classic"].permitted


# --------------------------------------------------------------------------- local conditions


def test_leg_varicose_veins_are_recorded_at_the_legs(assess) -> None:
    assessment = assess(with_conditions(condition("I83.9")))
    for technique, decision in by_technique(assessment).items():
        veins = finding(decision, "core.varicose-veins")
        (item,) = veins.evidence["conditions"]
        assert (item["code"], item["site"]) == ("I83.9", "legs"), technique


def test_leg_varicose_veins_permit_no_technique_that_works_on_the_legs(
    engine: Engine, assess
) -> None:
    decisions = by_technique(assess(with_conditions(condition("I83.9"))))
    on_legs = [t.id for t in engine.techniques if t.treats(Site.LEGS)]
    assert on_legs
    for technique in on_legs:
        decision = decisions[technique]
        assert finding(decision, "core.varicose-veins").outcome is Outcome.CONTRAINDICATED
        assert not decision.permitted, technique


def test_leg_varicose_veins_let_classic_massage_of_the_back_go_ahead_avoiding_the_legs(
    engine: Engine, assess
) -> None:
    assert not engine.technique("classic").treats(Site.LEGS)
    classic = by_technique(assess(with_conditions(condition("I83.9"))))["classic"]
    assert classic.outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    assert "core.varicose-veins" in rule_ids(classic)
    assert classic.protocol is not None
    assert any(area.startswith("legs") for area in classic.protocol.avoid), classic.protocol.avoid


def test_varicose_veins_of_unrecorded_site_block_classic_massage_of_the_back(assess) -> None:
    data = record(conditions=[{"concept": "varicose-veins", "status": "active"}])
    classic = by_technique(assess(data))["classic"]
    assert finding(classic, "core.varicose-veins").outcome is Outcome.CONTRAINDICATED
    assert not classic.permitted
