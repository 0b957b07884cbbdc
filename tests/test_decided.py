"""The engine's direct ``Decision`` builder gives what the constructor gives."""

from __future__ import annotations

import copy
import pickle

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herniarules import Decision, Engine, Finding, Outcome, Patient, Protocol, ProtocolStep, Sex
from herniarules._slots import constructor, twin
from herniarules.decide import most_restrictive
from herniarules.facts import Facts
from herniarules.outcomes import _decided, _frozen_evidence, _is_frozen
from herniarules.testing import AS_OF, patients

_PROTOCOL = Protocol(
    technique="probe",
    steps=(ProtocolStep("stroking", "Light stroking along the spine."),),
    session_minutes=(10.0, 20.0),
    course_sessions=(10, 12),
    pressure="light",
)

findings_st = st.lists(
    st.builds(
        Finding,
        rule_id=st.sampled_from(["core.a", "probe.b", "probe.c"]),
        outcome=st.sampled_from(list(Outcome)),
        message=st.just("m"),
        source=st.just("s"),
        cleared_by=st.none() | st.just("Dr A"),
    ),
    max_size=4,
).map(tuple)


@given(findings=findings_st, with_protocol=st.booleans())
def test_same_as_the_constructor(findings: tuple[Finding, ...], with_protocol: bool) -> None:
    protocol = _PROTOCOL if with_protocol else None
    outcome = most_restrictive(findings)
    built = Decision("probe", "P-1", findings, protocol, outcome=outcome)
    direct = _decided("probe", "P-1", findings, protocol, outcome)
    assert direct == built
    assert repr(direct) == repr(built)
    assert attrs.asdict(direct, recurse=False) == attrs.asdict(built, recurse=False)
    assert direct.permitted is built.permitted
    assert direct.permitted is (outcome <= Outcome.ALLOWED_WITH_MODIFICATIONS)
    assert pickle.loads(pickle.dumps(direct)) == built
    assert copy.copy(direct) == built


@given(findings=findings_st, audit=st.none() | st.just(["P-1", "2026-01-02"]))
def test_the_inline_refusal_is_the_direct_builders(
    findings: tuple[Finding, ...], audit: list[str] | None
) -> None:
    # The engine's generated step writes _decided inline for the techniques not permitted.
    from herniarules._codegen import define
    from herniarules.outcomes import REFUSED_NAMESPACE, refused_code

    lines = refused_code("d", "technique", "patient_id", "findings", "outcome", "audit")
    body = "\n".join(f"    {line}" for line in lines)
    inline = define(
        f"def refuse(technique, patient_id, findings, outcome, audit):\n{body}\n    return d",
        "refuse",
        "an inline refusal",
        dict(REFUSED_NAMESPACE),
    )
    outcome = most_restrictive(findings)
    made = inline("probe", "P-1", findings, outcome, audit)
    if outcome <= Outcome.ALLOWED_WITH_MODIFICATIONS:
        assert made is None
        return
    direct = _decided("probe", "P-1", findings, None, outcome, audit)
    assert type(made) is Decision
    assert made == direct
    assert attrs.asdict(made, recurse=False) == attrs.asdict(direct, recurse=False)
    assert made.permitted is False
    assert made._audit is audit


def test_every_outcome_sets_permitted() -> None:
    permitted = {o for o in Outcome if _decided("t", "P", (), None, o).permitted}
    assert permitted == {Outcome.ALLOWED, Outcome.ALLOWED_WITH_MODIFICATIONS}


def test_direct_decisions_stay_frozen() -> None:
    decision = _decided("t", "P", (), None, Outcome.ALLOWED)
    try:
        decision.outcome = Outcome.CONTRAINDICATED  # type: ignore[misc]
    except attrs.exceptions.FrozenInstanceError:
        pass
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("a decision could be changed after it was made")
    assert decision.outcome is Outcome.ALLOWED


@given(
    findings=findings_st,
    ranking=st.lists(st.sampled_from(["a", "b", "probe"]), max_size=3).map(tuple),
    unmatched=st.lists(st.sampled_from(["x", "y"]), max_size=2).map(tuple),
)
def test_the_direct_assessment_is_the_constructors(
    findings: tuple[Finding, ...], ranking: tuple[str, ...], unmatched: tuple[str, ...]
) -> None:
    from datetime import date

    from herniarules import Assessment, PluginInfo
    from herniarules.outcomes import _assessed

    decisions = (_decided("probe", "P-1", findings, None, most_restrictive(findings)),)
    plugins = (PluginInfo("p", "1.0", ("probe",)),)
    built = Assessment(
        "P-1",
        date(2026, 1, 2),
        decisions,
        plugins,
        "f" * 16,
        ranking=ranking,
        unmatched_clearances=unmatched,
    )
    direct = _assessed("P-1", date(2026, 1, 2), decisions, plugins, "f" * 16, ranking, unmatched)
    assert direct == built
    assert repr(direct) == repr(built)
    assert attrs.asdict(direct, recurse=False) == attrs.asdict(built, recurse=False)
    assert pickle.loads(pickle.dumps(direct)) == built


