"""The playground adapter: chat state, the Adapter actions, live events, samples."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest

from adapters.playground import (
    COMMUNITY_ID,
    PlaygroundAdapter,
    PostRefused,
    Sample,
    load_samples,
)
from adapters.playground._web import pick_samples, room_for, user_for
from core import (
    Adapter,
    CaseCard,
    Decision,
    IncomingEvent,
    MessageRef,
    PermanentActionError,
    RecipientUnreachable,
)


class Recorder:
    """Stands in for the engine's ``submit`` where only the adapter's side is under test."""

    def __init__(self) -> None:
        self.events: list[IncomingEvent] = []

    async def submit(self, event: IncomingEvent) -> Decision:
        self.events.append(event)
        return Decision(ref=event.ref, verdict=None, actions=())


def drain(q: asyncio.Queue[dict]) -> list[dict]:
    out = []
    while not q.empty():
        out.append(q.get_nowait())
    return out


@pytest.fixture
def pg() -> tuple[PlaygroundAdapter, Recorder]:
    rec = Recorder()
    return PlaygroundAdapter(rec), rec


def ref(room: str, mid: str) -> MessageRef:
    return MessageRef("playground", COMMUNITY_ID, room, mid)


def test_is_an_adapter(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, _ = pg
    assert isinstance(adapter, Adapter)
    assert adapter.platform == "playground"


async def test_post_becomes_an_incoming_event(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, rec = pg
    q = adapter.subscribe()
    mid, _ = await adapter.post("general", "u-karim", "مرحبا <b>hi</b>")
    (event,) = rec.events
    assert event.ref == ref("general", mid)
    assert event.author.id == "u-karim" and event.author.display_name == "كريم"
    assert not event.author.is_moderator and event.text == "مرحبا <b>hi</b>"
    (live,) = drain(q)
    assert live["type"] == "message" and live["message"]["state"] == "visible"
    await adapter.post("general", "u-admin", "admins are exempt by policy")
    assert rec.events[-1].author.is_moderator
    await adapter.post("general", "u-newbie", "hello")
    assert rec.events[-1].author.account_age_days == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("room", "user", "text", "message"),
    [
        ("nowhere", "u-amira", "hi", "no room"),
        ("general", "u-ghost", "hi", "no user"),
        ("general", "u-amira", "   \u200b  ".replace("\u200b", ""), "empty"),
        ("general", "u-amira", "x" * 4001, "too long"),
    ],
)
async def test_post_refusals(
    pg: tuple[PlaygroundAdapter, Recorder], room: str, user: str, text: str, message: str
) -> None:
    adapter, rec = pg
    with pytest.raises(PostRefused, match=message):
        await adapter.post(room, user, text)
    assert rec.events == []


async def test_hide_and_restore_are_idempotent(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, _ = pg
    mid, _ = await adapter.post("travel", "u-amira", "some text")
    q = adapter.subscribe()
    await adapter.hide(ref("travel", mid))
    await adapter.hide(ref("travel", mid))
    await adapter.hide(ref("travel", "never-seen"))  # gone already: success
    assert adapter.message(mid)["state"] == "hidden"
    assert [e["type"] for e in drain(q)] == ["hidden"]
    await adapter.restore(ref("travel", mid), author_name="Amira", text="some text")
    await adapter.restore(ref("travel", mid), author_name="Amira", text="some text")
    assert adapter.message(mid)["state"] == "restored"
    assert [e["type"] for e in drain(q)] == ["restored"]


async def test_restore_of_a_message_from_before_a_restart(
    pg: tuple[PlaygroundAdapter, Recorder],
) -> None:
    adapter, _ = pg
    await adapter.restore(ref("general", "old-1"), author_name="Dara", text="back again")
    msg = adapter.message("old-1")
    assert msg is not None and msg["state"] == "restored" and msg["author"] == "Dara"
    with pytest.raises(PermanentActionError):
        await adapter.restore(ref("nowhere", "old-2"), author_name="x", text="y")


async def test_wrong_community_or_room_is_permanent(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, _ = pg
    with pytest.raises(PermanentActionError):
        await adapter.hide(MessageRef("playground", "elsewhere", "general", "1"))
    with pytest.raises(PermanentActionError):
        await adapter.post_notice(COMMUNITY_ID, "nowhere", "notice", lang="en")


async def test_notice_private_and_unreachable(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, _ = pg
    q = adapter.subscribe()
    await adapter.post_notice(COMMUNITY_ID, "arabic", "تمت إزالة منشور", lang="ar")
    await adapter.send_private(COMMUNITY_ID, "u-dara", "help text", lang="ckb")
    with pytest.raises(RecipientUnreachable):
        await adapter.send_private(COMMUNITY_ID, "u-lin", "help text", lang="vi")  # DMs closed
    with pytest.raises(RecipientUnreachable):
        await adapter.send_private(COMMUNITY_ID, "u-nobody", "help text", lang="en")
    events = drain(q)
    assert events[0]["type"] == "message" and events[0]["message"]["kind"] == "notice"
    assert events[0]["message"]["lang"] == "ar"
    assert events[1] == {"type": "private", "item": adapter.inbox("u-dara")[0]}
    assert adapter.inbox("u-lin") == []


async def test_ban_and_timeout_stop_posting(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, _ = pg
    await adapter.timeout(COMMUNITY_ID, "u-dara", 60, reason="offer")
    with pytest.raises(PostRefused, match="timed out"):
        await adapter.post("general", "u-dara", "hello")
    await adapter.timeout(COMMUNITY_ID, "u-dara", 0, reason="lifted")
    await adapter.post("general", "u-dara", "hello")
    await adapter.ban(COMMUNITY_ID, "u-newbie", reason="smuggling offers")
    await adapter.ban(COMMUNITY_ID, "u-newbie", reason="again")
    assert adapter.is_banned("u-newbie")
    with pytest.raises(PostRefused, match="banned"):
        await adapter.post("general", "u-newbie", "hello")
    snap = adapter.snapshot()
    assert next(u for u in snap["users"] if u["id"] == "u-newbie")["banned"]
    system = [m for m in snap["messages"]["general"] if m["kind"] == "system"]
    assert len(system) == 3  # two timeouts and one ban announced, the repeated ban is not


async def test_escalation_cards_are_upserted(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, _ = pg
    card = CaseCard(
        case_id="c1",
        ref=ref("general", "m1"),
        author_id="u-newbie",
        author_name="fast_trips_77",
        text="<img src=x onerror=alert(1)>",
        lang="en",
        label="offer",
        score=0.93,
        priority="urgent",
    )
    await adapter.escalate(card)
    await adapter.escalate(
        CaseCard(**{**{f: getattr(card, f) for f in card.__slots__}, "status": "confirmed"})
    )
    (shown,) = adapter.snapshot()["cards"]
    assert shown["status"] == "confirmed" and shown["url"] == "/cases/c1"
    assert (
        shown["text"] == "<img src=x onerror=alert(1)>"
    )  # stored as text; the page uses textContent


async def test_message_ids_differ_across_restarts() -> None:
    first = PlaygroundAdapter(Recorder())
    a, _ = await first.post("general", "u-amira", "one")
    await asyncio.sleep(0.002)
    second = PlaygroundAdapter(Recorder())
    b, _ = await second.post("general", "u-amira", "one")
    assert a != b


async def test_slow_viewer_gets_a_resync_instead_of_unbounded_memory(
    pg: tuple[PlaygroundAdapter, Recorder],
) -> None:
    adapter, _ = pg
    q = adapter.subscribe()
    for i in range(1005):
        await adapter.post_notice(COMMUNITY_ID, "general", f"n{i}", lang="en")
    items = drain(q)
    assert len(items) < 1000 and any(i["type"] == "resync" for i in items)


def test_history_is_bounded(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, _ = pg

    async def many() -> None:
        for i in range(350):
            await adapter.post_notice(COMMUNITY_ID, "general", f"n{i}", lang="en")

    asyncio.run(many())
    assert len(adapter.snapshot()["messages"]["general"]) == 300


def test_load_samples_skips_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps(
                    {"text": "boat to UK", "lang": "en", "label": "offer", "user": "u-amira"}
                ),
                "not json",
                json.dumps({"lang": "en"}),
                json.dumps([1, 2]),
                "",
                json.dumps({"text": "كيف أطلب اللجوء", "lang": "ar", "label": "seeking"}),
            ]
        ),
        encoding="utf-8",
    )
    samples = load_samples(path)
    assert [s.lang for s in samples] == ["en", "ar"]
    assert load_samples(tmp_path / "missing.jsonl") == []


def test_pick_samples_mixes_labels_and_languages() -> None:
    pool = [
        Sample(f"t{i}{lab}", lang, lab, "")
        for i, lang in enumerate(["en", "ar", "fr", "vi"])
        for lab in ("offer", "seeking", "none")
    ]
    picked = pick_samples(pool, 6, random.Random(1))
    assert len(picked) == 6 and len(set(picked)) == 6
    assert {s.label for s in picked} == {"offer", "seeking", "none"}
    assert len({s.lang for s in picked}) >= 3
    assert len(pick_samples(pool[:2], 10)) == 2


def test_samples_go_to_fitting_rooms_and_users(pg: tuple[PlaygroundAdapter, Recorder]) -> None:
    adapter, _ = pg
    assert room_for(adapter, Sample("x", "ar", "offer", "")) == "arabic"
    assert room_for(adapter, Sample("x", "en", "seeking", "")) == "travel"
    assert user_for(adapter, Sample("x", "en", "none", "u-dara")) == "u-dara"
    assert user_for(adapter, Sample("x", "en", "none", "Dara")) == "u-dara"
    persona = user_for(adapter, Sample("x", "en", "none", "Ayşe"))
    assert adapter.users[persona].name == "Ayşe" and not adapter.users[persona].is_admin
    assert user_for(adapter, Sample("y", "en", "none", "ayşe")) == persona
    assert user_for(adapter, Sample("x", "en", "none", "")) != "u-admin"
    for i in range(100):
        adapter.persona(f"member {i}")
    assert len(adapter.users) <= 6 + 60  # personas are bounded
