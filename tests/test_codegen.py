"""Generated code is compiled in one place, and a traceback through it shows its source.

Every function herniarules writes as source at run time (the structurers, the JSON writers, the
fact constructors, the model's doors) is compiled by :func:`herniarules._codegen.define`,
which registers the source with :mod:`linecache` for as long as the function lives.
"""

from __future__ import annotations

import ast
import gc
import linecache
import traceback
from pathlib import Path
from typing import Any

import attrs
import pytest

from herniarules import _codegen, _emit, _fast, _walk, facts
from herniarules._convert import converter
from herniarules.model import Hernia, Patient, Vitals
from herniarules.outcomes import ProtocolStep

SOURCE = Path(__file__).resolve().parents[1] / "src" / "herniarules"

#: The one module that compiles and runs source.
COMPILES = {"_codegen.py"}


def _frames_through(exc: BaseException, filename: str) -> list[traceback.FrameSummary]:
    return [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]


def _shows_its_source(exc: BaseException, function: Any) -> str:
    """Check that a traceback through ``function`` shows the line of its source that ran."""
    filename = function.__code__.co_filename
    assert filename.startswith("<herniarules ")
    lines = linecache.getlines(filename)
    assert lines, f"no source registered for {filename}"
    [frame] = _frames_through(exc, filename)
    assert frame.lineno is not None
    line = lines[frame.lineno - 1].strip()
    assert line and frame.line == line
    text = "".join(traceback.format_exception(exc))
    assert f'File "{filename}", line {frame.lineno}' in text
    assert f"\n    {line}\n" in text
    return line


# --------------------------------------------------------------------------- tracebacks


def test_a_traceback_through_the_fast_structurer_shows_its_source() -> None:
    fast = _fast.structurer(Patient)
    with pytest.raises(_fast.NotFast) as caught:
        fast({"id": 5, "age": 40, "sex": "male"}, [0])
    assert _shows_its_source(caught.value, fast) == "raise _NotFast"


def test_a_traceback_through_a_walker_reader_shows_its_source() -> None:
    read = _walk.reader(int)
    with pytest.raises(_walk.Invalid) as caught:
        read(_walk.Walker(), "5", "$")
    assert _shows_its_source(caught.value, read) == "raise w.fail(path, _refusal(v))"


def test_a_traceback_through_a_json_writer_shows_its_source() -> None:
    write = _emit.Emitter(converter)._writers[ProtocolStep]
    with pytest.raises(AttributeError) as caught:
        write(object())
    assert _shows_its_source(caught.value, write).startswith("return ''.join((")


def test_the_fact_constructors_source_is_registered() -> None:
    filename = facts._make_facts.__code__.co_filename
    assert filename.startswith("<herniarules constructor of Facts #")
    assert linecache.getlines(filename)[0].startswith("def make(")


@pytest.mark.parametrize("cls", [Patient, Hernia, Vitals])
def test_the_model_doors_source_is_not_registered(cls: type) -> None:
    # Tools that read a function's source to rewrite its signature (Sphinx's
    # autodoc_preserve_defaults) would rewrite the generated __init__ otherwise.
    filename = cls.__init__.__code__.co_filename
    assert filename.startswith("<herniarules model door ")
    assert filename not in linecache.cache


# --------------------------------------------------------------------------- lifetime


@attrs.frozen
class _Point:
    x: int
    y: float | None = None


def test_generated_source_leaves_linecache_when_the_function_is_collected() -> None:
    fast = _fast.build(_Point)
    assert fast({"x": 1}, [0]) == _Point(1)
    filename = fast.__code__.co_filename
    assert filename in linecache.cache
    del fast
    gc.collect()
    assert filename not in linecache.cache


def test_a_json_writers_source_leaves_with_its_emitter() -> None:
    emitter = _emit.Emitter(converter)
    filenames = {
        writer.__code__.co_filename
        for writer in emitter._writers.values()
        if writer.__code__.co_filename.startswith("<herniarules JSON writer")
    }
    # The writers kept texts for are wrapped; every generated one is registered, wrapped or not.
    assert len(filenames) >= 3
    assert all(name in linecache.cache for name in filenames)
    del emitter
    gc.collect()
    assert not any(name in linecache.cache for name in filenames)


def test_define_names_each_piece_of_source_apart() -> None:
    namespace: dict[str, Any] = {}
    one = _codegen.define("def f():\n    return 1", "f", "probe", namespace)
    two = _codegen.define("def f():\n    return 2", "f", "probe", namespace)
    assert (one(), two()) == (1, 2)
    assert one.__code__.co_filename != two.__code__.co_filename
    assert linecache.getlines(two.__code__.co_filename) == ["def f():\n", "    return 2\n"]


def test_source_without_a_weak_reference_is_not_kept() -> None:
    before = set(linecache.cache)
    assert _codegen.define("answer = 42", "answer", "probe", {}) == 42
    assert set(linecache.cache) - before == set()


# --------------------------------------------------------------------------- one place


def _compiling_calls(path: Path) -> list[str]:
    """The calls of the built-ins ``exec``, ``eval`` and ``compile`` in a source file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        f"{node.func.id}() at line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("exec", "eval", "compile")
    ]


def test_only_the_codegen_module_compiles_source() -> None:
    found = {
        path.relative_to(SOURCE).as_posix(): calls
        for path in sorted(SOURCE.rglob("*.py"))
        if (calls := _compiling_calls(path))
    }
    assert set(found) == COMPILES, found
