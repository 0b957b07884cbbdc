"""Population screening: the same rules evaluated column-wise over a whole patient table.

:func:`screen` decides every technique for every patient of a table (or of a file: Parquet,
Arrow IPC, CSV, NDJSON of patient JSON) and returns a :class:`Screening`: one decision per
patient and technique with the verdict, the fired rule ids (as a bitmask and as a list) and the
facts that were missing; the rows that were refused, each with its row number, JSON path and
message; and a summary. The verdicts and fired rules are those of
:meth:`herniarules.Engine.assess`, patient by patient (the tests prove it on generated
populations). Install the ``screen`` extra (polars, pyarrow, numpy) to use it;
:mod:`herniarules.screen.spark` runs the same kernel on Apache Spark (extra ``spark``).
"""

from __future__ import annotations

import datetime as dt
import functools
import tomllib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
import polars as pl

from herniarules.engine import Engine
from herniarules.errors import InputError, Problem
from herniarules.io import parse_json, patient_from_dict
from herniarules.model import Patient
from herniarules.outcomes import Outcome
from herniarules.rules._polars import ENGINE, ROW
from herniarules.safety import Policy, PolicyError
from herniarules.screen._facts import RowError, derive_table
from herniarules.screen._kernel import Kernel, ScreenError
from herniarules.screen._ndjson import read_ndjson, refused
from herniarules.screen._table import PATIENT_SCHEMA, patients_to_table

__all__ = [
    "PATIENT_SCHEMA",
    "Kernel",
    "RowError",
    "ScreenError",
    "Screening",
    "compare",
    "load_policy",
    "read_patients",
    "screen",
    "write_decisions",
    "write_errors",
]

_FORMATS = {
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".ipc": "arrow",
    ".feather": "arrow",
    ".csv": "csv",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}


@attrs.frozen
class Screening:
    """What :func:`screen` found: decisions, refused rows and a summary."""

    decision_masks: pl.DataFrame
    """One row per valid patient and technique: ``patient_id``, ``technique``, ``verdict``,
    ``permitted``, ``fired_mask`` (and ``fired_mask_1``... when there are more than 64 rule
    bits) and ``missing_mask``: :attr:`decisions` without the lists."""
    errors: tuple[RowError, ...]
    """The problems of the refused rows; a refused row has no decision."""
    rule_ids: tuple[str, ...]
    """The rule id of each bit of ``fired_mask``."""
    patients: int
    """The rows read, valid or not."""
    as_of: dt.date
    lists: Callable[[pl.DataFrame], pl.DataFrame] = attrs.field(eq=False, repr=False)
    """Return a table of :attr:`decision_masks`' rows with ``fired_rules`` and ``missing``
    added (:meth:`Kernel.with_lists`)."""

    @functools.cached_property
    def decisions(self) -> pl.DataFrame:
        """Return :attr:`decision_masks` with ``fired_rules`` and ``missing``, the lists of
        the fired rule ids and of the missing facts the masks stand for, in bit order.

        The lists are built when first asked for (or written by :func:`write_decisions`),
        then kept with the screening.
        """
        return self.lists(self.decision_masks)

    @property
    def refused(self) -> int:
        """Return the number of rows refused for invalid data."""
        return len({e.row for e in self.errors})

    def counts(self) -> pl.DataFrame:
        """Return the patients per technique and verdict."""
        return (
            self.decision_masks.group_by("technique", "verdict")
            .len("patients")
            .sort("technique", "verdict")
        )

    def blocking(self, top: int = 10) -> list[tuple[str, int]]:
        """Return the rules fired in the most decisions that do not permit, most first."""
        counts = (
            self.decisions.lazy()
            .filter(~pl.col("permitted"))
            .select(pl.col("fired_rules").explode().drop_nulls().alias("rule"))
            .group_by("rule")
            .len("n")
            .collect(engine=ENGINE)
        )
        ranked = sorted(counts.iter_rows(), key=lambda kv: (-kv[1], kv[0]))
        return [(rule, n) for rule, n in ranked[:top]]

    def summary(self) -> str:
        """Return the summary as plain text: verdicts per technique, blocking rules, errors."""
        lines = [
            f"screened {self.patients} patients on {self.as_of}: "
            f"{self.patients - self.refused} decided, {self.refused} refused for invalid data"
        ]
        labels = [o.label for o in Outcome]
        table: dict[str, dict[str, int]] = {}
        for technique, verdict, n in self.counts().iter_rows():
            table.setdefault(technique, {})[verdict] = n
        width = max([len(t) for t in table] + [9])
        lines.append("technique".ljust(width) + "".join(f"{v:>28}" for v in labels))
        for technique, row in table.items():
            lines.append(technique.ljust(width) + "".join(f"{row.get(v, 0):>28}" for v in labels))
        lines.append("rules that block most (decisions not permitted in which they fired):")
        lines.extend(f"  {rule_id}: {n}" for rule_id, n in self.blocking())
        return "\n".join(lines)


