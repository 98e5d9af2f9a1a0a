"""The :class:`discord.Client` one :class:`DiscordAdapter` drives.

It is deliberately thin: gateway events go straight to the adapter, the review buttons are
registered as dynamic items (they work on cards posted before a restart), and the slash commands
are synced only when they differ from what Discord has.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.discord._commands import ChannelwatchGroup
from adapters.discord._constants import NO_MENTIONS
from adapters.discord._render import ReviewButton

if TYPE_CHECKING:
    from adapters.discord._adapter import DiscordAdapter

__all__ = ["ChannelwatchClient"]

_log = logging.getLogger("channelwatch.discord")


class ChannelwatchClient(discord.Client):
    """discord.Client wired to one adapter: events in, persistent buttons, slash commands."""

    def __init__(
        self,
        adapter: DiscordAdapter,
        *,
        intents: discord.Intents,
        guild_ready_timeout: float,
        sync_commands: bool,
    ) -> None:
        super().__init__(
            intents=intents,
            max_messages=None,  # the engine keeps what matters; no message cache to grow
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            guild_ready_timeout=guild_ready_timeout,
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=60.0,  # longer waits go back to the outbox as retry_after
        )
        self.channelwatch = adapter
        self._sync_commands = sync_commands
        self.tree: app_commands.CommandTree[ChannelwatchClient] = app_commands.CommandTree(self)
        self.tree.add_command(ChannelwatchGroup(adapter))
        # discord.py lets an exception from any event parser end connect(): one malformed
        # payload would drop the session and everything after it. Guard each parser in place
        # (the gateway reads this same dict), so a bad event is logged and skipped instead.
        parsers = self._connection.parsers
        for name, func in list(parsers.items()):
            parsers[name] = _guarded(adapter, name, func)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(ReviewButton)
        if self._sync_commands:
            await self._sync_if_changed()

    async def _sync_if_changed(self) -> None:
        """Push the slash commands only when they differ from Discord's (sync is rate limited)."""
        try:
            remote = await self.tree.fetch_commands()
            want = {_signature_local(c) for c in self.tree.get_commands()}
            have = {_signature_remote(c) for c in remote}
            if want != have:
                await self.tree.sync()
                _log.info("Discord slash commands synced")
        except discord.HTTPException:
            _log.exception("Discord slash command sync failed; commands may be out of date")

    async def on_ready(self) -> None:
        self.channelwatch.gateway_ready()

    async def on_message(self, message: discord.Message) -> None:
        await self.channelwatch.receive(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.channelwatch.receive(payload.message, edited=True)


def _guarded(adapter: DiscordAdapter, event: str, func: Any) -> Any:
    def parse(data: Any) -> None:
        try:
            func(data)
        except Exception as exc:
            adapter.skipped_events += 1
            # The event type and error only: payloads carry people's messages.
            _log.error("skipped a malformed Discord %s event: %r", event, exc)

    return parse


def _signature_local(cmd: Any) -> tuple[str, str, tuple[str, ...]]:
    options = tuple(sorted(getattr(c, "name", "") for c in getattr(cmd, "commands", [])))
    return (cmd.name, getattr(cmd, "description", ""), options)


def _signature_remote(cmd: app_commands.AppCommand) -> tuple[str, str, tuple[str, ...]]:
    return (cmd.name, cmd.description, tuple(sorted(o.name for o in cmd.options)))
