"""The review workflow: claim, confirm (indicators, block list, ban), dismiss (restore, allow
list), notes, appeals, card updates, audit rows and per-rule precision."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core import CaseFilter, CaseNotFound, CaseStatus, InvalidTransition, Moderator
from tests.core._engine_fixtures import (
    OFFER,
    OFFER_2,
    PHONE_CONFIRMED,
    event,
    policy,
    running_engine,
)

ALICE = Moderator("dashboard", "alice", "Alice")
BOB = Moderator("telegram", "42", "Bob")


async def test_claim_then_confirm_with_ban(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        d = await engine.submit(event(OFFER, author="smuggler"))
        case_id = d.case_id or ""
        claimed = await engine.review.claim(case_id, ALICE)
        assert claimed.status is CaseStatus.CLAIMED and claimed.claimed_by == "dashboard:alice"
        assert (await engine.review.claim(case_id, ALICE)).status is CaseStatus.CLAIMED  # again: ok
        with pytest.raises(InvalidTransition, match="already claimed"):
            await engine.review.claim(case_id, BOB)
        done = await engine.review.confirm(case_id, ALICE, ban=True, note="known seller")
        assert done.status is CaseStatus.CONFIRMED and done.decided_by == "dashboard:alice"
        assert done.notes[-1]["text"] == "known seller"
        await engine.wait_idle()
        (ban,) = adapter.of("ban")
        assert ban.args["user_id"] == "smuggler"
        assert len(adapter.of("hide")) == 1  # stays hidden, not hidden twice
        assert adapter.cards[case_id].status == "confirmed"  # the card was updated
        kinds = [r.kind for r in engine.store.audit_rows()]
        assert kinds.count("case.claim") == 1 and "case.confirm" in kinds
        actions = await engine.review.case_actions(case_id)
        assert {a.action for a in actions} >= {"hide", "ban", "escalate"}
        with pytest.raises(InvalidTransition):
            await engine.review.dismiss(case_id, BOB)


async def test_confirmed_contacts_become_indicators_and_reposts_are_caught(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _adapter):
        d = await engine.submit(event(OFFER))
        await engine.review.confirm(d.case_id or "", ALICE)
        assert PHONE_CONFIRMED in engine.store.list_values("test", "c1", "indicator")
        # A harmless-looking message carrying the confirmed phone number is hidden and escalated.
        contact = await engine.submit(event("ok call me +44 7700 900123 for details", msg="2"))
        assert contact.verdict is not None and str(contact.verdict.label) == "none"
        assert contact.actions == ("hide", "escalate")
        # The very same text reposted (a copy-paste wave) is caught by the block list.
        repost = await engine.submit(event(OFFER, msg="3"))
        assert "hide" in repost.actions
        case = await engine.review.get_case(repost.case_id or "")
        assert case is not None and case.rule in ("offer", "repost")
        # Indicators are per community.
        other = await engine.submit(event("ok call me +44 7700 900123", msg="4", community="c2"))
        assert other.actions == ()


async def test_dismiss_restores_and_allow_lists(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        ev = event(OFFER, author="innocent")
        d = await engine.submit(ev)
        await engine.wait_idle()
        dismissed = await engine.review.dismiss(d.case_id or "", BOB, note="a charity's post")
        assert dismissed.status is CaseStatus.DISMISSED
        await engine.wait_idle()
        (restore,) = adapter.of("restore")
        assert restore.args["text"] == OFFER and restore.args["author_name"] == "name-innocent"
        assert ev.ref not in adapter.hidden and ev.ref in adapter.restored
        assert adapter.cards[d.case_id or ""].status == "dismissed"
        # The same text again is allowed in this community, not elsewhere.
        again = await engine.submit(event(OFFER, msg="2"))
        assert again.actions == ()
        elsewhere = await engine.submit(event(OFFER, msg="3", community="c2"))
        assert "hide" in elsewhere.actions
        precision = await engine.rule_precision()
        assert precision["offer"]["dismissed"] == 1 and precision["offer"]["precision"] == 0.0


async def test_dismiss_before_dispatch_cancels_the_hide(tmp_path: Path) -> None:
    async with running_engine(tmp_path, start=False) as (engine, adapter):
        ev = event(OFFER)
        d = await engine.submit(ev)
        await engine.review.dismiss(d.case_id or "", ALICE)
        await engine.start()
        await engine.wait_idle()
        assert not adapter.of("hide") and not adapter.of("restore")
        (hide,) = [r for r in engine.store.actions_for_message(ev.ref) if r.action == "hide"]
        assert hide.status == "skipped" and "dismissed" in (hide.last_error or "")


async def test_dismissed_message_edited_into_an_offer_is_reopened(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        d = await engine.submit(event(OFFER_2))
        await engine.wait_idle()
        await engine.review.dismiss(d.case_id or "", ALICE)
        await engine.wait_idle()
        edited = await engine.submit(event(OFFER, revision="e1", edited=True))
        assert edited.case_id == d.case_id and "hide" in edited.actions
        case = await engine.review.get_case(d.case_id or "")
        assert case is not None and case.status is CaseStatus.OPEN
        await engine.wait_idle()
        assert len(adapter.of("hide")) == 2  # hidden again after the restore


async def test_appeal_reopens_a_confirmed_case(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _adapter):
        d = await engine.submit(event(OFFER))
        case_id = d.case_id or ""
        await engine.review.confirm(case_id, ALICE)
        reopened = await engine.review.appeal(case_id, "I run a ferry company, this was an ad")
        assert reopened.status is CaseStatus.OPEN and reopened.decided_by is None
        assert reopened.notes[-1]["by"] == "poster"
        await engine.review.dismiss(case_id, BOB)
        with pytest.raises(InvalidTransition):
            await engine.review.appeal(case_id, "again")
        rows = engine.store.audit_rows()
        appeal = next(r for r in rows if r.kind == "case.appeal")
        assert "ferry" not in str(appeal.detail)  # audit rows reference hashes, not text


async def test_notes_and_listing(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _):
        a = await engine.submit(event(OFFER, msg="1"))
        b = await engine.submit(event(OFFER_2, msg="2", community="c2"))
        await engine.review.add_note(a.case_id or "", ALICE, "same phone as last week")
        with pytest.raises(ValueError):
            await engine.review.add_note(a.case_id or "", ALICE, "   ")
        case = await engine.review.get_case(a.case_id or "")
        assert case is not None and case.notes[-1]["by"] == "dashboard:alice"
        everything = await engine.review.list_cases(CaseFilter())
        assert {c.id for c in everything} == {a.case_id, b.case_id}
        only_c2 = await engine.review.list_cases(CaseFilter(communities=[("test", "c2")]))
        assert [c.id for c in only_c2] == [b.case_id]
        assert await engine.review.list_cases(CaseFilter(communities=[])) == []
        assert await engine.review.list_cases(CaseFilter(statuses=(CaseStatus.CONFIRMED,))) == []
        urgent_first = await engine.review.list_cases(CaseFilter())
        assert urgent_first[0].priority == "urgent"


async def test_unknown_case(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _):
        assert await engine.review.get_case("nope") is None
        with pytest.raises(CaseNotFound):
            await engine.review.confirm("nope", ALICE)
        with pytest.raises(LookupError):
            await engine.review.dismiss("nope", ALICE)


async def test_two_moderators_at_once_one_wins(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _adapter):
        d = await engine.submit(event(OFFER))
        results = await asyncio.gather(
            engine.review.confirm(d.case_id or "", ALICE),
            engine.review.dismiss(d.case_id or "", BOB),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], InvalidTransition)
        case = await engine.review.get_case(d.case_id or "")
        assert case is not None and case.status in (CaseStatus.CONFIRMED, CaseStatus.DISMISSED)


async def test_confirm_hides_when_the_rule_only_escalated(tmp_path: Path) -> None:
    pol = policy([{"id": "watch", "when": {"label": "offer"}, "actions": ["escalate"]}])
    async with running_engine(tmp_path, policy=pol) as (engine, adapter):
        ev = event(OFFER)
        d = await engine.submit(ev)
        await engine.wait_idle()
        assert not adapter.of("hide")
        await engine.review.confirm(d.case_id or "", ALICE)
        await engine.wait_idle()
        assert adapter.hidden == {ev.ref}
