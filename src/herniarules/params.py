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
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
from attrs import validators as v

__all__ = ["Validator", "check_ranges", "minutes", "number", "share", "whole"]

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
