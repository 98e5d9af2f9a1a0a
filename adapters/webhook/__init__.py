"""channelwatch for any platform that can speak signed JSON over HTTP.

A forum, a Matrix or WhatsApp Business bridge, an in-house chat: the integrator POSTs each
message to ``/v1/messages`` and gets the decision back at once; channelwatch POSTs its actions
(hide, notice, private_message, timeout, ban, restore, escalate) to the integrator's callback
URL. Both directions are signed with HMAC-SHA256 over a shared secret. The protocol reference is
``docs/webhook.md``.

Set ``CHANNELWATCH_WEBHOOK_SECRET`` (and usually ``CHANNELWATCH_WEBHOOK_CALLBACK_URL``), then
either mount the adapter on an existing aiohttp server::

    adapter = build_from_env(engine, os.environ)
    engine.register_adapter(adapter)
    root_app.add_subapp("/webhook", adapter.app())

or run it on its own: ``python -m adapters.webhook --db channelwatch.db --port 8090``.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._adapter import EngineLike, WebhookAdapter
from ._config import WebhookConfig

__all__ = ["WebhookAdapter", "build_from_env"]


def build_from_env(engine: EngineLike, env: Mapping[str, str]) -> WebhookAdapter | None:
    """The adapter configured from ``CHANNELWATCH_WEBHOOK_*`` variables, or None without a secret.

    Raises :class:`ValueError` naming the variable when a setting is unusable (the message never
    contains the secret).
    """
    config = WebhookConfig.from_env(env)
    if config is None:
        return None
    return WebhookAdapter(engine, config)
