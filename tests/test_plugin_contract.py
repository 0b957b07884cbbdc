"""The plugin contract the engine runs: objects registered once, a core no plugin can bend.

Each attack of the contract review has a test here that shows it fails closed: lying
subclasses, objects changed after registration, a loosened policy, rewritten facts, two
distributions claiming one technique, an allow-list fooled by an entry-point name, a plugin
whose installed files changed after it was locked.
"""

from __future__ import annotations

import io
import sys
import textwrap
from collections.abc import Iterator
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

import herniarules_classic
import pytest

from herniarules import (
    Engine,
    F,
    Outcome,
    Policy,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Rule,
    Technique,
    hookimpl,
)
from herniarules.discovery import lock_lines, parse_allowed, read_lock
from herniarules.testing import ConformanceError
from herniarules.testing.hostile import (
    TAMPERER_TECHNIQUE,
    TamperingPlugin,
    check_tamper_proof,
    tampering_plugins,
)
from tests.conftest import AS_OF, TechniquePlugin, build_patient, installed_distributions

PLUGIN_ERROR = "engine.plugin-error"


def _acute(data: dict[str, Any]) -> None:
    data["hernias"][0]["phase"] = "acute"


def _protocol(technique: str) -> Protocol:
    return Protocol(
        technique=technique,
        steps=(ProtocolStep("stroking", "Light stroking."),),
        session_minutes=(10.0, 20.0),
        course_sessions=(10, 12),
        pressure="light",
    )


# --------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("tamperer", tampering_plugins(), ids=TamperingPlugin.HOW)
def test_no_tampering_changes_the_classic_plugin_or_permits_the_forbidden(
    tamperer: TamperingPlugin,
) -> None:
    engine = Engine(plugins=[herniarules_classic, tamperer], entry_points=False)
    alone = Engine(plugins=[herniarules_classic], entry_points=False)
    for patient in (build_patient(), build_patient(_acute)):
        assessment = engine.assess(patient, as_of=AS_OF)
        for technique in ("classic", "traction"):
            assert assessment.decision(technique) == alone.evaluate(patient, technique, as_of=AS_OF)
    acute = engine.assess(build_patient(_acute), as_of=AS_OF)
    assert not any(d.permitted for d in acute.decisions)
    assert engine.policy == Policy()


def test_a_lying_rule_subclass_fails_its_plugin() -> None:
    engine = Engine(plugins=[TamperingPlugin("lying-rule")], entry_points=False)
    [info] = engine.plugins
    assert info.error is not None and "which is not a Rule (exactly" in info.error
    decision = engine.evaluate(build_patient(), TAMPERER_TECHNIQUE, as_of=AS_OF)
    assert not decision.permitted


def test_a_technique_subclass_cannot_take_over_another_technique() -> None:
    engine = Engine(
        plugins=[herniarules_classic, TamperingPlugin("renaming-technique")], entry_points=False
    )
    infos = {i.name: i for i in engine.plugins}
    assert "which is not a Technique" in (infos["tampering-renaming-technique"].error or "")
    assert infos["herniarules_classic"].error is None
    assert engine.technique("traction").name == "Classic massage with traction"


def test_renaming_the_declared_technique_afterwards_changes_nothing() -> None:
    tamperer = TamperingPlugin("renamed-after-registration")
    engine = Engine(plugins=[herniarules_classic, tamperer], entry_points=False)
    assert tamperer._technique.id == "traction"  # the plugin's own object did change
    assert {t.id for t in engine.techniques} == {"classic", "traction", TAMPERER_TECHNIQUE}
    assert engine.technique("traction").name == "Classic massage with traction"


