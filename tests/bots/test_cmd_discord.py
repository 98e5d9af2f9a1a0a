"""``channelwatch discord invite-url``: the URL, its permissions and where the id comes from."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import discord
import pytest

from adapters.discord._invite import REQUIRED_PERMISSIONS, client_id_from_token
from bots.cli import main

APP_ID = "880000000000000001"


def _token(app_id: str = APP_ID) -> str:
    first = base64.b64encode(app_id.encode()).decode().rstrip("=")
    return f"{first}.GhJkLm.not-a-real-secret-000000000000000000"


def _query(url: str) -> dict[str, list[str]]:
    parsed = urlparse(url)
    assert (parsed.scheme, parsed.netloc, parsed.path) == (
        "https",
        "discord.com",
        "/oauth2/authorize",
    )
    return parse_qs(parsed.query)


def test_invite_url_has_exactly_the_permissions_used(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_CLIENT_ID", raising=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert main(["discord", "invite-url", "--client-id", APP_ID]) == 0
    q = _query(capsys.readouterr().out.strip())
    assert q["client_id"] == [APP_ID]
    assert q["scope"] == ["bot applications.commands"]
    perms = discord.Permissions(int(q["permissions"][0]))
    assert perms == discord.Permissions(**dict.fromkeys(REQUIRED_PERMISSIONS, True))
    # What the adapter does needs these; nothing broader (no Administrator) is asked for.
    for needed in ("view_channel", "manage_messages", "moderate_members", "ban_members"):
        assert getattr(perms, needed)
    assert perms.manage_webhooks and perms.embed_links and perms.send_messages
    assert not perms.administrator and not perms.manage_guild


def test_client_id_from_env_then_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISCORD_CLIENT_ID", "123456789012345678")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", _token())
    assert main(["discord", "invite-url"]) == 0
    assert _query(capsys.readouterr().out.strip())["client_id"] == ["123456789012345678"]

    monkeypatch.delenv("DISCORD_CLIENT_ID")
    assert main(["discord", "invite-url"]) == 0
    out = capsys.readouterr().out
    assert _query(out.strip())["client_id"] == [APP_ID]
    assert "not-a-real-secret" not in out  # the token never reaches the output


def test_missing_or_bad_id_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_CLIENT_ID", raising=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert main(["discord", "invite-url"]) == 2
    assert "--client-id" in capsys.readouterr().err
    assert main(["discord", "invite-url", "--client-id", "my-bot"]) == 2
    assert "number" in capsys.readouterr().err


def test_explain_lists_each_permission(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discord", "invite-url", "--client-id", APP_ID, "--explain"]) == 0
    out = capsys.readouterr().out
    assert "Manage Webhooks: restore dismissed messages" in out


def test_automod_adds_manage_server_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["discord", "invite-url", "--client-id", APP_ID, "--automod", "--explain"]) == 0
    out = capsys.readouterr().out
    perms = discord.Permissions(int(_query(out.splitlines()[0])["permissions"][0]))
    plain = discord.Permissions(**dict.fromkeys(REQUIRED_PERMISSIONS, True))
    assert perms.value == plain.value | discord.Permissions(manage_guild=True).value
    assert "Manage Server: keep confirmed smugglers' contacts" in out


@pytest.mark.parametrize("token", ["", "....", "!!!.x.y", "bm90LWRpZ2l0cw.x.y"])
def test_token_without_an_id(token: str) -> None:
    assert client_id_from_token(token) is None


def test_token_with_an_id() -> None:
    assert client_id_from_token(_token("42")) == "42"
