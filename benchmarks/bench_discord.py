"""Discord end to end: MESSAGE_CREATE sent by the fake gateway -> DELETE received by the fake REST.

The fake Discord from tests/ runs in this process and drives the load; the bot - the real
discord.py client and the real engine (SQLite on a temp file, the shipped policy and detector) -
runs in a child process, as it would against the real Discord. By default every message is a
smuggling offer (the worst case: each is deleted, escalated with a card, and its poster gets a
statement by DM); ``--mixed`` sends one offer in ten among benign messages.

    .venv/bin/python benchmarks/bench_discord.py                 # 2,000 offers at 100 msg/s
    .venv/bin/python benchmarks/bench_discord.py --rate 200 --messages 4000
    .venv/bin/python benchmarks/bench_discord.py --mixed         # 1 offer in 10, rest benign

Prints p50/p95/p99/max latency at the steady rate, then sustained throughput (a burst sent as
fast as the gateway accepts it, timed until the last DELETE arrives), and the bot process's CPU
time per message. ``CW_BENCH_PROFILE=/tmp/bot.prof`` writes a cProfile of the bot process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from adapters.discord import DiscordAdapter  # noqa: E402
from tests.adapters.discord.fake_discord import FakeDiscord  # noqa: E402


def _texts(label: str) -> list[str]:
    rows = [json.loads(x) for x in (REPO / "tests/data/corpus.jsonl").read_text().splitlines() if x]
    return [r["text"] for r in rows if r["label"] == label]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bot(api: str, gateway: str, token: str, guild: str, mods: str) -> None:
    """The bot process: the real engine and adapter, until the driver closes our stdin."""
    from core import Engine, EngineAPI

    with tempfile.TemporaryDirectory() as tmp:
        engine = await Engine.open(Path(tmp) / "bench.db")
        adapter = DiscordAdapter(
            cast(EngineAPI, engine),  # Engine implements EngineAPI (mypy: invariant attributes)
            token,
            api_base_url=api,
            gateway_url=gateway,
            guild_ready_timeout=0.05,
        )
        engine.register_adapter(adapter)
        await engine.start()
        await adapter.start()
        await engine.settings.set("discord", guild, "modchannel", mods)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await adapter.stop()
        await engine.close()


async def run(messages: int, rate: float, burst: int, mixed: bool) -> dict[str, float]:
    from core import Detector, Label

    detector = Detector.load()
    # Only texts the shipped detector calls offers (its recall is measured elsewhere).
    offers = [t for t in _texts("offer") if detector.detect(f"{t} #1").label == Label.OFFER]
    benign = [t for t in _texts("none") if detector.detect(f"{t} #1").label == Label.NONE]

    def text(i: int) -> tuple[str, bool]:
        if mixed and i % 10:
            return f"{benign[i % len(benign)]} #{i}", False
        return f"{offers[i % len(offers)]} #{i}", True

    fake = await FakeDiscord().start()
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--bot",
        fake.api_base,
        fake.gateway_url,
        fake.token(),
        str(fake.guild_id),
        str(fake.mods_id),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdin is not None
    line = await asyncio.wait_for(child.stdout.readline(), 120)
    if line.strip() != b"ready":
        raise RuntimeError(f"the bot process did not start: {line!r}")
    poster = fake.add_user("poster")

    async def send(i: int) -> tuple[int, bool]:
        body, is_offer = text(i)
        return await fake.post(poster, body), is_offer

    # Warm-up: imports, caches, the first SQLite pages.
    warm = [mid for mid, is_offer in [await send(i) for i in range(50)] if is_offer]
    await fake.wait_for(lambda: all(m in fake.deleted_at for m in warm), within=120, what="warm")
    await asyncio.sleep(1.0)

    sent: dict[int, float] = {}
    start = time.perf_counter()
    for i in range(messages):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        t0 = time.perf_counter()
        mid, is_offer = await send(1000 + i)
        if is_offer:
            sent[mid] = t0
    await fake.wait_for(lambda: all(m in fake.deleted_at for m in sent), within=300, what="all")
    lat = [(fake.deleted_at[m] - t) * 1000 for m, t in sent.items()]
    await asyncio.sleep(2.0)  # let statements and cards of the steady run drain

    # Sustained: a burst, timed from the first send to the last DELETE.
    burst_offers: list[int] = []
    t0 = time.perf_counter()
    for i in range(burst):
        mid, is_offer = await send(100000 + i)
        if is_offer:
            burst_offers.append(mid)
        if i % 50 == 0:
            await asyncio.sleep(0)  # let the client read while we write, as a socket would
    await fake.wait_for(
        lambda: all(m in fake.deleted_at for m in burst_offers), within=600, what="burst"
    )
    elapsed = time.perf_counter() - t0
    child.stdin.close()
    await child.wait()
    await fake.close()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the bot process's CPU, start included
    total = 50 + messages + burst
    return {
        "messages": float(messages),
        "rate": rate,
        "deleted": float(len(lat)),
        "p50": statistics.median(lat),
        "p95": _pct(lat, 95),
        "p99": _pct(lat, 99),
        "max": max(lat),
        "burst": float(burst),
        "sustained": burst / elapsed,
        "cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000 / total,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--burst", type=int, default=2000, help="messages in the throughput run")
    parser.add_argument("--mixed", action="store_true", help="1 offer in 10 messages")
    parser.add_argument("--bot", nargs=5, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    if args.bot:
        profile = os.environ.get("CW_BENCH_PROFILE")  # a path: cProfile the bot process there
        if profile:
            import cProfile

            prof = cProfile.Profile()
            prof.runcall(asyncio.run, bot(*args.bot))
            prof.dump_stats(profile)
        else:
            asyncio.run(bot(*args.bot))
        return 0
    r = asyncio.run(run(args.messages, args.rate, args.burst, args.mixed))
    kind = "1 offer in 10" if args.mixed else "all offers"
    print(
        f"{int(r['messages'])} messages ({kind}) at {r['rate']:g} msg/s, {int(r['deleted'])} "
        f"deleted: MESSAGE_CREATE -> DELETE p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
        f"p99 {r['p99']:.1f} ms, max {r['max']:.1f} ms"
    )
    print(f"sustained: {r['sustained']:.0f} messages/s over a burst of {int(r['burst'])}")
    print(f"bot process CPU: {r['cpu_ms']:.2f} ms per message (start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
