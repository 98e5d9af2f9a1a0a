"""Configuration from the environment: clear errors, safe defaults, the secret never shown."""

from __future__ import annotations

import pytest

from adapters.webhook import WebhookAdapter, build_from_env
from adapters.webhook._config import WebhookConfig, parse_capabilities
from core import Capability

SECRET = "s3cret-value-that-is-long-enough"


class _NoEngine:
    """build_from_env only stores the engine; nothing is submitted in these tests."""

    review: object = None

    async def submit(self, event: object) -> object:  # pragma: no cover - never called
        raise AssertionError


def build(**env: str) -> WebhookAdapter | None:
    full = {"CHANNELWATCH_WEBHOOK_" + k.upper(): v for k, v in env.items()}
    return build_from_env(_NoEngine(), full)  # type: ignore[arg-type]


def test_no_secret_means_no_adapter() -> None:
    assert build() is None
    assert build(secret="   ", callback_url="http://127.0.0.1:1/x") is None


def test_defaults() -> None:
    adapter = build(secret=SECRET, callback_url="https://forum.example/hooks/cw")
    assert adapter is not None
    assert adapter.platform == "webhook"
    assert adapter.capabilities == frozenset(Capability)
    assert adapter.config.max_body == 64 * 1024
    assert adapter.config.tolerance == 300


def test_the_secret_is_never_shown() -> None:
    adapter = build(secret=SECRET, callback_url="https://forum.example/hooks/cw")
    assert SECRET not in repr(adapter)
    assert SECRET not in repr(adapter.config)  # type: ignore[union-attr]
    with pytest.raises(ValueError) as info:
        build(secret="short-secret")
    assert "at least 16" in str(info.value)
    assert "short-secret" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, frozenset(Capability)),
        ("", frozenset(Capability)),
        ("all", frozenset(Capability)),
        ("none", frozenset()),
        ("hide, Notice ,escalate", {Capability.HIDE, Capability.NOTICE, Capability.ESCALATE}),
    ],
)
def test_capabilities(value: str | None, expected: frozenset[Capability]) -> None:
    assert parse_capabilities(value) == expected


def test_unknown_capability_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown 'delete'.*private_message"):
        parse_capabilities("hide,delete")


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"callback_url": "ftp://forum.example/x"}, "CALLBACK_URL must be an http"),
        ({"callback_url": "forum.example/x"}, "CALLBACK_URL must be an http"),
        ({"callback_url": "https://user:pw@forum.example/x"}, "must not carry credentials"),
        ({"platform": "Forum!"}, "PLATFORM 'Forum!' must be"),
        ({"platform": "telegram"}, "built-in adapter"),
        ({"max_body": "lots"}, "MAX_BODY must be a number"),
        ({"max_body": "10"}, "MAX_BODY must be at least"),
        ({"timeout": "0"}, "TIMEOUT must be between"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build(secret=SECRET, **env)


def test_custom_platform_and_limits() -> None:
    adapter = build(secret=SECRET, platform="forum", max_body="2048", timeout="2.5")
    assert adapter is not None
    assert adapter.platform == "forum"
    assert adapter.config.max_body == 2048
    assert adapter.config.timeout == 2.5
    assert adapter.config.callback_url is None


def test_config_is_usable_directly() -> None:
    cfg = WebhookConfig(secret=SECRET, capabilities=frozenset({Capability.HIDE}))
    assert cfg.secret_bytes == SECRET.encode()
