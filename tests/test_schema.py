"""JSON Schemas generated from the model: they accept what the code accepts and writes."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest

from herniarules import Assessment, Patient
from herniarules.io import assessment_to_dict
from herniarules.schema import assessment_schema, patient_schema

AS_OF = date(2026, 11, 27)


@pytest.fixture(scope="module")
def patient_validator() -> jsonschema.Draft202012Validator:
    schema = patient_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def assessment_validator() -> jsonschema.Draft202012Validator:
    schema = assessment_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_patient_schema_accepts_every_example_patient(
    patient_validator: jsonschema.Draft202012Validator, example_paths: list[Path]
) -> None:
    for path in example_paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        errors = [e.message for e in patient_validator.iter_errors(data)]
        assert errors == [], f"{path.name}: {errors}"


@pytest.mark.parametrize(
    ("where", "key", "value"),
    [
        ((), "shoe_size", 44),
        (("vitals",), "heart_rate", 70),
        (("hernias", 0), "grade", 2),
    ],
)
def test_patient_schema_rejects_an_unknown_field(
    patient_validator: jsonschema.Draft202012Validator,
    patient_data: dict[str, Any],
    where: tuple[str | int, ...],
    key: str,
    value: object,
) -> None:
    target: Any = patient_data
    for step in where:
        target = target[step]
    target[key] = value
    assert not patient_validator.is_valid(patient_data)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("vitals", "pain_score"), 15),
        (("vitals", "temperature_c"), "hot"),
        (("age",), 400),
        (("hernias", 0, "size_mm"), -3),
        (("hernias", 0, "phase"), "chronic"),
        (("sex",), None),
    ],
)
def test_patient_schema_carries_the_models_types_and_bounds(
    patient_validator: jsonschema.Draft202012Validator,
    patient_data: dict[str, Any],
    path: tuple[str | int, ...],
    value: object,
) -> None:
    assert patient_validator.is_valid(patient_data)
    target: Any = patient_data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    assert not patient_validator.is_valid(patient_data)


def test_patient_schema_requires_what_the_model_requires(
    patient_validator: jsonschema.Draft202012Validator, patient_data: dict[str, Any]
) -> None:
    for field in ("id", "age", "sex"):
        data = copy.deepcopy(patient_data)
        del data[field]
        assert not patient_validator.is_valid(data), field
    assert set(patient_schema()["required"]) == {"id", "age", "sex"}


def test_patient_schema_lists_exactly_the_model_fields() -> None:
    assert set(patient_schema()["properties"]) == set(attrs.fields_dict(Patient))


def test_patient_schema_describes_fields_from_their_docstrings() -> None:
    vitals = patient_schema()["$defs"]["Vitals"]["properties"]
    assert "0-10" in vitals["pain_score"]["description"]


def _assessment_data(make_engine, plugin_class, make_patient, **fields: Any) -> dict[str, Any]:
    from herniarules import F, Outcome, Rule

    strict = Rule(
        "strict.size",
        "Size",
        F.max_hernia_size_mm >= 3,
        Outcome.CONTRAINDICATED,
        "Too large in the tests.",
        "test suite",
        techniques={"strict"},
    )
    engine = make_engine(plugin_class("probe"), plugin_class("strict", [strict]))
    assessment = engine.assess(make_patient(**fields), as_of=AS_OF)
    assert isinstance(assessment, Assessment)
    # Validate what a consumer reads: the JSON text, not Python tuples.
    return json.loads(json.dumps(assessment_to_dict(assessment)))


def test_assessment_schema_validates_a_real_assessment(
    assessment_validator: jsonschema.Draft202012Validator, make_engine, plugin_class, make_patient
) -> None:
    data = _assessment_data(
        make_engine,
        plugin_class,
        make_patient,
        clearances=[{"technique": "probe", "physician": "Dr. A", "date": "2026-11-01"}],
        massage_courses=[{"end_date": "2026-10-27"}],
    )
    decisions = {d["technique"]: d for d in data["decisions"]}
    assert decisions["probe"]["protocol"] is not None
    assert decisions["strict"]["protocol"] is None
    errors = [f"{list(e.path)}: {e.message}" for e in assessment_validator.iter_errors(data)]
    assert errors == []


def test_assessment_schema_rejects_a_tampered_assessment(
    assessment_validator: jsonschema.Draft202012Validator, make_engine, plugin_class, make_patient
) -> None:
    data = _assessment_data(make_engine, plugin_class, make_patient)
    data["decisions"][0]["outcome"] = "probably-fine"
    assert not assessment_validator.is_valid(data)
    data = _assessment_data(make_engine, plugin_class, make_patient)
    del data["ruleset_fingerprint"]
    assert not assessment_validator.is_valid(data)


def test_assessment_schema_lists_the_outcome_labels() -> None:
    from herniarules import Outcome

    finding = assessment_schema()["$defs"]["Finding"]["properties"]
    assert finding["outcome"]["enum"] == [o.label for o in Outcome]
