"""Tests of the kinesio example plugin: its own rules, its protocol and the conformance suite."""

from __future__ import annotations

from datetime import date

import herniarules_kinesio
import pytest
from herniarules_kinesio import KinesioParameters

from herniarules import (
    Allergy,
    ClinicalStatus,
    Condition,
    Engine,
    Hernia,
    HerniaKind,
    Outcome,
    Patient,
    Phase,
    Region,
    Sex,
    Vitals,
)
from herniarules.testing import PluginConformance, check_fails_closed, check_tamper_proof

AS_OF = date(2025, 3, 14)


class TestKinesioConformance(PluginConformance):
    """The whole conformance suite, in one line."""

    plugin = herniarules_kinesio


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(plugins=[herniarules_kinesio], entry_points=False)


def _patient(**changes: object) -> Patient:
    base: dict[str, object] = {
        "id": "K-1",
        "age": 45,
        "sex": Sex.MALE,
        "vitals": Vitals(systolic_mmhg=125, diastolic_mmhg=80, temperature_c=36.6, pain_score=2),
        "hernias": (
            Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.REMISSION, 5.0, False),
        ),
        "inflammatory_process": False,
    }
    base.update(changes)
    return Patient(**base)  # type: ignore[arg-type]


def test_clean_patient_is_permitted_with_a_protocol(engine: Engine) -> None:
    decision = engine.evaluate(_patient(), "kinesio", as_of=AS_OF)
    assert decision.outcome is Outcome.ALLOWED
    assert decision.protocol is not None
    assert "25% tension" in decision.protocol.pressure
    assert decision.protocol.steps[0].name == "Skin preparation"


@pytest.mark.parametrize("substance", ["adhesive", "acrylic", "latex"])
def test_adhesive_allergy_contraindicates(engine: Engine, substance: str) -> None:
    decision = engine.evaluate(_patient(allergies=(Allergy(substance),)), "kinesio", as_of=AS_OF)
    assert decision.outcome is Outcome.CONTRAINDICATED
    assert "kinesio.adhesive-allergy" in {f.rule_id for f in decision.findings}


def test_honey_allergy_does_not_matter_to_tape(engine: Engine) -> None:
    decision = engine.evaluate(_patient(allergies=(Allergy("honey"),)), "kinesio", as_of=AS_OF)
    assert decision.permitted


@pytest.mark.parametrize("code", ["E11.9", "E10", "E14.5"])
def test_diabetes_code_from_the_plugin_value_set_requires_clearance(
    engine: Engine, code: str
) -> None:
    patient = _patient(conditions=(Condition(ClinicalStatus.ACTIVE, code=code),))
    decision = engine.evaluate(patient, "kinesio", as_of=AS_OF)
    assert decision.outcome is Outcome.REQUIRES_CLEARANCE
    assert {f.rule_id for f in decision.findings} == {"kinesio.diabetes"}


def test_old_age_adds_a_test_strip(engine: Engine) -> None:
    decision = engine.evaluate(_patient(age=80), "kinesio", as_of=AS_OF)
    assert decision.outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    assert decision.protocol is not None
    assert "Test strip" in [s.name for s in decision.protocol.steps]


def test_large_or_unmeasured_hernia_requires_clearance(engine: Engine) -> None:
    big = Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.REMISSION, 12.0, False)
    assert engine.evaluate(_patient(hernias=(big,)), "kinesio", as_of=AS_OF).outcome is (
        Outcome.REQUIRES_CLEARANCE
    )
    unmeasured = Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.REMISSION, None, False)
    decision = engine.evaluate(_patient(hernias=(unmeasured,)), "kinesio", as_of=AS_OF)
    assert not decision.permitted
    assert decision.outcome is Outcome.INSUFFICIENT_DATA


def test_acute_stage_is_deferred_by_the_core(engine: Engine) -> None:
    acute = Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.ACUTE, 4.0, False)
    decision = engine.evaluate(_patient(hernias=(acute,)), "kinesio", as_of=AS_OF)
    assert decision.outcome is Outcome.DEFER
    assert "core.acute-phase" in {f.rule_id for f in decision.findings}


def test_clinic_parameters_reach_the_protocol() -> None:
    engine = Engine(
        plugins=[herniarules_kinesio],
        entry_points=False,
        parameters={"kinesio": KinesioParameters(tension_percent=10, wear_days=2)},
    )
    protocol = engine.evaluate(_patient(), "kinesio", as_of=AS_OF).protocol
    assert protocol is not None
    assert protocol.parameters == {"tension_percent": 10, "wear_days": 2}
    assert "10% tension" in protocol.pressure


@pytest.mark.parametrize("values", [{"tension_percent": 40}, {"wear_days": 7}, {"wear_days": 0}])
def test_parameters_cannot_be_looser_than_the_defaults(values: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        KinesioParameters(**values)


def test_installed_entry_point_is_this_plugin() -> None:
    engine = Engine(allow=["herniarules-kinesio"])
    assert [t.id for t in engine.techniques] == ["kinesio"]
    [info] = engine.plugins
    assert info.name == "herniarules-kinesio" and info.error is None


def test_the_allow_list_names_the_distribution_not_the_entry_point() -> None:
    engine = Engine(allow=["kinesio"])
    assert engine.techniques == ()
    [info] = engine.plugins
    assert info.error is not None and "herniarules-kinesio" in info.error


def test_a_raising_neighbour_fails_alone() -> None:
    # Neighbours that raise SystemExit, GeneratorExit and others in every hook and function.
    check_fails_closed(herniarules_kinesio)


def test_no_tampering_neighbour_bends_kinesio() -> None:
    # Lying subclasses, renamed techniques, a loosened policy, rewritten facts.
    check_tamper_proof(herniarules_kinesio)
