"""No way in coerces: a value of the wrong JSON type is an InputError naming its path.

``"5"`` is not a whole number, ``"true"`` is not a boolean, ``5`` is not a string, for every
field of every model class, whether the class is read on its own (by the converter, as
``herniarules._convert.structure`` or ``converter.structure``) or inside a patient record
(``patient_from_dict``, ``loads_patient``). The table of per-type checks is also checked
leaf by leaf: the fast structurer's inline code and the walker's reader agree on any value.
"""

from __future__ import annotations

import copy
import enum
import functools
import inspect
import json
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herniarules import _checks, _codegen, _convert, _fast, _walk, model
from herniarules._convert import converter
from herniarules.errors import InputError, Problem
from herniarules.io import loads_patient, patient_from_dict, patient_to_dict
from herniarules.model import (
    Allergy,
    Clearance,
    Condition,
    Hernia,
    MassageCourse,
    Medication,
    Patient,
    Surgery,
    Vitals,
)
from herniarules.outcomes import Outcome
from herniarules.testing.fuzzing import json_values, patient_documents
from herniarules.vocabulary import Indication, MedicationCategory, Site, Substance

#: A valid record of every model class, with every field there, and where a patient holds it.
VALID: dict[type, tuple[dict[str, Any], str]] = {
    Vitals: (
        {"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 36.6, "pain_score": 1},
        "vitals",
    ),
    Hernia: (
        {
            "region": "lumbar",
            "level": "L4-L5",
            "kind": "protrusion",
            "phase": "remission",
            "size_mm": 4.0,
            "surgery_indicated": False,
        },
        "hernias[0]",
    ),
    Condition: (
        {
            "status": "active",
            "code": "I10",
            "system": "icd-10",
            "concept": None,
            "display": "Essential hypertension",
            "onset": "2020-01-01",
            "site": None,
            "verification": "confirmed",
            "other_code": "http://snomed.info/sct|59621000",
        },
        "conditions[0]",
    ),
    Allergy: ({"substance": "honey", "display": "honey"}, "allergies[0]"),
    Medication: (
        {"category": "anticoagulant", "name": "rivaroxaban", "atc": "B01AF01"},
        "medications[0]",
    ),
    MassageCourse: (
        {"end_date": "2026-05-22", "technique": "classic", "start_date": "2026-05-04"},
        "massage_courses[0]",
    ),
    Surgery: (
        {"date": "2026-08-12", "procedure": "microdiscectomy", "region": "lumbar"},
        "surgeries[0]",
    ),
    Clearance: (
        {
            "technique": "classic",
            "physician": "Dr. A. Surgeon",
            "date": "2026-11-02",
            "valid_until": "2027-02-01",
        },
        "clearances[0]",
    ),
}
#: The list fields of a patient, by the class of their items.
LISTS = {
    Hernia: "hernias",
    Condition: "conditions",
    Allergy: "allergies",
    Medication: "medications",
    MassageCourse: "massage_courses",
    Surgery: "surgeries",
    Clearance: "clearances",
}


def _patient_data() -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "P-1",
        "age": 46,
        "sex": "female",
        "pregnant": False,
        "inflammatory_process": False,
        "indications": ["compression"],
        "vitals": copy.deepcopy(VALID[Vitals][0]),
    }
    for cls, name in LISTS.items():
        data[name] = [copy.deepcopy(VALID[cls][0])]
    return data


#: Values of the wrong JSON type for a field of each leaf type: the text of a number or a
#: boolean above all, which a coercing converter would accept.
WRONG: dict[Any, list[Any]] = {
    int: ["5", "5.0", True, "true", [5], {"value": 5}],
    float: ["5", "4.5", "36.6", True, "NaN", [4.5]],
    bool: ["true", "false", "1", 1, 0, 1.0, "yes"],
    str: [5, 4.5, True, ["text"], {"text": "text"}],
    date: [20261101, 2026.0, True, ["2026-11-01"], "2026-11-01T10:00"],
}


def _leaf_type(tp: Any) -> Any:
    how = _checks.kind(tp)
    return _leaf_type(how.inner) if isinstance(how, _checks.Optional) else tp


def _model_classes() -> list[type]:
    return [
        cls
        for _, cls in inspect.getmembers(model, inspect.isclass)
        if attrs.has(cls) and cls.__module__ == model.__name__
    ]


