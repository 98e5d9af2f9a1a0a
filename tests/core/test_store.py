"""The SQLite store: schema, atomic batches, dedupe keys, settings, lists, retention."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import CaseFilter, MessageRef, SQLiteStore, Store
from core._store import ActionRow, AuditEntry, CaseRow, EventRow, WriteBatch

REF = MessageRef("test", "c1", "ch1", "m1")


def _event(eid: str = "e1", ref: MessageRef = REF, revision: str = "0", **kw: object) -> EventRow:
    base: dict[str, object] = dict(
        id=eid,
        ref=ref,
        revision=revision,
        created_at=time.time(),
        text_sha256="a" * 64,
        norm_hash="b" * 64,
        label="offer",
        score=0.9,
        lang="en",
        actions=["hide"],
        rules=["offer"],
        author_id="u1",
        author_name="U",
        text="the offer text",
        normalised="the offer text",
        verdict={"label": "offer"},
        entities=[{"kind": "phone", "value": "+1", "text": "+1"}],
    )
    base.update(kw)
    return EventRow(**base)  # type: ignore[arg-type]


def _action(aid: str, key: str, action: str = "hide", **kw: object) -> ActionRow:
    kw.setdefault("created_at", time.time())
    return ActionRow(id=aid, ref=REF, action=action, status="pending", dedupe_key=key, **kw)  # type: ignore[arg-type]


def _case(cid: str = "c1", **kw: object) -> CaseRow:
    now = time.time()
    base: dict[str, object] = dict(
        id=cid,
        event_id="e1",
        ref=REF,
        author_id="u1",
        author_name="U",
        text="the offer text",
        normalised="the offer text",
        text_sha256="a" * 64,
        norm_hash="b" * 64,
        lang="en",
        label="offer",
        score=0.9,
        priority="high",
        status="open",
        rule="offer",
        reasons=[],
        entities=[],
        created_at=now,
        updated_at=now,
    )
    base.update(kw)
    return CaseRow(**base)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "s.db")
    yield s
    s.close()


def test_wal_mode_and_interface(store: SQLiteStore, tmp_path: Path) -> None:
    assert isinstance(store, Store)
    mode = store._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    # Reopening an existing file keeps the data and the schema.
    store.apply(WriteBatch(event=_event()))
    again = SQLiteStore(tmp_path / "s.db")
    assert again.has_event(REF, "0")
    again.close()


def test_duplicate_event_rolls_back_the_whole_batch(store: SQLiteStore) -> None:
    r1 = store.apply(
        WriteBatch(
            event=_event(),
            actions=[_action("a1", "hide|m1")],
            audit=[AuditEntry("engine", "decision", "e1", {})],
        )
    )
    assert not r1.duplicate and len(r1.inserted) == 1
    r2 = store.apply(
        WriteBatch(
            event=_event(eid="e1b"),
            actions=[_action("a2", "x")],
            audit=[AuditEntry("engine", "decision", "e1b", {})],
        )
    )
    assert r2.duplicate and r2.inserted == ()
    assert store.get_action("a2") is None and len(store.audit_rows()) == 1


def test_dedupe_key_records_an_effect_once_and_can_be_freed(store: SQLiteStore) -> None:
    store.apply(WriteBatch(actions=[_action("a1", "hide|m1")]))
    res = store.apply(WriteBatch(actions=[_action("a2", "hide|m1")]))
    assert res.inserted == ()
    res = store.apply(WriteBatch(free_dedupe_keys=["hide|m1"], actions=[_action("a3", "hide|m1")]))
    assert [a.id for a in res.inserted] == ["a3"]
    assert {a.id for a in store.actions_for_message(REF)} == {"a1", "a3"}


def test_failed_batch_leaves_nothing(store: SQLiteStore) -> None:
    with pytest.raises(ValueError):
        store.apply(
            WriteBatch(
                event=_event(),
                case=_case(),
                audit=[AuditEntry("e", "k", "s", {})],
                actions=[_action("a1", "k1")],
                action_updates=[("a1", {"no_such_column": 1})],
            )
        )
    with pytest.raises(sqlite3.IntegrityError):  # a second case for the same message
        store.apply(WriteBatch(case=_case(), actions=[_action("a2", "k2")]))
        store.apply(WriteBatch(case=_case("other"), actions=[_action("a3", "k3")]))
    assert store.get_action("a3") is None
    assert not store.has_event(REF, "0") and store.get_action("a1") is None
    assert store.audit_rows() == []


def test_case_version_check_detects_concurrent_change(store: SQLiteStore) -> None:
    store.apply(WriteBatch(case=_case()))
    ok = store.apply(
        WriteBatch(
            case=_case(status="claimed", version=2), case_replace=True, case_expect_version=1
        )
    )
    assert not ok.stale
    stale = store.apply(
        WriteBatch(
            case=_case(status="dismissed", version=2), case_replace=True, case_expect_version=1
        )
    )
    assert stale.stale
    assert store.get_case("c1").status == "claimed"  # type: ignore[union-attr]
    assert store.case_for_message(REF).id == "c1"  # type: ignore[union-attr]


def test_pending_actions_and_updates(store: SQLiteStore) -> None:
    store.apply(WriteBatch(actions=[_action("a1", "k1"), _action("a2", "k2")]))
    store.update_action("a1", status="done", done_at=time.time(), attempts=1)
    assert [a.id for a in store.pending_actions()] == ["a2"]
    assert store.pending_actions("other") == []
    with pytest.raises(ValueError):
        store.update_action("a2", action="ban")


def test_settings_lists_and_counts(store: SQLiteStore) -> None:
    store.set_setting("telegram", "-1", "mod_chat", "-99")
    store.set_setting("telegram", "-2", "mod_chat", "-99")
    assert store.find_setting("telegram", "mod_chat", "-99") == ["-1", "-2"]
    store.set_setting("telegram", "-2", "mod_chat", None)
    assert store.get_setting("telegram", "-2", "mod_chat") is None
    assert store.settings_for("telegram", "-1") == {"mod_chat": "-99"}
    store.apply(WriteBatch(list_adds=[("test", "c1", "indicator", "+44", "alice")] * 2))
    assert store.list_values("test", "c1", "indicator") == {"+44"}
    store.apply(WriteBatch(event=_event(), actions=[_action("a1", "k1")], case=_case()))
    counts = store.counts_since("test", "c1", 0)
    assert counts["messages"] == 1 and counts["offers"] == 1 and counts["hidden"] == 1
    assert counts["cases_open"] == 1
    assert store.count_actions_since("test", "c1", "hide", 0) == 1
    assert store.verify_audit().ok  # settings changes are audited


def test_list_cases_filters(store: SQLiteStore) -> None:
    store.apply(WriteBatch(case=_case("k1", priority="normal")))
    other = MessageRef("discord", "g", "ch", "m")
    store.apply(WriteBatch(case=_case("k2", ref=other, priority="urgent", lang="ar")))
    assert [c.id for c in store.list_cases(CaseFilter())] == ["k2", "k1"]
    assert [c.id for c in store.list_cases(CaseFilter(platform="discord"))] == ["k2"]
    assert [c.id for c in store.list_cases(CaseFilter(lang="en"))] == ["k1"]
    assert [c.id for c in store.list_cases(CaseFilter(limit=1))] == ["k2"]


def test_purge_redacts_old_evidence_keeps_open_and_held_cases(store: SQLiteStore) -> None:
    old = time.time() - 40 * 86400
    benign = _event(
        "e0",
        ref=MessageRef("test", "c1", "ch1", "m0"),
        created_at=old,
        actions=[],
        label="none",
        text=None,
        author_id=None,
    )
    store.apply(WriteBatch(event=benign))
    store.apply(
        WriteBatch(event=_event(created_at=old), case=_case(created_at=old, status="confirmed"))
    )
    ref2 = MessageRef("test", "c1", "ch1", "m2")
    store.apply(
        WriteBatch(
            event=_event("e2", ref=ref2, created_at=old),
            case=_case("c2", ref=ref2, event_id="e2", created_at=old),
        )
    )  # open
    ref3 = MessageRef("test", "c1", "ch1", "m3")
    store.apply(
        WriteBatch(
            event=_event("e3", ref=ref3, created_at=old),
            case=_case("c3", ref=ref3, event_id="e3", created_at=old, status="dismissed"),
        )
    )
    store.set_hold("c3", True, actor="dashboard:alice")
    store.apply(
        WriteBatch(
            actions=[
                _action(
                    "a1",
                    "k1",
                    action="restore",
                    created_at=old,
                    payload={"text": "the offer text", "lang": "en"},
                )
            ]
        )
    )
    store.update_action("a1", status="done")
    result = store.purge(30)
    assert result.events_deleted == 1 and result.cases_redacted == 1
    assert store.get_event("e0") is None
    assert store.get_event("e1").text is None  # type: ignore[union-attr]
    assert store.get_case("c1").text is None and store.get_case("c1").author_id == ""  # type: ignore[union-attr]
    assert store.get_case("c2").text == "the offer text"  # type: ignore[union-attr]
    assert store.get_case("c3").text == "the offer text"  # type: ignore[union-attr]
    assert store.get_action("a1").payload == {"lang": "en"}  # type: ignore[union-attr]
    assert store.verify_audit().ok
    assert store.audit_rows()[-1].kind == "purge"
    with pytest.raises(ValueError):
        store.purge(-1)


def test_call_nowait_fails_fast_when_another_connection_writes(
    store: SQLiteStore, tmp_path: Path
) -> None:
    from core._store import StoreBusy

    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        t0 = time.monotonic()
        with pytest.raises(StoreBusy):
            store.call_nowait(store.apply, WriteBatch(event=_event()))
        assert time.monotonic() - t0 < 1.0  # not the 10 s busy timeout
    finally:
        other.execute("COMMIT")
        other.close()
    assert store.get_event("e1") is None  # nothing half-written
    store.call_nowait(store.apply, WriteBatch(event=_event()))
    assert store.get_event("e1") is not None
    # A thread that may wait still waits (the CLI, a dedicated writer thread).
    store.apply(WriteBatch(event=_event("e2", ref=MessageRef("test", "c1", "ch1", "m2"))))


def test_purge_works_in_short_chunks_and_can_stop_between_them(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core._store as store_module

    monkeypatch.setattr(store_module, "PURGE_CHUNK", 7)
    monkeypatch.setattr(store_module, "PURGE_PAUSE", 0.0)
    old = time.time() - 40 * 86400

    def fill(prefix: str) -> None:
        for i in range(30):  # benign (deleted) and flagged (redacted), same timestamps
            ref = MessageRef("test", "c1", "ch1", f"{prefix}{i}")
            store.apply(
                WriteBatch(
                    event=_event(
                        f"{prefix}{i}",
                        ref=ref,
                        created_at=old + i // 4,
                        actions=[] if i % 2 else ["hide"],
                    ),
                    actions=[
                        _action(
                            f"a{prefix}{i}",
                            f"k{prefix}{i}",
                            created_at=old,
                            payload={"user_id": "u", "lang": "en"},
                        )
                    ],
                )
            )
            store.update_action(f"a{prefix}{i}", status="done")

    fill("x")
    calls = 0

    def stop() -> bool:
        nonlocal calls
        calls += 1
        return calls >= 2

    first = store.purge(30, should_stop=stop)
    assert 0 < first.events_deleted < 15  # stopped between chunks
    fill("y")
    rest = store.purge(30)
    assert first.events_deleted + rest.events_deleted == 30
    assert first.events_redacted + rest.events_redacted == 30
    assert first.actions_redacted + rest.actions_redacted == 60
    assert all(a.payload == {"lang": "en"} for a in store.all_actions())
    assert store.verify_audit().ok


def test_checkpoints_can_be_left_to_a_worker_thread(tmp_path: Path) -> None:
    import threading

    store = SQLiteStore(tmp_path / "w.db", auto_checkpoint=False)
    try:
        assert store._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        for i in range(50):
            store.apply(WriteBatch(event=_event(f"e{i}", ref=MessageRef("t", "c", "ch", f"m{i}"))))
        worker = threading.Thread(target=store.checkpoint)
        worker.start()
        worker.join()
        conn = sqlite3.connect(tmp_path / "w.db")
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and frames == copied
        conn.close()
    finally:
        store.close()
    assert SQLiteStore(tmp_path / "w.db").get_event("e49") is not None
