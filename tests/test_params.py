"""The shared parameter validators: bounds inclusive, bool refused, min above max refused."""

from __future__ import annotations

import attrs
import pytest

from herniarules.params import SessionCourse, check_ranges, minutes, number, whole


@attrs.frozen
class Sample:
    """A parameter class shaped like a plugin's, with small limits that are easy to cross."""

    session_minutes_min: float = attrs.field(default=10.0, validator=minutes(15))
    session_minutes_max: float = attrs.field(default=15.0, validator=minutes(15))
    course_sessions_min: int = attrs.field(default=10, validator=whole(1, 12))
    course_sessions_max: int = attrs.field(default=12, validator=whole(1, 12))
    temperature_c: float = attrs.field(default=36.0, validator=number(35.0, 37.0))

    def __attrs_post_init__(self) -> None:
        check_ranges(
            self,
            ("session_minutes_min", "session_minutes_max"),
            ("course_sessions_min", "course_sessions_max"),
        )


def test_the_defaults_are_accepted() -> None:
    assert Sample().session_minutes_max == 15.0


# minutes: above 0, at most the limit.


@pytest.mark.parametrize("value", [15, 15.0, 0.5, 1])
def test_minutes_accepts_up_to_and_including_the_limit(value: float) -> None:
    assert Sample(session_minutes_min=value).session_minutes_min == value


@pytest.mark.parametrize("value", [15.01, 16, 0, 0.0, -1])
def test_minutes_rejects_zero_and_beyond_the_limit(value: float) -> None:
    with pytest.raises(ValueError, match="session_minutes_min"):
        Sample(session_minutes_min=value)


@pytest.mark.parametrize("value", [True, False])
def test_minutes_rejects_bool(value: bool) -> None:
    with pytest.raises(TypeError, match=r"session_minutes_min must be a number, got (True|False)"):
        Sample(session_minutes_min=value)


def test_minutes_rejects_a_string() -> None:
    with pytest.raises(TypeError):
        Sample(session_minutes_min="10")


# whole: an int from the floor to the ceiling.


@pytest.mark.parametrize("value", [1, 12])
def test_whole_accepts_both_bounds(value: int) -> None:
    assert Sample(course_sessions_min=value, course_sessions_max=12).course_sessions_min == value


@pytest.mark.parametrize("value", [0, 13])
def test_whole_rejects_just_beyond_the_bounds(value: int) -> None:
    with pytest.raises(ValueError, match="course_sessions_max"):
        Sample(course_sessions_min=1, course_sessions_max=value)


def test_whole_rejects_a_float_even_when_whole() -> None:
    with pytest.raises(TypeError):
        Sample(course_sessions_max=12.0)


def test_whole_rejects_bool() -> None:
    # True == 1 would pass the range check, so only the bool check stops it.
    with pytest.raises(TypeError, match="course_sessions_min must be a number, got True"):
        Sample(course_sessions_min=True)


# number: from at_least to at_most, both inclusive.


@pytest.mark.parametrize("value", [35, 35.0, 37, 37.0])
def test_number_accepts_both_bounds(value: float) -> None:
    assert Sample(temperature_c=value).temperature_c == value


@pytest.mark.parametrize("value", [34.99, 37.01])
def test_number_rejects_just_beyond_the_bounds(value: float) -> None:
    with pytest.raises(ValueError, match="temperature_c"):
        Sample(temperature_c=value)


def test_number_rejects_bool() -> None:
    with pytest.raises(TypeError, match="temperature_c must be a number"):
        Sample(temperature_c=True)


# check_ranges: each minimum at most its maximum.


def test_check_ranges_accepts_equal_bounds() -> None:
    sample = Sample(session_minutes_min=12, session_minutes_max=12)
    assert sample.session_minutes_min == sample.session_minutes_max


def test_check_ranges_rejects_minutes_min_above_max_with_the_message() -> None:
    with pytest.raises(ValueError) as raised:
        Sample(session_minutes_min=15.0, session_minutes_max=12.5)
    assert str(raised.value) == "session_minutes_min (15) exceeds session_minutes_max (12.5)"


def test_check_ranges_rejects_sessions_min_above_max_with_the_message() -> None:
    with pytest.raises(ValueError) as raised:
        Sample(course_sessions_min=12, course_sessions_max=11)
    assert str(raised.value) == "course_sessions_min (12) exceeds course_sessions_max (11)"


def test_check_ranges_reports_the_first_pair_that_fails() -> None:
    with pytest.raises(ValueError, match=r"^session_minutes_min"):
        Sample(
            session_minutes_min=15,
            session_minutes_max=10,
            course_sessions_min=12,
            course_sessions_max=11,
        )


