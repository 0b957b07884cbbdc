"""The fast ways of reading a patient give exactly what the walker and the exact parser give.

``loads_patient`` and ``patient_from_dict`` first try a plain JSON scan and a generated
structurer, and fall back to the exact parse (which finds duplicate keys) and the walker (which
names every problem) when that fails. The reference here is that fallback forced on its own:
``_json.parse_checked`` with its duplicate-key hook, and ``_walk.structure``, the walker that
reads every record when there is no fast path. Whatever the input, both must give the same patient
(same field values and types) or the same error (same problems, same order, same text).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herniarules import _fast, _json, _walk
from herniarules.io import InputError, loads_patient, patient_from_dict
from herniarules.model import Patient
from herniarules.testing.fuzzing import json_texts, patient_documents

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "patients").glob("*.json"))
EXAMPLE_DATA = [json.loads(path.read_text(encoding="utf-8")) for path in EXAMPLES]

PROPERTY = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def outcome(read: Any, value: Any) -> tuple[Any, ...]:
    """What reading ``value`` gives: the patient (repr shows 4 versus 4.0) or the error."""
    try:
        patient = read(value)
    except InputError as exc:
        return ("error", exc.problems, str(exc))
    except Exception as exc:  # any other exception must match too
        return ("raised", type(exc), str(exc))
    return ("patient", patient, repr(patient))


def reference_loads(text: str | bytes) -> Patient:
    """``loads_patient`` the exact way: the hooked parse, then the walker."""
    return _walk.structure(_json.parse_checked(_json.checked_text(text)), Patient)


def reference_from_dict(data: object) -> Patient:
    return _walk.structure(data, Patient)


# --------------------------------------------------------------------------- documents

#: Values put in place of others, or added under new keys: colons and dates in strings,
#: numbers out of range or of the wrong kind, containers where a scalar belongs.
ODD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    7.0,
    7.5,
    10**30,
    math.nan,
    "",
    "7",
    "male",
    "lumbar",
    "L4-L5",
    "C34.1",
    "urn:patient:1",
    "Dr: Smith",
    '"a": 1',
    "2026-11-01",
    [],
    ["compression"],
    [":"],
    {},
    {"value": "x:y"},
]
KEYS = ["id", "age", "sex", "size_mm", "level", "status", "code", "a:b", "colour", ""]


def confusable(old: Any) -> list[Any]:
    """Values a sloppy reader would take for ``old``, or that are just out of range."""
    if isinstance(old, bool):
        return [int(old), str(old).lower(), None, not old]
    if isinstance(old, int):
        if abs(old) > 10**15:
            return [str(old), -old, 0]
        return [True, False, float(old), old + 0.5, str(old), -old - 1, old + 1000, 10**400]
    if isinstance(old, float):
        if not math.isfinite(old):
            return [0.0, None, str(old)]
        return [True, round(old), -old, -0.0, old * 1000, str(old), math.nan, math.inf, 10**400]
    if isinstance(old, str):
        dates = ["20261101", "2026-W01-1", "2026-02-30", "2026-1-1", "２０２６-11-01"]
        return [old + ":", ":" + old, old.upper(), f" {old}", 7, *dates]
    return [None, {}, []]


class Pairs(list[tuple[str, Any]]):
    """A JSON object written as its key-value pairs, so that a key may appear twice."""


def as_pairs(value: Any) -> Any:
    if isinstance(value, dict):
        return Pairs((key, as_pairs(item)) for key, item in value.items())
    if isinstance(value, list):
        return [as_pairs(item) for item in value]
    return value


def slots(value: Any) -> list[tuple[Any, int]]:
    """Every place in ``value`` that holds a value: (object or array, index)."""
    found = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Pairs):
            found.extend((node, index) for index in range(len(node)))
            stack.extend(item for _, item in node)
        elif isinstance(node, list):
            found.extend((node, index) for index in range(len(node)))
            stack.extend(node)
    return found


def containers(value: Any) -> list[Any]:
    """Every object and array in ``value``, ``value`` first."""
    return [
        value,
        *(item for node, index in slots(value) if isinstance(item := get(node, index), list)),
    ]


def get(node: Any, index: int) -> Any:
    return node[index][1] if isinstance(node, Pairs) else node[index]


def put(node: Any, index: int, value: Any) -> None:
    node[index] = (node[index][0], value) if isinstance(node, Pairs) else value


def write(value: Any, indent: bool) -> str:
    """JSON text for ``value``; non-finite floats come out as NaN and Infinity literals."""
    if isinstance(value, Pairs):
        parts = [f"{json.dumps(key)}: {write(item, indent)}" for key, item in value]
        return "{" + (",\n  " if indent else ", ").join(parts) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(write(item, indent) for item in value) + "]"
    return json.dumps(value)


@st.composite
def _around(draw: st.DrawFn) -> str:
    """Mostly JSON whitespace or nothing; now and then something that is not whitespace."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(["\x0b", "\ufeff", "x", "{}"]))
    return draw(st.sampled_from(["", "", "", " ", "\n", "\t\r\n"]))


