"""Bad input costs a bounded amount: memory, bytes read, items read, message length.

* Rejected records leave nothing behind: each error is a fresh object with no context, so
  memory stays flat however many records are rejected.
* A file is read up to :data:`~herniarules.io.MAX_INPUT_BYTES` and one byte more, never to
  its end: ``/dev/zero`` is refused with a clear error, not a ``MemoryError``.
* No array holds more than :data:`~herniarules.io.MAX_ITEMS_PER_LIST` items and no object
  more keys; the limit is one problem naming the path, checked before any item is read, and
  the fast path and the walker agree on it.
* An :class:`~herniarules.errors.InputError` message lists at most
  :data:`~herniarules.errors.MAX_LISTED_PROBLEMS` problems and counts the rest.
"""

from __future__ import annotations

import contextlib
import copy
import gc
import json
import os
import tracemalloc
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

import herniarules.cli
from herniarules import _fast, _walk
from herniarules.cli import EXIT_INPUT, main
from herniarules.errors import MAX_LISTED_PROBLEMS, InputError, Problem
from herniarules.io import (
    MAX_INPUT_BYTES,
    MAX_ITEMS_PER_LIST,
    load_patient,
    loads_patient,
    patient_from_dict,
)
from herniarules.model import Patient

CONDITION = {"code": "I10", "system": "icd-10", "status": "active"}


def _with(patient_data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(patient_data)
    data.update(changes)
    return data


def _problems(read: Any, value: Any) -> tuple[Problem, ...]:
    with pytest.raises(InputError) as caught:
        read(value)
    return caught.value.problems


# --------------------------------------------------------------------------- memory


def _traced_growth(read: Any, value: Any, rejections: int) -> int:
    def reject(times: int) -> None:
        for _ in range(times):
            with contextlib.suppress(InputError):
                read(value)

    reject(200)  # warm-up: caches, generated structurers
    gc.collect()
    tracemalloc.start()
    try:
        reject(200)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        reject(rejections)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return after - before


@pytest.mark.parametrize("door", ["patient_from_dict", "loads_patient"])
def test_memory_stays_flat_over_20000_rejected_records(
    door: str, patient_data: dict[str, Any]
) -> None:
    bad = _with(patient_data, age="forty", padding="x" * 1000)
    read, value = (
        (patient_from_dict, bad)
        if door == "patient_from_dict"
        else (loads_patient, json.dumps(bad))
    )
    growth = _traced_growth(read, value, 20_000)
    # Each rejected record kept its frames alive before: 76 MB and 179 MB over these 20,000.
    assert growth < 1_000_000, f"{growth} bytes kept after 20,000 rejected records"


@pytest.mark.parametrize("door", ["patient_from_dict", "loads_patient"])
def test_an_input_error_carries_no_context_of_the_rejected_record(
    door: str, patient_data: dict[str, Any]
) -> None:
    bad = _with(patient_data, age="forty")
    read, value = (
        (patient_from_dict, bad)
        if door == "patient_from_dict"
        else (loads_patient, json.dumps(bad))
    )
    with pytest.raises(InputError) as caught:
        read(value)
    assert caught.value.__context__ is None
    assert caught.value.__cause__ is None


def test_a_file_error_carries_no_context(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"id": 1}', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_patient(path)
    assert caught.value.source == str(path)
    assert caught.value.__context__ is None


def test_the_walker_and_the_fast_path_raise_fresh_markers_every_time() -> None:
    for module in (_walk, _fast):
        assert not [value for value in vars(module).values() if isinstance(value, BaseException)]
    walker = _walk.Walker()
    assert walker.fail("$", "one") is not walker.fail("$", "two")


# --------------------------------------------------------------------------- bytes read


def test_a_file_over_the_limit_is_refused_naming_the_file_and_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * (MAX_INPUT_BYTES * 5))
    with pytest.raises(InputError) as caught:
        load_patient(path)
    assert caught.value.source == str(path)
    assert caught.value.problems == (Problem("$", f"input is larger than {MAX_INPUT_BYTES} bytes"),)
    assert str(path) in str(caught.value) and str(MAX_INPUT_BYTES) in str(caught.value)


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_refused(
    tmp_path: Path, patient_data: dict[str, Any]
) -> None:
    text = json.dumps(patient_data).encode()
    at_limit = tmp_path / "at-limit.json"
    at_limit.write_bytes(text + b" " * (MAX_INPUT_BYTES - len(text)))
    assert load_patient(at_limit).id == patient_data["id"]
    over = tmp_path / "over.json"
    over.write_bytes(text + b" " * (MAX_INPUT_BYTES - len(text) + 1))
    with pytest.raises(InputError, match="larger than"):
        load_patient(over)


def test_only_the_limit_and_one_byte_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b"[" * (MAX_INPUT_BYTES * 3))
    sizes: list[int] = []
    real_open = Path.open

    def recording_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        file = real_open(self, *args, **kwargs)
        real_read = file.read

        class Recording:
            def __enter__(self) -> Any:
                return self

            def __exit__(self, *exc: object) -> None:
                file.close()

            def read(self, size: int = -1) -> bytes:
                sizes.append(size)
                data: bytes = real_read(size)
                return data

        return Recording()

    monkeypatch.setattr(Path, "open", recording_open)
    with pytest.raises(InputError, match="larger than"):
        load_patient(path)
    assert sizes == [MAX_INPUT_BYTES + 1]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_dev_zero_is_refused_with_an_input_error_not_a_memory_error() -> None:
    with pytest.raises(InputError) as caught:
        load_patient("/dev/zero")
    assert "/dev/zero" in str(caught.value) and "larger than" in str(caught.value)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero here")
