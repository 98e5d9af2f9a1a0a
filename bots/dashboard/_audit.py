"""The audit page's chain status: a full verification now and then, new rows on every view.

Re-verifying an append-only chain of millions of rows on every page view would make the page
slower every day. :class:`ChainChecker` runs the store's full verification at most every
``full_every`` seconds (or when an admin asks), remembers the verified head, and on every view
checks only the rows appended since, continuing the chain from that head. A rewrite of an old
row is caught by the next full verification; a broken link or a forged new row at once.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from core._store import GENESIS_HASH, Store, audit_hash

__all__ = ["ChainChecker", "ChainStatus"]


@dataclass(frozen=True, slots=True)
class ChainStatus:
    ok: bool
    rows: int  # rows verified (up to the break when broken)
    head: str
    broken_at: int | None
    problem: str | None
    full_at: float  # when the whole chain was last recomputed
    checked_at: float


class ChainChecker:
    def __init__(self, store: Store, db_path: str | Path, *, full_every: float = 600.0) -> None:
        self._store = store
        self._path = Path(db_path).resolve()
        self._full_every = full_every
        self._lock = threading.Lock()
        self._status: ChainStatus | None = None
        self._conn: sqlite3.Connection | None = None

    def _reader(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = sqlite3.connect(
                f"file:{self._path}?mode=ro", uri=True, check_same_thread=False
            )
        return self._conn

    def check(self, *, full: bool = False) -> ChainStatus:
        """Blocking (run it in a thread). Full when asked, when due, or after a failure."""
        with self._lock:
            now = time.time()
            last = self._status
            if full or last is None or not last.ok or now - last.full_at >= self._full_every:
                v = self._store.verify_audit()
                self._status = ChainStatus(
                    v.ok, v.rows, v.head, v.broken_at, v.problem, full_at=now, checked_at=now
                )
                return self._status
            self._status = self._extend(last, now)
            return self._status

    def _extend(self, last: ChainStatus, now: float) -> ChainStatus:
        prev, seq, count = last.head, last.rows, last.rows
        rows = self._reader().execute(
            "SELECT seq, at, actor, kind, subject, detail, prev_hash, hash FROM audit"
            " WHERE seq > ? ORDER BY seq",
            (last.rows,),
        )
        for r_seq, at, actor, kind, subject, detail, prev_hash, digest in rows:
            problem = None
            if r_seq != seq + 1:
                problem = f"row(s) missing before seq {r_seq}"
            elif prev_hash != prev:
                problem = "prev_hash does not match the previous row"
            elif audit_hash(prev, r_seq, at, actor, kind, subject, detail) != digest:
                problem = "row content does not match its hash"
            if problem is not None:
                return ChainStatus(False, count, prev, r_seq, problem, last.full_at, now)
            prev, seq, count = digest, r_seq, count + 1
        if count == 0:
            prev = GENESIS_HASH
        return ChainStatus(True, count, prev, None, None, last.full_at, now)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
