"""Confirmed contacts synced into a Discord AutoMod keyword rule (opt-in)."""

from __future__ import annotations

import re
from typing import Any

from adapters.discord._automod import (
    BLOCK_MESSAGE,
    MAX_KEYWORDS,
    RULE_NAME,
    automod_terms,
)
from tests.adapters.discord.conftest import Stack, corpus
from tests.adapters.discord.fake_discord import MANAGE_GUILD, FakeDiscord

OFFER = corpus("offer")[0]  # ... WhatsApp +44 7700 900123


def test_terms_respect_discords_limits() -> None:
    indicators = [("phone", f"+4477009{i:05d}") for i in range(1500)]
    indicators += [("contact", "telegram:@ali"), ("contact", "telegram:@calais_fast_go")]
    indicators += [("link", "https://t.me/" + "x" * 100)]
    keywords, regexes = automod_terms(indicators)
    assert len(keywords) == MAX_KEYWORDS and all(len(k) <= 60 for k in keywords)
    assert keywords[0] == "*7700900000*"  # newest first: the first given wins
    assert len(regexes) <= 10 and all(len(r) <= 260 for r in regexes)
    assert re.search(regexes[0], "call 07700 900 000 now")
    keywords, _ = automod_terms(indicators[-3:])
    assert "*calais_fast_go*" in keywords
    assert not any("ali*" in k for k in keywords)  # too short: it would match "quality"
    assert len(BLOCK_MESSAGE) <= 150


async def _confirm_offer(stack: Stack) -> str:
    fake = stack.fake
    await fake.post(stack.member, OFFER)
    card = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    case_id = card["components"][0]["components"][0]["custom_id"].split(":", 2)[2]
    await fake.press(stack.mod, int(card["id"]), f"cw:confirm:{case_id}")
    return str(case_id)


async def test_confirmed_contacts_reach_an_automod_rule(fake: FakeDiscord, engine: Any) -> None:
    from tests.adapters.discord.conftest import _stack

    fake.bot_permissions |= MANAGE_GUILD
    stack = await _stack(fake, engine, automod=True)
    try:
        assert fake.automod_rules == {}  # nothing confirmed yet: no empty rule is created
        await _confirm_offer(stack)
        rule = await stack.until(
            lambda: next(iter(fake.automod_rules.values()), None), "the AutoMod rule"
        )
        assert rule["name"] == RULE_NAME and rule["trigger_type"] == 1
        assert "*7700900123*" in rule["trigger_metadata"]["keyword_filter"]
        assert re.search(rule["trigger_metadata"]["regex_patterns"][0], "+44 7700 900123")
        assert rule["actions"][0]["type"] == 1
        assert rule["actions"][1]["metadata"]["channel_id"] == str(fake.mods_id)
        assert not await stack.adapter.sync_automod(stack.guild)  # unchanged: no edit
    finally:
        await stack.close()


async def test_automod_without_manage_server_is_logged_once(
    fake: FakeDiscord, engine: Any, caplog: Any
) -> None:
    from tests.adapters.discord.conftest import _stack

    stack = await _stack(fake, engine, automod=True)
    try:
        await _confirm_offer(stack)
        await stack.until(lambda: fake.calls("POST", r"auto-moderation"), "the refused create")
        assert not await stack.adapter.sync_automod(stack.guild)
        assert caplog.text.count("did not give channelwatch Manage Server") == 1
        setup = await fake.command(stack.mod, "setup")
        assert "❌ Manage Server" in setup["data"]["content"]
    finally:
        await stack.close()
