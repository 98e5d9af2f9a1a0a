"""An in-memory adapter that carries out nothing and records every call.

``channelwatch replay`` runs the full engine over a file of messages with this adapter, so what
the engine *would* do on a platform is printed and persisted without a network. Tests use it the
same way, and configure it to misbehave like real platforms do: fail the next N calls of an
action (retryably, permanently, or with a hang), or refuse private messages to some users.

Like a real adapter it is idempotent per target: hiding an already hidden message succeeds, and
the set of hidden messages and the latest card per case are kept for assertions.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from core._adapter import (
    ActionError,
    Capability,
    CaseCard,
    RecipientUnreachable,
    RetryableActionError,
)
from core._model import MessageRef

__all__ = ["RecordedCall", "RecordingAdapter"]

ALL_CAPABILITIES = frozenset(Capability)


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One adapter call: the method, its arguments, and when it happened (``time.perf_counter``)."""

    method: str
    args: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)

    @property
    def message_id(self) -> str | None:
        ref = self.args.get("ref")
        if isinstance(ref, MessageRef):
            return ref.message_id
        card = self.args.get("card")
        return card.ref.message_id if isinstance(card, CaseCard) else None


class RecordingAdapter:
    """A :class:`core.Adapter` for any platform name that records calls instead of making them."""

    def __init__(
        self,
        platform: str = "replay",
        capabilities: Iterable[Capability] = ALL_CAPABILITIES,
        *,
        latency: float = 0.0,
    ) -> None:
        self.platform = platform
        self.capabilities: frozenset[Capability] = frozenset(capabilities)
        self.latency = latency  # seconds each call takes, to model a real platform
        self.calls: list[RecordedCall] = []
        self.hidden: set[MessageRef] = set()
        self.restored: set[MessageRef] = set()
        self.cards: dict[str, CaseCard] = {}
        self.unreachable: set[str] = set()  # user ids whose private messages are refused
        self.started = False
        self._failures: dict[str, list[ActionError | BaseException | None]] = {}
        self._hang: dict[str, int] = {}
        self._listeners: list[Callable[[RecordedCall], None]] = []
        self._changed = asyncio.Event()  # not bound to a loop until first awaited

    # -- configuration for tests and drills ------------------------------------------------

    def fail(
        self, method: str, times: int = 1, error: ActionError | BaseException | None = None
    ) -> None:
        """Make the next ``times`` calls of ``method`` raise ``error`` (a retryable 503 by default).

        Failed calls are recorded too, with ``failed`` set in their arguments.
        """
        err = (
            error
            if error is not None
            else RetryableActionError("simulated 503 Service Unavailable")
        )
        self._failures.setdefault(method, []).extend([err] * times)

    def hang(self, method: str, times: int = 1) -> None:
        """Make the next ``times`` calls of ``method`` never return (the engine's timeout fires)."""
        self._hang[method] = self._hang.get(method, 0) + times

    def on_call(self, listener: Callable[[RecordedCall], None]) -> None:
        self._listeners.append(listener)

    # -- queries ----------------------------------------------------------------------------

    def of(self, method: str, *, succeeded: bool = True) -> list[RecordedCall]:
        """The calls of ``method`` (by default only those that succeeded)."""
        return [
            c
            for c in self.calls
            if c.method == method and (not succeeded or "failed" not in c.args)
        ]

    async def wait_for(
        self, predicate: Callable[[RecordingAdapter], bool], within: float = 5.0
    ) -> None:
        """Wait until ``predicate(self)`` holds (raises ``TimeoutError`` after ``within`` s)."""
        deadline = time.monotonic() + within
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("condition not reached in time")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.05))
            except TimeoutError:
                pass

    # -- the Adapter protocol --------------------------------------------------------------

    async def _record(self, method: str, **args: Any) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._hang.get(method):
            self._hang[method] -= 1
            self._note(RecordedCall(method, {**args, "failed": "hang"}))
            await asyncio.Event().wait()  # until cancelled by the caller's timeout
        pending = self._failures.get(method)
        if pending:
            err = pending.pop(0)
            if err is not None:
                self._note(RecordedCall(method, {**args, "failed": type(err).__name__}))
                raise err
        self._note(RecordedCall(method, args))

    def _note(self, call: RecordedCall) -> None:
        self.calls.append(call)
        for listener in self._listeners:
            listener(call)
        self._changed.set()

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.started = False

    async def hide(self, ref: MessageRef) -> None:
        await self._record("hide", ref=ref)
        self.hidden.add(ref)

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None:
        await self._record(
            "post_notice", community_id=community_id, channel_id=channel_id, text=text, lang=lang
        )

    async def send_private(self, community_id: str, user_id: str, text: str, *, lang: str) -> None:
        if user_id in self.unreachable:
            self._note(
                RecordedCall(
                    "send_private",
                    {
                        "community_id": community_id,
                        "user_id": user_id,
                        "lang": lang,
                        "failed": "RecipientUnreachable",
                    },
                )
            )
            raise RecipientUnreachable(f"user {user_id} does not accept private messages")
        await self._record(
            "send_private", community_id=community_id, user_id=user_id, text=text, lang=lang
        )

    async def timeout(self, community_id: str, user_id: str, seconds: int, *, reason: str) -> None:
        await self._record(
            "timeout", community_id=community_id, user_id=user_id, seconds=seconds, reason=reason
        )

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None:
        await self._record("ban", community_id=community_id, user_id=user_id, reason=reason)

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None:
        await self._record("restore", ref=ref, author_name=author_name, text=text)
        self.hidden.discard(ref)
        self.restored.add(ref)

    async def escalate(self, card: CaseCard) -> None:
        await self._record("escalate", card=card)
        self.cards[card.case_id] = card
