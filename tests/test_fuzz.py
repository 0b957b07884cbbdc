"""Short fuzz run of every input door, for CI: load or raise InputError, nothing else.

The long run is ``fuzz/run_long.py`` (see ``fuzz/RESULTS.md``); both use the same doors
(``fuzz/doors.py``) and the same generators (:mod:`herniarules.testing.fuzzing`).
"""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from herniarules import InputError, loads_patient, patient_from_dict
from herniarules.testing.fuzzing import json_texts, json_values, mutate_bytes, patient_documents

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "patients").glob("*.json"))


def _load_doors() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "herniarules_fuzz_doors", ROOT / "fuzz" / "doors.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


doors = _load_doors()

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FUZZ
@given(json_values(max_leaves=20))
def test_dict_door_arbitrary_json(data: Any) -> None:
    assert doors.try_dict(data) in {"loaded", "input-error"}


@FUZZ
@given(patient_documents())
def test_dict_door_near_valid_documents(data: Any) -> None:
    assert doors.try_dict(data) in {"loaded", "input-error"}


@FUZZ
@given(json_texts())
def test_text_door(text: str | bytes) -> None:
    assert doors.try_text(text) in {"loaded", "input-error"}


@settings(FUZZ, max_examples=30)
@given(text=json_texts())
def test_cli_door(text: str | bytes, tmp_path_factory: pytest.TempPathFactory) -> None:
    directory = tmp_path_factory.mktemp("fuzz")
    assert doors.try_cli(text, str(directory)) in {"loaded", "input-error"}


def test_byte_mutations_of_the_example_patients() -> None:
    rng = random.Random(20250314)
    corpus = [path.read_bytes() for path in EXAMPLES]
    outcomes = {doors.try_text(mutate_bytes(rng.choice(corpus), rng)) for _ in range(3000)}
    # Most byte edits break a record; a few (inside a string) leave it loadable.
    assert outcomes == {"loaded", "input-error"}


def test_the_generators_reach_both_outcomes() -> None:
    """A fuzzer that only ever produces rejected input would prove nothing about loading."""
    seen: set[str] = set()

    @settings(FUZZ, max_examples=80, database=None)
    @given(patient_documents())
    def run(data: Any) -> None:
        seen.add(doors.try_dict(data))

    run()
    assert seen == {"loaded", "input-error"}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "[]",
        '"patient"',
        "{",
        '{"id": "A", "id": "B"}',
        '{"age": NaN}',
        '{"age": Infinity}',
        "[" * 100_000,
        '{"a":' * 50 + "1" + "}" * 50,
        b"\xff\xfe{}",
        b"\xef\xbb\xbf{}",
        "\ud800",
        '{"id": "P-1", "age": 1e400, "sex": "male"}',
        '{"id": "P-1", "age": 30, "sex": "male", "vitals": {"pain_score": 1e20}}',
        '{"id": "P-1", "age": 30, "sex": "male", "hernias": [{"level": "' + "L" * 10_000 + '"}]}',
        " " * 2_000_000,
    ],
    ids=lambda t: repr(t)[:30],
)
def test_known_hostile_texts(text: str | bytes) -> None:
    with pytest.raises(InputError) as caught:
        loads_patient(text)
    assert caught.value.problems
    assert all(p.path and p.message for p in caught.value.problems)


@pytest.mark.parametrize(
    "data", [None, [], "x", 1, 1.5, True, {"id": object()}, {1: 2}, {"age": [1] * 10}]
)
def test_known_hostile_values(data: Any) -> None:
    with pytest.raises(InputError):
        patient_from_dict(data)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_example_patients_load_through_every_door(path: Path) -> None:
    text = path.read_bytes()
    assert doors.try_text(text) == "loaded"
    assert doors.try_cli(text) == "loaded"


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    import io

    from herniarules.cli import main

    err = io.StringIO()
    assert main(["assess", str(tmp_path / "absent.json")], out=io.StringIO(), err=err) == 2
    assert "cannot read file" in err.getvalue()
