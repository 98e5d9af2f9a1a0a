"""Secrets, hostile updates, configuration and webhook mode."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import aiohttp
import pytest

from adapters.telegram import TelegramAdapter, build_from_env
from core import CaseFilter

from .conftest import GROUP, OFFER, POSTER, Harness
from .fake_bot_api import FakeBotAPI


async def test_token_never_reaches_the_logs(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    fake = harness.fake
    caplog.set_level(logging.DEBUG)
    await harness.restart()  # construction and getMe log the API URL at DEBUG
    fake.inject_429("deleteMessage", retry_after=1)
    fake.inject("sendMessage", status=500)
    fake.post_message(GROUP, POSTER, OFFER)
    await fake.wait_for_call("deleteMessage", status=200, within=10)
    await fake.settle()
    records = caplog.records
    assert any("<token>" in r.getMessage() for r in records)  # it was there, and was redacted
    for record in records:
        assert fake.token not in record.getMessage()
        assert fake.token not in (record.exc_text or "")
    for case in await harness.engine.review.list_cases(CaseFilter(platform="telegram")):
        for action in await harness.engine.review.case_actions(case.id):
            assert fake.token not in (action.last_error or "")
            assert fake.token not in str(action.payload)


async def test_a_rejected_token_is_reported_without_the_token(harness: Harness) -> None:
    adapter = TelegramAdapter(harness.engine, "999:wrong-token", base_url=harness.fake.base_url)
    with pytest.raises(PermissionError) as info:
        await adapter.start()
    assert "999:wrong-token" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    await adapter.stop()


async def test_an_update_ptb_cannot_parse_is_skipped_not_repolled(harness: Harness) -> None:
    fake = harness.fake
    fake.queue_update({"message": {"message_id": "x", "chat": "broken"}}, validate=False)
    msg = fake.post_message(GROUP, POSTER, OFFER)
    delete = await fake.wait_for_call("deleteMessage", within=10)
    assert delete.params["message_id"] == msg["message_id"]
    await fake.settle()  # returns only once every update, the bad one too, was confirmed


def test_build_from_env() -> None:
    assert build_from_env(None, {}) is None  # type: ignore[arg-type]
    assert build_from_env(None, {"TELEGRAM_BOT_TOKEN": "  "}) is None  # type: ignore[arg-type]


async def test_build_from_env_base_url_and_webhook(harness: Harness) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": harness.fake.token,
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{harness.fake.port}",
    }
    adapter = build_from_env(harness.engine, env)
    assert isinstance(adapter, TelegramAdapter)
    assert adapter.bot.base_url == f"http://127.0.0.1:{harness.fake.port}/bot{harness.fake.token}"
    with pytest.raises(ValueError, match="HOST:PORT"):
        build_from_env(
            harness.engine,
            {
                **env,
                "TELEGRAM_WEBHOOK_URL": "https://x.example/tg",
                "TELEGRAM_WEBHOOK_LISTEN": "nope",
            },
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_webhook_mode(fake: FakeBotAPI, tmp_path: Path) -> None:
    from core import Engine

    engine = await Engine.open(tmp_path / "webhook.db")
    await engine.start()
    port = _free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.base_url,
        "TELEGRAM_WEBHOOK_URL": "https://bot.example.org/tg/hook",
        "TELEGRAM_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
        "TELEGRAM_WEBHOOK_SECRET": "s3cret-value",
    }
    adapter = build_from_env(engine, env)
    assert adapter is not None
    engine.register_adapter(adapter)
    await adapter.start()
    try:
        assert fake.webhook == {
            "url": "https://bot.example.org/tg/hook",
            "secret_token": "s3cret-value",
        }
        msg = fake.post_message(GROUP, POSTER, OFFER)
        update = fake.history[-1]
        url = f"http://127.0.0.1:{port}/tg/hook"
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=update) as forged:
                assert forged.status == 403  # no secret: not from Telegram
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"}
            async with http.post(url, json=update, headers=headers) as resp:
                assert resp.status == 200
            async with http.post(
                url, json={"update_id": 1, "message": "junk"}, headers=headers
            ) as r:
                assert r.status == 200  # acknowledged and dropped, or Telegram retries forever
        delete = await fake.wait_for_call("deleteMessage", within=10)
        assert delete.params["message_id"] == msg["message_id"]
    finally:
        await adapter.stop()
        await engine.close()


async def test_network_failures_are_retryable_and_never_quote_the_token(harness: Harness) -> None:
    from core import MessageRef, RetryableActionError

    closed = _free_port()  # nothing listens there
    adapter = TelegramAdapter(
        harness.engine, harness.fake.token, base_url=f"http://127.0.0.1:{closed}/bot"
    )
    # Open the transport without start() (whose getMe would fail first): the network dies
    # after the bot was up, and an action meets it.
    await adapter.bot.request.initialize()
    try:
        with pytest.raises(RetryableActionError) as info:
            await adapter.hide(MessageRef("telegram", str(GROUP), str(GROUP), "1"))
        assert harness.fake.token not in str(info.value)
        assert "aiohttp.ClientConnectorError" in str(info.value)
    finally:
        await adapter.bot.request.shutdown()
        await adapter.stop()
