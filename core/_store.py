"""Durable storage: evidence, cases, the action outbox, lists, settings and the audit chain.

The engine talks to a :class:`Store`, a small synchronous interface, so another backend can come
later. :class:`SQLiteStore` implements it on SQLite (through ``sqlite-utils`` for the schema, plain
prepared statements on the hot path) in WAL mode.

Every change the engine makes for one decision or one review step is one :class:`WriteBatch`,
applied in one transaction: the evidence row, the case, the outbox rows and the audit rows commit
together or not at all, so a crash can never leave an action without its audit trail.

Threading: the methods are synchronous and serialised by a lock, so the engine runs them on a
dedicated writer thread or inline on its event loop (see ``core._engine``) and the CLI can call
them directly. An event loop must never wait for the write lock (another thread's purge chunk,
another process's transaction): calls made through :meth:`Store.call_nowait` raise
:class:`StoreBusy` at once instead, and the engine yields to the loop and tries again.

Durability: ``synchronous=NORMAL`` in WAL mode makes every commit survive a crash of the process
(the case the outbox must handle: killed between "decided" and "done"); only a power cut can
lose the last few commits. Set ``durable=True`` for ``synchronous=FULL`` when that matters more
than throughput.

The audit log is append-only and hash-chained: each row stores the SHA-256 of the previous row's
hash and of its own content, computed at insertion. Audit rows never contain message text, only
hashes and identifiers, so :meth:`Store.purge` can redact evidence while the chain still verifies.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from core._api import ActionRecord, AuditRow, Case, CaseFilter, CaseStatus
from core._model import MessageRef

__all__ = [
    "GENESIS_HASH",
    "ActionRow",
    "AuditEntry",
    "AuditVerification",
    "BatchResult",
    "CaseRow",
    "EventRow",
    "PurgeResult",
    "SQLiteStore",
    "Store",
    "StoreBusy",
    "WriteBatch",
    "audit_hash",
    "canonical_json",
]

T = TypeVar("T")
GENESIS_HASH = "0" * 64
PURGE_CHUNK = 200  # rows per purge transaction: each holds the write lock a few ms at most
# Between two purge transactions the purging thread sleeps at least this long, and at least as
# long as the transaction took, so writers waiting for the lock (the engine retries every few
# ms) always get in: a purge uses at most half of the lock's time.
PURGE_PAUSE = 0.01
_BUSY_MS = 10_000  # threads (CLI, purge, a dedicated writer thread) wait this long for the lock
_NOWAIT_MS = 2  # ... and an event loop only this long before StoreBusy
PENDING = "pending"
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}


def canonical_json(value: Any) -> str:
    """The one JSON spelling that audit hashes are computed over (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def audit_hash(
    prev_hash: str, seq: int, at: str, actor: str, kind: str, subject: str, detail_json: str
) -> str:
    """SHA-256 over the previous hash and this row's content, field by field."""
    h = hashlib.sha256()
    for part in (prev_hash, str(seq), at, actor, kind, subject, detail_json):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")  # unit separator: fields cannot run into each other
    return h.hexdigest()


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def _loads(value: str | None, default: Any) -> Any:
    return default if value is None else json.loads(value)


# --------------------------------------------------------------------------------------------
# Row types: what the engine hands the store.


@dataclass(slots=True)
class EventRow:
    """One processed ``(message, revision)``: the dedupe key and, when needed, the evidence.

    ``text``/``normalised``/``author_*``/``entities`` are ``None`` when the engine decided not to
    keep them (benign messages, seekers): the store keeps the minimum it is given.
    """

    id: str
    ref: MessageRef
    revision: str
    created_at: float
    text_sha256: str  # of the original text, unaltered: evidence integrity
    norm_hash: str  # of the normalised text: allow/block lists and near-duplicates
    label: str | None
    score: float | None
    lang: str | None
    actions: list[str]
    rules: list[str]
    shadow: bool = False
    edited: bool = False
    author_id: str | None = None
    author_name: str | None = None
    text: str | None = None
    normalised: str | None = None
    verdict: dict[str, Any] | None = None
    entities: list[dict[str, Any]] | None = None


@dataclass(slots=True)
class CaseRow:
    id: str
    event_id: str
    ref: MessageRef
    author_id: str
    author_name: str
    text: str | None
    normalised: str | None
    text_sha256: str
    norm_hash: str
    lang: str
    label: str
    score: float
    priority: str
    status: str
    rule: str
    reasons: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    created_at: float
    updated_at: float
    claimed_by: str | None = None
    decided_by: str | None = None
    decided_at: float | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)
    version: int = 1  # bumped on every change: escalation-card updates are keyed on it
    hold: bool = False  # legal hold: purge leaves the evidence alone

    def to_case(self) -> Case:
        return Case(
            id=self.id,
            ref=self.ref,
            author_id=self.author_id,
            author_name=self.author_name,
            text=self.text,
            normalised=self.normalised,
            lang=self.lang,
            label=self.label,
            score=self.score,
            priority=self.priority,
            status=CaseStatus(self.status),
            rule=self.rule,
            reasons=tuple(self.reasons),
            entities=tuple(self.entities),
            created_at=datetime.fromtimestamp(self.created_at, UTC),
            updated_at=datetime.fromtimestamp(self.updated_at, UTC),
            claimed_by=self.claimed_by,
            decided_by=self.decided_by,
            decided_at=_ts(self.decided_at),
            notes=tuple(self.notes),
        )


@dataclass(slots=True)
class ActionRow:
    """One outbox entry. ``dedupe_key`` is unique: the same effect is never recorded twice."""

    id: str
    ref: MessageRef
    action: str
    status: str
    dedupe_key: str
    created_at: float
    payload: dict[str, Any] = field(default_factory=dict)
    attempts: int = 0
    last_error: str | None = None
    done_at: float | None = None
    next_attempt_at: float = 0.0
    case_id: str | None = None
    event_id: str | None = None
    rule: str | None = None

    def to_record(self) -> ActionRecord:
        return ActionRecord(
            id=self.id,
            ref=self.ref,
            action=self.action,
            status=self.status,
            attempts=self.attempts,
            last_error=self.last_error,
            created_at=datetime.fromtimestamp(self.created_at, UTC),
            done_at=_ts(self.done_at),
            payload=dict(self.payload),
        )


