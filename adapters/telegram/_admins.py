"""Who is an admin of a group, asked through the Bot API and cached briefly.

Two questions, two caches:

* "is this author an admin?" for every incoming message: one ``getChatAdministrators`` per group
  per ``list_ttl`` (admins are exempt by default, so a wrong answer costs little for minutes);
* "may this person decide on a case / run /setup?" for button presses and commands: one
  ``getChatMember`` per (group, user), cached for only ``member_ttl`` seconds, because demoting
  an admin must take effect almost at once.
"""

from __future__ import annotations

import asyncio
import logging
import time

from telegram import Bot, ChatMember, ChatMemberAdministrator, ChatMemberOwner
from telegram.error import TelegramError

__all__ = ["AdminCache", "member_rights"]

log = logging.getLogger(__name__)

_ADMIN_STATUSES = frozenset({ChatMember.ADMINISTRATOR, ChatMember.OWNER})


def member_rights(member: ChatMember) -> dict[str, bool]:
    """The two rights channelwatch needs, as Telegram reports them for one member."""
    if isinstance(member, ChatMemberOwner):
        return {"can_delete_messages": True, "can_restrict_members": True}
    if isinstance(member, ChatMemberAdministrator):
        return {
            "can_delete_messages": bool(member.can_delete_messages),
            "can_restrict_members": bool(member.can_restrict_members),
        }
    return {"can_delete_messages": False, "can_restrict_members": False}


class AdminCache:
    def __init__(
        self,
        bot: Bot,
        *,
        member_ttl: float = 30.0,
        list_ttl: float = 300.0,
        max_entries: int = 10_000,
    ) -> None:
        self._bot = bot
        self._member_ttl = member_ttl
        self._list_ttl = list_ttl
        self._max_entries = max_entries
        self._members: dict[tuple[int, int], tuple[float, bool]] = {}
        self._lists: dict[int, tuple[float, frozenset[int]]] = {}
        self._list_locks: dict[int, asyncio.Lock] = {}

    def forget(self, chat_id: int, user_id: int | None = None) -> None:
        """Drop cached answers for a chat (or one member), e.g. after a ``chat_member`` update."""
        self._lists.pop(chat_id, None)
        if user_id is None:
            for key in [k for k in self._members if k[0] == chat_id]:
                del self._members[key]
        else:
            self._members.pop((chat_id, user_id), None)

    async def is_admin(self, chat_id: int, user_id: int) -> bool:
        """Fresh-enough answer for decisions that change things. Fails closed on API errors."""
        now = time.monotonic()
        cached = self._members.get((chat_id, user_id))
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await self._bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            log.warning(
                "admin check for chat %s failed (%s): refusing", chat_id, type(exc).__name__
            )
            return False
        answer = member.status in _ADMIN_STATUSES
        if len(self._members) >= self._max_entries:
            self._members.clear()
        self._members[(chat_id, user_id)] = (now + self._member_ttl, answer)
        return answer

    async def admins_of(self, chat_id: int) -> frozenset[int]:
        """The group's admin ids for exempting authors; an empty set when Telegram will not say."""
        now = time.monotonic()
        cached = self._lists.get(chat_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        lock = self._list_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:  # one request per group, however many messages arrive at once
            cached = self._lists.get(chat_id)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
            try:
                admins = await self._bot.get_chat_administrators(chat_id)
                ids = frozenset(m.user.id for m in admins)
                ttl = self._list_ttl
            except TelegramError as exc:
                log.warning("admin list for chat %s unavailable (%s)", chat_id, type(exc).__name__)
                # Keep a stale answer if there is one; otherwise nobody is exempt. Retry soon.
                ids = cached[1] if cached is not None else frozenset()
                ttl = 10.0
            if len(self._lists) >= self._max_entries:
                self._lists.clear()
            self._lists[chat_id] = (time.monotonic() + ttl, ids)
            return ids
