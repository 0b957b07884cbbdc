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
  allergies, so this costs a few microseconds per distinct record, not per patient. A
  medication's parts (name, ATC code, category) combine freely, so each distinct value of
  each part is read instead, and the records put together from their parts.
- **What a patient's records add up to** (worst phase, largest hernia, blood-pressure grade,
  days since the last course, the union of concepts, pregnancy) is computed column-wise,
  following :func:`~herniarules.facts.derive_facts` line by line.

Values that vary per patient and are checked against ranges (age, vitals, hernia sizes, the id)
are checked column-wise with the model's bounds; a row that fails one is read by the JSON
reader for the exact messages. A row with any problem never reaches the facts table.
"""

from __future__ import annotations

import datetime as dt
import functools
import weakref
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import polars as pl

from herniarules._checks import MAX_ITEMS_PER_LIST
from herniarules.errors import InputError, Problem
from herniarules.facts import (
    _DISC_HERNIA,
    _EXACERBATION,
    _HISTORY_STATUSES,
    CHILDBEARING_AGES,
    Facts,
    _medication_label,
)
from herniarules.io import patient_from_dict
from herniarules.model import PHASE_SEVERITY, ClinicalStatus, Patient, Verification
from herniarules.outcomes import Outcome
from herniarules.rules._polars import ENGINE, ROW
from herniarules.screen._table import CHILDREN, PATIENT_SCHEMA, row_to_dict
from herniarules.terminology import (
    DEFAULT_TERMINOLOGY,
    CodeSystem,
    Terminology,
    code_table,
    dotted,
)
from herniarules.vocabulary import Indication, Site, allergy_concepts, classify_medication

__all__ = ["FACTS_SCHEMA", "SET_FACTS", "RowError", "derive_table", "facts_from_row"]

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
    "unconfirmed_conditions",
    "unclassified_conditions",
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
        "unconfirmed_conditions": _LS,
        "unclassified_conditions": _LS,
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


#: Per child list, the fields a distinct record is read without: values checked per value
#: by :func:`_column_problems` (sizes, the order of dates) or by the code lookup (codes), and
#: dates, which the table's type already makes dates. What is left repeats across a register.
_BLANKED: Mapping[str, Mapping[str, Any]] = {
    "hernias": {"size_mm": None},
    "conditions": {"onset": None},
    "allergies": {},
    "medications": {},
    "massage_courses": {"end_date": dt.date(2000, 1, 2), "start_date": None},
    "surgeries": {"date": dt.date(2000, 1, 1)},
    "clearances": {"date": dt.date(2000, 1, 1), "valid_until": None},
}
#: A code valid in both code systems, read in place of a condition's code: whether the code
#: exists is the code lookup's business (:func:`_code_lookup`).
_ANY_CODE = "A00.0"


def _records(table: pl.DataFrame, name: str) -> pl.DataFrame:
    """Return ``(row, name, pos)`` per record of list column ``name``, null records left out.

    ``pos`` orders a row's records as its list does (its position in the list).
    """
    positions = pl.int_ranges(pl.col(name).list.len(), dtype=pl.Int64()).alias("pos")
    return (
        table.select(ROW, pl.col(name), positions)
        .explode(name, "pos")
        .filter(pl.col(name).is_not_null())
    )


def _blanked_records(
    table: pl.DataFrame, name: str, blanked: Mapping[str, Any], *, positions: bool = True
) -> pl.DataFrame:
    """Return :func:`_records` with the ``blanked`` fields replaced by their fixed values.

    Without ``positions``, the records' ``pos`` is left out.
    """
    if positions:
        exploded = _records(table, name)
    else:
        exploded = table.select(ROW, name).explode(name).filter(pl.col(name).is_not_null())
    fields = [pl.lit(v, CHILDREN[name][k]).alias(k) for k, v in blanked.items()]
    if name == "conditions":
        code = pl.col(name).struct.field("code")
        fields.append(pl.when(code.is_null()).then(None).otherwise(pl.lit(_ANY_CODE)).alias("code"))
    if fields:
        exploded = exploded.with_columns(pl.col(name).struct.with_fields(fields))
    return exploded


def _distinct(
    table: pl.DataFrame, name: str, blanked: Mapping[str, Any]
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Return ``(row, pos, uid)`` per child record of list column ``name``, and the distinct.

    Records are compared with the ``blanked`` fields replaced by their fixed values. One
    ``group_by`` of the records gives both, in the order of first appearance;
    :func:`_distinct_joined` finds the distinct records and joins them back instead.
    """
    exploded = _blanked_records(table, name, blanked)
    groups = exploded.group_by(name, maintain_order=True).agg(ROW, "pos").with_row_index("uid")
    indexed = groups.select(ROW, "pos", "uid").explode(ROW, "pos")
    return indexed, groups[name].to_list()


