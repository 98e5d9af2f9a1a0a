"""Message texts the benchmarks feed through the engine.

Labelled offers and seekers come from ``tests/data/corpus.jsonl``; benign traffic is the real
tweets in ``../shared/corpora`` when that folder exists (it is never copied into the repo), else
the corpus's own hard negatives, so a benchmark still runs on a bare checkout.
"""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def load_texts() -> tuple[dict[str, list[str]], list[str]]:
    """``(texts by label from the labelled corpus, benign texts)``."""
    labelled: dict[str, list[str]] = {"offer": [], "seeking": [], "none": []}
    with (REPO / "tests" / "data" / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            labelled.setdefault(obj["label"], []).append(obj["text"])
    benign: list[str] = []
    corpora = REPO.parent / "shared" / "corpora"
    for path in sorted(corpora.glob("*.jsonl")) if corpora.is_dir() else []:
        with path.open(encoding="utf-8") as fh:
            benign.extend(json.loads(line)["text"] for line in fh)
    return labelled, benign or labelled["none"]
