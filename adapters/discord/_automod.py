"""Confirmed smugglers' contacts as a Discord AutoMod rule: blocked before they are even posted.

When moderators confirm a case, its contact entities (phone numbers, messenger handles, links)
become indicators. With AutoMod sync on, the adapter keeps one keyword rule per server,
"channelwatch: confirmed smuggling contacts", whose keywords are those indicators, so Discord
itself refuses a message carrying them - no round trip to channelwatch, nothing visible even for
a moment.

Discord's limits shape the rule: at most 1,000 keywords of at most 60 characters, and 10 regular
expressions of at most 260 characters. Keywords are literal (``*`` is a wildcard), so a phone
number written with spaces ("07700 900 123") escapes a digits-only keyword; the most recent
phone numbers therefore also go into the regular expressions, which allow separators between
digits. Short handles are left out: ``*ali*`` would block "quality".

AutoMod needs the Manage Server permission, which is why the sync is opt-in
(``DISCORD_AUTOMOD=1``; the invite URL then asks for Manage Server too).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import discord
import phonenumbers

from adapters.discord._constants import MODCHANNEL_KEY, PLATFORM
from core import CaseFilter, CaseStatus

if TYPE_CHECKING:
    from adapters.discord._adapter import DiscordAdapter

__all__ = [
    "BLOCK_MESSAGE",
    "MAX_KEYWORDS",
    "RULE_NAME",
    "AutoModSync",
    "automod_terms",
    "rule_payload",
]

_log = logging.getLogger("channelwatch.discord")
RULE_NAME = "channelwatch: confirmed smuggling contacts"
MAX_KEYWORDS = 1000
MAX_KEYWORD_CHARS = 60
MAX_REGEXES = 10
MAX_REGEX_CHARS = 260
MIN_HANDLE_CHARS = 5  # shorter handles match inside ordinary words
# Shown to the sender by Discord (at most 150 characters).
BLOCK_MESSAGE = (
    "Blocked: moderators confirmed this contact as a people smuggler's. "
    "For safe, legal help: UNHCR, the Red Cross, Refugee Council."
)
_SEP = r"[\s.\-]?"  # between digits: "07700 900-123", "0770.0900.123"
INDICATOR_KINDS = frozenset({"phone", "contact", "link"})


def _phone_digits(value: str) -> str | None:
    """The national significant number of an E.164 phone ("+447700900123" -> "7700900123")."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        digits = "".join(ch for ch in value if ch.isdigit())
        return digits if len(digits) >= 7 else None
    national = phonenumbers.national_significant_number(number)
    return national if len(national) >= 7 else None


def _keyword(text: str) -> str | None:
    text = text.replace("*", "").strip()
    if not text:
        return None
    return f"*{text[: MAX_KEYWORD_CHARS - 2]}*"


