"""The screen's fast paths give what their obvious references give."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import attrs
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import herniarules
from herniarules import Engine, Patient
from herniarules.screen import _clearances
from herniarules.screen._facts import derive_table
from herniarules.screen._kernel import Kernel, _distinct_rows, missing_labels
from herniarules.screen._table import patients_to_table
from herniarules.testing import strategies

AS_OF = strategies.AS_OF
EXAMPLES = Path(__file__).parent.parent / "examples" / "patients"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine()


def _decisions(kernel: Kernel, patients: list[Patient], day: date) -> tuple[Any, Any]:
    table = patients_to_table(patients)
    facts, errors = derive_table(table, day, kernel.engine.terminology, read=True)
    assert not errors
    clearances = _clearances(table, [plan.id for plan in kernel.plans], day)
    return kernel.decide(facts, clearances), kernel.decide_per_technique(facts, clearances)


def _check_lists(kernel: Kernel, decisions: pl.DataFrame) -> None:
    listed = kernel.with_lists(decisions)
    for row in listed.iter_rows(named=True):
        words = [row[name] for name in kernel.mask_columns]
        assert row["fired_rules"] == kernel.fired_ids(*words)
        assert row["missing"] == missing_labels(row["missing_mask"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=12),
    st.sampled_from([None, ["vacuum", "classic"], ["honey"]]),
)
def test_deciding_every_technique_at_once_gives_the_per_technique_decisions(
    engine: Engine, patients: list[Patient], techniques: list[str] | None
) -> None:
    patients = [attrs.evolve(p, id=f"P-{i}") for i, p in enumerate(patients)]
    kernel = Kernel(engine, techniques)
    fast, reference = _decisions(kernel, patients, AS_OF)
    assert fast.equals(reference)
    _check_lists(kernel, fast)


def test_the_examples_are_decided_at_once_as_per_technique(engine: Engine) -> None:
    patients = [herniarules.load_patient(p) for p in sorted(EXAMPLES.glob("*.json"))]
    kernel = Kernel(engine)
    fast, reference = _decisions(kernel, patients, date(2026, 11, 27))
    assert fast.equals(reference)
    _check_lists(kernel, fast)


def test_a_mask_bit_that_stands_for_no_name_is_refused(engine: Engine) -> None:
    from herniarules.screen._kernel import _bit_lists

    frame = pl.DataFrame({"missing_mask": [1 << 63]}, schema={"missing_mask": pl.UInt64()})
    with pytest.raises(ValueError, match="stands for nothing"):
        _bit_lists(frame, ["missing_mask"], [("missing_mask", 0, "first")], "missing")


_SPELLINGS = st.sampled_from(
    [
        "M51.16",
        "M5116",
        "m51.16",
        "m5116",
        " M51.16",
        "M51.16 ",
        "M49.0*",
        "A18.0†",
        "C61",
        "c61",
        "C34.1",
        "C341",
        "Z91.030",
        "T78.3XXA",
        "t78.3xxa",
        "O9A.1",
        "M51.1.6",
        "M5.116",
        "MM1.16",
        "151.16",
        "M51.",
        "C99.9",
        "C9",
        "",
        "not a code",
        "Ｍ51.16",
        "M51.16\n",
        "M54.5",
        "M54.50",
        "S13.0XXA",
        "F32.A",
        "U07.1",
        "XYZ",
    ]
)
_SYSTEMS = st.sampled_from(["icd-10", "icd-10-cm", "icd-11", "ICD-10", ""])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_SYSTEMS, _SPELLINGS), min_size=1, max_size=20, unique=True))
def test_the_joined_code_lookup_gives_what_each_code_looked_up_gives(
    engine: Engine, codes: list[tuple[str, str]]
) -> None:
    from herniarules.screen._facts import _code_lookup, _code_lookup_joined

    frame = pl.DataFrame(codes, schema={"system": pl.String(), "code": pl.String()}, orient="row")
    for terminology in (engine.terminology, herniarules.terminology.DEFAULT_TERMINOLOGY):
        joined = _code_lookup_joined(frame, terminology).sort("system", "code")
        assert joined.equals(_code_lookup(frame, terminology).sort("system", "code"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(_SYSTEMS, st.one_of(st.none(), _SPELLINGS), st.integers(0, 3)), max_size=25)
)
def test_records_joined_to_the_code_table_are_the_records_joined_to_their_distinct_codes(
    engine: Engine, records: list[tuple[str, str | None, int]]
) -> None:
    from herniarules.screen._facts import _looked_up, _looked_up_joined

    frame = pl.DataFrame(
        [(row, pos, system, code, f"r{row}") for pos, (system, code, row) in enumerate(records)],
        schema={
            "row": pl.UInt32(),
            "pos": pl.Int64(),
            "system": pl.String(),
            "code": pl.String(),
            "display": pl.String(),
        },
        orient="row",
    )
    for terminology in (engine.terminology, herniarules.terminology.DEFAULT_TERMINOLOGY):
        fast = _looked_up(frame, terminology).sort("row", "pos")
        assert fast.equals(_looked_up_joined(frame, terminology).sort("row", "pos"))


def _counts_both_ways(kernel: Kernel, facts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    from herniarules.rules._polars import ROW, item_count_columns

    compiler = kernel.compiler
    names = item_count_columns(compiler)
    fast = facts.with_columns(compiler.item_counts()).select(ROW, *names)
    lazy = facts.lazy().select(ROW)
    for table in compiler.item_tables(facts.lazy()):
        lazy = lazy.join(table, on=ROW, how="left", maintain_order="left")
    reference = lazy.with_columns(pl.col(names).fill_null(0)).select(ROW, *names).collect()
    flat = pl.concat([facts.select(ROW), compiler.item_count_frame(facts)], how="horizontal")
    assert flat.select(ROW, *names).equals(reference)
    return fast, reference


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=12))
def test_item_counts_on_the_lists_are_those_of_the_exploded_item_tables(
    engine: Engine, patients: list[Patient]
) -> None:
    patients = [attrs.evolve(p, id=f"P-{i}") for i, p in enumerate(patients)]
    kernel = Kernel(engine)
    table = patients_to_table(patients)
    facts, errors = derive_table(table, AS_OF, engine.terminology, read=True)
    assert not errors
    fast, reference = _counts_both_ways(kernel, facts)
    assert fast.equals(reference)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=12))
def test_site_flags_counted_with_the_items_are_the_flags_aggregated_per_row(
    engine: Engine, patients: list[Patient]
) -> None:
    from herniarules.rules._polars import ROW

    patients = [attrs.evolve(p, id=f"P-{i}") for i, p in enumerate(patients)]
    kernel = Kernel(engine)
    facts, errors = derive_table(patients_to_table(patients), AS_OF, engine.terminology, read=True)
    assert not errors
    sited = kernel._site_predicates()
    assert sited
    items = kernel.compiler.item_count_frame(facts, {"conditions": sited})
    flags = items.select((pl.col(name) > 0).alias(name[1:]) for name, _ in sited)
    assert flags.equals(kernel._site_flags(facts).drop(ROW))


def test_item_counts_leave_out_null_items_and_null_lists_as_the_item_tables_do(
    engine: Engine,
) -> None:
    kernel = Kernel(engine)
    patients = [herniarules.load_patient(p) for p in sorted(EXAMPLES.glob("*.json"))]
    facts, _ = derive_table(patients_to_table(patients), date(2026, 11, 27), engine.terminology)
    hernias = facts["hernias"].to_list()
    conditions = facts["conditions"].to_list()
    hernias[0] = [None, *hernias[0]]
    conditions[1] = [*conditions[1], None]
    hernias[2] = None
    conditions[3] = None
    facts = facts.with_columns(
        pl.Series("hernias", hernias, dtype=facts.schema["hernias"]),
        pl.Series("conditions", conditions, dtype=facts.schema["conditions"]),
    )
    fast, reference = _counts_both_ways(kernel, facts)
    assert fast.equals(reference)


_CATEGORIES = st.sampled_from(
    [None, "anticoagulant", "antiplatelet", "thrombolytic", "nsaid", "other", "NSAID", "", "x"]
)
_NAMES = st.sampled_from(
    [None, "warfarin", "Warfarin ", "aspirin", "paracetamol", "brilinta", "ibuprofen", "zzz"]
)
_ODD_NAMES = st.sampled_from(["", "a\nb", "x" * 201])
_ATCS = st.sampled_from(
    [None, "B01AA03", "B01A", "B01AC", "B01AC06", "M01AE01", "N02BE01", "b01aa03", "", "B0"]
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(_CATEGORIES, _NAMES | _ODD_NAMES, _ATCS), max_size=4) | st.none(),
        min_size=1,
        max_size=10,
    )
)
def test_medications_put_together_from_their_parts_mean_what_each_record_read_whole_means(
    rows: list[list[tuple[str | None, str | None, str | None]] | None],
) -> None:
    from herniarules.rules._polars import ROW
    from herniarules.screen._facts import _medications, _medications_by_record
    from herniarules.screen._table import PATIENT_SCHEMA

    lists = [
        None if row is None else [{"category": c, "name": n, "atc": a} for c, n, a in row]
        for row in rows
    ]
    table = pl.DataFrame(
        {"medications": lists}, schema={"medications": PATIENT_SCHEMA["medications"]}
    ).with_row_index(ROW)
    fast, fast_bad = _medications(table)
    slow, slow_bad = _medications_by_record(table)
    assert fast_bad == slow_bad

    def meant(frame: pl.DataFrame) -> list[tuple[int, list[str], list[str]]]:
        good = frame.filter(~pl.col(ROW).is_in(sorted(slow_bad)))
        sets = good.select(
            ROW,
            pl.col("m_concepts").list.unique().list.sort(),
            pl.col("m_unclassified").list.unique().list.sort(),
        )
        return sorted(sets.iter_rows())

    assert meant(fast) == meant(slow)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([None, "female", "male", "other", "f", ""]),
            st.sampled_from([None, True, False]),
            st.sampled_from([None, True, False]),
            st.none()
            | st.lists(
                st.sampled_from([None, "compression", "muscle-weakness", "pain", "", "x"]),
                max_size=3,
            ),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_own_fields_read_apart_refuse_the_rows_their_combinations_read_whole_refuse(
    rows: list[tuple[Any, Any, Any, Any]],
) -> None:
    from herniarules.rules._polars import ROW
    from herniarules.screen._facts import _OWN, _unread_own_rows, _unread_own_rows_by_combination
    from herniarules.screen._table import PATIENT_SCHEMA

    table = pl.DataFrame(
        rows, schema={name: PATIENT_SCHEMA[name] for name in _OWN}, orient="row"
    ).with_row_index(ROW)
    assert _unread_own_rows(table) == _unread_own_rows_by_combination(table)


_WORDS = st.integers(min_value=0, max_value=2**64 - 1)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.none() | _WORDS, st.none() | _WORDS), max_size=40),
    st.sets(st.integers(min_value=0, max_value=127), min_size=1),
    st.booleans(),
)
def test_masks_decoded_by_their_lowest_bits_are_the_masks_unpacked(
    rows: list[tuple[int | None, int | None]], named: set[int], sparse: bool
) -> None:
    from herniarules.screen._kernel import _bit_lists, _bit_lists_unpacked

    first = sum(1 << b for b in named if b < 64)
    second = sum(1 << (b - 64) for b in named if b >= 64)
    if sparse:  # only named bits set, as the kernel's masks are
        rows = [(a if a is None else a & first, b if b is None else b & second) for a, b in rows]
    frame = pl.DataFrame(rows, schema={"w0": pl.UInt64(), "w1": pl.UInt64()}, orient="row")
    names = [("w0" if b < 64 else "w1", b % 64, f"bit {b}") for b in sorted(named)]
    try:
        expected = _bit_lists_unpacked(frame, ["w0", "w1"], names, "bits")
    except ValueError:
        with pytest.raises(ValueError, match="stands for nothing"):
            _bit_lists(frame, ["w0", "w1"], names, "bits")
        return
    assert _bit_lists(frame, ["w0", "w1"], names, "bits").equals(expected)
    assert _bit_lists(frame, ["w0", "w1"], names, "bits").to_list() == [
        [f"bit {b}" for b in sorted(named) if ((a or 0) | (c or 0) << 64) >> b & 1] for a, c in rows
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=12))
def test_distinct_records_grouped_are_the_distinct_records_joined_back(
    patients: list[Patient],
) -> None:
    from herniarules.rules._polars import ROW
    from herniarules.screen._facts import _BLANKED, _conform, _distinct, _distinct_joined

    table = _conform(patients_to_table(patients + patients[:3])).with_row_index(ROW)
    for name, blanked in _BLANKED.items():
        indexed, uniques = _distinct(table, name, blanked)
        joined, expected = _distinct_joined(table, name, blanked)
        assert uniques == expected
        assert indexed.sort(ROW, "pos").equals(joined.sort(ROW, "pos"))


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda width: st.lists(
            st.lists(st.sampled_from([0, 1, 2**63, 2**64 - 1]), min_size=width, max_size=width),
            max_size=30,
        ).map(lambda rows: (width, rows))
    )
)
def test_distinct_rows_by_hashing_are_numpys_unique_rows(case: tuple[int, list[list[int]]]) -> None:
    import numpy as np

    width, rows = case
    words = np.array(rows, dtype=np.uint64).reshape(len(rows), width)
    distinct, index = _distinct_rows(words)
    assert distinct.dtype == np.uint64
    assert (distinct[index] == words).all()
    reference = np.unique(words, axis=0)
    assert sorted(map(tuple, distinct.tolist())) == sorted(map(tuple, reference.tolist()))


_JUNK = st.sampled_from([-1, 10**9, "", "no such value", 1.5, True, None, [], {}])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), _JUNK), max_size=6),
    st.integers(1, 3),
)
def test_records_read_as_one_list_are_the_records_read_each_alone(
    patients: list[Patient], edits: list[tuple[int, int, Any]], copies: int
) -> None:
    from herniarules.io import patient_to_dict
    from herniarules.screen import _facts

    for name in _facts._BLANKED:
        records = [r for p in patients for r in patient_to_dict(p).get(name, [])] * copies
        for at, field, junk in edits:  # some records the reader refuses
            if records:
                record = dict(records[at % len(records)])
                record[sorted(record)[field % len(record)]] = junk
                records.append(record)
        expected = _facts._read_records_alone(name, records)
        # Lists shorter than the reader's bound, so that several are read and some refused.
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_facts, "MAX_ITEMS_PER_LIST", 3)
            assert _facts._read_records(name, records) == expected
        assert _facts._read_records(name, records) == expected


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), _JUNK), max_size=4),
)
def test_rows_refused_by_their_distinct_records_are_the_bad_rows_of_the_records_read(
    patients: list[Patient], edits: list[tuple[int, int, Any]]
) -> None:
    from herniarules.rules._polars import ROW
    from herniarules.screen._facts import _BLANKED, _conform, _read_children, _refused_rows
    from herniarules.screen._table import CHILDREN

    table = _conform(patients_to_table(patients + patients[:2])).with_row_index(ROW)
    for name in _BLANKED:
        text = [field for field, kind in CHILDREN[name].items() if kind == pl.String()]
        values = table[name].to_list()
        for at, field, junk in edits:  # some records the reader refuses
            row = values[at % len(values)]
            if row and isinstance(junk, str):
                record = dict(row[at % len(row)])
                record[text[field % len(text)]] = junk
                row.append(record)
        edited = table.with_columns(pl.Series(name, values, dtype=table.schema[name]))
        assert _refused_rows(edited, name) == _read_children(edited, name)[2]


_ITEM = st.one_of(
    st.none(), st.fixed_dictionaries({"a": st.text(max_size=3), "b": st.integers(0, 9)})
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.lists(_ITEM, max_size=3)), max_size=12),
    st.sampled_from(["joined", "masked", "pieces", "as built"]),
)
def test_null_lists_made_empty_without_a_copy_are_the_lists_filled(
    rows: list[list[dict[str, Any] | None] | None], made: str
) -> None:
    import pyarrow as pa

    from herniarules.screen._facts import _empty_lists_filled, _empty_lists_for_nulls

    dtype = pl.List(pl.Struct({"a": pl.String(), "b": pl.Int64()}))
    column = pl.Series("c", rows, dtype=dtype)
    if made == "joined":  # as the derivation gets them: rows without records, after a join
        present = pl.DataFrame({"row": range(len(rows)), "c": column}).drop_nulls("c")
        every = pl.DataFrame({"row": range(len(rows) + 2)})
        column = every.join(present, on="row", how="left", maintain_order="left")["c"]
    elif made == "masked":  # null lists that span values
        lists = column.fill_null(pl.lit([{"a": "x", "b": 1}], dtype)).to_arrow()
        mask = pa.array([row is None for row in rows], pa.bool_())
        column = pl.Series("c", type(lists).from_arrays(lists.offsets, lists.values, mask=mask))
    elif made == "pieces":
        column = pl.concat([column, column], rechunk=False)
    expected = _empty_lists_filled(column)
    got = _empty_lists_for_nulls(column)
    assert got.null_count() == 0
    assert got.dtype == column.dtype
    assert got.to_list() == expected.to_list()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(strategies.patients(with_hernia=None), min_size=1, max_size=12),
    st.booleans(),
    st.data(),
)
def test_the_facts_derived_on_two_threads_are_those_derived_on_one(
    patients: list[Patient], read: bool, data: st.DataObject
) -> None:
    from herniarules.screen import _facts

    table = patients_to_table(patients)
    if not read:  # a refused row among them: its errors are the same too
        bad = data.draw(st.integers(0, len(patients) - 1))
        hernia = {"region": "lumbar", "level": "Z9-Z9", "kind": "protrusion", "phase": "remission"}
        refused = pl.Series([[hernia]], dtype=table.schema["hernias"])
        at = pl.int_range(pl.len()) == bad
        table = table.with_columns(
            pl.when(at).then(pl.lit(refused)).otherwise(pl.col("hernias")).alias("hernias"),
        )
    engine = Engine()
    derived = {}
    for rows in (0, 10**9):  # every table on two threads, then none
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(_facts, "_CONCURRENT_ROWS", rows)
            derived[rows] = derive_table(table, AS_OF, engine.terminology, read=read)
    (threaded, threaded_errors), (alone, alone_errors) = derived[0], derived[10**9]
    assert threaded.equals(alone)
    assert threaded_errors == alone_errors
    assert read or alone_errors
