"""A fake Telegram Bot API server that the real python-telegram-bot client talks to over loopback.

It keeps a tiny model of Telegram: users, group chats with members and rights, the messages in
each chat, and a queue of updates served by ``getUpdates`` with Telegram's offset semantics
(an update is confirmed, and forgotten, once a later call asks for ``offset > update_id``).
Tests drive it from the "user" side (:meth:`FakeBotAPI.post_message`, :meth:`edit_message`,
:meth:`press_button`) and assert on the Bot API calls the bot made (:meth:`wait_for_call`).

Faithfulness that matters for the adapter:

* PTB sends ``application/x-www-form-urlencoded`` bodies whose nested values (reply markups,
  permissions, lists) are JSON-encoded strings; plain strings are sent raw. :class:`_Params`
  decodes them per field.
* Errors use Telegram's shapes: ``{"ok": false, "error_code", "description", "parameters"}``
  with ``retry_after`` on 429, and the same descriptions the real API uses ("Bad Request:
  message to delete not found", "Forbidden: bot can't initiate conversation with a user"...).
* Every update is validated with PTB's own ``Update.de_json`` before it is queued: an update PTB
  cannot parse would make the client re-poll the same batch forever.
* Pending long polls and injected delays wake on :meth:`FakeBotAPI.close`, so cleanup never
  waits for a poll timeout.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import ChatFullInfo, ChatMember, Message, Update, User

__all__ = ["Call", "FakeBotAPI", "Injection"]

JSON = dict[str, Any]

_URL_RE = re.compile(r"(?:https?://|t\.me/|wa\.me/)[^\s]+", re.IGNORECASE)

_ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_pin_messages",
)


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units, not code points."""
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> list[JSON]:
    """The entities Telegram's server would compute: a leading bot command and plain URLs."""
    out: list[JSON] = []
    if text.startswith("/"):
        cmd = text.split(maxsplit=1)[0]
        out.append({"type": "bot_command", "offset": 0, "length": _utf16_len(cmd)})
    for m in _URL_RE.finditer(text):
        out.append(
            {
                "type": "url",
                "offset": _utf16_len(text[: m.start()]),
                "length": _utf16_len(m.group(0)),
            }
        )
    return out


class _Params:
    """The parameters of one Bot API call, whichever way the client encoded them."""

    def __init__(self, raw: dict[str, str]) -> None:
        self.raw = raw

    def has(self, name: str) -> bool:
        return name in self.raw

    def text(self, name: str, default: str = "") -> str:
        return self.raw.get(name, default)

    def integer(self, name: str, default: int = 0) -> int:
        value = self.raw.get(name)
        return default if value in (None, "") else int(float(value))

    def number(self, name: str, default: float = 0.0) -> float:
        value = self.raw.get(name)
        return default if value in (None, "") else float(value)

    def decoded(self, name: str) -> Any:
        value = self.raw.get(name)
        return None if value is None else json.loads(value)

    def as_dict(self) -> dict[str, Any]:
        """Every field, JSON-decoded where it decodes (for assertions in tests)."""
        out: dict[str, Any] = {}
        for key, value in self.raw.items():
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        # Texts are sent raw; a text that happens to be valid JSON ("123") must stay a string.
        for key in ("text", "caption", "callback_query_id", "url", "secret_token"):
            if key in self.raw:
                out[key] = self.raw[key]
        return out


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float  # time.perf_counter() when it arrived
    status: int = 0  # what the fake answered; 0 while in flight, 499 if the client gave up


@dataclass
class Injection:
    """A planned failure: the next ``times`` matching calls of ``method`` fail this way."""

    method: str
    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    delay: float = 0.0  # seconds to hold the request before answering (a timeout when large)
    times: int = 1
    match: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class _Chat:
    id: int
    type: str  # "group", "supergroup", "private"
    title: str = ""
    username: str | None = None
    members: dict[int, JSON] = field(default_factory=dict)  # user id -> ChatMember JSON
    next_message_id: int = 1

    def to_json(self) -> JSON:
        out: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            out["first_name"] = self.title or "user"
        else:
            out["title"] = self.title
        if self.username:
            out["username"] = self.username
        return out


