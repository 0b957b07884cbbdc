"""The expression layer's nodes and back-ends: data apart from what is done with it.

Every node type is known to every back-end and anything else is refused by name; the code
generator (the fast path) agrees with the interpreter (the reference) on the result, the
evidence, the missing values and the explanation of every finding; and a traceback through a
generated rule-set function shows the generated line and whose rules they are.
"""

from __future__ import annotations

import gc
import linecache
import pickle
import sys
import traceback
from collections.abc import Iterator
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herniarules import Custom, Engine, Outcome, Rule, RuleError, derive_facts, dumps
from herniarules.facts import ConditionFact, Facts
from herniarules.frozen import FrozenDict
from herniarules.outcomes import _ATTRS_EQ, Decision, Finding, Pending, _found, raw_explanation
from herniarules.rules import (
    Always,
    CompiledRules,
    Dx,
    Expr,
    F,
    H,
    ItemExpr,
    _interpret,
    _python,
    _reads,
    _render,
)
from herniarules.rules._core import _Group
from herniarules.rules._items import Count, CountCompare, Every, Some, _ItemGroup, _Quantifier
from herniarules.rules._render import finding_parts, finding_texts, render
from herniarules.rules._visit import Dispatch
from herniarules.safety import DEFAULT_POLICY, core_rules
from herniarules.testing import patients
from herniarules.vocabulary import CONDITION_CONCEPTS

AS_OF = date(2026, 11, 27)


def rule(when: Expr, rule_id: str = "probe.rule", **fields: Any) -> Rule:
    fields.setdefault("techniques", {"probe"})
    return Rule(
        rule_id, "A test rule", when, Outcome.DEFER, "Test message.", "test suite", **fields
    )


# --------------------------------------------------------------------------- node types


def _concrete(base: type) -> set[type]:
    found: set[type] = set()
    for sub in base.__subclasses__():
        found |= _concrete(sub)
        if sub.__module__.startswith("herniarules.rules.") and sub not in _ABSTRACT:
            found.add(sub)
    return found


_ABSTRACT = {_Group, _ItemGroup, _Quantifier}
# attrs builds a slotted class anew and drops the one the class statement made; until the
# garbage collector frees it, that one is still among its base's subclasses.
gc.collect()
EXPR_NODES = _concrete(Expr)
ITEM_NODES = _concrete(ItemExpr)
QUANTIFIERS = {Some, Every, CountCompare}

WHOLE_FACT_OPERATIONS = {
    "interpreter, evaluate": _interpret.EVALUATE,
    "interpreter, witnesses": _interpret.WITNESSES,
    "interpreter, missing": _interpret.MISSING,
    "renderer, render": _render.RENDER,
    "reads analysis, reads": _reads.READS,
    "code generator, code": _python.CODE,
}
ITEM_OPERATIONS = {
    "interpreter, evaluate_item": _interpret.EVALUATE_ITEM,
    "interpreter, missing_fields": _interpret.MISSING_FIELDS,
    "renderer, render_item": _render.RENDER_ITEM,
    "renderer, explain": _render.EXPLAIN,
    "reads analysis, fields": _reads.FIELDS,
    "code generator, item_code": _python.ITEM_CODE,
}
QUANTIFIER_OPERATIONS = {
    "interpreter, decide": _interpret.DECIDE,
    "interpreter, picks": _interpret.PICKS,
}


def test_the_node_types_are_the_documented_ones() -> None:
    names = {cls.__name__ for cls in EXPR_NODES | ITEM_NODES}
    assert names == {
        *("Compare", "In", "Contains", "NotEmpty", "All", "Any_", "Not", "Always", "Custom"),
        *("Some", "Every", "CountCompare"),
        *("ItemCompare", "ItemIn", "ItemAlways", "ItemAll", "ItemAny", "ItemNot", "Labelled"),
    }


