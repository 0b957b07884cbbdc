"""Rules of vacuum (cupping) massage.

The source lists no contraindication of its own for vacuum massage. Cupping raises skin and
subcutaneous vessels into the cup and leaves suction marks; these rules add what cupping
practice expects and are marked as clinical convention. Blood disease and a tendency to
thrombosis are already core rules.
"""

from __future__ import annotations

from herniarules import F, Outcome, Rule
from herniarules.i18n.markers import N_
from herniarules.rules import Dx
from herniarules.safety import unclassified_medication_rule

__all__ = ["CONVENTION", "vacuum_rules"]

#: How the rules' source is labelled.
CONVENTION = "clinical convention (cupping practice)"
_SECTION = "Vacuum massage"


def vacuum_rules() -> tuple[Rule, ...]:
    """Return the rules of the ``vacuum`` technique."""
    # The core declares ``Rule.techniques`` with a bare ``frozenset`` converter, which mypy
    # types as ``Iterable[_T_co]``; the value is correct, hence the ignores below.
    techniques = frozenset({"vacuum"})
    return (
        unclassified_medication_rule("vacuum", "Vacuum massage", CONVENTION),
        Rule(
            "vacuum.anticoagulant-therapy",
            N_("Anticoagulant, antiplatelet or thrombolytic therapy"),
            F.concepts.contains_any(
                "anticoagulant-therapy", "antiplatelet-therapy", "thrombolytic-therapy"
            ),
            Outcome.CONTRAINDICATED,
            N_(
                "Vacuum massage is not performed under anticoagulant, antiplatelet or thrombolytic "
                "therapy: the "
                "suction ruptures small vessels and can cause bruising and haematomas."
            ),
            f"{CONVENTION}: anticoagulant therapy contraindicates cupping. The source: "
            '"Thus, the jar, like a vacuum, draws in part of the skin."',
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
        ),
        Rule(
            "vacuum.varicose-veins",
            N_("Varicose veins at the site"),
            F.conditions.any(Dx.concept.eq("varicose-veins")),
            Outcome.CONTRAINDICATED,
            N_(
                "Cups are not moved over varicose veins. Where the record does not say where the "
                "veins are, they are taken to be at the site."
            ),
            f'{CONVENTION}: no cupping over varicose veins. The source: "Phlebeurysm."',
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
            local=True,
        ),
        Rule(
            "vacuum.skin-pathology",
            N_("Skin disease at the site"),
            F.conditions.any(Dx.concept.in_("skin-pathology", "purulent-skin-rash")),
            Outcome.CONTRAINDICATED,
            N_(
                "Cups are not placed or moved over diseased skin or a rash. Where the record does "
                "not say where the skin disease is, it is taken to be at the site."
            ),
            f'{CONVENTION}: no cupping over skin lesions. The source: "Pathologies of the '
            'skin."; "in the presence of inflammatory or purulent rashes on the skin"',
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
            local=True,
        ),
    )
