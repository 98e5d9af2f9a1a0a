"""The review dashboard: moderators review escalations from every platform in one place.

An aiohttp application rendered with Jinja2 templates (no front-end build step), with argon2
accounts, server-side sessions, CSRF tokens, a strict Content-Security-Policy, live updates over
server-sent events, server-rendered SVG charts and a Prometheus ``/metrics`` endpoint.
"""

from bots.dashboard._accounts import (
    Account,
    AccountError,
    AccountStore,
    SqliteAccountStore,
    parse_community,
)
from bots.dashboard._app import DashboardEngine, create_app
from bots.dashboard._metrics import MetricsSource, SqliteMetrics
from bots.dashboard._security import LoginRateLimiter

__all__ = [
    "Account",
    "AccountError",
    "AccountStore",
    "DashboardEngine",
    "LoginRateLimiter",
    "MetricsSource",
    "SqliteAccountStore",
    "SqliteMetrics",
    "create_app",
    "parse_community",
]
