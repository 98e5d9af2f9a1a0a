"""``/channelwatch setup|modchannel|status`` and the Message Content intent checks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from adapters.discord._adapter import CONTENT_INTENT_MISSING
from tests.adapters.discord.conftest import Stack, _stack, corpus, engine_class
from tests.adapters.discord.fake_discord import MANAGE_WEBHOOKS, FakeDiscord

OFFER = corpus("offer")[0]


def _ephemeral(reply: dict[str, Any]) -> str:
    assert reply["type"] == 4, reply
    assert reply["data"]["flags"] & 64, "replies to commands are ephemeral"
    return str(reply["data"]["content"])


async def test_setup_is_refused_to_members(stack: Stack) -> None:
    text = _ephemeral(await stack.fake.command(stack.member, "setup"))
    assert "Manage Messages" in text and "Nothing was changed" in text


async def test_setup_lists_what_is_missing(stack: Stack) -> None:
    fake = stack.fake
    text = _ephemeral(await fake.command(stack.mod, "setup"))
    assert "Ready." in text and "❌" not in text
    fake.bot_permissions &= ~MANAGE_WEBHOOKS
    await stack.engine.settings.set("discord", stack.guild, "modchannel", None)
    text = _ephemeral(await fake.command(stack.mod, "setup"))
    assert "❌ Manage Webhooks" in text and "restore" in text
    assert "❌ Moderators' channel: not set" in text
    assert "2 thing(s) to fix" in text
    assert "✅ Message Content intent: granted" in text


async def test_modchannel_needs_manage_server(fake: FakeDiscord, engine: Any) -> None:
    stack = await _stack(fake, engine, modchannel=False)
    try:
        option = [{"name": "channel", "type": 7, "value": str(fake.mods_id)}]
        text = _ephemeral(await fake.command(stack.mod, "modchannel", option))
        assert "Manage Server" in text
        assert await engine.settings.get("discord", stack.guild, "modchannel") is None

        # An offer escalated before any moderators' channel exists...
        mid = await fake.post(stack.member, OFFER)
        await stack.until(lambda: mid in fake.deleted, "the offer's DELETE")
        await stack.idle()
        assert stack.cards() == []
        # ...gets its card as soon as an admin picks the channel.
        text = _ephemeral(await fake.command(stack.admin, "modchannel", option))
        assert f"<#{fake.mods_id}>" in text
        assert await engine.settings.get("discord", stack.guild, "modchannel") == str(fake.mods_id)
        await stack.until(lambda: stack.cards(), "the pending case's card")
    finally:
        await stack.close()


async def test_modchannel_reports_a_channel_it_cannot_post_in(stack: Stack) -> None:
    fake = stack.fake
    fake.inject("POST", rf"^/channels/{fake.general_id}/messages$", 403, code=50013)
    option = [{"name": "channel", "type": 7, "value": str(fake.general_id)}]
    text = _ephemeral(await fake.command(stack.admin, "modchannel", option))
    assert "cannot post" in text
    assert await stack.engine.settings.get("discord", stack.guild, "modchannel") == str(
        fake.mods_id
    )


async def test_status_shows_policy_and_counts(stack: Stack) -> None:
    fake = stack.fake
    assert "Nothing was changed" in _ephemeral(await fake.command(stack.member, "status"))
    mid = await fake.post(stack.member, OFFER)
    await stack.until(lambda: mid in fake.deleted, "the offer's DELETE")
    await stack.idle()
    text = _ephemeral(await fake.command(stack.mod, "status"))
    assert "Policy in force" in text and "offer" in text
    assert "Last 24 h" in text


async def test_commands_are_synced_once(fake: FakeDiscord, engine: Any, tmp_path: Path) -> None:
    stack = await _stack(fake, engine)
    await stack.close()
    await engine.close()
    assert fake.command_syncs == 1
    (cmd,) = fake.commands
    assert cmd["name"] == "channelwatch"
    assert {o["name"] for o in cmd["options"]} == {"setup", "modchannel", "status"}
    restarted = await engine_class().open(tmp_path / "channelwatch.db")
    try:
        stack = await _stack(fake, restarted)  # a restart with the same commands: no sync
        await stack.close()
    finally:
        await restarted.close()
    assert fake.command_syncs == 1


# -- the Message Content intent -----------------------------------------------------------------


async def _setup_text(stack: Stack) -> str:
    return _ephemeral(await stack.fake.command(stack.mod, "setup"))


@pytest.mark.parametrize("flags_claim", [None, True], ids=["flags", "close-4014"])
async def test_missing_content_intent_is_reported(
    flags_claim: bool | None, engine: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Not granted: one clear log line, the bot keeps running, setup says what to do."""
    fake = await FakeDiscord(content_intent=False, advertise_content_intent=flags_claim).start()
    caplog.set_level(logging.WARNING, logger="channelwatch.discord")
    try:
        stack = await _stack(fake, engine)
        try:
            lines = [
                r.getMessage() for r in caplog.records if CONTENT_INTENT_MISSING in r.getMessage()
            ]
            assert len(lines) == 1
            assert stack.adapter.content_intent is False
            assert "NOT GRANTED" in await _setup_text(stack)
            assert "Message Content" in _ephemeral(await fake.command(stack.mod, "status"))
        finally:
            await stack.close()
    finally:
        await fake.close()
    assert "secret-token" not in caplog.text


async def test_messages_arriving_without_text_reveal_a_missing_intent(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="channelwatch.discord")
    assert stack.adapter.content_intent is True
    stack.fake.strip_content = True
    ids = [await stack.fake.post(stack.member, f"message {i}") for i in range(3)]
    await stack.until(lambda: stack.adapter.content_intent is False, "the intent flagged")
    assert sum(CONTENT_INTENT_MISSING in r.getMessage() for r in caplog.records) == 1
    assert "NOT GRANTED" in await _setup_text(stack)
    assert all(i not in stack.fake.deleted for i in ids)
