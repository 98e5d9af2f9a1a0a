"""The rule engine: one incoming event in, one durable decision and its actions out.

``submit`` runs, for each event::

    redelivery? -> exempt? -> detect -> rules record effects -> merge -> quotas -> what the
    platform can do -> rate-limit notices -> one transaction (evidence, case, outbox, audit)
    -> wake the outbox, which calls the adapter

Nothing here imports a platform library. The engine is driven from one asyncio loop; each
decision is one short SQLite transaction (group-committed under load), run inline on the loop
or on a dedicated writer thread (``_run``). Inline, the loop never waits for the write lock
(``StoreBusy``: it yields and retries) nor for a WAL checkpoint (done on a worker thread).

Privacy by default: a benign message leaves only its dedupe key and a hash; a seeker's message
keeps no text and no author beyond the pending private message's recipient, which is dropped once
it is delivered; evidence (original text, normalised text, entities, verdict) is kept for offers
and anything escalated, until retention purges it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar

from core._adapter import Adapter, Capability, CaseCard
from core._api import CommunityStatus, Decision
from core._effects import (
    PUBLIC_INSTEAD,
    UNDELIVERABLE,
    Effect,
    apply_quotas,
    degrade,
    merge_effects,
)
from core._model import IncomingEvent, MessageRef
from core._outbox import Outbox, RetryPolicy
from core._policy import CommunityPolicy, Policy, PolicySettings, default_config_dir
from core._redirect import RedirectTexts
from core._review import Review
from core._rules import CompiledRule, RuleContext, compile_rules, evaluate_rules
from core._settings import Settings
from core._store import (
    ActionRow,
    AuditEntry,
    BatchResult,
    CaseRow,
    EventRow,
    SQLiteStore,
    Store,
    StoreBusy,
    WriteBatch,
)
from core._verdict import Entity, Reason, Verdict

__all__ = ["DetectorLike", "Engine"]

log = logging.getLogger("channelwatch.engine")
T = TypeVar("T")

_EVIDENCE_ACTIONS = frozenset({"hide", "escalate", "timeout", "ban"})
# Effects that are, or can become (quota, platform without the capability), an escalation.
_MAY_ESCALATE = frozenset({"escalate", "hide", "timeout", "ban", "notice"})
_QUEUE_SIZE = 1000
_COMMUNITY_TTL = 60.0  # seconds before a community's settings and lists are re-read
_GROUP_MAX = 256  # batches per group commit: keeps each transaction short
_RECENT_KEYS = 50_000
# A store call that found the write lock busy is retried after yielding to the loop: first
# after 0.5 ms, doubling to every 4 ms (a purge chunk holds the lock a few ms, then pauses),
# giving up after as long as SQLite's own busy timeout would have waited.
_BUSY_RETRY_FIRST = 0.0005
_BUSY_RETRY_MAX = 0.004
_BUSY_RETRY_LIMIT = 10.0
# The first retention purge runs this long after start, not during it: startup is when the bot
# has a backlog of updates to catch up on. Then every _RETENTION_EVERY seconds.
_RETENTION_FIRST_DELAY = 600.0
_RETENTION_EVERY = 6 * 3600.0
_CHECKPOINT_EVERY = 1.0  # seconds between WAL checkpoints (worker thread) while commits happen
_PRIORITY_RANK = {"normal": 0, "high": 1, "urgent": 2}
# Settings that change decisions: policy settings switched live, and the community's name (the
# statement of reasons names it). Everything else in the settings store is adapters'
# bookkeeping (the moderators' chat, where each review card was posted...): changing it must
# not throw away the community's compiled rules and lists.
_DECISION_KEYS = frozenset(PolicySettings.model_fields) | {"community_name"}
# Notice kinds a channel can get, each rate-limited on its own (``notice_interval_seconds``).
_PUBLIC_KINDS = tuple(dict.fromkeys(("public_notice", *PUBLIC_INSTEAD.values())))


class DetectorLike(Protocol):
    def detect(self, text: str, *, lang_hint: str | None = None) -> Verdict: ...


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def ref_key(ref: MessageRef) -> str:
    return "\x1f".join((ref.platform, ref.community_id, ref.channel_id, ref.message_id))


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(6)


class _Gate:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


@dataclass
class _Community:
    """Per-community state kept in memory: the compiled policy and list caches."""

    policy: CommunityPolicy
    rules: tuple[CompiledRule, ...]
    needs_surface: bool
    runtime: dict[str, str]
    allow: set[str]
    block: set[str]
    indicators: set[str]
    quota_day: int = -1
    quota_used: dict[str, int] = field(default_factory=dict)
    loaded_at: float = field(default_factory=time.monotonic)


class Engine:
    """The platform-neutral engine; implements :class:`core.EngineAPI`. Use :meth:`open`."""

    def __init__(
        self,
        store: Store,
        policy: Policy,
        detector: DetectorLike,
        texts: RedirectTexts,
        *,
        executor: ThreadPoolExecutor | None = None,
        retry: RetryPolicy | None = None,
        db_thread: bool = False,
    ) -> None:
        self.store = store
        self.policy = policy
        self.detector = detector
        self.texts = texts
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="channelwatch-db")
        self._db_thread = db_thread
        self._adapters: dict[str, Adapter] = {}
        self._communities: dict[tuple[str, str], _Community] = {}
        self._msg_locks: dict[str, _Gate] = {}
        self._recent: OrderedDict[str, None] = OrderedDict()
        # When each (platform, community, channel, text kind) last got a public notice.
        self._last_notice: dict[tuple[str, str, str, str], float] = {}
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._commits: list[tuple[WriteBatch, asyncio.Future[BatchResult]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._purge: asyncio.Future[Any] | None = None
        self._stopping = False  # tells a running purge (on its thread) to stop between chunks
        self._commit_count = 0
        self._closed = False
        self._outbox = Outbox(
            store=store,
            run=self._run,
            commit=self.commit,
            adapters=self._adapters,
            publish=self._publish,
            build_card=self.build_card,
            on_unreachable=self._on_unreachable,
            retry=retry,
        )
        self.settings = Settings(store, self._run, on_change=self._settings_changed)
        self.review = Review(self)

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        db_path: str | Path,
        *,
        config_dir: Path | None = None,
        detector: DetectorLike | None = None,
        policy_overrides_dir: Path | None = None,
        redirect_overrides_dir: Path | None = None,
        policy: Policy | None = None,
        retry: RetryPolicy | None = None,
        durable: bool = False,
        db_thread: bool | None = None,
    ) -> Engine:
        """Open (creating if needed) the SQLite store and load policy, texts and detector.

        ``config_dir`` is a directory laid out like the shipped ``config/`` (``policy.toml``,
        ``policy.d/``, ``redirect/``, ``lang/``); whatever it lacks comes from the shipped one.
        ``db_thread`` runs the store calls on a dedicated thread instead of the event loop.
        The default is inline (short commits, measured faster: no thread hop, no GIL
        hand-off) unless ``durable=True``, whose fsync per commit belongs off the loop. See
        docs/performance.md for the figures.
        """
        shipped = default_config_dir()
        cfg = Path(config_dir) if config_dir is not None else shipped

        def pick(name: str) -> Path:
            return cfg / name if (cfg / name).exists() else shipped / name

        if policy is None:
            overrides = (
                policy_overrides_dir if policy_overrides_dir is not None else cfg / "policy.d"
            )
            policy = Policy.load(pick("policy.toml"), overrides_dir=overrides)
        # Admins' own texts: config/redirect.d/<lang>.toml (same format, only what changes).
        texts = RedirectTexts.load(
            pick("redirect"),
            overrides_dir=redirect_overrides_dir
            if redirect_overrides_dir is not None
            else cfg / "redirect.d",
        )
        if detector is None:
            from core._detect import Detector

            detector = Detector.load(cfg if (cfg / "lang").is_dir() else None)
        executor = ThreadPoolExecutor(1, thread_name_prefix="channelwatch-db")
        loop = asyncio.get_running_loop()
        # The engine checkpoints the WAL from a worker thread (``_checkpoint_loop``), never in
        # a commit on its loop.
        store = await loop.run_in_executor(
            executor, partial(SQLiteStore, db_path, durable=durable, auto_checkpoint=False)
        )
        return cls(
            store,
            policy,
            detector,
            texts,
            executor=executor,
            retry=retry,
            db_thread=durable if db_thread is None else db_thread,
        )

    def register_adapter(self, adapter: Adapter) -> None:
        """Route actions for ``adapter.platform`` to ``adapter`` (one adapter per platform)."""
        current = self._adapters.get(adapter.platform)
        if current is not None and current is not adapter:
            raise ValueError(f"an adapter for {adapter.platform!r} is already registered")
        self._adapters[adapter.platform] = adapter
        self._outbox.unpark(adapter.platform)

    @property
    def adapters(self) -> dict[str, Adapter]:
        return dict(self._adapters)

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    async def start(self) -> None:
        """Start the outbox dispatcher; actions a crash left pending are dispatched now."""
        if self._closed:
            raise RuntimeError("engine is closed")
        self._stopping = False
        recovered = await self._outbox.start()
        if recovered:
            log.info("re-dispatching %d action(s) left pending by the previous run", recovered)
        self._spawn(self._checkpoint_loop())
        if self.policy.defaults.settings.retention_days > 0:
            self._spawn(self._retention_loop())

    async def stop(self) -> None:
        """Stop dispatching (calls in flight may finish); pending actions stay in the outbox."""
        self._stopping = True
        for task in list(self._background):
            task.cancel()
        for task in list(self._background):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._purge is not None and not self._purge.done():
            with contextlib.suppress(Exception):
                await self._purge
        await self._outbox.stop()

    async def close(self) -> None:
        """Stop and close the store. The engine cannot be used afterwards."""
        if self._closed:
            return
        await self.stop()
        self._closed = True
        await self._run(self.store.close)
        self._executor.shutdown(wait=True)

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking store call on the database thread (or inline, ``db_thread=False``).

        Inline, the call must never make the loop wait for the write lock (a retention purge
        chunk on another thread, another process's transaction): it fails fast with
        :class:`StoreBusy` and is tried again after yielding to the loop, so everything else
        (receiving messages, dispatching hides) goes on meanwhile. Decisions that arrive while
        a commit waits are committed together in the next one.
        """
        if not self._db_thread:
            try:
                return self.store.call_nowait(fn, *args, **kwargs)
            except StoreBusy:
                return await self._run_when_free(fn, args, kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    async def _run_when_free(
        self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> T:
        delay = _BUSY_RETRY_FIRST
        deadline = time.monotonic() + _BUSY_RETRY_LIMIT
        while True:
            await asyncio.sleep(delay)
            try:
                return self.store.call_nowait(fn, *args, **kwargs)
            except StoreBusy:
                if time.monotonic() > deadline:
                    raise
                delay = min(delay * 2, _BUSY_RETRY_MAX)

    async def commit(self, batch: WriteBatch) -> BatchResult:
        """Apply ``batch`` durably; returns once it is committed.

        Batches that arrive while a commit is running are committed together in the next one
        (group commit, ``Store.apply_many``): one WAL write for many decisions under load, no
        added latency when idle.
        """
        fut: asyncio.Future[BatchResult] = asyncio.get_running_loop().create_future()
        self._commits.append((batch, fut))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_commits())
        return await fut

    async def _flush_commits(self) -> None:
        try:
            while self._commits:
                pending, self._commits = self._commits[:_GROUP_MAX], self._commits[_GROUP_MAX:]
                self._commit_count += 1
                try:
                    results = await self._run(self.store.apply_many, [b for b, _ in pending])
                except Exception as exc:  # the database itself failed: every caller hears it
                    results = [exc] * len(pending)
                for (_, fut), result in zip(pending, results, strict=True):
                    if fut.done():
                        continue
                    if isinstance(result, Exception):
                        fut.set_exception(result)
                    else:
                        fut.set_result(result)
        finally:
            self._flusher = None

    async def query(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking :class:`~core._store.Store` method on the database thread.

        For readers (the dashboard, the CLI) that need more than the review API offers:
        ``await engine.query(engine.store.get_action, action_id)``.
        """
        return await self._run(fn, *args, **kwargs)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database file from a worker thread, after commits happened."""
        seen = self._commit_count
        while True:
            await asyncio.sleep(_CHECKPOINT_EVERY)
            if self._commit_count == seen:
                continue
            seen = self._commit_count
            try:
                await asyncio.to_thread(self.store.checkpoint)
            except Exception:  # a failed checkpoint loses nothing: the WAL keeps the changes
                log.warning("WAL checkpoint failed", exc_info=True)

    async def _retention_loop(self) -> None:
        days = self.policy.defaults.settings.retention_days
        await asyncio.sleep(_RETENTION_FIRST_DELAY)
        while True:
            try:
                # Always off the loop: purge works in short chunks with pauses between them (so
                # the loop's commits get the write lock within a few ms), but may take a while.
                # Shielded: stopping waits for it rather than closing the store under it.
                self._purge = asyncio.ensure_future(
                    asyncio.to_thread(
                        self.store.purge,
                        days,
                        actor="engine:retention",
                        audit_empty=False,
                        should_stop=lambda: self._stopping,
                    )
                )
                result = await asyncio.shield(self._purge)
                if result.events_redacted or result.cases_redacted or result.events_deleted:
                    log.info("retention purge: %s", result)
            except Exception:  # a failed purge must not stop the bot; it is retried later
                log.exception("retention purge failed")
            await asyncio.sleep(_RETENTION_EVERY)

    # -- live updates ----------------------------------------------------------------------

    def subscribe(self, maxsize: int = _QUEUE_SIZE) -> asyncio.Queue[dict[str, Any]]:
        """A queue of live events (``decision``, ``action``, ``case``) with their ids.

        Bounded by default: when a slow consumer lets it fill up, the oldest event is dropped
        rather than the engine blocking. ``maxsize=0`` is unbounded (``replay`` prints every
        effect). Call :meth:`unsubscribe` when done.
        """
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=maxsize)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(q)

    def _publish(self, event: dict[str, Any]) -> None:
        event.setdefault("at", time.time())
        for q in self._subscribers:
            if q.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    q.get_nowait()  # a slow dashboard loses old events, never blocks the engine
            q.put_nowait(event)

    # -- community state -------------------------------------------------------------------

    def _settings_changed(self, platform: str, community_id: str, key: str) -> None:
        if key not in _DECISION_KEYS:
            return  # adapter bookkeeping (one per review card): nothing decided changes
        comm = self._communities.get((platform, community_id))
        if comm is not None:
            comm.loaded_at = float("-inf")  # re-read on the next message

    async def community_policy(self, platform: str, community_id: str) -> CommunityPolicy:
        return (await self._community(platform, community_id)).policy

    async def _community(self, platform: str, community_id: str) -> _Community:
        key = (platform, community_id)
        comm = self._communities.get(key)
        stale = None
        if comm is not None and time.monotonic() - comm.loaded_at > _COMMUNITY_TTL:
            # Settings and lists changed by another process (a CLI, a second worker) are
            # picked up within the TTL; this process's own changes apply at once.
            stale, comm = comm, None
        if comm is None:
            stored = await self._run(self.store.settings_for, platform, community_id)
            runtime = {k: v for k, v in stored.items() if k in _DECISION_KEYS}
            policy = self.policy.for_community(platform, community_id, runtime)
            rules = compile_rules(policy.rules)
            allow = await self._run(self.store.list_values, platform, community_id, "allow")
            block = await self._run(self.store.list_values, platform, community_id, "block")
            indicators = await self._run(
                self.store.list_values, platform, community_id, "indicator"
            )
            comm = _Community(
                policy=policy,
                rules=rules,
                needs_surface=any(r.spec.when.regex for r in rules),
                runtime=runtime,
                allow=allow,
                block=block,
                indicators=indicators,
            )
            if stale is not None:  # keep quota reservations not yet committed
                comm.quota_day, comm.quota_used = stale.quota_day, stale.quota_used
            self._communities[key] = comm
        day = int(time.time() // 86400)
        if comm.quota_day != day:
            since = day * 86400.0
            used = {}
            for action in ("hide", "notice", "timeout", "ban"):
                if comm.policy.quotas.limit(action) is not None:
                    used[action] = await self._run(
                        self.store.count_actions_since, platform, community_id, action, since
                    )
            comm.quota_day, comm.quota_used = day, used
        return comm

    def _list_added(self, platform: str, community_id: str, kind: str, value: str) -> None:
        comm = self._communities.get((platform, community_id))
        if comm is not None:
            {"allow": comm.allow, "block": comm.block, "indicator": comm.indicators}[kind].add(
                value
            )

    # -- the decision ----------------------------------------------------------------------

    def _exempt(self, event: IncomingEvent, policy: CommunityPolicy) -> str | None:
        s = policy.settings
        a = event.author
        if a.is_bot and s.exempt_bots:
            return "bot"
        if a.is_moderator and s.exempt_moderators:
            return "moderator"
        if event.channel_id in s.exempt_channels:
            return "channel"
        if s.exempt_roles and set(a.roles) & set(s.exempt_roles):
            return "role"
        return None

    async def submit(self, event: IncomingEvent) -> Decision:
        """Decide on one event, commit the decision and its actions, wake the dispatcher.

        Returns once everything is durably committed; actions reach the platform asynchronously
        (and survive a crash). A redelivered ``(ref, revision)`` returns ``duplicate=True``.
        """
        if self._closed:
            raise RuntimeError("engine is closed")
        rkey = ref_key(event.ref)
        revision = str(event.revision)
        dkey = rkey + "\x1f" + revision
        if dkey in self._recent:
            return Decision(ref=event.ref, verdict=None, actions=(), duplicate=True)
        # One decision at a time per message (an edit racing its original), any number across
        # messages. The gate is dropped when nobody uses it, so the map stays small.
        gate = self._msg_locks.get(rkey)
        if gate is None:
            gate = self._msg_locks[rkey] = _Gate()
        gate.users += 1
        try:
            async with gate.lock:
                for _ in range(3):
                    decision = await self._decide(event, rkey, revision, dkey)
                    if decision is not None:
                        return decision
                raise RuntimeError(f"case for {event.ref} kept changing during the decision")
        finally:
            gate.users -= 1
            if gate.users == 0:
                self._msg_locks.pop(rkey, None)

    def _remember(self, dkey: str) -> None:
        self._recent[dkey] = None
        if len(self._recent) > _RECENT_KEYS:
            self._recent.popitem(last=False)

    async def _decide(
        self, event: IncomingEvent, rkey: str, revision: str, dkey: str
    ) -> Decision | None:
        ref = event.ref
        now = time.time()
        comm = await self._community(ref.platform, ref.community_id)
        settings = comm.policy.settings
        text = event.text if isinstance(event.text, str) else ""
        event_id = _sha256(dkey)[:32]
        text_sha = _sha256(text)
        stored_text = text[: settings.max_text_chars]

        exempt = self._exempt(event, comm.policy)
        verdict: Verdict | None = None
        raw: list[Effect] = []
        norm_hash = ""
        allowlisted = False
        if exempt is None:
            verdict = self.detector.detect(stored_text, lang_hint=event.lang_hint)
            folded = verdict.normalised
            surface = ""
            if not folded or comm.needs_surface:
                from core._normalise import normalise

                n = normalise(stored_text)
                folded = folded or n.folded
                surface = n.surface
            norm_hash = _sha256(folded)
            allowlisted = norm_hash in comm.allow
            if not allowlisted:
                values = [e.value for e in verdict.entities]
                if event.links:
                    values.extend(event.links)
                ctx = RuleContext(
                    event=event,
                    verdict=verdict,
                    surface=surface,
                    settings=settings,
                    blocklisted=norm_hash in comm.block,
                    indicators=tuple(v for v in values if v in comm.indicators),
                )
                raw = evaluate_rules(comm.rules, ctx)
                if settings.shadow:
                    raw = [replace(e, shadow=True) for e in raw]

        # Reads that need the database happen first: from the quota check to the commit the
        # decision is synchronous, so concurrent submits cannot both squeeze under a quota or
        # both post "the one notice" of a channel. Any live effect may turn into a notice or
        # an escalation (quotas, platform degradation), so they are read whenever one exists.
        if any(not e.shadow for e in raw):
            for kind in _PUBLIC_KINDS:
                await self._load_last_notice((ref.platform, ref.community_id, ref.channel_id, kind))
        existing: CaseRow | None = None
        if any(not e.shadow and e.action in _MAY_ESCALATE for e in raw):
            existing = await self._run(self.store.case_for_message, ref)

        # ---- synchronous from here to the commit: no other submit can interleave ----
        effects = merge_effects(raw)
        effects = apply_quotas(
            effects, comm.policy.quotas.limit, lambda a: comm.quota_used.get(a, 0)
        )
        adapter = self._adapters.get(ref.platform)
        if adapter is not None:
            effects = degrade(effects, adapter.capabilities)
        live = [e for e in effects if not e.shadow]
        batch = WriteBatch()
        rows: list[ActionRow] = []
        reserved: list[str] = []
        case: CaseRow | None = None
        case_event: str | None = None
        lang = self.texts.pick(
            verdict.lang if verdict else None, settings.language, settings.languages or None
        )
        overrides = comm.policy.texts
        skipped: list[Effect] = []  # rate-limited notices, undeliverable messages: not done
        fallbacks: list[ActionRow] = []

        for e in effects:
            if e.shadow:
                rows.append(
                    self._row(
                        e,
                        ref,
                        event_id,
                        now,
                        f"shadow|{e.action}|{event_id}",
                        "skipped",
                        "shadow mode",
                    )
                )
                continue
            if e.action == "notice":
                # Every notice is public: at most one of each kind per channel per interval.
                kind = str(e.params.get("text_kind", "public_notice"))
                nkey = (ref.platform, ref.community_id, ref.channel_id, kind)
                interval = settings.notice_interval_seconds
                if now - self._last_notice.get(nkey, 0.0) < interval:
                    rows.append(
                        self._row(
                            e,
                            ref,
                            event_id,
                            now,
                            f"notice-skipped|{event_id}|{kind}",
                            "skipped",
                            f"rate-limited: one notice per channel every {interval:g} s",
                            payload={"kind": kind},
                        )
                    )
                    skipped.append(e)
                    continue
                self._last_notice[nkey] = now
            if UNDELIVERABLE in e.params:
                # A private message this platform cannot send: recorded (the statement of
                # reasons stays with the case for moderators and appeals), never sent, and
                # never posted in the channel; ``degrade`` added the public notice instead.
                reason = str(e.params[UNDELIVERABLE])
                row = self._row(
                    e,
                    ref,
                    event_id,
                    now,
                    self._dedupe(e, event, rkey, event_id),
                    "fallback",
                    reason,
                    payload=self._payload(e, event, verdict, lang, overrides, comm),
                )
                rows.append(row)
                fallbacks.append(row)
                skipped.append(e)
                continue
            if comm.policy.quotas.limit(e.action) is not None:
                comm.quota_used[e.action] = comm.quota_used.get(e.action, 0) + 1
                reserved.append(e.action)
            if e.action == "escalate":
                case, case_event = self._case_for(
                    event, verdict, e, existing, event_id, text_sha, norm_hash, stored_text, now
                )
                if case is None:
                    continue  # the message already has a decided case: nothing new to review
                batch.case = case
                batch.case_replace = existing is not None
                batch.case_expect_version = existing.version if existing is not None else None
                rows.append(
                    self._row(
                        e,
                        ref,
                        event_id,
                        now,
                        f"escalate|{case.id}|v{case.version}",
                        payload={
                            "case_id": case.id,
                            "version": case.version,
                            "priority": case.priority,
                        },
                        case_id=case.id,
                    )
                )
                continue
            payload = self._payload(e, event, verdict, lang, overrides, comm)
            rows.append(
                self._row(
                    e,
                    ref,
                    event_id,
                    now,
                    self._dedupe(e, event, rkey, event_id),
                    payload=payload,
                    status="done" if e.action == "log" else "pending",
                )
            )
        if case is None and existing is not None:
            case = existing
        case_id = case.id if case is not None else None
        for row in rows:
            if row.case_id is None and case_id is not None:
                row.case_id = case_id

        recorded = [e for e in effects if not e.shadow and not any(e is x for x in skipped)]
        keep = verdict is not None and (
            verdict.label == "offer" or any(e.action in _EVIDENCE_ACTIONS for e in effects)
        )
        batch.event = EventRow(
            id=event_id,
            ref=ref,
            revision=revision,
            created_at=now,
            text_sha256=text_sha,
            norm_hash=norm_hash,
            label=str(verdict.label) if verdict else None,
            score=verdict.score if verdict else None,
            lang=verdict.lang if verdict else None,
            actions=[e.action for e in effects],
            rules=sorted({r for e in effects for r in e.rules}),
            shadow=bool(effects) and not live,
            edited=event.edited,
            author_id=event.author.id if keep else None,
            author_name=event.author.display_name if keep else None,
            text=stored_text if keep else None,
            normalised=(verdict.normalised or None) if keep and verdict else None,
            verdict=verdict.to_dict() if keep and verdict else None,
            entities=[en.to_dict() for en in verdict.entities] if keep and verdict else None,
        )
        batch.actions = rows
        if effects:
            batch.audit.append(
                AuditEntry(
                    "engine",
                    "decision",
                    event_id,
                    {
                        "ref": [ref.platform, ref.community_id, ref.channel_id, ref.message_id],
                        "revision": revision,
                        "label": str(verdict.label) if verdict else None,
                        "score": round(verdict.score, 4) if verdict else None,
                        "lang": verdict.lang if verdict else None,
                        "text_sha256": text_sha,
                        "norm_hash": norm_hash,
                        "rules": batch.event.rules,
                        "actions": [[r.action, r.status] for r in rows],
                        "case_id": case_id,
                    },
                )
            )
        for row in fallbacks:
            batch.audit.append(
                AuditEntry(
                    "engine",
                    "action.fallback",
                    case_id or event_id,
                    {"action_id": row.id, "action": row.action, "error": row.last_error},
                )
            )
        if case_event is not None and case is not None:
            batch.audit.append(
                AuditEntry(
                    "engine",
                    case_event,
                    case.id,
                    {
                        "event_id": event_id,
                        "priority": case.priority,
                        "rule": case.rule,
                        "version": case.version,
                    },
                )
            )

        result = await self.commit(batch)
        if result.duplicate or result.stale:
            for action in reserved:
                comm.quota_used[action] -= 1
            if result.duplicate:
                self._remember(dkey)
                return Decision(ref=ref, verdict=verdict, actions=(), duplicate=True)
            return None  # the case changed under us (a moderator acted): decide again

        self._remember(dkey)
        names = tuple(e.action for e in recorded) or tuple(e.action for e in effects if e.shadow)
        decision = Decision(
            ref=ref,
            verdict=verdict,
            actions=names,
            case_id=case_id,
            shadow=bool(effects) and not live,
        )
        self._publish(
            {
                "type": "decision",
                "event_id": event_id,
                "platform": ref.platform,
                "community_id": ref.community_id,
                "channel_id": ref.channel_id,
                "message_id": ref.message_id,
                "label": str(verdict.label) if verdict else None,
                "score": verdict.score if verdict else None,
                "actions": list(names),
                "shadow": decision.shadow,
                "case_id": case_id,
                "exempt": exempt,
            }
        )
        if case_event is not None and case is not None:
            self._publish(
                {
                    "type": "case",
                    "case_id": case.id,
                    "status": case.status,
                    "event": case_event,
                    "platform": ref.platform,
                    "community_id": ref.community_id,
                }
            )
        self._outbox.enqueue(result.inserted)
        return decision

    def _case_for(
        self,
        event: IncomingEvent,
        verdict: Verdict | None,
        effect: Effect,
        existing: CaseRow | None,
        event_id: str,
        text_sha: str,
        norm_hash: str,
        text: str,
        now: float,
    ) -> tuple[CaseRow | None, str | None]:
        """The case row to write for a live escalation, and the audit kind of the change."""
        label = str(verdict.label) if verdict else "none"
        evidence: dict[str, Any] = {
            "event_id": event_id,
            "text": text,
            "normalised": verdict.normalised if verdict else "",
            "text_sha256": text_sha,
            "norm_hash": norm_hash,
            "lang": verdict.lang if verdict else "und",
            "label": label,
            "score": verdict.score if verdict else 0.0,
            "reasons": [r.to_dict() for r in verdict.reasons] if verdict else [],
            "entities": [en.to_dict() for en in verdict.entities] if verdict else [],
            "author_id": event.author.id,
            "author_name": event.author.display_name,
            "updated_at": now,
        }
        if existing is None:
            case = CaseRow(
                id=_new_id("c"),
                ref=event.ref,
                priority=effect.priority,
                status="open",
                rule=effect.rule,
                created_at=now,
                notes=[{"by": "engine", "at": now, "text": effect.note}] if effect.note else [],
                **evidence,
            )
            return case, "case.open"
        priority = max(existing.priority, effect.priority, key=lambda p: _PRIORITY_RANK.get(p, 0))
        if existing.status in ("open", "claimed"):
            # An edit of a message under review: moderators see the latest version (every
            # revision stays in the events table as evidence).
            return replace(
                existing, **evidence, priority=priority, version=existing.version + 1
            ), "case.update"
        if existing.status == "dismissed":
            note = {
                "by": "engine",
                "at": now,
                "text": "reopened: the message was edited and matched again",
            }
            return (
                replace(
                    existing,
                    **evidence,
                    priority=priority,
                    status="open",
                    claimed_by=None,
                    decided_by=None,
                    decided_at=None,
                    notes=[*existing.notes, note],
                    version=existing.version + 1,
                ),
                "case.reopen",
            )
        return None, None  # confirmed: the message stays hidden, nothing new to review

    def _row(
        self,
        e: Effect,
        ref: MessageRef,
        event_id: str,
        now: float,
        key: str,
        status: str = "pending",
        last_error: str | None = None,
        *,
        payload: dict[str, Any] | None = None,
        case_id: str | None = None,
    ) -> ActionRow:
        data = dict(payload or {})
        if e.note:
            data["note"] = e.note
        return ActionRow(
            id=_new_id("a"),
            ref=ref,
            action=e.action,
            status=status,
            dedupe_key=key,
            created_at=now,
            payload=data,
            last_error=last_error,
            done_at=now if status != "pending" else None,
            case_id=case_id,
            event_id=event_id,
            rule=e.rule,
        )

    @staticmethod
    def _dedupe(e: Effect, event: IncomingEvent, rkey: str, event_id: str) -> str:
        """Effects that must happen once per message (or per user), whatever the revisions."""
        if e.action in ("ban",):
            return f"ban|{event.platform}|{event.community_id}|{event.author.id}"
        if e.action == "notice":
            return f"notice|{rkey}|{e.params.get('text_kind', 'public_notice')}"
        if e.action == "log":
            return f"log|{event_id}"
        return f"{e.action}|{rkey}"

    def _payload(
        self,
        e: Effect,
        event: IncomingEvent,
        verdict: Verdict | None,
        lang: str,
        overrides: Any,
        comm: _Community,
    ) -> dict[str, Any]:
        a = e.action
        if a == "notice":
            kind = str(e.params.get("text_kind", "public_notice"))
            t = self.texts.render(
                kind, lang, self._text_values(kind, event, verdict, lang, comm), overrides=overrides
            )
            return {"kind": kind, "lang": t.lang, "rtl": t.rtl, "text": t.text}
        if a == "redirect_private" and UNDELIVERABLE in e.params:
            # Nothing to send, so nothing about the seeker to keep.
            return {"kind": "seeker_help", "lang": self.texts.pick(lang)}
        if a in ("statement", "redirect_private"):
            kind = "statement_of_reasons" if a == "statement" else "seeker_help"
            t = self.texts.render(
                kind, lang, self._text_values(kind, event, verdict, lang, comm), overrides=overrides
            )
            return {
                "kind": kind,
                "lang": t.lang,
                "rtl": t.rtl,
                "text": t.text,
                "user_id": event.author.id,
            }
        if a == "timeout":
            return {
                "user_id": event.author.id,
                "seconds": int(e.params.get("seconds", 3600)),
                "reason": f"channelwatch rule {e.rule}",
            }
        if a == "ban":
            return {"user_id": event.author.id, "reason": f"channelwatch rule {e.rule}"}
        return {}

    def _text_values(
        self, kind: str, event: IncomingEvent, verdict: Verdict | None, lang: str, comm: _Community
    ) -> dict[str, str]:
        if kind != "statement_of_reasons":
            # Public and seekers' texts take no values: nobody is named in a channel notice,
            # even by an admin's text with an {author} placeholder.
            return {}
        overrides = comm.policy.texts
        reasons = "; ".join(r.text for r in (verdict.reasons if verdict else ()) if r.text)[:600]
        settings = comm.policy.settings
        return {
            "community": comm.runtime.get("community_name")
            or self.texts.phrase("this_community", lang, overrides=overrides),
            "reasons": reasons or "-",
            "automated": self.texts.phrase(
                "automated_yes" if settings.automated_statement else "automated_no",
                lang,
                overrides=overrides,
            ),
            "appeal": settings.appeal
            or self.texts.phrase("appeal_default", lang, overrides=overrides),
            "author": event.author.display_name or event.author.id,
        }

    # -- outbox callbacks ------------------------------------------------------------------

    async def build_card(self, case_id: str) -> CaseCard | None:
        """The moderators' card for a case, as it stands now."""
        case = await self._run(self.store.get_case, case_id)
        if case is None:
            return None
        earlier = await self._run(
            self.store.author_case_count, case.ref.platform, case.ref.community_id, case.author_id
        )
        return CaseCard(
            case_id=case.id,
            ref=case.ref,
            author_id=case.author_id,
            author_name=case.author_name,
            text=case.text or "",
            lang=case.lang,
            label=case.label,
            score=case.score,
            priority=case.priority,
            reasons=tuple(
                Reason(
                    str(r.get("signal", "")),
                    tuple(r.get("terms", ())),
                    float(r.get("weight", 0.0)),
                    str(r.get("text", "")),
                )
                for r in case.reasons
            ),
            entities=tuple(
                Entity(str(x.get("kind", "")), str(x.get("value", "")), str(x.get("text", "")))
                for x in case.entities
            ),
            status=case.status,
            created_at=case.to_case().created_at,
            extra={
                "rule": case.rule,
                "version": case.version,
                "author_cases": earlier,
                "claimed_by": case.claimed_by,
                "decided_by": case.decided_by,
                "notes": len(case.notes),
                "purged": case.text is None,
            },
        )

    async def _load_last_notice(self, nkey: tuple[str, str, str, str]) -> None:
        """Make sure the rate limiter knows when ``nkey``'s channel last got that notice kind."""
        if nkey not in self._last_notice:
            last = await self._run(self.store.last_notice_at, *nkey)
            self._last_notice.setdefault(nkey, last or 0.0)

    async def _on_unreachable(self, row: ActionRow, error: str) -> list[ActionRow]:
        """A private message could not be delivered (the outbox has marked it ``fallback``).

        Its text is never posted in the channel: a statement of reasons is personal (it stays
        with the case, for moderators and appeals) and a seeker's help addresses one person.
        The channel gets the public notice of :data:`~core._effects.PUBLIC_INSTEAD` instead,
        under the same per-channel, per-kind rate limit as every notice, so a flood of
        unreachable posters or seekers yields one notice per interval ("said once"). The row's
        ``last_error`` says what happened, and the outcome is audited.
        """
        kind = PUBLIC_INSTEAD.get(row.action)
        if kind is None:
            return []
        ref = row.ref
        comm = await self._community(ref.platform, ref.community_id)
        nkey = (ref.platform, ref.community_id, ref.channel_id, kind)
        await self._load_last_notice(nkey)
        # ---- synchronous from the rate-limit check to the commit ----
        now = time.time()
        interval = comm.policy.settings.notice_interval_seconds
        adapter = self._adapters.get(ref.platform)
        previous = self._last_notice[nkey]
        notice: ActionRow | None = None
        if adapter is None or Capability.NOTICE not in adapter.capabilities:
            outcome = "no notice: the platform cannot post in the channel"
        elif now - previous < interval:
            outcome = f"no notice: one was posted in the channel less than {interval:g} s ago"
        else:
            self._last_notice[nkey] = now
            t = self.texts.render(
                kind, self.texts.pick(row.payload.get("lang")), {}, overrides=comm.policy.texts
            )
            notice = ActionRow(
                id=_new_id("a"),
                ref=ref,
                action="notice",
                status="pending",
                # The message's own notice of that kind, if it had one, is not posted twice.
                dedupe_key=f"notice|{ref_key(ref)}|{kind}",
                created_at=now,
                payload={
                    "kind": kind,
                    "lang": t.lang,
                    "rtl": t.rtl,
                    "text": t.text,
                    "fallback_for": row.id,
                },
                case_id=row.case_id,
                event_id=row.event_id,
                rule=row.rule,
            )
            outcome = f"the channel gets the {kind} notice instead"
        kept = (
            "the statement is kept for moderators and appeals"
            if row.action == "statement"
            else "nothing about the person is kept"
        )
        reason = f"not delivered ({error}); {kept}; {outcome}"[:500]
        subject = row.case_id or row.event_id or row.id
        detail: dict[str, Any] = {"action_id": row.id, "action": row.action, "outcome": outcome}
        if notice is not None:
            detail["notice_id"] = notice.id
        result = await self.commit(
            WriteBatch(
                actions=[notice] if notice is not None else [],
                action_updates=[(row.id, {"last_error": reason})],
                audit=[AuditEntry("engine", "action.fallback_notice", subject, detail)],
            ),
        )
        row.last_error = reason
        if notice is not None and not result.inserted and self._last_notice[nkey] == now:
            self._last_notice[nkey] = previous  # this message's notice was already posted
        return list(result.inserted)

    # -- queries ---------------------------------------------------------------------------

    async def status(self, platform: str, community_id: str) -> CommunityStatus:
        comm = await self._community(platform, community_id)
        counts = await self._run(
            self.store.counts_since, platform, community_id, time.time() - 86400
        )
        return CommunityStatus(
            platform=platform,
            community_id=community_id,
            shadow=comm.policy.settings.shadow,
            rules=comm.policy.describe(),
            counts_24h=counts,
        )

    async def rule_precision(self) -> dict[str, dict[str, float]]:
        """Per rule: cases confirmed, dismissed and the precision moderators' decisions give."""
        raw = await self._run(self.store.rule_precision)
        out: dict[str, dict[str, float]] = {}
        for rule, c in raw.items():
            total = c.get("confirmed", 0) + c.get("dismissed", 0)
            out[rule] = {
                "confirmed": c.get("confirmed", 0),
                "dismissed": c.get("dismissed", 0),
                "precision": c.get("confirmed", 0) / total if total else 0.0,
            }
        return out

    async def wait_idle(self, limit: float = 30.0) -> bool:
        """Wait (up to ``limit`` s) until the outbox has nothing queued or in flight."""
        return await self._outbox.wait_idle(limit)
