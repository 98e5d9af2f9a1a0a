"""``channelwatch replay / cases / audit verify / purge`` through the real CLI entry point."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bots.cli import main
from tests.core._engine_fixtures import BENIGN, OFFER, OFFER_AR, SEEKER


def _input(tmp_path: Path) -> Path:
    lines = [
        {"id": "m1", "text": OFFER, "author_id": "smuggler"},
        {"id": "m2", "text": SEEKER, "author_id": "traveller"},
        {"id": "m3", "text": BENIGN},
        {"message_id": "m4", "text": OFFER_AR, "channel": "other", "lang": "ar"},
        {"message_id": "m3", "text": OFFER, "edited": True},  # an edit turning m3 into an offer
    ]
    path = tmp_path / "in.jsonl"
    body = "\n".join(json.dumps(o, ensure_ascii=False) for o in lines)
    path.write_text(body + '\nnot json\n{"no_text": 1}\n\n', encoding="utf-8")
    return path


def _counts(db: Path) -> tuple[int, int, int, int]:
    conn = sqlite3.connect(db)
    out = tuple(
        conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("events", "cases", "actions", "audit")
    )
    conn.close()
    return out


def test_replay_prints_dispatched_effects_and_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src, db = _input(tmp_path), tmp_path / "r.db"
    assert main(["replay", str(src), "--db", str(db), "--community", "grp"]) == 0
    out, err = capsys.readouterr()
    effects = [json.loads(line) for line in out.splitlines()]
    by_msg: dict[str, set[str]] = {}
    for e in effects:
        assert e["status"] == "done"
        by_msg.setdefault(e["message_id"], set()).add(e["action"])
    assert by_msg["m1"] == {"hide", "notice", "statement", "escalate"}
    assert by_msg["m2"] == {"redirect_private"}
    assert by_msg["m3"] >= {"hide", "escalate"}
    assert "hide" in by_msg["m4"]
    ar_notice = [e for e in effects if e["message_id"] == "m4" and e["action"] == "notice"]
    assert ar_notice and ar_notice[0]["lang"] == "ar"
    assert "2 malformed" in err
    first = _counts(db)

    assert main(["replay", str(src), "--db", str(db), "--community", "grp"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and "5 already processed" in err
    assert _counts(db)[:3] == first[:3]  # no new events, cases or actions


def test_cases_audit_verify_and_purge(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, db = _input(tmp_path), tmp_path / "r.db"
    main(["replay", str(src), "--db", str(db)])
    capsys.readouterr()

    assert main(["cases", "--db", str(db), "--json"]) == 0
    cases = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {c["message_id"] for c in cases} == {"m1", "m3", "m4"}
    assert all(c["status"] == "open" and c["platform"] == "replay" for c in cases)
    assert main(["cases", "--db", str(db)]) == 0
    assert "m1" in capsys.readouterr().out
    assert main(["cases", "--db", str(db), "--status", "confirmed"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["cases", "--db", str(db), "--status", "bogus"]) == 2

    assert main(["audit", "verify", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "intact" in out
    head = out.split("head ")[1].strip()
    assert main(["audit", "verify", "--db", str(db), "--expect-head", head]) == 0
    capsys.readouterr()

    assert main(["purge", "--db", str(db), "--older-than", "0"]) == 0
    purged = json.loads(capsys.readouterr().out)
    assert purged["events_deleted"] >= 1  # the benign first revision of m3, and the seeker's
    assert main(["audit", "verify", "--db", str(db)]) == 0
    capsys.readouterr()

    conn = sqlite3.connect(db)
    conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    conn.commit()
    conn.close()
    assert main(["audit", "verify", "--db", str(db)]) == 1
    assert "BROKEN at seq 2" in capsys.readouterr().out


def test_missing_database_and_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "nope.db")
    assert main(["cases", "--db", missing]) == 2
    assert main(["audit", "verify", "--db", missing]) == 2
    assert main(["purge", "--db", missing, "--older-than", "3"]) == 2
    assert main(["purge", "--db", missing, "--older-than", "-1"]) == 2
    assert main(["replay", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "x.db")]) == 1
    assert not (tmp_path / "nope.db").exists()
