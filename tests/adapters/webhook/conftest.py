"""Fixtures: a fake integrator (receiver), and the full stack (real Engine + adapter over HTTP)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from adapters.webhook import WebhookAdapter, build_from_env
from core import Engine, RetryPolicy

from .receiver import SECRET, Receiver, integrator_sign

# Fast retries so that "429 then success" takes milliseconds, not the production half-second.
FAST_RETRY = RetryPolicy(max_attempts=5, base_delay=0.01, max_delay=1.0, call_timeout=5.0)


def message(message_id: str = "m1", text: str = "hello everyone", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "community_id": "forum-1",
        "channel_id": "general",
        "message_id": message_id,
        "author": {"id": "u-" + message_id, "display_name": "Sam"},
        "text": text,
    }
    body.update(extra)
    return body


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.close()


@dataclass
class Stack:
    engine: Engine
    adapter: WebhookAdapter
    client: TestClient[Any, Any]
    receiver: Receiver

    async def post(
        self,
        payload: Any = None,
        *,
        raw: bytes | None = None,
        secret: str = SECRET,
        timestamp: int | None = None,
        headers: dict[str, str] | None = None,
        path: str = "/v1/messages",
    ) -> ClientResponse:
        body = raw if raw is not None else json.dumps(payload).encode()
        h = {"Content-Type": "application/json", **integrator_sign(secret, body, timestamp)}
        h.update(headers or {})
        return await self.client.post(path, data=body, headers=h)

    async def actions(self, message_id: str) -> list[Any]:
        from core import MessageRef

        ref = MessageRef(self.adapter.platform, "forum-1", "general", message_id)
        return list(await self.engine.query(self.engine.store.actions_for_message, ref))

    async def has_event(self, message_id: str, revision: str = "0") -> bool:
        from core import MessageRef

        ref = MessageRef(self.adapter.platform, "forum-1", "general", message_id)
        return bool(await self.engine.query(self.engine.store.has_event, ref, revision))


StackFactory = Callable[..., Awaitable[Stack]]


@pytest.fixture
async def make_stack(tmp_path: Path, receiver: Receiver) -> AsyncIterator[StackFactory]:
    """Build the stack with extra CHANNELWATCH_WEBHOOK_* settings (``callback=False``: none)."""
    opened: list[tuple[Engine, WebhookAdapter, TestClient[Any, Any]]] = []

    async def factory(callback: bool = True, **env: str) -> Stack:
        engine = await Engine.open(tmp_path / f"cw{len(opened)}.db", retry=FAST_RETRY)
        full = {"CHANNELWATCH_WEBHOOK_SECRET": SECRET}
        if callback:
            full["CHANNELWATCH_WEBHOOK_CALLBACK_URL"] = receiver.url
        full.update({"CHANNELWATCH_WEBHOOK_" + k.upper(): v for k, v in env.items()})
        adapter = build_from_env(engine, full)
        assert adapter is not None
        engine.register_adapter(adapter)
        await engine.start()
        await adapter.start()
        client: TestClient[Any, Any] = TestClient(TestServer(adapter.app(), host="127.0.0.1"))
        await client.start_server()
        opened.append((engine, adapter, client))
        return Stack(engine, adapter, client, receiver)

    yield factory
    for engine, adapter, client in reversed(opened):
        await client.close()
        await adapter.stop()
        await engine.close()


@pytest.fixture
async def stack(make_stack: StackFactory) -> Stack:
    return await make_stack()
