"""The expression layer: three-valued logic, rendering, compilation and rule validation."""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herniarules import Custom, F, Outcome, Rule, RuleError, derive_facts
from herniarules.facts import Facts
from herniarules.rules import All, Always, Any_, CompiledRules, Expr, Not

AS_OF = date(2026, 11, 27)
T, U = True, None
FALSE = False


def const(value: bool | None) -> Expr:
    """A predicate with a fixed truth value, for truth tables."""
    return Custom(lambda facts: value, f"constant {value}")


def rule(when: Expr, rule_id: str = "tests.rule", **kw: Any) -> Rule:
    fields: dict[str, Any] = {
        "title": "A test rule",
        "outcome": Outcome.DEFER,
        "message": "Test message.",
        "source": "test suite",
    }
    fields.update(kw)
    return Rule(rule_id, when=when, **fields)


def compiled_value(expr: Expr, facts: Facts) -> bool | None:
    """Evaluate ``expr`` through the compiled rule set (absent from fired means False)."""
    fired = CompiledRules([rule(expr)]).fired(facts)
    assert len(fired) <= 1
    return fired[0][1] if fired else False


@pytest.fixture(scope="module")
def facts() -> Facts:
    from herniarules import patient_from_dict

    patient = patient_from_dict(
        {
            "id": "R-1",
            "age": 50,
            "sex": "male",
            "vitals": {"systolic_mmhg": 150, "diastolic_mmhg": 95, "pain_score": 8},
            "hernias": [
                {"region": "lumbar", "level": "L4-L5", "kind": "extrusion", "phase": "acute"}
            ],
            "inflammatory_process": True,
            "conditions": [{"code": "C50.9", "status": "active"}],
        }
    )
    return derive_facts(patient, AS_OF)


# --------------------------------------------------------------------------- Kleene logic

AND_TABLE = [
    (T, T, T), (T, FALSE, FALSE), (T, U, U),
    (FALSE, T, FALSE), (FALSE, FALSE, FALSE), (FALSE, U, FALSE),
    (U, T, U), (U, FALSE, FALSE), (U, U, U),
]  # fmt: skip
OR_TABLE = [
    (T, T, T), (T, FALSE, T), (T, U, T),
    (FALSE, T, T), (FALSE, FALSE, FALSE), (FALSE, U, U),
    (U, T, T), (U, FALSE, U), (U, U, U),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b", "expected"), AND_TABLE)
def test_and_is_kleene_conjunction(facts: Facts, a, b, expected) -> None:
    expr = const(a) & const(b)
    assert isinstance(expr, All)
    assert expr.evaluate(facts) is expected
    assert compiled_value(expr, facts) is expected


@pytest.mark.parametrize(("a", "b", "expected"), OR_TABLE)
def test_or_is_kleene_disjunction(facts: Facts, a, b, expected) -> None:
    expr = const(a) | const(b)
    assert isinstance(expr, Any_)
    assert expr.evaluate(facts) is expected
    assert compiled_value(expr, facts) is expected


@pytest.mark.parametrize(("a", "expected"), [(T, FALSE), (FALSE, T), (U, U)])
def test_not_keeps_unknown_unknown(facts: Facts, a, expected) -> None:
    expr = ~const(a)
    assert isinstance(expr, Not)
    assert expr.evaluate(facts) is expected
    assert compiled_value(expr, facts) is expected


def test_comparison_with_an_unrecorded_fact_is_unknown(facts: Facts) -> None:
    assert facts.temperature_c is None
    for expr in (
        F.temperature_c >= 37.5,
        F.temperature_c < 37.5,
        F.temperature_c.eq(36.6),
        F.temperature_c.ne(36.6),
        F.temperature_c.in_(36.6),
    ):
        assert expr.evaluate(facts) is None
        assert compiled_value(expr, facts) is None


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        (F.pain_score >= 8, True),
        (F.pain_score > 8, False),
        (F.pain_score <= 8, True),
        (F.pain_score < 8, False),
        (F.pain_score.eq(8), True),
        (F.pain_score.ne(8), False),
        (F.inflammatory_process.is_true(), True),
        (F.inflammatory_process.is_false(), False),
        (F.worst_phase.in_("acute", "exacerbation"), True),
        (F.concepts.contains("malignancy"), True),
        (F.concepts.contains_any("fever", "pregnancy"), False),
        (F.exacerbated_conditions.not_empty(), False),
        (Always(), True),
    ],
)
def test_predicates_evaluate_on_facts(facts: Facts, expr: Expr, expected: bool) -> None:
    assert expr.evaluate(facts) is expected
    assert compiled_value(expr, facts) is expected


