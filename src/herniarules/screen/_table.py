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
import functools
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import polars as pl

from herniarules._codegen import define
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


def _value_code(kind: str | None, expression: str) -> str:
    """Return Python giving the row value of ``expression``, a field of that ``kind``."""
    if kind == "enum":
        return f"{expression}._value_"
    if kind == "optional":
        return f"(None if (_v := {expression}) is None else _v._value_)"
    return expression


def _record_code(cls: type, fields: Iterable[str], item: str) -> str:
    hints = typing.get_type_hints(cls)
    parts = [
        f"{name!r}: {_value_code(_enum_kind(hints[name]), f'{item}.{name}')}" for name in fields
    ]
    return "{" + ", ".join(parts) + "}"


@functools.cache
def _row_function() -> Callable[[Patient], dict[str, Any]]:
    """Return :func:`patient_row` as one generated function (the attribute reads inline).

    :func:`patient_row` stays the reference; a test checks that the two agree.
    """
    hints = typing.get_type_hints(Patient)
    (indication,) = set(typing.get_args(hints["indications"])) - {Ellipsis}
    assert _enum_kind(indication) == "enum"
    lines = [
        "def patient_row(p):",
        "    return {",
        "        'id': p.id,",
        "        'age': p.age,",
        "        'sex': p.sex._value_,",
        f"        'vitals': {_record_code(Vitals, _VITALS, 'p.vitals')},",
        "        'pregnant': p.pregnant,",
        "        'inflammatory_process': p.inflammatory_process,",
        "        'indications': [i._value_ for i in p.indications],",
    ]
    for name, fields in CHILDREN.items():
        (child,) = set(typing.get_args(hints[name])) - {Ellipsis}
        lines.append(f"        {name!r}: [{_record_code(child, fields, 'r')} for r in p.{name}],")
    lines.append("    }")
    function: Callable[[Patient], dict[str, Any]] = define(
        "\n".join(lines), "patient_row", "patient table row", {}
    )
    return function


def patients_to_table(patients: Iterable[Patient]) -> pl.DataFrame:
    """Return a patient table holding ``patients``, in order."""
    import pyarrow as pa  # type: ignore[import-untyped]

    rows = list(map(_row_function(), patients))
    types = pl.DataFrame(schema=PATIENT_SCHEMA).to_arrow().schema
    table = pa.Table.from_pylist(rows, schema=types)
    frame = pl.from_arrow(table)
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
                {k: _json_value(v) for k, v in child.items() if v is not None} for child in value
            ]
        elif name == "vitals":
            record[name] = {k: v for k, v in value.items() if v is not None}
        else:
            record[name] = _json_value(value)
    return record
