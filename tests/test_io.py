"""Strict input: every bad record gives one InputError naming each JSON path; JSON out."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import herniarules
from herniarules import InputError, Problem, load_patient, loads_patient, patient_from_dict
from herniarules.io import (
    MAX_INPUT_BYTES,
    MAX_NESTING,
    assessment_to_dict,
    decision_to_dict,
    dumps,
    patient_to_dict,
)

Mutation = Callable[[dict[str, Any]], None]


def setting(path: str, value: Any) -> Mutation:
    """Set the value at a dotted path such as ``hernias.0.size_mm``."""
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in path.split(".")]

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return mutate


def removing(path: str) -> Mutation:
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in path.split(".")]

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for key in keys[:-1]:
            target = target[key]
        del target[keys[-1]]

    return mutate


def problems_of(data: object) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        patient_from_dict(data)
    return list(caught.value.problems)


# (mutation, JSON path named, words the message must contain)
BAD_FIELDS: list[tuple[str, Mutation, str, str]] = [
    ("unknown top-level field", setting("colour", "blue"), "colour", "unknown field"),
    ("unknown nested field", setting("hernias.0.grade", 2), "hernias[0].grade", "unknown field"),
    ("pain 15", setting("vitals.pain_score", 15), "vitals.pain_score", "between 0 and 10, got 15"),
    ("pain 7.5", setting("vitals.pain_score", 7.5), "vitals.pain_score", "whole number"),
    ("pain as text", setting("vitals.pain_score", "8"), "vitals.pain_score", 'got "8"'),
    ("pain as boolean", setting("vitals.pain_score", True), "vitals.pain_score", "got true"),
    ("temperature hot", setting("vitals.temperature_c", "hot"), "vitals.temperature_c", "number"),
    (
        "temperature NaN",
        setting("vitals.temperature_c", float("nan")),
        "vitals.temperature_c",
        "NaN",
    ),
    (
        "temperature inf",
        setting("vitals.temperature_c", float("inf")),
        "vitals.temperature_c",
        "between",
    ),
    ("age 400", setting("age", 400), "age", "between 0 and 130, got 400"),
    ("negative age", setting("age", -1), "age", "between 0 and 130"),
    ("age as text", setting("age", "46"), "age", "whole number"),
    ("size -3", setting("hernias.0.size_mm", -3), "hernias[0].size_mm", "between 0 and 40, got -3"),
    ("size 41", setting("hernias.0.size_mm", 41), "hernias[0].size_mm", "between 0 and 40"),
    (
        "non-adjacent level",
        setting("hernias.0.level", "L4-L6"),
        "hernias[0].level",
        "vertebral level",
    ),
    ("reversed level", setting("hernias.0.level", "L5-L4"), "hernias[0].level", "adjacent"),
    (
        "level of another region",
        setting("hernias.0.level", "C5-C6"),
        "hernias[0].level",
        "cervical",
    ),
    ("unknown phase", setting("hernias.0.phase", "chronic"), "hernias[0].phase", "'remission'"),
    ("unknown sex", setting("sex", "f"), "sex", "must be one of"),
    ("null sex", setting("sex", None), "sex", "got null"),
    ("missing sex", removing("sex"), "sex", "required field is missing"),
    ("missing phase", removing("hernias.0.phase"), "hernias[0].phase", "required"),
    ("hernias as object", setting("hernias", {}), "hernias", "must be an array"),
    ("hernias null", setting("hernias", None), "hernias", "must be an array, got null"),
    ("vitals as array", setting("vitals", []), "vitals", "must be an object"),
    (
        "bad ICD-10 code",
        setting("conditions", [{"code": "XYZ", "status": "active"}]),
        "conditions[0].code",
        "ICD-10",
    ),
    (
        "condition status",
        setting("conditions", [{"code": "C50.9", "status": "cured"}]),
        "conditions[0].status",
        "must be one of",
    ),
    ("bad date", setting("surgeries", [{"date": "2026-13-01"}]), "surgeries[0].date", "YYYY-MM-DD"),
    (
        "compact date",
        setting("surgeries", [{"date": "20261101"}]),
        "surgeries[0].date",
        "YYYY-MM-DD",
    ),
    (
        "ISO week date",
        setting("surgeries", [{"date": "2026-W01-1"}]),
        "surgeries[0].date",
        "YYYY-MM-DD",
    ),
    (
        "date as number",
        setting("surgeries", [{"date": 20261101}]),
        "surgeries[0].date",
        "YYYY-MM-DD",
    ),
    (
        "bad technique id",
        setting("clearances", [{"technique": "Classic!", "physician": "Dr", "date": "2026-11-01"}]),
        "clearances[0].technique",
        "technique id",
    ),
    ("empty id", setting("id", ""), "id", "letters"),
    (
        "indication",
        setting("indications", ["Pain Relief"]),
        "indications[0]",
        "did you mean 'pain-relief'?",
    ),
    ("huge integer age", setting("age", 10**400), "age", "between 0 and 130"),
    (
        "huge integer temperature",
        setting("vitals.temperature_c", 10**400),
        "vitals.temperature_c",
        "number",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "path", "words"),
    [case[1:] for case in BAD_FIELDS],
    ids=[case[0] for case in BAD_FIELDS],
)
def test_bad_field_is_reported_at_its_json_path(
    patient_data: dict[str, Any], mutation: Mutation, path: str, words: str
) -> None:
    mutation(patient_data)
    problems = problems_of(patient_data)
    assert [p.path for p in problems] == [path]
    assert words in problems[0].message


# Rules that span several fields are checked once every field is valid and name the object.
CROSS_FIELD: list[tuple[str, Mutation, str, str]] = [
    ("diastolic above systolic", setting("vitals.diastolic_mmhg", 130), "vitals", "diastolic"),
    ("male and pregnant", setting("pregnant", True), "$", "male"),
    (
        "condition without code or concept",
        setting("conditions", [{"status": "active"}]),
        "conditions[0]",
        "code or a concept",
    ),
    (
        "course ends before it starts",
        setting("massage_courses", [{"start_date": "2026-05-02", "end_date": "2026-05-01"}]),
        "massage_courses[0]",
        "after",
    ),
    (
        "clearance expires before it is given",
        setting(
            "clearances",
            [
                {
                    "technique": "probe",
                    "physician": "Dr",
                    "date": "2026-11-01",
                    "valid_until": "2026-10-01",
                }
            ],
        ),
        "clearances[0]",
        "before",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "path", "words"),
    [case[1:] for case in CROSS_FIELD],
    ids=[case[0] for case in CROSS_FIELD],
)
def test_inconsistent_record_is_reported_at_the_object_path(
    patient_data: dict[str, Any], mutation: Mutation, path: str, words: str
) -> None:
    mutation(patient_data)
    problems = problems_of(patient_data)
    assert [p.path for p in problems] == [path]
    assert words in problems[0].message


def test_every_problem_of_a_record_is_reported_at_once(patient_data: dict[str, Any]) -> None:
    patient_data["age"] = 400
    patient_data["vitals"]["pain_score"] = 15
    patient_data["vitals"]["temperature_c"] = "hot"
    patient_data["hernias"][0]["size_mm"] = -3
    patient_data["hernias"].append({"region": "lumbar", "level": "L9", "kind": "bulge"})
    patient_data["shoe_size"] = 44
    problems = problems_of(patient_data)
    assert {p.path for p in problems} == {
        "age",
        "vitals.pain_score",
        "vitals.temperature_c",
        "hernias[0].size_mm",
        "hernias[1].level",
        "hernias[1].kind",
        "hernias[1].phase",
        "shoe_size",
    }
    assert len(problems) == 8


def test_error_message_lists_each_problem_as_path_colon_message(
    patient_data: dict[str, Any],
) -> None:
    patient_data["hernias"][0]["size_mm"] = -3
    patient_data["age"] = 400
    with pytest.raises(InputError) as caught:
        patient_from_dict(patient_data)
    text = str(caught.value)
    assert "(2 problems)" in text
    assert "hernias[0].size_mm: must be between 0 and 40, got -3" in text
    assert "age: must be between 0 and 130, got 400" in text


def test_input_error_is_a_value_error_and_exported() -> None:
    assert herniarules.InputError is InputError
    assert issubclass(InputError, ValueError)


@pytest.mark.parametrize("value", [[], "patient", 3, None])
def test_record_that_is_not_an_object_is_reported_at_the_root(value: object) -> None:
    problems = problems_of(value)
    assert [p.path for p in problems] == ["$"]
    assert "must be an object" in problems[0].message


def test_nothing_is_filled_in_silently(patient_data: dict[str, Any]) -> None:
    del patient_data["id"], patient_data["age"], patient_data["hernias"][0]["kind"]
    assert {p.path for p in problems_of(patient_data)} == {"id", "age", "hernias[0].kind"}


# --------------------------------------------------------------------------- JSON text


def _json(data: object) -> str:
    return json.dumps(data)


BAD_TEXT: list[tuple[str, str | bytes, str]] = [
    ("malformed", '{"id": "P-1", "age": ', "not valid JSON"),
    ("trailing comma", '{"id": "P-1",}', "not valid JSON"),
    ("NaN literal", '{"id": "P-1", "age": NaN, "sex": "male"}', "NaN is not valid JSON"),
    ("Infinity literal", '{"id": "P-1", "age": Infinity, "sex": "male"}', "Infinity"),
    ("duplicate key", '{"id": "P-1", "age": 40, "age": 41, "sex": "male"}', "duplicate key 'age'"),
    ("absurd nesting", '{"id": ' + "[" * 5000 + "]" * 5000 + "}", "nested deeper"),
    ("just too deep", "[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), "nested deeper"),
    ("not UTF-8", b'{"id": "P-\xff\xfe", "age": 40, "sex": "male"}', "not UTF-8"),
    ("huge", '{"id": "' + "x" * MAX_INPUT_BYTES + '"}', "larger than"),
    ("huge bytes", b" " * (MAX_INPUT_BYTES + 1), "larger than"),
    ("empty", "", "not valid JSON"),
    ("number with too many digits", '{"age": ' + "9" * 5000 + "}", "not valid JSON"),
]


@pytest.mark.parametrize(
    ("text", "words"), [case[1:] for case in BAD_TEXT], ids=[case[0] for case in BAD_TEXT]
)
def test_unreadable_json_text_is_an_input_error_at_the_root(text: str | bytes, words: str) -> None:
    with pytest.raises(InputError) as caught:
        loads_patient(text)
    assert [p.path for p in caught.value.problems] == ["$"]
    assert words in caught.value.problems[0].message


def test_brackets_inside_strings_do_not_count_as_nesting(patient_data: dict[str, Any]) -> None:
    patient_data["id"] = "[" * (MAX_NESTING * 2)
    with pytest.raises(InputError) as caught:
        loads_patient(_json(patient_data))
    assert [p.path for p in caught.value.problems] == ["id"]


def test_json_text_reports_field_problems_with_their_paths(patient_data: dict[str, Any]) -> None:
    patient_data["hernias"][0]["size_mm"] = -3
    patient_data["vitals"]["temperature_c"] = "hot"
    with pytest.raises(InputError) as caught:
        loads_patient(_json(patient_data).encode())
    assert {p.path for p in caught.value.problems} == {
        "hernias[0].size_mm",
        "vitals.temperature_c",
    }


def test_valid_json_text_and_bytes_give_the_same_patient(patient_data: dict[str, Any]) -> None:
    text = _json(patient_data)
    assert (
        loads_patient(text)
        == loads_patient(text.encode("utf-8"))
        == patient_from_dict(patient_data)
    )


def test_nesting_of_a_real_record_is_well_within_the_limit(patient_data: dict[str, Any]) -> None:
    patient_data["conditions"] = [{"code": "I10", "status": "active"}]
    assert loads_patient(_json(patient_data)).conditions[0].code == "I10"


# --------------------------------------------------------------------------- files


def test_load_patient_names_the_file_and_each_path(
    tmp_path: Path, patient_data: dict[str, Any]
) -> None:
    patient_data["hernias"][0]["size_mm"] = -3
    patient_data["vitals"]["pain_score"] = 15
    path = tmp_path / "bad.json"
    path.write_text(_json(patient_data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_patient(path)
    error = caught.value
    assert error.source == str(path)
    assert {p.path for p in error.problems} == {"hernias[0].size_mm", "vitals.pain_score"}
    assert f"in {path}" in str(error)
    assert "hernias[0].size_mm: must be between 0 and 40, got -3" in str(error)


@pytest.mark.parametrize(
    ("text", "words"), [case[1:] for case in BAD_TEXT[:9]], ids=[c[0] for c in BAD_TEXT[:9]]
)
def test_load_patient_reports_unreadable_files_at_the_root(
    tmp_path: Path, text: str | bytes, words: str
) -> None:
    path = tmp_path / "patient.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_patient(str(path))
    assert [p.path for p in caught.value.problems] == ["$"]
    assert words in caught.value.problems[0].message
    assert caught.value.source == str(path)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        load_patient(tmp_path / "nobody.json")


def test_directory_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read file"):
        load_patient(tmp_path)


def test_every_example_patient_loads(example_paths: list[Path]) -> None:
    ids = [load_patient(path).id for path in example_paths]
    assert len(set(ids)) == len(ids)


# --------------------------------------------------------------------------- JSON out


def test_patient_round_trips_through_plain_data(example_paths: list[Path]) -> None:
    for path in example_paths:
        patient = load_patient(path)
        data = patient_to_dict(patient)
        assert patient_from_dict(json.loads(json.dumps(data))) == patient


def test_dates_and_enums_are_written_as_json_strings() -> None:
    patient = patient_from_dict(
        {
            "id": "P-1",
            "age": 40,
            "sex": "female",
            "surgeries": [{"date": "2026-08-12", "region": "lumbar"}],
        }
    )
    data = patient_to_dict(patient)
    assert data["sex"] == "female"
    assert data["surgeries"][0] == {"date": "2026-08-12", "procedure": None, "region": "lumbar"}


def test_dumps_is_stable_and_sorted(make_engine, make_patient, as_of: date) -> None:
    assessment = make_engine().assess(make_patient(), as_of=as_of)
    first, second = dumps(assessment), dumps(copy.deepcopy(assessment))
    assert first == second
    assert json.loads(first) == json.loads(json.dumps(assessment_to_dict(assessment)))
    assert list(json.loads(first)) == sorted(json.loads(first))


def test_decision_to_dict_writes_the_verdict(make_engine, make_patient, as_of: date) -> None:
    decision = make_engine().evaluate(make_patient(), "probe", as_of=as_of)
    data = decision_to_dict(decision)
    assert data["outcome"] == "allowed"
    assert data["permitted"] is True
    assert data["protocol"]["technique"] == "probe"


def _depth(value: Any) -> int:
    """The nesting of JSON data, the plain recursive way: the reference for ``_nesting``."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_json_values = st.recursive(
    st.none() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=30,
)


@given(_json_values)
def test_the_nesting_walk_agrees_with_the_recursive_reference(value: Any) -> None:
    from herniarules._json import _nesting

    assert _nesting(value) == _depth(value)
