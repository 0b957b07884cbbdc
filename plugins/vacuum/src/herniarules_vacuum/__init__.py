"""herniarules plugin: vacuum (cupping) massage, for disc nutrition and circulation.

Registers the ``vacuum`` technique through the ``herniarules`` entry-point group: two cups
placed symmetrically either side of the spine and moved in straight, wavy or zigzag paths
from the lower back to the cervical region and back, never over the vertebrae, the skin drawn
in no more than two centimetres, with ointment or cream for glide.

Use it with an engine directly::

    import herniarules, herniarules_vacuum
    engine = herniarules.Engine(entry_points=False, plugins=[herniarules_vacuum])
"""

from __future__ import annotations

from collections.abc import Sequence

from herniarules import Policy, Rule, Site, Technique, hookimpl
from herniarules.i18n.markers import N_
from herniarules_vacuum.parameters import VacuumParameters
from herniarules_vacuum.protocol import plan_vacuum_course, vacuum_protocol
from herniarules_vacuum.rules import vacuum_rules

__all__ = [
    "VACUUM",
    "VacuumParameters",
    "herniarules_rules",
    "herniarules_techniques",
]

__version__ = "0.2.0"

#: Vacuum massage, as the source describes it.
VACUUM = Technique(
    id="vacuum",
    name=N_("Vacuum (cupping) massage"),
    description=(
        N_(
            "Two cups, by fire or a device, moved symmetrically along both sides of the spine "
            "without touching the vertebrae, the skin drawn in no more than 2 cm."
        )
    ),
    source=(
        '"there is a vacuum massage, which is aimed at nourishing the disc and a rush of blood '
        'to the damaged area"; Vacuum massage: "The massage therapist moves these jars in the '
        'desired direction, thereby ensuring blood circulation and muscle relaxation"'
    ),
    indications=("disc-nutrition", "circulation", "muscle-relaxation"),
    # "moved along the spine ... from the lower back to the cervical region".
    area=(Site.NECK, Site.BACK),
    parameters=VacuumParameters(),
    protocol=vacuum_protocol,
    plan_course=plan_vacuum_course,
)


@hookimpl
def herniarules_techniques() -> Sequence[Technique]:
    """Declare ``vacuum``."""
    return (VACUUM,)


@hookimpl
def herniarules_rules(policy: Policy) -> Sequence[Rule]:
    """Declare the vacuum rules."""
    return vacuum_rules()
