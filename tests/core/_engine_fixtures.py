"""Shared helpers for the engine tests: messages the real detector classifies clearly, events,
and a running engine on a temporary SQLite file with a recording adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from adapters.recording import RecordingAdapter
from core import Author, Capability, Engine, IncomingEvent, MessageRef, Policy, RetryPolicy

OFFER = (
    "Boat to UK leaving Dunkirk tomorrow night, 3 places left. £2500 per person, pay when you "
    "arrive. WhatsApp +44 7700 900123"
)
OFFER_2 = "Boat to UK from Calais this week, 2000 euro, 100% safe, inbox me"
OFFER_FR = (
    "Passage vers l'Angleterre en bateau depuis Calais, 1500 euros, places limitées, écrivez en "
    "privé"
)
OFFER_AR = "قارب إلى إيطاليا من ليبيا غدا، السعر 2000 دولار، مضمون 100%، تواصل واتساب"
SEEKER = "Who knows someone to take me to UK by boat? how much does it cost?"
BENIGN = "lovely weather today, going to the park with the kids"
BENIGN_PHONE = "Call me about the flat: +44 7700 900456"
PHONE_CONFIRMED = "+447700900123"

FAST_RETRY = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, call_timeout=0.5)


def event(
    text: str,
    *,
    msg: str = "1",
    author: str = "u1",
    channel: str = "ch1",
    community: str = "c1",
    platform: str = "test",
    revision: str = "0",
    edited: bool = False,
    moderator: bool = False,
    bot: bool = False,
    age: float | None = None,
    roles: tuple[str, ...] = (),
    links: tuple[str, ...] = (),
) -> IncomingEvent:
    return IncomingEvent(
        ref=MessageRef(platform, community, channel, msg),
        author=Author(
            id=author,
            display_name=f"name-{author}",
            is_moderator=moderator,
            is_bot=bot,
            account_age_days=age,
            roles=roles,
        ),
        text=text,
        edited=edited,
        revision=revision,
        links=links,
    )


def policy(rules: list[dict[str, Any]], **sections: Any) -> Policy:
    return Policy.from_dict({"rules": rules, **sections})


@asynccontextmanager
async def running_engine(
    tmp_path: Path,
    *,
    platform: str = "test",
    capabilities: Iterable[Capability] | None = None,
    start: bool = True,
    db_name: str = "cw.db",
    **kwargs: Any,
) -> AsyncIterator[tuple[Engine, RecordingAdapter]]:
    kwargs.setdefault("retry", FAST_RETRY)
    engine = await Engine.open(tmp_path / db_name, **kwargs)
    adapter = (
        RecordingAdapter(platform)
        if capabilities is None
        else RecordingAdapter(platform, capabilities)
    )
    engine.register_adapter(adapter)
    if start:
        await engine.start()
    try:
        yield engine, adapter
    finally:
        await engine.close()
