"""Signing and verification: the scheme integrators implement on their side too."""

from __future__ import annotations

import pytest

from adapters.webhook._signing import SignatureError, sign, signed_headers, verify

from .receiver import integrator_sign, integrator_verify

SECRET = b"0123456789abcdef-secret"
BODY = b'{"text":"hello"}'
NOW = 1_800_000_000.0


def test_our_headers_verify_with_an_independent_implementation() -> None:
    headers = signed_headers(SECRET, BODY)
    assert integrator_verify(SECRET.decode(), BODY, headers)
    assert headers["X-Channelwatch-Signature"].startswith("sha256=")


def test_an_integrators_headers_verify_with_ours() -> None:
    h = integrator_sign(SECRET.decode(), BODY, int(NOW))
    verify(SECRET, BODY, h["X-Channelwatch-Signature"], h["X-Channelwatch-Timestamp"], now=NOW)


def test_the_timestamp_is_part_of_what_is_signed() -> None:
    # Re-using an old signature with a fresh timestamp (a replay) must fail.
    old = sign(SECRET, str(int(NOW) - 3600), BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET, BODY, old, str(int(NOW)), now=NOW)


@pytest.mark.parametrize(
    ("body", "secret", "match"),
    [
        (BODY + b" ", SECRET, "does not match"),  # altered body
        (BODY, b"another-secret-0000", "does not match"),  # wrong secret
    ],
)
def test_tampering_is_refused(body: bytes, secret: bytes, match: str) -> None:
    ts = str(int(NOW))
    with pytest.raises(SignatureError, match=match):
        verify(SECRET, body, sign(secret, ts, BODY), ts, now=NOW)


@pytest.mark.parametrize("skew", [-301, 301, -86400])
def test_timestamps_outside_the_window_are_refused(skew: int) -> None:
    ts = str(int(NOW) + skew)
    with pytest.raises(SignatureError, match="from our clock"):
        verify(SECRET, BODY, sign(SECRET, ts, BODY), ts, now=NOW)


@pytest.mark.parametrize("skew", [-299, 0, 299])
def test_timestamps_inside_the_window_are_accepted(skew: int) -> None:
    ts = str(int(NOW) + skew)
    verify(SECRET, BODY, sign(SECRET, ts, BODY), ts, now=NOW)


@pytest.mark.parametrize(
    ("signature", "timestamp", "match"),
    [
        (None, "1800000000", "missing X-Channelwatch-Signature"),
        ("sha256=00", None, "missing X-Channelwatch-Timestamp"),
        ("sha256=00", "2026-11-28T00:00:00Z", "Unix time"),
        ("sha256=00", "1" * 40, "Unix time"),
        ("sha256=00", "١٨٠٠٠٠٠٠٠٠", "Unix time"),  # Arabic-Indic digits are digits to isdigit()
        ("md5=abc", "1800000000", "sha256="),
        ("sha256=ünïcode", "1800000000", "sha256="),
        ("sha256=" + "0" * 64, "1800000000", "does not match"),
    ],
)
def test_malformed_headers_get_a_clear_reason(
    signature: str | None, timestamp: str | None, match: str
) -> None:
    with pytest.raises(SignatureError, match=match):
        verify(SECRET, BODY, signature, timestamp, now=NOW)


def test_upper_case_hex_is_accepted() -> None:
    ts = str(int(NOW))
    sig = sign(SECRET, ts, BODY)
    verify(SECRET, BODY, "sha256=" + sig.removeprefix("sha256=").upper(), ts, now=NOW)


def test_errors_never_contain_the_secret() -> None:
    for sig in (None, "x", "sha256=" + "0" * 64):
        with pytest.raises(SignatureError) as info:
            verify(SECRET, BODY, sig, str(int(NOW)), now=NOW)
        assert SECRET.decode() not in str(info.value)
