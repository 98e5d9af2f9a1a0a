"""The engine end to end: real detector, real SQLite store, the recording adapter."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from core import Capability, CaseFilter, CaseStatus, Label, Verdict
from tests.core._engine_fixtures import (
    BENIGN,
    BENIGN_PHONE,
    OFFER,
    OFFER_2,
    OFFER_AR,
    SEEKER,
    event,
    policy,
    running_engine,
)


def _actions(engine, ref):  # type: ignore[no-untyped-def]
    return {(a.action, a.status) for a in engine.store.actions_for_message(ref)}


async def test_offer_is_hidden_noticed_explained_and_escalated(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        ev = event(OFFER, author="smuggler")
        decision = await engine.submit(ev)
        assert decision.verdict is not None and decision.verdict.label is Label.OFFER
        assert decision.actions == ("hide", "notice", "statement", "escalate")
        assert decision.case_id is not None and not decision.duplicate and not decision.shadow
        await engine.wait_idle()
        assert adapter.hidden == {ev.ref}
        (notice,) = adapter.of("post_notice")
        assert notice.args["channel_id"] == "ch1" and "UNHCR" in notice.args["text"]
        (statement,) = adapter.of("send_private")
        assert statement.args["user_id"] == "smuggler"
        assert "appeal" in statement.args["text"].lower()
        card = adapter.cards[decision.case_id]
        assert card.text == OFFER and card.priority == "urgent"  # "tomorrow night": imminent
        assert {e.kind for e in card.entities} >= {"phone", "price"}
        assert _actions(engine, ev.ref) == {
            ("hide", "done"),
            ("notice", "done"),
            ("statement", "done"),
            ("escalate", "done"),
        }
        case = await engine.review.get_case(decision.case_id)
        assert case is not None and case.status is CaseStatus.OPEN and case.rule == "offer"
        assert case.text == OFFER and case.author_id == "smuggler"
        # Evidence: original text, its hash and the verdict are stored with the event.
        row = engine.store.get_event(engine.store.actions_for_message(ev.ref)[0].event_id or "")
        assert row is not None and row.text == OFFER and row.verdict is not None
        assert len(row.text_sha256) == 64 and row.entities
        assert engine.store.verify_audit().ok


async def test_hide_is_dispatched_first_and_fast(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await engine.submit(event(OFFER))
        await adapter.wait_for(lambda a: bool(a.of("hide")))
        assert adapter.calls[0].method == "hide"
        assert loop.time() - t0 < 1.0  # pushed to the dispatcher, never polled


async def test_seeker_gets_private_help_and_nothing_is_kept(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        ev = event(SEEKER, author="traveller")
        decision = await engine.submit(ev)
        assert decision.verdict is not None and decision.verdict.label is Label.SEEKING
        assert decision.actions == ("redirect_private",) and decision.case_id is None
        await engine.wait_idle()
        (msg,) = adapter.of("send_private")
        assert msg.args["user_id"] == "traveller" and "UNHCR" in msg.args["text"]
        assert not adapter.of("hide") and not adapter.of("escalate")
        assert await engine.review.list_cases(CaseFilter(statuses=tuple(CaseStatus))) == []
        (action,) = engine.store.actions_for_message(ev.ref)
        assert action.status == "done" and "user_id" not in action.payload
        ev_row = engine.store.get_event(action.event_id or "")
        assert ev_row is not None
        assert ev_row.text is None and ev_row.author_id is None and ev_row.author_name is None
        # The seeker's id appears nowhere in the database any more.
        dump = "\n".join(engine.store._conn.iterdump())  # type: ignore[attr-defined]
        assert "traveller" not in dump


async def test_benign_message_does_nothing_and_keeps_no_text(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        for i, text in enumerate((BENIGN, BENIGN_PHONE)):
            decision = await engine.submit(event(text, msg=str(i)))
            assert decision.actions == () and decision.verdict is not None
        await engine.wait_idle()
        assert adapter.calls == []
        dump = "\n".join(engine.store._conn.iterdump())  # type: ignore[attr-defined]
        assert "park with the kids" not in dump and "u1" not in dump


async def test_redelivery_is_processed_once(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        ev = event(OFFER)
        first = await engine.submit(ev)
        again = await asyncio.gather(*(engine.submit(ev) for _ in range(5)))
        assert not first.duplicate and all(d.duplicate for d in again)
        await engine.wait_idle()
        assert len(adapter.of("hide")) == 1 and len(adapter.of("escalate")) == 1
        assert len(engine.store.actions_for_message(ev.ref)) == 4


async def test_redelivery_after_restart_is_processed_once(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _):
        await engine.submit(event(OFFER))
    async with running_engine(tmp_path) as (engine, adapter):
        assert (await engine.submit(event(OFFER))).duplicate
        await engine.wait_idle()
        assert adapter.calls == []


async def test_edit_adding_contact_to_harmless_post_is_reevaluated(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        original = await engine.submit(event("Going to the UK next month, any tips?"))
        assert original.actions == ()
        edited = await engine.submit(event(OFFER, revision="e1", edited=True))
        assert "hide" in edited.actions and edited.case_id is not None
        await engine.wait_idle()
        assert len(adapter.of("hide")) == 1


async def test_edit_of_hidden_offer_updates_case_without_acting_twice(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        first = await engine.submit(event(OFFER))
        await engine.wait_idle()
        second = await engine.submit(event(OFFER_2, revision="e1", edited=True))
        assert second.case_id == first.case_id
        await engine.wait_idle()
        assert len(adapter.of("hide")) == 1
        assert len(adapter.of("post_notice")) == 1 and len(adapter.of("send_private")) == 1
        cards = adapter.of("escalate")
        assert len(cards) == 2 and cards[-1].args["card"].text == OFFER_2
        case = await engine.review.get_case(first.case_id or "")
        assert case is not None and case.text == OFFER_2


async def test_moderators_bots_exempt_roles_and_channels_are_exempt(tmp_path: Path) -> None:
    pol = policy(
        [{"id": "offer", "when": {"label": "offer"}, "actions": ["hide"]}],
        settings={"exempt_roles": ["ngo"], "exempt_channels": ["news"]},
    )
    async with running_engine(tmp_path, policy=pol) as (engine, adapter):
        cases = [
            event(OFFER, msg="1", moderator=True),
            event(OFFER, msg="2", bot=True),
            event(OFFER, msg="3", roles=("ngo",)),
            event(OFFER, msg="4", channel="news"),
        ]
        for ev in cases:
            d = await engine.submit(ev)
            assert d.verdict is None and d.actions == ()
        assert (await engine.submit(event(OFFER, msg="5"))).actions == ("hide",)
        await engine.wait_idle()
        assert len(adapter.of("hide")) == 1


async def test_community_shadow_mode_records_everything_and_does_nothing(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        await engine.settings.set("test", "c1", "shadow", "true")
        ev = event(OFFER)
        decision = await engine.submit(ev)
        assert decision.shadow and "hide" in decision.actions and decision.case_id is None
        await engine.wait_idle()
        assert adapter.calls == []
        rows = engine.store.actions_for_message(ev.ref)
        assert {r.action for r in rows} >= {"hide", "notice", "statement", "escalate"}
        assert all(r.status == "skipped" and r.last_error == "shadow mode" for r in rows)
        assert (await engine.status("test", "c1")).shadow
        # Other communities are unaffected.
        live = await engine.submit(event(OFFER, community="c2"))
        assert not live.shadow


async def test_shadow_rule_is_recorded_beside_live_rules(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        ev = event(OFFER, age=1.0)  # a new account: the shipped trial rule would time it out
        decision = await engine.submit(ev)
        assert "timeout" not in decision.actions and not decision.shadow
        await engine.wait_idle()
        assert not adapter.of("timeout")
        timeout = [r for r in engine.store.actions_for_message(ev.ref) if r.action == "timeout"]
        assert len(timeout) == 1 and timeout[0].status == "skipped"
        assert timeout[0].rule == "new-account-offer-timeout"


async def test_daily_quota_falls_back_to_escalation(tmp_path: Path) -> None:
    pol = policy(
        [{"id": "ban-offers", "when": {"label": "offer"}, "actions": ["hide", "ban"]}],
        quotas={"ban": 2},
    )
    async with running_engine(tmp_path, policy=pol) as (engine, adapter):
        decisions = [
            await engine.submit(event(OFFER, msg=str(i), author=f"u{i}")) for i in range(4)
        ]
        assert [("ban" in d.actions, "escalate" in d.actions) for d in decisions] == [
            (True, False),
            (True, False),
            (False, True),
            (False, True),
        ]
        await engine.wait_idle()
        assert len(adapter.of("ban")) == 2 and len(adapter.of("escalate")) == 2
        case = await engine.review.get_case(decisions[3].case_id or "")
        assert case is not None and any("quota" in n["text"] for n in case.notes)


async def test_quota_survives_restart(tmp_path: Path) -> None:
    pol = policy([{"id": "b", "when": {"label": "offer"}, "actions": ["ban"]}], quotas={"ban": 1})
    async with running_engine(tmp_path, policy=pol) as (engine, _):
        assert (await engine.submit(event(OFFER, msg="1"))).actions == ("ban",)
    async with running_engine(tmp_path, policy=pol) as (engine, _):
        assert (await engine.submit(event(OFFER, msg="2", author="u2"))).actions == ("escalate",)


async def test_public_notices_are_rate_limited_per_channel(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        first = await engine.submit(event(OFFER, msg="1"))
        second = await engine.submit(event(OFFER_2, msg="2"))
        other_channel = await engine.submit(event(OFFER_2, msg="3", channel="ch2"))
        assert "notice" in first.actions and "notice" not in second.actions
        assert "notice" in other_channel.actions and "hide" in second.actions
        await engine.wait_idle()
        assert len(adapter.of("post_notice")) == 2
        skipped = [r for r in engine.store.actions_for_message(second.ref) if r.action == "notice"]
        assert skipped[0].status == "skipped" and "rate-limited" in (skipped[0].last_error or "")


async def test_notice_interval_zero_disables_rate_limit(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        await engine.settings.set("test", "c1", "notice_interval_seconds", "0")
        for i in range(3):
            await engine.submit(event(OFFER, msg=str(i)))
        await engine.wait_idle()
        assert len(adapter.of("post_notice")) == 3


def _public_texts(lang: str = "en") -> tuple[str, str]:
    from core import RedirectTexts

    texts = RedirectTexts.load()
    return texts.get("public_notice", lang).text, texts.get("seeker_help_public", lang).text


def _assert_nothing_personal(posts: list[str], *people: str) -> None:
    """Channel posts are public: no statement of reasons, no private help, nobody named."""
    public_notice, seeker_public = _public_texts()
    for text in posts:
        assert text in (public_notice, seeker_public), text
        assert "appeal" not in text.lower() and "private" not in text.lower()
        for person in people:
            assert person not in text


async def test_platform_without_private_messages_gets_public_notices_only(tmp_path: Path) -> None:
    caps = frozenset(Capability) - {Capability.PRIVATE_MESSAGE, Capability.BAN}
    pol = policy(
        [
            {"id": "offer", "when": {"label": "offer"}, "actions": ["hide", "statement", "ban"]},
            {"id": "seek", "when": {"label": "seeking"}, "actions": ["redirect_private"]},
        ]
    )
    async with running_engine(tmp_path, capabilities=caps, policy=pol) as (engine, adapter):
        offer = await engine.submit(event(OFFER, msg="1", author="poster"))
        assert offer.actions == ("hide", "notice", "escalate")  # ban -> escalate
        second = await engine.submit(event(OFFER_2, msg="2", author="poster2"))
        assert second.actions == ("hide", "escalate")  # this channel just got its notice
        seekers = [
            await engine.submit(event(SEEKER, msg=f"s{i}", author=f"traveller{i}"))
            for i in range(3)
        ]
        assert [d.actions for d in seekers] == [("notice",), (), ()]
        await engine.wait_idle()
        assert not adapter.of("send_private") and not adapter.of("ban")
        posts = [c.args["text"] for c in adapter.of("post_notice")]
        assert len(posts) == 2  # one public notice, one general help for seekers
        _assert_nothing_personal(posts, "poster", "traveller", "name-")
        # The statement of reasons is recorded, not sent: kept for moderators and appeals.
        statement = next(
            r for r in engine.store.actions_for_message(offer.ref) if r.action == "statement"
        )
        assert statement.status == "fallback" and "no private messages" in (
            statement.last_error or ""
        )
        assert "appeal" in statement.payload["text"].lower()
        assert any(
            r.kind == "action.fallback" and r.detail["action_id"] == statement.id
            for r in engine.store.audit_rows()
        )
        # Nothing about a seeker is kept: no id, no text, only the kind and language.
        for d in seekers:
            rows = {r.action: r for r in engine.store.actions_for_message(d.ref)}
            assert rows["redirect_private"].status == "fallback"
            assert set(rows["redirect_private"].payload) <= {"kind", "lang", "note"}
        kinds = [
            (r.payload.get("kind"), r.status)
            for d in seekers
            for r in engine.store.actions_for_message(d.ref)
            if r.action == "notice"
        ]
        assert kinds == [("seeker_help_public", "done")] + [("seeker_help_public", "skipped")] * 2


async def test_unreachable_seeker_gets_one_general_notice_per_channel(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        people = [f"traveller{i}" for i in range(4)]
        adapter.unreachable.update(people)
        refs = []
        for i, person in enumerate(people):
            channel = "ch2" if i == 3 else "ch1"
            d = await engine.submit(event(SEEKER, msg=str(i), author=person, channel=channel))
            refs.append(d.ref)
            await engine.wait_idle()  # each refusal settles before the next seeker writes
        notices = adapter.of("post_notice")
        assert sorted(c.args["channel_id"] for c in notices) == ["ch1", "ch2"]
        _assert_nothing_personal([c.args["text"] for c in notices], "traveller", "name-")
        assert {c.args["text"] for c in notices} == {_public_texts()[1]}
        for ref in refs:
            rows = {r.action: r for r in engine.store.actions_for_message(ref)}
            private = rows["redirect_private"]
            assert private.status == "fallback" and "user_id" not in private.payload
            assert "nothing about the person is kept" in (private.last_error or "")
            if "notice" in rows:
                assert "user_id" not in rows["notice"].payload
                assert rows["notice"].payload["kind"] == "seeker_help_public"
        assert (
            len([r for r in engine.store.audit_rows() if r.kind == "action.fallback_notice"]) == 4
        )
    # Reopening and restarting does not send anything again.
    async with running_engine(tmp_path) as (engine, adapter):
        await engine.wait_idle()
        assert adapter.calls == []


async def test_unreachable_poster_never_gets_the_statement_published(tmp_path: Path) -> None:
    # The shipped policy: the offer's own public notice is posted, so nothing more is.
    async with running_engine(tmp_path) as (engine, adapter):
        adapter.unreachable.update({"poster", "poster2"})
        first = await engine.submit(event(OFFER, msg="1", author="poster"))
        await engine.wait_idle()
        second = await engine.submit(event(OFFER_2, msg="2", author="poster2"))
        await engine.wait_idle()
        posts = [c.args["text"] for c in adapter.of("post_notice")]
        assert len(posts) == 1
        _assert_nothing_personal(posts, "poster", "name-")
        for d in (first, second):
            rows = {r.action: r for r in engine.store.actions_for_message(d.ref)}
            statement = rows["statement"]
            assert statement.status == "fallback"
            assert "kept for moderators and appeals" in (statement.last_error or "")
            assert "appeal" in statement.payload["text"].lower()  # still there for the case
            assert statement.case_id == d.case_id
    # A policy without a public notice: the channel gets one in place of the statements, once.
    pol = policy(
        [{"id": "offer", "when": {"label": "offer"}, "actions": ["hide", "statement", "escalate"]}]
    )
    async with running_engine(tmp_path, policy=pol, db_name="b.db") as (engine, adapter):
        adapter.unreachable.update({f"poster{i}" for i in range(3)})
        for i in range(3):
            await engine.submit(event(OFFER if i % 2 else OFFER_2, msg=str(i), author=f"poster{i}"))
            await engine.wait_idle()
        posts = [c.args["text"] for c in adapter.of("post_notice")]
        assert posts == [_public_texts()[0]]
        _assert_nothing_personal(posts, "poster", "name-")


async def test_notice_language_follows_message_then_community(tmp_path: Path) -> None:
    pol = policy(
        [{"id": "o", "when": {"label": "offer"}, "actions": ["notice"]}],
        settings={"language": "fr", "notice_interval_seconds": 0},
    )
    async with running_engine(tmp_path, policy=pol) as (engine, adapter):
        await engine.submit(event(OFFER_AR, msg="1"))
        await engine.wait_idle()
        assert adapter.of("post_notice")[-1].args["lang"] == "ar"

        real = engine.detector

        class Und:
            """The real detector, but the language could not be told."""

            def detect(self, text: str, *, lang_hint: str | None = None) -> Verdict:
                return replace(real.detect(text, lang_hint=lang_hint), lang="und")

        engine.detector = Und()
        try:
            await engine.submit(event(OFFER, msg="2"))
            await engine.wait_idle()
        finally:
            engine.detector = real
        assert adapter.of("post_notice")[-1].args["lang"] == "fr"


async def test_subscribers_get_live_events_and_slow_ones_drop_oldest(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _):
        q = engine.subscribe()
        tiny = engine.subscribe(maxsize=2)
        decision = await engine.submit(event(OFFER))
        await engine.wait_idle()
        seen = []
        while not q.empty():
            seen.append(q.get_nowait())
        types = [e["type"] for e in seen]
        assert types[0] == "decision" and "case" in types and types.count("action") == 4
        assert seen[0]["case_id"] == decision.case_id
        assert tiny.qsize() == 2 and tiny.get_nowait()["type"] == "action"
        engine.unsubscribe(q)
        engine.unsubscribe(tiny)


async def test_status_counts_and_rules(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _):
        for i, text in enumerate((OFFER, SEEKER, BENIGN)):
            await engine.submit(event(text, msg=str(i)))
        await engine.wait_idle()
        st = await engine.status("test", "c1")
        assert st.counts_24h["messages"] == 3 and st.counts_24h["offers"] == 1
        assert st.counts_24h["seeking"] == 1 and st.counts_24h["hidden"] == 1
        assert st.counts_24h["cases_open"] == 1
        assert any(line.startswith("offer:") for line in st.rules)


async def test_hostile_input_is_handled(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _adapter):
        huge = ("a" * 10_000 + " ") * 50  # 500k characters
        zalgo = "B\u0336o\u0337a\u0338t\u0335 " * 200 + OFFER
        for i, text in enumerate((huge, zalgo, "", "\u200b" * 1000, "\ud800 lone surrogate")):
            d = await engine.submit(event(text, msg=f"h{i}"))
            assert not d.duplicate
        await engine.wait_idle()
        assert engine.store.verify_audit().ok


async def test_adapter_registered_after_start_gets_parked_actions(tmp_path: Path) -> None:
    from adapters.recording import RecordingAdapter
    from core import Engine

    engine = await Engine.open(tmp_path / "x.db")
    try:
        await engine.start()
        await engine.submit(event(OFFER, platform="late"))
        late = RecordingAdapter("late")
        engine.register_adapter(late)
        await late.wait_for(lambda a: len(a.calls) == 4)
    finally:
        await engine.close()


async def test_dedicated_database_thread_mode(tmp_path: Path) -> None:
    async with running_engine(tmp_path, db_thread=True) as (engine, adapter):
        decisions = await asyncio.gather(
            *(engine.submit(event(OFFER, msg=str(i))) for i in range(20)),
            engine.submit(event(SEEKER, msg="s")),
        )
        assert sum("hide" in d.actions for d in decisions) == 20
        await engine.wait_idle()
        assert len(adapter.of("hide")) == 20 and len(adapter.of("escalate")) == 20
        assert engine.store.verify_audit().ok


async def test_group_commit_keeps_batches_independent(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _):
        ev = event(OFFER)
        # Concurrent redeliveries of one event: exactly one is recorded.
        results = await asyncio.gather(*(engine.submit(ev) for _ in range(10)))
        assert sum(not d.duplicate for d in results) == 1
        others = await asyncio.gather(
            *(engine.submit(event(BENIGN, msg=f"b{i}")) for i in range(50))
        )
        assert not any(d.duplicate for d in others)
        assert len(engine.store.actions_for_message(ev.ref)) == 4


async def test_private_message_decided_before_adapter_known_falls_back_at_dispatch(
    tmp_path: Path,
) -> None:
    from adapters.recording import RecordingAdapter
    from core import Engine

    engine = await Engine.open(tmp_path / "x.db")
    try:
        await engine.start()
        ev = event(SEEKER, platform="nopm", author="traveller")
        assert (await engine.submit(ev)).actions == ("redirect_private",)
        adapter = RecordingAdapter("nopm", frozenset(Capability) - {Capability.PRIVATE_MESSAGE})
        engine.register_adapter(adapter)
        await adapter.wait_for(lambda a: bool(a.of("post_notice")))
        await engine.wait_idle()
        rows = {r.action: r for r in engine.store.actions_for_message(ev.ref)}
        assert rows["redirect_private"].status == "fallback"
        assert "user_id" not in rows["redirect_private"].payload
        assert rows["notice"].status == "done"
        assert rows["notice"].payload["kind"] == "seeker_help_public"
        assert "user_id" not in rows["notice"].payload
    finally:
        await engine.close()


async def test_quota_holds_under_concurrent_submits(tmp_path: Path) -> None:
    pol = policy([{"id": "b", "when": {"label": "offer"}, "actions": ["ban"]}], quotas={"ban": 2})
    async with running_engine(tmp_path, policy=pol) as (engine, adapter):
        decisions = await asyncio.gather(
            *(engine.submit(event(OFFER, msg=str(i), author=f"u{i}")) for i in range(8))
        )
        assert sum("ban" in d.actions for d in decisions) == 2
        assert sum("escalate" in d.actions for d in decisions) == 6
        await engine.wait_idle()
        assert len(adapter.of("ban")) == 2


async def test_per_community_override_file(tmp_path: Path) -> None:
    d = tmp_path / "policy.d"
    d.mkdir()
    (d / "grp.toml").write_text(
        '[community]\nplatform = "test"\nid = "strict"\n'
        '[settings]\nlanguage = "fr"\nlanguages = ["fr"]\n'
        '[rules.offer]\nactions = ["hide", "notice", "escalate"]\n'
        "[[extra_rules]]\n"
        'id = "code-word"\nwhen = { regex = ["(?i)taxi\\\\s+game"] }\n'
        'actions = ["hide", "escalate"]\n'
        '[texts.fr]\npublic_notice = "Message retiré (texte du groupe)."\n',
        encoding="utf-8",
    )
    async with running_engine(tmp_path, policy_overrides_dir=d) as (engine, adapter):
        strict = await engine.submit(
            event("who wants a TAXI  game this weekend", community="strict")
        )
        assert strict.actions == ("hide", "escalate")
        case = await engine.review.get_case(strict.case_id or "")
        assert case is not None and case.rule == "code-word"
        relaxed = await engine.submit(event("who wants a TAXI  game this weekend", community="x"))
        assert relaxed.actions == ()
        offer = await engine.submit(event(OFFER, msg="2", community="strict"))
        assert offer.actions == ("hide", "notice", "escalate")  # no statement here
        await engine.wait_idle()
        (notice,) = adapter.of("post_notice")
        assert (
            notice.args["text"] == "Message retiré (texte du groupe)."
            and notice.args["lang"] == "fr"
        )


async def test_settings_api(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _):
        await engine.settings.set("telegram", "-1", "mod_chat", "-99")
        await engine.settings.set("telegram", "-2", "mod_chat", "-99")
        assert await engine.settings.find("telegram", "mod_chat", "-99") == ["-1", "-2"]
        assert await engine.settings.get("telegram", "-1", "mod_chat") == "-99"
        await engine.settings.set("telegram", "-1", "mod_chat", None)
        assert await engine.settings.get("telegram", "-1", "mod_chat") is None
        with pytest.raises(ValueError, match="shadow"):
            await engine.settings.set("telegram", "-1", "shadow", "perhaps")
        with pytest.raises(ValueError):
            await engine.settings.set("telegram", "-1", "notice_interval_seconds", "-1")
        with pytest.raises(ValueError):
            await engine.settings.set("telegram", "-1", "", "x")
        await engine.settings.set("telegram", "-1", "shadow", "on")
        assert (await engine.status("telegram", "-1")).shadow
        assert any(r.kind == "settings.set" for r in engine.store.audit_rows())


async def test_adapter_bookkeeping_settings_keep_the_community_cache(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, _):
        reads: list[str] = []
        settings_for = engine.store.settings_for

        def counting(platform: str, community_id: str) -> dict[str, str]:
            reads.append(community_id)
            return settings_for(platform, community_id)

        engine.store.settings_for = counting  # type: ignore[method-assign]
        await engine.submit(event(BENIGN, msg="1"))
        assert reads == ["c1"]
        # Adapters write one of these per review card: nothing decided depends on them.
        for i in range(5):
            await engine.settings.set("test", "c1", f"card:case{i}", f"chat:{i}")
            await engine.submit(event(BENIGN, msg=f"b{i}"))
        assert reads == ["c1"]
        # A policy setting applies from the next message on.
        await engine.settings.set("test", "c1", "shadow", "on")
        decision = await engine.submit(event(OFFER, msg="2"))
        assert reads == ["c1", "c1"] and decision.shadow
        await engine.settings.set("test", "c1", "community_name", "Calais Friends")
        await engine.submit(event(BENIGN, msg="3"))
        assert reads == ["c1", "c1", "c1"]


async def test_the_loop_never_waits_for_a_write_lock_held_elsewhere(tmp_path: Path) -> None:
    import sqlite3

    async with running_engine(tmp_path) as (engine, adapter):
        await engine.submit(event(BENIGN, msg="warm"))
        other = sqlite3.connect(tmp_path / "cw.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process (a CLI purge) holds the write lock
        try:
            submit = asyncio.create_task(engine.submit(event(OFFER, msg="1")))
            ticks = 0
            for _ in range(40):
                await asyncio.sleep(0.005)
                ticks += 1
            # The loop kept running (before: blocked in BEGIN IMMEDIATE for the busy timeout),
            # and the decision waits for the lock instead of failing.
            assert ticks == 40 and not submit.done()
        finally:
            other.execute("COMMIT")
            other.close()
        decision = await asyncio.wait_for(submit, 5)
        assert decision.actions == ("hide", "notice", "statement", "escalate")
        await adapter.wait_for(lambda a: bool(a.hidden))
        assert engine.store.verify_audit().ok


async def test_statement_of_reasons_tells_how_to_appeal_in_the_posters_language(
    tmp_path: Path,
) -> None:
    from tests.core._engine_fixtures import OFFER_FR

    async with running_engine(tmp_path) as (engine, adapter):
        await engine.submit(event(OFFER_FR))
        await engine.wait_idle()
        (dm,) = adapter.of("send_private")
        assert dm.args["lang"] == "fr"
        assert "répondez aux modérateurs" in dm.args["text"]
        assert "reply to the moderators" not in dm.args["text"]


async def test_a_policy_appeal_text_is_used_in_every_language(tmp_path: Path) -> None:
    from tests.core._engine_fixtures import OFFER_FR, policy

    rules = [{"id": "offer", "when": {"label": "offer"}, "actions": ["statement"]}]
    custom = policy(rules, settings={"appeal": "write to appeals@example.org"})
    async with running_engine(tmp_path, policy=custom) as (engine, adapter):
        await engine.submit(event(OFFER_FR))
        await engine.wait_idle()
        (dm,) = adapter.of("send_private")
        assert "appeals@example.org" in dm.args["text"]
