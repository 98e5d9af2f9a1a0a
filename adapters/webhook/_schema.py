"""The inbound message format (``POST /v1/messages``), validated with pydantic.

Every field an integrator sends is checked before anything reaches the engine, and a refusal
names the field and the problem (``author.id: Field required``) so a developer wiring up a forum
sees at once what to fix. Unknown fields are refused too: a typo such as ``is_moderater`` would
otherwise silently turn an exempt moderator into a member whose posts get hidden. The version is
in the path, so a future format with more fields gets ``/v2``.

Identifiers may be JSON strings or integers (many platforms number things); they become strings.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from core._model import Author, IncomingEvent, MessageRef

__all__ = [
    "AuthorIn",
    "InboundError",
    "MessageIn",
    "ReviewIn",
    "parse_json",
    "to_event",
    "validation_details",
]

MAX_ID_CHARS = 256
MAX_LINKS = 100
MAX_LINK_CHARS = 2048
MAX_ROLES = 100


class InboundError(Exception):
    """A request we refuse, with the HTTP status and a JSON body that explains it."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


def _id_to_str(value: Any) -> Any:
    # bool is an int in Python; ``"message_id": true`` is a bug in the sender, not id "True".
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


_Id = Annotated[
    str,
    StringConstraints(strict=True, min_length=1, max_length=MAX_ID_CHARS),
    BeforeValidator(_id_to_str),  # last, so it runs first: ints become strings, then checks
]
_Short = Annotated[str, StringConstraints(strict=True, max_length=MAX_ID_CHARS)]
_Link = Annotated[str, StringConstraints(strict=True, min_length=1, max_length=MAX_LINK_CHARS)]
_LangHint = Annotated[
    str, StringConstraints(strict=True, pattern=r"^[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8})*$")
]
_Platform = Annotated[str, StringConstraints(strict=True, pattern=r"^[a-z][a-z0-9_.-]{0,31}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AuthorIn(_Strict):
    id: _Id
    display_name: _Short = ""
    is_moderator: bool = False
    is_bot: bool = False
    account_age_days: Annotated[
        float | None, Field(ge=0, le=100_000, allow_inf_nan=False, strict=False)
    ] = None
    roles: Annotated[list[_Id], Field(max_length=MAX_ROLES)] = []


class MessageIn(_Strict):
    """One message, or one edit of it, as an integrator posts it."""

    platform: _Platform | None = None
    community_id: _Id
    channel_id: _Id
    message_id: _Id
    author: AuthorIn
    text: Annotated[str, StringConstraints(strict=True)]
    links: Annotated[list[_Link], Field(max_length=MAX_LINKS)] = []
    reply_to: _Id | None = None
    edited: bool = False
    revision: _Id | None = None
    lang_hint: _LangHint | None = None
    # ISO 8601 ("2026-11-28T01:02:03Z"); a time without an offset is taken as UTC.
    timestamp: Annotated[datetime | None, Field(strict=False)] = None


class _ModeratorIn(_Strict):
    id: _Id
    name: _Short = ""


class ReviewIn(_Strict):
    """A moderator's decision on a case, from the integrator's own review buttons."""

    moderator: _ModeratorIn | None = None  # required for everything but an appeal
    note: Annotated[str, StringConstraints(strict=True, max_length=4000)] | None = None
    ban: bool = False  # confirm only: also ban the author
    text: Annotated[str, StringConstraints(strict=True, max_length=4000)] | None = None  # appeal


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes) -> Any:
    """Decode a request body, turning every way it can be broken into one clear 400."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InboundError(
            400, "malformed_json", f"body is not UTF-8 (invalid byte at offset {exc.start})"
        ) from None
    if not text.strip():
        raise InboundError(400, "malformed_json", "body is empty; expected a JSON object")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InboundError(
            400,
            "malformed_json",
            f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except RecursionError:
        raise InboundError(400, "malformed_json", "body is nested too deeply") from None
    except ValueError as exc:  # NaN/Infinity, integers with thousands of digits
        raise InboundError(400, "malformed_json", f"body is not valid JSON: {exc}") from None


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(body)"


def validation_details(exc: ValidationError) -> list[dict[str, str]]:
    """One ``{"field", "problem"}`` per error; the offending values are not echoed back."""
    out = []
    for e in exc.errors()[:20]:
        loc = tuple(e["loc"])
        problem = "the body must be a JSON object" if not loc else e["msg"]
        out.append({"field": _loc(loc), "problem": problem})
    return out


def to_event(msg: MessageIn, platform: str) -> IncomingEvent:
    """The engine's event for a validated message.

    An edit sent without a ``revision`` gets one derived from its text, so that a redelivered
    edit is still processed once and a different edit is processed again; integrators that know
    an edit counter or edit time should send it instead.
    """
    if msg.revision is not None:
        revision = msg.revision
    elif msg.edited:
        revision = "t" + hashlib.sha256(msg.text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    else:
        revision = "0"
    ts = msg.timestamp
    if ts is None:
        ts = datetime.now(UTC)
    elif ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    a = msg.author
    return IncomingEvent(
        ref=MessageRef(platform, msg.community_id, msg.channel_id, msg.message_id),
        author=Author(
            id=a.id,
            display_name=a.display_name,
            is_moderator=a.is_moderator,
            is_bot=a.is_bot,
            account_age_days=a.account_age_days,
            roles=tuple(a.roles),
        ),
        text=msg.text,
        timestamp=ts,
        links=tuple(msg.links),
        reply_to=msg.reply_to,
        edited=msg.edited,
        revision=revision,
        lang_hint=msg.lang_hint,
    )
