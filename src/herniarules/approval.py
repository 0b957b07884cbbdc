"""The further types of massage: each needs a doctor's approval, recorded as a clearance.

The clinical source names further types of massage besides the main ones ("acupressure,
segmental, and hydromassage") and makes every one of them subject to a doctor's approval:
"Other types of massage can be used in combination with the main ones; their use must be
approved by a doctor." A plugin for such a technique declares that rule with
:func:`physician_approval_rule`; a recorded, valid clearance for the technique satisfies it,
and nothing else does::

    @hookimpl
    def herniarules_rules(policy):
        return [physician_approval_rule("acupressure", "Acupressure"), ...]

Such a technique is used beside a main one, gently, and the source gives it no session time or
course: its parameters subclass :class:`herniarules.params.SessionCourse` with conventional
limits, and :func:`further_type_protocol` builds its protocol with what every further type
states (the ranges of the parameters, the source's softness passage after the pressure, the
note that it goes with a main technique and needs a doctor's approval).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from herniarules.i18n.markers import N_
from herniarules.outcomes import Outcome, Protocol, ProtocolStep
from herniarules.params import SessionCourse
from herniarules.rules import Always, Rule

__all__ = [
    "APPROVAL_PASSAGE",
    "APPROVAL_SECTION",
    "COMBINATION_NOTE",
    "FURTHER_TYPES_PASSAGE",
    "INDIVIDUAL_PASSAGE",
    "INDIVIDUAL_SECTION",
    "SOFTNESS_PASSAGE",
    "further_type_protocol",
    "physician_approval_rule",
]

#: The passage that makes every further type of massage subject to a doctor's approval.
APPROVAL_PASSAGE = (
    "Other types of massage can be used in combination with the main ones; their use must be "
    "approved by a doctor."
)
#: The section of the clinical source the approval passage stands in.
APPROVAL_SECTION = "Vacuum massage"
#: The passage that names the further types of massage.
FURTHER_TYPES_PASSAGE = (
    "In addition, there is a vacuum massage, which is aimed at nourishing the disc and a rush "
    "of blood to the damaged area, acupressure, segmental, and hydromassage."
)
#: The passage that asks for soft movements without pressure or force; a further type's
#: protocol states it after its pressure.
SOFTNESS_PASSAGE = N_(
    "A special feature of massage for a herniated lumbar vertebra is the softness of movements, "
    "the absence of pressure or force during massage manipulations."
)
#: The passage that leaves a technique's own contraindications to the specialist: the basis a
#: further type's rule of clinical convention cites.
INDIVIDUAL_PASSAGE = (
    "Each disease method may have specific contraindications, which a specialist usually warns "
    "about before starting the course."
)
#: The section of the clinical source the individual-contraindications passage stands in.
INDIVIDUAL_SECTION = "Indications and contraindications"
#: The note every further type's protocol starts its notes with.
COMBINATION_NOTE = N_(
    "Used in combination with a main technique (classic, honey or vacuum massage); its use must "
    "be approved by a doctor."
)


def physician_approval_rule(technique_id: str, name: str, clearance_name: str = "") -> Rule:
    """Return the rule ``<technique_id>.physician-approval``: always *requires clearance*.

    :param technique_id: the technique the rule applies to, and the clearance it asks for.
    :param name: the technique's name at the start of a sentence, e.g. ``"Acupressure"``.
    :param clearance_name: how the message names the clearance to record; default ``name``
        in lower case.
    """
    return Rule(
        f"{technique_id}.physician-approval",
        N_("{name} needs a doctor's approval").format(name=name),
        Always(),
        Outcome.REQUIRES_CLEARANCE,
        N_(
            "{name} is one of the further types of massage; its use must be approved by a "
            "doctor. Record the doctor's clearance for {clearance}."
        ).format(name=name, clearance=clearance_name or name.lower()),
        APPROVAL_PASSAGE,
        APPROVAL_SECTION,
        techniques=frozenset({technique_id}),
    )


def further_type_protocol(
    technique_id: str,
    parameters: SessionCourse,
    steps: Sequence[ProtocolStep],
    *,
    pressure: str,
    avoid: Sequence[str],
    notes: Sequence[str] = (),
) -> Protocol:
    """Return the protocol of a further type of massage.

    The session and course ranges are those of ``parameters``, its ``parameters`` field their
    :func:`attrs.asdict`; the pressure is ``pressure`` followed by :data:`SOFTNESS_PASSAGE`;
    the notes are :data:`COMBINATION_NOTE` followed by ``notes``.

    :param technique_id: the technique the protocol is for.
    :param parameters: the parameters in force.
    :param steps: the session's steps, in order.
    :param pressure: the pressure allowed, e.g. ``"light, no force"``.
    :param avoid: the areas and actions to avoid.
    :param notes: the technique's own notes.
    """
    return Protocol(
        technique=technique_id,
        steps=tuple(steps),
        session_minutes=parameters.session_range,
        course_sessions=parameters.course_range,
        pressure=pressure + ": " + SOFTNESS_PASSAGE,
        avoid=tuple(avoid),
        notes=(COMBINATION_NOTE, *notes),
        parameters=attrs.asdict(parameters),
    )
