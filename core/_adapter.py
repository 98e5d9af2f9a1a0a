"""The contract between the engine and a platform adapter.

The engine decides; an adapter carries the decision out on its platform. An adapter declares the
:class:`Capability` values it supports and the engine degrades gracefully: a platform that cannot
send private messages gets an in-channel notice instead, one that cannot ban gets an escalation.

Errors tell the engine's outbox what to do next:

* :class:`RetryableActionError` (a 429, a 5xx, a timeout): retried with backoff, honouring
  ``retry_after`` when the platform gave one;
* :class:`RecipientUnreachable` (a DM refused: the user never started the bot, DMs closed):
  the engine falls back to a channel notice, once;
* :class:`PermanentActionError` (the message is already gone, the bot lacks a right): recorded
  as failed with its reason and never retried;
* any other exception is treated as retryable, so a bug never silently drops an action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from core._model import MessageRef

if TYPE_CHECKING:
    from core._verdict import Entity, Reason

__all__ = [
    "ActionError",
    "Adapter",
    "Capability",
    "CaseCard",
    "PermanentActionError",
    "RecipientUnreachable",
    "RetryableActionError",
]


class Capability(StrEnum):
    HIDE = "hide"
    NOTICE = "notice"
    PRIVATE_MESSAGE = "private_message"
    TIMEOUT = "timeout"
    BAN = "ban"
    RESTORE = "restore"
    ESCALATE = "escalate"


class ActionError(Exception):
    """Base class of the errors an adapter raises from an action."""


class RetryableActionError(ActionError):
    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentActionError(ActionError):
    pass


class RecipientUnreachable(ActionError):
    """A private message could not be delivered; the engine posts in the channel instead."""


@dataclass(frozen=True, slots=True)
class CaseCard:
    """What a moderators' review card shows. Built by the engine, rendered by the adapter."""

    case_id: str
    ref: MessageRef
    author_id: str
    author_name: str
    text: str  # the original message, unaltered; adapters must escape it for their markup
    lang: str
    label: str
    score: float
    priority: str  # "urgent" (imminent departure), "high", "normal"
    reasons: tuple[Reason, ...] = ()
    entities: tuple[Entity, ...] = ()
    status: str = "open"  # open / claimed / confirmed / dismissed
    created_at: datetime | None = None
    message_url: str | None = None  # a link back to the message's place, when the adapter knows
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Adapter(Protocol):
    """A platform adapter, as the engine sees it.

    ``start`` connects to the platform and begins feeding :class:`~core.IncomingEvent` values to
    the engine it was given; ``stop`` disconnects, leaving pending actions in the outbox.
    Action methods must be safe to call again for the same target (the outbox retries after
    crashes): deleting an already-deleted message is success, not an error.
    """

    platform: str
    capabilities: frozenset[Capability]

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def hide(self, ref: MessageRef) -> None: ...

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None: ...

    async def send_private(self, community_id: str, user_id: str, text: str, *, lang: str) -> None:
        """Raise :class:`RecipientUnreachable` when the platform will not deliver it."""
        ...

    async def timeout(
        self, community_id: str, user_id: str, seconds: int, *, reason: str
    ) -> None: ...

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None: ...

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None:
        """Bring back a message a moderator dismissed, attributed to its author."""
        ...

    async def escalate(self, card: CaseCard) -> None:
        """Send (or, when a card for ``card.case_id`` exists, update) the moderators' card."""
        ...
