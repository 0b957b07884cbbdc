"""Body sites and clearances: what a technique covers; clearances for missing techniques."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import attrs
import pytest

from herniarules import (
    ClinicalStatus,
    Condition,
    Engine,
    Outcome,
    Patient,
    Protocol,
    Site,
    Technique,
    dumps,
    hookimpl,
    patient_from_dict,
)
from herniarules.safety import LOCAL_CONCEPTS, core_rules
from tests.conftest import CLEAR_PATIENT

AS_OF = date(2026, 11, 27)


def _back_protocol(facts: Any, parameters: Any) -> Protocol:
    return Protocol(
        technique="backwork",
        steps=(),
        session_minutes=(10, 20),
        course_sessions=(5, 10),
        pressure="light",
        avoid=("the vertebrae",),
    )


def _builder(facts: Any, parameters: Any) -> Protocol:
    raise AssertionError("not called")


class _BackOnly:
    """A technique that works on the back only, with no rules of its own."""

    technique = Technique(
        id="backwork",
        name="Back work",
        description="Massage of the back.",
        source="clinical convention",
        area=(Site.BACK,),
        protocol=_back_protocol,
    )

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [self.technique]

    @hookimpl
    def herniarules_rules(self, policy: Any) -> list[Any]:
        return []


def _engine() -> Engine:
    return Engine(entry_points=False, plugins=[_BackOnly()])


def _patient(*conditions: Condition) -> Patient:
    return attrs.evolve(patient_from_dict(CLEAR_PATIENT), conditions=conditions)


def test_technique_area_defaults_to_the_whole_body_and_is_a_closed_vocabulary() -> None:
    plain = Technique(id="t", name="T", description="d", source="s", protocol=_builder)
    assert plain.area == frozenset({Site.WHOLE_BODY})
    assert Technique(
        id="t", name="T", description="d", source="s", protocol=_builder, area=("back",)
    ).area == {Site.BACK}
    with pytest.raises(ValueError, match="did you mean"):
        Technique(id="t", name="T", description="d", source="s", protocol=_builder, area=("bak",))
    with pytest.raises(ValueError, match="at least one site"):
        Technique(id="t", name="T", description="d", source="s", protocol=_builder, area=())


@pytest.mark.parametrize(
    ("area", "site", "treats"),
    [
        ((Site.BACK,), Site.LUMBAR, True),  # the lumbar region is part of the back
        ((Site.LUMBAR,), Site.BACK, True),  # a condition "on the back" may be on the lumbar part
        ((Site.BACK,), Site.LEGS, False),
        ((Site.BACK,), Site.NECK, False),
        ((Site.WHOLE_BODY,), Site.LEGS, True),
        ((Site.BACK,), Site.WHOLE_BODY, True),
    ],
)
def test_a_technique_treats_the_sites_that_overlap_its_area(
    area: tuple[Site, ...], site: Site, treats: bool
) -> None:
    technique = Technique(
        id="t", name="T", description="d", source="s", protocol=_builder, area=area
    )
    assert technique.treats(site) is treats


def test_varicose_veins_skin_disease_and_rashes_are_the_local_concepts() -> None:
    local = {rule.id for rule in core_rules() if rule.local}
    assert local == {
        "core.varicose-veins",
        "core.varicose-veins-requires-clearance",
        "core.skin-pathology",
        "core.skin-pathology-requires-clearance",
        "core.purulent-skin-rash",
    }
    assert {"varicose-veins", "skin-pathology", "purulent-skin-rash"} == set(LOCAL_CONCEPTS)


def test_leg_varicose_veins_let_a_back_technique_go_ahead_avoiding_the_legs() -> None:
    decision = _engine().evaluate(
        _patient(Condition(ClinicalStatus.ACTIVE, code="I83.9")), "backwork", as_of=AS_OF
    )
    assert decision.outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    assert decision.permitted
    (finding,) = decision.findings
    assert finding.rule_id == "core.varicose-veins"
    assert finding.site == "legs"
    assert "outside the area Back work works on" in finding.message
    assert decision.protocol is not None
    assert decision.protocol.avoid == ("the vertebrae", "legs: varicose veins (phlebeurysm)")
    record = json.loads(dumps(decision))
    assert record["findings"][0]["site"] == "legs"
    assert "legs: varicose veins (phlebeurysm)" in record["protocol"]["avoid"]


@pytest.mark.parametrize(
    "condition",
    [
        Condition(ClinicalStatus.ACTIVE, concept="varicose-veins"),  # site unknown
        Condition(ClinicalStatus.ACTIVE, code="I83.9", site=Site.LUMBAR),  # recorded on the back
        Condition(ClinicalStatus.ACTIVE, concept="varicose-veins", site=Site.WHOLE_BODY),
    ],
)
def test_varicose_veins_of_unknown_site_or_inside_the_area_still_contraindicate(
    condition: Condition,
) -> None:
    decision = _engine().evaluate(_patient(condition), "backwork", as_of=AS_OF)
    assert decision.outcome is Outcome.CONTRAINDICATED
    assert not decision.permitted


def test_one_sited_and_one_unsited_condition_of_a_local_rule_still_block() -> None:
    decision = _engine().evaluate(
        _patient(
            Condition(ClinicalStatus.ACTIVE, code="I83.9"),
            Condition(ClinicalStatus.ACTIVE, concept="varicose-veins"),
        ),
        "backwork",
        as_of=AS_OF,
    )
    assert decision.outcome is Outcome.CONTRAINDICATED


def test_a_whole_body_technique_is_still_stopped_by_leg_varicose_veins() -> None:
    decision = Engine().evaluate(
        _patient(Condition(ClinicalStatus.ACTIVE, code="I83.9")), "hydromassage", as_of=AS_OF
    )
    assert "core.varicose-veins" in {
        f.rule_id for f in decision.findings if f.outcome is Outcome.CONTRAINDICATED
    }
    assert not decision.permitted


def test_a_non_local_rule_is_not_lifted_by_a_site() -> None:
    # Malignancy is not local: a cancer "on the legs" stops every technique.
    decision = _engine().evaluate(
        _patient(Condition(ClinicalStatus.ACTIVE, code="C43.7", site=Site.LEGS)),
        "backwork",
        as_of=AS_OF,
    )
    assert decision.outcome is Outcome.CONTRAINDICATED


def test_the_fingerprint_names_each_techniques_area() -> None:
    class _Wider(_BackOnly):
        technique = Technique(
            id="backwork",
            name="Back work",
            description="Massage of the back.",
            source="clinical convention",
            area=(Site.BACK, Site.LEGS),
            protocol=_back_protocol,
        )

    wider = Engine(entry_points=False, plugins=[_Wider()])
    assert wider.fingerprint != _engine().fingerprint


def test_a_clearance_for_a_technique_not_installed_is_reported() -> None:
    from herniarules import Clearance

    patient = attrs.evolve(
        patient_from_dict(CLEAR_PATIENT),
        clearances=(
            Clearance(technique="backwork", physician="Dr A", date=AS_OF),
            Clearance(technique="shiatsu", physician="Dr B", date=AS_OF),
        ),
    )
    assessment = _engine().assess(patient, as_of=AS_OF)
    assert assessment.unmatched_clearances == ("shiatsu",)
    assert json.loads(dumps(assessment))["unmatched_clearances"] == ["shiatsu"]
