"""Caches hold nothing that can go stale, and what they hold of patients is bounded in bytes.

A finding's evidence is frozen when the finding is built, so no later change to the dict it
was built from reaches any output; the JSON writer keeps nothing between calls; the findings
and protocol caches charge each entry its estimated bytes against a budget. Over thousands of
distinct patients, the memory the process keeps is what those caches count, and no more than
their budgets; with every cache forced off the results are the same text.
"""

from __future__ import annotations

import enum
import gc
import json
import random
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from herniarules import (
    Condition,
    Decision,
    Engine,
    Finding,
    Hernia,
    Outcome,
    Patient,
    Sex,
    Vitals,
    bounded,
    dumps,
)
from herniarules._convert import converter
from herniarules.bounded import ENTRY_OVERHEAD, BoundedCache, estimate
from herniarules.frozen import FrozenDict
from herniarules.io import decision_to_dict
from herniarules.model import ClinicalStatus, HerniaKind, Phase, Region
from herniarules.terminology import CodeSystem, code_table, dotted

AS_OF = date(2026, 11, 27)


def reference(value: object) -> str:
    return json.dumps(converter.unstructure(value), sort_keys=True, ensure_ascii=False)


# --------------------------------------------------------------------------- frozen evidence


def test_a_finding_built_from_a_dict_serialises_the_values_it_was_built_with() -> None:
    evidence: dict[str, Any] = {"pain_score": 8, "phases": ["acute"]}
    finding = Finding("x.pain", Outcome.DEFER, "Wait.", "test suite", evidence)
    decision = Decision("t", "P", (finding,), outcome=Outcome.DEFER)
    first = dumps(decision)
    evidence["pain_score"] = 0
    evidence["phases"].append("remission")
    evidence["new"] = 1
    for text in (first, dumps(decision), reference(decision)):
        assert json.loads(text)["findings"][0]["evidence"] == {
            "pain_score": 8,
            "phases": ["acute"],
        }
    assert decision_to_dict(decision)["findings"][0]["evidence"] == {
        "pain_score": 8,
        "phases": ["acute"],
    }
    assert dumps(decision) == reference(decision) == first


def test_evidence_is_read_only_all_the_way_down_and_hashable() -> None:
    finding = Finding(
        "x.nested",
        Outcome.DEFER,
        "Wait.",
        "test suite",
        {"items": [{"code": "M51.1", "sites": {"neck", "back"}}], "pair": (1, [2, 3])},
    )
    evidence = finding.evidence
    assert type(evidence) is FrozenDict
    (item,) = evidence["items"]
    assert type(evidence["items"]) is tuple and type(item) is FrozenDict
    assert item["sites"] == ("back", "neck")  # a set becomes a sorted tuple
    assert evidence["pair"] == (1, (2, 3))
    with pytest.raises(TypeError):
        item["code"] = "C00"
    hash(finding)
    assert finding == Finding("x.nested", Outcome.DEFER, "Wait.", "test suite", evidence)


def test_evidence_already_frozen_is_kept_as_the_same_object() -> None:
    evidence = FrozenDict(items=(FrozenDict(code="M51.1"),), score=3)
    finding = Finding("x.same", Outcome.DEFER, "Wait.", "test suite", evidence)
    assert finding.evidence is evidence


def test_a_read_only_dict_holding_a_list_is_frozen_too() -> None:
    finding = Finding("x.list", Outcome.DEFER, "Wait.", "test suite", FrozenDict(values=[1, 2]))
    assert finding.evidence == {"values": (1, 2)}
    assert type(finding.evidence["values"]) is tuple


# --------------------------------------------------------------------------- BoundedCache


def test_estimate_counts_every_string_and_container_it_reaches() -> None:
    small = estimate(("a", 1))
    large = estimate(("a" * 10_000, 1))
    assert large - small >= 10_000 - 1
    nested = FrozenDict(conditions=(FrozenDict(code="M51.1", display="x" * 500),))
    assert estimate(nested) >= 500 + sys.getsizeof(nested)
    # An object reached twice counts twice (an upper bound); shared objects can be left out.
    text = "y" * 1000
    assert estimate((text, text)) >= 2000
    assert estimate((text,), shared={id(text)}) < 1000


