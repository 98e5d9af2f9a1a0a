"""channelwatch on Discord: messages in, moderation actions out, review cards with buttons.

:class:`DiscordAdapter` owns one :class:`discord.Client`. Messages and edits in guild text
channels and threads become :class:`~core.IncomingEvent` values for the engine; the engine's
decisions come back through the :class:`~core.Adapter` methods (``hide``, ``post_notice``...),
which translate Discord's HTTP errors into the outbox's vocabulary: a 429 or a 5xx is
retryable, a missing permission is permanent, a DM refused means "fall back to the channel".

The Message Content intent is privileged. Without it Discord delivers guild messages with empty
text and channelwatch sees nothing, so the adapter detects that three ways (the application's
flags at login, a gateway close with code 4014, and guild messages that keep arriving empty),
logs one clear line, keeps running without the intent so slash commands still work, and shows
the problem in ``/channelwatch setup``.

The package: ``_client`` (the discord.py client: events in, buttons, command sync),
``_interactions`` (button presses and slash commands, permission re-checks), ``_render`` (the
review card), ``_automod`` (confirmed contacts into an AutoMod rule), ``_invite`` (permissions
and the invite URL).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import OrderedDict
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
import yarl

from adapters.discord._automod import AutoModSync
from adapters.discord._client import ChannelwatchClient
from adapters.discord._constants import CARD_KEY, MODCHANNEL_KEY, NO_MENTIONS, PLATFORM
from adapters.discord._render import card_embed, card_from_case, card_view, with_jump_url
from core import (
    Author,
    Capability,
    CaseCard,
    CaseFilter,
    EngineAPI,
    IncomingEvent,
    MessageRef,
    PermanentActionError,
    RecipientUnreachable,
    RetryableActionError,
)

__all__ = ["CONTENT_INTENT_MISSING", "DiscordAdapter", "build_from_env"]

_log = logging.getLogger("channelwatch.discord")
# channelwatch never joins voice: silence discord.py's start-up warnings about voice libraries,
# which would otherwise be the first (and misleading) lines an admin reads.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

WEBHOOK_NAME = "channelwatch"
MAX_TIMEOUT = timedelta(days=28)  # Discord's limit for communication_disabled_until
CONTENT_INTENT_MISSING = (
    "Discord: the Message Content intent is not granted to this application, so channelwatch "
    "receives messages without their text and cannot detect anything. Enable it in the "
    "Developer Portal (your application -> Bot -> Privileged Gateway Intents -> Message Content "
    "Intent) and restart."
)
_EMPTY_STREAK_LIMIT = 3  # this many text-less guild messages in a row means no content intent
# Discord error codes that mean "this will never work": retrying only burns rate limit.
_UNREACHABLE_CODES = {50007, 10013, 50278}  # cannot DM user, unknown user, DM blocked


class DiscordAdapter:
    """The :class:`core.Adapter` for Discord, on discord.py 2.7.

    ``api_base_url`` and ``gateway_url`` point the client at a Discord-compatible server (the
    test fake, a proxy); they replace ``discord.http.Route.BASE`` and the default gateway
    process-wide, because that is where discord.py reads them.
    """

    platform = PLATFORM
    capabilities = frozenset(Capability)

    def __init__(
        self,
        engine: EngineAPI,
        token: str,
        *,
        api_base_url: str | None = None,
        gateway_url: str | None = None,
        guild_ready_timeout: float = 2.0,
        sync_commands: bool = True,
        ready_timeout: float = 60.0,
        automod: bool = False,
        automod_delay: float = 2.0,
    ) -> None:
        if not token or not token.strip():
            raise ValueError("a Discord bot token is required")
        self._engine = engine
        self._token = token.strip()
        self._api_base_url = api_base_url.rstrip("/") if api_base_url else None
        self._gateway_url = gateway_url
        self._guild_ready_timeout = guild_ready_timeout
        self._sync_commands = sync_commands
        self._ready_timeout = ready_timeout
        self._client: ChannelwatchClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stopping = False
        # None = not known yet, True = granted, False = missing (logged once).
        self.content_intent: bool | None = None
        self._empty_streak = 0
        # (message id, revision) recently submitted: a RESUME replay or a duplicate dispatch is
        # dropped here before costing an engine round trip (the engine dedupes durably anyway).
        self._seen: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._seen_max = 4096
        self._dm_channels: OrderedDict[str, int] = OrderedDict()
        self._webhooks: dict[int, tuple[int, str]] = {}  # channel id -> (webhook id, token)
        # One escalation at a time per case (a re-escalation racing the first post must edit,
        # not duplicate, the card); different cases proceed in parallel.
        self._card_locks: dict[str, _Gate] = {}
        self._saved_endpoints: tuple[str, yarl.URL] | None = None
        self.failures: list[BaseException] = []  # connection-killing errors survived so far
        self.skipped_events = 0  # gateway events discord.py could not parse (logged, skipped)
        self._background: set[asyncio.Task[None]] = set()
        self.automod = automod
        self._automod = AutoModSync(self, delay=automod_delay)
        self._automod_task: asyncio.Task[None] | None = None

    def __repr__(self) -> str:  # never show the token
        return f"<DiscordAdapter api={self._api_base_url or 'discord.com'}>"

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def client(self) -> discord.Client:
        if self._client is None:
            raise RuntimeError("the Discord adapter is not started")
        return self._client

    @property
    def engine(self) -> EngineAPI:
        return self._engine

    async def start(self) -> None:
        """Log in, connect to the gateway and return once the guilds are loaded.

        Fails fast (re-raising the client's error) when the connection dies before READY.
        """
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        self._ready.clear()
        self._configure_endpoints()
        client = await self._login(content=True)
        flags = client.application_flags
        if not (flags.gateway_message_content or flags.gateway_message_content_limited):
            self._content_missing("application flags")
            await client.close()
            client = await self._login(content=False)
        elif self.content_intent is None:
            self.content_intent = True
        self._client = client
        self._task = asyncio.create_task(self._run(client), name="channelwatch-discord")
        ready = asyncio.create_task(self._ready.wait())
        try:
            done, _ = await asyncio.wait(
                {ready, self._task},
                timeout=self._ready_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            ready.cancel()
        if self._task in done:
            exc = self._task.exception()
            raise RuntimeError(f"Discord connection ended before READY: {exc!r}") from exc
        if not done:
            await self.stop()
            raise TimeoutError("Discord gateway did not become ready in time")
        if self.automod and self._automod_task is None:
            self._automod_task = asyncio.create_task(
                self._automod.run(), name="channelwatch-discord-automod"
            )

    async def stop(self) -> None:
        self._stopping = True
        if self._automod_task is not None:
            self._automod_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._automod_task
            self._automod_task = None
        client, task = self._client, self._task
        if client is not None:
            await client.close()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None
        self._restore_endpoints()

    def _configure_endpoints(self) -> None:
        ws_cls = discord.gateway.DiscordWebSocket
        if self._saved_endpoints is None:
            self._saved_endpoints = (discord.http.Route.BASE, ws_cls.DEFAULT_GATEWAY)
        if self._api_base_url:
            discord.http.Route.BASE = self._api_base_url
        if self._gateway_url:
            ws_cls.DEFAULT_GATEWAY = yarl.URL(self._gateway_url)

    def _restore_endpoints(self) -> None:
        if self._saved_endpoints is not None:
            base, gateway = self._saved_endpoints
            discord.http.Route.BASE = base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
            self._saved_endpoints = None

    async def _login(self, *, content: bool) -> ChannelwatchClient:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.message_content = content
        client = ChannelwatchClient(
            self,
            intents=intents,
            guild_ready_timeout=self._guild_ready_timeout,
            sync_commands=self._sync_commands,
        )
        try:
            await client.login(self._token)
        except BaseException:
            await client.close()
            raise
        if self._api_base_url and not self._gateway_url:
            # A Discord-compatible server without an explicit gateway: ask it, as clients did
            # before discord.py 2.5 hard-coded the default gateway.
            _shards, url, _limits = await client.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        return client

    async def _run(self, client: ChannelwatchClient) -> None:
        """Keep the gateway connection up.

        Reconnects and RESUMEs are discord.py's job. What it cannot survive - a payload it fails
        to parse kills ``connect()`` - is ours: log it, keep it in :attr:`failures` (tests fail
        on it), and come back with a fresh client after a backoff, so one odd event never takes
        moderation down for good.
        """
        backoff = 1.0
        while not self._stopping:
            try:
                await client.connect(reconnect=True)
                if self._stopping or not client.is_closed():
                    return
                raise ConnectionError("the Discord connection closed")
            except discord.PrivilegedIntentsRequired:
                if self._stopping:
                    return
                # Discord refused the intent outright (close code 4014). Carry on without it:
                # slash commands still work and /channelwatch setup explains what to fix.
                self._content_missing("gateway close 4014")
                await client.close()
                client = await self._login(content=False)
                self._client = client
            except (discord.LoginFailure, asyncio.CancelledError):
                raise
            except Exception as exc:
                if self._stopping:
                    return
                self.failures.append(exc)
                _log.exception("Discord connection failed; reconnecting in %.0f s", backoff)
                await client.close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 60.0)
                client = await self._login(content=self.content_intent is not False)
                self._client = client

    def gateway_ready(self) -> None:
        self._ready.set()

    # -- inbound -------------------------------------------------------------------------------

    def _content_missing(self, evidence: str) -> None:
        if self.content_intent is not False:
            self.content_intent = False
            _log.warning("%s (evidence: %s)", CONTENT_INTENT_MISSING, evidence)

    def _note_content(self, message: discord.Message) -> None:
        """Infer a missing Message Content intent from guild messages that arrive empty."""
        me = self._client.user if self._client else None
        if message.content:
            self._empty_streak = 0
            if self.content_intent is None:
                self.content_intent = True
            return
        if (
            message.attachments
            or message.embeds
            or message.stickers
            or message.components
            or getattr(message, "poll", None)
            or getattr(message, "message_snapshots", None)
            or (me is not None and me in message.mentions)  # mentions always carry text
        ):
            return
        self._empty_streak += 1
        if self._empty_streak >= _EMPTY_STREAK_LIMIT:
            self._content_missing(f"{self._empty_streak} guild messages arrived without text")

    def event_from_message(self, message: discord.Message, *, edited: bool) -> IncomingEvent | None:
        """The platform-neutral event for a guild message, or None for what we never judge."""
        if message.guild is None:  # DMs to the bot are not a community
            return None
        author = message.author
        if author.bot or message.webhook_id is not None or author.system:
            return None
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return None
        text = message.content
        forwarded_from: str | None = None
        snapshots = getattr(message, "message_snapshots", None) or []
        if not text and snapshots:  # a forward carries the original in a snapshot
            text = "\n".join(s.content for s in snapshots if getattr(s, "content", ""))
            forwarded_from = "discord"
        revision = "0"
        if edited:
            if message.edited_at is None:
                return None  # a link preview was added: not an edit by the author
            revision = message.edited_at.isoformat()
        is_mod = False
        roles: tuple[str, ...] = ()
        if isinstance(author, discord.Member):
            try:
                perms = message.channel.permissions_for(author)
                is_mod = perms.administrator or perms.manage_messages
            except Exception:  # an uncached channel or role: treat as a regular member
                is_mod = False
            roles = tuple(str(r.id) for r in author.roles if not r.is_default())
        age = (datetime.now(UTC) - author.created_at).total_seconds() / 86400
        reply_to = None
        if message.reference is not None and message.reference.message_id is not None:
            reply_to = str(message.reference.message_id)
        return IncomingEvent(
            ref=MessageRef(
                PLATFORM, str(message.guild.id), str(message.channel.id), str(message.id)
            ),
            author=Author(
                id=str(author.id),
                display_name=author.display_name,
                is_moderator=is_mod,
                is_bot=False,
                account_age_days=max(age, 0.0),
                roles=roles,
            ),
            text=text,
            timestamp=message.edited_at if edited and message.edited_at else message.created_at,
            links=tuple(e.url for e in message.embeds if e.url),
            reply_to=reply_to,
            edited=edited,
            revision=revision,
            forwarded_from=forwarded_from,
        )

    async def receive(self, message: discord.Message, *, edited: bool = False) -> None:
        client = self._client
        if client is not None and client.user is not None and message.author.id == client.user.id:
            return
        if message.guild is not None and not message.author.bot and message.webhook_id is None:
            self._note_content(message)
        event = self.event_from_message(message, edited=edited)
        if event is None:
            return
        key = (message.id, event.revision)
        if key in self._seen:
            return
        self._seen[key] = None
        if len(self._seen) > self._seen_max:
            self._seen.popitem(last=False)
        try:
            await self._engine.submit(event)
        except Exception:
            # Forget it so a redelivery gets another chance; the engine logged its side.
            self._seen.pop(key, None)
            _log.exception("engine failed on Discord message %s", message.id)

    # -- actions (core.Adapter) ----------------------------------------------------------------

    def http_client(self) -> ChannelwatchClient:
        client = self._client
        if client is None or client.is_closed():
            raise RetryableActionError("Discord client is not connected")
        return client

    async def hide(self, ref: MessageRef) -> None:
        client = self.http_client()
        try:
            await client.http.delete_message(
                int(ref.channel_id), int(ref.message_id), reason="channelwatch: smuggling offer"
            )
        except discord.NotFound:
            return  # already gone (deleted by its author or a moderator): that is success
        except Exception as exc:
            raise _action_error("delete message", exc) from exc

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None:
        client = self.http_client()
        try:
            await client.http.send_message(
                int(channel_id),
                params=discord.http.handle_message_parameters(
                    content=_clip(text, 2000), allowed_mentions=NO_MENTIONS
                ),
            )
        except Exception as exc:
            raise _action_error("post notice", exc) from exc

    async def send_private(self, community_id: str, user_id: str, text: str, *, lang: str) -> None:
        client = self.http_client()
        try:
            channel_id = self._dm_channels.get(user_id)
            if channel_id is None:
                data = await client.http.start_private_message(int(user_id))
                channel_id = int(data["id"])
                self._dm_channels[user_id] = channel_id
                if len(self._dm_channels) > 1024:
                    self._dm_channels.popitem(last=False)
            await client.http.send_message(
                channel_id,
                params=discord.http.handle_message_parameters(
                    content=_clip(text, 2000), allowed_mentions=NO_MENTIONS
                ),
            )
        except discord.HTTPException as exc:
            if exc.code in _UNREACHABLE_CODES or exc.status == 403:
                raise RecipientUnreachable(f"Discord will not deliver a DM: {exc.text}") from exc
            raise _action_error("send DM", exc) from exc
        except Exception as exc:
            raise _action_error("send DM", exc) from exc

    async def timeout(self, community_id: str, user_id: str, seconds: int, *, reason: str) -> None:
        client = self.http_client()
        until = datetime.now(UTC) + min(timedelta(seconds=max(seconds, 1)), MAX_TIMEOUT)
        try:
            await client.http.edit_member(
                int(community_id),
                int(user_id),
                reason=_clip(reason, 500),
                communication_disabled_until=until.isoformat(),
            )
        except Exception as exc:
            raise _action_error("time out member", exc) from exc

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None:
        client = self.http_client()
        try:
            await client.http.ban(
                int(user_id), int(community_id), delete_message_seconds=0, reason=_clip(reason, 500)
            )
        except Exception as exc:
            raise _action_error("ban member", exc) from exc

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None:
        """Re-post a dismissed message under its author's name through a channel webhook.

        Without Manage Webhooks (or in a channel that cannot have one) the bot posts it itself,
        quoted and attributed. Mentions are disabled either way: a restored ``@everyone`` must
        not ping anyone a second time.
        """
        client = self.http_client()
        channel_id = int(ref.channel_id)
        try:
            await self._restore_via_webhook(client, channel_id, author_name, text)
            return
        except discord.Forbidden:
            pass  # no Manage Webhooks: fall back to a plain message
        except discord.NotFound:
            self._webhooks.pop(channel_id, None)  # webhook deleted meanwhile: fall back once
        except Exception as exc:
            raise _action_error("restore message", exc) from exc
        name = discord.utils.escape_markdown(author_name or "a member")
        body = "\n".join("> " + line for line in (text or " ").splitlines())
        content = _clip(f"Restored message from **{name}** (removed by mistake):\n{body}", 2000)
        try:
            await client.http.send_message(
                channel_id,
                params=discord.http.handle_message_parameters(
                    content=content, allowed_mentions=NO_MENTIONS
                ),
            )
        except Exception as exc:
            raise _action_error("restore message", exc) from exc

    async def _restore_via_webhook(
        self, client: ChannelwatchClient, channel_id: int, author_name: str, text: str
    ) -> None:
        thread_id: int | None = None
        channel = client.get_channel(channel_id)
        hook_channel = channel_id
        if isinstance(channel, discord.Thread) and channel.parent_id is not None:
            hook_channel, thread_id = channel.parent_id, channel_id  # webhooks live on the parent
        hook = self._webhooks.get(hook_channel)
        if hook is None:
            app_id = str(client.application_id)
            existing = await client.http.channel_webhooks(hook_channel)
            found = next(
                (
                    w
                    for w in existing
                    if w.get("name") == WEBHOOK_NAME
                    and w.get("token")
                    and str(w.get("application_id")) == app_id
                ),
                None,
            )
            if found is None:
                found = await client.http.create_webhook(
                    hook_channel, name=WEBHOOK_NAME, reason="channelwatch: restore dismissed posts"
                )
            hook = (int(found["id"]), str(found["token"]))
            self._webhooks[hook_channel] = hook
        webhook = discord.Webhook.partial(hook[0], hook[1], client=client)
        kwargs: dict[str, Any] = {}
        if thread_id is not None:
            kwargs["thread"] = discord.Object(thread_id)
        await webhook.send(
            content=_clip(text or "(no text)", 2000),
            username=_webhook_name(author_name),
            allowed_mentions=NO_MENTIONS,
            wait=True,
            **kwargs,
        )

    async def escalate(self, card: CaseCard) -> None:
        """Post the case's review card in the moderators' channel, or edit the one posted."""
        client = self.http_client()
        guild = card.ref.community_id
        settings = self._engine.settings
        channel = await settings.get(PLATFORM, guild, MODCHANNEL_KEY)
        if not channel:
            raise PermanentActionError(
                "no moderators' channel is set for this server: run /channelwatch modchannel "
                "(open cases are posted there when it is set)"
            )
        if card.message_url is None:
            card = with_jump_url(card)
        embed, view = card_embed(card), card_view(card)
        gate = self._card_locks.setdefault(card.case_id, _Gate())
        gate.users += 1
        try:
            async with gate.lock:
                await self._post_card(client, card, str(channel), embed, view)
        finally:
            gate.users -= 1
            if gate.users == 0:
                self._card_locks.pop(card.case_id, None)

    async def _post_card(
        self,
        client: ChannelwatchClient,
        card: CaseCard,
        channel: str,
        embed: discord.Embed,
        view: discord.ui.View,
    ) -> None:
        guild = card.ref.community_id
        settings = self._engine.settings
        try:
            posted = await settings.get(PLATFORM, guild, CARD_KEY + card.case_id)
            if posted:
                cid, _, mid = posted.partition(":")
                try:
                    await (
                        client.get_partial_messageable(int(cid))
                        .get_partial_message(int(mid))
                        .edit(embed=embed, view=view)
                    )
                    return
                except discord.NotFound:
                    pass  # the card was deleted by hand: post a fresh one
            msg = await client.get_partial_messageable(int(channel), guild_id=int(guild)).send(
                embed=embed, view=view, allowed_mentions=NO_MENTIONS
            )
            await settings.set(PLATFORM, guild, CARD_KEY + card.case_id, f"{channel}:{msg.id}")
        except discord.NotFound as exc:
            raise PermanentActionError(
                f"the moderators' channel {channel} no longer exists: run /channelwatch modchannel"
            ) from exc
        except Exception as exc:
            raise _action_error("post review card", exc) from exc

    # -- AutoMod sync (opt-in) -----------------------------------------------------------------

    async def sync_automod(self, guild_id: str) -> bool:
        """Make the server's AutoMod rule hold its confirmed contacts. True when it changed."""
        return await self._automod.sync(guild_id)

    # -- helpers for the client, buttons and commands -----------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background, keeping a reference until it is done."""
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def post_open_cases(self, guild: str) -> None:
        """Cases escalated before a moderators' channel existed get their cards now."""
        try:
            cases = await self._engine.review.list_cases(
                CaseFilter(platform=PLATFORM, communities=[(PLATFORM, guild)])
            )
            for case in cases:
                if not await self._engine.settings.get(PLATFORM, guild, CARD_KEY + case.id):
                    await self.escalate(with_jump_url(card_from_case(case)))
        except Exception:
            _log.exception("posting open cases to the new moderators' channel failed")


class _Gate:
    """A lock plus a count of its users, so the per-case map only holds cases in progress."""

    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _webhook_name(author_name: str) -> str:
    """Discord rejects webhook names containing "discord" or "clyde", and over 80 characters."""
    name = " ".join((author_name or "member").split()) or "member"
    for word in ("discord", "clyde"):
        idx = name.lower().find(word)
        while idx >= 0:
            name = name[:idx] + word[0] + "\u200b" + word[1:] + name[idx + len(word) :]
            idx = name.lower().find(word, idx + len(word) + 1)
    return _clip(f"{name} (restored)", 80)


def _action_error(what: str, exc: BaseException) -> Exception:
    """Translate a discord.py / network failure into the outbox's vocabulary."""
    if isinstance(exc, discord.RateLimited):
        return RetryableActionError(f"{what}: rate limited", retry_after=exc.retry_after)
    if isinstance(exc, discord.DiscordServerError):
        return RetryableActionError(f"{what}: Discord server error {exc.status}")
    if isinstance(exc, discord.Forbidden):
        return PermanentActionError(f"{what}: missing permissions ({exc.code} {exc.text})")
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:
            retry = exc.response.headers.get("Retry-After") if exc.response is not None else None
            try:
                after = float(retry) if retry else None
            except ValueError:
                after = None
            return RetryableActionError(f"{what}: rate limited", retry_after=after)
        if exc.status >= 500:
            return RetryableActionError(f"{what}: Discord server error {exc.status}")
        return PermanentActionError(f"{what}: Discord refused ({exc.status} {exc.code} {exc.text})")
    if isinstance(exc, (aiohttp.ClientError, OSError, asyncio.TimeoutError)):
        return RetryableActionError(f"{what}: connection problem: {exc!r}")
    if isinstance(exc, (RetryableActionError, PermanentActionError, RecipientUnreachable)):
        return exc
    return RetryableActionError(f"{what}: {exc!r}")


def build_from_env(
    engine: EngineAPI, env: Mapping[str, str] | None = None
) -> DiscordAdapter | None:
    """The adapter ``channelwatch run`` starts when ``DISCORD_BOT_TOKEN`` is set, else None.

    ``DISCORD_API_BASE_URL`` and ``DISCORD_GATEWAY_URL`` point it at a Discord-compatible server
    instead of discord.com; ``DISCORD_SYNC_COMMANDS=0`` leaves slash commands alone;
    ``DISCORD_AUTOMOD=1`` keeps confirmed contacts in an AutoMod rule (needs Manage Server).
    """
    env = os.environ if env is None else env
    token = (env.get("DISCORD_BOT_TOKEN") or "").strip()
    if not token:
        return None
    return DiscordAdapter(
        engine,
        token,
        api_base_url=env.get("DISCORD_API_BASE_URL") or None,
        gateway_url=env.get("DISCORD_GATEWAY_URL") or None,
        sync_commands=env.get("DISCORD_SYNC_COMMANDS", "1") not in ("0", "false", "no"),
        automod=env.get("DISCORD_AUTOMOD", "0") in ("1", "true", "yes"),
    )
