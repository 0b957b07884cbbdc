"""The engine: loads plugins, compiles rules once, and turns a patient into decisions.

The pipeline, one module per stage:

1. :mod:`herniarules.discovery` finds installed plugin distributions (entry points), checks
   them against the allow-list or lock, and imports them.
2. The engine registers each plugin with its own pluggy manager (no global state) and calls
   its load-time hooks (techniques, rules, value sets) through :mod:`herniarules.guard`. What
   a plugin hands over must be exactly a :class:`~herniarules.Technique`,
   :class:`~herniarules.Rule` or :class:`~herniarules.ValueSet` (no subclass) and is copied
   into records the engine owns, so changing the object afterwards changes nothing here.
3. Per patient, :func:`~herniarules.facts.derive_facts` derives the facts, the core rules
   run once, every technique's own rules run, and :mod:`herniarules.decide` turns the
   findings into each technique's verdict, all before any per-patient plugin code runs.
4. Only then is each permitted technique's protocol built by its plugin, through the guard,
   from a view holding only the facts the technique declared; a failure there makes the
   technique not permitted and cannot lower any verdict.

A plugin that raises, returns the wrong type or breaks the contract makes only its own
techniques not permitted, with an ``engine.plugin-error`` finding naming it. That holds for
every exception, ``SystemExit`` and ``GeneratorExit`` included; only ``KeyboardInterrupt``
propagates, so that an operator can still stop the program.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from herniarules import discovery, hookspecs
from herniarules._codegen import define
from herniarules.bounded import PROTOCOLS, BoundedCache, estimate
from herniarules.courses import CoursePlan, default_plan
from herniarules.decide import clearances_on, judge, most_restrictive
from herniarules.facts import ITEM_COLLECTIONS, Facts, derive_facts
from herniarules.guard import Guard, PluginError, describe, text_of
from herniarules.i18n.markers import N_
from herniarules.model import Patient
from herniarules.outcomes import (
    REFUSED_NAMESPACE,
    Assessment,
    Decision,
    Finding,
    Outcome,
    PluginInfo,
    Protocol,
    Provenance,
    _assessed,
    _decided,
    _found,
    decision_code,
    refused_code,
)
from herniarules.rules import CompiledRules, Custom, Rule
from herniarules.rules._render import finding_parts
from herniarules.safety import DEFAULT_POLICY, Policy, core_rules
from herniarules.technique import ProtocolFacts, Technique
from herniarules.terminology import DEFAULT_TERMINOLOGY, Terminology, ValueSet
from herniarules.vocabulary import Site

if TYPE_CHECKING:
    from herniarules.audit import Replay

__all__ = ["ENTRY_POINT_GROUP", "Engine", "NotPermittedError", "PluginError", "TechniqueRules"]

_T = TypeVar("_T")

#: Entry-point group plugins register under.
ENTRY_POINT_GROUP = "herniarules"
PLUGIN_ERROR = "engine.plugin-error"
_PERMITTING = Outcome.ALLOWED_WITH_MODIFICATIONS
#: Default longest time a plugin hook call may take, in seconds.
DEFAULT_TIME_BUDGET_S = 1.0
_RESERVED_PREFIXES = ("core.", "engine.")
#: Hooks of the 0.1 contract that the technique object now carries, with what to do instead.
_REMOVED_HOOKS = {
    "herniarules_protocol": "pass protocol= (and reads=) to Technique instead",
    "herniarules_plan_course": "pass plan_course= to Technique instead",
}
#: Most protocols kept per technique for reuse (within the shared byte budget too).
_PROTOCOL_CACHE_SIZE = 512


@attrs.frozen
class TechniqueRules:
    """What decides one technique beyond the core rules, as :meth:`Engine.technique_rules` gives.

    A batch back-end (population screening) reads this to decide as the engine does, without
    reaching into the engine.
    """

    technique: Technique
    rules: tuple[Rule, ...]
    """The technique's own rules (those of its plugin that apply to it), in plugin order;
    empty when its plugin failed."""
    failed: bool
    """Whether the technique's plugin failed: the technique is then never permitted and every
    decision carries an ``engine.plugin-error`` finding."""
    treated: frozenset[str] | None
    """The site values the technique's area overlaps, or ``None`` for the whole body: a local
    finding whose sites all lie outside it only modifies the technique."""


class NotPermittedError(Exception):
    """Raised when a course is planned for a patient the technique is not permitted for."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision
        reasons = "; ".join(
            f"{f.rule_id}: {f.message}" for f in decision.findings_at_least(decision.outcome)
        )
        super().__init__(
            f"{decision.technique} is not permitted for patient {decision.patient_id} "
            f"({decision.outcome.label}): {reasons}"
        )


@attrs.define
class _Plugin:
    """What one plugin contributed, or why it could not: the engine's own record of it."""

    name: str
    version: str
    plugin: object
    digest: str | None = None
    """The sha256 of an installed distribution's files; ``None`` for objects passed in."""
    techniques: list[Technique] = attrs.Factory(list)
    rules: list[Rule] = attrs.Factory(list)
    value_sets: list[ValueSet] = attrs.Factory(list)
    error: str | None = None
    traceback: str | None = None
    """The traceback of the plugin's last failing call, for debugging."""

    def fail(self, why: str) -> None:
        """Record the first reason the plugin cannot be used."""
        if self.error is None:
            self.error = why