def test_false_and_unknown_is_false_so_a_rule_does_not_fire(facts: Facts) -> None:
    # The patient is male, so pregnancy is known to be false even with no temperature.
    expr = F.pregnant.is_true() & (F.temperature_c >= 37.5)
    assert expr.evaluate(facts) is False


def test_predicates_cannot_be_combined_with_python_and_or_not() -> None:
    with pytest.raises(TypeError, match="&"):
        bool(F.pain_score >= 7)


# --------------------------------------------------------------------------- rendering


def test_comparison_renders_with_the_patients_value(facts: Facts) -> None:
    assert (F.pain_score >= 7).render(facts) == "pain score 8 ≥ 7"
    assert (F.pain_score >= 7).render() == "pain score ≥ 7"


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (F.pain_score > 3, "pain score 8 > 3"),
        (F.pain_score <= 3, "pain score 8 ≤ 3"),
        (F.pain_score.ne(3), "pain score 8 ≠ 3"),
        (F.temperature_c >= 37.5, "body temperature (°C) not recorded (rule: ≥ 37.5)"),
        (F.inflammatory_process.is_true(), "inflammatory process (yes)"),
        (F.concepts.contains("malignancy"), "recorded contraindications include malignancy"),
        (F.bp_grade >= 2, "blood-pressure grade 1 ≥ 2"),
    ],
)
def test_predicate_renders_as_plain_text(facts: Facts, expr: Expr, text: str) -> None:
    assert expr.render(facts) == text


def test_combined_predicate_renders_its_parts(facts: Facts) -> None:
    expr = (F.pain_score >= 7) & ((F.bp_grade >= 2) | F.inflammatory_process.is_true())
    assert expr.render(facts) == (
        "pain score 8 ≥ 7 and (blood-pressure grade 1 ≥ 2 or inflammatory process (yes))"
    )
    assert (~(F.pain_score >= 7)).render() == "not (pain score ≥ 7)"


def test_set_membership_renders_what_is_present_or_that_none_is(facts: Facts) -> None:
    regions = F.hernia_regions.contains_any("cervical", "lumbar")
    assert regions.render(facts) == "hernia regions include lumbar"
    upper = F.hernia_regions.contains_any("thoracic", "cervical")
    assert upper.render(facts) == "hernia regions {lumbar} include none of cervical, thoracic"
    assert upper.render() == "hernia regions include cervical or thoracic"


def test_rule_describes_itself_as_id_condition_and_outcome() -> None:
    assert rule(F.pain_score >= 7).describe() == "tests.rule: pain score ≥ 7 → defer"


def test_custom_predicate_renders_its_description_and_the_values_it_reads(facts: Facts) -> None:
    expr = Custom(lambda f: True, "pain is worse than usual", reads=["pain_score"])
    assert expr.render() == "pain is worse than usual"
    assert expr.render(facts) == "pain is worse than usual (pain score 8)"


def test_predicate_lists_the_facts_it_reads_once_in_order() -> None:
    expr = (
        (F.pain_score >= 7) & ((F.bp_grade >= 2) | (F.pain_score > 3)) & ~F.concepts.contains("x")
    )
    assert expr.reads() == ("pain_score", "bp_grade", "concepts")


