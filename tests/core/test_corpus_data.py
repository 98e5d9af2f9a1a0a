"""Checks the shape of the labelled corpora in ``tests/data/`` and the playground samples.

The detector's quality tests trust these files, so a malformed line, a label typo or a message
that leaks from the held-out set into the tuning corpus would silently make the figures lie.
These tests keep the data honest: schema, label and language sets, the language and label mix
the acceptance bar asks for, and no text shared between files. The checks common to every
labelled file live in ``_corpus_checks``.
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
    read_numbered,
    shared_ids,
    stripped_key,
    texts_of,
)

REPO = DATA.parents[1]
CORPUS = DATA / "corpus.jsonl"
HOLDOUT = DATA / "holdout.jsonl"
PLAYGROUND = REPO / "config" / "samples" / "playground.jsonl"

# (file, total minimum, per-language minimum, extra minimum for the four biggest communities)
SPECS = {
    "corpus": (CORPUS, 520, 35, 50),
    "holdout": (HOLDOUT, 200, 12, 15),
}
BIG_LANGS = ("en", "fr", "ar", "fa")

Labelled = tuple[str, list[tuple[int, Row]]]


@pytest.fixture(scope="module", params=sorted(SPECS))
def labelled(request: pytest.FixtureRequest) -> Labelled:
    name = request.param
    return name, read_numbered(SPECS[name][0])


def test_schema_and_value_sets(labelled: Labelled) -> None:
    name, numbered = labelled
    for lineno, r in numbered:
        check_row(r, f"{name}:{lineno}", neg_kinds=NEG_KINDS, id_prefix="", exact=False)


def test_ids_and_texts_unique(labelled: Labelled) -> None:
    name, numbered = labelled
    check_unique((r for _, r in numbered), name)


def test_language_and_label_mix(labelled: Labelled) -> None:
    name, numbered = labelled
    rows = [r for _, r in numbered]
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
    rows = read_jsonl(CORPUS)
    langs = {r["lang"] for r in rows if r["kind"] == "offer/obfuscated"}
    assert langs == LANGS, f"no obfuscated offers for {LANGS - langs}"


def test_hard_negative_kinds_all_covered(labelled: Labelled) -> None:
    name, numbered = labelled
    kinds = {r["kind"] for _, r in numbered if r["label"] == "none"}
    assert kinds == NEG_KINDS, f"{name}: no examples of {sorted(NEG_KINDS - kinds)}"


def test_holdout_shares_no_text_with_corpus() -> None:
    shared = shared_ids(read_jsonl(HOLDOUT), texts_of(CORPUS))
    assert not shared, f"holdout messages also in corpus: {shared}"


def test_playground_samples() -> None:
    numbered = read_numbered(PLAYGROUND)
    assert len(numbered) >= 30
    corpora = texts_of(CORPUS) | texts_of(HOLDOUT)
    for lineno, r in numbered:
        where = f"playground:{lineno}"
        for field in ("text", "lang", "label", "user"):
            assert isinstance(r.get(field), str) and r[field].strip(), f"{where}: {field!r}"
        assert r["lang"] in LANGS, where
        assert r["label"] in LABELS, where
        assert stripped_key(r["text"]) not in corpora, f"{where}: also in a corpus"
    assert {r["label"] for _, r in numbered} == LABELS