@pytest.mark.parametrize(
    ("operations", "nodes"),
    [
        (WHOLE_FACT_OPERATIONS, EXPR_NODES),
        (ITEM_OPERATIONS, ITEM_NODES),
        (QUANTIFIER_OPERATIONS, QUANTIFIERS),
    ],
    ids=["whole facts", "items", "quantifiers"],
)
def test_every_back_end_handles_exactly_the_node_types(
    operations: dict[str, Dispatch[Any]], nodes: set[type]
) -> None:
    for name, operation in operations.items():
        assert set(operation.table) == nodes, name


@pytest.mark.parametrize(
    "node",
    [
        F.pain_score >= 7,
        F.worst_phase.in_("acute"),
        F.concepts.contains("fever"),
        F.exacerbated_conditions.not_empty(),
        (F.pain_score >= 7) & (F.bp_grade >= 2),
        (F.pain_score >= 7) | (F.bp_grade >= 2),
        ~(F.pain_score >= 7),
        Always(),
        Custom(lambda f: True, "always, by hand"),
        F.hernias.any(H.size_mm >= 6),
        F.hernias.all(H.region.in_("lumbar")),
        F.conditions.count(Dx.concept.eq("fever").labelled("fever")) >= 1,
        F.hernias.count() >= 2,
        F.hernias.any(~(H.phase.eq("acute") | H.surgery_indicated.is_true())),
    ],
    ids=repr,
)
def test_nodes_are_frozen_attrs_data(node: Expr) -> None:
    def parts(value: object) -> Iterator[object]:
        yield value
        if attrs.has(type(value)):
            for field in attrs.fields(type(value)):
                inner = getattr(value, field.name)
                for item in inner if isinstance(inner, tuple) else (inner,):
                    if isinstance(item, Expr | ItemExpr):
                        yield from parts(item)

    for part in parts(node):
        cls = type(part)
        assert attrs.has(cls), cls
        assert not hasattr(part, "__dict__"), cls
        for name in [field.name for field in attrs.fields(cls)] or ["anything"]:
            with pytest.raises(attrs.exceptions.FrozenInstanceError):
                setattr(part, name, None)


class Foreign(Expr):
    """A node no back-end knows."""

    __slots__ = ()


class ForeignItem(ItemExpr):
    """An item node no back-end knows."""

    __slots__ = ()

    @property
    def kind(self) -> Any:
        return H.size_mm.kind


@pytest.fixture(scope="module")
def facts(make_patient: Any) -> Facts:
    return derive_facts(make_patient(), AS_OF)


def test_an_unknown_node_is_an_error_naming_it_in_every_back_end(facts: Facts) -> None:
    node, item = Foreign(), ForeignItem()
    hernia = facts.hernias[0]
    calls = {
        "evaluate": lambda: node.evaluate(facts),
        "witnesses": lambda: node.witnesses(facts),
        "evidence": lambda: node.evidence(facts),
        "missing": lambda: node.missing(facts),
        "render": lambda: node.render(facts),
        "reads": node.reads,
        "code": lambda: _python.code(node, _python.Context()),
        "evaluate an item": lambda: item.evaluate(hernia),
        "render an item": lambda: item.render(hernia),
        "explain an item": lambda: item.explain(hernia, True),
        "item fields": item.fields,
        "missing item fields": lambda: item.missing(hernia),
        "item code": lambda: _python.item_code(item, _python.Context(), "x"),
        "inside a quantifier": lambda: F.hernias.any(item).evaluate(facts),
        "compile": lambda: CompiledRules([rule(node)]),
        "compile inside a group": lambda: CompiledRules([rule((F.pain_score >= 1) & node)]),
    }
    for call in calls.values():
        with pytest.raises(RuleError, match=r"does not know the node type .*\.Foreign(Item)?:"):
            call()


def test_a_plugin_with_an_unknown_node_fails_closed_through_the_engine(
    make_engine: Any, plugin_class: Any, make_patient: Any
) -> None:
    engine = make_engine(plugin_class(rules=[rule(Foreign())]))
    (info,) = [p for p in engine.plugins if "probe" in p.techniques]
    assert info.error is not None
    assert "could not be compiled" in info.error and "Foreign" in info.error
    decision = engine.evaluate(make_patient(), "probe", as_of=AS_OF)
    assert not decision.permitted
    assert "engine.plugin-error" in {f.rule_id for f in decision.findings}


