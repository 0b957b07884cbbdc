"""Quantifiers over item facts: ``F.hernias.any / all / count`` and ``F.conditions``.

Semantics are three-valued like the rest of the expression layer: an item whose predicate is
unknown keeps ``any`` unknown unless another item holds, keeps ``all`` unknown unless another
fails, and widens the range a ``count`` can have. Generated code must agree with evaluation.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import herniarules
from herniarules import (
    ClinicalStatus,
    Condition,
    Engine,
    Hernia,
    HerniaKind,
    Outcome,
    Patient,
    Phase,
    Region,
    Rule,
    RuleError,
    Sex,
    Vitals,
    derive_facts,
    dumps,
)
from herniarules.facts import ConditionFact, Facts, HerniaFact
from herniarules.io import assessment_to_dict
from herniarules.rules import CompiledRules, Dx, Expr, F, H, ItemExpr

AS_OF = date(2026, 11, 27)
T, U = True, None
FALSE = False


def rule(when: Expr, rule_id: str = "tests.rule") -> Rule:
    return Rule(rule_id, "A test rule", when, Outcome.DEFER, "Test message.", "test suite")


def compiled_value(expr: Expr, facts: Facts) -> bool | None:
    """Evaluate ``expr`` through a compiled rule set (absent from fired means False)."""
    fired = CompiledRules([rule(expr)]).fired(facts)
    return fired[0][1] if fired else False


def both(expr: Expr, facts: Facts) -> bool | None:
    """Return the value of ``expr``, after checking that compiled code gives the same."""
    value = expr.evaluate(facts)
    assert compiled_value(expr, facts) is value
    return value


def hernia_item(
    size: float | None = 4.0,
    region: str = "lumbar",
    level: str = "L4-L5",
    phase: str = "remission",
    kind: str = "protrusion",
    surgery: bool | None = False,
) -> HerniaFact:
    return HerniaFact(region, level, kind, phase, size, surgery)


def condition_item(
    concept: str = "malignancy",
    code: str | None = "C61",
    display: str | None = "Malignant neoplasm of prostate",
    site: str | None = None,
    tier: str = "contraindicated",
) -> ConditionFact:
    system = None if code is None else "icd-10"
    return ConditionFact(concept, tier, site, code, system, display, "active")


@pytest.fixture(scope="module")
def base() -> Facts:
    patient = Patient(
        id="Q-1",
        age=50,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=120, diastolic_mmhg=80, temperature_c=36.6, pain_score=2),
        inflammatory_process=False,
    )
    return derive_facts(patient, AS_OF)


def with_items(base: Facts, hernias: Any = (), conditions: Any = (), **more: Any) -> Facts:
    return attrs.evolve(base, hernias=tuple(hernias), conditions=tuple(conditions), **more)


#: An item whose ``H.size_mm >= 6`` is true, false or unknown.
ITEM = {T: hernia_item(7.0), FALSE: hernia_item(5.0), U: hernia_item(None)}
LARGE = H.size_mm >= 6


def hernias_giving(*values: bool | None) -> tuple[HerniaFact, ...]:
    return tuple(ITEM[v] for v in values)


# --------------------------------------------------------------------------- semantics

ANY_TABLE = [
    ((), FALSE), ((T,), T), ((FALSE,), FALSE), ((U,), U),
    ((T, U), T), ((U, T), T), ((FALSE, U), U), ((FALSE, FALSE), FALSE), ((T, FALSE), T),
    ((U, U), U),
]  # fmt: skip
ALL_TABLE = [
    ((), T), ((T,), T), ((FALSE,), FALSE), ((U,), U),
    ((T, U), U), ((FALSE, U), FALSE), ((U, FALSE), FALSE), ((T, T), T), ((T, FALSE), FALSE),
    ((U, U), U),
]  # fmt: skip


@pytest.mark.parametrize(("values", "expected"), ANY_TABLE)
def test_any_is_true_if_some_item_is_then_unknown_if_some_item_is(
    base: Facts, values: tuple[bool | None, ...], expected: bool | None
) -> None:
    assert both(F.hernias.any(LARGE), with_items(base, hernias_giving(*values))) is expected


@pytest.mark.parametrize(("values", "expected"), ALL_TABLE)
def test_all_is_false_if_some_item_is_then_unknown_if_some_item_is(
    base: Facts, values: tuple[bool | None, ...], expected: bool | None
) -> None:
    assert both(F.hernias.all(LARGE), with_items(base, hernias_giving(*values))) is expected


COUNT_TABLE = [
    # (op, n, item values, expected)
    (">=", 2, (T, T), T), (">=", 2, (T, U), U), (">=", 2, (T, FALSE), FALSE),
    (">=", 2, (U, U), U), (">=", 2, (T, T, U), T), (">=", 2, (), FALSE),
    (">=", 2, (FALSE, FALSE, U), FALSE), (">=", 0, (), T),
    (">", 1, (T, T), T), (">", 1, (T, U), U), (">", 1, (T, FALSE), FALSE),
    ("<=", 1, (T,), T), ("<=", 1, (T, U), U), ("<=", 1, (T, T), FALSE), ("<=", 1, (), T),
    ("<=", 1, (U, U), U), ("<=", 1, (FALSE, U), T),
    ("<", 1, (), T), ("<", 1, (U,), U), ("<", 1, (T,), FALSE),
    ("==", 1, (T,), T), ("==", 1, (T, U), U), ("==", 1, (U,), U), ("==", 1, (), FALSE),
    ("==", 1, (T, T), FALSE), ("==", 1, (FALSE,), FALSE), ("==", 0, (), T),
    ("!=", 1, (T,), FALSE), ("!=", 1, (T, U), U), ("!=", 1, (U,), U), ("!=", 1, (), T),
    ("!=", 1, (T, T), T),
]  # fmt: skip


def count_predicate(op: str, n: int, predicate: ItemExpr | None = LARGE) -> Expr:
    count = F.hernias.count(predicate)
    return {
        ">=": lambda: count >= n,
        ">": lambda: count > n,
        "<=": lambda: count <= n,
        "<": lambda: count < n,
        "==": lambda: count.eq(n),
        "!=": lambda: count.ne(n),
    }[op]()


@pytest.mark.parametrize(("op", "n", "values", "expected"), COUNT_TABLE)
def test_count_is_decided_when_every_possible_count_agrees(
    base: Facts, op: str, n: int, values: tuple[bool | None, ...], expected: bool | None
) -> None:
    facts = with_items(base, hernias_giving(*values))
    assert both(count_predicate(op, n), facts) is expected


def test_count_without_a_predicate_counts_every_item(base: Facts) -> None:
    facts = with_items(base, hernias_giving(T, FALSE, U))
    assert both(F.hernias.count() >= 3, facts) is True
    assert both(F.hernias.count() > 3, facts) is False
    assert (F.hernias.count() >= 2).render() == "number of hernias ≥ 2"


def test_an_unrecorded_collection_is_unknown_for_every_quantifier(base: Facts) -> None:
    facts = attrs.evolve(base, hernias=None)
    for expr in (F.hernias.any(LARGE), F.hernias.all(LARGE), F.hernias.count(LARGE) <= 3):
        assert both(expr, facts) is None


def test_item_predicates_combine_with_kleene_logic_per_item(base: Facts) -> None:
    cervical_7 = hernia_item(7.0, "cervical", "C5-C6")
    lumbar_unknown = hernia_item(None)
    narrow = H.region.in_("cervical", "thoracic") & (H.size_mm >= 6)
    assert both(F.hernias.any(narrow), with_items(base, [cervical_7])) is True
    # A lumbar hernia is not narrow-canal, whatever its size: False & unknown is False.
    assert both(F.hernias.any(narrow), with_items(base, [lumbar_unknown])) is False
    assert both(F.hernias.any(~narrow), with_items(base, [lumbar_unknown])) is True
    either = H.phase.eq("acute") | (H.size_mm >= 6)
    assert both(F.hernias.any(either), with_items(base, [lumbar_unknown])) is None
    acute = hernia_item(None, phase="acute")
    assert both(F.hernias.any(either), with_items(base, [acute])) is True


def test_quantifiers_mix_with_whole_facts(base: Facts) -> None:
    facts = with_items(base, [hernia_item(7.0, "cervical", "C5-C6")], pain_score=8, has_hernia=True)
    assert both(F.hernias.any(LARGE) & (F.pain_score >= 7), facts) is True
    assert both(F.hernias.any(LARGE) & (F.pain_score >= 9), facts) is False
    assert both((F.pain_score >= 9) | F.hernias.all(H.phase.eq("acute")), facts) is False
    assert both(~F.hernias.any(LARGE) | F.has_hernia.is_false(), facts) is False
    assert (F.pain_score >= 7).reads() + F.hernias.any(LARGE).reads() == (
        (F.pain_score >= 7) & F.hernias.any(LARGE)
    ).reads()


def test_condition_items_are_quantified_over_by_concept_and_site(base: Facts) -> None:
    legs = condition_item("varicose-veins", "I83.9", "Varicose veins", site="legs")
    unknown_site = condition_item("varicose-veins", "I83.9", "Varicose veins")
    veins_on_legs = F.conditions.any(Dx.concept.eq("varicose-veins") & Dx.site.eq("legs"))
    assert both(veins_on_legs, with_items(base, conditions=[legs])) is True
    # Where the veins are was not recorded: unknown, never "not on the legs".
    assert both(veins_on_legs, with_items(base, conditions=[unknown_site])) is None
    assert both(veins_on_legs, with_items(base, conditions=[condition_item()])) is False
    assert both(veins_on_legs, with_items(base)) is False


def test_condition_codes_in_rules_are_compared_in_dotted_spelling(base: Facts) -> None:
    disc = condition_item("disc-hernia", "M51.1", "Lumbar disc disorder with radiculopathy")
    facts = with_items(base, conditions=[disc])
    assert both(F.conditions.any(Dx.code.eq("m511")), facts) is True
    assert both(F.conditions.any(Dx.code.in_("M51.1", "C61")), facts) is True
    assert both(F.conditions.any(Dx.tier.eq("defer")), facts) is False


# --------------------------------------------------------------------------- generated code

_REGIONS = [r.value for r in Region]
_PHASES = [p.value for p in Phase]
_KINDS = [k.value for k in HerniaKind]
_SIZES = st.one_of(st.none(), st.sampled_from([0.0, 5.0, 5.9, 6.0, 8.9, 9.0, 12.5]))
_THRESHOLDS = st.sampled_from([0, 5.9, 6, 9.0, 40])
_CONCEPTS = ["malignancy", "varicose-veins", "skin-pathology"]
_TIERS = ["contraindicated", "defer", "requires-clearance"]
_SITES = [None, "legs", "back"]

hernia_items = st.builds(
    HerniaFact,
    region=st.sampled_from(_REGIONS),
    level=st.sampled_from(["L4-L5", "C5-C6", "T7-T8"]),
    kind=st.sampled_from(_KINDS),
    phase=st.sampled_from(_PHASES),
    size_mm=_SIZES,
    surgery_indicated=st.sampled_from([None, True, False]),
)
condition_items = st.builds(
    ConditionFact,
    concept=st.sampled_from(_CONCEPTS),
    tier=st.sampled_from(_TIERS),
    site=st.sampled_from(_SITES),
    code=st.sampled_from([None, "C61", "I83.9"]),
    system=st.sampled_from([None, "icd-10"]),
    display=st.sampled_from([None, "A display"]),
    status=st.sampled_from(["active", "recurrence"]),
)


def _ordered(field: Any, op: str, value: float) -> ItemExpr:
    return {
        ">=": field >= value,
        ">": field > value,
        "<=": field <= value,
        "<": field < value,
        "==": field.eq(value),
        "!=": field.ne(value),
    }[op]


_OPS = st.sampled_from([">=", ">", "<=", "<", "==", "!="])
hernia_leaves = st.one_of(
    st.builds(lambda op, n: _ordered(H.size_mm, op, n), _OPS, _THRESHOLDS),
    st.builds(lambda r: H.region.eq(r), st.sampled_from(_REGIONS)),
    st.builds(lambda rs: H.region.in_(*rs), st.lists(st.sampled_from(_REGIONS), min_size=1)),
    st.builds(lambda p: H.phase.ne(p), st.sampled_from(_PHASES)),
    st.builds(lambda k: H.kind.eq(k), st.sampled_from(_KINDS)),
    st.sampled_from([H.surgery_indicated.is_true(), H.surgery_indicated.is_false()]),
)
condition_leaves = st.one_of(
    st.builds(lambda c: Dx.concept.eq(c), st.sampled_from(_CONCEPTS)),
    st.builds(lambda s: Dx.site.eq(s), st.sampled_from(["legs", "back"])),
    st.builds(lambda t: Dx.tier.in_(*t), st.lists(st.sampled_from(_TIERS), min_size=1)),
    st.sampled_from([Dx.code.eq("C61"), Dx.system.ne("icd-10"), Dx.status.eq("active")]),
)


def _item_tree(leaves: st.SearchStrategy[ItemExpr]) -> st.SearchStrategy[ItemExpr]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(lambda a, b: a & b, inner, inner),
            st.builds(lambda a, b: a | b, inner, inner),
            st.builds(lambda a: ~a, inner),
        ),
        max_leaves=5,
    )


def _quantified(items: Any, predicates: st.SearchStrategy[ItemExpr]) -> st.SearchStrategy[Expr]:
    counted = st.builds(
        lambda p, op, n: {
            ">=": lambda: items.count(p) >= n,
            ">": lambda: items.count(p) > n,
            "<=": lambda: items.count(p) <= n,
            "<": lambda: items.count(p) < n,
            "==": lambda: items.count(p).eq(n),
            "!=": lambda: items.count(p).ne(n),
        }[op](),
        predicates,
        _OPS,
        st.integers(0, 3),
    )
    return st.one_of(st.builds(items.any, predicates), st.builds(items.all, predicates), counted)


_fact_leaves = st.one_of(
    st.builds(lambda n: F.pain_score >= n, st.integers(0, 10)),
    st.just(F.has_hernia.is_true()),
)
quantified = st.one_of(
    _quantified(F.hernias, _item_tree(hernia_leaves)),
    _quantified(F.conditions, _item_tree(condition_leaves)),
)
mixed = st.recursive(
    st.one_of(quantified, _fact_leaves),
    lambda inner: st.one_of(
        st.builds(lambda a, b: a & b, inner, inner),
        st.builds(lambda a, b: a | b, inner, inner),
        st.builds(lambda a: ~a, inner),
    ),
    max_leaves=4,
)


@st.composite
def facts_with_items(draw: st.DrawFn) -> Facts:
    patient = Patient(id="Q-2", age=40, sex=Sex.FEMALE, pregnant=False)
    facts = derive_facts(patient, AS_OF)
    return attrs.evolve(
        facts,
        hernias=tuple(draw(st.lists(hernia_items, max_size=4))),
        conditions=tuple(draw(st.lists(condition_items, max_size=3))),
        has_hernia=draw(st.booleans()),
        pain_score=draw(st.one_of(st.none(), st.integers(0, 10))),
    )


@settings(max_examples=400, deadline=None)
@given(expr=mixed, facts=facts_with_items())
def test_generated_code_agrees_with_evaluation_for_quantified_predicates(
    expr: Expr, facts: Facts
) -> None:
    assert compiled_value(expr, facts) is expr.evaluate(facts)


@settings(max_examples=100, deadline=None)
@given(exprs=st.lists(mixed, min_size=1, max_size=5), facts=facts_with_items())
def test_findings_of_a_quantified_rule_set_match_evaluation_and_render(
    exprs: list[Expr], facts: Facts
) -> None:
    rules = [rule(e, f"tests.rule-{i}") for i, e in enumerate(exprs)]

    def make(r: Rule, result: bool | None, names: tuple[str, ...], f: Facts) -> tuple[Any, ...]:
        return (r.id, result, r.when.evidence(f), r.when.render(f), r.when.missing(f))

    found = CompiledRules(rules).findings_function(make, 100)(facts)
    expected = [r for r in rules if r.when.evaluate(facts) is not False]
    assert [f[0] for f in found] == [r.id for r in expected]
    for finding, r in zip(found, expected, strict=True):
        assert finding[1] is r.when.evaluate(facts)
        dumps(finding[2])  # plain, JSON-able values
        hash(finding[2])


# --------------------------------------------------------------------------- rendering

NARROW_LARGE = F.hernias.any(H.region.in_("cervical", "thoracic") & (H.size_mm >= 6))


def test_quantifiers_render_as_text_without_facts() -> None:
    assert NARROW_LARGE.render() == "some hernia: region ∈ {cervical, thoracic} and size (mm) ≥ 6"
    assert F.hernias.all(H.phase.eq("remission")).render() == "every hernia: phase = remission"
    assert (F.hernias.count(H.phase.eq("acute")) >= 2).render() == (
        "number of hernias with phase = acute ≥ 2"
    )
    assert F.conditions.any(Dx.concept.eq("varicose-veins") & Dx.site.eq("legs")).render() == (
        "some condition: concept = varicose-veins and site = legs"
    )
    assert F.hernias.any(H.surgery_indicated.is_true()).render() == (
        "some hernia: surgery indicated"
    )


def test_quantifier_inside_and_is_parenthesised() -> None:
    assert (F.has_hernia.is_true() & NARROW_LARGE).render() == (
        "has a hernia and (some hernia: region ∈ {cervical, thoracic} and size (mm) ≥ 6)"
    )


def test_rendering_with_facts_names_the_item_that_fired(base: Facts) -> None:
    facts = with_items(base, [hernia_item(7.0), hernia_item(7.0, "cervical", "C5-C6")])
    assert NARROW_LARGE.render(facts) == (
        "hernia C5-C6 (cervical, 7 mm): region cervical ∈ {cervical, thoracic} and size (mm) 7 ≥ 6"
    )


def test_rendering_shows_only_the_branch_of_an_or_that_decided(base: Facts) -> None:
    either = F.hernias.any(
        (H.region.eq("lumbar") & (H.size_mm >= 9)) | (H.region.eq("cervical") & (H.size_mm >= 6))
    )
    facts = with_items(base, [hernia_item(7.0, "cervical", "C5-C6")])
    assert either.render(facts) == (
        "hernia C5-C6 (cervical, 7 mm): region cervical = cervical and size (mm) 7 ≥ 6"
    )


def test_rendering_an_unknown_item_says_what_was_not_recorded(base: Facts) -> None:
    facts = with_items(base, [hernia_item(3.0, "cervical", "C5-C6"), hernia_item(None)])
    assert F.hernias.any(LARGE).render(facts) == (
        "hernia L4-L5 (lumbar, size not recorded): size (mm) not recorded (rule: ≥ 6)"
    )


def test_rendering_a_condition_item_names_its_code_and_display(base: Facts) -> None:
    facts = with_items(base, conditions=[condition_item()])
    assert F.conditions.any(Dx.concept.eq("malignancy")).render(facts) == (
        "condition C61 Malignant neoplasm of prostate: concept malignancy = malignancy"
    )
    named = with_items(base, conditions=[condition_item("varicose-veins", None, None)])
    assert F.conditions.any(Dx.concept.eq("varicose-veins")).render(named) == (
        "condition varicose-veins: concept varicose-veins = varicose-veins"
    )


def test_rendering_a_failed_any_or_a_vacuous_all_says_how_many_items_there_are(
    base: Facts,
) -> None:
    two = with_items(base, [hernia_item(3.0), hernia_item(4.0)])
    assert F.hernias.any(LARGE).render(two) == "no hernia with size (mm) ≥ 6 (2 recorded)"
    assert F.hernias.any(LARGE).render(with_items(base)) == (
        "no hernia with size (mm) ≥ 6 (none recorded)"
    )
    assert F.hernias.all(LARGE).render(with_items(base)) == (
        "every hernia: size (mm) ≥ 6 (none recorded)"
    )
    assert F.hernias.all(~LARGE).render(two) == (
        "hernia L4-L5 (lumbar, 3 mm): not (size (mm) 3 ≥ 6); "
        "hernia L4-L5 (lumbar, 4 mm): not (size (mm) 4 ≥ 6)"
    )


def test_rendering_a_count_gives_the_certain_and_undecided_items(base: Facts) -> None:
    facts = with_items(base, [hernia_item(7.0, "cervical", "C5-C6"), hernia_item(None)])
    assert (F.hernias.count(LARGE) >= 2).render(facts) == (
        "number of hernias with size (mm) ≥ 6 1 (+1 not decided) ≥ 2 — "
        "hernia C5-C6 (cervical, 7 mm); hernia L4-L5 (lumbar, size not recorded): not decided"
    )


def test_quantifiers_read_their_collection() -> None:
    assert NARROW_LARGE.reads() == ("hernias",)
    assert (F.conditions.count(Dx.tier.eq("defer")) >= 1).reads() == ("conditions",)
    assert ((F.pain_score >= 7) | NARROW_LARGE).reads() == ("pain_score", "hernias")


# --------------------------------------------------------------------------- malformed rules


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: H.sizemm, "unknown hernia field 'sizemm'; known fields: region, level, kind"),
        (lambda: Dx.severity, "unknown condition field 'severity'; known fields: concept, tier"),
        (lambda: H.region >= 6, "H.region is not a number"),
        (lambda: H.size_mm.eq("large"), "item field 'size_mm' holds float values"),
        (lambda: H.size_mm >= True, "item field 'size_mm' holds float values"),
        (lambda: H.size_mm >= float("nan"), "item field 'size_mm' holds float values"),
        (lambda: Dx.display.eq("Varicose veins"), "is for explanations only"),
        (lambda: H.region.eq("cervicle"), "cannot be 'cervicle'; it is one of cervical, lumbar"),
        (lambda: H.phase.in_("acute", "chronic"), "item field 'phase' cannot be 'chronic'"),
        (lambda: Dx.tier.eq("forbidden"), "item field 'tier' cannot be 'forbidden'"),
        (lambda: Dx.status.eq("cured"), "item field 'status' cannot be 'cured'"),
        (lambda: Dx.code.eq("not a code"), "item field 'code': 'not a code' is not an ICD-10"),
        (lambda: H.region.in_(), "H.region.in_ needs at least one value"),
        (lambda: F.hernias >= 1, "F.hernias is a collection of hernia items"),
        (lambda: F.conditions.contains("malignancy"), "F.conditions is a collection"),
        (lambda: F.hernias.any(Dx.concept.eq("malignancy")), "holds hernia items"),
        (lambda: F.hernias.any(F.pain_score >= 7), "needs a predicate on hernia items"),
        (lambda: H.phase.eq("acute") & Dx.concept.eq("malignancy"), "hernia and condition"),
        (lambda: H.phase.eq("acute") & (F.pain_score >= 7), "cannot combine an item predicate"),
        (lambda: F.hernias.count(LARGE) >= -1, "a whole number ≥ 0"),
        (lambda: F.hernias.count(LARGE) >= 1.5, "a whole number ≥ 0"),
        (lambda: H.size_mm == 6, "not == or !="),
        (lambda: F.hernias.count() == 2, "not == or !="),
    ],
)
def test_malformed_item_predicates_raise_rule_error(build: Any, message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build()


def test_item_predicates_refuse_python_boolean_operators() -> None:
    with pytest.raises(TypeError):
        bool(H.size_mm >= 6)
    with pytest.raises(TypeError):
        bool(F.hernias.count(LARGE))


# --------------------------------------------------------------------------- evidence


def test_evidence_of_a_quantified_rule_holds_the_items_that_fired(base: Facts) -> None:
    small, large = hernia_item(3.0), hernia_item(7.0, "cervical", "C5-C6")
    evidence = NARROW_LARGE.evidence(with_items(base, [small, large]))
    assert dict(evidence) == {
        "hernias": (
            {
                "region": "cervical",
                "level": "C5-C6",
                "kind": "protrusion",
                "phase": "remission",
                "size_mm": 7.0,
                "surgery_indicated": False,
            },
        )
    }


def test_evidence_of_an_unknown_rule_holds_the_unknown_items(base: Facts) -> None:
    facts = with_items(base, [hernia_item(3.0, "cervical", "C5-C6"), hernia_item(None)])
    (item,) = F.hernias.any(LARGE).evidence(facts)["hernias"]
    assert (item["level"], item["size_mm"]) == ("L4-L5", None)
    assert F.hernias.any(LARGE).missing(facts) == ("size (mm) of hernia L4-L5",)


def test_evidence_of_a_negated_any_holds_every_item_it_ruled_out(base: Facts) -> None:
    facts = with_items(base, [hernia_item(3.0), hernia_item(4.0, level="L3-L4")])
    evidence = (~F.hernias.any(LARGE)).evidence(facts)
    assert [item["level"] for item in evidence["hernias"]] == ["L4-L5", "L3-L4"]


def test_evidence_keeps_every_item_when_the_quantifier_did_not_decide(base: Facts) -> None:
    facts = with_items(base, [hernia_item(3.0), hernia_item(4.0, level="L3-L4")], pain_score=8)
    evidence = ((F.pain_score >= 7) | F.hernias.any(LARGE)).evidence(facts)
    assert evidence["pain_score"] == 8
    assert [item["level"] for item in evidence["hernias"]] == ["L4-L5", "L3-L4"]


def test_evidence_of_condition_items_names_code_display_tier_and_site(base: Facts) -> None:
    facts = with_items(base, conditions=[condition_item(site="back"), condition_item("x-y")])
    (item,) = F.conditions.any(Dx.site.eq("back")).evidence(facts)["conditions"]
    assert dict(item) == {
        "concept": "malignancy",
        "tier": "contraindicated",
        "site": "back",
        "code": "C61",
        "system": "icd-10",
        "display": "Malignant neoplasm of prostate",
        "status": "active",
    }


def test_whole_collection_evidence_is_plain_values(base: Facts) -> None:
    facts = with_items(base, [hernia_item(3.0)], [condition_item()])
    evidence = facts.evidence(("hernias", "conditions"))
    assert json.loads(json.dumps(evidence)) == {
        "hernias": [attrs.asdict(hernia_item(3.0))],
        "conditions": [attrs.asdict(condition_item())],
    }
    hash(evidence)


def test_equal_items_share_one_cached_finding_and_different_items_do_not(base: Facts) -> None:
    compiled = CompiledRules([rule(NARROW_LARGE)])
    built: list[Any] = []

    def make(r: Rule, result: bool | None, names: tuple[str, ...], f: Facts) -> object:
        built.append(r.when.evidence(f))
        return object()

    findings = compiled.findings_function(make, 100)
    one = with_items(base, [hernia_item(7.0, "cervical", "C5-C6")])
    same = with_items(base, [hernia_item(7.0, "cervical", "C5-C6")])
    other = with_items(base, [hernia_item(8.0, "cervical", "C5-C6")])
    findings(one)  # a finding is kept when its key comes the second time
    assert findings(one) == findings(same)
    findings(other)
    assert findings(other) != findings(one)
    assert len(built) == 4  # each key built twice (first and second sight), then shared


# --------------------------------------------------------------------------- end to end


def honey_patient(*hernias: Hernia) -> Patient:
    return Patient(
        id="Q-3",
        age=40,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=120, diastolic_mmhg=78, temperature_c=36.6, pain_score=1),
        hernias=hernias,
        inflammatory_process=False,
    )


def lumbar(size: float | None) -> Hernia:
    return Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.REMISSION, size, False)


def cervical(size: float | None) -> Hernia:
    return Hernia(Region.CERVICAL, "C5-C6", HerniaKind.PROTRUSION, Phase.REMISSION, size, False)


def honey_findings(patient: Patient) -> list[herniarules.Finding]:
    assessment = Engine().assess(patient, as_of=AS_OF)
    (decision,) = [d for d in assessment.decisions if d.technique == "honey"]
    return [f for f in decision.findings if f.rule_id == "honey.large-hernia"]


def test_engine_does_not_call_a_small_cervical_hernia_beside_a_7_mm_lumbar_one_large() -> None:
    assert honey_findings(honey_patient(lumbar(7.0), cervical(2.0))) == []


def test_engine_contraindicates_honey_for_a_7_mm_cervical_hernia_and_names_it() -> None:
    patient = honey_patient(lumbar(4.0), cervical(7.0))
    (finding,) = honey_findings(patient)
    assert finding.outcome is Outcome.CONTRAINDICATED
    assert [item["level"] for item in finding.evidence["hernias"]] == ["C5-C6"]
    assert finding.explanation.startswith("hernia C5-C6 (cervical, 7 mm): region cervical")
    text = dumps(Engine().assess(patient, as_of=AS_OF))
    assert '"hernias": [{"kind": "protrusion", "level": "C5-C6"' in text


def test_engine_contraindicates_honey_for_a_9_mm_lumbar_hernia() -> None:
    (finding,) = honey_findings(honey_patient(lumbar(9.0)))
    assert finding.outcome is Outcome.CONTRAINDICATED


def test_engine_gives_insufficient_data_for_a_7_mm_lumbar_and_an_unmeasured_cervical_hernia() -> (
    None
):
    patient = honey_patient(lumbar(7.0), cervical(None))
    (finding,) = honey_findings(patient)
    assert finding.outcome is Outcome.INSUFFICIENT_DATA
    assert "size (mm) of hernia C5-C6 not recorded" in finding.message
    assert [item["level"] for item in finding.evidence["hernias"]] == ["C5-C6"]
    honey = next(
        d for d in Engine().assess(patient, as_of=AS_OF).decisions if d.technique == "honey"
    )
    assert not honey.permitted


def test_json_of_a_decision_with_item_evidence_is_the_reference_encoding() -> None:
    assessment = Engine().assess(honey_patient(lumbar(7.0), cervical(None)), as_of=AS_OF)
    expected = json.dumps(assessment_to_dict(assessment), sort_keys=True, ensure_ascii=False)
    assert dumps(assessment) == expected


def test_condition_items_reach_rules_through_the_engine() -> None:
    veins = Condition(ClinicalStatus.ACTIVE, code="I83.9", display="Leg veins")
    facts = derive_facts(attrs.evolve(honey_patient(lumbar(4.0)), conditions=(veins,)), AS_OF)
    when = F.conditions.any(Dx.concept.eq("varicose-veins"))
    assert both(when, facts) is True
    assert when.render(facts) == (
        "condition I83.9 Varicose veins of lower extremities without ulcer or inflammation: "
        "concept varicose-veins = varicose-veins"
    )


def _cond(concept: Any, tier: str = "defer") -> ConditionFact:
    return ConditionFact(concept, tier, None, None, None, None, "active")


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ((), False),
        (None, None),
        ((_cond("fever"),), False),
        ((_cond("fever"), _cond("malignancy")), True),
        ((_cond("malignancy", "requires-clearance"),), False),
        # An item without a concept leaves "concept = malignancy" unknown, so the set of the
        # items' concepts must not decide the rule.
        ((_cond(None),), None),
        ((_cond(None), _cond("malignancy")), True),
    ],
)
def test_the_concept_index_decides_exactly_as_the_loop_does(
    base: Facts, conditions: Any, expected: bool | None
) -> None:
    facts = attrs.evolve(base, conditions=conditions)
    selects = F.conditions.any(Dx.concept.eq("malignancy") & Dx.tier.eq("defer"))
    labelled = F.conditions.any(
        (Dx.concept.eq("malignancy") & Dx.tier.eq("defer")).labelled("malignancy, defer")
    )
    alone = F.conditions.any(Dx.concept.eq("malignancy"))
    assert both(selects, facts) is expected
    assert both(labelled, facts) is expected
    if conditions and all(c.concept is not None for c in conditions):
        assert both(alone, facts) is any(c.concept == "malignancy" for c in conditions)
