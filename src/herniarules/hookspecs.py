"""The plugin contract: every hook a herniarules plugin may implement.

Plugins are found through the entry-point group ``herniarules``; each entry point names a
module or object whose functions carry the :data:`hookimpl` marker::

    # pyproject.toml of a plugin
    [project.entry-points.herniarules]
    kinesio = "herniarules_kinesio"

There are three hooks, all called once, when the engine loads, on each plugin separately
and through one guarded, timed call path (:mod:`herniarules.guard`): a failure is that
plugin's alone. A plugin registers objects: its techniques (each carrying its protocol
builder and, optionally, its course planner, see :class:`~herniarules.technique.Technique`),
the rules of those techniques, and value sets. The only plugin code that runs per patient is
those two functions, called only once the engine has decided every verdict, and any
``Custom`` predicate in the plugin's rules, which reads a private copy of the facts; each
runs through the same guard.

A hook that raises, returns the wrong type or takes longer than the time budget fails its
plugin: the techniques it declared are not permitted, with an ``engine.plugin-error``
finding (when :func:`herniarules_techniques` itself fails, it declared none), and the engine
records why in :attr:`herniarules.Engine.plugins` and carries on. Hooks may only add
restrictions: nothing here can remove, weaken or bypass a core rule.

What a hook returns must be a list or tuple of exactly the documented type (a subclass is
refused), and the engine keeps its own copy: changing the object afterwards changes nothing.

A function named ``herniarules_*`` must be one of these hooks and carry :data:`hookimpl`: an
unknown name fails the plugin with the closest hook name, a function without the marker
fails it too, and the hooks removed in 0.2 (``herniarules_protocol``,
``herniarules_plan_course``) fail it with what to do instead.

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

    Called once when the engine loads, first of the three hooks. Return
    :class:`~herniarules.technique.Technique` values with ids unique within the plugin, each
    with its ``protocol`` builder, the facts the builder ``reads`` and, optionally, its
    ``plan_course`` planner. A technique id that another plugin declares too disables both
    plugins, with an error naming them, until only one does.

    If this hook fails, the engine does not know which techniques the plugin meant to
    provide: the plugin appears only in :attr:`herniarules.Engine.plugins` (and each
    assessment's ``plugins``) with its error, and its technique ids are unknown to the engine.

    :returns: the plugin's techniques, a list or tuple of exactly ``Technique``.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       A technique carries its protocol builder (``protocol``, with ``reads``) and course
       planner (``plan_course``), which replace the per-patient hooks.
    """


@hookspec
def herniarules_rules(policy: Policy) -> Sequence[Rule]:  # type: ignore[empty-body]
    """Declare the rules of this plugin's techniques.

    Called once when the engine loads, after :func:`herniarules_techniques`; the rules are
    compiled once. Every rule must name in ``techniques`` only techniques this plugin
    declares, must not use the ``core.`` or ``engine.`` prefix, and must have an id no other
    rule has. A rule's outcome is never *allowed* (:class:`~herniarules.Rule` refuses it):
    rules can only add findings, and a verdict is the most restrictive of its findings, so a
    rule can only make a decision stricter.

    :param policy: a copy of the clinic's thresholds, for rules that share one with the core
        (``F.pain_score >= policy.severe_pain_score``). Changing it changes nothing in the
        engine.
    :returns: the rules, a list or tuple of exactly ``Rule``.

    .. versionadded:: 0.1
    .. versionchanged:: 0.2
       ``policy`` is a copy of the engine's policy.
    """


@hookspec
def herniarules_value_sets() -> Sequence[ValueSet]:  # type: ignore[empty-body]
    """Add ICD-10 value sets to the terminology.

    Called once when the engine loads, after :func:`herniarules_rules` and before any patient
    is assessed. Use it to map codes to a concept your rules read
    (``F.concepts.contains("my-concept")``) or to widen a core concept: a code in several
    value sets expresses every one of their concepts, so a plugin adds to the core and never
    replaces it. Value-set ids must be unique and should start with the plugin name. Every
    line is checked against the shipped code tables; a code that does not exist, or an id
    already taken, fails the plugin.

    :returns: the value sets to add, a list or tuple of exactly ``ValueSet``.

    .. versionadded:: 0.1
    """
