"""Can this appointment be booked? A small application embedding herniarules.

    python examples/booking_app/booking_check.py patient.json classic [--date 2025-03-14]

Reads a patient record and the requested technique, asks the engine, and prints either
``BOOKABLE`` with the session plan or ``NOT BOOKABLE`` with the reasons a clinician should
look at and, from the engine's outlook (:mod:`herniarules.outlook`), the first day the
appointment can be booked when the reasons lapse with time (the break after a course, the
period after spinal surgery, a clearance dated later), or what would lift them. Exit status:
0 bookable, 1 not bookable, 2 bad input or unknown technique.

The booking desk does not decide anything itself: every reason comes from the engine's
findings, each with the rule that raised it. The SDK supports clinicians; it does not replace
them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from typing import TextIO

from herniarules import Decision, Engine, InputError, Outcome, load_patient
from herniarules.outlook import NO_CHANGE, DecisionOutlook, outlook

BOOKABLE, NOT_BOOKABLE, BAD_INPUT = 0, 1, 2

_ADVICE = {
    Outcome.REQUIRES_CLEARANCE: "book once the attending physician's clearance is recorded",
    Outcome.INSUFFICIENT_DATA: "record the missing values, then check again",
    Outcome.DEFER: "do not book now; check again when the temporary condition has passed",
    Outcome.CONTRAINDICATED: "do not book this technique",
}


def check(decision: Decision, ahead: DecisionOutlook | None = None) -> tuple[bool, list[str]]:
    """Return whether the decision allows a booking and the lines to print.

    ``ahead`` is the decision's outlook: with it, a refusal also names the first bookable day
    or what would lift the refusal.
    """
    if decision.permitted:
        lines = [f"BOOKABLE: {decision.technique} ({decision.outcome.label})"]
        protocol = decision.protocol
        if protocol is not None:
            low, high = protocol.session_minutes
            first, last = protocol.course_sessions
            lines.append(f"  book sessions of {low:g}-{high:g} min, {first}-{last} sessions")
        lines += [
            f"  note: {f.message} [{f.rule_id}]"
            for f in decision.findings
            if f.effective_outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
        ]
        return True, lines
    lines = [
        f"NOT BOOKABLE: {decision.technique} ({decision.outcome.label}): "
        f"{_ADVICE.get(decision.outcome, 'do not book')}"
    ]
    for finding in sorted(decision.findings, key=lambda f: (-f.effective_outcome, f.rule_id)):
        if finding.effective_outcome > Outcome.ALLOWED_WITH_MODIFICATIONS:
            lines.append(f"  - {finding.message} [{finding.rule_id}]")
    if ahead is not None:
        lines.extend(_offer(ahead))
    return False, lines


def _offer(ahead: DecisionOutlook) -> list[str]:
    """Return what the desk can offer a refused patient, from the engine's outlook."""
    if ahead.status == NO_CHANGE:
        return [
            "  no bookable day can be offered: a reason above does not pass with time; "
            "the patient needs to be examined again"
        ]
    lines = []
    if ahead.bookable_on is not None:
        lines.append(f"  FIRST BOOKABLE DAY: {ahead.bookable_on.isoformat()}")
    for need in ahead.lifts_when:
        lines.append(f"  {'sooner' if ahead.bookable_on is not None else 'bookable'} once {need}")
    return lines


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    engine: Engine | None = None,
) -> int:
    """Run the booking check; return the exit status."""
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        description="Check whether a massage appointment can be booked."
    )
    parser.add_argument("patient", help="patient record (JSON)")
    parser.add_argument("technique", help="technique id, e.g. classic")
    parser.add_argument("--date", type=date.fromisoformat, default=None, help="appointment date")
    args = parser.parse_args(argv)
    engine = engine or Engine()
    try:
        patient = load_patient(args.patient)
        decision = engine.evaluate(patient, args.technique, as_of=args.date)
        ahead = (
            None
            if decision.permitted
            else outlook(engine, patient, as_of=args.date, techniques=[args.technique]).decision(
                args.technique
            )
        )
    except InputError as exc:
        out.write(f"cannot check: {exc}\n")
        return BAD_INPUT
    except KeyError as exc:
        out.write(f"cannot check: {exc.args[0]}\n")
        return BAD_INPUT
    bookable, lines = check(decision, ahead)
    out.write("\n".join(lines) + "\n")
    return BOOKABLE if bookable else NOT_BOOKABLE


if __name__ == "__main__":
    sys.exit(main())
