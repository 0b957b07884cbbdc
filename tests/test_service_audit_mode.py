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
