"""A fake integrator: a real aiohttp server on 127.0.0.1 that receives channelwatch's actions.

It checks every request's signature the way an integrator would (written here from the
protocol description, independently of the adapter's own signing code), records what arrives,
and answers with scripted replies to inject the failures real callbacks produce: 429 with
``Retry-After``, 5xx, 410, slow answers that trip the client timeout.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

SECRET = "test-secret-0123456789abcdef"


def integrator_sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers an integrator sends, computed as docs/webhook.md describes."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Channelwatch-Timestamp": ts, "X-Channelwatch-Signature": "sha256=" + mac}


def integrator_verify(secret: str, body: bytes, headers: Any, tolerance: int = 300) -> bool:
    ts = headers.get("X-Channelwatch-Timestamp", "")
    sig = headers.get("X-Channelwatch-Signature", "")
    if not ts.isdigit() or abs(time.time() - int(ts)) > tolerance:
        return False
    expected = (
        "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    return hmac.compare_digest(expected, sig)


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than the client timeout: a timeout)
    body: str = '{"ok": true}'


class Receiver:
    def __init__(self, secret: str = SECRET) -> None:
        self.secret = secret
        self.attempts: list[dict[str, Any]] = []  # every correctly signed request
        self.delivered: list[dict[str, Any]] = []  # those answered with a 2xx
        self.bad_signatures = 0
        self.content_types: list[str] = []
        self.peers: list[object] = []  # the client's (host, port) per request: connection reuse
        self._script: dict[str, deque[Reply]] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""

    def script(self, action: str, *replies: Reply) -> None:
        """Answer the next requests for ``action`` with ``replies``, then 200 again."""
        self._script.setdefault(action, deque()).extend(replies)

    def of(self, action: str) -> list[dict[str, Any]]:
        return [p for p in self.delivered if p["action"] == action]

    def tried(self, action: str) -> list[dict[str, Any]]:
        return [p for p in self.attempts if p["action"] == action]

    async def wait_for(self, predicate: Callable[[Receiver], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"receiver: condition not met; delivered={self.delivered}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), timeout=min(remaining, 0.05))
            except TimeoutError:
                pass

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not integrator_verify(self.secret, body, request.headers):
            self.bad_signatures += 1
            self._changed.set()
            return web.json_response({"error": "bad signature"}, status=401)
        payload = json.loads(body)
        self.content_types.append(request.headers.get("Content-Type", ""))
        if request.transport is not None:
            self.peers.append(request.transport.get_extra_info("peername"))
        self.attempts.append(payload)
        queue = self._script.get(payload["action"])
        reply = queue.popleft() if queue else Reply()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if 200 <= reply.status < 300:
            self.delivered.append(payload)
        self._changed.set()
        return web.Response(
            status=reply.status,
            text=reply.body,
            headers=reply.headers,
            content_type="application/json",
        )

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hooks/channelwatch", self._handle)
        app.router.add_post("/moved", self._moved)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hooks/channelwatch"
        return self.url

    async def _moved(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(self.url)

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
