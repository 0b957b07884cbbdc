"""Population screening gives, per patient and technique, exactly the engine's answer."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import herniarules
from herniarules import Custom, Engine, Outcome, Patient, Rule
from herniarules.cli import main
from herniarules.engine import PLUGIN_ERROR
from herniarules.facts import derive_facts
from herniarules.io import InputError, patient_to_dict
from herniarules.screen import load_policy, read_patients, screen, write_decisions
from herniarules.screen._facts import derive_table, facts_from_row
from herniarules.screen._table import patients_to_table
from herniarules.testing import strategies

AS_OF = strategies.AS_OF
EXAMPLES = Path(__file__).parent.parent / "examples" / "patients"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _expected(engine: Engine, patients: list[Patient], day: date) -> dict[Any, Any]:
    out = {}
    for patient in patients:
        for decision in engine.assess(patient, as_of=day).decisions:
            fired = sorted(f.rule_id for f in decision.findings)
            out[(patient.id, decision.technique)] = (decision.outcome.label, fired)
    return out


def _screened(engine: Engine, patients: list[Patient], day: date) -> dict[Any, Any]:
    result = screen(patients, as_of=day, engine=engine)
    assert not result.errors
    # The lists are added to the masks' table when asked for; the rows are the same.
    assert result.decisions.drop("fired_rules", "missing").equals(result.decision_masks)
    words = [c for c in result.decisions.columns if c.startswith("fired_mask")]
    for row in result.decisions.iter_rows(named=True):  # the lists agree with the masks
        mask = sum(row[c] << (64 * n) for n, c in enumerate(words))
        ids = [rule_id for bit, rule_id in enumerate(result.rule_ids) if mask >> bit & 1]
        assert row["fired_rules"] == ids
    return {
        (r["patient_id"], r["technique"]): (r["verdict"], sorted(r["fired_rules"]))
        for r in result.decisions.iter_rows(named=True)
    }


def _unique_ids(patients: list[Patient]) -> list[Patient]:
    return [attrs.evolve(p, id=f"P-{i}") for i, p in enumerate(patients)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=12))
def test_screening_gives_the_engines_verdicts_and_fired_rules(
    engine: Engine, patients: list[Patient]
) -> None:
    patients = _unique_ids(patients)
    assert _screened(engine, patients, AS_OF) == _expected(engine, patients, AS_OF)


def test_every_example_patient_is_screened_as_the_engine_assesses_it(engine: Engine) -> None:
    patients = [herniarules.load_patient(p) for p in sorted(EXAMPLES.glob("*.json"))]
    day = date(2026, 11, 27)
    assert _screened(engine, patients, day) == _expected(engine, patients, day)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=8))
def test_the_facts_table_holds_the_facts_derive_facts_gives(patients: list[Patient]) -> None:
    facts, errors = derive_table(patients_to_table(patients), AS_OF)
    assert not errors
    rows = list(facts.iter_rows(named=True))
    assert [facts_from_row(r) for r in rows] == [derive_facts(p, AS_OF) for p in patients]


def test_a_custom_rule_is_evaluated_row_wise_and_a_raising_one_fails_its_technique(
    make_engine, plugin_class, make_patient
) -> None:
    severe = Rule(
        "odd.severe",
        "Pain above five",
        Custom(
            lambda facts: None if facts.pain_score is None else facts.pain_score > 5,
            "pain > 5",
            reads=("pain_score",),
        ),
        Outcome.DEFER,
        "pain is too high",
        "test suite",
        techniques={"odd"},
    )
    exploding = Rule(
        "broken.explodes",
        "Explodes",
        Custom(lambda facts: 1 / 0 > 0, "divides by zero"),
        Outcome.DEFER,
        "never evaluated cleanly",
        "test suite",
        techniques={"broken"},
    )
    engine = make_engine(
        plugin_class("good"), plugin_class("odd", [severe]), plugin_class("broken", [exploding])
    )
    patients = [
        make_patient(id="P-1"),
        attrs.evolve(make_patient(id="P-2"), vitals=herniarules.Vitals(120, 80, 36.6, 6)),
        attrs.evolve(make_patient(id="P-3"), vitals=herniarules.Vitals(120, 80, 36.6, None)),
    ]
    result = screen(patients, as_of=AS_OF, engine=engine)
    assert {(r[0], r[1]) for r in result.decisions.select("patient_id", "technique").rows()}
    screened = _screened(engine, patients, AS_OF)
    assert screened == _expected(engine, patients, AS_OF)
    assert screened[("P-2", "odd")][0] == "defer"
    assert PLUGIN_ERROR in screened[("P-1", "broken")][1]


def _rows() -> list[dict[str, Any]]:
    return [patient_to_dict(herniarules.load_patient(p)) for p in sorted(EXAMPLES.glob("*.json"))]


def test_bad_rows_are_reported_with_their_paths_and_never_reach_the_decisions(
    engine: Engine,
) -> None:
    rows = _rows()
    good = patients_to_table(herniarules.patient_from_dict(r) for r in rows)
    table = good.with_columns(
        pl.when(pl.int_range(pl.len()) == 1).then(pl.lit(-3)).otherwise(pl.col("age")).alias("age")
    )
    hernias = table["hernias"].to_list()
    hernias[2] = [{**hernias[2][0], "level": "C5-C6", "region": "lumbar"}]
    conditions = table["conditions"].to_list()
    conditions[3] = [{"status": "active", "code": "Q99.9X", "system": "icd-10"}]
    table = table.with_columns(
        pl.Series("hernias", hernias, dtype=table.schema["hernias"]),
        pl.Series("conditions", conditions, dtype=table.schema["conditions"]),
    )
    result = screen(table, as_of=AS_OF, engine=engine)
    by_row = {e.row: e for e in result.errors}
    assert sorted(by_row) == [1, 2, 3]
    assert by_row[1].path == "age" and "between 0 and 130" in by_row[1].message
    assert by_row[2].path.startswith("hernias[0].level")
    assert by_row[3].path.startswith("conditions[0].code")
    refused = {rows[i]["id"] for i in (1, 2, 3)}
    assert refused.isdisjoint(result.decisions["patient_id"].to_list())
    assert result.decisions["patient_id"].n_unique() == len(rows) - 3
    assert result.refused == 3


def test_a_table_with_an_unknown_column_is_refused(engine: Engine) -> None:
    table = patients_to_table([]).with_columns(pl.lit(1).alias("colour"))
    with pytest.raises(InputError, match="unknown columns colour"):
        screen(table, as_of=AS_OF, engine=engine)


def test_every_input_format_gives_the_same_decisions(engine: Engine, tmp_path: Path) -> None:
    rows = _rows()
    table = patients_to_table(herniarules.patient_from_dict(r) for r in rows)
    (tmp_path / "p.ndjson").write_text(
        "".join(json.dumps(r) + "\n" for r in rows) + '{"id": "X", "age": 40}\n'
    )
    table.write_parquet(tmp_path / "p.parquet")
    table.write_ipc(tmp_path / "p.arrow")
    csv = {k: [json.dumps(r[k]) if k not in ("id", "sex") else r[k] for r in rows] for k in rows[0]}
    nested = [json.dumps(r.get("hernias", [])) for r in rows]
    csv = {
        "id": [r["id"] for r in rows],
        "age": [str(r["age"]) for r in rows],
        "sex": [r["sex"] for r in rows],
        "hernias": nested,
    }
    pl.DataFrame(csv).write_csv(tmp_path / "p.csv")
    results = {
        suffix: screen(tmp_path / f"p.{suffix}", as_of=AS_OF, engine=engine)
        for suffix in ("ndjson", "parquet", "arrow")
    }
    reference = results["parquet"].decisions.drop("__row")
    for suffix in ("ndjson", "arrow"):
        assert results[suffix].decisions.drop("__row").equals(reference)
    assert [(e.row, e.path) for e in results["ndjson"].errors] == [(len(rows), "sex")]
    table_csv, errors = read_patients(tmp_path / "p.csv")
    assert not errors and len(table_csv) == len(rows)
    for out in ("d.parquet", "d.csv", "d.ndjson"):
        write_decisions(results["parquet"], tmp_path / out)
    assert len(pl.read_parquet(tmp_path / "d.parquet")) == len(reference)
    assert pl.read_parquet(tmp_path / "d.parquet")["fired_mask"].dtype == pl.UInt64


def test_a_policy_file_may_only_be_stricter(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("severe_pain_score = 6\n")
    assert load_policy(path).severe_pain_score == 6
    path.write_text("severe_pain_score = 9\n")
    with pytest.raises(InputError, match="stricter"):
        load_policy(path)
    path.write_text("severe_pain = 6\n")
    with pytest.raises(InputError, match="unknown policy keys severe_pain"):
        load_policy(path)


def test_cli_screens_a_file_and_compares_a_stricter_policy(tmp_path: Path, capsys) -> None:
    rows = _rows()
    source = tmp_path / "p.ndjson"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "strict.toml").write_text("severe_pain_score = 5\n")
    status = main(
        [
            "screen",
            str(source),
            "--out",
            str(tmp_path / "d.parquet"),
            "--report",
            str(tmp_path / "r.html"),
            "--as-of",
            "2026-11-27",
            "--policy",
            str(tmp_path / "strict.toml"),
            "--compare",
        ]
    )
    assert status == 0
    text = capsys.readouterr().out
    assert f"screened {len(rows)} patients" in text
    assert "decisions change" in text
    assert "<svg" in (tmp_path / "r.html").read_text()
    assert (tmp_path / "d.errors.csv").read_text().startswith("row,path,message")


def test_the_core_import_does_not_import_polars() -> None:
    import subprocess
    import sys

    code = "import sys, herniarules; herniarules.Engine(); print('polars' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_more_rules_than_one_mask_word_holds_are_screened_as_the_engine_assesses(
    make_engine, plugin_class, make_patient
) -> None:
    from herniarules import F

    rules = [
        Rule(
            f"many.pain-{limit}-{n}",
            f"Pain at least {limit}",
            F.pain_score >= limit,
            Outcome.DEFER if n % 2 else Outcome.REQUIRES_CLEARANCE,
            f"pain at least {limit}",
            "test suite",
            techniques={"many"},
        )
        for limit in range(11)
        for n in range(9)
    ]
    engine = make_engine(plugin_class("good"), plugin_class("many", rules))
    assert len(engine.rules) + 1 > 128  # three mask words
    patients = [
        attrs.evolve(make_patient(id=f"P-{pain}"), vitals=herniarules.Vitals(120, 80, 36.6, pain))
        for pain in (None, 0, 4, 10)
    ]
    result = screen(patients, as_of=AS_OF, engine=engine)
    assert {"fired_mask", "fired_mask_1", "fired_mask_2"} <= set(result.decisions.columns)
    screened = _screened(engine, patients, AS_OF)
    assert screened == _expected(engine, patients, AS_OF)
    assert len(screened[("P-10", "many")][1]) >= 77
    kernel = herniarules.screen.Kernel(engine)
    row = result.decisions.filter(pl.col("patient_id") == "P-10", pl.col("technique") == "many")
    words = [row[name].item() for name in kernel.mask_columns]
    assert kernel.fired_ids(*words) == row["fired_rules"].to_list()[0]


_CHILD_EDITS = [
    ("conditions", {"status": "active", "code": "C99.9", "system": "icd-10"}),
    ("conditions", {"status": "active", "code": "M49.0", "system": "icd-10-cm"}),
    ("conditions", {"status": "active", "code": "not a code"}),
    ("conditions", {"status": "active", "code": "C61", "system": "icd-11"}),
    ("conditions", {"status": "flaring", "code": "C61"}),
    ("conditions", {"status": "active"}),
    ("conditions", {"status": "active", "concept": "no-such-concept"}),
    ("conditions", {"status": "active", "code": "L30.9", "site": "elbow"}),
    ("conditions", {"status": "active", "code": "C61", "onset": date(2020, 1, 1)}),
    ("conditions", {"status": "active", "code": "l30.9", "site": "legs"}),
    ("conditions", {"status": "active", "code": "C61", "verification": "maybe"}),
    ("conditions", {"status": "active", "other_code": "no separator"}),
    ("conditions", {"status": "active", "code": "C99.9", "verification": "provisional"}),
    ("medications", {"name": "warfarin", "atc": "X99"}),
    ("medications", {}),
    ("allergies", {"substance": "kryptonite"}),
    ("massage_courses", {"end_date": date(2026, 1, 1), "start_date": date(2026, 2, 1)}),
    ("massage_courses", {"end_date": date(2026, 1, 1), "technique": "no such technique!"}),
    (
        "clearances",
        {
            "technique": "classic",
            "physician": "Dr A",
            "date": date(2026, 3, 1),
            "valid_until": date(2026, 2, 1),
        },
    ),
    ("clearances", {"technique": "classic", "physician": " ", "date": date(2026, 3, 1)}),
    ("surgeries", {"date": date(2025, 1, 1), "region": "knee"}),
    (
        "hernias",
        {
            "region": "lumbar",
            "level": "L4-L5",
            "kind": "protrusion",
            "phase": "acute",
            "size_mm": 41.0,
        },
    ),
]


@pytest.mark.parametrize(("name", "child"), _CHILD_EDITS)
def test_a_child_record_is_refused_exactly_when_the_json_reader_refuses_it(
    engine: Engine, name: str, child: dict[str, Any]
) -> None:
    from herniarules.screen._table import CHILDREN, row_to_dict

    rows = _rows()
    table = patients_to_table(herniarules.patient_from_dict(r) for r in rows)
    full = {field: child.get(field) for field in CHILDREN[name]}
    values = table[name].to_list()
    values[0] = [*values[0], full]
    table = table.with_columns(pl.Series(name, values, dtype=table.schema[name]))
    record = row_to_dict(table.row(0, named=True))
    try:
        herniarules.patient_from_dict(record)
        expected: list[tuple[int, str]] = []
    except InputError as error:
        expected = sorted((0, p.path) for p in error.problems)
    result = screen(table, as_of=AS_OF, engine=engine)
    assert sorted((e.row, e.path) for e in result.errors) == expected
    assert (rows[0]["id"] in result.decisions["patient_id"].to_list()) == (not expected)


def test_unconfirmed_and_unclassified_conditions_are_derived_as_derive_facts_does(
    engine: Engine,
) -> None:
    base = patient_to_dict(herniarules.load_patient(sorted(EXAMPLES.glob("*.json"))[0]))
    conditions = [
        {"status": "active", "code": "C61", "verification": "provisional"},
        {"status": "active", "code": "Z00.0", "verification": "unconfirmed"},
        {"status": "resolved", "code": "I80.2", "verification": "differential"},
        {"status": "active", "concept": "varicose-veins", "verification": "unconfirmed"},
        {"status": "active", "display": "Odd rash", "verification": "provisional"},
        {"status": "active", "other_code": "http://snomed.info/sct|38341003"},
        {"status": "remission", "display": "Something old"},
        {"status": "active", "code": "M51.1", "verification": "confirmed"},
    ]
    patients = [
        herniarules.patient_from_dict({**base, "id": f"U-{i}", "conditions": [c]})
        for i, c in enumerate(conditions)
    ]
    facts, errors = derive_table(patients_to_table(patients), AS_OF)
    assert not errors
    rows = [facts_from_row(r) for r in facts.iter_rows(named=True)]
    assert rows == [derive_facts(p, AS_OF) for p in patients]
    assert any(r.unconfirmed_conditions for r in rows)
    assert any(r.unclassified_conditions for r in rows)
    assert _screened(engine, patients, AS_OF) == _expected(engine, patients, AS_OF)


def test_a_table_without_newer_record_fields_reads_and_one_with_unknown_fields_is_refused(
    engine: Engine,
) -> None:
    table = patients_to_table(herniarules.patient_from_dict(r) for r in _rows())
    older = table.with_columns(
        pl.col("conditions").list.eval(
            pl.struct(
                pl.element().struct.field(f)
                for f in ("status", "code", "system", "concept", "display", "onset", "site")
            )
        )
    )
    assert screen(older, as_of=AS_OF, engine=engine).decisions.equals(
        screen(table, as_of=AS_OF, engine=engine).decisions
    )
    odd = table.with_columns(
        pl.col("conditions").list.eval(pl.element().struct.with_fields(pl.lit("x").alias("colour")))
    )
    with pytest.raises(InputError, match="conditions: cannot be read as"):
        screen(odd, as_of=AS_OF, engine=engine)


@settings(max_examples=100, deadline=None)
@given(patients=st.lists(strategies.patients(with_hernia=None), max_size=6))
def test_the_column_writer_agrees_with_the_row_by_row_reference(patients: list[Patient]) -> None:
    # patients_to_table writes columns; one patient_row per patient is the plain reference.
    from herniarules.screen import _table

    by_columns = _table.patients_to_table(patients)
    by_rows = _table.patients_to_table_by_rows(patients)
    assert by_columns.schema == by_rows.schema
    assert by_columns.equals(by_rows)


def test_a_protocol_builder_that_fails_fails_its_technique_in_the_screen_too(
    make_engine, plugin_class, make_patient
) -> None:
    # The screen reaches verdicts column-wise, then runs each permitted technique's builder
    # once per distinct combination of the facts it declares: a builder that raises for some
    # patients makes the technique not permitted for exactly those, as the engine decides.
    class Fussy(plugin_class):  # type: ignore[misc,valid-type]
        def protocol(self, facts: Any, parameters: object) -> object:
            self.calls = getattr(self, "calls", 0) + 1
            if facts.pain_score == 2:
                raise RuntimeError("no protocol for pain 2")
            return super().protocol(facts, parameters)

    fussy = Fussy("fussy", reads=("pain_score",))
    engine = make_engine(plugin_class("good"), fussy)

    def with_pain(pain: int | None, n: int) -> Patient:
        vitals = herniarules.Vitals(120, 80, 36.6, pain)
        return attrs.evolve(make_patient(id=f"P-{n}"), vitals=vitals)

    patients = [with_pain(p, n) for n, p in enumerate([0, 2, 2, 1, 2, 0])]
    screened = _screened(engine, patients, AS_OF)
    assert screened == _expected(engine, patients, AS_OF)
    blocked = {
        pid
        for (pid, t), (verdict, fired, *_) in screened.items()
        if t == "fussy" and PLUGIN_ERROR in fired
    }
    assert blocked == {"P-1", "P-2", "P-4"}
    assert all(screened[(pid, "fussy")][0] == "insufficient-data" for pid in blocked)
    assert screened[("P-0", "fussy")][0] == "allowed"
    assert all(PLUGIN_ERROR not in screened[(p.id, "good")][1] for p in patients)
    # On a fresh engine: one builder call per distinct pain score (0, 2 and 1), not one per
    # patient.
    counted = Fussy("fussy", reads=("pain_score",))
    screen(patients, as_of=AS_OF, engine=make_engine(plugin_class("good"), counted))
    assert counted.calls == 3


_BULK = Path(__file__).parent / "interop" / "fhir-r4" / "synthea" / "sample-bulk-10-patients"


def test_a_fhir_bulk_export_is_screened_as_the_engine_assesses_its_records(
    engine: Engine, tmp_path: Path
) -> None:
    from herniarules.fhir import read_ndjson

    day = date(2026, 11, 27)
    files = sorted(p for p in _BULK.glob("*.ndjson") if p.name != "log.ndjson")
    patients = [record.patient for record in read_ndjson(files, as_of=day)]
    assert len(patients) >= 5
    result = screen(_BULK, as_of=day, engine=engine)
    assert not result.errors and result.patients == len(patients)
    screened = {
        (r["patient_id"], r["technique"]): (r["verdict"], sorted(r["fired_rules"]))
        for r in result.decisions.iter_rows(named=True)
    }
    assert screened == _expected(engine, patients, day)
    # the command line takes the folder as its input
    out = tmp_path / "decisions.parquet"
    assert main(["screen", str(_BULK), "--out", str(out), "--as-of", "2026-11-27"]) == 0
    assert pl.read_parquet(out).height == len(patients) * len(engine.techniques)


def test_a_bulk_patient_the_mapping_refuses_is_a_refused_row_and_a_broken_line_stops_all(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    for path in _BULK.glob("*.ndjson"):
        (folder / path.name).write_bytes(path.read_bytes())
    patients = [json.loads(line) for line in (folder / "Patient.000.ndjson").open()]
    first = patients[0]["id"]
    temperature = {
        "resourceType": "Observation",
        "id": "bad-temperature",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "subject": {"reference": f"Patient/{first}"},
        "effectiveDateTime": "2026-11-26",
        "valueQuantity": {
            "value": 310,
            "unit": "K",
            "system": "http://unitsofmeasure.org",
            "code": "K",
        },
    }
    (folder / "Observation.000.ndjson").write_text(json.dumps(temperature) + "\n")
    result = screen(folder, as_of=date(2026, 11, 27), engine=engine)
    assert {e.row for e in result.errors} == {0}
    assert any("Observation.000.ndjson:1" in e.path for e in result.errors)
    assert first not in set(result.decisions["patient_id"].to_list())
    assert result.decisions["patient_id"].n_unique() == len(patients) - 1
    # A line that is not a resource may belong to any patient: nothing is screened.
    with (folder / "Condition.000.ndjson").open("a") as handle:
        handle.write("{not json\n")
    with pytest.raises(InputError, match=r"Condition\.000\.ndjson:\d+: not JSON"):
        screen(folder, as_of=date(2026, 11, 27), engine=engine)


def test_an_indication_written_as_a_synonym_in_a_table_is_read_as_the_model_reads_it() -> None:
    rows = _rows()
    table = patients_to_table(herniarules.patient_from_dict(r) for r in rows)
    spelled = [["pinched-muscle-fibers", "pain-relief"]] + [[] for _ in rows[1:]]
    table = table.with_columns(pl.Series("indications", spelled, dtype=pl.List(pl.String())))
    records = [{**r, "indications": s} for r, s in zip(rows, spelled, strict=True)]
    patients = [herniarules.patient_from_dict(r) for r in records]
    facts, errors = derive_table(table, AS_OF)
    assert not errors
    for patient, row in zip(patients, facts.iter_rows(named=True), strict=True):
        assert facts_from_row(row) == derive_facts(patient, as_of=AS_OF)


@pytest.mark.parametrize("workers", [1, 2])
def test_ndjson_read_in_blocks_gives_the_line_by_line_reference(
    tmp_path: Path, workers: int
) -> None:
    from herniarules.screen._ndjson import read_lines, read_ndjson

    lines = [json.dumps(r) for r in _rows()]
    lines[2] = lines[2].replace('"age": ', '"age": "x", "a": ')
    text = "\n".join([*lines, "", *lines[:3], '{"id": 1'])
    source = tmp_path / "patients.ndjson"
    source.write_text(text)
    table, errors = read_ndjson(source, workers=workers, block_bytes=500)
    expected_table, expected_errors = read_lines(source.read_bytes().splitlines(keepends=True))
    assert table.equals(expected_table)
    assert errors == expected_errors
    assert {e.row for e in errors} == {2, len(lines), len(lines) + 3, len(lines) + 4}


def test_a_script_read_from_standard_input_reads_ndjson_in_process(tmp_path: Path) -> None:
    # Worker processes re-import the main module, which a script given on standard input
    # does not have as a file: the read falls back to this process, with the same answer.
    import subprocess
    import sys

    lines = [json.dumps(r) for r in _rows()]
    source = tmp_path / "patients.ndjson"
    source.write_text("\n".join(lines * 3) + "\n")
    script = (
        "from pathlib import Path\n"
        "from herniarules.screen._ndjson import read_ndjson\n"
        f"table, errors = read_ndjson(Path({str(source)!r}), block_bytes=500)\n"
        "print(table.height, len(errors))\n"
    )
    done = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(len(lines) * 3), "0"]


@pytest.mark.parametrize("child", ["hernias", "conditions", "medications", "clearances"])
def test_a_table_row_with_a_null_child_record_or_no_sex_is_refused_as_the_json_reader_refuses_it(
    child: str,
) -> None:
    patient = herniarules.load_patient(sorted(EXAMPLES.glob("*.json"))[0])
    table = patients_to_table([patient, patient])
    records = table[child].to_list()
    records[0] = [None, *records[0]]
    table = table.with_columns(
        pl.Series(child, records, dtype=table.schema[child]),
        pl.Series("sex", [patient.sex.value, None]),
    )
    screening = screen(table, as_of=date(2026, 11, 27))
    assert [(e.row, e.path) for e in screening.errors] == [(0, f"{child}[0]"), (1, "sex")]
    assert screening.decisions.is_empty()
