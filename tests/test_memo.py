"""memoize_protocol reuses a protocol only for the same technique, parameters and facts read."""

from __future__ import annotations

import pickle
from datetime import date

import attrs
import pytest

import herniarules
from herniarules import hookimpl, memoize_protocol
from herniarules.frozen import FrozenDict
from herniarules.outcomes import Protocol, ProtocolStep

AS_OF = date(2026, 11, 27)


@attrs.frozen
class Params:
    minutes: int = 20


def _protocol(regions: str, minutes: int) -> Protocol:
    return Protocol(
        technique="memo",
        steps=(ProtocolStep("stroking", f"soft stroking over the {regions or 'back'}"),),
        session_minutes=(10, minutes),
        course_sessions=(5, 10),
        pressure="none",
        parameters={"minutes": minutes},
    )


class Plugin:
    __name__ = "memo-plugin"

    def __init__(self) -> None:
        self.builds = 0

    @hookimpl
    def herniarules_techniques(self) -> list[herniarules.Technique]:
        return [
            herniarules.Technique(
                id="memo", name="Memo", description="d", source="s", parameters=Params()
            )
        ]

    @hookimpl
    @memoize_protocol("hernia_regions")
    def herniarules_protocol(
        self, technique: herniarules.Technique, facts: herniarules.Facts, parameters: Params
    ) -> Protocol:
        self.builds += 1
        return _protocol(",".join(sorted(facts.hernia_regions)), parameters.minutes)


def _patient(patient_id: str, region: str | None, pain: int = 1) -> herniarules.Patient:
    hernias = ()
    if region is not None:
        level = {"lumbar": "L4-L5", "cervical": "C5-C6"}[region]
        hernias = (
            herniarules.Hernia(
                region=herniarules.Region(region),
                level=level,
                kind=herniarules.HerniaKind.PROTRUSION,
                phase=herniarules.Phase.REMISSION,
                size_mm=3.0,
                surgery_indicated=False,
            ),
        )
    return herniarules.Patient(
        id=patient_id,
        age=40,
        sex=herniarules.Sex.MALE,
        vitals=herniarules.Vitals(120, 80, 36.6, pain),
        hernias=hernias,
        inflammatory_process=False,
    )


def test_the_protocol_is_built_once_per_distinct_value_of_the_facts_it_reads() -> None:
    plugin = Plugin()
    engine = herniarules.Engine([plugin], entry_points=False)
    first = engine.evaluate(_patient("a", "lumbar"), "memo", as_of=AS_OF).protocol
    second = engine.evaluate(_patient("b", "lumbar", pain=2), "memo", as_of=AS_OF).protocol
    cervical = engine.evaluate(_patient("c", "cervical"), "memo", as_of=AS_OF).protocol
    assert first is second
    assert plugin.builds == 2
    assert cervical is not None and "cervical" in cervical.steps[0].description
    assert first is not None and "lumbar" in first.steps[0].description


def test_different_parameters_get_their_own_protocol() -> None:
    plugin = Plugin()
    default = herniarules.Engine([plugin], entry_points=False)
    shorter = herniarules.Engine(
        [plugin], entry_points=False, parameters={"memo": Params(minutes=15)}
    )
    a = default.evaluate(_patient("a", "lumbar"), "memo", as_of=AS_OF).protocol
    b = shorter.evaluate(_patient("a", "lumbar"), "memo", as_of=AS_OF).protocol
    assert a is not None and b is not None
    assert (a.session_minutes, b.session_minutes) == ((10, 20), (10, 15))


def test_an_unknown_fact_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown facts hernia_size"):
        memoize_protocol("hernia_size")


def test_unhashable_parameters_are_built_every_time() -> None:
    calls = []

    @memoize_protocol()
    def build(technique: object, facts: object, parameters: object) -> str:
        calls.append(parameters)
        return "built"

    assert build(None, None, ["unhashable"]) == build(None, None, ["unhashable"]) == "built"
    assert len(calls) == 2


def test_shared_protocol_parameters_are_read_only_and_picklable() -> None:
    protocol = _protocol("lumbar", 20)
    assert isinstance(protocol.parameters, FrozenDict)
    with pytest.raises(TypeError):
        protocol.parameters["minutes"] = 90  # type: ignore[index]
    assert pickle.loads(pickle.dumps(protocol)) == protocol


