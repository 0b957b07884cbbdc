"""The engine: plugins fail alone, core rules run once, clearances, fingerprint, JSON output."""

from __future__ import annotations

import importlib
import json
import re
import sys
import textwrap
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import herniarules.engine
from herniarules import (
    Custom,
    Decision,
    Engine,
    F,
    Finding,
    NotPermittedError,
    Outcome,
    Policy,
    Protocol,
    Rule,
    Technique,
    hookimpl,
)
from herniarules.io import assessment_to_dict, dumps
from herniarules.outcomes import SCHEMA_VERSION
from herniarules.safety import core_rules
from tests.conftest import installed_distributions

AS_OF = date(2026, 11, 27)
PLUGIN_ERROR = "engine.plugin-error"


def by_rule(decision: Decision) -> dict[str, Finding]:
    return {f.rule_id: f for f in decision.findings}


def size_rule(
    threshold: float = 8, technique: str = "probe", rule_id: str = "probe.large-hernia", **kw: Any
) -> Rule:
    fields: dict[str, Any] = {
        "title": "Large hernia",
        "outcome": Outcome.CONTRAINDICATED,
        "message": "Too large for this technique in the tests.",
        "source": "test suite",
    }
    fields.update(kw)
    return Rule(rule_id, when=F.max_hernia_size_mm >= threshold, techniques={technique}, **fields)


# --------------------------------------------------------------------------- core once


def test_core_rules_are_evaluated_once_per_patient_not_per_technique(
    monkeypatch: pytest.MonkeyPatch, plugin_class, make_patient
) -> None:
    calls: list[str] = []

    def counting(facts: Any) -> bool:
        calls.append(facts.patient_id)
        return False

    counter = Rule(
        "core.test-counter",
        "Counts evaluations",
        Custom(counting, "counts how often the core rules run"),
        Outcome.DEFER,
        "never fires",
        "test suite",
    )
    original = herniarules.engine.core_rules
    monkeypatch.setattr(
        herniarules.engine, "core_rules", lambda policy: (*original(policy), counter)
    )
    engine = Engine([plugin_class(t) for t in ("one", "two", "three")], entry_points=False)
    assert "core.test-counter" in {r.id for r in engine.rules}

    assessment = engine.assess(make_patient(), as_of=AS_OF)
    assert len(assessment.decisions) == 3
    assert calls == ["T-001"]

    calls.clear()
    engine.evaluate(make_patient(), "two", as_of=AS_OF)
    assert calls == ["T-001"]


def test_core_findings_appear_in_every_techniques_decision(
    make_engine, plugin_class, make_patient
) -> None:
    engine = make_engine(plugin_class("one"), plugin_class("two"))
    patient = make_patient(conditions=[{"code": "C50.9", "status": "active"}])
    for decision in engine.assess(patient, as_of=AS_OF).decisions:
        assert by_rule(decision)["core.malignancy"].outcome is Outcome.CONTRAINDICATED


# --------------------------------------------------------------------------- failing plugins


@pytest.mark.parametrize("hook", ["rules", "value_sets", "protocol"])
def test_plugin_that_raises_makes_only_its_technique_not_permitted(
    make_engine, plugin_class, make_patient, hook: str
) -> None:
    good = plugin_class("good")
    broken = plugin_class("broken", fail_in=hook, name="broken-plugin")
    engine = make_engine(good, broken)
    assessment = engine.assess(make_patient(), as_of=AS_OF)

    assert assessment.decision("good").permitted
    assert assessment.decision("good").protocol is not None
    decision = assessment.decision("broken")
    assert not decision.permitted
    assert decision.protocol is None
    failure = by_rule(decision)[PLUGIN_ERROR]
    assert "broken-plugin" in failure.message
    assert assessment.permitted == ("good",)


