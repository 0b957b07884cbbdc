"""Behaviour of the engine, rule-set and JSON-writer fast paths that no other test checked.

Each test here was written from a mutant of ``rules.py``, ``engine.py``, ``_emit.py`` or
``outcomes.py`` that survived the fast-path test suites (see ``mutation/RESULTS.md``); each
states the behaviour the mutant broke.
"""

from __future__ import annotations

import collections
import importlib
import json
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, cast

import attrs
import cattrs
import pytest

from herniarules import (
    Assessment,
    Custom,
    Decision,
    Engine,
    F,
    Finding,
    NotPermittedError,
    Outcome,
    PluginInfo,
    Policy,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Rule,
    Technique,
    _emit,
    hookimpl,
)
from herniarules._convert import converter
from herniarules.courses import CoursePlan, Session
from herniarules.facts import Facts
from herniarules.frozen import FrozenDict
from herniarules.rules import All, Any_, RuleError

AS_OF = date(2026, 11, 27)


def _reference(value: object) -> str:
    return json.dumps(converter.unstructure(value), sort_keys=True, ensure_ascii=False)


# --------------------------------------------------------------------------- JSON writer

_PROTOCOL = Protocol(
    technique="probe",
    steps=(ProtocolStep("stroking", "Light stroking.", repetitions="3-4", minutes=5.5),),
    session_minutes=(10.0, 20.0),
    course_sessions=(10, 12),
    pressure="light",
    avoid=("vertebrae",),
    parameters={"minutes": 20},
)
_DEFER = Finding(
    rule_id="core.fever",
    outcome=Outcome.DEFER,
    message="Fever: wait until it has passed.",
    source="test suite",
    evidence={"temperature_c": 38.2},
    explanation="temperature 38.2 ≥ 37.5",
)
_CLEARED = Finding(
    rule_id="probe.approval",
    outcome=Outcome.REQUIRES_CLEARANCE,
    message="Needs a physician's approval.",
    source="test suite",
    site="neck",
    cleared_by="Dr Ünal",
)
_ASSESSMENT = Assessment(
    patient_id="P-1",
    as_of=AS_OF,
    decisions=(
        Decision("probe", "P-1", (_CLEARED, _DEFER), outcome=Outcome.DEFER),
        Decision("other", "P-1", (_CLEARED,), _PROTOCOL, outcome=Outcome.ALLOWED),
    ),
    plugins=(
        PluginInfo("herniarules-probe", "1.0", ("probe", "other")),
        PluginInfo("herniarules-broken", "0.1", (), error="could not import: boom"),
    ),
    ruleset_fingerprint="abc123",
    ranking=("other", "probe"),
)


class _CountingConverter:
    """The package's converter, counting what it is asked to encode, by type."""

    def __init__(self) -> None:
        self.encoded: collections.Counter[type] = collections.Counter()

    def unstructure(self, value: object, unstructure_as: Any = None) -> Any:
        self.encoded[type(value)] += 1
        return converter.unstructure(value, unstructure_as)


def test_a_new_writer_gives_the_plain_text_for_every_kind_of_field() -> None:
    # dumps uses one writer built when first needed; a writer built here is built under the
    # test, so every field writer it generates (strings, dates, outcomes, optional protocol,
    # tuples of cached records, the plain fallback for the ranking) is the one checked.
    emitter = _emit.Emitter(converter)
    values: tuple[Decision | Assessment, ...] = (_ASSESSMENT, *_ASSESSMENT.decisions)
    for value in values:
        assert emitter.write(value) == _reference(value)
        assert emitter.write(value) == _reference(value)  # from the kept fragments


def test_each_finding_protocol_and_plugin_record_is_encoded_once() -> None:
    # Evidence holding a date is not plain JSON, so it goes through the converter: the count
    # of those calls is the count of times the finding was written.
    counting = _CountingConverter()
    emitter = _emit.Emitter(cast(cattrs.Converter, counting))
    shared = Finding("x.dated", Outcome.DEFER, "Wait.", "test suite", {"since": date(2026, 1, 2)})
    decisions = tuple(Decision(t, "P", (shared,), outcome=Outcome.DEFER) for t in "abc")
    assessment = attrs.evolve(_ASSESSMENT, decisions=decisions)
    first = emitter.write(assessment)
    assert emitter.write(assessment) == first == _reference(assessment)
    assert counting.encoded[FrozenDict] == 1
    # The finding, and the assessment's two plugin records.
    assert emitter.fragments == 3
    # An equal finding that is another object is written anew, not given the kept text.
    again = Finding("x.dated", Outcome.DEFER, "Wait.", "test suite", {"since": date(2026, 1, 2)})
    emitter.write(Decision("t", "P", (again,), outcome=Outcome.DEFER))
    assert counting.encoded[FrozenDict] == 2