class FakeBotAPI:
    """An aiohttp server speaking enough of the Bot API for channelwatch's Telegram adapter."""

    def __init__(
        self,
        token: str = "123456789:AAFakeTokenForTestsOnly_abcdefghijk",
        *,
        bot_id: int = 123456789,
        bot_username: str = "channelwatch_test_bot",
        can_read_all_group_messages: bool = False,
    ) -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "channelwatch",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": can_read_all_group_messages,
            "supports_inline_queries": False,
        }
        self.users: dict[int, JSON] = {}
        self.started: set[int] = set()  # users who pressed Start: the bot may write to them
        self.chats: dict[int, _Chat] = {}
        self.messages: dict[tuple[int, int], JSON] = {}
        self.deleted: list[tuple[int, int]] = []
        self.restrictions: dict[tuple[int, int], JSON] = {}
        self.banned: set[tuple[int, int]] = set()
        self.calls: list[Call] = []
        self.webhook: JSON | None = None
        self.queued_at: dict[int, float] = {}  # update id -> perf_counter when it became available
        self._updates: list[JSON] = []  # served by getUpdates until confirmed
        self.history: list[JSON] = []  # every update ever queued, for redelivery
        self._next_update_id = 1000
        self._callback_ids = itertools.count(1)
        self._injections: list[Injection] = []
        self._wakeup = asyncio.Event()  # replaced on every new update or call
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        """What PTB's ``base_url`` expects: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> FakeBotAPI:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # handler_cancellation: a client that gives up on a long poll frees the handler at once.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def close(self) -> None:
        self._closing.set()
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _wake(self) -> None:
        self._wakeup.set()
        self._wakeup = asyncio.Event()

    # ------------------------------------------------------------------ the world

    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "en",
        is_bot: bool = False,
        started: bool = False,
    ) -> JSON:
        user: JSON = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        User.de_json(user, None)
        self.users[user_id] = user
        if started:
            self.started.add(user_id)
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        type: str = "supergroup",
        username: str | None = None,
        bot_admin: bool = True,
        bot_rights: dict[str, bool] | None = None,
    ) -> _Chat:
        chat = _Chat(id=chat_id, type=type, title=title, username=username)
        self.chats[chat_id] = chat
        if bot_admin:
            self.set_admin(chat_id, self.bot_user["id"], **(bot_rights or {}))
        else:
            self.set_member(chat_id, self.bot_user["id"])
        return chat

    def _user(self, user_id: int) -> JSON:
        if user_id == self.bot_user["id"]:
            return {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        return self.users[user_id]

    def set_member(self, chat_id: int, user_id: int) -> None:
        member = {"status": "member", "user": self._user(user_id)}
        ChatMember.de_json(member, None)
        self.chats[chat_id].members[user_id] = member

    def set_admin(
        self, chat_id: int, user_id: int, *, creator: bool = False, **rights: bool
    ) -> None:
        member: JSON
        if creator:
            member = {"status": "creator", "user": self._user(user_id), "is_anonymous": False}
        else:
            member = {
                "status": "administrator",
                "user": self._user(user_id),
                "can_be_edited": False,
                "is_anonymous": False,
            }
            for right in _ADMIN_RIGHTS:
                member[right] = rights.get(right, True)
        ChatMember.de_json(member, None)
        self.chats[chat_id].members[user_id] = member

    # ------------------------------------------------------------------ the user side

    def queue_update(self, payload: JSON, *, validate: bool = True) -> int:
        """Queue a raw update after checking PTB can parse it; returns its update id.

        ``validate=False`` exists only to test how the bot survives a payload PTB rejects.
        """
        if "update_id" not in payload:
            payload = {"update_id": self._next_update_id, **payload}
        self._next_update_id = max(self._next_update_id, int(payload["update_id"]) + 1)
        if validate:
            Update.de_json(json.loads(json.dumps(payload)), None)  # raises on a malformed one
        self._updates.append(payload)
        self.history.append(payload)
        self.queued_at[payload["update_id"]] = time.perf_counter()
        self._wake()
        return int(payload["update_id"])

    def redeliver(self, update_id: int, *, same_id: bool = True) -> int:
        """Deliver an update again, as Telegram does after a crash or a webhook timeout.

        With ``same_id`` the update keeps its id (it reappears only if the offset has not moved
        past it); otherwise it comes back under a new id, which offsets cannot filter out.
        """
        original = next((u for u in self.history if u["update_id"] == update_id), None)
        if original is None:
            raise KeyError(update_id)
        copy = json.loads(json.dumps(original))
        if not same_id:
            del copy["update_id"]
        else:
            self._updates = [u for u in self._updates if u["update_id"] != update_id]
        return self.queue_update(copy)

    def _new_message(self, chat_id: int, sender: JSON, **content: Any) -> JSON:
        chat = self.chats[chat_id]
        msg: JSON = {
            "message_id": chat.next_message_id,
            "date": int(time.time()),
            "chat": chat.to_json(),
            "from": sender,
            **content,
        }
        chat.next_message_id += 1
        return msg

    def post_message(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        caption: str | None = None,
        forward_from_chat: JSON | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        """A user posts in a group (text, or a photo with ``caption``); queues the update."""
        content: JSON = {}
        if text is not None:
            content["text"] = text
            if ents := _entities(text):
                content["entities"] = ents
        if caption is not None:
            content["photo"] = [
                {"file_id": "AgAD-photo", "file_unique_id": "photo1", "width": 90, "height": 90}
            ]
            content["caption"] = caption
            if ents := _entities(caption):
                content["caption_entities"] = [e for e in ents if e["type"] != "bot_command"]
        if forward_from_chat is not None:
            content["forward_origin"] = {
                "type": "channel",
                "date": int(time.time()) - 60,
                "chat": forward_from_chat,
                "message_id": 7,
            }
        if reply_to is not None and (chat_id, reply_to) in self.messages:
            content["reply_to_message"] = self.messages[(chat_id, reply_to)]
        msg = self._new_message(chat_id, self._user(user_id), **content)
        self.messages[(chat_id, msg["message_id"])] = msg
        self.queue_update({"message": msg})
        return msg

    def edit_message(self, chat_id: int, message_id: int, text: str) -> JSON:
        """The author edits their message; queues an ``edited_message`` update."""
        msg = dict(self.messages[(chat_id, message_id)])
        msg["text"] = text
        msg.pop("entities", None)
        if ents := _entities(text):
            msg["entities"] = ents
        msg["edit_date"] = max(int(time.time()), msg.get("edit_date", 0) + 1)
        self.messages[(chat_id, message_id)] = msg
        self.queue_update({"edited_message": msg})
        return msg

    def press_button(self, chat_id: int, message_id: int, user_id: int, data: str) -> str:
        """A user presses an inline button of a bot message; returns the callback query id."""
        msg = self.messages[(chat_id, message_id)]
        cq_id = str(next(self._callback_ids))
        update = {
            "callback_query": {
                "id": cq_id,
                "from": self._user(user_id),
                "chat_instance": f"ci{chat_id}",
                "message": msg,
                "data": data,
            },
        }
        self.queue_update(update)
        return cq_id

    def start_private(self, user_id: int, text: str = "/start") -> JSON:
        """A user opens the bot's private chat (pressing Start sends ``/start``)."""
        self.started.add(user_id)
        chat = self.chats.setdefault(
            user_id, _Chat(id=user_id, type="private", title=self.users[user_id]["first_name"])
        )
        msg = self._new_message(chat.id, self._user(user_id), text=text, entities=_entities(text))
        self.messages[(chat.id, msg["message_id"])] = msg
        self.queue_update({"message": msg})
        return msg

    # ------------------------------------------------------------------ assertions

    def inject(self, method: str, **kwargs: Any) -> Injection:
        """Make the next ``times`` calls of ``method`` fail (429, 5xx, 403...) or hang."""
        injection = Injection(method=method, **kwargs)
        self._injections.append(injection)
        return injection

    def inject_429(self, method: str, retry_after: int = 1, times: int = 1) -> Injection:
        return self.inject(
            method,
            status=429,
            description=f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            times=times,
        )

    def calls_of(self, method: str, **where: Any) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and all(c.params.get(k) == v for k, v in where.items())
        ]

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        *,
        within: float = 5.0,
        count: int = 1,
        status: int | None = 200,
    ) -> Call:
        """Wait for ``count`` matching calls (answered with ``status``); return the last."""
        deadline = time.monotonic() + within
        while True:
            matching = [
                c
                for c in self.calls
                if c.method == method
                and (status is None or c.status == status)
                and (predicate is None or predicate(c))
            ]
            if len(matching) >= count:
                return matching[count - 1]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [(c.method, c.status) for c in self.calls[-15:]]
                raise AssertionError(f"no {count}x {method} within {within}s; last calls: {seen}")
            waiter = self._wakeup
            try:
                await asyncio.wait_for(waiter.wait(), remaining)
            except TimeoutError:
                pass

    async def settle(self, quiet: float = 0.3, within: float = 10.0) -> None:
        """Wait until no call other than a long poll arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            busy = [c for c in self.calls if c.method != "getUpdates"]
            last = busy[-1].at if busy else 0.0
            if time.perf_counter() - last >= quiet and not self.pending_updates():
                return
            await asyncio.sleep(quiet / 3)
        raise AssertionError("the bot never went quiet")

    def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot (still to be served by ``getUpdates``)."""
        return list(self._updates)

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized")
        method = request.match_info["method"]
        if request.content_type == "application/json":
            body = await request.json()
            raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        else:
            form = await request.post()
            raw = {k: str(v) for k, v in form.items()}
        params = _Params(raw)
        call = Call(method=method, params=params.as_dict(), at=time.perf_counter())
        if method != "getUpdates":
            self.calls.append(call)
        try:
            response = await self._dispatch(method, params, call)
        except asyncio.CancelledError:
            call.status = 499  # the client disconnected (its read timeout) before the answer
            self._wake()
            raise
        call.status = response.status
        if method == "getUpdates":
            self.calls.append(call)
        self._wake()
        return response

    async def _dispatch(self, method: str, params: _Params, call: Call) -> web.Response:
        for injection in self._injections:
            if injection.method == method and injection.times > 0:
                if injection.match is not None and not injection.match(call.params):
                    continue
                injection.times -= 1
                if injection.delay:
                    await self._sleep(injection.delay)
                if injection.status == 200:
                    break  # a slow success
                return self._error(injection.status, injection.description, injection.retry_after)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(404, "Not Found")
        try:
            result = await handler(params)
        except _ApiError as exc:
            return self._error(exc.status, exc.description)
        return web.json_response({"ok": True, "result": result})

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass

    @staticmethod
    def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
        body: JSON = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        return web.json_response(body, status=status)

    # ------------------------------------------------------------------ methods

    def _chat(self, params: _Params) -> _Chat:
        raw = params.text("chat_id")
        try:
            chat_id = int(raw)
        except ValueError:
            chat = next((c for c in self.chats.values() if f"@{c.username}" == raw), None)
            if chat is None:
                raise _ApiError(400, "Bad Request: chat not found") from None
            return chat
        if chat_id in self.chats:
            return self.chats[chat_id]
        if chat_id in self.users:
            if chat_id not in self.started:
                raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            return self.chats.setdefault(
                chat_id, _Chat(id=chat_id, type="private", title=self.users[chat_id]["first_name"])
            )
        raise _ApiError(400, "Bad Request: chat not found")

    def _bot_member(self, chat: _Chat) -> JSON:
        return chat.members.get(self.bot_user["id"], {"status": "left"})

    def _member_json(self, chat: _Chat, user_id: int) -> JSON:
        if user_id in chat.members:
            return chat.members[user_id]
        if user_id not in self.users and user_id != self.bot_user["id"]:
            raise _ApiError(400, "Bad Request: user not found")
        return {"status": "left", "user": self._user(user_id)}

    async def _api_getMe(self, params: _Params) -> JSON:
        return self.bot_user

    async def _api_deleteWebhook(self, params: _Params) -> bool:
        return True

    async def _api_setMyCommands(self, params: _Params) -> bool:
        return True

    async def _api_setWebhook(self, params: _Params) -> bool:
        self.webhook = {"url": params.text("url"), "secret_token": params.text("secret_token")}
        return True

    async def _api_getUpdates(self, params: _Params) -> list[JSON]:
        offset = params.integer("offset", 0)
        limit = max(1, min(params.integer("limit", 100), 100))
        timeout = params.number("timeout", 0.0)
        if offset > 0:  # confirms every update before ``offset``: Telegram forgets them
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            ready = [u for u in self._updates if u["update_id"] >= offset][:limit]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing.is_set():
                return ready
            waiter = self._wakeup
            closing = asyncio.ensure_future(self._closing.wait())
            woke = asyncio.ensure_future(waiter.wait())
            try:
                await asyncio.wait(
                    {closing, woke}, timeout=remaining, return_when="FIRST_COMPLETED"
                )
            finally:
                closing.cancel()
                woke.cancel()

    async def _api_sendMessage(self, params: _Params) -> JSON:
        chat = self._chat(params)
        if chat.type != "private" and self._bot_member(chat)["status"] in ("left", "kicked"):
            raise _ApiError(403, "Forbidden: bot is not a member of the supergroup chat")
        text = params.text("text")
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if _utf16_len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        content: JSON = {"text": text}
        markup = params.decoded("reply_markup")
        if markup:
            content["reply_markup"] = markup
        msg = self._new_message(chat.id, self._user(self.bot_user["id"]), **content)
        Message.de_json(json.loads(json.dumps(msg)), None)
        self.messages[(chat.id, msg["message_id"])] = msg
        return msg

    async def _api_editMessageText(self, params: _Params) -> JSON:
        chat = self._chat(params)
        key = (chat.id, params.integer("message_id"))
        msg = self.messages.get(key)
        if msg is None:
            raise _ApiError(400, "Bad Request: message to edit not found")
        if msg["from"]["id"] != self.bot_user["id"]:
            raise _ApiError(400, "Bad Request: message can't be edited")
        markup = params.decoded("reply_markup")
        text = params.text("text")
        if text == msg.get("text") and markup == msg.get("reply_markup"):
            raise _ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        msg = {**msg, "text": text, "edit_date": int(time.time())}
        msg.pop("reply_markup", None)
        if markup:
            msg["reply_markup"] = markup
        self.messages[key] = msg
        return msg

    async def _api_deleteMessage(self, params: _Params) -> bool:
        chat = self._chat(params)
        key = (chat.id, params.integer("message_id"))
        msg = self.messages.get(key)
        if msg is None:
            raise _ApiError(400, "Bad Request: message to delete not found")
        bot = self._bot_member(chat)
        own = msg["from"]["id"] == self.bot_user["id"]
        if not own and not (
            bot["status"] == "creator"
            or (bot["status"] == "administrator" and bot.get("can_delete_messages"))
        ):
            raise _ApiError(400, "Bad Request: message can't be deleted")
        del self.messages[key]
        self.deleted.append(key)
        return True

    def _check_restrict(self, chat: _Chat, user_id: int) -> None:
        bot = self._bot_member(chat)
        if not (bot["status"] == "administrator" and bot.get("can_restrict_members")):
            raise _ApiError(
                400, "Bad Request: not enough rights to restrict/unrestrict chat member"
            )
        target = chat.members.get(user_id, {"status": "member"})
        if target["status"] in ("administrator", "creator"):
            raise _ApiError(400, "Bad Request: user is an administrator of the chat")

    async def _api_restrictChatMember(self, params: _Params) -> bool:
        chat = self._chat(params)
        user_id = params.integer("user_id")
        self._check_restrict(chat, user_id)
        self.restrictions[(chat.id, user_id)] = {
            "permissions": params.decoded("permissions"),
            "until_date": params.integer("until_date", 0),
        }
        return True

    async def _api_banChatMember(self, params: _Params) -> bool:
        chat = self._chat(params)
        user_id = params.integer("user_id")
        self._check_restrict(chat, user_id)
        self.banned.add((chat.id, user_id))
        return True

    async def _api_answerCallbackQuery(self, params: _Params) -> bool:
        return True

    async def _api_getChat(self, params: _Params) -> JSON:
        chat = self._chat(params)
        info: JSON = {
            **chat.to_json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        ChatFullInfo.de_json(json.loads(json.dumps(info)), None)
        return info

    async def _api_getChatMember(self, params: _Params) -> JSON:
        chat = self._chat(params)
        return self._member_json(chat, params.integer("user_id"))

    async def _api_getChatAdministrators(self, params: _Params) -> list[JSON]:
        chat = self._chat(params)
        return [m for m in chat.members.values() if m["status"] in ("administrator", "creator")]


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
