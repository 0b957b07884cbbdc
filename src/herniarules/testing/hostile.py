"""Plugins that raise in every hook, for checking that a failure stays with its plugin.

:func:`raising_plugin` returns a plugin that declares one technique (``hostile-raiser``) and
raises a given exception in a given hook; :data:`RAISING_HOOKS` and
:func:`raised_exceptions` list the cases the engine must contain, among them ``SystemExit``,
``GeneratorExit`` and a direct subclass of ``BaseException``. :func:`check_fails_closed`
installs each of them next to a plugin under test and checks both halves of the promise:
the raising plugin's technique is not permitted, with an ``engine.plugin-error`` finding (or
load error) naming the plugin, the hook and the exception, and the plugin under test decides
exactly as it does alone::

    from herniarules.testing.hostile import check_fails_closed
    import herniarules_kinesio

    def test_kinesio_is_unaffected_by_a_raising_neighbour():
        check_fails_closed(herniarules_kinesio)

``KeyboardInterrupt`` is not among the cases: the engine lets it through, so that an operator
can still stop the program.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import attrs

from herniarules.courses import CoursePlan, default_plan
from herniarules.engine import Engine, NotPermittedError
from herniarules.facts import Facts
from herniarules.hookspecs import hookimpl
from herniarules.model import Hernia, HerniaKind, Patient, Phase, Region, Sex, Vitals
from herniarules.outcomes import Outcome, Protocol, ProtocolStep
from herniarules.rules import Rule
from herniarules.safety import Policy
from herniarules.technique import ProtocolFacts, Technique
from herniarules.terminology import ValueSet

__all__ = [
    "RAISER_TECHNIQUE",
    "RAISING_HOOKS",
    "TAMPERER_TECHNIQUE",
    "RaisingPlugin",
    "TamperingPlugin",
    "check_fails_closed",
    "check_tamper_proof",
    "raised_exceptions",
    "raising_plugin",
    "tampering_plugins",
]

#: The technique every raising plugin declares.
RAISER_TECHNIQUE = "hostile-raiser"
#: Every place plugin code runs, in the order the engine calls it: the three load-time
#: hooks, then the technique's protocol builder and its course planner.
RAISING_HOOKS = (
    "herniarules_techniques",
    "herniarules_rules",
    "herniarules_value_sets",
    "protocol",
    "plan_course",
)
#: How the engine names each place in its messages.
_NAMED = {"protocol": "protocol builder", "plan_course": "course planner"}
_AS_OF = date(2025, 3, 14)
_PLUGIN_ERROR = "engine.plugin-error"


class Escape(BaseException):
    """A direct subclass of ``BaseException``: neither an ``Exception`` nor ``SystemExit``."""


def raised_exceptions() -> tuple[BaseException, ...]:
    """Return fresh instances of the exceptions a raising plugin tries, one of each kind."""
    return (
        SystemExit(0),
        SystemExit(1),
        SystemExit("bye"),
        GeneratorExit(),
        Escape("escaping"),
        RuntimeError("plain failure"),
    )


@attrs.frozen
class _Params:
    minutes: int = 20


class RaisingPlugin:
    """Declares :data:`RAISER_TECHNIQUE` and raises ``exception`` in the hook ``hook``."""

    def __init__(self, hook: str, exception: BaseException) -> None:
        if hook not in RAISING_HOOKS:
            raise ValueError(f"unknown hook {hook!r}; known: {', '.join(RAISING_HOOKS)}")
        self.hook = hook
        self.exception = exception
        self.__name__ = f"raising-in-{hook.removeprefix('herniarules_')}"

    def _maybe_raise(self, hook: str) -> None:
        if hook == self.hook:
            raise self.exception.with_traceback(None)  # no traceback kept from a last raise

    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        self._maybe_raise("herniarules_techniques")
        return [
            Technique(
                id=RAISER_TECHNIQUE,
                name="Raiser",
                description="A technique whose plugin raises.",
                source="herniarules.testing.hostile",
                parameters=_Params(),
                protocol=self.protocol,
                plan_course=self.plan_course,
            )
        ]

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        self._maybe_raise("herniarules_rules")
        return []

    @hookimpl
    def herniarules_value_sets(self) -> Sequence[ValueSet]:
        self._maybe_raise("herniarules_value_sets")
        return []

    def protocol(self, facts: ProtocolFacts, parameters: object) -> Protocol:
        self._maybe_raise("protocol")
        return _protocol(RAISER_TECHNIQUE)

    def plan_course(
        self, facts: Facts, parameters: object, protocol: Protocol, start: date, policy: Policy
    ) -> CoursePlan:
        self._maybe_raise("plan_course")
        return default_plan(protocol, facts.patient_id, start, policy.min_course_break_days)


def _protocol(technique: str) -> Protocol:
    return Protocol(
        technique=technique,
        steps=(ProtocolStep("stroking", "Light stroking."),),
        session_minutes=(10.0, 20.0),
        course_sessions=(5, 10),
        pressure="light",
    )


def raising_plugin(hook: str, exception: BaseException) -> RaisingPlugin:
    """Return a plugin that raises ``exception`` in ``hook`` and behaves in every other."""
    return RaisingPlugin(hook, exception)


def _patients() -> tuple[Patient, ...]:
    vitals = Vitals(systolic_mmhg=120, diastolic_mmhg=80, temperature_c=36.6, pain_score=1)
    return tuple(
        Patient(
            id=f"HOSTILE-{phase.value}",
            age=40,
            sex=Sex.MALE,
            vitals=vitals,
            hernias=(Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, phase, 5.0, False),),
            inflammatory_process=False,
        )
        for phase in (Phase.REMISSION, Phase.SUBACUTE, Phase.ACUTE)
    )


def _fail(message: str) -> AssertionError:
    from herniarules.testing.conformance import ConformanceError

    return ConformanceError(message)


def _check_one(
    plugin: object, raiser: RaisingPlugin, patients: Sequence[Patient], alone: Engine
) -> None:
    exception = raiser.exception
    what = f"{type(exception).__name__} in {raiser.hook}"
    try:
        engine = Engine(plugins=[plugin, raiser], entry_points=False)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        raise _fail(f"{what} stopped the engine loading: {exc!r}") from exc
    needles = (raiser.__name__, _NAMED.get(raiser.hook, raiser.hook), type(exception).__name__)
    own = [t.id for t in alone.techniques]
    for patient in patients:
        assessment = engine.assess(patient, as_of=_AS_OF)
        for technique in own:
            if assessment.decision(technique) != alone.evaluate(patient, technique, as_of=_AS_OF):
                raise _fail(f"{what} in a neighbour changed the decision for {technique!r}")
        if raiser.hook == "herniarules_techniques":
            [info] = [i for i in engine.plugins if i.name == raiser.__name__]
            if info.error is None or not all(n in info.error for n in needles[1:]):
                raise _fail(f"{what}: the load error does not name it: {info.error!r}")
            continue
        if raiser.hook == "plan_course":
            continue  # assessed as usual; only planning a course is refused (below)
        decision = assessment.decision(RAISER_TECHNIQUE)
        if decision.permitted or decision.protocol is not None:
            raise _fail(f"{what}: the raising plugin's technique is permitted")
        errors = [f.message for f in decision.findings if f.rule_id == _PLUGIN_ERROR]
        if patient.hernias[0].phase is Phase.ACUTE:
            continue  # deferred by the core before the protocol builder is called
        if not any(all(n in message for n in needles) for message in errors):
            raise _fail(f"{what}: no finding names the plugin, hook and exception: {errors}")
    if raiser.hook == "plan_course":
        try:
            engine.plan_course(patients[0], RAISER_TECHNIQUE, _AS_OF)
        except NotPermittedError as refused:
            messages = [f.message for f in refused.decision.findings if f.rule_id == _PLUGIN_ERROR]
            if not any(all(n in message for n in needles) for message in messages):
                raise _fail(f"{what}: the refusal does not name it: {messages}") from None
        else:
            raise _fail(f"{what}: a course was planned")


def check_fails_closed(
    plugin: object,
    *,
    hooks: Iterable[str] = RAISING_HOOKS,
    patients: Sequence[Patient] | None = None,
) -> None:
    """Install a raising neighbour next to ``plugin`` for every hook and exception; check it.

    Raises :class:`~herniarules.testing.ConformanceError` if a raising neighbour stops the
    engine, changes a decision of ``plugin``, gets its own technique permitted, or is not
    named (plugin, hook, exception) in the finding or load error that reports it.
    """
    chosen = tuple(patients) if patients is not None else _patients()
    alone = Engine(plugins=[plugin], entry_points=False)
    for hook in hooks:
        for exception in raised_exceptions():
            _check_one(plugin, raising_plugin(hook, exception), chosen, alone)


# --------------------------------------------------------------------------- tampering

#: The technique every tampering plugin declares.
TAMPERER_TECHNIQUE = "hostile-tamperer"


class _LyingOutcome:
    """An outcome that claims to be every outcome: equal to all, less than none."""

    def __eq__(self, other: object) -> bool:
        return True

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return True

    def __ge__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


class _LyingRule(Rule):
    """A rule whose outcome compares falsely, to make its technique look allowed."""

    @property
    def outcome(self) -> Any:
        return _LyingOutcome()


class _RenamingTechnique(Technique):
    """A technique whose id changes once the engine has checked it."""

    @property
    def id(self) -> str:
        _RenamingTechnique.reads_of_id += 1
        return TAMPERER_TECHNIQUE if _RenamingTechnique.reads_of_id < 3 else "traction"

    reads_of_id = 0


class TamperingPlugin:
    """Declares :data:`TAMPERER_TECHNIQUE` and tries one way of bending the core: ``how``.

    - ``lying-rule``: returns a :class:`Rule` subclass whose outcome compares falsely.
    - ``renaming-technique``: returns a :class:`Technique` subclass whose id changes after
      the engine's duplicate check (to take over another plugin's technique).
    - ``renamed-after-registration``: changes its technique's id with ``object.__setattr__``
      once the engine has it.
    - ``policy``: loosens the policy it is given with ``object.__setattr__``.
    - ``facts``: a ``Custom`` predicate that rewrites the facts (acute → remission, no
      conditions) with ``object.__setattr__``.
    - ``protocol-facts``: a protocol builder that tries to rewrite what it is given.
    """

    HOW = (
        "lying-rule",
        "renaming-technique",
        "renamed-after-registration",
        "policy",
        "facts",
        "protocol-facts",
    )

    def __init__(self, how: str) -> None:
        if how not in self.HOW:
            raise ValueError(f"unknown tampering {how!r}; known: {', '.join(self.HOW)}")
        self.how = how
        self.__name__ = f"tampering-{how}"
        self._technique = Technique(
            id=TAMPERER_TECHNIQUE,
            name="Tamperer",
            description="A technique whose plugin tampers with the engine.",
            source="herniarules.testing.hostile",
            parameters=_Params(),
            protocol=self.protocol,
        )

    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        if self.how == "renaming-technique":
            _RenamingTechnique.reads_of_id = 0
            fields = {f.name: getattr(self._technique, f.name) for f in attrs.fields(Technique)}
            del fields["id"]
            renaming = _RenamingTechnique.__new__(_RenamingTechnique)
            for name, value in fields.items():
                object.__setattr__(renaming, name, value)
            return [renaming]
        return [self._technique]

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        from herniarules.rules import Custom, F

        only = frozenset({TAMPERER_TECHNIQUE})
        if self.how == "renamed-after-registration":
            object.__setattr__(self._technique, "id", "traction")
        if self.how == "policy":
            object.__setattr__(policy, "severe_pain_score", 10)
            object.__setattr__(policy, "raised_temperature_c", 42.0)
        if self.how == "lying-rule":
            rule = Rule(
                "tamperer.lie",
                "Lie",
                F.pain_score >= 0,
                Outcome.DEFER,
                "m",
                "s",
                techniques=only,
            )
            lying = _LyingRule.__new__(_LyingRule)
            for field in attrs.fields(Rule):
                if field.name != "outcome":
                    object.__setattr__(lying, field.name, getattr(rule, field.name))
            return [lying]
        if self.how == "facts":

            def rewrite(facts: Facts) -> bool:
                object.__setattr__(facts, "phases", frozenset({"remission"}))
                object.__setattr__(facts, "worst_phase", "remission")
                object.__setattr__(facts, "conditions", ())
                object.__setattr__(facts, "concepts", frozenset())
                object.__setattr__(facts, "hernia_regions", frozenset({"thoracic"}))
                object.__setattr__(facts, "age", 99)
                return False

            return [
                Rule(
                    "tamperer.rewrite",
                    "Rewrite",
                    Custom(rewrite, "rewrites the facts"),
                    Outcome.DEFER,
                    "m",
                    "s",
                    techniques=only,
                )
            ]
        return []

    def protocol(self, facts: ProtocolFacts, parameters: object) -> Protocol:
        if self.how == "protocol-facts":
            object.__setattr__(facts, "_values", {"phases": frozenset({"remission"})})
        return _protocol(TAMPERER_TECHNIQUE)


def tampering_plugins() -> tuple[TamperingPlugin, ...]:
    """Return one fresh :class:`TamperingPlugin` for every way it knows to tamper."""
    return tuple(TamperingPlugin(how) for how in TamperingPlugin.HOW)


def _tamper_patients() -> tuple[Patient, ...]:
    from herniarules.model import ClinicalStatus, Condition

    vitals = Vitals(systolic_mmhg=120, diastolic_mmhg=80, temperature_c=38.5, pain_score=8)
    base = _patients()
    cancer = Condition(ClinicalStatus.ACTIVE, code="C61")
    return (
        *base,
        attrs.evolve(base[0], id="HOSTILE-fever-pain", vitals=vitals),
        attrs.evolve(base[0], id="HOSTILE-cancer", conditions=(cancer,)),
    )


def check_tamper_proof(plugin: object, *, patients: Sequence[Patient] | None = None) -> None:
    """Install every tampering neighbour next to ``plugin`` and check nothing bends.

    For each :func:`tampering_plugins` case: the engine loads, ``plugin`` decides exactly as
    it does alone, the tampering technique is never permitted for a patient the core
    forbids (acute, fever and severe pain, cancer), and no tamperer takes over a technique
    id of ``plugin``. Raises :class:`~herniarules.testing.ConformanceError` otherwise.
    """
    chosen = tuple(patients) if patients is not None else _tamper_patients()
    alone = Engine(plugins=[plugin], entry_points=False)
    own = [t.id for t in alone.techniques]
    for tamperer in tampering_plugins():
        what = f"tampering by {tamperer.how}"
        try:
            engine = Engine(plugins=[plugin, tamperer], entry_points=False)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            raise _fail(f"{what} stopped the engine loading: {exc!r}") from exc
        if engine.policy != alone.policy:
            raise _fail(f"{what} changed the engine's policy")
        for patient in chosen:
            assessment = engine.assess(patient, as_of=_AS_OF)
            for technique in own:
                if assessment.decision(technique) != alone.evaluate(
                    patient, technique, as_of=_AS_OF
                ):
                    raise _fail(f"{what} changed the decision for {technique!r}")
            forbidden = alone.assess(patient, as_of=_AS_OF)
            core_blocks = all(not d.permitted for d in forbidden.decisions) and own
            ids = {d.technique for d in assessment.decisions}
            if (
                TAMPERER_TECHNIQUE in ids
                and core_blocks
                and assessment.decision(TAMPERER_TECHNIQUE).permitted
            ):
                raise _fail(f"{what}: the tamperer is permitted for {patient.id}")
