"""The webhook adapter's settings, read from environment variables only.

===================================  ==========================================================
``CHANNELWATCH_WEBHOOK_SECRET``      required: the shared HMAC secret (at least 16 characters);
                                     without it the adapter is not started. Never logged.
``CHANNELWATCH_WEBHOOK_CALLBACK_URL`` where actions are POSTed (``http(s)://...``); without
                                     it channelwatch only answers with decisions, and cannot act
``CHANNELWATCH_WEBHOOK_PLATFORM``    the platform name in cases and the dashboard ("webhook")
``CHANNELWATCH_WEBHOOK_CAPABILITIES`` what the integrator can do, comma-separated
                                     (``hide,notice,private_message,timeout,ban,restore,
                                     escalate``; default all, ``none`` for nothing)
``CHANNELWATCH_WEBHOOK_MAX_BODY``    largest accepted request body in bytes (65536)
``CHANNELWATCH_WEBHOOK_TIMEOUT``     seconds to wait for the callback to answer (10)
===================================  ==========================================================
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from core._adapter import Capability

__all__ = ["ENV_PREFIX", "WebhookConfig"]

ENV_PREFIX = "CHANNELWATCH_WEBHOOK_"
MIN_SECRET_CHARS = 16
_PLATFORM_RE = re.compile(r"^[a-z][a-z0-9_.-]{0,31}$")
# Adapters with their own package own these names; a webhook using one would take its actions.
_RESERVED = frozenset({"telegram", "discord", "playground", "replay"})


@dataclass(frozen=True)
class WebhookConfig:
    """Validated settings. ``secret`` is excluded from ``repr`` so it never reaches a log."""

    secret: str = field(repr=False)
    callback_url: str | None = None
    platform: str = "webhook"
    capabilities: frozenset[Capability] = frozenset(Capability)
    max_body: int = 64 * 1024
    timeout: float = 10.0  # below the engine outbox's 30 s call timeout, so ours fires first
    tolerance: float = 300.0  # accepted clock difference for signed requests, seconds
    max_inflight: int = 256  # concurrent inbound requests before answering 503

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_CHARS:
            raise ValueError(
                f"{ENV_PREFIX}SECRET is too short: use at least {MIN_SECRET_CHARS} random "
                "characters, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_hex(32))'`"
            )
        if not _PLATFORM_RE.match(self.platform):
            raise ValueError(
                f"{ENV_PREFIX}PLATFORM {self.platform!r} must be lower-case letters, digits, "
                "'_', '.' or '-' (at most 32, starting with a letter)"
            )
        if self.platform in _RESERVED:
            raise ValueError(
                f"{ENV_PREFIX}PLATFORM {self.platform!r} is the name of a built-in adapter; "
                "choose another (e.g. 'forum', 'matrix')"
            )
        if self.callback_url is not None:
            parts = urlsplit(self.callback_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(
                    f"{ENV_PREFIX}CALLBACK_URL must be an http:// or https:// URL with a host"
                )
            if parts.username or parts.password:
                raise ValueError(
                    f"{ENV_PREFIX}CALLBACK_URL must not carry credentials: requests are signed"
                )
        if self.max_body < 1024:
            raise ValueError(f"{ENV_PREFIX}MAX_BODY must be at least 1024 bytes")
        if not 0 < self.timeout <= 60:
            raise ValueError(f"{ENV_PREFIX}TIMEOUT must be between 0 and 60 seconds")

    @property
    def secret_bytes(self) -> bytes:
        return self.secret.encode("utf-8")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookConfig | None:
        """The configuration in ``env``, or None when no secret is set.

        Raises :class:`ValueError` naming the variable when a value is unusable; the message
        never contains the secret.
        """
        secret = env.get(ENV_PREFIX + "SECRET", "").strip()
        if not secret:
            return None
        return cls(
            secret=secret,
            callback_url=env.get(ENV_PREFIX + "CALLBACK_URL", "").strip() or None,
            platform=env.get(ENV_PREFIX + "PLATFORM", "").strip() or "webhook",
            capabilities=parse_capabilities(env.get(ENV_PREFIX + "CAPABILITIES")),
            max_body=int(_number(env, "MAX_BODY", 64 * 1024, int)),
            timeout=_number(env, "TIMEOUT", 10.0, float),
        )


def parse_capabilities(value: str | None) -> frozenset[Capability]:
    """``"hide, notice"`` -> those capabilities; unset or empty -> all; ``"none"`` -> none."""
    if value is None or not value.strip():
        return frozenset(Capability)
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if names == ["none"]:
        return frozenset()
    if names == ["all"]:
        return frozenset(Capability)
    known = {c.value: c for c in Capability}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(
            f"{ENV_PREFIX}CAPABILITIES: unknown {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(sorted(known))} (or 'all', 'none')"
        )
    return frozenset(known[n] for n in names)


def _number(env: Mapping[str, str], name: str, default: float, kind: type) -> float:
    raw = env.get(ENV_PREFIX + name, "").strip()
    if not raw:
        return default
    try:
        value: float = kind(raw)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name} must be a number, not {raw!r}") from None
    return value
