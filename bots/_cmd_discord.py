"""``channelwatch discord invite-url``: the link an admin opens to add the bot to a server.

The URL asks for exactly the permissions channelwatch uses (listed with ``--explain``) and the
``bot`` and ``applications.commands`` scopes. It needs the application (client) id: from
``--client-id``, else ``DISCORD_CLIENT_ID``, else decoded from the first segment of
``DISCORD_BOT_TOKEN`` (a bot token starts with its id in base64). The token is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    group = subparsers.add_parser(
        "discord",
        help="Discord helpers",
        description="Helpers for running channelwatch on Discord.",
    )
    sub = group.add_subparsers(dest="discord_command", metavar="SUBCOMMAND")
    invite = sub.add_parser(
        "invite-url",
        help="print the OAuth2 URL that adds the bot with exactly the permissions it uses",
        description="Print the OAuth2 invite URL. The application id comes from --client-id, "
        "DISCORD_CLIENT_ID, or the first segment of DISCORD_BOT_TOKEN.",
    )
    invite.add_argument("--client-id", default=None, help="the application's id (a number)")
    invite.add_argument(
        "--automod",
        action="store_true",
        help="also ask for Manage Server, for AutoMod sync of confirmed contacts (DISCORD_AUTOMOD)",
    )
    invite.add_argument(
        "--explain", action="store_true", help="also list each permission and why it is needed"
    )
    invite.set_defaults(func=_invite_url)
    group.set_defaults(func=lambda _args: (group.print_help(), 2)[1])


def _invite_url(args: argparse.Namespace) -> int:
    from adapters.discord._invite import (
        AUTOMOD_PERMISSIONS,
        REQUIRED_PERMISSIONS,
        client_id_from_token,
        invite_url,
        permission_label,
    )

    client_id = args.client_id or os.environ.get("DISCORD_CLIENT_ID")
    if not client_id:
        token = os.environ.get("DISCORD_BOT_TOKEN", "")
        client_id = client_id_from_token(token) if token else None
    if not client_id:
        print(
            "channelwatch: no application id. Pass --client-id ID, or set DISCORD_CLIENT_ID or "
            "DISCORD_BOT_TOKEN (Developer Portal -> your application -> General Information).",
            file=sys.stderr,
        )
        return 2
    automod = args.automod or os.environ.get("DISCORD_AUTOMOD", "0") in ("1", "true", "yes")
    try:
        print(invite_url(client_id, automod=automod))
    except ValueError as exc:
        print(f"channelwatch: {exc}", file=sys.stderr)
        return 2
    if args.explain:
        wanted = REQUIRED_PERMISSIONS | (AUTOMOD_PERMISSIONS if automod else {})
        for name, (_bit, why) in wanted.items():
            print(f"  {permission_label(name)}: {why}")
    return 0
