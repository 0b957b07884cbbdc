"""FrozenDict: read-only, hashable by its items, and the results holding one are hashable."""

from __future__ import annotations

import copy
import pickle
from datetime import date
from pathlib import Path

import pytest

from herniarules import Engine, load_patient
from herniarules.frozen import FrozenDict


def test_refuses_every_change() -> None:
    mapping = FrozenDict({"a": 1})
    for change in (
        lambda: mapping.__setitem__("b", 2),
        lambda: mapping.__delitem__("a"),
        mapping.clear,
        lambda: mapping.pop("a"),
        mapping.popitem,
        lambda: mapping.setdefault("b", 2),
        lambda: mapping.update(b=2),
    ):
        with pytest.raises(TypeError, match="read-only"):
            change()
    assert mapping == {"a": 1}


def test_hash_follows_the_items() -> None:
    a = FrozenDict({"x": 1, "y": (2, 3)})
    b = FrozenDict({"y": (2, 3), "x": 1})
    c = FrozenDict({"x": 1, "y": (2, 4)})
    assert a == b and hash(a) == hash(b)
    assert len({a, b, c}) == 2
    with pytest.raises(TypeError):
        hash(FrozenDict({"x": [1]}))


def test_copies_and_pickles_as_itself() -> None:
    a = FrozenDict({"x": 1})
    assert copy.copy(a) is a and copy.deepcopy(a) is a
    restored = pickle.loads(pickle.dumps(a))
    assert type(restored) is FrozenDict and restored == a and hash(restored) == hash(a)


def test_decisions_are_hashable(example_paths: list[Path], as_of: date) -> None:
    engine = Engine()
    seen = set()
    count = 0
    for path in example_paths:
        patient = load_patient(path)
        for decision in engine.assess(patient, as_of=as_of).decisions:
            seen.add(decision)
            count += 1
            # The same patient assessed again gives equal decisions with equal hashes.
            again = engine.evaluate(patient, decision.technique, as_of=as_of)
            assert again == decision and hash(again) == hash(decision)
            assert again in seen
    assert len(seen) == count
