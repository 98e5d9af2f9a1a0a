"""The ``/channelwatch`` slash commands: ``setup``, ``modchannel`` and ``status``.

The group is hidden by default from members without Manage Messages (``default_permissions``),
but that is only a UI default a server can change: every command re-checks the invoking
member's permissions in the adapter before doing anything. Replies are ephemeral.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord import _interactions

if TYPE_CHECKING:
    from adapters.discord._adapter import DiscordAdapter

__all__ = ["ChannelwatchGroup"]


class ChannelwatchGroup(app_commands.Group):
    def __init__(self, adapter: DiscordAdapter) -> None:
        super().__init__(
            name="channelwatch",
            description="Smuggling-offer moderation: setup, moderators' channel, status",
            guild_only=True,
            default_permissions=discord.Permissions(manage_messages=True),
        )
        self.adapter = adapter

    @app_commands.command(
        name="setup", description="Check the bot's permissions and configuration in this server"
    )
    async def setup(self, interaction: discord.Interaction[Any]) -> None:
        await _interactions.setup(self.adapter, interaction)

    @app_commands.command(
        name="modchannel", description="Choose the channel where review cards are posted"
    )
    @app_commands.describe(channel="The moderators' channel (keep it private to moderators)")
    async def modchannel(
        self, interaction: discord.Interaction[Any], channel: discord.TextChannel
    ) -> None:
        await _interactions.modchannel(self.adapter, interaction, channel)

    @app_commands.command(name="status", description="Policy in force and the last 24 hours")
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        await _interactions.status(self.adapter, interaction)
