"""``channelwatch run`` and ``channelwatch moderator``."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import pytest

import bots._cmd_run as cmd_run
from bots._cmd_run import Server, _RedactSecrets
from bots.cli import main
from bots.dashboard import SqliteAccountStore
from core import Author, Capability, CaseCard, IncomingEvent, MessageRef
from tests.bots.dashboard.conftest import CHEAP, OFFER_URGENT, PASSWORD

REPO = Path(__file__).resolve().parents[2]
SECRET_VARS = ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "CHANNELWATCH_WEBHOOK_SECRET")


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SECRET_VARS and not k.startswith("CHANNELWATCH_")
    }
    env.update(extra)
    return env


class Process:
    def __init__(self, db: Path, **env: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bots.cli", "run", "--port", "0"],
            cwd=REPO,
            env=clean_env(CHANNELWATCH_DB=str(db), **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.err: list[str] = []

    def wait_started(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        assert self.proc.stderr is not None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.err.append(line)
            m = re.search(r"dashboard: started at (http://\S+)/ ", line)
            if m:
                return m.group(1)
        raise AssertionError("run did not start:\n" + "".join(self.err))

    def stop(self) -> tuple[int, str, str]:
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, out, "".join(self.err) + err


async def test_run_starts_everything_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "cw.db"
    proc = Process(db)
    url = await asyncio.to_thread(proc.wait_started)
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/healthz") as resp:
            assert resp.status == 200
        async with session.get(url + "/playground/") as resp:
            assert resp.status == 200
    code, out, err = await asyncio.to_thread(proc.stop)
    assert code == 0, err
    m = re.search(r"account 'admin' with password: (\S+)", out)
    assert m, out
    password = m.group(1)
    assert password not in err  # printed once to the terminal, never logged
    for component in ("engine: started", "playground: started", "dashboard: started"):
        assert err.count(component) == 1, (component, err)
    assert "telegram" not in err and "discord" not in err  # no tokens: not started
    assert "engine: stopped" in err and "Traceback" not in err
    accounts = SqliteAccountStore(db, hasher=CHEAP)
    assert accounts.authenticate("admin", password) is not None
    accounts.close()

    again = Process(db)
    await asyncio.to_thread(again.wait_started)
    code, out, _ = await asyncio.to_thread(again.stop)
    assert code == 0 and "Created" not in out  # the admin exists: no new password


async def test_run_refuses_a_short_admin_password(tmp_path: Path) -> None:
    proc = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bots.cli", "run", "--port", "0"],
        cwd=REPO,
        env=clean_env(CHANNELWATCH_DB=str(tmp_path / "cw.db"), CHANNELWATCH_ADMIN_PASSWORD="short"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "at least 10" in proc.stderr


# -- a platform started from its environment variable, in-process -----------------------------


class SlowPlatform:
    """A platform adapter whose hides never finish: stopping must not wait for them."""

    platform = "slowchat"
    capabilities = frozenset(Capability)
    instances: ClassVar[list[SlowPlatform]] = []

    def __init__(self, engine: Any, env: Mapping[str, str]) -> None:
        self.engine = engine
        self.token = env["SLOWCHAT_TOKEN"]
        self.started = self.stopped = False
        SlowPlatform.instances.append(self)

    async def start(self) -> None:
        self.started = True
        logging.getLogger("slowchat").info("connecting with token %s", self.token)

    async def stop(self) -> None:
        self.stopped = True

    async def hide(self, ref: MessageRef) -> None:
        await asyncio.sleep(3600)

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None:
        await asyncio.sleep(3600)

    async def send_private(self, community_id: str, user_id: str, text: str, *, lang: str) -> None:
        await asyncio.sleep(3600)

    async def timeout(
        self, community_id: str, user_id: str, seconds: int, *, reason: str
    ) -> None: ...

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None: ...

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None: ...

    async def escalate(self, card: CaseCard) -> None:
        await asyncio.sleep(3600)


def build_from_env(engine: Any, env: Mapping[str, str]) -> SlowPlatform | None:
    return SlowPlatform(engine, env) if env.get("SLOWCHAT_TOKEN") else None


async def test_platform_adapters_start_from_env_and_pending_actions_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cmd_run, "PLATFORM_MODULES", (("SLOWCHAT_TOKEN", __name__),))
    db = tmp_path / "cw.db"
    SlowPlatform.instances.clear()
    quiet = Server(
        db_path=str(db),
        port=0,
        env={"CHANNELWATCH_ADMIN_PASSWORD": PASSWORD},
        out=lambda _: None,
        hasher=CHEAP,
    )
    await quiet.start()
    await quiet.stop()
    assert SlowPlatform.instances == []  # no variable, no adapter

    server = Server(
        db_path=str(db),
        port=0,
        env={"SLOWCHAT_TOKEN": "tok-123456789"},
        out=lambda _: None,
        hasher=CHEAP,
    )
    await server.start()
    (adapter,) = SlowPlatform.instances
    assert adapter.started and server.engine.adapters["slowchat"] is adapter
    decision = await server.engine.submit(
        IncomingEvent(
            MessageRef("slowchat", "c1", "room", "m1"), Author("u1", "seller"), OFFER_URGENT
        )
    )
    assert "hide" in decision.actions
    await asyncio.sleep(0.2)  # the dispatcher is now stuck inside hide()
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 10 and adapter.stopped
    con = sqlite3.connect(db)
    statuses = dict(
        con.execute("SELECT action, status FROM actions WHERE platform = 'slowchat'").fetchall()
    )
    con.close()
    assert statuses["hide"] == "pending"  # left in the outbox for the next start


async def test_a_busy_port_is_a_clean_error(tmp_path: Path) -> None:
    first = Server(db_path=str(tmp_path / "a.db"), port=0, env={}, out=lambda _: None, hasher=CHEAP)
    await first.start()
    port = int(first.url.rsplit(":", 1)[1])
    second = Server(
        db_path=str(tmp_path / "b.db"), port=port, env={}, out=lambda _: None, hasher=CHEAP
    )
    try:
        with pytest.raises(OSError):
            await second.start()
    finally:
        await second.stop()  # stops what did start (engine, playground) and closes the store
        await first.stop()
    assert second.engine is None and second.adapters == []


def test_secrets_are_redacted_from_logs() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "GET /bot%s/getUpdates", ("123:ABCDEF-secret",), None
    )
    assert _RedactSecrets(["123:ABCDEF-secret"]).filter(record)
    assert record.getMessage() == "GET /bot[redacted]/getUpdates"
    short = logging.LogRecord("x", logging.INFO, __file__, 1, "a b", (), None)
    assert (
        _RedactSecrets(["a"]).filter(short) and short.getMessage() == "a b"
    )  # too short to be one


# -- moderator accounts -----------------------------------------------------------------------


def test_moderator_add_list_passwd_remove(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    db = str(tmp_path / "cw.db")
    monkeypatch.setenv("CHANNELWATCH_DB", db)
    monkeypatch.setenv("CHANNELWATCH_NEW_PASSWORD", "a long password")
    assert (
        main(
            [
                "moderator",
                "add",
                "mina",
                "--community",
                "telegram:-100123",
                "--community",
                "playground:local",
            ]
        )
        == 0
    )
    assert main(["moderator", "add", "root", "--admin"]) == 0
    assert main(["moderator", "add", "mina"]) == 2  # exists
    assert main(["moderator", "add", "lina", "--community", "not-a-community"]) == 2
    assert main(["moderator", "list"]) == 0
    out = capsys.readouterr().out
    assert "mina\tmoderator\tplayground:local telegram:-100123" in out and "root\tadmin\tall" in out
    assert "a long password" not in out
    accounts = SqliteAccountStore(db, hasher=CHEAP)
    assert accounts.authenticate("mina", "a long password") is not None
    monkeypatch.setenv("CHANNELWATCH_NEW_PASSWORD", "another long one")
    assert main(["moderator", "passwd", "mina"]) == 0
    assert accounts.authenticate("mina", "another long one") is not None
    assert main(["moderator", "remove", "mina"]) == 0
    assert main(["moderator", "remove", "mina"]) == 1
    assert accounts.get("mina") is None
    monkeypatch.setenv("CHANNELWATCH_NEW_PASSWORD", "short")
    assert main(["moderator", "add", "tiny", "--db", str(tmp_path / "new" / "dir" / "o.db")]) == 2
    assert "at least 10" in capsys.readouterr().err
    accounts.close()


def test_moderator_without_password_or_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHANNELWATCH_NEW_PASSWORD", raising=False)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(SystemExit, match="CHANNELWATCH_NEW_PASSWORD"):
        main(["moderator", "add", "mina", "--db", str(tmp_path / "cw.db")])


def test_ensure_admin(tmp_path: Path) -> None:
    accounts = SqliteAccountStore(tmp_path / "cw.db", hasher=CHEAP)
    lines: list[str] = []
    assert (
        cmd_run.ensure_admin(accounts, {"CHANNELWATCH_ADMIN_PASSWORD": PASSWORD}, out=lines.append)
        == "admin"
    )
    assert PASSWORD not in lines[0]
    assert cmd_run.ensure_admin(accounts, {}, out=lines.append) is None and len(lines) == 1
    accounts.close()
