"""The installed ``herniarules`` command, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "patients").glob("*.json"))
COMMAND = Path(sys.executable).with_name("herniarules")

pytestmark = pytest.mark.skipif(not COMMAND.exists(), reason="the console script is not installed")


def herniarules(
    *argv: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(COMMAND), *argv], input=stdin, capture_output=True, env=env, timeout=120, check=False
    )


def test_version_prints_the_package_version() -> None:
    import herniarules as package

    done = herniarules("--version")
    assert done.returncode == 0
    assert done.stdout.decode() == f"herniarules {package.__version__}\n"


def test_a_bare_call_prints_the_help_with_exit_codes_and_examples() -> None:
    done = herniarules()
    assert done.returncode == 0
    text = done.stdout.decode()
    assert "usage: herniarules" in text and "exit status:" in text and "examples:" in text
    assert done.stderr == b""


def test_every_argument_of_every_command_has_help_text() -> None:
    import argparse

    from herniarules.cli import _parser

    def actions(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action]]:
        found = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found += actions(sub)
            else:
                found.append((parser.prog, action))
        return found

    every = actions(_parser())
    assert len(every) > 20
    missing = [f"{where}: {a.dest}" for where, a in every if not a.help]
    assert missing == []
    text = " ".join(herniarules("assess", "--help").stdout.decode().split())
    assert "'-' reads standard input" in text and "141" in text


def test_a_dash_reads_the_patient_from_standard_input() -> None:
    done = herniarules("assess", "-", "--format", "json", stdin=EXAMPLES[0].read_bytes())
    assert done.returncode == 0, done.stderr
    (record,) = json.loads(done.stdout)
    assert record["patient_id"] == json.loads(EXAMPLES[0].read_text())["id"]


def test_bad_standard_input_is_named_as_such() -> None:
    done = herniarules("assess", "-", stdin=b'{"id": "P"}')
    assert done.returncode == 2
    assert "standard input" in done.stderr.decode()
    assert b"Traceback" not in done.stderr


def test_output_into_a_closed_pipe_ends_quietly() -> None:
    # Enough output to fill the pipe, read a little, then close it, as `| head` does.
    argv = [str(COMMAND), "assess", "--verbose", *(str(p) for p in EXAMPLES * 8)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(100)
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=120)
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr
    assert process.returncode == 141


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_terminal_that_cannot_encode_unicode_gets_escapes_not_a_crash(fmt: str) -> None:
    env = {**os.environ, "LC_ALL": "C", "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"}
    done = herniarules("assess", "--format", fmt, *(str(p) for p in EXAMPLES), env=env)
    assert done.returncode == 0, done.stderr.decode("ascii", "replace")
    assert b"UnicodeEncodeError" not in done.stderr
    done.stdout.decode("ascii")  # nothing but ASCII reached the terminal
    if fmt == "json":
        assert len(json.loads(done.stdout)) == len(EXAMPLES)  # escaped, still exact JSON
    else:
        assert "\\u2265" in done.stdout.decode("ascii")  # "≥", escaped


def test_a_course_starting_at_the_end_of_the_calendar_is_a_clean_error() -> None:
    done = herniarules("plan", str(EXAMPLES[0]), "--technique", "classic", "--start", "9999-12-30")
    assert done.returncode == 2
    assert "9999-12-31" in done.stderr.decode()
    assert b"Traceback" not in done.stderr


def test_an_assessment_day_at_the_end_of_the_calendar_is_a_clean_error_or_an_answer() -> None:
    done = herniarules("assess", str(EXAMPLES[0]), "--as-of", "9999-12-31")
    assert done.returncode in (0, 2)
    assert b"Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["techniques", "rules", "plugins"])
def test_listings_have_json_output(command: str) -> None:
    done = herniarules(command, "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    if command == "rules":
        assert data["fingerprint"] and {"id", "condition", "outcome"} <= set(data["rules"][0])
    else:
        assert data and {"name"} <= set(data[0])


def test_a_refused_course_is_json_on_standard_output_with_format_json() -> None:
    acute = ROOT / "examples" / "patients" / "02-acute-lumbar.json"
    done = herniarules(
        "plan", str(acute), "--technique", "classic", "--start", "2026-12-07", "--format", "json"
    )
    assert done.returncode == 3
    record = json.loads(done.stdout)
    assert record["refused"]["permitted"] is False and "classic" in record["reason"]


def test_text_is_compact_by_default_and_full_with_verbose() -> None:
    first = str(EXAMPLES[0])
    compact = herniarules("assess", first, "--technique", "classic").stdout.decode()
    verbose = herniarules("assess", first, "--technique", "classic", "-v").stdout.decode()
    assert "protocol: 12 steps" in compact and "pressure none (" in compact
    assert "1. warm-up" not in compact and "1. warm-up" in verbose
    assert "pressure: none:" not in compact + verbose
