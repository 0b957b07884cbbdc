"""herniarules plugin: classic massage, and classic massage with traction.

Registers two techniques through the ``herniarules`` entry-point group:

- ``classic``: the clinical source's classic massage for a lumbar disc hernia (warm-up,
  staged sequence, seven main moves, pinching and shaking; 30-60 minutes; 10-20 days; a
  break of two to three months).
- ``traction``: classic massage with traction, a variant of ``classic`` indicated for
  compression of the disc or pinched muscle fibres, with its own contraindications.

Use it with an engine directly::

    import herniarules, herniarules_classic
    engine = herniarules.Engine(entry_points=False, plugins=[herniarules_classic])
"""

from __future__ import annotations

from collections.abc import Sequence

from herniarules import Policy, Rule, Site, Technique, ValueSet, hookimpl
from herniarules.i18n.markers import N_
from herniarules_classic.courses import plan_classic_course
from herniarules_classic.parameters import ClassicParameters
from herniarules_classic.protocol import MAIN_MOVES, classic_protocol, traction_protocol
from herniarules_classic.rules import VALUE_SETS, traction_rules

__all__ = [
    "CLASSIC",
    "MAIN_MOVES",
    "TRACTION",
    "ClassicParameters",
    "herniarules_rules",
    "herniarules_techniques",
    "herniarules_value_sets",
]

__version__ = "0.2.0"

_CLASSIC_SOURCE = (
    'Classic massage: "The preliminary stage when performing a classic massage is warming up '
    "the surface of the skin ... The total massage time is from 30 minutes to an hour. The "
    "course of massage activities should be carried out from ten to twenty days. Then a break "
    'of two to three months is necessary."'
)

#: Classic massage, as the source describes it.
CLASSIC = Technique(
    id="classic",
    name=N_("Classic massage"),
    description=(
        N_(
            "Soft classic massage of the back, gluteal and lumbosacral areas without pressure or "
            "force: warm-up, staged sequence, seven main moves, pinching and shaking."
        )
    ),
    source=_CLASSIC_SOURCE,
    # The source's general aims of massage for a hernia: relieve pain, relax the back
    # muscles, prevent, and rehabilitate after the main treatment.
    indications=("pain-relief", "muscle-relaxation", "prevention", "rehabilitation"),
    # "rubbing from the buttocks to the back ... kneading the buttocks", and the collar zone
    # for a cervical hernia.
    area=(Site.NECK, Site.BACK, Site.BUTTOCKS),
    parameters=ClassicParameters(),
    protocol=classic_protocol,
    reads=("hernia_regions",),
    plan_course=plan_classic_course,
)

#: Classic massage with traction, indicated for disc compression or pinched muscle fibres.
TRACTION = Technique(
    id="traction",
    name=N_("Classic massage with traction"),
    description=(
        N_(
            "Classic massage with a gentle traction of the spine, for compression of the "
            "intervertebral disc or pinched muscle fibres."
        )
    ),
    source=(
        '"in case of compression of the intervertebral disc or pinched muscle fibers - '
        'classic massage with traction"'
    ),
    indications=("compression", "pinched-muscle-fibres"),
    area=(Site.NECK, Site.BACK),
    parameters=ClassicParameters(),
    variant_of="classic",
    protocol=traction_protocol,
    reads=("hernia_regions",),
    plan_course=plan_classic_course,
)


@hookimpl
def herniarules_techniques() -> Sequence[Technique]:
    """Declare ``classic`` and ``traction``."""
    return (CLASSIC, TRACTION)


@hookimpl
def herniarules_rules(policy: Policy) -> Sequence[Rule]:
    """Declare the traction rules; classic adds none to the core."""
    return traction_rules()


@hookimpl
def herniarules_value_sets() -> Sequence[ValueSet]:
    """Add the ``osteoporosis`` concept the traction rules read."""
    return VALUE_SETS