def _clearances(table: pl.DataFrame, techniques: Iterable[str], as_of: dt.date) -> pl.DataFrame:
    day = pl.lit(as_of, pl.Date())
    c = pl.element().struct
    valid = (c.field("date") <= day) & (
        c.field("valid_until").is_null() | (day <= c.field("valid_until"))
    )
    columns = [
        pl.col("clearances")
        .list.eval((c.field("technique") == t) & valid)
        .list.any()
        .fill_null(False)
        .alias(f"cleared:{t}")
        for t in techniques
    ]
    return table.select(pl.int_range(pl.len(), dtype=pl.UInt32()).alias(ROW), *columns)


def screen(
    patients: pl.DataFrame | Iterable[Patient] | str | Path,
    *,
    as_of: dt.date | None = None,
    techniques: Sequence[str] | None = None,
    engine: Engine | None = None,
    workers: int | None = None,
) -> Screening:
    """Decide every technique (or those named) for every patient, column-wise.

    :param patients: a patient table (:data:`PATIENT_SCHEMA`; a ``pyarrow.Table`` is read
        through polars), :class:`~herniarules.Patient` objects, or a file (see
        :func:`read_patients`).
    :param as_of: the assessment date of every patient (default today).
    :param engine: the engine whose plugins and policy decide (default ``Engine()``).
    :param workers: the processes that read the lines of a large NDJSON file (default one per
        CPU; see :func:`read_patients`).
    """
    as_of = as_of or dt.date.today()
    engine = engine or Engine()
    kernel = Kernel(engine, techniques)
    read_errors: list[RowError] = []
    # Rows written from Patient objects (a list of them, or the lines of NDJSON and CSV,
    # which the JSON reader reads) hold records the reader accepted: not read again.
    read = True
    if isinstance(patients, str | Path):
        table, read_errors, read = _read_patients(Path(patients), as_of, workers)
    elif isinstance(patients, pl.DataFrame):
        table, read = patients, False
    elif type(patients).__name__ == "Table":  # a pyarrow.Table
        table, read = pl.DataFrame(patients), False
    else:
        table = patients_to_table(list(patients))
    facts, errors = derive_table(table, as_of, engine.terminology, read=read)
    clearances = _clearances(
        table.select(pl.col("clearances").cast(PATIENT_SCHEMA["clearances"]))
        if "clearances" in table.columns
        else pl.DataFrame(
            {"clearances": [[]] * len(table)}, schema={"clearances": PATIENT_SCHEMA["clearances"]}
        ),
        [plan.id for plan in kernel.plans],
        as_of,
    )
    decided = kernel.decide(facts, clearances)
    decided = kernel.with_failures(decided, kernel.protocol_failures(facts, decided))
    all_errors = _renumber(read_errors, errors)
    rows = len(table) + len({e.row for e in read_errors})
    # By row and technique, as decide gives them; the lists are built when asked for.
    return Screening(decided, tuple(all_errors), kernel.rule_ids, rows, as_of, kernel.with_lists)


def _renumber(read_errors: list[RowError], errors: list[RowError]) -> list[RowError]:
    """Merge the reader's errors (input row numbers) with the table's (valid-row numbers)."""
    if not read_errors:
        return errors
    # Table row k is the k-th input row the reader accepted.
    bad = sorted({e.row for e in read_errors})
    out = list(read_errors)
    for error in errors:
        row = error.row
        for skipped in bad:
            if skipped <= row:
                row += 1
        out.append(RowError(row, error.path, error.message))
    return sorted(out, key=lambda e: (e.row, e.path))


