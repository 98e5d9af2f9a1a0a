"""POST /v1/messages through the real Engine, with actions arriving at a real receiver."""

from __future__ import annotations

import json
import time
from typing import Any

from .conftest import Stack, StackFactory, message
from .receiver import Receiver, Reply

OFFER = (
    "Boat leaving Gravelines for England tomorrow night, two places left. 2000 pounds each, "
    "pay on arrival. Write me on WhatsApp +44 7700 900456"
)
SEEKER = "hello, does anybody know someone who can take me to England? how much does it cost?"
BENIGN = "The ferry to Dover was cancelled today because of the storm"


async def settle(stack: Stack) -> None:
    assert await stack.engine.wait_idle(10)


async def test_an_offer_is_hidden_noticed_told_and_escalated(stack: Stack) -> None:
    resp = await stack.post(message("m1", OFFER))
    assert resp.status == 200
    decision = await resp.json()
    assert decision["label"] == "offer"
    assert decision["score"] > 0.5
    assert decision["lang"] == "en"
    assert decision["duplicate"] is False
    assert decision["case_id"]
    assert {"hide", "notice", "escalate"} <= set(decision["actions"])

    r = stack.receiver
    await r.wait_for(
        lambda r: (
            {"hide", "notice", "private_message", "escalate"} <= {p["action"] for p in r.delivered}
        )
    )
    await settle(stack)
    assert r.of("hide") == [
        {
            "action": "hide",
            "platform": "webhook",
            "community_id": "forum-1",
            "channel_id": "general",
            "message_id": "m1",
        }
    ]
    (notice,) = r.of("notice")
    assert notice["channel_id"] == "general" and notice["lang"] == "en" and notice["text"]
    # The statement of reasons goes privately to the poster.
    (statement,) = r.of("private_message")
    assert statement["user_id"] == "u-m1"
    (card,) = r.of("escalate")
    assert card["case"]["case_id"] == decision["case_id"]
    assert card["case"]["text"] == OFFER
    assert card["case"]["label"] == "offer"
    # ... and the outbox says every action is done.
    statuses = {a.action: a.status for a in await stack.actions("m1")}
    assert statuses == {"hide": "done", "notice": "done", "statement": "done", "escalate": "done"}


async def test_a_seeker_gets_a_private_help_message_only(stack: Stack) -> None:
    resp = await stack.post(message("m2", SEEKER))
    decision = await resp.json()
    assert decision["label"] == "seeking"
    assert decision["actions"] == ["redirect_private"]
    assert decision["case_id"] is None
    await stack.receiver.wait_for(lambda r: len(r.delivered) == 1)
    await settle(stack)
    (pm,) = stack.receiver.delivered
    assert pm["action"] == "private_message" and pm["user_id"] == "u-m2"
    assert "UNHCR" in pm["text"] or "Red Cross" in pm["text"]


async def test_a_benign_message_does_nothing(stack: Stack) -> None:
    resp = await stack.post(message("m3", BENIGN))
    decision = await resp.json()
    assert decision["label"] == "none"
    assert decision["actions"] == [] and decision["case_id"] is None
    await settle(stack)
    assert stack.receiver.attempts == []
    assert await stack.has_event("m3")


async def test_a_bad_signature_is_401_and_nothing_is_recorded(stack: Stack) -> None:
    resp = await stack.post(message("m4", OFFER), secret="an-attacker-guess-0000000")
    assert resp.status == 401
    body = await resp.json()
    assert body["error"] == "bad_signature" and "does not match" in body["message"]
    await settle(stack)
    assert not await stack.has_event("m4")
    assert stack.receiver.attempts == []


async def test_missing_signature_headers_are_401(stack: Stack) -> None:
    resp = await stack.client.post("/v1/messages", json=message("m5", OFFER))
    assert resp.status == 401
    assert "missing X-Channelwatch-Signature" in (await resp.json())["message"]
    assert not await stack.has_event("m5")


