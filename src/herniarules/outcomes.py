"""The outcome scale and the results built on it: findings, decisions, assessments.

Outcomes are ordered from least to most restrictive. A decision is the most restrictive of its
findings; nothing can lower it. A recorded physician clearance satisfies a *requires
clearance* finding and nothing else.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import attrs

from herniarules._codegen import define
from herniarules._slots import twin
from herniarules.frozen import FrozenDict

__all__ = [
    "Assessment",
    "Decision",
    "Finding",
    "Outcome",
    "PluginInfo",
    "Protocol",
    "ProtocolStep",
]

#: Version of the JSON layout of decisions and assessments; bumped on any incompatible change.
#: 2.0 added the audit fields (decision ids, the SHA-256 of the canonical input, the SDK
#: version and the policy) and the audit fields of a decision recorded on its own.
SCHEMA_VERSION = "2.0"


class Outcome(enum.IntEnum):
    """How restrictive a finding is; higher is stricter.

    ``ALLOWED`` and ``ALLOWED_WITH_MODIFICATIONS`` permit the technique. ``REQUIRES_CLEARANCE``
    permits it once a physician's clearance for the technique is recorded. Everything above
    does not permit it: ``INSUFFICIENT_DATA`` until the missing values are recorded (or, for a
    technique whose plugin failed, until the plugin is fixed), ``DEFER`` while a temporary
    state lasts (acute phase, fever, severe pain), ``CONTRAINDICATED`` for lasting conditions
    (cancer, bone tuberculosis).
    """

    ALLOWED = 0
    ALLOWED_WITH_MODIFICATIONS = 1
    REQUIRES_CLEARANCE = 2
    INSUFFICIENT_DATA = 3
    DEFER = 4
    CONTRAINDICATED = 5

    @property
    def label(self) -> str:
        """Return the stable kebab-case name used in JSON (``requires-clearance``)."""
        return _LABELS[self]

    @property
    def permits(self) -> bool:
        """Return whether this outcome, as a verdict, lets the technique go ahead."""
        return self <= Outcome.ALLOWED_WITH_MODIFICATIONS

    @classmethod
    def from_label(cls, label: str) -> Outcome:
        """Return the outcome named by :attr:`label`; raise ``ValueError`` if there is none."""
        try:
            return cls[label.upper().replace("-", "_")]
        except KeyError:
            names = ", ".join(o.label for o in cls)
            raise ValueError(f"unknown outcome {label!r}; expected one of {names}") from None


_LABELS: dict[Outcome, str] = {o: o.name.lower().replace("_", "-") for o in Outcome}


def _frozen(value: Any) -> Any:
    """Return ``value`` with every dict, list and set in it made read-only, deeply.

    Dicts become :class:`~herniarules.frozen.FrozenDict`, lists and tuples tuples, sets and
    frozensets tuples sorted when their items sort (in iteration order otherwise); other values
    are kept as they are. A value already frozen all the way down is returned unchanged (the
    same object), so refreezing a finding's evidence is cheap and shares it.
    """
    if _is_frozen(value):
        return value
    if isinstance(value, Mapping):
        return FrozenDict({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, tuple | list):
        return tuple(map(_frozen, value))
    try:
        ordered = sorted(value)
    except TypeError:
        ordered = list(value)
    return tuple(map(_frozen, ordered))


def _is_frozen(value: Any) -> bool:
    """Return whether ``value`` has no dict, list or set left to freeze, all the way down."""
    kind = type(value)
    if kind in _ATOMS:
        return True
    if kind is FrozenDict:
        values = value.values()
        return _ATOMS.issuperset(map(type, values)) or all(map(_is_frozen, values))
    if kind is tuple:
        return _ATOMS.issuperset(map(type, value)) or all(map(_is_frozen, value))
    return not isinstance(value, Mapping | list | tuple | set | frozenset)


_ATOMS: frozenset[type] = frozenset({str, int, float, bool, type(None)})


def _frozen_evidence(evidence: Mapping[str, Any]) -> Mapping[str, Any]:
    frozen: Mapping[str, Any] = _frozen(
        evidence if isinstance(evidence, Mapping) else dict(evidence)
    )
    return frozen


@attrs.frozen(cache_hash=True)
class Finding:
    """One rule's verdict on one patient, with the evidence that triggered it."""

    rule_id: str
    """The stable id of the rule that produced the finding (core.acute-phase)."""
    outcome: Outcome
    """How restrictive the finding is, before any recorded clearance."""
    message: str
    """What the finding means for the technique, in plain words."""
    source: str
    """The passage of the clinical source (or the convention) the rule implements."""
    evidence: Mapping[str, Any] = attrs.field(factory=FrozenDict, converter=_frozen_evidence)
    """The fact values the rule read, by fact name; read-only all the way down (dicts become
    read-only dicts, lists and sets tuples): a dict given here is copied, so changing it later
    changes nothing."""
    explanation: str = ""
    """The rule's condition rendered with the patient's values: ``pain score 8 ≥ 7``."""
    site: str | None = None
    """Body area the finding is limited to, for local contraindications."""
    cleared_by: str | None = None
    """Physician whose recorded clearance satisfies this ``REQUIRES_CLEARANCE`` finding."""
    effective_outcome: Outcome = attrs.field(init=False)
    """The outcome after a recorded clearance: ``allowed`` for a cleared finding."""

    @effective_outcome.default
    def _effective(self) -> Outcome:
        if self.cleared_by is None or self.outcome is not Outcome.REQUIRES_CLEARANCE:
            return self.outcome
        return Outcome.ALLOWED


