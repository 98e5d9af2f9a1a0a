"""The playground: a small local chat platform that is a real channelwatch adapter.

A visitor types in a web chat (see :mod:`adapters.playground._web`); each message becomes an
:class:`~core.IncomingEvent` with platform ``"playground"`` and goes through the engine exactly
like a Telegram or Discord message. The engine's actions come back through the
:class:`~core.Adapter` methods below and change the room state, and every change is published to
the browsers watching (server-sent events). Nothing here is special-cased for the engine: a hide
hides, a notice is posted, a private message lands in the user's inbox panel.

State is kept in memory (it is a demo platform); message ids embed the start time so that a
restarted playground never reuses an id the engine has already processed.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from core._adapter import Capability, CaseCard, PermanentActionError, RecipientUnreachable
from core._api import Decision
from core._model import Author, IncomingEvent, MessageRef

__all__ = [
    "COMMUNITY_ID",
    "PLATFORM",
    "PlaygroundAdapter",
    "PostRefused",
    "Room",
    "Sample",
    "SimUser",
    "load_samples",
]

log = logging.getLogger("channelwatch.playground")

PLATFORM = "playground"
COMMUNITY_ID = "local"
MAX_TEXT = 4000  # what the chat box accepts; the engine copes with more, the demo need not
HISTORY_PER_ROOM = 300
INBOX_PER_USER = 50
MAX_PERSONAS = 60


class _Submitter(Protocol):
    async def submit(self, event: IncomingEvent) -> Decision: ...


class _Appeals(Protocol):
    async def appeal(self, case_id: str, text: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class Room:
    id: str
    title: str
    topic: str = ""


@dataclass(frozen=True, slots=True)
class SimUser:
    """A simulated member the visitor can post as."""

    id: str
    name: str
    is_admin: bool = False
    account_age_days: float | None = 400.0
    accepts_private: bool = True  # False: "DMs closed", so the engine falls back to the channel
    lang: str = "en"


DEFAULT_ROOMS: tuple[Room, ...] = (
    Room("general", "General", "Everyday talk: work, housing, football"),
    Room("travel", "Travel & papers", "Visas, routes, asylum questions"),
    Room("arabic", "العربية", "غرفة باللغة العربية"),
)

DEFAULT_USERS: tuple[SimUser, ...] = (
    SimUser("u-amira", "Amira", lang="en"),
    SimUser("u-karim", "كريم", lang="ar"),
    SimUser("u-dara", "Dara", lang="ckb", account_age_days=2.0),
    SimUser("u-lin", "Lin", lang="vi", accepts_private=False),
    SimUser("u-newbie", "fast_trips_77", account_age_days=0.2),
    SimUser("u-admin", "Sam (admin)", is_admin=True),
)


class PostRefused(Exception):
    """The platform refuses a post (banned or timed-out author, empty or unknown room)."""


@dataclass(frozen=True, slots=True)
class Sample:
    text: str
    lang: str
    label: str
    user: str


def load_samples(path: Path) -> list[Sample]:
    """Read ``config/samples/playground.jsonl`` (text, lang, label, user); skip bad lines."""
    samples: list[Sample] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return samples
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            samples.append(
                Sample(
                    text=str(obj["text"])[:MAX_TEXT],
                    lang=str(obj.get("lang", "und")),
                    label=str(obj.get("label", "none")),
                    user=str(obj.get("user", "")),
                )
            )
        except (ValueError, KeyError, TypeError):
            log.warning("%s:%d: not a sample object, skipped", path, number)
    return samples


@dataclass(slots=True)
class _Message:
    id: str
    room: str
    user_id: str
    author_name: str
    text: str
    at: float
    state: str = "visible"  # visible / hidden / restored
    kind: str = "message"  # message / notice / system
    lang: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "room": self.room,
            "user_id": self.user_id,
            "author": self.author_name,
            "text": self.text,
            "at": self.at,
            "state": self.state,
            "kind": self.kind,
            "lang": self.lang,
        }


@dataclass(slots=True)
class _State:
    rooms: dict[str, deque[_Message]] = field(default_factory=dict)
    by_id: dict[str, _Message] = field(default_factory=dict)
    inbox: dict[str, deque[dict[str, Any]]] = field(default_factory=dict)
    banned: dict[str, str] = field(default_factory=dict)  # user id -> reason
    timeouts: dict[str, float] = field(default_factory=dict)  # user id -> until (epoch s)
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # case id -> card


class PlaygroundAdapter:
    """An in-process chat platform implementing :class:`core.Adapter`.

    ``engine`` is anything with ``submit`` (the real :class:`core.Engine` in ``channelwatch
    run``). ``review_url`` turns a case id into a dashboard link for the moderators' cards.
    """

    platform = PLATFORM
    capabilities = frozenset(Capability)

    def __init__(
        self,
        engine: _Submitter,
        *,
        rooms: Iterable[Room] = DEFAULT_ROOMS,
        users: Iterable[SimUser] = DEFAULT_USERS,
        samples: Iterable[Sample] = (),
        review_url: str = "/cases/{case_id}",
    ) -> None:
        self._engine = engine
        self.rooms: dict[str, Room] = {r.id: r for r in rooms}
        self.users: dict[str, SimUser] = {u.id: u for u in users}
        self.samples: list[Sample] = list(samples)
        self._review_url = review_url
        self._state = _State(rooms={r: deque(maxlen=HISTORY_PER_ROOM) for r in self.rooms})
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        # Ids embed the start time in ms: unique across restarts, ordered within a run.
        self._ids = itertools.count(1)
        self._epoch = f"{int(time.time() * 1000):x}"
        self.started = False

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self.started = True
        log.debug(
            "playground: started, community %r, rooms %s, %d simulated users, %d samples",
            COMMUNITY_ID,
            ", ".join(self.rooms),
            len(self.users),
            len(self.samples),
        )

    async def stop(self) -> None:
        self.started = False
        self.disconnect_viewers()

    def disconnect_viewers(self) -> None:
        """End every live stream (shutdown): browsers reconnect when the server is back."""
        for q in list(self._subscribers):
            while not q.empty():
                q.get_nowait()
            q.put_nowait({"type": "bye"})

    # -- live updates ------------------------------------------------------------------------
    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=1000)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(q)

    def _publish(self, event: dict[str, Any]) -> None:
        for q in list(self._subscribers):
            try:
                q.put_nowait(event)
            except asyncio.QueueFull:
                # A stalled browser: rather than grow without bound, drop its backlog and tell
                # it to resynchronise from a fresh snapshot.
                while not q.empty():
                    q.get_nowait()
                q.put_nowait({"type": "resync"})

    def snapshot(self) -> dict[str, Any]:
        """Everything a freshly connected browser needs to draw the chat."""
        now = time.time()
        return {
            "type": "snapshot",
            "community": COMMUNITY_ID,
            "rooms": [
                {"id": r.id, "title": r.title, "topic": r.topic} for r in self.rooms.values()
            ],
            "users": [self._user_dict(u, now) for u in self.users.values()],
            "messages": {
                room: [m.to_dict() for m in msgs] for room, msgs in self._state.rooms.items()
            },
            "inbox": {uid: list(items) for uid, items in self._state.inbox.items()},
            "cards": list(self._state.cards.values()),
            "samples": len(self.samples),
        }

    # -- the chat side: what users do --------------------------------------------------------
    def _next_id(self) -> str:
        return f"{self._epoch}-{next(self._ids)}"

    def _check_can_post(self, room: str, user: SimUser, text: str) -> None:
        if room not in self.rooms:
            raise PostRefused(f"no room {room!r}")
        if not text.strip():
            raise PostRefused("empty message")
        if len(text) > MAX_TEXT:
            raise PostRefused(f"message too long ({len(text)} characters, {MAX_TEXT} at most)")
        if user.id in self._state.banned:
            raise PostRefused(f"{user.name} is banned from this community")
        until = self._state.timeouts.get(user.id, 0.0)
        if until > time.time():
            raise PostRefused(f"{user.name} is timed out for {int(until - time.time()) + 1} s")

    async def post(self, room: str, user_id: str, text: str) -> tuple[str, Decision]:
        """A simulated user posts in a room: show it, then hand it to the engine.

        The message is visible at once, as on a real platform; the engine's hide (if any)
        arrives through :meth:`hide` moments later.
        """
        user = self.users.get(user_id)
        if user is None:
            raise PostRefused(f"no user {user_id!r}")
        self._check_can_post(room, user, text)
        msg = _Message(self._next_id(), room, user.id, user.name, text, time.time())
        self._append(msg)
        event = IncomingEvent(
            ref=MessageRef(PLATFORM, COMMUNITY_ID, room, msg.id),
            author=Author(
                id=user.id,
                display_name=user.name,
                is_moderator=user.is_admin,
                account_age_days=user.account_age_days,
            ),
            text=text,
            timestamp=datetime.fromtimestamp(msg.at, UTC),
        )
        decision = await self._engine.submit(event)
        return msg.id, decision

    def _append(self, msg: _Message) -> None:
        room = self._state.rooms[msg.room]
        if len(room) == room.maxlen:
            self._state.by_id.pop(room[0].id, None)
        room.append(msg)
        self._state.by_id[msg.id] = msg
        self._publish({"type": "message", "message": msg.to_dict()})

    # -- the platform side: what the engine asks for -----------------------------------------
    def _check_community(self, community_id: str) -> None:
        if community_id != COMMUNITY_ID:
            raise PermanentActionError(f"the playground has no community {community_id!r}")

    async def hide(self, ref: MessageRef) -> None:
        self._check_community(ref.community_id)
        msg = self._state.by_id.get(ref.message_id)
        if msg is None or msg.state == "hidden":
            return  # already gone (or from before a restart): hiding twice is success
        msg.state = "hidden"
        self._publish({"type": "hidden", "id": msg.id, "room": msg.room})

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None:
        self._check_community(ref.community_id)
        if ref.channel_id not in self.rooms:
            raise PermanentActionError(f"no room {ref.channel_id!r}")
        msg = self._state.by_id.get(ref.message_id)
        if msg is None:
            # Hidden before a restart: bring it back from what the engine kept.
            msg = _Message(ref.message_id, ref.channel_id, "", author_name, text, time.time())
            msg.state = "restored"
            self._append(msg)
            return
        if msg.state == "restored":
            return
        msg.state = "restored"
        self._publish({"type": "restored", "message": msg.to_dict()})

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None:
        self._check_community(community_id)
        if channel_id not in self.rooms:
            raise PermanentActionError(f"no room {channel_id!r}")
        msg = _Message(
            self._next_id(), channel_id, "", "channelwatch", text, time.time(), kind="notice"
        )
        msg.lang = lang
        self._append(msg)

    async def send_private(self, community_id: str, user_id: str, text: str, *, lang: str) -> None:
        self._check_community(community_id)
        user = self.users.get(user_id)
        if user is None or not user.accepts_private:
            raise RecipientUnreachable(f"{user_id} does not accept private messages")
        item = {"user_id": user_id, "text": text, "lang": lang, "at": time.time()}
        self._state.inbox.setdefault(user_id, deque(maxlen=INBOX_PER_USER)).append(item)
        self._publish({"type": "private", "item": item})

    async def timeout(self, community_id: str, user_id: str, seconds: int, *, reason: str) -> None:
        self._check_community(community_id)
        until = time.time() + max(0, seconds)
        self._state.timeouts[user_id] = until
        self._publish({"type": "sanction", "user_id": user_id, "kind": "timeout", "until": until})
        self._system(f"{self._name(user_id)} was timed out for {seconds} s.")

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None:
        self._check_community(community_id)
        if user_id in self._state.banned:
            return
        self._state.banned[user_id] = reason
        self._publish({"type": "sanction", "user_id": user_id, "kind": "ban"})
        self._system(f"{self._name(user_id)} was banned.")

    async def escalate(self, card: CaseCard) -> None:
        self._check_community(card.ref.community_id)
        data = {
            "case_id": card.case_id,
            "author_id": card.author_id,
            "room": card.ref.channel_id,
            "message_id": card.ref.message_id,
            "author": card.author_name,
            "text": card.text,
            "lang": card.lang,
            "label": card.label,
            "score": round(card.score, 3),
            "priority": card.priority,
            "status": card.status,
            "reasons": [r.text for r in card.reasons],
            "url": self._review_url.format(case_id=card.case_id),
        }
        self._state.cards[card.case_id] = data
        self._publish({"type": "card", "card": data})

    async def appeal(self, case_id: str, user_id: str, text: str) -> str:
        """The poster of a hidden message appeals, as they would by replying to the bot.

        Only the case's author may appeal; the engine's review workflow reopens a confirmed case
        (or notes the appeal on an open one). Returns the case's new status.
        """
        card = self._state.cards.get(case_id)
        if card is None or card["author_id"] != user_id:
            raise PostRefused("only the author of a hidden message can appeal it")
        text = text.strip()
        if not text or len(text) > 1000:
            raise PostRefused("write why the decision is wrong (1 to 1000 characters)")
        review: _Appeals | None = getattr(self._engine, "review", None)
        if review is None:
            raise PostRefused("this engine takes no appeals")
        try:
            case = await review.appeal(case_id, text)
        except ValueError as exc:  # the review workflow's refusals (e.g. already restored)
            raise PostRefused(str(exc)) from exc
        return str(getattr(case, "status", ""))

    def persona(self, name: str) -> SimUser:
        """The member called ``name``, joining the community if new (sample posts' authors)."""
        for u in self.users.values():
            if name.casefold() in (u.id.casefold(), u.name.casefold()):
                return u
        personas = [u for u in self.users if u.startswith("u-p")]
        if len(personas) >= MAX_PERSONAS:
            # Bounded: the oldest persona leaves, as members do.
            self.users.pop(personas[0], None)
        digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        user = SimUser(f"u-p{digest}", name[:40] or "member", account_age_days=None)
        self.users[user.id] = user
        self._publish({"type": "user", "user": self._user_dict(user, time.time())})
        return user

    # -- helpers -----------------------------------------------------------------------------
    def _user_dict(self, u: SimUser, now: float) -> dict[str, Any]:
        until = self._state.timeouts.get(u.id)
        return {
            "id": u.id,
            "name": u.name,
            "is_admin": u.is_admin,
            "accepts_private": u.accepts_private,
            "banned": u.id in self._state.banned,
            "timeout_until": until if until and until > now else None,
        }

    def _name(self, user_id: str) -> str:
        user = self.users.get(user_id)
        return user.name if user else user_id

    def _system(self, text: str) -> None:
        # Sanctions are community-wide: announce them in the first room, like a mod log.
        first = next(iter(self.rooms))
        self._append(
            _Message(self._next_id(), first, "", "system", text, time.time(), "visible", "system")
        )

    def message(self, message_id: str) -> dict[str, Any] | None:
        msg = self._state.by_id.get(message_id)
        return msg.to_dict() if msg else None

    def inbox(self, user_id: str) -> list[dict[str, Any]]:
        return list(self._state.inbox.get(user_id, ()))

    def is_banned(self, user_id: str) -> bool:
        return user_id in self._state.banned
