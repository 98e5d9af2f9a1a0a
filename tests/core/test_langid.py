"""Language identification: script first, then letters and common words; the hint as fallback."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from core import Detector

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "corpus.jsonl"


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load()


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Is there anyone who can help me with the papers for my family?", "en"),
        ("Bonjour, est-ce que quelqu'un sait comment faire une demande d'asile ?", "fr"),
        ("مرحبا، هل يوجد أحد يعرف كيف نقدم طلب لجوء في بريطانيا؟", "ar"),
        ("سلام، کسی می‌داند که چطور می‌شود در انگلیس پناهندگی گرفت؟", "fa"),
        ("سلام ورونو، څوک پوهیږي چې په انګلستان کې پناه څنګه غوښتل کیږي؟", "ps"),
        ("سڵاو، کەس دەزانێت چۆن لە بەریتانیا داوای پەنابەری بکەین؟", "ckb"),
        ("Silav hevalno, kî dizane em çawa dikarin li Ewropayê penaberiyê bixwazin?", "kmr"),
        ("Përshëndetje, a e di dikush si të aplikoj për azil në Angli?", "sq"),
        ("Xin chào, có ai biết cách xin tị nạn ở Anh không ạ?", "vi"),
        ("Merhaba, İngiltere'de iltica başvurusu nasıl yapılır bilen var mı?", "tr"),
    ],
)
def test_languages(detector: Detector, text: str, lang: str) -> None:
    assert detector.detect(text).lang == lang


def test_ethiopic_script_is_tigrinya_or_amharic(detector: Detector) -> None:
    assert detector.detect("ሰላም ከመይ ኣለኹም? ናብ እንግሊዝ ንምኻድ ዝፈልጥ ሰብ ኣሎ ድዩ?").lang in ("ti", "am")
    assert detector.detect("ሰላም እንዴት ናችሁ? ወደ እንግሊዝ ለመሄድ የሚያውቅ ሰው አለ?").lang in ("ti", "am")


def test_hint_is_the_fallback(detector: Detector) -> None:
    # Nothing to go on (numbers and a link): the caller's hint wins, "und" without one.
    assert detector.detect("2500 +447700900123", lang_hint="fa").lang == "fa"
    assert detector.detect("2500 +447700900123").lang == "und"
    assert detector.detect("", lang_hint="fr").lang == "fr"
    # A hint never overrides clear evidence from another script.
    assert (
        detector.detect("مرحبا، هل يوجد أحد يعرف كيف نقدم طلب لجوء؟", lang_hint="en").lang == "ar"
    )


def test_hint_aliases(detector: Detector) -> None:
    assert detector.detect("123", lang_hint="prs").lang == "fa"  # Dari
    assert detector.detect("123", lang_hint="fr-FR").lang == "fr"


def test_unknown_scripts_are_und(detector: Detector) -> None:
    assert detector.detect("Привет, как дела?").lang in ("und", "en")  # Cyrillic folds to Latin
    assert detector.detect("你好，你好吗").lang == "und"


def test_accuracy_on_the_corpus(detector: Detector) -> None:
    """At least 90% of the labelled corpus gets its language right (many messages are short)."""
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    wrong = Counter(
        (row["lang"], got)
        for row in rows
        if (got := detector.detect(row["text"]).lang) != row["lang"]
    )
    assert sum(wrong.values()) <= 0.10 * len(rows), wrong.most_common(10)
