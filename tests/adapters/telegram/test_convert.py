"""Telegram messages to neutral events, parsed by PTB from the fake's (validated) payloads."""

from __future__ import annotations

from telegram import Message, Update

from adapters.telegram._cards import message_url, parse_callback, split_text
from adapters.telegram._convert import command_of, event_from_message, parse_channel_id

from .fake_bot_api import FakeBotAPI

GROUP = -1001234567890


def _world() -> FakeBotAPI:
    fake = FakeBotAPI()
    fake.add_user(1, "Ana", username="ana", language_code="pt-br")
    fake.add_user(2, "Bo", language_code=None)
    fake.add_group(GROUP, "Group")
    return fake


def _message(fake: FakeBotAPI) -> Message:
    update = Update.de_json(fake.history[-1], None)
    message = update.message or update.edited_message
    assert message is not None
    return message


def test_text_message_becomes_an_event() -> None:
    fake = _world()
    fake.post_message(GROUP, 1, "call me https://wa.me/447700900123 or t.me/seller")
    event = event_from_message(_message(fake), is_moderator=False)
    assert event.ref.platform == "telegram"
    assert event.ref.community_id == event.ref.channel_id == str(GROUP)
    assert event.author.id == "1" and event.author.display_name == "Ana"
    assert event.lang_hint == "pt"
    assert event.links == ("https://wa.me/447700900123", "t.me/seller")
    assert event.revision == "0" and not event.edited


def test_caption_forward_and_edit() -> None:
    fake = _world()
    channel = {"id": -1005, "type": "channel", "title": "Trips", "username": "trips"}
    fake.post_message(GROUP, 2, caption="photo caption 🚤", forward_from_chat=channel)
    event = event_from_message(_message(fake), is_moderator=False)
    assert event.text == "photo caption 🚤"
    assert event.forwarded_from == "@trips"
    assert event.lang_hint is None

    msg = fake.post_message(GROUP, 1, "hello")
    fake.edit_message(GROUP, msg["message_id"], "hello, boat to uk")
    first = event_from_message(_message(fake), is_moderator=False)
    fake.edit_message(GROUP, msg["message_id"], "hello, lorry to uk")
    second = event_from_message(_message(fake), is_moderator=False)
    assert first.edited and second.edited
    assert first.message_id == second.message_id == str(msg["message_id"])
    assert first.revision != second.revision != "0"
    # The same edit delivered again maps to the same revision, so the engine drops it.
    redelivered = Update.de_json(fake.history[-1], None).edited_message
    assert redelivered is not None
    again = event_from_message(redelivered, is_moderator=False)
    assert again.revision == second.revision


def test_hostile_text_is_passed_through_unaltered() -> None:
    fake = _world()
    zalgo = "b\u0337\u0334o\u0336a\u0335t\u200b t\u200do U\u202eK " + "x" * 4000
    fake.post_message(GROUP, 1, zalgo)
    event = event_from_message(_message(fake), is_moderator=False)
    assert event.text == zalgo  # the engine normalises; evidence stays as written


def test_commands_are_recognised_only_for_us() -> None:
    fake = _world()
    fake.post_message(GROUP, 1, "/link@channelwatch_test_bot abc123")
    assert command_of(_message(fake), "channelwatch_test_bot") == ("link", "abc123")
    fake.post_message(GROUP, 1, "/setup@otherbot")
    assert command_of(_message(fake), "channelwatch_test_bot") is None
    fake.post_message(GROUP, 1, "see /setup later")
    assert command_of(_message(fake), "channelwatch_test_bot") is None


def test_callback_data_and_links() -> None:
    assert parse_callback("cw1:d:c_123") == ("dismiss", "c_123")
    for bad in (None, "", "cw1:x:c1", "cw2:d:c1", "cw1:d:", "garbage"):
        assert parse_callback(bad) is None
    assert message_url(-1001234567890, 5, None) == "https://t.me/c/1234567890/5"
    assert message_url(-1001234567890, 5, "calais") == "https://t.me/calais/5"
    assert message_url(-123, 5, None) is None  # basic groups have no message links
    assert parse_channel_id("-100123/45") == (-100123, 45)
    assert parse_channel_id("-100123") == (-100123, None)


def test_split_text_respects_telegram_limit_in_utf16_units() -> None:
    text = ("🚤" * 3000) + "\n" + ("a" * 5000)
    chunks = split_text(text)
    assert "".join(chunks) == text
    assert all(len(c.encode("utf-16-le")) // 2 <= 4096 for c in chunks)