class Pending(tuple[Any, ...]):
    """A finding's explanation not rendered yet: ``(render, *args)``, whose text is
    ``render(*args)``.

    The engine builds a finding's evidence when the finding is made and leaves its explanation
    for the first read of :attr:`Finding.explanation`, which renders it and keeps the text in
    its place. ``render`` must be deterministic and ``args`` immutable, holding nothing of the
    patient beyond what the finding's evidence quotes (the rule's predicate and the values it
    read), so that the text does not depend on when it is read.
    """

    __slots__ = ()

    def text(self) -> str:
        """Return the rendered text."""
        text: str = self[0](*self[1:])
        return text


class _Explanation:
    """The descriptor of :attr:`Finding.explanation`: the text in the field's slot, rendered
    on first read when the engine left a :class:`Pending` there."""

    __slots__ = ("_delete", "_get", "_set")

    def __init__(self, slot: Any) -> None:
        # The slot's own methods, bound once: each read is then one call into C. Read on the
        # class, the slot gives itself, as it did before the descriptor replaced it.
        self._get = slot.__get__
        self._set = slot.__set__
        self._delete = slot.__delete__

    def __get__(self, finding: object, owner: type | None = None) -> Any:
        value = self._get(finding, owner)
        if type(value) is not Pending:
            return value
        text = value.text()
        self._set(finding, text)  # the same text whoever reads it first
        return text

    def __set__(self, finding: object, value: object) -> None:
        self._set(finding, value)

    def __delete__(self, finding: object) -> None:
        self._delete(finding)


# Every read of the field goes through the descriptor (attrs' __hash__, __repr__ and
# __getstate__, cattrs, attrs.evolve; __eq__ below reads the slot and calls the descriptor
# for a Pending), so no reader sees a Pending; a frozen Finding still
# refuses assignment in its __setattr__, before the descriptor is reached.
setattr(Finding, "explanation", _Explanation(Finding.__dict__["explanation"]))  # noqa: B010


def raw_explanation(finding: Finding) -> str | Pending:
    """Return what the slot of ``finding.explanation`` holds: its text, or a :class:`Pending`
    not rendered yet (for copying a finding without rendering it)."""
    value: str | Pending = _EXPLANATION_SLOT.__get__(finding, Finding)
    return value


_EXPLANATION_SLOT: Any = Finding.explanation  # the slot, which reads itself on the class
_set_explanation = _EXPLANATION_SLOT.__set__

#: The ``__eq__`` attrs wrote for :class:`Finding`: the reference for the one below.
_ATTRS_EQ: Callable[[Finding, object], Any] = Finding.__eq__


