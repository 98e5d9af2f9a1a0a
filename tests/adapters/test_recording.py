"""The recording adapter: a real core.Adapter that records calls and misbehaves on request."""

from __future__ import annotations

import asyncio

import pytest

from adapters.recording import RecordingAdapter
from core import (
    Adapter,
    Capability,
    CaseCard,
    MessageRef,
    PermanentActionError,
    RecipientUnreachable,
    RetryableActionError,
)

REF = MessageRef("replay", "c", "ch", "m")


async def test_implements_the_adapter_protocol_and_records_calls() -> None:
    a = RecordingAdapter()
    assert isinstance(a, Adapter) and a.capabilities == frozenset(Capability)
    await a.start()
    await a.hide(REF)
    await a.hide(REF)  # idempotent
    await a.post_notice("c", "ch", "text", lang="en")
    await a.send_private("c", "u", "hi", lang="ar")
    await a.timeout("c", "u", 60, reason="r")
    await a.ban("c", "u", reason="r")
    card = CaseCard("k1", REF, "u", "U", "t", "en", "offer", 0.9, "high")
    await a.escalate(card)
    await a.restore(REF, author_name="U", text="t")
    assert [c.method for c in a.calls] == [
        "hide",
        "hide",
        "post_notice",
        "send_private",
        "timeout",
        "ban",
        "escalate",
        "restore",
    ]
    assert a.hidden == set() and a.restored == {REF} and a.cards["k1"] is card
    assert a.calls[0].message_id == "m" and a.calls[6].message_id == "m"
    assert a.of("send_private")[0].args["lang"] == "ar"
    await a.stop()
    assert not a.started


async def test_configured_failures() -> None:
    a = RecordingAdapter("x", [Capability.HIDE])
    assert a.platform == "x" and a.capabilities == {Capability.HIDE}
    a.fail("hide", 2)
    a.fail("ban", 1, PermanentActionError("no rights"))
    for _ in range(2):
        with pytest.raises(RetryableActionError):
            await a.hide(REF)
    await a.hide(REF)
    with pytest.raises(PermanentActionError):
        await a.ban("c", "u", reason="r")
    assert len(a.of("hide")) == 1 and len(a.of("hide", succeeded=False)) == 3
    a.unreachable.add("u")
    with pytest.raises(RecipientUnreachable):
        await a.send_private("c", "u", "t", lang="en")


async def test_hang_and_wait_for() -> None:
    a = RecordingAdapter(latency=0.01)
    a.hang("hide")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(a.hide(REF), 0.1)
    task = asyncio.create_task(a.hide(REF))
    await a.wait_for(lambda ad: len(ad.of("hide")) == 1)
    await task
    with pytest.raises(TimeoutError):
        await a.wait_for(lambda ad: False, within=0.05)
