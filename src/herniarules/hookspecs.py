"""The plugin contract: every hook a herniarules plugin may implement.

Plugins are found through the entry-point group ``herniarules``; each entry point names a
module or object whose functions carry the :data:`hookimpl` marker::

    # pyproject.toml of a plugin
    [project.entry-points.herniarules]
    kinesio = "herniarules_kinesio"

Every hook is called once, when the engine loads, on each plugin separately (a failure is
that plugin's alone). A plugin registers objects: its techniques (each carrying its protocol
builder and, optionally, its course planner, see :class:`~herniarules.technique.Technique`),
the rules of those techniques, and value sets. Nothing of the plugin is called per patient
but those functions, through the engine's guard. A hook that raises or returns the wrong
type makes only its own plugin's techniques not permitted; the engine records why and
carries on. Hooks may only add restrictions: nothing here can remove, weaken or bypass a
core rule.

What a hook returns must be exactly the documented type (a subclass is refused), and the
engine keeps its own copy: changing the object afterwards changes nothing.

Hook arguments are only ever added, never renamed or removed; an implementation may accept
any subset of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
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
    values with unique ids, each with its ``protocol`` builder. A technique id that another
    plugin declares too disables both plugins, with an error naming them, until only one
    does.

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