def _finding_eq() -> Callable[[Finding, object], Any]:
    """Return :class:`Finding`'s ``__eq__``: attrs', with the explanation read from its slot.

    It compares the same fields in the same order as attrs' own (:data:`_ATTRS_EQ`, the
    reference); a read through the descriptor is a Python call, and findings are compared
    where a cache holds one equal to another (the JSON texts), so the text in the slot is
    read directly and the descriptor is called only for a :class:`Pending`, to render it.
    """
    names = [field.name for field in attrs.fields(Finding) if field.eq]
    mine = ", ".join("a" if name == "explanation" else f"self.{name}" for name in names)
    theirs = ", ".join("b" if name == "explanation" else f"other.{name}" for name in names)
    source = "\n".join(
        [
            "def __eq__(self, other):",
            "    if other.__class__ is not self.__class__:",
            "        return NotImplemented",
            "    a = get(self, None)",
            "    if a.__class__ is Pending:",
            "        a = self.explanation",
            "    b = get(other, None)",
            "    if b.__class__ is Pending:",
            "        b = other.explanation",
            f"    return ({mine},) == ({theirs},)",
        ]
    )
    namespace = {"get": _EXPLANATION_SLOT.__get__, "Pending": Pending}
    eq: Callable[[Finding, object], Any] = define(source, "__eq__", "Finding.__eq__", namespace)
    return eq


setattr(Finding, "__eq__", _finding_eq())  # noqa: B010  # attrs' __ne__ calls it too


@attrs.frozen
class ProtocolStep:
    """One step of a session: what to do, how often, how long, how hard."""

    name: str
    """Short name of the step (``warm-up``, ``main move 3``)."""
    description: str
    """What the therapist does, in the source's words where it has them."""
    repetitions: str | None = None
    """How many times the movement is repeated (``3-4``)."""
    minutes: float | None = None
    """How long the step lasts, in minutes, when the source or convention says."""
    pressure: str | None = None
    """How hard to press during this step, when it differs from the session's pressure."""