async def test_a_stale_timestamp_is_401(stack: Stack) -> None:
    resp = await stack.post(message("m6", OFFER), timestamp=int(time.time()) - 600)
    assert resp.status == 401
    assert "from our clock" in (await resp.json())["message"]
    future = await stack.post(message("m6", OFFER), timestamp=int(time.time()) + 600)
    assert future.status == 401
    assert not await stack.has_event("m6")


async def test_an_oversize_body_is_413_before_anything_else(stack: Stack) -> None:
    big = message("m7", "x" * (70 * 1024))
    resp = await stack.post(big)
    assert resp.status == 413
    assert "larger than 65536 bytes" in (await resp.json())["message"]
    # Unsigned and oversize: still 413, without reading it all.
    resp = await stack.client.post("/v1/messages", data=b"{" * (200 * 1024))
    assert resp.status == 413
    assert not await stack.has_event("m7")


async def test_a_chunked_oversize_body_is_counted_while_read(stack: Stack) -> None:
    async def chunks() -> Any:
        for _ in range(10):
            yield b" " * 10_000

    resp = await stack.client.post("/v1/messages", data=chunks())
    assert resp.status == 413


async def test_the_size_limit_is_configurable(make_stack: StackFactory) -> None:
    stack = await make_stack(max_body="2048")
    assert (await stack.post(message("m8", "y" * 3000))).status == 413
    assert (await stack.post(message("m8", "y" * 1000))).status == 200


async def test_malformed_json_is_400_with_a_clear_error(stack: Stack) -> None:
    cases = {
        b'{"community_id": "forum-1",': "not valid JSON: Expecting property name",
        b"": "body is empty",
        b"\xff\xfe{}": "not UTF-8",
        b'{"text": NaN}': "NaN is not valid JSON",
        b"[" * 30_000 + b"]" * 30_000: "nested too deeply",
        b"[1, 2]": "the body must be a JSON object",
    }
    for raw, expected in cases.items():
        resp = await stack.post(raw=raw)
        assert resp.status == 400, raw[:30]
        body = await resp.json()
        text = body["message"] + json.dumps(body.get("details", []))
        assert expected in text, (raw[:30], body)
    assert stack.receiver.attempts == []


async def test_invalid_fields_are_named(stack: Stack) -> None:
    bad = message("m9", OFFER)
    del bad["author"]["id"]
    bad["links"] = ["https://ok.example", 5]
    bad["is_moderater"] = True
    resp = await stack.post(bad)
    assert resp.status == 400
    body = await resp.json()
    assert body["error"] == "invalid_message"
    fields = {d["field"]: d["problem"] for d in body["details"]}
    assert fields["author.id"] == "Field required"
    assert fields["links[1]"] == "Input should be a valid string"
    assert fields["is_moderater"] == "Extra inputs are not permitted"
    assert "author.id: Field required" in body["message"]
    assert not await stack.has_event("m9")


async def test_a_platform_mismatch_is_refused(stack: Stack) -> None:
    resp = await stack.post(message("m10", OFFER, platform="matrix"))
    assert resp.status == 400
    assert "serves 'webhook', not 'matrix'" in (await resp.json())["message"]
    ok = await stack.post(message("m10", BENIGN, platform="webhook"))
    assert ok.status == 200


async def test_numeric_ids_and_optional_fields_are_accepted(stack: Stack) -> None:
    payload = message(
        "m11",
        BENIGN,
        links=["https://news.example/ferry"],
        reply_to=42,
        lang_hint="en-GB",
        timestamp="2026-11-28T01:02:03+01:00",
    )
    payload["message_id"] = 11
    payload["author"] = {"id": 7, "display_name": "Sam", "account_age_days": 3, "is_bot": False}
    resp = await stack.post(payload)
    assert resp.status == 200
    assert (await resp.json())["message_id"] == "11"
    assert await stack.has_event("11")


async def test_a_redelivery_returns_the_same_decision_and_acts_once(stack: Stack) -> None:
    first = await (await stack.post(message("m12", OFFER))).json()
    await stack.receiver.wait_for(lambda r: len(r.of("escalate")) == 1)
    again = await (await stack.post(message("m12", OFFER))).json()
    assert again == {**first, "duplicate": True}
    await settle(stack)
    assert len(stack.receiver.of("hide")) == 1
    assert len(stack.receiver.of("escalate")) == 1
    assert len(await stack.actions("m12")) == len(first["actions"])


