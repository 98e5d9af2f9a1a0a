"""Each adapter action against the fake, and how Bot API failures reach the outbox."""

from __future__ import annotations

import time

import pytest

from core import (
    CaseCard,
    MessageRef,
    PermanentActionError,
    RecipientUnreachable,
    RetryableActionError,
)

from .conftest import ADMIN, GROUP, MEMBER, MODS, POSTER, SEEKER, Harness

NOT_LINKED = -1007777777777


def _ref(message_id: int, group: int = GROUP) -> MessageRef:
    return MessageRef("telegram", str(group), str(group), str(message_id))


def _card(ref: MessageRef, status: str = "open") -> CaseCard:
    return CaseCard(
        case_id="c_test1",
        ref=ref,
        author_id=str(POSTER),
        author_name="Seller <b>&amp;</b>",
        text="<i>offer</i> with *markup* _chars_ [x](y)",
        lang="en",
        label="offer",
        score=0.93,
        priority="high",
        status=status,
        extra={"decided_by": "telegram:1001" if status != "open" else None},
    )


async def test_hide_deletes_and_an_already_deleted_message_is_success(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    msg = fake.post_message(GROUP, MEMBER, "just a message")
    await fake.settle()
    await adapter.hide(_ref(msg["message_id"]))
    assert (GROUP, msg["message_id"]) in fake.deleted
    await adapter.hide(_ref(msg["message_id"]))  # the outbox retried after a crash: still fine
    assert [c.status for c in fake.calls_of("deleteMessage")] == [200, 400]


async def test_hide_without_the_right_is_permanent(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    fake.add_group(NOT_LINKED, "No rights", bot_admin=False)
    fake.set_member(NOT_LINKED, MEMBER)
    msg = fake.post_message(NOT_LINKED, MEMBER, "hello")
    with pytest.raises(PermanentActionError, match="can't be deleted"):
        await adapter.hide(_ref(msg["message_id"], NOT_LINKED))


async def test_flood_control_and_server_errors_are_retryable(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    msg = fake.post_message(GROUP, MEMBER, "hello")
    await fake.settle()
    fake.inject_429("deleteMessage", retry_after=7)
    with pytest.raises(RetryableActionError) as info:
        await adapter.hide(_ref(msg["message_id"]))
    assert info.value.retry_after == 7
    fake.inject("deleteMessage", status=500)
    with pytest.raises(RetryableActionError):
        await adapter.hide(_ref(msg["message_id"]))
    fake.inject("deleteMessage", status=200, delay=4.0)  # beyond the 2 s read timeout
    with pytest.raises(RetryableActionError):
        await adapter.hide(_ref(msg["message_id"]))


async def test_private_message_reachable_and_unreachable(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    await adapter.send_private(str(GROUP), str(SEEKER), "help text", lang="fa")
    assert fake.calls_of("sendMessage", chat_id=SEEKER)[-1].params["text"] == "help text"
    with pytest.raises(RecipientUnreachable, match="initiate conversation"):
        await adapter.send_private(str(GROUP), str(POSTER), "statement", lang="en")
    with pytest.raises(PermanentActionError):
        await adapter.send_private(str(GROUP), "chat:-100", "statement", lang="en")


async def test_notice_is_a_plain_message_and_long_texts_are_split(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    await adapter.post_notice(str(GROUP), str(GROUP), "نص عربي " * 900, lang="ar")
    sent = fake.calls_of("sendMessage", chat_id=GROUP)[-2:]
    assert all(c.status == 200 for c in sent)
    assert all("parse_mode" not in c.params for c in sent)  # no markup to escape or break


async def test_timeout_and_ban(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    before = int(time.time())
    await adapter.timeout(str(GROUP), str(POSTER), 3600, reason="offer")
    restriction = fake.restrictions[(GROUP, POSTER)]
    assert before + 3590 <= restriction["until_date"] <= before + 3610
    assert restriction["permissions"]["can_send_messages"] is False
    await adapter.ban(str(GROUP), str(POSTER), reason="offer")
    assert (GROUP, POSTER) in fake.banned
    with pytest.raises(PermanentActionError, match="administrator"):
        await adapter.ban(str(GROUP), str(ADMIN), reason="offer")


async def test_restore_reposts_attributed(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    await adapter.restore(_ref(99), author_name="Seller", text="my bike is for sale")
    text = fake.calls_of("sendMessage", chat_id=GROUP)[-1].params["text"]
    assert text.startswith("Restored after review: a message from Seller")
    assert text.endswith("my bike is for sale")


async def test_escalate_posts_then_edits_the_card(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    ref = _ref(42)
    await adapter.escalate(_card(ref))
    sent = fake.calls_of("sendMessage", chat_id=MODS)[-1]
    assert "<i>offer</i> with *markup*" in sent.params["text"]  # shown as written, no parse mode
    assert "parse_mode" not in sent.params
    await adapter.escalate(_card(ref, status="dismissed"))
    edit = fake.calls_of("editMessageText")[-1]
    assert edit.params["chat_id"] == MODS
    assert "Decision: dismissed" in edit.params["text"]
    assert "telegram:1001" in edit.params["text"]
    await adapter.escalate(_card(ref, status="dismissed"))  # "not modified" is success
    assert fake.calls_of("editMessageText")[-1].status == 400


async def test_escalate_without_a_linked_chat_is_permanent(harness: Harness) -> None:
    with pytest.raises(PermanentActionError, match="/link"):
        await harness.adapter.escalate(_card(_ref(1, NOT_LINKED)))


async def test_a_refused_user_is_not_asked_again_until_they_start_the_bot(harness: Harness) -> None:
    fake, adapter = harness.fake, harness.adapter
    for _ in range(3):
        with pytest.raises(RecipientUnreachable):
            await adapter.send_private(str(GROUP), str(POSTER), "statement", lang="en")
    assert len(fake.calls_of("sendMessage", chat_id=POSTER)) == 1  # one 403, then remembered
    fake.start_private(POSTER)
    await fake.wait_for_call("sendMessage", lambda c: c.params["chat_id"] == POSTER)
    await adapter.send_private(str(GROUP), str(POSTER), "statement", lang="en")
    assert fake.calls_of("sendMessage", chat_id=POSTER)[-1].params["text"] == "statement"