def test_check_ranges_with_no_pairs_accepts_anything() -> None:
    check_ranges(object())


def test_check_ranges_on_a_missing_attribute_fails_loudly() -> None:
    with pytest.raises(AttributeError):
        check_ranges(object(), ("low", "high"))


# SessionCourse: a subclass names its limits once; they are its defaults and its ceilings.


@attrs.frozen
class Course(SessionCourse):
    """A parameter class on SessionCourse, with one field of its own and a range of its own."""

    SESSION_MINUTES = (10.0, 15.0)
    COURSE_SESSIONS = (10, 12)

    temperature_c_min: float = attrs.field(default=35.0, validator=number(35.0, 37.0))
    temperature_c_max: float = attrs.field(default=37.0, validator=number(35.0, 37.0))

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        check_ranges(self, ("temperature_c_min", "temperature_c_max"))


def test_session_course_defaults_are_its_limits_and_the_fields_come_first() -> None:
    course = Course()
    assert attrs.asdict(course) == {
        "session_minutes_min": 10.0,
        "session_minutes_max": 15.0,
        "course_sessions_min": 10,
        "course_sessions_max": 12,
        "temperature_c_min": 35.0,
        "temperature_c_max": 37.0,
    }
    assert (course.session_range, course.course_range) == ((10.0, 15.0), (10, 12))


def test_session_course_accepts_what_a_clinic_may_tighten() -> None:
    strict = Course(session_minutes_min=0.5, session_minutes_max=8, course_sessions_min=1)
    assert (strict.session_range, strict.course_range) == ((0.5, 8), (1, 12))
    assert attrs.evolve(strict) == strict


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"session_minutes_max": 15.5}, ValueError, "session_minutes_max"),
        ({"session_minutes_min": 0}, ValueError, "session_minutes_min"),
        ({"session_minutes_min": True}, TypeError, "session_minutes_min must be a number"),
        ({"session_minutes_max": "15"}, TypeError, "session_minutes_max"),
        ({"course_sessions_max": 13}, ValueError, "course_sessions_max"),
        ({"course_sessions_min": 0}, ValueError, "course_sessions_min"),
        ({"course_sessions_min": 10.0}, TypeError, "course_sessions_min"),
        ({"course_sessions_min": True}, TypeError, "course_sessions_min must be a number"),
    ],
)
def test_session_course_refuses_values_beyond_its_limits(
    changes: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Course(**changes)  # type: ignore[arg-type]


def test_session_course_checks_its_ranges_then_the_subclass_its_own() -> None:
    with pytest.raises(ValueError) as raised:
        Course(session_minutes_min=12, session_minutes_max=11)
    assert str(raised.value) == "session_minutes_min (12) exceeds session_minutes_max (11)"
    with pytest.raises(ValueError) as raised:
        Course(course_sessions_min=12, course_sessions_max=11)
    assert str(raised.value) == "course_sessions_min (12) exceeds course_sessions_max (11)"
    with pytest.raises(ValueError, match=r"^temperature_c_min \(37\) exceeds"):
        Course(temperature_c_min=37.0, temperature_c_max=36.0)


def test_session_course_itself_cannot_be_built() -> None:
    with pytest.raises(TypeError, match="base class"):
        SessionCourse()


@pytest.mark.parametrize(
    "limits",
    [
        {"SESSION_MINUTES": (10.0, 15.0)},  # no course
        {"COURSE_SESSIONS": (10, 12)},  # no session
        {"SESSION_MINUTES": (15.0, 10.0), "COURSE_SESSIONS": (10, 12)},  # not ordered
        {"SESSION_MINUTES": (0, 10.0), "COURSE_SESSIONS": (10, 12)},  # not positive
        {"SESSION_MINUTES": (10.0, 15.0), "COURSE_SESSIONS": (10, 12.5)},  # not whole
        {"SESSION_MINUTES": (10.0, 15.0), "COURSE_SESSIONS": (True, 12)},  # a bool
        {"SESSION_MINUTES": [10.0, 15.0], "COURSE_SESSIONS": (10, 12)},  # not a pair
        {"SESSION_MINUTES": (10.0, 12.0, 15.0), "COURSE_SESSIONS": (10, 12)},
    ],
)
def test_a_subclass_with_missing_or_malformed_limits_is_refused(limits: dict[str, object]) -> None:
    with pytest.raises(TypeError, match="must be a pair"):
        type("Broken", (SessionCourse,), dict(limits))
