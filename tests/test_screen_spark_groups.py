"""The Spark adapter's grouping of Arrow batches, without Spark."""

from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from herniarules.screen.spark import _grouped, screen_spark


def _batches(sizes: list[int]) -> list[pa.RecordBatch]:
    start = 0
    out = []
    for size in sizes:
        out.append(pa.record_batch({"n": pa.array(range(start, start + size), pa.int64())}))
        start += size
    return out


@given(
    sizes=st.lists(st.integers(0, 7), max_size=12),
    rows=st.integers(1, 20),
    size=st.integers(1, 400),
)
def test_groups_keep_every_row_in_order_and_close_at_their_bounds(
    sizes: list[int], rows: int, size: int
) -> None:
    batches = _batches(sizes)
    groups = list(_grouped(iter(batches), rows, size))
    assert [n for group in groups for n in group.column("n").to_pylist()] == list(range(sum(sizes)))
    assert all(group.num_rows > 0 for group in groups)
    for group in groups[:-1]:  # each but the last closed at a bound, not before
        assert group.num_rows >= rows or group.nbytes >= size
        last = group.to_batches()[-1].num_rows
        before = group.slice(0, group.num_rows - last)
        assert before.num_rows < rows and before.nbytes < size


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_batch_rows_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(ValueError, match="batch_rows: must be a positive integer"):
        screen_spark(None, batch_rows=bad)  # type: ignore[arg-type]
