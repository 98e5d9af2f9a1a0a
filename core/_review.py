"""The review workflow: open -> claimed -> confirmed | dismissed; an appeal reopens.

Every transition is one store transaction that updates the case (with an optimistic version
check, so two moderators clicking at once cannot both win silently), appends its audit row and
queues what the platform must do:

* **confirm**: the message stays hidden (hidden now if it was not), the contact entities (phones,
  handles, links) become indicators for the community so reposts are caught, the normalised text
  goes on the block list, and with ``ban=True`` the author is banned;
* **dismiss**: the message is restored through its adapter (or a pending hide is cancelled), its
  text hash goes on the community allow list, and the rule's precision figures count the miss;
* **appeal**: the poster's appeal reopens a confirmed case for another look.

After each decision the moderators' card is updated through ``adapter.escalate``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from core._api import ActionRecord, Case, CaseFilter
from core._model import Moderator
from core._store import ActionRow, AuditEntry, CaseRow, WriteBatch

if TYPE_CHECKING:
    from core._engine import Engine

__all__ = ["CaseNotFound", "InvalidTransition", "Review", "ReviewError"]

_INDICATOR_KINDS = frozenset({"phone", "contact", "link"})
_MAX_NOTE = 4000


class ReviewError(ValueError):
    """A review step that cannot be taken; the message says why, for the moderator."""


class CaseNotFound(ReviewError, LookupError):
    pass


class InvalidTransition(ReviewError):
    pass


def _actor(moderator: Moderator) -> str:
    return f"{moderator.via}:{moderator.user_id}"


def _note(by: str, text: str, now: float) -> dict[str, Any]:
    return {"by": by, "at": now, "text": text[:_MAX_NOTE]}


def _decided(case: CaseRow, status: str, actor: str, note: str | None, now: float) -> CaseRow:
    """The case as a final decision leaves it: who decided, when, and the optional note."""
    notes = [*case.notes, _note(actor, note, now)] if note else case.notes
    return replace(
        case, status=status, decided_by=actor, decided_at=now, updated_at=now, notes=notes
    )


class Review:
    """:class:`core.ReviewAPI` for an :class:`~core.Engine`."""

    def __init__(self, engine: Engine) -> None:
        self._e = engine

    # -- queries ---------------------------------------------------------------------------

    async def get_case(self, case_id: str) -> Case | None:
        row = await self._e._run(self._e.store.get_case, case_id)
        return None if row is None else row.to_case()

    async def list_cases(self, flt: CaseFilter) -> list[Case]:
        rows = await self._e._run(self._e.store.list_cases, flt)
        return [r.to_case() for r in rows]

    async def case_actions(self, case_id: str) -> list[ActionRecord]:
        rows = await self._e._run(self._e.store.actions_for_case, case_id)
        return [r.to_record() for r in rows]

    # -- transitions -----------------------------------------------------------------------

    async def claim(self, case_id: str, moderator: Moderator) -> Case:
        actor = _actor(moderator)

        def step(case: CaseRow, batch: WriteBatch, now: float) -> CaseRow | None:
            if case.status == "claimed" and case.claimed_by == actor:
                return None  # claiming twice is harmless
            if case.status == "claimed":
                raise InvalidTransition(f"case {case.id} is already claimed by {case.claimed_by}")
            if case.status != "open":
                raise InvalidTransition(
                    f"case {case.id} is {case.status}; only open cases can be claimed"
                )
            batch.audit.append(AuditEntry(actor, "case.claim", case.id, {"by": actor}))
            return replace(case, status="claimed", claimed_by=actor, updated_at=now)

        return await self._transition(case_id, step, card=True)

    async def confirm(
        self, case_id: str, moderator: Moderator, *, ban: bool = False, note: str | None = None
    ) -> Case:
        actor = _actor(moderator)

        def step(case: CaseRow, batch: WriteBatch, now: float) -> CaseRow | None:
            if case.status not in ("open", "claimed"):
                raise InvalidTransition(
                    f"case {case.id} is {case.status}; only open or claimed cases can be confirmed"
                )
            if ban and not case.author_id:
                raise InvalidTransition(
                    f"case {case.id}: the author is unknown (evidence purged); cannot ban"
                )
            ref = case.ref
            p, c = ref.platform, ref.community_id
            indicators = sorted(
                {
                    str(e["value"])
                    for e in case.entities
                    if e.get("kind") in _INDICATOR_KINDS and e.get("value")
                }
            )
            for value in indicators:
                batch.list_adds.append((p, c, "indicator", value, actor))
            if case.norm_hash:
                batch.list_adds.append((p, c, "block", case.norm_hash, actor))
            # The message stays hidden: hide it now if no hide was ever recorded (escalate-only
            # rules, quota fallbacks). The dedupe key makes this a no-op when it was.
            batch.actions.append(self._action(case, "hide", f"hide|{_rkey(case)}", {}, now))
            if ban:
                batch.actions.append(
                    self._action(
                        case,
                        "ban",
                        f"ban|{p}|{c}|{case.author_id}",
                        {"user_id": case.author_id, "reason": f"channelwatch case {case.id}"},
                        now,
                    )
                )
            batch.audit.append(
                AuditEntry(
                    actor,
                    "case.confirm",
                    case.id,
                    {
                        "by": actor,
                        "ban": ban,
                        "indicators": len(indicators),
                        "note_sha256": _hash(note),
                    },
                )
            )
            return _decided(case, "confirmed", actor, note, now)

        result = await self._transition(case_id, step, card=True)
        row = await self._e._run(self._e.store.get_case, case_id)
        if row is not None:
            for e in row.entities:
                if e.get("kind") in _INDICATOR_KINDS and e.get("value"):
                    self._e._list_added(
                        row.ref.platform, row.ref.community_id, "indicator", str(e["value"])
                    )
            if row.norm_hash:
                self._e._list_added(row.ref.platform, row.ref.community_id, "block", row.norm_hash)
        return result

    async def dismiss(self, case_id: str, moderator: Moderator, *, note: str | None = None) -> Case:
        actor = _actor(moderator)
        case = await self._e._run(self._e.store.get_case, case_id)
        if case is None:
            raise CaseNotFound(f"no case {case_id}")
        # A hide still waiting in the outbox is cancelled rather than done-then-undone; one in
        # flight is allowed to finish, and then restored.
        hides = [
            a
            for a in await self._e._run(self._e.store.actions_for_message, case.ref)
            if a.action == "hide"
        ]
        cancelled: set[str] = set()
        for a in hides:
            if a.status == "pending":
                if await self._e.outbox.cancel(a.id):
                    cancelled.add(a.id)
        hides = [
            a
            for a in await self._e._run(self._e.store.actions_for_message, case.ref)
            if a.action == "hide"
        ]

        def step(case: CaseRow, batch: WriteBatch, now: float) -> CaseRow | None:
            if case.status not in ("open", "claimed"):
                raise InvalidTransition(
                    f"case {case.id} is {case.status}; only open or claimed cases can be dismissed"
                )
            ref = case.ref
            hidden = False
            for a in hides:
                if a.id in cancelled:
                    batch.action_updates.append(
                        (
                            a.id,
                            {
                                "status": "skipped",
                                "last_error": "cancelled: case dismissed",
                                "done_at": now,
                            },
                        )
                    )
                elif a.status in ("done", "pending"):
                    hidden = True
            batch.free_dedupe_keys.append(f"hide|{_rkey(case)}")
            if hidden:
                batch.actions.append(
                    self._action(
                        case,
                        "restore",
                        f"restore|{case.id}|v{case.version + 1}",
                        {
                            "author_name": case.author_name,
                            "text": case.text or "",
                            "lang": case.lang,
                        },
                        now,
                    )
                )
            if case.norm_hash:
                batch.list_adds.append(
                    (ref.platform, ref.community_id, "allow", case.norm_hash, actor)
                )
            batch.audit.append(
                AuditEntry(
                    actor,
                    "case.dismiss",
                    case.id,
                    {"by": actor, "restore": hidden, "rule": case.rule, "note_sha256": _hash(note)},
                )
            )
            return _decided(case, "dismissed", actor, note, now)

        result = await self._transition(case_id, step, card=True)
        row = await self._e._run(self._e.store.get_case, case_id)
        if row is not None and row.norm_hash:
            self._e._list_added(row.ref.platform, row.ref.community_id, "allow", row.norm_hash)
        return result

    async def add_note(self, case_id: str, moderator: Moderator, text: str) -> Case:
        actor = _actor(moderator)
        if not text.strip():
            raise ReviewError("an empty note")

        def step(case: CaseRow, batch: WriteBatch, now: float) -> CaseRow | None:
            batch.audit.append(
                AuditEntry(actor, "case.note", case.id, {"by": actor, "note_sha256": _hash(text)})
            )
            return replace(case, notes=[*case.notes, _note(actor, text, now)], updated_at=now)

        return await self._transition(case_id, step, card=False)

    async def appeal(self, case_id: str, text: str) -> Case:
        """The poster appeals: a confirmed case reopens; an open one gets the appeal as a note."""

        def step(case: CaseRow, batch: WriteBatch, now: float) -> CaseRow | None:
            if case.status == "dismissed":
                raise InvalidTransition(
                    f"case {case.id} was dismissed and the message restored: nothing to appeal"
                )
            notes = [*case.notes, _note("poster", f"appeal: {text}", now)]
            reopened = case.status == "confirmed"
            batch.audit.append(
                AuditEntry(
                    "poster",
                    "case.appeal",
                    case.id,
                    {"reopened": reopened, "text_sha256": _hash(text)},
                )
            )
            if reopened:
                return replace(
                    case,
                    status="open",
                    claimed_by=None,
                    decided_by=None,
                    decided_at=None,
                    notes=notes,
                    updated_at=now,
                )
            return replace(case, notes=notes, updated_at=now)

        return await self._transition(case_id, step, card=True)

    # -- machinery -------------------------------------------------------------------------

    def _action(
        self, case: CaseRow, action: str, key: str, payload: dict[str, Any], now: float
    ) -> ActionRow:
        return ActionRow(
            id="a" + secrets.token_hex(6),
            ref=case.ref,
            action=action,
            status="pending",
            dedupe_key=key,
            created_at=now,
            payload=payload,
            case_id=case.id,
            event_id=case.event_id,
            rule=case.rule,
        )

    async def _transition(
        self,
        case_id: str,
        step: Callable[[CaseRow, WriteBatch, float], CaseRow | None],
        *,
        card: bool,
    ) -> Case:
        e = self._e
        for _ in range(5):
            case = await e._run(e.store.get_case, case_id)
            if case is None:
                raise CaseNotFound(f"no case {case_id}")
            now = time.time()
            batch = WriteBatch()
            new = step(case, batch, now)
            if new is None:
                return case.to_case()
            new = replace(new, version=case.version + 1)
            batch.case, batch.case_replace, batch.case_expect_version = new, True, case.version
            if card:
                batch.actions.append(
                    self._action(
                        new,
                        "escalate",
                        f"escalate|{new.id}|v{new.version}",
                        {
                            "case_id": new.id,
                            "version": new.version,
                            "priority": new.priority,
                            "status": new.status,
                        },
                        now,
                    )
                )
            result = await e.commit(batch)
            if result.stale:
                continue  # someone else changed the case meanwhile: look again
            e._publish(
                {
                    "type": "case",
                    "case_id": new.id,
                    "status": new.status,
                    "event": "review",
                    "platform": new.ref.platform,
                    "community_id": new.ref.community_id,
                }
            )
            e.outbox.enqueue(result.inserted)
            return new.to_case()
        raise ReviewError(f"case {case_id} keeps changing; try again")


def _rkey(case: CaseRow) -> str:
    r = case.ref
    return "\x1f".join((r.platform, r.community_id, r.channel_id, r.message_id))


def _hash(text: str | None) -> str | None:
    return None if not text else hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