def test_a_fragment_is_never_reused_for_a_new_object_at_a_freed_address() -> None:
    # CPython frees an object as soon as its last reference goes and hands its address to the
    # next object of the same size: a store keyed by id() that did not keep the object alive
    # would write a new finding with a dead one's text.
    emitter = _emit.Emitter(converter)
    for n in range(50):
        finding = Finding(rule_id="x.reused", outcome=Outcome.DEFER, message=f"m{n}", source="s")
        decision = Decision("t", "P", (finding,), outcome=Outcome.DEFER)
        assert emitter.write(decision) == _reference(decision), n
        del finding, decision


# --------------------------------------------------------------------------- engine: rules


def test_insufficient_data_names_every_missing_fact_or_says_a_value_is_missing(
    make_engine: Any, plugin_class: Any, make_patient: Any
) -> None:
    both = Rule(
        "probe.both", "Pain or fever", (F.pain_score >= 7) | (F.temperature_c >= 38),
        Outcome.DEFER, "Wait.", "test suite", techniques={"probe"},
    )  # fmt: skip
    opaque = Rule(
        "probe.opaque", "Opaque check", Custom(lambda facts: None, "an opaque check"),
        Outcome.DEFER, "Wait.", "test suite", techniques={"probe"},
    )  # fmt: skip
    engine = make_engine(plugin_class(rules=[both, opaque]))
    patient = make_patient(vitals={"systolic_mmhg": 120, "diastolic_mmhg": 80})
    decision = engine.evaluate(patient, "probe", as_of=AS_OF)
    messages = {f.rule_id: f.message for f in decision.findings}
    assert messages["probe.both"].startswith("Cannot check 'Pain or fever': pain score, ")
    assert "temperature" in messages["probe.both"]
    # A custom check that cannot decide although everything it names is recorded.
    assert messages["probe.opaque"].startswith(
        "Cannot check 'Opaque check': a value it needs not recorded;"
    )


def test_a_cleared_finding_keeps_its_site(
    make_engine: Any, plugin_class: Any, make_patient: Any
) -> None:
    # A local restriction stays local after a physician clears it: the therapist still needs
    # to know which body area the finding was about.
    rule = Rule(
        "probe.neck", "Neck approval", F.pain_score >= 0, Outcome.REQUIRES_CLEARANCE,
        "Needs approval for the neck.", "test suite", techniques={"probe"}, site="neck",
    )  # fmt: skip
    engine = make_engine(plugin_class(rules=[rule]))
    clearance = {"technique": "probe", "physician": "Dr A", "date": "2026-11-01"}
    decision = engine.evaluate(make_patient(clearances=[clearance]), "probe", as_of=AS_OF)
    [finding] = [f for f in decision.findings if f.rule_id == "probe.neck"]
    assert finding.cleared_by == "Dr A" and finding.site == "neck"
    assert decision.permitted


def test_an_unknown_technique_lists_every_known_one(make_engine: Any, plugin_class: Any) -> None:
    engine = make_engine(plugin_class("alpha"), plugin_class("beta"))
    with pytest.raises(KeyError) as caught:
        engine.technique("reiki")
    assert caught.value.args[0] == "unknown technique 'reiki'; known: alpha, beta"


# --------------------------------------------------------------------------- engine: hooks


@attrs.frozen
class _Params:
    minutes: int = 25


def _fixed_protocol(technique_id: str) -> Any:
    """Return a protocol builder that reads nothing and always builds the same protocol."""

    def build(facts: ProtocolFacts, parameters: Any) -> Protocol:
        return Protocol(technique_id, (ProtocolStep("s", "d"),), (10.0, 20.0), (3, 5), "light")

    return build


class _Recorder:
    """A protocol builder that records the parameters and the facts it is given."""

    __name__ = "recorder"

    def __init__(self) -> None:
        self.seen: list[tuple[object, list[str], object]] = []

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [
            Technique(
                "pfirst",
                "P",
                "A test technique.",
                "test suite",
                parameters=_Params(),
                protocol=self.protocol,
                reads=("pain_score",),
            )
        ]

    def protocol(self, facts: ProtocolFacts, parameters: _Params) -> Protocol:
        self.seen.append((parameters, dir(facts), facts.pain_score))
        return Protocol("pfirst", (ProtocolStep("s", "d"),), (10.0, 20.0), (3, 5), "light")


