"""Killing the service mid-request loses nothing: every answered call is in the audit log,
and nothing is half-written."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from herniarules.fhir import PREFETCH
from tests.service_support import free_socket, prefetch_for, us_core_resources


def _start(db: Path, port: int, synchronous: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "herniarules.cli",
            "serve",
            "--insecure-dev",
            "--port",
            str(port),
            "--audit",
            f"sqlite:///{db}",
            "--audit-synchronous",
            synchronous,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            httpx.get(base + "/cds-services", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("the service did not start")


@pytest.mark.parametrize("synchronous", ["full", "normal"])
def test_sigkill_mid_request_leaves_the_audit_log_intact(tmp_path: Path, synchronous: str) -> None:
    db = tmp_path / "audit.db"
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    base = f"http://127.0.0.1:{port}"
    process = _start(db, port, synchronous)
    prefetch = prefetch_for(PREFETCH, us_core_resources(), "example")
    answered: list[str] = []
    stop = threading.Event()

    def call() -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            while not stop.is_set():
                body = {
                    "hook": "patient-view",
                    "hookInstance": str(uuid.uuid4()),
                    "context": {"userId": "Practitioner/1", "patientId": "example"},
                    "prefetch": prefetch,
                }
                try:
                    response = http.post("/cds-services/herniarules-patient-view", json=body)
                except httpx.HTTPError:
                    return
                assert response.status_code == 200, response.text
                answered.append(response.headers["x-decision-id"])

    try:
        _wait(base, process)
        clients = [threading.Thread(target=call) for _ in range(4)]
        for thread in clients:
            thread.start()
        deadline = time.monotonic() + 30
        while len(answered) < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)  # while the clients keep calling
        process.wait(10)
        stop.set()
        for thread in clients:
            thread.join(15)
    finally:
        if process.poll() is None:
            process.kill()
    assert len(answered) >= 30
    with sqlite3.connect(db) as log:
        assert log.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert log.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        recorded = {d for (d,) in log.execute("SELECT decision_id FROM decisions")}
        assert set(answered) <= recorded
        # every decision has all its cards, and no card is without its decision
        assert log.execute(
            "SELECT count(*) FROM decisions d WHERE card_count != "
            "(SELECT count(*) FROM cards c WHERE c.decision_id = d.decision_id)"
        ).fetchone() == (0,)
        assert log.execute(
            "SELECT count(*) FROM cards"
            " WHERE decision_id NOT IN (SELECT decision_id FROM decisions)"
        ).fetchone() == (0,)
    # the log opens again and takes new decisions
    again = _start(db, port, synchronous)
    try:
        _wait(base, again)
        response = httpx.post(
            base + "/cds-services/herniarules-patient-view",
            json={
                "hook": "patient-view",
                "hookInstance": str(uuid.uuid4()),
                "context": {"userId": "Practitioner/1", "patientId": "example"},
                "prefetch": prefetch,
            },
            timeout=10,
        )
        assert response.status_code == 200
    finally:
        again.terminate()
        again.wait(10)