def _distinct_joined(
    table: pl.DataFrame, name: str, blanked: Mapping[str, Any]
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    """Return :func:`_distinct` by a ``unique`` of the records joined back to them."""
    exploded = _blanked_records(table, name, blanked)
    uniques = exploded.select(name).unique(maintain_order=True).with_row_index("uid")
    indexed = exploded.join(uniques, on=name, how="left", nulls_equal=True).select(
        ROW, "pos", "uid"
    )
    return indexed, uniques[name].to_list()


def _read_children(
    table: pl.DataFrame, name: str
) -> tuple[pl.DataFrame, list[Any | None], set[int]]:
    """Read each distinct ``name`` record; return the index, the records read, the bad rows.

    A record read is ``None`` for a record the JSON reader refuses (:func:`_read_records`);
    its rows are returned as bad.
    """
    indexed, uniques = _distinct(table, name, _BLANKED[name])
    reads = _read_records(
        name, [{k: _json(v) for k, v in c.items() if v is not None} for c in uniques]
    )
    bad_uids = [uid for uid, read in enumerate(reads) if read is None]
    bad = set(indexed.filter(pl.col("uid").is_in(bad_uids))[ROW].to_list()) if bad_uids else set()
    return indexed, reads, bad


def _refused_rows(table: pl.DataFrame, name: str) -> set[int]:
    """Return the rows holding a ``name`` record the JSON reader refuses.

    As :func:`_read_children`'s bad rows, without its index: the distinct records are found
    by a ``unique`` of the records alone, and only the refused ones (if any) are joined back
    to the rows that hold them.
    """
    exploded = _blanked_records(table, name, _BLANKED[name], positions=False)
    uniques = exploded.select(name).unique()
    reads = _read_records(
        name,
        [{k: _json(v) for k, v in c.items() if v is not None} for c in uniques[name].to_list()],
    )
    refused = [read is None for read in reads]
    if not any(refused):
        return set()
    held = exploded.join(uniques.filter(pl.Series(refused)), on=name, how="semi", nulls_equal=True)
    return set(held[ROW].to_list())


def _read_records(name: str, records: list[dict[str, Any]]) -> list[Any | None]:
    """Return each ``name`` record as the JSON reader reads it in a patient of its own, or
    ``None`` where it refuses it.

    A patient's records are read one by one (no check looks at two of them together), so
    the records are read as one patient's list, as many as a list may hold at a time; a
    list the reader refuses is read again a record at a time. :func:`_read_records_alone`
    reads each record in a patient of its own.
    """
    out: list[Any | None] = []
    for start in range(0, len(records), MAX_ITEMS_PER_LIST):
        batch = records[start : start + MAX_ITEMS_PER_LIST]
        read = _read({**_BASE, name: batch})
        if isinstance(read, InputError):
            out.extend(_read_records_alone(name, batch))
        else:
            out.extend(getattr(read, name))
    return out


def _read_records_alone(name: str, records: list[dict[str, Any]]) -> list[Any | None]:
    """Return :func:`_read_records` by reading each record in a patient of its own."""
    out: list[Any | None] = []
    for record in records:
        read = _read({**_BASE, name: [record]})
        out.append(None if isinstance(read, InputError) else getattr(read, name)[0])
    return out


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


def _per_row(
    indexed: pl.DataFrame, values: pl.DataFrame, schema: Mapping[str, Any]
) -> pl.DataFrame:
    """Join per-uid ``values`` to the records and gather them per row, in record order."""
    return (
        indexed.join(values.with_row_index("uid"), on="uid", how="inner")
        .sort(ROW, "pos")
        .group_by(ROW, maintain_order=True)
        .agg([pl.col(key).list.explode(keep_nulls=False, empty_as_null=False) for key in schema])
    )


#: A medication's parts in the order :func:`~herniarules.facts._medication_label` names them.
_MEDICATION_PARTS = ("name", "atc", "category")


def _medication_part(part: str, values: list[str]) -> pl.DataFrame:
    """Return, per distinct value of one medication part, what a medication of it alone says.

    Columns: the part's value, ``ok`` (the JSON reader accepts it), ``known`` (it classifies),
    ``concepts`` (what it means) and ``label`` (how a finding names it).
    """
    ok: list[bool] = []
    known: list[bool] = []
    concepts: list[list[str]] = []
    labels: list[str | None] = []
    for value in values:
        read = _read({**_BASE, "medications": [{part: value}]})
        if isinstance(read, InputError):
            ok.append(False)
            known.append(False)
            concepts.append([])
            labels.append(None)
            continue
        medication = read.medications[0]
        meant = classify_medication(medication)
        ok.append(True)
        known.append(meant is not None)
        concepts.append(sorted(meant or ()))
        labels.append(_medication_label(medication))
    return pl.DataFrame(
        {part: values, "ok": ok, "known": known, "concepts": concepts, "label": labels},
        schema={part: _S, "ok": _B, "known": _B, "concepts": _LS, "label": _S},
    )


def _medications(table: pl.DataFrame) -> tuple[pl.DataFrame, set[int]]:
    """Return what each row's medications mean (concepts, unclassified labels), bad rows.

    A medication means the union of what its known parts mean, and is unclassified when no
    part is known (:func:`~herniarules.vocabulary.classify_medication`); it is named by its
    parts' names joined. So each distinct value of each part is read and classified once, as
    a medication of that part alone (:func:`_medication_part`), and the records are put
    together from their parts column-wise; a record with no part is refused, as the model
    refuses it. :func:`_medications_by_record` reads each distinct record whole instead.
    """
    records = (
        table.select(ROW, "medications")
        .explode("medications")
        .filter(pl.col("medications").is_not_null())
        .unnest("medications")
    )
    parts = []
    for part in _MEDICATION_PARTS:
        values = records[part].drop_nulls().unique().sort().to_list()
        said = _medication_part(part, values).rename(
            {name: f"{part}_{name}" for name in ("ok", "known", "concepts", "label")}
        )
        records = records.join(said, on=part, how="left", maintain_order="left")
        parts.append(part)
    refused = pl.all_horizontal(pl.col(p).is_null() for p in parts) | pl.any_horizontal(
        (pl.col(p).is_not_null() & ~pl.col(f"{p}_ok")) for p in parts
    )
    bad = set(records.filter(refused)[ROW].to_list())
    known = pl.any_horizontal(pl.col(f"{p}_known").fill_null(False) for p in parts)
    meant = records.filter(~refused).select(
        ROW,
        functools.reduce(
            lambda union, concepts: union.list.set_union(concepts),
            [
                pl.when(pl.col(f"{p}_known").fill_null(False))
                .then(pl.col(f"{p}_concepts"))
                .otherwise(pl.lit([], _LS))
                for p in parts
            ],
        ).alias("concepts"),
        pl.when(known)
        .then(pl.lit(None, _S))
        .otherwise(pl.concat_str([f"{p}_label" for p in parts], separator=" / ", ignore_nulls=True))
        .alias("label"),
    )
    out = meant.group_by(ROW, maintain_order=True).agg(
        pl.col("concepts").list.explode(keep_nulls=False, empty_as_null=False).alias("m_concepts"),
        pl.col("label").drop_nulls().alias("m_unclassified"),
    )
    return out, bad


def _medications_by_record(table: pl.DataFrame) -> tuple[pl.DataFrame, set[int]]:
    """Return :func:`_medications` by reading and classifying each distinct record whole."""
    indexed, reads, bad = _read_children(table, "medications")
    concepts: list[list[str]] = []
    unclassified: list[list[str]] = []
    for medication in reads:
        if medication is None:
            concepts.append([])
            unclassified.append([])
            continue
        meant = classify_medication(medication)
        concepts.append(sorted(meant or ()))
        unclassified.append([_medication_label(medication)] if meant is None else [])
    schema = {"m_concepts": _LS, "m_unclassified": _LS}
    values = _frame({"m_concepts": concepts, "m_unclassified": unclassified}, schema)
    return _per_row(indexed, values, schema), bad


def _allergies(table: pl.DataFrame) -> tuple[pl.DataFrame, set[int]]:
    """Return the concepts each row's allergies mean, and the bad rows."""
    indexed, reads, bad = _read_children(table, "allergies")
    concepts = [[] if r is None else sorted(allergy_concepts(r)) for r in reads]
    schema = {"a_concepts": _LS}
    return _per_row(indexed, _frame({"a_concepts": concepts}, schema), schema), bad


_KLASS = pl.Struct({"concept": _S, "tier": _I, "site": _S})
_ACTIVE = sorted(s._value_ for s in ClinicalStatus if s.is_active)
_FLARED = sorted(s._value_ for s in ClinicalStatus if s.is_exacerbation)
_HISTORY = sorted(s._value_ for s in _HISTORY_STATUSES)
_TIER_LABELS = {int(o): o.label for o in Outcome}
_CONFIRMED = Verification.CONFIRMED._value_


def _code_lookup(codes: pl.DataFrame, terminology: Terminology) -> pl.DataFrame:
    """Return, per distinct ``(system, code)`` as written, what the code table says of it.

    Columns: ``key`` (normalized), ``shown`` (dotted), ``table_display``, ``system_value``,
    ``classes`` (concept, tier as an outcome number, site) and ``known`` (false for a code
    that does not exist in its system, or a system that does not exist).
    """
    columns: dict[str, list[Any]] = {
        "system": [],
        "code": [],
        "key": [],
        "shown": [],
        "table_display": [],
        "system_value": [],
        "classes": [],
        "known": [],
    }
    for system, code in codes.iter_rows():
        columns["system"].append(system)
        columns["code"].append(code)
        try:
            kind = CodeSystem(system)
            key, display, found = terminology.resolve(code, kind)
        except (ValueError, TypeError):
            for name in ("key", "shown", "table_display", "system_value"):
                columns[name].append(None)
            columns["classes"].append([])
            columns["known"].append(False)
            continue
        columns["key"].append(key)
        columns["shown"].append(dotted(key))
        columns["table_display"].append(display)
        columns["system_value"].append(kind._value_)
        columns["classes"].append(
            [{"concept": k.concept, "tier": int(k.tier), "site": k.site} for k in found]
        )
        columns["known"].append(True)
    return _frame(columns, _LOOKUP_SCHEMA)


_LOOKUP_SCHEMA = {
    "system": _S,
    "code": _S,
    "key": _S,
    "shown": _S,
    "table_display": _S,
    "system_value": _S,
    "classes": pl.List(_KLASS),
    "known": _B,
}
#: Per terminology, its code tables as one frame (:func:`_code_frame`): terminology data,
#: held only while the terminology lives.
_CODE_FRAMES: weakref.WeakKeyDictionary[Terminology, pl.DataFrame] = weakref.WeakKeyDictionary()


def _code_frame(terminology: Terminology) -> pl.DataFrame:
    """Return every code of every code system as ``terminology`` resolves it.

    One row per ``(system, key)``, the normalized code, with the other columns of
    :func:`_code_lookup`; built once per terminology from :meth:`Terminology.resolve` of each
    normalized code.
    """
    frame = _CODE_FRAMES.get(terminology)
    if frame is not None:
        return frame
    import pyarrow as pa

    parts = []
    for kind in CodeSystem:
        resolved = [terminology.resolve(code, kind) for code in code_table(kind).codes()]
        offsets = [0]
        concepts: list[str] = []
        tiers: list[int] = []
        sites: list[str | None] = []
        for _, _, found in resolved:
            for klass in found:
                concepts.append(klass.concept)
                tiers.append(int(klass.tier))
                sites.append(klass.site)
            offsets.append(len(concepts))
        klasses = pa.StructArray.from_arrays(
            [
                pa.array(concepts, pa.large_string()),
                pa.array(tiers, pa.int64()),
                pa.array(sites, pa.large_string()),
            ],
            names=["concept", "tier", "site"],
        )
        parts.append(
            pl.DataFrame(
                {
                    "system": pl.Series([kind._value_] * len(resolved), dtype=_S),
                    "key": pl.Series([r[0] for r in resolved], dtype=_S),
                    "table_display": pl.Series([r[1] for r in resolved], dtype=_S),
                    "classes": pl.Series(
                        pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), klasses)
                    ).cast(pl.List(_KLASS)),
                }
            )
        )
    key = pl.col("key")
    shown = (
        pl.when(key.str.len_chars() <= 3)
        .then(key)
        .otherwise(pl.concat_str(key.str.slice(0, 3), pl.lit("."), key.str.slice(3)))
    )
    frame = (
        pl.concat(parts)
        .select(
            "system",
            "key",
            shown.alias("shown"),
            "table_display",
            pl.col("system").alias("system_value"),
            "classes",
            pl.lit(True).alias("known"),
        )
        .rechunk()  # a join gathers from it: columns in one piece each are gathered faster
    )
    _CODE_FRAMES[terminology] = frame
    return frame