def test_the_policy_a_plugin_is_given_is_its_own() -> None:
    engine = Engine(plugins=[TechniquePlugin(), TamperingPlugin("policy")], entry_points=False)
    assert engine.policy == Policy()
    fever = build_patient(
        vitals={"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 38.0, "pain_score": 8}
    )
    for decision in engine.assess(fever, as_of=AS_OF).decisions:
        assert not decision.permitted


def test_rewriting_the_facts_in_a_custom_predicate_reaches_no_one_else() -> None:
    engine = Engine(plugins=[TechniquePlugin(), TamperingPlugin("facts")], entry_points=False)
    assessment = engine.assess(build_patient(_acute), as_of=AS_OF)
    for decision in assessment.decisions:
        assert decision.outcome is Outcome.DEFER
    assert engine.facts(build_patient(_acute), AS_OF).worst_phase == "acute"


class _Subpolicy(Policy):
    pass


def test_a_policy_subclass_is_refused() -> None:
    with pytest.raises(TypeError, match="not a subclass"):
        Engine(entry_points=False, policy=_Subpolicy())


def test_a_policy_changed_without_its_validators_is_refused() -> None:
    loose = Policy()
    object.__setattr__(loose, "severe_pain_score", 10)
    with pytest.raises(TypeError, match="policy is not valid: severe_pain_score may only"):
        Engine(entry_points=False, policy=loose)


def test_the_kit_reports_an_engine_that_shares_the_facts_with_custom_predicates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import herniarules.engine

    check_tamper_proof(herniarules_classic)
    monkeypatch.setattr(herniarules.engine, "_private_facts", lambda facts: facts)
    with pytest.raises(ConformanceError, match="tampering by facts changed the decision"):
        check_tamper_proof(herniarules_classic)


def test_the_kit_reports_an_engine_that_hands_plugins_its_own_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import herniarules.engine

    monkeypatch.setattr(herniarules.engine, "_copy", lambda policy: policy)
    with pytest.raises(ConformanceError, match="tampering by policy"):
        check_tamper_proof(herniarules_classic)


def test_an_unknown_tampering_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown tampering 'bribe'"):
        TamperingPlugin("bribe")


# --------------------------------------------------------------------------- protocol facts


class _Reads:
    def __init__(self, reads: tuple[str, ...], reading: str) -> None:
        self.reading = reading
        self.calls = 0
        self.__name__ = "reads-plugin"
        self.technique = Technique(
            id="reader",
            name="Reader",
            description="A technique whose protocol reads facts.",
            source="tests",
            protocol=self.protocol,
            reads=reads,
        )

    def protocol(self, facts: ProtocolFacts, parameters: object) -> Protocol:
        self.calls += 1
        getattr(facts, self.reading)
        return _protocol("reader")

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [self.technique]


def test_a_builder_reading_an_undeclared_fact_fails_its_technique_naming_it() -> None:
    engine = Engine(plugins=[_Reads(("age",), "pain_score"), TechniquePlugin()], entry_points=False)
    assessment = engine.assess(build_patient(), as_of=AS_OF)
    decision = assessment.decision("reader")
    assert not decision.permitted
    [failure] = [f for f in decision.findings if f.rule_id == PLUGIN_ERROR]
    assert "reads facts.pain_score" in failure.message
    assert "declared: age" in failure.message
    assert assessment.decision("probe").permitted


def test_equal_declared_facts_share_a_protocol_and_different_ones_do_not() -> None:
    plugin = _Reads(("age",), "age")
    engine = Engine(plugins=[plugin], entry_points=False)
    for age in (40, 40, 41, 40):
        assert engine.evaluate(build_patient(age=age), "reader", as_of=AS_OF).permitted
    assert plugin.calls == 2


def test_protocol_facts_are_read_only_and_list_what_they_hold() -> None:
    view = ProtocolFacts("t", {"age": 40})
    assert view.age == 40 and dir(view) == ["age"]
    with pytest.raises(AttributeError, match="read-only"):
        view.age = 41
    with pytest.raises(AttributeError, match="declared: age"):
        _ = view.sex
    assert repr(view) == "ProtocolFacts(age=40)"


def test_reads_must_name_facts() -> None:
    with pytest.raises(ValueError, match="reads names unknown facts hernia_region"):
        _Reads(("hernia_region",), "age")
    with pytest.raises(TypeError, match="not one string"):
        _Reads("age", "age")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- hooks


class _Unmarked:
    __name__ = "unmarked"

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [TechniquePlugin("unmarked").herniarules_techniques()[0]]

    def herniarules_rules(self, policy: Policy) -> list[Rule]:
        return [
            Rule(
                "unmarked.never",
                "Never",
                F.pain_score >= 0,
                Outcome.DEFER,
                "m",
                "s",
                techniques={"unmarked"},
            )
        ]


class _Misspelt:
    __name__ = "misspelt"

    @hookimpl
    def herniarules_technique(self) -> list[Technique]:
        return []


class _OldContract:
    __name__ = "old"

    @hookimpl
    def herniarules_protocol(self, technique: Any, facts: Any, parameters: Any) -> Any:
        return None


@pytest.mark.parametrize(
    ("plugin", "needle"),
    [
        (_Unmarked(), "defines herniarules_rules without @hookimpl"),
        (_Misspelt(), "unknown hook herniarules_technique; did you mean herniarules_techniques?"),
        (_OldContract(), "herniarules_protocol, removed in 0.2: pass protocol= (and reads=)"),
    ],
    ids=["unmarked", "misspelt", "old-contract"],
)
def test_hook_mistakes_fail_the_plugin_with_a_hint(plugin: object, needle: str) -> None:
    engine = Engine(plugins=[plugin, TechniquePlugin()], entry_points=False)
    infos = {i.name: i for i in engine.plugins}
    assert needle in (infos[plugin.__name__].error or "")  # type: ignore[attr-defined]
    assert infos["probe-plugin"].error is None


def test_a_failing_builder_keeps_its_traceback_and_prints_it_when_debugging() -> None:
    failing = TechniquePlugin("flaky", fail_in="protocol")
    engine = Engine(plugins=[failing], entry_points=False, debug=True)
    err = io.StringIO()
    with redirect_stderr(err):
        decision = engine.evaluate(build_patient(), "flaky", as_of=AS_OF)
    assert not decision.permitted
    trace = engine.plugin_tracebacks["flaky-plugin"]
    assert "conftest.py" in trace and "flaky-plugin breaks in protocol" in trace
    assert "herniarules: plugin flaky-plugin unregistered failed" in err.getvalue()
    quiet = Engine(plugins=[TechniquePlugin("flaky", fail_in="protocol")], entry_points=False)
    err = io.StringIO()
    with redirect_stderr(err):
        quiet.evaluate(build_patient(), "flaky", as_of=AS_OF)
    assert err.getvalue() == "" and "flaky-plugin" in quiet.plugin_tracebacks


# --------------------------------------------------------------------------- identity

_MODULE = """
from herniarules import Protocol, ProtocolStep, Technique, hookimpl


def protocol(facts, parameters):
    return Protocol(
        technique="{technique}",
        steps=(ProtocolStep("stroking", "Light stroking."),),
        session_minutes=(10.0, 20.0),
        course_sessions=(10, 12),
        pressure="light",
    )


@hookimpl
def herniarules_techniques():
    return [
        Technique(
            id="{technique}", name="T", description="{name}", source="tests", protocol=protocol
        )
    ]
"""

#: distribution: (version, entry-point name, module, technique)
_DISTRIBUTIONS = {
    "herniarules-genuine": ("1.0.0", "genuine", "herniarules_genuine_mod", "shared-id"),
    "evil-impostor": ("6.6.6", "herniarules-genuine", "evil_impostor_mod", "shared-id"),
    "herniarules-lockable": ("2.0.0", "lockable", "herniarules_lockable_mod", "lockable"),
}


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Path]:
    """Distributions with ``herniarules`` entry points on ``sys.path``, with a RECORD each."""
    sources = {
        dist: (version, ep_name, module, textwrap.dedent(_MODULE.format(technique=t, name=dist)))
        for dist, (version, ep_name, module, t) in _DISTRIBUTIONS.items()
    }
    with installed_distributions(tmp_path, sources) as root:
        yield root


