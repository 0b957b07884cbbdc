"""The SQLite audit log's synchronous mode: FULL by default, NORMAL on request, nothing else."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from herniarules.service.audit import SQLiteAuditLog, open_audit_log

_CODES = {"FULL": 2, "NORMAL": 1}


@pytest.mark.parametrize("mode", [None, "FULL", "NORMAL"])
def test_the_log_runs_in_the_mode_asked_for(tmp_path: Path, mode: str | None) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    log = open_audit_log(url) if mode is None else open_audit_log(url, synchronous=mode)  # type: ignore[arg-type]
    try:
        assert isinstance(log, SQLiteAuditLog)
        expected = mode or "FULL"
        assert log.synchronous == expected
        assert log._db.execute("PRAGMA synchronous").fetchone() == (_CODES[expected],)
        assert log._db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        log.close()


@pytest.mark.parametrize("mode", ["OFF", "EXTRA", "normal", "FULL; DROP TABLE cards", ""])
def test_any_other_mode_is_refused(tmp_path: Path, mode: str) -> None:
    with pytest.raises(ValueError, match="synchronous must be one of FULL, NORMAL"):
        SQLiteAuditLog(tmp_path / "audit.db", synchronous=mode)  # type: ignore[arg-type]
    assert not (tmp_path / "audit.db").exists()


def test_a_postgresql_log_is_never_opened_with_a_weaker_mode() -> None:
    with pytest.raises(ValueError, match="SQLite audit log only"):
        open_audit_log("postgresql://nobody@127.0.0.1:1/none", synchronous="NORMAL")


def test_a_normal_log_is_read_back_by_a_new_connection(tmp_path: Path) -> None:
    from herniarules.service.audit import CardRecord, DecisionRecord

    log = SQLiteAuditLog(tmp_path / "audit.db", synchronous="NORMAL")
    card = CardRecord("c1", "d1", "s", "t", "allowed", "info", (("urn:x", "y"),))
    log.record_decision(
        DecisionRecord(
            "d1",
            "now",
            "s",
            "patient-view",
            "h",
            "p",
            "0" * 64,
            "2026-01-01",
            "f",
            "v",
            "{}",
            (card,),
        )
    )
    with sqlite3.connect(tmp_path / "audit.db") as other:
        assert other.execute("SELECT decision_id, card_count FROM decisions").fetchall() == [
            ("d1", 1)
        ]
    assert log.card("c1") == card
    log.close()


def _record(decision_id: str) -> tuple[object, object]:
    from herniarules.service.audit import CardRecord, DecisionRecord

    card = CardRecord(f"c-{decision_id}", decision_id, "s", "t", "allowed", "info", ())
    record = DecisionRecord(
        decision_id, "now", "s", "patient-view", "h", "p", "0" * 64, "2026-01-01", "f", "v", "{}",
        (card,),
    )  # fmt: skip
    return record, card


@pytest.mark.parametrize("mode", ["FULL", "NORMAL"])
def test_a_write_that_would_wait_for_another_writer_is_not_made(tmp_path: Path, mode: str) -> None:
    log = SQLiteAuditLog(tmp_path / "audit.db", synchronous=mode)  # type: ignore[arg-type]
    first, _ = _record("d1")
    assert log.try_record_decision(first) is True  # type: ignore[arg-type]
    other = sqlite3.connect(tmp_path / "audit.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    second, card = _record("d2")
    assert log.try_record_decision(second) is False  # type: ignore[arg-type]
    # this thread holding the lock: not written either, and the lock is not taken twice
    with log._lock:
        assert log.try_record_decision(second) is False  # type: ignore[arg-type]
    other.execute("ROLLBACK")
    assert log.card("c-d2") is None
    assert log.try_record_decision(second) is True  # type: ignore[arg-type]
    assert log.card("c-d2") == card
    ids = [row[0] for row in other.execute("SELECT decision_id FROM decisions ORDER BY 1")]
    assert ids == ["d1", "d2"]
    other.close()
    log.close()


@pytest.mark.parametrize("mode", ["FULL", "NORMAL"])
def test_a_call_is_recorded_when_another_writer_holds_the_log_for_a_while(
    tmp_path: Path, mode: str
) -> None:
    import threading
    import uuid

    from starlette.testclient import TestClient

    from herniarules.fhir import PREFETCH
    from herniarules.service import ServiceConfig, create_app
    from tests.service_support import prefetch_for, us_core_resources

    db = tmp_path / "audit.db"
    log = open_audit_log(f"sqlite:///{db}", synchronous=mode)  # type: ignore[arg-type]
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": "example"},
        "prefetch": prefetch_for(PREFETCH, us_core_resources(), "example"),
    }
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    with TestClient(create_app(audit=log, config=ServiceConfig(insecure_dev=True))) as http:
        other.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.5, lambda: other.execute("ROLLBACK"))
        release.start()
        answer = http.post("/cds-services/herniarules-patient-view", json=body)
        release.join()
    assert answer.status_code == 200
    decision = answer.headers["x-decision-id"]
    rows = other.execute("SELECT card_count FROM decisions WHERE decision_id = ?", (decision,))
    assert rows.fetchall() == [(len(answer.json()["cards"]),)]
    other.close()
    log.close()


@pytest.mark.parametrize(("mode", "on_thread"), [("FULL", 1), ("NORMAL", 0)])
def test_only_a_log_that_waits_for_the_disk_is_written_on_a_worker_thread(
    tmp_path: Path, mode: str, on_thread: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uuid

    import anyio.to_thread
    from starlette.testclient import TestClient

    from herniarules.fhir import PREFETCH
    from herniarules.service import ServiceConfig, create_app
    from tests.service_support import prefetch_for, us_core_resources

    log = open_audit_log(f"sqlite:///{tmp_path / 'audit.db'}", synchronous=mode)  # type: ignore[arg-type]
    written: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(function: object, *args: object, **kw: object) -> object:
        if getattr(function, "__name__", "") == "record_decision":
            written.append(args[0])
        return await run_sync(function, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": "example"},
        "prefetch": prefetch_for(PREFETCH, us_core_resources(), "example"),
    }
    with TestClient(create_app(audit=log, config=ServiceConfig(insecure_dev=True))) as http:
        answer = http.post("/cds-services/herniarules-patient-view", json=body)
    assert answer.status_code == 200
    assert len(written) == on_thread
    assert log.card(answer.json()["cards"][0]["uuid"]) is not None
    log.close()
