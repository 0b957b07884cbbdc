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
from datetime import date

from herniarules import CoursePlan, Facts, Policy, Protocol, Rule, Site, Technique, hookimpl
from herniarules.memo import memoize_protocol
from herniarules_vacuum.parameters import VacuumParameters
from herniarules_vacuum.protocol import plan_vacuum_course, vacuum_protocol
from herniarules_vacuum.rules import vacuum_rules

__all__ = [
    "VACUUM",
    "VacuumParameters",
    "herniarules_plan_course",
    "herniarules_protocol",
    "herniarules_rules",
    "herniarules_techniques",
]

__version__ = "0.1.0"

#: Vacuum massage, as the source describes it.
VACUUM = Technique(
    id="vacuum",
    name="Vacuum (cupping) massage",
    description=(
        "Two cups, by fire or a device, moved symmetrically along both sides of the spine "
        "without touching the vertebrae, the skin drawn in no more than 2 cm."
    ),
    source=(
        '"there is a vacuum massage, which is aimed at nourishing the disc and a rush of blood '
        'to the damaged area"; Vacuum massage: "The massage therapist moves these jars in the '
        'desired direction, thereby ensuring blood circulation and muscle relaxation"'
    ),
    # (``Technique.indications`` has a bare ``tuple`` converter that mypy types generically.)
    indications=("disc-nutrition", "circulation", "muscle-relaxation"),  # type: ignore[arg-type, unused-ignore]
    # "moved along the spine ... from the lower back to the cervical region".
    area=(Site.NECK, Site.BACK),  # type: ignore[arg-type, unused-ignore]
    parameters=VacuumParameters(),
)


def _parameters(parameters: object) -> VacuumParameters:
    if not isinstance(parameters, VacuumParameters):
        raise TypeError(f"expected VacuumParameters, got {type(parameters).__name__}")
    return parameters


@hookimpl
def herniarules_techniques() -> Sequence[Technique]:
    """Declare ``vacuum``."""
    return (VACUUM,)


@hookimpl
def herniarules_rules(policy: Policy) -> Sequence[Rule]:
    """Declare the vacuum rules."""
    return vacuum_rules()


@hookimpl
@memoize_protocol()
def herniarules_protocol(technique: Technique, facts: Facts, parameters: object) -> Protocol | None:
    """Build the vacuum protocol; ``None`` for another plugin's technique."""
    if technique.id != "vacuum":
        return None
    return vacuum_protocol(facts, _parameters(parameters))


@hookimpl
def herniarules_plan_course(
    technique: Technique, facts: Facts, parameters: object, protocol: Protocol, start: date
) -> CoursePlan | None:
    """Plan a course of sessions every other day; ``None`` for another plugin's technique."""
    if technique.id != "vacuum":
        return None
    return plan_vacuum_course(facts, _parameters(parameters), protocol, start)
