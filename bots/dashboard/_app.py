"""The review dashboard's aiohttp application: wiring, authentication, live updates.

:func:`create_app` builds the app for one engine. Views are in :mod:`bots.dashboard._views`.
Everything a moderator does goes through ``engine.review`` so it is audited and reaches the
platform through its adapter; the dashboard itself never changes platform state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import aiohttp_jinja2
import jinja2
from aiohttp import web

from adapters.playground import PlaygroundAdapter, playground_app
from bots.dashboard._accounts import Account, AccountStore
from bots.dashboard._audit import ChainChecker
from bots.dashboard._metrics import MetricsSource, SqliteMetrics
from bots.dashboard._security import (
    ACCOUNT_KEY,
    CSRF_KEY,
    SECRET_KEY,
    SECURE_COOKIES_KEY,
    SID_COOKIE,
    SIGNED_PREFIXES_KEY,
    STORE_KEY,
    LoginRateLimiter,
    request_csrf_token,
    security_headers,
    security_middleware,
)
from core._api import CommunityStatus, ReviewAPI
from core._store import Store

__all__ = ["DashboardEngine", "create_app", "require_account", "require_admin"]

log = logging.getLogger("channelwatch.dashboard")
HERE = Path(__file__).resolve().parent


class DashboardEngine(Protocol):
    """The parts of :class:`core.Engine` the dashboard uses."""

    @property
    def review(self) -> ReviewAPI: ...

    @property
    def store(self) -> Store: ...

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]: ...

    def unsubscribe(self, q: asyncio.Queue[dict[str, Any]]) -> None: ...

    async def status(self, platform: str, community_id: str) -> CommunityStatus: ...


ENGINE_KEY = web.AppKey("cw_engine", DashboardEngine)
METRICS_KEY = web.AppKey("cw_metrics", MetricsSource)
LIMITER_KEY = web.AppKey("cw_login_limiter", LoginRateLimiter)
PLAYGROUND_URL_KEY = web.AppKey("cw_playground_url", str)


MAX_LIVE_CLIENTS = 200
CHAIN_KEY = web.AppKey("cw_chain", ChainChecker)
METRICS_TOKEN_KEY = web.AppKey("cw_metrics_token", str)


def require_account(request: web.Request) -> Account:
    """The logged-in account, or a redirect to the login page (401 for non-GET/fetches)."""
    account: Account | None = request.get(ACCOUNT_KEY)
    if account is None:
        accept = request.headers.get("Accept", "")
        if request.method == "GET" and not any(
            t in accept for t in ("text/event-stream", "application/json")
        ):
            raise web.HTTPFound(f"/login?next={_quote_next(request.path_qs)}")
        raise web.HTTPUnauthorized(text="log in first")
    return account


def require_admin(request: web.Request) -> Account:
    account = require_account(request)
    if not account.is_admin:
        raise web.HTTPForbidden(text="this page is for administrators")
    return account


def _quote_next(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="")


class LiveHub:
    """Fans the engine's live events out to the dashboards' event streams.

    Browsers only get a type and ids: pages re-fetch server-rendered fragments, which apply the
    permission rules, so nothing from a community a moderator may not see leaks through here.
    """

    def __init__(self, engine: DashboardEngine) -> None:
        self._engine = engine
        self._clients: set[tuple[asyncio.Queue[dict[str, Any]], Account]] = set()
        self._task: asyncio.Task[None] | None = None
        self._source: asyncio.Queue[dict[str, Any]] | None = None
        self.closing = asyncio.Event()

    def start(self) -> None:
        self._source = self._engine.subscribe()
        self._task = asyncio.create_task(self._pump(self._source), name="dashboard-live")

    async def stop(self) -> None:
        self.closing.set()
        for q, _ in list(self._clients):
            with contextlib.suppress(asyncio.QueueFull):
                q.put_nowait({"type": "bye"})
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._source is not None:
            self._engine.unsubscribe(self._source)

    def add(self, account: Account) -> asyncio.Queue[dict[str, Any]]:
        if len(self._clients) >= MAX_LIVE_CLIENTS:
            raise web.HTTPServiceUnavailable(text="too many live connections")
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=200)
        self._clients.add((q, account))
        return q

    def remove(self, q: asyncio.Queue[dict[str, Any]]) -> None:
        self._clients = {(c, a) for c, a in self._clients if c is not q}

    async def _pump(self, source: asyncio.Queue[dict[str, Any]]) -> None:
        while True:
            event = await source.get()
            slim = _slim(event)
            if slim is None:
                continue
            platform, community = _where(event)
            for q, account in list(self._clients):
                if platform is not None and community is not None:
                    if not account.can_see(platform, community):
                        continue
                with contextlib.suppress(asyncio.QueueFull):
                    q.put_nowait(slim)  # a slow browser misses a ping; its next one refreshes


LIVE_KEY = web.AppKey("cw_live", LiveHub)


def _where(event: dict[str, Any]) -> tuple[str | None, str | None]:
    platform = event.get("platform")
    community = event.get("community_id")
    ref = event.get("ref")
    if isinstance(ref, dict):
        platform = platform or ref.get("platform")
        community = community or ref.get("community_id")
    elif ref is not None and hasattr(ref, "platform"):
        platform = platform or ref.platform
        community = community or ref.community_id
    return (
        str(platform) if platform is not None else None,
        str(community) if community is not None else None,
    )


def _slim(event: dict[str, Any]) -> dict[str, Any] | None:
    kind = event.get("type") or event.get("kind")
    if kind not in ("decision", "action", "case"):
        return None
    case_id = event.get("case_id")
    if case_id is None and isinstance(event.get("case"), dict):
        case_id = event["case"].get("id")
    return {"type": kind, "case_id": str(case_id) if case_id is not None else None}


async def live_stream(request: web.Request) -> web.StreamResponse:
    """``GET /live``: server-sent events telling the page what to refresh."""
    account = require_account(request)
    hub: LiveHub = request.app[LIVE_KEY]
    q = hub.add(account)  # before prepare(): a refusal is still a proper HTTP answer
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    try:
        await resp.prepare(request)
    except BaseException:
        hub.remove(q)
        raise
    try:
        await resp.write(b"retry: 3000\n\n")
        while not hub.closing.is_set():
            try:
                event = await asyncio.wait_for(q.get(), 15.0)
            except TimeoutError:
                # A logged-out or removed account stops receiving, even on an open stream.
                if not _still_logged_in(request, account):
                    break
                await resp.write(b": keepalive\n\n")
                continue
            if event.get("type") == "bye":
                break
            await resp.write(f"data: {json.dumps(event)}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        hub.remove(q)
    return resp


def _still_logged_in(request: web.Request, account: Account) -> bool:
    current = request.app[STORE_KEY].session_account(request.cookies.get(SID_COOKIE, ""))
    return current is not None and current.name == account.name


# -- template helpers ------------------------------------------------------------------------


def _fmt_dt(value: datetime | float | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _fmt_short(value: datetime | float | str | None) -> str:
    """Month-day and time: enough in tables where the year is obvious."""
    text = _fmt_dt(value)
    return text[5:19] if len(text) > 19 else text


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _fmt_ago(value: datetime | None) -> str:
    if value is None:
        return "—"
    delta = (datetime.now(UTC) - value).total_seconds()
    return _fmt_duration(max(0.0, delta)) + " ago"


async def _context(request: web.Request) -> dict[str, Any]:
    return {
        "account": request.get(ACCOUNT_KEY),
        "csrf_token": request.get(CSRF_KEY, ""),
        "playground_url": request.app.get(PLAYGROUND_URL_KEY, ""),
        "static": lambda name: str(request.app.router["static"].url_for(filename=name)),
        "path": request.path,
        "request": request,
    }


def create_app(
    engine: DashboardEngine,
    accounts: AccountStore,
    *,
    metrics: MetricsSource | None = None,
    db_path: str | Path | None = None,
    secure_cookies: bool = False,
    limiter: LoginRateLimiter | None = None,
    playground: PlaygroundAdapter | None = None,
    sample_delay: float = 0.4,
    signed_apis: Mapping[str, web.Application] | None = None,
    metrics_token: str | None = None,
) -> web.Application:
    """The dashboard app. With ``playground``, its web chat is mounted at ``/playground/``
    under the same sessions, CSRF protection and security headers. ``signed_apis`` maps path
    prefixes (``"/webhook/"``) to sub-applications that verify a signature on every request
    themselves; sessions and CSRF tokens do not apply to them. With ``metrics_token``,
    ``/metrics`` wants ``Authorization: Bearer <token>``."""
    from bots.dashboard import _views

    app = web.Application(middlewares=[security_middleware], client_max_size=256 * 1024)
    app[ENGINE_KEY] = engine
    app[STORE_KEY] = accounts
    app[SECRET_KEY] = accounts.secret()
    app[SECURE_COOKIES_KEY] = secure_cookies
    app[LIMITER_KEY] = limiter or LoginRateLimiter()
    app[METRICS_TOKEN_KEY] = metrics_token or ""
    if metrics is None:
        path = db_path if db_path is not None else getattr(engine.store, "path", None)
        if path is None or str(path) == ":memory:":
            raise ValueError("the dashboard needs the engine's SQLite file path for its metrics")
        metrics = SqliteMetrics(path)
    app[METRICS_KEY] = metrics
    chain_path = db_path if db_path is not None else getattr(engine.store, "path", None)
    app[CHAIN_KEY] = ChainChecker(engine.store, str(chain_path))
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        context_processors=[_context],
    )
    env.filters["dt"] = _fmt_dt
    env.filters["dts"] = _fmt_short
    env.filters["dur"] = _fmt_duration
    env.filters["ago"] = _fmt_ago
    app.on_response_prepare.append(security_headers)

    hub = LiveHub(engine)
    app[LIVE_KEY] = hub

    async def on_startup(app: web.Application) -> None:
        hub.start()

    async def on_shutdown(app: web.Application) -> None:
        await hub.stop()

    async def on_cleanup(app: web.Application) -> None:
        app[CHAIN_KEY].close()
        close = getattr(app[METRICS_KEY], "close", None)
        if close is not None:
            close()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)

    _views.add_routes(app)
    app.router.add_get("/live", live_stream)
    app.router.add_static("/static/", HERE / "static", append_version=True, name="static")
    if playground is not None:
        pg_app = playground_app(
            playground, csrf_token=request_csrf_token, sample_delay=sample_delay
        )
        app.add_subapp("/playground/", pg_app)
        app[PLAYGROUND_URL_KEY] = "/playground/"
    prefixes = []
    for prefix, sub_app in (signed_apis or {}).items():
        prefix = "/" + prefix.strip("/") + "/"
        app.add_subapp(prefix, sub_app)
        prefixes.append(prefix)
    app[SIGNED_PREFIXES_KEY] = tuple(prefixes)
    return app


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
