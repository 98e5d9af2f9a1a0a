"""PTB's HTTP transport, on aiohttp instead of httpx.

python-telegram-bot builds every Bot API call, parses every answer and maps every error itself;
the part below it that moves bytes is pluggable (:class:`telegram.request.BaseRequest`, the
documented extension point for "your own networking backend"). PTB's default, httpx, spends
about 1.3 ms of CPU per request here, against about 0.6 ms for aiohttp (measured against the
loopback fake, see docs/performance.md): with a delete, a card and a notice per offer, the HTTP
client was half of the bot's CPU, and the difference is what lets one core keep up with a busy
group. aiohttp is already a dependency (the dashboard, the webhook receiver).

Timeouts keep PTB's meaning: ``connect`` bounds establishing a connection, ``pool`` waiting
for a free one, ``read`` each wait for the answer (PTB adds the long-poll duration to it for
``getUpdates``). aiohttp has no write timeout; bodies here are small forms, so a stalled write
shows up as a read timeout instead.
"""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]


def _ssl_context() -> ssl.SSLContext:
    """Mozilla's CA bundle when certifi is there (it is, with PTB), else the system store."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - certifi ships with PTB's dependencies
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` over one :class:`aiohttp.ClientSession`."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 8,
        connect_timeout: float = 10.0,
        read_timeout: float = 10.0,
        pool_timeout: float = 10.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=_ssl_context())
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _value(self, given: Any, default: float) -> float | None:
        return default if isinstance(given, type(BaseRequest.DEFAULT_NONE)) else given

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=self._value(pool_timeout, self._pool_timeout),
            sock_connect=self._value(connect_timeout, self._connect_timeout),
            sock_read=self._value(read_timeout, self._read_timeout),
        )
        data: Any = None
        if request_data is not None:
            if request_data.contains_files:
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:
                data = request_data.json_parameters  # sent form-encoded, as PTB's httpx does
        try:
            async with session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's timeouts subclass asyncio's TimeoutError
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {_without_token(exc, url)}") from exc


def _without_token(exc: Exception, url: str) -> str:
    """Some aiohttp errors quote the URL, and the URL carries the token (``.../bot<token>/m``)."""
    text = str(exc)
    _, _, rest = url.partition("/bot")
    token = rest.split("/", 1)[0]
    return text.replace(token, "<token>") if token else text