def automod_terms(indicators: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """``(keyword_filter, regex_patterns)`` for indicators given newest first as (kind, value).

    Within Discord's limits; when there are more indicators than fit, the newest win.
    """
    keywords: list[str] = []
    seen: set[str] = set()
    phones: list[str] = []
    for kind, value in indicators:
        candidates: list[str] = []
        if kind == "phone":
            digits = _phone_digits(value)
            if digits is None:
                continue
            candidates.append(digits)
            if digits not in phones:
                phones.append(digits)
        elif kind == "contact":
            handle = value.split(":", 1)[-1].lstrip("@").strip()
            if len(handle) >= MIN_HANDLE_CHARS:
                candidates.append(handle)
        elif kind == "link":
            link = value.split("://", 1)[-1].removeprefix("www.").rstrip("/")
            if len(link) >= MIN_HANDLE_CHARS:
                candidates.append(link)
        for candidate in candidates:
            kw = _keyword(candidate.casefold())
            if kw is not None and kw not in seen and len(keywords) < MAX_KEYWORDS:
                seen.add(kw)
                keywords.append(kw)
    return keywords, _phone_regexes(phones)


def _phone_regexes(phones: list[str]) -> list[str]:
    """Phone numbers with optional separators between digits, packed into few patterns."""
    patterns: list[str] = []
    current: list[str] = []
    for digits in phones:
        alt = _SEP.join(digits)
        candidate = "|".join([*current, alt])
        if len(candidate) <= MAX_REGEX_CHARS:
            current.append(alt)
            continue
        if current:
            patterns.append("|".join(current))
        if len(patterns) == MAX_REGEXES:
            return patterns
        current = [alt] if len(alt) <= MAX_REGEX_CHARS else []
    if current and len(patterns) < MAX_REGEXES:
        patterns.append("|".join(current))
    return patterns


def rule_payload(
    keywords: list[str], regexes: list[str], alert_channel: str | None
) -> dict[str, object]:
    """The body of a create-rule call: block the message, alert the moderators' channel."""
    actions: list[dict[str, object]] = [
        {"type": 1, "metadata": {"custom_message": BLOCK_MESSAGE}}  # BLOCK_MESSAGE
    ]
    if alert_channel:
        actions.append({"type": 2, "metadata": {"channel_id": alert_channel}})  # SEND_ALERT
    return {
        "name": RULE_NAME,
        "event_type": 1,  # MESSAGE_SEND
        "trigger_type": 1,  # KEYWORD
        "trigger_metadata": {"keyword_filter": keywords, "regex_patterns": regexes},
        "actions": actions,
        "enabled": True,
    }


class AutoModSync:
    """Keeps each server's rule in step with its confirmed cases, for one adapter."""

    def __init__(self, adapter: DiscordAdapter, *, delay: float = 2.0) -> None:
        self.adapter = adapter
        self.delay = delay  # debounce: a burst of confirmations makes one update
        self.pending: set[str] = set()
        self.refused: set[str] = set()  # servers without Manage Server (logged once each)

    async def run(self) -> None:
        """Sync every server once, then again whenever one of its cases changes (debounced)."""
        subscribe = getattr(self.adapter.engine, "subscribe", None)
        unsubscribe = getattr(self.adapter.engine, "unsubscribe", None)
        queue: asyncio.Queue[dict[str, Any]] | None = subscribe() if subscribe else None
        try:
            self.pending.update(str(g.id) for g in self.adapter.client.guilds)
            while True:
                if self.pending:
                    await asyncio.sleep(self.delay)
                    pending, self.pending = self.pending, set()
                    for guild in sorted(pending):
                        try:
                            await self.sync(guild)
                        except Exception:
                            _log.exception("AutoMod sync failed for server %s", guild)
                if queue is None:
                    return
                event = await queue.get()
                if event.get("type") == "case" and event.get("platform") == PLATFORM:
                    self.pending.add(str(event.get("community_id")))
        finally:
            if queue is not None and unsubscribe is not None:
                unsubscribe(queue)

    async def sync(self, guild_id: str) -> bool:
        """Make the server's AutoMod rule hold its confirmed contacts. True when it changed."""
        client = self.adapter.http_client()
        cases = await self.adapter.engine.review.list_cases(
            CaseFilter(
                statuses=(CaseStatus.CONFIRMED,),
                platform=PLATFORM,
                communities=[(PLATFORM, guild_id)],
                limit=5000,
            )
        )
        cases.sort(key=lambda c: c.updated_at, reverse=True)  # newest first: they win the limits
        indicators = [
            (str(e.get("kind")), str(e.get("value")))
            for c in cases
            for e in c.entities
            if e.get("kind") in INDICATOR_KINDS and e.get("value")
        ]
        keywords, regexes = automod_terms(indicators)
        try:
            rules = await client.http.get_auto_moderation_rules(int(guild_id))
            me = str(client.user.id) if client.user else ""
            ours = next(
                (r for r in rules if r.get("name") == RULE_NAME and r.get("creator_id") == me),
                None,
            )
            metadata = {"keyword_filter": keywords, "regex_patterns": regexes}
            reason = "channelwatch: contacts confirmed by moderators"
            if ours is None:
                if not keywords and not regexes:
                    return False
                alert = await self.adapter.engine.settings.get(PLATFORM, guild_id, MODCHANNEL_KEY)
                payload = rule_payload(keywords, regexes, alert)
                await client.http.create_auto_moderation_rule(
                    int(guild_id), reason=reason, **payload
                )
                return True
            current: Any = ours.get("trigger_metadata") or {}
            if (
                current.get("keyword_filter", []) == keywords
                and current.get("regex_patterns", []) == regexes
            ):
                return False
            await client.http.edit_auto_moderation_rule(
                int(guild_id), int(ours["id"]), reason=reason, trigger_metadata=metadata
            )
            return True
        except discord.Forbidden:
            if guild_id not in self.refused:
                self.refused.add(guild_id)
                _log.warning(
                    "AutoMod sync is on but server %s did not give channelwatch Manage Server; "
                    "confirmed contacts are not blocked by AutoMod there",
                    guild_id,
                )
            return False
