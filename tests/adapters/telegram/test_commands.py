"""Admin commands: /setup, /link, /status, and /start in a private chat."""

from __future__ import annotations

from .conftest import ADMIN, GROUP, MEMBER, MODS, OTHER_ADMIN, OTHER_MODS, Harness
from .fake_bot_api import FakeBotAPI

NEW_GROUP = -1004444444444


async def _reply(fake: FakeBotAPI, chat: int, count: int = 1) -> str:
    call = await fake.wait_for_call(
        "sendMessage", lambda c: c.params["chat_id"] == chat, count=count
    )
    return str(call.params["text"])


async def test_setup_reports_missing_admin_rights_and_privacy_mode(harness: Harness) -> None:
    fake = harness.fake
    fake.add_group(NEW_GROUP, "New group", bot_admin=False)  # added, never promoted
    fake.set_admin(NEW_GROUP, ADMIN)
    fake.post_message(NEW_GROUP, ADMIN, "/setup")
    text = await _reply(fake, NEW_GROUP)
    assert "I am not an admin here" in text
    assert "Delete messages" in text and "Ban users" in text
    assert "Privacy mode is on" in text  # the bot only sees commands in this group
    assert "/link " in text  # the code is still given, so linking can be done in parallel


async def test_setup_names_the_one_missing_right(harness: Harness) -> None:
    fake = harness.fake
    fake.add_group(NEW_GROUP, "New group", bot_rights={"can_restrict_members": False})
    fake.set_admin(NEW_GROUP, ADMIN)
    fake.post_message(NEW_GROUP, ADMIN, "/setup")
    text = await _reply(fake, NEW_GROUP)
    assert "Missing admin rights: Ban users." in text
    assert "Delete messages" not in text
    assert "Privacy mode" not in text  # admins see every message


async def test_setup_by_a_non_admin_is_refused(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(GROUP, MEMBER, "/setup")
    text = await _reply(fake, GROUP, count=2)  # the first reply was the fixture's own /setup
    assert "Seuls les administrateurs" in text  # answered in the member's client language (fr)
    assert await harness.engine.settings.get("telegram", str(GROUP), "link_code") is None


async def test_link_needs_an_admin_of_the_group_and_a_fresh_code(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(GROUP, ADMIN, "/setup")
    setup = await _reply(fake, GROUP, count=2)
    code = setup.split("/link ", 1)[1].split()[0]
    # Someone who is not an admin of GROUP tries to point its cards at their own chat.
    fake.post_message(OTHER_MODS, OTHER_ADMIN, f"/link {code}")
    assert "Only admins of Calais Community" in await _reply(fake, OTHER_MODS)
    assert await harness.engine.settings.get("telegram", str(GROUP), "mod_chat") == str(MODS)
    # The real admin links; the code then stops working.
    fake.set_admin(OTHER_MODS, ADMIN)
    fake.post_message(OTHER_MODS, ADMIN, f"/link {code.lower()}")
    assert "Linked" in await _reply(fake, OTHER_MODS, count=2)
    assert await harness.engine.settings.get("telegram", str(GROUP), "mod_chat") == str(OTHER_MODS)
    fake.post_message(MODS, ADMIN, f"/link {code}")
    assert "unknown or has expired" in await _reply(fake, MODS, count=2)
    fake.post_message(MODS, ADMIN, "/link")
    assert "/link CODE" in await _reply(fake, MODS, count=3)


async def test_status_shows_policy_and_counts(harness: Harness) -> None:
    fake = harness.fake
    fake.post_message(MODS, ADMIN, "/status")
    text = await _reply(fake, MODS, count=2)
    assert "Calais Community" in text
    assert "Mode: active" in text
    assert "Moderators' chat: linked" in text
    assert "Rules in force:" in text and "Last 24 hours:" in text
    fake.post_message(MODS, MEMBER, "/status")
    assert "Seuls les administrateurs" in await _reply(fake, MODS, count=3)


async def test_start_in_private_chat(harness: Harness) -> None:
    fake = harness.fake
    fake.start_private(MEMBER)
    text = await _reply(fake, MEMBER)
    assert text.startswith("Hello")  # no French text for /start yet: English fallback
    assert fake.calls_of("deleteMessage") == []


async def test_group_upgraded_to_supergroup_keeps_its_moderators_chat(harness: Harness) -> None:
    fake = harness.fake
    new_id = -1005555555555
    fake.add_group(new_id, "Calais Community")
    fake.set_member(new_id, MEMBER)
    migrate = fake._new_message(GROUP, fake._user(ADMIN), migrate_to_chat_id=new_id)
    fake.queue_update({"message": migrate})
    await fake.settle()
    settings = harness.engine.settings
    assert await settings.get("telegram", str(new_id), "mod_chat") == str(MODS)
