"""Acupressure needs a doctor's approval, never overrides the core, and stays gentle.

What every further type of massage promises is checked by ``ApprovalTechniqueTests``; the
tests below are acupressure's own.
"""

from __future__ import annotations

import herniarules_acupressure as plugin
from herniarules_acupressure import AcupressureParameters

from herniarules import Medication, Region
from herniarules.testing import ApprovalTechniqueTests


class TestAcupressure(ApprovalTechniqueTests):
    plugin = plugin
    technique = "acupressure"
    parameters = AcupressureParameters
    indications = frozenset({"pain-relief", "muscle-relaxation"})
    ranges = ((10.0, 15.0), (10, 12))
    stricter = AcupressureParameters(
        session_minutes_min=8, session_minutes_max=10, course_sessions_max=10
    )
    stricter_ranges = ((8, 10), (10, 10))
    looser = (
        {"session_minutes_max": 16},
        {"course_sessions_max": 13},
        {"seconds_per_point": 90},
        {"session_minutes_min": 0},
        {"course_sessions_min": True},
        {"session_minutes_min": 15, "session_minutes_max": 12},
        {"course_sessions_min": 12, "course_sessions_max": 11},
    )

    def test_anticoagulant_therapy_is_flagged_for_the_approving_doctor(self) -> None:
        on_warfarin = (Medication("anticoagulant", "warfarin"),)
        flagged = self.evaluate(self.patient(medications=on_warfarin))
        assert "acupressure.anticoagulant-therapy" in {f.rule_id for f in flagged.findings}
        plain = self.evaluate(self.patient())
        assert "acupressure.anticoagulant-therapy" not in {f.rule_id for f in plain.findings}

    def test_protocol_is_gentle_and_works_the_points_of_the_lower_back(self) -> None:
        protocol = self.protocol()
        assert [s.name for s in protocol.steps] == ["warm-up", "point pressure", "closing"]
        assert protocol.steps[0].pressure == "none"
        assert "lower back" in protocol.steps[1].description

    def test_protocol_follows_the_hernia_region(self) -> None:
        neck = self.cleared(region=Region.CERVICAL, level="C5-C6")
        protocol = self.evaluate(neck).protocol
        assert protocol is not None
        assert "neck" in protocol.steps[1].description
        assert "lower back" not in protocol.steps[1].description
