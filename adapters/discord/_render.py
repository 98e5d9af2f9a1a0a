"""How a review case looks in the moderators' channel: an embed plus three persistent buttons.

The buttons are :class:`discord.ui.DynamicItem` instances whose ``custom_id`` carries the action
and the case id (``cw:confirm:<case id>``). discord.py matches a pressed button's ``custom_id``
against the template, so a card posted last week - before the bot restarted - still works: no
view object has to be kept in memory or re-attached to the message.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import discord

from core import Case, CaseCard, CaseStatus, Entity, Reason

__all__ = [
    "ReviewButton",
    "card_embed",
    "card_from_case",
    "card_view",
    "jump_url",
    "with_jump_url",
]

_PRIORITY_COLOURS = {"urgent": 0xD83C3E, "high": 0xE67E22, "normal": 0xF1C40F}
_RESOLVED_COLOUR = 0x95A5A6
_TEXT_LIMIT = 1800  # embed descriptions hold 4096; keep cards readable on a phone
_FIELD_LIMIT = 1000  # embed field values hold 1024

_ACTIONS: dict[str, tuple[str, discord.ButtonStyle]] = {
    "confirm": ("Confirm", discord.ButtonStyle.success),
    "dismiss": ("Dismiss & restore", discord.ButtonStyle.secondary),
    "ban": ("Ban", discord.ButtonStyle.danger),
}
CUSTOM_ID_TEMPLATE = r"cw:(?P<action>confirm|dismiss|ban):(?P<case>[^:\s]{1,90})"


def jump_url(guild_id: str, channel_id: str, message_id: str) -> str:
    """A link to where the message was (Discord shows the surrounding conversation)."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    """Evidence as a block quote, markdown and mentions neutralised (the store keeps it as is)."""
    safe = discord.utils.escape_mentions(discord.utils.escape_markdown(text))
    safe = _clip(safe, _TEXT_LIMIT)
    return "\n".join("> " + line for line in safe.splitlines()) or "> (no text)"


def card_embed(card: CaseCard) -> discord.Embed:
    resolved = card.status in (CaseStatus.CONFIRMED, CaseStatus.DISMISSED)
    colour = _RESOLVED_COLOUR if resolved else _PRIORITY_COLOURS.get(card.priority, 0xF1C40F)
    title = f"{card.priority.upper()} · possible smuggling {card.label}"
    embed = discord.Embed(title=_clip(title, 256), description=_quote(card.text), colour=colour)
    ref = card.ref
    link = card.message_url or jump_url(ref.community_id, ref.channel_id, ref.message_id)
    embed.add_field(
        name="Posted by",
        value=_clip(
            f"<@{card.author_id}> ({discord.utils.escape_markdown(card.author_name)}, "
            f"id {card.author_id})",
            _FIELD_LIMIT,
        ),
        inline=True,
    )
    embed.add_field(
        name="Where",
        value=f"<#{ref.channel_id}> · [jump]({link})",
        inline=True,
    )
    embed.add_field(
        name="Verdict",
        value=f"{card.label} · score {card.score:.2f} · language {card.lang}",
        inline=True,
    )
    if card.reasons:
        lines = [
            f"• {discord.utils.escape_markdown(r.text or r.signal)}"
            + (f" ({', '.join(r.terms[:5])})" if r.terms else "")
            for r in card.reasons
        ]
        embed.add_field(name="Why", value=_clip("\n".join(lines), _FIELD_LIMIT), inline=False)
    if card.entities:
        lines = [
            f"• {e.kind}: `{e.value.replace('`', 'ˋ')}`"
            for e in card.entities  # backticks would end the code span
        ]
        embed.add_field(name="Entities", value=_clip("\n".join(lines), _FIELD_LIMIT), inline=False)
    status = str(card.status)
    decided_by = card.extra.get("decided_by")
    if decided_by:
        status += f" by {decided_by}"
    embed.add_field(name="Status", value=_clip(status, _FIELD_LIMIT), inline=False)
    embed.set_footer(text=f"case {card.case_id}")
    if card.created_at is not None:
        embed.timestamp = card.created_at
    return embed


class ReviewButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=CUSTOM_ID_TEMPLATE):
    """One of Confirm / Dismiss & restore / Ban on a card; the custom_id is its whole state."""

    def __init__(self, action: str, case_id: str, *, disabled: bool = False) -> None:
        label, style = _ACTIONS[action]
        super().__init__(
            discord.ui.Button(
                label=label, style=style, custom_id=f"cw:{action}:{case_id}", disabled=disabled
            )
        )
        self.action = action
        self.case_id = case_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: Any,
        /,
    ) -> ReviewButton:
        return cls(match["action"], match["case"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        from adapters.discord._interactions import review_button

        adapter = getattr(interaction.client, "channelwatch", None)
        if adapter is None:  # pragma: no cover - only our client class registers this item
            return
        await review_button(adapter, interaction, self.action, self.case_id)


def card_view(card: CaseCard) -> discord.ui.View:
    """The buttons; disabled once the case is resolved, so nobody decides twice by accident."""
    resolved = card.status in (CaseStatus.CONFIRMED, CaseStatus.DISMISSED)
    view = discord.ui.View(timeout=None)
    for action in _ACTIONS:
        view.add_item(ReviewButton(action, card.case_id, disabled=resolved))
    return view


def card_from_case(case: Case) -> CaseCard:
    """Rebuild a card from the engine's record (after a button press changed it)."""
    reasons = tuple(
        Reason(
            signal=str(r.get("signal", "")),
            terms=tuple(str(t) for t in r.get("terms", ())),
            weight=float(r.get("weight", 0.0)),
            text=str(r.get("text", "")),
        )
        for r in case.reasons
    )
    entities = tuple(
        Entity(
            kind=str(e.get("kind", "")), value=str(e.get("value", "")), text=str(e.get("text", ""))
        )
        for e in case.entities
    )
    extra: dict[str, Any] = {}
    if case.decided_by:
        extra["decided_by"] = case.decided_by
    return CaseCard(
        case_id=case.id,
        ref=case.ref,
        author_id=case.author_id,
        author_name=case.author_name,
        text=case.text if case.text is not None else "(evidence purged by retention)",
        lang=case.lang,
        label=case.label,
        score=case.score,
        priority=case.priority,
        reasons=reasons,
        entities=entities,
        status=str(case.status),
        created_at=case.created_at,
        extra=extra,
    )


def with_jump_url(card: CaseCard) -> CaseCard:
    """The card with ``message_url`` pointing at where the message was."""
    ref = card.ref
    url = jump_url(ref.community_id, ref.channel_id, ref.message_id)
    return dataclasses.replace(card, message_url=url)
