"""channelwatch on Telegram, through python-telegram-bot.

Set ``TELEGRAM_BOT_TOKEN`` (from @BotFather) and run ``channelwatch run``. Optional:
``TELEGRAM_API_BASE_URL`` for a self-hosted Bot API server (``https://host`` or
``https://host/bot``), and ``TELEGRAM_WEBHOOK_URL`` (+ ``TELEGRAM_WEBHOOK_LISTEN`` as
``host:port``, ``TELEGRAM_WEBHOOK_SECRET``) to receive updates by webhook instead of long polling.

In the group: make the bot an admin (delete messages, ban users), send ``/setup``, then
``/link CODE`` in the moderators' chat; ``/status`` shows the policy and the last 24 hours.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._adapter import EngineLike, TelegramAdapter, WebhookConfig

__all__ = ["TelegramAdapter", "build_from_env"]


def build_from_env(engine: EngineLike, env: Mapping[str, str]) -> TelegramAdapter | None:
    """The adapter configured from environment variables, or None without a token."""
    token = env.get("TELEGRAM_BOT_TOKEN", "").strip()
    if not token:
        return None
    webhook = None
    if url := env.get("TELEGRAM_WEBHOOK_URL", "").strip():
        host, _, port = env.get("TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0:8443").rpartition(":")
        try:
            port_number = int(port)
        except ValueError:
            raise ValueError("TELEGRAM_WEBHOOK_LISTEN must look like HOST:PORT") from None
        webhook = WebhookConfig(
            url=url,
            host=host or "0.0.0.0",
            port=port_number,
            secret=env.get("TELEGRAM_WEBHOOK_SECRET", ""),
        )
    return TelegramAdapter(
        engine,
        token,
        base_url=env.get("TELEGRAM_API_BASE_URL") or None,
        webhook=webhook,
    )
