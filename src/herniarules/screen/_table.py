"""The patient table: one row per patient record, child records as lists of structs.

:data:`PATIENT_SCHEMA` mirrors the patient JSON record field for field (dates as dates,
enumerations as their value strings), so that a row read from Parquet or Arrow IPC and a line of
patient JSON say the same thing. :func:`patients_to_table` writes validated
:class:`~herniarules.Patient` objects into it; :func:`row_to_dict` turns a row back into the
plain record the JSON reader takes, for the messages of :mod:`herniarules.screen._validate`
and for rules evaluated row by row.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import operator
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from herniarules.model import Patient, Vitals

__all__ = ["CHILDREN", "PATIENT_SCHEMA", "patients_to_table", "row_to_dict"]

_S, _I, _F, _B, _D = pl.String, pl.Int64, pl.Float64, pl.Boolean, pl.Date

#: The fields of each child record list, in the model's order.
CHILDREN: Mapping[str, Mapping[str, pl.DataType]] = {
    "hernias": {
        "region": _S(),
        "level": _S(),
        "kind": _S(),
        "phase": _S(),
        "size_mm": _F(),
        "surgery_indicated": _B(),
    },
    "conditions": {
        "status": _S(),
        "code": _S(),
        "system": _S(),
        "concept": _S(),
        "display": _S(),
        "onset": _D(),
        "site": _S(),
        "verification": _S(),
        "other_code": _S(),
    },
    "allergies": {"substance": _S(), "display": _S()},
    "medications": {"category": _S(), "name": _S(), "atc": _S()},
    "massage_courses": {"end_date": _D(), "technique": _S(), "start_date": _D()},
    "surgeries": {"date": _D(), "procedure": _S(), "region": _S()},
    "clearances": {"technique": _S(), "physician": _S(), "date": _D(), "valid_until": _D()},
}
_VITALS = {"systolic_mmhg": _I(), "diastolic_mmhg": _I(), "temperature_c": _F(), "pain_score": _I()}

#: The schema of a patient table.
PATIENT_SCHEMA = pl.Schema(
    {
        "id": _S(),
        "age": _I(),
        "sex": _S(),
        "vitals": pl.Struct(_VITALS),
        "hernias": pl.List(pl.Struct(CHILDREN["hernias"])),
        "pregnant": _B(),
        "inflammatory_process": _B(),
        "conditions": pl.List(pl.Struct(CHILDREN["conditions"])),
        "allergies": pl.List(pl.Struct(CHILDREN["allergies"])),
        "medications": pl.List(pl.Struct(CHILDREN["medications"])),
        "massage_courses": pl.List(pl.Struct(CHILDREN["massage_courses"])),
        "surgeries": pl.List(pl.Struct(CHILDREN["surgeries"])),
        "clearances": pl.List(pl.Struct(CHILDREN["clearances"])),
        "indications": pl.List(_S()),
    }
)


def _plain(value: object) -> object:
    """Return an enum member's value; anything else as it is."""
    inner = getattr(value, "_value_", None)
    return value if inner is None else inner


def _child(record: object, fields: Iterable[str]) -> dict[str, object]:
    return {name: _plain(getattr(record, name)) for name in fields}


def patient_row(patient: Patient) -> dict[str, Any]:
    """Return ``patient`` as one row of :data:`PATIENT_SCHEMA` (plain values)."""
    vitals = patient.vitals
    row: dict[str, Any] = {
        "id": patient.id,
        "age": patient.age,
        "sex": patient.sex._value_,
        "vitals": {name: getattr(vitals, name) for name in _VITALS},
        "pregnant": patient.pregnant,
        "inflammatory_process": patient.inflammatory_process,
        "indications": [_plain(i) for i in patient.indications],
    }
    for name, fields in CHILDREN.items():
        row[name] = [_child(record, fields) for record in getattr(patient, name)]
    return row


