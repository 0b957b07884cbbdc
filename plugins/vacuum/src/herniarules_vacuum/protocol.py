"""The vacuum massage protocol and its course."""

from __future__ import annotations

from datetime import date, timedelta

import attrs

from herniarules import CoursePlan, Facts, Policy, Protocol, ProtocolFacts, ProtocolStep, Session
from herniarules.i18n.markers import N_
from herniarules_vacuum.parameters import VacuumParameters

__all__ = ["plan_vacuum_course", "vacuum_protocol"]

_MEANS = {"cups": "cups (air drawn out with fire)", "device": "a vacuum-massage device"}


def _or(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def vacuum_protocol(facts: ProtocolFacts, parameters: VacuumParameters) -> Protocol:
    """Return the vacuum massage protocol for the patient described by ``facts``."""
    draw = f"{parameters.max_skin_draw_cm:g} cm"
    steps = (
        ProtocolStep(
            "glide",
            f"Apply {parameters.glide_agent} along both sides of the spine so the cups glide.",
        ),
        ProtocolStep(
            N_("placing the cups"),
            f"Place {parameters.cups} cups symmetrically to each other either side of the "
            f"spinal column, using {_or(tuple(_MEANS[m] for m in parameters.cupping))}; the "
            f"skin drawn into a cup must not exceed {draw}.",
            pressure=f"vacuum drawing the skin in no more than {draw}",
        ),
        ProtocolStep(
            N_("moving the cups"),
            f"Move the cups along the spine in {_or(parameters.paths)} paths from the lower "
            "back to the cervical region and back down, without touching the vertebrae.",
            pressure=f"vacuum drawing the skin in no more than {draw}",
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
        pressure=f"vacuum only: skin drawn in no more than {draw}",
        avoid=(
            N_("the vertebrae and spinous processes: cups never pass over the spine itself"),
            f"drawing the skin in more than {draw}",
        ),
        notes=(
            N_(
                "Session length and course follow cupping practice; the source gives none for "
                "vacuum massage."
            ),
            f"Sessions every {parameters.interval_days} days so the skin recovers from the "
            "suction marks.",
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
