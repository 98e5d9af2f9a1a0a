"""Over-removal check on 37,000 real, benign tweets (../shared/corpora, none of them offers):
at most 0.1% may be labelled offer. Skips where ../shared is absent."""

from __future__ import annotations

import json
from pathlib import Path

from core import Detector, Label

MAX_OFFER_RATE = 0.001


def test_real_tweets_are_not_offers(shared_corpora: Path) -> None:
    detector = Detector.load()
    total = 0
    offers: list[str] = []
    for path in sorted(shared_corpora.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                total += 1
                if detector.detect(row["text"], lang_hint=row.get("lang")).label is Label.OFFER:
                    offers.append(row["id"])
    assert total > 30_000
    rate = len(offers) / total
    assert rate <= MAX_OFFER_RATE, f"{len(offers)} of {total} labelled offer: {offers[:20]}"
