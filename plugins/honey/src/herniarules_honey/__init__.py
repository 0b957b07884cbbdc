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
from datetime import date

from herniarules import CoursePlan, Facts, Policy, Protocol, Rule, Site, Technique, hookimpl
from herniarules.memo import memoize_protocol
from herniarules_honey.parameters import HoneyParameters
from herniarules_honey.protocol import honey_protocol, plan_honey_course
from herniarules_honey.rules import honey_rules

__all__ = [
    "HONEY",
    "HoneyParameters",
    "herniarules_plan_course",
    "herniarules_protocol",
    "herniarules_rules",
    "herniarules_techniques",
]

__version__ = "0.1.0"

#: Honey massage, as the source describes it.
HONEY = Technique(
    id="honey",
    name="Honey massage",
    description=(
        "Light massage of the damaged area with a thick layer of honey and a palm tear-off, "
        "with a strengthening effect; sessions start at a few minutes and lengthen daily."
    ),
    source=(
        '"for muscle weakness - honey with a strengthening effect"; Honey massage: "The '
        "technique of performing honey massage is similar to the classical one at the "
        'preliminary stage ... You need to start the course in a few minutes."'
    ),
    # (``Technique.indications`` has a bare ``tuple`` converter that mypy types generically.)
    indications=("muscle-weakness",),  # type: ignore[arg-type, unused-ignore]
    # "honey is applied to the damaged area": the back over the hernia.
    area=(Site.NECK, Site.BACK),  # type: ignore[arg-type, unused-ignore]
    parameters=HoneyParameters(),
)


def _parameters(parameters: object) -> HoneyParameters:
    if not isinstance(parameters, HoneyParameters):
        raise TypeError(f"expected HoneyParameters, got {type(parameters).__name__}")
    return parameters


@hookimpl
def herniarules_techniques() -> Sequence[Technique]:
    """Declare ``honey``."""
    return (HONEY,)


@hookimpl
def herniarules_rules(policy: Policy) -> Sequence[Rule]:
    """Declare the honey rules."""
    return honey_rules()


@hookimpl
@memoize_protocol()
def herniarules_protocol(technique: Technique, facts: Facts, parameters: object) -> Protocol | None:
    """Build the honey protocol; ``None`` for another plugin's technique."""
    if technique.id != "honey":
        return None
    return honey_protocol(facts, _parameters(parameters))


@hookimpl
def herniarules_plan_course(
    technique: Technique, facts: Facts, parameters: object, protocol: Protocol, start: date
) -> CoursePlan | None:
    """Plan a course of daily, lengthening sessions; ``None`` for another plugin's technique."""
    if technique.id != "honey":
        return None
    return plan_honey_course(facts, _parameters(parameters), protocol, start)