def test_the_cli_refuses_dev_zero_with_exit_2_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch, make_engine: Any, plugin_class: Any
) -> None:
    monkeypatch.setattr(herniarules.cli, "Engine", lambda **_: make_engine(plugin_class("probe")))
    out, err = StringIO(), StringIO()
    assert main(["assess", "/dev/zero"], out=out, err=err) == EXIT_INPUT
    assert out.getvalue() == ""
    assert err.getvalue().startswith("error: invalid patient record in /dev/zero")
    assert f"larger than {MAX_INPUT_BYTES} bytes" in err.getvalue()
    assert "Traceback" not in err.getvalue()


# --------------------------------------------------------------------------- items read


def _both_ways(data: Any) -> tuple[Problem, ...]:
    """The problems of ``data``, checked to be the same by the fast path and the walker."""
    fast = _problems(patient_from_dict, data)
    assert fast == _problems(lambda d: _walk.structure(d, Patient), data)
    return fast


def test_a_list_over_the_limit_is_one_problem_naming_the_path_and_the_limit(
    patient_data: dict[str, Any],
) -> None:
    data = _with(patient_data, conditions=[CONDITION] * (MAX_ITEMS_PER_LIST + 1))
    assert _both_ways(data) == (
        Problem(
            "conditions",
            f"must have at most {MAX_ITEMS_PER_LIST} items, got {MAX_ITEMS_PER_LIST + 1}",
        ),
    )
    assert _problems(loads_patient, json.dumps(data)) == _both_ways(data)


def test_a_list_at_the_limit_is_read_by_the_fast_path(patient_data: dict[str, Any]) -> None:
    data = _with(patient_data, conditions=[CONDITION] * MAX_ITEMS_PER_LIST)
    patient = patient_from_dict(data)
    assert len(patient.conditions) == MAX_ITEMS_PER_LIST
    assert patient == _walk.structure(data, Patient)


def test_a_list_of_strings_over_the_limit_is_refused(patient_data: dict[str, Any]) -> None:
    data = _with(patient_data, indications=["compression"] * (MAX_ITEMS_PER_LIST + 1))
    [problem] = _both_ways(data)
    assert problem.path == "indications" and str(MAX_ITEMS_PER_LIST) in problem.message


def test_a_million_conditions_give_one_short_problem(patient_data: dict[str, Any]) -> None:
    data = _with(patient_data, conditions=[{"status": 1}] * 1_000_000)
    with pytest.raises(InputError) as caught:
        patient_from_dict(data)
    assert len(caught.value.problems) == 1
    assert len(str(caught.value)) < 200


def test_an_object_with_too_many_keys_is_one_problem(patient_data: dict[str, Any]) -> None:
    extra = {f"k{i}": i for i in range(MAX_ITEMS_PER_LIST + 1)}
    vitals = {**patient_data["vitals"], **extra}
    data = _with(patient_data, vitals=vitals)
    count = len(vitals)
    assert _both_ways(data) == (
        Problem("vitals", f"must have at most {MAX_ITEMS_PER_LIST} keys, got {count}"),
    )


def test_the_limit_is_generous_for_a_real_record() -> None:
    assert 200 <= MAX_ITEMS_PER_LIST <= 1000


# --------------------------------------------------------------------------- message length


def test_the_message_lists_the_first_100_problems_and_counts_the_rest(
    patient_data: dict[str, Any],
) -> None:
    data = _with(patient_data, conditions=[{"status": 1}] * 300)
    with pytest.raises(InputError) as caught:
        patient_from_dict(data)
    error = caught.value
    assert MAX_LISTED_PROBLEMS == 100
    assert len(error.problems) > MAX_LISTED_PROBLEMS, "every problem is still kept"
    lines = str(error).splitlines()
    assert len(lines) == 1 + MAX_LISTED_PROBLEMS + 1
    assert lines[0].endswith(f"({len(error.problems)} problems):")
    assert lines[1:-1] == [f"  {p}" for p in error.problems[:MAX_LISTED_PROBLEMS]]
    assert lines[-1] == f"  ... and {len(error.problems) - MAX_LISTED_PROBLEMS} more"


def test_exactly_100_problems_are_all_listed() -> None:
    error = InputError([Problem(f"p{i}", "bad") for i in range(MAX_LISTED_PROBLEMS)])
    assert "more" not in str(error)
    assert len(str(error).splitlines()) == 1 + MAX_LISTED_PROBLEMS


def test_a_very_long_path_loses_its_middle_in_the_message_but_keeps_the_message() -> None:
    long_key = "k" * 100_000
    error = InputError([Problem(long_key, "unknown field")])
    assert error.problems[0].path == long_key
    [_, line] = str(error).splitlines()
    assert len(line) <= 1002 and "kkk...kkk" in line and line.endswith(": unknown field")


def test_a_long_vocabulary_message_keeps_its_suggestion() -> None:
    from herniarules import Allergy

    with pytest.raises(InputError) as caught:
        Allergy("Honey")
    assert str(caught.value).endswith("did you mean 'honey'?")


def test_a_source_keeps_the_cap(tmp_path: Path) -> None:
    error = InputError([Problem(f"p{i}", "bad") for i in range(250)]).with_source("x.json")
    assert str(error).splitlines()[-1] == "  ... and 150 more"
    assert len(error.problems) == 250
