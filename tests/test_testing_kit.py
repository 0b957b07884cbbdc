"""Tests of herniarules.testing: the strategies build what they promise, and every
conformance check fails on a plugin that breaks its promise (a check that cannot fail proves
nothing)."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herniarules import (
    Custom,
    Engine,
    F,
    Outcome,
    Phase,
    Policy,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Rule,
    Technique,
    derive_facts,
    hookimpl,
)
from herniarules.io import patient_from_dict, patient_to_dict
from herniarules.model import Patient
from herniarules.outcomes import Assessment, Decision, Finding
from herniarules.terminology import DEFAULT_TERMINOLOGY, Concept
from herniarules.testing import (
    AS_OF,
    CONTRAINDICATING_CONCEPTS,
    ConformanceError,
    PluginConformance,
    check_plugin,
    clearances,
    codes,
    conditions,
    conformance,
    hernias,
    patients,
    vitals,
)

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- strategies -----------------------------------------------------------------------------


@FAST
@given(patients(with_hernia=None))
def test_patients_are_valid_and_round_trip(patient: Patient) -> None:
    assert patient_from_dict(patient_to_dict(patient)) == patient


@FAST
@given(st.sampled_from(list(Phase)), st.data())
def test_phase_pins_every_hernia(phase: Phase, data: st.DataObject) -> None:
    patient = data.draw(patients(phase=phase))
    assert patient.hernias
    assert {h.phase for h in patient.hernias} == {phase}


@FAST
@given(st.sampled_from(CONTRAINDICATING_CONCEPTS), st.data())
def test_concepts_pin_an_active_condition_the_facts_see(concept: str, data: st.DataObject) -> None:
    patient = data.draw(patients(concepts=[concept]))
    facts = derive_facts(patient, AS_OF)
    assert concept in facts.concepts


@FAST
@given(st.sampled_from(sorted({vs.concept for vs in DEFAULT_TERMINOLOGY.value_sets})), st.data())
def test_codes_are_real_members_of_the_value_sets(concept: str, data: st.DataObject) -> None:
    code, system = data.draw(codes(concept))
    assert concept in DEFAULT_TERMINOLOGY.concepts_for(code, system)


def test_codes_refuse_an_unknown_concept() -> None:
    with pytest.raises(ValueError, match="no value set"):
        codes("no-such-concept")


@FAST
@given(conditions(coded=True))
def test_coded_conditions_carry_a_code(condition: Any) -> None:
    assert condition.code is not None and condition.concept is None


@FAST
@given(patients(clean=True))
def test_clean_patients_pass_the_core(patient: Patient) -> None:
    engine = Engine(entry_points=False)
    core = engine._core_findings(engine.facts(patient, AS_OF))
    assert [f for f in core if f.outcome > Outcome.ALLOWED_WITH_MODIFICATIONS] == []


@FAST
@given(patients(complete=True, with_hernia=True))
def test_complete_patients_record_what_the_core_reads(patient: Patient) -> None:
    facts = derive_facts(patient, AS_OF)
    for name in ("pain_score", "temperature_c", "bp_grade", "max_hernia_size_mm", "pregnant"):
        assert getattr(facts, name) is not None, name


@FAST
@given(clearances(["kinesio"], valid=True), clearances(["kinesio"], valid=False))
def test_clearance_validity_is_as_requested(good: Any, bad: Any) -> None:
    assert good.is_valid_on(AS_OF)
    assert not bad.is_valid_on(AS_OF)


@FAST
@given(hernias(size_known=True), vitals(recorded=True))
def test_pinned_recordings(hernia: Any, vital: Any) -> None:
    assert hernia.size_mm is not None
    assert None not in attrs.astuple(vital)


# -- the conformance checks can fail ------------------------------------------------------


@attrs.frozen
class Params:
    minutes: int = 20


def _probe_protocol(facts: ProtocolFacts, parameters: object) -> Protocol:
    return Protocol("probe", (ProtocolStep("s", "d"),), (10.0, 20.0), (5, 10), "light")


class Plugin:
    """A configurable plugin that keeps or breaks the promises on demand."""

    def __init__(
        self,
        rules: Sequence[Rule] = (),
        parameters: object = Params(),
        protocol: Any = None,
        reads: Sequence[str] = (),
    ):
        self._rules = list(rules)
        self._parameters = parameters
        self._protocol = protocol
        self._reads = tuple(reads)

    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        return [
            Technique(
                "probe",
                "Probe",
                "A probe.",
                "test",
                parameters=self._parameters,
                protocol=self.protocol,
                reads=self._reads,
            )
        ]

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return self._rules

    def protocol(self, facts: ProtocolFacts, parameters: object) -> Any:
        if self._protocol is not None:
            return self._protocol(facts)
        return _probe_protocol(facts, parameters)


def _rule(rule_id: str, when: Any, outcome: Outcome = Outcome.CONTRAINDICATED) -> Rule:
    return Rule(rule_id, "Title", when, outcome, "Message.", "Source.", techniques={"probe"})


def test_a_well_behaved_plugin_passes_every_check() -> None:
    # Every check but the catalogue: the probe lives in the tests package, which has none.
    names = [name for name in conformance.CHECKS if name != "catalogue"]
    check_plugin(Plugin([_rule("probe.big", F.max_hernia_size_mm >= 10)]), names)


def test_a_plugin_without_a_catalogue_fails_the_catalogue_check() -> None:
    with pytest.raises(ConformanceError, match=r"ships no catalogue: add tests/locale/en"):
        check_plugin(Plugin([_rule("probe.big", F.max_hernia_size_mm >= 10)]), ["catalogue"])


_ENGLISH_ONLY = """\
from herniarules import Protocol, ProtocolStep


