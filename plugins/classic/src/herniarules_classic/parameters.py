"""Session parameters of classic massage, with the clinical source's values as limits.

Every field defaults to the source's value. A clinic may pass a stricter instance to the
engine (shorter sessions, a shorter course, fewer repetitions, a longer break), never one
outside the source's limits: such an instance cannot be constructed.
"""

from __future__ import annotations

from typing import Any

import attrs

from herniarules.i18n.markers import N_

__all__ = [
    "BREAK_DAYS",
    "COURSE_SESSIONS",
    "NO_PRESSURE",
    "REPETITIONS",
    "SESSION_MINUTES",
    "ClassicParameters",
]

#: "The total massage time is from 30 minutes to an hour."
SESSION_MINUTES = (30, 60)
#: "The course of massage activities should be carried out from ten to twenty days."
COURSE_SESSIONS = (10, 20)
#: "Movements can be performed 3-4 times."
REPETITIONS = (3, 4)
#: "Then a break of two to three months is necessary": 60 to 90 days.
BREAK_DAYS = (60, 90)
#: "the softness of movements, the absence of pressure or force during massage manipulations"
NO_PRESSURE = N_("none: soft movements without pressure or force")


def _within(limits: tuple[int, int], what: str) -> Any:
    low, high = limits

    def check(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{attribute.name} must be a whole number, got {value!r}")
        if not low <= value <= high:
            raise ValueError(
                f"{attribute.name} must stay within the source's {what} of {low}-{high}, "
                f"got {value}"
            )

    return check


def _pressure(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    # The source allows no pressure at all, so there is nothing stricter to choose.
    if value != NO_PRESSURE:
        raise ValueError(f"pressure must be {NO_PRESSURE!r} as the source requires, got {value!r}")


@attrs.frozen
class ClassicParameters:
    """Parameters of a classic massage session and course.

    Each ``*_min`` / ``*_max`` pair is a range inside the source's limits, with the minimum
    not above the maximum; the defaults are the source's full range.
    """

    session_minutes_min: int = attrs.field(
        default=SESSION_MINUTES[0], validator=_within(SESSION_MINUTES, "session length (minutes)")
    )
    """Shortest session, in minutes."""
    session_minutes_max: int = attrs.field(
        default=SESSION_MINUTES[1], validator=_within(SESSION_MINUTES, "session length (minutes)")
    )
    """Longest session, in minutes."""
    course_sessions_min: int = attrs.field(
        default=COURSE_SESSIONS[0], validator=_within(COURSE_SESSIONS, "course length (sessions)")
    )
    """Fewest sessions (days) in a course."""
    course_sessions_max: int = attrs.field(
        default=COURSE_SESSIONS[1], validator=_within(COURSE_SESSIONS, "course length (sessions)")
    )
    """Most sessions (days) in a course."""
    repetitions_min: int = attrs.field(
        default=REPETITIONS[0], validator=_within(REPETITIONS, "repetitions per move")
    )
    """Fewest repetitions of each main move."""
    repetitions_max: int = attrs.field(
        default=REPETITIONS[1], validator=_within(REPETITIONS, "repetitions per move")
    )
    """Most repetitions of each main move."""
    pressure: str = attrs.field(default=NO_PRESSURE, validator=_pressure)
    """Pressure allowed during the massage: none."""
    break_days_min: int = attrs.field(
        default=BREAK_DAYS[0], validator=_within(BREAK_DAYS, "break between courses (days)")
    )
    """Shortest break after a course before the next one, in days."""
    break_days_max: int = attrs.field(
        default=BREAK_DAYS[1], validator=_within(BREAK_DAYS, "break between courses (days)")
    )
    """Longest break the source names, in days."""

    def __attrs_post_init__(self) -> None:
        for name in ("session_minutes", "course_sessions", "repetitions", "break_days"):
            low, high = getattr(self, f"{name}_min"), getattr(self, f"{name}_max")
            if low > high:
                raise ValueError(f"{name}_min ({low}) must not be above {name}_max ({high})")

    @property
    def repetitions(self) -> str:
        """Return the repetitions per move as text: ``"3-4"``, or ``"3"`` for a single value."""
        if self.repetitions_min == self.repetitions_max:
            return str(self.repetitions_min)
        return f"{self.repetitions_min}-{self.repetitions_max}"