def test_the_protocol_builder_gets_the_clinics_parameters_and_the_declared_facts(
    make_patient: Any,
) -> None:
    plugin = _Recorder()
    clinic = _Params(minutes=15)
    engine = Engine([plugin], entry_points=False, parameters={"pfirst": clinic})
    patient = make_patient(lambda data: data["vitals"].update(pain_score=2))
    decision = engine.evaluate(patient, "pfirst", as_of=AS_OF)
    assert decision.permitted
    assert plugin.seen == [(clinic, ["pain_score"], 2)]


class _SlowTechniques:
    __name__ = "slow-techniques"

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        time.sleep(0.05)
        return [
            Technique(
                "slow", "Slow", "A test technique.", "test suite", protocol=_fixed_protocol("slow")
            )
        ]


def test_a_hook_over_its_budget_at_load_time_is_named() -> None:
    engine = Engine([_SlowTechniques()], entry_points=False, plugin_time_budget_s=0.01)
    [info] = engine.plugins
    assert info.error is not None
    assert "herniarules_techniques took" in info.error and "0.01 s budget" in info.error


START = date(2025, 3, 14)


class _Planner:
    """A technique whose course plan the test gives."""

    __name__ = "planner"

    def __init__(self, plan: Any) -> None:
        self.plan = plan

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [
            Technique(
                "planner",
                "Planner",
                "A test technique.",
                "test suite",
                protocol=_fixed_protocol("planner"),
                plan_course=self.plan_course,
            )
        ]

    def plan_course(
        self, facts: Facts, parameters: Any, protocol: Protocol, start: date, policy: Any
    ) -> Any:
        return self.plan(start, facts.patient_id)


def _plugin_failure(plan: Any, make_patient: Any) -> Finding:
    engine = Engine([_Planner(plan)], entry_points=False)
    with pytest.raises(NotPermittedError) as caught:
        engine.plan_course(make_patient(), "planner", START)
    [failure] = [f for f in caught.value.decision.findings if f.rule_id == "engine.plugin-error"]
    return failure


def test_a_raising_planner_names_its_technique_in_the_finding(make_patient: Any) -> None:
    def boom(start: date, patient_id: str) -> CoursePlan:
        raise RuntimeError("no calendar")

    failure = _plugin_failure(boom, make_patient)
    assert (
        "provides 'planner' failed "
        "(the course planner of 'planner' raised RuntimeError: no calendar)" in failure.message
    )


def test_an_early_plan_names_its_first_session(make_patient: Any) -> None:
    def early(start: date, patient_id: str) -> CoursePlan:
        sessions = tuple(Session(i + 1, start + timedelta(days=i - 1), 20.0) for i in range(3))
        return CoursePlan("planner", patient_id, sessions, start + timedelta(days=90))

    failure = _plugin_failure(early, make_patient)
    assert "planned a session on 2025-03-13, before the start 2025-03-14" in failure.message


# --------------------------------------------------------------------------- engine: loading

_MODULE = """
from herniarules import Protocol, ProtocolStep, Technique, hookimpl

def protocol(facts, parameters):
    return Protocol("late-ok", (ProtocolStep("s", "d"),), (10.0, 20.0), (3, 5), "light")

@hookimpl
def herniarules_techniques():
    return [
        Technique(
            id="late-ok", name="T", description="A technique.", source="tests", protocol=protocol
        )
    ]
"""


@pytest.fixture
def broken_first(tmp_path: Path) -> Iterator[Path]:
    """Two installed distributions; the one whose entry point sorts first cannot be imported."""
    plugins = {
        # distribution: (entry-point name, module, module text)
        "herniarules-aaabroken": ("aaabroken", "herniarules_aaabroken_mod", "raise ImportError"),
        "herniarules-zzzok": ("zzzok", "herniarules_zzzok_mod", _MODULE),
    }
    for dist, (ep_name, module, text) in plugins.items():
        info = tmp_path / f"{dist.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[herniarules]\n{ep_name} = {module}\n")
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(text))
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield tmp_path
    sys.path.remove(str(tmp_path))
    for _, module, _ in plugins.values():
        sys.modules.pop(module, None)
    importlib.invalidate_caches()


