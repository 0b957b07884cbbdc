"""Kinesio taping for patients with an intervertebral disc hernia: an example herniarules plugin.

Written only against the public herniarules API. The core safety kernel decides first; this
plugin can only add restrictions and, for a permitted patient, describe how to tape.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from attrs import validators as v

from herniarules import (
    CodeRange,
    CodeSystem,
    F,
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
from herniarules.i18n.markers import N_

__all__ = [
    "KINESIO",
    "TECHNIQUE_ID",
    "KinesioParameters",
    "herniarules_rules",
    "herniarules_techniques",
    "herniarules_value_sets",
    "kinesio_protocol",
]

__version__ = "0.2.0"

TECHNIQUE_ID = "kinesio"
DIABETES = "diabetes-mellitus"
#: Allergy concepts the engine derives from the substances taping bring to the skin.
ADHESIVE_ALLERGIES = ("allergy-adhesive", "allergy-acrylic", "allergy-latex")
_CONVENTION = (
    "clinical convention: kinesio taping is not described by the herniarules clinical source; "
)


@attrs.frozen
class KinesioParameters:
    """Session parameters a clinic may make stricter."""

    tension_percent: int = attrs.field(
        default=25, validator=[v.instance_of(int), v.ge(0), v.le(25)]
    )
    """Stretch of the tape over the muscle, percent of its resting length; at most 25 %."""
    wear_days: int = attrs.field(default=3, validator=[v.instance_of(int), v.ge(1), v.le(3)])
    """Days one application stays on the skin; at most 3."""


def kinesio_protocol(facts: ProtocolFacts, params: KinesioParameters) -> Protocol:
    """Describe one taping application for a permitted patient.

    The protocol reads only the patient's age and hernia regions (``reads`` below), so the
    engine builds it once for every patient who shares them.
    """
    fragile = facts.age >= 75
    regions = ", ".join(sorted(facts.hernia_regions)) or "lower back"
    steps = [
        ProtocolStep(N_("Skin preparation"), N_("Clean and dry the skin; clip hair if needed.")),
        ProtocolStep(
            N_("Test strip"),
            N_("Apply a 5 cm strip away from the spine and check the skin after 24 hours."),
        )
        if fragile
        else None,
        ProtocolStep(
            N_("Paravertebral I-strips"),
            N_(
                "Two I-strips either side of the spine over the {regions} segment, patient "
                "in flexion, anchors without tension."
            ).format(regions=regions),
            repetitions="2",
            pressure=N_("{percent}% tension").format(percent=params.tension_percent),
        ),
        ProtocolStep(N_("Activation"), N_("Rub the tape for 10 seconds to activate the adhesive.")),
        ProtocolStep(
            N_("Removal"),
            N_(
                "After at most {days} days, peel slowly along the hair growth, holding the skin."
            ).format(days=params.wear_days),
        ),
    ]
    return Protocol(
        technique=TECHNIQUE_ID,
        steps=tuple(step for step in steps if step is not None),
        session_minutes=(10.0, 20.0),
        course_sessions=(3, 6),
        pressure=N_("light: tape at {percent}% tension or less").format(
            percent=params.tension_percent
        ),
        avoid=(N_("broken or irritated skin"), N_("the spinous processes")),
        notes=(N_("Remove at once if the skin itches or burns."),),
        parameters=attrs.asdict(params),
    )


KINESIO = Technique(
    id=TECHNIQUE_ID,
    name=N_("Kinesio taping"),
    description=N_(
        "Elastic therapeutic tape applied along the paravertebral muscles over the "
        "affected segment, to support the muscles and relieve pain between massage sessions."
    ),
    source=_CONVENTION + "paravertebral I-strips at light tension, as in kinesiology taping "
    "manuals for low back and neck pain.",
    indications=("pain-relief", "muscle-weakness", "muscle-relaxation"),
    parameters=KinesioParameters(),
    protocol=kinesio_protocol,
    reads=("age", "hernia_regions"),
)


@hookimpl
def herniarules_techniques() -> Sequence[Technique]:
    """Declare kinesio taping."""
    return [KINESIO]


@hookimpl
def herniarules_value_sets() -> Sequence[ValueSet]:
    """Add diabetes mellitus, which slows skin healing under adhesive tape."""
    return [
        ValueSet(
            concept=DIABETES,
            title="Diabetes mellitus",
            codes=(
                CodeRange("E10", "E14", frozenset({CodeSystem.ICD10})),
                CodeRange("E08", "E13", frozenset({CodeSystem.ICD10_CM})),
            ),
            source=_CONVENTION + "diabetes mellitus (WHO E10–E14, ICD-10-CM E08–E13) "
            "impairs skin sensation and healing under adhesive.",
            id="kinesio.diabetes",
        )
    ]


@hookimpl
def herniarules_rules(policy: Policy) -> Sequence[Rule]:
    """Declare the precautions of kinesio taping."""
    only = frozenset({TECHNIQUE_ID})
    return [
        Rule(
            "kinesio.adhesive-allergy",
            N_("Allergy to tape adhesive"),
            F.concepts.contains_any(*ADHESIVE_ALLERGIES),
            Outcome.CONTRAINDICATED,
            N_("An allergy to adhesive, acrylic or latex is recorded; tape must not be applied."),
            _CONVENTION + "allergy to the tape's acrylic adhesive is a contraindication.",
            techniques=only,
        ),
        Rule(
            "kinesio.diabetes",
            N_("Diabetes mellitus"),
            F.concepts.contains(DIABETES),
            Outcome.REQUIRES_CLEARANCE,
            N_(
                "Diabetes slows skin healing under adhesive tape; a physician should approve "
                "taping."
            ),
            _CONVENTION + "diabetes is a precaution for adhesive taping.",
            techniques=only,
        ),
        Rule(
            "kinesio.fragile-skin-age",
            N_("Fragile skin in old age"),
            F.age >= 75,
            Outcome.ALLOWED_WITH_MODIFICATIONS,
            N_("Skin is fragile at this age: apply a test strip first and remove the tape slowly."),
            _CONVENTION + "fragile skin in old age is a precaution for adhesive taping.",
            techniques=only,
        ),
        Rule(
            "kinesio.large-hernia",
            N_("Large hernia"),
            F.has_hernia.is_true() & (F.max_hernia_size_mm >= 10),
            Outcome.REQUIRES_CLEARANCE,
            N_(
                "With a hernia of 10 mm or more, taping supports but does not replace treatment; "
                "the attending physician should approve it."
            ),
            _CONVENTION + "taping is an adjunct; large hernias need the physician's plan.",
            techniques=only,
        ),
    ]