def test_plugin_that_raises_when_declaring_techniques_reports_a_load_error(
    make_engine, plugin_class, make_patient
) -> None:
    engine = make_engine(plugin_class("good"), plugin_class("broken", fail_in="techniques"))
    info = {p.name: p for p in engine.plugins}
    assert "RuntimeError" in (info["broken-plugin"].error or "")
    assert info["good-plugin"].error is None
    assert engine.assess(make_patient(), as_of=AS_OF).permitted == ("good",)


def test_plugin_rule_that_raises_during_evaluation_fails_closed(
    make_engine, plugin_class, make_patient
) -> None:
    exploding = Rule(
        "broken.explodes",
        "Explodes",
        Custom(lambda facts: 1 / 0 > 0, "divides by zero"),
        Outcome.DEFER,
        "never evaluated cleanly",
        "test suite",
        techniques={"broken"},
    )
    engine = make_engine(plugin_class("good"), plugin_class("broken", [exploding]))
    assessment = engine.assess(make_patient(), as_of=AS_OF)
    assert assessment.decision("good").permitted
    decision = assessment.decision("broken")
    assert not decision.permitted
    assert "ZeroDivisionError" in by_rule(decision)[PLUGIN_ERROR].message


@pytest.mark.parametrize(
    "options",
    [
        {"techniques_result": "broken"},
        {"techniques_result": [{"id": "broken"}]},
        {"techniques_result": {"id": "broken"}},
        {"rules_result": "rules"},
        {"rules_result": [{"id": "broken.rule"}]},
    ],
    ids=["techniques-str", "techniques-dicts", "techniques-dict", "rules-str", "rules-dicts"],
)
def test_plugin_returning_wrong_types_at_load_fails_to_load(
    make_engine, plugin_class, make_patient, options: dict[str, Any]
) -> None:
    engine = make_engine(plugin_class("good"), plugin_class("broken", **options))
    info = {p.name: p for p in engine.plugins}
    assert info["broken-plugin"].error
    assessment = engine.assess(make_patient(), as_of=AS_OF)
    assert assessment.permitted == ("good",)


@pytest.mark.parametrize(
    "result",
    [
        None,
        {"technique": "broken", "steps": []},
        "a protocol",
        Protocol("good", (), (10.0, 20.0), (10, 12), "light"),
    ],
    ids=["none", "dict", "str", "another-techniques-protocol"],
)
def test_plugin_returning_a_wrong_protocol_makes_its_technique_not_permitted(
    make_engine, plugin_class, make_patient, result: object
) -> None:
    engine = make_engine(plugin_class("good"), plugin_class("broken", protocol_result=result))
    assessment = engine.assess(make_patient(), as_of=AS_OF)
    assert assessment.decision("good").permitted
    decision = assessment.decision("broken")
    assert not decision.permitted
    assert decision.protocol is None
    assert PLUGIN_ERROR in by_rule(decision)


@pytest.mark.parametrize("prefix", ["core", "engine"])
def test_plugin_cannot_declare_a_core_or_engine_rule(
    make_engine, plugin_class, make_patient, prefix: str
) -> None:
    sneaky = size_rule(rule_id=f"{prefix}.acute-phase", technique="sneaky")
    engine = make_engine(plugin_class("good"), plugin_class("sneaky", [sneaky]))
    info = {p.name: p for p in engine.plugins}
    assert "reserved prefix" in (info["sneaky-plugin"].error or "")
    assert [r.id for r in engine.rules if r.techniques and "sneaky" in r.techniques] == []
    assert [r.id for r in engine.rules if r.is_core] == [r.id for r in core_rules()]
    assessment = engine.assess(make_patient(), as_of=AS_OF)
    assert not assessment.decision("sneaky").permitted
    assert assessment.decision("good").permitted


def test_plugin_rule_must_name_only_its_own_techniques(make_engine, plugin_class) -> None:
    poaching = size_rule(rule_id="sneaky.for-good", technique="good")
    engine = make_engine(plugin_class("good"), plugin_class("sneaky", [poaching]))
    assert "only this plugin's techniques" in (
        {p.name: p for p in engine.plugins}["sneaky-plugin"].error or ""
    )


