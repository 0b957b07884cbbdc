"""Every rule-bearing passage of the clinical source is traced to what implements it.

``traceability/source-map.json`` maps each passage of the source (quoted verbatim) to the rule,
parameter, protocol, policy, course and value-set ids that implement it, or says why it is
not encoded. These tests hold the map to the source and to the installed rule set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest

from herniarules import (
    Clearance,
    CoursePlan,
    Engine,
    Hernia,
    HerniaKind,
    Patient,
    Phase,
    Policy,
    Protocol,
    Region,
    Sex,
    Vitals,
)

ROOT = Path(__file__).resolve().parents[1]
MAP_PATH = ROOT / "traceability" / "source-map.json"
ENTRY_KEYS = {"passage", "section", "implemented_by", "not_encoded_reason"}
AS_OF = date(2025, 3, 3)


def normalise(text: str) -> str:
    """Collapse every run of whitespace to one space."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def source_map() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MAP_PATH.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def entries(source_map: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = source_map["entries"]
    return result


@pytest.fixture(scope="module")
def source_text(source_map: dict[str, Any]) -> str:
    path = ROOT / str(source_map["source"]["file"])
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def implemented_ids(entries: list[dict[str, Any]]) -> Iterator[str]:
    for entry in entries:
        yield from entry["implemented_by"]


def test_source_copy_is_the_one_the_map_was_written_against(
    source_map: dict[str, Any], source_text: str
) -> None:
    digest = hashlib.sha256(source_text.encode("utf-8")).hexdigest()
    assert digest == source_map["source"]["sha256"]


def test_every_entry_has_exactly_the_documented_keys(entries: list[dict[str, Any]]) -> None:
    assert entries
    for entry in entries:
        assert set(entry) == ENTRY_KEYS, entry


def test_every_passage_is_quoted_verbatim_from_the_source(
    entries: list[dict[str, Any]], source_text: str
) -> None:
    text = normalise(source_text)
    missing = [e["passage"] for e in entries if normalise(e["passage"]) not in text]
    assert missing == []


def test_no_passage_is_listed_twice(entries: list[dict[str, Any]]) -> None:
    passages = [normalise(e["passage"]) for e in entries]
    assert len(passages) == len(set(passages))


def test_every_passage_lies_under_its_section_heading(
    entries: list[dict[str, Any]], source_text: str
) -> None:
    lines = source_text.splitlines()
    stripped = [line.strip() for line in lines]
    text = normalise(source_text)
    sections = {e["section"] for e in entries}
    offsets: dict[str, int] = {}
    for section in sections:
        assert section in stripped, f"{section!r} is not a heading line of the source"
        index = stripped.index(section)
        offsets[section] = len(normalise(" ".join(lines[:index])))
    ordered = sorted(offsets.values())
    for entry in entries:
        start = offsets[entry["section"]]
        later = [o for o in ordered if o > start]
        end = later[0] if later else len(text)
        position = text.find(normalise(entry["passage"]), start)
        assert start <= position < end, (entry["section"], entry["passage"])


def test_every_entry_is_implemented_or_says_why_not(entries: list[dict[str, Any]]) -> None:
    for entry in entries:
        ids, reason = entry["implemented_by"], entry["not_encoded_reason"]
        assert isinstance(ids, list)
        if ids:
            assert reason is None, entry["passage"]
            assert len(ids) == len(set(ids)), entry["passage"]
        else:
            assert isinstance(reason, str) and reason.strip(), entry["passage"]


def reference_patient(techniques: list[str]) -> Patient:
    """A patient in remission with a small protrusion, cleared for every technique."""
    return Patient(
        id="TRACE-1",
        age=45,
        sex=Sex.MALE,
        vitals=Vitals(systolic_mmhg=125, diastolic_mmhg=80, temperature_c=36.6, pain_score=1),
        hernias=(
            Hernia(Region.LUMBAR, "L4-L5", HerniaKind.PROTRUSION, Phase.REMISSION, 3.0, False),
        ),
        inflammatory_process=False,
        clearances=tuple(Clearance(t, "Dr. Sidorova", date(2025, 1, 1)) for t in techniques),
    )


def test_every_implementing_id_exists(entries: list[dict[str, Any]], engine: Engine) -> None:
    rules = {rule.id for rule in engine.rules}
    techniques = {t.id: t for t in engine.techniques}
    value_sets = {vs.id for vs in engine.terminology.value_sets}
    patient = reference_patient(sorted(techniques))
    protocols: dict[str, Protocol | None] = {}
    unknown: list[str] = []
    for ref in sorted(set(implemented_ids(entries))):
        kind, _, name = ref.partition(":")
        if not name:
            if ref not in rules:
                unknown.append(ref)
            continue
        technique_id, _, field = name.partition(".")
        if kind == "parameter":
            technique = techniques.get(technique_id)
            params = None if technique is None else technique.parameters
            if params is None or field not in attrs.fields_dict(type(params)):  # type: ignore[arg-type]
                unknown.append(ref)
        elif kind == "protocol":
            if technique_id not in techniques or field not in attrs.fields_dict(Protocol):
                unknown.append(ref)
                continue
            if technique_id not in protocols:
                decision = engine.evaluate(patient, technique_id, as_of=AS_OF)
                protocols[technique_id] = decision.protocol
            protocol = protocols[technique_id]
            # The reference patient is permitted every technique, so each protocol exists and
            # the field the map points at must hold something.
            if protocol is None or not getattr(protocol, field):
                unknown.append(f"{ref} (empty for the reference patient)")
        elif kind == "policy":
            if name not in attrs.fields_dict(Policy):
                unknown.append(ref)
        elif kind == "course":
            if name not in attrs.fields_dict(CoursePlan):
                unknown.append(ref)
        elif kind == "technique":
            if name not in techniques:
                unknown.append(ref)
        elif kind == "value-set":
            if name not in value_sets:
                unknown.append(ref)
        else:
            unknown.append(ref)
    assert unknown == []


def test_every_core_rule_is_traced_to_a_passage(
    entries: list[dict[str, Any]], engine: Engine
) -> None:
    traced = set(implemented_ids(entries))
    core = [rule.id for rule in engine.rules if rule.is_core]
    assert core
    assert [rule_id for rule_id in core if rule_id not in traced] == []


def test_every_rule_of_a_built_in_technique_is_traced(
    source_map: dict[str, Any], entries: list[dict[str, Any]], engine: Engine
) -> None:
    built_in = set(source_map["built_in_techniques"])
    installed = {t.id for t in engine.techniques}
    assert built_in <= installed, f"not installed: {sorted(built_in - installed)}"
    traced = set(implemented_ids(entries))
    own = [r.id for r in engine.rules if r.techniques is not None and r.techniques & built_in]
    assert own
    assert [rule_id for rule_id in own if rule_id not in traced] == []


def test_core_rule_sections_agree_with_the_map(
    entries: list[dict[str, Any]], engine: Engine
) -> None:
    sections: dict[str, set[str]] = {}
    for entry in entries:
        for ref in entry["implemented_by"]:
            sections.setdefault(ref, set()).add(entry["section"])
    for rule in engine.rules:
        if rule.is_core:
            assert rule.section in sections.get(rule.id, set()), rule.id
