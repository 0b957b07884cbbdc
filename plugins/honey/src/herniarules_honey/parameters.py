"""Session parameters of honey massage.

The source fixes the shape of a honey course ("start the course in a few minutes", "the
duration ... should gradually increase from the first day") but not its numbers; each default
below says where it comes from. A clinic may pass a stricter instance (shorter sessions, a
slower increase, a shorter course, a longer break), never one beyond these limits.
"""

from __future__ import annotations

import attrs

from herniarules.i18n.markers import N_
from herniarules.params import check_ranges, whole

__all__ = [
    "BREAK_DAYS",
    "COURSE_SESSIONS",
    "DAILY_INCREMENT_MINUTES",
    "FIRST_SESSION_MINUTES",
    "MAX_SESSION_MINUTES",
    "NO_PRESSURE",
    "HoneyParameters",
]

#: "You need to start the course in a few minutes": 3 to 10 minutes, 5 by default.
FIRST_SESSION_MINUTES = (3, 10)
#: Minutes added each day. The source asks for a gradual increase from the first day
#: without a figure; 5 minutes a day reaches the longest session within a week, and a
#: clinic may lengthen more slowly (down to 1 minute a day), never faster.
DAILY_INCREMENT_MINUTES = (1, 5)
#: Longest session. The source caps hernia massage at "from 30 minutes to an hour" for the
#: full classic massage; honey massage is its preliminary stage plus "a light massage" and
#: the tear-off, which irritates the skin, so it takes the lower bound of that range, 30
#: minutes, as its ceiling.
MAX_SESSION_MINUTES = 30
#: "The course of massage activities should be carried out from ten to twenty days." The
#: source gives no separate course for honey massage, so it uses this one.
COURSE_SESSIONS = (10, 20)
#: "Then a break of two to three months is necessary": 60 to 90 days.
BREAK_DAYS = (60, 90)
#: "all movements should be smooth and soft. Pressing on problem areas and using forceful
#: techniques is unacceptable."
NO_PRESSURE = N_(
    "none: smooth, soft movements; no pressing on problem areas, no forceful techniques"
)


def _pressure(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value != NO_PRESSURE:
        raise ValueError(f"pressure must be {NO_PRESSURE!r} as the source requires, got {value!r}")


@attrs.frozen
class HoneyParameters:
    """Parameters of a honey massage course: a short first session that lengthens daily."""

    first_session_minutes: int = attrs.field(default=5, validator=whole(*FIRST_SESSION_MINUTES))
    """Length of the first session, in minutes ("a few minutes")."""
    daily_increment_minutes: int = attrs.field(default=5, validator=whole(*DAILY_INCREMENT_MINUTES))
    """Minutes added to each session over the one before, until the longest session."""
    max_session_minutes: int = attrs.field(
        default=MAX_SESSION_MINUTES,
        validator=whole(FIRST_SESSION_MINUTES[0], MAX_SESSION_MINUTES),
    )
    """Longest session, in minutes."""
    course_sessions_min: int = attrs.field(
        default=COURSE_SESSIONS[0], validator=whole(*COURSE_SESSIONS)
    )
    """Fewest sessions (days) in a course."""
    course_sessions_max: int = attrs.field(
        default=COURSE_SESSIONS[1], validator=whole(*COURSE_SESSIONS)
    )
    """Most sessions (days) in a course."""
    break_days: int = attrs.field(default=BREAK_DAYS[0], validator=whole(*BREAK_DAYS))
    """Break after a course before the next one, in days."""
    pressure: str = attrs.field(default=NO_PRESSURE, validator=_pressure)
    """Pressure allowed: none."""

    def __attrs_post_init__(self) -> None:
        check_ranges(
            self,
            ("first_session_minutes", "max_session_minutes"),
            ("course_sessions_min", "course_sessions_max"),
        )

    def session_minutes(self, number: int) -> int:
        """Return the length of session ``number`` (1-based): the first, lengthened daily."""
        if number < 1:
            raise ValueError(f"session number must be 1 or more, got {number}")
        grown = self.first_session_minutes + (number - 1) * self.daily_increment_minutes
        return min(grown, self.max_session_minutes)
