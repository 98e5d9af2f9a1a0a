"""Fixtures: the fake Discord, the real engine on a temp SQLite file, the real discord.py client."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from tests.adapters.discord.fake_discord import FakeDiscord, FakeUser

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus.jsonl"


def corpus(label: str, lang: str | None = "en") -> list[str]:
    """Labelled examples from tests/data/corpus.jsonl (the project's own test corpus)."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    return [r["text"] for r in rows if r["label"] == label and (lang is None or r["lang"] == lang)]


@dataclass
class Stack:
    fake: FakeDiscord
    engine: Any  # core.Engine
    adapter: DiscordAdapter
    member: FakeUser  # an ordinary member
    mod: FakeUser  # Manage Messages + Ban Members
    admin: FakeUser  # + Manage Server
    decisions: list[dict[str, Any]] = field(default_factory=list)  # the engine's live events
    _collector: asyncio.Task[None] | None = None

    def collect(self) -> None:
        queue = self.engine.subscribe()

        async def drain() -> None:
            while True:
                event = await queue.get()
                if event.get("type") == "decision":
                    self.decisions.append(event)

        self._collector = asyncio.create_task(drain())

    async def close(self) -> None:
        if self._collector is not None:
            self._collector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._collector
        await self.adapter.stop()

    def decided(self, message_id: int) -> list[dict[str, Any]]:
        return [d for d in self.decisions if d["message_id"] == str(message_id)]

    @property
    def guild(self) -> str:
        return str(self.fake.guild_id)

    async def until(self, predicate: Callable[[], Any], what: str, within: float = 5.0) -> Any:
        """Wait for a platform-visible effect; fail at once if the client died meanwhile."""

        def check() -> Any:
            if self.adapter.failures:
                raise AssertionError(f"the Discord client crashed: {self.adapter.failures!r}")
            return predicate()

        return await self.fake.wait_for(check, within=within, what=what)

    async def idle(self) -> None:
        """Let the engine finish deciding and dispatching what it has."""
        assert await self.engine.wait_idle(10.0)

    def bot_messages(self, channel_id: int) -> list[dict[str, Any]]:
        return [
            m
            for m in self.fake.channel_messages(channel_id)
            if m["author"]["id"] == str(self.fake.bot.id) and "webhook_id" not in m
        ]

    def cards(self) -> list[dict[str, Any]]:
        return [m for m in self.bot_messages(self.fake.mods_id) if m.get("embeds")]


def engine_class() -> Any:
    from core import Engine

    return Engine


async def make_adapter(fake: FakeDiscord, engine: Any, **kwargs: Any) -> DiscordAdapter:
    adapter = DiscordAdapter(
        engine,
        fake.token(),
        api_base_url=fake.api_base,
        gateway_url=fake.gateway_url,
        guild_ready_timeout=0.05,
        ready_timeout=10.0,
        **kwargs,
    )
    return adapter


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await FakeDiscord().start()
    try:
        yield server
    finally:
        await server.close()


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Any]:
    eng = await engine_class().open(tmp_path / "channelwatch.db")
    try:
        yield eng
    finally:
        await eng.close()


async def _stack(
    fake: FakeDiscord, engine: Any, *, modchannel: bool = True, automod: bool = False
) -> Stack:
    adapter = await make_adapter(fake, engine, automod=automod, automod_delay=0.05)
    engine.register_adapter(adapter)
    await engine.start()
    await adapter.start()
    if modchannel:
        await engine.settings.set("discord", str(fake.guild_id), "modchannel", str(fake.mods_id))
    stack = Stack(
        fake,
        engine,
        adapter,
        member=fake.add_user("Sam"),
        mod=fake.add_user("Mo", moderator=True),
        admin=fake.add_user("Ada", admin=True),
    )
    stack.collect()
    return stack


@pytest.fixture
async def stack(fake: FakeDiscord, engine: Any) -> AsyncIterator[Stack]:
    s = await _stack(fake, engine)
    try:
        yield s
    finally:
        await s.close()
    assert not s.adapter.failures, s.adapter.failures