def test_a_dispatch_table_refuses_a_second_function_for_a_type() -> None:
    operation: Dispatch[int] = Dispatch("probe", "", "a test back-end")
    operation.register(Foreign)(lambda node: 1)
    assert operation.function(Foreign()) == 1
    with pytest.raises(RuleError, match="already handles Foreign"):
        operation.register(Foreign)(lambda node: 2)


def test_count_is_a_builder_not_a_predicate() -> None:
    count = F.hernias.count(H.size_mm >= 6)
    assert isinstance(count, Count) and not isinstance(count, Expr)
    assert repr(count) == "F.hernias.count('size (mm) ≥ 6')"


# --------------------------------------------------------------------------- agreement

_PHASES = ["acute", "exacerbation", "subacute", "remission", "post-surgical"]
_CONCEPTS = sorted(CONDITION_CONCEPTS)
_TIERS = ["contraindicated", "defer", "requires-clearance", "allowed-with-modifications"]

fact_leaves = st.one_of(
    st.builds(lambda n: F.pain_score >= n, st.integers(0, 10)),
    st.builds(lambda n: F.temperature_c > n, st.floats(36.0, 39.0)),
    st.builds(lambda n: F.bp_grade.eq(n), st.integers(0, 3)),
    st.builds(lambda n: F.max_hernia_size_mm <= n, st.floats(0, 12)),
    st.builds(lambda n: F.days_since_surgery < n, st.integers(0, 120)),
    st.builds(lambda p: F.worst_phase.in_(*p), st.lists(st.sampled_from(_PHASES), min_size=1)),
    st.builds(lambda c: F.concepts.contains(c), st.sampled_from(_CONCEPTS)),
    st.builds(
        lambda c: F.concepts.contains_any(*c), st.lists(st.sampled_from(_CONCEPTS), min_size=1)
    ),
    st.sampled_from(
        [
            F.pregnant.is_true(),
            F.inflammatory_process.is_false(),
            F.surgery_indicated.ne(True),
            F.exacerbated_conditions.not_empty(),
            F.sex.eq("female"),
            Always(),
            Custom(
                lambda f: None if f.pain_score is None else f.pain_score > 4,
                "pain above 4",
                reads=["pain_score"],
            ),
            Custom(lambda f: "maybe", "a function that does not answer yes or no"),
        ]
    ),
)


def _item_tree(leaves: st.SearchStrategy[ItemExpr]) -> st.SearchStrategy[ItemExpr]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(lambda a, b: a & b, inner, inner),
            st.builds(lambda a, b: a | b, inner, inner),
            st.builds(lambda a: ~a, inner),
            st.builds(lambda a: a.labelled("in plain words"), inner),
        ),
        max_leaves=4,
    )


hernia_predicates = _item_tree(
    st.one_of(
        st.builds(lambda n: H.size_mm >= n, st.floats(0, 12)),
        st.builds(lambda n: H.size_mm < n, st.floats(0, 12)),
        st.builds(lambda r: H.region.eq(r), st.sampled_from(["lumbar", "cervical", "thoracic"])),
        st.builds(lambda p: H.phase.in_(*p), st.lists(st.sampled_from(_PHASES), min_size=1)),
        st.just(H.surgery_indicated.is_true()),
    )
)
condition_predicates = _item_tree(
    st.one_of(
        st.builds(lambda c: Dx.concept.eq(c), st.sampled_from(_CONCEPTS)),
        st.builds(lambda c: Dx.concept.ne(c), st.sampled_from(_CONCEPTS)),
        st.builds(lambda s: Dx.site.eq(s), st.sampled_from(["legs", "back", "abdomen"])),
        st.builds(
            lambda t: Dx.tier.in_(*t),
            st.lists(
                st.sampled_from(["contraindicated", "defer", "requires-clearance"]), min_size=1
            ),
        ),
        st.just(Dx.status.eq("active")),
        # A concept at a tier, the shape of most rules over conditions (a table lookup in
        # the generated code).
        st.builds(
            lambda c, t, flip: (
                (Dx.tier.eq(t) & Dx.concept.eq(c)) if flip else (Dx.concept.eq(c) & Dx.tier.eq(t))
            ),
            st.sampled_from(_CONCEPTS),
            st.sampled_from(_TIERS),
            st.booleans(),
        ),
    )
)