def test_a_technique_two_distributions_declare_disables_both(site: Path) -> None:
    engine = Engine(allow={"herniarules-genuine", "evil-impostor"})
    infos = {i.name: i for i in engine.plugins}
    for name in ("herniarules-genuine", "evil-impostor"):
        error = infos[name].error or ""
        assert "'shared-id' is declared by evil-impostor 6.6.6 and herniarules-genuine 1.0.0" in (
            error
        )
    decision = engine.evaluate(build_patient(), "shared-id", as_of=AS_OF)
    assert not decision.permitted


def test_an_impostor_named_like_an_allowed_entry_point_is_not_loaded(site: Path) -> None:
    # evil-impostor's entry point is called "herniarules-genuine": the allow-list matches
    # distribution names only.
    engine = Engine(allow={"herniarules-genuine"})
    assert [i.name for i in engine.plugins] == ["herniarules-genuine"]
    assert "evil_impostor_mod" not in sys.modules
    [technique] = engine.techniques
    assert technique.description == "herniarules-genuine"


def test_a_pinned_version_that_differs_is_refused_before_import(site: Path) -> None:
    engine = Engine(allow={"herniarules-lockable==1.9.0"})
    [info] = engine.plugins
    assert info.error == "version 2.0.0 is installed; the allow-list pins 1.9.0"
    assert "herniarules_lockable_mod" not in sys.modules
    assert engine.techniques == ()


