"""From a Telegram message to channelwatch's platform-neutral :class:`~core.IncomingEvent`.

Pure functions over PTB objects, so they are easy to reason about: no I/O happens here.
"""

from __future__ import annotations

import hashlib

from telegram import Message, MessageEntity, MessageOrigin
from telegram.constants import ChatType

from core import Author, IncomingEvent, MessageRef

from ._texts import lang_of

__all__ = [
    "GROUP_TYPES",
    "PLATFORM",
    "channel_id_of",
    "command_of",
    "event_from_message",
    "parse_channel_id",
]

PLATFORM = "telegram"
GROUP_TYPES = frozenset({ChatType.GROUP, ChatType.SUPERGROUP})
_LINK_TYPES: list[str | None] = [MessageEntity.URL, MessageEntity.TEXT_LINK]


def channel_id_of(message: Message) -> str:
    """The chat id, plus the forum topic when there is one: notices must land in that topic."""
    if message.is_topic_message and message.message_thread_id:
        return f"{message.chat.id}/{message.message_thread_id}"
    return str(message.chat.id)


def parse_channel_id(channel_id: str) -> tuple[int, int | None]:
    """``"-100123/45"`` -> ``(-100123, 45)``; ``"-100123"`` -> ``(-100123, None)``."""
    chat, _, thread = channel_id.partition("/")
    return int(chat), int(thread) if thread else None


def command_of(message: Message, bot_username: str) -> tuple[str, str] | None:
    """``("link", "ABC123")`` for ``/link@ourbot ABC123``; None for text or another bot's command.

    Telegram marks commands with a ``bot_command`` entity at offset 0; that is what clients
    highlight, so it is what we honour (a ``/`` in the middle of a sentence is not a command).
    """
    text = message.text or ""
    if not text.startswith("/") or not message.entities:
        return None
    first = message.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return None
    token = message.parse_entity(first)[1:]
    name, _, target = token.partition("@")
    if target and target.lower() != bot_username.lower():
        return None
    args = text[len(message.parse_entity(first)) :].strip()
    return name.lower(), args


def _links(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    for entity, value in message.parse_entities(_LINK_TYPES).items():
        found.append(entity.url if entity.type == MessageEntity.TEXT_LINK and entity.url else value)
    for entity, value in message.parse_caption_entities(_LINK_TYPES).items():
        found.append(entity.url if entity.type == MessageEntity.TEXT_LINK and entity.url else value)
    # Forwarded channel posts often carry their contact link on a URL button, not in the text.
    if message.reply_markup is not None:
        for row in message.reply_markup.inline_keyboard:
            found.extend(button.url for button in row if button.url)
    return tuple(dict.fromkeys(found))  # de-duplicated, in order


def _origin(origin: MessageOrigin | None) -> str | None:
    if origin is None:
        return None
    chat = getattr(origin, "chat", None) or getattr(origin, "sender_chat", None)
    if chat is not None:
        return f"@{chat.username}" if chat.username else f"chat:{chat.id}"
    user = getattr(origin, "sender_user", None)
    if user is not None:
        return f"@{user.username}" if user.username else f"user:{user.id}"
    name = getattr(origin, "sender_user_name", None)
    return f"hidden:{name}" if name else origin.type


def revision_of(message: Message, text: str) -> str:
    """``"0"`` for the original post; for an edit, its time plus a hash of its text.

    ``edit_date`` has one-second resolution, so two quick edits could share it; the text hash
    keeps them apart, while a true redelivery (same time, same text) maps to the same revision
    and is processed once.
    """
    if message.edit_date is None:
        return "0"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{int(message.edit_date.timestamp())}:{digest}"


def event_from_message(message: Message, *, is_moderator: bool) -> IncomingEvent:
    """Build the neutral event for a group message, its media caption, an edit or a forward."""
    text = message.text or message.caption or ""
    sender = message.from_user
    sender_chat = message.sender_chat
    if sender_chat is not None and sender is not None and sender.id in (777000, 1087968824):
        # Posts "on behalf of" a chat come with a placeholder user (Telegram's service account
        # or GroupAnonymousBot): the chat is the real author.
        sender = None
    if sender is not None:
        author = Author(
            id=str(sender.id),
            display_name=sender.full_name,
            is_moderator=is_moderator,
            is_bot=sender.is_bot,
        )
        lang_hint: str | None = lang_of(sender.language_code) if sender.language_code else None
    else:
        chat = sender_chat or message.chat
        author = Author(
            id=f"chat:{chat.id}",
            display_name=chat.title or chat.username or str(chat.id),
            is_moderator=is_moderator,
        )
        lang_hint = None
    edited = message.edit_date is not None
    return IncomingEvent(
        ref=MessageRef(
            platform=PLATFORM,
            community_id=str(message.chat.id),
            channel_id=channel_id_of(message),
            message_id=str(message.message_id),
        ),
        author=author,
        text=text,
        timestamp=message.edit_date or message.date,
        links=_links(message),
        reply_to=(str(message.reply_to_message.message_id) if message.reply_to_message else None),
        edited=edited,
        revision=revision_of(message, text),
        lang_hint=lang_hint,
        forwarded_from=_origin(message.forward_origin),
    )