def _quantified(items: Any, predicates: st.SearchStrategy[ItemExpr]) -> st.SearchStrategy[Expr]:
    counted = st.builds(
        lambda p, op, n: getattr(items.count(p), op)(n),
        st.none() | predicates,
        st.sampled_from(["__ge__", "__gt__", "__le__", "__lt__", "eq", "ne"]),
        st.integers(0, 3),
    )
    return st.one_of(st.builds(items.any, predicates), st.builds(items.all, predicates), counted)


expressions = st.recursive(
    st.one_of(
        fact_leaves,
        _quantified(F.hernias, hernia_predicates),
        _quantified(F.conditions, condition_predicates),
    ),
    lambda inner: st.one_of(
        st.builds(lambda a, b: a & b, inner, inner),
        st.builds(lambda a, b: a | b, inner, inner),
        st.builds(lambda a: ~a, inner),
    ),
    max_leaves=6,
)

#: Facts a patient may lack, so that predicates are unknown too.
_OPTIONAL = (
    "pain_score",
    "temperature_c",
    "bp_grade",
    "max_hernia_size_mm",
    "worst_phase",
    "pregnant",
    "inflammatory_process",
    "surgery_indicated",
    "days_since_surgery",
    "hernias",
    "conditions",
)


@st.composite
def generated_facts(draw: st.DrawFn) -> Facts:
    """Facts of a generated patient, some of them then unrecorded."""
    facts = derive_facts(draw(patients(with_hernia=None)), AS_OF)
    unrecorded = draw(st.sets(st.sampled_from(_OPTIONAL), max_size=3))
    facts = attrs.evolve(facts, **dict.fromkeys(unrecorded))
    if facts.conditions and draw(st.booleans()):
        # Items the derivation does not make but a rule must still judge: a concept or tier
        # that is unknown leaves an item's predicate unknown.
        conditions = list(facts.conditions)
        at = draw(st.integers(0, len(conditions) - 1))
        conditions[at] = attrs.evolve(
            conditions[at], **{draw(st.sampled_from(["concept", "tier"])): None}
        )
        facts = attrs.evolve(facts, conditions=tuple(conditions))
    return facts


def _reference(when: Expr, facts: Facts) -> tuple[Any, ...]:
    """What the interpreter says of ``when``: result, evidence, missing values, explanation."""
    return (
        when.evaluate(facts),
        dict(when.evidence(facts)),
        when.missing(facts),
        when.render(facts),
    )


def _make(r: Rule, result: bool | None, names: tuple[str, ...], facts: Facts) -> tuple[Any, ...]:
    return (r.id, result, dict(r.when.evidence(facts)), r.when.missing(facts), r.when.render(facts))