def _code_lookup_joined(codes: pl.DataFrame, terminology: Terminology) -> pl.DataFrame:
    """Return :func:`_code_lookup` of the distinct ``(system, code)`` of ``codes``.

    A code of letters and digits shaped as a code (three, then optionally a dot and one to four
    more) is normalized as :func:`~herniarules.terminology.normalize_code` does for that shape
    (upper case, no dot) and joined to :func:`_code_frame`; :meth:`Terminology.resolve` gives
    any code it normalizes to a code of the table as that code. Any other (another shape, a
    code not in its system's table, an unknown system) is looked up by :func:`_code_lookup`,
    and so is every code of another kind of terminology than :class:`Terminology`.
    """
    if type(terminology) is not Terminology:
        return _code_lookup(codes, terminology)
    joined = codes.with_columns(_candidate_key(pl.col("code"))).join(
        _code_frame(terminology), on=["system", "key"], how="left"
    )
    found = joined.filter(pl.col("known").is_not_null())
    rest = joined.filter(pl.col("known").is_null()).select("system", "code")
    out = pl.concat([found.select(list(_LOOKUP_SCHEMA)), _code_lookup(rest, terminology)])
    return out


def _looked_up_joined(records: pl.DataFrame, terminology: Terminology) -> pl.DataFrame:
    """Return ``records`` with what :func:`_code_lookup_joined` says of each one's code."""
    lookup = _code_lookup_joined(
        records.filter(pl.col("code").is_not_null()).select("system", "code").unique(),
        terminology,
    )
    return records.join(lookup, on=["system", "code"], how="left")