def _wrong_values(tp: Any) -> list[Any]:
    leaf = _leaf_type(tp)
    if leaf in WRONG:
        return WRONG[leaf]
    if isinstance(leaf, type) and issubclass(leaf, enum.Enum):
        return [1, True, [next(iter(leaf)).value], {"value": next(iter(leaf)).value}]
    how = _checks.kind(leaf)
    if isinstance(how, _checks.Array):
        return ["compression", 5, {"0": "compression"}]
    assert isinstance(how, _checks.Record), tp
    return ["{}", 5, [{}]]


def _cases() -> list[tuple[type, str, Any]]:
    found = []
    for cls in [Patient, *VALID]:
        for field in _checks.kind(cls).fields:  # type: ignore[union-attr]
            found.extend((cls, field.name, value) for value in _wrong_values(field.type))
    return found


def test_every_model_class_has_a_valid_record_here() -> None:
    assert set(_model_classes()) == {Patient, *VALID}
    for cls, (data, _) in VALID.items():
        assert {f.name for f in attrs.fields(cls)} == set(data), cls
        assert _convert.structure(data, cls) == converter.structure(data, cls)
    assert patient_to_dict(patient_from_dict(_patient_data()))["conditions"][0]["code"] == "I10"


def _problems(read: Any, *args: Any) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as caught:
        read(*args)
    return caught.value.problems


@pytest.mark.parametrize(
    ("cls", "name", "value"),
    _cases(),
    ids=lambda x: x.__name__ if isinstance(x, type) else json.dumps(x),
)
def test_a_value_of_the_wrong_type_is_an_error_naming_its_path(
    cls: type, name: str, value: Any
) -> None:
    if cls is Patient:
        data, where = _patient_data(), ""
        patient = data
    else:
        data, where = copy.deepcopy(VALID[cls][0]), VALID[cls][1]
        patient = _patient_data()
        holder = patient["vitals"] if cls is Vitals else patient[LISTS[cls]][0]
        holder[name] = value
    data[name] = value
    # The class read on its own, by every door of the converter.
    alone = _problems(_convert.structure, data, cls)
    assert [p.path for p in alone] == [name], alone
    assert _problems(converter.structure, data, cls) == alone
    assert _problems(converter.get_structure_hook(cls), data, cls) == alone
    assert _problems(_walk.structure, data, cls) == alone
    # Inside a patient record, from plain data and from JSON text.
    path = f"{where}.{name}" if where else name
    inside = _problems(patient_from_dict, patient)
    assert [p.path for p in inside] == [path], inside
    assert [p.message for p in inside] == [p.message for p in alone]
    assert _problems(loads_patient, json.dumps(patient)) == inside


@pytest.mark.parametrize(
    ("tp", "value", "message"),
    [
        (int, "5", 'must be a whole number, got "5"'),
        (int, True, "must be a whole number, got true"),
        (float, "5", 'must be a number, got "5"'),
        (bool, "true", 'must be true or false, got "true"'),
        (bool, 1, "must be true or false, got 1"),
        (str, 5, "must be a string, got 5"),
        (date, 20261101, "must be a date as YYYY-MM-DD, got 20261101"),
        (Outcome, "Allowed", "must be one of 'allowed', "),
        (Outcome, 0, "must be one of 'allowed', "),
        (tuple[int, ...], ["5"], 'must be a whole number, got "5"'),
    ],
)
def test_the_converter_coerces_no_scalar(tp: Any, value: Any, message: str) -> None:
    for read in (converter.structure, converter.get_structure_hook(tp)):
        [problem] = _problems(read, value, tp)
        assert problem.message.startswith(message)
        assert problem.path == ("[0]" if isinstance(value, list) else "$")


def test_the_converter_reads_outcomes_by_their_labels() -> None:
    assert converter.structure("requires-clearance", Outcome) is Outcome.REQUIRES_CLEARANCE
    assert converter.structure(converter.unstructure(Outcome.DEFER), Outcome) is Outcome.DEFER


def test_the_converter_refuses_types_the_table_does_not_read() -> None:
    with pytest.raises(TypeError, match="cannot read a value of type"):
        converter.structure({}, dict[str, Any])


