"""The playground's web chat: a page, a server-sent-events stream and two JSON endpoints.

:func:`playground_app` returns an aiohttp sub-application to mount (``channelwatch run`` mounts it
at ``/playground`` beside the dashboard). The host application is responsible for sessions and
CSRF: it must reject unsafe requests without a valid token, and give :func:`playground_app` a
function returning the visitor's token so the page can embed it. The page builds every message with
``textContent`` (never ``innerHTML``) and ``dir="auto"``, so hostile text stays text and
right-to-left scripts display correctly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from adapters.playground._adapter import PlaygroundAdapter, PostRefused, Sample

__all__ = ["ADAPTER_KEY", "playground_app"]

log = logging.getLogger("channelwatch.playground")

HERE = Path(__file__).resolve().parent
ADAPTER_KEY = web.AppKey("playground", PlaygroundAdapter)
SAMPLES_PER_CLICK = 10
KEEPALIVE_SECONDS = 15.0
MAX_VIEWERS = 200  # concurrent live streams; each holds a bounded queue
POSTS_PER_WINDOW = 30  # per client address, a chat's flood limit
WINDOW_SECONDS = 10.0


class _FloodLimit:
    """At most ``limit`` posts per ``window`` seconds per client address."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._hits: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        q = self._hits.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        if len(q) >= self.limit:
            return False
        q.append(now)
        if len(self._hits) > 10_000:
            self._hits = {k: v for k, v in self._hits.items() if v}
        return True


def _no_csrf(request: web.Request) -> str:
    return ""