def test_a_lock_admits_the_locked_files_and_refuses_changed_ones(site: Path) -> None:
    lines = [line for line in lock_lines("herniarules") if line.startswith("herniarules-lockable")]
    [line] = lines
    assert line.startswith("herniarules-lockable==2.0.0 sha256:")
    locked = Engine(allow=lines)
    assert [t.id for t in locked.techniques] == ["lockable"]
    fingerprint = locked.fingerprint
    sys.modules.pop("herniarules_lockable_mod", None)
    module = site / "herniarules_lockable_mod.py"
    module.write_text(module.read_text("utf-8") + "\nLOOSENED = True\n", encoding="utf-8")
    refused = Engine(allow=lines)
    [info] = refused.plugins
    assert info.error is not None and "differ from the allow-list's sha256:" in info.error
    assert "herniarules_lockable_mod" not in sys.modules
    assert refused.techniques == ()
    changed = Engine(allow={"herniarules-lockable"})
    assert changed.fingerprint != fingerprint  # the fingerprint covers the installed files


def test_a_lock_file_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "plugins.lock"
    path.write_text("# locked plugins\nherniarules-vacuum==0.1.0  # the cups\n\nhoney\n", "utf-8")
    assert read_lock(path) == ["herniarules-vacuum==0.1.0", "honey"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("", "is not 'name'"),
        ("herniarules-vacuum>=0.1", "is not 'name'"),
        ("herniarules-vacuum sha256:" + "a" * 64, "pins a digest without a version"),
        ("x==1 sha256:abc", "is not 'name'"),
    ],
)
def test_a_malformed_allow_entry_is_an_error(entry: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_allowed([entry])


def test_allow_is_a_collection_not_one_string() -> None:
    with pytest.raises(TypeError, match="not one string"):
        Engine(allow="herniarules-vacuum")


def test_allow_names_are_normalized() -> None:
    parsed = parse_allowed(["Herniarules_Vacuum==0.1.0"])
    assert set(parsed) == {"herniarules-vacuum"} and parsed["herniarules-vacuum"].version == "0.1.0"


def test_the_installed_plugins_lock_themselves() -> None:
    lines = lock_lines("herniarules")
    names = {line.split("==")[0] for line in lines}
    assert {"herniarules-classic", "herniarules-honey", "herniarules-vacuum"} <= names
    engine = Engine(allow=lines)
    assert all(info.error is None for info in engine.plugins)
    assert {t.id for t in engine.techniques} >= {"classic", "honey", "vacuum", "traction"}
    assert engine.fingerprint == Engine().fingerprint


# --------------------------------------------------------------------------- the CLI


def test_the_cli_writes_a_lock_and_loads_only_what_it_pins(tmp_path: Path) -> None:
    from herniarules.cli import EXIT_INPUT, EXIT_OK, main

    out = io.StringIO()
    assert main(["plugins", "--lock"], out, io.StringIO()) == EXIT_OK
    lock = tmp_path / "plugins.lock"
    lock.write_text(out.getvalue(), encoding="utf-8")
    lines = read_lock(lock)
    assert lines == lock_lines("herniarules")
    vacuum = [line for line in lines if line.startswith("herniarules-vacuum==")]
    lock.write_text("\n".join(vacuum) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--lock", str(lock), "plugins"], out, err) == EXIT_OK
    assert out.getvalue().splitlines() == ["herniarules-vacuum 0.2.0: vacuum"]
    assert err.getvalue() == ""
    lock.write_text("herniarules-vacuum==0.0.1\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert main(["--lock", str(lock), "plugins"], out, err) == EXIT_OK
    assert "FAILED: version 0.2.0 is installed; the allow-list pins 0.0.1" in out.getvalue()
    assert "failed to load" in err.getvalue()
    lock.write_text("herniarules-vacuum>=1\n", encoding="utf-8")
    err = io.StringIO()
    assert main(["--lock", str(lock), "plugins"], io.StringIO(), err) == EXIT_INPUT
    assert "is not 'name'" in err.getvalue()
    err = io.StringIO()
    assert main(["--lock", str(tmp_path / "missing"), "plugins"], io.StringIO(), err) == (
        EXIT_INPUT
    )
    assert "cannot read the lock file" in err.getvalue()


def test_protocol_facts_copy_and_pickle() -> None:
    import copy
    import pickle

    view = ProtocolFacts("t", {"age": 40, "hernia_regions": frozenset({"lumbar"})})
    for twin in (copy.copy(view), copy.deepcopy(view), pickle.loads(pickle.dumps(view))):
        assert twin.age == 40 and twin.hernia_regions == frozenset({"lumbar"})
        with pytest.raises(AttributeError, match="declared: age, hernia_regions"):
            _ = twin.sex


def test_a_builder_cannot_reach_the_engines_hernia_items(monkeypatch: pytest.MonkeyPatch) -> None:
    import herniarules.engine

    derived: list[Any] = []
    real = herniarules.engine.derive_facts

    def recording(*args: Any) -> Any:
        derived.append(real(*args))
        return derived[-1]

    monkeypatch.setattr(herniarules.engine, "derive_facts", recording)
    seen: list[object] = []

    def tampering(facts: ProtocolFacts, parameters: object) -> Protocol:
        for item in facts.hernias:
            seen.append(item)
            object.__setattr__(item, "phase", "acute")
        return _protocol("itemreader")

    class _Plugin:
        __name__ = "item-reader"

        @hookimpl
        def herniarules_techniques(self) -> list[Technique]:
            return [
                Technique(
                    id="itemreader",
                    name="Item reader",
                    description="Reads the hernias.",
                    source="tests",
                    protocol=tampering,
                    reads=("hernias",),
                )
            ]

    engine = Engine(plugins=[_Plugin(), TechniquePlugin()], entry_points=False)
    fresh = Engine(plugins=[TechniquePlugin()], entry_points=False)
    patient = build_patient()
    assessment = engine.assess(patient, as_of=AS_OF)
    assert assessment.decision("itemreader").permitted
    assert [getattr(item, "phase", None) for item in seen] == ["acute"]
    engines_item = derived[0].hernias[0]
    assert seen[0] is not engines_item and engines_item.phase == "remission"
    # The engine's own items, findings and their cache keys are as they were.
    assert assessment.decision("probe") == fresh.evaluate(patient, "probe", as_of=AS_OF)
    assert engine.facts(patient, AS_OF).hernias[0].phase == patient.hernias[0].phase.value
    for again in (patient, build_patient(_acute)):
        assert engine.evaluate(again, "probe", as_of=AS_OF) == fresh.evaluate(
            again, "probe", as_of=AS_OF
        )
