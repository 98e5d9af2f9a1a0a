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

from collections.abc import Iterable

import phonenumbers

__all__ = [
    "BLOCK_MESSAGE",
    "MAX_KEYWORDS",
    "RULE_NAME",
    "automod_terms",
    "rule_payload",
]

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
