"""Session parameters of vacuum (cupping) massage.

The source fixes the cups (two, symmetric), the skin draw-in (no more than two centimetres),
the paths (straight, wavy or zigzag), the means (cups or a device) and the glide agent
(ointments and creams). It gives no session length or course for this technique; those
defaults follow cupping-massage practice and say so. A clinic may pass a stricter instance,
never one beyond these limits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import attrs

from herniarules.params import check_ranges, whole

__all__ = [
    "BREAK_DAYS",
    "COURSE_SESSIONS",
    "CUPPING",
    "GLIDE_AGENTS",
    "INTERVAL_DAYS",
    "MAX_SKIN_DRAW_CM",
    "PATHS",
    "SESSION_MINUTES",
    "VacuumParameters",
]

#: "The level of skin sucked into the jar should not exceed two centimeters".
MAX_SKIN_DRAW_CM = 2.0
#: "in straight, wavy or zigzag paths".
PATHS = ("straight", "wavy", "zigzag")
#: "either using cans or with the help of special devices".
CUPPING = ("cups", "device")
#: "it is permissible to use ointments and creams".
GLIDE_AGENTS = ("ointment or cream", "ointment", "cream")
#: Session length in minutes, cupping practice: a short first session (5 minutes) to see how
#: the skin takes the vacuum, then up to 15 minutes for the back.
SESSION_MINUTES = (5, 15)
#: Sessions in a course, cupping practice: 10-15.
COURSE_SESSIONS = (10, 15)
#: Days from one session to the next, cupping practice: every other day, so the skin
#: recovers from the suction marks; a clinic may space sessions further, up to a week.
INTERVAL_DAYS = (2, 7)
#: "Then a break of two to three months is necessary": 60 to 90 days.
BREAK_DAYS = (60, 90)


def _two_cups(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    # "As a rule, two cans are used, which are placed symmetrically to each other relative to
    # the spinal column": symmetry needs exactly two.
    if isinstance(value, bool) or value != 2:
        raise ValueError(
            f"cups must be 2, placed symmetrically either side of the spine, got {value!r}"
        )


def _skin_draw(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise TypeError(f"max_skin_draw_cm must be a number, got {value!r}")
    if not 0 < value <= MAX_SKIN_DRAW_CM:
        raise ValueError(
            f"max_skin_draw_cm must be above 0 and at most {MAX_SKIN_DRAW_CM:g} cm, got {value:g}"
        )


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        raise TypeError(f"expected a sequence of names, got the string {value!r}")
    return tuple(value)


def _subset_of(allowed: tuple[str, ...]) -> Any:
    def check(
        instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
    ) -> None:
        if not value:
            raise ValueError(f"{attribute.name} must name at least one of {', '.join(allowed)}")
        unknown = [item for item in value if item not in allowed]
        if unknown:
            raise ValueError(
                f"{attribute.name} may only contain {', '.join(allowed)}, "
                f"got {', '.join(map(repr, unknown))}"
            )
        if len(set(value)) != len(value):
            raise ValueError(f"{attribute.name} names an item twice: {value!r}")

    return check


def _glide(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in GLIDE_AGENTS:
        raise ValueError(f"glide_agent must be one of {', '.join(GLIDE_AGENTS)}, got {value!r}")


@attrs.frozen
class VacuumParameters:
    """Parameters of a vacuum (cupping) massage session and course."""

    cups: int = attrs.field(default=2, validator=_two_cups)
    """Number of cups: two, symmetric either side of the spine."""
    max_skin_draw_cm: float = attrs.field(default=MAX_SKIN_DRAW_CM, validator=_skin_draw)
    """Most skin drawn into a cup, in centimetres (at most 2)."""
    paths: tuple[str, ...] = attrs.field(
        default=PATHS, converter=_str_tuple, validator=_subset_of(PATHS)
    )
    """Paths the cups follow: straight, wavy and/or zigzag."""
    cupping: tuple[str, ...] = attrs.field(
        default=CUPPING, converter=_str_tuple, validator=_subset_of(CUPPING)
    )
    """How the vacuum is made: cups and/or a device."""
    glide_agent: str = attrs.field(default=GLIDE_AGENTS[0], validator=_glide)
    """What is put on the skin so the cups glide."""
    session_minutes_min: int = attrs.field(
        default=SESSION_MINUTES[0], validator=whole(*SESSION_MINUTES)
    )
    """Length of the first session, in minutes."""
    session_minutes_max: int = attrs.field(
        default=SESSION_MINUTES[1], validator=whole(*SESSION_MINUTES)
    )
    """Longest session, in minutes."""
    course_sessions_min: int = attrs.field(
        default=COURSE_SESSIONS[0], validator=whole(*COURSE_SESSIONS)
    )
    """Fewest sessions in a course."""
    course_sessions_max: int = attrs.field(
        default=COURSE_SESSIONS[1], validator=whole(*COURSE_SESSIONS)
    )
    """Most sessions in a course."""
    interval_days: int = attrs.field(default=INTERVAL_DAYS[0], validator=whole(*INTERVAL_DAYS))
    """Days from one session to the next."""
    break_days: int = attrs.field(default=BREAK_DAYS[0], validator=whole(*BREAK_DAYS))
    """Break after a course before the next one, in days."""

    def __attrs_post_init__(self) -> None:
        check_ranges(
            self,
            ("session_minutes_min", "session_minutes_max"),
            ("course_sessions_min", "course_sessions_max"),
        )
