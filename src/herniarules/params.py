"""Validators for a plugin's parameter class: limits a clinic may tighten but never exceed.

A technique's parameters are a frozen attrs class whose defaults are the source's (or the
convention's) limits. These validators keep each field inside them, and :func:`check_ranges`
keeps every ``*_min`` field at or below its ``*_max``::

    @attrs.frozen
    class KinesioParameters:
        wear_minutes_min: float = attrs.field(default=10.0, validator=minutes(20))
        wear_minutes_max: float = attrs.field(default=20.0, validator=minutes(20))
        course_sessions: int = attrs.field(default=5, validator=whole(1, 5))

        def __attrs_post_init__(self) -> None:
            check_ranges(self, ("wear_minutes_min", "wear_minutes_max"))

Every validator refuses ``bool``: it is a subclass of ``int``, and ``True`` minutes or
sessions is always a mistake.

A technique given as sessions of some minutes in a course of some sessions can subclass
:class:`SessionCourse` instead of declaring those four fields itself: it names its limits,
which are also its defaults, and declares only its own fields::

    @attrs.frozen
    class AcupressureParameters(SessionCourse):
        SESSION_MINUTES = (10.0, 15.0)
        COURSE_SESSIONS = (10, 12)

        seconds_per_point: int = attrs.field(default=60, validator=whole(10, 60))
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import attrs
from attrs import validators as v

__all__ = [
    "SessionCourse",
    "Validator",
    "check_ranges",
    "minutes",
    "number",
    "share",
    "whole",
]

#: An attrs field validator: called with the instance, the attribute and the value; raises.
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], Any]


def _not_bool(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    # bool is an int subclass, so instance_of(int) alone would let True through as 1.
    if isinstance(value, bool):
        raise TypeError(f"{attribute.name} must be a number, got {value!r}")


def minutes(at_most: float) -> Validator:
    """Return a validator for a duration: a number above 0 and at most ``at_most``.

    :param at_most: the longest duration allowed, inclusive.
    :raises TypeError: (from the validator) if the value is a bool or not an int or float.
    :raises ValueError: (from the validator) if the value is 0 or less, or above ``at_most``.
    """
    return v.and_(_not_bool, v.instance_of((int, float)), v.gt(0), v.le(at_most))


def number(at_least: float, at_most: float) -> Validator:
    """Return a validator for a number from ``at_least`` to ``at_most``, both inclusive.

    :param at_least: the smallest value allowed.
    :param at_most: the largest value allowed.
    :raises TypeError: (from the validator) if the value is a bool or not an int or float.
    :raises ValueError: (from the validator) if the value lies outside the bounds.
    """
    return v.and_(_not_bool, v.instance_of((int, float)), v.ge(at_least), v.le(at_most))


def whole(at_least: int, at_most: int) -> Validator:
    """Return a validator for a whole number from ``at_least`` to ``at_most``, both inclusive.

    :param at_least: the smallest value allowed.
    :param at_most: the largest value allowed.
    :raises TypeError: (from the validator) if the value is a bool or not an int.
    :raises ValueError: (from the validator) if the value lies outside the bounds.
    """
    return v.and_(_not_bool, v.instance_of(int), v.ge(at_least), v.le(at_most))


def _show(value: object) -> str:
    # Floats without a trailing ".0" (10.0 reads "10"); whole numbers as written.
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_ranges(instance: object, *pairs: tuple[str, str]) -> None:
    """Check that each ``(low, high)`` pair of attributes of ``instance`` has low ≤ high.

    Call it from ``__attrs_post_init__``, after the field validators have run.

    :param instance: the parameters object.
    :param pairs: attribute names, each as ``(name of the minimum, name of the maximum)``.
    :raises ValueError: for the first pair whose minimum exceeds its maximum, e.g.
        ``session_minutes_min (15) exceeds session_minutes_max (12)``.
    """
    for low_name, high_name in pairs:
        low = getattr(instance, low_name)
        high = getattr(instance, high_name)
        if low > high:
            raise ValueError(f"{low_name} ({_show(low)}) exceeds {high_name} ({_show(high)})")


def share(total: float, fraction: float) -> float:
    """Return ``fraction`` of ``total`` minutes, rounded down to a half minute.

    For the minutes of a protocol's steps: rounding down keeps the steps from adding up to
    more than the session.
    """
    return math.floor(total * fraction * 2) / 2


def _session_minutes(instance: SessionCourse, attribute: attrs.Attribute[Any], value: Any) -> None:
    minutes(type(instance).SESSION_MINUTES[1])(instance, attribute, value)


def _course_sessions(instance: SessionCourse, attribute: attrs.Attribute[Any], value: Any) -> None:
    whole(1, type(instance).COURSE_SESSIONS[1])(instance, attribute, value)


def _check_limits(cls: type[SessionCourse]) -> None:
    """Refuse a subclass whose limits are missing or not ordered pairs of positive numbers."""
    for name, kinds in (("SESSION_MINUTES", (int, float)), ("COURSE_SESSIONS", (int,))):
        limits = getattr(cls, name, None)
        if (
            not isinstance(limits, tuple)
            or len(limits) != 2
            or any(isinstance(x, bool) or not isinstance(x, kinds) for x in limits)
            or not 0 < limits[0] <= limits[1]
        ):
            raise TypeError(
                f"{cls.__qualname__}.{name} must be a pair (least, most) of positive "
                f"{'numbers' if name == 'SESSION_MINUTES' else 'whole numbers'}, the lower "
                f"not above the higher; got {limits!r}"
            )


@attrs.frozen
class SessionCourse:
    """Base of a parameters class given in sessions of minutes and a course of sessions.

    A subclass sets two class attributes, each a pair ``(default minimum, limit)``:

    - ``SESSION_MINUTES``: the session length in minutes. Its second value is the longest
      session any clinic may set; the pair is the default range.
    - ``COURSE_SESSIONS``: the course length in sessions, likewise.

    A clinic may pass a stricter instance (shorter or fewer sessions, down to a session above
    0 minutes and a course of 1 session) but cannot exceed the limits, and a minimum above its
    maximum is refused with a :class:`ValueError` naming both fields. A subclass that defines
    ``__attrs_post_init__`` calls ``super().__attrs_post_init__()`` first.

    :raises TypeError: when a subclass is defined without both limits, or with limits that are
        not ordered pairs of positive numbers (whole numbers for the course).
    """

    SESSION_MINUTES: ClassVar[tuple[float, float]]
    COURSE_SESSIONS: ClassVar[tuple[int, int]]

    session_minutes_min: float = attrs.field(
        default=attrs.Factory(lambda self: type(self).SESSION_MINUTES[0], takes_self=True),
        validator=_session_minutes,
    )
    """Shortest session, in minutes."""
    session_minutes_max: float = attrs.field(
        default=attrs.Factory(lambda self: type(self).SESSION_MINUTES[1], takes_self=True),
        validator=_session_minutes,
    )
    """Longest session, in minutes."""
    course_sessions_min: int = attrs.field(
        default=attrs.Factory(lambda self: type(self).COURSE_SESSIONS[0], takes_self=True),
        validator=_course_sessions,
    )
    """Fewest sessions in a course."""
    course_sessions_max: int = attrs.field(
        default=attrs.Factory(lambda self: type(self).COURSE_SESSIONS[1], takes_self=True),
        validator=_course_sessions,
    )
    """Most sessions in a course."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _check_limits(cls)

    def __attrs_pre_init__(self) -> None:
        if type(self) is SessionCourse:
            raise TypeError("SessionCourse is a base class: subclass it with its limits")

    def __attrs_post_init__(self) -> None:
        check_ranges(
            self,
            ("session_minutes_min", "session_minutes_max"),
            ("course_sessions_min", "course_sessions_max"),
        )

    @property
    def session_range(self) -> tuple[float, float]:
        """Return ``(session_minutes_min, session_minutes_max)``, as a protocol states it."""
        return (self.session_minutes_min, self.session_minutes_max)

    @property
    def course_range(self) -> tuple[int, int]:
        """Return ``(course_sessions_min, course_sessions_max)``, as a protocol states it."""
        return (self.course_sessions_min, self.course_sessions_max)
