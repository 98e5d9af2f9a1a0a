"""Web security for the dashboard and the playground it hosts.

* Every visitor gets an opaque ``cw_sid`` cookie (HttpOnly, SameSite=Strict). When they log in it
  is replaced by a fresh session token (no session fixation); the account store keeps only its
  hash.
* CSRF: every state-changing request (POST, PUT, PATCH, DELETE) must carry the token
  ``HMAC(secret, cw_sid)`` in an ``X-CSRF-Token`` header or a ``_csrf`` form field, and a
  same-origin ``Origin`` header when the browser sends one. The login form is protected too.
* Headers on every response, errors and streams included: a Content-Security-Policy without
  inline scripts or styles, ``nosniff``, no framing, no referrer, no caching of pages.
* Login attempts are rate limited per client address and per account name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from bots.dashboard._accounts import Account, AccountStore

__all__ = [
    "ACCOUNT_KEY",
    "CSP",
    "CSRF_KEY",
    "SID_COOKIE",
    "LoginRateLimiter",
    "client_address",
    "csrf_token",
    "request_csrf_token",
    "security_middleware",
    "set_session_cookie",
]

SID_COOKIE = "cw_sid"
CSRF_KEY = web.RequestKey("csrf_token", str)
ACCOUNT_KEY: web.RequestKey[Account | None] = web.RequestKey("account")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

SECRET_KEY = web.AppKey("cw_secret", bytes)
STORE_KEY = web.AppKey("cw_accounts", AccountStore)
SECURE_COOKIES_KEY = web.AppKey("cw_secure_cookies", bool)
# Path prefixes of mounted APIs that authenticate every request themselves (HMAC-signed
# webhooks): browsers' cookies give no authority there, so CSRF checks do not apply.
SIGNED_PREFIXES_KEY = web.AppKey("cw_signed_prefixes", tuple)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def csrf_token(secret: bytes, sid: str) -> str:
    return hmac.new(secret, b"csrf:" + sid.encode(), hashlib.sha256).hexdigest()


def request_csrf_token(request: web.Request) -> str:
    """The CSRF token of this request's visitor, for pages hosted under the dashboard."""
    return request.get(CSRF_KEY, "")


def client_address(request: web.Request) -> str:
    # The direct peer only: X-Forwarded-For is trivially forged and would let an attacker pick
    # their own rate-limit bucket. Behind a proxy, configure aiohttp's forwarded handling.
    return request.remote or "unknown"


def set_session_cookie(response: web.StreamResponse, request: web.Request, sid: str) -> None:
    response.set_cookie(
        SID_COOKIE,
        sid,
        httponly=True,
        samesite="Strict",
        secure=request.app[SECURE_COOKIES_KEY] or request.secure,
        path="/",
    )


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        # Older clients omit it; the token still protects them. A literal "null" origin comes
        # from sandboxed or file: pages, never from ours.
        return origin is None
    parts = urlsplit(origin)
    return parts.netloc == request.host


@web.middleware
async def security_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Load the visitor's session, enforce CSRF on unsafe methods, set a cookie if missing."""
    if request.path.startswith(request.app.get(SIGNED_PREFIXES_KEY, ())):
        return await handler(request)
    store = request.app[STORE_KEY]
    secret = request.app[SECRET_KEY]
    sid = request.cookies.get(SID_COOKIE, "")
    new_sid = None
    if not sid or len(sid) > 128:
        sid = new_sid = secrets.token_urlsafe(32)
    request[CSRF_KEY] = csrf_token(secret, sid)
    account: Account | None = store.session_account(sid) if new_sid is None else None
    request[ACCOUNT_KEY] = account

    if request.method not in SAFE_METHODS:
        sent = request.headers.get("X-CSRF-Token", "")
        if not sent and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            sent = str(form.get("_csrf", ""))
        if new_sid is not None or not _same_origin(request):
            raise web.HTTPForbidden(text="cross-site request refused")
        if not sent or not hmac.compare_digest(sent, request[CSRF_KEY]):
            raise web.HTTPForbidden(text="missing or invalid CSRF token; reload the page")

    response = await handler(request)
    if new_sid is not None and not response.prepared:
        set_session_cookie(response, request, new_sid)
    return response


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: runs for every response, including errors and streams."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Not "no-referrer": with it Chromium sends "Origin: null" on our own form posts.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")


class LoginRateLimiter:
    """At most ``per_name`` failed logins per account name and ``per_address`` per client
    address within ``window`` seconds; further attempts are refused without checking the
    password (so guessing costs time, and argon2 work cannot be used to load the server)."""

    def __init__(self, *, per_name: int = 5, per_address: int = 20, window: float = 300.0) -> None:
        self.per_name = per_name
        self.per_address = per_address
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def retry_after(self, address: str, name: str, now: float | None = None) -> float:
        """Seconds until another attempt is allowed; 0 when allowed now."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        for key, limit in (
            (f"a:{address}", self.per_address),
            (f"n:{name.lower()}", self.per_name),
        ):
            q = self._recent(key, now)
            if len(q) >= limit:
                wait = max(wait, q[0] + self.window - now)
        return wait

    def failed(self, address: str, name: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        for key in (f"a:{address}", f"n:{name.lower()}"):
            self._recent(key, now).append(now)
        if len(self._failures) > 10_000:  # bound memory under a spray of names
            for key in [k for k, q in self._failures.items() if not q][:5000]:
                del self._failures[key]

    def succeeded(self, name: str) -> None:
        self._failures.pop(f"n:{name.lower()}", None)