def test_a_plugin_that_cannot_be_imported_does_not_stop_the_ones_after_it(
    broken_first: Path,
) -> None:
    engine = Engine(allow={"herniarules-aaabroken", "herniarules-zzzok"})
    errors = {info.name: info.error for info in engine.plugins}
    assert set(errors) == {"herniarules-aaabroken", "herniarules-zzzok"}
    assert "could not import" in (errors["herniarules-aaabroken"] or "")
    assert errors["herniarules-zzzok"] is None
    assert [t.id for t in engine.techniques] == ["late-ok"]


def _two_techniques(plugin_class: Any, **options: Any) -> Any:
    techniques = [
        Technique(
            technique_id,
            technique_id.title(),
            "A test technique.",
            "test suite",
            protocol=_fixed_protocol(technique_id),
        )
        for technique_id in ("alpha", "beta")
    ]
    return plugin_class("alpha", techniques_result=techniques, **options)


def test_a_rule_applies_only_to_the_techniques_it_names(
    make_engine: Any, plugin_class: Any, make_patient: Any
) -> None:
    rule = Rule(
        "alpha.never", "Never alpha", F.pain_score >= 0, Outcome.CONTRAINDICATED,
        "Not for alpha.", "test suite", techniques={"alpha"},
    )  # fmt: skip
    engine = make_engine(_two_techniques(plugin_class, rules=[rule]))
    assessment = engine.assess(make_patient(), as_of=AS_OF)
    assert assessment.decision("alpha").outcome is Outcome.CONTRAINDICATED
    beta = assessment.decision("beta")
    assert beta.permitted and "alpha.never" not in {f.rule_id for f in beta.findings}


def test_every_technique_of_a_failed_plugin_is_decided_not_permitted(
    make_engine: Any, plugin_class: Any, make_patient: Any
) -> None:
    engine = make_engine(_two_techniques(plugin_class, fail_in="rules"))
    assessment = engine.assess(make_patient(), as_of=AS_OF)
    assert [d.technique for d in assessment.decisions] == ["alpha", "beta"]
    for decision in assessment.decisions:
        assert not decision.permitted
        [failure] = [f for f in decision.findings if f.rule_id == "engine.plugin-error"]
        assert f"provides {decision.technique!r} failed" in failure.message


def test_a_rule_scoped_outside_its_plugin_names_the_plugins_techniques(
    make_engine: Any, plugin_class: Any
) -> None:
    rule = Rule(
        "gamma.rule", "Other", F.pain_score >= 0, Outcome.DEFER, "Wait.", "test suite",
        techniques={"gamma"},
    )  # fmt: skip
    [info] = make_engine(_two_techniques(plugin_class, rules=[rule])).plugins
    assert info.error is not None and "must name only this plugin's techniques" in info.error
    assert info.error.endswith("(alpha, beta)")


def test_plugin_objects_that_share_a_name_are_both_loaded(
    make_engine: Any, plugin_class: Any
) -> None:
    # Instances of one plugin class passed directly share their name; each must still load.
    first = plugin_class("alpha", name="same-name")
    second = plugin_class("beta", name="same-name")
    engine = make_engine(first, second)
    assert [info.error for info in engine.plugins] == [None, None]
    assert [t.id for t in engine.techniques] == ["alpha", "beta"]


def test_an_engine_refuses_a_policy_of_the_wrong_type_by_name() -> None:
    with pytest.raises(
        TypeError, match=r"^policy must be a herniarules\.Policy \(not a subclass\), got dict$"
    ):
        Engine(entry_points=False, policy=cast(Any, {"severe_pain_score": 6}))


def test_an_engine_refuses_a_subclass_of_policy() -> None:
    # A subclass could loosen a threshold through a property the validators never see.
    @attrs.frozen
    class LaxPolicy(Policy):
        """Adds nothing: being a subclass is enough to be refused."""

    with pytest.raises(TypeError, match=r"\(not a subclass\), got LaxPolicy$"):
        Engine(entry_points=False, policy=LaxPolicy())


# --------------------------------------------------------------------------- rule building


def test_an_unknown_fact_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown fact 'pain'; known facts: ") as caught:
        F.pain  # noqa: B018 - the attribute access is what is tested
    assert "pain_score, " in str(caught.value)


def test_special_names_on_the_fact_namespace_are_plain_attribute_errors() -> None:
    # Tools probe objects for special names (copy, pickle, inspect, doctest); the answer must
    # be "no such attribute", not an unknown-fact error.
    assert not hasattr(F, "__wrapped__")
    with pytest.raises(AttributeError, match="__wrapped__"):
        F.__wrapped__  # noqa: B018 - the attribute access is what is tested


