"""Checks the shape of the second, independent development set ``tests/data/dev2.jsonl``.

dev2 was written separately from the tuning corpus, with different phrasings, routes and
contacts, so the detector can be checked for generalisation rather than for memorising the
corpus. These tests keep it honest: strict JSON Lines, the schema, label/kind/language sets,
the language and label mix, and no text shared with ``corpus.jsonl`` or ``holdout.jsonl`` (a
leak would make dev2 figures measure memorisation again).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
DEV2 = DATA / "dev2.jsonl"
OTHERS = (DATA / "corpus.jsonl", DATA / "holdout.jsonl")

LANGS = frozenset({"en", "fr", "ar", "fa", "ps", "ckb", "kmr", "sq", "vi", "tr", "ti", "am"})
LABELS = frozenset({"offer", "seeking", "none"})
OFFER_KINDS = frozenset(
    {
        "offer/boat",
        "offer/lorry",
        "offer/plane_docs",
        "offer/documents",
        "offer/obfuscated",
        "offer/reply",
    }
)
NEG_KINDS = frozenset(
    {
        "neg/news",
        "neg/arrest",
        "neg/death",
        "neg/ngo",
        "neg/legal_aid",
        "neg/asylum_question",
        "neg/ferry_eurostar",
        "neg/parcel",
        "neg/hgv_job",
        "neg/boat_sale",
        "neg/fishing",
        "neg/travel_agency",
        "neg/warning",
        "neg/missing_person",
        "neg/rescue_hotline",
        "neg/tourism",
        "neg/study_visa",
        "neg/remittance",
        "neg/clinic",
    }
)
FIELDS = frozenset({"id", "text", "label", "lang", "kind"})
PER_LANG_MIN = 40
TOTAL_MIN = 480


def _read(path: Path) -> list[dict[str, Any]]:
    """Parse JSON Lines strictly: every non-empty line must be one JSON object."""
    rows: list[dict[str, Any]] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - only on bad data
            pytest.fail(f"{path.name}:{lineno}: invalid JSON: {exc}")
        assert isinstance(obj, dict), f"{path.name}:{lineno}: not a JSON object"
        rows.append(obj)
    return rows


def _key(text: str) -> str:
    """Compare texts the way a copy would survive: whitespace and case do not make it new."""
    return " ".join(text.split()).casefold()


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    assert DEV2.is_file(), f"missing {DEV2}"
    return _read(DEV2)


def test_schema(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        assert set(row) == FIELDS, f"{row.get('id')}: fields {sorted(row)}"
        assert all(isinstance(row[f], str) for f in FIELDS), row["id"]
        assert row["text"].strip(), f"{row['id']}: empty text"
        assert row["lang"] in LANGS, f"{row['id']}: lang {row['lang']!r}"
        assert row["label"] in LABELS, f"{row['id']}: label {row['label']!r}"
        assert row["id"].startswith(f"dev2-{row['lang']}-"), row["id"]


def test_kind_matches_label(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        kind, label = row["kind"], row["label"]
        if label == "offer":
            assert kind in OFFER_KINDS, f"{row['id']}: offer with kind {kind!r}"
        elif label == "seeking":
            assert kind == "seeking", f"{row['id']}: seeking with kind {kind!r}"
        else:
            assert kind in NEG_KINDS, f"{row['id']}: none with kind {kind!r}"


def test_unique_ids_and_texts(rows: list[dict[str, Any]]) -> None:
    ids = Counter(r["id"] for r in rows)
    assert not [i for i, n in ids.items() if n > 1], "duplicate ids"
    texts = Counter(_key(r["text"]) for r in rows)
    dupes = [t for t, n in texts.items() if n > 1]
    assert not dupes, f"duplicate texts: {dupes[:3]}"


def test_mix(rows: list[dict[str, Any]]) -> None:
    assert len(rows) >= TOTAL_MIN
    per_lang = Counter(r["lang"] for r in rows)
    assert set(per_lang) == LANGS
    for lang in LANGS:
        assert per_lang[lang] >= PER_LANG_MIN, f"{lang}: {per_lang[lang]} messages"
        labels = Counter(r["label"] for r in rows if r["lang"] == lang)
        assert labels["offer"] and labels["seeking"], f"{lang}: {labels}"
        assert labels["none"] * 3 >= per_lang[lang], f"{lang}: too few hard negatives"
    labels = Counter(r["label"] for r in rows)
    assert labels["none"] * 3 >= len(rows), "at least a third must be hard negatives"
    assert labels["offer"] * 3 >= len(rows), "offers should be roughly 40%"
    assert labels["seeking"] * 8 >= len(rows), "seekers should be roughly 20%"
    assert len({r["kind"] for r in rows if r["label"] == "none"}) >= 15, "negatives too uniform"


@pytest.mark.parametrize("other", OTHERS, ids=lambda p: p.name)
def test_no_text_shared_with(other: Path, rows: list[dict[str, Any]]) -> None:
    if not other.is_file():
        pytest.skip(f"{other.name} absent")
    theirs = {_key(str(r.get("text", ""))) for r in _read(other)}
    shared = [r["id"] for r in rows if _key(r["text"]) in theirs]
    assert not shared, f"dev2 shares texts with {other.name}: {shared}"