def test_plugin_rule_cannot_apply_to_every_technique(make_engine, plugin_class) -> None:
    everywhere = Rule(
        "sneaky.everywhere", "All", F.pain_score >= 0, Outcome.DEFER, "m", "test suite"
    )
    engine = make_engine(plugin_class("good"), plugin_class("sneaky", [everywhere]))
    assert {p.name: p for p in engine.plugins}["sneaky-plugin"].error


def test_a_technique_id_two_plugins_declare_disables_both(
    make_engine, plugin_class, make_patient
) -> None:
    first = plugin_class("probe", name="first")
    second = plugin_class("probe", name="second")
    other = plugin_class("other", name="bystander")
    engine = make_engine(first, second, other)
    info = {p.name: p for p in engine.plugins}
    for name in ("first", "second"):
        error = info[name].error or ""
        assert "'probe' is declared by first unregistered and second unregistered" in error
    assert info["bystander"].error is None
    assert [t.id for t in engine.techniques] == ["other", "probe"]
    decision = engine.evaluate(make_patient(), "probe", as_of=AS_OF)
    assert not decision.permitted
    [failure] = [f for f in decision.findings if f.rule_id == "engine.plugin-error"]
    assert "declared by first unregistered and second unregistered" in failure.message
    assert first.protocol_calls == 0 and second.protocol_calls == 0
    assert engine.evaluate(make_patient(), "other", as_of=AS_OF).permitted


def test_duplicate_rule_id_across_plugins_fails_the_second(make_engine, plugin_class) -> None:
    engine = make_engine(
        plugin_class("one", [size_rule(technique="one", rule_id="shared.rule")]),
        plugin_class("two", [size_rule(technique="two", rule_id="shared.rule")]),
    )
    info = {p.name: p for p in engine.plugins}
    assert info["one-plugin"].error is None
    assert "already taken" in (info["two-plugin"].error or "")


class _Misspelled:
    __name__ = "misspelled-plugin"

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [Technique("misspelled", "M", "A technique.", "test suite")]

    @hookimpl
    def herniarules_rulez(self, policy: Policy) -> list[Rule]:
        return []


class _WrongArgument:
    __name__ = "wrong-argument-plugin"

    @hookimpl
    def herniarules_rules(self, polcy: Policy) -> list[Rule]:
        return []


def test_misspelled_hook_is_reported_not_silently_ignored(make_engine, plugin_class) -> None:
    engine = make_engine(plugin_class("good"), _Misspelled())
    info = {p.name: p for p in engine.plugins}
    assert "herniarules_rulez" in (info["misspelled-plugin"].error or "")
    assert [t.id for t in engine.techniques if t.id == "misspelled"] == []


def test_hook_with_a_misnamed_argument_is_reported(make_engine, plugin_class) -> None:
    engine = make_engine(plugin_class("good"), _WrongArgument())
    info = {p.name: p for p in engine.plugins}
    assert "polcy" in (info["wrong-argument-plugin"].error or "")
    assert info["good-plugin"].error is None


def test_plugin_rule_can_only_add_restrictions(make_engine, plugin_class, make_patient) -> None:
    engine = make_engine(plugin_class("probe", [size_rule(threshold=3)]))
    decision = engine.evaluate(make_patient(), "probe", as_of=AS_OF)
    assert by_rule(decision)["probe.large-hernia"].outcome is Outcome.CONTRAINDICATED
    assert not decision.permitted


# --------------------------------------------------------------------------- entry points

_PLUGIN_MODULE = """
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
            id="{technique}",
            name="T",
            description="A technique.",
            source="tests",
            protocol=protocol,
        )
    ]
"""

_DISTRIBUTIONS = {
    # distribution name: (version, entry-point name, module, technique or None to fail import)
    "herniarules-testalpha": ("1.2.3", "testalpha", "herniarules_testalpha_mod", "test-alpha"),
    "herniarules-testbeta": ("0.4.0", "testbeta", "herniarules_testbeta_mod", "test-beta"),
    "herniarules-testbroken": ("9.9.9", "testbroken", "herniarules_testbroken_mod", None),
}


