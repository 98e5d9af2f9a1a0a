"""The adapter's actions against Discord's errors: what the engine's outbox is told."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from adapters.discord import DiscordAdapter, build_from_env
from core import (
    MessageRef,
    PermanentActionError,
    RecipientUnreachable,
    RetryableActionError,
)
from tests.adapters.discord.conftest import Stack


def _ref(stack: Stack, mid: int | str) -> MessageRef:
    return MessageRef("discord", stack.guild, str(stack.fake.general_id), str(mid))


async def test_hiding_a_message_that_is_already_gone_is_success(stack: Stack) -> None:
    await stack.adapter.hide(_ref(stack, 123456))
    assert stack.fake.calls("DELETE")[0].status == 404


async def test_delete_errors_map_to_retryable_or_permanent(stack: Stack) -> None:
    fake, adapter = stack.fake, stack.adapter
    mid = await fake.post(stack.member, "hello")
    fake.inject("DELETE", r"/messages/", 403, code=50013, message="Missing Permissions")
    with pytest.raises(PermanentActionError, match="Missing Permissions"):
        await adapter.hide(_ref(stack, mid))
    fake.inject("DELETE", r"/messages/", 503)
    with pytest.raises(RetryableActionError, match="server error 503"):
        await adapter.hide(_ref(stack, mid))
    fake.inject("DELETE", r"/messages/", 429, retry_after=2.5, via=False)  # Cloudflare-style
    with pytest.raises(RetryableActionError) as info:
        await adapter.hide(_ref(stack, mid))
    assert info.value.retry_after is not None and info.value.retry_after >= 2
    fake.inject("DELETE", r"/messages/", 400, code=50035, message="Invalid Form Body")
    with pytest.raises(PermanentActionError):
        await adapter.hide(_ref(stack, mid))
    await adapter.hide(_ref(stack, mid))
    assert mid in fake.deleted


async def test_closed_dms_are_unreachable_not_errors(stack: Stack) -> None:
    stack.fake.closed_dms.add(stack.member.id)
    with pytest.raises(RecipientUnreachable, match="Cannot send messages"):
        await stack.adapter.send_private(stack.guild, str(stack.member.id), "help", lang="en")
    with pytest.raises(RecipientUnreachable):  # a user Discord does not know
        await stack.adapter.send_private(stack.guild, "4242", "help", lang="en")


async def test_timeout_and_ban(stack: Stack) -> None:
    fake, uid = stack.fake, str(stack.member.id)
    await stack.adapter.timeout(stack.guild, uid, 90 * 86400, reason="offer")  # clamped to 28 d
    until = fake.timeouts[stack.member.id]
    assert until is not None and until[:4].isdigit()
    from datetime import UTC, datetime, timedelta

    limit = datetime.now(UTC) + timedelta(days=28, minutes=1)
    assert datetime.fromisoformat(until) < limit
    await stack.adapter.ban(stack.guild, uid, reason="confirmed offer")
    assert fake.bans[stack.member.id] == "confirmed offer"
    fake.inject("PUT", r"/bans/", 403, code=50013, message="Missing Permissions")
    with pytest.raises(PermanentActionError):
        await stack.adapter.ban(stack.guild, uid, reason="again")


async def test_restore_without_webhook_permission_quotes_the_message(stack: Stack) -> None:
    fake = stack.fake
    fake.inject("GET", r"/webhooks$", 403, code=50013, message="Missing Permissions")
    text = "@everyone selling my old bike, **cheap**"
    await stack.adapter.restore(_ref(stack, 1), author_name="Sam", text=text)
    (msg,) = stack.bot_messages(fake.general_id)
    assert "Restored message from **Sam**" in msg["content"]
    assert "> @everyone selling my old bike" in msg["content"]
    post = fake.calls("POST", rf"^/channels/{fake.general_id}/messages$")[-1]
    assert post.json["allowed_mentions"] == {"parse": []}  # nobody is pinged again


async def test_restore_in_a_thread_uses_the_parent_webhook(stack: Stack) -> None:
    fake = stack.fake
    ref = MessageRef("discord", stack.guild, str(fake.thread_id), "1")
    await stack.adapter.restore(ref, author_name="Clyde the Discord fan", text="hi @here")
    await stack.adapter.restore(ref, author_name="Sam", text="again")
    (hook,) = fake.webhooks.values()  # created once, on the parent channel, then reused
    assert hook["channel_id"] == str(fake.general_id)
    restored = [m for m in fake.channel_messages(fake.thread_id) if "webhook_id" in m]
    assert [m["content"] for m in restored] == ["hi @here", "again"]
    name = restored[0]["author"]["username"]
    assert "discord" not in name.lower() and "clyde" not in name.lower()  # Discord rejects those
    executes = fake.calls("POST", r"^/webhooks/")
    assert all(c.json["allowed_mentions"] == {"parse": []} for c in executes)


async def test_escalation_without_a_moderators_channel_is_permanent(stack: Stack) -> None:
    from core import CaseCard

    await stack.engine.settings.set("discord", stack.guild, "modchannel", None)
    card = CaseCard("c1", _ref(stack, 1), "1", "Sam", "text", "en", "offer", 0.9, "high")
    with pytest.raises(PermanentActionError, match="modchannel"):
        await stack.adapter.escalate(card)


async def test_actions_before_start_are_retryable(engine: Any) -> None:
    adapter = DiscordAdapter(engine, "token")
    with pytest.raises(RetryableActionError):
        await adapter.hide(MessageRef("discord", "1", "2", "3"))


def test_build_from_env(engine: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert build_from_env(engine, {}) is None
    assert build_from_env(engine, {"DISCORD_BOT_TOKEN": "  "}) is None
    adapter = build_from_env(
        engine,
        {"DISCORD_BOT_TOKEN": "MTIz.abc.very-secret", "DISCORD_API_BASE_URL": "http://x/api/v10"},
    )
    assert isinstance(adapter, DiscordAdapter)
    assert "very-secret" not in repr(adapter) and "very-secret" not in caplog.text


async def test_token_never_reaches_the_logs(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    await stack.fake.post(stack.member, "hello")
    await stack.adapter.stop()
    await stack.adapter.start()
    assert stack.fake.token().split(".")[-1] not in caplog.text
