"""The engine: loads plugins, compiles rules once, and turns a patient into decisions.

The engine owns its own pluggy manager (no global state), loads each plugin in its own
``try`` and records failures in :attr:`Engine.plugins`, and evaluates the core rules once
per patient. A plugin that raises, returns the wrong type or breaks the contract makes only
its own techniques not permitted, with an ``engine.plugin-error`` finding naming it.

That holds for every exception a plugin raises, ``SystemExit`` and ``GeneratorExit``
included: a plugin cannot end the process or abort an assessment by raising. Only
``KeyboardInterrupt`` propagates, so that an operator can still stop the program.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from herniarules import hookspecs
from herniarules.courses import CoursePlan, default_plan
from herniarules.facts import Facts, derive_facts
from herniarules.model import Clearance, Patient
from herniarules.outcomes import (
    Assessment,
    Decision,
    Finding,
    Outcome,
    PluginInfo,
    Protocol,
    _decided,
    most_restrictive,
)
from herniarules.rules import CompiledRules, Rule
from herniarules.safety import DEFAULT_POLICY, Policy, core_rules
from herniarules.technique import Technique
from herniarules.terminology import DEFAULT_TERMINOLOGY, Terminology, ValueSet
from herniarules.vocabulary import Site

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = ["ENTRY_POINT_GROUP", "Engine", "NotPermittedError", "PluginError"]

#: Entry-point group plugins register under.
ENTRY_POINT_GROUP = "herniarules"
PLUGIN_ERROR = "engine.plugin-error"
_clock = time.perf_counter
_PERMITTING = Outcome.ALLOWED_WITH_MODIFICATIONS
#: Default longest time a plugin hook call may take, in seconds.
DEFAULT_TIME_BUDGET_S = 1.0
_RESERVED_PREFIXES = ("core.", "engine.")
#: The documented arguments of ``herniarules_protocol``, in order.
_DOCUMENTED = ("technique", "facts", "parameters")


class PluginError(Exception):
    """A plugin broke the contract; the message names the plugin and the hook."""


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
class _Loaded:
    """What one plugin contributed, or why it could not."""

    name: str
    version: str
    plugin: object
    techniques: list[Technique] = attrs.Factory(list)
    rules: list[Rule] = attrs.Factory(list)
    value_sets: list[ValueSet] = attrs.Factory(list)
    error: str | None = None


@attrs.define
class _Slot:
    """One technique, ready to evaluate: its compiled rules and hook implementations."""

    technique: Technique
    loaded: _Loaded
    parameters: object
    compiled: CompiledRules | None = None
    protocol: pluggy.HookImpl | None = None
    plan: pluggy.HookImpl | None = None
    id: str = attrs.field(init=False)
    #: Facts → this technique's own findings; ``None`` when its plugin failed.
    findings: Callable[[Facts], list[Finding]] | None = None
    #: The technique's indications as a set, for ranking.
    indications: frozenset[str] = attrs.field(init=False)
    #: The protocol hook's function when it takes the documented arguments, else ``None``.
    protocol_function: Callable[[Technique, Facts, object], object] | None = None
    #: Whether the technique has local rules of its own (see ``Rule.local``).
    local: bool = False
    #: The site values the technique's area overlaps; a local finding at any other site is
    #: outside it. Every site for a technique that works on the whole body.
    treated: frozenset[str] = attrs.field(init=False)

    @treated.default
    def _treated(self) -> frozenset[str]:
        treated = frozenset(site.value for site in Site if self.technique.treats(site))
        return _EVERY_SITE if treated == _EVERY_SITE else treated

    @id.default
    def _id(self) -> str:
        return self.technique.id

    @indications.default
    def _indications(self) -> frozenset[str]:
        return frozenset(self.technique.indications)

    def protocol_for(self, facts: Facts) -> object:
        """Call the plugin's protocol hook for this technique with ``facts``."""
        assert self.protocol is not None
        # The engine calls a hook with the documented argument order through
        # ``protocol_function``; this serves hooks that name their arguments in another order.
        function, names = self.protocol.function, self.protocol.argnames
        values = {"technique": self.technique, "facts": facts, "parameters": self.parameters}
        return function(*[values[name] for name in names])


