"""Hydromassage needs a doctor's approval, never overrides the core, and keeps the jet gentle.

What every further type of massage promises is checked by ``ApprovalTechniqueTests``; the
tests below are hydromassage's own.
"""

from __future__ import annotations

from datetime import timedelta

import herniarules_hydromassage as plugin
import pytest
from herniarules_hydromassage import HydromassageParameters

from herniarules import ClinicalStatus, Condition, Outcome, Policy
from herniarules.testing import ApprovalTechniqueTests


class TestHydromassage(ApprovalTechniqueTests):
    plugin = plugin
    technique = "hydromassage"
    parameters = HydromassageParameters
    indications = frozenset({"muscle-relaxation", "circulation"})
    ranges = ((10.0, 20.0), (10, 15))
    stricter = HydromassageParameters(
        session_minutes_min=8,
        session_minutes_max=10,
        course_sessions_max=10,
        water_temperature_c_max=36,
        jet_pressure_atm_max=1.5,
    )
    stricter_ranges = ((8, 10), (10, 10))
    looser = (
        {"session_minutes_max": 21},
        {"course_sessions_max": 16},
        {"water_temperature_c_max": 38},
        {"water_temperature_c_min": 34},
        {"water_temperature_c_min": 37, "water_temperature_c_max": 36},
        {"jet_pressure_atm_max": 3},
        {"spacing_days": 1},
        {"session_minutes_min": 0},
        {"course_sessions_min": True},
        {"session_minutes_min": 18, "session_minutes_max": 16},
        {"course_sessions_min": 12, "course_sessions_max": 11},
    )

    @pytest.mark.parametrize("code", ["S31.0", "s21.1", "T14.1"])
    def test_open_wound_defers_hydromassage_even_with_clearance(self, code: str) -> None:
        wound = Condition(ClinicalStatus.ACTIVE, code=code)
        decision = self.evaluate(self.cleared(conditions=(wound,)))
        assert decision.outcome is Outcome.DEFER
        assert "hydromassage.open-wound" in {f.rule_id for f in decision.findings}

    def test_healed_wound_and_unrelated_injury_do_not_defer(self) -> None:
        healed = Condition(ClinicalStatus.RESOLVED, code="S31.0")
        sprain = Condition(ClinicalStatus.ACTIVE, code="S33.5")  # lumbar sprain, skin intact
        assert self.evaluate(self.cleared(conditions=(healed, sprain))).permitted

    def test_open_wound_rule_is_limited_to_hydromassage(self) -> None:
        (rule,) = [r for r in self.engine().rules if r.id == "hydromassage.open-wound"]
        assert rule.techniques == frozenset({"hydromassage"})

    def test_protocol_keeps_the_jet_gentle_and_the_bath_warm(self) -> None:
        protocol = self.protocol()
        assert [s.name for s in protocol.steps] == ["immersion", "underwater jet massage", "rest"]
        assert "35-37 °C" in protocol.steps[0].description
        assert "at most 2 atm" in protocol.pressure

    def test_clinic_water_and_jet_limits_shape_the_protocol(self) -> None:
        protocol = self.protocol(self.engine(parameters={"hydromassage": self.stricter}))
        assert "35-36 °C" in protocol.steps[0].description
        assert "at most 1.5 atm" in protocol.pressure

    def test_course_runs_every_other_day(self) -> None:
        engine = self.engine()
        plan = engine.plan_course(self.cleared(), "hydromassage", self.as_of)
        assert len(plan.sessions) == HydromassageParameters().course_sessions_min
        gaps = {
            (b.date - a.date).days for a, b in zip(plan.sessions, plan.sessions[1:], strict=False)
        }
        assert gaps == {2}
        assert plan.start == self.as_of
        assert plan.end == self.as_of + timedelta(days=2 * (len(plan.sessions) - 1))
        assert all(s.minutes <= 20 for s in plan.sessions)
        assert plan.next_course_earliest == plan.end + timedelta(
            days=engine.policy.min_course_break_days
        )

    def test_clinic_spacing_is_followed(self) -> None:
        strict = HydromassageParameters(spacing_days=3)
        engine = self.engine(parameters={"hydromassage": strict})
        plan = engine.plan_course(self.cleared(), "hydromassage", self.as_of)
        assert plan.sessions[1].date - plan.sessions[0].date == timedelta(days=3)

    def test_clinic_break_between_courses_is_followed(self) -> None:
        engine = self.engine(policy=Policy(min_course_break_days=90))
        plan = engine.plan_course(self.cleared(), "hydromassage", self.as_of)
        assert plan.next_course_earliest == plan.end + timedelta(days=90)
