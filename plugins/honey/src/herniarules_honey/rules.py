"""Rules of honey massage: large hernias, allergy to honey, skin disease at the site."""

from __future__ import annotations

from herniarules import F, Outcome, Rule
from herniarules.i18n.markers import N_
from herniarules.rules import Dx, H

__all__ = [
    "LARGE_HERNIA_MM",
    "LARGE_NARROW_CANAL_HERNIA_MM",
    "NARROW_CANAL_REGIONS",
    "WIDE_CANAL_REGIONS",
    "honey_rules",
]

#: Size, in millimetres, from which a lumbar or lumbosacral hernia counts as large. The
#: source forbids honey massage "for large hernias" without a figure; the radiological
#: grading common in Russian practice calls a lumbar hernia small up to 5 mm, medium at
#: 6-8 mm and large from 9 mm.
LARGE_HERNIA_MM = 9.0
#: Size from which a cervical or thoracic hernia counts as large. The same grading calls a
#: cervical hernia large from 6 mm, because the canal there is narrow and holds the spinal
#: cord; the thoracic canal is narrower still, so it takes the cervical figure too.
LARGE_NARROW_CANAL_HERNIA_MM = 6.0
#: Regions where the narrow-canal threshold applies.
NARROW_CANAL_REGIONS = ("cervical", "thoracic")
#: Regions where the lumbar threshold applies.
WIDE_CANAL_REGIONS = ("lumbar", "lumbosacral")

_SECTION = "Honey massage"


def honey_rules() -> tuple[Rule, ...]:
    """Return the rules of the ``honey`` technique."""
    # The core declares ``Rule.techniques`` with a bare ``frozenset`` converter, which mypy
    # types as ``Iterable[_T_co]``; the value is correct, hence the ignores below.
    techniques = frozenset({"honey"})
    # Each hernia is judged by the threshold of its own region. A relevant hernia whose size
    # was not recorded makes the rule unknown: insufficient data, never allowed.
    large = F.hernias.any(
        (H.region.in_(*WIDE_CANAL_REGIONS) & (H.size_mm >= LARGE_HERNIA_MM))
        | (H.region.in_(*NARROW_CANAL_REGIONS) & (H.size_mm >= LARGE_NARROW_CANAL_HERNIA_MM))
    )
    return (
        Rule(
            "honey.large-hernia",
            N_("Large hernia"),
            large,
            Outcome.CONTRAINDICATED,
            N_(
                "Honey massage cannot be performed for large hernias (a lumbar or lumbosacral "
                "hernia from {lumbar} mm, a cervical or thoracic one from {cervical} mm)."
            ).format(lumbar=f"{LARGE_HERNIA_MM:g}", cervical=f"{LARGE_NARROW_CANAL_HERNIA_MM:g}"),
            '"Important! Honey massage cannot be performed for large hernias." Size '
            "thresholds: clinical convention (radiological grading of disc hernias by size, "
            f"each hernia by its own region: lumbar and lumbosacral large from "
            f"{LARGE_HERNIA_MM:g} mm, cervical from {LARGE_NARROW_CANAL_HERNIA_MM:g} mm; "
            "thoracic taken as cervical).",
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
        ),
        Rule(
            "honey.allergy",
            N_("Allergy to honey or bee products"),
            F.concepts.contains("honey-allergy"),
            Outcome.CONTRAINDICATED,
            N_(
                "Honey massage is not performed with an allergy to honey or bee products: honey "
                "is applied to the skin in a thick layer."
            ),
            '"honey is applied to the damaged area in a thick layer" — clinical convention: '
            "an allergy to the agent applied to the skin contraindicates the technique.",
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
        ),
        Rule(
            "honey.skin-pathology",
            N_("Skin disease at the application site"),
            F.conditions.any(Dx.concept.in_("skin-pathology", "purulent-skin-rash")),
            Outcome.CONTRAINDICATED,
            N_(
                "Honey is applied to the back and torn off with the palm; this is not done over "
                "diseased skin or a rash. Where the record does not say where the skin disease is, "
                "it is taken to be at the site."
            ),
            '"in the presence of inflammatory or purulent rashes on the skin"; "Pathologies of '
            'the skin." with "apply your palm to the sticky area and quickly tear it off the '
            'skin"',
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
            local=True,
        ),
    )
