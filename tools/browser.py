"""Launching Debian's Chromium under Playwright, the same way everywhere.

The README screenshots (``tools/screenshots.py``) and the browser tests
(``tests/bots/dashboard/test_browser.py``) drive the system Chromium rather than a browser
Playwright downloads: the machines that run them have no internet, and ``.ci/run`` installs the
distribution package. The flags keep a headless run from reaching out (component updates, sync,
background networking) and let it run as root in containers (no sandbox, no GPU).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A headless Chromium ``Browser``, closed (and Playwright stopped) on exit."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(ARGS)
        )
        try:
            yield browser
        finally:
            await browser.close()