@dataclass(frozen=True, slots=True)
class AuditEntry:
    actor: str
    kind: str
    subject: str
    detail: dict[str, Any]


@dataclass(slots=True)
class WriteBatch:
    """Everything one decision or one review step changes, applied atomically.

    When ``event`` is set and its ``(ref, revision)`` exists already, nothing is written and the
    result says ``duplicate``: that is how redeliveries are processed once.
    """

    event: EventRow | None = None
    case: CaseRow | None = None  # inserted, or replaced when ``case_replace``
    case_replace: bool = False
    case_expect_version: int | None = None  # optimistic check for review transitions
    actions: list[ActionRow] = field(default_factory=list)  # inserted unless the key exists
    action_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    free_dedupe_keys: list[str] = field(default_factory=list)  # allow an effect to happen again
    list_adds: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    # (platform, community_id, kind, value, added_by); kinds: allow, block, indicator
    audit: list[AuditEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchResult:
    duplicate: bool = False
    stale: bool = False  # ``case_expect_version`` did not match: someone else changed the case
    inserted: tuple[ActionRow, ...] = ()
    audit_head: str = GENESIS_HASH


@dataclass(frozen=True, slots=True)
class AuditVerification:
    ok: bool
    rows: int
    head: str
    broken_at: int | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cutoff: datetime
    events_deleted: int
    events_redacted: int
    cases_redacted: int
    actions_redacted: int


# --------------------------------------------------------------------------------------------


class StoreBusy(RuntimeError):
    """The write lock is held elsewhere and the caller asked not to wait for it
    (:meth:`Store.call_nowait`). Nothing was written: the call can simply be tried again."""


class Store(ABC):
    """The storage interface the engine, review workflow, CLI and dashboard use."""

    def call_nowait(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call ``fn`` (one of this store's methods) without waiting for a busy write lock.

        For callers on an event loop: a write that would have to wait for another thread or
        process raises :class:`StoreBusy` instead, with nothing written. A backend without
        such locks just calls ``fn``.
        """
        return fn(*args, **kwargs)

    @abstractmethod
    def apply(self, batch: WriteBatch) -> BatchResult: ...

    def apply_many(self, batches: Sequence[WriteBatch]) -> list[BatchResult | Exception]:
        """Apply several independent batches; a backend may commit them together (group
        commit). Each batch still succeeds, is a duplicate, or fails on its own."""
        out: list[BatchResult | Exception] = []
        for batch in batches:
            try:
                out.append(self.apply(batch))
            except Exception as exc:
                out.append(exc)
        return out

    @abstractmethod
    def has_event(self, ref: MessageRef, revision: str) -> bool: ...

    @abstractmethod
    def get_event(self, event_id: str) -> EventRow | None: ...

    @abstractmethod
    def get_case(self, case_id: str) -> CaseRow | None: ...

    @abstractmethod
    def case_for_message(self, ref: MessageRef) -> CaseRow | None: ...

    @abstractmethod
    def list_cases(self, flt: CaseFilter) -> list[CaseRow]: ...

    @abstractmethod
    def author_case_count(self, platform: str, community_id: str, author_id: str) -> int: ...

    @abstractmethod
    def get_action(self, action_id: str) -> ActionRow | None: ...

    @abstractmethod
    def actions_for_case(self, case_id: str) -> list[ActionRow]: ...

    @abstractmethod
    def actions_for_message(self, ref: MessageRef) -> list[ActionRow]: ...

    @abstractmethod
    def pending_actions(self, platform: str | None = None) -> list[ActionRow]: ...

    @abstractmethod
    def update_action(self, action_id: str, **changes: Any) -> None: ...

    @abstractmethod
    def count_actions_since(
        self, platform: str, community_id: str, action: str, since: float
    ) -> int:
        """Actions of one kind recorded since ``since`` that were (or will be) carried out."""

    @abstractmethod
    def last_notice_at(
        self, platform: str, community_id: str, channel_id: str, kind: str = "public_notice"
    ) -> float | None:
        """When the channel last got a notice of ``kind`` (a redirect text kind) carried out."""

    @abstractmethod
    def list_values(self, platform: str, community_id: str, kind: str) -> set[str]: ...

    @abstractmethod
    def get_setting(self, platform: str, community_id: str, key: str) -> str | None: ...

    @abstractmethod
    def set_setting(
        self, platform: str, community_id: str, key: str, value: str | None
    ) -> None: ...

    @abstractmethod
    def find_setting(self, platform: str, key: str, value: str) -> list[str]: ...

    @abstractmethod
    def settings_for(self, platform: str, community_id: str) -> dict[str, str]: ...

    @abstractmethod
    def counts_since(self, platform: str, community_id: str, since: float) -> dict[str, int]: ...

    @abstractmethod
    def rule_precision(self) -> dict[str, dict[str, int]]:
        """Per rule: how many of its cases moderators confirmed and dismissed."""

    @abstractmethod
    def append_audit(self, entries: Sequence[AuditEntry]) -> str: ...

    @abstractmethod
    def audit_rows(self, after_seq: int = 0, limit: int | None = None) -> list[AuditRow]: ...

    @abstractmethod
    def verify_audit(self) -> AuditVerification: ...

    @abstractmethod
    def purge(
        self,
        older_than_days: float,
        *,
        actor: str = "engine",
        now: float | None = None,
        audit_empty: bool = True,
        should_stop: Callable[[], bool] | None = None,
    ) -> PurgeResult:
        """Delete or redact evidence older than ``older_than_days``; ``should_stop`` is polled
        between chunks (a stopping bot), which leaves the rest for the next run."""

    @abstractmethod
    def set_hold(self, case_id: str, hold: bool, *, actor: str) -> None: ...

    def checkpoint(self) -> None:
        """Move committed changes from a write-ahead log into the database file, if the backend
        has one; called from a worker thread (see ``SQLiteStore(auto_checkpoint=False)``)."""
        return None

    @abstractmethod
    def close(self) -> None: ...


# --------------------------------------------------------------------------------------------

_EVENT_COLS = (
    "id platform community_id channel_id message_id revision created_at text_sha256 norm_hash "
    "label score lang actions rules shadow edited author_id author_name text normalised verdict "
    "entities purged_at"
).split()
_CASE_COLS = (
    "id event_id platform community_id channel_id message_id author_id author_name text "
    "normalised text_sha256 norm_hash lang label score priority status rule reasons entities "
    "created_at updated_at claimed_by decided_by decided_at notes version hold purged_at"
).split()
_ACTION_COLS = (
    "id platform community_id channel_id message_id action status dedupe_key created_at payload "
    "attempts last_error done_at next_attempt_at case_id event_id rule"
).split()


class SQLiteStore(Store):
    """:class:`Store` on one SQLite file in WAL mode. Safe to share between threads."""

    def __init__(
        self, path: str | Path, *, durable: bool = False, auto_checkpoint: bool = True
    ) -> None:
        """Open (creating if needed) the database at ``path``.

        ``auto_checkpoint=False`` leaves copying the WAL into the database to
        :meth:`checkpoint`, called from a worker thread. Otherwise SQLite does it inside
        whichever commit pushes the WAL past 1,000 pages, with two fsyncs (``synchronous``
        NORMAL or FULL): measured, that put 10-15 ms into the engine's p99 commit, on its event
        loop, and on a busy disk an fsync can take most of a second.
        """
        self.path = str(path)
        self._synchronous = "FULL" if durable else "NORMAL"
        self._ckpt_conn: sqlite3.Connection | None = None
        self._ckpt_lock = threading.Lock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a batch is one transaction.
        self._conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={self._synchronous}")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute(f"PRAGMA busy_timeout={_BUSY_MS}")
        if not auto_checkpoint:
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
        self._busy_ms = _BUSY_MS
        self._write_lock = _WriteLock(self)
        self.db = sqlite_utils.Database(self._conn)
        self._create_schema()

    # -- schema ----------------------------------------------------------------------------

    def _create_schema(self) -> None:
        db = self.db
        with self._lock:
            db.table("events").create(
                {
                    "id": str,
                    "platform": str,
                    "community_id": str,
                    "channel_id": str,
                    "message_id": str,
                    "revision": str,
                    "created_at": float,
                    "text_sha256": str,
                    "norm_hash": str,
                    "label": str,
                    "score": float,
                    "lang": str,
                    "actions": str,
                    "rules": str,
                    "shadow": int,
                    "edited": int,
                    "author_id": str,
                    "author_name": str,
                    "text": str,
                    "normalised": str,
                    "verdict": str,
                    "entities": str,
                    "purged_at": float,
                },
                pk="id",
                not_null=["platform", "community_id", "channel_id", "message_id", "revision"],
                if_not_exists=True,
            )
            db.table("events").create_index(
                ["platform", "community_id", "channel_id", "message_id", "revision"],
                unique=True,
                if_not_exists=True,
            )
            db.table("events").create_index(
                ["platform", "community_id", "created_at"], if_not_exists=True
            )
            db.table("events").create_index(["created_at"], if_not_exists=True)
            db.table("cases").create(
                {
                    "id": str,
                    "event_id": str,
                    "platform": str,
                    "community_id": str,
                    "channel_id": str,
                    "message_id": str,
                    "author_id": str,
                    "author_name": str,
                    "text": str,
                    "normalised": str,
                    "text_sha256": str,
                    "norm_hash": str,
                    "lang": str,
                    "label": str,
                    "score": float,
                    "priority": str,
                    "status": str,
                    "rule": str,
                    "reasons": str,
                    "entities": str,
                    "created_at": float,
                    "updated_at": float,
                    "claimed_by": str,
                    "decided_by": str,
                    "decided_at": float,
                    "notes": str,
                    "version": int,
                    "hold": int,
                    "purged_at": float,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("cases").create_index(
                ["platform", "community_id", "channel_id", "message_id"],
                unique=True,
                if_not_exists=True,
            )
            db.table("cases").create_index(["status", "created_at"], if_not_exists=True)
            # Retention asks "is this event a case's evidence?" for every old event.
            db.table("cases").create_index(["event_id"], if_not_exists=True)
            db.table("cases").create_index(
                ["platform", "community_id", "author_id"], if_not_exists=True
            )
            db.table("actions").create(
                {
                    "id": str,
                    "platform": str,
                    "community_id": str,
                    "channel_id": str,
                    "message_id": str,
                    "action": str,
                    "status": str,
                    "dedupe_key": str,
                    "created_at": float,
                    "payload": str,
                    "attempts": int,
                    "last_error": str,
                    "done_at": float,
                    "next_attempt_at": float,
                    "case_id": str,
                    "event_id": str,
                    "rule": str,
                },
                pk="id",
                if_not_exists=True,
            )
            db.table("actions").create_index(["dedupe_key"], unique=True, if_not_exists=True)
            db.table("actions").create_index(["status"], if_not_exists=True)
            db.table("actions").create_index(["case_id"], if_not_exists=True)
            db.table("actions").create_index(
                ["platform", "community_id", "channel_id", "message_id"], if_not_exists=True
            )
            db.table("actions").create_index(
                ["platform", "community_id", "action", "created_at"], if_not_exists=True
            )
            db.table("lists").create(
                {
                    "platform": str,
                    "community_id": str,
                    "kind": str,
                    "value": str,
                    "added_at": float,
                    "added_by": str,
                },
                pk=("platform", "community_id", "kind", "value"),
                if_not_exists=True,
            )
            db.table("settings").create(
                {"platform": str, "community_id": str, "key": str, "value": str},
                pk=("platform", "community_id", "key"),
                if_not_exists=True,
            )
            db.table("settings").create_index(["platform", "key", "value"], if_not_exists=True)
            db.table("audit").create(
                {
                    "seq": int,
                    "at": str,
                    "actor": str,
                    "kind": str,
                    "subject": str,
                    "detail": str,
                    "prev_hash": str,
                    "hash": str,
                },
                pk="seq",
                if_not_exists=True,
            )

    # -- transactions ----------------------------------------------------------------------

    def call_nowait(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        local = self._local
        if getattr(local, "nowait", False):
            return fn(*args, **kwargs)
        local.nowait = True
        try:
            return fn(*args, **kwargs)
        finally:
            local.nowait = False

    def _begin(self) -> None:
        # IMMEDIATE takes the write lock now: another process (the CLI purging while a bot runs)
        # waits instead of failing half-way, and the audit head we read cannot change under us.
        # A caller that must not wait (the event loop, see call_nowait) waits a couple of ms at
        # most; the busy timeout is switched only when the kind of caller changes.
        nowait = getattr(self._local, "nowait", False)
        want = _NOWAIT_MS if nowait else _BUSY_MS
        if self._busy_ms != want:
            self._conn.execute(f"PRAGMA busy_timeout={want}")
            self._busy_ms = want
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if nowait and "locked" in str(exc):
                raise StoreBusy("the database is locked by another connection") from None
            raise

    def _audit_insert(self, entries: Sequence[AuditEntry], now: float) -> str:
        row = self._conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row["seq"], row["hash"]) if row else (0, GENESIS_HASH)
        at = datetime.fromtimestamp(now, UTC).isoformat(timespec="microseconds")
        for entry in entries:
            seq += 1
            detail_json = canonical_json(entry.detail)
            digest = audit_hash(prev, seq, at, entry.actor, entry.kind, entry.subject, detail_json)
            self._conn.execute(
                "INSERT INTO audit (seq, at, actor, kind, subject, detail, prev_hash, hash) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, at, entry.actor, entry.kind, entry.subject, detail_json, prev, digest),
            )
            prev = digest
        return prev

    def apply(self, batch: WriteBatch) -> BatchResult:
        now = time.time()
        with self._write_lock:
            self._begin()
            try:
                result = self._apply(batch, now)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            if result.duplicate or result.stale:
                self._conn.execute("ROLLBACK")
            else:
                self._conn.execute("COMMIT")
            return result

    def apply_many(self, batches: Sequence[WriteBatch]) -> list[BatchResult | Exception]:
        """Group commit: one transaction, one savepoint per batch.

        Under load the engine hands over every batch that queued up while the previous commit
        ran, so the fixed cost of a commit (the WAL write) is paid once for all of them, while a
        duplicate or failing batch is rolled back to its savepoint without touching the others.
        """
        if len(batches) == 1:
            try:
                return [self.apply(batches[0])]
            except StoreBusy:
                raise  # nothing was written: the caller tries the whole call again
            except Exception as exc:
                return [exc]
        now = time.time()
        out: list[BatchResult | Exception] = []
        c = self._conn
        with self._write_lock:
            self._begin()
            try:
                for batch in batches:
                    c.execute("SAVEPOINT batch")
                    try:
                        result = self._apply(batch, now)
                    except Exception as exc:
                        c.execute("ROLLBACK TO batch")
                        c.execute("RELEASE batch")
                        out.append(exc)
                        continue
                    if result.duplicate or result.stale:
                        c.execute("ROLLBACK TO batch")
                    c.execute("RELEASE batch")
                    out.append(result)
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")
        return out

    def _apply(self, batch: WriteBatch, now: float) -> BatchResult:
        c = self._conn
        if batch.event is not None:
            e = batch.event
            cur = c.execute(
                f"INSERT OR IGNORE INTO events ({', '.join(_EVENT_COLS)}) "
                f"VALUES ({', '.join('?' * len(_EVENT_COLS))})",
                (
                    e.id,
                    e.ref.platform,
                    e.ref.community_id,
                    e.ref.channel_id,
                    e.ref.message_id,
                    e.revision,
                    e.created_at,
                    e.text_sha256,
                    e.norm_hash,
                    e.label,
                    e.score,
                    e.lang,
                    json.dumps(e.actions),
                    json.dumps(e.rules),
                    int(e.shadow),
                    int(e.edited),
                    e.author_id,
                    e.author_name,
                    e.text,
                    e.normalised,
                    None if e.verdict is None else json.dumps(e.verdict, ensure_ascii=False),
                    None if e.entities is None else json.dumps(e.entities, ensure_ascii=False),
                    None,
                ),
            )
            if cur.rowcount == 0:
                return BatchResult(duplicate=True)
        if batch.case is not None:
            k = batch.case
            if batch.case_expect_version is not None:
                row = c.execute("SELECT version FROM cases WHERE id = ?", (k.id,)).fetchone()
                if row is None or row["version"] != batch.case_expect_version:
                    return BatchResult(stale=True)
            verb = "INSERT OR REPLACE" if batch.case_replace else "INSERT"
            c.execute(
                f"{verb} INTO cases ({', '.join(_CASE_COLS)}) "
                f"VALUES ({', '.join('?' * len(_CASE_COLS))})",
                (
                    k.id,
                    k.event_id,
                    k.ref.platform,
                    k.ref.community_id,
                    k.ref.channel_id,
                    k.ref.message_id,
                    k.author_id,
                    k.author_name,
                    k.text,
                    k.normalised,
                    k.text_sha256,
                    k.norm_hash,
                    k.lang,
                    k.label,
                    k.score,
                    k.priority,
                    k.status,
                    k.rule,
                    json.dumps(k.reasons, ensure_ascii=False),
                    json.dumps(k.entities, ensure_ascii=False),
                    k.created_at,
                    k.updated_at,
                    k.claimed_by,
                    k.decided_by,
                    k.decided_at,
                    json.dumps(k.notes, ensure_ascii=False),
                    k.version,
                    int(k.hold),
                    None,
                ),
            )
        for key in batch.free_dedupe_keys:
            c.execute(
                "UPDATE actions SET dedupe_key = dedupe_key || '#' || id WHERE dedupe_key = ?",
                (key,),
            )
        for action_id, changes in batch.action_updates:
            self._update_action(action_id, changes)
        inserted: list[ActionRow] = []
        for a in batch.actions:
            cur = c.execute(
                f"INSERT OR IGNORE INTO actions ({', '.join(_ACTION_COLS)}) "
                f"VALUES ({', '.join('?' * len(_ACTION_COLS))})",
                (
                    a.id,
                    a.ref.platform,
                    a.ref.community_id,
                    a.ref.channel_id,
                    a.ref.message_id,
                    a.action,
                    a.status,
                    a.dedupe_key,
                    a.created_at,
                    json.dumps(a.payload, ensure_ascii=False),
                    a.attempts,
                    a.last_error,
                    a.done_at,
                    a.next_attempt_at,
                    a.case_id,
                    a.event_id,
                    a.rule,
                ),
            )
            if cur.rowcount:
                inserted.append(a)
        for platform, community, kind, value, by in batch.list_adds:
            c.execute(
                "INSERT OR IGNORE INTO lists "
                "(platform, community_id, kind, value, added_at, added_by) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (platform, community, kind, value, now, by),
            )
        head = self._audit_insert(batch.audit, now) if batch.audit else ""
        return BatchResult(inserted=tuple(inserted), audit_head=head)

    def _update_action(self, action_id: str, changes: dict[str, Any]) -> None:
        allowed = {
            "status",
            "attempts",
            "last_error",
            "done_at",
            "next_attempt_at",
            "payload",
            "dedupe_key",
        }
        bad = set(changes) - allowed
        if bad:
            raise ValueError(f"cannot update action columns {sorted(bad)}")
        values = [
            json.dumps(v, ensure_ascii=False) if k == "payload" else v for k, v in changes.items()
        ]
        sets = ", ".join(f"{k} = ?" for k in changes)
        self._conn.execute(f"UPDATE actions SET {sets} WHERE id = ?", (*values, action_id))

    # -- reads -----------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection | None:
        """This thread's read-only connection (``None`` for ``:memory:``: use the writer).

        WAL lets readers run beside the writer, so reads from the dashboard's threads or the
        event loop never wait for the write lock, and a long read (verifying a big audit chain)
        never blocks a decision being committed.
        """
        if self.path == ":memory:":
            return None
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=ON")
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        conn = self._reader()
        if conn is None:
            with self._write_lock:
                return self._conn.execute(sql, params).fetchall()
        return conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        # fetchall, not fetchone: a half-read cursor would keep an old snapshot open.
        rows = self._all(sql, params)
        return rows[0] if rows else None

    @staticmethod
    def _ref(row: sqlite3.Row) -> MessageRef:
        return MessageRef(
            row["platform"], row["community_id"], row["channel_id"], row["message_id"]
        )

    def _event(self, row: sqlite3.Row) -> EventRow:
        return EventRow(
            id=row["id"],
            ref=self._ref(row),
            revision=row["revision"],
            created_at=row["created_at"],
            text_sha256=row["text_sha256"],
            norm_hash=row["norm_hash"],
            label=row["label"],
            score=row["score"],
            lang=row["lang"],
            actions=_loads(row["actions"], []),
            rules=_loads(row["rules"], []),
            shadow=bool(row["shadow"]),
            edited=bool(row["edited"]),
            author_id=row["author_id"],
            author_name=row["author_name"],
            text=row["text"],
            normalised=row["normalised"],
            verdict=_loads(row["verdict"], None),
            entities=_loads(row["entities"], None),
        )

    def _case(self, row: sqlite3.Row) -> CaseRow:
        return CaseRow(
            id=row["id"],
            event_id=row["event_id"],
            ref=self._ref(row),
            author_id=row["author_id"] or "",
            author_name=row["author_name"] or "",
            text=row["text"],
            normalised=row["normalised"],
            text_sha256=row["text_sha256"],
            norm_hash=row["norm_hash"],
            lang=row["lang"],
            label=row["label"],
            score=row["score"],
            priority=row["priority"],
            status=row["status"],
            rule=row["rule"],
            reasons=_loads(row["reasons"], []),
            entities=_loads(row["entities"], []),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            claimed_by=row["claimed_by"],
            decided_by=row["decided_by"],
            decided_at=row["decided_at"],
            notes=_loads(row["notes"], []),
            version=row["version"],
            hold=bool(row["hold"]),
        )

    def _action(self, row: sqlite3.Row) -> ActionRow:
        return ActionRow(
            id=row["id"],
            ref=self._ref(row),
            action=row["action"],
            status=row["status"],
            dedupe_key=row["dedupe_key"],
            created_at=row["created_at"],
            payload=_loads(row["payload"], {}),
            attempts=row["attempts"],
            last_error=row["last_error"],
            done_at=row["done_at"],
            next_attempt_at=row["next_attempt_at"] or 0.0,
            case_id=row["case_id"],
            event_id=row["event_id"],
            rule=row["rule"],
        )

    def has_event(self, ref: MessageRef, revision: str) -> bool:
        return (
            self._one(
                "SELECT 1 FROM events WHERE platform = ? AND community_id = ? AND channel_id = ? "
                "AND message_id = ? AND revision = ?",
                (*_ref_tuple(ref), revision),
            )
            is not None
        )

    def get_event(self, event_id: str) -> EventRow | None:
        row = self._one("SELECT * FROM events WHERE id = ?", (event_id,))
        return None if row is None else self._event(row)

    def get_case(self, case_id: str) -> CaseRow | None:
        row = self._one("SELECT * FROM cases WHERE id = ?", (case_id,))
        return None if row is None else self._case(row)

    def case_for_message(self, ref: MessageRef) -> CaseRow | None:
        row = self._one(
            "SELECT * FROM cases WHERE platform = ? AND community_id = ? AND channel_id = ? "
            "AND message_id = ?",
            _ref_tuple(ref),
        )
        return None if row is None else self._case(row)

    def list_cases(self, flt: CaseFilter) -> list[CaseRow]:
        where: list[str] = []
        params: list[Any] = []
        if flt.statuses:
            where.append(f"status IN ({', '.join('?' * len(flt.statuses))})")
            params.extend(str(s) for s in flt.statuses)
        if flt.platform is not None:
            where.append("platform = ?")
            params.append(flt.platform)
        if flt.communities is not None:
            if not flt.communities:
                return []
            where.append(
                "("
                + " OR ".join("(platform = ? AND community_id = ?)" for _ in flt.communities)
                + ")"
            )
            for p, cid in flt.communities:
                params.extend((p, cid))
        for col, value in (("lang", flt.lang), ("label", flt.label), ("author_id", flt.author_id)):
            if value is not None:
                where.append(f"{col} = ?")
                params.append(value)
        sql = "SELECT * FROM cases"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += (
            " ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, "
            "created_at DESC LIMIT ?"
        )
        params.append(max(0, int(flt.limit)))
        return [self._case(r) for r in self._all(sql, params)]

    def author_case_count(self, platform: str, community_id: str, author_id: str) -> int:
        row = self._one(
            "SELECT count(*) AS n FROM cases "
            "WHERE platform = ? AND community_id = ? AND author_id = ?",
            (platform, community_id, author_id),
        )
        return int(row["n"]) if row else 0

    def get_action(self, action_id: str) -> ActionRow | None:
        row = self._one("SELECT * FROM actions WHERE id = ?", (action_id,))
        return None if row is None else self._action(row)

    def actions_for_case(self, case_id: str) -> list[ActionRow]:
        rows = self._all(
            "SELECT * FROM actions WHERE case_id = ? ORDER BY created_at, rowid", (case_id,)
        )
        return [self._action(r) for r in rows]

    def actions_for_message(self, ref: MessageRef) -> list[ActionRow]:
        rows = self._all(
            "SELECT * FROM actions WHERE platform = ? AND community_id = ? AND channel_id = ? "
            "AND message_id = ? ORDER BY created_at, rowid",
            _ref_tuple(ref),
        )
        return [self._action(r) for r in rows]

    def pending_actions(self, platform: str | None = None) -> list[ActionRow]:
        if platform is None:
            rows = self._all(
                "SELECT * FROM actions WHERE status = ? ORDER BY created_at, rowid", (PENDING,)
            )
        else:
            rows = self._all(
                "SELECT * FROM actions WHERE status = ? AND platform = ? "
                "ORDER BY created_at, rowid",
                (PENDING, platform),
            )
        return [self._action(r) for r in rows]

    def all_actions(self) -> Iterator[ActionRow]:
        for row in self._all("SELECT * FROM actions ORDER BY created_at, rowid"):
            yield self._action(row)

    def update_action(self, action_id: str, **changes: Any) -> None:
        with self._write_lock:
            self._begin()
            try:
                self._update_action(action_id, changes)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def count_actions_since(
        self, platform: str, community_id: str, action: str, since: float
    ) -> int:
        row = self._one(
            "SELECT count(*) AS n FROM actions WHERE platform = ? AND community_id = ? "
            "AND action = ? AND created_at >= ? AND status IN ('pending', 'done', 'fallback')",
            (platform, community_id, action, since),
        )
        return int(row["n"]) if row else 0

    def last_notice_at(
        self, platform: str, community_id: str, channel_id: str, kind: str = "public_notice"
    ) -> float | None:
        row = self._one(
            "SELECT max(created_at) AS t FROM actions WHERE platform = ? AND community_id = ? "
            "AND channel_id = ? AND action = 'notice' AND status IN ('pending', 'done') "
            "AND coalesce(json_extract(payload, '$.kind'), 'public_notice') = ?",
            (platform, community_id, channel_id, kind),
        )
        return None if row is None else row["t"]

    def list_values(self, platform: str, community_id: str, kind: str) -> set[str]:
        rows = self._all(
            "SELECT value FROM lists WHERE platform = ? AND community_id = ? AND kind = ?",
            (platform, community_id, kind),
        )
        return {r["value"] for r in rows}

    def get_setting(self, platform: str, community_id: str, key: str) -> str | None:
        row = self._one(
            "SELECT value FROM settings WHERE platform = ? AND community_id = ? AND key = ?",
            (platform, community_id, key),
        )
        return None if row is None else row["value"]

    def set_setting(self, platform: str, community_id: str, key: str, value: str | None) -> None:
        with self._write_lock:
            self._begin()
            try:
                if value is None:
                    self._conn.execute(
                        "DELETE FROM settings WHERE platform = ? AND community_id = ? AND key = ?",
                        (platform, community_id, key),
                    )
                else:
                    self._conn.execute(
                        "INSERT OR REPLACE INTO settings (platform, community_id, key, value) "
                        "VALUES (?, ?, ?, ?)",
                        (platform, community_id, key, value),
                    )
                self._audit_insert(
                    [
                        AuditEntry(
                            "engine",
                            "settings.set",
                            f"{platform}:{community_id}",
                            {"key": key, "value": value},
                        )
                    ],
                    time.time(),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def find_setting(self, platform: str, key: str, value: str) -> list[str]:
        rows = self._all(
            "SELECT community_id FROM settings WHERE platform = ? AND key = ? AND value = ? "
            "ORDER BY community_id",
            (platform, key, value),
        )
        return [r["community_id"] for r in rows]

    def settings_for(self, platform: str, community_id: str) -> dict[str, str]:
        rows = self._all(
            "SELECT key, value FROM settings WHERE platform = ? AND community_id = ?",
            (platform, community_id),
        )
        return {r["key"]: r["value"] for r in rows}

    def counts_since(self, platform: str, community_id: str, since: float) -> dict[str, int]:
        counts = {
            k: 0
            for k in ("messages", "offers", "seeking", "hidden", "notices", "private", "escalated")
        }
        for row in self._all(
            "SELECT label, count(*) AS n FROM events "
            "WHERE platform = ? AND community_id = ? AND created_at >= ? GROUP BY label",
            (platform, community_id, since),
        ):
            counts["messages"] += row["n"]
            if row["label"] == "offer":
                counts["offers"] += row["n"]
            elif row["label"] == "seeking":
                counts["seeking"] += row["n"]
        names = {
            "hide": "hidden",
            "notice": "notices",
            "redirect_private": "private",
            "escalate": "escalated",
        }
        for row in self._all(
            "SELECT action, count(*) AS n FROM actions "
            "WHERE platform = ? AND community_id = ? AND created_at >= ? "
            "AND status IN ('pending', 'done', 'fallback') GROUP BY action",
            (platform, community_id, since),
        ):
            name = names.get(row["action"], row["action"])
            counts[name] = counts.get(name, 0) + row["n"]
        open_row = self._one(
            "SELECT count(*) AS n FROM cases "
            "WHERE platform = ? AND community_id = ? AND status IN ('open', 'claimed')",
            (platform, community_id),
        )
        counts["cases_open"] = int(open_row["n"]) if open_row else 0
        return counts

    def rule_precision(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for row in self._all(
            "SELECT rule, status, count(*) AS n FROM cases "
            "WHERE status IN ('confirmed', 'dismissed') GROUP BY rule, status"
        ):
            out.setdefault(row["rule"], {"confirmed": 0, "dismissed": 0})[row["status"]] = row["n"]
        return out

    # -- audit -----------------------------------------------------------------------------

    def append_audit(self, entries: Sequence[AuditEntry]) -> str:
        with self._write_lock:
            self._begin()
            try:
                head = self._audit_insert(entries, time.time())
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return head

    def audit_rows(self, after_seq: int = 0, limit: int | None = None) -> list[AuditRow]:
        sql = "SELECT * FROM audit WHERE seq > ? ORDER BY seq"
        params: list[Any] = [after_seq]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [
            AuditRow(
                seq=r["seq"],
                at=datetime.fromisoformat(r["at"]),
                actor=r["actor"],
                kind=r["kind"],
                subject=r["subject"],
                detail=json.loads(r["detail"]),
                prev_hash=r["prev_hash"],
                hash=r["hash"],
            )
            for r in self._all(sql, params)
        ]

    def verify_audit(self) -> AuditVerification:
        """Recompute the chain from the first row; report the first row that does not fit."""
        prev = GENESIS_HASH
        expected_seq = 1
        count = 0
        reader = self._reader()
        with contextlib.nullcontext() if reader is not None else self._lock:
            cur = (reader or self._conn).execute("SELECT * FROM audit ORDER BY seq")
            for r in cur:
                seq = r["seq"]
                if seq != expected_seq:
                    return AuditVerification(
                        False, count, prev, seq, f"row(s) missing before seq {seq}"
                    )
                if r["prev_hash"] != prev:
                    return AuditVerification(
                        False, count, prev, seq, "prev_hash does not match the previous row"
                    )
                digest = audit_hash(
                    prev, seq, r["at"], r["actor"], r["kind"], r["subject"], r["detail"]
                )
                if digest != r["hash"]:
                    return AuditVerification(
                        False, count, prev, seq, "row content does not match its hash"
                    )
                prev = digest
                expected_seq += 1
                count += 1
        return AuditVerification(True, count, prev)

    # -- retention -------------------------------------------------------------------------

    def purge(
        self,
        older_than_days: float,
        *,
        actor: str = "engine",
        now: float | None = None,
        audit_empty: bool = True,
        should_stop: Callable[[], bool] | None = None,
    ) -> PurgeResult:
        """Delete or redact evidence older than ``older_than_days``; audit rows are kept intact.

        Benign events (no case, no action) are deleted outright; the rest keep their hashes,
        labels and ids (so statistics and the audit chain still make sense) but lose the text,
        the normalised text, author names/ids and entities. Cases still open or claimed, and
        cases under legal hold, are skipped: their evidence is needed.

        A bot keeps writing while this runs (it is meant for a worker thread, or the CLI beside
        a running bot), so the write lock is only ever held briefly: candidates are found with
        a read-only connection (WAL readers take no lock), walking each table once in key
        order; each chunk of at most :data:`PURGE_CHUNK` rows is then changed by row id in its
        own transaction, which re-checks the conditions; and between chunks this thread sleeps
        (:data:`PURGE_PAUSE`, and at least as long as the chunk took), so writers waiting for
        the lock always get in. It is idempotent: interrupted (``should_stop`` returning true
        between chunks, a crash), the next run finishes the job. One ``purge`` audit row
        records the totals.
        """
        if older_than_days < 0:
            raise ValueError("older_than_days must be >= 0")
        now = time.time() if now is None else now
        cutoff = now - older_than_days * 86400.0
        stop = should_stop or _never
        deleted = self._purge_pass(
            "SELECT rowid, created_at FROM events WHERE created_at < ? AND actions = '[]' "
            "AND (created_at, rowid) > (?, ?) ORDER BY created_at, rowid LIMIT ?",
            (cutoff,),
            "DELETE FROM events WHERE rowid IN ({ids}) AND actions = '[]' "
            "AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.event_id = events.id)",
            (),
            stop,
        )
        # Evidence of a case still under review, or under legal hold, is kept.
        events = self._purge_pass(
            "SELECT rowid, created_at FROM events WHERE created_at < ? AND purged_at IS NULL "
            "AND (created_at, rowid) > (?, ?) ORDER BY created_at, rowid LIMIT ?",
            (cutoff,),
            "UPDATE events SET text = NULL, normalised = NULL, author_id = NULL, "
            "author_name = NULL, entities = NULL, verdict = NULL, purged_at = ? "
            "WHERE rowid IN ({ids}) AND purged_at IS NULL AND NOT EXISTS (SELECT 1 FROM cases c "
            "WHERE c.event_id = events.id AND (c.hold = 1 OR c.status IN ('open', 'claimed')))",
            (now,),
            stop,
        )
        cases = self._purge_pass(
            "SELECT rowid, rowid FROM cases WHERE created_at < ? AND purged_at IS NULL "
            "AND hold = 0 AND status IN ('confirmed', 'dismissed') AND rowid > ? "
            "ORDER BY rowid LIMIT ?",
            (cutoff,),
            "UPDATE cases SET text = NULL, normalised = NULL, author_name = '', "
            "author_id = '', entities = '[]', reasons = '[]', purged_at = ? "
            "WHERE rowid IN ({ids}) AND purged_at IS NULL AND hold = 0 "
            "AND status IN ('confirmed', 'dismissed')",
            (now,),
            stop,
            by_time=False,
        )
        actions = self._purge_payloads(cutoff, stop)
        result = PurgeResult(
            cutoff=datetime.fromtimestamp(cutoff, UTC),
            events_deleted=deleted,
            events_redacted=events,
            cases_redacted=cases,
            actions_redacted=actions,
        )
        if deleted or events or cases or actions or audit_empty:
            detail = {
                "older_than_days": older_than_days,
                "cutoff": result.cutoff.isoformat(),
                "events_deleted": deleted,
                "events_redacted": events,
                "cases_redacted": cases,
                "actions_redacted": actions,
            }
            self.append_audit([AuditEntry(actor, "purge", "retention", detail)])
        return result

    def _purge_pass(
        self,
        select: str,
        select_params: tuple[Any, ...],
        write: str,
        write_params: tuple[Any, ...],
        stop: Callable[[], bool],
        *,
        by_time: bool = True,
    ) -> int:
        """Walk candidates of ``select`` (keyset-paginated, read-only) and apply ``write``
        (with ``{ids}`` for their row ids) to each chunk in its own short transaction."""
        total = 0
        after: tuple[Any, ...] = (float("-inf"), 0) if by_time else (0,)
        while True:
            rows = self._all(select, (*select_params, *after, PURGE_CHUNK))
            if not rows:
                return total
            after = (rows[-1][1], rows[-1][0]) if by_time else (rows[-1][0],)
            ids = [r[0] for r in rows]
            sql = write.replace("{ids}", ", ".join("?" * len(ids)))
            total += self._purge_write([(sql, (*write_params, *ids))])
            if len(rows) < PURGE_CHUNK or stop():
                return total

    def _purge_write(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> int:
        """One purge transaction, then a pause that leaves the lock to other writers."""
        started = time.monotonic()
        with self._write_lock:
            self._begin()
            try:
                n = sum(self._conn.execute(sql, params).rowcount for sql, params in statements)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        time.sleep(max(PURGE_PAUSE, time.monotonic() - started))
        return n

    def _purge_payloads(self, cutoff: float, stop: Callable[[], bool]) -> int:
        """Outbox payloads can carry a restored text or a user id: keep only what is not
        personal (action kind, language, case id) once the action is settled."""
        redacted = 0
        after = 0
        while True:
            rows = self._all(
                "SELECT rowid, id, payload FROM actions WHERE rowid > ? AND created_at < ? "
                "AND status != 'pending' AND (case_id IS NULL OR NOT EXISTS (SELECT 1 FROM "
                "cases c WHERE c.id = actions.case_id "
                "AND (c.hold = 1 OR c.status IN ('open', 'claimed')))) ORDER BY rowid LIMIT ?",
                (after, cutoff, PURGE_CHUNK),
            )
            if not rows:
                return redacted
            after = rows[-1]["rowid"]
            changes: list[tuple[str, tuple[Any, ...]]] = []
            for row in rows:
                payload = _loads(row["payload"], {})
                kept = {k: v for k, v in payload.items() if k in _PAYLOAD_KEEP}
                if kept != payload:
                    # Only if unchanged since it was read (the read took no lock).
                    changes.append(
                        (
                            "UPDATE actions SET payload = ? WHERE id = ? AND payload = ?",
                            (json.dumps(kept), row["id"], row["payload"]),
                        )
                    )
            if changes:
                redacted += self._purge_write(changes)
            if len(rows) < PURGE_CHUNK or stop():
                return redacted

    def set_hold(self, case_id: str, hold: bool, *, actor: str) -> None:
        with self._write_lock:
            self._begin()
            try:
                n = self._conn.execute(
                    "UPDATE cases SET hold = ? WHERE id = ?", (int(hold), case_id)
                ).rowcount
                if n == 0:
                    raise KeyError(case_id)
                self._audit_insert(
                    [AuditEntry(actor, "case.hold", case_id, {"hold": hold})], time.time()
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def checkpoint(self) -> None:
        """Copy committed pages from the WAL into the database file, on the calling thread.

        PASSIVE: it neither waits for nor blocks readers and writers (it copies what it can,
        and the next call does the rest), and it runs on its own connection, so commits go on
        meanwhile. The WAL is then reused from its start by the next write transaction.
        """
        if self.path == ":memory:":
            return
        with self._ckpt_lock:
            if self._ckpt_conn is None:
                self._ckpt_conn = sqlite3.connect(
                    self.path, isolation_level=None, check_same_thread=False
                )
                self._ckpt_conn.execute(f"PRAGMA synchronous={self._synchronous}")
            self._ckpt_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def close(self) -> None:
        with self._ckpt_lock:
            if self._ckpt_conn is not None:
                self._ckpt_conn.close()
                self._ckpt_conn = None
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._lock:
            try:
                self._conn.execute("PRAGMA optimize")
            finally:
                self._conn.close()


def _never() -> bool:
    return False


class _WriteLock:
    """The store's thread lock for writers; a :meth:`SQLiteStore.call_nowait` caller gets
    :class:`StoreBusy` after a couple of ms instead of waiting for another thread's write."""

    __slots__ = ("_local", "_lock")

    def __init__(self, store: SQLiteStore) -> None:
        self._lock = store._lock
        self._local = store._local

    def __enter__(self) -> None:
        if getattr(self._local, "nowait", False):
            if not self._lock.acquire(timeout=_NOWAIT_MS / 1000):
                raise StoreBusy("another thread is writing to the store")
        else:
            self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


_PAYLOAD_KEEP = frozenset(
    {"lang", "kind", "case_id", "priority", "seconds", "fallback_for", "version", "status"}
)


def _ref_tuple(ref: MessageRef) -> tuple[str, str, str, str]:
    return (ref.platform, ref.community_id, ref.channel_id, ref.message_id)
