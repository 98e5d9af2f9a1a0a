"""channelwatch's Discord adapter (discord.py 2.7).

``build_from_env(engine, env)`` gives the adapter ``channelwatch run`` starts when
``DISCORD_BOT_TOKEN`` is set (None otherwise); ``invite_url(client_id)`` the OAuth2 URL that adds
the bot with exactly the permissions it uses. How it works: :mod:`adapters.discord._adapter`.

discord.py takes about 0.3 s to import, so it is loaded only when the adapter itself is asked
for: ``channelwatch discord invite-url`` and ``--help`` stay instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from adapters.discord._invite import invite_url

if TYPE_CHECKING:
    from adapters.discord._adapter import DiscordAdapter, build_from_env

__all__ = ["DiscordAdapter", "build_from_env", "invite_url"]


def __getattr__(name: str) -> Any:
    if name in ("DiscordAdapter", "build_from_env"):
        from adapters.discord import _adapter

        return getattr(_adapter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
