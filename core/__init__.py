"""channelwatch's core: normalisation, detection, the rule engine, storage and review.

Nothing here imports a platform library. Adapters build :class:`IncomingEvent` values, the engine
decides and records effects, and actions go back out through an :class:`Adapter`.
"""

from core._adapter import (
    ActionError,
    Adapter,
    Capability,
    CaseCard,
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
from core._audit import AuditLog, verify_chain
from core._detect import Detector
from core._engine import Engine
from core._model import Author, IncomingEvent, MessageRef, Moderator
from core._normalise import Normalised, normalise
from core._outbox import RetryPolicy
from core._policy import CommunityPolicy, Policy, PolicyError
from core._redirect import RedirectTexts
from core._review import CaseNotFound, InvalidTransition, ReviewError
from core._store import SQLiteStore, Store
from core._verdict import Entity, Label, Reason, Verdict

__all__ = [
    "ActionError",
    "ActionRecord",
    "Adapter",
    "AuditLog",
    "AuditRow",
    "Author",
    "Capability",
    "Case",
    "CaseCard",
    "CaseFilter",
    "CaseNotFound",
    "CaseStatus",
    "CommunityPolicy",
    "CommunityStatus",
    "Decision",
    "Detector",
    "Engine",
    "EngineAPI",
    "Entity",
    "IncomingEvent",
    "InvalidTransition",
    "Label",
    "MessageRef",
    "Moderator",
    "Normalised",
    "PermanentActionError",
    "Policy",
    "PolicyError",
    "Reason",
    "RecipientUnreachable",
    "RedirectTexts",
    "RetryPolicy",
    "RetryableActionError",
    "ReviewAPI",
    "ReviewError",
    "SQLiteStore",
    "SettingsAPI",
    "Store",
    "Verdict",
    "normalise",
    "verify_chain",
]
