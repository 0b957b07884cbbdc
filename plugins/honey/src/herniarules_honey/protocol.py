"""The honey massage protocol and its course: a short first session, lengthening daily."""

from __future__ import annotations

from datetime import date, timedelta

import attrs

from herniarules import CoursePlan, Facts, Policy, Protocol, ProtocolFacts, ProtocolStep, Session
from herniarules.i18n.markers import N_
from herniarules_honey.parameters import HoneyParameters

__all__ = ["honey_protocol", "plan_honey_course"]


def honey_protocol(facts: ProtocolFacts, parameters: HoneyParameters) -> Protocol:
    """Return the honey massage protocol for the patient described by ``facts``."""
    pressure = parameters.pressure
    steps = (
        ProtocolStep(
            "warm-up",
            N_(
                "As in classic massage, warm up the surface of the skin: stroking and light "
                "rubbing movements with the hands, without force."
            ),
            pressure=pressure,
        ),
        ProtocolStep(
            N_("honey application"),
            N_("After the warming movements, apply honey to the damaged area in a thick layer."),
        ),
        ProtocolStep(
            N_("light massage"),
            N_(
                "Perform a light massage; all movements are smooth and soft, with no pressing on "
                "problem areas and no forceful techniques."
            ),
            pressure=pressure,
        ),
        ProtocolStep(
            N_("palm tear-off"),
            N_(
                "When most of the honey has been absorbed and only a sticky layer remains, apply "
                "the palm to the sticky area and quickly tear it off the skin."
            ),
            pressure=pressure,
        ),
    )
    return Protocol(
        technique="honey",
        steps=steps,
        session_minutes=(parameters.first_session_minutes, parameters.max_session_minutes),
        course_sessions=(parameters.course_sessions_min, parameters.course_sessions_max),
        pressure=pressure,
        avoid=(
            N_("pressing on problem areas"),
            N_("forceful techniques"),
        ),
        notes=(
            N_(
                "Start the course with a {first}-minute session and lengthen it by {step} "
                "minutes a day up to {longest} minutes."
            ).format(
                first=parameters.first_session_minutes,
                step=parameters.daily_increment_minutes,
                longest=parameters.max_session_minutes,
            ),
            N_("Honey massage cannot be performed for large hernias."),
            N_(
                "The source does not describe the finish; remaining honey is usually wiped off "
                "with a warm damp towel."
            ),
        ),
        parameters=attrs.asdict(parameters),
    )


def plan_honey_course(
    facts: Facts, parameters: HoneyParameters, protocol: Protocol, start: date, policy: Policy
) -> CoursePlan:
    """Return the fewest sessions of the protocol, one a day, each longer than the last.

    The first session lasts ``first_session_minutes``; each later one adds
    ``daily_increment_minutes`` until ``max_session_minutes``. The next course may start
    ``break_days`` after the last session.
    """
    count = protocol.course_sessions[0]
    sessions = tuple(
        Session(
            number=number,
            date=start + timedelta(days=number - 1),
            minutes=parameters.session_minutes(number),
        )
        for number in range(1, count + 1)
    )
    return CoursePlan(
        technique=protocol.technique,
        patient_id=facts.patient_id,
        sessions=sessions,
        next_course_earliest=sessions[-1].date + timedelta(days=parameters.break_days),
        notes=(
            f"The course may be extended to {protocol.course_sessions[1]} daily sessions.",
            f"A break of {parameters.break_days} days follows the course; a repeated course is "
            "prescribed by the attending physician.",
        ),
    )