def _agree(compiled: CompiledRules, facts: Facts) -> None:
    findings = compiled.findings_function(_make, 10_000)(facts)
    fired = compiled.fired(facts)
    expected = [
        (r.id, *_reference(r.when, facts))
        for r in compiled.rules
        if r.when.evaluate(facts) is not False
    ]
    assert [(r.id, result) for r, result in fired] == [e[:2] for e in expected]
    assert findings == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    whens=st.lists(expressions, min_size=1, max_size=5),
    patients_facts=st.lists(generated_facts(), min_size=1, max_size=5),
)
def test_generated_code_agrees_with_the_interpreter_on_result_evidence_and_missing_values(
    whens: list[Expr], patients_facts: list[Facts]
) -> None:
    # One rule set over several patients: a finding the generated function reuses for a later
    # patient must be the one the interpreter gives that patient.
    compiled = CompiledRules([rule(w, f"probe.rule-{i}") for i, w in enumerate(whens)])
    for facts in patients_facts:
        _agree(compiled, facts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    predicate=st.one_of(
        st.tuples(st.just("hernias"), hernia_predicates),
        st.tuples(st.just("conditions"), condition_predicates),
    ),
    patients_facts=st.lists(generated_facts(), min_size=1, max_size=4),
)
def test_compiled_item_predicates_agree_with_the_interpreted_walk(
    predicate: tuple[str, ItemExpr], patients_facts: list[Facts]
) -> None:
    # Evidence, rendering and missing values read item values through the compiled item
    # functions; the interpreter's walk is the reference they must equal item by item.
    collection, node = predicate
    quantifier = getattr(F, collection).any(node)
    for facts in patients_facts:
        fast = _interpret.item_values(quantifier, facts)
        slow = _interpret.interpreted_item_values(quantifier, facts)
        assert fast == slow
        for item in getattr(facts, collection) or ():
            assert _interpret.item_function(node)(item) is _interpret.evaluate_item(node, item)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(when=expressions, patients_facts=st.lists(generated_facts(), min_size=1, max_size=4))
def test_finding_texts_give_the_interpreters_evidence_and_explanation(
    when: Expr, patients_facts: list[Facts]
) -> None:
    # The engine builds a finding's evidence and explanation in one pass where it can (a
    # predicate that is one quantifier); the interpreter's evidence and the renderer are the
    # reference, for every result, including those no finding is made of.
    for facts in patients_facts:
        evidence, explanation = finding_texts(when, facts)
        assert type(evidence) is FrozenDict
        assert dict(evidence) == dict(_interpret.evidence(when, facts))
        assert explanation == render(when, facts)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(when=expressions, patients_facts=st.lists(generated_facts(), min_size=1, max_size=4))
def test_finding_parts_render_later_the_text_finding_texts_renders_now(
    when: Expr, patients_facts: list[Facts]
) -> None:
    # The engine leaves a finding's explanation to its first read; what it keeps for that
    # must render the text finding_texts (the reference) renders at once, from the rule and
    # the values it read alone, and the evidence must be the same.
    names = _reads.reads(when)
    for facts in patients_facts:
        evidence, explanation = finding_parts(when, facts, names)
        eager_evidence, eager_explanation = finding_texts(when, facts)
        assert type(evidence) is FrozenDict
        assert dict(evidence) == dict(eager_evidence)
        if isinstance(explanation, Pending):
            assert _holds_only(explanation, when, evidence, facts)
            explanation = explanation.text()
        assert type(explanation) is str
        assert explanation == eager_explanation


def _holds_only(pending: Pending, when: Expr, evidence: Any, facts: Facts) -> bool:
    """Whether ``pending`` holds the predicate and values the evidence quotes, nothing else."""
    render_function, node, *rest = pending
    if node is not when or not callable(render_function):
        return False
    if type(when) is Some:  # the items that decided it, each of them quoted
        items, result = rest
        quoted = evidence[when.kind.collection]
        return result in (True, None) and [item.evidence() for item in items] == list(quoted)
    names, values = ((rest[0],), (rest[1],)) if isinstance(rest[0], str) else rest
    return tuple(names) == _reads.reads(when) and all(
        value is getattr(facts, name) for name, value in zip(names, values, strict=True)
    )


