"""A protocol builder sees only the facts it declares, and the engine reuses what it built.

A technique names in ``Technique.reads`` the facts its protocol builder reads; the builder gets
a read-only :class:`~herniarules.ProtocolFacts` holding those and nothing else, so the engine
can build the protocol once for every patient whose declared facts are equal, and only for
them. These tests pin both halves: what the builder may read, and when a protocol is reused.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import attrs
import pytest

import herniarules
from herniarules import (
    ClinicalStatus,
    Condition,
    Engine,
    Outcome,
    Protocol,
    ProtocolFacts,
    ProtocolStep,
    Site,
    Technique,
    bounded,
    hookimpl,
)
from herniarules import engine as engine_module
from herniarules.frozen import FrozenDict

AS_OF = date(2026, 11, 27)

Builder = Callable[[ProtocolFacts, Any], Protocol]


@attrs.frozen
class Params:
    minutes: int = 20


def _protocol(description: str, minutes: int = 20, pressure: str = "none") -> Protocol:
    return Protocol(
        technique="memo",
        steps=(ProtocolStep("stroking", description),),
        session_minutes=(10, minutes),
        course_sessions=(5, 10),
        pressure=pressure,
        parameters={"minutes": minutes},
    )


class Plugin:
    """One technique, ``memo``, whose builder and declared facts the test gives."""

    def __init__(
        self,
        build: Builder | None = None,
        reads: Iterable[str] = ("hernia_regions",),
        *,
        name: str = "memo-plugin",
        area: Iterable[Site] = (Site.WHOLE_BODY,),
        technique: str = "memo",
    ) -> None:
        self.technique = technique
        self.build = build or _by_regions
        self.reads = tuple(reads)
        self.area = tuple(area)
        self.__name__ = name
        self.builds: list[ProtocolFacts] = []

    @hookimpl
    def herniarules_techniques(self) -> list[Technique]:
        return [
            Technique(
                id=self.technique,
                name="Memo",
                description="A technique whose protocol the test counts.",
                source="test suite",
                parameters=Params(),
                area=self.area,
                protocol=self.protocol,
                reads=self.reads,
            )
        ]

    def protocol(self, facts: ProtocolFacts, parameters: Params) -> Protocol:
        self.builds.append(facts)
        return self.build(facts, parameters)


def _by_regions(facts: ProtocolFacts, parameters: Params) -> Protocol:
    regions = ",".join(sorted(facts.hernia_regions)) or "back"
    return _protocol(f"soft stroking over the {regions}", parameters.minutes)


def _patient(
    patient_id: str,
    region: str | None = "lumbar",
    *,
    age: int = 40,
    pain: int = 1,
    size: float | None = 3.0,
    conditions: tuple[Condition, ...] = (),
) -> herniarules.Patient:
    hernias = ()
    if region is not None:
        level = {"lumbar": "L4-L5", "cervical": "C5-C6"}[region]
        hernias = (
            herniarules.Hernia(
                region=herniarules.Region(region),
                level=level,
                kind=herniarules.HerniaKind.PROTRUSION,
                phase=herniarules.Phase.REMISSION,
                size_mm=size,
                surgery_indicated=False,
            ),
        )
    return herniarules.Patient(
        id=patient_id,
        age=age,
        sex=herniarules.Sex.MALE,
        vitals=herniarules.Vitals(120, 80, 36.6, pain),
        hernias=hernias,
        inflammatory_process=False,
        conditions=conditions,
    )


def _engine(*plugins: object, **options: Any) -> Engine:
    return Engine(list(plugins), entry_points=False, **options)


def _protocol_of(engine: Engine, patient: herniarules.Patient) -> Protocol:
    decision = engine.evaluate(patient, "memo", as_of=AS_OF)
    assert decision.permitted and decision.protocol is not None, decision
    return decision.protocol


def _failure(engine: Engine, patient: herniarules.Patient) -> str:
    decision = engine.evaluate(patient, "memo", as_of=AS_OF)
    assert not decision.permitted and decision.protocol is None
    assert decision.outcome is Outcome.INSUFFICIENT_DATA
    [failure] = [f for f in decision.findings if f.rule_id == "engine.plugin-error"]
    return failure.message


# --------------------------------------------------------------------------- what a builder sees


def test_the_builder_sees_the_declared_facts_with_the_patients_values() -> None:
    plugin = Plugin(reads=("hernia_regions", "pain_score"), build=lambda f, p: _protocol("x"))
    engine = _engine(plugin)
    patient = _patient("a", "cervical", pain=2)
    _protocol_of(engine, patient)
    [view] = plugin.builds
    facts = engine.facts(patient, AS_OF)
    assert type(view) is ProtocolFacts
    assert dir(view) == ["hernia_regions", "pain_score"]
    assert view.hernia_regions == facts.hernia_regions == frozenset({"cervical"})
    assert view.pain_score == facts.pain_score == 2
    assert repr(view) == "ProtocolFacts(hernia_regions=frozenset({'cervical'}), pain_score=2)"


def test_reading_an_undeclared_fact_raises_naming_it_and_what_is_declared() -> None:
    view = ProtocolFacts("memo", {"age": 40, "hernia_regions": frozenset()})
    assert view.age == 40
    with pytest.raises(AttributeError) as caught:
        view.pain_score  # noqa: B018 - the attribute access is what is tested
    assert str(caught.value) == (
        "the protocol of 'memo' reads facts.pain_score, which its Technique.reads does not "
        "declare (declared: age, hernia_regions)"
    )
    assert not hasattr(view, "patient_id")
    with pytest.raises(AttributeError, match=r"\(declared: none\)$"):
        ProtocolFacts("memo", {}).age  # noqa: B018 - the attribute access is what is tested


def test_the_view_is_read_only_and_a_copy_of_what_it_was_given() -> None:
    values: dict[str, Any] = {"age": 40}
    view = ProtocolFacts("memo", values)
    with pytest.raises(AttributeError, match="ProtocolFacts is read-only"):
        view.age = 18  # type: ignore[misc]
    with pytest.raises(AttributeError, match="ProtocolFacts is read-only"):
        view.pain_score = 0  # type: ignore[attr-defined]
    values["age"] = 18
    values["pain_score"] = 0
    assert view.age == 40 and dir(view) == ["age"]


def test_a_builder_reading_an_undeclared_fact_fails_its_technique_naming_the_fact() -> None:
    def reads_pain(facts: ProtocolFacts, parameters: Params) -> Protocol:
        minutes = 15 if (facts.pain_score or 0) > 2 else 20
        return _protocol(",".join(sorted(facts.hernia_regions)), minutes)

    plugin = Plugin(reads_pain, reads=("hernia_regions",))
    other = Plugin(
        lambda facts, parameters: attrs.evolve(_protocol("other"), technique="other"),
        name="other-plugin",
        technique="other",
    )
    engine = _engine(plugin, other)
    message = _failure(engine, _patient("a"))
    assert "The plugin memo-plugin unregistered that provides 'memo' failed" in message
    assert (
        "the protocol builder of 'memo' raised AttributeError: the protocol of 'memo' reads "
        "facts.pain_score, which its Technique.reads does not declare (declared: hernia_regions)"
    ) in message
    # Only that technique: the plugin stays loaded, the other technique is untouched.
    assert [info.error for info in engine.plugins] == [None, None]
    assert engine.evaluate(_patient("a"), "other", as_of=AS_OF).permitted
    # Declaring the fact is the fix.
    fixed = _engine(Plugin(reads_pain, reads=("hernia_regions", "pain_score")))
    assert _protocol_of(fixed, _patient("a", pain=3)).session_minutes == (10, 15)


# --------------------------------------------------------------------------- declaring facts


def test_reads_name_facts_and_are_kept_sorted_without_repeats() -> None:
    technique = Plugin(reads=("pain_score", "age", "pain_score")).herniarules_techniques()[0]
    assert technique.reads == ("age", "pain_score")
    assert Plugin(reads=()).herniarules_techniques()[0].reads == ()


def test_every_unknown_fact_name_is_listed() -> None:
    with pytest.raises(ValueError) as caught:
        Plugin(reads=("beta", "hernia_regions", "alpha")).herniarules_techniques()
    message = str(caught.value)
    assert message.startswith("technique 'memo': reads names unknown facts alpha, beta; ")
    assert "facts are: " in message and "hernia_regions" in message


def test_one_string_is_not_a_collection_of_fact_names() -> None:
    # "age" would otherwise read as the facts a, g and e.
    with pytest.raises(TypeError, match="reads must be a collection of fact names"):
        Technique(
            id="memo", name="M", description="d", source="s", protocol=_by_regions, reads="age"
        )


def test_a_plugin_declaring_an_unknown_fact_fails_to_load() -> None:
    engine = _engine(Plugin(reads=("hernia_size",)))
    [info] = engine.plugins
    assert info.error is not None
    assert "herniarules_techniques raised ValueError" in info.error
    assert "reads names unknown facts hernia_size" in info.error
    assert engine.techniques == ()


def test_the_fingerprint_names_the_facts_each_protocol_reads() -> None:
    regions = _engine(Plugin(reads=("hernia_regions",)))
    more = _engine(Plugin(reads=("hernia_regions", "pain_score")))
    again = _engine(Plugin(reads=("hernia_regions",)))
    assert regions.fingerprint == again.fingerprint
    assert regions.fingerprint != more.fingerprint


# --------------------------------------------------------------------------- reuse


def test_the_protocol_is_built_once_per_distinct_value_of_the_facts_it_reads() -> None:
    plugin = Plugin()
    engine = _engine(plugin)
    first = _protocol_of(engine, _patient("a", "lumbar"))
    # Another patient, another pain score: the declared fact is equal, the protocol reused.
    second = _protocol_of(engine, _patient("b", "lumbar", pain=2))
    cervical = _protocol_of(engine, _patient("c", "cervical"))
    assert first is second
    assert first.steps[0].description == "soft stroking over the lumbar"
    assert cervical.steps[0].description == "soft stroking over the cervical"
    assert [sorted(view.hernia_regions) for view in plugin.builds] == [["lumbar"], ["cervical"]]
    # Back to a value built before: reused, not built again.
    assert _protocol_of(engine, _patient("d", "lumbar")) is first
    assert len(plugin.builds) == 2


def test_a_builder_that_declares_nothing_is_built_once_for_every_patient() -> None:
    plugin = Plugin(lambda facts, parameters: _protocol("the same for all"), reads=())
    engine = _engine(plugin)
    protocols = {
        id(_protocol_of(engine, _patient(f"p{n}", region, pain=n)))
        for n, region in enumerate(["lumbar", "cervical", None, "lumbar"])
    }
    assert len(protocols) == 1
    assert len(plugin.builds) == 1 and dir(plugin.builds[0]) == []


def test_each_declared_fact_is_part_of_the_key() -> None:
    plugin = Plugin(
        lambda facts, parameters: _protocol(f"{sorted(facts.hernia_regions)} {facts.pain_score}"),
        reads=("hernia_regions", "pain_score"),
    )
    engine = _engine(plugin)
    texts = [
        _protocol_of(engine, patient).steps[0].description
        for patient in (
            _patient("a", "lumbar", pain=1),
            _patient("b", "lumbar", pain=2),
            _patient("c", "cervical", pain=1),
            _patient("d", "lumbar", pain=1),
        )
    ]
    assert texts == ["['lumbar'] 1", "['lumbar'] 2", "['cervical'] 1", "['lumbar'] 1"]
    assert len(plugin.builds) == 3


def test_a_fact_recorded_as_int_and_as_float_gets_its_own_protocol() -> None:
    # 4 == 4.0 and they hash alike, yet a protocol quoting the value prints "4" or "4.0".
    plugin = Plugin(
        lambda facts, parameters: _protocol(f"hernia of {facts.max_hernia_size_mm} mm"),
        reads=("max_hernia_size_mm",),
    )
    engine = _engine(plugin)
    as_float = _protocol_of(engine, _patient("a", size=4.0))
    as_int = _protocol_of(engine, _patient("b", size=4))
    assert as_float.steps[0].description == "hernia of 4.0 mm"
    assert as_int.steps[0].description == "hernia of 4 mm"
    assert len(plugin.builds) == 2
    assert _protocol_of(engine, _patient("c", size=4.0)) is as_float


def test_an_item_of_a_declared_collection_recorded_as_int_and_as_float_is_told_apart() -> None:
    def sizes(facts: ProtocolFacts, parameters: Params) -> Protocol:
        return _protocol(", ".join(f"{h.size_mm} mm" for h in facts.hernias))

    engine = _engine(Plugin(sizes, reads=("hernias",)))
    assert _protocol_of(engine, _patient("a", size=4.0)).steps[0].description == "4.0 mm"
    assert _protocol_of(engine, _patient("b", size=4)).steps[0].description == "4 mm"


def test_a_failed_build_is_not_kept() -> None:
    attempts: list[int] = []

    def flaky(facts: ProtocolFacts, parameters: Params) -> Protocol:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("table not loaded yet")
        return _by_regions(facts, parameters)

    engine = _engine(Plugin(flaky))
    assert "raised RuntimeError: table not loaded yet" in _failure(engine, _patient("a"))
    # The same declared facts again: built anew, and now it succeeds.
    assert _protocol_of(engine, _patient("a")).steps[0].description.endswith("lumbar")
    assert len(attempts) == 2


def test_a_protocol_of_the_wrong_type_is_not_kept() -> None:
    answers: list[object] = [None, _protocol("second answer")]

    def late(facts: ProtocolFacts, parameters: Params) -> Any:
        return answers.pop(0)

    engine = _engine(Plugin(late))
    assert "returned NoneType, not a Protocol for 'memo'" in _failure(engine, _patient("a"))
    assert _protocol_of(engine, _patient("a")).steps[0].description == "second answer"


def test_different_parameters_get_their_own_protocol() -> None:
    plugin = Plugin()
    default = _engine(plugin)
    shorter = _engine(plugin, parameters={"memo": Params(minutes=15)})
    a = _protocol_of(default, _patient("a"))
    b = _protocol_of(shorter, _patient("a"))
    assert (a.session_minutes, b.session_minutes) == ((10, 20), (10, 15))
    assert [view.hernia_regions for view in plugin.builds] == [frozenset({"lumbar"})] * 2


def test_instances_of_one_plugin_class_do_not_share_protocols() -> None:
    def pressed(pressure: str) -> Plugin:
        return Plugin(
            lambda facts, parameters: _protocol("back", pressure=pressure),
            name=f"memo-{pressure}",
        )

    light, none = _engine(pressed("light")), _engine(pressed("none"))
    patient = _patient("a")
    first, second = _protocol_of(light, patient), _protocol_of(none, patient)
    assert (first.pressure, second.pressure) == ("light", "none")
    # Each engine still reuses its own protocol.
    assert _protocol_of(light, patient) is first
    assert _protocol_of(none, patient) is second


def test_a_protocol_kept_for_reuse_does_not_carry_one_patients_avoided_sites() -> None:
    # A back-only technique goes ahead for varicose legs, avoiding the legs; the protocol
    # built for that patient must not bring the legs to the next one.
    plugin = Plugin(area=(Site.BACK,))
    engine = _engine(plugin)
    varicose = Condition(ClinicalStatus.ACTIVE, code="I83.9")
    legs = engine.evaluate(_patient("a", conditions=(varicose,)), "memo", as_of=AS_OF)
    assert legs.outcome is Outcome.ALLOWED_WITH_MODIFICATIONS
    assert legs.protocol is not None
    assert legs.protocol.avoid == ("legs: varicose veins (phlebeurysm)",)
    clear = _protocol_of(engine, _patient("b"))
    assert clear.avoid == ()
    assert len(plugin.builds) == 1


def test_a_shared_protocols_parameters_are_read_only_and_picklable() -> None:
    protocol = _protocol("lumbar", 20)
    assert isinstance(protocol.parameters, FrozenDict)
    with pytest.raises(TypeError):
        protocol.parameters["minutes"] = 90  # type: ignore[index]
    assert pickle.loads(pickle.dumps(protocol)) == protocol


def test_at_most_the_cache_size_of_protocols_is_kept_per_technique(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_module, "_PROTOCOL_CACHE_SIZE", 3)
    plugin = Plugin(lambda facts, parameters: _protocol(str(facts.age)), ("age",))
    engine = _engine(plugin)
    first = [_protocol_of(engine, _patient(f"p{n}", age=30 + n)) for n in range(5)]
    assert len(engine._slots["memo"].protocols) == 3
    assert _protocol_of(engine, _patient("again", age=34)) is first[4]
    assert _protocol_of(engine, _patient("again", age=30)) is not first[0]
    assert [view.age for view in plugin.builds] == [30, 31, 32, 33, 34, 30]


def test_the_protocols_kept_stay_within_the_byte_budget_and_the_oldest_go_first() -> None:
    plugin = Plugin(lambda facts, parameters: _protocol("x" * 200 + str(facts.age)), ("age",))
    engine = _engine(plugin)
    limit = bounded.PROTOCOLS.limit
    bounded.PROTOCOLS.resize(6_000)
    try:
        first = [_protocol_of(engine, _patient(f"p{n}", age=30 + n)) for n in range(11)]
        cache = engine._slots["memo"].protocols
        assert cache.budget is bounded.PROTOCOLS
        assert 0 < cache.bytes <= bounded.PROTOCOLS.bytes <= 6_000
        assert len(cache) < 11
        # The newest protocols are kept and reused; the oldest are built again.
        assert _protocol_of(engine, _patient("again", age=40)) is first[-1]
        assert _protocol_of(engine, _patient("again", age=30)) is not first[0]
    finally:
        bounded.PROTOCOLS.resize(limit)
    assert [view.age for view in plugin.builds] == [*range(30, 41), 30]


def test_equal_protocols_built_for_other_facts_become_one_object() -> None:
    # The builder reads the pain score but gives the same protocol for 0 and 1: the engine
    # keeps one object for both, so its JSON text is kept (and written) once.
    plugin = Plugin(lambda facts, params: _protocol("soft stroking"), reads=("pain_score",))
    engine = _engine(plugin)
    first = _protocol_of(engine, _patient("P-1", pain=0))
    second = _protocol_of(engine, _patient("P-2", pain=1))
    assert len(plugin.builds) == 2  # other declared facts: built again...
    assert second is first  # ...and the equal result is the object built first


def test_equal_protocols_that_print_apart_stay_apart() -> None:
    # 10 == 10.0, but a record writes them differently: such protocols are not merged.
    def build(facts: ProtocolFacts, params: Params) -> Protocol:
        protocol = _protocol("soft stroking")
        if facts.pain_score == 1:
            return attrs.evolve(protocol, session_minutes=(10.0, 20.0))
        return protocol

    engine = _engine(Plugin(build, reads=("pain_score",)))
    whole = _protocol_of(engine, _patient("P-1", pain=0))
    floats = _protocol_of(engine, _patient("P-2", pain=1))
    assert whole == floats and whole is not floats
    texts = [
        herniarules.dumps(engine.evaluate(_patient(pid, pain=pain), "memo", as_of=AS_OF))
        for pid, pain in (("P-1", 0), ("P-2", 1))
    ]
    assert '"session_minutes": [10, 20]' in texts[0]
    assert '"session_minutes": [10.0, 20.0]' in texts[1]
