"""The HTTP webhook adapter: any platform that can send and receive signed JSON.

Inbound, an integrator (a forum plugin, a Matrix or WhatsApp Business bridge, an in-house chat)
POSTs each message to ``/v1/messages`` and gets the engine's decision back in the response, so it
can act at once. Outbound, the engine's actions (hide, notice, private message, timeout, ban,
restore, escalate) are POSTed to the integrator's callback URL, signed the same way, and carried
through the engine's durable outbox with its retries. Moderators with review buttons on the
integrator's side close the loop with ``/v1/cases/{id}/{claim|confirm|dismiss|note|appeal}``.

The protocol reference for integrators is ``docs/webhook.md``.
"""

from __future__ import annotations

import ipaddress
import logging
import unicodedata
from collections import OrderedDict
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from pydantic import ValidationError

from core._adapter import Capability, CaseCard, PermanentActionError
from core._api import Case, Decision, ReviewAPI
from core._model import IncomingEvent, MessageRef, Moderator

from ._client import CallbackClient
from ._config import WebhookConfig
from ._schema import (
    InboundError,
    MessageIn,
    ReviewIn,
    parse_json,
    to_event,
    validation_details,
)
from ._signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, SignatureError, verify

__all__ = ["EngineLike", "WebhookAdapter"]

log = logging.getLogger("channelwatch.webhook")

_DECISION_CACHE = 10_000  # recent decisions kept to answer redeliveries with the same decision
_READ_CHUNK = 16 * 1024
_REVIEW_ACTIONS = ("claim", "confirm", "dismiss", "note", "appeal")


class EngineLike(Protocol):
    """What the adapter uses of :class:`core.EngineAPI` (read-only, so ``core.Engine`` fits)."""

    @property
    def review(self) -> ReviewAPI: ...

    async def submit(self, event: IncomingEvent) -> Decision: ...


def text_direction(text: str) -> str:
    """``"rtl"`` or ``"ltr"`` from the first strongly directional character (Unicode bidi P2)."""
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi in ("R", "AL"):
            return "rtl"
        if bidi == "L":
            return "ltr"
    return "ltr"


def decision_body(decision: Decision, revision: str) -> dict[str, Any]:
    """The JSON answer to ``POST /v1/messages``."""
    v = decision.verdict
    return {
        "message_id": decision.ref.message_id,
        "revision": revision,
        "label": str(v.label) if v is not None else None,
        "score": round(v.score, 4) if v is not None else None,
        "lang": v.lang if v is not None else None,
        "actions": list(decision.actions),
        "case_id": decision.case_id,
        "duplicate": decision.duplicate,
        "shadow": decision.shadow,
    }


def case_body(case: Case) -> dict[str, Any]:
    """A case as the review endpoints return it (no evidence text: the integrator has it)."""
    return {
        "case_id": case.id,
        "status": str(case.status),
        "priority": case.priority,
        "label": case.label,
        "score": round(case.score, 4),
        "lang": case.lang,
        "community_id": case.ref.community_id,
        "channel_id": case.ref.channel_id,
        "message_id": case.ref.message_id,
        "claimed_by": case.claimed_by,
        "decided_by": case.decided_by,
        "updated_at": case.updated_at.isoformat(),
    }


