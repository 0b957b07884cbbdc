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
"""

from __future__ import annotations

from herniarules.i18n.markers import N_
from herniarules.outcomes import Outcome
from herniarules.rules import Always, Rule

__all__ = [
    "APPROVAL_PASSAGE",
    "APPROVAL_SECTION",
    "FURTHER_TYPES_PASSAGE",
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
