"""Clinical test cases as data: the project's vignettes pass, and wrong ones fail clearly."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from herniarules import Engine, Outcome
from herniarules.cases import CaseError, load, run

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "examples" / "cases").glob("*.yaml"))
PATIENTS = ROOT / "examples" / "patients"
COMMAND = Path(sys.executable).with_name("herniarules")

needs_command = pytest.mark.skipif(
    not COMMAND.exists(), reason="the console script is not installed"
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def herniarules(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), *argv], capture_output=True, text=True, timeout=300, check=False
    )


def _write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


ACUTE_CASE = f"""\
cases:
  - name: acute
    patient_file: {PATIENTS / "02-acute-lumbar.json"}
    as_of: "2026-12-01"
    expect: {{classic: defer}}
"""


# -- the project's own vignettes ----------------------------------------------------------------


@needs_command
def test_the_example_vignettes_pass_on_the_command_line() -> None:
    done = herniarules("test", *map(str, CASES))
    assert done.returncode == 0, done.stdout + done.stderr
    passed = int(done.stdout.strip().splitlines()[-1].split(" passed")[0])
    assert passed >= 16
    assert done.stdout.strip().endswith(f"{passed} passed, 0 failed")


def test_the_example_vignettes_pass_through_the_api(engine: Engine) -> None:
    report = run(CASES, engine)
    assert report.errors == ()
    assert [r.failures for r in report.results if not r.passed] == []
    assert report.passed >= 16 and report.exit_status == 0


def test_every_example_vignette_cites_its_source_passage(engine: Engine) -> None:
    text = (ROOT / "traceability" / "source.txt").read_text(encoding="utf-8")
    for path in CASES:
        for case in load(path, engine):
            assert case.source, f"{path.name}: {case.name} has no source"
            for part in case.source.split(" ... "):
                assert part in text, f"{path.name}: {case.name}: {part!r} is not in the source"


def test_the_example_vignettes_cover_every_installed_builtin_technique(engine: Engine) -> None:
    named = {t for path in CASES for case in load(path, engine) for t in case.expect}
    builtin = {"classic", "traction", "honey", "vacuum", "acupressure", "segmental", "hydromassage"}
    assert builtin <= named


def test_the_example_vignettes_cover_every_verdict(engine: Engine) -> None:
    seen = {o for path in CASES for case in load(path, engine) for o in case.expect.values()}
    assert seen == set(Outcome)


# -- failing cases --------------------------------------------------------------------------


def test_a_wrong_verdict_fails_with_what_was_expected_and_what_came(
    engine: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path, ACUTE_CASE.replace("classic: defer", "classic: allowed"))
    report = run([path], engine)
    (result,) = report.results
    assert not result.passed and report.exit_status == 1
    assert result.failures[0].startswith("classic: expected allowed, got defer (")
    assert "core.acute-phase" in result.failures[0]
    assert "FAIL  " in report.text() and "0 passed, 1 failed" in report.text()


@needs_command
def test_a_wrong_verdict_exits_one_on_the_command_line(tmp_path: Path) -> None:
    path = _write(tmp_path, ACUTE_CASE.replace("classic: defer", "classic: allowed"))
    done = herniarules("test", str(path))
    assert done.returncode == 1
    assert "FAIL  " in done.stdout and ": acute" in done.stdout
    assert "classic: expected allowed, got defer" in done.stdout
    assert done.stdout.strip().endswith("0 passed, 1 failed")


def test_a_rule_that_did_not_fire_fails(engine: Engine, tmp_path: Path) -> None:
    path = _write(tmp_path, ACUTE_CASE + "    rules: {classic: [core.pregnancy]}\n")
    (result,) = run([path], engine).results
    assert result.failures == (
        "classic: expected findings of core.pregnancy; fired: core.acute-phase, "
        "core.disc-prolapsed, core.pain-not-eliminated, core.severe-pain",
    )


def test_exactly_fails_on_a_finding_not_listed(engine: Engine, tmp_path: Path) -> None:
    text = ACUTE_CASE + "    rules: {classic: [core.acute-phase]}\n    exactly: true\n"
    (result,) = run([_write(tmp_path, text)], engine).results
    assert result.failures == (
        "classic: unexpected findings of core.disc-prolapsed, core.pain-not-eliminated, "
        "core.severe-pain",
    )


def test_listed_rules_that_fired_pass(engine: Engine, tmp_path: Path) -> None:
    text = ACUTE_CASE + "    rules: {classic: [core.acute-phase, core.severe-pain]}\n"
    assert run([_write(tmp_path, text)], engine).results[0].passed


# -- reading strictly -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        ("    colour: red\n", "cases[0].colour", "unknown key; allowed: as_of"),
        ("    rules: {classic: [core.nope]}\n", "cases[0].rules.classic[0]", "unknown rule id"),
        ("    exactly: true\n", "cases[0].exactly", "needs rules"),
        ("    exactly: 1\n", "cases[0].exactly", "must be true or false"),
        ("    patient: {id: X, age: 40, sex: male}\n", "cases[0]", "exactly one of patient"),
    ],
)
def test_a_bad_case_is_an_error_naming_its_path(
    engine: Engine, tmp_path: Path, change: str, path: str, message: str
) -> None:
    with pytest.raises(CaseError) as caught:
        load(_write(tmp_path, ACUTE_CASE + change), engine)
    problems = {p.path: p.message for p in caught.value.problems}
    assert path in problems and message in problems[path], problems


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        ("classic: defer", "clasic: defer", "cases[0].expect.clasic", "installed: acupressure"),
        ("classic: defer", "classic: maybe", "cases[0].expect.classic", "allowed: allowed, "),
        ('"2026-12-01"', '"2026-13-01"', "cases[0].as_of", "YYYY-MM-DD"),
        ('"2026-12-01"', "20261201", "cases[0].as_of", "YYYY-MM-DD"),
        ("name: acute", "name: ''", "cases[0].name", "non-empty"),
        ("02-acute-lumbar.json", "no-such.json", "cases[0].patient_file", "cannot"),
    ],
)
def test_a_wrong_value_is_an_error_listing_what_is_allowed(
    engine: Engine, tmp_path: Path, old: str, new: str, path: str, message: str
) -> None:
    with pytest.raises(CaseError) as caught:
        load(_write(tmp_path, ACUTE_CASE.replace(old, new)), engine)
    problems = {p.path: p.message for p in caught.value.problems}
    assert any(p.startswith(path) and message in m for p, m in problems.items()), problems


def test_an_inline_patient_is_checked_with_paths_inside_the_case(
    engine: Engine, tmp_path: Path
) -> None:
    text = """\
    cases:
      - name: bad patient
        patient: {id: X, age: 200, sex: male, vitals: {pain_score: 12}}
        as_of: 2026-12-01
        expect: {classic: allowed}
    """
    with pytest.raises(CaseError) as caught:
        load(_write(tmp_path, text), engine)
    paths = {p.path for p in caught.value.problems}
    assert {"cases[0].patient.age", "cases[0].patient.vitals.pain_score"} <= paths


def test_unquoted_dates_are_read_as_days(engine: Engine, tmp_path: Path) -> None:
    text = """\
    cases:
      - name: course break
        patient:
          {id: X, age: 40, sex: male, inflammatory_process: false,
           vitals: {systolic_mmhg: 120, diastolic_mmhg: 80, temperature_c: 36.6, pain_score: 1},
           hernias: [{region: lumbar, level: L4-L5, kind: protrusion, phase: remission,
                      size_mm: 4.0, surgery_indicated: false}],
           massage_courses: [{end_date: 2026-11-20}]}
        as_of: 2026-12-01
        expect: {classic: requires-clearance}
    """
    (case,) = load(_write(tmp_path, text), engine)
    assert case.as_of.isoformat() == "2026-12-01"
    assert run([tmp_path / "cases.yaml"], engine).results[0].passed


def test_a_patient_file_is_relative_to_the_yaml_file(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    shutil.copy(PATIENTS / "02-acute-lumbar.json", tmp_path / "records" / "acute.json")
    text = ACUTE_CASE.replace(str(PATIENTS / "02-acute-lumbar.json"), "records/acute.json")
    (case,) = load(_write(tmp_path, text), engine)
    assert case.patient.id == "P-002"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases: [\n", "not valid YAML (line"),
        ("- name: a\n", "must be a mapping with 'cases'"),
        ("cases: []\n", "must be a non-empty list"),
        ("cases:\n  - name: a\n    name: b\n", "duplicate key 'name'"),
        ("kases: []\ncases: [1]\n", "unknown key"),
    ],
)
def test_a_bad_file_is_an_error(engine: Engine, tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CaseError) as caught:
        load(_write(tmp_path, text), engine)
    assert message in str(caught.value)


def test_two_cases_may_not_share_a_name(engine: Engine, tmp_path: Path) -> None:
    body = ACUTE_CASE.split("cases:\n", 1)[1]
    with pytest.raises(CaseError, match=r"cases\[1\]\.name: duplicate name 'acute'"):
        load(_write(tmp_path, "cases:\n" + body + body), engine)


@needs_command
def test_a_bad_file_exits_two_and_the_other_files_still_run(tmp_path: Path) -> None:
    bad = _write(tmp_path, "cases: [\n", "bad.yaml")
    good = _write(tmp_path, ACUTE_CASE, "good.yaml")
    done = herniarules("test", str(bad), str(good))
    assert done.returncode == 2
    assert "ERROR invalid test case file in " in done.stdout and "bad.yaml" in done.stdout
    assert done.stdout.strip().endswith("1 passed, 0 failed, 1 file not read")


# -- machine formats ------------------------------------------------------------------------


@needs_command
def test_json_and_junit_reports(tmp_path: Path) -> None:
    wrong = _write(tmp_path, ACUTE_CASE.replace("classic: defer", "classic: allowed"))
    done = herniarules("test", "--format", "json", str(wrong))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert (report["passed"], report["failed"]) == (0, 1)
    assert report["cases"][0]["failures"][0].startswith("classic: expected allowed, got defer")
    done = herniarules("test", "--format", "junit", str(wrong))
    assert done.returncode == 1
    root = ET.fromstring(done.stdout)
    assert root.get("failures") == "1"
    (failure,) = root.iter("failure")
    assert "expected allowed, got defer" in (failure.get("message") or "")


@needs_command
def test_the_help_lists_the_exit_codes() -> None:
    done = herniarules("test", "--help")
    assert done.returncode == 0
    assert "exit status:" in done.stdout and "1    some case failed" in done.stdout
