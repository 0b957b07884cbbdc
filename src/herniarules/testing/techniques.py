"""Test classes for a technique plugin: the checks every technique's tests would repeat.

A plugin's tests subclass one of them, name the plugin and what it declares, and keep only the
tests of what is particular to the technique::

    from herniarules.testing import ApprovalTechniqueTests
    import herniarules_acupressure
    from herniarules_acupressure import AcupressureParameters

    class TestAcupressure(ApprovalTechniqueTests):
        plugin = herniarules_acupressure
        technique = "acupressure"
        parameters = AcupressureParameters
        indications = frozenset({"pain-relief", "muscle-relaxation"})
        ranges = ((10.0, 15.0), (10, 12))
        stricter = AcupressureParameters(session_minutes_min=8, session_minutes_max=10)
        stricter_ranges = ((8, 10), (10, 12))
        looser = ({"session_minutes_max": 16}, {"course_sessions_max": 13})

* :class:`TechniqueTests`: the plugin loads and declares the technique with its indications and
  default parameters, the default protocol states the source's session and course ranges, a
  clinic's stricter parameters shape the protocol (and fit its steps in the session), and each
  looser change of the parameters is refused.
* :class:`ApprovalTechniqueTests`: those, for a further type of massage
  (:mod:`herniarules.approval`), and the promises of its doctor's approval: without a valid
  clearance (none, expired, dated after the visit, for another technique) the technique
  requires clearance and no course is planned; a valid one satisfies the approval and names
  its physician; the course plan has the protocol's fewest sessions; a clearance never lifts
  the acute-stage deferral or a contraindication; the protocol keeps off the spinous
  processes and the hernia and says that a doctor approves it.

Each class builds one engine holding only the core and :attr:`~TechniqueTests.plugin`.
:func:`healthy_patient` and :func:`clearance_for` build the patients the checks use, for the
plugin's own tests too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, ClassVar, cast

import attrs
import pytest
from attrs import AttrsInstance

from herniarules.engine import Engine, NotPermittedError
from herniarules.model import (
    Clearance,
    ClinicalStatus,
    Condition,
    Hernia,
    HerniaKind,
    Medication,
    Patient,
    Phase,
    Region,
    Sex,
    Vitals,
)
from herniarules.outcomes import Decision, Outcome, Protocol
from herniarules.testing.strategies import AS_OF

__all__ = [
    "ApprovalTechniqueTests",
    "TechniqueTests",
    "clearance_for",
    "healthy_patient",
]

#: The physician who signs the clearances :func:`clearance_for` builds.
PHYSICIAN = "Dr. Ivanova"


def healthy_patient(
    *,
    id: str = "PATIENT-1",
    phase: Phase = Phase.REMISSION,
    region: Region = Region.LUMBAR,
    level: str = "L4-L5",
    clearances: Sequence[Clearance] = (),
    medications: Sequence[Medication] = (),
    conditions: Sequence[Condition] = (),
) -> Patient:
    """Return a man of 45 in good general health with one small (4 mm) protrusion.

    Blood pressure 125/80 mmHg, 36.6 °C, pain 2 of 10, no inflammatory process: no core rule
    fires unless a test adds something.
    """
    return Patient(
        id=id,
        age=45,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=125, diastolic_mmhg=80, temperature_c=36.6, pain_score=2),
        hernias=(Hernia(region, level, HerniaKind.PROTRUSION, phase, 4.0, False),),
        inflammatory_process=False,
        clearances=tuple(clearances),
        medications=tuple(medications),
        conditions=tuple(conditions),
    )


def clearance_for(
    technique: str,
    *,
    as_of: date = AS_OF,
    days_before: int = 7,
    valid_until: date | None = None,
    physician: str = PHYSICIAN,
) -> Clearance:
    """Return a clearance for ``technique`` signed ``days_before`` days before ``as_of``.

    A negative ``days_before`` dates it after ``as_of``.
    """
    return Clearance(
        technique=technique,
        physician=physician,
        date=as_of - timedelta(days=days_before),
        valid_until=valid_until,
    )


class TechniqueTests:
    """Base test class for a technique plugin; subclass it as ``Test<Technique>``.

    This base class's name does not start with ``Test``, so pytest never collects it alone.
    """

    plugin: ClassVar[object] = None
    """The plugin module or object under test."""
    technique: ClassVar[str] = ""
    """The id of the technique it declares."""
    parameters: ClassVar[type[Any]]
    """The technique's parameters class; its defaults are the technique's parameters."""
    indications: ClassVar[frozenset[str]]
    """The technique's indications, exactly."""
    ranges: ClassVar[tuple[tuple[float, float], tuple[int, int]]]
    """The default protocol's session minutes and course sessions, as the source states them."""
    stricter: ClassVar[object]
    """A stricter parameters instance a clinic may pass."""
    stricter_ranges: ClassVar[tuple[tuple[float, float], tuple[int, int]]]
    """The session minutes and course sessions of the protocol under :attr:`stricter`."""
    looser: ClassVar[Sequence[Mapping[str, object]]]
    """Changes of the default parameters that must be refused, each alone."""
    refused_with: ClassVar[tuple[type[Exception], ...]] = (ValueError, TypeError)
    """The errors a looser change may be refused with."""
    as_of: ClassVar[date] = AS_OF
    """The day of every assessment."""
    _engines: ClassVar[dict[int, Engine]] = {}

    @classmethod
    def engine(cls, **options: Any) -> Engine:
        """Return an engine holding the core and :attr:`plugin`; built once without options."""
        if cls.plugin is None or not cls.technique:
            raise TypeError(f"{cls.__name__} must set 'plugin' and 'technique'")
        if options:
            return Engine(plugins=[cls.plugin], entry_points=False, **options)
        key = id(cls.plugin)
        if key not in TechniqueTests._engines:
            TechniqueTests._engines[key] = Engine(plugins=[cls.plugin], entry_points=False)
        return TechniqueTests._engines[key]

    @classmethod
    def patient(cls, **changes: Any) -> Patient:
        """Return :func:`healthy_patient` with ``changes``."""
        return healthy_patient(**changes)

    @classmethod
    def evaluate(cls, patient: Patient, engine: Engine | None = None) -> Decision:
        """Return the decision on the technique for ``patient`` on :attr:`as_of`."""
        return (engine or cls.engine()).evaluate(patient, cls.technique, as_of=cls.as_of)

    @classmethod
    def permitted_patient(cls) -> Patient:
        """Return a patient the technique is permitted for (the default: a healthy patient)."""
        return cls.patient()

    @classmethod
    def protocol(cls, engine: Engine | None = None) -> Protocol:
        """Return the protocol of :meth:`permitted_patient`; fail if there is none."""
        decision = cls.evaluate(cls.permitted_patient(), engine)
        assert decision.protocol is not None, f"{cls.technique} not permitted: {decision}"
        return decision.protocol

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Run the looser-parameters test once per change in :attr:`looser`."""
        if "looser_change" in metafunc.fixturenames:
            metafunc.parametrize(
                "looser_change", list(self.looser), ids=[repr(dict(c)) for c in self.looser]
            )

    def test_plugin_loads_and_declares_the_technique(self) -> None:
        """The plugin loads without error and declares the technique as stated."""
        engine = self.engine()
        assert [p.error for p in engine.plugins] == [None]
        technique = engine.technique(self.technique)
        assert set(technique.indications) == self.indications
        assert isinstance(technique.parameters, self.parameters)
        assert technique.parameters == self.parameters()

    def test_default_protocol_states_the_sources_ranges(self) -> None:
        """The default protocol's session and course ranges are the stated ones."""
        protocol = self.protocol()
        assert protocol.technique == self.technique
        assert (protocol.session_minutes, protocol.course_sessions) == self.ranges

    def test_clinic_may_tighten_the_parameters_and_the_protocol_follows(self) -> None:
        """A clinic's stricter parameters are accepted and shape the protocol."""
        strict = self.stricter
        assert type(strict) is self.parameters
        protocol = self.protocol(self.engine(parameters={self.technique: strict}))
        assert (protocol.session_minutes, protocol.course_sessions) == self.stricter_ranges
        assert sum(s.minutes or 0 for s in protocol.steps) <= protocol.session_minutes[1]
        assert dict(protocol.parameters) == attrs.asdict(cast(AttrsInstance, strict))

    def test_parameters_can_only_be_tightened(self, looser_change: Mapping[str, object]) -> None:
        """Each looser change of the default parameters is refused."""
        with pytest.raises(self.refused_with):
            attrs.evolve(self.parameters(), **looser_change)


