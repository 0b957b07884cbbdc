"""JSON in and out: strict reading with path-named errors, stable writing.

Input is structured strictly: no type coercion (``"5"`` is not an integer, ``true`` is not a
number), no unknown fields, no defaults silently filled in for required fields. Every problem
in a record is collected and reported at once in one :class:`InputError` whose lines name the
JSON path of each problem, e.g. ``hernias[0].size_mm: must be between 0 and 40, got -3``.

Reading goes through these stages, each a module of its own:

1. :mod:`herniarules._json` reads the text: size, UTF-8, valid JSON, no repeated key, depth;
2. a structurer turns the data into model objects, as the table of :mod:`herniarules._checks`
   says each type is read: the fast structurer (:mod:`herniarules._fast`) for a valid record,
   else the walker (:mod:`herniarules._walk`), which names the path of every problem;
3. the model's constructors (:mod:`herniarules.model`) check the values.

Writing goes through :mod:`herniarules._convert` (plain data) and :mod:`herniarules._emit`
(compact text of decisions and assessments).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from herniarules import _fast, _json
from herniarules._checks import MAX_ITEMS_PER_LIST
from herniarules._json import MAX_INPUT_BYTES, MAX_NESTING
from herniarules.errors import InputError, Problem
from herniarules.model import Patient
from herniarules.outcomes import Assessment, Decision

if TYPE_CHECKING:
    from pathlib import Path

    import cattrs

    from herniarules._emit import Emitter

__all__ = [
    "MAX_INPUT_BYTES",
    "MAX_ITEMS_PER_LIST",
    "MAX_NESTING",
    "InputError",
    "Problem",
    "assessment_to_dict",
    "decision_to_dict",
    "dumps",
    "load_patient",
    "loads_patient",
    "patient_from_dict",
    "patient_to_dict",
]


def patient_from_dict(data: object) -> Patient:
    """Build a :class:`~herniarules.model.Patient` from plain data; raise :class:`InputError`."""
    from herniarules._convert import structure  # imports cattrs, on first use only

    return structure(data, Patient)


def parse_json(text: str | bytes) -> Any:
    """Parse JSON text strictly (no NaN, no duplicate keys, bounded size and depth)."""
    return _json.parse_checked(_json.checked_text(text))


#: What the quick way of :func:`loads_patient` raises on anything it does not read.
_NOT_QUICK = (*_json.QUICK_ERRORS, *_fast.NOT_FAST_ERRORS)


def _first_fast_patient(value: Any, keys: list[int]) -> Any:
    global _fast_patient
    _fast_patient = _fast.structurer(Patient)  # generated on first use, not on import
    return _fast_patient(value, keys)


_fast_patient: _fast.FastStructurer = _first_fast_patient


def loads_patient(text: str | bytes) -> Patient:
    """Read a patient from JSON text; raise :class:`InputError` naming every problem."""
    if type(text) is not str or len(text) > MAX_INPUT_BYTES:
        text = _json.checked_text(text)
    # The quick way: the plain scanner and the fast structurer, which reads every object of a
    # valid record and counts their keys, so that a repeated key shows. (The depth needs no
    # check: it reads no record nested deeper than the limit.) Anything either of them rejects
    # (leading whitespace included, a repeated key) is read the exact way, which finds and
    # reports the problems as it always has.
    patient: Patient | None
    try:
        patient = _json.read_quickly(text, _fast_patient)
    except _NOT_QUICK:
        patient = None  # read the exact way below, outside the handler: no context is kept
    if patient is None:
        from herniarules._convert import structure

        return structure(_json.parse_checked(text), Patient)
    return patient


def load_patient(path: str | Path) -> Patient:
    """Read a patient from a JSON file; the :class:`InputError` names the file.

    At most :data:`MAX_INPUT_BYTES` and one byte more are read: a larger file (or an endless
    one, such as ``/dev/zero``) is refused without being read to its end.
    """
    data = _json.read_file(path)
    try:
        return loads_patient(data)
    except InputError as exc:
        error = exc.with_source(str(path))
    raise error  # outside the handler: the error holds no context


def _cattrs() -> cattrs.Converter:
    """Return the private converter, importing it (and cattrs) on first use.

    The quick way of reading a patient never needs cattrs, so an application that reads
    patients and assesses them does not pay for importing it.
    """
    from herniarules._convert import converter

    return converter


def patient_to_dict(patient: Patient) -> dict[str, Any]:
    """Return the patient as plain JSON-ready data; the inverse of :func:`patient_from_dict`."""
    data: dict[str, Any] = _cattrs().unstructure(patient)
    return data


def dumps(
    value: object,
    *,
    indent: int | None = None,
    locale: str | None = None,
    mask: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    compact: bool = False,
) -> str:
    """Serialise a model or result object to JSON text with sorted, stable keys.

    Without ``indent``, decisions and assessments are joined from the cached text of their
    findings, protocols and plugin records (:mod:`herniarules._emit`); the text is the same.
    ``locale`` (``"en"`` or ``"ru"``) writes the messages and protocol texts of a decision or
    assessment in that language (:func:`herniarules.i18n.localize`); rule ids, codes and keys
    are the same.

    For a decision or assessment, ``compact`` writes the compact audit record
    (:func:`herniarules.audit.compact`: ids, outcomes, evidence, fingerprints; no rendered
    texts), and ``mask`` (a :class:`herniarules.audit.Masker` or any callable from the record's
    data to the masked data) masks identifying fields; the record then lists them in
    ``masked``.
    """
    if mask is not None or compact:
        if type(value) not in (Decision, Assessment):
            raise TypeError(
                f"mask and compact apply to decisions and assessments, not to a "
                f"{type(value).__name__}"
            )
        from herniarules import audit

        if compact:
            if locale is not None:
                raise ValueError("a compact record holds no texts: give locale to expand()")
            data: Any = audit.compact(value)
        else:
            data = json.loads(dumps(value, locale=locale))
        if mask is not None:
            data = audit.mask(data, mask)
        return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False)
    if locale is not None:
        from herniarules.i18n import check_locale, localize

        check_locale(locale)
        if type(value) in (Decision, Assessment):
            value = localize(value, locale)  # type: ignore[type-var]
    if indent is None and type(value) in (Decision, Assessment):
        return _emitter().write(value)  # type: ignore[arg-type]
    data = value if isinstance(value, dict | list) else _cattrs().unstructure(value)
    return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False)


@functools.cache
def _emitter() -> Emitter:
    from herniarules._emit import Emitter

    return Emitter(_cattrs())


def assessment_to_dict(assessment: Assessment) -> dict[str, Any]:
    """Return an assessment as JSON-ready data (the layout of ``herniarules schema assessment``)."""
    data: dict[str, Any] = _cattrs().unstructure(assessment)
    return data


def decision_to_dict(decision: Decision) -> dict[str, Any]:
    """Return a decision as JSON-ready data."""
    data: dict[str, Any] = _cattrs().unstructure(decision)
    return data