def _read_only(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping if type(mapping) is FrozenDict else FrozenDict(mapping)


@attrs.frozen(cache_hash=True)
class Protocol:
    """How to perform a technique for this patient: the session plan a therapist follows."""

    technique: str
    """The id of the technique the protocol is for."""
    steps: tuple[ProtocolStep, ...]
    """The steps of one session, in order."""
    session_minutes: tuple[float, float]
    """Shortest and longest session, in minutes."""
    course_sessions: tuple[int, int]
    """Fewest and most sessions in a course."""
    pressure: str
    """How hard to press during the session (``none: soft movements without pressure``)."""
    avoid: tuple[str, ...] = ()
    """Areas and manoeuvres to avoid."""
    notes: tuple[str, ...] = ()
    """Further advice for the therapist."""
    parameters: Mapping[str, Any] = attrs.field(factory=dict, converter=_read_only)
    """The parameter values the protocol was built with (read-only)."""


@attrs.frozen(cache_hash=True)
class PluginInfo:
    """A loaded (or failed) plugin: where it came from and what it declares."""

    name: str
    """Distribution name (``herniarules-honey``), or the object's name if registered directly."""
    version: str
    """Distribution version; ``unregistered`` for plugins passed to the engine directly."""
    techniques: tuple[str, ...] = ()
    """Ids of the techniques the plugin declares."""
    error: str | None = None
    """Why the plugin could not be loaded; its techniques are then not available."""


_PERMITTING = Outcome.ALLOWED_WITH_MODIFICATIONS


class Provenance:
    """What an engine was when it decided: fingerprint, plugins, policy and SDK version.

    One per engine, shared by every record it makes.
    """

    __slots__ = ("_policy", "_policy_data", "catalogue", "fingerprint", "plugins", "sdk_version")

    def __init__(
        self,
        fingerprint: str,
        plugins: tuple[PluginInfo, ...],
        policy: object,
        sdk_version: str,
        catalogue: Mapping[str, tuple[str, str]],
    ) -> None:
        self.fingerprint = fingerprint
        self.plugins = plugins
        self.sdk_version = sdk_version
        #: Per rule id, the message and source the rule gives its findings.
        self.catalogue = catalogue
        self._policy = policy
        self._policy_data: Mapping[str, Any] | None = None

    @property
    def policy(self) -> Mapping[str, Any]:
        """Return the policy thresholds as JSON data; written on first use."""
        data = self._policy_data
        if data is None:
            from herniarules._convert import converter

            data = self._policy_data = FrozenDict(converter.unstructure(self._policy))
        return data


#: The input and the engine behind one call of ``assess`` or ``evaluate``, kept by its decisions
#: and assessment outside their equality, repr and fields: ``[patient, as_of, provenance,
#: input_sha256 or None]``. A list, built in one step, because it is made on every call: the
#: SHA-256 of the canonical input and the decision ids are derived from it on first use only,
#: never while assessing.
AuditContext = list


def _input_sha256(audit: list[Any]) -> str:
    sha: str | None = audit[3]
    if sha is None:
        from herniarules.audit import input_sha256  # the audit module builds on this one

        sha = audit[3] = input_sha256(audit[0])
    return sha


def _decision_id(audit: list[Any], subject: str) -> str:
    from herniarules.audit import decision_id

    return decision_id(_input_sha256(audit), subject, audit[2].fingerprint, audit[1].isoformat())


def _sdk_version() -> str:
    from herniarules import __version__

    return __version__


@attrs.frozen
class Decision:
    """Whether, and how, one technique may be given to one patient."""

    technique: str
    """The id of the technique decided."""
    patient_id: str
    """The id of the patient the decision is for."""
    findings: tuple[Finding, ...]
    """Every finding behind the verdict, with its evidence and source."""
    protocol: Protocol | None = None
    """The session plan, present only when the technique is permitted."""
    outcome: Outcome = attrs.field(kw_only=True)
    """The verdict: the most restrictive effective outcome of the findings. Leave it out: it
    is computed from the findings (the engine passes the value it has just computed)."""
    permitted: bool = attrs.field(init=False)
    """Whether the technique may go ahead (outcome allowed or allowed with modifications)."""
    _audit: list[Any] | None = attrs.field(
        default=None, kw_only=True, eq=False, repr=False, alias="audit"
    )
    """The input and engine behind the decision; set by the engine, outside equality."""

    @property
    def decision_id(self) -> str | None:
        """Return the id of this decision (a UUID 5), or ``None`` for one not made by an engine.

        Derived from the input hash, the technique, the ruleset fingerprint and the as-of day
        (:func:`herniarules.audit.decision_id`): the same input decided by the same ruleset on
        the same day has the same id.
        """
        audit = self._audit
        return None if audit is None else _decision_id(audit, self.technique)

    @property
    def input_sha256(self) -> str | None:
        """Return the SHA-256 of the canonical input (:func:`herniarules.audit.canonical_input`)."""
        audit = self._audit
        return None if audit is None else _input_sha256(audit)

    @property
    def as_of(self) -> date | None:
        """Return the day the decision was made for, or ``None`` for one not made by an engine."""
        audit = self._audit
        return None if audit is None else audit[1]

    @property
    def ruleset_fingerprint(self) -> str | None:
        """Return the ruleset fingerprint of the engine that made the decision."""
        audit = self._audit
        return None if audit is None else audit[2].fingerprint

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        """Return the plugins of the engine that made the decision, with their versions."""
        audit = self._audit
        return () if audit is None else audit[2].plugins

    @property
    def policy(self) -> Mapping[str, Any] | None:
        """Return the policy thresholds in force when the decision was made, as JSON data."""
        audit = self._audit
        return None if audit is None else audit[2].policy

    @property
    def schema_version(self) -> str:
        """Return the version of the JSON layout this decision is written in."""
        return SCHEMA_VERSION

    @property
    def sdk_version(self) -> str:
        """Return the version of the herniarules SDK that made (or holds) the decision."""
        audit = self._audit
        return _sdk_version() if audit is None else audit[2].sdk_version

    @outcome.default
    def _outcome_default(self) -> Outcome:
        from herniarules.decide import most_restrictive  # decide builds on this module

        return most_restrictive(self.findings)

    @permitted.default
    def _permitted_default(self) -> bool:
        return self.outcome <= _PERMITTING

    def findings_at_least(self, outcome: Outcome) -> tuple[Finding, ...]:
        """Return the findings whose effective outcome is ``outcome`` or stricter."""
        return tuple(f for f in self.findings if f.effective_outcome >= outcome)


@attrs.frozen
class Assessment:
    """The decisions for every available technique for one patient, as an audit record."""

    patient_id: str
    """The id of the patient assessed."""
    as_of: date
    """The day the patient was assessed for."""
    decisions: tuple[Decision, ...]
    """One decision per technique assessed, sorted by technique id."""
    plugins: tuple[PluginInfo, ...]
    """Every plugin the engine tried to load, with its version and any load error."""
    ruleset_fingerprint: str
    """A short hash of the rules, policy, parameters and plugin files in force."""
    schema_version: str = SCHEMA_VERSION
    """The version of this JSON layout; bumped on any incompatible change."""
    ranking: tuple[str, ...] = ()
    """Permitted techniques, best match to the patient's indications first."""
    unmatched_clearances: tuple[str, ...] = ()
    """Techniques named by a recorded clearance that no installed plugin provides, sorted: a
    clearance that can clear nothing, reported so that a misspelt or missing technique does
    not pass unnoticed."""
    _audit: list[Any] | None = attrs.field(
        default=None, kw_only=True, eq=False, repr=False, alias="audit"
    )
    """The input and engine behind the assessment; set by the engine, outside equality."""

    @property
    def decision_id(self) -> str | None:
        """Return the id of the assessment as a whole (a UUID 5), or ``None`` if not an engine's.

        Derived as a decision's is, with ``*`` in place of the technique id.
        """
        audit = self._audit
        return None if audit is None else _decision_id(audit, "*")

    @property
    def input_sha256(self) -> str | None:
        """Return the SHA-256 of the canonical input (:func:`herniarules.audit.canonical_input`)."""
        audit = self._audit
        return None if audit is None else _input_sha256(audit)

    @property
    def policy(self) -> Mapping[str, Any] | None:
        """Return the policy thresholds in force when the assessment was made, as JSON data."""
        audit = self._audit
        return None if audit is None else audit[2].policy

    @property
    def sdk_version(self) -> str:
        """Return the version of the herniarules SDK that made (or holds) the assessment."""
        audit = self._audit
        return _sdk_version() if audit is None else audit[2].sdk_version

    def decision(self, technique: str) -> Decision:
        """Return the decision for ``technique``; raise ``KeyError`` if it was not assessed."""
        for decision in self.decisions:
            if decision.technique == technique:
                return decision
        raise KeyError(technique)

    @property
    def permitted(self) -> tuple[str, ...]:
        """Return the ids of the permitted techniques, in assessment order."""
        return tuple(d.technique for d in self.decisions if d.permitted)


#: The audit fields a record writes beside the attrs fields of its object, by name and type,
#: read from the properties of the same name: of a decision inside an assessment, of a
#: decision recorded on its own, and of an assessment.
NESTED_DECISION_AUDIT: dict[str, Any] = {"decision_id": str | None}
DECISION_AUDIT: dict[str, Any] = {
    "as_of": date | None,
    "decision_id": str | None,
    "input_sha256": str | None,
    "plugins": tuple[PluginInfo, ...],
    "policy": Mapping[str, Any] | None,
    "ruleset_fingerprint": str | None,
    "schema_version": str,
    "sdk_version": str,
}
ASSESSMENT_AUDIT: dict[str, Any] = {
    "decision_id": str | None,
    "input_sha256": str | None,
    "policy": Mapping[str, Any] | None,
    "sdk_version": str,
}


_new = object.__new__
_OpenDecision, _OpenAssessment, _OpenFinding = (twin(c) for c in (Decision, Assessment, Finding))


def _decided(
    technique: str,
    patient_id: str,
    findings: tuple[Finding, ...],
    protocol: Protocol | None,
    outcome: Outcome,
    audit: list[Any] | None = None,
) -> Decision:
    """Return ``Decision(technique, patient_id, findings, protocol, outcome=outcome)``.

    For the engine, which has just computed ``outcome`` as the most restrictive effective
    outcome of ``findings``: built through its open twin (:mod:`herniarules._slots`) instead
    of the generated ``__init__``, which saves most of a microsecond per decision. The result
    is equal to, and indistinguishable from, the one the constructor builds.
    """
    decision: Any = _new(_OpenDecision)
    decision.technique = technique
    decision.patient_id = patient_id
    decision.findings = findings
    decision.protocol = protocol
    decision.outcome = outcome
    decision.permitted = outcome <= _PERMITTING
    decision._audit = audit
    decision.__class__ = Decision
    return decision  # type: ignore[no-any-return]


#: The names :func:`refused_code` refers to, for the namespace of the code it is put in.
REFUSED_NAMESPACE: dict[str, Any] = {
    "_new": _new,
    "_OpenDecision": _OpenDecision,
    "_Decision": Decision,
    "_PERMITTING": _PERMITTING,
}


def decision_code(
    target: str,
    technique: str,
    patient_id: str,
    findings: str,
    protocol: str,
    outcome: str,
    audit: str,
    permitted: str,
) -> list[str]:
    """Return Python lines setting ``target`` to ``_decided(technique, patient_id, findings,
    protocol, outcome, audit)``, whose ``permitted`` (``"True"`` or ``"False"``) the caller
    knows from ``outcome``.

    Each argument is the name of a local (or constant) of the generated code, which must see
    :data:`REFUSED_NAMESPACE`.
    """
    return [
        f"{target} = _new(_OpenDecision)",
        f"{target}.technique = {technique}",
        f"{target}.patient_id = {patient_id}",
        f"{target}.findings = {findings}",
        f"{target}.protocol = {protocol}",
        f"{target}.outcome = {outcome}",
        f"{target}.permitted = {permitted}",
        f"{target}._audit = {audit}",
        f"{target}.__class__ = _Decision",
    ]


def refused_code(
    target: str, technique: str, patient_id: str, findings: str, outcome: str, audit: str
) -> list[str]:
    """Return Python lines setting ``target`` to the decision of a technique not permitted.

    The lines do what ``target = _decided(technique, patient_id, findings, None, outcome,
    audit) if outcome > _PERMITTING else None`` does, each argument the name of a local (or
    constant) of the generated code, which must see :data:`REFUSED_NAMESPACE`: the engine's
    generated step for every technique writes them inline, where most patients' decisions
    are refusals, and a call per technique would be most of their cost.
    """
    made = decision_code(target, technique, patient_id, findings, "None", outcome, audit, "False")
    return [
        f"if {outcome} > _PERMITTING:",
        *[f"    {line}" for line in made],
        "else:",
        f"    {target} = None",
    ]


def _assessed(
    patient_id: str,
    as_of: date,
    decisions: tuple[Decision, ...],
    plugins: tuple[PluginInfo, ...],
    fingerprint: str,
    ranking: tuple[str, ...],
    unmatched_clearances: tuple[str, ...],
    audit: list[Any] | None = None,
) -> Assessment:
    """Return the :class:`Assessment` of these fields, as :func:`_decided` does a decision."""
    assessment: Any = _new(_OpenAssessment)
    assessment.patient_id = patient_id
    assessment.as_of = as_of
    assessment.decisions = decisions
    assessment.plugins = plugins
    assessment.ruleset_fingerprint = fingerprint
    assessment.schema_version = SCHEMA_VERSION
    assessment.ranking = ranking
    assessment.unmatched_clearances = unmatched_clearances
    assessment._audit = audit
    assessment.__class__ = Assessment
    return assessment  # type: ignore[no-any-return]


def _cleared(finding: Finding, physician: str) -> Finding:
    """Return ``finding`` cleared by ``physician``, as the constructor would build it.

    For :func:`herniarules.decide.cleared`, with a *requires clearance* finding the engine
    made: its fields are valid and frozen already, so they are copied, not checked and frozen
    again.
    """
    return _found(
        finding.rule_id,
        finding.outcome,
        finding.message,
        finding.source,
        finding.evidence,
        raw_explanation(finding),
        finding.site,
        physician,
        Outcome.ALLOWED,
    )


def _found(
    rule_id: str,
    outcome: Outcome,
    message: str,
    source: str,
    evidence: Mapping[str, Any],
    explanation: str | Pending,
    site: str | None,
    cleared_by: str | None = None,
    effective_outcome: Outcome | None = None,
) -> Finding:
    """Return ``Finding(rule_id, outcome, message, source, evidence, explanation, site)``.

    For the engine, whose evidence is :meth:`Facts.evidence <herniarules.facts.Facts.
    evidence>` or the interpreter's: read-only all the way down already, so it is not walked
    and frozen again (the constructor would return it unchanged). The result is equal to, and
    indistinguishable from, the one the constructor builds. ``cleared_by`` and
    ``effective_outcome`` are for :func:`_cleared`: a finding cleared by that physician.
    ``explanation`` may be a :class:`Pending`, rendered on the first read of the field.
    """
    finding: Any = _new(_OpenFinding)
    finding.rule_id = rule_id
    finding.outcome = outcome
    finding.message = message
    finding.source = source
    finding.evidence = evidence
    _set_explanation(finding, explanation)  # the slot itself: the descriptor adds a call
    finding.site = site
    finding.cleared_by = cleared_by
    finding.effective_outcome = outcome if effective_outcome is None else effective_outcome
    finding._attrs_cached_hash = None
    finding.__class__ = Finding
    return finding  # type: ignore[no-any-return]
