"""Names shared by the Discord adapter's modules."""

from __future__ import annotations

import discord

__all__ = ["CARD_KEY", "MODCHANNEL_KEY", "NO_MENTIONS", "PLATFORM"]

PLATFORM = "discord"
# Engine settings (per server): the moderators' channel id, set by /channelwatch modchannel...
MODCHANNEL_KEY = "modchannel"
# ...and, per case, where its review card is: "card:<case id>" -> "<channel id>:<message id>".
CARD_KEY = "card:"
# Nothing channelwatch posts may ping anyone: not a notice, not a restored "@everyone".
NO_MENTIONS = discord.AllowedMentions.none()
