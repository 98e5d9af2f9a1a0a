"""Webhook benchmark: signed HTTP messages/s through the real engine, and callback latency.

Usage::

    .venv/bin/python benchmarks/bench_webhook.py [--messages 5000] [--concurrency 8]

A real aiohttp server runs the webhook adapter's app on 127.0.0.1 in front of a real Engine
(SQLite in a temporary directory, WAL); an aiohttp client signs and posts each message as an
integrator would; a second local server plays the integrator's callback and records when each
``hide`` arrives. Messages are benign tweets from ``../shared/corpora`` (when present, else the
benign lines of ``tests/data/corpus.jsonl``) with 5 % labelled offers mixed in.

Figures printed: requests/s (sign + HTTP + validate + detect + decide + commit + response),
request latency p50/p99 as the integrator sees it, and for offers the time from the POST being
sent to the signed ``hide`` callback arriving (message in -> action out, over HTTP both ways).
Client, server and engine share one event loop and one core, so these are lower bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiohttp import ClientSession, TCPConnector, web  # noqa: E402

from adapters.webhook import build_from_env  # noqa: E402
from benchmarks._corpus import load_texts  # noqa: E402
from core import Engine  # noqa: E402

SECRET = "bench-secret-0123456789abcdef"


def _texts(n: int, offer_share: float) -> list[tuple[str, str]]:
    labelled, benign = load_texts()
    rnd = random.Random(11)
    return [
        ("offer", rnd.choice(labelled["offer"]))
        if rnd.random() < offer_share
        else ("none", rnd.choice(benign))
        for _ in range(n)
    ]


def _sign(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Channelwatch-Timestamp": ts,
        "X-Channelwatch-Signature": "sha256=" + mac,
    }


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))] * 1000


async def main(n: int, concurrency: int) -> None:
    hides: dict[str, float] = {}

    async def callback(request: web.Request) -> web.Response:
        payload = json.loads(await request.read())
        if payload["action"] == "hide":
            hides[payload["message_id"]] = time.perf_counter()
        return web.json_response({"ok": True})

    cb_app = web.Application()
    cb_app.router.add_post("/cb", callback)
    cb_runner, cb_port = await _serve(cb_app)

    tmp = tempfile.mkdtemp(prefix="cw-bench-webhook-")
    engine = await Engine.open(Path(tmp) / "cw.db")
    env = {
        "CHANNELWATCH_WEBHOOK_SECRET": SECRET,
        "CHANNELWATCH_WEBHOOK_CALLBACK_URL": f"http://127.0.0.1:{cb_port}/cb",
    }
    adapter = build_from_env(engine, env)
    assert adapter is not None
    engine.register_adapter(adapter)
    await engine.start()
    await adapter.start()
    runner, port = await _serve(adapter.app())
    url = f"http://127.0.0.1:{port}/v1/messages"

    texts = _texts(n, 0.05)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    labels: dict[str, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)

    async def worker(http: ClientSession) -> None:
        while not queue.empty():
            i = queue.get_nowait()
            _, text = texts[i]
            msg: dict[str, Any] = {
                "community_id": "bench",
                "channel_id": f"ch{i % 50}",
                "message_id": str(i),
                "author": {"id": f"u{i % 997}", "display_name": "bench"},
                "text": text,
            }
            body = json.dumps(msg, ensure_ascii=False).encode()
            start = time.perf_counter()
            sent[str(i)] = start
            async with http.post(url, data=body, headers=_sign(body)) as resp:
                decision = await resp.json()
                assert resp.status == 200, decision
            latencies.append(time.perf_counter() - start)
            labels[decision["label"]] = labels.get(decision["label"], 0) + 1

    async with ClientSession(connector=TCPConnector(limit=concurrency)) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    await engine.wait_idle(60)
    to_hide = [hides[m] - sent[m] for m in hides if m in sent]

    print(f"messages: {n}, concurrency {concurrency}, labels {labels}")
    print(f"requests/s: {n / elapsed:,.0f}  ({elapsed:.2f} s)")
    print(
        f"request latency: p50 {_pct(latencies, 0.5):.2f} ms, p99 {_pct(latencies, 0.99):.2f} ms"
        f", mean {statistics.mean(latencies) * 1000:.2f} ms"
    )
    if to_hide:
        print(
            f"POST sent -> signed hide callback received ({len(to_hide)} offers): "
            f"p50 {_pct(to_hide, 0.5):.2f} ms, p99 {_pct(to_hide, 0.99):.2f} ms"
        )
    await runner.cleanup()
    await adapter.stop()
    await engine.close()
    await cb_runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.concurrency))
