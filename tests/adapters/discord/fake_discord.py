"""A small Discord: REST API and gateway websocket on 127.0.0.1, for the real discord.py client.

It speaks just enough of API v10 for channelwatch's adapter: login (``/users/@me``,
``/oauth2/applications/@me``), the gateway (HELLO, heartbeats, IDENTIFY -> READY + GUILD_CREATE,
RESUME -> replay + RESUMED, INVALID_SESSION for unknown sessions, close 4014 when the Message
Content intent is requested but not granted), messages, members (timeouts), bans, webhooks, DM
channels, interaction callbacks and application command sync.

Everything the client does is recorded in :attr:`FakeDiscord.requests`, so tests assert on what
reached "Discord" - the platform-visible effect - rather than on the adapter's internals. Faults
(429 with ``retry_after`` and a ``Via`` header, 4xx, 5xx) are injected per route with
:meth:`FakeDiscord.inject`.

Two details of discord.py shape this server: it decodes JSON only when ``Content-Type`` is
exactly ``application/json`` (so responses set the header by hand, without a charset), and it
inflates binary frames as a zlib stream (so the gateway sends text frames only).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

API_PREFIX = "/api/v10"

# Permission bits (https://discord.com/developers/docs/topics/permissions).
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
READ_MESSAGE_HISTORY = 1 << 16
BAN_MEMBERS = 1 << 2
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3
MANAGE_WEBHOOKS = 1 << 29
SEND_MESSAGES_IN_THREADS = 1 << 38
MODERATE_MEMBERS = 1 << 40

MEMBER_PERMS = VIEW_CHANNEL | SEND_MESSAGES | READ_MESSAGE_HISTORY | SEND_MESSAGES_IN_THREADS
MOD_PERMS = MEMBER_PERMS | MANAGE_MESSAGES | BAN_MEMBERS | MODERATE_MEMBERS
ADMIN_PERMS = MOD_PERMS | MANAGE_GUILD
BOT_PERMS = (
    MEMBER_PERMS | MANAGE_MESSAGES | EMBED_LINKS | BAN_MEMBERS | MODERATE_MEMBERS | MANAGE_WEBHOOKS
)

INTENT_MESSAGE_CONTENT = 1 << 15
FLAG_GATEWAY_MESSAGE_CONTENT = 1 << 18
FLAG_GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19

_EPOCH_MS = 1420070400000
_BODY: web.RequestKey[Any] = web.RequestKey(
    "body", object
)  # the request's decoded JSON, read once by the middleware


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Request:
    """One REST call the client made."""

    method: str
    path: str  # without the /api/v10 prefix
    json: Any
    reason: str | None
    at: float  # time.perf_counter() when it arrived
    status: int = 0  # what the fake answered


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    retry_after: float = 0.0
    code: int = 0
    message: str = ""
    via: bool = True


@dataclass
class FakeUser:
    id: int
    name: str
    bot: bool = False
    roles: tuple[int, ...] = ()
    permissions: int = MEMBER_PERMS  # what interactions report for this member

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.name,
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }

    def member(self) -> dict[str, Any]:
        return {
            "roles": [str(r) for r in self.roles],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
        }


@dataclass
class Interaction:
    id: int
    token: str
    callback: asyncio.Future[dict[str, Any]] = field(repr=False)


class FakeDiscord:
    """One guild with a general channel, a moderators' channel and a thread."""

    def __init__(
        self,
        *,
        content_intent: bool = True,
        advertise_content_intent: bool | None = None,
        heartbeat_ms: int = 41250,
    ) -> None:
        self.app_id = 880000000000000001
        self.guild_id = 770000000000000001
        self.general_id = 770000000000000101
        self.mods_id = 770000000000000102
        self.thread_id = 770000000000000103
        self.mod_role_id = 770000000000000201
        self.bot_role_id = 770000000000000202
        self.content_intent = content_intent  # whether Discord lets the bot read message text
        # What the application flags claim (None: the truth). Lying flags exercise the 4014 path.
        self.advertise_content_intent = advertise_content_intent
        # RESUME replays from this many events before the client's sequence: Discord may
        # redeliver, and the client must not process anything twice.
        self.resume_overlap = 0
        self.strip_content = False  # deliver text-less messages whatever was granted
        self.heartbeat_ms = heartbeat_ms
        self.bot = FakeUser(self.app_id, "channelwatch", bot=True, roles=(self.bot_role_id,))
        self.users: dict[int, FakeUser] = {self.bot.id: self.bot}
        self.bot_permissions = BOT_PERMS  # app_permissions reported in interactions

        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.messages: dict[int, dict[str, Any]] = {}
        self.deleted: list[int] = []
        self.deleted_at: dict[int, float] = {}
        self.bans: dict[int, str | None] = {}
        self.timeouts: dict[int, str | None] = {}
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.dm_channels: dict[int, int] = {}  # dm channel id -> recipient
        self.closed_dms: set[int] = set()
        self.commands: list[dict[str, Any]] = []
        self.automod_rules: dict[int, dict[str, Any]] = {}
        self.command_syncs = 0
        self.interactions: dict[int, Interaction] = {}
        self._interaction_messages: dict[int, int] = {}  # button interaction -> its message
        self._followups: list[tuple[str, dict[str, Any]]] = []
        self._original_edits: list[tuple[str, dict[str, Any]]] = []

        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

        # Gateway state.
        self.ws: web.WebSocketResponse | None = None
        self.session_id: str | None = None
        self.seq = 0
        self.history: list[dict[str, Any]] = []  # dispatches of the current session, for RESUME
        self.identifies = 0
        self.resumes = 0
        self.identify_intents: int | None = None
        self.connected = asyncio.Event()

    # -- ids and URLs --------------------------------------------------------------------------

    def snowflake(self) -> int:
        ms = int(time.time() * 1000) - _EPOCH_MS
        return (ms << 22) | (next(self._ids) & 0x3FFFFF)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def app_flags(self) -> int:
        claims = self.advertise_content_intent
        granted = self.content_intent if claims is None else claims
        return FLAG_GATEWAY_MESSAGE_CONTENT_LIMITED if granted else 0

    def token(self) -> str:
        import base64

        first = base64.b64encode(str(self.app_id).encode()).decode().rstrip("=")
        return f"{first}.fake.secret-token-value"

    # -- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/gateway", self._gateway)
        r = app.router
        p = API_PREFIX
        r.add_get(p + "/users/@me", self._me)
        r.add_get(p + "/oauth2/applications/@me", self._application)
        r.add_get(p + "/gateway", self._gateway_info)
        r.add_get(p + "/gateway/bot", self._gateway_info)
        r.add_get(p + "/applications/{app}/commands", self._get_commands)
        r.add_put(p + "/applications/{app}/commands", self._put_commands)
        r.add_get(p + "/applications/{app}/guilds/{guild}/commands", self._get_commands)
        r.add_put(p + "/applications/{app}/guilds/{guild}/commands", self._put_commands)
        r.add_post(p + "/channels/{channel}/messages", self._create_message)
        r.add_get(p + "/channels/{channel}/messages/{message}", self._get_message)
        r.add_patch(p + "/channels/{channel}/messages/{message}", self._edit_message)
        r.add_delete(p + "/channels/{channel}/messages/{message}", self._delete_message)
        r.add_patch(p + "/guilds/{guild}/members/{user}", self._edit_member)
        r.add_put(p + "/guilds/{guild}/bans/{user}", self._ban)
        r.add_get(p + "/channels/{channel}/webhooks", self._list_webhooks)
        r.add_post(p + "/channels/{channel}/webhooks", self._create_webhook)
        r.add_post(p + "/webhooks/{id}/{token}", self._execute_webhook)
        r.add_patch(p + "/webhooks/{id}/{token}/messages/{message}", self._edit_webhook_message)
        r.add_post(p + "/users/@me/channels", self._create_dm)
        r.add_get(p + "/guilds/{guild}/auto-moderation/rules", self._automod_rules)
        r.add_post(p + "/guilds/{guild}/auto-moderation/rules", self._automod_create)
        r.add_patch(p + "/guilds/{guild}/auto-moderation/rules/{rule}", self._automod_edit)
        r.add_post(p + "/interactions/{id}/{token}/callback", self._interaction_callback)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- test controls -------------------------------------------------------------------------

    def add_user(
        self, name: str, *, moderator: bool = False, admin: bool = False, bot: bool = False
    ) -> FakeUser:
        perms = ADMIN_PERMS if admin else MOD_PERMS if moderator else MEMBER_PERMS
        roles = (self.mod_role_id,) if moderator or admin else ()
        user = FakeUser(self.snowflake(), name, bot=bot, roles=roles, permissions=perms)
        self.users[user.id] = user
        return user

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float = 0.0,
        code: int = 0,
        message: str = "",
        via: bool = True,
    ) -> None:
        """Answer the next ``times`` matching calls with an error instead of handling them."""
        self.faults.append(
            Fault(
                method.upper(),
                re.compile(path_regex),
                status,
                times,
                retry_after,
                code,
                message,
                via,
            )
        )

    def calls(self, method: str, path_regex: str = "") -> list[Request]:
        rx = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and rx.search(r.path)]

    async def wait_for(
        self, predicate: Callable[[], Any], *, within: float = 5.0, what: str = "condition"
    ) -> Any:
        """Wait until ``predicate()`` is truthy (re-checked on every request and dispatch)."""
        try:
            async with asyncio.timeout(within):
                async with self._changed:
                    while not (result := predicate()):
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._changed.wait(), 0.05)
                    return result
        except TimeoutError:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def channel_messages(self, channel_id: int) -> list[dict[str, Any]]:
        return [m for m in self.messages.values() if int(m["channel_id"]) == channel_id]

    # -- payload builders ----------------------------------------------------------------------

    def _roles(self) -> list[dict[str, Any]]:
        def role(rid: int, name: str, perms: int, pos: int) -> dict[str, Any]:
            return {
                "id": str(rid),
                "name": name,
                "permissions": str(perms),
                "position": pos,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            }

        return [
            role(self.guild_id, "@everyone", MEMBER_PERMS, 0),
            role(self.mod_role_id, "Moderators", MOD_PERMS, 1),
            role(self.bot_role_id, "channelwatch", BOT_PERMS, 2),
        ]

    def _channel(self, cid: int, name: str) -> dict[str, Any]:
        return {
            "id": str(cid),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def guild_payload(self) -> dict[str, Any]:
        bot_member = self.bot.member() | {"user": self.bot.to_dict()}
        return {
            "id": str(self.guild_id),
            "name": "Test community",
            "icon": None,
            "owner_id": "1",
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "features": [],
            "roles": self._roles(),
            "emojis": [],
            "stickers": [],
            "channels": [
                self._channel(self.general_id, "general"),
                self._channel(self.mods_id, "moderators"),
            ],
            "threads": [
                {
                    "id": str(self.thread_id),
                    "type": 11,
                    "guild_id": str(self.guild_id),
                    "parent_id": str(self.general_id),
                    "owner_id": "1",
                    "name": "crossings",
                    "last_message_id": None,
                    "rate_limit_per_user": 0,
                    "message_count": 0,
                    "member_count": 1,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": 1440,
                        "archive_timestamp": _now_iso(),
                        "locked": False,
                    },
                }
            ],
            "members": [bot_member],
            "member_count": 3,
            "large": False,
            "unavailable": False,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "joined_at": "2024-01-01T00:00:00+00:00",
        }

    def message_payload(
        self,
        channel_id: int,
        author: FakeUser,
        content: str,
        *,
        message_id: int | None = None,
        edited: str | None = None,
        webhook_id: int | None = None,
        embeds: list[dict[str, Any]] | None = None,
        components: list[dict[str, Any]] | None = None,
        reference: int | None = None,
    ) -> dict[str, Any]:
        mid = message_id or self.snowflake()
        payload: dict[str, Any] = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "author": author.to_dict(),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": edited,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": embeds or [],
            "components": components or [],
            "pinned": False,
            "type": 0 if reference is None else 19,
            "flags": 0,
        }
        if channel_id not in self.dm_channels:
            payload["guild_id"] = str(self.guild_id)
            if webhook_id is None:
                payload["member"] = author.member()
        if webhook_id is not None:
            payload["webhook_id"] = str(webhook_id)
        if reference is not None:
            payload["message_reference"] = {
                "message_id": str(reference),
                "channel_id": str(channel_id),
                "guild_id": str(self.guild_id),
            }
        return payload

    def _visible(self, payload: dict[str, Any]) -> dict[str, Any]:
        """What a bot without the Message Content intent receives: no text, embeds or files."""
        intents = self.identify_intents or 0
        if self.content_intent and intents & INTENT_MESSAGE_CONTENT and not self.strip_content:
            return payload
        if payload["author"]["id"] == str(self.bot.id):
            return payload
        return payload | {"content": "", "embeds": [], "attachments": [], "components": []}

    # -- gateway -------------------------------------------------------------------------------

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH now, or keep it for the RESUME replay when the client is away."""
        self.seq += 1
        frame = {"op": 0, "t": event, "s": self.seq, "d": data}
        self.history.append(frame)
        ws = self.ws
        if ws is not None and not ws.closed:
            try:
                await ws.send_str(json.dumps(frame))
            except ConnectionResetError:
                pass  # replayed on RESUME

    async def post(
        self,
        author: FakeUser,
        content: str,
        *,
        channel_id: int | None = None,
        reference: int | None = None,
    ) -> int:
        """A user posts a message: stored, then MESSAGE_CREATE. Returns the message id."""
        payload = self.message_payload(
            channel_id or self.general_id, author, content, reference=reference
        )
        self.messages[int(payload["id"])] = payload
        await self.dispatch("MESSAGE_CREATE", self._visible(payload))
        return int(payload["id"])

    async def edit(self, message_id: int, content: str) -> None:
        """A user edits a message: MESSAGE_UPDATE with the full message (as Discord now sends)."""
        payload = self.messages[message_id]
        payload["content"] = content
        payload["edited_timestamp"] = _now_iso()
        await self.dispatch("MESSAGE_UPDATE", self._visible(payload))

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the gateway socket as Discord does on a hiccup; the client should RESUME."""
        ws = self.ws
        self.ws = None
        self.connected.clear()
        if ws is not None:
            await ws.close(code=code, message=b"fake hiccup")

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_str(
            json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None})
        )
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op = frame.get("op")
            if op == 1:
                await ws.send_str(json.dumps({"op": 11}))
            elif op == 2:
                await self._identify(ws, frame["d"])
            elif op == 6:
                await self._resume(ws, frame["d"])
        if self.ws is ws:
            self.ws = None
            self.connected.clear()
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        self.identifies += 1
        intents = int(d.get("intents", 0))
        if intents & INTENT_MESSAGE_CONTENT and not self.content_intent:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identify_intents = intents
        self.session_id = f"session-{self.identifies}"
        self.seq = 0
        self.history = []
        self.ws = ws
        await self.dispatch(
            "READY",
            {
                "v": 10,
                "user": self.bot.to_dict(),
                "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                "session_id": self.session_id,
                "resume_gateway_url": self.gateway_url,
                "shard": [0, 1],
                "application": {"id": str(self.app_id), "flags": self.app_flags},
                "private_channels": [],
                "relationships": [],
            },
        )
        await self.dispatch("GUILD_CREATE", self.guild_payload())
        self.connected.set()
        await self._notify()

    async def _resume(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        if d.get("session_id") != self.session_id:
            await ws.send_str(json.dumps({"op": 9, "d": False}))
            return
        self.resumes += 1
        self.ws = ws
        since = int(d.get("seq") or 0) - self.resume_overlap
        for frame in list(self.history):
            if frame["s"] > since:
                await ws.send_str(json.dumps(frame))
        await self.dispatch("RESUMED", {})
        self.connected.set()
        await self._notify()

    # -- interactions --------------------------------------------------------------------------

    def _interaction_base(self, user: FakeUser, channel_id: int) -> dict[str, Any]:
        iid = self.snowflake()
        token = f"itoken-{iid}"
        return {
            "id": str(iid),
            "application_id": str(self.app_id),
            "token": token,
            "version": 1,
            "guild_id": str(self.guild_id),
            "channel_id": str(channel_id),
            "channel": self._channel(channel_id, "channel"),
            "member": user.member()
            | {"user": user.to_dict(), "permissions": str(user.permissions)},
            "app_permissions": str(self.bot_permissions),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "attachment_size_limit": 26214400,
            "authorizing_integration_owners": {"0": str(self.guild_id)},
            "context": 0,
        }

    async def _interact(self, payload: dict[str, Any], within: float) -> dict[str, Any]:
        iid = int(payload["id"])
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.interactions[iid] = Interaction(iid, payload["token"], fut)
        await self.dispatch("INTERACTION_CREATE", payload)
        return await asyncio.wait_for(fut, within)

    async def press(
        self, user: FakeUser, message_id: int, custom_id: str, *, within: float = 5.0
    ) -> dict[str, Any]:
        """A member presses a button on a stored message; returns the interaction callback."""
        message = self.messages[message_id]
        payload = self._interaction_base(user, int(message["channel_id"]))
        payload |= {
            "type": 3,
            "data": {"custom_id": custom_id, "component_type": 2},
            "message": message,
        }
        self._interaction_messages[int(payload["id"])] = message_id
        return await self._interact(payload, within)

    async def command(
        self,
        user: FakeUser,
        sub: str,
        options: list[dict[str, Any]] | None = None,
        *,
        channel_id: int | None = None,
        within: float = 5.0,
    ) -> dict[str, Any]:
        """A member runs ``/channelwatch <sub>``; returns the interaction callback."""
        payload = self._interaction_base(user, channel_id or self.general_id)
        resolved: dict[str, Any] = {}
        for opt in options or []:
            if opt.get("type") == 7:
                cid = int(opt["value"])
                resolved.setdefault("channels", {})[str(cid)] = self._channel(cid, "channel") | {
                    "permissions": str(user.permissions)
                }
        cmd_id = next((c["id"] for c in self.commands if c["name"] == "channelwatch"), "1")
        payload |= {
            "type": 2,
            "data": {
                "id": cmd_id,
                "name": "channelwatch",
                "type": 1,
                "options": [{"type": 1, "name": sub, "options": options or []}],
                "resolved": resolved,
            },
        }
        return await self._interact(payload, within)

    # -- REST ----------------------------------------------------------------------------------

    @staticmethod
    def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # Exactly "application/json": discord.py does not decode "application/json; charset=...".
        h = {"Content-Type": "application/json"} | (headers or {})
        return web.Response(status=status, body=json.dumps(data).encode(), headers=h)

    def _error(self, status: int, code: int, message: str) -> web.Response:
        return self._json({"code": code, "message": message}, status)

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        path = request.path[len(API_PREFIX) :]
        body: Any = None
        if request.can_read_body and request.content_type == "application/json":
            body = await request.json()
        req = Request(
            request.method,
            path,
            body,
            request.headers.get("X-Audit-Log-Reason"),
            time.perf_counter(),
        )
        self.requests.append(req)
        request[_BODY] = body
        response: web.StreamResponse
        fault = next(
            (f for f in self.faults if f.method == request.method and f.pattern.search(path)),
            None,
        )
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            response = self._fault(fault)
        else:
            response = await handler(request)
        req.status = response.status
        await self._notify()
        return response

    def _fault(self, fault: Fault) -> web.Response:
        if fault.status == 429:
            headers = {"Retry-After": str(max(1, round(fault.retry_after)))}
            if fault.via:
                headers["Via"] = "1.1 google"
            headers["X-RateLimit-Scope"] = "user"
            body = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": False,
            }
            return self._json(body, 429, headers)
        return self._error(fault.status, fault.code, fault.message or f"injected {fault.status}")

    async def _me(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bot {self.token()}":
            return self._error(401, 0, "401: Unauthorized")
        return self._json(self.bot.to_dict() | {"verified": True, "mfa_enabled": False})

    async def _application(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "id": str(self.app_id),
                "name": "channelwatch",
                "icon": None,
                "description": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {
                    "id": "1",
                    "username": "owner",
                    "discriminator": "0",
                    "avatar": None,
                },
                "verify_key": "00",
                "team": None,
                "flags": self.app_flags,
                "interactions_endpoint_url": None,
            }
        )

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return self._json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    async def _get_commands(self, request: web.Request) -> web.Response:
        return self._json(self.commands)

    async def _put_commands(self, request: web.Request) -> web.Response:
        self.command_syncs += 1
        out = []
        for cmd in request[_BODY] or []:
            out.append(
                cmd
                | {
                    "id": str(self.snowflake()),
                    "application_id": str(self.app_id),
                    "version": "1",
                    "type": cmd.get("type", 1),
                    "default_member_permissions": cmd.get("default_member_permissions"),
                }
            )
        self.commands = out
        return self._json(out)

    def _channel_exists(self, cid: int) -> bool:
        return cid in (self.general_id, self.mods_id, self.thread_id) or cid in self.dm_channels

    async def _create_message(self, request: web.Request) -> web.Response:
        cid = int(request.match_info["channel"])
        if not self._channel_exists(cid):
            return self._error(404, 10003, "Unknown Channel")
        recipient = self.dm_channels.get(cid)
        if recipient is not None and recipient in self.closed_dms:
            return self._error(403, 50007, "Cannot send messages to this user")
        body = request[_BODY] or {}
        payload = self.message_payload(
            cid,
            self.bot,
            body.get("content") or "",
            embeds=body.get("embeds"),
            components=body.get("components"),
        )
        self.messages[int(payload["id"])] = payload
        if recipient is None:
            await self.dispatch("MESSAGE_CREATE", payload)
        return self._json(payload)

    async def _get_message(self, request: web.Request) -> web.Response:
        msg = self.messages.get(int(request.match_info["message"]))
        if msg is None:
            return self._error(404, 10008, "Unknown Message")
        return self._json(msg)

    async def _edit_message(self, request: web.Request) -> web.Response:
        msg = self.messages.get(int(request.match_info["message"]))
        if msg is None:
            return self._error(404, 10008, "Unknown Message")
        body = request[_BODY] or {}
        for key in ("content", "embeds", "components"):
            if key in body:
                msg[key] = body[key]
        msg["edited_timestamp"] = _now_iso()
        return self._json(msg)

    async def _delete_message(self, request: web.Request) -> web.Response:
        mid = int(request.match_info["message"])
        if self.messages.pop(mid, None) is None:
            return self._error(404, 10008, "Unknown Message")
        self.deleted.append(mid)
        self.deleted_at[mid] = time.perf_counter()
        await self.dispatch(
            "MESSAGE_DELETE",
            {
                "id": str(mid),
                "channel_id": request.match_info["channel"],
                "guild_id": str(self.guild_id),
            },
        )
        return web.Response(status=204)

    async def _edit_member(self, request: web.Request) -> web.Response:
        uid = int(request.match_info["user"])
        user = self.users.get(uid)
        if user is None:
            return self._error(404, 10007, "Unknown Member")
        body = request[_BODY] or {}
        if "communication_disabled_until" in body:
            self.timeouts[uid] = body["communication_disabled_until"]
        return self._json(user.member() | {"user": user.to_dict()} | body)

    async def _ban(self, request: web.Request) -> web.Response:
        uid = int(request.match_info["user"])
        self.bans[uid] = request.headers.get("X-Audit-Log-Reason")
        return web.Response(status=204)

    async def _list_webhooks(self, request: web.Request) -> web.Response:
        cid = request.match_info["channel"]
        return self._json([w for w in self.webhooks.values() if w["channel_id"] == cid])

    async def _create_webhook(self, request: web.Request) -> web.Response:
        cid = request.match_info["channel"]
        wid = self.snowflake()
        hook = {
            "id": str(wid),
            "type": 1,
            "guild_id": str(self.guild_id),
            "channel_id": cid,
            "name": (request[_BODY] or {}).get("name", "hook"),
            "avatar": None,
            "token": f"whtoken-{wid}",
            "application_id": str(self.app_id),
            "user": self.bot.to_dict(),
        }
        self.webhooks[wid] = hook
        return self._json(hook)

    async def _execute_webhook(self, request: web.Request) -> web.Response:
        wid = int(request.match_info["id"])
        token = request.match_info["token"]
        body = request[_BODY] or {}
        if wid == self.app_id:  # an interaction follow-up
            self._followups.append((token, body))
            payload = self.message_payload(self.general_id, self.bot, body.get("content") or "")
            return self._json(payload)
        hook = self.webhooks.get(wid)
        if hook is None or hook["token"] != token:
            return self._error(404, 10015, "Unknown Webhook")
        cid = int(request.query.get("thread_id") or hook["channel_id"])
        author = FakeUser(wid, body.get("username") or hook["name"], bot=True)
        payload = self.message_payload(
            cid, author, body.get("content") or "", webhook_id=wid, embeds=body.get("embeds")
        )
        self.messages[int(payload["id"])] = payload
        await self.dispatch("MESSAGE_CREATE", payload)
        if request.query.get("wait") in ("true", "1", "True"):
            return self._json(payload)
        return web.Response(status=204)

    async def _edit_webhook_message(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        body = request[_BODY] or {}
        self._original_edits.append((token, body))
        # An interaction's original response is the card the button sat on: apply the edit.
        iid = int(token.removeprefix("itoken-")) if token.startswith("itoken-") else 0
        target = self._interaction_messages.get(iid)
        if target is not None and target in self.messages:
            msg = self.messages[target]
            for key in ("content", "embeds", "components"):
                if key in body:
                    msg[key] = body[key]
            return self._json(msg)
        return self._json(self.message_payload(self.general_id, self.bot, body.get("content", "")))

    async def _create_dm(self, request: web.Request) -> web.Response:
        uid = int((request[_BODY] or {})["recipient_id"])
        user = self.users.get(uid)
        if user is None:
            return self._error(404, 10013, "Unknown User")
        cid = next((c for c, u in self.dm_channels.items() if u == uid), None)
        if cid is None:
            cid = self.snowflake()
            self.dm_channels[cid] = uid
        return self._json(
            {"id": str(cid), "type": 1, "recipients": [user.to_dict()], "last_message_id": None}
        )

    async def _automod_rules(self, request: web.Request) -> web.Response:
        return self._json(list(self.automod_rules.values()))

    def _automod_invalid(self, metadata: dict[str, Any]) -> str | None:
        keywords = metadata.get("keyword_filter", [])
        regexes = metadata.get("regex_patterns", [])
        if len(keywords) > 1000 or any(len(k) > 60 for k in keywords):
            return "keyword_filter: at most 1000 keywords of at most 60 characters"
        if len(regexes) > 10 or any(len(r) > 260 for r in regexes):
            return "regex_patterns: at most 10 patterns of at most 260 characters"
        return None

    async def _automod_create(self, request: web.Request) -> web.Response:
        if not self.bot_permissions & MANAGE_GUILD:
            return self._error(403, 50013, "Missing Permissions")
        body = dict(request[_BODY] or {})
        problem = self._automod_invalid(body.get("trigger_metadata") or {})
        if problem:
            return self._error(400, 50035, f"Invalid Form Body: {problem}")
        rid = self.snowflake()
        rule = body | {
            "id": str(rid),
            "guild_id": request.match_info["guild"],
            "creator_id": str(self.bot.id),
            "exempt_roles": [],
            "exempt_channels": [],
        }
        self.automod_rules[rid] = rule
        return self._json(rule)

    async def _automod_edit(self, request: web.Request) -> web.Response:
        if not self.bot_permissions & MANAGE_GUILD:
            return self._error(403, 50013, "Missing Permissions")
        rule = self.automod_rules.get(int(request.match_info["rule"]))
        if rule is None:
            return self._error(404, 10066, "Unknown auto moderation rule")
        body = request[_BODY] or {}
        problem = self._automod_invalid(body.get("trigger_metadata") or {})
        if problem:
            return self._error(400, 50035, f"Invalid Form Body: {problem}")
        rule.update(body)
        return self._json(rule)

    def dms_to(self, user_id: int) -> list[dict[str, Any]]:
        return [
            m
            for m in self.messages.values()
            if self.dm_channels.get(int(m["channel_id"])) == user_id
        ]

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        iid = int(request.match_info["id"])
        pending = self.interactions.get(iid)
        if pending is None or pending.token != request.match_info["token"]:
            return self._error(404, 10062, "Unknown interaction")
        if pending.callback.done():
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        body = request[_BODY] or {}
        if body.get("type") == 7:  # UPDATE_MESSAGE: the component's message is edited
            data = body.get("data") or {}
            for msg in self.messages.values():
                if self._interaction_messages.get(iid) == int(msg["id"]):
                    for key in ("content", "embeds", "components"):
                        if key in data:
                            msg[key] = data[key]
        pending.callback.set_result(body)
        return self._json(
            {
                "interaction": {
                    "id": str(iid),
                    "type": body.get("type", 4),
                    "response_message_loading": body.get("type") == 5,
                    "response_message_ephemeral": bool(
                        (body.get("data") or {}).get("flags", 0) & 64
                    ),
                }
            }
        )

    def followups(self, interaction_token: str) -> list[dict[str, Any]]:
        return [b for t, b in self._followups if t == interaction_token]

    def followups_all(self) -> list[dict[str, Any]]:
        """Every interaction follow-up message the bot sent, oldest first."""
        return [b for _t, b in self._followups]
