"""Outbound actions against a real HTTP receiver, with the failures real callbacks produce."""

from __future__ import annotations

import socket
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from adapters.webhook import WebhookAdapter
from adapters.webhook._client import parse_retry_after
from adapters.webhook._config import WebhookConfig
from core import (
    CaseCard,
    Entity,
    MessageRef,
    PermanentActionError,
    Reason,
    RecipientUnreachable,
    RetryableActionError,
)

from .receiver import SECRET, Receiver, Reply

REF = MessageRef("webhook", "forum-1", "general", "m1")


class _NoEngine:
    review: object = None

    async def submit(self, event: object) -> object:  # pragma: no cover - outbound only
        raise AssertionError


def make(url: str | None, **kw: object) -> WebhookAdapter:
    return WebhookAdapter(_NoEngine(), WebhookConfig(secret=SECRET, callback_url=url, **kw))  # type: ignore[arg-type]


@pytest.fixture
async def adapter(receiver: Receiver) -> AsyncIterator[WebhookAdapter]:
    a = make(receiver.url, timeout=0.5)
    await a.start()
    yield a
    await a.stop()


async def test_every_action_arrives_signed_with_its_fields(
    adapter: WebhookAdapter, receiver: Receiver
) -> None:
    card = CaseCard(
        case_id="c1",
        ref=REF,
        author_id="u1",
        author_name="Sam",
        text="قارب إلى إنجلترا",
        lang="ar",
        label="offer",
        score=0.91,
        priority="urgent",
        reasons=(Reason("route", ("uk",), 0.4, "names a destination"),),
        entities=(Entity("phone", "+447700900456", "+44 7700 900456"),),
        created_at=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
    )
    await adapter.hide(REF)
    await adapter.post_notice("forum-1", "general", "تمت إزالة منشور", lang="ar")
    await adapter.send_private("forum-1", "u1", "Help is available", lang="en")
    await adapter.timeout("forum-1", "u1", 3600, reason="rule offer")
    await adapter.ban("forum-1", "u1", reason="rule offer")
    await adapter.restore(REF, author_name="Sam", text="hello")
    await adapter.escalate(card)

    assert receiver.bad_signatures == 0
    assert [p["action"] for p in receiver.delivered] == [
        "hide",
        "notice",
        "private_message",
        "timeout",
        "ban",
        "restore",
        "escalate",
    ]
    base = {"platform": "webhook", "community_id": "forum-1"}
    hide, notice, private, timeout, ban, restore, escalate = receiver.delivered
    assert hide == {**base, "action": "hide", "channel_id": "general", "message_id": "m1"}
    assert notice == {
        **base,
        "action": "notice",
        "channel_id": "general",
        "text": "تمت إزالة منشور",
        "lang": "ar",
        "direction": "rtl",
    }
    assert private["user_id"] == "u1" and private["direction"] == "ltr"
    assert timeout["seconds"] == 3600 and timeout["reason"] == "rule offer"
    assert ban["user_id"] == "u1"
    assert restore["author_name"] == "Sam" and restore["message_id"] == "m1"
    case = escalate["case"]
    assert case["case_id"] == "c1" and case["priority"] == "urgent"
    assert case["text"] == "قارب إلى إنجلترا" and case["direction"] == "rtl"
    assert case["entities"] == [
        {"kind": "phone", "value": "+447700900456", "text": "+44 7700 900456"}
    ]
    assert case["reasons"][0]["signal"] == "route"
    assert case["created_at"] == "2026-11-28T01:00:00+00:00"
    assert all(ct.startswith("application/json") for ct in receiver.content_types)


async def test_429_with_retry_after_is_retryable_with_the_delay(
    adapter: WebhookAdapter, receiver: Receiver
) -> None:
    receiver.script("hide", Reply(429, {"Retry-After": "7"}, body='{"error":"slow down"}'))
    with pytest.raises(RetryableActionError) as info:
        await adapter.hide(REF)
    assert info.value.retry_after == 7.0
    assert "429" in str(info.value) and "slow down" in str(info.value)
    await adapter.hide(REF)  # the retry succeeds
    assert len(receiver.of("hide")) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 408])
async def test_server_errors_are_retryable(
    adapter: WebhookAdapter, receiver: Receiver, status: int
) -> None:
    receiver.script("ban", Reply(status, body="<html><body>\n  upstream\n broke</body></html>"))
    with pytest.raises(RetryableActionError) as info:
        await adapter.ban("forum-1", "u1", reason="r")
    assert info.value.retry_after is None
    assert f"answered {status} to ban" in str(info.value)
    assert "\n" not in str(info.value)


async def test_503_retry_after_as_an_http_date(adapter: WebhookAdapter, receiver: Receiver) -> None:
    when = format_datetime(datetime.fromtimestamp(time.time() + 30, UTC), usegmt=True)
    receiver.script("hide", Reply(503, {"Retry-After": when}))
    with pytest.raises(RetryableActionError) as info:
        await adapter.hide(REF)
    assert info.value.retry_after is not None and 25 <= info.value.retry_after <= 31


