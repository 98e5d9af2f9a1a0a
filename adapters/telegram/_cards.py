"""The moderators' review card: its text, its buttons and the callback data behind them.

Callback data is only a hint of intent (``cw1:<action>:<case_id>``): Telegram lets any client
send any data string with a button press, so the adapter never trusts it. It looks the case up,
checks the press came from that case's own card in the linked moderators' chat, and checks the
presser is an admin of the case's group, before anything changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from core import CaseCard

from ._texts import Texts

__all__ = [
    "ACTIONS",
    "CardLocation",
    "message_url",
    "parse_callback",
    "render_card",
    "split_text",
]

_PREFIX = "cw1"
ACTIONS = {"c": "confirm", "d": "dismiss", "b": "ban"}
_MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units
_MAX_QUOTED = 2500  # of the original message on a card, leaving room for the rest
_OPEN = ("open", "claimed")


@dataclass(frozen=True, slots=True)
class CardLocation:
    """Where a case's card was posted; stored as a setting so a restart can still edit it."""

    chat_id: int
    message_id: int

    def encode(self) -> str:
        return f"{self.chat_id}:{self.message_id}"

    @classmethod
    def decode(cls, value: str | None) -> CardLocation | None:
        if not value:
            return None
        chat, _, message = value.partition(":")
        try:
            return cls(int(chat), int(message))
        except ValueError:
            return None


def callback_data(action: str, case_id: str) -> str:
    data = f"{_PREFIX}:{action}:{case_id}"
    if len(data.encode()) > 64:  # Telegram's limit for callback_data
        raise ValueError(f"case id too long for a Telegram button: {case_id!r}")
    return data


def parse_callback(data: str | None) -> tuple[str, str] | None:
    """``("dismiss", case_id)`` for well-formed data, None for anything else."""
    if not data:
        return None
    parts = data.split(":", 2)
    if len(parts) != 3 or parts[0] != _PREFIX or parts[1] not in ACTIONS or not parts[2]:
        return None
    return ACTIONS[parts[1]], parts[2]


def message_url(chat_id: int, message_id: int, username: str | None) -> str | None:
    """A t.me link to a group message: public groups by username, private supergroups by id.

    Basic (non-super) groups have no message links at all.
    """
    if username:
        return f"https://t.me/{username}/{message_id}"
    text = str(chat_id)
    if text.startswith("-100"):
        return f"https://t.me/c/{text[4:]}/{message_id}"
    return None


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = _MAX_MESSAGE) -> list[str]:
    """Split ``text`` into chunks Telegram accepts, preferring line breaks."""
    chunks: list[str] = []
    rest = text
    while _utf16(rest) > limit:
        cut = limit // 2  # UTF-16 worst case: two units per code point
        while cut < len(rest) and _utf16(rest[: cut + 1]) <= limit:
            cut += 1
        newline = rest.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline + 1
        chunks.append(rest[:cut])
        rest = rest[cut:]
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def _quote(text: str) -> str:
    if len(text) > _MAX_QUOTED:
        return text[:_MAX_QUOTED] + f"… (+{len(text) - _MAX_QUOTED} characters)"
    return text


def render_card(
    card: CaseCard, texts: Texts, lang: str | None, *, group_title: str, url: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card's plain text (no parse mode: the quoted message needs no escaping) and buttons."""
    t = texts.get
    priority_key = f"card_priority_{card.priority}"
    lines = [
        t(lang, "card_title", case_id=card.case_id),
        t(
            lang,
            priority_key
            if card.priority in ("urgent", "high", "normal")
            else "card_priority_normal",
        ),
        t(lang, "card_group", group=group_title),
        t(lang, "card_author", author=card.author_name or "?", author_id=card.author_id),
        t(lang, "card_verdict", label=card.label, score=f"{card.score:.2f}", lang=card.lang),
    ]
    if card.reasons:
        lines.append(t(lang, "card_reasons"))
        lines.extend(f"• {r.text or r.signal}" for r in card.reasons[:8])
    if card.entities:
        lines.append(t(lang, "card_entities"))
        lines.extend(f"• {e.kind}: {e.value}" for e in card.entities[:12])
    status = card.status if card.status in ("open", "claimed", "confirmed", "dismissed") else "open"
    lines.append(t(lang, f"card_status_{status}"))
    decided_by = card.extra.get("decided_by") if card.extra else None
    if decided_by and status not in _OPEN:
        lines.append(t(lang, "card_decided_by", moderator=decided_by))
    lines.append("")
    lines.append(t(lang, "card_message"))
    lines.append(_quote(card.text))
    text = "\n".join(lines)
    if _utf16(text) > _MAX_MESSAGE:
        text = split_text(text)[0]

    rows: list[list[InlineKeyboardButton]] = []
    if status in _OPEN:
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "button_confirm"), callback_data=callback_data("c", card.case_id)
                ),
                InlineKeyboardButton(
                    t(lang, "button_dismiss"), callback_data=callback_data("d", card.case_id)
                ),
            ]
        )
        rows.append(
            [
                InlineKeyboardButton(
                    t(lang, "button_ban"), callback_data=callback_data("b", card.case_id)
                )
            ]
        )
    if url:
        rows.append([InlineKeyboardButton(t(lang, "button_open"), url=url)])
    return text, InlineKeyboardMarkup(rows) if rows else None
