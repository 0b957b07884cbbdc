"""What herniarules writes as FHIR is valid FHIR R4: checked against the official JSON schema.

The schema is HL7's ``fhir.schema.json`` (R4 4.0.1) from the shared corpus. The published
StructureDefinitions of the herniarules extensions under ``docs/_static/fhir/`` are the ones the
package generates, and they too pass the schema.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from herniarules import Engine, InputError
from herniarules.cli import main
from herniarules.fhir import detected_issues, from_bundle, guidance_response, structure_definitions
from tests.test_fhir import FHIR, ROOT, sandbox

SCHEMA = FHIR / "schema" / "fhir.schema.json"
PUBLISHED = ROOT / "docs" / "_static" / "fhir"

pytestmark = pytest.mark.skipif(not SCHEMA.is_file(), reason=f"the FHIR schema is not at {SCHEMA}")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return data


def problems(schema: dict[str, Any], resource: dict[str, Any]) -> list[str]:
    kind = resource["resourceType"]
    one = {"$ref": f"#/definitions/{kind}", "definitions": schema["definitions"]}
    validator = jsonschema.Draft6Validator(one)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(resource)
    ]


def test_published_extension_definitions_are_the_generated_ones() -> None:
    generated = {f"StructureDefinition-{sd['id']}.json": sd for sd in structure_definitions()}
    published = {
        p.name: json.loads(p.read_text(encoding="utf-8")) for p in PUBLISHED.glob("*.json")
    }
    assert published == generated


def test_extension_definitions_are_valid_fhir(schema: dict[str, Any]) -> None:
    for definition in structure_definitions():
        assert problems(schema, definition) == [], definition["id"]


@pytest.mark.parametrize(
    ("prefix", "as_of"),
    [
        ("Liz_Conn", date(2015, 8, 14)),
        ("Andy_Schaden", date(2020, 1, 1)),
        ("Clemente_Kreiger", date(2021, 1, 1)),
    ],
)
def test_guidance_response_and_detected_issues_are_valid_fhir(
    schema: dict[str, Any], prefix: str, as_of: date
) -> None:
    record = from_bundle(sandbox(prefix), as_of=as_of)
    assessment = Engine().assess(record.patient, as_of=as_of)
    issues = detected_issues(assessment, record)
    assert issues, "a Synthea patient with nothing recorded about the visit has blocking findings"
    for resource in [guidance_response(assessment, record), *issues]:
        assert problems(schema, resource) == [], resource["resourceType"]


def test_assess_fhir_on_the_command_line_writes_a_valid_bundle(
    schema: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    (path,) = (FHIR / "synthea" / "smart-sandbox-r4").glob("Liz_Conn_*.json")
    status = main(["assess", "--fhir", str(path), "--as-of", "2015-08-14", "--format", "fhir"])
    assert status == 0
    bundle = json.loads(capsys.readouterr().out)
    assert problems(schema, bundle) == []
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[0] == "GuidanceResponse" and "DetectedIssue" in kinds


def test_assess_fhir_reports_bad_fhir_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (source,) = (FHIR / "synthea" / "smart-sandbox-r4").glob("Rufus_Kihn_*.json")
    bundle = json.loads(source.read_text(encoding="utf-8"))
    index = next(
        i
        for i, e in enumerate(bundle["entry"])
        if e["resource"]["resourceType"] == "Observation"
        and e["resource"]["code"]["coding"][0]["code"] == "8331-1"
    )
    bundle["entry"][index]["resource"]["valueQuantity"]["code"] = "K"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert main(["assess", "--fhir", str(path), "--as-of", "2011-12-07"]) == 2
    assert (
        f'entry[{index}].resource.valueQuantity.code: expected Cel or [degF], got "K"'
        in capsys.readouterr().err
    )


def test_the_schema_check_refuses_a_resource_that_is_not_valid_fhir(schema: dict[str, Any]) -> None:
    wrong = {"resourceType": "DetectedIssue", "status": "final", "severity": "grave", "note": "x"}
    assert len(problems(schema, wrong)) == 2


def test_strict_mode_reports_what_the_schema_refuses_with_its_path(schema: dict[str, Any]) -> None:
    from herniarules.fhir import SchemaValidator, from_resources

    strict = SchemaValidator(schema)
    folder = FHIR / "us-core"
    data = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    # every US Core example passes the schema
    record = from_resources(data, as_of=date(2024, 1, 1), patient="example", strict=strict)
    assert record.patient.id == "example"
    # the CBC report has a text element without its div (the one schema failure of the corpus)
    report = json.loads(
        (folder / "irrelevant" / "diagnosticreport-cbc.json").read_text(encoding="utf-8")
    )
    with pytest.raises(InputError) as caught:
        from_resources([data[0], report], as_of=date(2024, 1, 1), strict=strict)
    assert [p.path for p in caught.value.problems] == ["[1].text"]
    assert "'div' is a required property" in caught.value.problems[0].message
    # without strict mode the reader does not read that element and maps the patient
    from_resources([load_patient_example(), report], as_of=date(2024, 1, 1))


def load_patient_example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (FHIR / "us-core" / "patient-example.json").read_text(encoding="utf-8")
    )
    return data
