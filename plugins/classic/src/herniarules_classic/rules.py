"""Rules and value sets of classic massage with traction.

Classic massage itself adds no rule to the core: the source lists no contraindication
specific to it, and its one specific demand, soft movements without pressure, is part of the
protocol. Traction loads the disc and vertebrae along the spine's axis, which the source
does not discuss; its rules follow clinical convention for spinal traction and say so.
"""

from __future__ import annotations

from herniarules import CodeRange, CodeSystem, F, Outcome, Rule, ValueSet
from herniarules.i18n.markers import N_

__all__ = [
    "OSTEOPOROSIS",
    "RECENT_SURGERY_DAYS",
    "VALUE_SETS",
    "traction_rules",
]

#: Concept for osteoporosis, which the core terminology does not define.
OSTEOPOROSIS = "osteoporosis"
#: Days after spinal surgery during which traction is deferred: the usual three months of
#: protection of the operated segment from axial load after discectomy or decompression.
RECENT_SURGERY_DAYS = 90

_SECTION = "Types and techniques of massage for lumbar intervertebral disc herniation"
_CONVENTION = "clinical convention (spinal traction): "

VALUE_SETS: tuple[ValueSet, ...] = (
    ValueSet(
        OSTEOPOROSIS,
        "Osteoporosis",
        (
            CodeRange("M80", "M81"),
            # M82 (osteoporosis in diseases classified elsewhere) is a WHO asterisk code
            # that ICD-10-CM does not have.
            CodeRange("M82", "M82", frozenset({CodeSystem.ICD10})),
        ),
        '"old age – degenerative processes begin, accompanied by a decrease in tissue '
        'elasticity and bone strength (osteoporosis)" — '
        + _CONVENTION
        + "osteoporosis with or without pathological fracture (M80–M81; WHO also M82).",
        "classic.osteoporosis",
    ),
)


def traction_rules() -> tuple[Rule, ...]:
    """Return the rules of the ``traction`` technique."""
    # The core declares ``Rule.techniques`` with a bare ``frozenset`` converter, which mypy
    # types as ``Iterable[_T_co]``; the value is correct, hence the ignores below.
    techniques = frozenset({"traction"})
    return (
        Rule(
            "traction.sequestration",
            N_("Sequestered disc fragment"),
            F.hernia_kinds.contains("sequestration"),
            Outcome.CONTRAINDICATED,
            N_(
                "Traction is not performed with a sequestered (free) disc fragment: stretching the "
                "segment can move the fragment towards the nerve roots."
            ),
            _CONVENTION + "a free disc fragment is a contraindication to spinal traction. "
            'The source: "It is best to perform a massage in the initial stages of an '
            'intervertebral hernia, when the disc has not yet prolapsed".',
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
        ),
        Rule(
            "traction.recent-surgery",
            N_("Recent spinal surgery"),
            (F.phases.contains("post-surgical") | F.had_spinal_surgery.is_true())
            & (F.days_since_surgery < RECENT_SURGERY_DAYS),
            Outcome.DEFER,
            f"Traction is deferred for {RECENT_SURGERY_DAYS} days after spinal surgery, while "
            "the operated segment is protected from axial load.",
            _CONVENTION + f"no traction within {RECENT_SURGERY_DAYS} days (three months) of "
            "spinal surgery. The source places massage after surgery in the rehabilitation "
            'period: "after the main treatment (effectively during the rehabilitation period '
            'after surgery)".',
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
        ),
        Rule(
            "traction.osteoporosis",
            N_("Osteoporosis"),
            F.concepts.contains(OSTEOPOROSIS),
            Outcome.CONTRAINDICATED,
            N_(
                "Traction is not performed with osteoporosis: reduced bone strength makes "
                "vertebrae liable to fracture under load."
            ),
            _CONVENTION + "osteoporosis is a contraindication to spinal traction. The source "
            'names "a decrease in tissue elasticity and bone strength (osteoporosis)".',
            _SECTION,
            techniques,  # type: ignore[arg-type, unused-ignore]
        ),
    )