def _enum_kind(hint: object) -> str | None:
    """Return ``"enum"`` or ``"optional"`` for an enumeration field's type, else ``None``."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return "enum"
    args = typing.get_args(hint)
    members = [a for a in args if a is not type(None)]
    if len(members) == 1 and len(args) == 2 and _enum_kind(members[0]) == "enum":
        return "optional"
    return None


def _values(items: list[Any], cls: type, name: str) -> list[Any]:
    """Return field ``name`` of every item of type ``cls`` as a row value, in order."""
    kind = _enum_kind(typing.get_type_hints(cls)[name])
    if kind == "enum":
        return list(map(operator.attrgetter(f"{name}._value_"), items))
    values = list(map(operator.attrgetter(name), items))
    if kind == "optional":
        return [None if v is None else v._value_ for v in values]
    return values


def patient_columns(patients: Iterable[Patient]) -> dict[str, list[Any]]:
    """Return the values of :func:`patient_row`'s fields as flat columns, a list per field.

    ``id``..., ``vitals.<field>``, per child list ``<name>.<field>`` (every record's value,
    patient after patient) and ``<name>`` (offsets: where each patient's records end, after a
    0); ``indications.`` holds the indications, ``indications`` their offsets.
    """
    people = list(patients)
    hints = typing.get_type_hints(Patient)
    columns: dict[str, list[Any]] = {
        name: _values(people, Patient, name)
        for name in ("id", "age", "sex", "pregnant", "inflammatory_process")
    }
    vitals = list(map(operator.attrgetter("vitals"), people))
    for name in _VITALS:
        columns[f"vitals.{name}"] = _values(vitals, Vitals, name)
    for name in (*CHILDREN, "indications"):
        lists = list(map(operator.attrgetter(name), people))
        columns[name] = list(itertools.accumulate(map(len, lists), initial=0))
        items = list(itertools.chain.from_iterable(lists))
        if name == "indications":
            columns["indications."] = list(map(operator.attrgetter("_value_"), items))
            continue
        (child,) = set(typing.get_args(hints[name])) - {Ellipsis}
        for field in CHILDREN[name]:
            columns[f"{name}.{field}"] = _values(items, child, field)
    return columns


def patients_to_table(patients: Iterable[Patient]) -> pl.DataFrame:
    """Return a patient table holding ``patients``, in order.

    The patients are written column by column (:func:`patient_columns`) and the columns
    assembled with Arrow; :func:`patients_to_table_by_rows` is the same table row by row.
    """
    import pyarrow as pa  # type: ignore[import-untyped]

    columns = patient_columns(patients)
    types = pl.DataFrame(schema=PATIENT_SCHEMA).to_arrow().schema

    def flat(prefix: str, dtype: Any) -> Any:
        return pa.StructArray.from_arrays(
            [pa.array(columns[f"{prefix}.{f.name}"], f.type) for f in dtype],
            fields=list(dtype),
        )

    def listed(name: str, values: Any) -> Any:
        offsets = pa.array(columns[name], pa.int64())
        return pa.LargeListArray.from_arrays(offsets, values)

    arrays = []
    for field in types:
        name, dtype = field.name, field.type
        if name == "vitals":
            arrays.append(flat(name, dtype))
        elif name == "indications":
            arrays.append(listed(name, pa.array(columns["indications."], dtype.value_type)))
        elif name in CHILDREN:
            arrays.append(listed(name, flat(name, dtype.value_type)))
        else:
            arrays.append(pa.array(columns[name], dtype))
    frame = pl.from_arrow(pa.Table.from_arrays(arrays, schema=types))
    assert isinstance(frame, pl.DataFrame)
    return frame


def patients_to_table_by_rows(patients: Iterable[Patient]) -> pl.DataFrame:
    """Return :func:`patients_to_table` from one row of plain values per patient."""
    import pyarrow as pa

    rows = list(map(patient_row, patients))
    types = pl.DataFrame(schema=PATIENT_SCHEMA).to_arrow().schema
    frame = pl.from_arrow(pa.Table.from_pylist(rows, schema=types))
    assert isinstance(frame, pl.DataFrame)
    return frame


def _json_value(value: object) -> object:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return value
    return value


def row_to_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """Return a row of a patient table as the patient JSON record it stands for.

    Fields that are null are left out, as a JSON record leaves out what it does not know.
    """
    record: dict[str, Any] = {}
    for name, value in row.items():
        if name not in PATIENT_SCHEMA or value is None:
            continue
        if name in CHILDREN:
            record[name] = [
                None
                if child is None
                else {k: _json_value(v) for k, v in child.items() if v is not None}
                for child in value
            ]
        elif name == "vitals":
            record[name] = {k: v for k, v in value.items() if v is not None}
        else:
            record[name] = _json_value(value)
    return record