async def test_moderators_are_exempt(stack: Stack) -> None:
    payload = message("m13", OFFER)
    payload["author"]["is_moderator"] = True
    decision = await (await stack.post(payload)).json()
    assert decision["actions"] == [] and decision["label"] is None
    await settle(stack)
    assert stack.receiver.attempts == []


async def test_an_edit_is_judged_again(stack: Stack) -> None:
    await stack.post(message("m14", BENIGN))
    edit = await (await stack.post(message("m14", OFFER, edited=True, revision="2"))).json()
    assert edit["label"] == "offer" and "hide" in edit["actions"]
    assert edit["revision"] == "2"
    # An edit without a revision gets one from its text: redelivered, it is processed once.
    first = await (await stack.post(message("m15", OFFER, edited=True))).json()
    second = await (await stack.post(message("m15", OFFER, edited=True))).json()
    assert first["revision"].startswith("t") and second["duplicate"] is True
    await stack.receiver.wait_for(lambda r: len(r.of("hide")) == 2)


async def test_429_then_success_ends_in_a_delivered_action(stack: Stack) -> None:
    stack.receiver.script("hide", Reply(429, {"Retry-After": "0.05"}), Reply(503))
    await stack.post(message("m16", OFFER))
    await stack.receiver.wait_for(lambda r: len(r.of("hide")) == 1)
    await settle(stack)
    assert len(stack.receiver.tried("hide")) == 3
    (hide,) = [a for a in await stack.actions("m16") if a.action == "hide"]
    assert hide.status == "done" and hide.attempts == 3


async def test_a_refused_private_message_falls_back_to_the_channel(stack: Stack) -> None:
    stack.receiver.script("private_message", Reply(410, body='{"error":"user left"}'))
    await stack.post(message("m17", SEEKER))
    await stack.receiver.wait_for(lambda r: len(r.of("notice")) == 1)
    await settle(stack)
    (notice,) = stack.receiver.of("notice")
    assert notice["channel_id"] == "general" and "user_id" not in notice
    statuses = sorted((a.action, a.status) for a in await stack.actions("m17"))
    assert statuses == [("notice", "done"), ("redirect_private", "fallback")]


async def test_a_permanent_refusal_is_recorded_with_its_reason(stack: Stack) -> None:
    stack.receiver.script("hide", Reply(403, body='{"error":"bot lacks the right"}'))
    await stack.post(message("m18", OFFER))
    await stack.receiver.wait_for(lambda r: len(r.of("escalate")) == 1)
    await settle(stack)
    (hide,) = [a for a in await stack.actions("m18") if a.action == "hide"]
    assert hide.status == "failed" and "403" in (hide.last_error or "")
    assert "bot lacks the right" in (hide.last_error or "")


async def test_declared_capabilities_make_the_engine_degrade(make_stack: StackFactory) -> None:
    stack = await make_stack(capabilities="hide,notice,escalate")
    decision = await (await stack.post(message("m19", SEEKER))).json()
    # No private messages here: the seeker's help is posted in the channel instead.
    assert decision["actions"] == ["notice"]
    await stack.receiver.wait_for(lambda r: len(r.of("notice")) == 1)
    await settle(stack)
    assert stack.receiver.tried("private_message") == []


async def test_without_a_callback_decisions_still_come_back(make_stack: StackFactory) -> None:
    stack = await make_stack(callback=False)
    decision = await (await stack.post(message("m20", OFFER))).json()
    assert decision["label"] == "offer" and "hide" in decision["actions"]
    await settle(stack)
    hide = next(a for a in await stack.actions("m20") if a.action == "hide")
    assert hide.status == "failed" and "CALLBACK_URL" in (hide.last_error or "")


async def test_health(stack: Stack) -> None:
    resp = await stack.client.get("/v1/health")
    assert await resp.json() == {"status": "ok", "platform": "webhook", "callback": True}