def _looked_up(records: pl.DataFrame, terminology: Terminology) -> pl.DataFrame:
    """Return :func:`_looked_up_joined`, each record's code joined to the code table at once.

    The records' codes are normalized and joined to :func:`_code_frame` themselves, not made
    distinct, looked up and joined back; the few that the frame does not hold are looked up
    as :func:`_code_lookup_joined` looks them up. The records come back in no particular order.
    """
    if type(terminology) is not Terminology:
        return _looked_up_joined(records, terminology)
    joined = records.with_columns(_candidate_key(pl.col("code"))).join(
        _code_frame(terminology), on=["system", "key"], how="left"
    )
    unfound = pl.col("known").is_null() & pl.col("code").is_not_null()
    rest = joined.filter(unfound)
    if rest.is_empty():
        looked = [name for name in _LOOKUP_SCHEMA if name not in ("system", "code")]
        return joined.select(*records.columns, *looked)
    found = joined.filter(~unfound)
    fixed = _looked_up_joined(rest.select(records.columns), terminology)
    return pl.concat([found.select(fixed.columns), fixed])


def _candidate_key(code: pl.Expr) -> pl.Expr:
    """Return a code shaped as a code, normalized as :func:`_code_lookup_joined` does; else null."""
    return (
        pl.when(code.str.contains(r"^[A-Za-z0-9]{3}(\.?[A-Za-z0-9]{1,4})?$"))
        .then(code.str.to_uppercase().str.replace(".", "", literal=True))
        .otherwise(pl.lit(None, _S))
        .alias("key")
    )


def _sites(values: list[str | None]) -> dict[str, str | None]:
    """Return each site as written -> its vocabulary value (``None`` if it is not a site)."""
    out: dict[str, str | None] = {}
    for value in values:
        if value is None:
            continue
        try:
            out[value] = Site.parse(value)._value_
        except (ValueError, TypeError):
            out[value] = None
    return out


def _hernia_code_regions_expr(key: pl.Expr) -> pl.Expr:
    """Return the hernia regions a disc-hernia code (normalized) fits, as facts.py says."""
    fifth = key.str.slice(4, 1)
    return (
        pl.when((key.str.slice(0, 3) == "M50") | key.str.starts_with("S130"))
        .then(pl.lit(["cervical"]))
        .when(key.str.starts_with("S230"))
        .then(pl.lit(["thoracic"]))
        .when(key.str.starts_with("S330") | fifth.is_in(["6", "7"]))
        .then(pl.lit(["lumbar", "lumbosacral"]))
        .when(fifth == "4")
        .then(pl.lit(["thoracic"]))
        .when(fifth == "5")
        .then(pl.lit(["thoracic", "lumbar"]))
        .otherwise(pl.lit(["thoracic", "lumbar", "lumbosacral"]))
    )


