"""Audit records: what they carry, how they replay, how they are masked and compacted."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

import herniarules
from herniarules import Engine, Policy, audit, dumps, load_patient, patient_from_dict
from herniarules.audit import Masker, RecordError
from herniarules.io import patient_to_dict
from herniarules.outcomes import DECISION_AUDIT, SCHEMA_VERSION
from herniarules.schema import assessment_schema, decision_schema, patient_schema
from herniarules.testing import patients as generated_patients
from tests.conftest import AS_OF, installed_distributions

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "patients").glob("*.json"))


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _independent_sha256(patient: herniarules.Patient) -> str:
    # RFC 8785 writes a float with an integral value without its fraction; json.dumps does not.
    def numbers(value: Any) -> Any:
        if isinstance(value, float) and value == int(value):
            return int(value)
        if isinstance(value, dict):
            return {k: numbers(v) for k, v in value.items()}
        if isinstance(value, list):
            return [numbers(v) for v in value]
        return value

    text = json.dumps(
        numbers(patient_to_dict(patient)), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- what a record carries ---------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_input_hash_is_the_sha256_of_the_canonical_patient_json(
    engine: Engine, path: Path
) -> None:
    patient = load_patient(path)
    record = json.loads(dumps(engine.assess(patient, as_of=AS_OF)))
    assert record["input_sha256"] == _independent_sha256(patient)
    assert all(d["decision_id"] for d in record["decisions"])


def test_the_canonical_input_writes_an_integral_float_as_jcs_does() -> None:
    data = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    data["vitals"]["temperature_c"] = 37.0
    data["surgeries"] = [{"date": "2020-01-01", "procedure": "микродискэктомия"}]
    canonical = audit.canonical_input(patient_from_dict(data))
    assert b'"temperature_c":37}' in canonical
    assert '"procedure":"микродискэктомия"'.encode() in canonical  # UTF-8, not escaped
    assert b" " not in canonical and b"\n" not in canonical


def test_a_decision_recorded_on_its_own_carries_every_audit_field(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    decision = engine.evaluate(patient, "classic", as_of=AS_OF)
    record = json.loads(dumps(decision))
    assert set(DECISION_AUDIT) <= set(record)
    assert record["schema_version"] == SCHEMA_VERSION == "2.0"
    assert record["as_of"] == AS_OF.isoformat()
    assert record["ruleset_fingerprint"] == engine.fingerprint
    assert record["sdk_version"] == herniarules.__version__
    assert {p["name"]: p["version"] for p in record["plugins"]} == {
        p.name: p.version for p in engine.plugins
    }
    assert record["policy"]["severe_pain_score"] == engine.policy.severe_pain_score
    namespace = uuid.uuid5(uuid.NAMESPACE_DNS, "herniarules.audit")
    name = f"{_independent_sha256(patient)}|classic|{engine.fingerprint}|{AS_OF.isoformat()}"
    assert record["decision_id"] == str(uuid.uuid5(namespace, name))


def test_a_decision_inside_an_assessment_has_the_id_it_has_on_its_own(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[1])
    assessment = engine.assess(patient, as_of=AS_OF)
    alone = engine.evaluate(patient, "honey", as_of=AS_OF)
    assert assessment.decision("honey").decision_id == alone.decision_id
    assert assessment.decision_id not in {d.decision_id for d in assessment.decisions}
    nested = json.loads(dumps(assessment))["decisions"][0]
    assert "input_sha256" not in nested and "decision_id" in nested


def test_assessing_computes_neither_the_input_hash_nor_the_ids(engine: Engine) -> None:
    assessment = engine.assess(load_patient(EXAMPLES[0]), as_of=AS_OF)
    context = assessment._audit
    assert context is not None and context[3] is None  # the hash is not computed yet
    assert assessment.input_sha256 == context[3]  # computed on first use, kept
    assert all(d._audit is context for d in assessment.decisions)


def test_the_audit_context_is_outside_equality_and_repr(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    one = engine.assess(patient, as_of=AS_OF)
    other = engine.assess(patient, as_of=AS_OF)
    assert one == other and one._audit is not other._audit
    assert "audit" not in repr(one)


def test_a_localized_record_keeps_its_ids(engine: Engine) -> None:
    assessment = engine.assess(load_patient(EXAMPLES[0]), as_of=AS_OF)
    english, russian = json.loads(dumps(assessment)), json.loads(dumps(assessment, locale="ru"))
    assert english["decision_id"] == russian["decision_id"]
    assert english["input_sha256"] == russian["input_sha256"]


# -- replay ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_stored_record_replays_as_identical_under_the_same_version(
    engine: Engine, path: Path
) -> None:
    patient = load_patient(path)
    stored = dumps(engine.assess(patient, as_of=AS_OF))
    result = Engine().replay(stored, load_patient(path))
    assert result.identical, result.differences
    assert result.differences == () and result.as_of == AS_OF
    assert result.record_id == result.replayed_id == json.loads(stored)["decision_id"]
    technique = engine.techniques[0].id
    one = dumps(engine.evaluate(patient, technique, as_of=AS_OF))
    assert engine.replay(one, patient).identical


def test_a_stricter_policy_replays_as_different_naming_the_policy(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])  # pain score 2: eliminated under the default policy
    stored = dumps(engine.assess(patient, as_of=AS_OF))
    result = Engine(policy=Policy(residual_pain_max=1)).replay(stored, patient)
    assert not result.identical
    kinds = {d.what for d in result.differences}
    assert "input" not in kinds and "plugin" not in kinds
    [policy] = [d for d in result.differences if d.what == "policy"]
    assert (policy.subject, policy.recorded, policy.replayed) == ("residual_pain_max", 3, 1)
    [fingerprint] = [d for d in result.differences if d.what == "fingerprint"]
    assert fingerprint.why == "another policy"
    classic = [d for d in result.differences if d.subject == "classic"]
    verdict = next(d for d in classic if d.what == "verdict")
    assert (verdict.recorded, verdict.replayed) == ("allowed", "defer")
    assert "residual_pain_max" in verdict.why
    rules = next(d for d in classic if d.what == "rules")
    assert rules.recorded == [] and rules.replayed == ["core.pain-not-eliminated"]


def test_a_tampered_patient_is_another_input_not_a_silent_replay(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    stored = dumps(engine.assess(patient, as_of=AS_OF))
    data = json.loads(EXAMPLES[0].read_text(encoding="utf-8"))
    data["age"] += 1  # changes nothing the rules read, but it is not the recorded input
    result = engine.replay(stored, patient_from_dict(data))
    assert not result.identical
    [difference] = result.differences
    assert (difference.what, difference.subject, difference.why) == (
        "input",
        "input_sha256",
        "another input",
    )
    assert difference.recorded == json.loads(stored)["input_sha256"]


_PLUGIN = """
from herniarules import Protocol, ProtocolStep, Technique, hookimpl


