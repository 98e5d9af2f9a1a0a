"""Take the README's screenshots: the playground and a case page, in Debian's Chromium.

Usage: ``.venv/bin/python tools/screenshots.py [--out docs/screenshots]``

Starts the whole stack (engine, playground, dashboard) in-process on a free 127.0.0.1 port with
a throw-away database, posts a realistic mix of messages (offers, a seeker, warnings, ordinary
chat, right-to-left text), then captures ``playground.png``, ``case.png`` and ``metrics.png``.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bots._cmd_run import Server  # noqa: E402
from tools.browser import chromium  # noqa: E402

SCRIPT = [
    ("general", "u-amira", "Anyone know a good place to watch the match on Saturday?"),
    (
        "general",
        "u-newbie",
        "Boat to UK tonight from Calais, 4 places left, £2,500, 100% safe, "
        "WhatsApp +44 7700 900123",
    ),
    (
        "general",
        "u-karim",
        "Please don't pay these people. My cousin lost everything and the boat never came.",
    ),
    ("travel", "u-dara", "who knows someone to take me to UK? how much does it cost?"),
    (
        "travel",
        "u-amira",
        "The Refugee Council answered my family reunion questions, they were very kind.",
    ),
    (
        "arabic",
        "u-karim",
        "بلم لبريطانيا بكرا بالليل من كاليه، ٢٣٠٠ باوند، الدفع عند الوصول. واتساب +٤٤ ٧٧٠٠ ٩٠٠٦٠١",
    ),
    ("arabic", "u-amira", "مرحبا، هل يعرف أحد مكانا لتعلم اللغة الإنجليزية مجانا؟"),
    (
        "general",
        "u-lin",
        "Passport + visa for UK, 100% real, fast delivery, DM me on Telegram @docs_uk_fast",
    ),
]


async def run(out: Path) -> None:
    password = secrets.token_urlsafe(16)
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(
            db_path=str(Path(tmp) / "shots.db"),
            port=0,
            env={"CHANNELWATCH_ADMIN_PASSWORD": password},
            out=lambda _line: None,
        )
        await server.start()
        try:
            pg = next(a for a in server.adapters if a.platform == "playground")
            for room, user, text in SCRIPT:
                await pg.post(room, user, text)
            await server.engine.wait_idle(10)
            async with chromium() as browser:
                page = await browser.new_page(viewport={"width": 1400, "height": 860})
                await page.goto(server.url + "/playground/")
                await page.wait_for_selector("#conn.live")
                await page.select_option("#user", "u-dara")
                await page.click('button.room[data-room="general"]')
                await page.wait_for_selector("li.msg.notice")
                await page.screenshot(path=str(out / "playground.png"))

                await page.goto(server.url + "/login")
                await page.fill('input[name="name"]', "admin")
                await page.fill('input[name="password"]', password)
                await page.click('button[type="submit"]')
                await page.wait_for_url("**/cases")
                await page.click("table.queue tbody tr:first-child a")
                await page.wait_for_selector("#original")
                await page.set_viewport_size({"width": 1400, "height": 1100})
                await page.screenshot(path=str(out / "case.png"))

                # Some moderator decisions, so the metrics have precision figures to show.
                from core import CaseFilter, Moderator

                mod = Moderator(via="dashboard", user_id="admin", name="admin")
                for i, case in enumerate(await server.engine.review.list_cases(CaseFilter())):
                    if i % 3 == 2:
                        await server.engine.review.dismiss(case.id, mod)
                    else:
                        await server.engine.review.confirm(case.id, mod)
                await server.engine.wait_idle(10)
                await page.set_viewport_size({"width": 1400, "height": 1250})
                await page.goto(server.url + "/stats")
                await page.screenshot(path=str(out / "metrics.png"))
        finally:
            await server.stop()
    print(f"wrote playground.png, case.png and metrics.png in {out}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(run(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
