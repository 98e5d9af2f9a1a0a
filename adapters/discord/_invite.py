"""The permissions channelwatch uses on Discord, and the OAuth2 URL that grants exactly those."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

__all__ = [
    "AUTOMOD_PERMISSIONS",
    "REQUIRED_PERMISSIONS",
    "client_id_from_token",
    "invite_url",
    "permission_label",
    "permissions_value",
]

# Every permission here is used by an action; nothing is requested "just in case".
# name (as discord.Permissions spells it) -> (bit, why channelwatch needs it)
REQUIRED_PERMISSIONS: dict[str, tuple[int, str]] = {
    "view_channel": (1 << 10, "see the channels it watches"),
    "send_messages": (1 << 11, "post redirect notices and review cards"),
    "send_messages_in_threads": (1 << 38, "post notices in threads"),
    "embed_links": (1 << 14, "show review cards as embeds"),
    "manage_messages": (1 << 13, "delete smuggling offers"),
    "manage_webhooks": (1 << 29, "restore dismissed messages under their author's name"),
    "moderate_members": (1 << 40, "time out posters"),
    "ban_members": (1 << 2, "ban posters when a moderator confirms with Ban"),
}

# Only with AutoMod sync on (DISCORD_AUTOMOD=1): Discord requires Manage Server to edit rules.
AUTOMOD_PERMISSIONS: dict[str, tuple[int, str]] = {
    "manage_guild": (1 << 5, "keep confirmed smugglers' contacts in an AutoMod rule"),
}

SCOPES = ("bot", "applications.commands")


def permission_label(name: str) -> str:
    """A permission as Discord's own settings screens name it."""
    return {"manage_guild": "Manage Server", "moderate_members": "Timeout Members"}.get(
        name, name.replace("_", " ").title()
    )


def permissions_value(*, automod: bool = False) -> int:
    value = 0
    wanted = REQUIRED_PERMISSIONS | (AUTOMOD_PERMISSIONS if automod else {})
    for bit, _why in wanted.values():
        value |= bit
    return value


def client_id_from_token(token: str) -> str | None:
    """The application id a bot token encodes in its first segment (base64 of the id), if any."""
    first = token.strip().split(".", 1)[0]
    if not first:
        return None
    try:
        raw = base64.b64decode(first + "=" * (-len(first) % 4), altchars=b"-_", validate=False)
        text = raw.decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return text if text.isdigit() else None


def invite_url(client_id: str | int, *, automod: bool = False) -> str:
    """The OAuth2 URL an admin opens to add the bot with exactly the permissions it uses."""
    cid = str(client_id).strip()
    if not cid.isdigit():
        raise ValueError(f"a Discord application id is a number, got {cid!r}")
    query = urlencode(
        {
            "client_id": cid,
            "permissions": str(permissions_value(automod=automod)),
            "scope": " ".join(SCOPES),
        }
    )
    return f"https://discord.com/oauth2/authorize?{query}"