# --------------------------------------------------------------------------- files


def _problem(path: str, message: str, source: str | Path | None = None) -> InputError:
    """Return an :class:`~herniarules.InputError` with one problem."""
    return InputError([Problem(path, message)], None if source is None else str(source))


def read_patients(
    path: str | Path, *, as_of: dt.date | None = None, workers: int | None = None
) -> tuple[pl.DataFrame, list[RowError]]:
    """Return the patient table in a file, and the problems of rows the reader refused.

    Parquet and Arrow IPC hold :data:`PATIENT_SCHEMA` columns; NDJSON holds one patient JSON
    record per line; CSV holds the patient fields as columns, the nested ones (``vitals``,
    ``hernias``...) as JSON text. Lines of NDJSON and CSV are read by the JSON reader, so a
    refused line is reported with its paths; a table's rows are checked by :func:`screen`.
    An NDJSON file larger than a few blocks of lines is read by ``workers`` processes (default
    one per CPU; 1 reads it in this process), started with ``spawn``: a script that screens
    one calls :func:`screen` under ``if __name__ == "__main__":``, as :mod:`multiprocessing`
    requires.

    A directory is a FHIR Bulk Data export: its ``*.ndjson`` files named after a resource type
    (``Condition.000.ndjson``; an export log such as ``log.ndjson`` is left alone)
    are read through :mod:`herniarules.fhir` on ``as_of`` (default today), one row per
    Patient resource in file order; a patient whose resources the mapping refuses is a
    refused row with the mapping's paths (``Observation.000.ndjson:4.valueQuantity.code``),
    and a line that is not a resource stops the whole read, since it may belong to anyone.
    """
    table, errors, _ = _read_patients(Path(path), as_of or dt.date.today(), workers)
    return table, errors


def _read_patients(
    path: Path, as_of: dt.date, workers: int | None = None
) -> tuple[pl.DataFrame, list[RowError], bool]:
    """Return :func:`read_patients`, and whether the JSON reader read every row (the rows of
    NDJSON, CSV and FHIR exports), so that the table need not be read again."""
    if path.is_dir():
        return (*_read_bulk(path, as_of), True)
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise _problem("", f"unknown format; use one of {', '.join(sorted(_FORMATS))}", path)
    if kind == "parquet":
        return pl.read_parquet(path), [], False
    if kind == "arrow":
        return pl.read_ipc(path), [], False
    if kind == "ndjson":
        return (*read_ndjson(path, workers=workers), True)
    return (*_read_csv(path), True)


def _read_bulk(folder: Path, as_of: dt.date) -> tuple[pl.DataFrame, list[RowError]]:
    from herniarules.fhir import bulk_sources
    from herniarules.fhir._read import map_resources

    # An export names each file after its resource type (Condition.000.ndjson); other files
    # of the folder, such as an export log, are not resources.
    files = sorted(p for p in folder.glob("*.ndjson") if p.name[:1].isupper())
    if not files:
        raise _problem("", "no Type.NNN.ndjson files: expected a FHIR Bulk Data export", folder)
    patients: list[Patient] = []
    errors: list[RowError] = []
    for number, (key, sources) in enumerate(bulk_sources(files)):
        try:
            record = map_resources(sources, as_of=as_of, patient=key.split("/", 1)[1])
        except InputError as error:
            errors.extend(refused(number, error, key))
            continue
        patients.append(record.patient)
    return patients_to_table(patients), errors


def _read_csv(path: Path) -> tuple[pl.DataFrame, list[RowError]]:
    frame = pl.read_csv(path, infer_schema=False)
    patients: list[Patient] = []
    errors: list[RowError] = []
    for number, row in enumerate(frame.iter_rows(named=True)):
        record: dict[str, Any] = {}
        try:
            for name, text in row.items():
                if text is None or text == "":
                    continue
                record[name] = text if name in ("id", "sex") else parse_json(text)
            patients.append(patient_from_dict(record))
        except InputError as error:
            errors.extend(refused(number, error))
    return patients_to_table(patients), errors