# --------------------------------------------------------------------------- compilation

_LEAVES: list[Expr] = [
    F.pain_score >= 7,
    F.pain_score > 3,
    F.temperature_c >= 37.5,
    F.bp_grade >= 2,
    F.pregnant.is_true(),
    F.inflammatory_process.is_false(),
    F.surgery_indicated.is_true(),
    F.worst_phase.in_("acute", "exacerbation"),
    F.phases.contains("acute"),
    F.concepts.contains_any("malignancy", "fever"),
    F.exacerbated_conditions.not_empty(),
    F.max_hernia_size_mm < 8.0,
    F.days_since_last_course <= 60,
    F.age.ne(30),
    F.sex.eq("female"),
    Always(),
    Custom(
        lambda f: None if f.pain_score is None else f.pain_score % 2 == 0,
        "pain score is even",
        reads=["pain_score"],
    ),
]

expressions = st.recursive(
    st.sampled_from(_LEAVES),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: p[0] & p[1]),
        st.tuples(inner, inner).map(lambda p: p[0] | p[1]),
        inner.map(lambda e: ~e),
    ),
    max_leaves=12,
)

_PHASES = ["acute", "exacerbation", "subacute", "remission", "post-surgical"]
_CONCEPTS = ["malignancy", "fever", "pregnancy", "hypertension"]


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


facts_strategy = st.builds(
    Facts,
    patient_id=st.just("H-1"),
    as_of=st.just(AS_OF),
    age=st.integers(0, 130),
    sex=st.sampled_from(["female", "male", "other", "unknown"]),
    has_hernia=st.booleans(),
    worst_phase=_maybe(st.sampled_from(_PHASES)),
    phases=st.frozensets(st.sampled_from(_PHASES)),
    hernia_regions=st.frozensets(st.sampled_from(["lumbar", "cervical"])),
    hernia_kinds=st.frozensets(st.sampled_from(["protrusion", "extrusion"])),
    max_hernia_size_mm=_maybe(st.floats(0, 40)),
    surgery_indicated=_maybe(st.booleans()),
    pain_score=_maybe(st.integers(0, 10)),
    temperature_c=_maybe(st.floats(30, 45)),
    systolic_mmhg=_maybe(st.integers(50, 300)),
    diastolic_mmhg=_maybe(st.integers(20, 200)),
    bp_grade=_maybe(st.integers(0, 3)),
    pregnant=_maybe(st.booleans()),
    inflammatory_process=_maybe(st.booleans()),
    concepts=st.frozensets(st.sampled_from(_CONCEPTS)),
    exacerbated_conditions=st.frozensets(st.sampled_from(["J45.9", "K29.7"])),
    had_massage_course=st.booleans(),
    days_since_last_course=_maybe(st.integers(0, 1000)),
    had_spinal_surgery=st.booleans(),
    days_since_surgery=_maybe(st.integers(0, 1000)),
    indications=st.frozensets(st.sampled_from(["compression", "prevention"])),
    # Quantifiers over the item collections have their own properties (test_quantifiers.py).
    hernias=st.just(()),
    conditions=st.just(()),
    unrecorded_hernia_codes=st.frozensets(st.sampled_from(["M50.1", "M51.1"])),
    unclassified_medications=st.frozensets(st.sampled_from(["xarelto-like", "N02"])),
    unconfirmed_conditions=st.frozensets(st.sampled_from(["C50.9", "malignancy"])),
    unclassified_conditions=st.frozensets(st.sampled_from(["Hypertension", "Stroke"])),
)


@settings(max_examples=400, deadline=None)
@given(expr=expressions, facts=facts_strategy)
def test_compiled_rules_agree_with_interpreted_evaluation(expr: Expr, facts: Facts) -> None:
    assert compiled_value(expr, facts) is expr.evaluate(facts)


