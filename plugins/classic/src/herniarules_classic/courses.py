"""Course planning for classic massage (with or without traction)."""

from __future__ import annotations

from datetime import date, timedelta

from herniarules import CoursePlan, Facts, Policy, Protocol, Session
from herniarules_classic.parameters import ClassicParameters

__all__ = ["plan_classic_course"]


def plan_classic_course(
    facts: Facts, parameters: ClassicParameters, protocol: Protocol, start: date, policy: Policy
) -> CoursePlan:
    """Return a course of one session a day for the shortest course of the protocol.

    The source gives the course in days ("from ten to twenty days"), so sessions fall on
    consecutive days. The plan books the fewest sessions and the shortest session length
    of the protocol: the source gives ranges, not a progression, and lengthening a session
    or the course within its range is the therapist's call as the patient tolerates it. The
    next course may start once the shortest break has passed after the last session, the
    same day from which the core's course-break rule no longer asks for clearance.
    """
    count = protocol.course_sessions[0]
    minutes = protocol.session_minutes[0]
    sessions = tuple(
        Session(number=i + 1, date=start + timedelta(days=i), minutes=minutes) for i in range(count)
    )
    low, high = protocol.session_minutes
    first, last = protocol.course_sessions
    notes = (
        f"Sessions are booked at {low:g} minutes; the therapist may lengthen them up to "
        f"{high:g} minutes as the patient tolerates.",
        f"The course may be extended to {last} daily sessions (planned: {first}).",
        f"A break of {parameters.break_days_min}-{parameters.break_days_max} days follows the "
        "course; a repeated course is prescribed by the attending physician.",
    )
    return CoursePlan(
        technique=protocol.technique,
        patient_id=facts.patient_id,
        sessions=sessions,
        next_course_earliest=sessions[-1].date + timedelta(days=parameters.break_days_min),
        notes=notes,
    )