@attrs.define
class _Slot:
    """One technique, ready to evaluate: its compiled rules and its plugin's functions."""

    technique: Technique
    plugin: _Plugin
    parameters: object
    id: str = attrs.field(init=False)
    #: Facts → this technique's own findings; ``None`` when its plugin failed.
    findings: Callable[[Facts], list[Finding]] | None = None
    #: Whether the technique's rules call plugin code (``Custom`` predicates): they then
    #: read a private copy of the facts, through the guard.
    custom: bool = False
    #: Whether the technique has local rules of its own (see ``Rule.local``).
    local: bool = False
    #: Where the engine's joint rule function puts this technique's findings; 0 if it keeps
    #: a function of its own (its plugin failed, or its rules call plugin code).
    group: int = 0
    #: The site values the technique's area overlaps, or ``None`` for the whole body (no
    #: local finding can lie outside it).
    treated: frozenset[str] | None = attrs.field(init=False)
    indications: frozenset[str] = attrs.field(init=False)
    #: Facts → the values the protocol builder declared, as the protocol cache's key.
    key: Callable[[Facts], tuple[Any, ...]] = attrs.field(init=False)
    protocols: BoundedCache[tuple[Any, ...], Protocol] = attrs.field(init=False)
    #: Each protocol kept, by value: a builder gives equal protocols for many declared facts
    #: (classic's for every pain score up to 3), and those become one object, so that what is
    #: kept per object (the JSON text of :mod:`herniarules._emit`) is kept once.
    distinct: BoundedCache[Protocol, Protocol] = attrs.field(init=False)

    @id.default
    def _id(self) -> str:
        return self.technique.id

    @treated.default
    def _treated(self) -> frozenset[str] | None:
        treated = frozenset(site.value for site in Site if self.technique.treats(site))
        return None if treated == _EVERY_SITE else treated

    @indications.default
    def _indications(self) -> frozenset[str]:
        return frozenset(self.technique.indications)

    @key.default
    def _key(self) -> Callable[[Facts], tuple[Any, ...]]:
        return _key_function(self.technique.reads)

    @protocols.default
    def _protocols(self) -> BoundedCache[tuple[Any, ...], Protocol]:
        return BoundedCache(
            f"protocols of {self.id}",
            PROTOCOLS,
            max_entries=_PROTOCOL_CACHE_SIZE,
            size=_protocol_entry_size,
        )

    @distinct.default
    def _distinct(self) -> BoundedCache[Protocol, Protocol]:
        return BoundedCache(
            f"distinct protocols of {self.id}",
            PROTOCOLS,
            max_entries=_PROTOCOL_CACHE_SIZE,
            size=lambda protocol, same: estimate(protocol),
        )


def _key_function(reads: tuple[str, ...]) -> Callable[[Facts], tuple[Any, ...]]:
    """Return facts → the declared values with their types (``1 == 1.0`` but prints apart).

    An item collection (``hernias``, ``conditions``) carries the types of its items' fields
    too, so a hernia of ``4`` mm and one of ``4.0`` mm do not share a protocol.
    """
    if not reads:
        return lambda facts: ()
    get = operator.attrgetter(*reads)
    items = tuple(index for index, name in enumerate(reads) if name in ITEM_COLLECTIONS)
    if len(reads) == 1 and not items:

        def one(facts: Facts) -> tuple[Any, ...]:
            value = get(facts)
            return (value, value.__class__)

        return one

    def many(facts: Facts) -> tuple[Any, ...]:
        values = get(facts) if len(reads) > 1 else (get(facts),)
        kinds = [value.__class__ for value in values]
        for index in items:
            value = values[index]
            if value is not None:
                kinds.append(
                    tuple(tuple(map(type, attrs.astuple(i, recurse=False))) for i in value)
                )
        return (*values, *kinds)

    return many


def _merged(distinct: BoundedCache[Protocol, Protocol], protocol: Protocol) -> Protocol:
    """Return the equal protocol kept in ``distinct`` if it prints the same, else ``protocol``
    (then kept). Equal values may differ in type (``10 == 10.0``) and be written differently.
    """
    try:
        same = distinct.get(protocol)
    except TypeError:  # a parameter value that cannot be hashed: not merged
        return protocol
    if same is not None and repr(same) == repr(protocol):
        return same
    distinct.put(protocol, protocol)
    return protocol


def _protocol_entry_size(key: tuple[Any, ...], value: Protocol) -> int:
    return estimate((key, value))


def _sequence_of(value: object, kind: type, what: str) -> list[Any]:
    """Return ``value`` as a list of exactly ``kind`` (no subclass), or raise PluginError."""
    if not isinstance(value, list | tuple):
        raise PluginError(
            f"{what} must return a list of {kind.__name__}, got {type(value).__name__}"
        )
    for item in value:
        if type(item) is not kind:
            raise PluginError(
                f"{what} returned {type(item).__name__} {item!r}, which is not a "
                f"{kind.__name__} (exactly: subclasses are refused)"
            )
    return list(value)


def _own_policy(policy: object) -> Policy:
    """Return a validated copy of ``policy`` that only the engine holds."""
    if type(policy) is not Policy:
        raise TypeError(
            f"policy must be a herniarules.Policy (not a subclass), got {type(policy).__name__}"
        )
    try:
        # evolve runs every validator again: a policy built without them (unpickled, or
        # changed with object.__setattr__) is refused here.
        return attrs.evolve(policy)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"policy is not valid: {exc}") from None


def _copy(policy: Policy) -> Policy:
    """Return a copy of ``policy`` for a plugin: what the plugin does to it stays with it."""
    return attrs.evolve(policy)


def _contains_custom(value: object, depth: int = 0) -> bool:
    """Return whether an expression tree holds a :class:`Custom` predicate (plugin code)."""
    if isinstance(value, Custom):
        return True
    if depth > 100:  # deeper than any rule: treat as plugin code, to be safe
        return True
    if isinstance(value, list | tuple | frozenset | set):
        return any(_contains_custom(item, depth + 1) for item in value)
    if type(value).__module__.startswith("herniarules.rules"):
        children: Iterable[object]
        kind: Any = type(value)
        if attrs.has(kind):
            children = [getattr(value, f.name) for f in attrs.fields(kind)]
        else:
            children = [
                *getattr(value, "__dict__", {}).values(),
                *(
                    getattr(value, name)
                    for cls in type(value).__mro__
                    for name in getattr(cls, "__slots__", ())
                    if hasattr(value, name)
                ),
            ]
        return any(_contains_custom(child, depth + 1) for child in children)
    return False


def _copies(items: tuple[_T, ...]) -> tuple[_T, ...]:
    """Return a tuple of copies of the item facts ``items``."""
    return tuple(attrs.evolve(item) for item in items)  # type: ignore[misc]  # attrs items


def _copied_items(items: tuple[Any, ...] | None) -> tuple[Any, ...] | None:
    """Return :func:`_copies` of ``items``; ``None`` (not recorded) stays ``None``."""
    return None if items is None else _copies(items)


def _private_facts(facts: Facts) -> Facts:
    """Return a copy of ``facts`` with its own item objects, for rules that run plugin code."""
    return attrs.evolve(facts, hernias=_copies(facts.hernias), conditions=_copies(facts.conditions))


