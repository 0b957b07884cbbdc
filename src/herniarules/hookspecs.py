"""The plugin contract: every hook a herniarules plugin may implement.

Plugins are found through the entry-point group ``herniarules``; each entry point names a
module or object whose functions carry the :data:`hookimpl` marker::

    # pyproject.toml of a plugin
    [project.entry-points.herniarules]
    kinesio = "herniarules_kinesio"

Hooks are called once when the engine loads, except :func:`herniarules_protocol` and
:func:`herniarules_plan_course`, which run per patient, and only for the plugin that declared
the technique. A hook that raises or returns the wrong type makes only its own plugin's
techniques not permitted; the engine records why and carries on. Hooks may only add
restrictions: nothing here can remove, weaken or bypass a core rule.

Hook arguments are only ever added, never renamed or removed; an implementation may accept
any subset of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from herniarules.courses import CoursePlan
    from herniarules.facts import Facts
    from herniarules.outcomes import Protocol
    from herniarules.rules import Rule
    from herniarules.safety import Policy
    from herniarules.technique import Technique
    from herniarules.terminology import ValueSet

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

#: The pluggy project name and entry-point group.
PROJECT_NAME = "herniarules"
#: Marks a hook specification (used by herniarules itself).
hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Marks a plugin's hook implementation: ``@hookimpl def herniarules_techniques(): ...``.
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def herniarules_techniques() -> Sequence[Technique]:  # type: ignore[empty-body]
    """Declare the techniques this plugin provides.

    Called once when the engine loads. Return :class:`~herniarules.technique.Technique`
    values with unique ids; an id another plugin already declared makes this plugin fail to
    load.

    :returns: the plugin's techniques.

    .. versionadded:: 0.1
    """


@hookspec
def herniarules_rules(policy: Policy) -> Sequence[Rule]:  # type: ignore[empty-body]
    """Declare the rules of this plugin's techniques.

    Called once when the engine loads; the rules are compiled once. Every rule must name in
    ``techniques`` only techniques this plugin declares, must not use the ``core.`` or
    ``engine.`` prefix, and must have an id no other rule has. Rules can only add findings,
    so they can only make a decision stricter.

    :param policy: the clinic's thresholds, for rules that share them with the core.
    :returns: the rules.

    .. versionadded:: 0.1
    """


@hookspec
def herniarules_value_sets() -> Sequence[ValueSet]:  # type: ignore[empty-body]
    """Add ICD-10 value sets to the terminology.

    Called once when the engine loads, before any patient is assessed. Use it to map codes
    to a concept your rules read (``F.concepts.contains("my-concept")``) or to widen a core
    concept. Value-set ids must be unique and should start with the plugin name.

    :returns: the value sets to add.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def herniarules_protocol(technique: Technique, facts: Facts, parameters: object) -> Protocol | None:
    """Build the session protocol for a patient the technique is permitted for.

    Called per patient, only on the plugin that declared ``technique``, and only when the
    decision permits the technique. Return ``None`` for a technique of another plugin.

    :param technique: the technique being planned.
    :param facts: the patient's facts; read them to adapt the protocol (shorter first
        sessions, areas to avoid).
    :param parameters: the technique's parameters, the plugin's defaults or the clinic's
        stricter values.
    :returns: the :class:`~herniarules.outcomes.Protocol`.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def herniarules_plan_course(
    technique: Technique,
    facts: Facts,
    parameters: object,
    protocol: Protocol,
    start: date,
    policy: Policy,
) -> CoursePlan | None:
    """Lay out the dated sessions of a course for a permitted patient.

    Called only on the plugin that declared ``technique``, after its protocol was built.
    Return ``None`` to use the engine's default plan (one session a day, the protocol's
    longest session, the protocol's fewest sessions).

    :param technique: the technique being planned.
    :param facts: the patient's facts.
    :param parameters: the technique's parameters.
    :param protocol: the protocol returned by :func:`herniarules_protocol`.
    :param start: the date of the first session.
    :param policy: the clinic's thresholds; the next course may not start earlier than
        ``policy.min_course_break_days`` after the last session.
    :returns: the :class:`~herniarules.courses.CoursePlan`.

    .. versionadded:: 0.1
    """
