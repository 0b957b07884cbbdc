"""Bad FHIR gives a path-named InputError, never a traceback: corpus resources with one element
replaced by a value of the wrong shape."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herniarules import InputError
from herniarules.fhir import from_bundle
from tests.test_fhir import FHIR, US_CORE

pytestmark = pytest.mark.skipif(
    not FHIR.is_dir(), reason=f"the shared FHIR corpus is not at {FHIR}"
)

NAMES = [
    "patient-example.json",
    "blood-pressure.json",
    "bp-data-absent.json",
    "temperature.json",
    "observation-pregnancy-status.json",
    "condition-duodenal-ulcer.json",
    "condition-encounter-diagnosis-example1.json",
    "allergyintolerance-example.json",
    "medicationrequest-contained-oral-axid.json",
    "medicationrequest-referenced-oral-axid.json",
    "uscore-med2.json",
    "procedure-rehab.json",
]
RESOURCES = (
    [json.loads((US_CORE / n).read_text(encoding="utf-8")) for n in NAMES] if FHIR.is_dir() else []
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Return the path of every element under ``value``."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


DELETE = object()
JUNK = st.one_of(
    st.just(DELETE),
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["", "kPa", "1987", "2022-13-45", "active", "refuted", "Patient/other", "#x"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(
        st.sampled_from(["code", "value", "reference", "coding"]), st.text(max_size=5), max_size=2
    ),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), junk=JUNK)
def test_one_wrong_element_gives_an_input_error_or_a_record(data: st.DataObject, junk: Any) -> None:
    resources = copy.deepcopy(RESOURCES)
    index = data.draw(st.integers(0, len(resources) - 1))
    path = data.draw(st.sampled_from(paths(resources[index])))
    target: Any = resources[index]
    for step in path[:-1]:
        target = target[step]
    if junk is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = junk
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }
    try:
        from_bundle(bundle, as_of=date(2022, 8, 25), patient="example")
    except InputError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.path.startswith(("entry[", "$")), problem


@pytest.mark.parametrize(
    "bundle",
    [
        [],
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "entry": {}},
        {"resourceType": "Bundle", "entry": [5]},
        {"resourceType": "Bundle", "entry": [{"resource": 5}]},
        {"resourceType": "Bundle", "entry": [{"resource": {"id": "x"}}]},
        {"resourceType": "Bundle", "entry": []},
    ],
    ids=[
        "array",
        "not a bundle",
        "entry object",
        "entry number",
        "resource number",
        "no type",
        "no patient",
    ],
)
def test_a_bundle_of_the_wrong_shape_gives_an_input_error(bundle: Any) -> None:
    with pytest.raises(InputError) as caught:
        from_bundle(bundle, as_of=date(2022, 8, 25))
    assert caught.value.problems
