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


# dev2.jsonl: a second development set written independently of corpus.jsonl (other authors,
# templates and phrasing, all twelve languages), used with it for tuning. Same targets.
def test_dev2_offer_precision_and_recall() -> None:
    precision, recall, detail = offer_figures(load("dev2.jsonl"))
    assert precision >= MIN_PRECISION, f"precision {precision:.3f}\n{detail}"
    assert recall >= MIN_RECALL, f"recall {recall:.3f}\n{detail}"


# Seekers are recognised compositionally (a question + the crossing), so they must be found on
# both sets too; and a seeker must never be taken for a seller.
MIN_SEEKING_RECALL = 0.85


@pytest.mark.parametrize("name", ["corpus.jsonl", "dev2.jsonl", "holdout.jsonl"])
def test_seekers_are_found_and_never_called_offers(name: str) -> None:
    detector = Detector.load()
    rows = [r for r in load(name) if r["label"] == "seeking"]
    labels = [detector.detect(r["text"]).label for r in rows]
    found = sum(label is Label.SEEKING for label in labels) / len(rows)
    as_offers = [r["id"] for r, label in zip(rows, labels, strict=True) if label is Label.OFFER]
    assert found >= MIN_SEEKING_RECALL, f"seeking recall {found:.3f}"
    assert not as_offers, f"seekers labelled offer: {as_offers}"


# holdout.jsonl was written as a held-out set (different phrasing, routes, vehicles and
# templates) and is now RETIRED as one: since 2026-11-28 02:00 UTC it is development data, its
# misses read and used as evidence of classes of failure (reply referrals with no route,
# forged documents sold with a visa agency's vocabulary, seekers without a question mark), and
# the packs have been extended with its wording. Generalisation is measured on
# holdout2.jsonl, which is never read while tuning. History on this file: offer precision 0.84 /
# recall 0.52 with the first detector; 0.96 / 0.78 after the compositional scoring; measured
# 2026-11-28 02:10 UTC with referrals, forgery qualifiers and first-person needs: offer
# precision 1.00 and recall 0.99 (88 of 89), seeking precision 1.00 and recall 1.00. The floor
# is that minus a margin for the packs' ongoing edits.
HOLDOUT_FLOOR_PRECISION = 0.95
HOLDOUT_FLOOR_RECALL = 0.94


def test_holdout_does_not_regress() -> None:
    precision, recall, detail = offer_figures(load("holdout.jsonl"))
    assert precision >= HOLDOUT_FLOOR_PRECISION, f"precision {precision:.3f}\n{detail}"
    assert recall >= HOLDOUT_FLOOR_RECALL, f"recall {recall:.3f}\n{detail}"


# holdout2.jsonl: written at 01:55 UTC by a writer who never saw the packs, the detector or the
# other sets, and never used for tuning since (its figures are read in aggregate only). This is
# the honest generalisation measure, and on it the targets (offer precision >= 0.95,
# recall >= 0.90) are only partly met. Measured 2026-11-28 02:20 UTC (366 messages, 146 offers,
# 72 seekers): offer precision 0.963, recall 0.890; seeking precision 0.965, recall 0.764; and
# 02:36 UTC, after a round on probe messages the helpers wrote themselves: offer precision
# 0.970, recall 0.897; seeking precision 0.966, recall 0.778.
# The floors hold those figures against regressions, with a small margin.
HOLDOUT2_FLOOR_PRECISION = 0.95
HOLDOUT2_FLOOR_RECALL = 0.87


def test_fresh_holdout_offer_precision_and_recall() -> None:
    precision, recall, detail = offer_figures(load("holdout2.jsonl"))
    assert precision >= HOLDOUT2_FLOOR_PRECISION, f"precision {precision:.3f}\n{detail}"
    assert recall >= HOLDOUT2_FLOOR_RECALL, f"recall {recall:.3f}\n{detail}"


def test_fresh_holdout_never_calls_a_seeker_an_offer_often() -> None:
    detector = Detector.load()
    seekers = [r for r in load("holdout2.jsonl") if r["label"] == "seeking"]
    as_offer = [r["id"] for r in seekers if detector.detect(r["text"]).label is Label.OFFER]
    # Seekers are people at risk: at most one in fifty may be read as a seller.
    assert len(as_offer) <= len(seekers) // 50, as_offer


def test_corpus_covers_every_pack_language() -> None:
    rows = load("corpus.jsonl")
    assert {r["lang"] for r in rows} >= set(Detector.load().packs)


_ACCUSATIONS = ("illegal", "crime", "criminal", "suspect", "smuggler", "traffick", "offer")


@pytest.mark.parametrize("name", ["corpus.jsonl", "dev2.jsonl"])
def test_seeking_reasons_are_never_accusations(name: str) -> None:
    detector = Detector.load()
    for row in load(name):
        v = detector.detect(row["text"])
        if v.label is not Label.SEEKING:
            continue
        for reason in v.reasons:
            wording = reason.text.split(":", 1)[0].lower()
            assert not any(w in wording for w in _ACCUSATIONS), (row["id"], reason.text)
