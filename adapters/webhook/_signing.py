"""Request signing, both ways: HMAC-SHA256 with a shared secret, bound to a timestamp.

A signed request carries two headers::

    X-Channelwatch-Timestamp: 1764290000            (Unix seconds, the sender's clock)
    X-Channelwatch-Signature: sha256=<hex>           (HMAC-SHA256 of "<timestamp>." + raw body)

The timestamp is part of the signed bytes. Signing the body alone would let anyone who once saw a
request replay it later with a fresh timestamp header; binding the two means a captured request
is only good for the tolerance window (five minutes by default), and within that window the
engine's redelivery de-duplication makes a replay harmless.

The comparison is constant-time (:func:`hmac.compare_digest`) so the signature cannot be guessed
byte by byte from response times. The secret never appears in errors or logs.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureError",
    "sign",
    "signed_headers",
    "verify",
]

SIGNATURE_HEADER = "X-Channelwatch-Signature"
TIMESTAMP_HEADER = "X-Channelwatch-Timestamp"
_PREFIX = "sha256="
_MAX_TIMESTAMP_LEN = 20  # a Unix time in seconds; anything longer is not one


class SignatureError(Exception):
    """Why a request's signature was refused; the message is safe to return to the caller."""


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The ``X-Channelwatch-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return _PREFIX + mac.hexdigest()


def signed_headers(secret: bytes, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """Both headers for an outgoing request (what integrators must send us, too)."""
    timestamp = str(int(time.time() if now is None else now))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(
    secret: bytes,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> None:
    """Raise :class:`SignatureError` unless ``signature`` is ours for ``body`` at ``timestamp``.

    The checks run cheapest first (headers present and well-formed, timestamp in the window)
    and the MAC is compared last, in constant time.
    """
    if not signature:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    if not timestamp:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} header")
    timestamp = timestamp.strip()
    if len(timestamp) > _MAX_TIMESTAMP_LEN or not timestamp.isascii() or not timestamp.isdigit():
        raise SignatureError(f"{TIMESTAMP_HEADER} must be Unix time in whole seconds")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is more than {tolerance:g} s from our clock "
            "(a replayed request, or the sender's clock is wrong)"
        )
    signature = signature.strip()
    if not signature.startswith(_PREFIX) or not signature.isascii():
        raise SignatureError(f"{SIGNATURE_HEADER} must look like 'sha256=<hex digest>'")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), signature.lower().encode("ascii")):
        raise SignatureError("signature does not match the body (wrong secret or altered body)")
