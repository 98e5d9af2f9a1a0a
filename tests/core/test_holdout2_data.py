"""Shape checks for the independent held-out set ``tests/data/holdout2.jsonl``.

The held-out set was written without looking at the detector's language packs, its
configuration or the other corpora, so that it measures how well the detector generalises.
These tests do not score the detector; they only guard the data: well-formed lines, known
labels, languages and subtypes, a balanced mix, and — most importantly — no message shared
with any other corpus in ``tests/data/``, since an overlap would leak tuning data into the
held-out measurement.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
HOLDOUT = DATA_DIR / "holdout2.jsonl"

FIELDS = {"id", "text", "label", "lang", "kind"}
LANGS = {"en", "fr", "ar", "fa", "ps", "ckb", "kmr", "sq", "vi", "tr", "ti", "am"}
OFFER_KINDS = {
    "offer/boat",
    "offer/lorry",
    "offer/plane_docs",
    "offer/documents",
    "offer/obfuscated",
    "offer/reply",
}
NEG_KINDS = {
    f"neg/{k}"
    for k in (
        "news arrest death ngo legal_aid asylum_question ferry_eurostar parcel hgv_job "
        "boat_sale fishing travel_agency warning missing_person rescue_hotline tourism "
        "study_visa remittance clinic chat"
    ).split()
}
KIND_LABEL = {k: "offer" for k in OFFER_KINDS} | {k: "none" for k in NEG_KINDS}
KIND_LABEL["seeking"] = "seeking"
MIN_PER_LANG = 30


def _load(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
                pytest.fail(f"{path.name}:{n}: invalid JSON ({exc})")
            assert isinstance(obj, dict), f"{path.name}:{n}: not a JSON object"
            rows.append(obj)
    return rows


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    assert HOLDOUT.is_file(), f"missing {HOLDOUT}"
    return _load(HOLDOUT)


def test_every_line_is_valid_json(rows: list[dict[str, Any]]) -> None:
    raw = [ln for ln in HOLDOUT.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(raw) == len(rows)
    assert len(rows) >= MIN_PER_LANG * len(LANGS)


def test_fields_and_values(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        assert set(r) == FIELDS, r.get("id")
        assert all(isinstance(r[f], str) for f in FIELDS), r["id"]
        assert r["text"].strip(), r["id"]
        assert r["lang"] in LANGS, r["id"]
        assert r["kind"] in KIND_LABEL, (r["id"], r["kind"])
        assert r["label"] == KIND_LABEL[r["kind"]], (r["id"], r["label"], r["kind"])
        assert r["id"].startswith(f"h2-{r['lang']}-"), r["id"]


def test_ids_and_texts_unique(rows: list[dict[str, Any]]) -> None:
    ids = Counter(r["id"] for r in rows)
    assert [i for i, c in ids.items() if c > 1] == []
    texts = Counter(r["text"].strip().casefold() for r in rows)
    assert [t for t, c in texts.items() if c > 1] == []


def test_languages_covered(rows: list[dict[str, Any]]) -> None:
    per_lang = Counter(r["lang"] for r in rows)
    short = {lang: per_lang.get(lang, 0) for lang in LANGS if per_lang.get(lang, 0) < MIN_PER_LANG}
    assert short == {}


def test_label_mix(rows: list[dict[str, Any]]) -> None:
    labels = Counter(r["label"] for r in rows)
    total = len(rows)
    neg = sum(1 for r in rows if r["kind"].startswith("neg/"))
    assert neg * 3 >= total, f"hard negatives {neg}/{total} below a third"
    assert labels["offer"] >= 0.3 * total
    assert labels["seeking"] >= 0.1 * total
    # Every language carries all three labels, so per-language figures mean something.
    for lang in LANGS:
        got = {r["label"] for r in rows if r["lang"] == lang}
        assert got == {"offer", "seeking", "none"}, lang


def test_no_text_shared_with_other_corpora(rows: list[dict[str, Any]]) -> None:
    mine = {r["text"].strip().casefold() for r in rows}
    leaked: list[tuple[str, str]] = []
    for other in sorted(DATA_DIR.glob("*.jsonl")):
        if other.resolve() == HOLDOUT.resolve():
            continue
        with other.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError:
                    continue
                text = obj.get("text") if isinstance(obj, dict) else None
                if isinstance(text, str) and text.strip().casefold() in mine:
                    leaked.append((other.name, text[:60]))
    assert leaked == []