def test_predicates_built_wrongly_are_refused_by_name() -> None:
    with pytest.raises(RuleError) as caught:
        F.concepts.contains_any()
    assert str(caught.value) == "contains_any needs at least one item"
    with pytest.raises(RuleError) as caught:
        All(F.pain_score >= 7)
    assert str(caught.value) == "All needs at least two predicates"
    with pytest.raises(RuleError) as caught:
        Any_(F.pain_score >= 7, cast(Any, "fever"))
    assert str(caught.value) == "expected a predicate, got 'fever'"


def test_explanations_say_none_not_recorded_and_every_item_present(make_patient: Any) -> None:
    # The explanation is the text a clinician reads beside a finding; an empty set reads
    # "none", an unrecorded value "not recorded", and every matching item is named.
    facts = Engine(entry_points=False).facts(make_patient(), AS_OF)
    unrecorded = attrs.evolve(facts, concepts=frozenset(), pain_score=None)
    check = Custom(lambda f: None, "a check", reads=("concepts", "pain_score"))
    assert (
        check.render(unrecorded)
        == "a check (recorded contraindications none, pain score not recorded)"
    )
    both = attrs.evolve(facts, concepts=frozenset({"fever", "malignancy", "oedema"}))
    predicate = F.concepts.contains_any("malignancy", "fever", "pregnancy")
    assert predicate.render(both) == "recorded contraindications include fever and malignancy"


def test_not_empty_renders_the_patients_values_only_when_given(make_patient: Any) -> None:
    # The rendered condition is the finding's explanation a clinician reads.
    facts = Engine(entry_points=False).facts(make_patient(), AS_OF)
    predicate = F.hernia_regions.not_empty()
    assert predicate.render() == "hernia regions present"
    assert predicate.render(facts) == "hernia regions ({lumbar}) present"


class _Protocols:
    """A technique whose protocol hook the test controls."""

    __name__ = "protocols"

    def __init__(self, build: Any) -> None:
        self.build = build

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [
            Technique("proto", "Proto", "A test technique.", "test suite", protocol=self.protocol)
        ]

    def protocol(self, facts: ProtocolFacts, parameters: Any) -> Any:
        return self.build()


def _protocol_failure(build: Any, make_patient: Any, **options: Any) -> str:
    engine = Engine([_Protocols(build)], entry_points=False, **options)
    decision = engine.evaluate(make_patient(), "proto", as_of=AS_OF)
    assert not decision.permitted and decision.protocol is None
    [failure] = [f for f in decision.findings if f.rule_id == "engine.plugin-error"]
    return failure.message


def test_a_slow_protocol_builder_is_named_with_its_budget(make_patient: Any) -> None:
    def slow() -> Protocol:
        time.sleep(0.05)
        return Protocol("proto", (ProtocolStep("s", "d"),), (10.0, 20.0), (3, 5), "light")

    message = _protocol_failure(slow, make_patient, plugin_time_budget_s=0.01)
    assert "failed (the protocol builder of 'proto' took " in message
    assert "more than the 0.01 s budget)" in message


def test_a_raising_protocol_builder_is_reported_with_its_technique_and_the_exception_type(
    make_patient: Any,
) -> None:
    def boom() -> Protocol:
        raise RuntimeError("no table")

    message = _protocol_failure(boom, make_patient)
    assert "failed (the protocol builder of 'proto' raised RuntimeError: no table)" in message


# --------------------------------------------------------------------------- results


def test_a_protocols_parameters_are_a_read_only_copy() -> None:
    # Protocols are shared between patients (memoised, cached); a plugin or caller changing
    # the dict it passed in, or the protocol's own mapping, must not change any protocol.
    given = {"minutes": 20}
    protocol = Protocol(
        "probe", (ProtocolStep("s", "d"),), (10.0, 20.0), (3, 5), "light", parameters=given
    )
    given["minutes"] = 90
    assert protocol.parameters == {"minutes": 20}
    with pytest.raises(TypeError):
        cast(Any, protocol.parameters)["minutes"] = 90


def test_an_unknown_outcome_label_lists_the_known_ones() -> None:
    with pytest.raises(ValueError) as caught:
        Outcome.from_label("maybe")
    labels = ", ".join(outcome.label for outcome in Outcome)
    assert str(caught.value) == f"unknown outcome 'maybe'; expected one of {labels}"
    assert labels.startswith("allowed, allowed-with-modifications, requires-clearance")


def test_asking_an_assessment_for_a_technique_it_lacks_names_it() -> None:
    with pytest.raises(KeyError) as caught:
        _ASSESSMENT.decision("reiki")
    assert caught.value.args == ("reiki",)
