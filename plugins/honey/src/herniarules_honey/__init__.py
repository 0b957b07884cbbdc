"""herniarules plugin: honey massage, for muscle weakness.

Registers the ``honey`` technique through the ``herniarules`` entry-point group: the classic
warm-up, a thick layer of honey, a light massage with smooth soft movements and the palm
tear-off, starting with a session of a few minutes that lengthens day by day. Not for large
hernias, an allergy to honey, or skin disease at the site.

Use it with an engine directly::

    import herniarules, herniarules_honey
    engine = herniarules.Engine(entry_points=False, plugins=[herniarules_honey])
"""

from __future__ import annotations

from collections.abc import Sequence

from herniarules import Policy, Rule, Site, Technique, hookimpl
from herniarules.i18n.markers import N_
from herniarules_honey.parameters import HoneyParameters
from herniarules_honey.protocol import honey_protocol, plan_honey_course
from herniarules_honey.rules import honey_rules

__all__ = [
    "HONEY",
    "HoneyParameters",
    "herniarules_rules",
    "herniarules_techniques",
]

__version__ = "0.2.0"

#: Honey massage, as the source describes it.
HONEY = Technique(
    id="honey",
    name=N_("Honey massage"),
    description=(
        N_(
            "Light massage of the damaged area with a thick layer of honey and a palm tear-off, "
            "with a strengthening effect; sessions start at a few minutes and lengthen daily."
        )
    ),
    source=(
        '"for muscle weakness - honey with a strengthening effect"; Honey massage: "The '
        "technique of performing honey massage is similar to the classical one at the "
        'preliminary stage ... You need to start the course in a few minutes."'
    ),
    indications=("muscle-weakness",),
    # "honey is applied to the damaged area": the back over the hernia.
    area=(Site.NECK, Site.BACK),
    parameters=HoneyParameters(),
    protocol=honey_protocol,
    plan_course=plan_honey_course,
)


@hookimpl
def herniarules_techniques() -> Sequence[Technique]:
    """Declare ``honey``."""
    return (HONEY,)


@hookimpl
def herniarules_rules(policy: Policy) -> Sequence[Rule]:
    """Declare the honey rules."""
    return honey_rules()
