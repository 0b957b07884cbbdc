"""The safety kernel: the clinical source's general rules, applied to every technique.

Every rule here quotes the passage of the clinical source it implements (``source``) and names
the section it is in (``section``). Where the source leaves a threshold open (what is
"severe" pain, what is a raised temperature, which blood pressure is "high"), :class:`Policy`
holds a default from clinical convention; a clinic may make it stricter, never looser.
"""

from __future__ import annotations

import attrs

from herniarules.outcomes import Outcome
from herniarules.rules import F, Rule
from herniarules.terminology import Concept

__all__ = ["DEFAULT_POLICY", "Policy", "PolicyError", "core_rules"]

RULES_SECTION = "At what stages can massage be done?"
CONTRA_SECTION = "Contraindications to the use of massage for hernia"
INDICATIONS_SECTION = "Indications and contraindications"
CLASSIC_SECTION = "Classic massage"
VACUUM_SECTION = "Vacuum massage"


class PolicyError(ValueError):
    """Raised when a policy threshold is looser than the default or out of range."""


def _stricter(limit: float, *, lower_is_stricter: bool, floor: float, ceiling: float):  # type: ignore[no-untyped-def]
    def check(instance: Policy, attribute: attrs.Attribute[float], value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PolicyError(f"{attribute.name} must be a number, got {value!r}")
        if not floor <= value <= ceiling:
            raise PolicyError(
                f"{attribute.name} must be between {floor:g} and {ceiling:g}, got {value:g}"
            )
        looser = value > limit if lower_is_stricter else value < limit
        if looser:
            direction = "at most" if lower_is_stricter else "at least"
            raise PolicyError(
                f"{attribute.name} may only be made stricter: must be {direction} {limit:g}, "
                f"got {value:g}"
            )

    return check


@attrs.frozen
class Policy:
    """Thresholds the source leaves open, with defaults from clinical convention.

    Each can only be moved towards caution: a lower pain score, a lower temperature, a lower
    blood-pressure grade, a longer break between courses.
    """

    severe_pain_score: int = attrs.field(
        default=7, validator=_stricter(7, lower_is_stricter=True, floor=1, ceiling=10)
    )
    """NRS-11 score from which pain is "severe": 7-10 is severe by the WHO/IASP convention for
    the 0-10 numeric rating scale (1-3 mild, 4-6 moderate, 7-10 severe)."""
    residual_pain_max: int = attrs.field(
        default=3, validator=_stricter(3, lower_is_stricter=True, floor=0, ceiling=10)
    )
    """Highest NRS-11 score that still counts as "pain syndromes eliminated": mild residual
    pain (1-3) is accepted, as in back-pain rehabilitation protocols; 0 is the strictest."""
    raised_temperature_c: float = attrs.field(
        default=37.5, validator=_stricter(37.5, lower_is_stricter=True, floor=36.6, ceiling=42)
    )
    """Body temperature from which massage is deferred: 37.5 °C, the upper bound of normal
    axillary temperature in Russian and European practice (fever proper starts at 38.0 °C;
    the source forbids massage in "increased body temperature" too)."""
    deferring_bp_grade: int = attrs.field(
        default=2, validator=_stricter(2, lower_is_stricter=True, floor=1, ceiling=3)
    )
    """ESC/ESH 2018 office blood-pressure grade from which massage is deferred: grade 2
    (≥ 160/100 mmHg) mirrors the source's "hypertension of the second or third stage"."""
    min_course_break_days: int = attrs.field(
        default=60, validator=_stricter(60, lower_is_stricter=False, floor=60, ceiling=730)
    )
    """Days between the end of a course and the next one without physician clearance: the
    source's "break of two to three months", taking its lower bound (two months, 60 days)."""


DEFAULT_POLICY = Policy()


def core_rules(policy: Policy = DEFAULT_POLICY) -> tuple[Rule, ...]:
    """Return the core safety rules, applied to every technique, under ``policy``."""
    severe = policy.severe_pain_score
    r = Rule
    C = Concept
    D, X = Outcome.DEFER, Outcome.CONTRAINDICATED
    return (
        # -- stage rules -------------------------------------------------------------------
        r(
            "core.acute-phase",
            "Acute stage of the hernia",
            F.phases.contains("acute"),
            D,
            "Massage is strictly forbidden in the acute stage of the disease.",
            "It is strictly forbidden to perform massage during the acute stage of the disease "
            "or exacerbation of the disease.",
            RULES_SECTION,
        ),
        r(
            "core.exacerbation",
            "Exacerbation of the hernia",
            F.phases.contains("exacerbation"),
            D,
            "Massage is strictly forbidden during an exacerbation of the disease.",
            "It is strictly forbidden to perform massage during the acute stage of the disease "
            "or exacerbation of the disease.",
            RULES_SECTION,
        ),
        r(
            "core.pain-not-eliminated",
            "Pain syndrome not yet eliminated",
            F.pain_score > policy.residual_pain_max,
            D,
            "Massage should be performed only after the pain syndrome has been eliminated.",
            "massage should be performed strictly after pain syndromes have been eliminated",
            RULES_SECTION,
        ),
        r(
            "core.severe-pain",
            "Severe pain",
            F.pain_score >= severe,
            D,
            "Massage is unacceptable during severe pain.",
            "during severe pain",
            CONTRA_SECTION,
        ),
        r(
            "core.inflammatory-process",
            "Inflammatory process",
            F.inflammatory_process.is_true(),
            D,
            "An inflammatory process prevents massage.",
            "the presence of an inflammatory process prevents massage manipulations",
            RULES_SECTION,
        ),
        r(
            "core.raised-temperature",
            "Raised body temperature or fever",
            F.temperature_c >= policy.raised_temperature_c,
            D,
            "Massage is forbidden during increased body temperature or fever.",
            "It is forbidden to massage during periods of increased body temperature, fever, "
            "or disturbances in the digestive tract.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.fever-diagnosis",
            "Fever recorded as a condition",
            F.concepts.contains(C.FEVER),
            D,
            "Massage is forbidden during fever.",
            "in the presence of an inflammatory process accompanied by high temperature",
            CONTRA_SECTION,
        ),
        r(
            "core.surgery-indicated",
            "Hernia requiring surgery",
            F.surgery_indicated.is_true(),
            D,
            "Massage helps with a hernia that does not require surgery; this hernia has an "
            "indication for surgery.",
            "Massage helps relieve pain in the presence of a hernia that does not require surgery.",
            RULES_SECTION,
        ),
        r(
            "core.disc-prolapsed",
            "Disc already prolapsed (extrusion or sequestration)",
            F.hernia_kinds.contains_any("extrusion", "sequestration"),
            Outcome.REQUIRES_CLEARANCE,
            "Massage is best in the initial stages, before the disc has prolapsed; with an "
            "extrusion or sequestration the doctor must weigh the degree of disc damage.",
            "It is best to perform a massage in the initial stages of an intervertebral hernia, "
            "when the disc has not yet prolapsed",
            RULES_SECTION,
        ),
        r(
            "core.post-surgical",
            "Rehabilitation after spinal surgery",
            F.phases.contains("post-surgical"),
            Outcome.REQUIRES_CLEARANCE,
            "Massage after surgery belongs to the rehabilitation period and needs the "
            "attending physician's approval.",
            "after the main treatment (effectively during the rehabilitation period after surgery)",
            RULES_SECTION,
        ),
        # -- blood pressure ----------------------------------------------------------------
        r(
            "core.high-blood-pressure",
            "High blood pressure at the visit",
            F.bp_grade >= policy.deferring_bp_grade,
            D,
            "Massage is dangerous with high blood pressure.",
            "High blood pressure.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.hypertension-stage-2-3",
            "Hypertension of the second or third stage",
            F.concepts.contains(C.HYPERTENSION_ORGAN_DAMAGE),
            X,
            "Massage is unacceptable with hypertension of the second or third stage.",
            "with hypertension of the second or third stage",
            CONTRA_SECTION,
        ),
        r(
            "core.hypertension",
            "Hypertension, stage not established",
            F.concepts.contains(C.HYPERTENSION),
            Outcome.REQUIRES_CLEARANCE,
            "Hypertension is recorded; massage is unacceptable at the second or third stage, "
            "so a physician must confirm the stage.",
            "with hypertension of the second or third stage",
            CONTRA_SECTION,
        ),
        # -- contraindicating conditions ---------------------------------------------------
        r(
            "core.pregnancy",
            "Pregnancy",
            F.pregnant.is_true(),
            D,
            "Massage for a hernia is not performed during pregnancy.",
            "during pregnancy; The period of bearing a baby.",
            CONTRA_SECTION,
        ),
        r(
            "core.thrombosis-tendency",
            "Tendency to thrombosis",
            F.concepts.contains(C.THROMBOSIS_TENDENCY),
            X,
            "Massage is unacceptable with a tendency to thrombosis.",
            "with a tendency to thrombosis",
            CONTRA_SECTION,
        ),
        r(
            "core.blood-disease",
            "Blood disease",
            F.concepts.contains(C.BLOOD_DISEASE),
            X,
            "Massage is unacceptable with a blood disease.",
            "with a blood disease",
            CONTRA_SECTION,
        ),
        r(
            "core.malignancy",
            "Cancer of any location",
            F.concepts.contains(C.MALIGNANCY),
            X,
            "Massage is unacceptable when oncological processes are present, in any location.",
            "upon detection of oncological processes in the body; The presence of cancer in "
            "the body of any location.",
            CONTRA_SECTION,
        ),
        r(
            "core.heart-dysfunction",
            "Heart dysfunction",
            F.concepts.contains(C.HEART_DYSFUNCTION),
            X,
            "Massage is unacceptable with disturbances in the functioning of the heart.",
            "in case of disturbances in the functioning of the heart",
            CONTRA_SECTION,
        ),
        r(
            "core.osteomyelitis",
            "Osteomyelitis",
            F.concepts.contains(C.OSTEOMYELITIS),
            X,
            "Massage is unacceptable with osteomyelitis.",
            "with osteomyelitis or bone tuberculosis",
            CONTRA_SECTION,
        ),
        r(
            "core.bone-tuberculosis",
            "Bone tuberculosis",
            F.concepts.contains(C.BONE_TUBERCULOSIS),
            X,
            "Massage is unacceptable with bone tuberculosis.",
            "with osteomyelitis or bone tuberculosis",
            CONTRA_SECTION,
        ),
        r(
            "core.purulent-skin-rash",
            "Inflammatory or purulent skin rash",
            F.concepts.contains(C.PURULENT_SKIN_RASH),
            D,
            "Massage is unacceptable with inflammatory or purulent rashes on the skin.",
            "in the presence of inflammatory or purulent rashes on the skin",
            CONTRA_SECTION,
        ),
        r(
            "core.skin-pathology",
            "Skin pathology",
            F.concepts.contains(C.SKIN_PATHOLOGY),
            D,
            "Massage is dangerous with pathologies of the skin.",
            "Pathologies of the skin.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.psychiatric-disorder",
            "Psychological disorder or disease",
            F.concepts.contains(C.PSYCHIATRIC_DISORDER),
            X,
            "Massage is dangerous with psychological disorders or diseases.",
            "Psychological disorders or diseases.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.varicose-veins",
            "Varicose veins (phlebeurysm)",
            F.concepts.contains(C.VARICOSE_VEINS),
            X,
            "Massage is dangerous with varicose veins.",
            "Phlebeurysm.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.exacerbated-chronic-disease",
            "Exacerbation of a chronic disease",
            F.exacerbated_conditions.not_empty(),
            D,
            "Massage is dangerous during an exacerbation of a chronic disease.",
            "Exacerbation of chronic diseases.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.urticaria-oedema",
            "Swelling or urticaria",
            F.concepts.contains(C.URTICARIA_OEDEMA),
            D,
            "Massage is dangerous with swelling or urticaria.",
            "Swelling or urticaria.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.infectious-disease",
            "Infectious disease",
            F.concepts.contains(C.INFECTIOUS_DISEASE),
            D,
            "Massage is dangerous with an infectious disease.",
            "Infectious diseases.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.digestive-disorder",
            "Disturbance of the digestive tract",
            F.concepts.contains(C.DIGESTIVE_DISORDER),
            D,
            "Massage is forbidden during disturbances in the digestive tract.",
            "It is forbidden to massage during periods of increased body temperature, fever, "
            "or disturbances in the digestive tract.",
            INDICATIONS_SECTION,
        ),
        # -- course rhythm -----------------------------------------------------------------
        r(
            "core.course-break",
            "Less than the break between courses",
            F.had_massage_course.is_true()
            & (F.days_since_last_course < policy.min_course_break_days),
            Outcome.REQUIRES_CLEARANCE,
            "A break of two to three months is needed after a course; a repeated course sooner "
            "needs the attending physician's prescription.",
            "Then a break of two to three months is necessary. A repeated course of massage can "
            "be prescribed according to the indications of the attending physician.",
            CLASSIC_SECTION,
        ),
    )
