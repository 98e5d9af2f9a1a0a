"""The durable outbox: retries, permanent failures, hangs, crash recovery, clean stop."""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
from pathlib import Path

from core import PermanentActionError, RetryableActionError, RetryPolicy
from tests.core._engine_fixtures import OFFER, SEEKER, event, running_engine

REPO = Path(__file__).resolve().parents[2]


async def test_retryable_failures_are_retried_until_done(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        adapter.fail("hide", times=2)
        ev = event(OFFER)
        await engine.submit(ev)
        await engine.wait_idle()
        hides = adapter.of("hide", succeeded=False)
        assert [("failed" in c.args) for c in hides] == [True, True, False]
        (row,) = [r for r in engine.store.actions_for_message(ev.ref) if r.action == "hide"]
        assert row.status == "done" and row.attempts == 3 and row.last_error is None
        kinds = [r.kind for r in engine.store.audit_rows()]
        assert "action.done" in kinds


async def test_retry_after_is_honoured(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        adapter.fail("hide", 1, RetryableActionError("429 Too Many Requests", retry_after=0.2))
        await engine.submit(event(OFFER))
        await engine.wait_idle()
        failed, ok = adapter.of("hide", succeeded=False)
        assert ok.at - failed.at >= 0.19


async def test_unexpected_exceptions_are_retried_not_dropped(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        adapter.fail("escalate", 1, RuntimeError("bug in adapter"))
        d = await engine.submit(event(OFFER))
        await engine.wait_idle()
        assert d.case_id in adapter.cards


async def test_permanent_failure_is_recorded_and_not_retried(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        adapter.fail("hide", 5, PermanentActionError("missing permission: delete messages"))
        ev = event(OFFER)
        await engine.submit(ev)
        await engine.wait_idle()
        assert len(adapter.of("hide", succeeded=False)) == 1
        (row,) = [r for r in engine.store.actions_for_message(ev.ref) if r.action == "hide"]
        assert row.status == "failed" and "missing permission" in (row.last_error or "")
        assert any(r.kind == "action.failed" for r in engine.store.audit_rows())


async def test_gives_up_after_max_attempts(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        adapter.fail("hide", 10)
        ev = event(OFFER)
        await engine.submit(ev)
        await engine.wait_idle()
        (row,) = [r for r in engine.store.actions_for_message(ev.ref) if r.action == "hide"]
        assert row.status == "failed" and row.attempts == 4  # FAST_RETRY.max_attempts
        assert len(adapter.of("hide", succeeded=False)) == 4


async def test_hanging_adapter_call_times_out_and_is_retried(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        adapter.hang("hide", 1)
        ev = event(OFFER)
        await engine.submit(ev)
        await engine.wait_idle()
        (row,) = [r for r in engine.store.actions_for_message(ev.ref) if r.action == "hide"]
        assert row.status == "done" and row.attempts == 2
        assert len(adapter.of("hide")) == 1


async def test_stop_leaves_pending_actions_that_the_next_start_completes(tmp_path: Path) -> None:
    slow = RetryPolicy(max_attempts=5, base_delay=30.0, max_delay=60.0, call_timeout=1.0)
    async with running_engine(tmp_path, retry=slow) as (engine, adapter):
        adapter.fail("hide", 1)
        ev = event(OFFER)
        await engine.submit(ev)
        await adapter.wait_for(lambda a: bool(a.of("hide", succeeded=False)))
        await engine.wait_idle(0.2)  # the retry is 30 s away: stop before it
    async with running_engine(tmp_path) as (engine, adapter):
        # The stored next_attempt_at is honoured: the retry is still ~30 s away.
        assert not await engine.wait_idle(0.3)
        assert not adapter.of("hide")
        engine.store.update_action(
            next(r for r in engine.store.actions_for_message(ev.ref) if r.action == "hide").id,
            next_attempt_at=0.0,
        )
    async with running_engine(tmp_path) as (engine, adapter):
        await engine.wait_idle()
        assert len(adapter.of("hide")) == 1
        rows = engine.store.actions_for_message(ev.ref)
        assert all(r.status == "done" for r in rows)


async def _run_and_die(script: str) -> str:
    """Run ``script`` in a fresh interpreter that ends with ``os._exit``: no cleanup at all."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    return out.decode().strip()


_CRASH_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys
    sys.path.insert(0, {repo!r})
    from core import Engine
    from tests.core._engine_fixtures import OFFER, SEEKER, event

    async def main():
        engine = await Engine.open({db!r})
        # No adapter and no dispatcher: the decision is committed, then the process dies
        # before anything is carried out (as a kill -9 between "decided" and "done" would).
        d1 = await engine.submit(event(OFFER, msg="1", author="smuggler"))
        d2 = await engine.submit(event(SEEKER, msg="2", author="traveller"))
        print(d1.case_id, flush=True)
        os._exit(0)

    asyncio.run(main())
    """
)


async def test_crash_between_decision_and_dispatch_completes_exactly_once(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    script = _CRASH_SCRIPT.format(repo=str(REPO), db=str(db))
    case_id = await _run_and_die(script)
    async with running_engine(tmp_path, db_name="crash.db") as (engine, adapter):
        await engine.wait_idle()
        assert len(adapter.of("hide")) == 1
        assert len(adapter.of("post_notice")) == 1
        assert len(adapter.of("send_private")) == 2  # statement + seeker help
        assert case_id in adapter.cards
        assert all(a.status == "done" for a in engine.store.all_actions())  # type: ignore[attr-defined]
        assert engine.store.verify_audit().ok
    # A second restart finds nothing left to do.
    async with running_engine(tmp_path, db_name="crash.db") as (engine, adapter):
        await engine.wait_idle()
        assert adapter.calls == []


_KILL_MID_CALL_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, sys
    sys.path.insert(0, {repo!r})
    from adapters.recording import RecordingAdapter
    from core import Engine
    from tests.core._engine_fixtures import OFFER, event

    async def main():
        engine = await Engine.open({db!r})
        adapter = RecordingAdapter("test")
        for method in ("hide", "post_notice", "send_private", "escalate"):
            adapter.hang(method)
        engine.register_adapter(adapter)
        await engine.start()
        await engine.submit(event(OFFER))
        await adapter.wait_for(lambda a: len(a.calls) == 4)
        os._exit(0)  # killed while every adapter call is in flight

    asyncio.run(main())
    """
)


async def test_kill_during_adapter_call_redispatches_on_restart(tmp_path: Path) -> None:
    """The row is still pending and is redone; adapters treat a repeated hide as success, so
    the platform ends with one hidden message."""
    db = tmp_path / "kill.db"
    await _run_and_die(_KILL_MID_CALL_SCRIPT.format(repo=str(REPO), db=str(db)))
    async with running_engine(tmp_path, db_name="kill.db") as (engine, adapter):
        await engine.wait_idle()
        ref = event(OFFER).ref
        assert adapter.hidden == {ref} and len(adapter.of("hide")) == 1
        rows = engine.store.actions_for_message(ref)
        assert len(rows) == 4 and all(r.status == "done" and r.attempts == 1 for r in rows)


async def test_seeker_help_survives_crash_too(tmp_path: Path) -> None:
    async with running_engine(tmp_path, start=False) as (engine, adapter):
        await engine.submit(event(SEEKER, author="traveller"))
        assert adapter.calls == []
    async with running_engine(tmp_path) as (engine, adapter):
        await engine.wait_idle()
        (msg,) = adapter.of("send_private")
        assert msg.args["user_id"] == "traveller"


async def test_actions_queued_by_another_process_are_swept_up(tmp_path: Path) -> None:
    """A moderator's decision taken from a CLI or a second worker lands in the shared store;
    the running bot's outbox finds and dispatches it."""
    from core import Moderator, SQLiteStore

    async with running_engine(tmp_path, start=False) as (engine, adapter):
        engine.outbox.sweep_interval = 0.05
        await engine.start()
        d = await engine.submit(event(OFFER))
        await engine.wait_idle()
        async with running_engine(tmp_path, platform="other") as (second, _):
            await second.review.confirm(d.case_id or "", Moderator("cli", "m"), ban=True)
        case_id = d.case_id or ""
        await adapter.wait_for(
            lambda a: bool(a.of("ban")) and a.cards[case_id].status == "confirmed", within=5.0
        )
        await engine.wait_idle()
        store = SQLiteStore(tmp_path / "cw.db")
        assert all(a.status == "done" for a in store.actions_for_message(d.ref))
        store.close()


async def test_hides_overtake_queued_notices_and_cards(tmp_path: Path) -> None:
    """In a backlog, every offer's hide is dispatched before earlier offers' notices and cards."""
    async with running_engine(tmp_path, start=False) as (engine, adapter):
        for n in range(3):
            await engine.submit(event(OFFER, msg=str(n), author=f"u{n}"))
        engine._outbox._concurrency = 1  # one slot: the dispatch order is fully observable
        await engine.start()
        await engine.wait_idle()
        methods = [c.method for c in adapter.calls]
        assert methods[:3] == ["hide", "hide", "hide"], methods
        assert methods.index("escalate") > methods.index("post_notice")
