"""Segmental-reflex massage needs a doctor's approval, never overrides the core, stays light.

What every further type of massage promises is checked by ``ApprovalTechniqueTests``; the
tests below are segmental-reflex massage's own.
"""

from __future__ import annotations

import herniarules_segmental as plugin
from herniarules_segmental import SegmentalParameters

from herniarules import Region
from herniarules.testing import ApprovalTechniqueTests


class TestSegmental(ApprovalTechniqueTests):
    plugin = plugin
    technique = "segmental"
    parameters = SegmentalParameters
    indications = frozenset({"pain-relief", "circulation"})
    ranges = ((15.0, 20.0), (8, 12))
    stricter = SegmentalParameters(
        session_minutes_min=8, session_minutes_max=10, course_sessions_min=6, course_sessions_max=10
    )
    stricter_ranges = ((8, 10), (6, 10))
    looser = (
        {"session_minutes_max": 21},
        {"course_sessions_max": 13},
        {"session_minutes_min": 0},
        {"course_sessions_min": True},
        {"session_minutes_min": 18, "session_minutes_max": 16},
        {"course_sessions_min": 12, "course_sessions_max": 11},
    )

    def test_no_segmental_rule_beyond_the_approval(self) -> None:
        own = [r.id for r in self.engine().rules if r.techniques is not None]
        assert own == [self.approval()]

    def test_protocol_is_light_and_works_the_lumbar_segments_upwards(self) -> None:
        protocol = self.protocol()
        assert protocol.steps[0].pressure == "none"
        assert all(s.pressure in ("none", "light") for s in protocol.steps)
        # Segments of the lumbar region and the neighbouring ones, worked from below upwards.
        assert "L1-L5" in protocol.steps[1].description
        assert "lower segments upwards" in protocol.steps[1].description

    def test_protocol_follows_the_hernia_region(self) -> None:
        neck = self.cleared(region=Region.CERVICAL, level="C5-C6")
        protocol = self.evaluate(neck).protocol
        assert protocol is not None
        assert "C3-C7" in protocol.steps[1].description
        assert "L1-L5" not in protocol.steps[1].description
