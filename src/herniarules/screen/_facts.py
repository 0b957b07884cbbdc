"""Facts, column-wise: a patient table in, a facts table and the rows that were refused out.

The facts table has one row per valid patient and one column per field of
:class:`~herniarules.facts.Facts`, as :mod:`herniarules.rules._polars` reads it. Two kinds of
work are done differently:

- **What a child record means** (the concepts, tiers, sites and displays of a condition, what
  a medication or allergy means) depends on the record alone. Each *distinct* child record is
  read once by the JSON reader (:func:`herniarules.patient_from_dict`), which also validates
  it with its path-named messages, and its facts are derived by
  :func:`~herniarules.facts.derive_facts` itself, on a patient holding that record only; the
  results are joined back to every row holding it. A register repeats codes, drugs and
  allergies, so this costs a few microseconds per distinct record, not per patient.
- **What a patient's records add up to** (worst phase, largest hernia, blood-pressure grade,
  days since the last course, the union of concepts, pregnancy) is computed column-wise,
  following :func:`~herniarules.facts.derive_facts` line by line.

Values that vary per patient and are checked against ranges (age, vitals, hernia sizes, the id)
are checked column-wise with the model's bounds; a row that fails one is read by the JSON
reader for the exact messages. A row with any problem never reaches the facts table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import attrs
import polars as pl

from herniarules.errors import InputError, Problem
from herniarules.facts import CHILDBEARING_AGES, Facts, derive_facts
from herniarules.io import patient_from_dict
from herniarules.model import PHASE_SEVERITY, Patient
from herniarules.rules._polars import ROW
from herniarules.screen._table import CHILDREN, PATIENT_SCHEMA, row_to_dict
from herniarules.terminology import DEFAULT_TERMINOLOGY, Terminology, normalize_code

__all__ = ["FACTS_SCHEMA", "RowError", "derive_table", "facts_from_row"]

_S, _I, _F, _B = pl.String(), pl.Int64(), pl.Float64(), pl.Boolean()
_LS = pl.List(pl.String())
_HERNIA = pl.Struct(CHILDREN["hernias"])
_CONDITION = pl.Struct(
    {
        "concept": _S,
        "tier": _S,
        "site": _S,
        "code": _S,
        "system": _S,
        "display": _S,
        "status": _S,
    }
)
_SETS = (
    "phases",
    "hernia_regions",
    "hernia_kinds",
    "concepts",
    "exacerbated_conditions",
    "indications",
    "unrecorded_hernia_codes",
    "unclassified_medications",
)

#: The schema of a facts table: :data:`~herniarules.rules._polars.ROW`, then every fact.
FACTS_SCHEMA = pl.Schema(
    {
        ROW: pl.UInt32(),
        "patient_id": _S,
        "as_of": pl.Date(),
        "age": _I,
        "sex": _S,
        "has_hernia": _B,
        "worst_phase": _S,
        "phases": _LS,
        "hernia_regions": _LS,
        "hernia_kinds": _LS,
        "max_hernia_size_mm": _F,
        "surgery_indicated": _B,
        "pain_score": _I,
        "temperature_c": _F,
        "systolic_mmhg": _I,
        "diastolic_mmhg": _I,
        "bp_grade": _I,
        "pregnant": _B,
        "inflammatory_process": _B,
        "concepts": _LS,
        "exacerbated_conditions": _LS,
        "had_massage_course": _B,
        "days_since_last_course": _I,
        "had_spinal_surgery": _B,
        "days_since_surgery": _I,
        "indications": _LS,
        "hernias": pl.List(_HERNIA),
        "conditions": pl.List(_CONDITION),
        "unrecorded_hernia_codes": _LS,
        "unclassified_medications": _LS,
    }
)


@attrs.frozen
class RowError:
    """One problem of one input row: its number (from 0), the JSON path and the message."""

    row: int
    path: str
    message: str


_BASE: dict[str, Any] = {"id": "x", "age": 40, "sex": "female"}


def _read(record: dict[str, Any]) -> Patient | InputError:
    try:
        return patient_from_dict(record)
    except InputError as error:
        return error


def _distinct(table: pl.DataFrame, name: str) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Return ``(row, pos, uid)`` per child record of list column ``name``, and the distinct."""
    exploded = (
        table.select(ROW, pl.col(name))
        .explode(name)
        .filter(pl.col(name).is_not_null())
        .with_columns(pos=pl.int_range(pl.len()).over(ROW))
    )
    uniques = exploded.select(name).unique(maintain_order=True).with_row_index("uid")
    indexed = exploded.join(uniques, on=name, how="left", nulls_equal=True).select(
        ROW, "pos", "uid"
    )
    return indexed, uniques[name].to_list()


