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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from adapters.recording import RecordingAdapter  # noqa: E402
from core import Author, Engine, IncomingEvent, MessageRef  # noqa: E402


def _load(n: int, offer_share: float, seeker_share: float) -> list[tuple[str, str]]:
    labelled: dict[str, list[str]] = {"offer": [], "seeking": [], "none": []}
    with (REPO / "tests" / "data" / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            labelled.setdefault(obj["label"], []).append(obj["text"])
    benign: list[str] = []
    corpora = REPO.parent / "shared" / "corpora"
    for path in sorted(corpora.glob("*.jsonl")) if corpora.is_dir() else []:
        with path.open(encoding="utf-8") as fh:
            benign.extend(json.loads(line)["text"] for line in fh)
    if not benign:
        benign = labelled["none"]
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


async def _run(
    messages: list[tuple[str, str]],
    concurrency: int,
    run: str,
    db: Path,
    db_thread: bool = True,
    rate: float | None = None,
) -> dict[str, float]:
    engine = await Engine.open(db, db_thread=db_thread)
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
        tasks = []
        start = time.perf_counter()
        for i, (_, text) in enumerate(messages):
            delay = start + i / per_s - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, text)))
        await asyncio.gather(*tasks)

    t_start = time.perf_counter()
    cpu_start = time.process_time()  # all threads: robust when other work shares the machine
    if rate is not None:
        await paced(rate)
    else:
        await asyncio.gather(*(producer() for _ in range(concurrency)))
    elapsed = time.perf_counter() - t_start
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
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--offer-share", type=float, default=0.05)
    parser.add_argument("--seeker-share", type=float, default=0.02)
    args = parser.parse_args()
    messages = _load(args.messages, args.offer_share, args.seeker_share)
    # Warm the detector (pack loading) outside the timed runs.
    from core import Detector

    Detector.load().detect("warm up")
    with tempfile.TemporaryDirectory() as tmp:
        for name, conc, thread, rate in (
            ("thread, 1 producer", 1, True, None),
            ("thread, 16 producers", 16, True, None),
            ("inline, 1 producer", 1, False, None),
            ("inline, 16 producers", 16, False, None),
            ("inline, 300 msgs/s", 0, False, 300.0),
            ("thread, 300 msgs/s", 0, True, 300.0),
        ):
            db = Path(tmp) / f"run{conc}{thread}{rate}.db"
            res = asyncio.run(_run(messages, conc, name, db, thread, rate))
            print(
                f"{name:>20}: {res['msgs_per_s']:6.0f} msgs/s, "
                f"{res['cpu_us_per_msg']:4.0f} µs CPU/msg | submit p50 "
                f"{res['submit_p50_ms']:.2f} ms p99 {res['submit_p99_ms']:.2f} ms | "
                f"submit->hide p50 {res['hide_p50_ms']:.2f} ms p99 {res['hide_p99_ms']:.2f} ms "
                f"({res['hides']} hides, {res['actions']} adapter calls)"
            )


if __name__ == "__main__":
    main()
