"""Offer recall holds on obfuscated variants (see tests/core/evasion.py for the transforms)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core import Detector, Label
from tests.core.evasion import TRANSFORMS, variants

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "corpus.jsonl"
MAX_GAP = 0.05  # obfuscated recall within 5 points of plain recall


@pytest.fixture(scope="module")
def offers() -> list[str]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    return [r["text"] for r in rows if r["label"] == "offer"]


def test_harness_is_deterministic_and_changes_text() -> None:
    text = "Boat to London tonight, places left, whatsapp me"
    first, second = variants(text), variants(text)
    assert first == second
    assert set(first) >= {"homoglyphs", "zero_width", "leetspeak", "fullwidth", "stretching"}
    assert all(v != text for v in first.values())
    assert (
        "\u200b" in first["zero_width"]
        or "\u200d" in first["zero_width"]
        or any(c in first["zero_width"] for c in "\u200c\u2060\u00ad\ufeff")
    )


def test_arabic_script_transform() -> None:
    out = variants("قارب الى بريطانيا الليلة")
    assert "arabic_script" in out and "homoglyphs" not in out


def test_obfuscated_recall_within_five_points(offers: list[str]) -> None:
    detector = Detector.load()
    plain = sum(detector.detect(t).label is Label.OFFER for t in offers) / len(offers)
    hits: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for text in offers:
        for name, variant in variants(text).items():
            totals[name] += 1
            hits[name] += detector.detect(variant).label is Label.OFFER
    overall = sum(hits.values()) / sum(totals.values())
    per = {name: round(hits[name] / totals[name], 3) for name in totals}
    assert set(per) == set(TRANSFORMS)
    assert overall >= plain - MAX_GAP, f"plain {plain:.3f}, obfuscated {overall:.3f}: {per}"
    # and no single evasion is a blind spot
    assert min(per.values()) >= plain - 2 * MAX_GAP, f"plain {plain:.3f}: {per}"
