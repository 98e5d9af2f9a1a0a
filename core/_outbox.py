"""The durable outbox: carries recorded actions out through adapters, with retries.

Every action the engine decides is first committed to the store with status ``pending`` (in the
same transaction as its decision and audit rows); only then does the :class:`Outbox` call the
adapter. So:

* a crash between "decided" and "done" leaves the row ``pending``, and :meth:`Outbox.start` on the
  next run dispatches it (adapters' actions are idempotent: deleting an already-deleted message is
  success), which completes it exactly once as far as the platform can tell;
* a :class:`~core.RetryableActionError` (429, 5xx, timeout) or any unexpected exception schedules
  a retry with exponential backoff and jitter, honouring ``retry_after``; after ``max_attempts``
  the action is ``failed`` with its last error, visible in the case and the audit log;
* a :class:`~core.PermanentActionError` fails at once; a :class:`~core.RecipientUnreachable`
  private message falls back to a channel notice, once.

Dispatch is push, not poll: ``enqueue`` wakes the dispatcher immediately, so the time from a
committed decision to the adapter call is a queue hop (the adapters' p99 targets are tens of ms).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core._adapter import (
    Adapter,
    Capability,
    CaseCard,
    PermanentActionError,
    RecipientUnreachable,
    RetryableActionError,
)
from core._effects import CAPABILITY_OF
from core._store import ActionRow, AuditEntry, BatchResult, Store, WriteBatch

__all__ = ["Outbox", "RetryPolicy"]

log = logging.getLogger("channelwatch.outbox")

# Dispatch order when actions queue up (a flood of offers): taking the offer down is what limits
# harm, so a hide never waits behind earlier offers' notices and review cards. Lower goes first;
# equal priorities keep their arrival order.
_PRIORITY = {
    "hide": 0,
    "ban": 1,
    "timeout": 1,
    "restore": 1,
    "notice": 2,
    "statement": 2,
    "redirect_private": 2,
    "escalate": 3,
}
# Payload fields that identify a person: dropped once a seeker's message is delivered.
_SEEKER_PRIVATE = ("user_id",)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 8
    base_delay: float = 0.5  # seconds; doubled per attempt, with +-25 % jitter
    max_delay: float = 300.0
    call_timeout: float = 30.0  # an adapter call hanging longer counts as a retryable failure

    def delay(self, attempts: int, retry_after: float | None) -> float:
        if retry_after is not None and retry_after >= 0:
            # The platform said when: honour it (bounded, in case it says something absurd).
            return min(float(retry_after), 3600.0)
        d = min(self.base_delay * (2 ** max(0, attempts - 1)), self.max_delay)
        return d * random.uniform(0.75, 1.25)


Runner = Callable[..., Awaitable[Any]]


class Outbox:
    """Dispatches pending actions to adapters; see the module docstring."""

    def __init__(
        self,
        *,
        store: Store,
        run: Runner,
        commit: Callable[[WriteBatch], Awaitable[BatchResult]],
        adapters: Mapping[str, Adapter],
        publish: Callable[[dict[str, Any]], None],
        build_card: Callable[[str], Awaitable[CaseCard | None]],
        on_unreachable: Callable[[ActionRow, str], Awaitable[list[ActionRow]]],
        retry: RetryPolicy | None = None,
        concurrency: int = 32,
        sweep_interval: float = 15.0,
    ) -> None:
        self._store = store
        self._run = run
        self._commit = commit
        self._adapters = adapters
        self._publish = publish
        self._build_card = build_card
        self._on_unreachable = on_unreachable
        self.retry = retry or RetryPolicy()
        self._queue: asyncio.PriorityQueue[tuple[int, int, ActionRow]] = asyncio.PriorityQueue()
        self._arrival = itertools.count()  # tie-break: FIFO within one priority
        self._inflight: dict[str, asyncio.Event] = {}
        self._cancelled: set[str] = set()
        # Every row this outbox is responsible for (queued, parked, in flight, waiting for a
        # retry): scheduling is idempotent, so a row reaches the adapter once at a time.
        self._known: set[str] = set()
        self.sweep_interval = sweep_interval
        self._sweep_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._parked: dict[str, list[ActionRow]] = {}
        self._concurrency = concurrency
        self._sem = asyncio.Semaphore(concurrency)
        self._loop_task: asyncio.Task[None] | None = None
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    async def start(self) -> int:
        """Start dispatching; re-dispatch what a previous run left pending. Returns that count."""
        if self._running:
            return 0
        self._running = True
        # Fresh slots: a stop may have cancelled the dispatcher while it held one.
        self._sem = asyncio.Semaphore(self._concurrency)
        pending: list[ActionRow] = await self._run(self._store.pending_actions)
        for row in pending:
            self._schedule(row)
        self._loop_task = asyncio.create_task(self._dispatch_loop(), name="channelwatch-outbox")
        self._sweep_task = asyncio.create_task(self._sweep_loop(), name="channelwatch-sweep")
        return len(pending)

    async def _sweep_loop(self) -> None:
        """Pick up pending rows committed by another process (a CLI or a second worker
        reviewing cases) or otherwise not handed over: the store is the source of truth."""
        while True:
            await asyncio.sleep(self.sweep_interval)
            try:
                rows: list[ActionRow] = await self._run(self._store.pending_actions)
            except Exception:  # a locked or busy database: try again next time
                log.warning("outbox sweep failed", exc_info=True)
                continue
            for row in rows:
                if row.id not in self._cancelled:
                    self._schedule(row)

    async def stop(self, grace: float = 5.0) -> None:
        """Stop taking work; let calls in flight finish (up to ``grace`` s). Pending rows stay."""
        if not self._running:
            return
        self._running = False
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        if self._sweep_task is not None:
            self._sweep_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweep_task
            self._sweep_task = None
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
            self._loop_task = None
        if self._tasks:
            _, still = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in still:
                task.cancel()
            if still:
                await asyncio.wait(still)
        while not self._queue.empty():
            self._queue.get_nowait()
        self._parked.clear()
        self._cancelled.clear()
        self._known.clear()

    def enqueue(self, rows: Iterable[ActionRow]) -> None:
        """Hand freshly committed rows to the dispatcher (wakes it at once)."""
        if not self._running:
            return  # they are in the store; ``start`` picks them up
        for row in rows:
            if row.status == "pending":
                self._schedule(row)

    async def cancel(self, action_id: str) -> bool:
        """Make sure a pending action is not dispatched (a dismissal cancelling its hide).

        Returns ``True`` when the action will not be carried out, ``False`` when it already was
        (it was in flight: this waits for that attempt to end). The caller records the new
        status in the store.
        """
        done = self._inflight.get(action_id)
        if done is not None:
            await done.wait()
        handle = self._timers.pop(action_id, None)
        if handle is not None:  # waiting for a retry
            handle.cancel()
            self._known.discard(action_id)
            return True
        if done is not None:
            return False
        self._cancelled.add(action_id)  # queued or parked: the dispatcher skips it
        return True

    def unpark(self, platform: str) -> None:
        """An adapter for ``platform`` was registered: dispatch what was waiting for it."""
        for row in self._parked.pop(platform, []):
            self._arm(row)

    def busy(self) -> bool:
        return bool(self._inflight or self._timers or not self._queue.empty())

    async def wait_idle(self, limit: float = 30.0) -> bool:
        """Wait (up to ``limit`` s) until nothing is queued, in flight or waiting for a retry."""
        deadline = time.monotonic() + limit
        while self.busy():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.005)
        return True

    # -- internals -------------------------------------------------------------------------

    def _schedule(self, row: ActionRow) -> None:
        if row.id in self._known:
            return
        self._known.add(row.id)
        self._arm(row)

    def _arm(self, row: ActionRow) -> None:
        """Queue ``row`` now, or set a timer for its ``next_attempt_at``."""
        delay = row.next_attempt_at - time.time()
        if delay > 0:
            loop = asyncio.get_running_loop()
            self._timers[row.id] = loop.call_later(delay, self._timer_fired, row)
        else:
            self._put(row)

    def _put(self, row: ActionRow) -> None:
        self._queue.put_nowait((_PRIORITY.get(row.action, 2), next(self._arrival), row))

    def _timer_fired(self, row: ActionRow) -> None:
        self._timers.pop(row.id, None)
        if self._running:
            self._put(row)

    async def _dispatch_loop(self) -> None:
        while True:
            # Take a concurrency slot before taking a row, so that while every slot is busy the
            # rows wait in the priority queue, where a later hide can still overtake them.
            await self._sem.acquire()
            _, _, row = await self._queue.get()
            if row.id in self._cancelled:
                self._cancelled.discard(row.id)
                self._known.discard(row.id)
                self._sem.release()
                continue
            if row.id in self._inflight:
                self._sem.release()
                continue
            adapter = self._adapters.get(row.ref.platform)
            if adapter is None:
                self._parked.setdefault(row.ref.platform, []).append(row)
                self._sem.release()
                continue
            self._inflight[row.id] = asyncio.Event()
            task = asyncio.create_task(self._dispatch(adapter, row))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._sem.release()
        if not task.cancelled() and task.exception() is not None:  # pragma: no cover - a bug
            log.error("outbox task crashed", exc_info=task.exception())

    async def _dispatch(self, adapter: Adapter, row: ActionRow) -> None:
        try:
            await self._attempt(adapter, row)
        finally:
            done = self._inflight.pop(row.id, None)
            if row.id not in self._timers:  # settled (or stopping): no longer ours
                self._known.discard(row.id)
            if done is not None:
                done.set()

    async def _finish(
        self, row: ActionRow, status: str, attempts: int, error: str | None, **detail: Any
    ) -> None:
        """Settle ``row`` after its last attempt; ``error`` (if any) goes to the row and the
        ``action.<status>`` audit entry alike."""
        changes: dict[str, Any] = {
            "status": status,
            "attempts": attempts,
            "last_error": error,
            "done_at": time.time(),
        }
        await self._settle(
            row,
            changes,
            f"action.{status}",
            detail if error is None else {"error": error, **detail},
        )

    async def _settle(
        self, row: ActionRow, changes: dict[str, Any], kind: str, detail: dict[str, Any]
    ) -> None:
        if row.action == "redirect_private" and "payload" not in changes:
            # A seeker's identity is kept only as long as sending the message needs it: once
            # the row is settled (sent, failed, fallen back to the channel) it goes.
            changes["payload"] = {k: v for k, v in row.payload.items() if k not in _SEEKER_PRIVATE}
        for key, value in changes.items():
            if key != "payload":
                setattr(row, key, value)
        if "payload" in changes:
            row.payload = changes["payload"]
        audit = AuditEntry(
            "engine",
            kind,
            row.case_id or row.event_id or row.id,
            {"action_id": row.id, "action": row.action, "attempts": row.attempts, **detail},
        )
        await self._commit(WriteBatch(action_updates=[(row.id, changes)], audit=[audit]))
        self._publish(
            {
                "type": "action",
                "action_id": row.id,
                "action": row.action,
                "status": row.status,
                "case_id": row.case_id,
                "platform": row.ref.platform,
                "community_id": row.ref.community_id,
                "message_id": row.ref.message_id,
            }
        )

    async def _attempt(self, adapter: Adapter, row: ActionRow) -> None:
        need = CAPABILITY_OF.get(row.action)
        if need is Capability.PRIVATE_MESSAGE and need not in adapter.capabilities:
            # Decided before this adapter was registered (a replay, a restart): the platform
            # has no private messages, so the text goes to the channel, as the engine would
            # have decided with the adapter present.
            reason = f"{adapter.platform} has no private messages"
            await self._settle(
                row,
                {"status": "fallback", "last_error": reason, "done_at": time.time()},
                "action.fallback",
                {"error": reason},
            )
            self.enqueue(await self._on_unreachable(row, reason))
            return
        if need is not None and need not in adapter.capabilities:
            await self._settle(
                row,
                {
                    "status": "skipped",
                    "last_error": f"{adapter.platform} cannot {row.action}",
                    "done_at": time.time(),
                },
                "action.skipped",
                {"reason": "unsupported"},
            )
            return
        attempts = row.attempts + 1
        try:
            await asyncio.wait_for(self._call(adapter, row), timeout=self.retry.call_timeout)
        except asyncio.CancelledError:
            raise  # stopping: the row stays pending for the next start
        except RecipientUnreachable as exc:
            await self._finish(row, "fallback", attempts, _err(exc))
            new_rows = await self._on_unreachable(row, _err(exc))
            self.enqueue(new_rows)
        except PermanentActionError as exc:
            await self._finish(row, "failed", attempts, _err(exc))
        except Exception as exc:
            # RetryableActionError, a timeout, or a bug in an adapter: never silently dropped.
            retry_after = exc.retry_after if isinstance(exc, RetryableActionError) else None
            if isinstance(exc, TimeoutError):
                message = f"timed out after {self.retry.call_timeout:g} s"
            else:
                message = _err(exc)
            if not isinstance(exc, RetryableActionError):
                log.warning("adapter %s raised on %s: %s", adapter.platform, row.action, message)
            if attempts >= self.retry.max_attempts:
                await self._finish(row, "failed", attempts, message, gave_up=True)
                return
            next_at = time.time() + self.retry.delay(attempts, retry_after)
            row.attempts, row.last_error, row.next_attempt_at = attempts, message, next_at
            await self._commit(
                WriteBatch(
                    action_updates=[
                        (
                            row.id,
                            {
                                "attempts": attempts,
                                "last_error": message,
                                "next_attempt_at": next_at,
                            },
                        )
                    ]
                )
            )
            if self._running:
                self._arm(row)
        else:
            await self._finish(row, "done", attempts, None)

    async def _call(self, adapter: Adapter, row: ActionRow) -> None:
        p = row.payload
        ref = row.ref

        def need(key: str) -> Any:
            # A payload missing a field will never work: fail it instead of retrying forever.
            if key not in p:
                raise PermanentActionError(f"malformed {row.action} payload: missing {key!r}")
            return p[key]

        match row.action:
            case "hide":
                await adapter.hide(ref)
            case "notice":
                await adapter.post_notice(
                    ref.community_id, ref.channel_id, need("text"), lang=p.get("lang", "en")
                )
            case "statement" | "redirect_private":
                await adapter.send_private(
                    ref.community_id, need("user_id"), need("text"), lang=p.get("lang", "en")
                )
            case "timeout":
                await adapter.timeout(
                    ref.community_id,
                    need("user_id"),
                    int(need("seconds")),
                    reason=p.get("reason", ""),
                )
            case "ban":
                await adapter.ban(ref.community_id, need("user_id"), reason=p.get("reason", ""))
            case "restore":
                await adapter.restore(
                    ref, author_name=p.get("author_name", ""), text=p.get("text", "")
                )
            case "escalate":
                case_id = need("case_id")
                card = await self._build_card(case_id)
                if card is None:
                    raise PermanentActionError(f"case {case_id} no longer exists")
                await adapter.escalate(card)
            case _:
                raise PermanentActionError(f"unknown action {row.action!r}")


def _err(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:500]
