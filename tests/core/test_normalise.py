"""Normalisation: what evaders do is folded away, what languages need is kept, and it is safe on
any input (hypothesis property tests: idempotent, never raises, bounded output, linear time)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Normalised, normalise

# Text drawn from every part of Unicode that matters here: Latin with diacritics, Cyrillic/Greek
# look-alikes, Arabic script with marks, Ethiopic, invisible and format characters, digits.
_ALPHABETS = st.sampled_from(
    [
        st.characters(),
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.sampled_from(list("aeiouboatlkmn .-_*|@$!013457 \u200b\u200d\u00ad\ufeff")),
        st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
        st.characters(min_codepoint=0x1200, max_codepoint=0x137F),
        st.characters(min_codepoint=0x0300, max_codepoint=0x036F),
        st.sampled_from(list("аеорсхуіѕαονρτυăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệﬁＡＢＣ１２３")),
    ]
)
texts = _ALPHABETS.flatmap(lambda alphabet: st.text(alphabet, max_size=80)) | st.text()


@given(texts)
@settings(max_examples=400, deadline=None)
def test_never_raises_and_returns_strings(text: str) -> None:
    n = normalise(text)
    assert isinstance(n, Normalised)
    assert isinstance(n.surface, str) and isinstance(n.folded, str)


@given(texts)
@settings(max_examples=600, deadline=None)
def test_folded_is_idempotent(text: str) -> None:
    folded = normalise(text).folded
    assert normalise(folded).folded == folded


@given(texts)
@settings(max_examples=400, deadline=None)
def test_surface_is_idempotent(text: str) -> None:
    surface = normalise(text).surface
    assert normalise(surface).surface == surface


@given(texts)
@settings(max_examples=400, deadline=None)
def test_output_bounded_by_input(text: str) -> None:
    # NFKC may expand a compatibility character (U+FDFA becomes 18 characters); nothing else grows.
    n = normalise(text)
    assert len(n.surface) <= 18 * len(text)
    assert len(n.folded) <= 2 * len(n.surface) + 1  # æ → ae


@given(texts)
@settings(max_examples=200, deadline=None)
def test_folded_is_words_separated_by_single_spaces(text: str) -> None:
    folded = normalise(text).folded
    assert folded == folded.strip()
    assert "  " not in folded


def test_non_string_input_is_tolerated() -> None:
    assert normalise(None).folded == ""  # type: ignore[arg-type]
    n = normalise("\ud800 lone surrogate")
    assert n.surface == " lone surrogate"  # lone surrogates (from JSON escapes) are dropped
    assert n.folded == "lone surogate"


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("BOAT to UK", "boat to uk"),
        ("Β０АТ", "boat"),  # Greek capital beta, fullwidth zero, Cyrillic А and Т
        ("bоаt", "boat"),  # Cyrillic о and а
        ("b\u200bo\u200da\u2060t", "boat"),  # zero-width characters inside the word
        ("bo\u00adat", "boat"),  # soft hyphen
        ("b.o.a.t", "boat"),
        ("b o a t", "boat"),
        ("b-o-a-t", "boat"),
        ("b*o*a*t to u.k", "boat to uk"),
        ("boooooat", "boat"),
        ("b00at", "boat"),
        ("L0nd0n", "london"),
        ("wh4tsapp", "whatsap"),
        ("smugg1er", "smugier"),  # the lexicon also indexes "l" read as "i"
        ("ＢＯＡＴ", "boat"),
        ("l'Angleterre", "l angletere"),  # French elision splits; stretching squeezes "tt"
        ("B o a t to U K from C a l a i s 2 5 0 0", "boat to uk from calais 2 5 0 0"),
        ("B O A T  T O  U K", "boat to uk"),  # letters one space apart, words two
        ("b-o-a-t t-o u-k", "boat to uk"),
        ("a:0;a", "aoa"),  # uneven gaps still fold to a fixed point
        ("z̷̢̛a̴l̸g̶o̷", "zalgo"),  # stacked combining marks are dropped
    ],
)
def test_latin_evasions_fold(raw: str, folded: str) -> None:
    assert normalise(raw).folded == folded


def test_digits_and_prices_survive_on_the_surface() -> None:
    n = normalise("£2,500 — call +44 7700 900123 «۲۰۰۰» ٣٥٠٠")
    assert "£2,500" in n.surface
    assert "+44 7700 900123" in n.surface
    assert "2000" in n.surface and "3500" in n.surface  # Persian and Eastern Arabic digits


def test_arabic_script_unification() -> None:
    # Persian yeh/kaf vs Arabic, alef with hamza, harakat, tatweel: all meet.
    assert normalise("كيف").folded == normalise("کیف").folded
    assert normalise("أوروبا").folded == normalise("اوروبا").folded
    assert normalise("قَارِب").folded == normalise("قارب").folded
    assert normalise("قــــارب").folded == normalise("قارب").folded
    assert normalise("بریتانیا").folded == "بريتانيا"


def test_vietnamese_diacritics_survive() -> None:
    assert normalise("Tàu đi Anh giá rẻ").folded == "tàu đi anh giá rẻ"
    # ...while other Latin diacritics fold, so typing without them matches too.
    assert normalise("Garantili ödeme İngiltere").folded == "garantili odeme ingiltere"
    assert normalise("Traversée sécurisée").folded == "traverse securise"


def test_ethiopic_is_kept() -> None:
    assert normalise("ጀልባ ናብ እንግሊዝ።").folded == "ጀልባ ናብ እንግሊዝ"


@pytest.mark.parametrize(
    "payload",
    [
        "a" * 1_000_000,
        "a " * 500_000,
        "b.o." * 250_000,
        "1a" * 500_000,
        "\u200b" * 1_000_000,
        "\u0301" * 1_000_000,
        "ي" * 1_000_000,
        "b00" * 333_333,
        ("x " * 1000 + "yy ") * 300,
    ],
    ids=["run", "singles", "dots", "leet", "zwsp", "marks", "arabic", "leet2", "mixed"],
)
def test_one_megabyte_pathological_input_is_fast(payload: str) -> None:
    start = time.perf_counter()
    normalise(payload)
    assert time.perf_counter() - start < 2.0  # linear: ~0.1-0.5 s here; quadratic would be hours


def test_spelled_words_are_found_only_in_runs_of_single_letters() -> None:
    from core._normalise import spelled_words

    assert spelled_words("b o a t t o u k") == ["boatouk"]  # (doubled letters squeezed)
    assert spelled_words("a boat to the uk") == []
    assert spelled_words("x y z and b o a t") == ["boat"]
