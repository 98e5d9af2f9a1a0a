"""What happens when someone presses a review button or runs a ``/channelwatch`` command.

Nothing about an interaction is trusted. Discord hides the command group from members without
Manage Messages, but servers can change that, and a card in a channel may be seen by people who
must not decide. So every handler re-checks the member's permissions from the interaction
itself (Manage Messages to review, Ban Members to ban, Manage Server for ``modchannel``), and a
button only acts on a case of the server it was pressed in. A refusal is ephemeral and changes
nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from adapters.discord._constants import MODCHANNEL_KEY, NO_MENTIONS, PLATFORM
from adapters.discord._render import card_embed, card_from_case, card_view, with_jump_url
from core import CaseStatus, Moderator

if TYPE_CHECKING:
    from adapters.discord._adapter import DiscordAdapter

__all__ = ["modchannel", "review_button", "setup", "status"]

_log = logging.getLogger("channelwatch.discord")

# Permission names as Discord's own UI shows them (discord.py's "manage_guild" is "Manage Server").
_PERM_NAMES = {
    "manage_messages": "Manage Messages",
    "ban_members": "Ban Members",
    "manage_guild": "Manage Server",
}


async def review_button(
    adapter: DiscordAdapter, interaction: discord.Interaction[Any], action: str, case_id: str
) -> None:
    """A moderator pressed Confirm / Dismiss & restore / Ban on a card.

    Nothing about the press is trusted: the member's permissions are re-checked here (the
    card may be visible to people who must not decide), and the case must belong to the
    server the button was pressed in.
    """
    perms = interaction.permissions
    needed = ["manage_messages"] + (["ban_members"] if action == "ban" else [])
    missing = [p for p in needed if not (perms.administrator or getattr(perms, p))]
    if interaction.guild_id is None or missing:
        names = " and ".join(_PERM_NAMES[p] for p in needed)
        await interaction.response.send_message(
            f"You need {names} to do this. Nothing was changed.", ephemeral=True
        )
        return
    case = await adapter.engine.review.get_case(case_id)
    if (
        case is None
        or case.ref.platform != PLATFORM
        or case.ref.community_id != str(interaction.guild_id)
    ):
        await interaction.response.send_message(
            "This case does not belong to this server. Nothing was changed.", ephemeral=True
        )
        return
    if case.status in (CaseStatus.CONFIRMED, CaseStatus.DISMISSED):
        await interaction.response.send_message(
            f"This case was already {case.status} by {case.decided_by or 'someone'}.",
            ephemeral=True,
        )
        return
    await interaction.response.defer()  # the engine may take a moment; Discord waits 3 s
    user = interaction.user
    moderator = Moderator(via=PLATFORM, user_id=str(user.id), name=user.display_name)
    try:
        if action == "dismiss":
            case = await adapter.engine.review.dismiss(case_id, moderator)
        else:
            case = await adapter.engine.review.confirm(case_id, moderator, ban=action == "ban")
    except Exception as exc:  # a race with another moderator, the dashboard, a store error
        _log.warning("review %s of case %s failed: %s", action, case_id, exc)
        await interaction.followup.send(f"Could not record that decision: {exc}", ephemeral=True)
        return
    card = with_jump_url(card_from_case(case))
    await interaction.edit_original_response(embed=card_embed(card), view=card_view(card))


async def setup(adapter: DiscordAdapter, interaction: discord.Interaction[Any]) -> None:
    from adapters.discord._invite import (
        AUTOMOD_PERMISSIONS,
        REQUIRED_PERMISSIONS,
        permission_label,
    )

    if not await _require(interaction, "manage_messages"):
        return
    have = interaction.app_permissions
    lines = ["**channelwatch setup**", "Bot permissions (where this command ran):"]
    missing = 0
    wanted = dict(REQUIRED_PERMISSIONS)
    if adapter.automod:
        wanted.update(AUTOMOD_PERMISSIONS)
    for name, (_bit, why) in wanted.items():
        ok = getattr(have, name, False) or have.administrator
        missing += not ok
        label = permission_label(name)
        lines.append(f"{'✅' if ok else '❌'} {label}" + ("" if ok else f" - missing: {why}"))
    if adapter.content_intent is False:
        lines.append(
            "❌ Message Content intent: NOT GRANTED. channelwatch cannot read messages. "
            "Developer Portal -> your application -> Bot -> Privileged Gateway Intents -> "
            "Message Content Intent, then restart the bot."
        )
        missing += 1
    else:
        lines.append("✅ Message Content intent: granted")
    assert interaction.guild_id is not None
    channel = await adapter.engine.settings.get(PLATFORM, str(interaction.guild_id), MODCHANNEL_KEY)
    if channel:
        lines.append(f"✅ Moderators' channel: <#{channel}>")
    else:
        lines.append("❌ Moderators' channel: not set - run `/channelwatch modchannel`")
        missing += 1
    lines.append("Ready." if missing == 0 else f"{missing} thing(s) to fix.")
    await interaction.response.send_message("\n".join(lines), ephemeral=True)


async def modchannel(
    adapter: DiscordAdapter,
    interaction: discord.Interaction[Any],
    channel: discord.abc.GuildChannel,
) -> None:
    if not await _require(interaction, "manage_guild"):
        return
    assert interaction.guild_id is not None
    guild = str(interaction.guild_id)
    client = adapter.http_client()
    try:
        await client.http.send_message(
            channel.id,
            params=discord.http.handle_message_parameters(
                content="channelwatch will post review cards for this server here.",
                allowed_mentions=NO_MENTIONS,
            ),
        )
    except discord.HTTPException as exc:
        await interaction.response.send_message(
            f"I cannot post in <#{channel.id}> ({exc.text or exc.status}). Give me View "
            "Channel, Send Messages and Embed Links there, then try again.",
            ephemeral=True,
        )
        return
    await adapter.engine.settings.set(PLATFORM, guild, MODCHANNEL_KEY, str(channel.id))
    await interaction.response.send_message(
        f"Review cards will be posted in <#{channel.id}>.", ephemeral=True
    )
    adapter.spawn(adapter.post_open_cases(guild))  # cases escalated while there was no channel


async def status(adapter: DiscordAdapter, interaction: discord.Interaction[Any]) -> None:
    if not await _require(interaction, "manage_messages"):
        return
    assert interaction.guild_id is not None
    st = await adapter.engine.status(PLATFORM, str(interaction.guild_id))
    shadow = " (shadow mode: nothing is enforced)" if st.shadow else ""
    lines = [f"**channelwatch status**{shadow}"]
    lines.append("Policy in force:")
    lines.extend(f"• {discord.utils.escape_markdown(r)}" for r in st.rules[:20])
    counts = ", ".join(f"{k} {v}" for k, v in st.counts_24h.items()) or "nothing yet"
    lines.append(f"Last 24 h: {counts}")
    if adapter.content_intent is False:
        lines.append("⚠ Message Content intent not granted: see /channelwatch setup")
    await interaction.response.send_message(_clip("\n".join(lines), 2000), ephemeral=True)


async def _require(interaction: discord.Interaction[Any], permission: str) -> bool:
    perms = interaction.permissions
    if interaction.guild_id is not None and (perms.administrator or getattr(perms, permission)):
        return True
    await interaction.response.send_message(
        f"You need {_PERM_NAMES[permission]} to use this here. Nothing was changed.",
        ephemeral=True,
    )
    return False


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