@pytest.fixture(scope="module")
def installed_test_plugins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Three distributions with ``herniarules`` entry points on ``sys.path``."""
    sources = {
        dist: (
            version,
            ep_name,
            module,
            textwrap.dedent(_PLUGIN_MODULE.format(technique=technique))
            if technique
            else "raise ImportError('this plugin cannot be imported')\n",
        )
        for dist, (version, ep_name, module, technique) in _DISTRIBUTIONS.items()
    }
    with installed_distributions(tmp_path_factory.mktemp("site"), sources) as root:
        yield root


def test_allow_list_loads_only_the_named_distributions(installed_test_plugins: Path) -> None:
    engine = Engine(allow={"herniarules-testalpha"})
    assert [(p.name, p.version) for p in engine.plugins] == [("herniarules-testalpha", "1.2.3")]
    assert [t.id for t in engine.techniques] == ["test-alpha"]


def test_an_entry_point_name_does_not_admit_a_distribution(installed_test_plugins: Path) -> None:
    # Any package may name its entry point "testalpha"; only distribution names count.
    engine = Engine(allow={"testalpha"})
    [info] = engine.plugins
    assert info.name == "testalpha" and engine.techniques == ()
    assert info.error is not None and "not installed" in info.error
    assert "herniarules-testalpha" in info.error  # the hint names the distribution


def test_allow_list_accepts_distribution_names(installed_test_plugins: Path) -> None:
    engine = Engine(allow={"herniarules-testbeta"})
    assert [(p.name, p.version) for p in engine.plugins] == [("herniarules-testbeta", "0.4.0")]


def test_empty_allow_list_loads_no_installed_plugin(installed_test_plugins: Path) -> None:
    assert Engine(allow=set()).plugins == ()


def test_plugin_that_cannot_be_imported_is_reported_and_the_rest_load(
    installed_test_plugins: Path, make_patient
) -> None:
    engine = Engine(
        allow={"herniarules-testalpha", "herniarules-testbroken", "herniarules-testbeta"}
    )
    info = {p.name: p for p in engine.plugins}
    assert set(info) == {"herniarules-testalpha", "herniarules-testbeta", "herniarules-testbroken"}
    assert "cannot be imported" in (info["herniarules-testbroken"].error or "")
    assert info["herniarules-testbroken"].version == "9.9.9"
    assert info["herniarules-testalpha"].techniques == ("test-alpha",)
    assessment = engine.assess(make_patient(), as_of=AS_OF)
    assert set(assessment.permitted) == {"test-alpha", "test-beta"}


def test_entry_points_are_off_when_asked(installed_test_plugins: Path) -> None:
    assert Engine(entry_points=False).plugins == ()


def test_a_pinned_version_that_is_not_installed_refuses_the_distribution(
    installed_test_plugins: Path,
) -> None:
    engine = Engine(allow={"herniarules-testalpha==1.2.4", "herniarules-testbeta==0.4.0"})
    info = {p.name: p for p in engine.plugins}
    assert info["herniarules-testalpha"].error == (
        "version 1.2.3 is installed; the allow-list pins 1.2.4"
    )
    assert info["herniarules-testbeta"].error is None
    assert [t.id for t in engine.techniques] == ["test-beta"]


@pytest.fixture
def locked_plugin(tmp_path: Path) -> Iterator[Path]:
    """One distribution, ``herniarules-testlocked``, whose module the test may change."""
    (tmp_path / "herniarules_testlocked-1.0.dist-info").mkdir()
    info = tmp_path / "herniarules_testlocked-1.0.dist-info"
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: herniarules-testlocked\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[herniarules]\ntestlocked = herniarules_testlocked_mod\n", encoding="utf-8"
    )
    module = tmp_path / "herniarules_testlocked_mod.py"
    module.write_text(
        textwrap.dedent(_PLUGIN_MODULE.format(technique="test-locked")), encoding="utf-8"
    )
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    yield module
    sys.path.remove(str(tmp_path))
    sys.modules.pop("herniarules_testlocked_mod", None)
    importlib.invalidate_caches()


def test_a_lock_line_admits_the_locked_files_and_refuses_changed_ones(
    locked_plugin: Path,
) -> None:
    from herniarules import discovery

    [line] = [
        line
        for line in discovery.lock_lines("herniarules")
        if line.startswith("herniarules-testlocked==")
    ]
    assert re.fullmatch(r"herniarules-testlocked==1\.0 sha256:[0-9a-f]{64}", line)
    engine = Engine(allow=[line])
    assert [t.id for t in engine.techniques] == ["test-locked"]
    assert engine.plugins[0].error is None
    sys.modules.pop("herniarules_testlocked_mod")
    # The plugin's code changes after it was locked: refused before any of it runs.
    locked_plugin.write_text(
        locked_plugin.read_text(encoding="utf-8") + "\nimport os\n", encoding="utf-8"
    )
    changed = Engine(allow=[line])
    [info] = changed.plugins
    assert changed.techniques == ()
    assert info.error is not None and "differ from the allow-list's sha256:" in info.error
    assert info.error.endswith("it was not imported")
    assert "herniarules_testlocked_mod" not in sys.modules
    # Locking again admits the new files.
    [relocked] = [
        line
        for line in discovery.lock_lines("herniarules")
        if line.startswith("herniarules-testlocked==")
    ]
    assert relocked != line
    assert [t.id for t in Engine(allow=[relocked]).techniques] == ["test-locked"]


@pytest.mark.parametrize(
    ("allow", "error", "message"),
    [
        ("herniarules-testalpha", TypeError, "not one string"),
        (["herniarules-testalpha 1.2.3"], ValueError, "is not 'name', 'name==version'"),
        (["herniarules-testalpha==1.2.3 sha256:abc"], ValueError, "is not 'name'"),
        (["herniarules-testalpha sha256:" + "0" * 64], ValueError, "without a version"),
        ([""], ValueError, "is not 'name'"),
    ],
)
def test_a_malformed_allow_list_is_refused_naming_the_entry(
    allow: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Engine(allow=allow)


def test_distribution_names_in_the_allow_list_are_normalized(
    installed_test_plugins: Path,
) -> None:
    engine = Engine(allow={"HernIarules_TestAlpha"})
    assert [t.id for t in engine.techniques] == ["test-alpha"]


# --------------------------------------------------------------------------- outcome scale


def finding(outcome: Outcome, cleared_by: str | None = None) -> Finding:
    return Finding("tests.rule", outcome, "message", "source", cleared_by=cleared_by)


def test_outcome_scale_runs_from_allowed_to_contraindicated() -> None:
    assert list(Outcome) == sorted(Outcome)
    assert [o.label for o in Outcome] == [
        "allowed",
        "allowed-with-modifications",
        "requires-clearance",
        "insufficient-data",
        "defer",
        "contraindicated",
    ]
    assert [o.permits for o in Outcome] == [True, True, False, False, False, False]
    assert all(Outcome.from_label(o.label) is o for o in Outcome)


@given(st.lists(st.sampled_from(Outcome), max_size=8))
def test_decision_is_the_most_restrictive_finding(outcomes: list[Outcome]) -> None:
    decision = Decision("probe", "P", tuple(finding(o) for o in outcomes))
    assert decision.outcome is max(outcomes, default=Outcome.ALLOWED)
    assert decision.permitted is (decision.outcome <= Outcome.ALLOWED_WITH_MODIFICATIONS)


@pytest.mark.parametrize("outcome", list(Outcome))
def test_clearance_satisfies_only_requires_clearance(outcome: Outcome) -> None:
    cleared = finding(outcome, cleared_by="Dr. A")
    expected = Outcome.ALLOWED if outcome is Outcome.REQUIRES_CLEARANCE else outcome
    assert cleared.effective_outcome is expected


def _clearance(technique: str = "probe", **kw: str) -> dict[str, str]:
    return {"technique": technique, "physician": "Dr. A. Surgeon", "date": "2026-11-01", **kw}


def test_recorded_clearance_permits_a_prolapsed_disc(make_engine, make_patient) -> None:
    hernias = [
        {"region": "lumbar", "level": "L4-L5", "kind": "extrusion", "phase": "remission",
         "size_mm": 6.0, "surgery_indicated": False}
    ]  # fmt: skip
    engine = make_engine()
    without = engine.evaluate(make_patient(hernias=hernias), "probe", as_of=AS_OF)
    assert without.outcome is Outcome.REQUIRES_CLEARANCE and not without.permitted
    cleared = engine.evaluate(
        make_patient(hernias=hernias, clearances=[_clearance()]), "probe", as_of=AS_OF
    )
    assert cleared.permitted and cleared.protocol is not None
    found = by_rule(cleared)["core.disc-prolapsed"]
    assert found.outcome is Outcome.REQUIRES_CLEARANCE
    assert found.cleared_by == "Dr. A. Surgeon"
    assert found.effective_outcome is Outcome.ALLOWED


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"vitals": {"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 36.6,
                     "pain_score": 8}}, Outcome.DEFER),
        ({"conditions": [{"code": "C50.9", "status": "active"}]}, Outcome.CONTRAINDICATED),
        ({"vitals": {"systolic_mmhg": 120, "diastolic_mmhg": 80, "temperature_c": 36.6}},
         Outcome.INSUFFICIENT_DATA),
    ],
    ids=["defer", "contraindicated", "insufficient-data"],
)  # fmt: skip
def test_clearance_never_lifts_defer_contraindicated_or_insufficient_data(
    make_engine, make_patient, fields: dict[str, Any], expected: Outcome
) -> None:
    decision = make_engine().evaluate(
        make_patient(clearances=[_clearance()], **fields), "probe", as_of=AS_OF
    )
    assert decision.outcome is expected
    assert not decision.permitted
    assert all(
        f.cleared_by is None
        for f in decision.findings
        if f.outcome is not Outcome.REQUIRES_CLEARANCE
    )


@pytest.mark.parametrize(
    "clearance",
    [
        _clearance(valid_until="2026-11-26"),
        _clearance(date="2026-11-28"),
        _clearance(technique="another-technique"),
    ],
    ids=["expired", "not-yet-given", "for-another-technique"],
)
def test_clearance_that_does_not_hold_today_for_this_technique_does_not_count(
    make_engine, make_patient, clearance: dict[str, str]
) -> None:
    hernias = [
        {"region": "lumbar", "level": "L4-L5", "kind": "sequestration", "phase": "remission",
         "size_mm": 6.0, "surgery_indicated": False}
    ]  # fmt: skip
    patient = make_patient(hernias=hernias, clearances=[clearance])
    decision = make_engine().evaluate(patient, "probe", as_of=AS_OF)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert not decision.permitted
    assert by_rule(decision)["core.disc-prolapsed"].cleared_by is None


def test_clearance_on_its_last_day_still_counts(make_engine, make_patient) -> None:
    course = {"end_date": (AS_OF - timedelta(days=30)).isoformat()}
    patient = make_patient(
        massage_courses=[course], clearances=[_clearance(valid_until=AS_OF.isoformat())]
    )
    assert make_engine().evaluate(patient, "probe", as_of=AS_OF).permitted


def test_cleared_finding_does_not_hide_a_stricter_one(make_engine, make_patient) -> None:
    course = {"end_date": (AS_OF - timedelta(days=30)).isoformat()}
    patient = make_patient(
        massage_courses=[course], clearances=[_clearance()], inflammatory_process=True
    )
    decision = make_engine().evaluate(patient, "probe", as_of=AS_OF)
    assert by_rule(decision)["core.course-break"].effective_outcome is Outcome.ALLOWED
    assert decision.outcome is Outcome.DEFER


def test_findings_at_least_filters_by_effective_outcome() -> None:
    decision = Decision(
        "probe",
        "P",
        (
            finding(Outcome.REQUIRES_CLEARANCE, "Dr"),
            finding(Outcome.DEFER),
            finding(Outcome.ALLOWED_WITH_MODIFICATIONS),
        ),
    )
    assert [f.outcome for f in decision.findings_at_least(Outcome.REQUIRES_CLEARANCE)] == [
        Outcome.DEFER
    ]


# --------------------------------------------------------------------------- fingerprint


def test_fingerprint_is_stable_for_the_same_rules_and_policy(
    make_engine, plugin_class, make_patient
) -> None:
    first = make_engine(plugin_class("probe", [size_rule()]))
    second = make_engine(plugin_class("probe", [size_rule()]))
    assert first.fingerprint == second.fingerprint
    assert first.assess(make_patient(), as_of=AS_OF).ruleset_fingerprint == first.fingerprint
    other_patient = make_patient(age=70, id="T-002")
    assert first.assess(other_patient).ruleset_fingerprint == first.fingerprint


@pytest.mark.parametrize(
    ("rules", "policy"),
    [
        ([size_rule(threshold=9)], Policy()),
        ([size_rule(outcome=Outcome.DEFER)], Policy()),
        ([size_rule(), size_rule(threshold=12, rule_id="probe.huge-hernia")], Policy()),
        ([], Policy()),
        ([size_rule()], Policy(severe_pain_score=6)),
        ([size_rule()], Policy(min_course_break_days=90)),
    ],
    ids=["threshold", "outcome", "added-rule", "removed-rule", "pain-policy", "break-policy"],
)
def test_fingerprint_changes_when_a_rule_or_the_policy_changes(
    make_engine, plugin_class, rules: list[Rule], policy: Policy
) -> None:
    baseline = make_engine(plugin_class("probe", [size_rule()])).fingerprint
    changed = make_engine(plugin_class("probe", rules), policy=policy).fingerprint
    assert changed != baseline


# --------------------------------------------------------------------------- JSON output


@pytest.fixture
def mixed_assessment(make_engine, plugin_class, make_patient) -> tuple[Engine, Any]:
    engine = make_engine(
        plugin_class("probe"), plugin_class("strict", [size_rule(3, "strict", "strict.size")])
    )
    patient = make_patient(vitals={"systolic_mmhg": 120, "diastolic_mmhg": 80, "pain_score": 2})
    return engine, engine.assess(patient, as_of=AS_OF)


def test_assessment_json_round_trips_and_is_deterministic(mixed_assessment) -> None:
    _, assessment = mixed_assessment
    text = dumps(assessment)
    assert json.loads(text) == json.loads(json.dumps(assessment_to_dict(assessment)))
    assert dumps(assessment) == text
    assert json.loads(dumps(json.loads(text))) == json.loads(text)


def test_assessment_json_is_an_audit_record(mixed_assessment) -> None:
    engine, assessment = mixed_assessment
    data = json.loads(dumps(assessment))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["patient_id"] == "T-001"
    assert data["as_of"] == "2026-11-27"
    assert data["ruleset_fingerprint"] == engine.fingerprint
    assert {(p["name"], p["version"]) for p in data["plugins"]} == {
        ("probe-plugin", "unregistered"),
        ("strict-plugin", "unregistered"),
    }
    decisions = {d["technique"]: d for d in data["decisions"]}
    # Temperature is missing, so neither technique is permitted.
    for decision in decisions.values():
        assert decision["outcome"] in {"insufficient-data", "contraindicated"}
        assert decision["permitted"] is False
        assert decision["protocol"] is None
    strict = {f["rule_id"]: f for f in decisions["strict"]["findings"]}
    size = strict["strict.size"]
    assert size["outcome"] == "contraindicated"
    assert size["message"] == "Too large for this technique in the tests."
    assert size["source"] == "test suite"
    assert size["evidence"] == {"max_hernia_size_mm": 4.0}
    assert size["explanation"] == "largest hernia (mm) 4 ≥ 3"
    temperature = strict["core.raised-temperature"]
    assert temperature["outcome"] == "insufficient-data"
    assert temperature["evidence"] == {"temperature_c": None}
    assert decisions["strict"]["outcome"] == "contraindicated"


def test_permitted_decision_carries_its_protocol_in_json(make_engine, make_patient) -> None:
    assessment = make_engine().assess(make_patient(), as_of=AS_OF)
    data = json.loads(dumps(assessment))
    (decision,) = data["decisions"]
    assert decision["outcome"] == "allowed"
    assert decision["permitted"] is True
    assert decision["protocol"]["technique"] == "probe"
    assert decision["protocol"]["session_minutes"] == [10.0, 20.0]
    assert decision["protocol"]["steps"][0]["name"] == "stroking"
    assert data["ranking"] == ["probe"]


# --------------------------------------------------------------------------- API


def test_unknown_technique_is_a_key_error_naming_the_known_ones(make_engine, make_patient) -> None:
    engine = make_engine()
    with pytest.raises(KeyError, match="probe"):
        engine.evaluate(make_patient(), "nonexistent", as_of=AS_OF)
    with pytest.raises(KeyError, match="nonexistent"):
        engine.assess(make_patient(), as_of=AS_OF, techniques=["nonexistent"])


def test_assess_can_be_limited_to_named_techniques(make_engine, plugin_class, make_patient) -> None:
    engine = make_engine(plugin_class("one"), plugin_class("two"))
    assessment = engine.assess(make_patient(), as_of=AS_OF, techniques=["two"])
    assert [d.technique for d in assessment.decisions] == ["two"]


def test_engine_only_accepts_patients(make_engine) -> None:
    with pytest.raises(TypeError, match="Patient"):
        make_engine().assess({"id": "P-1"})  # type: ignore[arg-type]


def test_ranking_puts_the_best_match_to_the_indications_first(
    make_engine, plugin_class, make_patient
) -> None:
    engine = make_engine(
        plugin_class("a-general", indications=("prevention",)),
        plugin_class("b-weakness", indications=("muscle-weakness", "compression")),
    )
    assessment = engine.assess(make_patient(indications=["muscle-weakness"]), as_of=AS_OF)
    assert assessment.ranking == ("b-weakness", "a-general")


def test_course_is_planned_only_when_permitted(make_engine, make_patient) -> None:
    engine = make_engine()
    plan = engine.plan_course(make_patient(), "probe", AS_OF)
    assert [s.number for s in plan.sessions] == list(range(1, 11))
    assert plan.sessions[0].date == AS_OF
    assert plan.next_course_earliest > plan.last_session + timedelta(days=59)
    acute = make_patient(
        hernias=[
            {
                "region": "lumbar",
                "level": "L4-L5",
                "kind": "protrusion",
                "phase": "acute",
                "size_mm": 4.0,
                "surgery_indicated": False,
            }
        ]
    )
    with pytest.raises(NotPermittedError) as caught:
        engine.plan_course(acute, "probe", AS_OF)
    assert caught.value.decision.outcome is Outcome.DEFER
    assert "core.acute-phase" in str(caught.value)


def test_planned_next_course_is_the_first_day_the_course_break_rule_is_quiet(
    make_engine, make_patient
) -> None:
    engine = make_engine()
    plan = engine.plan_course(make_patient(), "probe", AS_OF)
    course = [{"end_date": plan.last_session.isoformat()}]
    patient = make_patient(massage_courses=course)
    on_the_day = engine.evaluate(patient, "probe", as_of=plan.next_course_earliest)
    day_before = engine.evaluate(
        patient, "probe", as_of=plan.next_course_earliest - timedelta(days=1)
    )
    assert "core.course-break" not in by_rule(on_the_day)
    assert by_rule(day_before)["core.course-break"].outcome is Outcome.REQUIRES_CLEARANCE
