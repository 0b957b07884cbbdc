"""Acupressure (point massage) for patients with an intervertebral disc hernia.

The clinical source names acupressure among the further types of massage for a hernia and
requires a doctor's approval for them: "Other types of massage can be used in combination
with the main ones; their use must be approved by a doctor." So every patient needs a recorded
clearance for ``acupressure``; the core safety rules still apply, and a clearance never lifts
a deferral or a contraindication.

The source gives no session time or course length for acupressure; the defaults below are
clinical convention, and a clinic may only shorten or reduce them.
"""

from __future__ import annotations

import attrs

from herniarules import (
    Concept,
    F,
    Outcome,
    Policy,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Rule,
    Technique,
    hookimpl,
)
from herniarules.approval import (
    APPROVAL_PASSAGE,
    FURTHER_TYPES_PASSAGE,
    INDIVIDUAL_PASSAGE,
    INDIVIDUAL_SECTION,
    further_type_protocol,
    physician_approval_rule,
)
from herniarules.i18n.markers import N_
from herniarules.params import SessionCourse, share, whole

__all__ = [
    "APPROVAL_PASSAGE",
    "TECHNIQUE",
    "TECHNIQUE_ID",
    "AcupressureParameters",
    "acupressure_protocol",
    "herniarules_rules",
    "herniarules_techniques",
]

__version__ = "0.2.0"

TECHNIQUE_ID = "acupressure"


@attrs.frozen
class AcupressureParameters(SessionCourse):
    """Session parameters of acupressure, with conventional defaults.

    Each upper bound is the conventional maximum; a clinic may pass a stricter instance
    (shorter sessions, fewer sessions) but cannot exceed the defaults.
    """

    #: Clinical convention for acupressure sessions: 10-15 minutes.
    SESSION_MINUTES = (10.0, 15.0)
    #: Clinical convention for an acupressure course: 10-12 sessions.
    COURSE_SESSIONS = (10, 12)

    seconds_per_point: int = attrs.field(default=60, validator=whole(10, 60))
    """Longest sustained pressure on one point, in seconds (clinical convention: 30-60)."""


_ZONES = {
    "cervical": N_("neck and shoulder girdle (paravertebral points C3-T2)"),
    "thoracic": N_("between the shoulder blades (paravertebral points T1-T12)"),
    "lumbar": N_("lower back and buttocks (paravertebral points T12-S1, gluteal points)"),
    "lumbosacral": N_(
        "lower back, sacrum and buttocks (paravertebral points L1-S2, gluteal points)"
    ),
}


def _zones(facts: ProtocolFacts) -> str:
    regions = sorted(facts.hernia_regions)
    if not regions:
        return N_("the back, paravertebral points of the area the massage is sought for")
    return "; ".join(_ZONES[r] for r in regions if r in _ZONES)


def acupressure_protocol(facts: ProtocolFacts, parameters: AcupressureParameters) -> Protocol:
    """Build the acupressure session for ``facts``, within ``parameters``."""
    longest = parameters.session_minutes_max
    steps = (
        ProtocolStep(
            N_("warm-up"),
            N_("Stroking and light rubbing of the back with the hands, without force."),
            minutes=share(longest, 0.2),
            pressure=N_("none"),
        ),
        ProtocolStep(
            N_("point pressure"),
            N_(
                "Work the points of {zones}: thumb or fingertip pad on the point, slow circular "
                "movements, pressure built up and eased gradually, at most {seconds} s per "
                "point; the patient should feel no more than a dull ache, never sharp or "
                "radiating pain."
            ).format(zones=_zones(facts), seconds=parameters.seconds_per_point),
            repetitions=N_("each point 1-3 times"),
            minutes=share(longest, 0.65),
            pressure=N_("gentle to moderate, on the points only"),
        ),
        ProtocolStep(
            N_("closing"),
            N_("Stroking of the worked area."),
            minutes=share(longest, 0.15),
            pressure=N_("none"),
        ),
    )
    return further_type_protocol(
        TECHNIQUE_ID,
        parameters,
        steps,
        pressure=N_("gentle to moderate point pressure, no force"),
        avoid=(
            N_("pressure on the spinous processes (the vertebrae themselves)"),
            N_("pressure directly over the level of the hernia"),
            N_("points over moles, scars or damaged skin"),
        ),
        notes=(N_("Stop a point at once if pain becomes sharp or radiates into a limb."),),
    )


TECHNIQUE = Technique(
    id=TECHNIQUE_ID,
    name=N_("Acupressure"),
    description=(
        N_(
            "Point massage: sustained, gentle finger pressure with slow circular movements on "
            "paravertebral points near the affected segment, after a warming stroke. Used in "
            "combination with a main technique (classic, honey or vacuum massage) and only with a "
            "doctor's approval."
        )
    ),
    source=FURTHER_TYPES_PASSAGE,
    # Point pressure eases local muscle spasm and pain; it does not decompress or nourish the
    # disc, so the source's compression and disc-nutrition indications are not claimed.
    indications=("pain-relief", "muscle-relaxation"),
    parameters=AcupressureParameters(),
    protocol=acupressure_protocol,
    reads=("hernia_regions",),
)


@hookimpl
def herniarules_techniques() -> list[Technique]:
    """Declare the acupressure technique."""
    return [TECHNIQUE]


@hookimpl
def herniarules_rules(policy: Policy) -> list[Rule]:
    """Return the rules of acupressure: a doctor's approval, and care with anticoagulants."""
    only = frozenset({TECHNIQUE_ID})
    return [
        physician_approval_rule(TECHNIQUE_ID, N_("Acupressure")),
        Rule(
            "acupressure.anticoagulant-therapy",
            N_("Point pressure under anticoagulant or antiplatelet therapy"),
            F.concepts.contains(Concept.ANTICOAGULANT_THERAPY),
            Outcome.REQUIRES_CLEARANCE,
            N_(
                "Sustained point pressure can cause bruising under anticoagulant or antiplatelet "
                "therapy; the approving doctor should weigh it and may limit pressure."
            ),
            "clinical convention: sustained digital pressure is a recognised cause of bruising "
            "in anticoagulated patients; the source adds that " + INDIVIDUAL_PASSAGE,
            INDIVIDUAL_SECTION,
            techniques=only,
        ),
    ]
