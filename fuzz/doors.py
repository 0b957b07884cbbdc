"""The three input doors and the property every one of them must hold.

Each ``try_*`` function feeds one input through one door and returns a short label of what
happened; anything other than loading or the documented input error is raised as
:class:`DoorViolation` so the fuzzers can report it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from herniarules.cli import main as cli_main
from herniarules.io import InputError, loads_patient, patient_from_dict

#: Longest one input may take through one door before it counts as a hang, in seconds.
HANG_S = 2.0
#: Where inputs that were slow even on a second try are saved for a look.
SLOW_DIR = Path(__file__).resolve().parent / "slow-inputs"


class DoorViolation(AssertionError):
    """An input made a door do something other than load or raise InputError."""


def _slow(door: str, elapsed: float, value: Any, again: Callable[[], object]) -> None:
    """Decide whether a slow input is a hang or a stall of the machine (another process).

    The input is run once more: slow again means the input is the cause; it is saved under
    ``fuzz/slow-inputs/`` and reported.
    """
    started = time.perf_counter()
    with contextlib.suppress(Exception):
        again()
    second = time.perf_counter() - started
    if second <= HANG_S:
        return
    SLOW_DIR.mkdir(exist_ok=True)
    data = value if isinstance(value, bytes) else repr(value).encode("utf-8", "surrogatepass")
    name = SLOW_DIR / f"{door}-{hashlib.sha256(data).hexdigest()[:12]}.bin"
    name.write_bytes(data)
    raise DoorViolation(f"{door} took {elapsed:.2f} s then {second:.2f} s on {name}")


def try_dict(data: Any) -> str:
    """Feed plain data to ``patient_from_dict``."""
    started = time.perf_counter()
    try:
        patient_from_dict(data)
        result = "loaded"
    except InputError as exc:
        if not exc.problems:
            raise DoorViolation("InputError without problems") from exc
        result = "input-error"
    except Exception as exc:
        raise DoorViolation(f"patient_from_dict raised {exc!r} for {data!r:.300}") from exc
    elapsed = time.perf_counter() - started
    if elapsed > HANG_S:
        _slow("patient_from_dict", elapsed, data, lambda: patient_from_dict(data))
    return result


def try_text(text: str | bytes) -> str:
    """Feed JSON text to ``loads_patient``."""
    started = time.perf_counter()
    try:
        loads_patient(text)
        result = "loaded"
    except InputError as exc:
        if not exc.problems:
            raise DoorViolation("InputError without problems") from exc
        result = "input-error"
    except Exception as exc:
        raise DoorViolation(f"loads_patient raised {exc!r} for {text!r:.300}") from exc
    elapsed = time.perf_counter() - started
    if elapsed > HANG_S:
        _slow("loads_patient", elapsed, text, lambda: loads_patient(text))
    return result


def try_cli(content: str | bytes, directory: str | None = None) -> str:
    """Write ``content`` to a file and run ``herniarules assess FILE`` on it."""
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    fd, path = tempfile.mkstemp(suffix=".json", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        out, err = io.StringIO(), io.StringIO()
        started = time.perf_counter()
        try:
            status = cli_main(["assess", "--as-of", "2025-03-14", path], out=out, err=err)
        except Exception as exc:
            raise DoorViolation(f"herniarules assess raised {exc!r} for {data!r:.300}") from exc
        elapsed = time.perf_counter() - started
        if elapsed > HANG_S:
            _slow(
                "cli",
                elapsed,
                data,
                lambda: cli_main(["assess", path], out=io.StringIO(), err=io.StringIO()),
            )
    finally:
        os.unlink(path)
    if status == 0:
        return "loaded"
    if status == 2:
        if "error:" not in err.getvalue():
            raise DoorViolation(f"exit 2 without an error message for {data!r:.300}")
        return "input-error"
    raise DoorViolation(f"herniarules assess exited {status} for {data!r:.300}")
