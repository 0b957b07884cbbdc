"""The vacuum massage protocol and its course."""

from __future__ import annotations

from datetime import date, timedelta

import attrs

from herniarules import CoursePlan, Facts, Policy, Protocol, ProtocolFacts, ProtocolStep, Session
from herniarules.i18n.markers import N_
from herniarules_vacuum.parameters import VacuumParameters

__all__ = ["plan_vacuum_course", "vacuum_protocol"]

_MEANS = {"cups": N_("cups (air drawn out with fire)"), "device": N_("a vacuum-massage device")}
#: The words of the parameters, as the steps name them.
PARAMETER_WORDS: tuple[str, ...] = (
    N_("straight"),
    N_("wavy"),
    N_("zigzag"),
    N_("ointment or cream"),
    N_("ointment"),
    N_("cream"),
)


def _or(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def vacuum_protocol(facts: ProtocolFacts, parameters: VacuumParameters) -> Protocol:
    """Return the vacuum massage protocol for the patient described by ``facts``."""
    cm = f"{parameters.max_skin_draw_cm:g}"
    suction = N_("vacuum drawing the skin in no more than {cm} cm").format(cm=cm)
    steps = (
        ProtocolStep(
            N_("glide"),
            N_("Apply {agent} along both sides of the spine so the cups glide.").format(
                agent=parameters.glide_agent
            ),
        ),
        ProtocolStep(
            N_("placing the cups"),
            N_(
                "Place {cups} cups symmetrically to each other either side of the spinal "
                "column, using {means}; the skin drawn into a cup must not exceed {cm} cm."
            ).format(
                cups=parameters.cups,
                means=_or(tuple(_MEANS[m] for m in parameters.cupping)),
                cm=cm,
            ),
            pressure=suction,
        ),
        ProtocolStep(
            N_("moving the cups"),
            N_(
                "Move the cups along the spine in {paths} paths from the lower back to the "
                "cervical region and back down, without touching the vertebrae."
            ).format(paths=_or(parameters.paths)),
            pressure=suction,
        ),
        ProtocolStep(
            N_("removing the cups"),
            N_(
                "Release the vacuum before lifting each cup off the skin (cupping practice; the "
                "source does not describe the finish)."
            ),
        ),
    )
    return Protocol(
        technique="vacuum",
        steps=steps,
        session_minutes=(parameters.session_minutes_min, parameters.session_minutes_max),
        course_sessions=(parameters.course_sessions_min, parameters.course_sessions_max),
        pressure=N_("vacuum only") + ": " + N_("skin drawn in no more than {cm} cm").format(cm=cm),
        avoid=(
            N_("the vertebrae and spinous processes: cups never pass over the spine itself"),
            N_("drawing the skin in more than {cm} cm").format(cm=cm),
        ),
        notes=(
            N_(
                "Session length and course follow cupping practice; the source gives none for "
                "vacuum massage."
            ),
            N_("Sessions every {days} days so the skin recovers from the suction marks.").format(
                days=parameters.interval_days
            ),
        ),
        parameters=attrs.asdict(parameters),
    )


def plan_vacuum_course(
    facts: Facts, parameters: VacuumParameters, protocol: Protocol, start: date, policy: Policy
) -> CoursePlan:
    """Return the fewest sessions of the protocol, ``interval_days`` apart.

    The first session is the shortest, to see how the skin takes the vacuum; the rest are
    the longest. The next course may start ``break_days`` after the last session.
    """
    first, longest = protocol.session_minutes
    sessions = tuple(
        Session(
            number=number,
            date=start + timedelta(days=(number - 1) * parameters.interval_days),
            minutes=first if number == 1 else longest,
        )
        for number in range(1, protocol.course_sessions[0] + 1)
    )
    return CoursePlan(
        technique=protocol.technique,
        patient_id=facts.patient_id,
        sessions=sessions,
        next_course_earliest=sessions[-1].date + timedelta(days=parameters.break_days),
        notes=(
            f"The first session is {first:g} minutes to see how the skin takes the vacuum.",
            f"A break of {parameters.break_days} days follows the course; a repeated course "
            "is prescribed by the attending physician.",
        ),
    )