def protocol(facts, parameters):
    return Protocol("probe", (ProtocolStep("s", "d"),), (10.0, 20.0), (5, 10), "light")
"""


def test_a_plugin_without_russian_gets_a_warning(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    package = tmp_path / "probe_english_only"
    (package / "locale" / "en" / "LC_MESSAGES").mkdir(parents=True)
    (package / "__init__.py").write_text(_ENGLISH_ONLY)
    (package / "locale" / "en" / "LC_MESSAGES" / "probe_english_only.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\nmsgid "Probe"\nmsgstr ""\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("probe_english_only")
    plugin = Plugin(protocol=None)
    plugin.protocol = module.protocol  # type: ignore[method-assign]
    with pytest.warns(conformance.TranslationWarning, match="no Russian catalogue"):
        check_plugin(plugin, ["catalogue"])


def test_a_plugin_with_russian_passes_without_warning() -> None:
    import warnings

    import herniarules_segmental

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_plugin(herniarules_segmental, ["catalogue"])


def test_monotonicity_catches_a_rule_that_relaxes_as_the_hernia_grows() -> None:
    plugin = Plugin([_rule("probe.small", F.max_hernia_size_mm < 20)])
    with pytest.raises(ConformanceError, match="relaxed"):
        check_plugin(plugin, ["monotonic"])


def test_monotonicity_catches_a_rule_that_relaxes_as_pain_rises() -> None:
    plugin = Plugin([_rule("probe.calm", F.pain_score <= 1, Outcome.REQUIRES_CLEARANCE)])
    with pytest.raises(ConformanceError, match="relaxed"):
        check_plugin(plugin, ["monotonic"])


def test_determinism_catches_a_random_rule() -> None:
    coin = random.Random(1)
    plugin = Plugin([_rule("probe.coin", Custom(lambda f: coin.random() < 0.5, "a coin toss"))])
    with pytest.raises(ConformanceError):
        check_plugin(plugin, ["deterministic"])


def test_plugin_errors_are_caught_on_valid_patients() -> None:
    def explode(facts: ProtocolFacts) -> Protocol:
        raise RuntimeError("no protocol today")

    with pytest.raises(ConformanceError, match="no protocol today"):
        check_plugin(Plugin(protocol=explode), ["no_plugin_errors"])


def test_a_protocol_builder_reading_an_undeclared_fact_is_caught() -> None:
    def sized(facts: ProtocolFacts) -> Protocol:
        minutes = 20.0 if (facts.max_hernia_size_mm or 0) < 6 else 15.0
        return Protocol("probe", (ProtocolStep("s", "d"),), (10.0, minutes), (5, 10), "light")

    undeclared = "reads facts.max_hernia_size_mm, which its Technique.reads does not declare"
    with pytest.raises(ConformanceError, match=undeclared):
        check_plugin(Plugin(protocol=sized, reads=["pain_score"]), ["no_plugin_errors"])
    # Declared, the same builder passes.
    check_plugin(Plugin(protocol=sized, reads=["max_hernia_size_mm"]), ["no_plugin_errors"])


def test_unordered_protocol_ranges_are_caught() -> None:
    def backwards(facts: ProtocolFacts) -> Protocol:
        return Protocol("probe", (ProtocolStep("s", "d"),), (30.0, 10.0), (5, 10), "light")

    with pytest.raises(ConformanceError, match="not ordered"):
        check_plugin(Plugin(protocol=backwards), ["no_plugin_errors"])


@attrs.define
class Mutable:
    minutes: int = 20


@attrs.frozen
class Invalid:
    minutes: int = attrs.field(default=99, validator=attrs.validators.le(60))


def test_mutable_parameters_are_caught() -> None:
    with pytest.raises(ConformanceError, match="frozen"):
        check_plugin(Plugin(parameters=Mutable()), ["parameters"])


def test_parameters_whose_defaults_fail_validation_are_caught() -> None:
    # attrs validates on __init__, so an invalid default can only arise by bypassing it.
    params = Invalid.__new__(Invalid)
    object.__setattr__(params, "minutes", 99)
    with pytest.raises(ConformanceError, match="fail validation"):
        check_plugin(Plugin(parameters=params), ["parameters"])


def test_a_plugin_that_fails_to_load_is_caught() -> None:
    class Broken(Plugin):
        @hookimpl
        def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
            raise RuntimeError("cannot load")

    with pytest.raises(ConformanceError, match="cannot load"):
        check_plugin(Broken(), ["loads"])


def test_a_plugin_without_techniques_is_caught() -> None:
    class Empty:
        @hookimpl
        def herniarules_techniques(self) -> Sequence[Technique]:
            return []

    with pytest.raises(ConformanceError, match="no technique"):
        check_plugin(Empty(), ["loads"])


class _FakeEngine:
    """Stands in for an engine that breaks the kernel, to prove the checks would notice."""

    def __init__(self, outcome: Outcome, cleared_outcome: Outcome | None = None) -> None:
        self.outcome = outcome
        self.cleared_outcome = cleared_outcome
        self.techniques = (
            Technique("probe", "Probe", "A probe.", "test", protocol=_probe_protocol),
        )
        self.terminology = DEFAULT_TERMINOLOGY

    def assess(self, patient: Patient, as_of: date) -> Assessment:
        outcome = self.outcome
        if patient.clearances and self.cleared_outcome is not None:
            outcome = self.cleared_outcome
        findings = () if outcome is Outcome.ALLOWED else (Finding("x.y", outcome, "m", "s"),)
        decision = Decision("probe", patient.id, findings)
        return Assessment(patient.id, as_of, (decision,), (), "f")


def test_the_acute_check_fails_on_an_engine_that_permits() -> None:
    with pytest.raises(ConformanceError, match="permitted in the acute stage"):
        conformance.check_acute_never_permitted(_FakeEngine(Outcome.ALLOWED))  # type: ignore[arg-type]


def test_the_clearance_check_fails_when_a_clearance_lifts_a_deferral() -> None:
    fake = _FakeEngine(Outcome.DEFER, cleared_outcome=Outcome.ALLOWED)
    with pytest.raises(ConformanceError, match="clearance changed defer"):
        conformance.check_clearance_lifts_only_clearance(fake)  # type: ignore[arg-type]


class TestBaseClassOnTheProbe(PluginConformance):
    """The base class runs every check on a plugin given in one line."""

    plugin = Plugin([_rule("probe.big", F.max_hernia_size_mm >= 10)])

    def test_catalogue(self) -> None:
        """The probe has no catalogue (it lives in the tests package): the check says so."""
        with pytest.raises(ConformanceError, match="ships no catalogue"):
            super().test_catalogue()


def test_the_base_class_needs_a_plugin() -> None:
    class TestNothing(PluginConformance):
        pass

    with pytest.raises(TypeError, match="must set 'plugin'"):
        TestNothing.engine()


def test_every_check_has_a_base_class_test() -> None:
    tests = [name for name in dir(PluginConformance) if name.startswith("test_")]
    assert len(tests) == len(conformance.CHECKS)


def test_examples_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HERNIARULES_CONFORMANCE_EXAMPLES", raising=False)
    assert conformance.examples() == 60
    monkeypatch.setenv("HERNIARULES_CONFORMANCE_EXAMPLES", "500")
    assert conformance.examples() == 500
    monkeypatch.setenv("HERNIARULES_CONFORMANCE_EXAMPLES", "lots")
    assert conformance.examples() == 60


def test_the_fixture_runs_the_suite(herniarules_conformance: Any) -> None:
    herniarules_conformance(Plugin([_rule("probe.big", F.max_hernia_size_mm >= 10)]), ["loads"])
    with pytest.raises(ConformanceError):
        herniarules_conformance(Plugin(parameters=Mutable()), ["parameters"])


def test_the_pytest_plugin_imports_no_test_tooling() -> None:
    """pytest loads the plugin in every run: it must not pull in hypothesis or the engine."""
    code = (
        "import sys, herniarules.testing.pytest_plugin as p; "
        "print(sorted(m for m in ('hypothesis', 'herniarules.testing.conformance', "
        "'herniarules.testing.strategies') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_concept_list_excludes_only_the_hernia_itself() -> None:
    assert Concept.DISC_HERNIA.value not in CONTRAINDICATING_CONCEPTS
    assert len(CONTRAINDICATING_CONCEPTS) == len(Concept) - 1
