"""The account store: argon2 hashes, sessions kept as hashes, community scoping."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from bots.dashboard import AccountError, SqliteAccountStore, parse_community
from bots.dashboard._security import LoginRateLimiter

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture
def store(tmp_path: Path) -> SqliteAccountStore:
    s = SqliteAccountStore(tmp_path / "cw.db", hasher=CHEAP)
    yield s
    s.close()


def test_add_authenticate_and_scope(store: SqliteAccountStore) -> None:
    store.add(
        "mina", "a long password", communities=[("telegram", "-100"), ("playground", "local")]
    )
    assert store.authenticate("mina", "a long password") is not None
    assert store.authenticate("mina", "wrong password!") is None
    assert store.authenticate("nobody", "a long password") is None
    mina = store.get("mina")
    assert mina is not None and not mina.is_admin
    assert mina.can_see("telegram", "-100") and not mina.can_see("telegram", "-200")
    assert mina.community_filter == (("playground", "local"), ("telegram", "-100"))
    admin = store.add("root", "another long one", is_admin=True)
    assert admin.can_see("discord", "anything") and admin.community_filter is None


def test_passwords_are_argon2_hashes(store: SqliteAccountStore, tmp_path: Path) -> None:
    store.add("mina", "a long password")
    row = (
        sqlite3.connect(tmp_path / "cw.db")
        .execute("SELECT password_hash FROM dashboard_accounts")
        .fetchone()
    )
    assert row[0].startswith("$argon2id$") and "a long password" not in row[0]


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("bad name", "a long password", "account name"),
        ("", "a long password", "account name"),
        ("x" * 65, "a long password", "account name"),
        ("ok", "short", "at least 10"),
        ("ok", "p" * 2000, "too long"),
    ],
)
def test_add_rejects_bad_input(
    store: SqliteAccountStore, name: str, password: str, message: str
) -> None:
    with pytest.raises(AccountError, match=message):
        store.add(name, password)


def test_duplicate_and_remove(store: SqliteAccountStore) -> None:
    store.add("mina", "a long password")
    with pytest.raises(AccountError, match="already exists"):
        store.add("mina", "a long password")
    token = store.create_session("mina")
    assert store.remove("mina") and not store.remove("mina")
    assert store.session_account(token) is None


def test_sessions_are_stored_hashed_and_end(store: SqliteAccountStore, tmp_path: Path) -> None:
    store.add("mina", "a long password")
    token = store.create_session("mina")
    account = store.session_account(token)
    assert account is not None and account.name == "mina"
    stored = [
        r[0]
        for r in sqlite3.connect(tmp_path / "cw.db").execute(
            "SELECT token_hash FROM dashboard_sessions"
        )
    ]
    assert token not in stored and len(stored) == 1
    assert store.session_account("forged") is None
    assert store.session_account("x" * 500) is None
    store.end_session(token)
    assert store.session_account(token) is None


def test_new_password_ends_sessions(store: SqliteAccountStore) -> None:
    store.add("mina", "a long password")
    token = store.create_session("mina")
    store.set_password("mina", "a brand new password")
    assert store.session_account(token) is None
    assert store.authenticate("mina", "a brand new password") is not None
    with pytest.raises(AccountError):
        store.set_password("ghost", "a brand new password")


def test_secret_is_stable(store: SqliteAccountStore, tmp_path: Path) -> None:
    first = store.secret()
    assert len(first) == 32
    again = SqliteAccountStore(tmp_path / "cw.db", hasher=CHEAP)
    assert again.secret() == first
    again.close()


def test_parse_community() -> None:
    assert parse_community("telegram:-1001234") == ("telegram", "-1001234")
    assert parse_community(" playground:local ") == ("playground", "local")
    for bad in ("nocolon", ":x", "Telegram:1", "telegram:", "tele gram:1", "telegram:a b"):
        with pytest.raises(AccountError):
            parse_community(bad)


def test_login_rate_limiter_window() -> None:
    limiter = LoginRateLimiter(per_name=3, per_address=5, window=60)
    for _ in range(3):
        assert limiter.retry_after("1.2.3.4", "mina", now=100) == 0
        limiter.failed("1.2.3.4", "mina", now=100)
    assert limiter.retry_after("1.2.3.4", "MINA", now=101) == pytest.approx(59)
    assert limiter.retry_after("5.6.7.8", "mina", now=101) > 0  # per name, from any address
    assert limiter.retry_after("1.2.3.4", "other", now=101) == 0
    assert limiter.retry_after("1.2.3.4", "mina", now=161) == 0  # the window passed
    for i in range(5):
        limiter.failed("9.9.9.9", f"user{i}", now=200)
    assert limiter.retry_after("9.9.9.9", "fresh", now=201) > 0  # per address, any name
    limiter.succeeded("user0")
