"""The CDS Hooks service under a bounded loopback load, against a floor server in the same run.

For 1 and then 4 concurrent clients, each for ``--seconds`` (60 by default), the script calls

- the service (``herniarules serve``, one uvicorn process, tokens checked against the
  sandbox's pinned JWKS, SQLite audit log with ``synchronous=FULL``) with a signed
  ``patient-view`` call carrying the prefetch of US Core's Patient/example, and
- the floor (``service_floor.py``, the same uvicorn) with the very same requests; it only
  parses the body and answers a body of the same size as the service's answer.

Each client is a thread with one keep-alive connection; a token is signed before each call
and outside its timing (the floor receives the same header). The server's CPU time is read
from ``/proc`` before and after each phase, so *requests per core* is requests per
CPU-second of the server process, whatever the clients cost. Targets: the service's requests
per core ≥ 0.4 × the floor's, and its p99 latency at one connection ≤ 2.5 × the floor's, with no
error. A second service process, its SQLite audit log in ``synchronous=NORMAL`` mode
(``--audit-synchronous normal``: no fsync per decision), is measured at one connection too,
after the default one. Results go to ``benchmarks/service-results.json``.

    .venv/bin/python benchmarks/service.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from herniarules.fhir import PREFETCH  # noqa: E402
from tests.service_support import (  # noqa: E402
    SANDBOX,
    SANDBOX_ISS,
    prefetch_for,
    sandbox_token,
    us_core_resources,
)

PATH = "/cds-services/herniarules-patient-view"
TICKS = os.sysconf("SC_CLK_TCK")


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _wait(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/cds-services")
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"no server on port {port}")


def _body() -> bytes:
    return json.dumps(
        {
            "hook": "patient-view",
            "hookInstance": str(uuid.uuid4()),
            "context": {"userId": "Practitioner/example", "patientId": "example"},
            "prefetch": prefetch_for(PREFETCH, us_core_resources(), "example"),
        }
    ).encode()


def _phase(port: int, pid: int, clients: int, seconds: float, body: bytes) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    stop = threading.Event()

    def run(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while not stop.is_set():
            headers = {
                "Authorization": f"Bearer {sandbox_token(base + PATH)}",
                "Content-Type": "application/json",
            }
            started = time.perf_counter()
            connection.request("POST", PATH, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            latencies[index].append(time.perf_counter() - started)
            if response.status != 200:
                errors[index] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    cpu = _cpu_seconds(pid)
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall
    cpu = _cpu_seconds(pid) - cpu
    every = sorted(x for per in latencies for x in per)
    count = len(every)
    return {
        "clients": clients,
        "requests": count,
        "errors": sum(errors),
        "wall_s": round(wall, 2),
        "server_cpu_s": round(cpu, 2),
        "requests_per_s": round(count / wall, 1),
        "requests_per_core_s": round(count / cpu, 1) if cpu else None,
        "p50_ms": round(every[count // 2] * 1000, 3),
        "p99_ms": round(every[min(count - 1, int(count * 0.99))] * 1000, 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-write", action="store_true", help="leave the results file alone")
    args = parser.parse_args()
    python = sys.executable
    body = _body()
    with tempfile.TemporaryDirectory() as scratch:
        service_port, floor_port = _port(), _port()
        normal_port = _port()

        def serve(port: int, name: str, synchronous: str) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [python, "-m", "herniarules.cli", "serve", "--port", str(port),
                 "--issuer", SANDBOX_ISS, "--jwks", str(SANDBOX / "jwks.json"),
                 "--audit", f"sqlite:///{scratch}/{name}", "--audit-synchronous", synchronous],
            )  # fmt: skip

        service = serve(service_port, "audit.db", "full")
        normal = serve(normal_port, "audit-normal.db", "normal")
        try:
            _wait(service_port)
            _wait(normal_port)
            connection = http.client.HTTPConnection("127.0.0.1", service_port)
            token = sandbox_token(f"http://127.0.0.1:{service_port}{PATH}")
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            connection.request("POST", PATH, body=body, headers=headers)
            answer = connection.getresponse().read()
            size = len(answer)
            floor = subprocess.Popen(
                [python, "-m", "uvicorn", "service_floor:app",
                 "--app-dir", str(ROOT / "benchmarks"),
                 "--port", str(floor_port), "--log-level", "warning"],
                env={**os.environ, "HERNIARULES_FLOOR_BYTES": str(size)},
            )  # fmt: skip
            try:
                _wait(floor_port)
                results: dict[str, Any] = {"response_bytes": size, "request_bytes": len(body)}
                for clients in (1, 4):
                    results[f"floor_{clients}"] = _phase(
                        floor_port, floor.pid, clients, args.seconds, body
                    )
                    results[f"service_{clients}"] = _phase(
                        service_port, service.pid, clients, args.seconds, body
                    )
                    if clients == 1:
                        results["service_normal_1"] = _phase(
                            normal_port, normal.pid, 1, args.seconds, body
                        )
            finally:
                floor.terminate()
                floor.wait()
        finally:
            for server in (service, normal):
                server.terminate()
                server.wait()
    ratios = {}
    for clients in (1, 4):
        ratios[f"requests_per_core_{clients}"] = round(
            results[f"service_{clients}"]["requests_per_core_s"]
            / results[f"floor_{clients}"]["requests_per_core_s"],
            3,
        )
    ratios["p99_1"] = round(results["service_1"]["p99_ms"] / results["floor_1"]["p99_ms"], 3)
    normal_1 = results["service_normal_1"]
    ratios["requests_per_core_normal_1"] = round(
        normal_1["requests_per_core_s"] / results["floor_1"]["requests_per_core_s"], 3
    )
    ratios["p99_normal_1"] = round(normal_1["p99_ms"] / results["floor_1"]["p99_ms"], 3)
    results["ratios"] = ratios
    results["seconds"] = args.seconds
    errors = sum(results[k]["errors"] for k in results if k.startswith(("service_", "floor_")))
    for key in ("floor_1", "service_1", "service_normal_1", "floor_4", "service_4"):
        row = results[key]
        print(f"{key:<16} {row['requests']:>7} req  {row['requests_per_s']:>8} req/s  "
              f"{row['requests_per_core_s']:>8} req/core-s  p50 {row['p50_ms']:>7} ms  "
              f"p99 {row['p99_ms']:>7} ms  errors {row['errors']}")  # fmt: skip
    print(f"service ÷ floor, requests per core: 1 client {ratios['requests_per_core_1']}× "
          f"(target ≥ 0.4), 4 clients {ratios['requests_per_core_4']}× (target ≥ 0.4)")  # fmt: skip
    print(f"service ÷ floor, p99 at one connection: {ratios['p99_1']}× (target ≤ 2.5); "
          f"errors: {errors}")  # fmt: skip
    print(f"with --audit-synchronous normal, 1 client: requests per core "
          f"{ratios['requests_per_core_normal_1']}×, p99 {ratios['p99_normal_1']}×")  # fmt: skip
    if not args.no_write:
        out = ROOT / "benchmarks" / "service-results.json"
        out.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