def _conditions(
    table: pl.DataFrame, terminology: Terminology, read: bool = False
) -> tuple[pl.DataFrame, set[int]]:
    """Return what each row's conditions add up to, column-wise, and the bad rows.

    A code's meaning comes from a lookup of each distinct code as written
    (:func:`_code_lookup`); a named concept's tiers from the terminology's tables; the rest
    follows :func:`~herniarules.facts.derive_facts` line by line. With ``read``, the records
    were accepted by the JSON reader already and are not read again.
    """
    bad = set() if read else _refused_rows(table, "conditions")
    records = (
        _records(table, "conditions")
        .unnest("conditions")
        .with_columns(pl.col("system").fill_null(CodeSystem.ICD10._value_))
    )
    sites = _sites(records["site"].unique().to_list())
    status = pl.col("status")
    records = records.with_columns(
        active=status.is_in(_ACTIVE),
        flared=status.is_in(_FLARED),
        site_value=pl.col("site").replace_strict(sites, default=None, return_dtype=_S),
    ).filter(pl.col("active") | status.is_in(_HISTORY))
    verification = pl.col("verification")
    doubtful = verification.is_not_null() & (verification != _CONFIRMED)
    unknown = pl.col("code").is_null() & pl.col("concept").is_null()
    label = pl.concat_str(["display", "other_code"], separator=" / ", ignore_nulls=True)
    unclassified = records.filter(~doubtful & unknown).select(ROW, label.alias("c"))
    unconfirmed = records.filter(doubtful)
    records = records.filter(~doubtful & ~unknown)
    history = {
        c: int(t) for c in terminology.concepts if (t := terminology.history_tier(c)) is not None
    }
    concept_tiers = {c: int(terminology.concept_tier(c)) for c in terminology.concepts}

    def tier_on_day(tier: pl.Expr, concept: pl.Expr) -> pl.Expr:
        later = concept.replace_strict(history, default=None, return_dtype=_I)
        return (
            pl.when(pl.col("active"))
            .then(tier)
            .when(later.is_not_null())
            .then(pl.min_horizontal(tier, later))
            .otherwise(pl.lit(None, _I))
        )

    coded = _looked_up(records.filter(pl.col("code").is_not_null()), terminology)
    unconfirmed = _looked_up(unconfirmed, terminology)
    bad |= set(coded.filter(~pl.col("known"))[ROW].to_list())
    bad |= set(unconfirmed.filter(pl.col("known").not_())[ROW].to_list())
    coded = coded.filter(pl.col("known"))
    doubts = _unconfirmed(unconfirmed, history)
    # Only the columns read per class are exploded (a copy of each per class).
    per_class = ("active", "status", "site_value", "shown", "system_value", "table_display", "key")
    klasses = (
        coded.select(ROW, "pos", *per_class, "classes")
        .with_columns(k=pl.int_ranges(pl.col("classes").list.len()))
        .explode("classes", "k")
        .filter(pl.col("classes").is_not_null())
        .with_columns(
            pl.col("classes").struct.field("concept").alias("kconcept"),
            pl.col("classes").struct.field("tier").alias("ktier"),
            pl.col("classes").struct.field("site").alias("ksite"),
        )
    )
    klasses = klasses.with_columns(tier=tier_on_day(pl.col("ktier"), pl.col("kconcept")))
    coded_items = klasses.filter(pl.col("tier").is_not_null()).select(
        ROW,
        "pos",
        "k",
        pl.struct(
            concept=pl.col("kconcept"),
            tier=pl.col("tier").replace_strict(_TIER_LABELS, return_dtype=_S),
            site=pl.coalesce("site_value", "ksite"),
            code=pl.col("shown"),
            system=pl.col("system_value"),
            display=pl.col("table_display"),
            status=status,
        ).alias("item"),
    )
    named = records.filter(pl.col("concept").is_not_null()).with_columns(
        tier=tier_on_day(
            pl.col("concept").replace_strict(
                concept_tiers, default=int(Outcome.CONTRAINDICATED), return_dtype=_I
            ),
            pl.col("concept"),
        )
    )
    named_items = named.filter(pl.col("tier").is_not_null()).select(
        ROW,
        "pos",
        pl.lit(1 << 30, _I).alias("k"),
        pl.struct(
            concept=pl.col("concept"),
            tier=pl.col("tier").replace_strict(_TIER_LABELS, return_dtype=_S),
            site=pl.col("site_value"),
            code=pl.lit(None, _S),
            system=pl.lit(None, _S),
            display=pl.col("display"),
            status=status,
        ).alias("item"),
    )
    items = (
        pl.concat([coded_items.cast({"k": _I}), named_items])
        .sort(ROW, "pos", "k")
        .group_by(ROW, maintain_order=True)
        .agg(pl.col("item").alias("c_items"))
    )
    active_classes = klasses.filter(pl.col("active"))
    concepts = pl.concat(
        [
            active_classes.select(ROW, pl.col("kconcept").alias("c")),
            named.filter(pl.col("active")).select(ROW, pl.col("concept").alias("c")),
        ]
    )
    exacerbated = pl.concat(
        [
            active_classes.filter(pl.col("kconcept") == _EXACERBATION).select(
                ROW, pl.col("shown").alias("c")
            ),
            coded.filter(pl.col("active") & pl.col("flared")).select(
                ROW, pl.col("shown").alias("c")
            ),
            named.filter(
                pl.col("active") & (pl.col("flared") | (pl.col("concept") == _EXACERBATION))
            ).select(ROW, pl.col("concept").alias("c")),
        ]
    )
    hernia_codes = (
        active_classes.filter(pl.col("kconcept") == _DISC_HERNIA)
        .sort(ROW, "pos", "k")
        .group_by(ROW, maintain_order=True)
        .agg(
            pl.col("shown").alias("c_hernia_codes"),
            _hernia_code_regions_expr(pl.col("key")).alias("c_hernia_regions"),
        )
    )
    out = (
        table.select(ROW)
        .join(items, on=ROW, how="left")
        .join(concepts.group_by(ROW).agg(pl.col("c").alias("c_concepts")), on=ROW, how="left")
        .join(exacerbated.group_by(ROW).agg(pl.col("c").alias("c_exacerbated")), on=ROW, how="left")
        .join(hernia_codes, on=ROW, how="left")
        .join(doubts.group_by(ROW).agg(pl.col("c").alias("c_unconfirmed")), on=ROW, how="left")
        .join(
            unclassified.group_by(ROW).agg(pl.col("c").alias("c_unclassified")),
            on=ROW,
            how="left",
        )
    )
    return out, bad


