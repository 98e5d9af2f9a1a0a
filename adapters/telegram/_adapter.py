"""The Telegram adapter: Bot API updates in, channelwatch actions out.

Receiving. Long polling by default, with our own loop over PTB's ``Bot.get_updates`` rather
than PTB's ``Updater``: the Updater confirms a batch (by asking for the next offset) as soon as
it has *queued* it, so a crash loses whatever was still queued. Here the offset only moves past
a batch once every update in it has been handed to the engine, which persists before it returns;
a crash therefore means a redelivery, and the engine processes each ``(message, revision)`` once.
Versions of one message are handled in order (an edit never overtakes its original), and so
are one chat's commands and button presses; everything else runs a few at a time.
Webhook mode (``webhook=``) serves the same handler from an aiohttp endpoint.

Acting. Every :class:`core.Adapter` action is one or two Bot API calls through PTB's ``Bot``
(on an aiohttp transport, ``_transport.py``), with PTB errors mapped to the outbox's vocabulary
in ``_errors.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import gc
import logging
import secrets
import time
import warnings
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from telegram import Bot, ChatPermissions, LinkPreviewOptions, Message, Update
from telegram.error import (
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from core import (
    Capability,
    CaseCard,
    CommunityStatus,
    Decision,
    IncomingEvent,
    MessageRef,
    PermanentActionError,
    RecipientUnreachable,
    ReviewAPI,
    SettingsAPI,
)

from ._admins import AdminCache
from ._cards import CardLocation, message_url, render_card, split_text
from ._commands import Commands
from ._convert import (
    GROUP_TYPES,
    PLATFORM,
    command_of,
    event_from_message,
    parse_channel_id,
)
from ._errors import (
    TokenRedactor,
    already_done,
    install_log_redaction,
    mapped_errors,
    remove_log_redaction,
    retry_after_seconds,
)
from ._texts import Texts
from ._transport import AiohttpRequest

__all__ = ["DEFAULT_BASE_URL", "EngineLike", "TelegramAdapter", "WebhookConfig"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_CARRIED_SETTINGS = ("mod_chat", "mod_lang", "ui_lang", "community_name")
_SETTINGS_TTL = 30.0  # seconds a cached group setting is trusted
_UNREACHABLE_TTL = 3600.0  # a refused DM is not retried for this long, unless they /start
_UPDATE_ATTEMPTS = 3  # an update whose handling keeps failing is logged and skipped after this


class EngineLike(Protocol):
    """What the adapter uses of :class:`core.EngineAPI`.

    The same surface, with ``review`` and ``settings`` read-only: the adapter never replaces
    them, and read-only protocol members also accept an engine whose attributes are typed with
    its concrete classes (a plain attribute in a protocol is invariant).
    """

    @property
    def review(self) -> ReviewAPI: ...

    @property
    def settings(self) -> SettingsAPI: ...

    async def submit(self, event: IncomingEvent) -> Decision: ...

    async def status(self, platform: str, community_id: str) -> CommunityStatus: ...


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """Receive updates over HTTPS instead of long polling.

    ``url`` is the public address Telegram posts to (behind your TLS terminator); the adapter
    listens on ``host:port`` at ``url``'s path and checks Telegram's secret-token header.
    """

    url: str
    host: str = "0.0.0.0"
    port: int = 8443
    secret: str = ""


class TelegramAdapter:
    """channelwatch on Telegram. See the module docstring for how updates flow."""

    platform = PLATFORM
    capabilities = frozenset(Capability)

    def __init__(
        self,
        engine: EngineLike,
        token: str,
        *,
        base_url: str | None = None,
        poll_timeout: float = 30.0,
        request_timeout: float = 10.0,
        concurrency: int = 4,
        admin_ttl: float = 30.0,
        link_code_ttl: float = 3600.0,
        webhook: WebhookConfig | None = None,
        texts: Texts | None = None,
    ) -> None:
        if not token:
            raise ValueError("a Telegram bot token is required")
        # Before the Bot exists: PTB logs its token-bearing base URL at DEBUG on construction.
        self._redactor = install_log_redaction(TokenRedactor(token))
        self.engine = engine
        self.texts = texts or Texts.load()
        self._poll_timeout = poll_timeout
        self._webhook = webhook
        self._concurrency = max(1, concurrency)
        self.bot = Bot(
            token,
            base_url=_normalise_base_url(base_url),
            request=AiohttpRequest(
                connection_pool_size=8,
                connect_timeout=request_timeout,
                read_timeout=request_timeout,
                pool_timeout=request_timeout,
            ),
            get_updates_request=AiohttpRequest(
                connection_pool_size=1,
                connect_timeout=request_timeout,
                read_timeout=request_timeout,  # PTB adds the long-poll timeout to this
                pool_timeout=request_timeout,
            ),
        )
        self.admins = AdminCache(self.bot, member_ttl=admin_ttl)
        self.commands = Commands(self, link_code_ttl=link_code_ttl)
        self._titles: dict[int, tuple[str, str | None]] = {}  # chat id -> (title, username)
        self._mod_chat_cache: dict[int, bool] = {}
        self._settings_cache: dict[tuple[str, str], tuple[float, str | None]] = {}
        self._unreachable: dict[int, float] = {}  # user id -> when Telegram refused a DM
        self._stopping = asyncio.Event()
        self._poll_task: asyncio.Task[None] | None = None
        self._poll_call: asyncio.Task[Any] | None = None
        self._offset: int | None = None
        self._webhook_runner: Any = None
        self._started = False

    # ------------------------------------------------------------------ lifecycle

    @property
    def bot_id(self) -> int:
        return self.bot.id

    @property
    def bot_username(self) -> str:
        return self.bot.username

    async def start(self) -> None:
        """Check the token (``getMe``), then start receiving updates."""
        if self._started:
            return
        self._stopping.clear()
        install_log_redaction(self._redactor)  # again, after a stop() removed it
        try:
            await self.bot.initialize()
        except InvalidToken:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()  # close the HTTP clients initialize() opened
            # PTB's message quotes the token: say what happened without it, and drop the chain.
            raise PermissionError("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN)") from None
        self._started = True
        log.info("telegram: connected as @%s", self.bot.username)
        # Everything loaded so far (the detector's lexicons, policies, PTB's and the engine's
        # modules) lives as long as the process. Freezing it keeps the cyclic GC's full
        # collections from walking ~140,000 long-lived objects: each such pass stalled the loop
        # for 50-60 ms (200 ms on a busy machine), which was the whole p99 at 50 messages/s.
        # Collect first, so garbage that exists now is freed rather than frozen for good.
        gc.collect()
        gc.freeze()
        with contextlib.suppress(TelegramError):
            await self.commands.publish_commands()
        if self._webhook is not None:
            from ._webhook import start_webhook

            self._webhook_runner = await start_webhook(self, self._webhook, ALLOWED_UPDATES)
        else:
            # A webhook left over from another deployment makes getUpdates fail with 409.
            with contextlib.suppress(TelegramError):
                await self.bot.delete_webhook(drop_pending_updates=False)
            self._poll_task = asyncio.create_task(self._poll_loop(), name="telegram-poll")

    async def stop(self) -> None:
        """Stop receiving; the batch in hand is finished first, so nothing is half-handled."""
        self._stopping.set()
        if self._poll_call is not None:
            self._poll_call.cancel()  # wakes a pending long poll at once
        if self._poll_task is not None:
            try:
                await asyncio.wait_for(self._poll_task, timeout=30)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("telegram: polling did not stop in time")
            self._poll_task = None
            await self._confirm_offset()
        if self._webhook_runner is not None:
            await self._webhook_runner.cleanup()
            self._webhook_runner = None
        if self._started:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()
            self._started = False
        remove_log_redaction(self._redactor)

    async def _confirm_offset(self) -> None:
        """Tell Telegram the handled batch is done, so a restart does not get it again.

        Best effort: a failure here only means a redelivery, which the engine de-duplicates.
        """
        if self._offset is None:
            return
        with contextlib.suppress(TelegramError):
            await self.bot.get_updates(offset=self._offset, limit=1, timeout=0)

    # ------------------------------------------------------------------ receiving

    async def _poll_loop(self) -> None:
        backoff = 1.0
        while not self._stopping.is_set():
            self._poll_call = asyncio.create_task(self._fetch())
            try:
                updates, last_id = await self._poll_call
                backoff = 1.0
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except RetryAfter as exc:
                await self._pause(retry_after_seconds(exc))
                continue
            except TimedOut:
                continue  # a long poll the network dropped: ask again
            except (InvalidToken, Forbidden) as exc:
                log.error(
                    "telegram: the token stopped working (%s); retrying in 60 s", type(exc).__name__
                )
                await self._pause(60)
                continue
            except Conflict:
                log.warning("telegram: another getUpdates or a webhook is active; retrying")
                await self._pause(backoff)
                backoff = min(backoff * 2, 30)
                continue
            except (NetworkError, TelegramError) as exc:
                log.warning(
                    "telegram: polling failed (%s); retrying in %.0f s",
                    self._redactor.redact(str(exc)),
                    backoff,
                )
                await self._pause(backoff)
                backoff = min(backoff * 2, 30)
                continue
            finally:
                self._poll_call = None
            if updates:
                await self.handle_updates(updates)
            if last_id is not None:
                self._offset = last_id + 1

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _fetch(self) -> tuple[Sequence[Update], int | None]:
        try:
            updates = await self.bot.get_updates(
                offset=self._offset,
                timeout=dtm.timedelta(seconds=self._poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
            )
        except TelegramError:
            raise
        except Exception:
            # One update PTB cannot parse fails the whole batch, and asking again returns the
            # same batch forever. Fetch it raw, parse update by update, and skip the bad ones.
            log.error("telegram: a batch of updates failed to parse; isolating the bad ones")
            return await self._fetch_raw()
        return updates, (updates[-1].update_id if updates else None)

    async def _fetch_raw(self) -> tuple[Sequence[Update], int | None]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PTB suggests get_updates, which is what failed
            raw = await self.bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": self._offset,
                    "timeout": 0,
                    "allowed_updates": list(ALLOWED_UPDATES),
                },
            )
        good: list[Update] = []
        last: int | None = None
        for item in raw or ():
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if isinstance(update_id, int):
                last = max(last or update_id, update_id)
            try:
                good.append(Update.de_json(item, self.bot))
            except Exception:
                log.error("telegram: skipping unparseable update %s", update_id)
        return good, last

    async def handle_updates(self, updates: Sequence[Update]) -> None:
        """Handle a batch: in order per message (and per chat for commands and button presses),
        several at a time otherwise.

        An edit must not overtake its original, and an admin's /setup must run before the
        /link that follows it; two different members' messages have no order to keep, and
        handling them concurrently is what lets a busy group's backlog drain.
        """
        lanes: dict[tuple[int, int], list[Update]] = defaultdict(list)
        for update in updates:
            lanes[_lane(update)].append(update)
        gate = asyncio.Semaphore(self._concurrency)

        async def run(lane: list[Update]) -> None:
            async with gate:
                for update in lane:
                    await self._handle_with_retries(update)

        if len(lanes) == 1:
            await run(next(iter(lanes.values())))
        else:
            await asyncio.gather(*(run(lane) for lane in lanes.values()))

    async def _handle_with_retries(self, update: Update) -> None:
        for attempt in range(1, _UPDATE_ATTEMPTS + 1):
            try:
                await self.handle_update(update)
                return
            except Exception:
                if attempt == _UPDATE_ATTEMPTS:
                    log.exception("telegram: giving up on update %s", update.update_id)
                    return
                log.warning("telegram: update %s failed, retrying", update.update_id, exc_info=True)
                await asyncio.sleep(0.2 * attempt)

    async def handle_update(self, update: Update) -> None:
        """Route one update. Raises when the engine could not take it (the caller retries)."""
        if update.callback_query is not None:
            await self.commands.on_callback(update.callback_query)
            return
        if update.my_chat_member is not None:
            # Our own rights changed (promoted, demoted, removed): forget cached answers.
            self.admins.forget(update.my_chat_member.chat.id)
            return
        message = update.message or update.edited_message
        if message is None:
            return
        await self._on_message(message)

    async def _on_message(self, message: Message) -> None:
        chat = message.chat
        sender = message.from_user
        if sender is not None and sender.is_bot and message.sender_chat is None:
            return  # ourselves, or another bot: never moderate or answer bots (no loops)
        command = command_of(message, self.bot.username) if message.text else None
        if chat.type not in GROUP_TYPES:
            if chat.type == "private" and sender is not None:
                self.mark_reachable(sender.id)
            if command is not None and chat.type == "private":
                await self.commands.on_private_command(message, command)
            return
        self._titles[chat.id] = (chat.title or str(chat.id), chat.username)
        if message.migrate_to_chat_id:
            await self._migrate(chat.id, message.migrate_to_chat_id)
            return
        if command is not None:
            await self.commands.on_group_command(message, command)
        if await self.is_mod_chat(chat.id):
            return  # moderators discuss offers there; it is not a moderated group
        event = event_from_message(message, is_moderator=await self._is_moderator(message))
        await self.engine.submit(event)

    async def _migrate(self, old_id: int, new_id: int) -> None:
        """A group upgraded to a supergroup gets a new id: carry its setup over, so the
        moderators' chat stays linked without the admins doing anything."""
        for key in _CARRIED_SETTINGS:
            value = await self.engine.settings.get(PLATFORM, str(old_id), key)
            if value is not None:
                await self.set_setting(str(new_id), key, value)
        log.info("telegram: group %s migrated to %s; settings carried over", old_id, new_id)

    async def _is_moderator(self, message: Message) -> bool:
        if message.sender_chat is not None:
            # Anonymous admins post as the group itself; a linked channel's automatic forwards
            # are the channel's own posts. Both speak for the community.
            return message.sender_chat.id == message.chat.id or bool(message.is_automatic_forward)
        if message.from_user is None:
            return False
        return message.from_user.id in await self.admins.admins_of(message.chat.id)

    async def is_mod_chat(self, chat_id: int) -> bool:
        cached = self._mod_chat_cache.get(chat_id)
        if cached is None:
            cached = bool(await self.engine.settings.find(PLATFORM, "mod_chat", str(chat_id)))
            self._mod_chat_cache[chat_id] = cached
        return cached

    def mark_mod_chat(self, chat_id: int) -> None:
        # A group re-linked elsewhere frees its old moderators' chat: forget every answer.
        self._mod_chat_cache.clear()
        self._mod_chat_cache[chat_id] = True

    async def setting(self, group: str, key: str) -> str | None:
        """A group's setting, cached for a short while: cards and notices read the same few
        keys for every offer, and only this adapter's own commands change them."""
        now = time.monotonic()
        cached = self._settings_cache.get((group, key))
        if cached is not None and cached[0] > now:
            return cached[1]
        value = await self.engine.settings.get(PLATFORM, group, key)
        if len(self._settings_cache) > 10_000:
            self._settings_cache.clear()
        self._settings_cache[(group, key)] = (now + _SETTINGS_TTL, value)
        return value

    async def set_setting(self, group: str, key: str, value: str | None) -> None:
        await self.engine.settings.set(PLATFORM, group, key, value)
        self._settings_cache.pop((group, key), None)

    def group_title(self, chat_id: int) -> str:
        return self._titles.get(chat_id, (str(chat_id), None))[0]

    async def group_title_async(self, chat_id: int) -> tuple[str, str | None]:
        """Title and username of a group: remembered from its messages, else asked once."""
        if chat_id not in self._titles:
            try:
                info = await self.bot.get_chat(chat_id)
                self._titles[chat_id] = (info.title or str(chat_id), info.username)
            except TelegramError:
                return str(chat_id), None
        return self._titles[chat_id]

    # ------------------------------------------------------------------ actions

    async def hide(self, ref: MessageRef) -> None:
        chat_id, _ = parse_channel_id(ref.channel_id)
        with mapped_errors("hide", self._redactor, done_ok=True):
            await self.bot.delete_message(chat_id, int(ref.message_id))

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None:
        chat_id, thread = parse_channel_id(channel_id or community_id)
        with mapped_errors("notice", self._redactor):
            for chunk in split_text(text):
                await self.bot.send_message(
                    chat_id, chunk, message_thread_id=thread, link_preview_options=_NO_PREVIEW
                )

    async def send_private(self, community_id: str, user_id: str, text: str, *, lang: str) -> None:
        uid = _user_id(user_id)
        refused_at = self._unreachable.get(uid)
        if refused_at is not None and time.monotonic() - refused_at < _UNREACHABLE_TTL:
            # Telegram refused this user recently (they never started the bot): asking again
            # for every post of a flood only spends the bot's request budget on certain 403s.
            raise RecipientUnreachable("private message: the user has not started the bot")
        try:
            with mapped_errors("private message", self._redactor, private=True):
                for chunk in split_text(text):
                    await self.bot.send_message(uid, chunk, link_preview_options=_NO_PREVIEW)
        except RecipientUnreachable:
            if len(self._unreachable) >= 100_000:
                self._unreachable.clear()
            self._unreachable[uid] = time.monotonic()
            raise

    def mark_reachable(self, user_id: int) -> None:
        """The user opened a private chat with the bot (/start): it may write to them now."""
        self._unreachable.pop(user_id, None)

    async def timeout(self, community_id: str, user_id: str, seconds: int, *, reason: str) -> None:
        # Telegram treats a restriction shorter than 30 s or longer than 366 days as forever.
        seconds = min(max(int(seconds), 31), 366 * 86400 - 1)
        until = dtm.datetime.now(dtm.UTC) + dtm.timedelta(seconds=seconds)
        with mapped_errors("timeout", self._redactor):
            await self.bot.restrict_chat_member(
                int(community_id),
                _user_id(user_id),
                permissions=ChatPermissions.no_permissions(),
                until_date=until,
            )

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None:
        with mapped_errors("ban", self._redactor):
            if user_id.startswith("chat:"):
                # The author posted as a channel or group ("on behalf of"): ban that sender chat.
                await self.bot.ban_chat_sender_chat(int(community_id), _user_id(user_id[5:]))
            else:
                await self.bot.ban_chat_member(int(community_id), _user_id(user_id))

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None:
        """Re-post a dismissed message (a bot cannot undelete): attributed, never impersonated."""
        chat_id, thread = parse_channel_id(ref.channel_id)
        lang = await self.setting(ref.community_id, "ui_lang")
        header = self.texts.get(lang, "restore_header", author=author_name or "?")
        with mapped_errors("restore", self._redactor):
            for chunk in split_text(f"{header}\n\n{text}"):
                await self.bot.send_message(
                    chat_id, chunk, message_thread_id=thread, link_preview_options=_NO_PREVIEW
                )

    async def escalate(self, card: CaseCard) -> None:
        """Post the case's card in the linked moderators' chat, or update the one posted."""
        settings = self.engine.settings
        group = card.ref.community_id
        mod_chat = await self.setting(group, "mod_chat")
        if not mod_chat:
            raise PermanentActionError(
                "no moderators' chat linked for this group: run /setup in it, then /link CODE"
            )
        lang = await self.setting(group, "mod_lang")
        group_id, _ = parse_channel_id(card.ref.channel_id)
        title, username = await self.group_title_async(group_id)
        url = card.message_url or message_url(group_id, int(card.ref.message_id), username)
        text, markup = render_card(card, self.texts, lang, group_title=title, url=url)
        key = f"card:{card.case_id}"
        location = CardLocation.decode(await settings.get(PLATFORM, group, key))
        if location is not None:
            try:
                with mapped_errors("escalate", self._redactor, done_ok=True):
                    await self.bot.edit_message_text(
                        text,
                        chat_id=location.chat_id,
                        message_id=location.message_id,
                        reply_markup=markup,
                    )
                return
            except PermanentActionError as exc:
                if not isinstance(exc.__cause__, TelegramError) or "not found" not in str(exc):
                    raise
                # A moderator deleted the card: post a fresh one below.
        with mapped_errors("escalate", self._redactor):
            sent = await self.bot.send_message(
                int(mod_chat), text, reply_markup=markup, link_preview_options=_NO_PREVIEW
            )
        await settings.set(
            PLATFORM, group, key, CardLocation(sent.chat.id, sent.message_id).encode()
        )

    # ------------------------------------------------------------------ helpers for commands

    async def reply(self, message: Message, text: str) -> None:
        """Answer a command in its chat (and topic). Failures are logged, never retried."""
        try:
            await self.bot.send_message(
                message.chat.id,
                text,
                message_thread_id=message.message_thread_id if message.is_topic_message else None,
                link_preview_options=_NO_PREVIEW,
            )
        except TelegramError as exc:
            if not already_done(exc):
                log.warning("telegram: command reply failed: %s", self._redactor.redact(str(exc)))

    def new_code(self) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I confusion
        return "".join(secrets.choice(alphabet) for _ in range(8))


def _lane(update: Update) -> tuple[int, int]:
    """Updates sharing a lane are handled in order: one message's versions, or one chat's
    commands and button presses (lane ``(chat, 0)``)."""
    chat = update.effective_chat
    chat_id = chat.id if chat is not None else 0
    message = update.message or update.edited_message
    if message is not None and not (message.text or "").startswith("/"):
        return chat_id, message.message_id
    return chat_id, 0


def _user_id(user_id: str) -> int:
    if not user_id.lstrip("-").isdigit():
        raise PermanentActionError(f"not a Telegram user id: {user_id!r}")
    return int(user_id)


def _normalise_base_url(base_url: str | None) -> str:
    """Accept ``https://host`` or ``https://host/bot``: PTB appends the token to this string."""
    if not base_url:
        return DEFAULT_BASE_URL
    url = base_url.rstrip("/")
    return url if url.endswith("/bot") else f"{url}/bot"
