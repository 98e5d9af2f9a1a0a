"""The outbound side: actions POSTed as signed JSON to the integrator's callback URL.

How the callback's answer maps onto the engine's outbox (see :mod:`core._adapter`):

==========================================  ==================================================
2xx                                         done
429, or 408/425/5xx (with ``Retry-After``   :class:`~core.RetryableActionError`, honouring
when given)                                 ``Retry-After`` (seconds or an HTTP date)
connection refused/reset, DNS, timeout      :class:`~core.RetryableActionError`
410 Gone on ``private_message``             :class:`~core.RecipientUnreachable` (the engine
                                            posts the text in the channel instead, once)
3xx                                         :class:`~core.PermanentActionError` (redirects are
                                            not followed: a signed action goes where configured)
any other 4xx                               :class:`~core.PermanentActionError`
==========================================  ==================================================

Error messages carry the status and the first bytes of the answer, never the secret.
"""

from __future__ import annotations

import json
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from core._adapter import PermanentActionError, RecipientUnreachable, RetryableActionError

from ._signing import signed_headers

__all__ = ["CallbackClient", "parse_retry_after"]

_ERROR_SNIPPET = 300  # bytes of an error answer kept in the outbox's last_error
_RETRYABLE_4XX = frozenset({408, 425, 429})
USER_AGENT = "channelwatch-webhook/1"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN, inf
        return None
    return max(0.0, seconds)


class CallbackClient:
    """Signs and sends one action at a time; safe to use from many tasks at once.

    The HTTP session is created on first use, inside the running loop: the engine may dispatch
    actions left over from a previous run before the adapter's ``start`` is called.
    """

    def __init__(self, url: str, secret: bytes, *, timeout: float = 10.0) -> None:
        self.url = url
        self._secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def open(self) -> None:
        self._closed = False

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._closed:
            # Stopping: the outbox keeps the action pending and retries it after a restart.
            raise RetryableActionError("webhook adapter is stopped")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"User-Agent": USER_AGENT},
                raise_for_status=False,
            )
        return self._session

    @staticmethod
    def encode(payload: dict[str, Any]) -> bytes:
        """Compact UTF-8 JSON (not \\u escapes: Arabic notices stay readable in logs).

        ``default=str`` keeps a stray value (a datetime) from failing a whole action. A hostile
        message can carry lone surrogates, which are not Unicode: they become U+FFFD, so that
        a strict JSON parser on the integrator's side does not refuse the escalation carrying
        it (the original stays in channelwatch's evidence, unaltered).
        """
        text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str)
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return _LONE_SURROGATE.sub("\ufffd", text).encode("utf-8")

    async def send(self, payload: dict[str, Any]) -> None:
        """POST ``payload``; return on 2xx, raise the matching action error otherwise."""
        action = str(payload.get("action", "?"))
        body = self.encode(payload)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        headers.update(signed_headers(self._secret, body))
        session = self._get_session()
        try:
            async with session.post(
                self.url, data=body, headers=headers, allow_redirects=False
            ) as resp:
                status = resp.status
                if 200 <= status < 300:
                    return
                snippet = await _snippet(resp)
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        except TimeoutError:
            raise RetryableActionError(
                f"callback did not answer {action} within {self._timeout.total:g} s"
            ) from None
        except aiohttp.ClientError as exc:
            raise RetryableActionError(
                f"callback unreachable for {action}: {type(exc).__name__}: {exc}"[:500]
            ) from None
        detail = f"callback answered {status} to {action}" + (f": {snippet}" if snippet else "")
        if status in _RETRYABLE_4XX or status >= 500:
            raise RetryableActionError(detail, retry_after=retry_after)
        if status == 410 and action == "private_message":
            raise RecipientUnreachable(detail)
        if 300 <= status < 400:
            raise PermanentActionError(
                detail + " (redirects are not followed: set the final URL as the callback)"
            )
        raise PermanentActionError(detail)


async def _snippet(resp: aiohttp.ClientResponse) -> str:
    try:
        raw = await resp.content.read(_ERROR_SNIPPET)
    except (aiohttp.ClientError, TimeoutError):
        return ""
    text = raw.decode("utf-8", "replace")
    return " ".join(text.split())  # one line, whatever the integrator's error page looks like
