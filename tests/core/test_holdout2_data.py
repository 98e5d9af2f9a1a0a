"""Shape checks for the independent held-out set ``tests/data/holdout2.jsonl``.

The held-out set was written without looking at the detector's language packs, its
configuration or the other corpora, so that it measures how well the detector generalises.
These tests do not score the detector; they only guard the data: well-formed lines, known
labels, languages and subtypes, a balanced mix, and — most importantly — no message shared
with any other corpus in ``tests/data/``, since an overlap would leak tuning data into the
held-out measurement. The checks common to every labelled file live in ``_corpus_checks``;
like them, these failures name ids, never held-out texts.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.core._corpus_checks import (
    DATA,
    LABELS,
    LANGS,
    NEG_KINDS,
    Row,
    check_row,
    check_unique,
    read_jsonl,
    shared_ids,
    texts_of,
)

HOLDOUT = DATA / "holdout2.jsonl"
H2_NEG_KINDS = NEG_KINDS | {"neg/remittance", "neg/clinic", "neg/chat"}
MIN_PER_LANG = 30


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    assert HOLDOUT.is_file(), f"missing {HOLDOUT}"
    return read_jsonl(HOLDOUT)


def test_every_line_is_valid_json(rows: list[Row]) -> None:
    raw = [ln for ln in HOLDOUT.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(raw) == len(rows)
    assert len(rows) >= MIN_PER_LANG * len(LANGS)


def test_fields_and_values(rows: list[Row]) -> None:
    for r in rows:
        check_row(r, str(r.get("id")), neg_kinds=H2_NEG_KINDS, id_prefix="h2-")


def test_ids_and_texts_unique(rows: list[Row]) -> None:
    check_unique(rows, "holdout2")


def test_languages_covered(rows: list[Row]) -> None:
    per_lang = Counter(r["lang"] for r in rows)
    short = {lang: per_lang.get(lang, 0) for lang in LANGS if per_lang.get(lang, 0) < MIN_PER_LANG}
    assert short == {}


def test_label_mix(rows: list[Row]) -> None:
    labels = Counter(r["label"] for r in rows)
    total = len(rows)
    neg = sum(1 for r in rows if r["kind"].startswith("neg/"))
    assert neg * 3 >= total, f"hard negatives {neg}/{total} below a third"
    assert labels["offer"] >= 0.3 * total
    assert labels["seeking"] >= 0.1 * total
    # Every language carries all three labels, so per-language figures mean something.
    for lang in LANGS:
        got = {r["label"] for r in rows if r["lang"] == lang}
        assert got == LABELS, lang


def test_no_text_shared_with_other_corpora(rows: list[Row]) -> None:
    others: set[str] = set()
    for other in sorted(DATA.glob("*.jsonl")):
        if other.resolve() != HOLDOUT.resolve():
            others |= texts_of(other, strict=False)
    leaked = shared_ids(rows, others)
    assert leaked == [], "held-out ids whose text also stands in another corpus"
