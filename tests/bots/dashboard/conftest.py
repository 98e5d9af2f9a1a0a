"""A real engine, the real playground adapter and the real dashboard app on a test server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from adapters.playground import PlaygroundAdapter
from bots.dashboard import LoginRateLimiter, SqliteAccountStore, create_app
from core import Author, Capability, CaseCard, IncomingEvent, MessageRef
from core._engine import Engine

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
OFFER_URGENT = "Boat to UK tonight from Calais, 2500 GBP, 100% safe, WhatsApp +44 7700 900123"
OFFER = "Boat to UK from Calais, 2500 GBP, 100% safe, WhatsApp +44 7700 900124"
XSS = (
    '<script>alert("x")</script><img src=x onerror=alert(1)> '
    "boat to UK 2000 GBP whatsapp +44 7700 900125 100% safe"
)
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


class OtherPlatform:
    """A second platform's adapter (records calls), so cases exist in other communities."""

    platform = "telegram"
    capabilities = frozenset(Capability)

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def hide(self, ref: MessageRef) -> None:
        self.calls.append(("hide", ref))

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None:
        self.calls.append(("notice", channel_id))

    async def send_private(self, community_id: str, user_id: str, text: str, *, lang: str) -> None:
        self.calls.append(("private", user_id))

    async def timeout(self, community_id: str, user_id: str, seconds: int, *, reason: str) -> None:
        self.calls.append(("timeout", user_id))

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None:
        self.calls.append(("ban", user_id))

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None:
        self.calls.append(("restore", ref))

    async def escalate(self, card: CaseCard) -> None:
        self.calls.append(("escalate", card.case_id))


@dataclass
class Env:
    engine: Engine
    pg: PlaygroundAdapter
    tg: OtherPlatform
    accounts: SqliteAccountStore
    client: TestClient
    db: Path
    counter: list[int] = field(default_factory=lambda: [0])

    async def csrf(self, path: str = "/login") -> str:
        resp = await self.client.get(path)
        text = await resp.text()
        m = _CSRF.search(text)
        assert m, f"no CSRF token on {path}"
        return m.group(1)

    async def login(self, name: str, password: str = PASSWORD) -> None:
        token = await self.csrf("/login")
        resp = await self.client.post(
            "/login",
            data={"name": name, "password": password, "_csrf": token, "next": "/cases"},
            allow_redirects=False,
        )
        assert resp.status == 303, await resp.text()

    async def logout(self) -> None:
        token = await self.csrf("/cases")
        await self.client.post("/logout", data={"_csrf": token}, allow_redirects=False)

    async def post(self, path: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
        token = await self.csrf("/cases")
        return await self.client.post(
            path, data={"_csrf": token, **(data or {})}, allow_redirects=False, **kw
        )

    async def offer_in_playground(
        self, text: str = OFFER_URGENT, room: str = "general"
    ) -> tuple[str, str]:
        mid, decision = await self.pg.post(room, "u-newbie", text)
        assert decision.case_id, decision
        await self.engine.wait_idle(10)
        return mid, decision.case_id

    async def offer_in_telegram(self, text: str = OFFER, community: str = "-100777") -> str:
        self.counter[0] += 1
        event = IncomingEvent(
            ref=MessageRef("telegram", community, community, str(self.counter[0])),
            author=Author(id="tg-9", display_name="seller"),
            text=text,
        )
        decision = await self.engine.submit(event)
        assert decision.case_id, decision
        await self.engine.wait_idle(10)
        return decision.case_id


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    db = tmp_path / "cw.db"
    engine = await Engine.open(db)
    pg = PlaygroundAdapter(engine)
    tg = OtherPlatform()
    engine.register_adapter(pg)
    engine.register_adapter(tg)
    await engine.start()
    accounts = SqliteAccountStore(db, hasher=CHEAP)
    accounts.add("root", PASSWORD, is_admin=True)
    accounts.add("pgmod", PASSWORD, communities=[("playground", "local")])
    accounts.add("tgmod", PASSWORD, communities=[("telegram", "-100777")])
    app = create_app(
        engine,
        accounts,
        playground=pg,
        sample_delay=0.0,
        limiter=LoginRateLimiter(per_name=3, per_address=50, window=60),
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Env(engine, pg, tg, accounts, client, db)
    finally:
        await client.close()
        await engine.close()
        accounts.close()
