"""Fixtures: a fake Bot API world, the real engine on a temp SQLite file, and the real adapter.

The world: a supergroup moderated by channelwatch, its moderators' chat, and a few people.
The adapter is linked to the moderators' chat through the real commands (/setup, /link), so
every test starts where an admin who followed the instructions would be.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from adapters.telegram import TelegramAdapter

if TYPE_CHECKING:
    from core import Engine

from .fake_bot_api import FakeBotAPI

GROUP = -1001234567890
MODS = -1009876543210
OTHER_GROUP = -1001111111111
OTHER_MODS = -1002222222222

ADMIN = 1001  # admin of GROUP and member of MODS
POSTER = 2002  # posts offers; never started the bot, so DMs to them are refused
SEEKER = 3003  # started the bot: private help can reach them
MEMBER = 4004  # an ordinary member of GROUP and MODS, not an admin
OTHER_ADMIN = 5005  # admin of OTHER_GROUP only
SPAMBOT = 6006  # another bot in the group

OFFER = (
    "Boat to UK tomorrow night from Calais, 100% guaranteed, £2500 per person, pay on arrival. "
    "WhatsApp +44 7700 900123"
)
SEEKING = "Does anyone know someone who can take me to the UK by boat? How much does it cost?"
BENIGN = "The ferry from Calais to Dover was delayed two hours today, bring snacks"

# Short timeouts keep the suite fast: a long poll returns within a second when idle.
POLL_TIMEOUT = 1.0
REQUEST_TIMEOUT = 2.0


def build_world(fake: FakeBotAPI) -> None:
    fake.add_user(ADMIN, "Amira", language_code="en", started=True)
    fake.add_user(POSTER, "Seller", username="uk_trips_4u", language_code="en")
    fake.add_user(SEEKER, "Dara", language_code="fa", started=True)
    fake.add_user(MEMBER, "Marc", language_code="fr")
    fake.add_user(OTHER_ADMIN, "Olu", language_code="en")
    fake.add_user(SPAMBOT, "promo", is_bot=True)
    fake.add_group(GROUP, "Calais Community", username=None)
    fake.add_group(MODS, "Calais Community mods")
    fake.add_group(OTHER_GROUP, "Dunkirk Help")
    fake.add_group(OTHER_MODS, "Dunkirk mods")
    fake.set_admin(GROUP, ADMIN)
    fake.set_member(GROUP, POSTER)
    fake.set_member(GROUP, SEEKER)
    fake.set_member(GROUP, MEMBER)
    fake.set_member(GROUP, SPAMBOT)
    fake.set_admin(MODS, ADMIN)
    fake.set_member(MODS, MEMBER)
    fake.set_admin(OTHER_GROUP, OTHER_ADMIN)
    fake.set_admin(OTHER_MODS, OTHER_ADMIN)


@dataclass
class Harness:
    fake: FakeBotAPI
    engine: Engine
    adapter: TelegramAdapter
    db_path: Path
    restart: Callable[[], Awaitable[None]]


def make_adapter(engine: Engine, fake: FakeBotAPI) -> TelegramAdapter:
    return TelegramAdapter(
        engine,
        fake.token,
        base_url=fake.base_url,
        poll_timeout=POLL_TIMEOUT,
        request_timeout=REQUEST_TIMEOUT,
    )


async def link(fake: FakeBotAPI, group: int, mods: int, admin: int) -> None:
    """What an admin does: /setup in the group, then /link CODE in the moderators' chat."""
    before = len(fake.calls_of("sendMessage", chat_id=group))
    fake.post_message(group, admin, "/setup")
    reply = await fake.wait_for_call(
        "sendMessage", lambda c: c.params["chat_id"] == group, count=before + 1
    )
    code = reply.params["text"].split("/link ", 1)[1].split()[0]
    fake.post_message(mods, admin, f"/link {code}")
    await fake.wait_for_call(
        "sendMessage",
        lambda c: c.params["chat_id"] == mods and "Linked" in c.params["text"],
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    api = FakeBotAPI()
    await api.start()
    build_world(api)
    try:
        yield api
    finally:
        await api.close()


@pytest.fixture
async def harness(fake: FakeBotAPI, tmp_path: Path) -> AsyncIterator[Harness]:
    db_path = tmp_path / "channelwatch.db"
    state: dict[str, object] = {}

    from core import Engine

    async def boot() -> None:
        engine = await Engine.open(db_path)
        adapter = make_adapter(engine, fake)
        engine.register_adapter(adapter)
        await adapter.start()
        await engine.start()
        state["engine"], state["adapter"] = engine, adapter

    async def shutdown() -> None:
        adapter = state.pop("adapter", None)
        engine = state.pop("engine", None)
        if isinstance(adapter, TelegramAdapter):
            await adapter.stop()
        if isinstance(engine, Engine):
            await engine.close()

    async def restart() -> None:
        await shutdown()
        await boot()
        h.engine = state["engine"]  # type: ignore[assignment]
        h.adapter = state["adapter"]  # type: ignore[assignment]

    await boot()
    h = Harness(fake, state["engine"], state["adapter"], db_path, restart)  # type: ignore[arg-type]
    await link(fake, GROUP, MODS, ADMIN)
    try:
        yield h
    finally:
        await shutdown()