@st.composite
def mutated_texts(draw: st.DrawFn) -> str | bytes:
    """An example patient with a few things changed, as JSON text or UTF-8 bytes."""
    document = as_pairs(draw(st.sampled_from(EXAMPLE_DATA)))
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["confuse", "confuse", "swap", "drop", "add", "duplicate"]))
        if action in ("add", "duplicate"):
            target = draw(st.sampled_from(containers(document)))
            position = draw(st.integers(0, len(target)))
            value = as_pairs(draw(st.sampled_from(ODD_VALUES)))  # a copy, as it may change
            if not isinstance(target, Pairs):
                target.insert(position, value)
            elif action == "duplicate" and target:
                # a key of this object again, with its own value or another one
                key, own = draw(st.sampled_from(target))
                target.insert(position, (key, own if draw(st.booleans()) else value))
            else:
                target.insert(position, (draw(st.sampled_from(KEYS)), value))
            continue
        node, index = draw(st.sampled_from(slots(document)))
        if action == "drop":
            del node[index]
        elif action == "swap":
            old = get(node, index)
            nested = [old] if draw(st.booleans()) else Pairs([("value", old)])
            put(node, index, as_pairs(draw(st.sampled_from([*ODD_VALUES, nested]))))
        else:
            put(node, index, draw(st.sampled_from(confusable(get(node, index)))))
    text = write(document, indent=draw(st.booleans()))
    text = draw(_around()) + text + draw(_around())
    return text.encode("utf-8") if draw(st.booleans()) else text


# --------------------------------------------------------------------------- properties


@PROPERTY
@given(mutated_texts())
def test_mutated_example_texts_read_as_the_exact_way_reads_them(text: str | bytes) -> None:
    assert outcome(loads_patient, text) == outcome(reference_loads, text)


def test_every_single_confusion_of_every_example_reads_as_the_exact_way_reads_it() -> None:
    """Each value of each example patient in turn, replaced by each value confusable with it."""
    tried = 0
    for data in EXAMPLE_DATA:
        for place in range(len(slots(as_pairs(data)))):
            node, index = slots(as_pairs(data))[place]
            for value in confusable(get(node, index)):
                document = as_pairs(data)
                put(*slots(document)[place], value)
                for text in (write(document, indent=False), write(document, indent=True)):
                    assert outcome(loads_patient, text) == outcome(reference_loads, text), text
                    tried += 1
    assert tried > 2000


@PROPERTY
@given(json_texts())
def test_fuzzed_texts_read_as_the_exact_way_reads_them(text: str | bytes) -> None:
    assert outcome(loads_patient, text) == outcome(reference_loads, text)


@PROPERTY
@given(patient_documents())
def test_documents_structure_as_the_walker_structures_them(data: Any) -> None:
    expected = outcome(reference_from_dict, data)
    assert outcome(patient_from_dict, data) == expected
    # The fast structurer accepts every valid record (else it would be dead weight) and no
    # other: what it returns is what the walker returns.
    fast = _fast.structurer(Patient)
    try:
        patient = fast(data, [0])
    except _fast.NOT_FAST_ERRORS:
        assert expected[0] != "patient"
    else:
        assert ("patient", patient, repr(patient)) == expected


# --------------------------------------------------------------------------- duplicate keys


