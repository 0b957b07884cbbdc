"""Course planning: the dated sessions of a massage course and the earliest next course.

The clinical source sets the rhythm for classic massage: "The course of massage activities
should be carried out from ten to twenty days. Then a break of two to three months is
necessary. A repeated course of massage can be prescribed according to the indications of the
attending physician." A :class:`CoursePlan` therefore carries its dated sessions, its end and
the first day a repeat course may start without the physician: the last session plus the
break of :attr:`herniarules.Policy.min_course_break_days` days. That is the day the core rule
``core.course-break`` stops asking for clearance.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import attrs

from herniarules.outcomes import Protocol

__all__ = ["CoursePlan", "Session", "default_plan"]


def _day(instance: object, attribute: attrs.Attribute[date], value: date) -> None:
    # datetime is a date subclass; a time of day would make session arithmetic drift.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{attribute.name} must be a date, got {value!r}")


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{attribute.name} must be a whole number of at least 1, got {value!r}")


def _positive_minutes(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"{attribute.name} must be a number of minutes above 0, got {value!r}")


@attrs.frozen
class Session:
    """One dated session of a course."""

    number: int = attrs.field(validator=_positive_int)
    """Position in the course, from 1."""
    date: date = attrs.field(validator=_day)
    """Day of the session."""
    minutes: float = attrs.field(validator=_positive_minutes)
    """Planned length of the session, in minutes."""


def _sessions(
    instance: CoursePlan, attribute: attrs.Attribute[tuple[Session, ...]], value: object
) -> None:
    if not isinstance(value, tuple) or not value:
        raise ValueError("a course needs at least one session")
    for index, session in enumerate(value, 1):
        if not isinstance(session, Session):
            raise TypeError(f"sessions[{index - 1}] must be a Session, got {session!r}")
        if session.number != index:
            raise ValueError(
                f"sessions must be numbered 1, 2, 3...; got {session.number} at {index}"
            )
        if index > 1 and session.date <= value[index - 2].date:
            raise ValueError(
                f"session {index} on {session.date} is not after session {index - 1} "
                f"on {value[index - 2].date}"
            )


def _as_tuple(value: Iterable[Session]) -> tuple[Session, ...]:
    return tuple(value)


def _as_notes(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        # A lone string would otherwise become a tuple of its characters.
        return (value,)
    return tuple(value)


def _first_date(sessions: tuple[Session, ...]) -> date:
    if not sessions:
        raise ValueError("a course needs at least one session")
    return sessions[0].date


def _last_date(sessions: tuple[Session, ...]) -> date:
    if not sessions:
        raise ValueError("a course needs at least one session")
    return sessions[-1].date


@attrs.frozen
class CoursePlan:
    """A course: its dated sessions, its end and the earliest date of the next course.

    ``start``, ``end`` and ``break_days`` are derived from the sessions and
    ``next_course_earliest``; they are stored so that the JSON form carries them.
    """

    technique: str
    patient_id: str
    sessions: tuple[Session, ...] = attrs.field(converter=_as_tuple, validator=_sessions)
    next_course_earliest: date = attrs.field(validator=_day)
    """First day a repeat course may start without physician clearance (after the break)."""
    notes: tuple[str, ...] = attrs.field(default=(), converter=_as_notes)
    start: date = attrs.field(init=False)
    """Date of the first session."""
    end: date = attrs.field(init=False)
    """Date of the last session: the day the course ends."""
    break_days: int = attrs.field(init=False)
    """Days from the last session to :attr:`next_course_earliest`."""

    @start.default
    def _start(self) -> date:
        return _first_date(self.sessions)

    @end.default
    def _end(self) -> date:
        return _last_date(self.sessions)

    @break_days.default
    def _break_days(self) -> int:
        return (self.next_course_earliest - _last_date(self.sessions)).days

    def __attrs_post_init__(self) -> None:
        if self.break_days < 1:
            raise ValueError(
                f"next_course_earliest {self.next_course_earliest} must be after the last "
                f"session on {self.end}"
            )

    @property
    def last_session(self) -> date:
        """Return the date of the last session (the same as :attr:`end`)."""
        return self.end

    def with_break_of_at_least(self, days: int) -> CoursePlan:
        """Return this plan with the next course no earlier than ``days`` after the end.

        Only ever moves :attr:`next_course_earliest` later, so a host can hold a plugin's plan
        to the clinic's policy without loosening a longer break the plugin chose.
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise ValueError(f"days must be a whole number of at least 1, got {days!r}")
        earliest = self.end + timedelta(days=days)
        if earliest <= self.next_course_earliest:
            return self
        return attrs.evolve(self, next_course_earliest=earliest)


def default_plan(
    protocol: Protocol,
    patient_id: str,
    start: date,
    break_days: int,
    *,
    spacing_days: int = 1,
) -> CoursePlan:
    """Return the protocol's fewest sessions, each its longest duration, from ``start``.

    :param protocol: the technique's protocol for the patient.
    :param patient_id: the patient the course is for.
    :param start: the date of the first session; required.
    :param break_days: the break after the last session before a repeat course, in days
        (:attr:`herniarules.Policy.min_course_break_days` in the engine).
    :param spacing_days: days from one session to the next: 1 for daily sessions, 2 for every
        other day.
    :raises TypeError: if ``start`` is not a date.
    :raises ValueError: if the protocol plans no sessions or no minutes, or ``break_days`` or
        ``spacing_days`` is below 1.
    """
    if start is None or not isinstance(start, date) or isinstance(start, datetime):
        raise TypeError(f"a course needs a start date, got {start!r}")
    for name, value in (("break_days", break_days), ("spacing_days", spacing_days)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
    count = protocol.course_sessions[0]
    if count < 1:
        raise ValueError(f"protocol for {protocol.technique!r} plans {count} sessions; need > 0")
    minutes = protocol.session_minutes[1]
    sessions = tuple(
        Session(number=i + 1, date=start + timedelta(days=i * spacing_days), minutes=minutes)
        for i in range(count)
    )
    return CoursePlan(
        technique=protocol.technique,
        patient_id=patient_id,
        sessions=sessions,
        next_course_earliest=sessions[-1].date + timedelta(days=break_days),
    )