def test_estimate_counts_enum_members_and_classes_nothing_every_time() -> None:
    # An enum member is one per process; so is a class. The estimate remembers an enum class
    # once met, and must give what the first look gave, alone or inside a finding.
    class Level(enum.Enum):
        LOW = "low" * 100

    finding = Finding("x.enum", Outcome.DEFER, "Wait.", "test suite", FrozenDict(level="low"))
    first = [estimate(Level.LOW), estimate(Outcome.DEFER), estimate(finding), estimate(Level)]
    again = [estimate(Level.LOW), estimate(Outcome.DEFER), estimate(finding), estimate(Level)]
    assert first == again
    assert first[:2] == [0, 0] and first[3] == 0
    texts = sum(sys.getsizeof(t) for t in ("x.enum", "Wait.", "test suite", "level", "low"))
    assert first[2] >= texts + sys.getsizeof(finding)


def test_a_bounded_cache_never_holds_more_than_its_budget_and_drops_the_oldest() -> None:
    cache: BoundedCache[int, str] = BoundedCache("test", 20_000)
    for n in range(1_000):
        assert cache.put(n, "v" * (n % 300))
        assert cache.bytes <= cache.budget.limit
        held = [k for k in range(n + 1) if k in cache]
        assert cache.bytes == sum(estimate((k, cache.get(k))) + ENTRY_OVERHEAD for k in held)
    kept = [n for n in range(1_000) if n in cache]
    assert kept == list(range(kept[0], 1_000))  # the newest entries, contiguous
    assert cache.get(999) == "v" * (999 % 300)


def test_an_entry_larger_than_the_budget_is_not_kept() -> None:
    cache: BoundedCache[str, str] = BoundedCache("test", 1_000)
    assert not cache.put("big", "x" * 2_000)
    assert "big" not in cache and cache.bytes == 0


def test_caches_sharing_a_budget_drop_the_oldest_entries_of_any_of_them() -> None:
    budget = bounded.Budget("test", 10_000)
    first: BoundedCache[int, str] = BoundedCache("first", budget)
    second: BoundedCache[int, str] = BoundedCache("second", budget)
    for n in range(100):
        (first if n % 2 else second).put(n, "z" * 100)
        assert budget.bytes == first.bytes + second.bytes <= 10_000
    assert 0 in second or 1 in first or len(first) + len(second) < 100
    assert 99 in first and 98 in second
    assert min([*first._data, *second._data]) > 0  # the oldest went first, from either
    del first
    gc.collect()
    assert budget.bytes == second.bytes  # a freed cache gives its bytes back


def test_a_cache_with_a_budget_of_zero_keeps_nothing_and_resize_evicts() -> None:
    cache: BoundedCache[int, int] = BoundedCache("test", 100_000, max_entries=10)
    for n in range(50):
        cache.put(n, n)
    assert len(cache) == 10
    cache.budget.resize(0)
    assert len(cache) == 0 and cache.bytes == 0
    assert not cache.put(1, 1)


# --------------------------------------------------------------------------- the engine's caches


