"""Turning python-telegram-bot errors into the engine's outbox vocabulary, and keeping the token
out of logs and error strings.

PTB's exception tree is shallow and a little surprising: ``BadRequest`` and ``TimedOut`` are both
subclasses of ``NetworkError``, so the order of the checks below matters. Telegram's error
*descriptions* are the only way to tell "message to delete not found" (already done: success)
from "message can't be deleted" (the bot lacks the right: permanent).
"""

from __future__ import annotations

import datetime as dtm
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from core import PermanentActionError, RecipientUnreachable, RetryableActionError

__all__ = [
    "TokenRedactor",
    "already_done",
    "install_log_redaction",
    "mapped_errors",
    "remove_log_redaction",
    "retry_after_seconds",
]

# Loggers that see request URLs (``https://api.telegram.org/bot<TOKEN>/method``) or PTB's own
# debug lines (``Set Bot API URL: ...<TOKEN>``). httpx logs every request URL at INFO.
_URL_LOGGERS = ("httpx", "httpcore", "aiohttp.client")
_PTB_LOGGERS = ("telegram", "telegram.Bot", "telegram.ext", "telegram.request")

# Descriptions (lower-cased fragments) meaning the goal of the action already holds.
_ALREADY_DONE = (
    "message to delete not found",
    "message is not modified",
    "message_id_invalid",
)
# A private message that Telegram will not deliver: the engine falls back to the group.
_UNREACHABLE = (
    "bot can't initiate conversation",
    "bot was blocked by the user",
    "user is deactivated",
    "chat not found",
    "bot can't send messages to bots",
    "peer_id_invalid",
)


class TokenRedactor(logging.Filter):
    """Replaces the bot token in log records with ``<token>`` (it rewrites, never drops)."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def redact(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._token:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix; keep the record
            return True
        if self._token in message:
            record.msg = self.redact(message)
            record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            text = str(record.exc_info[1])
            if self._token in text:
                # Tracebacks are rendered from the exception: keep the type, drop the token.
                record.exc_text = f"{type(record.exc_info[1]).__name__}: {self.redact(text)}"
                record.exc_info = None
        return True


def install_log_redaction(redactor: TokenRedactor) -> TokenRedactor:
    """Keep the redactor's token out of every log line the HTTP stack and PTB might write.

    Filters attached to a logger only see records logged *on that logger*, not on its children,
    so the redactor goes on each logger that formats URLs, and the URL loggers are raised to
    WARNING: a request log line per API call is noise, and it is the line that carries the token.
    """
    for name in _URL_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
        logger.addFilter(redactor)
    for name in _PTB_LOGGERS:
        logging.getLogger(name).addFilter(redactor)
    # Handlers of the root logger see records of every logger: redact there too, so a record
    # from a logger we did not anticipate is still cleaned before it is written.
    for handler in logging.getLogger().handlers:
        handler.addFilter(redactor)
    return redactor


def remove_log_redaction(redactor: TokenRedactor) -> None:
    for name in (*_URL_LOGGERS, *_PTB_LOGGERS):
        logging.getLogger(name).removeFilter(redactor)
    for handler in logging.getLogger().handlers:
        handler.removeFilter(redactor)


def retry_after_seconds(exc: RetryAfter) -> float:
    """``RetryAfter.retry_after`` is an int or a timedelta depending on ``PTB_TIMEDELTA``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB's int-vs-timedelta deprecation notice
        value = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)


def already_done(exc: TelegramError) -> bool:
    return isinstance(exc, BadRequest) and any(f in exc.message.lower() for f in _ALREADY_DONE)


def _unreachable(exc: TelegramError) -> bool:
    return isinstance(exc, Forbidden | BadRequest) and any(
        f in exc.message.lower() for f in _UNREACHABLE
    )


@contextmanager
def mapped_errors(
    action: str, redactor: TokenRedactor, *, private: bool = False, done_ok: bool = False
) -> Iterator[None]:
    """Run one Bot API action and translate its failure for the outbox.

    ``private`` marks a message to a user: a refusal there means "unreachable", so the engine
    posts in the group instead; elsewhere a ``Forbidden`` (the bot was removed from the group)
    is permanent. ``done_ok`` makes "already deleted" / "not modified" a success: the outbox
    retries actions after crashes, and the second attempt must not fail because the first one
    got through.
    """
    try:
        yield
    except RetryAfter as exc:
        seconds = retry_after_seconds(exc)
        raise RetryableActionError(
            f"{action}: Telegram flood control, retry after {seconds:g}s", retry_after=seconds
        ) from exc
    except TelegramError as exc:
        if done_ok and already_done(exc):
            return
        reason = redactor.redact(str(exc))
        if private and _unreachable(exc):
            raise RecipientUnreachable(f"{action}: {reason}") from exc
        if isinstance(exc, ChatMigrated):
            # A group upgraded to a supergroup has a new id: retrying the old one cannot work.
            raise PermanentActionError(
                f"{action}: chat migrated to {exc.new_chat_id}; re-run /setup there"
            ) from exc
        if isinstance(exc, Forbidden | InvalidToken | Conflict):
            raise PermanentActionError(f"{action}: {reason}") from exc
        if isinstance(exc, BadRequest):  # before NetworkError: BadRequest subclasses it
            raise PermanentActionError(f"{action}: {reason}") from exc
        if isinstance(exc, TimedOut | NetworkError):
            raise RetryableActionError(f"{action}: {reason}") from exc
        raise RetryableActionError(f"{action}: {reason}") from exc
