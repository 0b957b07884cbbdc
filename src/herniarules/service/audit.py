"""The durable audit log of every decision the service answers and every feedback it gets.

Each answered call is one row in ``decisions`` (decision id, service, hook instance, patient
id, SHA-256 of the input, as-of days, ruleset fingerprint, SDK version, the outcome of every
technique, the number of cards) and one row per card in ``cards``, written in one transaction
that commits before the response is sent: a call that was answered is recorded, and a call
interrupted at any point leaves nothing half-written. Feedback rows name the card and its
decision.

Two back-ends share one schema: :class:`SQLiteAuditLog`, the embedded default (WAL journal,
``synchronous=FULL`` unless asked for ``NORMAL``), and :class:`PostgresAuditLog` (psycopg) for
several service instances sharing one log. :func:`open_audit_log` picks one from a URL:
``sqlite:///path/audit.db`` or ``postgresql://user@host/db``.

SQLite's ``synchronous`` mode decides what a commit waits for. ``FULL`` (the default) syncs
the write-ahead log to the disk at every commit: a decision that was answered survives a
killed process, an operating-system crash and a power loss. ``NORMAL`` writes the log at
every commit and syncs it only at checkpoints: a killed process still loses nothing (the
written log is in the operating system's hands and is read back on the next open), but an
operating-system crash or a power loss may lose the last decisions committed before it,
never half of one. ``NORMAL`` saves the wait for the disk on every call.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

import attrs

__all__ = [
    "SQLITE_SYNCHRONOUS",
    "AuditLog",
    "CardRecord",
    "DecisionRecord",
    "FeedbackRecord",
    "PostgresAuditLog",
    "SQLiteAuditLog",
    "Synchronous",
    "open_audit_log",
]

#: How long an SQLite write waits for another writer's lock.
_BUSY_TIMEOUT_MS = 30_000
#: The ``synchronous`` modes an SQLite audit log may run in.
Synchronous = Literal["FULL", "NORMAL"]
SQLITE_SYNCHRONOUS: tuple[Synchronous, ...] = ("FULL", "NORMAL")


@attrs.frozen
class CardRecord:
    """One card of a decision, as the feedback endpoint looks it up."""

    uuid: str
    decision_id: str
    service_id: str
    technique: str
    outcome: str
    indicator: str
    override_reasons: tuple[tuple[str, str], ...] = ()
    """The (system, code) pairs the card offered as override reasons."""


@attrs.frozen
class DecisionRecord:
    """One answered call."""

    decision_id: str
    recorded_at: str
    service_id: str
    hook: str
    hook_instance: str
    patient_id: str
    input_sha256: str
    as_of: str
    """The assessment days, ISO dates joined by spaces."""
    ruleset_fingerprint: str
    sdk_version: str
    outcomes: str
    """JSON object of technique id to outcome label (per day for several days)."""
    cards: tuple[CardRecord, ...]


@attrs.frozen
class FeedbackRecord:
    """One feedback item about a card."""

    feedback_id: str
    recorded_at: str
    card_uuid: str
    decision_id: str
    service_id: str
    outcome: str
    outcome_timestamp: str
    override_system: str | None
    override_code: str | None
    user_comment: str | None
    input_sha256: str


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS decisions (
        decision_id TEXT PRIMARY KEY,
        recorded_at TEXT NOT NULL,
        service_id TEXT NOT NULL,
        hook TEXT NOT NULL,
        hook_instance TEXT NOT NULL,
        patient_id TEXT NOT NULL,
        input_sha256 TEXT NOT NULL,
        as_of TEXT NOT NULL,
        ruleset_fingerprint TEXT NOT NULL,
        sdk_version TEXT NOT NULL,
        outcomes TEXT NOT NULL,
        card_count INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS cards (
        card_uuid TEXT PRIMARY KEY,
        decision_id TEXT NOT NULL REFERENCES decisions (decision_id),
        service_id TEXT NOT NULL,
        technique TEXT NOT NULL,
        outcome TEXT NOT NULL,
        indicator TEXT NOT NULL,
        override_reasons TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS feedback (
        feedback_id TEXT PRIMARY KEY,
        recorded_at TEXT NOT NULL,
        card_uuid TEXT NOT NULL REFERENCES cards (card_uuid),
        decision_id TEXT NOT NULL REFERENCES decisions (decision_id),
        service_id TEXT NOT NULL,
        outcome TEXT NOT NULL,
        outcome_timestamp TEXT NOT NULL,
        override_system TEXT,
        override_code TEXT,
        user_comment TEXT,
        input_sha256 TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS cards_by_decision ON cards (decision_id)",
    "CREATE INDEX IF NOT EXISTS decisions_by_hook_instance ON decisions (hook_instance)",
)

_INSERT_DECISION = (
    "INSERT INTO decisions (decision_id, recorded_at, service_id, hook, hook_instance, "
    "patient_id, input_sha256, as_of, ruleset_fingerprint, sdk_version, outcomes, card_count) "
    "VALUES ({})"
)
_INSERT_CARD = (
    "INSERT INTO cards (card_uuid, decision_id, service_id, technique, outcome, indicator, "
    "override_reasons) VALUES ({})"
)
_INSERT_FEEDBACK = (
    "INSERT INTO feedback (feedback_id, recorded_at, card_uuid, decision_id, service_id, "
    "outcome, outcome_timestamp, override_system, override_code, user_comment, input_sha256) "
    "VALUES ({})"
)
_SELECT_CARD = (
    "SELECT card_uuid, decision_id, service_id, technique, outcome, indicator, "
    "override_reasons FROM cards WHERE card_uuid = {}"
)


#: The SQLite statements, written once (SQLite's statement cache then finds them by text).
_SQLITE_DECISION = _INSERT_DECISION.format(", ".join("?" * 12))
_SQLITE_CARD = _INSERT_CARD.format(", ".join("?" * 7))


def _insert(
    db: sqlite3.Connection, decision: tuple[Any, ...], cards: list[tuple[Any, ...]]
) -> None:
    db.execute(_SQLITE_DECISION, decision)
    if cards:
        db.executemany(_SQLITE_CARD, cards)


def _reasons_text(reasons: tuple[tuple[str, str], ...]) -> str:
    return " ".join(f"{system}|{code}" for system, code in reasons)


def _reasons(text: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in text.split():
        system, _, code = item.rpartition("|")
        pairs.append((system, code))
    return tuple(pairs)


def _decision_rows(record: DecisionRecord) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
    decision = (
        record.decision_id,
        record.recorded_at,
        record.service_id,
        record.hook,
        record.hook_instance,
        record.patient_id,
        record.input_sha256,
        record.as_of,
        record.ruleset_fingerprint,
        record.sdk_version,
        record.outcomes,
        len(record.cards),
    )
    cards = [
        (
            c.uuid,
            c.decision_id,
            c.service_id,
            c.technique,
            c.outcome,
            c.indicator,
            _reasons_text(c.override_reasons),
        )
        for c in record.cards
    ]
    return decision, cards


def _feedback_row(item: FeedbackRecord) -> tuple[Any, ...]:
    return (
        item.feedback_id,
        item.recorded_at,
        item.card_uuid,
        item.decision_id,
        item.service_id,
        item.outcome,
        item.outcome_timestamp,
        item.override_system,
        item.override_code,
        item.user_comment,
        item.input_sha256,
    )


class AuditLog(Protocol):
    """What the service needs from an audit log."""

    def record_decision(self, record: DecisionRecord) -> None:
        """Write a decision and its cards in one transaction; return once it is durable."""

    def record_feedback(self, items: Sequence[FeedbackRecord]) -> None:
        """Write feedback items in one transaction; return once they are durable."""

    def card(self, card_uuid: str) -> CardRecord | None:
        """Return the card issued with this uuid, or ``None``."""

    def close(self) -> None:
        """Release the connection."""


class SQLiteAuditLog:
    """The audit log in one SQLite file, WAL journal, ``synchronous=FULL`` by default.

    One connection shared by the service's threads behind a lock; several processes may
    write the same file (SQLite locks it), but for several hosts use PostgreSQL.

    :param synchronous: ``"FULL"`` (every commit synced to the disk) or ``"NORMAL"`` (every
        commit written, synced at checkpoints: nothing lost when the process is killed, the
        last commits may be lost to an operating-system crash or a power loss); see the
        module's description.
    """

    def __init__(self, path: str | Path, *, synchronous: Synchronous = "FULL") -> None:
        if synchronous not in SQLITE_SYNCHRONOUS:
            raise ValueError(
                f"synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}, got {synchronous!r}"
            )
        self.path = Path(path)
        self.synchronous = synchronous
        #: Whether a commit returns without waiting for the disk (no fsync): ``NORMAL``. The
        #: service then writes on its event loop rather than on a worker thread.
        self.commits_without_disk_wait = synchronous == "NORMAL"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(
            self.path,
            isolation_level=None,
            check_same_thread=False,
            timeout=_BUSY_TIMEOUT_MS / 1000,
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={synchronous}")
        self._db.execute("PRAGMA foreign_keys=ON")
        with self._transaction() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            with self._begun() as db:
                yield db

    @contextmanager
    def _begun(self) -> Iterator[sqlite3.Connection]:
        """The transaction begun on the connection: committed when the block ends, rolled
        back when it raises. The caller holds the lock."""
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def record_decision(self, record: DecisionRecord) -> None:
        """Write a decision and its cards in one transaction."""
        decision, cards = _decision_rows(record)
        with self._transaction() as db:
            _insert(db, decision, cards)

    def try_record_decision(self, record: DecisionRecord) -> bool:
        """Write a decision as :meth:`record_decision` does, if that waits for no other writer.

        Returns whether it was written; when another thread of this process or another
        process holds the write lock, nothing is written and ``False`` is returned at once,
        so the caller may write it on a thread that can wait.
        """
        decision, cards = _decision_rows(record)
        if not self._lock.acquire(blocking=False):
            return False
        try:
            db = self._db
            db.execute("PRAGMA busy_timeout=0")
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                return False
            finally:
                db.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            with self._begun() as begun:
                _insert(begun, decision, cards)
            return True
        finally:
            self._lock.release()

    def record_feedback(self, items: Sequence[FeedbackRecord]) -> None:
        """Write feedback items in one transaction."""
        rows = [_feedback_row(item) for item in items]
        with self._transaction() as db:
            db.executemany(_INSERT_FEEDBACK.format(", ".join("?" * 11)), rows)

    def card(self, card_uuid: str) -> CardRecord | None:
        """Return the card issued with this uuid, or ``None``."""
        with self._lock:
            row = self._db.execute(_SELECT_CARD.format("?"), (card_uuid,)).fetchone()
        return (
            None
            if row is None
            else CardRecord(row[0], row[1], row[2], row[3], row[4], row[5], _reasons(row[6]))
        )

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


class PostgresAuditLog:
    """The audit log in PostgreSQL, for several service instances sharing one log.

    :param dsn: a libpq connection string or ``postgresql://`` URL.
    """

    def __init__(self, dsn: str) -> None:
        import psycopg

        self._lock = threading.Lock()
        self._db = psycopg.connect(dsn, autocommit=True)
        with self._lock, self._db.transaction():
            # Several instances may start at once: serialise the schema creation.
            self._db.execute("SELECT pg_advisory_xact_lock(7245013)")
            for statement in _SCHEMA:
                self._db.execute(statement)

    def record_decision(self, record: DecisionRecord) -> None:
        """Write a decision and its cards in one transaction."""
        decision, cards = _decision_rows(record)
        with self._lock, self._db.transaction(), self._db.cursor() as cursor:
            cursor.execute(_INSERT_DECISION.format(", ".join(["%s"] * len(decision))), decision)
            if cards:
                cursor.executemany(_INSERT_CARD.format(", ".join(["%s"] * 7)), cards)

    def record_feedback(self, items: Sequence[FeedbackRecord]) -> None:
        """Write feedback items in one transaction."""
        rows = [_feedback_row(item) for item in items]
        with self._lock, self._db.transaction(), self._db.cursor() as cursor:
            cursor.executemany(_INSERT_FEEDBACK.format(", ".join(["%s"] * 11)), rows)

    def card(self, card_uuid: str) -> CardRecord | None:
        """Return the card issued with this uuid, or ``None``."""
        with self._lock, self._db.transaction():
            row = self._db.execute(_SELECT_CARD.format("%s"), (card_uuid,)).fetchone()
        return (
            None
            if row is None
            else CardRecord(row[0], row[1], row[2], row[3], row[4], row[5], _reasons(row[6]))
        )

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


def open_audit_log(
    url: str, *, synchronous: Synchronous = "FULL"
) -> SQLiteAuditLog | PostgresAuditLog:
    """Open the audit log a URL names: ``sqlite:///path`` or ``postgresql://...``.

    :param synchronous: the SQLite log's ``synchronous`` mode (:class:`SQLiteAuditLog`);
        PostgreSQL commits durably whatever is given here only with ``"FULL"``, so any other
        mode with a PostgreSQL URL is refused.
    :raises ValueError: for any other scheme, or a mode the log cannot run in.
    """
    if url.startswith("sqlite:///"):
        return SQLiteAuditLog(url.removeprefix("sqlite:///") or ":memory:", synchronous=synchronous)
    if url.startswith(("postgresql://", "postgres://")):
        if synchronous != "FULL":
            raise ValueError(
                f"synchronous={synchronous} applies to an SQLite audit log only; PostgreSQL "
                "commits are durable as the server is configured"
            )
        return PostgresAuditLog(url)
    raise ValueError(
        f"audit log URL must start with sqlite:/// or postgresql://, got {url.split(':')[0]!r}"
    )