class ApprovalTechniqueTests(TechniqueTests):
    """Base test class for a further type of massage: :class:`TechniqueTests` and the approval."""

    @classmethod
    def approval(cls) -> str:
        """Return the id of the technique's approval rule."""
        return f"{cls.technique}.physician-approval"

    @classmethod
    def cleared(cls, **changes: Any) -> Patient:
        """Return :meth:`patient` with ``changes`` and a valid clearance for the technique."""
        return cls.patient(clearances=(clearance_for(cls.technique, as_of=cls.as_of),), **changes)

    @classmethod
    def permitted_patient(cls) -> Patient:
        """Return a healthy patient with a valid clearance for the technique."""
        return cls.cleared()

    def test_the_technique_cites_the_further_types_passage(self) -> None:
        """The technique's source is the passage naming it among the further types."""
        technique = self.engine().technique(self.technique)
        assert self.technique in technique.source

    def test_without_clearance_it_requires_a_doctors_approval(self) -> None:
        """Without a clearance the technique requires one, for the approval rule alone."""
        decision = self.evaluate(self.patient())
        assert decision.outcome is Outcome.REQUIRES_CLEARANCE
        assert not decision.permitted
        assert decision.protocol is None
        approval = [f for f in decision.findings if f.rule_id == self.approval()]
        assert len(approval) == 1
        assert "approved by a doctor" in approval[0].source

    def test_valid_clearance_satisfies_the_approval(self) -> None:
        """A valid clearance for the technique satisfies the approval."""
        decision = self.evaluate(self.cleared())
        assert decision.permitted
        assert decision.protocol is not None
        (approval,) = [f for f in decision.findings if f.rule_id == self.approval()]
        assert approval.cleared_by == PHYSICIAN
        assert approval.effective_outcome is Outcome.ALLOWED

    def test_expired_clearance_does_not_satisfy_the_approval(self) -> None:
        """A clearance that lapsed the day before does not count."""
        expired = clearance_for(
            self.technique,
            as_of=self.as_of,
            days_before=90,
            valid_until=self.as_of - timedelta(days=1),
        )
        decision = self.evaluate(self.patient(clearances=(expired,)))
        assert decision.outcome is Outcome.REQUIRES_CLEARANCE
        assert not decision.permitted

    def test_clearance_dated_after_the_visit_does_not_count(self) -> None:
        """A clearance signed the day after the assessment does not count."""
        future = clearance_for(self.technique, as_of=self.as_of, days_before=-1)
        decision = self.evaluate(self.patient(clearances=(future,)))
        assert decision.outcome is Outcome.REQUIRES_CLEARANCE
        assert not decision.permitted

    def test_clearance_for_another_technique_does_not_satisfy_the_approval(self) -> None:
        """A clearance for classic massage does not approve this technique."""
        other = clearance_for("classic", as_of=self.as_of)
        decision = self.evaluate(self.patient(clearances=(other,)))
        assert decision.outcome is Outcome.REQUIRES_CLEARANCE
        assert not decision.permitted

    @pytest.mark.parametrize("phase", [Phase.ACUTE, Phase.EXACERBATION])
    def test_clearance_never_lifts_the_acute_stage_deferral(self, phase: Phase) -> None:
        """Acute stage and exacerbation defer the technique, clearance or not."""
        decision = self.evaluate(self.cleared(phase=phase))
        assert decision.outcome is Outcome.DEFER
        assert not decision.permitted
        assert decision.protocol is None

    def test_clearance_never_lifts_a_contraindication(self) -> None:
        """Active cancer contraindicates the technique, clearance or not."""
        cancer = Condition(ClinicalStatus.ACTIVE, code="C34.1")
        decision = self.evaluate(self.cleared(conditions=(cancer,)))
        assert decision.outcome is Outcome.CONTRAINDICATED
        assert not decision.permitted

    def test_protocol_avoids_the_spine_and_the_hernia_and_needs_approval(self) -> None:
        """The protocol fits the session, keeps off the spine and the hernia, needs approval."""
        protocol = self.protocol()
        assert sum(s.minutes or 0 for s in protocol.steps) <= protocol.session_minutes[1]
        assert any("spinous processes" in a for a in protocol.avoid)
        assert any("hernia" in a for a in protocol.avoid)
        assert any("approved by a doctor" in n for n in protocol.notes)

    def test_course_plan_uses_the_protocols_fewest_sessions(self) -> None:
        """The course starts on the day asked, with the fewest sessions, none too long."""
        patient = self.permitted_patient()
        plan = self.engine().plan_course(patient, self.technique, self.as_of)
        protocol = self.protocol()
        assert len(plan.sessions) == protocol.course_sessions[0]
        assert all(s.minutes <= protocol.session_minutes[1] for s in plan.sessions)
        assert plan.sessions[0].date == self.as_of

    def test_no_course_is_planned_without_clearance(self) -> None:
        """Without a clearance no course is planned, and the refusal names the approval."""
        with pytest.raises(NotPermittedError) as refused:
            self.engine().plan_course(self.patient(), self.technique, self.as_of)
        assert self.approval() in str(refused.value)