def _distinct_patients(count: int, seed: int = 7) -> Iterator[Patient]:
    """Patients with real codes of both tables, each code used once, none alike."""
    rng = random.Random(seed)
    pools = {system: list(code_table(system).codes()) for system in CodeSystem}
    for pool in pools.values():
        rng.shuffle(pool)
    at = dict.fromkeys(CodeSystem, 0)
    statuses = [ClinicalStatus.ACTIVE] * 4 + [ClinicalStatus.REMISSION, ClinicalStatus.RELAPSE]
    for number in range(count):
        conditions = []
        for _ in range(rng.choice([0, 1, 2, 3])):
            system = rng.choice(list(CodeSystem))
            code = pools[system][at[system] % len(pools[system])]
            at[system] += 1
            conditions.append(
                Condition(status=rng.choice(statuses), code=dotted(code), system=system)
            )
        hernias = [
            Hernia(
                region=Region.LUMBAR,
                level="L4-L5",
                kind=rng.choice(list(HerniaKind)),
                phase=rng.choice(list(Phase)),
                size_mm=round(rng.uniform(1.0, 14.0), 1),
            )
            for _ in range(rng.choice([0, 1, 2]))
        ]
        yield Patient(
            id=f"D-{number:05d}",
            age=rng.randint(18, 90),
            sex=rng.choice([Sex.FEMALE, Sex.MALE]),
            vitals=Vitals(
                systolic_mmhg=rng.randint(95, 200),
                diastolic_mmhg=rng.randint(55, 90),
                temperature_c=round(rng.uniform(35.8, 39.0), 1),
                pain_score=rng.choice([None, *range(11)]),
            ),
            hernias=tuple(hernias),
            inflammatory_process=rng.choice([None, False, True]),
            conditions=tuple(conditions),
        )


