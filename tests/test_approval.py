"""What the further types of massage share: the approval rule, their protocol, params.share."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from herniarules import Clearance, Engine, Outcome, Patient, ProtocolStep
from herniarules.approval import (
    APPROVAL_PASSAGE,
    APPROVAL_SECTION,
    COMBINATION_NOTE,
    FURTHER_TYPES_PASSAGE,
    INDIVIDUAL_PASSAGE,
    INDIVIDUAL_SECTION,
    SOFTNESS_PASSAGE,
    further_type_protocol,
    physician_approval_rule,
)
from herniarules.params import SessionCourse, share

ROOT = Path(__file__).resolve().parent.parent


def _source_text() -> str:
    source_map = json.loads((ROOT / "traceability" / "source-map.json").read_text("utf-8"))
    text = (ROOT / str(source_map["source"]["file"])).read_text(encoding="utf-8")
    return " ".join(text.split())


def test_passages_are_quoted_verbatim_from_the_source() -> None:
    text = _source_text()
    assert APPROVAL_PASSAGE in text
    assert FURTHER_TYPES_PASSAGE in text
    assert SOFTNESS_PASSAGE in text
    assert INDIVIDUAL_PASSAGE in text
    # Each passage stands under its section's heading.
    assert text.index(APPROVAL_SECTION) < text.index(APPROVAL_PASSAGE)
    assert text.index(INDIVIDUAL_SECTION) < text.index(INDIVIDUAL_PASSAGE)


def test_the_rule_names_its_technique_and_the_clearance_to_record() -> None:
    rule = physician_approval_rule("probe", "Probe massage")
    assert rule.id == "probe.physician-approval"
    assert rule.title == "Probe massage needs a doctor's approval"
    assert rule.outcome is Outcome.REQUIRES_CLEARANCE
    assert rule.message == (
        "Probe massage is one of the further types of massage; its use must be approved by a "
        "doctor. Record the doctor's clearance for probe massage."
    )
    assert (rule.source, rule.section) == (APPROVAL_PASSAGE, APPROVAL_SECTION)
    assert rule.techniques == frozenset({"probe"})
    named = physician_approval_rule("probe", "Probe massage", "the probe")
    assert named.message.endswith("Record the doctor's clearance for the probe.")


def _engine(plugin_class: type) -> Engine:
    rule = physician_approval_rule("probe", "Probe massage")
    return Engine([plugin_class("probe", rules=[rule])], entry_points=False)


def test_it_fires_without_a_clearance_and_a_valid_one_satisfies_it(
    plugin_class: type, make_patient: Callable[..., Patient], as_of: date
) -> None:
    engine = _engine(plugin_class)
    refused = engine.evaluate(make_patient(), "probe", as_of=as_of)
    assert not refused.permitted
    assert [f.rule_id for f in refused.findings] == ["probe.physician-approval"]
    clearance: dict[str, Any] = {
        "technique": "probe",
        "physician": "Dr. Ivanova",
        "date": (as_of - timedelta(days=1)).isoformat(),
    }
    cleared = engine.evaluate(make_patient(clearances=[clearance]), "probe", as_of=as_of)
    assert cleared.permitted
    (finding,) = cleared.findings
    assert finding.cleared_by == "Dr. Ivanova"


@pytest.mark.parametrize(
    "clearance",
    [
        Clearance("other", "Dr. Ivanova", date(2026, 11, 1)),  # another technique's
        Clearance("probe", "Dr. Ivanova", date(2026, 12, 1)),  # dated after the visit
        Clearance("probe", "Dr. Ivanova", date(2026, 9, 1), date(2026, 10, 1)),  # expired
    ],
)
def test_no_other_clearance_satisfies_it(
    plugin_class: type,
    make_patient: Callable[..., Patient],
    as_of: date,
    clearance: Clearance,
) -> None:
    assert as_of == date(2026, 11, 27)
    data = {
        "technique": clearance.technique,
        "physician": clearance.physician,
        "date": clearance.date.isoformat(),
        "valid_until": clearance.valid_until and clearance.valid_until.isoformat(),
    }
    decision = _engine(plugin_class).evaluate(make_patient(clearances=[data]), "probe", as_of=as_of)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert not decision.permitted


@pytest.mark.parametrize(
    ("total", "fraction", "expected"),
    [(15.0, 0.2, 3.0), (15.0, 0.65, 9.5), (15.0, 0.15, 2.0), (20.0, 0.25, 5.0), (10, 0.33, 3.0)],
)
def test_share_rounds_down_to_half_minutes(total: float, fraction: float, expected: float) -> None:
    assert share(total, fraction) == expected


def test_shares_never_add_up_to_more_than_the_session() -> None:
    for total in (10.0, 12.5, 15.0, 17.0, 20.0, 45.0):
        assert share(total, 0.2) + share(total, 0.65) + share(total, 0.15) <= total


@attrs.frozen
class ProbeParameters(SessionCourse):
    SESSION_MINUTES = (10.0, 15.0)
    COURSE_SESSIONS = (8, 12)

    passes: int = 3


def test_further_type_protocol_states_what_every_further_type_does() -> None:
    steps = [ProtocolStep("stroking", "Stroke the back.", minutes=share(12.0, 0.5))]
    parameters = ProbeParameters(session_minutes_max=12.0)
    protocol = further_type_protocol(
        "probe",
        parameters,
        steps,
        pressure="light, no force",
        avoid=["the spinous processes"],
        notes=["Stop at any pain."],
    )
    assert protocol.technique == "probe"
    assert protocol.steps == tuple(steps)
    assert protocol.session_minutes == (10.0, 12.0)
    assert protocol.course_sessions == (8, 12)
    assert protocol.pressure == "light, no force: " + SOFTNESS_PASSAGE
    assert protocol.avoid == ("the spinous processes",)
    assert protocol.notes == (COMBINATION_NOTE, "Stop at any pain.")
    assert dict(protocol.parameters) == attrs.asdict(parameters)
    assert "approved by a doctor" in COMBINATION_NOTE


def test_further_type_protocol_without_notes_has_the_combination_note_only() -> None:
    protocol = further_type_protocol("probe", ProbeParameters(), (), pressure="none", avoid=())
    assert protocol.notes == (COMBINATION_NOTE,)
    assert protocol.steps == ()