def test_a_pending_explanation_is_rendered_once_and_the_finding_is_unchanged(
    facts: Facts,
) -> None:
    # A finding whose explanation is pending is the finding the constructor builds with the
    # text: equal, with the same hash, repr, pickle and JSON; it stays frozen.
    facts = attrs.evolve(facts, concepts=frozenset({"anticoagulant-therapy", "pregnancy"}))
    when = F.concepts.contains("anticoagulant-therapy")
    evidence, explanation = finding_parts(when, facts, _reads.reads(when))
    assert isinstance(explanation, Pending)
    text = render(when, facts)

    def lazy() -> Finding:
        return _found("probe.rule", Outcome.DEFER, "m", "s", evidence, explanation, None)

    eager = Finding("probe.rule", Outcome.DEFER, "m", "s", evidence, text)
    first = lazy()
    assert raw_explanation(first) is explanation
    assert hash(first) == hash(eager)
    assert raw_explanation(first) == text  # hashing read the text, and kept it
    assert lazy() == eager and repr(lazy()) == repr(eager)
    assert pickle.loads(pickle.dumps(lazy())) == eager
    assert raw_explanation(pickle.loads(pickle.dumps(lazy()))) == text
    assert attrs.evolve(lazy(), message="n") == attrs.evolve(eager, message="n")
    decided = Decision("probe", "P", (lazy(),))
    assert dumps(decided) == dumps(Decision("probe", "P", (eager,)))
    finding = lazy()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        finding.explanation = "changed"  # type: ignore[misc]
    assert raw_explanation(finding) is explanation and finding.explanation == text


_TEXTS = st.sampled_from(["pain score 8 ≥ 7", "pain score 9 ≥ 7", ""])


@st.composite
def _findings(draw: st.DrawFn) -> Finding:
    text = draw(_TEXTS)
    explanation = Pending((str, text)) if draw(st.booleans()) else text
    return _found(
        draw(st.sampled_from(["core.a", "core.b"])),
        draw(st.sampled_from([Outcome.DEFER, Outcome.REQUIRES_CLEARANCE])),
        draw(st.sampled_from(["Wait.", "Ask."])),
        "test suite",
        FrozenDict(pain_score=draw(st.sampled_from([8, 9]))),
        explanation,
        draw(st.sampled_from([None, "legs"])),
        draw(st.sampled_from([None, "Dr A"])),
        None,
    )


@settings(max_examples=300, deadline=None)
@given(pair=st.tuples(_findings(), _findings()))
def test_finding_equality_is_attrs_equality_read_through_the_slot(
    pair: tuple[Finding, Finding],
) -> None:
    # Finding.__eq__ reads the explanation's slot directly and renders only a Pending; attrs'
    # own __eq__ (the reference) reads every field through the descriptor. Each is asked about
    # copies in the same state, pending or rendered.
    def copies() -> tuple[Finding, Finding]:
        return tuple(  # type: ignore[return-value]
            _found(
                f.rule_id,
                f.outcome,
                f.message,
                f.source,
                f.evidence,
                raw_explanation(f),
                f.site,
                f.cleared_by,
                f.effective_outcome,
            )
            for f in pair
        )

    a, b = copies()
    expected = _ATTRS_EQ(*copies())
    assert (a == b) is expected
    assert (a != b) is (not expected)
    assert (a == b) is expected  # now rendered, the same answer
    assert a.__eq__(object()) is NotImplemented


@pytest.mark.parametrize("result", [True, None])
def test_finding_texts_of_some_show_only_the_deciding_conditions(
    facts: Facts, result: bool | None
) -> None:
    # A condition that satisfies the predicate decides a true result, one that may satisfy it
    # (its site not recorded) an unknown one; only the deciding ones are quoted and explained.
    when = F.conditions.any(Dx.concept.eq("varicose-veins") & Dx.site.eq("legs"))

    def varicose(code: str, site: str | None) -> ConditionFact:
        return ConditionFact(
            "varicose-veins", "contraindicated", site, code, "icd-10", None, "active"
        )

    other = ConditionFact("malignancy", "contraindicated", None, "C61", "icd-10", None, "active")
    deciding = varicose("I83.9", "legs" if result else None)
    undecided = varicose("I83.1", None)
    conditions = (other, deciding, undecided) if result else (other, deciding)
    facts = attrs.evolve(facts, conditions=conditions)
    evidence, explanation = finding_texts(when, facts)
    assert when.evaluate(facts) is result
    assert evidence == {"conditions": (deciding.evidence(),)}
    assert explanation == render(when, facts)
    assert explanation.startswith("condition I83.9: ") and ";" not in explanation


