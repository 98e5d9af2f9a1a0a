"""The language packs (config/lang/*.toml) are data written by hand: these tests keep them sane.

Every pack must parse, carry the metadata the detector and the redirect texts rely on, hold every
term category, and contain no empty, duplicate or absurd terms. Script checks catch a Farsi word
pasted into the Tigrinya pack or a Latin transliteration typed where the native script belongs:
in the Arabic-script packs (ar, fa, ps, ckb) every non-Latin letter must be Arabic script, and in
the Ge'ez-script packs (ti, am) every non-Latin letter must be Ethiopic. Latin terms are allowed
everywhere (Arabizi, brand names like "vip" or "unhcr").
"""

from __future__ import annotations

import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from core import normalise
from core._lexicon import CATEGORIES  # every category the loader knows must be in every pack

LANG_DIR = Path(__file__).resolve().parents[2] / "config" / "lang"

EXPECTED = {
    "en": "Latn",
    "fr": "Latn",
    "ar": "Arab",
    "fa": "Arab",
    "ps": "Arab",
    "ckb": "Arab",
    "kmr": "Latn",
    "sq": "Latn",
    "vi": "Latn",
    "tr": "Latn",
    "ti": "Ethi",
    "am": "Ethi",
}
# Categories that decide offers and seekers need real coverage in every language; the counter
# category (news, help, legal travel) matters as much, since over-removal is a documented harm.
MIN_TERMS = {"route": 20, "vehicle": 15, "commercial": 20, "contact": 15, "documents": 15,
             "seeking": 20, "counter": 50, "imminent": 15, "currency": 8, "crossing": 20,
             "question": 20}  # fmt: skip
MAX_TERM_CHARS = 60

_ARABIC_RANGES = ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF),
                  (0xFE70, 0xFEFF))  # fmt: skip
_ETHIOPIC_RANGES = ((0x1200, 0x139F), (0x2D80, 0x2DDF), (0xAB00, 0xAB2F))


def _load(code: str) -> dict[str, Any]:
    with (LANG_DIR / f"{code}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _in(ranges: tuple[tuple[int, int], ...], ch: str) -> bool:
    return any(lo <= ord(ch) <= hi for lo, hi in ranges)


def _is_latin_letter(ch: str) -> bool:
    return "LATIN" in unicodedata.name(ch, "")


def _terms(pack: dict[str, Any]) -> list[tuple[str, str]]:
    return [(cat, t) for cat, terms in pack["terms"].items() for t in terms]


def test_every_expected_pack_is_present() -> None:
    found = {p.stem for p in LANG_DIR.glob("*.toml")}
    assert set(EXPECTED) <= found, f"missing packs: {sorted(set(EXPECTED) - found)}"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_pack_parses_with_required_meta(code: str) -> None:
    pack = _load(code)
    meta = pack["meta"]
    assert meta["code"] == code
    assert isinstance(meta["name"], str) and meta["name"].strip()
    assert isinstance(meta["native_name"], str) and meta["native_name"].strip()
    assert meta["script"] == EXPECTED[code]
    assert meta["rtl"] is (EXPECTED[code] == "Arab")
    common = pack["langid"]["common"]
    assert isinstance(common, list) and len(common) >= 20
    assert all(isinstance(w, str) and w.strip() == w and w for w in common)
    assert len(set(common)) == len(common), "duplicate langid words"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_pack_has_every_category_with_enough_terms(code: str) -> None:
    terms = _load(code)["terms"]
    for cat in CATEGORIES:
        assert cat in terms, f"{code}: no [terms] {cat}"
        assert isinstance(terms[cat], list)
        assert len(terms[cat]) >= MIN_TERMS[cat], f"{code}.{cat}: only {len(terms[cat])} terms"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_terms_are_clean_strings_without_duplicates(code: str) -> None:
    pack = _load(code)
    for cat, terms in pack["terms"].items():
        seen: set[str] = set()
        for t in terms:
            assert isinstance(t, str), f"{code}.{cat}: non-string term {t!r}"
            assert t.strip() == t and t, f"{code}.{cat}: empty or padded term {t!r}"
            assert "  " not in t, f"{code}.{cat}: double space in {t!r}"
            assert len(t) <= MAX_TERM_CHARS, f"{code}.{cat}: term too long {t!r}"
            assert not any(unicodedata.category(c) == "Cc" for c in t), f"{code}.{cat}: {t!r}"
            key = t.casefold()
            assert key not in seen, f"{code}.{cat}: duplicate term {t!r}"
            seen.add(key)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_terms_survive_normalisation(code: str) -> None:
    """A term that normalises to nothing can never match (currency symbols are read by the
    price extractor on the surface text, so that category is exempt)."""
    for cat, t in _terms(_load(code)):
        if cat == "currency":
            continue
        assert normalise(t).folded.strip(), f"{code}.{cat}: {t!r} normalises to nothing"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_non_latin_letters_are_in_the_pack_script(code: str) -> None:
    script = EXPECTED[code]
    texts = [t for _, t in _terms(_load(code))] + _load(code)["langid"]["common"]
    for t in texts:
        for ch in t:
            if not ch.isalpha() or _is_latin_letter(ch):
                continue
            if script == "Arab":
                assert _in(_ARABIC_RANGES, ch), f"{code}: {ch!r} in {t!r} is not Arabic script"
            elif script == "Ethi":
                assert _in(_ETHIOPIC_RANGES, ch), f"{code}: {ch!r} in {t!r} is not Ethiopic"
            else:
                pytest.fail(f"{code}: non-Latin letter {ch!r} in {t!r}")


@pytest.mark.parametrize("code", ["ar", "fa", "ps", "ckb", "ti", "am"])
def test_native_script_packs_are_mostly_native(code: str) -> None:
    """Latin is allowed (Arabizi, brand names) but the bulk must be in the native script."""
    terms = [t for _, t in _terms(_load(code))]
    native = [t for t in terms if any(c.isalpha() and not _is_latin_letter(c) for c in t)]
    assert len(native) >= 0.85 * len(terms)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_counter_terms_never_equal_offer_terms(code: str) -> None:
    """One spelling cannot both point to and away from an offer in the same language."""
    terms = _load(code)["terms"]
    offer = {
        normalise(t).folded
        for cat in ("route", "vehicle", "commercial", "contact", "documents", "seeking")
        for t in terms[cat]
    }
    clash = [t for t in terms["counter"] if normalise(t).folded in offer]
    assert not clash, f"{code}: counter terms also in offer categories: {clash}"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_seeking_phrases_do_not_open_with_an_offer_term(code: str) -> None:
    """The detector reads the first two words of a long seeking phrase as a question opener
    ("how much", "qui connaît"); an opener that is itself a route, vehicle, sales or contact
    term ("to uk", "بۆ بەریتانیا") would turn every offer naming it into a question."""
    terms = _load(code)["terms"]
    offer = {
        normalise(t).folded
        for cat in ("route", "vehicle", "commercial", "contact", "documents")
        for t in terms[cat]
    }
    bad = []
    for phrase in terms["seeking"]:
        words = phrase.split()
        if len(words) >= 3 and normalise(" ".join(words[:2])).folded in offer:
            bad.append(phrase)
    assert not bad, f"{code}: seeking phrases opening with an offer term: {bad}"