def _unconfirmed(records: pl.DataFrame, history: Mapping[str, int]) -> pl.DataFrame:
    """Return ``(row, name)`` of each unconfirmed condition that would bear on a rule.

    As :func:`herniarules.facts._unconfirmed_name`: one with neither code nor concept by its
    display and other code; an active one whose code or concept means a concept by its dotted
    code (else its concept); a past one when one of its concepts gives a history tier.
    """
    concepts = pl.concat_list(
        pl.col("classes").list.eval(pl.element().struct.field("concept")).fill_null([]),
        pl.when(pl.col("concept").is_not_null())
        .then(pl.concat_list(pl.col("concept")))
        .otherwise(pl.lit([], _LS)),
    )
    with_history = concepts.list.eval(pl.element().is_in(list(history))).list.any()
    unknown = pl.col("code").is_null() & pl.col("concept").is_null()
    label = pl.concat_str(["display", "other_code"], separator=" / ", ignore_nulls=True)
    bears = pl.when(pl.col("active")).then(concepts.list.len() > 0).otherwise(with_history)
    name = (
        pl.when(unknown)
        .then(label)
        .when(bears.fill_null(False))
        .then(pl.coalesce("shown", "concept"))
        .otherwise(pl.lit(None, _S))
    )
    return records.select(ROW, name.alias("c")).filter(pl.col("c").is_not_null())


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
    # A null child record, or no sex, is refused by the JSON reader ("must be an object",
    # "required field is missing"); the distinct records read below leave nulls out.
    null_records = [
        pl.col(name).list.eval(pl.element().is_null()).list.any().fill_null(False)
        for name in CHILDREN
    ]
    return (
        pl.col("id").is_null()
        | pl.col("sex").is_null()
        | pl.any_horizontal(null_records)
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
        | _after("massage_courses", "start_date", "end_date")
        | _after("clearances", "date", "valid_until")
    )


def _after(name: str, first: str, second: str) -> pl.Expr:
    """Return whether some ``name`` record has its ``first`` date after its ``second``."""
    e = pl.element().struct
    return (
        pl.col(name)
        .list.eval((e.field(first) > e.field(second)).fill_null(False))
        .list.any()
        .fill_null(False)
    )


#: From this many rows on, :func:`derive_table` runs its independent stages on two threads;
#: below it a thread's start costs more than the overlap saves.
_CONCURRENT_ROWS = 20_000


def derive_table(
    patients: pl.DataFrame,
    as_of: dt.date,
    terminology: Terminology = DEFAULT_TERMINOLOGY,
    *,
    read: bool = False,
) -> tuple[pl.DataFrame, list[RowError]]:
    """Return the facts table of the valid rows of ``patients`` on ``as_of``, and the problems.

    ``patients`` has :data:`~herniarules.screen._table.PATIENT_SCHEMA` (columns it lacks are
    null, columns it adds are refused). The facts table keeps each row's number in
    :data:`~herniarules.rules._polars.ROW`. ``read`` says that every row was written from a
    :class:`~herniarules.Patient` the JSON reader or the model's constructors accepted (as
    :func:`~herniarules.screen._table.patients_to_table` writes them): the distinct records are
    then not read a second time; the checks per value and the code lookup still run.
    """
    table = _conform(patients).with_row_index(ROW)
    if len(table) >= _CONCURRENT_ROWS:
        # The four stages read the table and nothing of each other: on two threads, each
        # stage's polars queries and Python steps overlap another's (polars releases the GIL).
        with ThreadPoolExecutor(max_workers=2) as pool:
            unread = pool.submit(_unread_rows, table) if not read else None
            conditions_done = pool.submit(_conditions, table, terminology, read)
            medications_done = pool.submit(_medications, table)
            allergies_done = pool.submit(_allergies, table)
            bad = set(table.filter(_column_problems(table))[ROW].to_list())
            if unread is not None:
                bad |= unread.result()
            conditions, bad_conditions = conditions_done.result()
            medications, bad_medications = medications_done.result()
            allergies, bad_allergies = allergies_done.result()
    else:
        bad = set(table.filter(_column_problems(table))[ROW].to_list())
        if not read:
            bad |= _unread_rows(table)
        conditions, bad_conditions = _conditions(table, terminology, read)
        medications, bad_medications = _medications(table)
        allergies, bad_allergies = _allergies(table)
    bad |= bad_conditions | bad_medications | bad_allergies
    refused = sorted(bad)
    errors = _row_errors(table, refused)
    valid = table.filter(~pl.col(ROW).is_in(refused)) if refused else table
    facts = _derive(valid, conditions, medications, allergies, as_of)
    errors.sort(key=lambda e: (e.row, e.path))
    return facts, errors


def _unread_rows(table: pl.DataFrame) -> set[int]:
    """Return the rows whose own fields or child records the JSON reader refuses.

    The patient's own fields are read by :func:`_unread_own_rows`, each distinct child record
    once (the id, the age and the values checked per value are not part of them).
    """
    bad = _unread_own_rows(table)
    for name in ("hernias", "massage_courses", "surgeries", "clearances"):
        bad |= _refused_rows(table, name)
    return bad


_OWN = ("sex", "pregnant", "inflammatory_process", "indications")


def _own_record(values: Mapping[str, Any]) -> dict[str, Any]:
    record = dict(_BASE)
    record.update({k: v for k, v in values.items() if v is not None})
    return record