def _child_errors(
    indexed: pl.DataFrame, failures: Mapping[int, InputError], name: str
) -> list[RowError]:
    if not failures:
        return []
    bad = indexed.filter(pl.col("uid").is_in(list(failures)))
    out = []
    for row, pos, uid in bad.iter_rows():
        for problem in failures[uid].problems:
            path = problem.path.replace(f"{name}[0]", f"{name}[{pos}]", 1)
            out.append(RowError(row, path, problem.message))
    return out


def _contributions(
    table: pl.DataFrame,
    name: str,
    terminology: Terminology,
    derive: Callable[[Facts], dict[str, Any]],
    schema: Mapping[str, pl.DataType],
    as_of: dt.date,
) -> tuple[pl.DataFrame, list[RowError]]:
    """Return, per row, what its ``name`` records contribute, and the rows' problems.

    Each distinct record is read alone into a patient, its facts derived, and ``derive`` picks
    what the row needs; lists are concatenated in record order.
    """
    indexed, uniques = _distinct(table, name)
    failures: dict[int, InputError] = {}
    results: dict[str, list[Any]] = {key: [] for key in schema}
    for uid, child in enumerate(uniques):
        record = dict(_BASE)
        record[name] = [{k: _json(v) for k, v in child.items() if v is not None}]
        read = _read(record)
        if isinstance(read, InputError):
            failures[uid] = read
            values: dict[str, Any] = {key: [] for key in schema}
        else:
            values = derive(derive_facts(read, as_of, terminology))
        for key in schema:
            results[key].append(values[key])
    derived = _frame(results, schema).with_row_index("uid")
    joined = (
        indexed.join(derived, on="uid", how="left")
        .sort(ROW, "pos")
        .group_by(ROW, maintain_order=True)
        .agg([pl.col(key).list.explode(keep_nulls=False, empty_as_null=False) for key in schema])
    )
    return joined, _child_errors(indexed, failures, name)


