"""Course planning: the dated sessions of a massage course and the next permitted course."""

from __future__ import annotations

from datetime import date, timedelta

import attrs

from herniarules.outcomes import Protocol

__all__ = ["CoursePlan", "Session", "default_plan"]


@attrs.frozen
class Session:
    """One dated session of a course."""

    number: int
    date: date
    minutes: float


@attrs.frozen
class CoursePlan:
    """A course: its dated sessions and the earliest date of the next course."""

    technique: str
    patient_id: str
    sessions: tuple[Session, ...]
    next_course_earliest: date
    """First day a repeat course may start without physician clearance (after the break)."""
    notes: tuple[str, ...] = ()

    @property
    def last_session(self) -> date:
        """Return the date of the last session."""
        return self.sessions[-1].date


def default_plan(protocol: Protocol, patient_id: str, start: date, break_days: int) -> CoursePlan:
    """Return one session a day: the protocol's fewest sessions, each its longest duration."""
    count = protocol.course_sessions[0]
    minutes = protocol.session_minutes[1]
    sessions = tuple(
        Session(number=i + 1, date=start + timedelta(days=i), minutes=minutes) for i in range(count)
    )
    return CoursePlan(
        technique=protocol.technique,
        patient_id=patient_id,
        sessions=sessions,
        next_course_earliest=sessions[-1].date + timedelta(days=break_days + 1),
    )
