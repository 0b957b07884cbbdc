"""The command line: readable and JSON output, listings, schemas and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

import herniarules.cli
from herniarules import F, Outcome, Rule
from herniarules.cli import EXIT_INPUT, EXIT_OK, EXIT_REFUSED, main

Run = Callable[..., tuple[int, str, str]]

STRICT_RULE = Rule(
    "strict.size",
    "Size",
    F.max_hernia_size_mm >= 3,
    Outcome.CONTRAINDICATED,
    "Too large for the strict technique.",
    "test suite",
    techniques={"strict"},
)


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, make_engine, plugin_class) -> Run:
    """Run the CLI against an engine holding only the test plugins."""

    def engine_factory(**_: Any) -> Any:
        return make_engine(plugin_class("probe"), plugin_class("strict", [STRICT_RULE]))

    monkeypatch.setattr(herniarules.cli, "Engine", engine_factory)

    def invoke(*argv: str) -> tuple[int, str, str]:
        out, err = StringIO(), StringIO()
        code = main(list(argv), out=out, err=err)
        return code, out.getvalue(), err.getvalue()

    return invoke


@pytest.fixture
def patient_file(tmp_path: Path, patient_data: dict[str, Any]) -> Path:
    path = tmp_path / "clear.json"
    path.write_text(json.dumps(patient_data), encoding="utf-8")
    return path


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- assess


def test_assess_prints_a_readable_verdict_per_technique(run: Run, patient_file: Path) -> None:
    code, out, err = run("assess", str(patient_file), "--as-of", "2026-11-27")
    assert code == EXIT_OK
    assert err == ""
    assert "Patient T-001 (assessed 2026-11-27)" in out
    lines = {
        line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and line.split()
    }
    assert "PERMITTED" in lines["probe"] and "NOT PERMITTED" not in lines["probe"]
    assert "NOT PERMITTED" in lines["strict"] and "contraindicated" in lines["strict"]
    assert "strict.size: Too large for the strict technique." in out
    assert "because largest hernia (mm) 4 ≥ 3" in out
    assert "protocol: 1 step, sessions of 10-20 min" in out


def test_assess_json_is_the_assessment_record(run: Run, patient_file: Path) -> None:
    code, out, _ = run("assess", str(patient_file), "--format", "json", "--as-of", "2026-11-27")
    assert code == EXIT_OK
    (data,) = json.loads(out)  # always an array, one entry per file
    assert data["patient_id"] == "T-001"
    assert data["as_of"] == "2026-11-27"
    verdicts = {d["technique"]: d["outcome"] for d in data["decisions"]}
    assert verdicts == {"probe": "allowed", "strict": "contraindicated"}
    assert {"schema_version", "ruleset_fingerprint", "plugins", "ranking"} <= set(data)


def test_assess_json_of_several_files_is_a_list(
    run: Run, patient_file: Path, tmp_path: Path, patient_data: dict[str, Any]
) -> None:
    patient_data["id"] = "T-002"
    second = write(tmp_path, "second.json", json.dumps(patient_data))
    code, out, _ = run("assess", str(patient_file), str(second), "--format", "json")
    assert code == EXIT_OK
    assert [a["patient_id"] for a in json.loads(out)] == ["T-001", "T-002"]


def test_assess_can_be_limited_to_one_technique(run: Run, patient_file: Path) -> None:
    code, out, _ = run("assess", str(patient_file), "--technique", "strict", "--format", "json")
    assert code == EXIT_OK
    assert [d["technique"] for d in json.loads(out)[0]["decisions"]] == ["strict"]


def test_assess_with_an_unknown_technique_exits_2(run: Run, patient_file: Path) -> None:
    code, out, err = run("assess", str(patient_file), "--technique", "reiki")
    assert code == EXIT_INPUT
    assert out == ""
    assert "reiki" in err


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("mutate", "paths"),
    [
        (lambda d: d["hernias"][0].update(size_mm=-3), ["hernias[0].size_mm"]),
        (lambda d: d["vitals"].update(pain_score=15), ["vitals.pain_score"]),
        (lambda d: d["vitals"].update(temperature_c="hot"), ["vitals.temperature_c"]),
        (lambda d: d.update(age=400), ["age"]),
        (lambda d: d.update(colour="blue"), ["colour"]),
        (
            lambda d: d.update(age="old", sex="robot"),
            ["age", "sex"],
        ),
    ],
    ids=["size", "pain-15", "temperature-hot", "age-400", "unknown-field", "two-problems"],
)
def test_invalid_patient_exits_2_with_path_named_errors_on_stderr(
    run: Run, tmp_path: Path, patient_data: dict[str, Any], mutate, paths: list[str]
) -> None:
    mutate(patient_data)
    path = write(tmp_path, "bad.json", json.dumps(patient_data))
    code, out, err = run("assess", str(path))
    assert code == EXIT_INPUT
    assert out == ""
    assert str(path) in err
    for json_path in paths:
        assert f"\n  {json_path}: " in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ('{"id": "P-1", "age": ', "not valid JSON"),
        ('{"id": "P-1", "age": NaN, "sex": "male"}', "NaN"),
        ('{"id": "P-1", "age": 40, "age": 41, "sex": "male"}', "duplicate key"),
        ("[" * 100 + "]" * 100, "nested deeper"),
        (b'{"id": "\xff"}', "not UTF-8"),
        (" " * 1_000_001, "larger than"),
    ],
    ids=["malformed", "nan", "duplicate-key", "nesting", "non-utf8", "huge"],
)
def test_unreadable_file_exits_2_with_a_root_error(
    run: Run, tmp_path: Path, content: str | bytes, words: str
) -> None:
    path = write(tmp_path, "bad.json", content)
    code, out, err = run("assess", str(path))
    assert code == EXIT_INPUT
    assert out == ""
    assert "$: " in err and words in err
    assert "Traceback" not in err


def test_missing_file_exits_2(run: Run, tmp_path: Path) -> None:
    code, _, err = run("assess", str(tmp_path / "nobody.json"))
    assert code == EXIT_INPUT
    assert "cannot read file" in err


def test_one_bad_file_among_good_ones_is_reported_and_the_others_assessed(
    run: Run, patient_file: Path, tmp_path: Path
) -> None:
    bad = write(tmp_path, "bad.json", "{}")
    code, out, err = run("assess", str(bad), str(patient_file))
    assert code == EXIT_INPUT  # at the end, after every file
    assert "Patient T-001" in out
    assert "id: required field is missing" in err and str(bad) in err


def test_json_of_a_bad_file_among_good_ones_is_an_error_entry_in_its_place(
    run: Run, patient_file: Path, tmp_path: Path
) -> None:
    bad = write(tmp_path, "bad.json", "{}")
    code, out, _ = run("assess", str(patient_file), str(bad), "--format", "json")
    assert code == EXIT_INPUT
    good, error = json.loads(out)
    assert good["patient_id"] == "T-001"
    assert error["input"] == str(bad)
    assert {"path": "id", "message": "required field is missing"} in error["errors"]


def test_jsonl_gives_one_entry_per_line(run: Run, patient_file: Path, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", "[1")
    code, out, _ = run(
        "assess", str(patient_file), str(bad), str(patient_file), "--format", "jsonl"
    )
    assert code == EXIT_INPUT
    lines = out.splitlines()
    assert len(lines) == 3
    first, error, third = map(json.loads, lines)
    assert first == third and first["patient_id"] == "T-001"
    assert error["input"] == str(bad) and error["errors"]


@pytest.mark.parametrize(
    "argv",
    [["assess"], ["schema", "doctor"], ["assess", "x.json", "--format", "xml"], ["frobnicate"]],
)
def test_bad_command_line_exits_2(
    run: Run, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        run(*argv)
    assert caught.value.code == 2


def test_bad_as_of_date_exits_2(run: Run, patient_file: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        run("assess", str(patient_file), "--as-of", "27/11/2026")
    assert caught.value.code == 2


# --------------------------------------------------------------------------- listings


def test_techniques_lists_each_technique(run: Run) -> None:
    code, out, _ = run("techniques")
    assert code == EXIT_OK
    assert [line.split()[0] for line in out.splitlines()] == ["probe", "strict"]
    assert "(for: compression)" in out


def test_rules_lists_core_and_plugin_rules_with_the_fingerprint(run: Run) -> None:
    code, out, _ = run("rules")
    assert code == EXIT_OK
    assert "core.acute-phase: hernia phases include acute → defer  [all techniques]" in out
    assert "strict.size: largest hernia (mm) ≥ 3 → contraindicated  [strict]" in out
    assert out.rstrip().splitlines()[-1].startswith("ruleset fingerprint ")


def test_plugins_lists_names_and_load_errors(
    monkeypatch: pytest.MonkeyPatch, make_engine, plugin_class
) -> None:
    monkeypatch.setattr(
        herniarules.cli,
        "Engine",
        lambda **_: make_engine(plugin_class("probe"), plugin_class("broken", fail_in="rules")),
    )
    out, err = StringIO(), StringIO()
    assert main(["plugins"], out=out, err=err) == EXIT_OK
    assert "probe-plugin unregistered: probe" in out.getvalue()
    failed = "broken-plugin unregistered: FAILED: herniarules_rules raised RuntimeError"
    assert failed in out.getvalue()
    assert "warning: plugin broken-plugin" in err.getvalue()


@pytest.mark.parametrize(
    ("which", "title"), [("patient", "patient record"), ("assessment", "assessment")]
)
def test_schema_prints_a_json_schema(run: Run, which: str, title: str) -> None:
    code, out, _ = run("schema", which)
    assert code == EXIT_OK
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert title in schema["title"]


# --------------------------------------------------------------------------- plan


def test_plan_prints_dated_sessions(run: Run, patient_file: Path) -> None:
    code, out, _ = run("plan", str(patient_file), "--technique", "probe", "--start", "2026-12-01")
    assert code == EXIT_OK
    assert "Course of probe for patient T-001" in out
    assert "2026-12-01" in out


def test_plan_for_a_refused_technique_exits_3(run: Run, patient_file: Path) -> None:
    code, out, err = run(
        "plan", str(patient_file), "--technique", "strict", "--start", "2026-12-01"
    )
    assert code == EXIT_REFUSED
    assert out == ""
    assert "strict.size" in err


def test_plan_with_a_bad_file_exits_2(run: Run, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", '{"id": "P-1"}')
    code, _, err = run("plan", str(path), "--technique", "probe", "--start", "2026-12-01")
    assert code == EXIT_INPUT
    assert "age: required field is missing" in err


# --------------------------------------------------------------------------- installed


def test_example_patients_assess_with_the_installed_plugins(example_paths: list[Path]) -> None:
    out, err = StringIO(), StringIO()
    code = main(["assess", *map(str, example_paths), "--format", "json"], out=out, err=err)
    assert code == EXIT_OK, err.getvalue()
    assessments = json.loads(out.getvalue())
    assert len(assessments) == len(example_paths)
    for assessment in assessments:
        for decision in assessment["decisions"]:
            if decision["permitted"]:
                assert decision["protocol"] is not None