async def test_the_engine_being_closed_is_a_503_to_retry(stack: Stack) -> None:
    await stack.engine.close()
    resp = await stack.post(message("m21", OFFER))
    assert resp.status == 503
    assert resp.headers["Retry-After"] == "5"


async def test_a_custom_platform_name_flows_through(
    make_stack: StackFactory, receiver: Receiver
) -> None:
    stack = await make_stack(platform="forum")
    decision = await (await stack.post(message("m22", OFFER, platform="forum"))).json()
    assert decision["label"] == "offer"
    await receiver.wait_for(lambda r: len(r.of("hide")) == 1)
    assert receiver.of("hide")[0]["platform"] == "forum"


async def test_hostile_text_is_processed(stack: Stack) -> None:
    hostile = [
        "B\u200bo\u200ba\u200bt t\u200bo U\u200bK " + OFFER,  # zero-width characters
        "Z\u0335\u0321a\u0337\u0322l\u0334g\u0336o" * 500,  # zalgo
        "\u202eKU ot taob\u202c 2000 £",  # a right-to-left override
        "\ud800 lone surrogate \udfff",  # valid JSON, not valid Unicode
        "\x00\x01\x1b[31m",  # control characters and an ANSI escape
        "قارب إلى بريطانيا غدا " * 500,  # about 56 KB once \u-escaped: under 64 KiB
    ]
    for i, text in enumerate(hostile):
        raw = json.dumps(message(f"h{i}", text)).encode()  # \u escapes: surrogates survive
        assert len(raw) < stack.adapter.config.max_body
        resp = await stack.post(raw=raw)
        assert resp.status == 200, (i, await resp.text())
        body = await resp.json()
        assert body["label"] in ("offer", "seeking", "none")
    await settle(stack)


async def test_concurrent_redeliveries_are_processed_once(stack: Stack) -> None:
    import asyncio

    responses = await asyncio.gather(*(stack.post(message("c1", OFFER)) for _ in range(20)))
    bodies = [await r.json() for r in responses]
    assert all(r.status == 200 for r in responses)
    assert sum(not b["duplicate"] for b in bodies) == 1
    original = next(b for b in bodies if not b["duplicate"])
    assert all({**b, "duplicate": False} == original for b in bodies)
    await stack.receiver.wait_for(lambda r: len(r.of("escalate")) == 1)
    await settle(stack)
    assert len(stack.receiver.of("hide")) == 1


async def test_a_redelivery_after_a_restart_returns_the_first_decision(
    tmp_path: Any, receiver: Receiver
) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from adapters.webhook import build_from_env
    from core import Engine

    from .conftest import FAST_RETRY
    from .receiver import SECRET, integrator_sign

    env = {"CHANNELWATCH_WEBHOOK_SECRET": SECRET, "CHANNELWATCH_WEBHOOK_CALLBACK_URL": receiver.url}
    answers = []
    for _run in range(2):  # the same database, a new engine and adapter: a restart
        engine = await Engine.open(tmp_path / "cw.db", retry=FAST_RETRY)
        adapter = build_from_env(engine, env)
        assert adapter is not None
        engine.register_adapter(adapter)
        await engine.start()
        client: TestClient[Any, Any] = TestClient(TestServer(adapter.app(), host="127.0.0.1"))
        await client.start_server()
        try:
            for mid, text in (("x1", OFFER), ("x2", BENIGN)):
                body = json.dumps(message(mid, text)).encode()
                resp = await client.post(
                    "/v1/messages", data=body, headers=integrator_sign(SECRET, body)
                )
                answers.append(await resp.json())
            assert await engine.wait_idle(10)
        finally:
            await client.close()
            await adapter.stop()
            await engine.close()
    first_offer, first_benign, again_offer, again_benign = answers
    assert first_offer["label"] == "offer" and first_offer["case_id"]
    assert again_offer == {**first_offer, "duplicate": True}
    assert again_benign == {**first_benign, "duplicate": True}
    assert len(receiver.of("hide")) == 1
