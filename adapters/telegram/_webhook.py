"""Webhook mode: Telegram POSTs each update to us instead of us polling for it.

The handler answers 200 only after the update was handled (the engine has persisted it), so a
crash or an error makes Telegram deliver it again; the engine de-duplicates. An update PTB
cannot parse is acknowledged and logged, or Telegram would retry it forever.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

if TYPE_CHECKING:
    from ._adapter import TelegramAdapter, WebhookConfig

__all__ = ["start_webhook"]

log = logging.getLogger(__name__)

_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def start_webhook(
    adapter: TelegramAdapter, config: WebhookConfig, allowed_updates: Sequence[str]
) -> web.AppRunner:
    # Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -; token_urlsafe fits.
    secret = config.secret or secrets.token_urlsafe(32)
    path = urlsplit(config.url).path or "/"

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(_SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403)
        try:
            update = Update.de_json(await request.json(), adapter.bot)
        except Exception:
            log.error("telegram: dropping an unparseable webhook update")
            return web.Response(status=200)
        try:
            await adapter.handle_update(update)
        except Exception:
            log.exception(
                "telegram: webhook update %s failed; Telegram will retry", update.update_id
            )
            return web.Response(status=500)
        return web.Response(status=200)

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, config.host, config.port).start()
    await adapter.bot.set_webhook(
        config.url, secret_token=secret, allowed_updates=list(allowed_updates)
    )
    log.info("telegram: webhook listening on %s:%s%s", config.host, config.port, path)
    return runner
