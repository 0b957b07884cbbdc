"""'herniarules replay', run as a user runs it: the installed command, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "patients").glob("*.json"))
COMMAND = Path(sys.executable).with_name("herniarules")

pytestmark = pytest.mark.skipif(not COMMAND.exists(), reason="the console script is not installed")


def herniarules(*argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(COMMAND), *argv], input=stdin, capture_output=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The assessment record of the first example patient, as 'assess --format json' wrote it."""
    done = herniarules("assess", "--format", "json", "--as-of", "2026-11-27", str(EXAMPLES[0]))
    assert done.returncode == 0, done.stderr
    [record] = json.loads(done.stdout)
    path = tmp_path_factory.mktemp("records") / "record.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


def test_a_stored_record_replays_identically_with_exit_0(stored: Path) -> None:
    done = herniarules("replay", str(stored), str(EXAMPLES[0]))
    assert done.returncode == 0, done.stderr
    text = done.stdout.decode()
    assert text.startswith("identical: decision ") and "2026-11-27" in text


def test_the_patient_can_come_from_standard_input(stored: Path) -> None:
    done = herniarules("replay", "--format", "json", str(stored), stdin=EXAMPLES[0].read_bytes())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["identical"] is True and result["differences"] == []
    assert result["record_id"] == json.loads(stored.read_text())["decision_id"]


def test_another_patient_differs_with_exit_1_naming_the_input(stored: Path) -> None:
    done = herniarules("replay", "--format", "json", str(stored), str(EXAMPLES[1]))
    assert done.returncode == 1, done.stderr
    result = json.loads(done.stdout)
    assert result["identical"] is False
    first = result["differences"][0]
    assert (first["what"], first["why"]) == ("input", "another input")
    assert any(d["what"] == "verdict" for d in result["differences"])
    text = herniarules("replay", str(stored), str(EXAMPLES[1]))
    assert text.returncode == 1
    assert (
        "input input_sha256:" in text.stdout.decode() and "(another input)" in text.stdout.decode()
    )


def test_a_bad_record_exits_2_naming_the_path(tmp_path: Path, stored: Path) -> None:
    record = json.loads(stored.read_text())
    record["schema_version"] = "1.0"
    bad = tmp_path / "old.json"
    bad.write_text(json.dumps(record), encoding="utf-8")
    done = herniarules("replay", str(bad), str(EXAMPLES[0]))
    assert done.returncode == 2 and done.stdout == b""
    message = done.stderr.decode()
    assert f"invalid audit record in {bad}" in message and "schema_version:" in message
    assert "Traceback" not in message
    missing = herniarules("replay", str(tmp_path / "none.json"), str(EXAMPLES[0]))
    assert missing.returncode == 2 and b"cannot read file" in missing.stderr
    both = herniarules("replay", "-", "-")
    assert both.returncode == 2 and b"cannot both be standard input" in both.stderr


def test_the_replay_exit_codes_are_in_the_help() -> None:
    done = herniarules("replay", "--help")
    assert done.returncode == 0
    text = done.stdout.decode()
    assert "1    'replay': the record replays with differences" in text
    assert "RECORD" in text and "INPUT" in text


def test_schema_decision_prints_the_decision_record_schema() -> None:
    done = herniarules("schema", "decision")
    assert done.returncode == 0
    schema = json.loads(done.stdout)
    assert {"decision_id", "input_sha256", "ruleset_fingerprint"} <= set(schema["required"])