def test_a_compiled_item_predicate_goes_with_its_node() -> None:
    node = Dx.concept.eq("malignancy") & Dx.status.eq("active")
    _interpret.item_function(node)
    assert node in _interpret._ITEM_FUNCTIONS
    gc.collect()  # earlier tests' nodes that are garbage already go first, not below
    count = len(_interpret._ITEM_FUNCTIONS)
    del node
    gc.collect()
    assert len(_interpret._ITEM_FUNCTIONS) == count - 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients_facts=st.lists(generated_facts(), min_size=1, max_size=4), data=st.data())
def test_rules_of_a_concept_at_a_tier_agree_with_the_interpreter(
    patients_facts: list[Facts], data: st.DataObject
) -> None:
    # The generated code decides these rules by one table lookup per item; the pairs the
    # patients have are among the rules, so that the lookup both hits and misses.
    had = sorted(
        {
            (item.concept, item.tier)
            for facts in patients_facts
            for item in facts.conditions or ()
            if item.concept is not None and item.tier is not None
        }
    )
    drawn = data.draw(st.lists(st.tuples(st.sampled_from(_CONCEPTS), st.sampled_from(_TIERS))))
    pairs = had + drawn + had[:1]  # one pair twice: two rules on one table entry
    whens: list[Expr] = [F.conditions.any(Dx.concept.eq(c) & Dx.tier.eq(t)) for c, t in pairs]
    # Another rule between them: two runs of table-decided rules, each under its own guard.
    whens.insert(len(whens) // 2, F.conditions.any(Dx.concept.eq(_CONCEPTS[0])))
    whens.append(F.pain_score >= 5)
    compiled = CompiledRules([rule(w, f"probe.rule-{i}") for i, w in enumerate(whens)])
    for facts in patients_facts:
        _agree(compiled, facts)


_SHIPPED = CompiledRules(Engine().rules)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=generated_facts())
def test_the_shipped_rules_compiled_agree_with_the_interpreter(facts: Facts) -> None:
    # The core and plugin rules, over patients the testing kit generates; the findings kept
    # from earlier examples are reused, as in an engine.
    _agree(_SHIPPED, facts)


def test_a_rule_set_keys_the_findings_of_an_unrecorded_collection(facts: Facts) -> None:
    # The findings key of a rule over hernias carries the type of each size; with no hernia
    # list at all the rule is unknown, and its key says so instead of failing.
    compiled = CompiledRules([rule(F.hernias.any(H.size_mm >= 6))])
    unrecorded = attrs.evolve(facts, hernias=None)
    (finding,) = compiled.findings_function(_make, 10)(unrecorded)
    assert finding == (
        "probe.rule",
        None,
        {"hernias": None},
        ("hernias",),
        _render.render(compiled.rules[0].when, unrecorded),
    )
    assert compiled.findings_function(_make, 10)(facts) == []


# --------------------------------------------------------------------------- generated code


def _raise(facts: Facts) -> bool:
    raise ZeroDivisionError("a custom predicate that divides by zero")


def _traceback_of(call: Any) -> str:
    try:
        call()
    except ZeroDivisionError:
        return "".join(traceback.format_exception(*sys.exc_info()))
    raise AssertionError("the rule set did not raise")


@pytest.mark.parametrize("function", ["fired", "findings"])
def test_a_traceback_through_a_rule_set_shows_the_generated_line(
    facts: Facts, function: str
) -> None:
    broken = Custom(_raise, "divides by zero")
    compiled = CompiledRules([rule(F.pain_score >= 0, "probe.fine"), rule(broken, "probe.broken")])
    if function == "fired":
        text = _traceback_of(lambda: compiled.fired(facts))
        where, kind = "in _fired", "predicates"
    else:
        findings = compiled.findings_function(_make, 10)
        text = _traceback_of(lambda: findings(facts))
        where, kind = "in _findings", "findings"
    frame = next(line for line in text.splitlines() if where in line)
    assert frame.strip().startswith(f'File "<herniarules rules of probe, {kind} #')
    line_of_source = text.splitlines()[text.splitlines().index(frame) + 1].strip()
    assert line_of_source.startswith("r")  # the generated assignment of the rule's result
    assert "(f)) is bool else None)" in line_of_source
    assert "in _raise" in text and "divides by zero" in text