def _must_not_run(*args: Any) -> Any:
    raise AssertionError("the exact parse or the walker ran")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_patients_load_without_the_exact_parse(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Their strings hold no colon, so counting colons settles that no key is repeated.
    text = path.read_text(encoding="utf-8")
    expected = reference_loads(text)
    monkeypatch.setattr(_json, "parse_checked", _must_not_run)
    monkeypatch.setattr(_walk, "structure", _must_not_run)
    patient = loads_patient(text)
    assert patient == expected
    assert repr(patient) == repr(expected)


def _record(**extra: Any) -> dict[str, Any]:
    return {"id": "P-1", "age": 40, "sex": "female", "pregnant": False, **extra}


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "urn:p:1", "age": 40, "sex": "female", "pregnant": false}',
        json.dumps(
            _record(conditions=[{"status": "active", "concept": "fever", "display": "a: b"}])
        ),
        json.dumps(_record(medications=[{"category": "anticoagulant", "name": "::::"}])),
        '{"id": "P:1",\n "age": 40, "sex": "female", "pregnant": false}',
    ],
    ids=["colons in the id", "colon in a display", "only colons", "pretty"],
)
def test_colons_inside_strings_are_not_taken_for_keys(text: str) -> None:
    patient = loads_patient(text)
    assert patient == reference_loads(text)
    assert patient == patient_from_dict(json.loads(text))


DUPLICATES = [
    ('{"id": "P-1", "age": 40, "age": 41, "sex": "female"}', "age"),
    ('{"id": "P-1", "age": 40, "age": 40, "sex": "female"}', "age"),
    (
        '{"id": "P-1", "age": 40, "sex": "male", "vitals": {"pain_score": 2, "pain_score": 2}}',
        "pain_score",
    ),
    (
        '{"id": "P-1", "age": 40, "sex": "male", "hernias": [{"region": "lumbar", '
        '"level": "L4-L5", "kind": "protrusion", "phase": "remission", "phase": "acute"}]}',
        "phase",
    ),
    # A colon inside a string and a duplicate key: the counts differ by two, not one.
    ('{"id": "P:1", "age": 40, "age": 41, "sex": "female"}', "age"),
    # An escaped colon is one colon fewer in the text than in the data; the duplicate key
    # still leaves the text with more colons than the data has keys.
    ('{"id": "P\\u003a1", "id": "P-2", "age": 40, "sex": "female"}', "id"),
    # A key repeated in an object the structurer would reject anyway.
    ('{"id": "P-1", "age": 40, "sex": "female", "x": {"a": 1, "a": 2}}', "a"),
]


@pytest.mark.parametrize(("text", "key"), DUPLICATES)
def test_a_repeated_key_is_reported_as_before(text: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        loads_patient(text)
    assert [str(p) for p in caught.value.problems] == [f"$: not valid JSON: duplicate key {key!r}"]
    assert outcome(loads_patient, text) == outcome(reference_loads, text)


def test_a_key_with_a_colon_is_an_unknown_field() -> None:
    text = '{"id": "P-1", "age": 40, "sex": "female", "a:b": 1}'
    with pytest.raises(InputError) as caught:
        loads_patient(text)
    assert [str(p) for p in caught.value.problems] == ["a:b: unknown field"]


@pytest.mark.parametrize(
    "text",
    [
        ' {"id": "P-1", "age": 40, "sex": "male"}',
        '{"id": "P-1", "age": 40, "sex": "male"} \n\t\r',
        '{"id": "P-1", "age": 40, "sex": "male"}\x0b',
        '{"id": "P-1", "age": 40, "sex": "male"} {}',
        '{"id": "P-1", "age": 40, "age": 41, "sex": "male"} x',
        '{"id": "P-1", "age": NaN, "sex": "male", "sex": "female"}',
        '{"id": "P-1", "sex": "male", "sex": "female", "age": NaN}',
        '[{"a": 1, "a": 2}, ' + "[" * 3000 + "]" * 3000 + "]",
        "[" * 3000 + "]" * 3000,
    ],
    ids=[
        "space before",
        "JSON whitespace after",
        "other whitespace after",
        "extra data",
        "duplicate then extra data",
        "NaN before a duplicate",
        "duplicate before NaN",
        "duplicate before deep nesting",
        "deep nesting",
    ],
)
def test_text_around_and_errors_in_order_read_as_before(text: str) -> None:
    assert outcome(loads_patient, text) == outcome(reference_loads, text)
