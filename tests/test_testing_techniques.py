"""herniarules.testing.techniques: its checks pass a sound plugin and fail a broken one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import herniarules_acupressure
import pytest
from herniarules_acupressure import AcupressureParameters
from herniarules_segmental import SegmentalParameters

from herniarules import Policy, Rule, Technique, hookimpl
from herniarules.testing import (
    AS_OF,
    ApprovalTechniqueTests,
    TechniqueTests,
    clearance_for,
    healthy_patient,
)

# A failed check is an AssertionError, or pytest's Failed where pytest.raises saw no error.
CHECK_FAILS = (AssertionError, pytest.fail.Exception)


class Acupressure(ApprovalTechniqueTests):
    plugin = herniarules_acupressure
    technique = "acupressure"
    parameters = AcupressureParameters
    indications = frozenset({"pain-relief", "muscle-relaxation"})
    ranges = ((10.0, 15.0), (10, 12))
    stricter = AcupressureParameters(session_minutes_max=12, course_sessions_min=8)
    stricter_ranges = ((10.0, 12), (8, 12))
    looser = ({"session_minutes_max": 16}, {"seconds_per_point": 90})


class WithoutApproval:
    """Acupressure's technique with none of its rules: no doctor's approval is asked."""

    __name__ = "acupressure-without-approval"

    @hookimpl
    def herniarules_techniques(self) -> Sequence[Technique]:
        return [herniarules_acupressure.TECHNIQUE]

    @hookimpl
    def herniarules_rules(self, policy: Policy) -> Sequence[Rule]:
        return []


class AcupressureWithoutApproval(Acupressure):
    plugin = WithoutApproval()


def _checks(cls: type[TechniqueTests]) -> list[Callable[[], None]]:
    """Return every check of ``cls`` as a call, once per case of a parametrised one."""
    instance = cls()
    calls: list[Callable[[], None]] = []
    for name in sorted(dir(cls)):
        if not name.startswith("test_"):
            continue
        method: Any = getattr(instance, name)
        if name == "test_parameters_can_only_be_tightened":
            calls += [lambda m=method, c=change: m(c) for change in cls.looser]
        elif name == "test_clearance_never_lifts_the_acute_stage_deferral":
            marks = getattr(method, "pytestmark", [])
            (phases,) = [m.args[1] for m in marks if m.name == "parametrize"]
            calls += [lambda m=method, p=phase: m(p) for phase in phases]
        else:
            calls.append(method)
    return calls


def test_every_check_passes_a_sound_further_type() -> None:
    calls = _checks(Acupressure)
    assert len(calls) == 17
    for call in calls:
        call()


@pytest.mark.parametrize(
    "check",
    [
        "test_without_clearance_it_requires_a_doctors_approval",
        "test_expired_clearance_does_not_satisfy_the_approval",
        "test_clearance_dated_after_the_visit_does_not_count",
        "test_clearance_for_another_technique_does_not_satisfy_the_approval",
        "test_no_course_is_planned_without_clearance",
    ],
)
def test_a_further_type_without_its_approval_fails_the_approval_checks(check: str) -> None:
    with pytest.raises(CHECK_FAILS):
        getattr(AcupressureWithoutApproval(), check)()


def test_wrong_ranges_and_a_looser_change_that_is_accepted_fail() -> None:
    class WrongRanges(Acupressure):
        ranges = ((10.0, 15.0), (10, 15))
        stricter_ranges = ((10.0, 12), (10, 12))

    with pytest.raises(CHECK_FAILS):
        WrongRanges().test_default_protocol_states_the_sources_ranges()
    with pytest.raises(CHECK_FAILS):
        WrongRanges().test_clinic_may_tighten_the_parameters_and_the_protocol_follows()
    with pytest.raises(CHECK_FAILS):
        Acupressure().test_parameters_can_only_be_tightened({"seconds_per_point": 30})


def test_other_indications_or_parameters_fail_the_declaration_check() -> None:
    class OtherIndications(Acupressure):
        indications = frozenset({"pain-relief"})

    class OtherParameters(Acupressure):
        parameters = SegmentalParameters

    for cls in (OtherIndications, OtherParameters):
        with pytest.raises(CHECK_FAILS):
            cls().test_plugin_loads_and_declares_the_technique()


def test_looser_changes_parametrise_their_check() -> None:
    class Metafunc:
        fixturenames = ("self", "looser_change")

        def __init__(self) -> None:
            self.calls: list[tuple[str, list[object], list[str]]] = []

        def parametrize(self, name: str, values: list[object], ids: list[str]) -> None:
            self.calls.append((name, values, ids))

    metafunc = Metafunc()
    Acupressure().pytest_generate_tests(metafunc)  # type: ignore[arg-type]
    assert metafunc.calls == [
        (
            "looser_change",
            list(Acupressure.looser),
            ["{'session_minutes_max': 16}", "{'seconds_per_point': 90}"],
        )
    ]


def test_a_class_without_plugin_or_technique_says_so() -> None:
    with pytest.raises(TypeError, match="must set 'plugin' and 'technique'"):
        TechniqueTests.engine()


def test_the_patient_builders_give_a_healthy_patient_and_a_dated_clearance() -> None:
    patient = healthy_patient(clearances=[clearance_for("acupressure")])
    (clearance,) = patient.clearances
    assert clearance.technique == "acupressure"
    assert (AS_OF - clearance.date).days == 7
    assert clearance.is_valid_on(AS_OF)
    assert not clearance_for("acupressure", days_before=-1).is_valid_on(AS_OF)
    decision = Acupressure.evaluate(patient)
    assert decision.permitted
    assert [f.rule_id for f in decision.findings] == ["acupressure.physician-approval"]
