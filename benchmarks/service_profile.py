"""Where one hook call's server-side CPU time goes: the service's ASGI app called in-process.

Builds the application as ``herniarules serve`` does (the sandbox issuer with its pinned
JWKS, a SQLite audit log with ``synchronous=FULL`` in a scratch directory, objects frozen at
start-up), starts its lifespan as uvicorn does and sends it, with no socket and no uvicorn,
the request of ``service.py``: a signed ``patient-view`` call with the prefetch of US Core's
Patient/example. Tokens are signed before the timed loop. The audit write, which the service
runs on a worker thread, is run on the calling thread so that one profiler sees all of it.

Prints the CPU milliseconds per call (``time.process_time``) and, with ``--profile``, the
functions of a cProfile run sorted by cumulative time. Not a target: the targets are the
ratios ``service.py`` measures against its floor server.

    .venv/bin/python benchmarks/service_profile.py [--calls 300] [--profile] [--sort tottime]

Instructions per call, which other jobs do not change: two callgrind runs that sign the same
number of tokens and differ in ``--calls``, their difference divided by the difference of
calls (``benchmarks/callgrind_service.sh`` runs them).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import anyio.to_thread  # noqa: E402
from service import PATH, _body  # noqa: E402

from tests.service_support import SANDBOX, SANDBOX_ISS, sandbox_token  # noqa: E402

BASE = "http://127.0.0.1:8080"


async def _inline(function: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return function(*args)


def _scope(token: str, size: int) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 50000),
        "headers": [
            (b"host", b"127.0.0.1:8080"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(size).encode()),
        ],
    }


async def _call(app: Any, token: str, body: bytes) -> tuple[int, bytes]:
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(_scope(token, len(body)), receive, send)
    return status, b"".join(chunks)


async def _started(app: Any) -> tuple[asyncio.Queue[dict[str, Any]], asyncio.Task[None]]:
    """Run the app's lifespan start-up, as uvicorn does; return how to shut it down."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()

    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
    )
    await inbox.put({"type": "lifespan.startup"})
    await started.wait()
    return inbox, task


async def _run(app: Any, tokens: list[str], body: bytes) -> None:
    for token in tokens:
        status, answer = await _call(app, token, body)
        if status != 200:
            raise RuntimeError(f"status {status}: {answer[:300]!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--lines", type=int, default=60)
    parser.add_argument(
        "--synchronous",
        choices=("FULL", "NORMAL"),
        default="FULL",
        help="the SQLite audit log's synchronous mode (with NORMAL the service writes the "
        "log on its event loop, as herniarules serve --audit-synchronous normal does)",
    )
    parser.add_argument(
        "--tokens",
        type=int,
        default=0,
        help="sign this many tokens whatever --calls is (so that two instruction counts with "
        "different --calls differ by the calls alone)",
    )
    args = parser.parse_args()

    from herniarules.service import ServiceConfig, create_app, load_issuer, open_audit_log

    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    body = _body()
    with tempfile.TemporaryDirectory() as scratch:
        audit = open_audit_log(f"sqlite:///{scratch}/audit.db", synchronous=args.synchronous)
        issuer = load_issuer(SANDBOX_ISS, SANDBOX / "jwks.json")
        app = create_app(
            audit=audit,
            config=ServiceConfig(issuers={SANDBOX_ISS: issuer}, freeze_at_startup=True),
        )
        warm = [sandbox_token(BASE + PATH) for _ in range(20)]
        signed = [sandbox_token(BASE + PATH) for _ in range(max(args.calls, args.tokens))]
        tokens = signed[: args.calls]
        loop = asyncio.new_event_loop()
        inbox, lifespan = loop.run_until_complete(_started(app))
        loop.run_until_complete(_run(app, warm, body))
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        cpu, wall = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        loop.run_until_complete(_run(app, tokens, body))
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        loop.run_until_complete(inbox.put({"type": "lifespan.shutdown"}))
        loop.run_until_complete(lifespan)
        loop.close()
        audit.close()
    print(
        f"{args.calls} calls: {cpu / args.calls * 1000:.3f} ms CPU per call, "
        f"{wall / args.calls * 1000:.3f} ms wall per call"
        + (" (under cProfile)" if profiler is not None else "")
    )
    if profiler is not None:
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