def protocol(facts, parameters):
    return Protocol(
        technique="test-audit",
        steps=(ProtocolStep("stroking", "Light stroking."),),
        session_minutes=(10.0, 20.0),
        course_sessions=(10, 12),
        pressure="light",
    )


@hookimpl
def herniarules_techniques():
    return [
        Technique(
            id="test-audit", name="T", description="A technique.", source="tests",
            protocol=protocol,
        )
    ]
"""


def _engine_with_plugin_version(root: Path, version: str) -> tuple[Engine, str]:
    sources = {
        "herniarules-testaudit": (version, "testaudit", "herniarules_testaudit_mod", _PLUGIN)
    }
    with installed_distributions(root, sources):
        engine = Engine(allow={"herniarules-testaudit"})
        record = dumps(engine.assess(load_patient(EXAMPLES[0]), as_of=AS_OF))
    return engine, record


def test_another_plugin_version_replays_as_different_naming_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    _, stored = _engine_with_plugin_version(tmp_path / "one", "1.0.0")
    newer, _ = _engine_with_plugin_version(tmp_path / "two", "2.0.0")
    result = newer.replay(stored, load_patient(EXAMPLES[0]))
    assert not result.identical
    [plugin] = [d for d in result.differences if d.what == "plugin"]
    assert (plugin.subject, plugin.recorded, plugin.replayed, plugin.why) == (
        "herniarules-testaudit",
        "1.0.0",
        "2.0.0",
        "another plugin version",
    )
    [fingerprint] = [d for d in result.differences if d.what == "fingerprint"]
    assert "another plugin version" in fingerprint.why
    assert not [d for d in result.differences if d.what == "verdict"]  # same decisions


def test_a_technique_no_plugin_provides_now_is_named(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    stored = dumps(engine.assess(patient, as_of=AS_OF))
    result = Engine(allow={"herniarules-classic"}).replay(stored, patient)
    missing = {d.subject for d in result.differences if d.what == "technique"}
    assert "honey" in missing and "classic" not in missing
    removed = {d.subject for d in result.differences if d.what == "plugin"}
    assert "herniarules-honey" in removed


def test_a_stricter_technique_parameter_names_the_protocol(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    stored = json.loads(dumps(engine.assess(patient, as_of=AS_OF)))
    classic = next(d for d in stored["decisions"] if d["technique"] == "classic")
    classic["protocol"]["session_minutes"] = [1.0, 2.0]  # as if another builder had written it
    result = engine.replay(stored, patient)
    [protocol] = [d for d in result.differences if d.what == "protocol"]
    assert protocol.subject == "classic" and protocol.recorded["session_minutes"] == [1.0, 2.0]
    assert protocol.replayed["session_minutes"] != [1.0, 2.0]


def test_a_localized_record_replays_as_identical(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    assert engine.replay(dumps(engine.assess(patient, as_of=AS_OF), locale="ru"), patient).identical


def test_a_changed_ranking_is_named(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    stored = json.loads(dumps(engine.assess(patient, as_of=AS_OF)))
    stored["ranking"] = list(reversed(stored["ranking"]))
    [difference] = engine.replay(stored, patient).differences
    assert difference.what == "ranking"


def test_a_decision_object_replays_as_its_record_would(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[3])
    assert engine.replay(engine.evaluate(patient, "honey", as_of=AS_OF), patient).identical
    assert engine.replay(engine.assess(patient, as_of=AS_OF), patient).identical


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda r: r.pop("input_sha256"), "input_sha256", "64 lowercase hex"),
        (lambda r: r.update(schema_version="1.0"), "schema_version", "cannot be replayed"),
        (lambda r: r.update(schema_version="7.1"), "schema_version", "supported: 2.0"),
        (lambda r: r.update(as_of="2026-13-01"), "as_of", "YYYY-MM-DD"),
        (lambda r: r["decisions"][1].update(outcome="maybe"), "decisions[1].outcome", "defer"),
        (lambda r: r["plugins"][0].pop("version"), "plugins[0].version", "string"),
        (lambda r: r.pop("decisions"), "$", "neither an assessment"),
    ],
)
def test_a_bad_record_is_an_input_error_naming_the_path(
    engine: Engine, change: Any, path: str, words: str
) -> None:
    patient = load_patient(EXAMPLES[0])
    record = json.loads(dumps(engine.assess(patient, as_of=AS_OF)))
    change(record)
    with pytest.raises(RecordError) as caught:
        engine.replay(record, patient)
    assert isinstance(caught.value, herniarules.InputError)
    [problem] = caught.value.problems
    assert problem.path == path and words in problem.message
    assert str(caught.value).startswith("invalid audit record")


def test_a_record_that_is_not_json_is_an_input_error(engine: Engine) -> None:
    with pytest.raises(RecordError):
        engine.replay("{not json", load_patient(EXAMPLES[0]))
    with pytest.raises(RecordError) as caught:
        engine.replay([1, 2], load_patient(EXAMPLES[0]))
    assert caught.value.problems[0].path == "$"


# -- masking -------------------------------------------------------------------------------------


def test_masking_drops_identifying_fields_and_the_masked_record_still_replays(
    engine: Engine,
) -> None:
    path = ROOT / "examples" / "patients" / "05-post-surgical-rehab.json"
    patient = load_patient(path)
    assessment = engine.assess(patient, as_of=AS_OF)
    full = dumps(assessment)
    assert patient.id in full
    masked_text = dumps(assessment, mask=Masker())
    masked = json.loads(masked_text)
    assert patient.id not in masked_text
    assert masked["patient_id"] is None and all(
        d["patient_id"] is None for d in masked["decisions"]
    )
    assert not re.search(r'"cleared_by": "[^"]', masked_text)
    assert re.search(r'"cleared_by": "[^"]', full)  # there was one to mask
    assert not re.search(r'"display": "[^"]', masked_text)
    assert masked["masked"] == ["cleared_by", "display", "patient_id"]
    assert masked["input_sha256"] == json.loads(full)["input_sha256"]
    assert engine.replay(masked_text, patient).identical


def test_masking_drops_condition_displays_from_the_evidence(engine: Engine) -> None:
    patient = load_patient(ROOT / "examples" / "patients" / "07-oncology-history.json")
    assessment = engine.assess(patient, as_of=AS_OF)
    assert re.search(r'"display": "[^"]', dumps(assessment))
    masked = dumps(assessment, mask=Masker())
    assert not re.search(r'"display": "[^"]', masked)
    assert engine.replay(masked, patient).identical
    strict = Masker(fields=(*audit.IDENTIFYING_FIELDS, "explanation", "message"))
    record = json.loads(dumps(assessment, mask=strict))
    assert all(
        f["explanation"] is None and f["message"] is None
        for d in record["decisions"]
        for f in d["findings"]
    )


def test_a_masker_can_replace_instead_of_drop(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    masker = Masker(
        fields=("patient_id",),
        replace=lambda v: "sha256:" + hashlib.sha256(str(v).encode()).hexdigest()[:12],
    )
    record = json.loads(dumps(engine.evaluate(patient, "classic", as_of=AS_OF), mask=masker))
    assert record["patient_id"].startswith("sha256:") and record["masked"] == ["patient_id"]


def test_mask_and_compact_apply_to_records_only() -> None:
    patient = load_patient(EXAMPLES[0])
    with pytest.raises(TypeError, match="not to a Patient"):
        dumps(patient, mask=Masker())
    with pytest.raises(TypeError, match="not to a Patient"):
        dumps(patient, compact=True)


def test_a_custom_mask_hook_is_recorded_as_masked(engine: Engine) -> None:
    def hook(record: dict[str, Any]) -> dict[str, Any]:
        record["patient_id"] = "x"
        return record

    record = json.loads(dumps(engine.assess(load_patient(EXAMPLES[0]), as_of=AS_OF), mask=hook))
    assert record["patient_id"] == "x" and record["masked"] == ["*"]


# -- compact records -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_a_compact_record_expands_to_the_full_one(engine: Engine, path: Path) -> None:
    patient = load_patient(path)
    assessment = engine.assess(patient, as_of=AS_OF)
    full, small = dumps(assessment), dumps(assessment, compact=True)
    assert len(small.encode()) < len(full.encode())
    compact = json.loads(small)
    assert compact["compact"] is True
    assert audit.expand(compact, engine=engine, patient=patient) == json.loads(full)
    assert engine.replay(compact, patient).identical


def test_a_compact_record_holds_no_rule_texts_and_expands_in_russian(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[1])  # acute: findings in every decision
    assessment = engine.assess(patient, as_of=AS_OF)
    compact = json.loads(dumps(assessment, compact=True))
    findings = compact["findings"]  # each distinct finding once; decisions name them by index
    assert findings and not any("message" in f or "source" in f for f in findings)
    assert all(type(i) is int for d in compact["decisions"] for i in d["findings"])
    assert len(findings) < sum(len(d["findings"]) for d in compact["decisions"])
    russian = audit.expand(compact, locale="ru", engine=engine)
    expected = json.loads(dumps(assessment, locale="ru"))
    assert [f["message"] for d in russian["decisions"] for f in d["findings"]] == [
        f["message"] for d in expected["decisions"] for f in d["findings"]
    ]
    assert any(
        re.search("[а-я]", f["message"]) for d in russian["decisions"] for f in d["findings"]
    )


def test_expanding_without_the_patient_keeps_the_protocol_numbers_only(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[0])
    compact = json.loads(dumps(engine.evaluate(patient, "classic", as_of=AS_OF), compact=True))
    protocol = audit.expand(compact, engine=engine)["protocol"]
    assert protocol["steps"] is None and protocol["session_minutes"]
    with pytest.raises(RecordError) as caught:
        other = json.loads(EXAMPLES[1].read_text(encoding="utf-8"))
        audit.expand(compact, engine=engine, patient=patient_from_dict(other))
    assert caught.value.problems[0].path == "input_sha256"


def test_a_full_record_read_as_data_compacts_as_the_objects_do(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[4])
    assessment = engine.assess(patient, as_of=AS_OF)
    from_data = audit.compact(dumps(assessment), engine=engine)
    assert audit.expand(from_data, engine=engine, patient=patient) == json.loads(dumps(assessment))
    decision = engine.evaluate(patient, "classic", as_of=AS_OF)
    assert audit.compact(dumps(decision), engine=engine) == json.loads(
        dumps(decision, compact=True)
    )


def test_a_bad_finding_index_in_a_compact_record_is_named(engine: Engine) -> None:
    patient = load_patient(EXAMPLES[1])
    compact = json.loads(dumps(engine.assess(patient, as_of=AS_OF), compact=True))
    compact["decisions"][2]["findings"][0] = 999
    with pytest.raises(RecordError) as caught:
        engine.replay(compact, patient)
    assert caught.value.problems[0].path == "decisions[2].findings[0]"


def test_expanding_a_full_record_is_refused(engine: Engine) -> None:
    full = json.loads(dumps(engine.assess(load_patient(EXAMPLES[0]), as_of=AS_OF)))
    with pytest.raises(RecordError) as caught:
        audit.expand(full)
    assert caught.value.problems[0].path == "compact"


# -- schemas -------------------------------------------------------------------------------------


def _properties(schema: Any, path: str = "$") -> list[tuple[str, Any]]:
    found = []
    if isinstance(schema, dict):
        for name, prop in schema.get("properties", {}).items():
            found.append((f"{path}.{name}", prop))
        for key, value in schema.items():
            found += _properties(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for item in schema:
            found += _properties(item, path)
    return found


@pytest.mark.parametrize("make", [patient_schema, assessment_schema, decision_schema])
def test_every_schema_field_has_a_plain_text_description(make: Any) -> None:
    properties = _properties(make())
    assert len(properties) > 20
    for path, prop in properties:
        text = prop.get("description")
        assert text, f"{path} has no description"
        assert "`" not in text and not re.search(r":[a-z]+:", text), f"{path}: {text}"


def test_the_decision_schema_names_every_field_a_decision_record_writes(engine: Engine) -> None:
    record = json.loads(dumps(engine.evaluate(load_patient(EXAMPLES[0]), "classic", as_of=AS_OF)))
    schema = decision_schema()
    assert set(record) == set(schema["required"])
    assert set(record) | {"masked"} == set(schema["properties"])
    nested = json.loads(dumps(engine.assess(load_patient(EXAMPLES[0]), as_of=AS_OF)))
    assert set(nested["decisions"][0]) == set(assessment_schema()["$defs"]["Decision"]["required"])


def test_a_json_schema_validator_accepts_the_records(engine: Engine) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    patient = load_patient(EXAMPLES[4])
    jsonschema.validate(json.loads(dumps(engine.assess(patient, as_of=AS_OF))), assessment_schema())
    decision = engine.evaluate(patient, "classic", as_of=AS_OF)
    jsonschema.validate(json.loads(dumps(decision)), decision_schema())
    jsonschema.validate(
        json.loads(dumps(decision, mask=Masker(fields=("cleared_by",)))), decision_schema()
    )


def test_a_record_without_an_engine_has_no_ids() -> None:
    decision = herniarules.Decision("classic", "P-1", ())
    assert decision.decision_id is None and decision.input_sha256 is None
    record = json.loads(dumps(decision))
    assert record["decision_id"] is None and record["schema_version"] == SCHEMA_VERSION


@settings(max_examples=200, deadline=None)
@given(patient=generated_patients(with_hernia=None))
def test_the_generated_canonical_writer_gives_the_references_text(patient: Any) -> None:
    # canonical_input writes with generated code; the reference goes through the patient's
    # JSON data and json.dumps(sort_keys=True): the same bytes for every generated patient.
    assert audit.canonical_input(patient) == audit.canonical_input_reference(patient)


def test_canonical_numbers_and_texts_follow_the_reference() -> None:
    # whole floats as integers, other floats as Python (and JSON) writes them, non-ASCII text
    # unescaped, quotes and control characters escaped
    data = patient_from_dict(
        {
            "id": "P-1",
            "age": 40,
            "sex": "female",
            "vitals": {"temperature_c": 37.0, "pain_score": 2},
            "hernias": [
                {"region": "lumbar", "level": "L4-L5", "kind": "protrusion",
                 "phase": "remission", "size_mm": 4.25}
            ],
            "conditions": [
                {"status": "resolved", "code": "M17.0", "system": "icd-10",
                 "display": 'Gonarthrose "ü"\n'}
            ],
        }
    )  # fmt: skip
    text = audit.canonical_input(data)
    assert text == audit.canonical_input_reference(data)
    assert b'"temperature_c":37}' in text and b'"size_mm":4.25' in text
    assert '"display":"Gonarthrose \\"ü\\"\\n"'.encode() in text


def test_records_of_two_engines_written_in_turn_carry_each_its_own_policy_and_plugins() -> None:
    # The writer keeps the last text of an engine's plugins and policy for the very object it
    # was written from: records of engines that take turns still carry their own.
    patient = load_patient(EXAMPLES[0])
    default, strict = Engine(), Engine(policy=Policy(residual_pain_max=1))
    for _ in range(2):
        for engine, pain in ((default, 3), (strict, 1)):
            record = json.loads(dumps(engine.evaluate(patient, "classic", as_of=AS_OF)))
            assert record["policy"]["residual_pain_max"] == pain
            assert [p["name"] for p in record["plugins"]] == [p.name for p in engine.plugins]
