"""Segmental-reflex massage for patients with an intervertebral disc hernia.

Segmental-reflex massage works the skin, connective tissue and muscles of the paravertebral
zones innervated by the spinal segments of the affected region, to act reflexly on the
tissues those segments supply. The clinical source names "segmental" massage among the
further types for a hernia and requires a doctor's approval for them: "Other types of massage
can be used in combination with the main ones; their use must be approved by a doctor." So
every patient needs a recorded clearance for ``segmental``; the core safety rules still
apply, and a clearance never lifts a deferral or a contraindication.

The source gives no session time or course length for segmental massage; the defaults below
are clinical convention, and a clinic may only shorten or reduce them.
"""

from __future__ import annotations

import attrs

from herniarules import Policy, Protocol, ProtocolFacts, ProtocolStep, Rule, Technique, hookimpl
from herniarules.approval import (
    APPROVAL_PASSAGE,
    FURTHER_TYPES_PASSAGE,
    further_type_protocol,
    physician_approval_rule,
)
from herniarules.i18n.markers import N_
from herniarules.params import SessionCourse, share

__all__ = [
    "APPROVAL_PASSAGE",
    "TECHNIQUE_ID",
    "SegmentalParameters",
    "herniarules_rules",
    "herniarules_techniques",
    "segmental_protocol",
]

__version__ = "0.2.0"

TECHNIQUE_ID = "segmental"


@attrs.frozen
class SegmentalParameters(SessionCourse):
    """Session parameters of segmental-reflex massage, with conventional defaults.

    Each upper bound is the conventional maximum; a clinic may pass a stricter instance
    (shorter sessions, fewer sessions) but cannot exceed the defaults.
    """

    #: Clinical convention for segmental-reflex massage sessions: 15-20 minutes.
    SESSION_MINUTES = (15.0, 20.0)
    #: Clinical convention for a segmental-reflex massage course: 8-12 sessions.
    COURSE_SESSIONS = (8, 12)


# Reflex zones per hernia region, by clinical convention (segments of the region and the
# neighbouring ones whose zones overlap it).
_SEGMENTS = {
    "cervical": N_("cervical and upper thoracic segments (C3-C7, T1-T4)"),
    "thoracic": N_("thoracic segments (T1-T12)"),
    "lumbar": N_("lower thoracic, lumbar and sacral segments (T10-T12, L1-L5, S1-S3)"),
    "lumbosacral": N_("lower thoracic, lumbar and sacral segments (T10-T12, L1-L5, S1-S5)"),
}


def _segments(facts: ProtocolFacts) -> str:
    regions = sorted(facts.hernia_regions)
    if not regions:
        return N_("the segments of the area the massage is sought for")
    return "; ".join(_SEGMENTS[r] for r in regions if r in _SEGMENTS)


def segmental_protocol(facts: ProtocolFacts, parameters: SegmentalParameters) -> Protocol:
    """Build the segmental-reflex massage session for ``facts``, within ``parameters``."""
    longest = parameters.session_minutes_max
    zones = _segments(facts)
    steps = (
        ProtocolStep(
            N_("planar stroking"),
            N_("Planar stroking of the whole back, without force, to warm the skin."),
            minutes=share(longest, 0.15),
            pressure=N_("none"),
        ),
        ProtocolStep(
            N_("rubbing of the reflex zones"),
            N_(
                "Rubbing of the paravertebral zones of the {zones}, from the lower segments "
                "upwards and from the periphery towards the spine."
            ).format(zones=zones),
            minutes=share(longest, 0.3),
            pressure=N_("light"),
        ),
        ProtocolStep(
            N_("drilling"),
            N_(
                "Small circular movements with the finger pads beside the spinous processes, "
                "segment by segment from below upwards, without pressing on the vertebrae."
            ),
            repetitions=N_("3-4 passes"),
            minutes=share(longest, 0.2),
            pressure=N_("light"),
        ),
        ProtocolStep(
            N_("shifting of the tissues"),
            N_(
                "Shifting and gentle stretching of the paravertebral soft tissues towards the "
                "spine."
            ),
            minutes=share(longest, 0.2),
            pressure=N_("light"),
        ),
        ProtocolStep(
            N_("closing stroking"),
            N_("Stroking of the back from the lower segments upwards."),
            minutes=share(longest, 0.15),
            pressure=N_("none"),
        ),
    )
    return further_type_protocol(
        TECHNIQUE_ID,
        parameters,
        steps,
        pressure=N_("light, no force"),
        avoid=(
            N_("pressure on the spinous processes (the vertebrae themselves)"),
            N_("deep or forceful techniques over the level of the hernia"),
        ),
        notes=(
            N_("Reflex reactions (dizziness, palpitations, sharp pain) mean the session stops."),
        ),
    )


TECHNIQUE = Technique(
    id=TECHNIQUE_ID,
    name=N_("Segmental-reflex massage"),
    description=(
        N_(
            "Massage of the paravertebral reflex zones of the spinal segments that supply the "
            "affected area, worked from the lower segments upwards with stroking, rubbing, gentle "
            "drilling and shifting of the tissues. Used in combination with a main technique "
            "(classic, honey or vacuum massage) and only with a doctor's approval."
        )
    ),
    source=FURTHER_TYPES_PASSAGE,
    # Reflex work on the segment's zones is used for radicular pain and to improve the blood
    # supply of the segment; it does not strengthen weak muscles or decompress the disc.
    indications=("pain-relief", "circulation"),
    parameters=SegmentalParameters(),
    protocol=segmental_protocol,
    reads=("hernia_regions",),
)


@hookimpl
def herniarules_techniques() -> list[Technique]:
    """Declare the segmental-reflex massage technique."""
    return [TECHNIQUE]


@hookimpl
def herniarules_rules(policy: Policy) -> list[Rule]:
    """Return the rules of segmental-reflex massage: a doctor's approval.

    The general contraindications of segmental-reflex massage are those of massage, which
    the core rules already cover; no further rule is added without a clear basis.
    """
    return [
        physician_approval_rule(
            TECHNIQUE_ID, N_("Segmental-reflex massage"), N_("segmental massage")
        ),
    ]