def test_generated_code_is_named_after_whose_rules_it_holds() -> None:
    core = CompiledRules(core_rules(DEFAULT_POLICY))
    assert core.what == "core rules"
    assert core.fired_indices.__code__.co_filename.startswith(
        "<herniarules core rules, predicates #"
    )
    assert CompiledRules([rule(Always(), techniques={"honey", "vacuum"})]).what == (
        "rules of honey, vacuum"
    )
    mixed = [rule(Always(), "probe.a", techniques={"honey"}), rule(Always(), "probe.b")]
    assert CompiledRules(mixed).what == "rules"
    assert CompiledRules([]).what == "rules"
    assert CompiledRules([rule(Always())], what="rules under test").what == "rules under test"


def test_generated_source_is_in_linecache_while_the_rule_set_lives() -> None:
    compiled = CompiledRules([rule(F.pain_score >= 7)])
    filename = compiled.fired_indices.__code__.co_filename
    source = "".join(linecache.getlines(filename))
    assert source.startswith("def _fired(f):\n")
    assert "    _f_pain_score = f.pain_score\n" in source
    del compiled
    gc.collect()
    assert filename not in linecache.cache


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(predicate=condition_predicates, facts=generated_facts())
def test_a_labelled_item_predicate_is_listed_as_explain_gives_it(
    predicate: ItemExpr, facts: Facts
) -> None:
    # The listing of a labelled predicate's items takes the label's text at once.
    from herniarules.rules._render import _listed, explain, item_name

    node = F.conditions.any(predicate.labelled("in plain words"))
    items = facts.conditions or ()
    for result in (True, None, False):
        expected = "; ".join(
            f"{item_name(item)}: {explain(node.predicate, item, result)}" for item in items
        )
        assert _listed(node, items, range(len(items)), result) == expected


def _other_values(value: Any) -> list[Any]:
    """Values a field could have instead of ``value``: another one, and the same number
    written as the other type."""
    if isinstance(value, bool) or value is None:
        return [not value]
    if isinstance(value, float):
        return [value + 1.0, int(value)] if value.is_integer() else [value + 1.0]
    return [f"{value}-other"]


@pytest.mark.parametrize("collection", ["hernias", "conditions"])
def test_a_finding_over_items_is_not_reused_for_items_differing_in_one_field(
    facts: Facts, collection: str
) -> None:
    # A finding's key holds the field values of the items (not the items): two patients whose
    # only difference is one field of one item must not share a finding, whichever field.
    item = (
        attrs.evolve(facts.hernias[0], size_mm=4.0)
        if collection == "hernias"
        else ConditionFact(
            "malignancy", "contraindicated", "legs", "C61", "icd-10", "Cancer", "active"
        )
    )
    select = H if collection == "hernias" else Dx
    names = [field.name for field in attrs.fields(type(item))]
    for name in names:
        # The rule selects the item by another of its fields, so it fires for every variant.
        other = next(n for n in names if n != name and getattr(item, n) is not None)
        when = getattr(F, collection).any(getattr(select, other).eq(getattr(item, other)))
        compiled = CompiledRules([rule(when)])
        for value in [getattr(item, name), *_other_values(getattr(item, name))]:
            variant = attrs.evolve(facts, **{collection: (attrs.evolve(item, **{name: value}),)})
            # Twice: the findings cache keeps a key's finding when the key comes back. The
            # texts too, where 4 and 4.0 differ although they are equal.
            for _ in range(2):
                _agree(compiled, variant)
                found = compiled.findings_function(_make, 10_000)(variant)
                assert repr(found) == repr(
                    [(r.id, *_reference(r.when, variant)) for r in compiled.rules]
                )