def _is_private_http(url: str) -> bool:
    """True for https, or http to loopback / a private network (a sidecar, a LAN bridge)."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return False
    return addr.is_loopback or addr.is_private


def _json_error(exc: InboundError) -> web.Response:
    return web.json_response(exc.body(), status=exc.status, headers=exc.headers)


class WebhookAdapter:
    """A :class:`core.Adapter` speaking signed JSON over HTTP; see the module docstring.

    Mount :meth:`app` under a prefix of an existing aiohttp server
    (``root.add_subapp("/webhook", adapter.app())``) or serve it alone; call :meth:`start` and
    :meth:`stop` like any adapter (they open and close the outbound HTTP session).
    """

    def __init__(self, engine: EngineLike, config: WebhookConfig) -> None:
        self.engine = engine
        self.config = config
        self.platform = config.platform
        self.capabilities: frozenset[Capability] = config.capabilities
        self._secret = config.secret_bytes
        self._client = (
            CallbackClient(config.callback_url, self._secret, timeout=config.timeout)
            if config.callback_url
            else None
        )
        self._decisions: OrderedDict[tuple[str, str, str, str], dict[str, Any]] = OrderedDict()
        self._inflight = 0

    def __repr__(self) -> str:
        return f"WebhookAdapter(platform={self.platform!r}, callback={self.config.callback_url!r})"

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        if self._client is None:
            log.warning(
                "%s: no CHANNELWATCH_WEBHOOK_CALLBACK_URL: decisions are returned to the sender "
                "but channelwatch cannot act on the platform (actions will be recorded as failed)",
                self.platform,
            )
        else:
            self._client.open()
            log.info("%s: actions go to %s", self.platform, self._client.url)
            if not _is_private_http(self._client.url):
                log.warning(
                    "%s: the callback URL is plain http to a public host: notices, case texts "
                    "and signatures travel unencrypted; use https",
                    self.platform,
                )

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()

    # -- the Adapter protocol: outbound actions ----------------------------------------------

    async def _send(self, action: str, community_id: str, fields: dict[str, Any]) -> None:
        if self._client is None:
            raise PermanentActionError(
                f"no callback URL configured for {self.platform} "
                "(CHANNELWATCH_WEBHOOK_CALLBACK_URL): cannot carry out " + action
            )
        payload = {
            "action": action,
            "platform": self.platform,
            "community_id": community_id,
            **fields,
        }
        await self._client.send(payload)

    async def hide(self, ref: MessageRef) -> None:
        await self._send(
            "hide", ref.community_id, {"channel_id": ref.channel_id, "message_id": ref.message_id}
        )

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None:
        await self._send(
            "notice",
            community_id,
            {
                "channel_id": channel_id,
                "text": text,
                "lang": lang,
                "direction": text_direction(text),
            },
        )

    async def send_private(self, community_id: str, user_id: str, text: str, *, lang: str) -> None:
        await self._send(
            "private_message",
            community_id,
            {"user_id": user_id, "text": text, "lang": lang, "direction": text_direction(text)},
        )

    async def timeout(self, community_id: str, user_id: str, seconds: int, *, reason: str) -> None:
        await self._send(
            "timeout", community_id, {"user_id": user_id, "seconds": seconds, "reason": reason}
        )

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None:
        await self._send("ban", community_id, {"user_id": user_id, "reason": reason})

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None:
        await self._send(
            "restore",
            ref.community_id,
            {
                "channel_id": ref.channel_id,
                "message_id": ref.message_id,
                "author_name": author_name,
                "text": text,
                "direction": text_direction(text),
            },
        )

    async def escalate(self, card: CaseCard) -> None:
        ref = card.ref
        await self._send(
            "escalate",
            ref.community_id,
            {
                "channel_id": ref.channel_id,
                "message_id": ref.message_id,
                "case": {
                    "case_id": card.case_id,
                    "status": card.status,
                    "priority": card.priority,
                    "label": card.label,
                    "score": round(card.score, 4),
                    "lang": card.lang,
                    "author_id": card.author_id,
                    "author_name": card.author_name,
                    "text": card.text,
                    "direction": text_direction(card.text),
                    "reasons": [r.to_dict() for r in card.reasons],
                    "entities": [e.to_dict() for e in card.entities],
                    "created_at": card.created_at.isoformat() if card.created_at else None,
                    "message_url": card.message_url,
                    "extra": card.extra,
                },
            },
        )

    # -- inbound HTTP ------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        """The endpoints, relative to wherever the adapter is mounted."""
        return [
            web.post("/v1/messages", self._handle_message),
            web.post("/v1/cases/{case_id}/{action}", self._handle_review),
            web.get("/v1/health", self._handle_health),
        ]

    def app(self) -> web.Application:
        """A sub-application with :meth:`routes`, to mount or to serve on its own."""
        app = web.Application(client_max_size=self.config.max_body)
        app.add_routes(self.routes())
        return app

    async def _read_signed(self, request: web.Request) -> bytes:
        """The raw body, once it is known to be small enough and signed by the integrator."""
        limit = self.config.max_body
        too_big = InboundError(
            413, "too_large", f"body is larger than {limit} bytes (CHANNELWATCH_WEBHOOK_MAX_BODY)"
        )
        declared = request.content_length
        if declared is not None and declared > limit:
            raise too_big  # refused before reading a byte of it
        buf = bytearray()
        # Chunked bodies declare no length: count while reading, and stop at the limit.
        async for chunk in request.content.iter_chunked(_READ_CHUNK):
            buf += chunk
            if len(buf) > limit:
                raise too_big
        body = bytes(buf)
        try:
            verify(
                self._secret,
                body,
                request.headers.get(SIGNATURE_HEADER),
                request.headers.get(TIMESTAMP_HEADER),
                tolerance=self.config.tolerance,
            )
        except SignatureError as exc:
            log.info("%s: refused a request from %s: %s", self.platform, request.remote, exc)
            raise InboundError(401, "bad_signature", str(exc)) from None
        return body

    def _busy(self) -> InboundError:
        return InboundError(
            503,
            "overloaded",
            "too many requests in progress; retry shortly (redelivery is safe)",
            headers={"Retry-After": "1"},
        )

    async def _handle_message(self, request: web.Request) -> web.Response:
        if self._inflight >= self.config.max_inflight:
            return _json_error(self._busy())
        self._inflight += 1
        try:
            return await self._message(request)
        except InboundError as exc:
            return _json_error(exc)
        finally:
            self._inflight -= 1

    async def _message(self, request: web.Request) -> web.Response:
        body = await self._read_signed(request)
        data = parse_json(body)
        try:
            msg = MessageIn.model_validate(data)
        except ValidationError as exc:
            details = validation_details(exc)
            summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:5])
            raise InboundError(
                400, "invalid_message", f"invalid message: {summary}", details=details
            ) from None
        if msg.platform is not None and msg.platform != self.platform:
            raise InboundError(
                400,
                "invalid_message",
                f"invalid message: platform: this endpoint serves {self.platform!r}, "
                f"not {msg.platform!r} (omit the field or set CHANNELWATCH_WEBHOOK_PLATFORM)",
                details=[{"field": "platform", "problem": f"must be {self.platform!r}"}],
            )
        event = to_event(msg, self.platform)
        key = (event.community_id, event.channel_id, event.message_id, event.revision)
        try:
            decision = await self.engine.submit(event)
        except Exception:
            # The engine commits a decision in one transaction and processes each
            # (message, revision) once, so asking the sender to deliver again is always safe.
            log.exception("%s: the engine could not process message %s", self.platform, key)
            raise InboundError(
                503,
                "unavailable",
                "the message could not be processed now; deliver it again later",
                headers={"Retry-After": "5"},
            ) from None
        if decision.duplicate:
            first = self._decisions.get(key)
            if first is None:
                first = await self._recall(event, decision)
                self._remember(key, first)
            answer = {**first, "duplicate": True}
        else:
            answer = decision_body(decision, event.revision)
            self._remember(key, answer)
        return web.json_response(answer)

    async def _recall(self, event: IncomingEvent, decision: Decision) -> dict[str, Any]:
        """The first decision on a redelivered message we no longer remember (a restart).

        Rebuilt from the engine's store when it has one: the event row of this revision is
        found through the message's actions. A benign message has no actions, and then the
        engine's answer (its verdict, detected again) is the same as the first one anyway.
        """
        answer = decision_body(decision, event.revision)
        store = getattr(self.engine, "store", None)
        query = getattr(self.engine, "query", None)
        if store is None or query is None:
            return answer
        try:
            rows = await query(store.actions_for_message, event.ref)
            for event_id in dict.fromkeys(r.event_id for r in rows if r.event_id):
                ev = await query(store.get_event, event_id)
                if ev is None or ev.revision != event.revision:
                    continue
                answer.update(
                    label=ev.label,
                    score=round(ev.score, 4) if ev.score is not None else None,
                    lang=ev.lang,
                    actions=list(ev.actions),
                    shadow=bool(ev.shadow),
                    case_id=next((r.case_id for r in rows if r.case_id), None),
                )
                break
        except Exception:  # the answer is a courtesy; the redelivery itself was handled
            log.warning("%s: could not look up the first decision", self.platform, exc_info=True)
        return answer

    def _remember(self, key: tuple[str, str, str, str], answer: dict[str, Any]) -> None:
        self._decisions[key] = answer
        if len(self._decisions) > _DECISION_CACHE:
            self._decisions.popitem(last=False)

    async def _handle_review(self, request: web.Request) -> web.Response:
        try:
            return await self._review(request)
        except InboundError as exc:
            return _json_error(exc)

    async def _review(self, request: web.Request) -> web.Response:
        from core._review import CaseNotFound, InvalidTransition, ReviewError

        body = await self._read_signed(request)
        case_id = request.match_info["case_id"]
        action = request.match_info["action"]
        if action not in _REVIEW_ACTIONS:
            raise InboundError(
                404,
                "not_found",
                f"unknown review action {action!r}; use {', '.join(_REVIEW_ACTIONS)}",
            )
        try:
            req = ReviewIn.model_validate(parse_json(body))
        except ValidationError as exc:
            details = validation_details(exc)
            summary = "; ".join(f"{d['field']}: {d['problem']}" for d in details[:5])
            raise InboundError(
                400, "invalid_request", f"invalid request: {summary}", details=details
            ) from None
        review = self.engine.review
        case = await review.get_case(case_id)
        # Cases of other platforms do not exist as far as this integrator is concerned.
        if case is None or case.ref.platform != self.platform:
            raise InboundError(404, "not_found", f"no case {case_id!r}")
        try:
            if action == "appeal":
                if not req.text:
                    raise InboundError(400, "invalid_request", "invalid request: text: required")
                case = await review.appeal(case_id, req.text)
            else:
                if req.moderator is None:
                    raise InboundError(
                        400, "invalid_request", "invalid request: moderator: required"
                    )
                mod = Moderator(self.platform, req.moderator.id, req.moderator.name)
                if action == "claim":
                    case = await review.claim(case_id, mod)
                elif action == "confirm":
                    case = await review.confirm(case_id, mod, ban=req.ban, note=req.note)
                elif action == "dismiss":
                    case = await review.dismiss(case_id, mod, note=req.note)
                else:
                    if not req.note:
                        raise InboundError(
                            400, "invalid_request", "invalid request: note: required"
                        )
                    case = await review.add_note(case_id, mod, req.note)
        except CaseNotFound:
            raise InboundError(404, "not_found", f"no case {case_id!r}") from None
        except InvalidTransition as exc:
            raise InboundError(409, "conflict", str(exc)) from None
        except ReviewError as exc:
            raise InboundError(400, "invalid_request", str(exc)) from None
        return web.json_response(case_body(case))

    async def _handle_health(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"status": "ok", "platform": self.platform, "callback": self._client is not None}
        )
