"""Run the webhook adapter on its own: the engine and ``/v1/...`` on one port, nothing else.

``channelwatch run`` mounts the same endpoints under ``/webhook`` beside the dashboard; this is
for deployments that keep the integration endpoint apart (a separate port behind its own TLS
proxy). Review happens in the integrator's own tool through ``/v1/cases/...``, or in the
dashboard of a ``channelwatch run`` sharing the same database file.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence

from aiohttp import web

from ._adapter import WebhookAdapter
from ._config import WebhookConfig

__all__ = ["main", "serve"]

log = logging.getLogger("channelwatch.webhook")


async def serve(
    db_path: str,
    host: str,
    port: int,
    env: Mapping[str, str],
    *,
    stop: asyncio.Event | None = None,
    started: asyncio.Future[str] | None = None,
) -> int:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM). Resolves ``started`` with the base URL."""
    from core import Engine

    config = WebhookConfig.from_env(env)
    if config is None:
        log.error("CHANNELWATCH_WEBHOOK_SECRET is not set: nothing to serve")
        return 2
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread / not POSIX
            pass
    engine = await Engine.open(db_path)
    adapter = WebhookAdapter(engine, config)
    engine.register_adapter(adapter)
    runner = web.AppRunner(
        adapter.app(), access_log=None, handle_signals=False, shutdown_timeout=2.0
    )
    try:
        await engine.start()
        await adapter.start()
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = port
        server = getattr(site, "_server", None)
        if server is not None and getattr(server, "sockets", None):
            bound = server.sockets[0].getsockname()[1]
        url = f"http://{host}:{bound}"
        log.info("%s: listening on %s/v1/messages", adapter.platform, url)
        if started is not None and not started.done():
            started.set_result(url)
        await stop.wait()
    finally:
        # Stop taking requests first, then drain: unfinished actions stay in the outbox.
        await runner.cleanup()
        await adapter.stop()
        await engine.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m adapters.webhook",
        description="Serve channelwatch's webhook endpoints (/v1/messages) on their own. "
        "Configuration comes from CHANNELWATCH_WEBHOOK_* environment variables.",
    )
    parser.add_argument("--db", default=None, help="SQLite file ($CHANNELWATCH_DB)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8090, help="port to listen on (8090)")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s"
    )
    env = dict(os.environ)
    db = args.db or env.get("CHANNELWATCH_DB") or "./channelwatch.db"
    try:
        return asyncio.run(serve(db, args.host, args.port, env))
    except ValueError as exc:  # a configuration problem, already worded for the admin
        print(f"error: {exc}", file=sys.stderr)
        return 2
