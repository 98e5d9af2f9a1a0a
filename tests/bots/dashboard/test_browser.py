"""End to end in a real browser: Debian's Chromium driven by Playwright.

Each test starts the whole ``channelwatch run`` stack (engine, playground, dashboard) in-process
on an ephemeral 127.0.0.1 port. Skipped only when /usr/bin/chromium is absent (``.ci/run``
installs it).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots._cmd_run import Server
from core import CaseFilter
from tests.bots.dashboard.conftest import CHEAP, OFFER_URGENT, PASSWORD
from tools.browser import CHROMIUM, chromium

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: apt-get install chromium"
    ),
]
TIMEOUT_MS = 10_000


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Server]:
    srv = Server(
        db_path=str(tmp_path / "cw.db"),
        port=0,
        env={"CHANNELWATCH_ADMIN_PASSWORD": PASSWORD},
        out=lambda _line: None,
        hasher=CHEAP,
        sample_delay=0.0,
    )
    await srv.start()
    srv.accounts.add("mina", PASSWORD, communities=[("playground", "local")])
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b


async def open_playground(browser: Any, url: str) -> Any:
    page = await browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: errors.append("dialog: " + d.message))
    # Console errors include Content-Security-Policy violations and failed requests.
    page.on("console", lambda m: m.type == "error" and errors.append("console: " + m.text))
    page.errors = errors
    await page.goto(url + "/playground/")
    await page.wait_for_selector("#conn.live")
    return page


async def say(page: Any, user: str, text: str, room: str = "general") -> None:
    await page.click(f'button.room[data-room="{room}"]')
    await page.select_option("#user", user)
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def test_an_offer_vanishes_and_the_notice_appears(server: Server, browser: Any) -> None:
    page = await open_playground(browser, server.url)
    await say(page, "u-amira", "Anyone up for football on Sunday?")
    await page.wait_for_selector("li.msg.message >> text=football on Sunday")
    await say(page, "u-newbie", OFFER_URGENT)
    notice = await page.wait_for_selector("li.msg.notice")
    assert "removed" in (await notice.inner_text())
    await page.wait_for_selector("li.msg.message >> text=Calais", state="detached")
    assert await page.locator("li.msg.message", has_text="football on Sunday").count() == 1
    # The poster received the statement of reasons privately, in the side panel, and can appeal.
    await page.select_option("#user", "u-newbie")
    await page.wait_for_selector("#inbox li.pm")
    await page.fill("#appeals textarea", "I run a licensed ferry agency")
    await page.click("#appeals button")
    (case,) = await server.engine.review.list_cases(CaseFilter())
    for _ in range(50):
        case = await server.engine.review.get_case(case.id)
        if case.notes:
            break
        await page.wait_for_timeout(100)
    assert "licensed ferry agency" in case.notes[0]["text"]
    # A seeker gets help privately; nothing is posted about them in the room.
    await say(page, "u-dara", "who knows someone to take me to UK? how much?", room="travel")
    await page.select_option("#user", "u-dara")
    pm = await page.wait_for_selector("#inbox li.pm")
    assert "UNHCR" in await pm.inner_text()
    # Right-to-left text lays out right to left.
    await say(page, "u-karim", "مرحبا بالجميع، كيف حالكم اليوم؟", room="arabic")
    line = await page.wait_for_selector("li.msg.message >> text=مرحبا بالجميع")
    assert await line.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.errors == []


async def test_moderator_dismisses_and_the_message_reappears(server: Server, browser: Any) -> None:
    chat = await open_playground(browser, server.url)
    await say(chat, "u-newbie", OFFER_URGENT)
    await chat.wait_for_selector("li.msg.notice")
    await chat.wait_for_selector("li.msg.message >> text=Calais", state="detached")

    context = await browser.new_context()
    dash = await context.new_page()
    dash.set_default_timeout(TIMEOUT_MS)
    await dash.goto(server.url + "/cases")
    assert "/login" in dash.url
    await dash.fill('input[name="name"]', "mina")
    await dash.fill('input[name="password"]', PASSWORD)
    await dash.click('button[type="submit"]')
    await dash.wait_for_url(re.compile(r".*/cases$"))
    assert await dash.locator("table.queue tbody tr").count() == 1
    # The queue updates live: a new offer appears without a reload.
    await dash.wait_for_selector("#live-status.on")
    await say(
        chat, "u-lin", "Passport and visa for UK, 100% real, fast, DM me on Telegram @docs_uk_fast"
    )
    await dash.wait_for_selector("table.queue >> text=docs_uk_fast")
    await dash.click("table.queue a >> text=Calais")
    await dash.wait_for_selector("#original")
    await dash.click("#dismiss")
    await dash.wait_for_selector(".flash.ok >> text=Dismissed")
    assert await dash.text_content("#case-status") == "dismissed"

    restored = chat.locator("li.msg.restored", has_text="Calais")
    await restored.wait_for()
    assert "restored by a moderator" in await restored.inner_text()
    await context.close()


XSS_CHAT = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"
XSS_OFFER = (
    "<img src=x onerror=alert(1)><script>alert(2)</script> boat to UK tonight from Calais "
    "2500 GBP 100% safe whatsapp +44 7700 900126"
)


async def test_an_xss_payload_stays_inert(server: Server, browser: Any) -> None:
    chat = await open_playground(browser, server.url)
    await say(chat, "u-amira", XSS_CHAT)
    line = await chat.wait_for_selector("li.msg.message >> text=document.title")
    assert await line.inner_text() != ""
    assert XSS_CHAT in await line.inner_text()  # shown as text
    assert await chat.locator("#messages img, #messages script").count() == 0
    assert await chat.title() == "channelwatch playground"
    await say(chat, "u-newbie", XSS_OFFER)
    await chat.wait_for_selector("li.msg.notice")
    # The admin's view of the escalation card shows the payload as text, too.
    await chat.select_option("#user", "u-admin")
    card = await chat.wait_for_selector("#cards li.card")
    assert "<script>alert(2)</script>" in await card.inner_text()
    assert await chat.locator("#cards img, #cards script").count() == 0

    dash = await browser.new_page()
    dash.set_default_timeout(TIMEOUT_MS)
    dash_errors: list[str] = []
    dash.on("dialog", lambda d: dash_errors.append(d.message))
    dash.on("console", lambda m: m.type == "error" and dash_errors.append(m.text))
    await dash.goto(server.url + "/login")
    await dash.fill('input[name="name"]', "admin")
    await dash.fill('input[name="password"]', PASSWORD)
    await dash.click('button[type="submit"]')
    await dash.wait_for_url(re.compile(r".*/cases$"))
    assert await dash.locator("table.queue img, table.queue script").count() == 0
    await dash.click("table.queue a >> text=Calais")
    original = await dash.wait_for_selector("#original")
    assert "<script>alert(2)</script>" in await original.inner_text()
    assert await dash.locator("main img, main script").count() == 0
    assert dash_errors == [] and chat.errors == []
