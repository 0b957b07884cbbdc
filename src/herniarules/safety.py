"""The safety kernel: the clinical source's general rules, applied to every technique.

Every rule here quotes the passage of the clinical source it implements (``source``) and names
the section it is in (``section``). Where the source leaves a threshold open (what is
"severe" pain, what is a raised temperature, which blood pressure is "high"), :class:`Policy`
holds a default from clinical convention; a clinic may make it stricter, never looser.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from herniarules.frozen import FrozenDict
from herniarules.i18n.markers import N_
from herniarules.outcomes import Outcome
from herniarules.rules import Dx, F, Rule
from herniarules.terminology import CORE_VALUE_SETS, Concept, ValueSet

__all__ = [
    "DEFAULT_POLICY",
    "LOCAL_CONCEPTS",
    "TIER_MESSAGES",
    "Policy",
    "PolicyError",
    "coded_rules",
    "core_rules",
    "unclassified_medication_rule",
]

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


_TIERED: dict[str, ValueSet] = {vs.concept: vs for vs in CORE_VALUE_SETS}


def _minimum_tiers(value: object) -> Mapping[str, Outcome]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"minimum_tiers must be a mapping of concept to Outcome, got {value!r}")
    result: dict[str, Outcome] = {}
    for concept, tier in value.items():
        if concept not in _TIERED:
            known = ", ".join(sorted(_TIERED))
            raise PolicyError(f"minimum_tiers: unknown concept {concept!r}; known: {known}")
        if type(tier) is not Outcome or tier < Outcome.REQUIRES_CLEARANCE:
            raise PolicyError(
                f"minimum_tiers[{concept!r}] must be an Outcome from requires-clearance up, "
                f"got {tier.label if isinstance(tier, Outcome) else repr(tier)}"
            )
        result[str(concept)] = tier
    return FrozenDict(result)


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
    surgery_healing_days: int = attrs.field(
        default=14, validator=_stricter(14, lower_is_stricter=False, floor=14, ceiling=365)
    )
    """Days after spinal surgery during which every technique is deferred: the wound heals
    and sutures come out at 10-14 days after discectomy or decompression."""
    surgery_clearance_days: int = attrs.field(
        default=90, validator=_stricter(90, lower_is_stricter=False, floor=90, ceiling=730)
    )
    """Days after spinal surgery during which every technique needs the attending physician's
    clearance: the usual three months of protection of the operated segment."""
    minimum_tiers: Mapping[str, Outcome] = attrs.field(factory=FrozenDict, converter=_minimum_tiers)
    """Per concept, the least severe outcome a coded condition of that concept may give:
    ``{"psychiatric-disorder": Outcome.CONTRAINDICATED}`` makes insomnia contraindicate as
    psychoses do. A tier can only be raised this way, never lowered. The rule keeps the id of
    the code's own tier (``core.psychiatric-disorder-requires-clearance``), which says why the
    code is there; its outcome says what the clinic decided."""

    @surgery_clearance_days.validator
    def _check_surgery_days(self, _attribute: attrs.Attribute[int], value: int) -> None:
        if value < self.surgery_healing_days:
            raise PolicyError(
                f"surgery_clearance_days ({value}) must not be below surgery_healing_days "
                f"({self.surgery_healing_days})"
            )


DEFAULT_POLICY = Policy()

#: How a lower tier of a concept is explained, where the rule's own message is about its most
#: severe form. Keys are (concept, tier).
TIER_MESSAGES: Mapping[tuple[str, Outcome], str] = {
    (Concept.MALIGNANCY, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "A carcinoma in situ, a neoplasm of uncertain behaviour or a history of cancer is "
            "recorded: the source forbids massage while cancer is present, and only the "
            "oncologist can say that it is not."
        )
    ),
    (Concept.THROMBOSIS_TENDENCY, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "A condition that may come from a thrombosis is recorded (a cerebral infarction, or a "
            "history of circulatory disease): a physician must say whether there is a tendency to "
            "thrombosis."
        )
    ),
    (Concept.BLOOD_DISEASE, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "A blood disease is recorded in a form that needs a physician's clearance (an anaemia, "
            "a disease of the white cells or of the spleen)."
        )
    ),
    (Concept.BLOOD_DISEASE, Outcome.DEFER): (
        N_(
            "Acute blood loss or a sickle-cell crisis is recorded: massage waits until it has "
            "passed."
        )
    ),
    (Concept.HEART_DYSFUNCTION, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "A stable heart condition is recorded (stable angina, chronic ischaemic heart disease, "
            "valve disease, a rhythm or conduction disorder such as first-degree atrioventricular "
            "block): massage needs the cardiologist's clearance."
        )
    ),
    (Concept.PSYCHIATRIC_DISORDER, Outcome.DEFER): (
        N_(
            "An acute psychiatric state is recorded (delirium, intoxication, withdrawal or an "
            "acute stress reaction): massage waits until it has passed."
        )
    ),
    (Concept.PSYCHIATRIC_DISORDER, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "A non-psychotic psychological disorder is recorded (for example insomnia, anxiety, a "
            "mood, eating, sexual or personality disorder): a physician must confirm that massage "
            "is safe."
        )
    ),
    (Concept.VARICOSE_VEINS, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "Varices outside the legs are recorded (oesophageal or other sites): they signal "
            "venous hypertension, and massage needs a physician's clearance."
        )
    ),
    (Concept.SKIN_PATHOLOGY, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "A skin condition of the hair, nails, glands, pigmentation or scars is recorded: a "
            "physician must confirm that the skin can be massaged."
        )
    ),
    (Concept.INFECTIOUS_DISEASE, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "A chronic infection is recorded (chronic viral hepatitis, human immunodeficiency "
            "virus disease): massage needs the physician's clearance."
        )
    ),
    (Concept.DIGESTIVE_DISORDER, Outcome.REQUIRES_CLEARANCE): (
        N_(
            "A chronic, stable disturbance of the digestive tract is recorded (for example reflux, "
            "irritable bowel syndrome, liver or gallbladder disease): massage needs the "
            "physician's clearance."
        )
    ),
    (Concept.HYPERTENSION, Outcome.DEFER): (
        N_("A hypertensive crisis is recorded: massage waits until blood pressure is controlled.")
    ),
}


#: Concepts whose conditions are local to a body site: their rules are local (see
#: :attr:`herniarules.Rule.local`), so varicose veins of the legs or a rash on the arm do not
#: stop a technique that works on the back, which then avoids that site.
LOCAL_CONCEPTS: frozenset[str] = frozenset(
    {Concept.VARICOSE_VEINS, Concept.SKIN_PATHOLOGY, Concept.PURULENT_SKIN_RASH}
)


def unclassified_medication_rule(
    technique_id: str, name: str, convention: str = "clinical convention"
) -> Rule:
    """Return ``<technique_id>.unclassified-medication``: *insufficient data* for a medication
    whose class cannot be told.

    A technique whose rules depend on medication class (anticoagulant, antiplatelet or
    thrombolytic therapy) declares this rule, so that a medication known only by a name the
    SDK cannot classify blocks it with a finding naming the medication, instead of passing as
    "not an anticoagulant". Record the medication's WHO ATC code or category to resolve it.
    ``convention`` opens the rule's source, as the technique's other conventional rules do.
    """
    return Rule(
        f"{technique_id}.unclassified-medication",
        N_("Medication that cannot be classified"),
        F.unclassified_medications.not_empty(),
        Outcome.INSUFFICIENT_DATA,
        N_(
            "{name} depends on whether the patient takes anticoagulant, antiplatelet or "
            "thrombolytic drugs, and a recorded medication cannot be classified: record its WHO "
            "ATC code or category."
        ).format(name=name),
        f"{convention}: a technique that is unsafe under antithrombotic therapy needs every "
        'medication classified (WHO ATC B01). The source: "with a tendency to thrombosis"',
        CONTRA_SECTION,
        frozenset({technique_id}),
    )


def coded_rules(
    rule_id: str,
    title: str,
    concept: str,
    outcome: Outcome,
    message: str,
    source: str,
    section: str,
    policy: Policy = DEFAULT_POLICY,
) -> tuple[Rule, ...]:
    """Return the rules of a coded concept: one per severity tier its value set gives.

    The rule ``rule_id`` fires for the conditions of ``concept`` whose tier is ``outcome``;
    each other tier ``t`` of the concept's core value set gets the rule ``<rule_id>-<t>``,
    with its own message (:data:`TIER_MESSAGES`). Under ``policy.minimum_tiers`` a rule's
    outcome is raised to the concept's minimum; it is never lowered.
    """
    value_set = _TIERED[concept]
    tiers = {value_set.tier, *(line.tier for line in value_set.codes if line.tier is not None)}
    if value_set.history_tier is not None:
        tiers.add(min(value_set.history_tier, value_set.strictest_tier))
    tiers.add(outcome)
    floor = policy.minimum_tiers.get(concept, Outcome.REQUIRES_CLEARANCE)
    local = concept in LOCAL_CONCEPTS
    rules = []
    for tier in sorted(tiers, reverse=True):
        if tier < Outcome.REQUIRES_CLEARANCE:
            continue
        main = tier is outcome
        rules.append(
            Rule(
                rule_id if main else f"{rule_id}-{tier.label}",
                title if main else f"{title} ({tier.label.replace('-', ' ')})",
                F.conditions.any(
                    (Dx.concept.eq(str(concept)) & Dx.tier.eq(tier.label)).labelled(
                        f"{concept}, {tier.label.replace('-', ' ')}"
                    )
                ),
                max(tier, floor),
                message if main else TIER_MESSAGES.get((concept, tier), message),
                source,
                section,
                local=local,
            )
        )
    return tuple(rules)


def core_rules(policy: Policy = DEFAULT_POLICY) -> tuple[Rule, ...]:
    """Return the core safety rules, applied to every technique, under ``policy``."""
    severe = policy.severe_pain_score
    r = Rule
    C = Concept
    D, X = Outcome.DEFER, Outcome.CONTRAINDICATED

    def coded(
        rule_id: str,
        title: str,
        concept: str,
        outcome: Outcome,
        message: str,
        source: str,
        section: str,
    ) -> tuple[Rule, ...]:
        return coded_rules(rule_id, title, concept, outcome, message, source, section, policy)

    return (
        # -- stage rules -------------------------------------------------------------------
        r(
            "core.acute-phase",
            N_("Acute stage of the hernia"),
            F.phases.contains("acute"),
            D,
            N_("Massage is strictly forbidden in the acute stage of the disease."),
            "It is strictly forbidden to perform massage during the acute stage of the disease "
            "or exacerbation of the disease.",
            RULES_SECTION,
        ),
        r(
            "core.exacerbation",
            N_("Exacerbation of the hernia"),
            F.phases.contains("exacerbation"),
            D,
            N_("Massage is strictly forbidden during an exacerbation of the disease."),
            "It is strictly forbidden to perform massage during the acute stage of the disease "
            "or exacerbation of the disease.",
            RULES_SECTION,
        ),
        r(
            "core.pain-not-eliminated",
            N_("Pain syndrome not yet eliminated"),
            F.pain_score > policy.residual_pain_max,
            D,
            N_("Massage should be performed only after the pain syndrome has been eliminated."),
            "massage should be performed strictly after pain syndromes have been eliminated",
            RULES_SECTION,
        ),
        r(
            "core.severe-pain",
            N_("Severe pain"),
            F.pain_score >= severe,
            D,
            N_("Massage is unacceptable during severe pain."),
            "during severe pain",
            CONTRA_SECTION,
        ),
        r(
            "core.inflammatory-process",
            N_("Inflammatory process"),
            F.inflammatory_process.is_true(),
            D,
            N_("An inflammatory process prevents massage."),
            "the presence of an inflammatory process prevents massage manipulations",
            RULES_SECTION,
        ),
        r(
            "core.raised-temperature",
            N_("Raised body temperature or fever"),
            F.temperature_c >= policy.raised_temperature_c,
            D,
            N_("Massage is forbidden during increased body temperature or fever."),
            "It is forbidden to massage during periods of increased body temperature, fever, "
            "or disturbances in the digestive tract.",
            INDICATIONS_SECTION,
        ),
        *coded(
            "core.fever-diagnosis",
            N_("Fever recorded as a condition"),
            C.FEVER,
            D,
            N_("Massage is forbidden during fever."),
            "in the presence of an inflammatory process accompanied by high temperature",
            CONTRA_SECTION,
        ),
        r(
            "core.surgery-indicated",
            N_("Hernia requiring surgery"),
            F.surgery_indicated.is_true(),
            D,
            N_(
                "Massage helps with a hernia that does not require surgery; this hernia has an "
                "indication for surgery."
            ),
            "Massage helps relieve pain in the presence of a hernia that does not require surgery.",
            RULES_SECTION,
        ),
        r(
            "core.disc-prolapsed",
            N_("Disc already prolapsed (extrusion or sequestration)"),
            F.hernia_kinds.contains_any("extrusion", "sequestration"),
            Outcome.REQUIRES_CLEARANCE,
            N_(
                "Massage is best in the initial stages, before the disc has prolapsed; with an "
                "extrusion or sequestration the doctor must weigh the degree of disc damage."
            ),
            "It is best to perform a massage in the initial stages of an intervertebral hernia, "
            "when the disc has not yet prolapsed",
            RULES_SECTION,
        ),
        r(
            "core.post-surgical",
            N_("Rehabilitation after spinal surgery"),
            F.phases.contains("post-surgical"),
            Outcome.REQUIRES_CLEARANCE,
            N_(
                "Massage after surgery belongs to the rehabilitation period and needs the "
                "attending physician's approval."
            ),
            "after the main treatment (effectively during the rehabilitation period after surgery)",
            RULES_SECTION,
        ),
        # -- blood pressure ----------------------------------------------------------------
        r(
            "core.high-blood-pressure",
            N_("High blood pressure at the visit"),
            F.bp_grade >= policy.deferring_bp_grade,
            D,
            N_("Massage is dangerous with high blood pressure."),
            "High blood pressure.",
            INDICATIONS_SECTION,
        ),
        *coded(
            "core.hypertension-stage-2-3",
            N_("Hypertension of the second or third stage"),
            C.HYPERTENSION_ORGAN_DAMAGE,
            X,
            N_("Massage is unacceptable with hypertension of the second or third stage."),
            "with hypertension of the second or third stage",
            CONTRA_SECTION,
        ),
        *coded(
            "core.hypertension",
            N_("Hypertension, stage not established"),
            C.HYPERTENSION,
            Outcome.REQUIRES_CLEARANCE,
            N_(
                "Hypertension is recorded; massage is unacceptable at the second or third stage, "
                "so a physician must confirm the stage."
            ),
            "with hypertension of the second or third stage",
            CONTRA_SECTION,
        ),
        # -- contraindicating conditions ---------------------------------------------------
        r(
            "core.pregnancy",
            N_("Pregnancy"),
            F.pregnant.is_true(),
            D,
            N_("Massage for a hernia is not performed during pregnancy."),
            "during pregnancy; The period of bearing a baby.",
            CONTRA_SECTION,
        ),
        *coded(
            "core.thrombosis-tendency",
            N_("Tendency to thrombosis"),
            C.THROMBOSIS_TENDENCY,
            X,
            N_("Massage is unacceptable with a tendency to thrombosis."),
            "with a tendency to thrombosis",
            CONTRA_SECTION,
        ),
        *coded(
            "core.blood-disease",
            N_("Blood disease"),
            C.BLOOD_DISEASE,
            X,
            N_("Massage is unacceptable with a blood disease."),
            "with a blood disease",
            CONTRA_SECTION,
        ),
        *coded(
            "core.malignancy",
            N_("Cancer of any location"),
            C.MALIGNANCY,
            X,
            N_("Massage is unacceptable when oncological processes are present, in any location."),
            "upon detection of oncological processes in the body; The presence of cancer in "
            "the body of any location.",
            CONTRA_SECTION,
        ),
        *coded(
            "core.heart-dysfunction",
            N_("Heart dysfunction"),
            C.HEART_DYSFUNCTION,
            X,
            N_("Massage is unacceptable with disturbances in the functioning of the heart."),
            "in case of disturbances in the functioning of the heart",
            CONTRA_SECTION,
        ),
        *coded(
            "core.osteomyelitis",
            N_("Osteomyelitis"),
            C.OSTEOMYELITIS,
            X,
            N_("Massage is unacceptable with osteomyelitis."),
            "with osteomyelitis or bone tuberculosis",
            CONTRA_SECTION,
        ),
        *coded(
            "core.bone-tuberculosis",
            N_("Bone tuberculosis"),
            C.BONE_TUBERCULOSIS,
            X,
            N_("Massage is unacceptable with bone tuberculosis."),
            "with osteomyelitis or bone tuberculosis",
            CONTRA_SECTION,
        ),
        *coded(
            "core.purulent-skin-rash",
            N_("Inflammatory or purulent skin rash"),
            C.PURULENT_SKIN_RASH,
            D,
            N_("Massage is unacceptable with inflammatory or purulent rashes on the skin."),
            "in the presence of inflammatory or purulent rashes on the skin",
            CONTRA_SECTION,
        ),
        *coded(
            "core.skin-pathology",
            N_("Skin pathology"),
            C.SKIN_PATHOLOGY,
            D,
            N_("Massage is dangerous with pathologies of the skin."),
            "Pathologies of the skin.",
            INDICATIONS_SECTION,
        ),
        *coded(
            "core.psychiatric-disorder",
            N_("Psychological disorder or disease"),
            C.PSYCHIATRIC_DISORDER,
            X,
            N_("Massage is dangerous with psychological disorders or diseases."),
            "Psychological disorders or diseases.",
            INDICATIONS_SECTION,
        ),
        *coded(
            "core.varicose-veins",
            N_("Varicose veins (phlebeurysm)"),
            C.VARICOSE_VEINS,
            X,
            N_("Massage is dangerous with varicose veins."),
            "Phlebeurysm.",
            INDICATIONS_SECTION,
        ),
        r(
            "core.exacerbated-chronic-disease",
            N_("Exacerbation of a chronic disease"),
            F.exacerbated_conditions.not_empty(),
            D,
            N_("Massage is dangerous during an exacerbation of a chronic disease."),
            "Exacerbation of chronic diseases.",
            INDICATIONS_SECTION,
        ),
        *coded(
            "core.urticaria-oedema",
            N_("Swelling or urticaria"),
            C.URTICARIA_OEDEMA,
            D,
            N_("Massage is dangerous with swelling or urticaria."),
            "Swelling or urticaria.",
            INDICATIONS_SECTION,
        ),
        *coded(
            "core.infectious-disease",
            N_("Infectious disease"),
            C.INFECTIOUS_DISEASE,
            D,
            N_("Massage is dangerous with an infectious disease."),
            "Infectious diseases.",
            INDICATIONS_SECTION,
        ),
        *coded(
            "core.digestive-disorder",
            N_("Disturbance of the digestive tract"),
            C.DIGESTIVE_DISORDER,
            D,
            N_("Massage is forbidden during disturbances in the digestive tract."),
            "It is forbidden to massage during periods of increased body temperature, fever, "
            "or disturbances in the digestive tract.",
            INDICATIONS_SECTION,
        ),
        # -- course rhythm -----------------------------------------------------------------
        r(
            "core.course-break",
            N_("Less than the break between courses"),
            F.had_massage_course.is_true()
            & (F.days_since_last_course < policy.min_course_break_days),
            Outcome.REQUIRES_CLEARANCE,
            N_(
                "A break of two to three months is needed after a course; a repeated course sooner "
                "needs the attending physician's prescription."
            ),
            "Then a break of two to three months is necessary. A repeated course of massage can "
            "be prescribed according to the indications of the attending physician.",
            CLASSIC_SECTION,
        ),
        # -- spinal surgery and hernias known only by their code ----------------------------
        r(
            "core.spinal-surgery-healing",
            N_("Spinal surgery within the healing period"),
            F.had_spinal_surgery.is_true() & (F.days_since_surgery < policy.surgery_healing_days),
            D,
            N_("Massage waits for {days} days after spinal surgery, while the wound heals.").format(
                days=policy.surgery_healing_days
            ),
            "after the main treatment (effectively during the rehabilitation period after surgery)",
            RULES_SECTION,
        ),
        r(
            "core.spinal-surgery-rehabilitation",
            N_("Spinal surgery within the rehabilitation period"),
            F.had_spinal_surgery.is_true() & (F.days_since_surgery < policy.surgery_clearance_days),
            Outcome.REQUIRES_CLEARANCE,
            N_(
                "Massage within {days} days of spinal surgery belongs to the rehabilitation "
                "period and needs the attending physician's approval, whatever phase the hernia "
                "record gives."
            ).format(days=policy.surgery_clearance_days),
            "after the main treatment (effectively during the rehabilitation period after surgery)",
            RULES_SECTION,
        ),
        r(
            "core.hernia-code-without-record",
            N_("Disc hernia known only by its diagnosis code"),
            F.unrecorded_hernia_codes.not_empty(),
            Outcome.INSUFFICIENT_DATA,
            N_(
                "A disc hernia is recorded as a diagnosis code, but no hernia record gives "
                "its region, phase and kind: the rules that forbid massage in the acute stage "
                "cannot be checked until it is recorded."
            ),
            "It is strictly forbidden to perform massage during the acute stage of the disease "
            "or exacerbation of the disease.",
            RULES_SECTION,
        ),
        # -- diagnoses the rules cannot read ------------------------------------------------
        r(
            "core.unconfirmed-condition",
            N_("Diagnosis not confirmed"),
            F.unconfirmed_conditions.not_empty(),
            Outcome.INSUFFICIENT_DATA,
            N_(
                "A diagnosis that bears on massage is recorded as unconfirmed, provisional or "
                "differential: whether its contraindication applies cannot be told until it is "
                "confirmed or refuted (missing data never permits massage)."
            ),
            "but also other features in which it is unacceptable to perform massage",
            CONTRA_SECTION,
        ),
        r(
            "core.unclassified-condition",
            N_("Condition that cannot be classified"),
            F.unclassified_conditions.not_empty(),
            Outcome.INSUFFICIENT_DATA,
            N_(
                "A condition is recorded only by its name or by a code of a system herniarules "
                "does not read: whether it is a contraindication cannot be told (missing data "
                "never permits massage). Record its diagnosis code."
            ),
            "but also other features in which it is unacceptable to perform massage",
            CONTRA_SECTION,
        ),
    )
