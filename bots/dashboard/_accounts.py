"""Dashboard accounts and sessions, stored beside the engine's tables in the same SQLite file.

Passwords are kept only as argon2id hashes. A session is a random token held in an HttpOnly
cookie; the database keeps only its SHA-256, so a copy of the database does not let anyone log in
as a moderator. :class:`AccountStore` is the interface the web app uses, so another backend can
replace :class:`SqliteAccountStore` without touching the routes.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = [
    "Account",
    "AccountError",
    "AccountStore",
    "SqliteAccountStore",
    "parse_community",
]

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_COMMUNITY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}:[^\s]{1,128}$")
MIN_PASSWORD_LENGTH = 10
SESSION_TTL_SECONDS = 12 * 3600


class AccountError(ValueError):
    """A request the account store refuses, with a message fit to show the operator."""


def parse_community(spec: str) -> tuple[str, str]:
    """``"telegram:-1001234"`` -> ``("telegram", "-1001234")``; raises :class:`AccountError`."""
    spec = spec.strip()
    if not _COMMUNITY_RE.match(spec):
        raise AccountError(
            f"community {spec!r} must look like PLATFORM:ID, e.g. playground:local or "
            "telegram:-1001234567890"
        )
    platform, _, community = spec.partition(":")
    return platform, community


@dataclass(frozen=True, slots=True)
class Account:
    """A dashboard user. Admins see every community; moderators only the ones listed."""

    name: str
    is_admin: bool
    communities: tuple[tuple[str, str], ...] = ()
    created_at: float = field(default=0.0)

    def can_see(self, platform: str, community_id: str) -> bool:
        return self.is_admin or (platform, community_id) in self.communities

    @property
    def community_filter(self) -> tuple[tuple[str, str], ...] | None:
        """The ``CaseFilter.communities`` value for this account (None = everything)."""
        return None if self.is_admin else self.communities

    @property
    def role(self) -> str:
        return "admin" if self.is_admin else "moderator"


class AccountStore(Protocol):
    """What the dashboard needs from an account backend."""

    def count(self) -> int: ...

    def get(self, name: str) -> Account | None: ...

    def list(self) -> list[Account]: ...

    def add(
        self,
        name: str,
        password: str,
        *,
        is_admin: bool = False,
        communities: Iterable[tuple[str, str]] = (),
    ) -> Account: ...

    def set_password(self, name: str, password: str) -> None: ...

    def set_communities(self, name: str, communities: Iterable[tuple[str, str]]) -> Account: ...

    def remove(self, name: str) -> bool: ...

    def authenticate(self, name: str, password: str) -> Account | None:
        """The account when the password matches; None otherwise (same cost either way)."""
        ...

    def create_session(self, name: str) -> str: ...

    def session_account(self, token: str) -> Account | None: ...

    def end_session(self, token: str) -> None: ...

    def secret(self) -> bytes:
        """A per-installation key (CSRF tokens), created once and kept in the store."""
        ...


class SqliteAccountStore:
    """:class:`AccountStore` on a SQLite file (the engine's file: one file to back up).

    Calls are short and synchronous; the web app runs the argon2 ones in a thread so a login
    does not stall the event loop for the ~0.1 s a hash takes.
    """

    def __init__(self, path: str | Path, *, hasher: PasswordHasher | None = None) -> None:
        self._path = str(path)
        self._hasher = hasher or PasswordHasher()
        self._lock = threading.Lock()
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout = 5000")
        if self._path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        with self._tx() as c:
            c.execute(
                "CREATE TABLE IF NOT EXISTS dashboard_accounts ("
                " name TEXT PRIMARY KEY, password_hash TEXT NOT NULL,"
                " is_admin INTEGER NOT NULL DEFAULT 0, communities TEXT NOT NULL DEFAULT '[]',"
                " created_at REAL NOT NULL)"
            )
            c.execute(
                "CREATE TABLE IF NOT EXISTS dashboard_sessions ("
                " token_hash TEXT PRIMARY KEY, account TEXT NOT NULL,"
                " created_at REAL NOT NULL, expires_at REAL NOT NULL)"
            )
            c.execute(
                "CREATE TABLE IF NOT EXISTS dashboard_meta (key TEXT PRIMARY KEY, value TEXT)"
            )
        # A dummy hash so an unknown name costs as much as a wrong password (no user probing).
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._lock:
            return list(self._conn.execute(sql, args))

    @staticmethod
    def _row(row: tuple[object, ...]) -> Account:
        name, is_admin, communities, created = row
        pairs = tuple((str(p), str(c)) for p, c in json.loads(str(communities)))
        return Account(str(name), bool(is_admin), pairs, float(created))  # type: ignore[arg-type]

    def count(self) -> int:
        return int(self._query("SELECT count(*) FROM dashboard_accounts")[0][0])  # type: ignore[call-overload]

    def get(self, name: str) -> Account | None:
        rows = self._query(
            "SELECT name, is_admin, communities, created_at FROM dashboard_accounts WHERE name = ?",
            (name,),
        )
        return self._row(rows[0]) if rows else None

    def list(self) -> list[Account]:
        rows = self._query(
            "SELECT name, is_admin, communities, created_at FROM dashboard_accounts ORDER BY name"
        )
        return [self._row(r) for r in rows]

    def _check_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise AccountError(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
        if len(password) > 1024:
            raise AccountError("password is too long (1024 characters at most)")

    def add(
        self,
        name: str,
        password: str,
        *,
        is_admin: bool = False,
        communities: Iterable[tuple[str, str]] = (),
    ) -> Account:
        if not _NAME_RE.match(name):
            raise AccountError(
                f"account name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        self._check_password(password)
        pairs = sorted(set(communities))
        pw_hash = self._hasher.hash(password)
        now = time.time()
        with self._tx() as c:
            if c.execute("SELECT 1 FROM dashboard_accounts WHERE name = ?", (name,)).fetchone():
                raise AccountError(f"account {name!r} already exists")
            c.execute(
                "INSERT INTO dashboard_accounts (name, password_hash, is_admin, communities,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (name, pw_hash, int(is_admin), json.dumps(pairs), now),
            )
        return Account(name, is_admin, tuple(pairs), now)

    def set_password(self, name: str, password: str) -> None:
        self._check_password(password)
        pw_hash = self._hasher.hash(password)
        with self._tx() as c:
            cur = c.execute(
                "UPDATE dashboard_accounts SET password_hash = ? WHERE name = ?", (pw_hash, name)
            )
            if cur.rowcount == 0:
                raise AccountError(f"no account named {name!r}")
            # A new password logs the account out everywhere.
            c.execute("DELETE FROM dashboard_sessions WHERE account = ?", (name,))

    def set_communities(self, name: str, communities: Iterable[tuple[str, str]]) -> Account:
        pairs = sorted(set(communities))
        with self._tx() as c:
            cur = c.execute(
                "UPDATE dashboard_accounts SET communities = ? WHERE name = ?",
                (json.dumps(pairs), name),
            )
            if cur.rowcount == 0:
                raise AccountError(f"no account named {name!r}")
        account = self.get(name)
        assert account is not None
        return account

    def remove(self, name: str) -> bool:
        with self._tx() as c:
            c.execute("DELETE FROM dashboard_sessions WHERE account = ?", (name,))
            cur = c.execute("DELETE FROM dashboard_accounts WHERE name = ?", (name,))
            return cur.rowcount > 0

    def authenticate(self, name: str, password: str) -> Account | None:
        if len(password) > 1024 or len(name) > 64:
            return None
        rows = self._query("SELECT password_hash FROM dashboard_accounts WHERE name = ?", (name,))
        stored = str(rows[0][0]) if rows else self._dummy_hash
        try:
            self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if not rows:
            return None
        if self._hasher.check_needs_rehash(stored):
            with self._tx() as c:
                c.execute(
                    "UPDATE dashboard_accounts SET password_hash = ? WHERE name = ?",
                    (self._hasher.hash(password), name),
                )
        return self.get(name)

    @staticmethod
    def _token_hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()

    def create_session(self, name: str) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._tx() as c:
            c.execute("DELETE FROM dashboard_sessions WHERE expires_at < ?", (now,))
            c.execute(
                "INSERT INTO dashboard_sessions (token_hash, account, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (self._token_hash(token), name, now, now + SESSION_TTL_SECONDS),
            )
        return token

    def session_account(self, token: str) -> Account | None:
        if not token or len(token) > 128:
            return None
        rows = self._query(
            "SELECT a.name, a.is_admin, a.communities, a.created_at FROM dashboard_sessions s"
            " JOIN dashboard_accounts a ON a.name = s.account"
            " WHERE s.token_hash = ? AND s.expires_at >= ?",
            (self._token_hash(token), time.time()),
        )
        return self._row(rows[0]) if rows else None

    def end_session(self, token: str) -> None:
        with self._tx() as c:
            c.execute(
                "DELETE FROM dashboard_sessions WHERE token_hash = ?", (self._token_hash(token),)
            )

    def secret(self) -> bytes:
        with self._tx() as c:
            row = c.execute("SELECT value FROM dashboard_meta WHERE key = 'secret'").fetchone()
            if row is None:
                value = secrets.token_hex(32)
                c.execute("INSERT INTO dashboard_meta (key, value) VALUES ('secret', ?)", (value,))
            else:
                value = str(row[0])
        return bytes.fromhex(value)