@settings(max_examples=100, deadline=None)
@given(exprs=st.lists(expressions, min_size=1, max_size=6), facts=facts_strategy)
def test_compiled_rule_set_reports_exactly_the_true_or_unknown_rules_in_order(
    exprs: list[Expr], facts: Facts
) -> None:
    rules = [rule(e, f"tests.rule-{i}") for i, e in enumerate(exprs)]
    expected = [(r, r.when.evaluate(facts)) for r in rules if r.when.evaluate(facts) is not False]
    assert CompiledRules(rules).fired(facts) == expected


def test_custom_predicate_returning_a_non_boolean_counts_as_unknown(facts: Facts) -> None:
    expr = Custom(lambda f: "yes", "returns text")  # type: ignore[arg-type,return-value]
    assert expr.evaluate(facts) is None
    assert compiled_value(expr, facts) is None


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("description", ["", "   "])
def test_custom_predicate_needs_a_description(description: str) -> None:
    with pytest.raises(RuleError, match="description"):
        Custom(lambda f: True, description)


def test_custom_predicate_needs_a_callable() -> None:
    with pytest.raises(RuleError, match="callable"):
        Custom("not callable", "something")  # type: ignore[arg-type]


def test_custom_predicate_may_only_read_known_facts() -> None:
    with pytest.raises(RuleError, match="unknown fact"):
        Custom(lambda f: True, "reads nonsense", reads=["pain_scor"])


@pytest.mark.parametrize("name", ["pain_scor", "Pain_score", "temperature", "blood_pressure"])
def test_unknown_fact_name_is_a_rule_error(name: str) -> None:
    with pytest.raises(RuleError, match=f"unknown fact '{name}'"):
        getattr(F, name)


def test_rule_error_is_a_value_error() -> None:
    assert issubclass(RuleError, ValueError)


def test_compiled_rule_set_rejects_duplicate_ids() -> None:
    with pytest.raises(RuleError, match=r"duplicate rule id 'tests\.rule'"):
        CompiledRules([rule(F.pain_score >= 7), rule(F.pain_score >= 9)])


@pytest.mark.parametrize("rule_id", ["norule", "Tests.rule", "tests.", ".rule", "tests.Rule", ""])
def test_rule_id_must_look_like_plugin_dot_rule_name(rule_id: str) -> None:
    with pytest.raises(RuleError, match="rule id"):
        rule(Always(), rule_id)


def test_rule_cannot_have_outcome_allowed() -> None:
    with pytest.raises(RuleError, match="outcome"):
        rule(Always(), outcome=Outcome.ALLOWED)


@pytest.mark.parametrize("field", ["title", "message", "source"])
def test_rule_needs_title_message_and_source(field: str) -> None:
    with pytest.raises(RuleError, match=field):
        rule(Always(), **{field: "  "})


def test_rule_when_must_be_a_predicate() -> None:
    with pytest.raises(RuleError, match="predicate"):
        rule(True)  # type: ignore[arg-type]


def test_groups_need_two_predicates() -> None:
    with pytest.raises(RuleError):
        All(F.pain_score >= 7)
    with pytest.raises(RuleError):
        Any_(F.pain_score >= 7, "pain")  # type: ignore[arg-type]


def test_rule_with_techniques_is_not_core() -> None:
    assert rule(Always()).is_core
    scoped = rule(Always(), techniques={"honey"})
    assert not scoped.is_core
    assert scoped.techniques == frozenset({"honey"})


def test_nested_groups_of_the_same_kind_are_flattened() -> None:
    a, b, c = F.pain_score >= 7, F.bp_grade >= 2, F.pregnant.is_true()
    assert len((a & b & c).parts) == 3  # type: ignore[attr-defined]
    assert len((a | (b | c)).parts) == 3  # type: ignore[attr-defined]


def test_rules_are_values() -> None:
    assert attrs.has(Rule)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        rule(Always()).outcome = Outcome.CONTRAINDICATED  # type: ignore[misc]
