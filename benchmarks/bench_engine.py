"""Engine benchmark: messages/s through detect + rules + SQLite commit, and decide-to-dispatch
latency, with persistence on (WAL, one writer thread) and the recording adapter.

Usage::

    .venv/bin/python benchmarks/bench_engine.py [--messages 20000] [--offer-share 0.05]

Messages are real benign tweets from ``../shared/corpora`` (when present; otherwise the benign
lines of ``tests/data/corpus.jsonl``, repeated) with labelled offers and seekers from
``tests/data/corpus.jsonl`` mixed in. Every message gets a fresh id, so nothing is a duplicate.

Figures printed:

* sequential: one producer awaiting each ``submit`` (what one adapter connection does);
* concurrent: 16 producers at once (many chats on one bot);
* submit latency p50/p99 (detect + decide + commit) and, for offers, the time from ``submit``
  being called to the adapter's ``hide`` call (decide-to-dispatch, the latency moderators and
  the adapters' p99 targets care about).

``--purge-backlog N`` runs one more scenario instead: the database starts with N events (and a
quarter as many actions) older than the retention period, and a retention purge runs on its
worker thread while messages arrive at a steady 300 msgs/s, store calls inline on the loop (the
default). It prints the same latencies and the longest stall of the event loop (the largest gap
a 1 ms ticker saw): the purge must never make the loop wait for the SQLite write lock.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from adapters.recording import RecordingAdapter  # noqa: E402
from benchmarks._corpus import load_texts  # noqa: E402
from core import Author, Engine, IncomingEvent, MessageRef  # noqa: E402
from core._store import ActionRow, EventRow, SQLiteStore, WriteBatch  # noqa: E402


def _load(n: int, offer_share: float, seeker_share: float) -> list[tuple[str, str]]:
    labelled, benign = load_texts()
    rnd = random.Random(7)
    out: list[tuple[str, str]] = []
    for _ in range(n):
        r = rnd.random()
        if r < offer_share:
            out.append(("offer", rnd.choice(labelled["offer"])))
        elif r < offer_share + seeker_share:
            out.append(("seeking", rnd.choice(labelled["seeking"])))
        else:
            out.append(("none", rnd.choice(benign)))
    return out


def _event(i: int, text: str, run: str) -> IncomingEvent:
    return IncomingEvent(
        ref=MessageRef("bench", f"c{i % 50}", f"ch{i % 200}", f"{run.replace(' ', '')}-{i}"),
        author=Author(id=f"u{i % 5000}", display_name="user"),
        text=text,
    )


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def _prefill_old(db: Path, n: int) -> None:
    """``n`` events older than the retention period, as a bot that has run for a while has
    them: the oldest 80 % are offers an earlier purge already redacted (their hashes and labels
    stay for statistics); of the rest, three in four are benign (deleted by the purge) and one
    in four an offer with its evidence and a settled action (redacted)."""
    store = SQLiteStore(db)
    old = time.time() - 40 * 86400
    done_before = int(n * 0.8)
    batches: list[WriteBatch] = []
    for i in range(n):
        flagged = i < done_before or i % 4 == 0
        ref = MessageRef("bench", f"c{i % 50}", f"ch{i % 200}", f"old-{i}")
        event = EventRow(
            id=f"old{i}",
            ref=ref,
            revision="0",
            created_at=old + i * 0.01,
            text_sha256="0" * 64,
            norm_hash=f"{i:064x}",
            label="offer" if flagged else "none",
            score=0.9 if flagged else 0.0,
            lang="en",
            actions=["hide"] if flagged else [],
            rules=["offer"] if flagged else [],
            author_id="u1" if flagged else None,
            author_name="poster" if flagged else None,
            text="an old offer, kept as evidence until retention" if flagged else None,
        )
        actions = (
            [
                ActionRow(
                    id=f"olda{i}",
                    ref=ref,
                    action="statement",
                    status="done",
                    dedupe_key=f"old|{i}",
                    created_at=old + i * 0.01,
                    payload={"user_id": "u1", "text": "statement", "lang": "en"},
                )
            ]
            if flagged
            else []
        )
        batches.append(WriteBatch(event=event, actions=actions))
        if len(batches) == 2000:
            store.apply_many(batches)
            batches = []
    if batches:
        store.apply_many(batches)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "UPDATE events SET text = NULL, author_id = NULL, author_name = NULL, purged_at = ? "
        "WHERE id = ?",
        ((old, f"old{i}") for i in range(done_before)),
    )
    conn.executemany(
        'UPDATE actions SET payload = \'{"lang": "en"}\' WHERE id = ?',
        ((f"olda{i}",) for i in range(done_before)),
    )
    conn.execute("COMMIT")
    conn.close()
    store.close()


async def _ticker(stalls: list[float], stop: asyncio.Event) -> None:
    last = time.perf_counter()
    while not stop.is_set():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        stalls.append(now - last)
        last = now


async def _run(
    messages: list[tuple[str, str]],
    concurrency: int,
    run: str,
    db: Path,
    db_thread: bool = True,
    rate: float | None = None,
    purge: bool = False,
) -> dict[str, float]:
    config_dir = None
    if purge:
        # Retention off in the engine itself: the benchmark starts the purge at a known moment.
        config_dir = db.parent / "cfg"
        config_dir.mkdir(exist_ok=True)
        shipped = (REPO / "config" / "policy.toml").read_text(encoding="utf-8")
        (config_dir / "policy.toml").write_text(
            shipped.replace("retention_days = 30", "retention_days = 0"), encoding="utf-8"
        )
    engine = await Engine.open(db, db_thread=db_thread, config_dir=config_dir)
    adapter = RecordingAdapter("bench")
    engine.register_adapter(adapter)
    submitted_at: dict[str, float] = {}
    hide_latency: list[float] = []

    def on_call(call) -> None:  # type: ignore[no-untyped-def]
        if call.method == "hide":
            t0 = submitted_at.get(call.args["ref"].message_id)
            if t0 is not None:
                hide_latency.append(call.at - t0)

    adapter.on_call(on_call)
    await engine.start()
    submit_latency: list[float] = []
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for i, (_, text) in enumerate(messages):
        queue.put_nowait((i, text))

    async def producer() -> None:
        while not queue.empty():
            i, text = queue.get_nowait()
            ev = _event(i, text, run)
            t0 = time.perf_counter()
            submitted_at[ev.message_id] = t0
            await engine.submit(ev)
            submit_latency.append(time.perf_counter() - t0)

    async def one(i: int, text: str) -> None:
        ev = _event(i, text, run)
        t0 = time.perf_counter()
        submitted_at[ev.message_id] = t0
        await engine.submit(ev)
        submit_latency.append(time.perf_counter() - t0)

    async def paced(per_s: float) -> None:
        # Messages arrive at a steady rate, each handled as its own task (as adapters do):
        # the latency a moderator or a platform sees below saturation.
        # (Waited for as they finish: one gather over thousands of tasks at the end would
        # itself stall the loop for tens of ms and show up as "max loop stall".)
        tasks: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        for i, (_, text) in enumerate(messages):
            delay = start + i / per_s - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(i, text))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.wait(set(tasks))

    stalls: list[float] = []
    stop_ticker = asyncio.Event()
    ticker = asyncio.create_task(_ticker(stalls, stop_ticker))
    purge_task = None
    if purge:
        purge_task = asyncio.ensure_future(asyncio.to_thread(engine.store.purge, 30, actor="bench"))
    t_start = time.perf_counter()
    cpu_start = time.process_time()  # all threads: robust when other work shares the machine
    if rate is not None:
        await paced(rate)
    else:
        await asyncio.gather(*(producer() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t_start
    purge_s = float("nan")
    if purge_task is not None:
        purge_result = await purge_task
        purge_s = time.perf_counter() - t_start
        print(f"  purge: {purge_result} in {purge_s:.1f} s")
    stop_ticker.set()
    await ticker
    cpu = time.process_time() - cpu_start
    await engine.wait_idle(300)
    total = time.perf_counter() - t_start
    actions = len(adapter.calls)
    await engine.close()
    return {
        "messages": len(messages),
        "msgs_per_s": len(messages) / elapsed,
        "cpu_us_per_msg": cpu / len(messages) * 1e6,
        "submit_p50_ms": statistics.median(submit_latency) * 1000,
        "submit_p99_ms": _pct(submit_latency, 99) * 1000,
        "hide_p50_ms": _pct(hide_latency, 50) * 1000,
        "hide_p99_ms": _pct(hide_latency, 99) * 1000,
        "hides": len(hide_latency),
        "actions": actions,
        "drain_s": total - elapsed,
        "max_stall_ms": max(stalls, default=0.0) * 1000,
        "purge_s": purge_s,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--offer-share", type=float, default=0.05)
    parser.add_argument("--seeker-share", type=float, default=0.02)
    parser.add_argument(
        "--purge-backlog",
        type=int,
        default=0,
        help="only run 300 msgs/s inline while a retention purge works through this many "
        "old events",
    )
    args = parser.parse_args()
    messages = _load(args.messages, args.offer_share, args.seeker_share)
    # Warm the detector (pack loading) outside the timed runs.
    from core import Detector

    Detector.load().detect("warm up")
    scenarios: tuple[tuple[str, int, bool, float | None], ...] = (
        ("thread, 1 producer", 1, True, None),
        ("thread, 16 producers", 16, True, None),
        ("inline, 1 producer", 1, False, None),
        ("inline, 16 producers", 16, False, None),
        ("inline, 300 msgs/s", 0, False, 300.0),
        ("thread, 300 msgs/s", 0, True, 300.0),
    )
    if args.purge_backlog:
        scenarios = (("inline, 300/s + purge", 0, False, 300.0),)
    with tempfile.TemporaryDirectory() as tmp:
        for name, conc, thread, rate in scenarios:
            db = Path(tmp) / f"run{conc}{thread}{rate}.db"
            if args.purge_backlog:
                _prefill_old(db, args.purge_backlog)
            res = asyncio.run(_run(messages, conc, name, db, thread, rate, args.purge_backlog > 0))
            print(
                f"{name:>20}: {res['msgs_per_s']:6.0f} msgs/s, "
                f"{res['cpu_us_per_msg']:4.0f} µs CPU/msg | submit p50 "
                f"{res['submit_p50_ms']:.2f} ms p99 {res['submit_p99_ms']:.2f} ms | "
                f"submit->hide p50 {res['hide_p50_ms']:.2f} ms p99 {res['hide_p99_ms']:.2f} ms "
                f"({res['hides']} hides, {res['actions']} adapter calls) | "
                f"max loop stall {res['max_stall_ms']:.1f} ms"
            )


if __name__ == "__main__":
    main()
