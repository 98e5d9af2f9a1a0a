"""Moderators acting from the integrator's own review buttons: /v1/cases/{id}/{action}."""

from __future__ import annotations

from typing import Any

from .conftest import Stack, message
from .test_inbound import OFFER, SEEKER

MOD = {"moderator": {"id": "mod-1", "name": "Alex"}}


async def open_case(stack: Stack, message_id: str = "r1") -> str:
    decision = await (await stack.post(message(message_id, OFFER))).json()
    await stack.receiver.wait_for(lambda r: len(r.of("escalate")) >= 1)
    assert await stack.engine.wait_idle(10)
    case_id: str = decision["case_id"]
    return case_id


async def review(stack: Stack, case_id: str, action: str, body: dict[str, Any]) -> Any:
    return await stack.post(body, path=f"/v1/cases/{case_id}/{action}")


async def test_claim_then_dismiss_restores_the_message(stack: Stack) -> None:
    case_id = await open_case(stack)
    claimed = await review(stack, case_id, "claim", MOD)
    assert claimed.status == 200
    assert (await claimed.json())["status"] == "claimed"
    dismissed = await review(stack, case_id, "dismiss", {**MOD, "note": "a ferry ad"})
    body = await dismissed.json()
    assert dismissed.status == 200 and body["status"] == "dismissed"
    assert body["decided_by"]
    await stack.receiver.wait_for(lambda r: len(r.of("restore")) == 1)
    (restore,) = stack.receiver.of("restore")
    assert restore["message_id"] == "r1" and restore["text"] == OFFER


async def test_confirm_with_ban(stack: Stack) -> None:
    case_id = await open_case(stack)
    resp = await review(stack, case_id, "confirm", {**MOD, "ban": True})
    assert resp.status == 200 and (await resp.json())["status"] == "confirmed"
    await stack.receiver.wait_for(lambda r: len(r.of("ban")) == 1)
    assert stack.receiver.of("ban")[0]["user_id"] == "u-r1"


async def test_an_invalid_transition_is_409(stack: Stack) -> None:
    case_id = await open_case(stack)
    assert (await review(stack, case_id, "confirm", MOD)).status == 200
    again = await review(stack, case_id, "dismiss", MOD)
    assert again.status == 409
    assert (await again.json())["error"] == "conflict"


async def test_notes_and_appeals(stack: Stack) -> None:
    case_id = await open_case(stack)
    assert (await review(stack, case_id, "note", {**MOD, "note": "seen before"})).status == 200
    assert (await review(stack, case_id, "note", MOD)).status == 400  # a note needs text
    assert (await review(stack, case_id, "confirm", MOD)).status == 200
    appeal = await review(stack, case_id, "appeal", {"text": "I was selling a fishing boat"})
    assert appeal.status == 200 and (await appeal.json())["status"] == "open"


async def test_review_requests_are_validated_and_signed(stack: Stack) -> None:
    case_id = await open_case(stack)
    assert (await review(stack, case_id, "claim", {})).status == 400  # no moderator
    bad = await review(stack, case_id, "claim", {"moderator": {"id": ""}})
    assert bad.status == 400 and "moderator.id" in (await bad.json())["message"]
    assert (await review(stack, case_id, "explode", MOD)).status == 404
    assert (await review(stack, "c-nope", "claim", MOD)).status == 404
    unsigned = await stack.client.post(f"/v1/cases/{case_id}/claim", json=MOD)
    assert unsigned.status == 401
    case = await stack.engine.review.get_case(case_id)
    assert case is not None and str(case.status) == "open"


async def test_cases_of_other_platforms_are_invisible(stack: Stack) -> None:
    from adapters.recording import RecordingAdapter
    from core import Author, IncomingEvent, MessageRef

    stack.engine.register_adapter(RecordingAdapter("telegram"))
    other = await stack.engine.submit(
        IncomingEvent(MessageRef("telegram", "g", "g", "1"), Author("u"), OFFER)
    )
    assert other.case_id
    resp = await review(stack, other.case_id, "dismiss", MOD)
    assert resp.status == 404


async def test_a_seeker_has_no_case_to_review(stack: Stack) -> None:
    decision = await (await stack.post(message("r2", SEEKER))).json()
    assert decision["case_id"] is None
