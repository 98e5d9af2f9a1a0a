"""The engine's surface as adapters, the dashboard and the CLI see it.

These protocols are the contract between ``core`` and everything built on it. ``core._engine``
implements :class:`EngineAPI`, ``core._review`` :class:`ReviewAPI`, ``core._store`` a
:class:`Store` on SQLite. Records are plain frozen dataclasses so they cross layers unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from core._model import IncomingEvent, MessageRef, Moderator
from core._verdict import Verdict

__all__ = [
    "ActionRecord",
    "AuditRow",
    "Case",
    "CaseFilter",
    "CaseStatus",
    "CommunityStatus",
    "Decision",
    "EngineAPI",
    "ReviewAPI",
    "SettingsAPI",
]


class CaseStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    CONFIRMED = "confirmed"  # resolved: it was an offer
    DISMISSED = "dismissed"  # resolved: a false positive, the message was restored


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine did with one :class:`IncomingEvent`."""

    ref: MessageRef
    verdict: Verdict | None  # None when the event was skipped before detection (exempt, bot)
    actions: tuple[str, ...]  # the merged effects recorded, e.g. ("hide", "notice", "escalate")
    duplicate: bool = False  # this (ref, revision) had been processed already: nothing done
    case_id: str | None = None
    shadow: bool = False  # evaluated and recorded only


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """One row of the outbox: an effect the engine decided, and how carrying it out went."""

    id: str
    ref: MessageRef
    action: str  # hide / notice / redirect_private / statement / escalate / timeout / ban / restore
    status: str  # pending / done / failed / skipped (shadow, unsupported) / fallback
    attempts: int
    last_error: str | None
    created_at: datetime
    done_at: datetime | None
    payload: dict[str, Any] = field(default_factory=dict)  # e.g. {"lang": "ar"}, never tokens


@dataclass(frozen=True, slots=True)
class Case:
    """An escalation for human review."""

    id: str
    ref: MessageRef
    author_id: str
    author_name: str
    text: str | None  # None once evidence was purged by retention
    normalised: str | None
    lang: str
    label: str
    score: float
    priority: str  # urgent / high / normal
    status: CaseStatus
    rule: str  # the rule that escalated it: per-rule precision comes from decisions on cases
    reasons: tuple[dict[str, Any], ...]
    entities: tuple[dict[str, Any], ...]
    created_at: datetime
    updated_at: datetime
    claimed_by: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    notes: tuple[dict[str, Any], ...] = ()  # {"by", "at", "text"}


@dataclass(frozen=True, slots=True)
class CaseFilter:
    statuses: Sequence[CaseStatus] = (CaseStatus.OPEN, CaseStatus.CLAIMED)
    platform: str | None = None
    communities: Sequence[tuple[str, str]] | None = None  # (platform, community); None = all
    lang: str | None = None
    label: str | None = None
    author_id: str | None = None
    limit: int = 200


@dataclass(frozen=True, slots=True)
class AuditRow:
    seq: int
    at: datetime
    actor: str  # "engine", "dashboard:alice", "telegram:12345"...
    kind: str  # "decision", "action", "case.claim", "case.confirm", "export", "purge"...
    subject: str  # the case or message it concerns
    detail: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class CommunityStatus:
    """What ``/status`` commands show: the policy in force and the last 24 h counts."""

    platform: str
    community_id: str
    shadow: bool
    rules: tuple[str, ...]  # one line per enabled rule: "offer-hide: offer >= 0.6 -> hide, ..."
    counts_24h: dict[str, int]  # messages, offers, seeking, hidden, notices, cases_open...


class ReviewAPI(Protocol):
    """The case lifecycle: open -> claimed -> confirmed | dismissed; an appeal reopens.

    Every transition is audited and reaches the platform through its adapter (a dismissal
    restores the message; a confirmation with ``ban`` bans the author).
    """

    async def get_case(self, case_id: str) -> Case | None: ...

    async def list_cases(self, flt: CaseFilter) -> list[Case]: ...

    async def claim(self, case_id: str, moderator: Moderator) -> Case: ...

    async def confirm(
        self, case_id: str, moderator: Moderator, *, ban: bool = False, note: str | None = None
    ) -> Case: ...

    async def dismiss(
        self, case_id: str, moderator: Moderator, *, note: str | None = None
    ) -> Case: ...

    async def add_note(self, case_id: str, moderator: Moderator, text: str) -> Case: ...

    async def appeal(self, case_id: str, text: str) -> Case: ...

    async def case_actions(self, case_id: str) -> list[ActionRecord]: ...


class SettingsAPI(Protocol):
    """Small per-community settings adapters keep (the linked moderators' chat, a mod channel)."""

    async def get(self, platform: str, community_id: str, key: str) -> str | None: ...

    async def set(self, platform: str, community_id: str, key: str, value: str | None) -> None: ...

    async def find(self, platform: str, key: str, value: str) -> list[str]:
        """Communities of ``platform`` whose ``key`` equals ``value`` (a mod chat -> its groups)."""
        ...


class EngineAPI(Protocol):
    # Read-only properties, so an implementation may hold richer concrete types.
    @property
    def review(self) -> ReviewAPI: ...

    @property
    def settings(self) -> SettingsAPI: ...

    async def submit(self, event: IncomingEvent) -> Decision:
        """Decide on one event, persist the decision and its effects, then dispatch them.

        Idempotent per ``(event.ref, event.revision)``: a redelivery returns a ``duplicate``
        decision and records nothing.
        """
        ...

    async def status(self, platform: str, community_id: str) -> CommunityStatus: ...
