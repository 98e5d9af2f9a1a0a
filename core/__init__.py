"""channelwatch's core: normalisation, detection, the rule engine, storage and review.

Nothing here imports a platform library. Adapters build :class:`IncomingEvent` values, the engine
decides and records effects, and actions go back out through an :class:`Adapter`.
"""

from core._adapter import (
    ActionError,
    Adapter,
    CaseCard,
    Capability,
    PermanentActionError,
    RecipientUnreachable,
    RetryableActionError,
)
from core._api import (
    ActionRecord,
    AuditRow,
    Case,
    CaseFilter,
    CaseStatus,
    CommunityStatus,
    Decision,
    EngineAPI,
    ReviewAPI,
    SettingsAPI,
)
from core._model import Author, IncomingEvent, MessageRef, Moderator
from core._verdict import Entity, Label, Reason, Verdict

__all__ = [
    "ActionError",
    "ActionRecord",
    "Adapter",
    "AuditRow",
    "Author",
    "Case",
    "CaseCard",
    "CaseFilter",
    "CaseStatus",
    "Capability",
    "CommunityStatus",
    "Decision",
    "EngineAPI",
    "Entity",
    "IncomingEvent",
    "Label",
    "MessageRef",
    "Moderator",
    "PermanentActionError",
    "Reason",
    "RecipientUnreachable",
    "RetryableActionError",
    "ReviewAPI",
    "SettingsAPI",
    "Verdict",
]
