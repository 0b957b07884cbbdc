"""``herniarules assess --outlook``, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMAND = Path(sys.executable).with_name("herniarules")
AFTER_COURSE = ROOT / "examples" / "booking_app" / "after-course.json"
ACUTE = ROOT / "examples" / "patients" / "02-acute-lumbar.json"

pytestmark = pytest.mark.skipif(not COMMAND.exists(), reason="the console script is not installed")


def herniarules(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), *argv], capture_output=True, text=True, timeout=120, check=False
    )


def test_text_shows_the_first_bookable_day_after_a_course() -> None:
    done = herniarules(
        "assess", "--outlook", "--as-of", "2025-03-14", "--technique", "classic", str(AFTER_COURSE)
    )
    assert done.returncode == 0, done.stderr
    assert (
        "outlook: first bookable day 2025-04-29; sooner once: a physician's clearance for "
        "classic is recorded" in done.stdout
    )
    assert "core.course-break: lapses on" not in done.stdout  # the per-rule lines are verbose


def test_verbose_text_shows_each_blocking_rule() -> None:
    done = herniarules(
        "assess",
        "-v",
        "--outlook",
        "--as-of",
        "2025-03-14",
        "--technique",
        "classic",
        str(AFTER_COURSE),
    )
    assert done.returncode == 0, done.stderr
    assert (
        "core.course-break: lapses on 2025-04-29; or lifts with a physician's clearance for "
        "classic" in done.stdout
    )


def test_without_the_flag_there_is_no_outlook() -> None:
    done = herniarules("assess", "--as-of", "2025-03-14", "--format", "json", str(AFTER_COURSE))
    assert done.returncode == 0, done.stderr
    assert "outlook" not in json.loads(done.stdout)[0]
    text = herniarules("assess", "--as-of", "2025-03-14", str(AFTER_COURSE))
    assert "outlook:" not in text.stdout


def test_json_gives_an_outlook_per_entry() -> None:
    done = herniarules(
        "assess",
        "--outlook",
        "--format",
        "json",
        "--as-of",
        "2025-03-14",
        str(AFTER_COURSE),
        str(ACUTE),
    )
    assert done.returncode == 0, done.stderr
    after, acute = json.loads(done.stdout)
    classic = next(d for d in after["outlook"]["decisions"] if d["technique"] == "classic")
    assert classic["bookable_on"] == "2025-04-29"
    assert classic["status"] == "by-time"
    honey = next(d for d in acute["outlook"]["decisions"] if d["technique"] == "honey")
    assert honey["status"] == "no-change"
    assert honey["lifts_when"] == [] and honey["bookable_on"] is None


def test_jsonl_gives_an_outlook_per_line() -> None:
    done = herniarules(
        "assess", "--outlook", "--format", "jsonl", "--as-of", "2025-03-14", str(AFTER_COURSE)
    )
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert json.loads(line)["outlook"]["as_of"] == "2025-03-14"


def test_outlook_text_in_another_language_is_refused() -> None:
    done = herniarules("assess", "--outlook", "--lang", "ru", str(AFTER_COURSE))
    assert done.returncode == 2
    assert "--outlook text is in English only" in done.stderr


def test_outlook_with_fhir_input_is_refused() -> None:
    done = herniarules("assess", "--outlook", "--fhir", str(AFTER_COURSE))
    assert done.returncode == 2
    assert "--outlook does not apply to --fhir input" in done.stderr
