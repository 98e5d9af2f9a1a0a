"""The platform-neutral model that adapters build and the engine consumes.

Adapters translate a platform's update (a Telegram ``Update``, a Discord ``MESSAGE_CREATE``, a
webhook POST, a playground message) into an :class:`IncomingEvent`. Nothing in ``core`` imports
a platform library; everything platform-specific stays in ``adapters``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["Author", "IncomingEvent", "MessageRef", "Moderator"]


@dataclass(frozen=True, slots=True)
class MessageRef:
    """Where a message lives: enough for an adapter to delete, restore or link to it."""

    platform: str  # "telegram", "discord", "webhook", "playground", "replay"
    community_id: str  # Telegram chat id, Discord guild id, playground "local"...
    channel_id: str  # Telegram chat id (again), Discord channel or thread id, playground room
    message_id: str


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a message, as far as the platform tells us."""

    id: str
    display_name: str = ""
    is_moderator: bool = False  # admin/moderator of the community: exempt by default
    is_bot: bool = False
    account_age_days: float | None = None  # None when the platform does not say
    roles: tuple[str, ...] = ()  # role/tag ids, for per-community exempt roles


@dataclass(frozen=True, slots=True)
class IncomingEvent:
    """One message (or one edit of it) seen on a platform.

    ``revision`` identifies this version of the message: platforms redeliver, and the engine
    processes each ``(ref, revision)`` once. Adapters use the edit timestamp or edit counter for
    edits and ``"0"`` for the original post.
    """

    ref: MessageRef
    author: Author
    text: str  # message text or media caption; may be empty, huge or hostile
    timestamp: datetime = field(default_factory=lambda: datetime.now(UTC))
    links: tuple[str, ...] = ()  # URLs the platform exposes separately (entities, embeds, buttons)
    reply_to: str | None = None  # message id this one replies to
    edited: bool = False
    revision: str = "0"
    lang_hint: str | None = None  # the author's client language when the platform tells it
    forwarded_from: str | None = None  # the origin of a forwarded post, when known

    @property
    def platform(self) -> str:
        return self.ref.platform

    @property
    def community_id(self) -> str:
        return self.ref.community_id

    @property
    def channel_id(self) -> str:
        return self.ref.channel_id

    @property
    def message_id(self) -> str:
        return self.ref.message_id


@dataclass(frozen=True, slots=True)
class Moderator:
    """A person taking a review decision: through a platform button or the dashboard."""

    via: str  # "telegram", "discord", "dashboard", "cli"...
    user_id: str
    name: str = ""
