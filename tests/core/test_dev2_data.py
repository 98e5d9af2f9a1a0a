"""Checks the shape of the second, independent development set ``tests/data/dev2.jsonl``.

dev2 was written separately from the tuning corpus, with different phrasings, routes and
contacts, so the detector can be checked for generalisation rather than for memorising the
corpus. These tests keep it honest: strict JSON Lines, the schema, label/kind/language sets,
the language and label mix, and no text shared with ``corpus.jsonl`` or ``holdout.jsonl`` (a
leak would make dev2 figures measure memorisation again). The checks common to every labelled
file live in ``_corpus_checks``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.core._corpus_checks import (
    DATA,
    LANGS,
    NEG_KINDS,
    Row,
    check_row,
    check_unique,
    read_jsonl,
    shared_ids,
    spaced_key,
    texts_of,
)

DEV2 = DATA / "dev2.jsonl"
OTHERS = (DATA / "corpus.jsonl", DATA / "holdout.jsonl")
DEV2_NEG_KINDS = NEG_KINDS | {"neg/remittance", "neg/clinic"}
PER_LANG_MIN = 40
TOTAL_MIN = 480


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    assert DEV2.is_file(), f"missing {DEV2}"
    return read_jsonl(DEV2)


def test_schema_and_kind_matches_label(rows: list[Row]) -> None:
    for row in rows:
        check_row(row, str(row.get("id")), neg_kinds=DEV2_NEG_KINDS, id_prefix="dev2-")


def test_unique_ids_and_texts(rows: list[Row]) -> None:
    check_unique(rows, "dev2", key=spaced_key)


def test_mix(rows: list[Row]) -> None:
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
def test_no_text_shared_with(other: Path, rows: list[Row]) -> None:
    if not other.is_file():
        pytest.skip(f"{other.name} absent")
    shared = shared_ids(rows, texts_of(other, spaced_key), spaced_key)
    assert not shared, f"dev2 shares texts with {other.name}: {shared}"