@given(findings=findings_st, physician=st.sampled_from(["Dr A", "Dr Ø"]))
def test_a_cleared_finding_is_the_constructors(
    findings: tuple[Finding, ...], physician: str
) -> None:
    from herniarules.decide import cleared

    for finding, direct in zip(findings, cleared(findings, physician), strict=True):
        if finding.outcome is not Outcome.REQUIRES_CLEARANCE:
            assert direct is finding
            continue
        built = attrs.evolve(finding, cleared_by=physician)
        assert direct == built and hash(direct) == hash(built)
        assert repr(direct) == repr(built)
        assert direct.effective_outcome is Outcome.ALLOWED
        assert pickle.loads(pickle.dumps(direct)) == built


_ENGINE = Engine()
_EXAMPLE = Patient(id="P-2", age=40, sex=Sex.FEMALE)


@settings(max_examples=60, deadline=None)
@given(patient=patients(with_hernia=None))
def test_the_engines_findings_are_what_the_constructor_builds(patient: Patient) -> None:
    # The engine builds findings with _found, which trusts its evidence to be frozen already:
    # each one equals (and hashes, prints and pickles as) the constructor's, whose converter
    # would freeze anything left unfrozen.
    findings = [f for d in _ENGINE.assess(patient, as_of=AS_OF).decisions for f in d.findings]
    for finding in findings:
        assert _is_frozen(finding.evidence)
        assert _frozen_evidence(finding.evidence) is finding.evidence
        built = Finding(
            finding.rule_id,
            finding.outcome,
            finding.message,
            finding.source,
            dict(finding.evidence),
            finding.explanation,
            finding.site,
            finding.cleared_by,
        )
        assert built == finding and hash(built) == hash(finding)
        assert repr(built) == repr(finding)
        assert built.effective_outcome is finding.effective_outcome
        assert pickle.loads(pickle.dumps(finding)) == built


@given(patient=patients(with_hernia=None))
def test_fact_items_built_through_the_slots_hash_as_the_constructor_builds_them(
    patient: Patient,
) -> None:
    # derive_facts builds hernia and condition items with _slots.constructor, which must leave
    # the cached hash unset, as __init__ does, so that equal items hash equal.
    facts = _ENGINE.facts(patient, AS_OF)
    for item in (*facts.hernias, *facts.conditions):
        built = type(item)(**attrs.asdict(item))
        assert built == item and hash(built) == hash(item)
        assert pickle.loads(pickle.dumps(item)) == built
        assert hash(copy.copy(item)) == hash(built)


def test_built_through_the_twin_is_exactly_the_frozen_class() -> None:
    decision = _decided("t", "P", (), None, Outcome.ALLOWED)
    assert type(decision) is Decision
    assert isinstance(decision, Decision) and not isinstance(decision, twin(Decision))
    facts = _ENGINE.facts(_EXAMPLE, AS_OF)
    assert type(facts) is Facts
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        facts.age = 41  # type: ignore[misc]


def test_twin_refuses_classes_it_does_not_fit() -> None:
    @attrs.define
    class Open:
        a: int

    @attrs.frozen(slots=False)
    class Unslotted:
        a: int

    class Plain:
        __slots__ = ("a",)

    for cls, message in (
        (Open, "is not frozen"),
        (Unslotted, "is not a slotted attrs class"),
        (Plain, "is not a slotted attrs class"),
    ):
        with pytest.raises(TypeError, match=message):
            twin(cls)  # type: ignore[type-var]


def test_constructor_refuses_classes_whose_init_does_more() -> None:
    @attrs.frozen
    class Checked:
        a: int = attrs.field(validator=attrs.validators.instance_of(int))

    @attrs.frozen
    class Derived:
        a: int
        b: int = attrs.field(init=False, default=0)

    @attrs.frozen
    class Posted:
        a: int

        def __attrs_post_init__(self) -> None:
            pass

    for cls in (Checked, Derived, Posted):
        with pytest.raises(TypeError, match="needs"):
            constructor(cls)

    @attrs.frozen(cache_hash=True)
    class Pair:
        a: int
        b: str

    made = constructor(Pair)(1, "x")
    assert type(made) is Pair and made == Pair(1, "x") and hash(made) == hash(Pair(1, "x"))