def test_positional_and_keyword_calls_share_one_cache_in_any_argument_order() -> None:
    builds: list[tuple[str, int]] = []

    @memoize_protocol("hernia_regions")
    def build(facts: herniarules.Facts, parameters: Params, technique: object) -> Protocol:
        regions = ",".join(sorted(facts.hernia_regions))
        builds.append((regions, parameters.minutes))
        return _protocol(regions, parameters.minutes)

    engine = herniarules.Engine([Plugin()], entry_points=False)
    technique = engine.technique("memo")
    lumbar = engine.facts(_patient("a", "lumbar"), AS_OF)
    cervical = engine.facts(_patient("b", "cervical"), AS_OF)
    params = Params()
    first = build(lumbar, params, technique)
    assert build(facts=lumbar, parameters=params, technique=technique) is first
    assert build(lumbar, technique=technique, parameters=params) is first
    assert build(lumbar, Params(minutes=15), technique) is not first
    other = build(cervical, params, technique)
    assert other is not first and "cervical" in other.steps[0].description
    assert builds == [("lumbar", 20), ("lumbar", 15), ("cervical", 20)]


def _configured_plugin_class() -> type:
    # Defined per call, so the decorator runs inside the test (and under mutation testing).
    class ConfiguredPlugin:
        """One class, instances configured differently: each keeps its own protocols."""

        def __init__(self, pressure: str) -> None:
            self.pressure = pressure
            self.__name__ = f"memo-{pressure}"

        @hookimpl
        def herniarules_techniques(self) -> list[herniarules.Technique]:
            return [herniarules.Technique(id="memo", name="Memo", description="d", source="s")]

        @hookimpl
        @memoize_protocol("hernia_regions")
        def herniarules_protocol(
            self, technique: herniarules.Technique, facts: herniarules.Facts, parameters: object
        ) -> Protocol:
            return attrs.evolve(_protocol("back", 20), pressure=self.pressure)

    return ConfiguredPlugin


def test_instances_of_one_plugin_class_do_not_share_protocols() -> None:
    configured = _configured_plugin_class()
    light = herniarules.Engine([configured("light")], entry_points=False)
    none = herniarules.Engine([configured("none")], entry_points=False)
    patient = _patient("a", "lumbar")
    first = light.evaluate(patient, "memo", as_of=AS_OF).protocol
    second = none.evaluate(patient, "memo", as_of=AS_OF).protocol
    assert first is not None and second is not None
    assert (first.pressure, second.pressure) == ("light", "none")
    # Each instance still reuses its own protocol.
    assert light.evaluate(patient, "memo", as_of=AS_OF).protocol is first
    # A keyword call names the instance too.
    technique = light.technique("memo")
    facts = light.facts(patient, AS_OF)
    by_keyword = configured.herniarules_protocol(
        self=configured("firm"), technique=technique, facts=facts, parameters=None
    )
    assert by_keyword.pressure == "firm"


def test_a_first_argument_named_cls_is_part_of_the_key() -> None:
    @memoize_protocol()
    def build(cls: type, technique: object, facts: object, parameters: object) -> str:
        return cls.__name__

    assert build(int, None, None, None) == "int"
    assert build(str, None, None, None) == "str"
    assert build(cls=float, technique=None, facts=None, parameters=None) == "float"


def test_other_first_arguments_are_not_part_of_the_key() -> None:
    calls: list[object] = []

    @memoize_protocol()
    def build(context: object, technique: object, facts: object, parameters: object) -> object:
        calls.append(context)
        return context

    assert build("a", None, None, None) == "a"
    # The same technique, parameters and facts: the first result is reused.
    assert build("b", None, None, None) == "a"
    assert calls == ["a"]


def test_a_builder_that_reads_facts_must_take_them() -> None:
    def build(technique: object, parameters: object) -> None:
        return None

    with pytest.raises(ValueError, match="build reads facts but takes no 'facts' argument"):
        memoize_protocol("hernia_regions")(build)


def test_every_unknown_fact_name_is_listed() -> None:
    with pytest.raises(ValueError, match=r"^memoize_protocol: unknown facts alpha, beta$"):
        memoize_protocol("beta", "hernia_regions", "alpha")


def test_the_protocols_kept_stay_within_the_byte_budget_and_the_oldest_go_first() -> None:
    builds: list[int] = []

    @memoize_protocol("pain_score", budget=6_000)
    def build(technique: object, facts: herniarules.Facts, parameters: object) -> Protocol:
        builds.append(facts.pain_score or 0)
        return _protocol("x" * 200, 20)

    engine = herniarules.Engine(entry_points=False)
    facts = [engine.facts(_patient(f"p{n}", None, pain=n), AS_OF) for n in range(11)]
    first = [build(None, f, None) for f in facts]
    cache = build.cache  # type: ignore[attr-defined]
    assert 0 < cache.bytes <= 6_000
    assert len(cache) < 11
    # The newest protocols are kept and reused; the oldest are built again.
    assert build(None, facts[-1], None) is first[-1]
    assert build(None, facts[0], None) is not first[0]
    assert builds == [*range(11), 0]
