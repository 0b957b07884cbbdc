"""Eight technique plugins defined inside the benchmark, so it does not depend on what is installed.

Each plugin declares one technique with two or three rules modelled on the clinical source
(honey massage and large hernias, bee-product allergy, anticoagulants and cupping, doctor's
approval for the auxiliary techniques) and returns a fixed session protocol. The rule texts live
in :data:`TECHNIQUE_RULES` as plain data, so the hand-written baseline and the rule-engine and
zen-engine versions use the same ids, outcomes and messages; only the predicates are written
separately for each implementation.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import attrs

from herniarules import F, Outcome, Protocol, ProtocolStep, Rule, Technique, hookimpl
from herniarules.rules import Always, Expr

SOURCE = "benchmark technique (modelled on the clinical source)"


class RuleText(NamedTuple):
    """The data of one technique rule, shared by every implementation in the benchmark."""

    id: str
    technique: str
    title: str
    outcome: Outcome
    message: str
    source: str


@attrs.frozen
class Params:
    """Session parameters of a benchmark technique."""

    max_minutes: int = 30


TECHNIQUES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("acupressure", "Acupressure", ("pain-relief", "muscle-relaxation")),
    ("classic", "Classic massage", ("compression", "muscle-weakness", "circulation")),
    ("honey", "Honey massage", ("circulation", "disc-nutrition")),
    ("hydromassage", "Hydromassage", ("muscle-relaxation", "rehabilitation")),
    ("reflex", "Reflex massage", ("pain-relief",)),
    ("segmental", "Segmental massage", ("pinched-muscle-fibres", "rehabilitation")),
    ("traction", "Traction massage", ("compression",)),
    ("vacuum", "Vacuum (cupping) massage", ("disc-nutrition", "circulation")),
)

X, D, C, M = (
    Outcome.CONTRAINDICATED,
    Outcome.DEFER,
    Outcome.REQUIRES_CLEARANCE,
    Outcome.ALLOWED_WITH_MODIFICATIONS,
)

#: Rule texts; predicates are in :func:`_predicates` (engine), ``baseline.py`` and the others.
TECHNIQUE_RULES: tuple[RuleText, ...] = (
    RuleText("acupressure.anticoagulants", "acupressure", "Anticoagulant therapy", C,
             "Point pressure on a patient taking anticoagulants needs the physician's approval.",
             "Other types of massage can be used in combination with the main ones; their use "
             "must be approved by a doctor."),
    RuleText("acupressure.moderate-pain", "acupressure", "Moderate residual pain", M,
             "With residual pain, press the points gently and shorten the session.",
             "Pressing on problem areas and using forceful techniques is unacceptable."),
    RuleText("classic.anticoagulants", "classic", "Anticoagulant therapy", C,
             "Kneading and percussion on a patient taking anticoagulants need the "
             "physician's approval.", "with a tendency to thrombosis"),
    RuleText("classic.large-hernia", "classic", "Large hernia", M,
             "With a hernia of 8 mm or more, avoid kneading directly over the affected segment.",
             "Massage helps relieve pain in the presence of a hernia that does not require "
             "surgery."),
    RuleText("honey.bee-allergy", "honey", "Allergy to honey or bee products", X,
             "Honey massage is not performed on a patient allergic to honey or bee products.",
             "When performing a massage, honey is used as a softening and nourishing agent."),
    RuleText("honey.large-hernia", "honey", "Large hernia", X,
             "Honey massage cannot be performed for large hernias (8 mm or more).",
             "Important! Honey massage cannot be performed for large hernias."),
    RuleText("honey.skin-pathology-site", "honey", "Skin pathology", D,
             "Honey is applied in a thick layer; skin pathology at the site defers it.",
             "honey is applied to the damaged area in a thick layer"),
    RuleText("hydromassage.blood-pressure", "hydromassage", "Raised blood pressure", C,
             "Warm water and jets raise the load on the heart: grade 1 hypertension needs "
             "the physician's approval.", "High blood pressure."),
    RuleText("hydromassage.temperature-unknown", "hydromassage", "Body temperature", M,
             "Keep the water at or below 36 °C for a patient with a body temperature above 37 °C.",
             "It is forbidden to massage during periods of increased body temperature"),
    RuleText("reflex.doctor-approval", "reflex", "Doctor's approval", C,
             "Reflex massage is an auxiliary technique; its use must be approved by a doctor.",
             "Other types of massage can be used in combination with the main ones; their use "
             "must be approved by a doctor."),
    RuleText("reflex.cervical", "reflex", "Cervical hernia", M,
             "Work the reflex zones of the neck only with light stroking.",
             "Pressing on problem areas and using forceful techniques is unacceptable."),
    RuleText("segmental.recent-surgery", "segmental", "Recent spinal surgery", D,
             "Segmental massage waits until 90 days after spinal surgery.",
             "after the main treatment (effectively during the rehabilitation period after "
             "surgery)"),
    RuleText("segmental.doctor-approval", "segmental", "Doctor's approval", C,
             "Segmental massage is an auxiliary technique; its use must be approved by a doctor.",
             "Other types of massage can be used in combination with the main ones; their use "
             "must be approved by a doctor."),
    RuleText("traction.prolapsed-disc", "traction", "Prolapsed disc", X,
             "Traction is not applied to an extruded or sequestrated disc.",
             "It is best to perform a massage in the initial stages of an intervertebral hernia, "
             "when the disc has not yet prolapsed"),
    RuleText("traction.cervical", "traction", "Cervical hernia", C,
             "Cervical traction needs the physician's approval.",
             "Other types of massage can be used in combination with the main ones; their use "
             "must be approved by a doctor."),
    RuleText("traction.older-patient", "traction", "Patient aged 70 or more", D,
             "Traction is deferred for patients aged 70 or more until bone density is known.",
             "Massage is a restorative procedure"),
    RuleText("vacuum.anticoagulants", "vacuum", "Anticoagulant therapy", X,
             "Cupping causes bruising; it is not performed on a patient taking anticoagulants.",
             "with a tendency to thrombosis"),
    RuleText("vacuum.varicose-veins", "vacuum", "Varicose veins", X,
             "Cups are never placed on a patient with varicose veins.", "Phlebeurysm."),
    RuleText("vacuum.thoracic-pressure", "vacuum", "Thoracic hernia", M,
             "Over a thoracic hernia, use low vacuum and stationary cups.",
             "The massage therapist moves these jars in the desired direction"),
)  # fmt: skip

LARGE_HERNIA_MM = 8.0
SURGERY_WAIT_DAYS = 90
TRACTION_MAX_AGE = 70


def _predicates() -> dict[str, Expr]:
    """Return the herniarules predicate of each technique rule, by rule id."""
    return {
        "acupressure.anticoagulants": F.concepts.contains("anticoagulant-therapy"),
        "acupressure.moderate-pain": F.pain_score >= 4,
        "classic.anticoagulants": F.concepts.contains("anticoagulant-therapy"),
        "classic.large-hernia": F.has_hernia.is_true() & (F.max_hernia_size_mm >= LARGE_HERNIA_MM),
        "honey.bee-allergy": F.concepts.contains("honey-allergy"),
        "honey.large-hernia": F.has_hernia.is_true() & (F.max_hernia_size_mm >= LARGE_HERNIA_MM),
        "honey.skin-pathology-site": F.concepts.contains_any("skin-pathology", "urticaria-oedema"),
        "hydromassage.blood-pressure": F.bp_grade.eq(1),
        "hydromassage.temperature-unknown": F.temperature_c > 37.0,
        "reflex.doctor-approval": Always(),
        "reflex.cervical": F.hernia_regions.contains("cervical"),
        "segmental.recent-surgery": F.had_spinal_surgery.is_true()
        & (F.days_since_surgery < SURGERY_WAIT_DAYS),
        "segmental.doctor-approval": Always(),
        "traction.prolapsed-disc": F.hernia_kinds.contains_any("extrusion", "sequestration"),
        "traction.cervical": F.hernia_regions.contains("cervical"),
        "traction.older-patient": F.age >= TRACTION_MAX_AGE,
        "vacuum.anticoagulants": F.concepts.contains("anticoagulant-therapy"),
        "vacuum.varicose-veins": F.concepts.contains("varicose-veins"),
        "vacuum.thoracic-pressure": F.hernia_regions.contains("thoracic"),
    }


def _protocol(technique_id: str, name: str) -> Protocol:
    return Protocol(
        technique=technique_id,
        steps=(
            ProtocolStep("warm-up", "Stroke and rub the back to warm the skin.", minutes=3),
            ProtocolStep(name, f"{name} over the paravertebral muscles.", minutes=15),
            ProtocolStep("finish", "Light stroking.", minutes=2),
        ),
        session_minutes=(10.0, 30.0),
        course_sessions=(10, 15),
        pressure="light",
        avoid=("spinous processes",),
    )


#: The protocol each technique returns when permitted (fixed, as in a simple plugin).
PROTOCOLS: dict[str, Protocol] = {tid: _protocol(tid, name) for tid, name, _ in TECHNIQUES}


class TechniquePlugin:
    """A herniarules plugin declaring one technique with its rules and protocol."""

    def __init__(self, technique_id: str, name: str, indications: tuple[str, ...]) -> None:
        self.__name__ = f"bench_{technique_id}"
        self.technique_id = technique_id
        self.technique = Technique(
            id=technique_id,
            name=name,
            description=f"{name} (benchmark plugin).",
            source=SOURCE,
            indications=indications,
            parameters=Params(),
            protocol=self.protocol,
        )
        predicates = _predicates()
        self.rules = [
            Rule(
                text.id,
                text.title,
                predicates[text.id],
                text.outcome,
                text.message,
                text.source,
                techniques={technique_id},
            )
            for text in TECHNIQUE_RULES
            if text.technique == technique_id
        ]

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        """Declare the technique."""
        return [self.technique]

    @hookimpl
    def herniarules_rules(self, policy: Any) -> list[Rule]:
        """Return the technique's rules."""
        return self.rules

    def protocol(self, facts: Any, parameters: Any) -> Protocol:
        """Return the fixed session protocol."""
        return PROTOCOLS[self.technique_id]


def plugins() -> list[TechniquePlugin]:
    """Return the eight benchmark plugins."""
    return [TechniquePlugin(tid, name, ind) for tid, name, ind in TECHNIQUES]