def _dist_version(ep: EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:  # pragma: no cover - entry points always come from a distribution
        return ep.name, "unknown"
    return dist.metadata["Name"], dist.version


def _impl(pm: pluggy.PluginManager, plugin: object, hook: str) -> pluggy.HookImpl | None:
    """Return ``plugin``'s implementation of ``hook``, if it has one."""
    caller: pluggy.HookCaller = getattr(pm.hook, hook)
    for impl in caller.get_hookimpls():
        if impl.plugin is plugin:
            return impl
    return None


def _text(exc: BaseException) -> str:
    """Return ``str(exc)``, or a placeholder if the exception cannot be printed."""
    try:
        return str(exc)
    except KeyboardInterrupt:
        raise
    except BaseException:  # an exception whose __str__ raises is still reported
        return "<unprintable>"


def _raised(hook: str, exc: BaseException) -> str:
    """Describe an exception a plugin's code raised: where, its type and its text."""
    text = _text(exc)
    name = type(exc).__name__
    return f"{hook} raised {name}: {text}" if text else f"{hook} raised {name}"


def _failure_text(exc: BaseException) -> str:
    """Describe why a plugin failed: a contract breach as it is, anything else by type."""
    if isinstance(exc, PluginError):
        return _text(exc)
    text = _text(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _timed(budget_s: float, hook: str, impl: pluggy.HookImpl, **kwargs: Any) -> Any:
    """Call one plugin's hook implementation; fail if it raises or takes over ``budget_s``.

    Whatever the hook raises, ``SystemExit`` and ``GeneratorExit`` included, becomes a
    :class:`PluginError` naming the hook and the exception; ``KeyboardInterrupt`` propagates.
    """
    started = _clock()
    try:
        result = impl.function(*(kwargs[name] for name in impl.argnames))
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # a plugin may not end the process or abort the engine
        raise PluginError(_raised(hook, exc)) from None
    _check_budget(hook, _clock() - started, budget_s)
    return result


def _check_budget(hook: str, elapsed: float, budget_s: float) -> None:
    """Raise :class:`PluginError` if a hook call took longer than its budget."""
    if elapsed > budget_s:
        raise PluginError(f"{hook} took {elapsed:.3f} s, more than the {budget_s:g} s budget")


def _sequence_of(value: object, kind: type, what: str) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise PluginError(
            f"{what} must return a list of {kind.__name__}, got {type(value).__name__}"
        )
    for item in value:
        if not isinstance(item, kind):
            raise PluginError(f"{what} returned {item!r}, which is not a {kind.__name__}")
    return list(value)


class Engine:
    """Assess patients against the core rules and every loaded technique plugin.

    :param plugins: plugin objects (modules or instances with ``@hookimpl`` functions) to
        register in addition to, or instead of, the installed ones.
    :param entry_points: load the plugins installed under the ``herniarules`` entry-point
        group.
    :param allow: if given, load only installed plugins whose entry-point or distribution
        name is in it.
    :param policy: the clinic's thresholds; stricter than the defaults or equal.
    :param parameters: per technique id, a stricter instance of its parameter class.
    :param plugin_time_budget_s: longest a plugin hook call may take, in seconds. A call that
        takes longer has its result discarded: at load time the plugin fails to load, per
        patient its technique is not permitted. A hook that never returns cannot be
        interrupted inside the process; run assessments under a process-level timeout if
        untrusted plugins are installed.
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
    ) -> None:
        if not isinstance(policy, Policy):
            raise TypeError(f"policy must be a herniarules.Policy, got {policy!r}")
        if not isinstance(plugin_time_budget_s, int | float) or not plugin_time_budget_s > 0:
            raise ValueError(f"plugin_time_budget_s must be > 0, got {plugin_time_budget_s!r}")
        #: The clinic's thresholds in force.
        self.policy = policy
        #: Longest time a plugin hook call may take, in seconds.
        self.plugin_time_budget_s = float(plugin_time_budget_s)
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._loaded: list[_Loaded] = []
        if entry_points:
            self._load_entry_points(allow)
        for plugin in plugins:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            self._register(plugin, name, "unregistered")
        self._collect()
        for loaded in self._loaded:
            if loaded.error is None and loaded.value_sets:
                try:
                    terminology = terminology.with_value_sets(*loaded.value_sets)
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # e.g. a value-set id another source already uses
                    loaded.error = f"herniarules_value_sets: {_text(exc)}"
        #: The value sets in force: the core ones plus those the plugins added.
        self.terminology = terminology
        self._core = CompiledRules(core_rules(policy))
        self._core_findings = _finder(self._core)
        self._parameters = self._check_parameters(parameters or {})
        self._compile_techniques()
        self._fingerprint = self._make_fingerprint()

    # -- loading ---------------------------------------------------------------------------
    def _load_entry_points(self, allow: Collection[str] | None) -> None:
        # Imported here: importlib.metadata is slow to import and only needed to load plugins.
        from importlib.metadata import entry_points

        eps = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
        for ep in eps:
            dist_name, version = _dist_version(ep)
            if allow is not None and ep.name not in allow and dist_name not in allow:
                continue
            try:
                plugin = ep.load()
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # any import failure: record it, keep loading the rest
                self._loaded.append(
                    _Loaded(dist_name, version, None, error=f"could not import {ep.value}: {exc!r}")
                )
                continue
            self._register(plugin, dist_name, version)

    def _register(self, plugin: object, name: str, version: str) -> None:
        loaded = _Loaded(name, version, plugin)
        self._loaded.append(loaded)
        try:
            self._pm.register(plugin, name=f"{name}#{len(self._loaded)}")
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # e.g. a plugin whose __dir__ raises while pluggy lists it
            loaded.error = f"could not register: {_failure_text(exc)}"
            return
        unknown = [
            hook.name for hook in self._pm.get_hookcallers(plugin) or () if not hook.has_spec()
        ]
        if unknown:
            loaded.error = f"implements unknown hooks {', '.join(sorted(unknown))}"
            self._pm.unregister(plugin)

    def _collect(self) -> None:
        seen_techniques: dict[str, str] = {}
        seen_rules: set[str] = {r.id for r in core_rules(self.policy)}
        for loaded in self._loaded:
            if loaded.error is not None:
                continue
            try:
                techniques = _sequence_of(
                    self._call(loaded, "herniarules_techniques") or [],
                    Technique,
                    "herniarules_techniques",
                )
                for technique in techniques:
                    if technique.id in seen_techniques:
                        raise PluginError(
                            f"technique {technique.id!r} is already declared by "
                            f"{seen_techniques[technique.id]}"
                        )
                    seen_techniques[technique.id] = loaded.name
                loaded.techniques = techniques
                rules = _sequence_of(
                    self._call(loaded, "herniarules_rules", policy=self.policy) or [],
                    Rule,
                    "herniarules_rules",
                )
                own = {t.id for t in techniques}
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
                loaded.rules = rules
                loaded.value_sets = _sequence_of(
                    self._call(loaded, "herniarules_value_sets") or [],
                    ValueSet,
                    "herniarules_value_sets",
                )
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # a broken plugin fails alone
                loaded.error = _failure_text(exc)

    def _call(self, loaded: _Loaded, hook: str, **kwargs: Any) -> Any:
        impl = _impl(self._pm, loaded.plugin, hook)
        return None if impl is None else _timed(self.plugin_time_budget_s, hook, impl, **kwargs)

    def _check_parameters(self, parameters: Mapping[str, object]) -> dict[str, object]:
        result: dict[str, object] = {}
        techniques = {t.id: t for loaded in self._loaded for t in loaded.techniques}
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
        for loaded in self._loaded:
            slots = [
                _Slot(technique, loaded, self._parameters.get(technique.id, technique.parameters))
                for technique in loaded.techniques
            ]
            for slot in slots:
                self._slots[slot.id] = slot
            if loaded.error is None:
                try:
                    for slot in slots:
                        self._compile_slot(slot)
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # the plugin's rules would not compile
                    loaded.error = f"its rules could not be compiled: {_failure_text(exc)}"
                    for slot in slots:
                        slot.findings = None
        self._sorted_slots = tuple(self._slots[t] for t in sorted(self._slots))
        self._local_rules: Mapping[str, Rule] = {rule.id: rule for rule in self.rules if rule.local}
        self._plugin_infos = tuple(
            PluginInfo(
                name=loaded.name,
                version=loaded.version,
                techniques=tuple(t.id for t in loaded.techniques),
                error=loaded.error,
            )
            for loaded in self._loaded
        )

    def _compile_slot(self, slot: _Slot) -> None:
        loaded, technique_id = slot.loaded, slot.id
        rules = [r for r in loaded.rules if r.techniques and technique_id in r.techniques]
        slot.compiled = CompiledRules(rules)
        slot.local = any(rule.local for rule in rules)
        slot.findings = _finder(slot.compiled)
        protocol = _impl(self._pm, loaded.plugin, "herniarules_protocol")
        slot.protocol = protocol
        if protocol is not None and protocol.argnames == _DOCUMENTED:
            slot.protocol_function = protocol.function
        slot.plan = _impl(self._pm, loaded.plugin, "herniarules_plan_course")

    def _make_fingerprint(self) -> str:
        import hashlib  # only needed once per engine

        digest = hashlib.sha256()
        for rule in self.rules:
            line = f"{rule.id}|{sorted(rule.techniques or ['*'])}|{rule.outcome.label}|"
            line += f"{rule.site}|{rule.local}|"
            digest.update((line + rule.when.render() + "\n").encode())
        digest.update(repr(attrs.asdict(self.policy)).encode())
        for info in self.plugins:
            digest.update(f"{info.name}=={info.version}\n".encode())
        for technique_id, slot in sorted(self._slots.items()):
            digest.update(f"{technique_id}@{sorted(slot.technique.area)}\n".encode())
        for technique_id, params in sorted(self._parameters.items()):
            digest.update(f"{technique_id}:{params!r}\n".encode())
        return digest.hexdigest()[:16]

    # -- introspection ---------------------------------------------------------------------
    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """Return every plugin the engine tried to load, with version and any load error."""
        return self._plugin_infos

    @property
    def techniques(self) -> tuple[Technique, ...]:
        """Return the declared techniques, sorted by id (including those of failed plugins)."""
        return tuple(self._slots[t].technique for t in sorted(self._slots))

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Return the core rules followed by every loaded plugin's rules."""
        plugin_rules = [r for loaded in self._loaded if loaded.error is None for r in loaded.rules]
        return (*self._core.rules, *plugin_rules)

    @property
    def fingerprint(self) -> str:
        """Return a short hash of the rule set, policy, parameters and plugin versions."""
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

    def parameters(self, technique_id: str) -> object:
        """Return the parameters in force for ``technique_id`` (the clinic's or the default)."""
        return self._slot(technique_id).parameters

    # -- evaluation ------------------------------------------------------------------------
    def facts(self, patient: Patient, as_of: date | None = None) -> Facts:
        """Return the facts the rules read for ``patient`` on ``as_of`` (default: today)."""
        if not isinstance(patient, Patient):
            raise TypeError(f"expected a herniarules.Patient, got {type(patient).__name__}")
        return derive_facts(patient, as_of or date.today(), self.terminology)

    def _plugin_failure(self, loaded: _Loaded, technique_id: str, what: str) -> Finding:
        return Finding(
            rule_id=PLUGIN_ERROR,
            outcome=Outcome.INSUFFICIENT_DATA,
            message=(
                f"The plugin {loaded.name} {loaded.version} that provides {technique_id!r} "
                f"failed ({what}); the technique cannot be assessed and is not permitted."
            ),
            source="herniarules fails closed: a technique whose plugin fails is not permitted.",
        )

    def _decide(
        self,
        slots: Sequence[_Slot],
        patient: Patient,
        facts: Facts,
        ranked: list[tuple[int, Outcome, str]] | None = None,
    ) -> tuple[Decision, ...]:
        """Decide each slot's technique for ``patient``; the core rules run once for all.

        If ``ranked`` is given, each permitted technique adds its ranking key to it: minus the
        number of the patient's indications it serves, its outcome, its id.
        """
        # This loop is the engine's hot path: names it uses on every technique are bound once.
        core = tuple(self._core_findings(facts))
        core_worst = most_restrictive(core)
        local = self._local_rules
        # Whether a local finding may lie outside some technique's area: checked once here
        # for the core findings, and per technique only for its own local rules.
        core_sited = any(f.site is not None and f.rule_id in local for f in core) if core else False
        patient_id = patient.id
        clearances = patient.clearances
        budget = self.plugin_time_budget_s
        clock = _clock
        decisions: list[Decision] = []
        append = decisions.append
        for slot in slots:
            technique_id = slot.id
            findings_of = slot.findings
            if findings_of is None:
                loaded = slot.loaded
                own = [self._plugin_failure(loaded, technique_id, loaded.error or "no rules")]
            else:
                try:
                    own = findings_of(facts)
                except KeyboardInterrupt:
                    raise
                except BaseException as exc:  # SystemExit from a predicate fails it alone
                    own = [
                        self._plugin_failure(slot.loaded, technique_id, f"a rule raised {exc!r}")
                    ]
            worst = core_worst
            if own:
                findings = (*core, *own)
                for finding in own:
                    if finding.effective_outcome > worst:
                        worst = finding.effective_outcome
            else:
                findings = core
            if clearances:
                findings = _apply_clearance(technique_id, clearances, facts.as_of, findings)
                worst = most_restrictive(findings)
            avoid: tuple[str, ...] = ()
            if (
                worst > _PERMITTING
                and (core_sited or slot.local)
                and slot.treated is not _EVERY_SITE
                and any(f.site is not None and f.rule_id in local for f in findings)
            ):
                findings, avoid = _outside_area(slot.technique, slot.treated, local, findings)
                if avoid:
                    worst = most_restrictive(findings)
            if worst > _PERMITTING:
                append(_decided(technique_id, patient_id, findings, None, worst))
                continue
            try:
                protocol_of = slot.protocol_function
                started = clock()
                if protocol_of is not None:
                    protocol = protocol_of(slot.technique, facts, slot.parameters)
                elif slot.protocol is None:
                    raise PluginError("it does not implement herniarules_protocol")
                else:
                    protocol = slot.protocol_for(facts)
                elapsed = clock() - started
                if elapsed > budget:
                    _check_budget("herniarules_protocol", elapsed, budget)
                if type(protocol) is not Protocol or protocol.technique != technique_id:
                    raise PluginError(
                        f"herniarules_protocol returned {type(protocol).__name__}, "
                        f"not a Protocol for {technique_id!r}"
                    )
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # SystemExit and GeneratorExit too
                what = (
                    _text(exc)
                    if isinstance(exc, PluginError)
                    else _raised("herniarules_protocol", exc)
                )
                failure = self._plugin_failure(slot.loaded, technique_id, what)
                append(Decision(technique_id, patient_id, (*findings, failure)))
                continue
            if avoid:
                protocol = attrs.evolve(protocol, avoid=(*protocol.avoid, *avoid))
            append(_decided(technique_id, patient_id, findings, protocol, worst))
            if ranked is not None:
                wanted = facts.indications
                matches = len(wanted.intersection(slot.indications)) if wanted else 0
                ranked.append((-matches, worst, technique_id))
        return tuple(decisions)

    def evaluate(self, patient: Patient, technique: str, *, as_of: date | None = None) -> Decision:
        """Decide whether, and how, ``technique`` may be given to ``patient`` on ``as_of``."""
        slot = self._slot(technique)
        facts = self.facts(patient, as_of)
        return self._decide((slot,), patient, facts)[0]

    def assess(
        self,
        patient: Patient,
        *,
        as_of: date | None = None,
        techniques: Sequence[str] | None = None,
    ) -> Assessment:
        """Decide every technique (or those named) for ``patient``; core rules run once."""
        if techniques is None:
            slots: Sequence[_Slot] = self._sorted_slots
        else:
            slots = [self._slot(t) for t in techniques]
        facts = self.facts(patient, as_of)
        ranked: list[tuple[int, Outcome, str]] = []
        decisions = self._decide(slots, patient, facts, ranked)
        # Outcomes are ints and technique ids break every tie, so the keys sort as they are:
        # best match to the indications first, then the least restrictive, then by id.
        ranked.sort()
        return Assessment(
            patient_id=patient.id,
            as_of=facts.as_of,
            decisions=decisions,
            plugins=self._plugin_infos,
            ruleset_fingerprint=self._fingerprint,
            ranking=tuple([key[2] for key in ranked]),
            unmatched_clearances=tuple(
                sorted({c.technique for c in patient.clearances if c.technique not in self._slots})
            )
            if patient.clearances
            else (),
        )

    def plan_course(
        self, patient: Patient, technique: str, start: date, *, as_of: date | None = None
    ) -> CoursePlan:
        """Return the dated sessions of a course; raise :class:`NotPermittedError` if refused."""
        decision = self.evaluate(patient, technique, as_of=as_of or start)
        if not decision.permitted or decision.protocol is None:
            raise NotPermittedError(decision)
        slot = self._slots[technique]
        loaded = slot.loaded
        facts = self.facts(patient, as_of or start)
        break_days = self.policy.min_course_break_days
        try:
            plan = None
            if slot.plan is not None:
                plan = _timed(
                    self.plugin_time_budget_s,
                    "herniarules_plan_course",
                    slot.plan,
                    technique=slot.technique,
                    facts=facts,
                    parameters=slot.parameters,
                    protocol=decision.protocol,
                    start=start,
                    policy=self.policy,
                )
        except PluginError as exc:  # _timed turns whatever the hook raised into one
            failure = self._plugin_failure(loaded, technique, _text(exc))
            raise NotPermittedError(
                Decision(technique, patient.id, (*decision.findings, failure))
            ) from None
        if plan is None:
            return default_plan(decision.protocol, patient.id, start, break_days)
        problem = _plan_problem(plan, technique, patient.id, start, decision.protocol)
        if problem is not None:
            failure = self._plugin_failure(loaded, technique, f"herniarules_plan_course {problem}")
            raise NotPermittedError(Decision(technique, patient.id, (*decision.findings, failure)))
        # A plugin's own break may be shorter than the clinic's policy; the policy wins.
        assert isinstance(plan, CoursePlan)
        return plan.with_break_of_at_least(break_days)


#: What a whole-body technique treats: every site. Slots share this one object, so the engine
#: can tell in one comparison that no local finding can lie outside the area.
_EVERY_SITE: frozenset[str] = frozenset(site.value for site in Site)

#: Most findings kept per compiled rule set for reuse; past it (or past the shared byte budget
#: of :mod:`herniarules.bounded`) the oldest are dropped.
_FINDING_CACHE_SIZE = 4096


def _finder(compiled: CompiledRules) -> Callable[[Facts], list[Finding]]:
    """Return the function from facts to the findings of ``compiled``'s rules that fire."""
    # A finding depends only on the rule, its result and the values it read, and it is
    # immutable, so equal inputs share one Finding (most patients repeat values).
    return compiled.findings_function(_make_finding, _FINDING_CACHE_SIZE)


def _apply_clearance(
    technique_id: str, clearances: Sequence[Clearance], day: date, findings: tuple[Finding, ...]
) -> tuple[Finding, ...]:
    """Return ``findings`` with those requiring clearance cleared, if the patient has one."""
    for clearance in clearances:
        if clearance.technique == technique_id and clearance.is_valid_on(day):
            physician = clearance.physician
            return tuple(
                Finding(
                    f.rule_id,
                    f.outcome,
                    f.message,
                    f.source,
                    f.evidence,
                    f.explanation,
                    f.site,
                    cleared_by=physician,
                )
                if f.outcome is Outcome.REQUIRES_CLEARANCE
                else f
                for f in findings
            )
    return findings


def _make_finding(rule: Rule, result: bool | None, names: tuple[str, ...], facts: Facts) -> Finding:
    """Build the finding of ``rule`` whose predicate gave ``result`` for ``facts``."""
    # The predicate picks the evidence: the values of the facts it reads, and of an item
    # collection it quantifies over, the items that made the result.
    evidence = rule.when.evidence(facts)
    if result is None:
        what = ", ".join(rule.when.missing(facts)) or "a value it needs"
        outcome = Outcome.INSUFFICIENT_DATA
        message = (
            f"Cannot check '{rule.title}': {what} not recorded; "
            "the technique is not permitted until it is."
        )
    else:
        outcome, message = rule.outcome, rule.message
    site = rule.site
    if rule.local and result is True:
        # A local rule is at the sites of the items that fired it, if every one has a site.
        items = evidence.get("conditions") or ()
        sites = {item["site"] for item in items}
        if items and None not in sites:
            site = ", ".join(sorted(sites))
    return Finding(rule.id, outcome, message, rule.source, evidence, rule.when.render(facts), site)


def _outside_area(
    technique: Technique,
    treated: frozenset[str],
    local: Mapping[str, Rule],
    findings: tuple[Finding, ...],
) -> tuple[tuple[Finding, ...], tuple[str, ...]]:
    """Return ``findings`` with local ones outside the technique's area made modifications.

    A finding of a local rule whose sites the technique does not treat becomes *allowed with
    modifications*; the second value lists what the protocol must avoid. A finding without a
    site, or with one inside the area, is left as it is.
    """
    avoid: list[str] = []
    out: list[Finding] = []
    for finding in findings:
        rule = local.get(finding.rule_id)
        site = finding.site
        if (
            rule is None
            or site is None
            or finding.effective_outcome <= Outcome.ALLOWED_WITH_MODIFICATIONS
            or finding.outcome is Outcome.INSUFFICIENT_DATA
        ):
            out.append(finding)
            continue
        sites = site.split(", ")
        if not treated.isdisjoint(sites):
            out.append(finding)
            continue
        where = " and ".join(sites)
        out.append(
            Finding(
                finding.rule_id,
                Outcome.ALLOWED_WITH_MODIFICATIONS,
                f"{finding.message} The condition is on the {where}, outside the area "
                f"{technique.name} works on: the {where} must be avoided.",
                finding.source,
                finding.evidence,
                finding.explanation,
                site,
            )
        )
        avoid.extend(f"{part}: {rule.title.lower()}" for part in sites)
    return tuple(out), tuple(dict.fromkeys(avoid))


def _plan_problem(
    plan: object, technique: str, patient_id: str, start: date, protocol: Protocol
) -> str | None:
    """Return why a plugin's course plan cannot be used, or ``None`` if it can."""
    if not isinstance(plan, CoursePlan):
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