def test_io_no_longer_exposes_a_converter() -> None:
    import herniarules.io

    assert not hasattr(herniarules.io, "converter")
    assert "converter" not in herniarules.io.__all__


# --------------------------------------------------------------------------- leaf by leaf


def _leaves() -> list[Any]:
    """Every leaf type a record reads, and the vocabularies and outcomes."""
    found: list[Any] = [bool, int, float, str, date, Outcome]
    found += [Indication, Site, Substance, MedicationCategory]
    for cls in [Patient, *VALID]:
        for field in _checks.kind(cls).fields:  # type: ignore[union-attr]
            leaf = _leaf_type(field.type)
            if isinstance(_checks.kind(leaf), _checks.Leaf) and leaf not in found:
                found.append(leaf)
    return found


LEAVES = _leaves()


@functools.cache
def _fast_leaf(tp: Any) -> Any:
    """The fast structurer's inline code for one leaf type, as a function of the value."""
    source = _fast._Source()
    lines = source.checks(tp, "x")
    return _codegen.define(
        "\n".join(["def read(x):", *("    " + line for line in lines), "    return x"]),
        "read",
        f"fast reader of {tp.__name__}",
        source.namespace,
    )


def _read(read: Any, value: Any) -> tuple[Any, ...]:
    try:
        result = read(value)
    except InputError as exc:
        return ("error", exc.problems)
    except _fast.NOT_FAST_ERRORS:
        return ("not fast",)
    return ("value", type(result), repr(result))


def _typical(tp: Any) -> list[Any]:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        names = converter.unstructure(list(tp))
        return [*names, *(name.upper() for name in names), *(f" {name}" for name in names)]
    return [0, 1, -1, 7.0, 7.5, 10**400, "", "2026-11-01", "2026-02-30", True, False, None]


@pytest.mark.parametrize("tp", LEAVES, ids=lambda tp: tp.__name__)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_code_of_each_leaf_reads_as_the_walker_does(tp: Any, data: st.DataObject) -> None:
    fast = _fast_leaf(tp)
    value = data.draw(st.sampled_from(_typical(tp)) | json_values(max_leaves=3))
    walker = _read(lambda v: _walk.structure(v, tp), value)
    quick = _read(fast, value)
    if quick != ("not fast",):
        assert quick == walker
    elif walker[0] == "value":
        # Only a value the table leaves to the walker (a synonym of a term) is not read fast.
        assert any(not case.fast for case in _checks.kind(tp).cases)  # type: ignore[union-attr]


@pytest.mark.parametrize("tp", LEAVES, ids=lambda tp: tp.__name__)
def test_the_fast_code_of_each_leaf_reads_every_canonical_value(tp: Any) -> None:
    fast = _fast_leaf(tp)
    values = converter.unstructure(list(tp)) if issubclass(tp, enum.Enum) else _typical(tp)
    accepted = 0
    for value in values:
        walker = _read(lambda v: _walk.structure(v, tp), value)
        if walker[0] == "value":
            assert _read(fast, value) == walker, value
            accepted += 1
    assert accepted


# --------------------------------------------------------------------------- record by record

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _outcome(read: Any, value: Any, cls: type) -> tuple[Any, ...]:
    try:
        result = read(value, cls)
    except InputError as exc:
        return ("error", exc.problems, str(exc))
    return ("object", result, repr(result))


def _parts(document: Any) -> list[tuple[type, Any]]:
    """The parts of a patient document that are records of a model class."""
    found: list[tuple[type, Any]] = [(Patient, document)]
    if not isinstance(document, dict):
        return found
    if "vitals" in document:
        found.append((Vitals, document["vitals"]))
    for cls, name in LISTS.items():
        items = document.get(name)
        if isinstance(items, list):
            found.extend((cls, item) for item in items)
    return found


@PROPERTY
@given(patient_documents(max_mutations=4))
def test_records_of_every_class_structure_as_the_walker_structures_them(document: Any) -> None:
    for cls, part in _parts(document):
        expected = _outcome(_walk.structure, part, cls)
        assert _outcome(_convert.structure, part, cls) == expected
        try:
            fast = _fast.structurer(cls)(part, [0])
        except _fast.NOT_FAST_ERRORS:
            continue
        assert ("object", fast, repr(fast)) == expected
