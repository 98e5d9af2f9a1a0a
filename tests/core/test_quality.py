"""The acceptance bar on the labelled corpus, and a regression floor on the held-out set.

Offer precision >= 0.95 and recall >= 0.90 overall. Failures print the per-language figures and
the misclassified ids so a regression can be traced to a pack or a weight.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from core import Detector, Label

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
MIN_PRECISION = 0.95
MIN_RECALL = 0.90


def load(name: str) -> list[dict[str, Any]]:
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def offer_figures(rows: list[dict[str, Any]]) -> tuple[float, float, str]:
    detector = Detector.load()
    tp = fp = fn = 0
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    misses: list[str] = []
    for row in rows:
        predicted = detector.detect(row["text"]).label is Label.OFFER
        gold = row["label"] == "offer"
        stats = per_lang[row.get("lang", "?")]
        if predicted and gold:
            tp += 1
            stats[0] += 1
        elif predicted:
            fp += 1
            stats[1] += 1
            misses.append(f"{row.get('id')} (false offer)")
        elif gold:
            fn += 1
            stats[2] += 1
            misses.append(f"{row.get('id')} (missed)")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    detail = "; ".join(
        f"{lang}: tp={s[0]} fp={s[1]} fn={s[2]}" for lang, s in sorted(per_lang.items())
    )
    return precision, recall, f"{detail}\nmisclassified: {', '.join(misses[:40])}"


def test_corpus_offer_precision_and_recall() -> None:
    precision, recall, detail = offer_figures(load("corpus.jsonl"))
    assert precision >= MIN_PRECISION, f"precision {precision:.3f}\n{detail}"
    assert recall >= MIN_RECALL, f"recall {recall:.3f}\n{detail}"


# The held-out set (different phrasing, routes, vehicles and templates, never used for tuning)
# does NOT meet the acceptance bar yet: measured 2026-11-28, offer precision 0.84 and recall
# 0.52 (the corpus: 1.00 and 0.99) — the lexicon still misses much of the vocabulary of unseen
# ads. This floor keeps what generalises from regressing; raise it as the packs grow, and
# replace it by the real targets (MIN_PRECISION, MIN_RECALL) once they are met.
HOLDOUT_FLOOR_PRECISION = 0.80
HOLDOUT_FLOOR_RECALL = 0.45


def test_holdout_does_not_regress() -> None:
    precision, recall, detail = offer_figures(load("holdout.jsonl"))
    assert precision >= HOLDOUT_FLOOR_PRECISION, f"precision {precision:.3f}\n{detail}"
    assert recall >= HOLDOUT_FLOOR_RECALL, f"recall {recall:.3f}\n{detail}"


def test_corpus_covers_every_pack_language() -> None:
    rows = load("corpus.jsonl")
    assert {r["lang"] for r in rows} >= set(Detector.load().packs)


_ACCUSATIONS = ("illegal", "crime", "criminal", "suspect", "smuggler", "traffick", "offer")


def test_seeking_reasons_are_never_accusations_on_the_corpus() -> None:
    detector = Detector.load()
    for row in load("corpus.jsonl"):
        v = detector.detect(row["text"])
        if v.label is not Label.SEEKING:
            continue
        for reason in v.reasons:
            wording = reason.text.split(":", 1)[0].lower()
            assert not any(w in wording for w in _ACCUSATIONS), (row["id"], reason.text)