def playground_app(
    adapter: PlaygroundAdapter,
    *,
    csrf_token: Callable[[web.Request], str] = _no_csrf,
    dashboard_url: str = "/",
    sample_delay: float = 0.4,
) -> web.Application:
    """The web chat as an aiohttp sub-application.

    ``csrf_token(request)`` gives the token the host application expects on unsafe requests;
    the page sends it in an ``X-CSRF-Token`` header.
    """
    app = web.Application(client_max_size=64 * 1024)
    app[ADAPTER_KEY] = adapter
    tasks: set[asyncio.Task[None]] = set()
    stop = asyncio.Event()
    flood = _FloodLimit(POSTS_PER_WINDOW, WINDOW_SECONDS)
    viewers = [0]
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
    )

    async def page(request: web.Request) -> web.StreamResponse:
        return aiohttp_jinja2.render_template(
            "playground.html",
            request,
            {
                "csrf_token": csrf_token(request),
                "dashboard_url": dashboard_url,
                "rooms": list(adapter.rooms.values()),
                "users": list(adapter.users.values()),
                "has_samples": bool(adapter.samples),
                "static": lambda name: str(request.app.router["pg_static"].url_for(filename=name)),
            },
        )

    async def events(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        if viewers[0] >= MAX_VIEWERS:
            raise web.HTTPServiceUnavailable(text="too many viewers; try again later")
        viewers[0] += 1
        await resp.prepare(request)
        q = adapter.subscribe()
        try:
            await _send(resp, adapter.snapshot())
            while not stop.is_set():
                try:
                    item = await asyncio.wait_for(q.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await resp.write(b": keepalive\n\n")
                    continue
                if item.get("type") == "bye":
                    break
                if item.get("type") == "resync":
                    item = adapter.snapshot()
                await _send(resp, item)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            adapter.unsubscribe(q)
            viewers[0] -= 1
        return resp

    async def post(request: web.Request) -> web.Response:
        if not flood.allow(request.remote or "?"):
            return web.json_response(
                {"error": "slow down: too many messages in a few seconds"}, status=429
            )
        body = await _json(request)
        room, user, text = body.get("room"), body.get("user"), body.get("text")
        if not all(isinstance(v, str) for v in (room, user, text)):
            raise web.HTTPBadRequest(text="room, user and text must be strings")
        try:
            message_id, decision = await adapter.post(str(room), str(user), str(text))
        except PostRefused as exc:
            return web.json_response({"error": str(exc)}, status=409)
        verdict = decision.verdict
        return web.json_response(
            {
                "id": message_id,
                "actions": list(decision.actions),
                "label": str(verdict.label) if verdict else None,
                "lang": verdict.lang if verdict else None,
                "case_id": decision.case_id,
            }
        )

    async def appeal(request: web.Request) -> web.Response:
        if not flood.allow(request.remote or "?"):
            return web.json_response({"error": "slow down"}, status=429)
        body = await _json(request)
        case_id, user, text = body.get("case_id"), body.get("user"), body.get("text")
        if not all(isinstance(v, str) for v in (case_id, user, text)):
            raise web.HTTPBadRequest(text="case_id, user and text must be strings")
        try:
            status = await adapter.appeal(str(case_id), str(user), str(text))
        except PostRefused as exc:
            return web.json_response({"error": str(exc)}, status=409)
        return web.json_response({"status": status})

    async def samples(request: web.Request) -> web.Response:
        await _json(request)
        if tasks:
            return web.json_response({"error": "samples are being posted already"}, status=409)
        if not flood.allow(request.remote or "?"):
            return web.json_response({"error": "slow down"}, status=429)
        if not adapter.samples:
            return web.json_response(
                {"error": "no samples: config/samples/playground.jsonl is missing"}, status=409
            )
        picked = pick_samples(adapter.samples, SAMPLES_PER_CLICK)
        task = asyncio.create_task(_post_samples(adapter, picked, sample_delay))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return web.json_response({"posting": len(picked)})

    async def on_shutdown(app: web.Application) -> None:
        stop.set()
        for task in list(tasks):
            task.cancel()
        adapter.disconnect_viewers()

    app.router.add_get("/", page)
    app.router.add_get("/events", events)
    app.router.add_post("/api/post", post)
    app.router.add_post("/api/samples", samples)
    app.router.add_post("/api/appeal", appeal)
    app.router.add_static("/static/", HERE / "static", append_version=True, name="pg_static")
    app.on_shutdown.append(on_shutdown)
    return app


async def _json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="send application/json")
    try:
        body = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(text="malformed JSON") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


async def _send(resp: web.StreamResponse, data: dict[str, Any]) -> None:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    await resp.write(f"data: {payload}\n\n".encode())


def pick_samples(samples: list[Sample], n: int, rng: random.Random | None = None) -> list[Sample]:
    """A mix: offers, seekers and hard negatives in several languages, in a shuffled order."""
    rng = rng or random.Random()
    by_label: dict[str, list[Sample]] = {}
    for s in samples:
        by_label.setdefault(s.label, []).append(s)
    picked: list[Sample] = []
    labels = sorted(by_label)
    while len(picked) < min(n, len(samples)):
        for label in labels:
            pool = [s for s in by_label[label] if s not in picked]
            if pool and len(picked) < n:
                # Prefer a language not yet shown, so one click shows several scripts.
                langs = {s.lang for s in picked}
                fresh = [s for s in pool if s.lang not in langs] or pool
                picked.append(rng.choice(fresh))
        if all(all(s in picked for s in by_label[label]) for label in labels):
            break
    rng.shuffle(picked)
    return picked


_RTL_LANGS = frozenset({"ar", "fa", "prs", "ckb", "ps", "ur", "he", "arz", "apc", "ary"})


def room_for(adapter: PlaygroundAdapter, sample: Sample) -> str:
    rooms = list(adapter.rooms)
    if sample.lang in _RTL_LANGS and "arabic" in adapter.rooms:
        return "arabic"
    if sample.label == "seeking" and "travel" in adapter.rooms:
        return "travel"
    return rooms[0]


def user_for(adapter: PlaygroundAdapter, sample: Sample) -> str:
    """The sample's author (joining as a new member when needed), or a regular member."""
    if sample.user.strip():
        return adapter.persona(sample.user.strip()).id
    members = [u for u in adapter.users.values() if not u.is_admin]
    usable = [u for u in members if not adapter.is_banned(u.id)] or members
    return usable[sum(map(ord, sample.text)) % len(usable)].id


async def _post_samples(adapter: PlaygroundAdapter, picked: list[Sample], delay: float) -> None:
    for sample in picked:
        try:
            await adapter.post(room_for(adapter, sample), user_for(adapter, sample), sample.text)
        except PostRefused:
            pass  # e.g. that simulated user was banned by an earlier sample
        except Exception:  # the engine failing one sample must not stop the demo
            log.exception("playground: posting a sample failed")
        await asyncio.sleep(delay)