def _unread_own_rows(table: pl.DataFrame) -> set[int]:
    """Return the rows whose own fields (sex, pregnancy, inflammation, indications) are refused.

    Only sex and pregnancy are checked against each other; an indication is parsed alone. So
    each distinct ``(sex, pregnant, inflammatory_process)`` is read once, and each distinct
    indication once, in a record of its own; :func:`_unread_own_rows_by_combination` reads
    each distinct combination of all four instead.
    """
    bad: set[int] = set()
    fields = list(_OWN[:3])
    combos = table.select(fields).unique()
    refused = [
        c for c in combos.iter_rows(named=True) if isinstance(_read(_own_record(c)), InputError)
    ]
    if refused:
        frame = pl.DataFrame(refused, schema=combos.schema, orient="row")
        rows = table.join(frame, on=fields, how="semi", nulls_equal=True)
        bad |= set(rows[ROW].to_list())
    indications = pl.col("indications")
    written = table.select(indications.explode().drop_nulls().unique())["indications"].to_list()
    wrong = [v for v in written if isinstance(_read(_own_record({"indications": [v]})), InputError)]
    if isinstance(_read(_own_record({"indications": [None]})), InputError):
        hit = indications.list.eval(pl.element().is_null() | pl.element().is_in(wrong))
    else:
        hit = indications.list.eval(pl.element().is_in(wrong))
    bad |= set(table.filter(hit.list.any().fill_null(False))[ROW].to_list())
    return bad


def _unread_own_rows_by_combination(table: pl.DataFrame) -> set[int]:
    """Return :func:`_unread_own_rows` by reading each distinct combination of the four."""
    own = list(_OWN)
    combos = table.select(own).unique(maintain_order=True).with_row_index("cid")
    bad_combos = [
        cid
        for cid, combo in enumerate(combos.drop("cid").iter_rows(named=True))
        if isinstance(_read(_own_record(combo)), InputError)
    ]
    if not bad_combos:
        return set()
    with_cid = table.select(ROW, *own).join(combos, on=own, how="left", nulls_equal=True)
    return set(with_cid.filter(pl.col("cid").is_in(bad_combos))[ROW].to_list())


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
            columns.append(_with_missing_fields(patients[name], name).cast(dtype, strict=True))
        except Exception as exc:  # a polars cast error, whatever its class
            raise InputError(
                [Problem(name, f"cannot be read as {dtype}: {str(exc).splitlines()[0]}")],
                "the patient table",
            ) from None
    # Columns in one piece each: the many gathers and explodes of the derivation are faster.
    return pl.DataFrame(columns).rechunk()


def _with_missing_fields(column: pl.Series, name: str) -> pl.Series:
    """Return a child-record column with the record fields it lacks added as nulls.

    A table written before a field existed still reads; a field the model does not know
    stays, and the cast to the schema refuses it.
    """
    fields = CHILDREN.get(name)
    dtype = column.dtype
    if fields is None or not isinstance(dtype, pl.List) or not isinstance(dtype.inner, pl.Struct):
        return column
    present = {f.name for f in dtype.inner.fields}
    missing = [pl.lit(None, kind).alias(f) for f, kind in fields.items() if f not in present]
    if not missing:
        return column
    return column.list.eval(pl.element().struct.with_fields(missing)).alias(name)


#: The set-valued facts: lists of distinct values in no particular order (:func:`_unique`).
SET_FACTS = frozenset(_SETS)
_RANK = {phase._value_: rank for rank, phase in enumerate(PHASE_SEVERITY)}


def _unique(expr: pl.Expr) -> pl.Expr:
    """Return the lists of ``expr`` without repeated values, in no particular order."""
    return expr.list.unique()


