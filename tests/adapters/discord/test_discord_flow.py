"""End to end: the real discord.py client against the fake Discord, through the real engine.

Assertions are on what reached "Discord" (the fake's recorded requests and stored messages) and
on what the engine recorded - never on the adapter's internals.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.adapters.discord.conftest import Stack, _stack, corpus, engine_class
from tests.adapters.discord.fake_discord import FakeDiscord

OFFER = corpus("offer")[0]  # "Boat to UK leaving Dunkirk tomorrow night ... WhatsApp +44 ..."
SEEKING = corpus("seeking")[0]


def _case_id(card: dict[str, object]) -> str:
    rows = card["components"]
    assert isinstance(rows, list)
    ids = [c["custom_id"] for row in rows for c in row["components"]]
    match = re.fullmatch(r"cw:confirm:(.+)", ids[0])
    assert match, ids
    assert ids[1:] == [f"cw:dismiss:{match[1]}", f"cw:ban:{match[1]}"]
    return match[1]


async def test_offer_is_deleted_with_notice_statement_and_card(stack: Stack) -> None:
    fake = stack.fake
    mid = await fake.post(stack.member, OFFER)
    await stack.until(lambda: mid in fake.deleted, "the offer's DELETE")
    await stack.until(lambda: stack.cards(), "a review card")
    await stack.idle()

    notices = [m for m in stack.bot_messages(fake.general_id) if m["content"]]
    assert len(notices) == 1
    assert "UNHCR" in notices[0]["content"] or "Red Cross" in notices[0]["content"]
    # The poster's statement of reasons arrives privately.
    assert len(fake.dms_to(stack.member.id)) == 1

    (card,) = stack.cards()
    embed = card["embeds"][0]
    assert "+44 7700 900123" in embed["description"] or "WhatsApp" in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert str(stack.member.id) in fields["Posted by"]
    assert f"/{fake.guild_id}/{fake.general_id}/{mid}" in fields["Where"]  # the jump link
    assert "offer" in fields["Verdict"]
    assert fields["Why"] and "phone" in fields["Entities"]
    case = await stack.engine.review.get_case(_case_id(card))
    assert case is not None and case.ref.message_id == str(mid)
    delete = fake.calls("DELETE", rf"/messages/{mid}$")[0]
    assert delete.reason and "channelwatch" in delete.reason


async def test_benign_messages_are_untouched(stack: Stack) -> None:
    fake = stack.fake
    ids = [await fake.post(stack.member, text) for text in corpus("none")[:12]]
    await stack.until(lambda: all(stack.decided(i) for i in ids), "a decision per message")
    await stack.idle()
    assert all(stack.decided(i)[0]["actions"] == [] for i in ids)
    assert fake.calls("DELETE") == []
    assert stack.bot_messages(fake.general_id) == [] and stack.cards() == []


async def test_seeker_gets_a_private_message_and_nothing_else(stack: Stack) -> None:
    fake = stack.fake
    mid = await fake.post(stack.member, SEEKING)
    await stack.until(lambda: fake.dms_to(stack.member.id), "the help DM")
    await stack.idle()
    (dm,) = fake.dms_to(stack.member.id)
    assert "UNHCR" in dm["content"] or "Red Cross" in dm["content"]
    assert mid not in fake.deleted and stack.cards() == []
    assert stack.bot_messages(fake.general_id) == []


async def test_seeker_with_closed_dms_gets_the_help_in_the_channel(stack: Stack) -> None:
    fake = stack.fake
    fake.closed_dms.add(stack.member.id)
    mid = await fake.post(stack.member, SEEKING)
    await stack.until(lambda: stack.bot_messages(fake.general_id), "the fallback notice")
    await stack.idle()
    refused = fake.calls("POST", r"^/channels/\d+/messages$")
    assert any(r.status == 403 for r in refused)  # the DM was tried and refused (50007)
    assert fake.dms_to(stack.member.id) == []
    (notice,) = stack.bot_messages(fake.general_id)
    assert "UNHCR" in notice["content"] or "Red Cross" in notice["content"]
    assert mid not in fake.deleted


async def test_an_edit_that_turns_a_post_into_an_offer_is_deleted(stack: Stack) -> None:
    fake = stack.fake
    mid = await fake.post(stack.member, "Thanks everyone for the birthday wishes yesterday!")
    await stack.until(lambda: stack.decided(mid), "the first decision")
    assert mid not in fake.deleted
    await fake.edit(mid, OFFER)
    await stack.until(lambda: mid in fake.deleted, "the edited offer's DELETE")
    await stack.until(lambda: stack.cards(), "a review card")
    assert next(d["actions"] for d in stack.decided(mid)) == []


async def test_bots_webhooks_and_itself_are_ignored(stack: Stack) -> None:
    fake = stack.fake
    other_bot = fake.add_user("Helper", bot=True)
    await fake.post(other_bot, OFFER)
    await stack.adapter.post_notice(stack.guild, str(fake.general_id), OFFER, lang="en")
    marker = await fake.post(stack.member, "hello everyone")  # processed after the others
    await stack.until(lambda: stack.decided(marker), "the member's message")
    await stack.idle()
    assert [d["message_id"] for d in stack.decisions] == [str(marker)]
    assert fake.calls("DELETE") == []


async def test_dismiss_restores_the_message_under_its_author(stack: Stack) -> None:
    fake = stack.fake
    mid = await fake.post(stack.member, OFFER)
    card = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    case_id = _case_id(card)
    await stack.idle()

    reply = await fake.press(stack.mod, int(card["id"]), f"cw:dismiss:{case_id}")
    assert reply["type"] == 6  # deferred update of the card
    restored = await stack.until(
        lambda: [m for m in fake.channel_messages(fake.general_id) if "webhook_id" in m],
        "the restored message",
    )
    assert restored[0]["content"] == OFFER
    assert restored[0]["author"]["username"].startswith("Sam")
    case = await stack.engine.review.get_case(case_id)
    assert case.status == "dismissed" and case.decided_by
    # The card now says so and its buttons are disabled.
    card_now = fake.messages[int(card["id"])]
    await stack.until(
        lambda: all(c.get("disabled") for r in card_now["components"] for c in r["components"]),
        "the card's buttons disabled",
    )
    assert "dismissed" in card_now["embeds"][0]["fields"][-1]["value"]
    assert mid in fake.deleted


async def test_confirm_with_ban_bans_the_poster(stack: Stack) -> None:
    fake = stack.fake
    await fake.post(stack.member, OFFER)
    card = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    case_id = _case_id(card)
    reply = await fake.press(stack.mod, int(card["id"]), f"cw:ban:{case_id}")
    assert reply["type"] == 6
    await stack.until(lambda: stack.member.id in fake.bans, "the ban")
    case = await stack.engine.review.get_case(case_id)
    assert case.status == "confirmed"


async def test_presses_without_permission_are_refused_and_change_nothing(stack: Stack) -> None:
    fake = stack.fake
    await fake.post(stack.member, OFFER)
    card = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    case_id = _case_id(card)
    await stack.idle()
    edits_before = len(fake.calls("PATCH"))

    for action in ("confirm", "dismiss", "ban"):
        reply = await fake.press(stack.member, int(card["id"]), f"cw:{action}:{case_id}")
        assert reply["type"] == 4 and reply["data"]["flags"] & 64  # ephemeral
        assert "Nothing was changed" in reply["data"]["content"]

    # Manage Messages alone may review but not ban.
    reviewer = fake.add_user("Rev")
    reviewer.permissions |= 1 << 13
    reply = await fake.press(reviewer, int(card["id"]), f"cw:ban:{case_id}")
    assert reply["data"]["flags"] & 64 and "Ban Members" in reply["data"]["content"]

    case = await stack.engine.review.get_case(case_id)
    assert case.status == "open"
    assert stack.member.id not in fake.bans
    assert not [m for m in fake.messages.values() if "webhook_id" in m]
    assert len(fake.calls("PATCH")) == edits_before


async def test_a_case_from_another_server_is_refused(stack: Stack) -> None:
    from core import Author, IncomingEvent, MessageRef

    other = MessageRef("discord", "999", "998", "997")
    decision = await stack.engine.submit(IncomingEvent(ref=other, author=Author("5"), text=OFFER))
    assert decision.case_id
    fake = stack.fake
    # A card for that case showing up in this server (say, a mod channel pointed at the wrong
    # place by hand): its buttons must not act on another community's case.
    buttons = [
        {"type": 2, "style": 3, "label": "Confirm", "custom_id": f"cw:confirm:{decision.case_id}"}
    ]
    card = fake.message_payload(
        fake.mods_id, fake.bot, "", components=[{"type": 1, "components": buttons}]
    )
    fake.messages[int(card["id"])] = card
    reply = await fake.press(stack.admin, int(card["id"]), f"cw:confirm:{decision.case_id}")
    assert reply["data"]["flags"] & 64 and "does not belong" in reply["data"]["content"]
    case = await stack.engine.review.get_case(decision.case_id)
    assert case.status == "open"


async def test_429_on_delete_ends_in_a_delivered_delete(stack: Stack) -> None:
    fake = stack.fake
    # Discord's own rate limit (with Via): discord.py waits retry_after and retries itself.
    fake.inject("DELETE", r"/messages/", 429, retry_after=0.2)
    mid = await fake.post(stack.member, OFFER)
    await stack.until(lambda: mid in fake.deleted, "the delete after a 429")
    # A 429 without Via (Cloudflare's kind): discord.py gives up, the engine's outbox retries.
    fake.inject("DELETE", r"/messages/", 429, retry_after=0.2, via=False)
    second = await fake.post(stack.member, OFFER.replace("3 places", "2 places"))
    await stack.until(lambda: second in fake.deleted, "the delete after an outbox retry", 10)
    statuses = [r.status for r in fake.calls("DELETE", rf"/messages/({mid}|{second})$")]
    assert statuses == [429, 204, 429, 204]


async def test_resume_after_a_reconnect_processes_nothing_twice(stack: Stack) -> None:
    fake = stack.fake
    first = await fake.post(stack.member, OFFER)
    await stack.until(lambda: first in fake.deleted and stack.cards(), "the first offer handled")
    await stack.idle()
    fake.resume_overlap = 50  # Discord may replay events the client already had
    await fake.drop_connection(4000)
    second = await fake.post(stack.member, OFFER.replace("3 places", "4 places"))  # while away
    await stack.until(lambda: fake.resumes == 1, "the RESUME")
    await stack.until(lambda: second in fake.deleted, "the offer sent during the outage")
    await stack.idle()
    assert fake.identifies == 1  # resumed, not re-identified
    assert len(stack.decided(first)) == 1 and len(stack.decided(second)) == 1
    assert len(fake.calls("DELETE")) == 2
    assert len(stack.cards()) == 2
    assert len(fake.dms_to(stack.member.id)) == 2  # one statement per offer


async def test_cards_keep_working_after_a_restart(
    fake: FakeDiscord, engine: Any, tmp_path: Path
) -> None:
    stack = await _stack(fake, engine)
    await fake.post(stack.member, OFFER)
    card = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    await stack.idle()
    await stack.close()
    await engine.close()
    # A new process: a new engine on the same database and a client that never saw this card.
    restarted = await engine_class().open(tmp_path / "channelwatch.db")
    stack = await _stack(fake, restarted)
    try:
        reply = await fake.press(stack.mod, int(card["id"]), f"cw:confirm:{_case_id(card)}")
        assert reply["type"] == 6
        await stack.until(lambda: fake.calls("PATCH", r"/messages/@original$"), "the card update")
        case = await restarted.review.get_case(_case_id(card))
        assert case.status == "confirmed"
        assert not stack.adapter.failures
    finally:
        await stack.close()
        await restarted.close()


async def test_a_second_escalation_edits_the_card(stack: Stack) -> None:
    fake = stack.fake
    await fake.post(stack.member, OFFER)
    card = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    await stack.idle()
    built = await stack.engine.build_card(_case_id(card))
    await stack.adapter.escalate(built)
    assert len(stack.cards()) == 1
    assert fake.calls("PATCH", rf"/messages/{card['id']}$")


async def test_offers_in_threads_are_handled_in_the_thread(stack: Stack) -> None:
    fake = stack.fake
    mid = await fake.post(stack.member, OFFER, channel_id=fake.thread_id)
    await stack.until(lambda: mid in fake.deleted, "the DELETE in the thread")
    assert fake.calls("DELETE", rf"^/channels/{fake.thread_id}/messages/{mid}$")
    await stack.until(lambda: stack.bot_messages(fake.thread_id), "the notice in the thread")
    case = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    assert f"<#{fake.thread_id}>" in str(case["embeds"][0]["fields"])


async def test_a_malformed_event_is_skipped_without_losing_the_session(stack: Stack) -> None:
    fake = stack.fake
    # An INTERACTION_CREATE without fields discord.py requires would end connect().
    await fake.dispatch("INTERACTION_CREATE", {"id": "1", "type": 3})
    await fake.dispatch("MESSAGE_CREATE", {"id": "2", "content": "no channel, no author"})
    mid = await fake.post(stack.member, OFFER)
    await stack.until(lambda: mid in fake.deleted, "the offer after the bad events")
    assert stack.adapter.skipped_events == 2
    assert fake.identifies == 1 and fake.resumes == 0  # the session was never dropped


async def test_two_moderators_pressing_at_once_decide_once(stack: Stack) -> None:
    import asyncio

    fake = stack.fake
    await fake.post(stack.member, OFFER)
    card = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    case_id = _case_id(card)
    await stack.idle()
    other = fake.add_user("Mia", moderator=True)
    replies = await asyncio.gather(
        fake.press(stack.mod, int(card["id"]), f"cw:ban:{case_id}"),
        fake.press(other, int(card["id"]), f"cw:dismiss:{case_id}"),
    )
    await stack.until(lambda: fake.calls("PATCH", r"/messages/@original$"), "the card update")
    # The loser is told so: at once when the case was already decided when it pressed, or in
    # a follow-up when both presses got past that check and the engine refused the second.
    refused_at_once = [r["data"] for r in replies if r["type"] == 4]
    if not refused_at_once:
        await stack.until(fake.followups_all, "the follow-up refusal")
    (refusal,) = refused_at_once + fake.followups_all()
    assert refusal["flags"] & 64
    assert "already" in refusal["content"] or "Could not record" in refusal["content"]
    await stack.idle()
    case = await stack.engine.review.get_case(case_id)
    banned = stack.member.id in fake.bans
    restored = [m for m in fake.messages.values() if "webhook_id" in m]
    assert (case.status, banned, bool(restored)) in (
        ("confirmed", True, False),
        ("dismissed", False, True),
    )


async def test_hostile_text_is_handled(stack: Stack) -> None:
    fake = stack.fake
    zalgo = "b\u0336o\u0336a\u0336t\u0336 " * 300 + "\u200b" * 500 + "\u202e" + "x" * 1000
    mid = await fake.post(stack.member, zalgo)
    await stack.until(lambda: stack.decided(mid), "a decision on the hostile text")
    offer = await fake.post(stack.member, "@everyone " + OFFER + " `````` **" * 50)
    card = await stack.until(lambda: stack.cards() and stack.cards()[0], "a review card")
    assert offer in fake.deleted
    embed = card["embeds"][0]
    assert len(embed["description"]) <= 4096
    assert all(len(f["value"]) <= 1024 for f in embed["fields"])