def write_decisions(screening: Screening, path: str | Path) -> None:
    """Write the decisions to Parquet, CSV (lists as space-separated text) or NDJSON."""
    path = Path(path)
    kind = _FORMATS.get(path.suffix.lower())
    decisions = screening.decisions.drop(ROW)
    if kind == "parquet":
        decisions.write_parquet(path)
    elif kind == "csv":
        decisions.with_columns(
            pl.col("fired_rules").cast(pl.List(pl.String())).list.join(" "),
            pl.col("missing").cast(pl.List(pl.String())).list.join("; "),
        ).write_csv(path)
    elif kind == "ndjson":
        decisions.write_ndjson(path)
    else:
        raise _problem("", "decisions are written as .parquet, .csv or .ndjson", path)


def write_errors(screening: Screening, path: str | Path) -> None:
    """Write the refused rows' problems (row, path, message) as CSV or NDJSON."""
    path = Path(path)
    frame = pl.DataFrame(
        [attrs.asdict(e) for e in screening.errors],
        schema={"row": pl.Int64(), "path": pl.String(), "message": pl.String()},
        orient="row",
    )
    if path.suffix.lower() == ".csv":
        frame.write_csv(path)
    else:
        frame.write_ndjson(path)


# --------------------------------------------------------------------------- policy what-if

_OUTCOMES = {o.label: o for o in Outcome}


def load_policy(path: str | Path) -> Policy:
    """Read a clinic policy from TOML: the fields of :class:`~herniarules.Policy`, stricter only.

    ``minimum_tiers`` is a table of concept to outcome label. An unknown key, a looser or
    out-of-range value raises :class:`~herniarules.InputError` naming it.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise _problem("", f"cannot read the policy: {exc}", path) from None
    data = data.get("policy", data)
    known = [f.name for f in attrs.fields(Policy)]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise _problem(
            unknown[0], f"unknown policy keys {', '.join(unknown)}; known: {', '.join(known)}", path
        )
    tiers = data.get("minimum_tiers")
    if isinstance(tiers, dict):
        converted = {}
        for concept, label in tiers.items():
            if label not in _OUTCOMES:
                raise _problem(
                    f"minimum_tiers.{concept}",
                    f"{label!r} is not an outcome; one of {', '.join(_OUTCOMES)}",
                    path,
                )
            converted[concept] = _OUTCOMES[label]
        data = {**data, "minimum_tiers": converted}
    try:
        return Policy(**data)
    except (PolicyError, TypeError, ValueError) as exc:
        raise _problem("", str(exc), path) from None


def compare(before: Screening, after: Screening) -> pl.DataFrame:
    """Return the decisions that change between two screenings of the same patients.

    One row per changed (patient, technique): the verdict before and after, and the rules that
    fire only after (``added_rules``) or only before (``removed_rules``).
    """
    text = pl.col("fired_rules").cast(pl.List(pl.String()))
    left = before.decisions.select("patient_id", "technique", "verdict", text)
    right = after.decisions.select("patient_id", "technique", "verdict", text)
    joined = left.join(right, on=("patient_id", "technique"), suffix="_after")
    changed = joined.filter(
        (pl.col("verdict") != pl.col("verdict_after"))
        | (pl.col("fired_rules") != pl.col("fired_rules_after"))
    )
    return changed.select(
        "patient_id",
        "technique",
        pl.col("verdict").alias("verdict_before"),
        "verdict_after",
        pl.col("fired_rules_after").list.set_difference("fired_rules").alias("added_rules"),
        pl.col("fired_rules").list.set_difference("fired_rules_after").alias("removed_rules"),
    )


def compare_summary(changes: pl.DataFrame) -> str:
    """Return how many decisions change, from what to what, and because of which rules."""
    lines = [f"{len(changes)} decisions change"]
    for before, after, n in (
        changes.group_by("verdict_before", "verdict_after")
        .len("n")
        .sort("n", descending=True)
        .iter_rows()
    ):
        lines.append(f"  {before} -> {after}: {n}")
    rules = (
        changes.select(pl.col("added_rules").explode().drop_nulls())
        .group_by("added_rules")
        .len("n")
    )
    for rule_id, n in rules.sort("n", descending=True).iter_rows():
        lines.append(f"  because of {rule_id}: {n}")
    return "\n".join(lines)
