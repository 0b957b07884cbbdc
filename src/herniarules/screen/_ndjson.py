"""NDJSON of patient JSON read into a patient table, in blocks of whole lines.

Every line is read by :func:`~herniarules.io.loads_patient`, as :func:`read_lines` (the
reference) reads them one after the other. :func:`read_ndjson` cuts the file into blocks of
whole lines (:data:`BLOCK_BYTES` and the rest of the last line) and reads each block with
:func:`read_block`: in this process for a small file or one CPU, else in worker processes
(started with ``spawn``, one per CPU, a few blocks ahead at most, so that memory stays bounded)
while this process joins the blocks' tables in file order. The table and the problems, each
with its line number, are those of :func:`read_lines`.
"""

from __future__ import annotations

import io
import os
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import BinaryIO

import polars as pl

from herniarules.errors import InputError
from herniarules.model import Patient
from herniarules.screen._facts import RowError
from herniarules.screen._table import patients_to_table

__all__ = ["BLOCK_BYTES", "read_block", "read_lines", "read_ndjson", "refused"]

#: The bytes of lines read as one block (a block ends at the end of a line).
BLOCK_BYTES = 4 << 20


def refused(number: int, error: InputError, where: str = "") -> list[RowError]:
    """Return the problems of row ``number`` that the reader refused, one per path."""
    problems = getattr(error, "problems", ())
    if not problems:
        return [RowError(number, where, str(error))]
    return [RowError(number, p.path, p.message) for p in problems]


def _read(lines: Iterable[bytes]) -> tuple[list[Patient], list[RowError], int]:
    patients: list[Patient] = []
    errors: list[RowError] = []
    number = -1
    for number, line in enumerate(lines):
        if not line.strip():
            errors.append(RowError(number, "", "empty line: expected one patient record"))
            continue
        try:
            patients.append(_loads(line))
        except InputError as error:
            errors.extend(refused(number, error))
    return patients, errors, number + 1


def _loads(line: bytes) -> Patient:
    from herniarules.io import loads_patient

    return loads_patient(line)


def read_lines(lines: Iterable[bytes]) -> tuple[pl.DataFrame, list[RowError]]:
    """Return the patient table of ``lines`` and the problems of the lines refused."""
    patients, errors, _ = _read(lines)
    return patients_to_table(patients), errors


def read_block(block: bytes) -> tuple[pl.DataFrame, list[RowError], int]:
    """Return :func:`read_lines` of the lines of ``block`` and the number of lines in it."""
    patients, errors, count = _read(io.BytesIO(block))
    return patients_to_table(patients), errors, count


def _blocks(handle: BinaryIO, size: int) -> Iterator[bytes]:
    """Yield ``handle``'s bytes in blocks of about ``size`` bytes, each ending a line."""
    while block := handle.read(size):
        if not block.endswith(b"\n"):
            block += handle.readline()
        yield block


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def read_ndjson(
    path: Path, *, workers: int | None = None, block_bytes: int = BLOCK_BYTES
) -> tuple[pl.DataFrame, list[RowError]]:
    """Return :func:`read_lines` of the file at ``path``, read in blocks.

    :param workers: the worker processes to read blocks in (default: one per CPU this process
        may run on); with 1, or a file of at most two blocks, the blocks are read here.
    :param block_bytes: the size of a block.
    """
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    count = (_cpus() if _can_spawn() else 1) if workers is None else workers
    if count > 1 and path.stat().st_size > 2 * block_bytes:
        from concurrent.futures.process import BrokenProcessPool

        try:
            with path.open("rb") as handle:
                return _joined(_in_workers(_blocks(handle, block_bytes), count))
        except BrokenProcessPool:  # a worker could not start or died: read here instead
            return _read_here(path, block_bytes)
    return _read_here(path, block_bytes)


def _read_here(path: Path, block_bytes: int) -> tuple[pl.DataFrame, list[RowError]]:
    """Return :func:`read_ndjson` of the file at ``path``, its blocks read in this process."""
    with path.open("rb") as handle:
        return _joined(map(read_block, _blocks(handle, block_bytes)))


def _can_spawn() -> bool:
    """Whether worker processes can be started here: ``spawn`` re-imports the main module.

    Not from a worker itself, and not when the main module names a file that is not there
    (a script read from standard input).
    """
    import multiprocessing

    if multiprocessing.parent_process() is not None:
        return False
    file = getattr(sys.modules.get("__main__"), "__file__", None)
    return file is None or os.path.exists(file)  # None: an interactive session


def _in_workers(
    blocks: Iterator[bytes], workers: int
) -> Iterator[tuple[pl.DataFrame, list[RowError], int]]:
    """Yield :func:`read_block` of each block, in order, read by ``workers`` processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[tuple[pl.DataFrame, list[RowError], int]]] = deque()
        for block in blocks:
            pending.append(pool.submit(read_block, block))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _joined(
    parts: Iterable[tuple[pl.DataFrame, list[RowError], int]],
) -> tuple[pl.DataFrame, list[RowError]]:
    """Return the blocks' tables as one, and their problems numbered by line of the file."""
    tables: list[pl.DataFrame] = []
    errors: list[RowError] = []
    first = 0
    for table, problems, lines in parts:
        tables.append(table)
        errors.extend(RowError(first + e.row, e.path, e.message) for e in problems)
        first += lines
    if not tables:
        return patients_to_table([]), errors
    return pl.concat(tables, rechunk=False), errors
