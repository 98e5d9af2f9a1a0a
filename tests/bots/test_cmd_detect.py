"""``channelwatch scan`` and ``channelwatch eval`` through the real CLI entry point (in-process for
the contract, and once as a subprocess for the installed console script and exit codes)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bots._cmd_detect import compute_metrics
from bots.cli import main

REPO = Path(__file__).resolve().parents[2]
OFFER = "Boat to UK from Dunkirk tonight, 3 places left, £2500, WhatsApp +44 7700 900123"
SEEKER = "Who knows a smuggler to UK? How much is it now?"
BENIGN = "Lovely weather in London today, going to the park with the kids"


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_scan_file_in_order_with_errors_inline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "\n".join(
            [
                json.dumps({"id": "a", "text": OFFER, "platform": "telegram", "extra": [1, 2]}),
                "this is not json",
                json.dumps({"id": 7, "text": SEEKER, "lang": "en", "author": "x", "channel": "c"}),
                json.dumps({"id": "no-text"}),
                json.dumps([1, 2, 3]),
                "",
                json.dumps({"text": BENIGN}),
                json.dumps({"id": "nul", "text": "\u0000\ud800 boat"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    assert main(["scan", str(src)]) == 0
    out = _lines(capsys.readouterr().out)
    assert len(out) == 7  # one per non-empty input line, in order
    assert out[0]["id"] == "a" and out[0]["label"] == "offer"
    assert {"id", "label", "score", "lang", "reasons", "entities"} <= set(out[0])
    assert any(e["kind"] == "phone" for e in out[0]["entities"])
    assert "error" in out[1] and out[1]["id"] is None and out[1]["line"] == 2
    assert out[2]["id"] == 7 and out[2]["label"] == "seeking"
    assert out[3]["id"] == "no-text" and "text" in str(out[3]["error"])
    assert "error" in out[4]
    assert out[5]["id"] is None and out[5]["label"] == "none"
    assert out[6]["id"] == "nul" and "label" in out[6]


def test_scan_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"id": 1, "text": OFFER}) + "\n"))
    assert main(["scan", "-"]) == 0
    assert _lines(capsys.readouterr().out)[0]["label"] == "offer"


def test_scan_unreadable_file_exits_non_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(tmp_path / "missing.jsonl")]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_scan_tolerates_invalid_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_bytes(b'{"id": "x", "text": "boat \xff\xfe to uk"}\n')
    assert main(["scan", str(src)]) == 0
    assert _lines(capsys.readouterr().out)[0]["id"] == "x"


def _labelled(tmp_path: Path) -> Path:
    rows = [
        {"text": OFFER, "label": "offer", "lang": "en"},
        {"text": SEEKER, "label": "seeking", "lang": "en"},
        {"text": BENIGN, "label": "none", "lang": "en"},
        {"text": "Bateau pour l'Angleterre demain, 2000 euros, écrivez en privé", "label": "offer",
         "lang": "fr"},
        {"text": "no label here"},
    ]  # fmt: skip
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nbroken\n", encoding="utf-8")
    return path


def test_eval_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(_labelled(tmp_path)), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert m["messages"] == 4 and m["skipped"] == 2
    assert m["labels"]["offer"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2}
    assert set(m["languages"]) == {"en", "fr"}
    assert m["confusion"]["offer"]["offer"] == 2
    assert m["confusion"]["none"]["none"] == 1


def test_eval_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(_labelled(tmp_path))]) == 0
    out = capsys.readouterr().out
    for heading in ("Per label", "Per language", "Confusion matrix"):
        assert heading in out
    assert "precision" in out and "offer" in out


def test_eval_unreadable_file(tmp_path: Path) -> None:
    assert main(["eval", str(tmp_path / "nope.jsonl")]) == 1


def test_metrics() -> None:
    m = compute_metrics(
        [("offer", "offer", "en"), ("offer", "none", "en"), ("none", "offer", "fr")]
    )
    assert m["labels"]["offer"]["precision"] == 0.5
    assert m["labels"]["offer"]["recall"] == 0.5
    assert m["languages"]["fr"]["offer"]["precision"] == 0.0
    assert compute_metrics([])["messages"] == 0


def test_console_script_end_to_end(tmp_path: Path) -> None:
    """The installed entry point, as a user runs it: no progress bar when stderr is a pipe."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "z", "text": OFFER}) + "\n", encoding="utf-8")
    exe = Path(sys.executable).parent / "channelwatch"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "bots.cli"]
    done = subprocess.run(
        [*cmd, "scan", str(src)], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["label"] == "offer"
    assert done.stderr == ""
    missing = subprocess.run(
        [*cmd, "scan", str(tmp_path / "nope")], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 1


class _FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": 1, "text": OFFER}) + "\n", encoding="utf-8")
    fake = _FakeTTY()
    monkeypatch.setattr(sys, "stderr", fake)
    assert main(["scan", str(src)]) == 0
    assert "scanning" in fake.getvalue()  # rich drew the bar on (our fake) terminal
    assert _lines(capsys.readouterr().out)[0]["label"] == "offer"  # stdout stays pure JSON
