"""Telegram adapter latency and throughput: the real PTB client and the real engine (SQLite on a
temp file) against the fake Bot API server from the tests, over 127.0.0.1.

The fake runs in its own process, as Telegram's servers would, and plays the users: it queues
updates (at a steady rate, or all at once) and timestamps the bot's calls as they arrive. The bot
process runs exactly what ``channelwatch run`` runs: the adapter's long-poll loop, the engine
(detector, rules, SQLite commit, outbox) and PTB's HTTP client. Both processes read the same
monotonic clock, so the latency is end to end: from the update becoming available (waking the
pending long poll) to the ``deleteMessage`` call for it arriving at the fake.

Every message is an offer, so each one costs a delete, a review card, a private statement that
Telegram refuses (the poster never started the bot) and its fallback, as in production.

    .venv/bin/python benchmarks/bench_telegram.py            # 2,000 messages at 50 msg/s
    .venv/bin/python benchmarks/bench_telegram.py --quick    # 300 messages, for a smoke run
    .venv/bin/python benchmarks/bench_telegram.py --curve    # and 500 at 20 and 35 msg/s
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from adapters.telegram import TelegramAdapter  # noqa: E402
from core import Engine  # noqa: E402
from tests.adapters.telegram.fake_bot_api import FakeBotAPI  # noqa: E402

GROUP = -1001234567890
MODS = -1009876543210
POSTERS = range(20_001, 20_051)  # 50 different posters, none of whom started the bot
OFFERS = (
    "Boat to UK tomorrow night from Calais, 100% guaranteed, £{price} per person, pay on "
    "arrival. WhatsApp +44 7700 9{num:05d}",
    "Lorry to London this Friday, 100% safe, £{price}, inbox me, places left: {num}",
    "Passage au Royaume-Uni en bateau demain soir, 100% garanti, {price} euros, paiement à "
    "l'arrivée, WhatsApp +33 6 12 {num:05d}",
)
BENIGN = "The ferry from Calais to Dover was delayed {num} minutes today, bring snacks"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _offer(i: int) -> str:
    return OFFERS[i % len(OFFERS)].format(price=1500 + i % 4000, num=i)


# ---------------------------------------------------------------------- the fake's process


def _fake_process(conn: Connection, scenario: str, n: int, rate: float) -> None:
    try:
        asyncio.run(_fake_main(conn, scenario, n, rate))
    except BaseException as exc:
        conn.send({"error": repr(exc)})
        raise


async def _until(condition: Any, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("the bot did not finish in time")
        await asyncio.sleep(0.01)


class _CardCounter:
    """Counts review cards incrementally: rescanning every call each tick would load the fake."""

    def __init__(self, fake: FakeBotAPI) -> None:
        self._fake = fake
        self._seen = 0
        self.cards = 0

    def __call__(self) -> int:
        calls = self._fake.calls
        for call in calls[self._seen :]:
            if call.method == "sendMessage" and call.params.get("chat_id") == MODS:
                self.cards += 1
        self._seen = len(calls)
        return self.cards


async def _fake_main(conn: Connection, scenario: str, n: int, rate: float) -> None:
    loop = asyncio.get_running_loop()
    fake = await FakeBotAPI().start()
    fake.add_group(GROUP, "Bench group")
    fake.add_group(MODS, "Bench mods")
    for uid in POSTERS:
        fake.add_user(uid, f"Poster {uid}")
        fake.set_member(GROUP, uid)
    conn.send((fake.token, fake.base_url))
    await loop.run_in_executor(None, conn.recv)  # "go": the bot is polling

    # Warm-up: first connections and the group's admin list, so figures are the steady state.
    fake.post_message(GROUP, POSTERS[0], "hello")
    await _until(lambda: not fake.pending_updates(), 30)
    fake.calls.clear()

    update_of: dict[int, int] = {}
    start = time.perf_counter()
    cpu_start = time.process_time()
    for i in range(n):
        if scenario == "steady":
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        text = BENIGN.format(num=i) if scenario == "flood-benign" else _offer(i)
        msg = fake.post_message(GROUP, POSTERS[i % len(POSTERS)], text)
        update_of[msg["message_id"]] = fake.history[-1]["update_id"]

    if scenario == "flood-benign":
        await _until(lambda: not fake.pending_updates(), 300)
    else:
        await _until(lambda: len(fake.deleted) >= n, 300)
        cards = _CardCounter(fake)
        await _until(lambda: cards() >= n, 300)
    elapsed = time.perf_counter() - start

    latencies = [
        (c.at - fake.queued_at[update_of[int(c.params["message_id"])]]) * 1000
        for c in fake.calls_of("deleteMessage")
        if c.status == 200
    ]
    api_calls = len([c for c in fake.calls if c.method != "getUpdates"])
    conn.send(
        {
            "elapsed": elapsed,
            "latencies_ms": latencies,
            "api_calls": api_calls,
            "fake_cpu_s": time.process_time() - cpu_start,
        }
    )
    await loop.run_in_executor(None, conn.recv)  # "stop": the bot has shut down
    await fake.close()


# ---------------------------------------------------------------------- the bot's process


async def run(tmp: Path, scenario: str, n: int, rate: float = 0.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    ctx = mp.get_context("spawn")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_fake_process, args=(theirs, scenario, n, rate), daemon=True)
    child.start()
    theirs.close()  # so a crashed child shows up as EOF here instead of a hang
    token, base_url = await loop.run_in_executor(None, ours.recv)
    # A fresh database per run: the fake numbers messages from 1 again, and the engine would
    # rightly treat a reused (chat, message id) as a redelivery.
    engine = await Engine.open(tempfile.mkdtemp(dir=tmp) + "/channelwatch.db")
    adapter = TelegramAdapter(engine, token, base_url=base_url, poll_timeout=10)
    engine.register_adapter(adapter)
    await engine.settings.set("telegram", str(GROUP), "mod_chat", str(MODS))
    await adapter.start()
    await engine.start()
    try:
        cpu_start = time.process_time()
        ours.send("go")
        result: dict[str, Any] = await loop.run_in_executor(None, ours.recv)
        if "error" in result:
            raise RuntimeError(f"the fake's process failed: {result['error']}")
        result["bot_cpu_s"] = time.process_time() - cpu_start
    finally:
        await adapter.stop()
        await engine.close()
        ours.send("stop")
        await loop.run_in_executor(None, child.join, 30)
    return result


def _report_steady(result: dict[str, Any], rate: float) -> None:
    lat = result["latencies_ms"]
    print(
        f"steady: {len(lat)} offers at {rate:g} msg/s, update -> deleteMessage: "
        f"p50 {statistics.median(lat):.1f} ms, p90 {percentile(lat, 90):.1f} ms, "
        f"p99 {percentile(lat, 99):.1f} ms, max {max(lat):.1f} ms; "
        f"bot CPU {1000 * result['bot_cpu_s'] / len(lat):.1f} ms/offer "
        f"({result['api_calls']} Bot API calls; load average {os.getloadavg()[0]:.1f})",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--quick", action="store_true", help="300 messages")
    parser.add_argument(
        "--curve", action="store_true", help="also 500 offers at 20 and 35 msg/s (latency curve)"
    )
    args = parser.parse_args()
    n = 300 if args.quick else args.messages
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if args.curve:
            for rate in (20.0, 35.0):
                _report_steady(await run(tmp, "steady", 500, rate), rate)
        _report_steady(await run(tmp, "steady", n, args.rate), args.rate)
        for scenario, label in (
            ("flood-benign", "benign messages (read, decided, nothing to do)"),
            ("flood-offers", "offers (delete + card + refused statement + fallback each)"),
        ):
            result = await run(tmp, scenario, n)
            print(
                f"flood of {n} {label}: {n / result['elapsed']:.0f} msg/s sustained; "
                f"bot CPU {1000 * result['bot_cpu_s'] / n:.2f} ms/message; "
                f"load average {os.getloadavg()[0]:.1f}",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
