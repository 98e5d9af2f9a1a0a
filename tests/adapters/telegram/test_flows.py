"""End to end: the real PTB client and the real engine against the fake Bot API.

Each test plays what people do in Telegram (post, edit, press a button) and asserts on the Bot
API calls the bot made and on what the engine recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from core import CaseFilter, CaseStatus

from .conftest import (
    ADMIN,
    BENIGN,
    GROUP,
    MEMBER,
    MODS,
    OFFER,
    OTHER_ADMIN,
    OTHER_GROUP,
    OTHER_MODS,
    POSTER,
    SEEKER,
    SEEKING,
    SPAMBOT,
    Harness,
    link,
)
from .fake_bot_api import Call, FakeBotAPI


def _in(chat: int) -> Callable[[Call], bool]:
    return lambda c: c.params.get("chat_id") == chat


async def _card(fake: FakeBotAPI, count: int = 1) -> Call:
    return await fake.wait_for_call(
        "sendMessage",
        lambda c: c.params.get("chat_id") == MODS and "reply_markup" in c.params,
        count=count,
    )


def _buttons(call: Call) -> list[dict[str, str]]:
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [b for row in markup["inline_keyboard"] for b in row]


def _card_message_id(fake: FakeBotAPI, text_fragment: str) -> int:
    for (chat, mid), msg in fake.messages.items():
        if chat == MODS and msg.get("reply_markup") and text_fragment in msg.get("text", ""):
            return mid
    raise AssertionError("card not found in the moderators' chat")


async def _open_case_id(h: Harness) -> str:
    cases = await h.engine.review.list_cases(CaseFilter(platform="telegram"))
    assert len(cases) == 1, cases
    return cases[0].id


async def test_offer_is_deleted_with_notice_and_card(harness: Harness) -> None:
    fake = harness.fake
    msg = fake.post_message(GROUP, POSTER, OFFER)
    delete = await fake.wait_for_call("deleteMessage")
    assert delete.params == {"chat_id": GROUP, "message_id": msg["message_id"]}
    assert (GROUP, msg["message_id"]) in fake.deleted

    notice = await fake.wait_for_call(
        "sendMessage", lambda c: c.params["chat_id"] == GROUP and "UNHCR" in c.params["text"]
    )
    assert "removed" in notice.params["text"]
    assert "reply_parameters" not in notice.params  # a reply-less message: the post is gone

    card = await _card(fake)
    assert OFFER in card.params["text"]
    assert "URGENT" in card.params["text"]  # "tomorrow night" is an imminent departure
    buttons = _buttons(card)
    labels = [b["text"] for b in buttons]
    assert labels == ["Confirm", "Dismiss & restore", "Ban", "Open group"]
    case_id = await _open_case_id(harness)
    assert buttons[0]["callback_data"] == f"cw1:c:{case_id}"
    assert buttons[3]["url"] == f"https://t.me/c/1234567890/{msg['message_id']}"

    # The poster never started the bot: the statement of reasons is refused (403), and the
    # engine records the fallback instead of retrying a DM that cannot work.
    await fake.wait_for_call("sendMessage", _in(POSTER), status=403)
    await fake.settle()
    assert len(fake.calls_of("deleteMessage")) == 1
    actions = await harness.engine.review.case_actions(case_id)
    by_action = {a.action: a.status for a in actions}
    assert by_action["hide"] == "done"
    assert by_action["escalate"] == "done"
    assert by_action["statement"] == "fallback"


async def test_seeker_gets_private_help(harness: Harness) -> None:
    fake = harness.fake
    msg = fake.post_message(GROUP, SEEKER, SEEKING)
    dm = await fake.wait_for_call("sendMessage", _in(SEEKER))
    assert "asylum" in dm.params["text"]
    assert "UNHCR" in dm.params["text"]
    await fake.settle()
    assert fake.calls_of("deleteMessage") == []  # no punishment
    assert not [c for c in fake.calls_of("sendMessage") if c.params["chat_id"] == MODS][1:]
    assert (GROUP, msg["message_id"]) in fake.messages
    assert await harness.engine.review.list_cases(CaseFilter(platform="telegram")) == []


async def test_unreachable_seeker_gets_the_help_in_the_group_once(harness: Harness) -> None:
    fake = harness.fake
    fake.started.discard(SEEKER)  # never pressed Start: Telegram refuses the DM
    fake.post_message(GROUP, SEEKER, SEEKING)
    await fake.wait_for_call("sendMessage", _in(SEEKER), status=403)
    fallback = await fake.wait_for_call("sendMessage", _in(GROUP), count=2)  # 1st: /setup reply
    assert "UNHCR" in fallback.params["text"]
    await fake.settle()
    group_posts = [c for c in fake.calls_of("sendMessage", chat_id=GROUP) if c.status == 200]
    assert len(group_posts) == 2  # the /setup reply and one fallback: said once
    assert fake.calls_of("deleteMessage") == []


async def test_benign_message_is_untouched(harness: Harness) -> None:
    fake = harness.fake
    before = len(fake.calls_of("sendMessage"))
    msg = fake.post_message(GROUP, MEMBER, BENIGN)
    caption = fake.post_message(GROUP, MEMBER, caption="Sunset over the harbour 🌅")
    await fake.settle()
    assert fake.calls_of("deleteMessage") == []
    assert len(fake.calls_of("sendMessage")) == before
    assert (GROUP, msg["message_id"]) in fake.messages
    assert (GROUP, caption["message_id"]) in fake.messages


async def test_caption_and_forwarded_offers_are_hidden(harness: Harness) -> None:
    fake = harness.fake
    photo = fake.post_message(GROUP, POSTER, caption=OFFER)
    await fake.wait_for_call(
        "deleteMessage", lambda c: c.params["message_id"] == photo["message_id"]
    )
    channel = {"id": -1003333333333, "type": "channel", "title": "UK Trips", "username": "uktrips"}
    forwarded = fake.post_message(
        GROUP,
        MEMBER,
        "Lorry to London this Friday, 100% safe, £4000, pay on arrival, inbox me",
        forward_from_chat=channel,
    )
    await fake.wait_for_call(
        "deleteMessage", lambda c: c.params["message_id"] == forwarded["message_id"]
    )


async def test_edit_that_turns_a_message_into_an_offer_is_hidden(harness: Harness) -> None:
    fake = harness.fake
    msg = fake.post_message(GROUP, POSTER, "Anyone going to the market on Saturday?")
    await fake.settle()
    assert fake.calls_of("deleteMessage") == []
    fake.edit_message(GROUP, msg["message_id"], OFFER)
    delete = await fake.wait_for_call("deleteMessage")
    assert delete.params["message_id"] == msg["message_id"]
    await _card(fake)


async def test_moderator_dismiss_restores_the_message(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(GROUP, POSTER, OFFER)
    await _card(fake)
    case_id = await _open_case_id(harness)
    card_id = _card_message_id(fake, case_id)

    fake.press_button(MODS, card_id, ADMIN, f"cw1:d:{case_id}")
    restored = await fake.wait_for_call(
        "sendMessage", lambda c: c.params["chat_id"] == GROUP and OFFER in c.params["text"]
    )
    assert "Seller" in restored.params["text"]  # attributed to its author
    answer = await fake.wait_for_call("answerCallbackQuery")
    assert "Dismissed" in answer.params["text"]
    edit = await fake.wait_for_call("editMessageText")
    assert edit.params["message_id"] == card_id
    assert "dismissed" in edit.params["text"]
    assert all("callback_data" not in b for b in _buttons(edit))  # decided: no more buttons
    case = await harness.engine.review.get_case(case_id)
    assert case is not None and case.status == CaseStatus.DISMISSED
    assert case.decided_by is not None and str(ADMIN) in case.decided_by

    # A second moderator presses Confirm on the stale card a moment later: nothing changes.
    restores = len(fake.calls_of("sendMessage", chat_id=GROUP))
    fake.press_button(MODS, card_id, ADMIN, f"cw1:c:{case_id}")
    again = await fake.wait_for_call("answerCallbackQuery", count=2)
    assert "already decided" in again.params["text"]
    fake.press_button(MODS, card_id, ADMIN, "cw1:c:c_does_not_exist")
    gone = await fake.wait_for_call("answerCallbackQuery", count=3)
    assert "no longer exists" in gone.params["text"]
    await fake.settle()
    case = await harness.engine.review.get_case(case_id)
    assert case is not None and case.status == CaseStatus.DISMISSED
    assert len(fake.calls_of("sendMessage", chat_id=GROUP)) == restores


async def test_moderator_ban_bans_the_author(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(GROUP, POSTER, OFFER)
    await _card(fake)
    case_id = await _open_case_id(harness)
    fake.press_button(MODS, _card_message_id(fake, case_id), ADMIN, f"cw1:b:{case_id}")
    ban = await fake.wait_for_call("banChatMember")
    assert ban.params["chat_id"] == GROUP and ban.params["user_id"] == POSTER
    assert (GROUP, POSTER) in fake.banned
    case = await harness.engine.review.get_case(case_id)
    assert case is not None and case.status == CaseStatus.CONFIRMED


async def test_non_admin_press_is_refused_and_changes_nothing(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(GROUP, POSTER, OFFER)
    await _card(fake)
    case_id = await _open_case_id(harness)
    card_id = _card_message_id(fake, case_id)
    await fake.settle()  # the statement's fallback notice may still be on its way
    sent_before = len(fake.calls_of("sendMessage"))

    fake.press_button(MODS, card_id, MEMBER, f"cw1:d:{case_id}")  # in the mods chat, not an admin
    answer = await fake.wait_for_call("answerCallbackQuery")
    assert answer.params["show_alert"] is True
    assert "Nothing was changed" in answer.params["text"] or "Rien" in answer.params["text"]
    await fake.settle()
    case = await harness.engine.review.get_case(case_id)
    assert case is not None and case.status == CaseStatus.OPEN
    assert len(fake.calls_of("sendMessage")) == sent_before  # nothing restored
    assert fake.calls_of("editMessageText") == []


async def test_forged_callback_for_another_groups_case_is_refused(harness: Harness) -> None:
    fake = harness.fake
    await link(fake, OTHER_GROUP, OTHER_MODS, OTHER_ADMIN)
    fake.post_message(GROUP, POSTER, OFFER)
    await _card(fake)
    case_id = await _open_case_id(harness)
    # The other group's admin crafts a button press in *their* moderators' chat that names
    # this group's case (a modified client can send any callback data).
    bait = fake._new_message(OTHER_MODS, fake._user(fake.bot_user["id"]), text="card")
    fake.messages[(OTHER_MODS, bait["message_id"])] = bait
    fake.press_button(OTHER_MODS, bait["message_id"], OTHER_ADMIN, f"cw1:d:{case_id}")
    answer = await fake.wait_for_call("answerCallbackQuery")
    assert answer.params["show_alert"] is True
    # Even pressed on the real card (say, forwarded data), a non-admin of GROUP is refused.
    fake.press_button(MODS, _card_message_id(fake, case_id), OTHER_ADMIN, f"cw1:b:{case_id}")
    await fake.wait_for_call("answerCallbackQuery", count=2)
    await fake.settle()
    case = await harness.engine.review.get_case(case_id)
    assert case is not None and case.status == CaseStatus.OPEN
    assert fake.calls_of("banChatMember") == []
    assert not [c for c in fake.calls_of("sendMessage", chat_id=GROUP) if OFFER in c.params["text"]]


async def test_redelivered_update_is_processed_once(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(GROUP, POSTER, OFFER)
    await fake.wait_for_call("deleteMessage")
    await _card(fake)
    first = fake.history[-1]["update_id"]
    fake.redeliver(first, same_id=False)  # the same message under a new update id
    await fake.settle()
    assert len(fake.calls_of("deleteMessage")) == 1
    cards = [c for c in fake.calls_of("sendMessage", chat_id=MODS) if "reply_markup" in c.params]
    assert len(cards) == 1
    assert len(await harness.engine.review.list_cases(CaseFilter(platform="telegram"))) == 1


async def test_429_and_5xx_on_delete_end_in_a_delivered_delete(harness: Harness) -> None:
    fake = harness.fake
    fake.inject_429("deleteMessage", retry_after=1)
    fake.inject("deleteMessage", status=502, description="Bad Gateway")
    msg = fake.post_message(GROUP, POSTER, OFFER)
    await fake.wait_for_call("deleteMessage", status=429)
    await fake.wait_for_call("deleteMessage", status=502, within=10)
    await fake.wait_for_call("deleteMessage", status=200, within=15)
    assert (GROUP, msg["message_id"]) in fake.deleted
    statuses = [c.status for c in fake.calls_of("deleteMessage")]
    assert statuses == [429, 502, 200]
    # The 429's retry_after was honoured: the second try came at least a second later.
    calls = fake.calls_of("deleteMessage")
    assert calls[1].at - calls[0].at >= 0.9


async def test_timeout_on_delete_is_retried(harness: Harness) -> None:
    fake = harness.fake
    fake.inject("deleteMessage", status=200, delay=5.0)  # longer than the client's read timeout
    msg = fake.post_message(GROUP, POSTER, OFFER)
    await fake.wait_for_call("deleteMessage", status=200, count=1, within=15)
    assert (GROUP, msg["message_id"]) in fake.deleted
    assert [c.status for c in fake.calls_of("deleteMessage")] == [499, 200]


async def test_bot_restarted_mid_flood_loses_nothing(harness: Harness) -> None:
    fake = harness.fake
    offers = []
    for i in range(40):
        if i % 2 == 0:
            offers.append(fake.post_message(GROUP, POSTER, f"{OFFER} (seat {i})")["message_id"])
        else:
            fake.post_message(GROUP, MEMBER, f"{BENIGN} #{i}")
        if i == 12:
            await fake.wait_for_call("deleteMessage", count=3, within=10)
            await harness.restart()  # the whole process: adapter and engine, same database
        await asyncio.sleep(0.005)
    await _assert_each_deleted_once_with_a_case(harness, offers, polls=200)


async def test_messages_from_bots_and_itself_are_ignored(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(GROUP, SPAMBOT, OFFER)
    fake.post_message(GROUP, fake.bot_user["id"], OFFER)
    await fake.settle()
    assert fake.calls_of("deleteMessage") == []
    assert await harness.engine.review.list_cases(CaseFilter(platform="telegram")) == []


async def test_admin_offer_is_exempt(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(GROUP, ADMIN, OFFER)  # e.g. quoting an ad in a warning
    await fake.settle()
    assert fake.calls_of("deleteMessage") == []


async def test_crash_mid_batch_loses_nothing(harness: Harness) -> None:
    fake = harness.fake
    offers = [
        fake.post_message(GROUP, POSTER, f"{OFFER} (seat {i})")["message_id"] for i in range(30)
    ]
    await fake.wait_for_call("deleteMessage", count=2, within=10)
    # The receiving side dies mid-batch: handling is cut off and the batch is never confirmed
    # to Telegram (the offset only moves once a whole batch was handed to the engine).
    poll = harness.adapter._poll_task
    assert poll is not None
    poll.cancel()
    await harness.restart()  # Telegram serves the unconfirmed batch again; the engine dedupes
    await _assert_each_deleted_once_with_a_case(harness, offers, polls=300)


async def _assert_each_deleted_once_with_a_case(
    harness: Harness, offers: list[int], *, polls: int
) -> None:
    """Every offer deleted exactly once (none lost, none twice) and one case each."""
    fake = harness.fake
    for _ in range(polls):
        if all((GROUP, m) in fake.deleted for m in offers):
            break
        await asyncio.sleep(0.05)
    await fake.settle()
    assert sorted(m for (_, m) in fake.deleted) == sorted(offers)
    delivered = [c for c in fake.calls_of("deleteMessage") if c.status == 200]
    assert len(delivered) == len(offers)
    cases = await harness.engine.review.list_cases(CaseFilter(platform="telegram", limit=1000))
    assert len(cases) == len(offers)