async def test_a_slow_callback_is_a_retryable_timeout(
    adapter: WebhookAdapter, receiver: Receiver
) -> None:
    receiver.script("notice", Reply(200, delay=1.0))
    started = time.monotonic()
    with pytest.raises(RetryableActionError, match=r"did not answer notice within 0.5 s"):
        await adapter.post_notice("forum-1", "general", "text", lang="en")
    assert time.monotonic() - started < 1.5


async def test_410_on_a_private_message_means_unreachable(
    adapter: WebhookAdapter, receiver: Receiver
) -> None:
    receiver.script("private_message", Reply(410, body='{"error":"DMs closed"}'))
    with pytest.raises(RecipientUnreachable, match="DMs closed"):
        await adapter.send_private("forum-1", "u1", "help", lang="en")


@pytest.mark.parametrize(
    ("action", "status"), [("hide", 410), ("hide", 404), ("ban", 403), ("timeout", 400)]
)
async def test_other_client_errors_are_permanent(
    adapter: WebhookAdapter, receiver: Receiver, action: str, status: int
) -> None:
    receiver.script(action, Reply(status))
    with pytest.raises(PermanentActionError, match=str(status)):
        if action == "hide":
            await adapter.hide(REF)
        elif action == "ban":
            await adapter.ban("forum-1", "u1", reason="r")
        else:
            await adapter.timeout("forum-1", "u1", 60, reason="r")


async def test_redirects_are_not_followed(receiver: Receiver) -> None:
    a = make(receiver.url.replace("/hooks/channelwatch", "/moved"))
    await a.start()
    try:
        with pytest.raises(PermanentActionError, match="redirects are not followed"):
            await a.hide(REF)
    finally:
        await a.stop()
    assert receiver.attempts == []


async def test_a_closed_port_is_retryable() -> None:
    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    a = make(f"http://127.0.0.1:{port}/x")
    await a.start()
    try:
        with pytest.raises(RetryableActionError, match="unreachable for hide"):
            await a.hide(REF)
    finally:
        await a.stop()


async def test_a_wrong_secret_on_the_receiver_is_a_permanent_401(receiver: Receiver) -> None:
    receiver.secret = "the-integrator-has-another-secret"
    a = make(receiver.url)
    await a.start()
    try:
        with pytest.raises(PermanentActionError, match="401"):
            await a.hide(REF)
    finally:
        await a.stop()
    assert receiver.bad_signatures == 1


async def test_without_a_callback_actions_fail_permanently_with_the_reason() -> None:
    a = make(None)
    await a.start()
    with pytest.raises(PermanentActionError, match="CHANNELWATCH_WEBHOOK_CALLBACK_URL"):
        await a.hide(REF)


async def test_after_stop_actions_stay_retryable(receiver: Receiver) -> None:
    a = make(receiver.url)
    await a.start()
    await a.hide(REF)
    await a.stop()
    with pytest.raises(RetryableActionError, match="stopped"):
        await a.hide(REF)
    await a.start()  # restarted: works again
    try:
        await a.hide(REF)
    finally:
        await a.stop()
    assert len(receiver.of("hide")) == 2


async def test_actions_before_start_work(receiver: Receiver) -> None:
    # The engine re-dispatches a previous run's pending actions as soon as it starts, which
    # `channelwatch run` does before starting adapters.
    a = make(receiver.url)
    await a.hide(REF)
    await a.stop()
    assert len(receiver.of("hide")) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("0.25", 0.25),
        ("-5", 0.0),
        ("nan", None),
        ("inf", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_it_is_an_adapter() -> None:
    from core import Adapter

    assert isinstance(make("https://forum.example/cw"), Adapter)


async def test_connections_are_reused_across_actions(
    adapter: WebhookAdapter, receiver: Receiver
) -> None:
    # Some integrators answer with a page of JSON; the connection is still kept alive.
    receiver.script("hide", *[Reply(200, body='{"log": "' + "x" * 40_000 + '"}')] * 5)
    for _ in range(5):
        await adapter.hide(REF)
    assert len(receiver.peers) == 5 and len(set(receiver.peers)) == 1


async def test_plain_http_to_a_public_host_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    a = make("http://forum.example/cw")
    await a.start()
    await a.stop()
    assert "travel unencrypted" in caplog.text
    caplog.clear()
    for url in ("https://forum.example/cw", "http://127.0.0.1:9/cw", "http://10.1.2.3/cw"):
        b = make(url)
        await b.start()
        await b.stop()
    assert "travel unencrypted" not in caplog.text


async def test_lone_surrogates_are_replaced_so_the_body_is_valid_utf8(
    adapter: WebhookAdapter, receiver: Receiver
) -> None:
    card = CaseCard(
        case_id="c2",
        ref=REF,
        author_id="u1",
        author_name="\ud800",
        text="boat \udfff UK",
        lang="en",
        label="offer",
        score=0.9,
        priority="high",
    )
    await adapter.escalate(card)
    (delivered,) = receiver.of("escalate")
    assert delivered["case"]["text"] == "boat \ufffd UK"
    assert delivered["case"]["author_name"] == "\ufffd"