def _retained() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_over_6000_distinct_patients_memory_kept_is_what_the_caches_count_within_budget() -> None:
    engine = Engine()
    patients = _distinct_patients(6_000)
    for patient in [next(patients) for _ in range(200)]:  # tables read, writers built
        dumps(engine.assess(patient, as_of=AS_OF))
    bounded.clear_all()
    # A quarter of the findings budget, so that fewer patients fill it.
    limit = bounded.FINDINGS.limit
    bounded.FINDINGS.resize(limit // 4)
    tracemalloc.start()
    try:
        start = _retained()
        for patient in patients:
            # Twice: a finding is kept when its key comes the second time (second sight).
            dumps(engine.assess(patient, as_of=AS_OF))
            dumps(engine.assess(patient, as_of=AS_OF))
        grown = _retained() - start
        counted = bounded.total_bytes()
        for budget in bounded.budgets():
            assert budget.bytes <= budget.limit, budget
            assert budget.bytes == sum(c.bytes for c in bounded.caches() if c.budget is budget)
        # The findings filled their budget: it, not the number of patients, bounds them.
        assert bounded.FINDINGS.bytes > bounded.FINDINGS.limit * 0.9
        # What the process kept is what the caches hold (their estimate is an upper bound)...
        assert grown <= counted + 512 * 1024, (grown, counted)
        # ...and emptying them gives it back: nothing else keeps any of these patients.
        bounded.clear_all()
        assert _retained() - start <= 512 * 1024
    finally:
        tracemalloc.stop()
        bounded.FINDINGS.resize(limit)


def test_results_are_the_same_text_with_every_cache_forced_off() -> None:
    engine = Engine()
    patients = list(_distinct_patients(600, seed=11))
    # Each patient twice, so the second assessment is built from what the caches kept.
    on = [dumps(engine.assess(p, as_of=AS_OF)) for p in patients + patients]
    limits = {budget: budget.limit for budget in bounded.budgets()}
    try:
        for budget in limits:
            budget.resize(0)
        off = [dumps(engine.assess(p, as_of=AS_OF)) for p in patients + patients]
        assert bounded.total_bytes() == 0
    finally:
        for budget, limit in limits.items():
            budget.resize(limit)
    assert on == off
    for text, patient in zip(on, patients + patients, strict=True):
        assert text == reference(engine.assess(patient, as_of=AS_OF))


def test_a_temperature_recorded_as_int_and_as_float_each_get_their_own_evidence() -> None:
    # 38 == 38.0, yet they are written "38" and "38.0": the findings cache keys the type too.
    engine = Engine()

    def fever(temperature: float) -> Finding:
        patient = Patient(
            id="T",
            age=40,
            sex=Sex.MALE,
            vitals=Vitals(120, 80, temperature, 2),
            inflammatory_process=False,
        )
        decision = engine.evaluate(patient, "classic", as_of=AS_OF)
        return next(f for f in decision.findings if "temperature_c" in f.evidence)

    as_float, as_int = fever(38.0), fever(38)
    assert type(as_float.evidence["temperature_c"]) is float
    assert type(as_int.evidence["temperature_c"]) is int
    assert json.dumps(as_int.evidence["temperature_c"]) == "38"


def test_the_size_charged_for_a_kept_text_covers_the_estimate_of_its_object() -> None:
    # The texts cache charges a multiple of the text's size instead of walking the object;
    # the walk (estimate) is the reference it must not fall below.
    from herniarules import _emit

    emitter = _emit.Emitter(converter)
    engine = Engine()
    checked = 0
    for patient in _distinct_patients(300, seed=3):
        for decision in engine.assess(patient, as_of=AS_OF).decisions:
            parts = (*decision.findings, *([decision.protocol] if decision.protocol else []))
            for part in parts:
                text = emitter._writers[type(part)](part)
                charged = _emit._fragment_size(part, (part, text))
                assert charged >= estimate(part) + sys.getsizeof(text), part
                checked += 1
    assert checked > 1000


def test_findings_of_patients_seen_once_are_not_kept() -> None:
    # Second sight: over a register of distinct patients, the findings whose keys never come
    # back (the conditions, the exact values) are not estimated or stored; those that do (a
    # finding every patient shares, such as a doctor's-approval rule) are.
    engine = Engine()
    bounded.clear_all()
    patients = list(_distinct_patients(2_000, seed=5))
    for patient in patients:
        engine.assess(patient, as_of=AS_OF)
    once = bounded.FINDINGS.bytes
    for patient in patients:
        engine.assess(patient, as_of=AS_OF)
    assert 0 < once < bounded.FINDINGS.bytes <= bounded.FINDINGS.limit


def test_doorkeeper_tells_a_returning_key_and_starts_afresh_when_an_eighth_is_set() -> None:
    keeper = bounded.Doorkeeper(bits=1 << 10)
    assert keeper.bytes == 128
    assert not keeper.seen(("a", 1))
    assert keeper.seen(("a", 1))
    # 1024 bits: after 128 marks the bitmap is cleared, so a key marked before is new again.
    marked = 1
    key = 0
    while marked < 128:
        key += 1
        marked += not keeper.seen(("b", key))
    assert not keeper.seen(("a", 1))
    with pytest.raises(ValueError, match="power of two"):
        bounded.Doorkeeper(bits=1000)


def test_a_key_back_only_after_more_keys_than_the_window_counts_as_new() -> None:
    # The window is what the cache holds: a key coming back after more new keys than that
    # would have been dropped before it returned, so it is not stored (no estimate is paid).
    # Integer keys: their hashes do not depend on the interpreter's hash seed, so which bits
    # they share (a doorkeeper may take a new key for one it saw) is the same on every run.
    keeper = bounded.Doorkeeper.for_entries(100)
    assert keeper.bytes * 8 >= 1600
    again = -1
    assert not keeper.seen(again)
    for key in range(50):
        keeper.seen(1_000 + key)
    assert keeper.seen(again)  # back within the window
    for key in range(200):
        keeper.seen(2_000 + key)
    assert not keeper.seen(again)  # back after more than 100 new keys: new again
    with pytest.raises(ValueError, match="window"):
        bounded.Doorkeeper(bits=1 << 10, window=1000)


def test_findings_of_a_register_larger_than_the_cache_are_not_estimated_on_each_pass() -> None:
    # Round after round over more distinct patients than a findings cache keeps, the keys
    # come back only after more new keys than it holds: they are not stored, so the budget
    # is not churned by entries dropped before they are read.
    engine = Engine()
    bounded.clear_all()
    patients = list(_distinct_patients(5_000, seed=9))
    for _ in range(2):
        for patient in patients:
            engine.assess(patient, as_of=AS_OF)
    puts = {id(c): len(c) for c in bounded.caches() if c.name == "findings"}
    assert bounded.FINDINGS.bytes < bounded.FINDINGS.limit // 2, bounded.FINDINGS.bytes
    assert puts  # the findings caches exist and kept what came back within their window