class Engine:
    """Assess patients against the core rules and every loaded technique plugin.

    :param plugins: plugin objects (modules or instances with ``@hookimpl`` functions) to
        register in addition to, or instead of, the installed ones.
    :param entry_points: load the plugins installed under the ``herniarules`` entry-point
        group.
    :param allow: if given, load only the installed distributions it names:
        ``"herniarules-vacuum"``, optionally pinned as ``"herniarules-vacuum==0.2.0"`` or
        ``"herniarules-vacuum==0.2.0 sha256:<digest>"`` (see
        :func:`herniarules.discovery.lock_lines` and ``herniarules plugins --lock``). A
        pinned distribution whose version or files differ is not imported and is reported
        as failed.
    :param policy: the clinic's thresholds; stricter than the defaults or equal. Exactly a
        :class:`~herniarules.Policy`, validated; the engine keeps its own copy.
    :param parameters: per technique id, a stricter instance of its parameter class.
    :param plugin_time_budget_s: longest a plugin call may take, in seconds. A call that
        takes longer has its result discarded: at load time the plugin fails to load, per
        patient its technique is not permitted. A call that never returns cannot be
        interrupted inside the process; run assessments under a process-level timeout if
        untrusted plugins are installed.
    :param debug: print the traceback of every failing plugin call to standard error (they
        are kept either way: :attr:`plugin_tracebacks`).
    """

    def __init__(
        self,
        plugins: Iterable[object] = (),
        *,
        entry_points: bool = True,
        allow: Collection[str] | None = None,
        policy: Policy = DEFAULT_POLICY,
        terminology: Terminology = DEFAULT_TERMINOLOGY,
        parameters: Mapping[str, object] | None = None,
        plugin_time_budget_s: float = DEFAULT_TIME_BUDGET_S,
        debug: bool = False,
    ) -> None:
        policy = _own_policy(policy)
        if not isinstance(plugin_time_budget_s, int | float) or not plugin_time_budget_s > 0:
            raise ValueError(f"plugin_time_budget_s must be > 0, got {plugin_time_budget_s!r}")
        if type(terminology) is not Terminology:
            raise TypeError(
                f"terminology must be a herniarules.Terminology, got {type(terminology).__name__}"
            )
        allowed = None if allow is None else discovery.parse_allowed(allow)
        #: The clinic's thresholds in force (the engine's own copy).
        self.policy = policy
        #: Longest time a plugin call may take, in seconds.
        self.plugin_time_budget_s = float(plugin_time_budget_s)
        self._guard = Guard(self.plugin_time_budget_s, debug=debug)
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._hooks = frozenset(
            name for name in dir(hookspecs) if name.startswith(f"{hookspecs.PROJECT_NAME}_")
        )
        self._plugins: list[_Plugin] = []
        if entry_points:
            self._load_entry_points(allowed)
        for plugin in plugins:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            self._register(_Plugin(str(name), "unregistered", plugin))
        self._collect()
        self._refuse_shared_techniques()
        for record in self._plugins:
            if record.error is None and record.value_sets:
                try:
                    terminology = terminology.with_value_sets(*record.value_sets)
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # e.g. a value-set id another source already uses
                    record.fail(f"herniarules_value_sets: {text_of(exc)}")
        #: The value sets in force: the core ones plus those the plugins added.
        self.terminology = terminology
        self._core = CompiledRules(core_rules(policy))
        self._core_findings = _finder(self._core)
        self._parameters = self._check_parameters(parameters or {})
        self._compile_techniques()
        self._fingerprint = self._make_fingerprint()
        from herniarules import __version__

        catalogue = {rule.id: (rule.message, rule.source) for rule in self.rules}
        self._provenance = Provenance(
            self._fingerprint, self._plugin_infos, policy, __version__, catalogue
        )

    # -- loading ---------------------------------------------------------------------------
    def _load_entry_points(self, allowed: Mapping[str, discovery.Allowed] | None) -> None:
        groups = discovery.by_distribution(discovery.candidates(ENTRY_POINT_GROUP))
        for key, members in groups.items():
            first = members[0]
            pin = None
            if allowed is not None:
                pin = allowed.get(key)
                if pin is None:
                    continue
            record = _Plugin(first.name, first.version, None)
            self._plugins.append(record)
            try:
                record.digest = discovery.digest(members)
            except OSError as exc:
                record.fail(f"its installed files could not be read: {exc}")
                continue
            if pin is not None and pin.version is not None and pin.version != first.version:
                record.fail(
                    f"version {first.version} is installed; the allow-list pins {pin.version}"
                )
                continue
            if pin is not None and pin.digest is not None and pin.digest != record.digest:
                record.fail(
                    f"its installed files (sha256:{record.digest[:12]}...) differ from the "
                    f"allow-list's sha256:{pin.digest[:12]}...; it was not imported"
                )
                continue
            loaded = []
            for candidate in members:
                ep = candidate.entry_point
                try:
                    loaded.append(ep.load())
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # any import failure: record it, keep loading
                    self._guard.failed(record, exc)
                    record.fail(f"could not import {ep.value}: {exc!r}")
            if record.error is None:
                record.plugin = loaded[0] if len(loaded) == 1 else tuple(loaded)
                for index, plugin in enumerate(loaded):
                    self._register_object(record, plugin, index)
        by_entry_point = {c.entry_point.name: c.name for m in groups.values() for c in m}
        for key in sorted(set(allowed or ()) - set(groups)):
            why = "named in the allow-list, not installed"
            if key in by_entry_point:
                why += (
                    f"; {key!r} is an entry-point name, and the allow-list names "
                    f"distributions: {by_entry_point[key]}"
                )
            self._plugins.append(_Plugin(key, "not installed", None, error=why))

    def _register(self, record: _Plugin) -> None:
        self._plugins.append(record)
        self._register_object(record, record.plugin, 0)

    def _register_object(self, record: _Plugin, plugin: object, index: int) -> None:
        try:
            self._pm.register(plugin, name=f"{record.name}#{len(self._plugins)}.{index}")
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # e.g. a plugin whose __dir__ raises while pluggy lists it
            self._guard.failed(record, exc)
            text = text_of(exc)
            record.fail(f"could not register: {type(exc).__name__}" + (f": {text}" if text else ""))
            return
        problems = self._hook_problems(plugin)
        if problems:
            record.fail("; ".join(problems))
            self._pm.unregister(plugin)

    def _hook_problems(self, plugin: object) -> list[str]:
        """Return what is wrong with a plugin's hooks: unknown, removed or unmarked ones."""
        prefix = f"{hookspecs.PROJECT_NAME}_"
        problems = []
        for caller in self._pm.get_hookcallers(plugin) or ():
            if caller.has_spec():
                continue
            name = caller.name
            if name in _REMOVED_HOOKS:
                problems.append(f"implements {name}, removed in 0.2: {_REMOVED_HOOKS[name]}")
                continue
            import difflib

            close = difflib.get_close_matches(name, sorted(self._hooks), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            problems.append(f"implements unknown hook {name}{hint}")
        try:
            names = [n for n in dir(plugin) if n.startswith(prefix)]
        except KeyboardInterrupt:
            raise
        except BaseException:  # pluggy listed it already; a second listing may still fail
            names = []
        for name in sorted(names):
            try:
                value = getattr(plugin, name)
            except KeyboardInterrupt:
                raise
            except BaseException:  # an attribute that raises is not a hook
                continue
            if callable(value) and not hasattr(value, f"{hookspecs.PROJECT_NAME}_impl"):
                problems.append(
                    f"defines {name} without @hookimpl, so the engine would never call it"
                )
        return problems

    def _call(self, record: _Plugin, hook: str, *args: Any) -> Any:
        """Call ``record``'s implementation of a load-time hook, through the guard."""
        caller: pluggy.HookCaller = getattr(self._pm.hook, hook)
        result: list[Any] = []
        for impl in caller.get_hookimpls():
            if impl.plugin is record.plugin or (
                type(record.plugin) is tuple and impl.plugin in record.plugin
            ):
                values = dict(zip(("policy",), args, strict=False))
                arguments = [values[name] for name in impl.argnames]
                result.extend(
                    _sequence_of(
                        self._guard.call(record, hook, impl.function, *arguments) or [],
                        _HOOK_TYPES[hook],
                        hook,
                    )
                )
        return result

    def _collect(self) -> None:
        seen_rules: set[str] = {r.id for r in core_rules(self.policy)}
        for record in self._plugins:
            if record.error is not None:
                continue
            try:
                techniques = [attrs.evolve(t) for t in self._call(record, "herniarules_techniques")]
                own = {t.id for t in techniques}
                if len(own) < len(techniques):
                    raise PluginError("herniarules_techniques declares a technique id twice")
                record.techniques = techniques
                rules = [
                    attrs.evolve(rule)
                    for rule in self._call(record, "herniarules_rules", _copy(self.policy))
                ]
                for rule in rules:
                    if rule.id.startswith(_RESERVED_PREFIXES):
                        raise PluginError(f"rule {rule.id!r} uses a reserved prefix")
                    if rule.id in seen_rules:
                        raise PluginError(f"rule id {rule.id!r} is already taken")
                    if rule.techniques is None or not rule.techniques or not rule.techniques <= own:
                        raise PluginError(
                            f"rule {rule.id!r} must name only this plugin's techniques "
                            f"({', '.join(sorted(own)) or 'none'})"
                        )
                    seen_rules.add(rule.id)
                record.rules = rules
                record.value_sets = [
                    attrs.evolve(vs) for vs in self._call(record, "herniarules_value_sets")
                ]
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # a broken plugin fails alone
                record.fail(describe("loading", exc))

    def _refuse_shared_techniques(self) -> None:
        """Disable every plugin that declares a technique id another plugin declares too."""
        owners: dict[str, list[_Plugin]] = {}
        for record in self._plugins:
            for technique in record.techniques:
                owners.setdefault(technique.id, []).append(record)
        for technique_id, records in sorted(owners.items()):
            if len(records) > 1:
                names = " and ".join(f"{r.name} {r.version}" for r in records)
                for record in records:
                    record.fail(
                        f"technique {technique_id!r} is declared by {names}; "
                        "none of them is used until only one does"
                    )

    def _check_parameters(self, parameters: Mapping[str, object]) -> dict[str, object]:
        result: dict[str, object] = {}
        techniques = {t.id: t for record in self._plugins for t in record.techniques}
        for technique_id, value in parameters.items():
            technique = techniques.get(technique_id)
            if technique is None:
                raise ValueError(f"parameters given for unknown technique {technique_id!r}")
            if type(value) is not type(technique.parameters):
                raise TypeError(
                    f"parameters for {technique_id!r} must be a "
                    f"{type(technique.parameters).__name__}, got {type(value).__name__}"
                )
            result[technique_id] = value
        return result

    def _compile_techniques(self) -> None:
        self._slots: dict[str, _Slot] = {}
        for record in self._plugins:
            slots = [
                _Slot(technique, record, self._parameters.get(technique.id, technique.parameters))
                for technique in record.techniques
            ]
            for slot in slots:
                # A technique id two plugins declare is reported once, as the first's.
                self._slots.setdefault(slot.id, slot)
            if record.error is None:
                try:
                    for slot in slots:
                        self._compile_slot(slot)
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # the plugin's rules would not compile
                    record.fail(f"its rules could not be compiled: {describe('compiling', exc)}")
                    for slot in slots:
                        slot.findings = None
        self._sorted_slots = tuple(self._slots[t] for t in sorted(self._slots))
        self._compile_together()
        self._local_titles: Mapping[str, str] = {r.id: r.title for r in self.rules if r.local}
        self._decide_sorted = self._sorted_decider()
        self._plugin_infos = tuple(
            PluginInfo(
                name=record.name,
                version=record.version,
                techniques=tuple(t.id for t in record.techniques),
                error=record.error,
            )
            for record in self._plugins
        )

    def _compile_together(self) -> None:
        """Compile the core rules and every technique's declarative rules into one function.

        :meth:`assess` of every technique then reads the facts once instead of once per
        technique, and the function sorts the findings as it goes: group 0 is the core's, and
        each technique has a group of its own. A technique whose plugin failed, or whose rules
        call plugin code, keeps its own function; so does everything when the joint one fails.
        """
        for number, slot in enumerate(
            (s for s in self._sorted_slots if s.findings is not None and not s.custom), 1
        ):
            slot.group = number
        group_of = {slot.id: slot.group for slot in self._sorted_slots if slot.group}
        rules = list(self._core.rules)
        groups: list[tuple[int, ...]] = [(0,)] * len(rules)
        for record in self._plugins:
            if record.error is not None:
                continue
            for rule in record.rules:
                own = tuple(sorted(group_of[t] for t in rule.techniques or () if t in group_of))
                if own:
                    rules.append(rule)
                    groups.append(own)
        self._all_findings = CompiledRules(rules, what="all rules").grouped_findings_function(
            _make_finding, _FINDING_CACHE_SIZE, groups, 1 + len(group_of)
        )

    def _compile_slot(self, slot: _Slot) -> None:
        technique_id = slot.id
        rules = [r for r in slot.plugin.rules if r.techniques and technique_id in r.techniques]
        slot.local = any(rule.local for rule in rules)
        slot.custom = any(_contains_custom(rule.when) for rule in rules)
        slot.findings = _finder(CompiledRules(rules))

    def _make_fingerprint(self) -> str:
        import hashlib  # only needed once per engine

        digest = hashlib.sha256()
        for rule in self.rules:
            line = f"{rule.id}|{sorted(rule.techniques or ['*'])}|{rule.outcome.label}|"
            line += f"{rule.site}|{rule.local}|"
            digest.update((line + rule.when.render() + "\n").encode())
        digest.update(repr(attrs.asdict(self.policy)).encode())
        for record in self._plugins:
            line = f"{record.name}=={record.version} {record.digest or '-'} {record.error}\n"
            digest.update(line.encode())
        for technique_id, slot in sorted(self._slots.items()):
            reads = ",".join(slot.technique.reads)
            digest.update(f"{technique_id}@{sorted(slot.technique.area)}:{reads}\n".encode())
        for technique_id, params in sorted(self._parameters.items()):
            digest.update(f"{technique_id}:{params!r}\n".encode())
        return digest.hexdigest()[:16]

    # -- introspection ---------------------------------------------------------------------
    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """Return every plugin the engine tried to load, with version and any load error."""
        return self._plugin_infos

    @property
    def plugin_tracebacks(self) -> Mapping[str, str]:
        """Return, per plugin name, the traceback of its last failing call (if any failed)."""
        return {r.name: r.traceback for r in self._plugins if r.traceback is not None}

    @property
    def techniques(self) -> tuple[Technique, ...]:
        """Return the declared techniques, sorted by id (including those of failed plugins)."""
        return tuple(slot.technique for slot in self._sorted_slots)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Return the core rules followed by every loaded plugin's rules."""
        plugin_rules = [r for record in self._plugins if record.error is None for r in record.rules]
        return (*self._core.rules, *plugin_rules)

    @property
    def fingerprint(self) -> str:
        """Return a short hash of what was loaded: rules, policy, parameters, plugin files."""
        return self._fingerprint

    def technique(self, technique_id: str) -> Technique:
        """Return the technique ``technique_id``; raise ``KeyError`` naming the known ones."""
        return self._slot(technique_id).technique

    def _slot(self, technique_id: str) -> _Slot:
        try:
            return self._slots[technique_id]
        except KeyError:
            known = ", ".join(sorted(self._slots)) or "none"
            raise KeyError(f"unknown technique {technique_id!r}; known: {known}") from None

    def technique_rules(self, technique_id: str) -> TechniqueRules:
        """Return the rules, plugin state and treated area that decide ``technique_id``.

        Raises ``KeyError`` naming the known techniques.
        """
        slot = self._slot(technique_id)
        failed = slot.findings is None
        rules = (
            ()
            if failed
            else tuple(
                r for r in slot.plugin.rules if r.techniques and technique_id in r.techniques
            )
        )
        return TechniqueRules(slot.technique, rules, failed, slot.treated)

    def parameters(self, technique_id: str) -> object:
        """Return the parameters in force for ``technique_id`` (the clinic's or the default)."""
        return self._slot(technique_id).parameters

    # -- evaluation ------------------------------------------------------------------------
    def facts(self, patient: Patient, as_of: date | None = None) -> Facts:
        """Return the facts the rules read for ``patient`` on ``as_of`` (default: today)."""
        if not isinstance(patient, Patient):
            raise TypeError(f"expected a herniarules.Patient, got {type(patient).__name__}")
        return derive_facts(patient, as_of or date.today(), self.terminology)

    def _plugin_failure(self, record: _Plugin, technique_id: str, what: str) -> Finding:
        return Finding(
            rule_id=PLUGIN_ERROR,
            outcome=Outcome.INSUFFICIENT_DATA,
            message=(
                f"The plugin {record.name} {record.version} that provides {technique_id!r} "
                f"failed ({what}); the technique cannot be assessed and is not permitted."
            ),
            source="herniarules fails closed: a technique whose plugin fails is not permitted.",
        )

    def _own_findings(self, slot: _Slot, facts: Facts) -> list[Finding]:
        findings_of = slot.findings
        record = slot.plugin
        if findings_of is None:
            return [self._plugin_failure(record, slot.id, record.error or "no rules")]
        try:
            if slot.custom:
                return self._guard.call(
                    record, "a Custom predicate", findings_of, _private_facts(facts)
                )
            return findings_of(facts)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit from a predicate fails its technique alone
            return [self._plugin_failure(record, slot.id, describe("a rule", exc))]

    def protocol_failure(self, technique: str, facts: Facts) -> Finding | None:
        """Return the ``engine.plugin-error`` finding if ``technique``'s protocol builder fails
        for ``facts``, else ``None`` (the protocol is then kept for reuse).

        For callers that reach verdicts without :meth:`assess`, such as
        :func:`herniarules.screen.screen`: a technique whose builder fails is not permitted.
        """
        slot = self._slot(technique)
        # As the decision loop of assess does, apart: that loop keeps the hit path inline.
        key: tuple[Any, ...] | None = slot.key(facts) if slot.technique.reads else ()
        try:
            if slot.protocols.get(key) is not None:  # type: ignore[arg-type]  # a tuple here
                return None
        except TypeError:  # an unhashable declared value: built every time
            key = None
        built = self._built_or_failure(slot, facts, key)
        return built if isinstance(built, Finding) else None

    def _built_or_failure(
        self, slot: _Slot, facts: Facts, key: tuple[Any, ...] | None
    ) -> Protocol | Finding:
        """Return :meth:`_build_protocol`, or the ``engine.plugin-error`` finding if it fails."""
        try:
            return self._build_protocol(slot, facts, key)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # PluginError from the guard, or an engine fault
            return self._plugin_failure(slot.plugin, slot.id, describe("the protocol builder", exc))

    def _build_protocol(self, slot: _Slot, facts: Facts, key: tuple[Any, ...] | None) -> Protocol:
        """Build the slot's protocol for ``facts`` through the guard; keep it under ``key``.

        ``key`` is the slot's key for ``facts``, or ``None`` when a declared value cannot be
        hashed (the protocol is then built every time).
        """
        technique = slot.technique
        # Item collections are copied: their items are the engine's (shared with the findings
        # cache), and a builder must not reach them even with object.__setattr__.
        view = ProtocolFacts(
            slot.id,
            {
                name: _copied_items(getattr(facts, name))
                if name in ITEM_COLLECTIONS
                else getattr(facts, name)
                for name in technique.reads
            },
        )
        protocol = self._guard.call(
            slot.plugin,
            f"the protocol builder of {slot.id!r}",
            technique.protocol,
            view,
            slot.parameters,
        )
        if type(protocol) is not Protocol or protocol.technique != slot.id:
            raise PluginError(
                f"the protocol builder of {slot.id!r} returned {type(protocol).__name__}, "
                f"not a Protocol for {slot.id!r}"
            )
        protocol = _merged(slot.distinct, protocol)
        if key is not None:
            slot.protocols.put(key, protocol)
        return protocol

    def _decide(
        self,
        slots: Sequence[_Slot],
        patient: Patient,
        facts: Facts,
        ranked: list[tuple[int, Outcome, str]] | None = None,
        audit: list[Any] | None = None,
    ) -> tuple[Decision, ...]:
        """Decide each slot's technique for ``patient``; the core rules run once for all.

        Every verdict is reached before any protocol builder runs. If ``ranked`` is given,
        each permitted technique adds its ranking key to it.
        """
        groups: tuple[list[Finding], ...] | None = None
        if len(slots) > 1:  # the core's findings (first) and each technique's, in one pass
            try:
                groups = self._all_findings(facts)
            except KeyboardInterrupt:
                raise
            except BaseException:  # a rule that raises: each technique on its own, to isolate it
                groups = None
        core = tuple(self._core_findings(facts) if groups is None else groups[0])
        core_worst = most_restrictive(core)
        local = self._local_titles
        # Whether a core finding may lie outside some technique's area: checked once here;
        # per technique only its own local rules are.
        core_sited = any(f.site is not None and f.rule_id in local for f in core) if core else False
        physicians = clearances_on(patient.clearances, facts.as_of) if patient.clearances else {}
        patient_id = patient.id
        decided = _decided
        decisions: list[Decision | None] = []
        append = decisions.append
        pending = []
        # 1. Every verdict, before any protocol builder runs.
        for index, slot in enumerate(slots):
            technique_id = slot.id
            group = slot.group
            own = groups[group] if group and groups is not None else self._own_findings(slot, facts)
            physician = physicians.get(technique_id) if physicians else None
            sited = core_sited or slot.local
            if own or physician is not None or sited:
                findings, worst, avoid = judge(
                    core,
                    core_worst,
                    own,
                    physician,
                    slot.technique.name,
                    slot.treated if sited else None,
                    local,
                )
            else:  # the common case: the core findings alone decide
                findings, worst, avoid = core, core_worst, ()
            if worst > _PERMITTING:
                append(decided(technique_id, patient_id, findings, None, worst, audit))
            else:
                pending.append((index, slot, findings, worst, avoid))
                append(None)
        # 2. The protocols of the permitted techniques.
        permit = self._permit
        for index, slot, findings, worst, avoid in pending:
            decisions[index] = permit(
                slot, patient_id, facts, findings, worst, avoid, ranked, audit
            )
        return tuple(decisions)  # type: ignore[arg-type]  # every None was replaced

    def _permit(
        self,
        slot: _Slot,
        patient_id: str,
        facts: Facts,
        findings: tuple[Finding, ...],
        worst: Outcome,
        avoid: tuple[str, ...],
        ranked: list[tuple[int, Outcome, str]] | None,
        audit: list[Any] | None,
    ) -> Decision:
        """Return the decision of a technique its findings permit: with its protocol, or
        not permitted with the builder's failure. A permitted one adds its ranking key."""
        technique_id = slot.id
        key: tuple[Any, ...] | None = slot.key(facts) if slot.technique.reads else ()
        try:  # the protocol built for equal declared facts, if kept
            protocol = slot.protocols.get(key)  # type: ignore[arg-type]  # a tuple here
        except TypeError:  # an unhashable declared value: built below, every time
            key, protocol = None, None
        if protocol is None:
            built = self._built_or_failure(slot, facts, key)
            if isinstance(built, Finding):  # the builder failed
                return Decision(technique_id, patient_id, (*findings, built), audit=audit)
            protocol = built
        if avoid:
            protocol = attrs.evolve(protocol, avoid=(*protocol.avoid, *avoid))
        if ranked is not None:
            wanted = facts.indications
            matches = len(wanted.intersection(slot.indications)) if wanted else 0
            ranked.append((-matches, worst, technique_id))
        return _decided(technique_id, patient_id, findings, protocol, worst, audit)

    def _sorted_decider(self) -> Callable[..., tuple[Decision, ...]]:
        """Return :meth:`_decide` of every technique, generated for this engine's techniques.

        ``decide(patient, facts, ranked, audit)`` gives what ``_decide(self._sorted_slots,
        patient, facts, ranked, audit)`` gives, with the loop over the techniques unrolled and
        what each technique's step reads (its id, findings group, name, area) made constants.
        When the joint rule function raises, it hands over to :meth:`_decide`, which isolates
        the rule that raised.
        """
        slots = self._sorted_slots
        local = self._local_titles
        namespace: dict[str, Any] = {
            "all_findings": self._all_findings,
            "generic": self._decide,
            "own_findings": self._own_findings,
            "permit": self._permit,
            "judge": judge,
            "most_restrictive": most_restrictive,
            "clearances_on": clearances_on,
            "PERMITTING": _PERMITTING,
            "local": local,
            "slots": slots,
            **REFUSED_NAMESPACE,
        }
        lines = [
            "def decide(patient, facts, ranked, audit):",
            "    try:",
            "        groups = all_findings(facts)",
            "    except KeyboardInterrupt:",
            "        raise",
            "    except BaseException:  # a rule that raises: each technique on its own",
            "        return generic(slots, patient, facts, ranked, audit)",
            "    core = tuple(groups[0])",
            "    core_worst = most_restrictive(core)",
        ]
        if local:  # a plain loop: a generator expression costs a frame per patient
            lines += [
                "    core_sited = False",
                "    for f in core:",
                "        if f.site is not None and f.rule_id in local:",
                "            core_sited = True",
                "            break",
            ]
        else:  # no local rule: no finding can lie outside a technique's area
            lines.append("    core_sited = False")
        lines += [
            "    clearances = patient.clearances",
            "    physicians = clearances_on(clearances, facts.as_of) if clearances else None",
            "    patient_id = patient.id",
            "    # 1. Every verdict, before any protocol builder runs.",
        ]
        for i, slot in enumerate(slots):
            namespace.update({f"S{i}": slot, f"T{i}": slot.id, f"N{i}": slot.technique.name})
            namespace[f"A{i}"] = slot.treated
            own = f"groups[{slot.group}]" if slot.group else f"own_findings(S{i}, facts)"
            sited, area = (
                ("True", f"A{i}") if slot.local else ("core_sited", f"A{i} if core_sited else None")
            )
            lines += [
                f"    own = {own}  # {slot.id!r}",
                f"    physician = physicians.get(T{i}) if physicians else None",
                f"    if physician is not None or {sited}:",
                f"        f{i}, w{i}, a{i} = judge("
                f"core, core_worst, own, physician, N{i}, {area}, local)",
                # judge's steps when there is no clearance and no area to check: the core
                # findings, then the technique's own, the verdict the most restrictive.
                "    elif own:",
                f"        f{i}, w{i}, a{i} = (*core, *own), core_worst, ()",
                "        for x in own:",
                f"            if x.effective_outcome > w{i}:",
                f"                w{i} = x.effective_outcome",
                "    else:  # the common case: the core findings alone decide",
                f"        f{i}, w{i}, a{i} = core, core_worst, ()",
            ]
            lines += [
                f"    {line}"
                for line in refused_code(f"d{i}", f"T{i}", "patient_id", f"f{i}", f"w{i}", "audit")
            ]
        # 2. The protocols of the permitted techniques. When a technique's protocol for its
        # declared facts is kept and no site is to be avoided, _permit's steps are written
        # here: the protocol looked up, the ranking key added, the decision made. Otherwise
        # (and for a declared value that cannot be hashed) _permit does the whole step.
        lines += [
            "    # 2. The protocols of the permitted techniques.",
            "    wanted = facts.indications",
        ]
        for i, slot in enumerate(slots):
            namespace.update({f"P{i}": slot.protocols.get, f"K{i}": slot.key})
            namespace[f"I{i}"] = slot.indications
            key = f"K{i}(facts)" if slot.technique.reads else "()"
            permitted = decision_code(
                f"d{i}", f"T{i}", "patient_id", f"f{i}", "kept", f"w{i}", "audit", "True"
            )
            lines += [
                f"    if d{i} is None:",
                "        try:",
                f"            kept = None if a{i} else P{i}({key})",
                "        except TypeError:  # a declared value that cannot be hashed",
                "            kept = None",
                "        if kept is None:",
                f"            d{i} = permit("
                f"S{i}, patient_id, facts, f{i}, w{i}, a{i}, ranked, audit)",
                "        else:",
                "            if ranked is not None:",
                "                ranked.append(("
                f"-len(wanted.intersection(I{i})) if wanted else 0, w{i}, T{i}))",
                *[f"            {line}" for line in permitted],
            ]
        lines.append(f"    return ({''.join(f'd{i}, ' for i in range(len(slots)))})")
        decide: Callable[..., tuple[Decision, ...]] = define(
            "\n".join(lines), "decide", "decisions of every technique", namespace
        )
        return decide

    def evaluate(self, patient: Patient, technique: str, *, as_of: date | None = None) -> Decision:
        """Decide whether, and how, ``technique`` may be given to ``patient`` on ``as_of``."""
        slot = self._slot(technique)
        facts = self.facts(patient, as_of)
        audit = [patient, facts.as_of, self._provenance, None]
        return self._decide((slot,), patient, facts, None, audit)[0]

    def assess(
        self,
        patient: Patient,
        *,
        as_of: date | None = None,
        techniques: Sequence[str] | None = None,
        locale: str | None = None,
    ) -> Assessment:
        """Decide every technique (or those named) for ``patient``; core rules run once.

        With ``locale`` (``"ru"``) the result's texts are in that language, as
        :func:`herniarules.i18n.localize` gives them; everything else is the same.
        """
        if locale is not None:
            from herniarules.i18n import check_locale, localize

            check_locale(locale)
            return localize(self.assess(patient, as_of=as_of, techniques=techniques), locale)
        if techniques is None:
            slots: Sequence[_Slot] = self._sorted_slots
        else:
            slots = [self._slot(t) for t in techniques]
        if not isinstance(patient, Patient):  # as self.facts checks, in line
            raise TypeError(f"expected a herniarules.Patient, got {type(patient).__name__}")
        facts = derive_facts(patient, as_of or date.today(), self.terminology)
        ranked: list[tuple[int, Outcome, str]] = []
        # The input hash and decision ids are derived from this on first use, not here.
        audit = [patient, facts.as_of, self._provenance, None]
        if techniques is None and len(slots) > 1:
            decisions = self._decide_sorted(patient, facts, ranked, audit)
        else:
            decisions = self._decide(slots, patient, facts, ranked, audit)
        # Outcomes are ints and technique ids break every tie, so the keys sort as they are:
        # best match to the indications first, then the least restrictive, then by id.
        ranked.sort()
        clearances = patient.clearances
        return _assessed(
            patient.id,
            facts.as_of,
            decisions,
            self._plugin_infos,
            self._fingerprint,
            tuple(map(_TECHNIQUE_OF_KEY, ranked)),
            tuple(sorted({c.technique for c in clearances if c.technique not in self._slots}))
            if clearances
            else (),
            audit,
        )

    def replay(self, record: object, patient: Patient) -> Replay:
        """Re-run a stored decision or assessment record for ``patient``; report what differs.

        ``record`` is a record's JSON text or data (full, masked or compact) or a
        :class:`~herniarules.Decision` or :class:`~herniarules.Assessment`. It is re-run at
        its own as-of day with this engine, and compared: the input hash (a patient that is
        not the record's input is the difference "another input"), the ruleset fingerprint,
        the SDK and plugin versions, the policy thresholds, and per technique the verdict
        and the rule ids of the findings. A bad record raises
        :class:`~herniarules.audit.RecordError` (an :class:`~herniarules.InputError`) naming
        the path of every problem.
        """
        from herniarules.audit import replay

        if not isinstance(patient, Patient):
            raise TypeError(f"expected a herniarules.Patient, got {type(patient).__name__}")
        return replay(self, record, patient)

    def plan_course(
        self, patient: Patient, technique: str, start: date, *, as_of: date | None = None
    ) -> CoursePlan:
        """Return the dated sessions of a course; raise :class:`NotPermittedError` if refused.

        Raises ``ValueError`` for a ``start`` so late that a course and its break would run
        past the last day the calendar has (9999-12-31).
        """
        try:
            start + _LATEST_COURSE_END
        except OverflowError:
            raise ValueError(
                f"start {start.isoformat()}: a course starting then would end after "
                f"{date.max.isoformat()}"
            ) from None
        decision = self.evaluate(patient, technique, as_of=as_of or start)
        if not decision.permitted or decision.protocol is None:
            raise NotPermittedError(decision)
        slot = self._slots[technique]
        record = slot.plugin
        planner = slot.technique.plan_course
        break_days = self.policy.min_course_break_days
        if planner is None:
            return default_plan(decision.protocol, patient.id, start, break_days)
        facts = self.facts(patient, as_of or start)
        try:
            plan = self._guard.call(
                record,
                f"the course planner of {technique!r}",
                planner,
                facts,
                slot.parameters,
                decision.protocol,
                start,
                _copy(self.policy),
            )
        except PluginError as exc:  # the guard turns whatever the planner raised into one
            failure = self._plugin_failure(record, technique, text_of(exc))
            raise NotPermittedError(
                Decision(technique, patient.id, (*decision.findings, failure))
            ) from None
        problem = _plan_problem(plan, technique, patient.id, start, decision.protocol)
        if problem is not None:
            failure = self._plugin_failure(record, technique, f"the course planner {problem}")
            raise NotPermittedError(Decision(technique, patient.id, (*decision.findings, failure)))
        # A plugin's own break may be shorter than the clinic's policy; the policy wins.
        assert isinstance(plan, CoursePlan)
        return plan.with_break_of_at_least(break_days)


#: The technique id of a ranking key ``(matches, outcome, technique id)``.
_TECHNIQUE_OF_KEY = operator.itemgetter(2)

#: Longer than any course and its break: a start later than the last day minus this is refused.
_LATEST_COURSE_END = timedelta(days=2 * 366)

#: What each load-time hook must return a list of, exactly.
_HOOK_TYPES: dict[str, type] = {
    "herniarules_techniques": Technique,
    "herniarules_rules": Rule,
    "herniarules_value_sets": ValueSet,
}

#: Every site: what a whole-body technique treats.
_EVERY_SITE: frozenset[str] = frozenset(site.value for site in Site)

#: Most findings kept per compiled rule set for reuse; past it (or past the shared byte budget
#: of :mod:`herniarules.bounded`) the oldest are dropped.
_FINDING_CACHE_SIZE = 4096


def _finder(compiled: CompiledRules) -> Callable[[Facts], list[Finding]]:
    """Return the function from facts to the findings of ``compiled``'s rules that fire."""
    # A finding depends only on the rule, its result and the values it read, and it is
    # immutable, so equal inputs share one Finding (most patients repeat values).
    return compiled.findings_function(_make_finding, _FINDING_CACHE_SIZE)


def _make_finding(rule: Rule, result: bool | None, names: tuple[str, ...], facts: Facts) -> Finding:
    """Build the finding of ``rule`` whose predicate gave ``result`` for ``facts``."""
    # The predicate picks the evidence: the values of the facts it reads, and of an item
    # collection it quantifies over, the items that made the result.
    evidence, explanation = finding_parts(rule.when, facts, names)
    if result is None:
        what = ", ".join(rule.when.missing(facts)) or N_("a value it needs")
        outcome = Outcome.INSUFFICIENT_DATA
        message = N_(
            "Cannot check '{title}': {what} not recorded; the technique is not permitted "
            "until it is."
        ).format(title=rule.title, what=what)
    else:
        outcome, message = rule.outcome, rule.message
    site = rule.site
    if rule.local and result is True:
        # A local rule is at the sites of the items that fired it, if every one has a site.
        items = evidence.get("conditions") or ()
        sites = {item["site"] for item in items}
        if items and None not in sites:
            site = ", ".join(sorted(sites))
    return _found(rule.id, outcome, message, rule.source, evidence, explanation, site)


def _plan_problem(
    plan: object, technique: str, patient_id: str, start: date, protocol: Protocol
) -> str | None:
    """Return why a plugin's course plan cannot be used, or ``None`` if it can."""
    if type(plan) is not CoursePlan:
        return f"returned {type(plan).__name__}, not a CoursePlan"
    if plan.technique != technique or plan.patient_id != patient_id:
        return f"returned a plan for {plan.technique!r} / {plan.patient_id!r}"
    if plan.sessions[0].date < start:
        return f"planned a session on {plan.sessions[0].date}, before the start {start}"
    longest, most = protocol.session_minutes[1], protocol.course_sessions[1]
    if len(plan.sessions) > most:
        return f"planned {len(plan.sessions)} sessions, more than the protocol's {most}"
    if any(session.minutes > longest for session in plan.sessions):
        return f"planned a session longer than the protocol's {longest:g} minutes"
    return None
