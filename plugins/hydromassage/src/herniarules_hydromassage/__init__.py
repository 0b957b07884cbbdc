"""Hydromassage (underwater shower massage) for patients with an intervertebral disc hernia.

The patient lies in a bath of warm water while a jet of water from a hose, held under water
at a distance from the skin, massages the muscles around the spine. The clinical source names
hydromassage among the further types of massage for a hernia and requires a doctor's approval
for them: "Other types of massage can be used in combination with the main ones; their use
must be approved by a doctor." So every patient needs a recorded clearance for
``hydromassage``; the core safety rules still apply, and a clearance never lifts a deferral or
a contraindication.

The source gives no session time, course length, water temperature or jet pressure for
hydromassage; the defaults below are clinical convention, and a clinic may only tighten them.
Courses run every other day, so this plugin lays out its own course plan.
"""

from __future__ import annotations

from datetime import date

import attrs

from herniarules import (
    CodeRange,
    CodeSystem,
    CoursePlan,
    F,
    Facts,
    Outcome,
    Policy,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Rule,
    Technique,
    ValueSet,
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
from herniarules.courses import default_plan
from herniarules.i18n.markers import N_
from herniarules.params import SessionCourse, check_ranges, number, share, whole

__all__ = [
    "APPROVAL_PASSAGE",
    "OPEN_WOUND",
    "TECHNIQUE_ID",
    "HydromassageParameters",
    "herniarules_rules",
    "herniarules_techniques",
    "herniarules_value_sets",
    "hydromassage_protocol",
    "plan_hydromassage_course",
]

__version__ = "0.2.0"

TECHNIQUE_ID = "hydromassage"
#: Concept of an open wound anywhere on the body, set by :data:`OPEN_WOUND_CODES`.
OPEN_WOUND = "open-wound"

# Clinical convention for underwater shower massage: water at 35-37 °C.
WATER_C = (35.0, 37.0)
# Jets of 1-4 atm are used in general; over the back of a patient with a disc hernia only
# the gentle end, in keeping with the source's "absence of pressure or force".
MAX_JET_PRESSURE_ATM = 2.0


@attrs.frozen
class HydromassageParameters(SessionCourse):
    """Procedure parameters of underwater shower massage, with conventional defaults.

    A clinic may pass a stricter instance (shorter or fewer procedures, a narrower water
    temperature window, a gentler jet, more days between procedures) but cannot loosen them.
    """

    #: Clinical convention for underwater shower massage: procedures of 10-20 minutes.
    SESSION_MINUTES = (10.0, 20.0)
    #: Clinical convention: a course of 10-15 procedures, every other day.
    COURSE_SESSIONS = (10, 15)

    water_temperature_c_min: float = attrs.field(default=WATER_C[0], validator=number(*WATER_C))
    """Coolest bath water, in °C (clinical convention: 35)."""
    water_temperature_c_max: float = attrs.field(default=WATER_C[1], validator=number(*WATER_C))
    """Warmest bath water, in °C (clinical convention: 37)."""
    jet_pressure_atm_max: float = attrs.field(
        default=MAX_JET_PRESSURE_ATM, validator=number(0.5, MAX_JET_PRESSURE_ATM)
    )
    """Strongest jet, in atmospheres (clinical convention: at most 2 over the back)."""
    spacing_days: int = attrs.field(default=2, validator=whole(2, 7))
    """Days from one procedure to the next (clinical convention: every other day)."""

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        check_ranges(self, ("water_temperature_c_min", "water_temperature_c_max"))


def hydromassage_protocol(facts: ProtocolFacts, parameters: HydromassageParameters) -> Protocol:
    """Build the underwater shower massage procedure, within ``parameters``."""
    longest = parameters.session_minutes_max
    low, high = parameters.water_temperature_c_min, parameters.water_temperature_c_max
    atm = f"{parameters.jet_pressure_atm_max:g}"
    steps = (
        ProtocolStep(
            N_("immersion"),
            N_(
                "The patient lies in the bath at {low}-{high} °C and rests to let the muscles "
                "relax."
            ).format(low=f"{low:g}", high=f"{high:g}"),
            minutes=share(longest, 0.25),
            pressure=N_("none"),
        ),
        ProtocolStep(
            N_("underwater jet massage"),
            N_(
                "A jet of at most {atm} atm, held under water 15-20 cm from the skin, is moved "
                "slowly along the muscles on both sides of the spine, from the lower back "
                "upwards, then over the buttocks and the legs towards the trunk; never along "
                "the spine itself."
            ).format(atm=atm),
            repetitions=N_("3-4 passes per area"),
            minutes=share(longest, 0.6),
            pressure=N_("gentle jet, at most {atm} atm").format(atm=atm),
        ),
        ProtocolStep(
            N_("rest"),
            N_("The patient rests in the bath with the jet off, then rises slowly."),
            minutes=share(longest, 0.15),
            pressure=N_("none"),
        ),
    )
    return further_type_protocol(
        TECHNIQUE_ID,
        parameters,
        steps,
        pressure=N_("gentle water jet, at most {atm} atm, no force").format(atm=atm),
        avoid=(
            N_("directing the jet at the spinous processes (the vertebrae themselves)"),
            N_("directing the jet at the level of the hernia"),
            N_("the heart area, the groin and the genitals"),
        ),
        notes=(N_("Procedures every {days} days.").format(days=parameters.spacing_days),),
    )


def plan_hydromassage_course(
    facts: Facts,
    parameters: HydromassageParameters,
    protocol: Protocol,
    start: date,
    policy: Policy,
) -> CoursePlan:
    """Lay the course out with ``parameters.spacing_days`` between procedures.

    The next course may start ``policy.min_course_break_days`` after the last procedure.
    """
    plan = default_plan(
        protocol,
        facts.patient_id,
        start,
        policy.min_course_break_days,
        spacing_days=parameters.spacing_days,
    )
    return CoursePlan(
        technique=plan.technique,
        patient_id=plan.patient_id,
        sessions=plan.sessions,
        next_course_earliest=plan.next_course_earliest,
        notes=(f"Procedures every {parameters.spacing_days} days.",),
    )


TECHNIQUE = Technique(
    id=TECHNIQUE_ID,
    name=N_("Hydromassage"),
    description=(
        N_(
            "Underwater shower massage: in a warm bath, a gentle jet of water held under water at "
            "a distance from the skin massages the muscles beside the spine, the buttocks and the "
            "legs, never the spine itself. Used in combination with a main technique (classic, "
            "honey or vacuum massage) and only with a doctor's approval."
        )
    ),
    source=FURTHER_TYPES_PASSAGE,
    # Warm water and a soft jet relax the paravertebral muscles and improve the blood supply;
    # the jet is kept too gentle to claim decompression or muscle strengthening.
    indications=("muscle-relaxation", "circulation"),
    parameters=HydromassageParameters(),
    protocol=hydromassage_protocol,
    plan_course=plan_hydromassage_course,
)


@hookimpl
def herniarules_techniques() -> list[Technique]:
    """Declare the hydromassage technique."""
    return [TECHNIQUE]


@hookimpl
def herniarules_value_sets() -> list[ValueSet]:
    """Map open wounds to the ``open-wound`` concept."""
    who = frozenset({CodeSystem.ICD10})
    regions = ("S01", "S11", "S21", "S31", "S41", "S51", "S61", "S71", "S81", "S91")
    return [
        ValueSet(
            OPEN_WOUND,
            "Open wounds",
            (
                *(CodeRange(code) for code in regions),
                CodeRange("T01", systems=who),
                CodeRange("T14.1", systems=who),
            ),
            "clinical convention: bath procedures are not given over open wounds, which the "
            "water would expose to infection; open wounds of each body region (S01, S11 ... "
            "S91) and, in WHO ICD-10, of several or unspecified regions (T01, T14.1).",
            "hydromassage.open-wound",
        )
    ]


@hookimpl
def herniarules_rules(policy: Policy) -> list[Rule]:
    """Return the rules of hydromassage: a doctor's approval, and no bath over open wounds."""
    only = frozenset({TECHNIQUE_ID})
    return [
        physician_approval_rule(TECHNIQUE_ID, N_("Hydromassage")),
        Rule(
            "hydromassage.open-wound",
            N_("Open wound"),
            F.concepts.contains(OPEN_WOUND),
            Outcome.DEFER,
            N_(
                "Hydromassage waits until open wounds have healed: bath water exposes them to "
                "infection."
            ),
            "clinical convention: water procedures are deferred while open wounds heal; the "
            "source adds that " + INDIVIDUAL_PASSAGE,
            INDIVIDUAL_SECTION,
            techniques=only,
        ),
    ]
