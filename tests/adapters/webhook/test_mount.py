"""Serving the adapter: mounted under /webhook beside other routes, or on its own port."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestClient, TestServer

from adapters.webhook import build_from_env
from adapters.webhook._standalone import serve
from core import Engine

from .conftest import message
from .receiver import SECRET, Receiver, integrator_sign
from .test_inbound import OFFER


async def test_mounted_under_webhook_on_a_shared_server(tmp_path: Path, receiver: Receiver) -> None:
    engine = await Engine.open(tmp_path / "cw.db")
    env = {"CHANNELWATCH_WEBHOOK_SECRET": SECRET, "CHANNELWATCH_WEBHOOK_CALLBACK_URL": receiver.url}
    adapter = build_from_env(engine, env)
    assert adapter is not None
    engine.register_adapter(adapter)
    await engine.start()
    await adapter.start()

    async def dashboard(request: web.Request) -> web.Response:
        return web.Response(text="dashboard")

    root = web.Application()  # the default 1 MiB limit: ours still applies under /webhook
    root.router.add_get("/", dashboard)
    root.add_subapp("/webhook", adapter.app())
    client: TestClient[Any, Any] = TestClient(TestServer(root, host="127.0.0.1"))
    await client.start_server()
    try:
        assert await (await client.get("/")).text() == "dashboard"
        body = json.dumps(message("w1", OFFER)).encode()
        resp = await client.post(
            "/webhook/v1/messages", data=body, headers=integrator_sign(SECRET, body)
        )
        assert resp.status == 200 and (await resp.json())["label"] == "offer"
        big = json.dumps(message("w2", "z" * 100_000)).encode()
        resp = await client.post(
            "/webhook/v1/messages", data=big, headers=integrator_sign(SECRET, big)
        )
        assert resp.status == 413
        await receiver.wait_for(lambda r: len(r.of("hide")) == 1)
    finally:
        await client.close()
        await adapter.stop()
        await engine.close()


async def test_standalone(tmp_path: Path, receiver: Receiver) -> None:
    env = {"CHANNELWATCH_WEBHOOK_SECRET": SECRET, "CHANNELWATCH_WEBHOOK_CALLBACK_URL": receiver.url}
    stop = asyncio.Event()
    started: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(str(tmp_path / "cw.db"), "127.0.0.1", 0, env, stop=stop, started=started)
    )
    url = await asyncio.wait_for(started, 10)
    body = json.dumps(message("s1", OFFER)).encode()
    async with ClientSession() as http:
        resp = await http.post(
            url + "/v1/messages", data=body, headers=integrator_sign(SECRET, body)
        )
        assert resp.status == 200
        assert (await resp.json())["label"] == "offer"
    await receiver.wait_for(lambda r: len(r.of("escalate")) == 1)
    stop.set()
    assert await asyncio.wait_for(task, 10) == 0


async def test_standalone_without_a_secret_refuses_to_start(tmp_path: Path) -> None:
    started = time.monotonic()
    assert await serve(str(tmp_path / "cw.db"), "127.0.0.1", 0, {}) == 2
    assert time.monotonic() - started < 5


# aiohttp_jinja2 (the dashboard's templating) stores a plain-string key on every request.
@pytest.mark.filterwarnings("ignore:It is recommended to use web.RequestKey")
async def test_mounted_on_the_dashboard_as_a_signed_api(tmp_path: Path, receiver: Receiver) -> None:
    """How ``channelwatch run`` serves it: the dashboard's sessions and CSRF do not apply."""
    from argon2 import PasswordHasher

    from bots.dashboard import SqliteAccountStore, create_app

    db = tmp_path / "cw.db"
    engine = await Engine.open(db)
    env = {"CHANNELWATCH_WEBHOOK_SECRET": SECRET, "CHANNELWATCH_WEBHOOK_CALLBACK_URL": receiver.url}
    adapter = build_from_env(engine, env)
    assert adapter is not None
    engine.register_adapter(adapter)
    await engine.start()
    await adapter.start()
    accounts = SqliteAccountStore(
        db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )
    app = create_app(engine, accounts, db_path=db, signed_apis={"/webhook/": adapter.app()})
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        body = json.dumps(message("d1", OFFER)).encode()
        resp = await client.post(
            "/webhook/v1/messages", data=body, headers=integrator_sign(SECRET, body)
        )
        assert resp.status == 200, await resp.text()
        decision = await resp.json()
        assert decision["label"] == "offer"
        assert "cw_sid" not in resp.cookies  # no dashboard session for a machine client
        unsigned = await client.post("/webhook/v1/messages", data=body)
        assert unsigned.status == 401
        await receiver.wait_for(lambda r: len(r.of("escalate")) == 1)
        case = await engine.review.get_case(decision["case_id"])
        assert case is not None and case.ref.platform == "webhook"
    finally:
        await client.close()
        await adapter.stop()
        await engine.close()
        accounts.close()
