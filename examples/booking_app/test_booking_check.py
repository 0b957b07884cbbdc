"""Tests of the booking-check example application."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import pytest

from herniarules import Engine, Protocol, ProtocolFacts, ProtocolStep, Technique, hookimpl

HERE = Path(__file__).resolve().parent
PATIENTS = HERE.parent / "patients"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("booking_check", HERE / "booking_check.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


booking = _load()


def _desk_protocol(facts: ProtocolFacts, parameters: object) -> Protocol:
    return Protocol("desk", (ProtocolStep("s", "d"),), (20.0, 30.0), (8, 10), "light")


class Desk:
    """A stand-in technique so the test does not depend on which plugins are installed."""

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [Technique("desk", "Desk", "A test technique.", "test", protocol=_desk_protocol)]


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(plugins=[Desk()], entry_points=False)


def _run(engine: Engine, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = booking.main([*argv, "--date", "2025-03-14"], out=out, engine=engine)
    return status, out.getvalue()


def test_a_patient_in_remission_can_be_booked(engine: Engine) -> None:
    status, text = _run(engine, str(PATIENTS / "01-remission-lumbar.json"), "desk")
    assert status == booking.BOOKABLE
    assert text.startswith("BOOKABLE: desk")
    assert "sessions of 20-30 min, 8-10 sessions" in text


def test_an_acute_patient_cannot_be_booked_and_is_told_why(engine: Engine) -> None:
    status, text = _run(engine, str(PATIENTS / "02-acute-lumbar.json"), "desk")
    assert status == booking.NOT_BOOKABLE
    assert text.startswith("NOT BOOKABLE: desk (defer)")
    assert "[core.acute-phase]" in text


def test_missing_data_asks_for_it(engine: Engine) -> None:
    status, text = _run(engine, str(PATIENTS / "11-missing-data.json"), "desk")
    assert status == booking.NOT_BOOKABLE
    assert "record the missing values" in text or "do not book" in text


def test_a_bad_record_is_reported_with_its_path(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "X", "age": -4, "sex": "male"}))
    status, text = _run(engine, str(bad), "desk")
    assert status == booking.BAD_INPUT
    assert "age: must be between 0 and 130" in text


def test_an_unknown_technique_is_bad_input(engine: Engine) -> None:
    status, text = _run(engine, str(PATIENTS / "01-remission-lumbar.json"), "reiki")
    assert status == booking.BAD_INPUT
    assert "unknown technique 'reiki'" in text


AFTER_COURSE = HERE / "after-course.json"


def _offered_day(text: str) -> date:
    for line in text.splitlines():
        if line.strip().startswith("FIRST BOOKABLE DAY:"):
            return date.fromisoformat(line.split(":", 1)[1].strip())
    raise AssertionError(f"no first bookable day offered in:\n{text}")


def test_a_patient_within_the_course_break_is_offered_the_first_bookable_day(
    engine: Engine,
) -> None:
    # The course ended on 2025-02-28; the policy's break is 60 days.
    status, text = _run(engine, str(AFTER_COURSE), "desk")
    assert status == booking.NOT_BOOKABLE
    assert "[core.course-break]" in text
    assert _offered_day(text) == date(2025, 2, 28) + timedelta(days=60)
    assert "sooner once a physician's clearance for desk is recorded" in text


def test_the_offered_day_is_bookable_and_the_day_before_is_not(engine: Engine) -> None:
    _, text = _run(engine, str(AFTER_COURSE), "desk")
    day = _offered_day(text)
    out = io.StringIO()
    path = str(AFTER_COURSE)
    assert booking.main([path, "desk", "--date", day.isoformat()], out=out, engine=engine) == 0
    before = (day - timedelta(days=1)).isoformat()
    assert booking.main([path, "desk", "--date", before], out=io.StringIO(), engine=engine) == 1


def test_an_acute_patient_is_offered_no_day(engine: Engine) -> None:
    status, text = _run(engine, str(PATIENTS / "02-acute-lumbar.json"), "desk")
    assert status == booking.NOT_BOOKABLE
    assert "FIRST BOOKABLE DAY" not in text
    assert "once" not in text.split("[core.disc-prolapsed]")[-1]
    assert "no bookable day can be offered" in text


def test_a_raised_temperature_names_the_value_that_lifts_it(engine: Engine, tmp_path: Path) -> None:
    record = json.loads((PATIENTS / "01-remission-lumbar.json").read_text())
    record["vitals"]["temperature_c"] = 37.9
    path = tmp_path / "fever.json"
    path.write_text(json.dumps(record))
    status, text = _run(engine, str(path), "desk")
    assert status == booking.NOT_BOOKABLE
    assert "FIRST BOOKABLE DAY" not in text
    assert "bookable once body temperature (°C) is below 37.5" in text