def _derive(
    table: pl.DataFrame,
    conditions: pl.DataFrame,
    medications: pl.DataFrame,
    allergies: pl.DataFrame,
    as_of: dt.date,
) -> pl.DataFrame:
    """Return the facts table of the valid rows ``table``, as derive_facts would."""
    empty = pl.lit([], _LS)
    # The per-row results are joined to the row numbers alone and set beside the table, so
    # that the patients' own columns are not gathered again.
    side = (
        table.lazy()
        .select(ROW)
        .join(conditions.lazy(), on=ROW, how="left", maintain_order="left")
        .join(medications.lazy(), on=ROW, how="left", maintain_order="left")
        .join(allergies.lazy(), on=ROW, how="left", maintain_order="left")
        .drop(ROW)
        .collect(engine=ENGINE)
        .rechunk()
    )
    # A row without records of a list holds a null there: an empty list instead, made without
    # a copy (the fills below then find no null).
    side = side.with_columns(
        [
            _empty_lists_for_nulls(side[name])
            for name, dtype in side.schema.items()
            if dtype.is_nested()
        ]
    )
    lazy = pl.concat([table, side], how="horizontal").lazy()
    h = pl.col("hernias")
    size = pl.element().struct.field("size_mm")
    surgery = pl.element().struct.field("surgery_indicated")
    vitals = pl.col("vitals")
    systolic = vitals.struct.field("systolic_mmhg")
    diastolic = vitals.struct.field("diastolic_mmhg")
    regions = _unique(h.list.eval(pl.element().struct.field("region")))
    ranks = h.list.eval(pl.element().struct.field("phase").replace_strict(_RANK, return_dtype=_I))
    worst = ranks.list.min().replace_strict(
        {rank: phase for phase, rank in _RANK.items()}, default=None, return_dtype=_S
    )
    lazy = lazy.with_columns(
        has_hernia=h.list.len() > 0,
        worst_phase=worst,
        phases=_unique(h.list.eval(pl.element().struct.field("phase"))),
        hernia_regions=regions,
        hernia_kinds=_unique(h.list.eval(pl.element().struct.field("kind"))),
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
        # The concepts as sets: a set union costs less than a concatenation made unique.
        union=pl.col("c_concepts")
        .fill_null(empty)
        .list.set_union(pl.col("m_concepts").fill_null(empty))
        .list.set_union(pl.col("a_concepts").fill_null(empty)),
    )
    # A disc-hernia code is unrecorded when no hernia lies in a region it is compatible with.
    # Worked out on the few columns it reads and set beside the rest, not joined to them all.
    frame = lazy.collect(engine=ENGINE)
    codes = (
        frame.lazy()
        .select(ROW, "hernia_regions", "c_hernia_codes", "c_hernia_regions")
        .explode("c_hernia_codes", "c_hernia_regions")
        .filter(pl.col("c_hernia_codes").is_not_null())
        .filter(
            pl.concat_list("hernia_regions", "c_hernia_regions").list.n_unique()
            == pl.col("hernia_regions").list.len() + pl.col("c_hernia_regions").list.len()
        )
        .group_by(ROW)
        .agg(unrecorded_hernia_codes=pl.col("c_hernia_codes").unique().sort())
    )
    unrecorded = (
        frame.lazy()
        .select(ROW)
        .join(codes, on=ROW, how="left", maintain_order="left")
        .select("unrecorded_hernia_codes")
        .collect(engine=ENGINE)
    )
    lazy = pl.concat([frame, unrecorded], how="horizontal").lazy()
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
    # The flags' concepts as one list of (at most) two, chosen among four literals, and one
    # set union with it: a union per flag, each under a condition, costs twice as much.
    is_pregnant = pl.col("pregnant").fill_null(False)
    is_inflamed = pl.col("inflammatory_process").fill_null(False)
    flagged = (
        pl.when(is_pregnant & is_inflamed)
        .then(pl.lit(["pregnancy", "inflammatory-process"], _LS))
        .when(is_pregnant)
        .then(pl.lit(["pregnancy"], _LS))
        .when(is_inflamed)
        .then(pl.lit(["inflammatory-process"], _LS))
        .otherwise(pl.lit([], _LS))
    )
    concepts = pl.col("union").list.set_union(flagged)
    last_course = (
        pl.col("massage_courses").list.eval(pl.element().struct.field("end_date")).list.max()
    )
    last_surgery = pl.col("surgeries").list.eval(pl.element().struct.field("date")).list.max()
    day = pl.lit(as_of, pl.Date())
    lazy = lazy.with_columns(
        patient_id=pl.col("id"),
        as_of=day,
        concepts=concepts,
        exacerbated_conditions=_unique(pl.col("c_exacerbated").fill_null(empty)),
        had_massage_course=last_course.is_not_null(),
        days_since_last_course=(day - last_course).dt.total_days(),
        had_spinal_surgery=last_surgery.is_not_null(),
        days_since_surgery=(day - last_surgery).dt.total_days(),
        indications=_unique(_indications(table).fill_null(empty)),
        hernias=h.fill_null(pl.lit([], pl.List(_HERNIA))),
        conditions=pl.col("c_items"),
        unrecorded_hernia_codes=pl.col("unrecorded_hernia_codes").fill_null(empty),
        unclassified_medications=_unique(pl.col("m_unclassified").fill_null(empty)),
        unconfirmed_conditions=_unique(pl.col("c_unconfirmed").fill_null(empty)),
        unclassified_conditions=_unique(pl.col("c_unclassified").fill_null(empty)),
    )
    # The set-valued facts stay unsorted: the rules and facts_from_row read them as sets.
    # The columns are made one chunk each, once: a gather or a select of a table of columns
    # in pieces costs a copy of them each time.
    return (
        lazy.select([pl.col(name).cast(dtype) for name, dtype in FACTS_SCHEMA.items()])
        .sort(ROW)
        .collect(engine=ENGINE)
        .rechunk()
    )


def _empty_lists_for_nulls(column: pl.Series) -> pl.Series:
    """Return a list column with each null list an empty list.

    A null list that spans no values (as every null list polars writes after a join does,
    checked here) becomes an empty list when the validity is dropped: the column's offsets
    and values are kept as they are, without a copy. A column that does not qualify (in
    pieces, sliced, or with a null list spanning values) is filled by
    :func:`_empty_lists_filled`.
    """
    import numpy as np
    import pyarrow as pa

    if column.null_count() == 0 or not isinstance(column.dtype, pl.List):
        return column
    if column.n_chunks() == 1:
        lists = column.to_arrow(compat_level=pl.CompatLevel.newest())
        if isinstance(lists, pa.ListArray | pa.LargeListArray) and lists.offset == 0:
            lengths = np.diff(lists.offsets.to_numpy())
            nulls = ~lists.is_valid().to_numpy(zero_copy_only=False)
            if not lengths[nulls].any():
                rebuilt = type(lists).from_arrays(lists.offsets, lists.values)
                out = pl.Series(column.name, rebuilt)
                if out.dtype == column.dtype:
                    return out
    return _empty_lists_filled(column)


def _empty_lists_filled(column: pl.Series) -> pl.Series:
    """Return :func:`_empty_lists_for_nulls` by ``fill_null`` with an empty list."""
    return column.fill_null(pl.lit([], column.dtype))


def _indications(table: pl.DataFrame) -> pl.Expr:
    """Return the rows' indications as the model reads them: a synonym as its member's value.

    Each distinct value is parsed once (:meth:`~herniarules.vocabulary.Term.parse`); a value
    that names no indication is refused by the JSON reader before it gets here.
    """
    written = table["indications"].explode().drop_nulls().unique().to_list()
    meant: dict[str, str | None] = {}
    for value in written:
        try:
            meant[value] = Indication.parse(value)._value_
        except (ValueError, TypeError):
            meant[value] = None
    if all(meant[value] == value for value in written):
        return pl.col("indications")
    return pl.col("indications").list.eval(
        pl.element().replace_strict(meant, default=None, return_dtype=_S)
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
