"""Checks the shape of the labelled corpora in ``tests/data/`` and the playground samples.

The detector's quality tests trust these files, so a malformed line, a label typo or a message
that leaks from the held-out set into the tuning corpus would silently make the figures lie.
These tests keep the data honest: schema, label and language sets, the language and label mix
the acceptance bar asks for, and no text shared between files.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"
CORPUS = DATA / "corpus.jsonl"
HOLDOUT = DATA / "holdout.jsonl"
PLAYGROUND = REPO / "config" / "samples" / "playground.jsonl"

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
    }
)
KINDS = OFFER_KINDS | NEG_KINDS | {"seeking"}
REQUIRED = ("id", "text", "label", "lang", "kind")

# (file, total minimum, per-language minimum, extra minimum for the four biggest communities)
SPECS = {
    "corpus": (CORPUS, 520, 35, 50),
    "holdout": (HOLDOUT, 200, 12, 15),
}
BIG_LANGS = ("en", "fr", "ar", "fa")


def _read(path: Path) -> list[dict[str, Any]]:
    """Parse JSON Lines strictly: every non-empty line must be one JSON object."""
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - only on bad data
                pytest.fail(f"{path.name}:{lineno}: invalid JSON: {exc}")
            assert isinstance(obj, dict), f"{path.name}:{lineno}: not a JSON object"
            obj["_line"] = lineno
            rows.append(obj)
    return rows


@pytest.fixture(scope="module", params=sorted(SPECS))
def labelled(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    name = request.param
    return name, _read(SPECS[name][0])


def test_schema_and_value_sets(labelled: tuple[str, list[dict[str, Any]]]) -> None:
    name, rows = labelled
    for r in rows:
        where = f"{name}:{r['_line']}"
        for field in REQUIRED:
            assert field in r, f"{where}: missing {field!r}"
            assert isinstance(r[field], str) and r[field].strip(), f"{where}: empty {field!r}"
        assert r["label"] in LABELS, f"{where}: label {r['label']!r}"
        assert r["lang"] in LANGS, f"{where}: lang {r['lang']!r}"
        assert r["kind"] in KINDS, f"{where}: kind {r['kind']!r}"
        assert r["id"].startswith(r["lang"] + "-"), f"{where}: id {r['id']!r} vs lang"
        # The kind is the finer label; the two must agree.
        expected = (
            "offer"
            if r["kind"].startswith("offer/")
            else "seeking"
            if r["kind"] == "seeking"
            else "none"
        )
        assert r["label"] == expected, f"{where}: label {r['label']} but kind {r['kind']}"


def test_ids_and_texts_unique(labelled: tuple[str, list[dict[str, Any]]]) -> None:
    name, rows = labelled
    ids = Counter(r["id"] for r in rows)
    assert not [i for i, n in ids.items() if n > 1], f"{name}: duplicate ids"
    texts = Counter(r["text"].strip().casefold() for r in rows)
    dupes = [t[:60] for t, n in texts.items() if n > 1]
    assert not dupes, f"{name}: duplicate texts: {dupes}"


def test_language_and_label_mix(labelled: tuple[str, list[dict[str, Any]]]) -> None:
    name, rows = labelled
    _, total_min, per_lang_min, big_min = SPECS[name]
    assert len(rows) >= total_min
    per_lang = Counter(r["lang"] for r in rows)
    assert set(per_lang) == LANGS, f"{name}: languages missing: {LANGS - set(per_lang)}"
    for lang in LANGS:
        floor = big_min if lang in BIG_LANGS else per_lang_min
        assert per_lang[lang] >= floor, f"{name}: only {per_lang[lang]} {lang} messages"
    labels = Counter(r["label"] for r in rows)
    # At least a third hard negatives; offers and seekers both well represented.
    assert labels["none"] * 3 >= len(rows)
    assert labels["offer"] >= 0.3 * len(rows)
    assert labels["seeking"] >= 0.12 * len(rows)
    # Every language has offers, seekers and hard negatives, so per-language figures mean something.
    for lang in LANGS:
        got = {r["label"] for r in rows if r["lang"] == lang}
        assert got == LABELS, f"{name}: {lang} lacks {LABELS - got}"


def test_obfuscated_offers_in_every_language() -> None:
    rows = _read(CORPUS)
    langs = {r["lang"] for r in rows if r["kind"] == "offer/obfuscated"}
    assert langs == LANGS, f"no obfuscated offers for {LANGS - langs}"


def test_hard_negative_kinds_all_covered(labelled: tuple[str, list[dict[str, Any]]]) -> None:
    name, rows = labelled
    kinds = {r["kind"] for r in rows if r["label"] == "none"}
    assert kinds == NEG_KINDS, f"{name}: no examples of {sorted(NEG_KINDS - kinds)}"


def test_holdout_shares_no_text_with_corpus() -> None:
    corpus = {r["text"].strip().casefold() for r in _read(CORPUS)}
    shared = [r["id"] for r in _read(HOLDOUT) if r["text"].strip().casefold() in corpus]
    assert not shared, f"holdout messages also in corpus: {shared}"


def test_playground_samples() -> None:
    rows = _read(PLAYGROUND)
    assert len(rows) >= 30
    corpora = {r["text"].strip().casefold() for r in _read(CORPUS) + _read(HOLDOUT)}
    for r in rows:
        where = f"playground:{r['_line']}"
        for field in ("text", "lang", "label", "user"):
            assert isinstance(r.get(field), str) and r[field].strip(), f"{where}: {field!r}"
        assert r["lang"] in LANGS, where
        assert r["label"] in LABELS, where
        assert r["text"].strip().casefold() not in corpora, f"{where}: also in a corpus"
    assert {r["label"] for r in rows} == LABELS