def _frame(columns: dict[str, list[Any]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Return ``columns`` as a frame of ``schema``, built through Arrow (faster for lists)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    types = pl.DataFrame(schema=dict(schema)).to_arrow().schema
    arrays = [pa.array(columns[name], type=types.field(name).type) for name in schema]
    frame = pl.from_arrow(pa.Table.from_arrays(arrays, schema=types))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _json(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _conditions(facts: Facts) -> dict[str, Any]:
    hernia_codes = [c for c in facts.unrecorded_hernia_codes]
    return {
        "c_items": [attrs.asdict(item) for item in facts.conditions],
        "c_concepts": sorted(facts.concepts),
        "c_exacerbated": sorted(facts.exacerbated_conditions),
        "c_hernia_codes": hernia_codes,
        "c_hernia_regions": [sorted(_code_regions(code)) for code in hernia_codes],
    }


def _code_regions(shown: str) -> frozenset[str]:
    from herniarules.facts import _hernia_code_regions

    return _hernia_code_regions(normalize_code(shown))


def _medications(facts: Facts) -> dict[str, Any]:
    return {
        "m_concepts": sorted(facts.concepts),
        "m_unclassified": sorted(facts.unclassified_medications),
    }


def _allergies(facts: Facts) -> dict[str, Any]:
    return {"a_concepts": sorted(facts.concepts)}


def _nothing(facts: Facts) -> dict[str, Any]:
    return {}


_CONDITION_OUT = {
    "c_items": pl.List(_CONDITION),
    "c_concepts": _LS,
    "c_exacerbated": _LS,
    "c_hernia_codes": _LS,
    "c_hernia_regions": pl.List(_LS),
}


def _row_errors(table: pl.DataFrame, rows: list[int]) -> list[RowError]:
    """Return the problems of ``rows`` as the JSON reader names them."""
    out: list[RowError] = []
    subset = table.filter(pl.col(ROW).is_in(rows))
    for row in subset.iter_rows(named=True):
        read = _read(row_to_dict(row))
        if isinstance(read, InputError):
            out.extend(RowError(row[ROW], p.path, p.message) for p in read.problems)
        else:  # the column checks below are the model's bounds; this cannot differ
            out.append(RowError(row[ROW], "", "row refused by the column checks"))
    return out


def _column_problems(table: pl.DataFrame) -> pl.Expr:
    """Return an expression that is true for a row breaking a bound checked per value."""
    v = pl.col("vitals")
    systolic, diastolic = v.struct.field("systolic_mmhg"), v.struct.field("diastolic_mmhg")
    temperature, pain = v.struct.field("temperature_c"), v.struct.field("pain_score")

    def outside(e: pl.Expr, low: float, high: float) -> pl.Expr:
        return e.is_not_null() & (e.is_nan() | (e < low) | (e > high)).fill_null(True)

    def outside_int(e: pl.Expr, low: int, high: int) -> pl.Expr:
        return e.is_not_null() & ((e < low) | (e > high))

    sizes = pl.col("hernias").list.eval(
        pl.element().struct.field("size_mm").is_not_null()
        & (
            pl.element().struct.field("size_mm").is_nan()
            | (pl.element().struct.field("size_mm") < 0)
            | (pl.element().struct.field("size_mm") > 40)
        )
    )
    return (
        pl.col("id").is_null()
        | ~pl.col("id").str.contains(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$").fill_null(False)
        | pl.col("age").is_null()
        | outside_int(pl.col("age"), 0, 130)
        | pl.col("vitals").is_null()
        | outside_int(systolic, 50, 300)
        | outside_int(diastolic, 20, 200)
        | outside(temperature, 30.0, 45.0)
        | outside_int(pain, 0, 10)
        | (diastolic >= systolic).fill_null(False)
        | sizes.list.any().fill_null(False)
    )


def derive_table(
    patients: pl.DataFrame, as_of: dt.date, terminology: Terminology = DEFAULT_TERMINOLOGY
) -> tuple[pl.DataFrame, list[RowError]]:
    """Return the facts table of the valid rows of ``patients`` on ``as_of``, and the problems.

    ``patients`` has :data:`~herniarules.screen._table.PATIENT_SCHEMA` (columns it lacks are
    null, columns it adds are refused). The facts table keeps each row's number in
    :data:`~herniarules.rules._polars.ROW`.
    """
    table = _conform(patients).with_row_index(ROW)
    errors: list[RowError] = []
    # The patient's own fields: each distinct combination read once (ids checked below).
    own = ["age", "sex", "pregnant", "inflammatory_process", "indications"]
    combos = table.select(own).unique(maintain_order=True).with_row_index("cid")
    bad_combos: dict[int, InputError] = {}
    for cid, combo in enumerate(combos.drop("cid").iter_rows(named=True)):
        record = dict(_BASE)
        record.update({k: v for k, v in combo.items() if v is not None})
        read = _read(record)
        if isinstance(read, InputError):
            bad_combos[cid] = read
    with_cid = table.join(combos, on=own, how="left", nulls_equal=True)
    for row, cid in (
        with_cid.filter(pl.col("cid").is_in(list(bad_combos))).select(ROW, "cid").iter_rows()
    ):
        errors.extend(RowError(row, p.path, p.message) for p in bad_combos[cid].problems)
    flagged = table.filter(_column_problems(table))[ROW].to_list()
    errors.extend(_row_errors(table, flagged))

    conditions, condition_errors = _contributions(
        table, "conditions", terminology, _conditions, _CONDITION_OUT, as_of
    )
    medications, medication_errors = _contributions(
        table,
        "medications",
        terminology,
        _medications,
        {"m_concepts": _LS, "m_unclassified": _LS},
        as_of,
    )
    allergies, allergy_errors = _contributions(
        table, "allergies", terminology, _allergies, {"a_concepts": _LS}, as_of
    )
    errors += condition_errors + medication_errors + allergy_errors
    for name in ("hernias", "massage_courses", "surgeries", "clearances"):
        indexed, uniques = _distinct(
            table.with_columns(
                pl.col("hernias").list.eval(
                    pl.element().struct.with_fields(pl.lit(None, _F).alias("size_mm"))
                )
            )
            if name == "hernias"
            else table,
            name,
        )
        failures: dict[int, InputError] = {}
        for uid, child in enumerate(uniques):
            record = dict(_BASE)
            record[name] = [{k: _json(v) for k, v in child.items() if v is not None}]
            read = _read(record)
            if isinstance(read, InputError):
                failures[uid] = read
        errors += _child_errors(indexed, failures, name)

    refused = sorted({e.row for e in errors})
    valid = table.filter(~pl.col(ROW).is_in(refused)) if refused else table
    facts = _derive(valid, conditions, medications, allergies, as_of)
    errors.sort(key=lambda e: (e.row, e.path))
    return facts, errors


def _conform(patients: pl.DataFrame) -> pl.DataFrame:
    """Return ``patients`` with exactly :data:`PATIENT_SCHEMA`; raise InputError otherwise."""
    extra = [name for name in patients.columns if name not in PATIENT_SCHEMA]
    if extra:
        known = ", ".join(PATIENT_SCHEMA)
        raise InputError(
            [
                Problem(
                    extra[0],
                    f"the patient table has unknown columns {', '.join(extra)}; known: {known}",
                )
            ],
            "the patient table",
        )
    if "id" not in patients.columns or "age" not in patients.columns:
        raise InputError(
            [Problem("id", "the patient table needs the columns id, age and sex")],
            "the patient table",
        )
    columns: list[pl.Series] = []
    for name, dtype in PATIENT_SCHEMA.items():
        if name not in patients.columns:
            columns.append(pl.Series(name, [None] * len(patients), dtype=dtype))
            continue
        try:
            columns.append(patients[name].cast(dtype, strict=True).alias(name))
        except Exception as exc:  # a polars cast error, whatever its class
            raise InputError(
                [Problem(name, f"cannot be read as {dtype}: {str(exc).splitlines()[0]}")],
                "the patient table",
            ) from None
    return pl.DataFrame(columns)


_RANK = {phase._value_: rank for rank, phase in enumerate(PHASE_SEVERITY)}


def _set(expr: pl.Expr) -> pl.Expr:
    return expr.list.unique().list.sort()


def _derive(
    table: pl.DataFrame,
    conditions: pl.DataFrame,
    medications: pl.DataFrame,
    allergies: pl.DataFrame,
    as_of: dt.date,
) -> pl.DataFrame:
    """Return the facts table of the valid rows ``table``, as derive_facts would."""
    empty = pl.lit([], _LS)
    lazy = (
        table.lazy()
        .join(conditions.lazy(), on=ROW, how="left")
        .join(medications.lazy(), on=ROW, how="left")
        .join(allergies.lazy(), on=ROW, how="left")
    )
    h = pl.col("hernias")
    size = pl.element().struct.field("size_mm")
    surgery = pl.element().struct.field("surgery_indicated")
    vitals = pl.col("vitals")
    systolic = vitals.struct.field("systolic_mmhg")
    diastolic = vitals.struct.field("diastolic_mmhg")
    regions = _set(h.list.eval(pl.element().struct.field("region")))
    ranks = h.list.eval(pl.element().struct.field("phase").replace_strict(_RANK, return_dtype=_I))
    worst = ranks.list.min().replace_strict(
        {rank: phase for phase, rank in _RANK.items()}, default=None, return_dtype=_S
    )
    lazy = lazy.with_columns(
        has_hernia=h.list.len() > 0,
        worst_phase=worst,
        phases=_set(h.list.eval(pl.element().struct.field("phase"))),
        hernia_regions=regions,
        hernia_kinds=_set(h.list.eval(pl.element().struct.field("kind"))),
        max_hernia_size_mm=pl.when(h.list.eval(size.is_null()).list.any())
        .then(pl.lit(None, _F))
        .otherwise(h.list.eval(size).list.max()),
        surgery_indicated=pl.when(h.list.eval(surgery.fill_null(False)).list.any())
        .then(True)
        .when(h.list.eval(surgery.is_null()).list.any())
        .then(pl.lit(None, _B))
        .otherwise(False),
        pain_score=vitals.struct.field("pain_score"),
        temperature_c=vitals.struct.field("temperature_c"),
        systolic_mmhg=systolic,
        diastolic_mmhg=diastolic,
        bp_grade=pl.when(systolic.is_null() | diastolic.is_null())
        .then(pl.lit(None, _I))
        .when((systolic >= 180) | (diastolic >= 110))
        .then(3)
        .when((systolic >= 160) | (diastolic >= 100))
        .then(2)
        .when((systolic >= 140) | (diastolic >= 90))
        .then(1)
        .otherwise(0),
        c_items=pl.col("c_items").fill_null(pl.lit([], pl.List(_CONDITION))),
        c_hernia_codes=pl.col("c_hernia_codes").fill_null(empty),
        c_hernia_regions=pl.col("c_hernia_regions").fill_null(pl.lit([], pl.List(_LS))),
        union=pl.concat_list(
            pl.col("c_concepts").fill_null(empty),
            pl.col("m_concepts").fill_null(empty),
            pl.col("a_concepts").fill_null(empty),
        ),
    )
    # A disc-hernia code is unrecorded when no hernia lies in a region it is compatible with.
    codes = (
        lazy.select(ROW, "hernia_regions", "c_hernia_codes", "c_hernia_regions")
        .explode("c_hernia_codes", "c_hernia_regions")
        .filter(pl.col("c_hernia_codes").is_not_null())
        .filter(
            pl.concat_list("hernia_regions", "c_hernia_regions").list.n_unique()
            == pl.col("hernia_regions").list.len() + pl.col("c_hernia_regions").list.len()
        )
        .group_by(ROW)
        .agg(unrecorded_hernia_codes=pl.col("c_hernia_codes").unique().sort())
    )
    lazy = lazy.join(codes, on=ROW, how="left")
    pregnant_concept = pl.col("union").list.contains("pregnancy")
    inflammatory_concept = pl.col("union").list.contains("inflammatory-process")
    low, high = CHILDBEARING_AGES
    pregnant = (
        pl.when(pregnant_concept)
        .then(True)
        .when(
            pl.col("pregnant").is_null()
            & ((pl.col("sex") == "male") | (pl.col("age") < low) | (pl.col("age") > high))
        )
        .then(False)
        .otherwise(pl.col("pregnant"))
    )
    inflammatory = (
        pl.when(inflammatory_concept).then(True).otherwise(pl.col("inflammatory_process"))
    )
    lazy = lazy.with_columns(pregnant=pregnant, inflammatory_process=inflammatory)
    flags = pl.concat_list(
        pl.when(pl.col("pregnant").fill_null(False)).then(pl.lit(["pregnancy"])).otherwise(empty),
        pl.when(pl.col("inflammatory_process").fill_null(False))
        .then(pl.lit(["inflammatory-process"]))
        .otherwise(empty),
    )
    last_course = (
        pl.col("massage_courses").list.eval(pl.element().struct.field("end_date")).list.max()
    )
    last_surgery = pl.col("surgeries").list.eval(pl.element().struct.field("date")).list.max()
    day = pl.lit(as_of, pl.Date())
    lazy = lazy.with_columns(
        patient_id=pl.col("id"),
        as_of=day,
        concepts=_set(pl.concat_list("union", flags)),
        exacerbated_conditions=_set(pl.col("c_exacerbated").fill_null(empty)),
        had_massage_course=last_course.is_not_null(),
        days_since_last_course=(day - last_course).dt.total_days(),
        had_spinal_surgery=last_surgery.is_not_null(),
        days_since_surgery=(day - last_surgery).dt.total_days(),
        indications=_set(pl.col("indications").fill_null(empty)),
        hernias=h.fill_null(pl.lit([], pl.List(_HERNIA))),
        conditions=pl.col("c_items"),
        unrecorded_hernia_codes=pl.col("unrecorded_hernia_codes").fill_null(empty),
        unclassified_medications=_set(pl.col("m_unclassified").fill_null(empty)),
    )
    return (
        lazy.select([pl.col(name).cast(dtype) for name, dtype in FACTS_SCHEMA.items()])
        .sort(ROW)
        .collect()
    )


_ITEM_CLASSES: dict[str, Any] = {}


def facts_from_row(row: Mapping[str, Any]) -> Facts:
    """Return the :class:`~herniarules.facts.Facts` that one row of a facts table holds."""
    from herniarules.facts import ConditionFact, HerniaFact

    values = {name: row[name] for name in FACTS_SCHEMA if name != ROW}
    for name in _SETS:
        values[name] = frozenset(values[name] or ())
    values["hernias"] = tuple(HerniaFact(**item) for item in values["hernias"] or ())
    values["conditions"] = tuple(ConditionFact(**item) for item in values["conditions"] or ())
    return Facts(**values)
