"""Admin commands (/setup, /link, /status) and the review card's buttons.

Everything that changes state is authorised against the *moderated group*, at the time of the
request, through the Bot API: a command or a button press from someone who is not (or no longer)
an admin of that group gets a polite refusal and changes nothing.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from telegram import BotCommand, CallbackQuery, Message
from telegram.error import TelegramError

from core import CaseStatus, Moderator

from ._admins import member_rights
from ._cards import CardLocation, parse_callback
from ._convert import PLATFORM
from ._texts import lang_of

if TYPE_CHECKING:
    from ._adapter import TelegramAdapter

__all__ = ["Commands"]

log = logging.getLogger(__name__)

_NEEDED_RIGHTS = ("can_delete_messages", "can_restrict_members")
_RESOLVED = (CaseStatus.CONFIRMED, CaseStatus.DISMISSED)


class Commands:
    def __init__(self, adapter: TelegramAdapter, *, link_code_ttl: float) -> None:
        self._a = adapter
        self._code_ttl = link_code_ttl

    async def publish_commands(self) -> None:
        """So clients suggest them when an admin types ``/``."""
        await self._a.bot.set_my_commands(
            [
                BotCommand("setup", "Check my rights and get a code to link a moderators' chat"),
                BotCommand("link", "Link this chat as moderators' chat: /link CODE"),
                BotCommand("status", "Policy in force and the last 24 hours"),
            ]
        )

    # ------------------------------------------------------------------ commands

    async def on_private_command(self, message: Message, command: tuple[str, str]) -> None:
        name, _ = command
        lang = message.from_user.language_code if message.from_user else None
        if name in ("start", "help"):
            await self._a.reply(message, self._a.texts.get(lang, "start_private"))
        elif name == "setup":
            await self._a.reply(message, self._a.texts.get(lang, "setup_where"))
        elif name in ("link", "status"):
            await self._a.reply(
                message,
                self._a.texts.get(lang, f"{name}_where" if name == "status" else "link_usage"),
            )

    async def on_group_command(self, message: Message, command: tuple[str, str]) -> None:
        name, args = command
        if name == "setup":
            await self._setup(message)
        elif name == "link":
            await self._link(message, args)
        elif name == "status":
            await self._status(message)

    async def _setup(self, message: Message) -> None:
        a, t = self._a, self._a.texts.get
        user = message.from_user
        lang = user.language_code if user else None
        chat = message.chat
        if user is None or not await a.admins.is_admin(chat.id, user.id):
            await a.reply(message, t(lang, "not_admin"))
            return
        lines = [t(lang, "setup_intro", group=chat.title or chat.id)]
        try:
            me = await a.bot.get_chat_member(chat.id, a.bot_id)
        except TelegramError as exc:
            log.warning("telegram: /setup could not read own rights: %s", type(exc).__name__)
            me = None
        is_admin = me is not None and me.status in ("administrator", "creator")
        rights = member_rights(me) if me is not None else dict.fromkeys(_NEEDED_RIGHTS, False)
        missing = [r for r in _NEEDED_RIGHTS if not rights.get(r)]
        names = ", ".join(t(lang, f"right_{r}") for r in (missing or _NEEDED_RIGHTS))
        if not is_admin:
            lines.append(t(lang, "setup_not_admin", rights=names))
        elif missing:
            lines.append(t(lang, "setup_missing", rights=names, bot=f"@{a.bot_username}"))
        else:
            lines.append(t(lang, "setup_rights_ok"))
        # Admin bots see every message whatever their privacy mode; others only see commands.
        if not is_admin and not a.bot.bot.can_read_all_group_messages:
            lines.append(t(lang, "setup_privacy"))
        else:
            lines.append(t(lang, "setup_sees_messages"))
        code = a.new_code()
        group = str(chat.id)
        await a.set_setting(group, "link_code", code)
        await a.set_setting(group, "link_code_expires", str(int(time.time() + self._code_ttl)))
        await a.set_setting(group, "ui_lang", lang_of(lang))
        await a.set_setting(group, "community_name", chat.title or group)
        lines.append("")
        lines.append(t(lang, "setup_code", code=code, minutes=int(self._code_ttl // 60)))
        await a.reply(message, "\n".join(lines))

    async def _link(self, message: Message, args: str) -> None:
        a, t = self._a, self._a.texts.get
        user = message.from_user
        lang = user.language_code if user else None
        code = args.strip().split()[0].upper() if args.strip() else ""
        if not code or user is None:
            await a.reply(message, t(lang, "link_usage"))
            return
        settings = a.engine.settings
        groups = await settings.find(PLATFORM, "link_code", code)
        group = groups[0] if len(groups) == 1 else None
        if group is not None:
            expires = await settings.get(PLATFORM, group, "link_code_expires")
            if not expires or float(expires) < time.time():
                group = None
        if group is None:
            await a.reply(message, t(lang, "link_bad_code"))
            return
        if group == str(message.chat.id):
            await a.reply(message, t(lang, "link_same_chat"))
            return
        title = await settings.get(PLATFORM, group, "community_name") or group
        if not await a.admins.is_admin(int(group), user.id):
            await a.reply(message, t(lang, "link_not_admin", group=title))
            return
        await a.set_setting(group, "mod_chat", str(message.chat.id))
        await a.set_setting(group, "mod_lang", lang_of(lang))
        # One-time: the code cannot link a second chat.
        await a.set_setting(group, "link_code", None)
        await a.set_setting(group, "link_code_expires", None)
        a.mark_mod_chat(message.chat.id)
        await a.reply(message, t(lang, "link_done", group=title))

    async def _status(self, message: Message) -> None:
        a, t = self._a, self._a.texts.get
        user = message.from_user
        lang = user.language_code if user else None
        chat_id = str(message.chat.id)
        groups = await a.engine.settings.find(PLATFORM, "mod_chat", chat_id)
        if not groups:
            groups = [chat_id]  # asked in the moderated group itself
        allowed = [
            g for g in groups if user is not None and await a.admins.is_admin(int(g), user.id)
        ]
        if not allowed:
            await a.reply(message, t(lang, "not_admin"))
            return
        for group in allowed:
            status = await a.engine.status(PLATFORM, group)
            title = await a.engine.settings.get(PLATFORM, group, "community_name") or a.group_title(
                int(group)
            )
            linked = await a.engine.settings.get(PLATFORM, group, "mod_chat")
            lines = [
                t(lang, "status_header", group=title),
                t(lang, "status_mode_shadow" if status.shadow else "status_mode_active"),
                t(lang, "status_mod_chat_linked" if linked else "status_mod_chat_missing"),
                "",
                t(lang, "status_rules"),
                *(f"• {rule}" for rule in status.rules),
                "",
                t(lang, "status_counts"),
                *(f"• {k}: {v}" for k, v in sorted(status.counts_24h.items())),
            ]
            await a.reply(message, "\n".join(lines))

    # ------------------------------------------------------------------ buttons

    async def on_callback(self, query: CallbackQuery) -> None:
        """A press on a review card's button. Checked three ways before anything changes."""
        a, t = self._a, self._a.texts.get
        lang = query.from_user.language_code
        parsed = parse_callback(query.data)
        if parsed is None:
            await self._answer(query, None)
            return
        action, case_id = parsed
        case = await a.engine.review.get_case(case_id)
        if case is None or case.ref.platform != PLATFORM:
            await self._answer(query, t(lang, "press_unknown"))
            return
        group = case.ref.community_id
        settings = a.engine.settings
        title = await settings.get(PLATFORM, group, "community_name") or group
        # 1. The press must come from this case's own card: data copied onto another card, or
        #    sent by a modified client from another chat, names a case it cannot act on.
        location = CardLocation.decode(await settings.get(PLATFORM, group, f"card:{case_id}"))
        pressed_on = query.message
        if (
            location is None
            or pressed_on is None
            or (pressed_on.chat.id, pressed_on.message_id)
            != (location.chat_id, location.message_id)
        ):
            log.warning("telegram: refused a button press for case %s from another chat", case_id)
            await self._answer(query, t(lang, "press_refused", group=title), alert=True)
            return
        # 2. The presser must be an admin of the moderated group, now.
        if not await a.admins.is_admin(int(group), query.from_user.id):
            await self._answer(query, t(lang, "press_refused", group=title), alert=True)
            return
        # 3. A decided case stays decided (two moderators pressing at once).
        if case.status in _RESOLVED:
            await self._answer(query, t(lang, "press_already", status=str(case.status)))
            return
        moderator = Moderator(
            via=PLATFORM, user_id=str(query.from_user.id), name=query.from_user.full_name
        )
        review = a.engine.review
        try:
            if action == "confirm":
                await review.confirm(case_id, moderator)
                answer = t(lang, "press_confirmed")
            elif action == "ban":
                await review.confirm(case_id, moderator, ban=True)
                answer = t(lang, "press_banned")
            else:
                await review.dismiss(case_id, moderator)
                answer = t(lang, "press_dismissed")
        except Exception:
            log.exception("telegram: review decision on case %s failed", case_id)
            await self._answer(query, t(lang, "press_failed"), alert=True)
            return
        await self._answer(query, answer)

    async def _answer(self, query: CallbackQuery, text: str | None, *, alert: bool = False) -> None:
        try:
            await query.answer(text=text, show_alert=alert)
        except TelegramError as exc:  # the spinner times out on its own; nothing to retry
            log.debug("telegram: answerCallbackQuery failed: %s", type(exc).__name__)
