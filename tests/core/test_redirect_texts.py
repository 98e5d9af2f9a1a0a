"""The shipped redirect texts (config/redirect/*.toml) are complete, safe and usable.

These texts go to people at risk, in twelve languages most reviewers of a pull request cannot
read, so the rules that must never break are checked mechanically: every language and key is
there, the engine's placeholders survive translation, no phone number or unknown link slipped in
(an invented help line is worse than none), right-to-left and Ge'ez scripts are what they claim.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import pytest

REDIRECT_DIR = Path(__file__).resolve().parents[2] / "config" / "redirect"

LANGS = ("en", "fr", "ar", "fa", "ps", "ckb", "kmr", "sq", "vi", "tr", "ti", "am")
RTL = frozenset({"ar", "fa", "ps", "ckb"})
KEYS = (
    "public_notice",
    "seeker_help",
    "seeker_help_public",
    "statement_of_reasons",
    "restored_notice",
)
# Phrases core/_redirect.py puts into placeholders; a language without them gets English ones
# in the middle of its own text, so every shipped language carries them.
PHRASES = ("automated_yes", "automated_no", "this_community")
FIELDS = {
    "public_notice": set(),
    "seeker_help": set(),
    "seeker_help_public": set(),
    "statement_of_reasons": {"community", "reasons", "automated", "appeal"},
    "restored_notice": {"author"},
}
# The organisations' well-known home pages, and nothing else: no deep links that rot, no
# look-alike domains. Compared without a leading "www." (refugee.info is www.refugee.info).
ALLOWED_HOSTS = frozenset(
    {
        "help.unhcr.org",
        "unhcr.org",
        "iom.int",
        "redcross.org.uk",
        "refugeecouncil.org.uk",
        "infomigrants.net",
        "icrc.org",
        "familylinks.icrc.org",
        "refugee.info",
    }
)
# Every seeker message points to the same set of real organisations, whatever the language.
SEEKER_HOSTS = (
    "help.unhcr.org",
    "www.iom.int",
    "familylinks.icrc.org",
    "www.redcross.org.uk",
    "www.refugeecouncil.org.uk",
    "www.infomigrants.net",
    "www.refugee.info",
)
# Six or more digits, possibly split by spaces, dots, dashes, slashes or brackets, in any script's
# digits (\d is Unicode-aware: Arabic-Indic and Persian digits count too).
PHONE_LIKE = re.compile(r"\+?\d(?:[\s\-./()]*\d){5,}")
# A host name: labels of ASCII letters/digits joined by dots, ending in a 2+ letter TLD, with an
# optional scheme before and path after. Non-ASCII letters are not [a-z], so prose never matches.
URL_LIKE = re.compile(r"(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(/[^\s]*)?", re.IGNORECASE)
GEEZ = re.compile(r"[\u1200-\u137f]")
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
SORANI_LETTERS = re.compile(r"[ڕۆێڵە]")
MAX_PUBLIC_NOTICE = 400  # a few sentences where the post was
MAX_SEEKER_HELP = 1000  # readable on a phone without endless scrolling

SAMPLE = {
    "community": "Test group",
    "reasons": "price, route, contact",
    "automated": "yes",
    "appeal": "reply to this message",
    "author": "Amina",
}


def _load(lang: str) -> dict[str, Any]:
    with (REDIRECT_DIR / f"{lang}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_language_has_a_file() -> None:
    present = {p.stem for p in REDIRECT_DIR.glob("*.toml")}
    assert set(LANGS) <= present, f"missing: {sorted(set(LANGS) - present)}"


@pytest.mark.parametrize("lang", LANGS)
def test_file_parses_with_meta_and_every_text(lang: str) -> None:
    data = _load(lang)
    meta = data["meta"]
    assert meta["lang"] == lang
    assert isinstance(meta["name"], str) and meta["name"].strip()
    assert isinstance(meta["rtl"], bool)
    # TOML accepts a bare date too; the format asks for a quoted ISO date admins re-date.
    updated = dt.date.fromisoformat(str(meta["updated"]))
    assert updated >= dt.date(2026, 1, 1)
    texts = data["texts"]
    for key in KEYS + PHRASES:
        assert isinstance(texts.get(key), str), f"{lang}: texts.{key} missing"
        assert texts[key].strip(), f"{lang}: texts.{key} is empty"
    for key in PHRASES:
        assert "{" not in texts[key] and "\n" not in texts[key], f"{lang}: texts.{key}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation_and_format(lang: str) -> None:
    texts = _load(lang)["texts"]
    for key in KEYS:
        assert _fields(texts[key]) == FIELDS[key], f"{lang}: texts.{key} placeholders"
        formatted = texts[key].format(**SAMPLE)
        assert "{" not in formatted and "}" not in formatted
    statement = texts["statement_of_reasons"].format(**SAMPLE)
    for key in ("community", "reasons", "automated", "appeal"):
        assert SAMPLE[key] in statement
    assert SAMPLE["author"] in texts["restored_notice"].format(**SAMPLE)


@pytest.mark.parametrize("lang", LANGS)
def test_no_phone_numbers_anywhere(lang: str) -> None:
    for key, text in _load(lang)["texts"].items():
        assert not PHONE_LIKE.search(text), f"{lang}: texts.{key} has a phone-like number"
    # Comments and meta too: the only digits allowed in the file are the `updated` date.
    raw = (REDIRECT_DIR / f"{lang}.toml").read_text(encoding="utf-8")
    for line in raw.splitlines():
        if line.startswith("updated"):
            continue
        assert not PHONE_LIKE.search(line), f"{lang}: phone-like number in {line!r}"


def test_phone_pattern_catches_what_it_should() -> None:
    for bad in ("0800 123 4567", "+44 20 7946 0000", "١٢٣٤٥٦٧", "۰۹۱۲-۳۴۵-۶۷۸۹", "(020) 794-600"):
        assert PHONE_LIKE.search(bad), bad
    for fine in ("2026", "IOM", "GBP 1,500"):
        assert not PHONE_LIKE.search(fine), fine


@pytest.mark.parametrize("lang", LANGS)
def test_links_are_only_organisations_home_pages(lang: str) -> None:
    for key, text in _load(lang)["texts"].items():
        for match in URL_LIKE.finditer(text):
            host = match.group(1).lower().removeprefix("www.")
            assert host in ALLOWED_HOSTS, f"{lang}: texts.{key} links to {match.group(0)!r}"
            assert not match.group(2), f"{lang}: texts.{key} deep link {match.group(0)!r}"


def test_url_pattern_catches_what_it_should() -> None:
    found = [m.group(0) for m in URL_LIKE.finditer("see https://evil.example/x or wa.me/123")]
    assert found == ["https://evil.example/x", "wa.me/123"]


@pytest.mark.parametrize("lang", LANGS)
def test_seeker_help_names_the_real_organisations(lang: str) -> None:
    texts = _load(lang)["texts"]
    for host in SEEKER_HOSTS:
        assert host in texts["seeker_help"], f"{lang}: seeker_help lacks {host}"
    # French writes the agencies' French acronyms (HCR, OIM), as French speakers know them.
    assert re.search(r"\b(?:UN)?HCR\b", texts["seeker_help"])
    assert re.search(r"\b(?:IOM|OIM)\b", texts["seeker_help"])
    assert "help.unhcr.org" in texts["public_notice"]
    assert "help.unhcr.org" in texts["seeker_help_public"]


@pytest.mark.parametrize("lang", LANGS)
def test_lengths_fit_a_phone_screen(lang: str) -> None:
    texts = _load(lang)["texts"]
    assert len(texts["public_notice"]) <= MAX_PUBLIC_NOTICE
    assert len(texts["seeker_help_public"]) <= MAX_PUBLIC_NOTICE
    assert len(texts["seeker_help"]) <= MAX_SEEKER_HELP


@pytest.mark.parametrize("lang", LANGS)
def test_rtl_flag_matches_the_script(lang: str) -> None:
    data = _load(lang)
    assert data["meta"]["rtl"] is (lang in RTL)
    body = "".join(data["texts"].values())
    if lang in RTL:
        assert ARABIC_SCRIPT.search(data["texts"]["public_notice"])
    else:
        assert not ARABIC_SCRIPT.search(body), f"{lang}: Arabic script in an LTR text"


@pytest.mark.parametrize("lang", ["ti", "am"])
def test_geez_script_in_tigrinya_and_amharic(lang: str) -> None:
    for key, text in _load(lang)["texts"].items():
        assert GEEZ.search(text), f"{lang}: texts.{key} has no Ge'ez script"


def test_sorani_and_kurmanji_are_different_languages() -> None:
    ckb = "".join(_load("ckb")["texts"].values())
    kmr = "".join(_load("kmr")["texts"].values())
    assert SORANI_LETTERS.search(ckb)  # letters only Kurdish Arabic script uses
    assert re.search(r"[êîûçş]", kmr)  # Kurmanji's Latin alphabet
    assert not ARABIC_SCRIPT.search(kmr)


@pytest.mark.parametrize("lang", LANGS)
def test_text_is_clean_unicode(lang: str) -> None:
    for key, text in _load(lang)["texts"].items():
        assert unicodedata.is_normalized("NFC", text), f"{lang}: texts.{key} is not NFC"
        for ch in text:
            # Invisible format characters would hide content from reviewers; Persian needs the
            # zero-width non-joiner (U+200C) in words like می‌رسد, nothing else is allowed.
            if unicodedata.category(ch) == "Cf":
                assert ch == "\u200c" and lang in {"fa", "ps", "ckb"}, f"{lang}: {key}: {ch!r}"


def test_the_engine_loads_and_fills_every_shipped_text() -> None:
    """Through core.RedirectTexts as the engine uses them: every language, nothing left unfilled."""
    from core._redirect import RedirectTexts

    texts = RedirectTexts.load(REDIRECT_DIR)
    assert set(LANGS) <= set(texts.languages())
    for lang in LANGS:
        assert texts.is_rtl(lang) is (lang in RTL)
        assert texts.updated(lang)
        values = dict(SAMPLE)
        values["automated"] = texts.phrase("automated_yes", lang)
        values["community"] = texts.phrase("this_community", lang)
        for kind in KEYS:
            rendered = texts.render(kind, lang, values)
            assert rendered.lang == lang, f"{lang}: {kind} fell back to {rendered.lang}"
            assert not re.search(r"\{[a-z_]+\}", rendered.text), (
                f"{lang}: {kind} left a placeholder"
            )
        if lang != "en":
            for key in PHRASES:
                assert texts.phrase(key, lang) != texts.phrase(key, "en"), (
                    f"{lang}: {key} is English"
                )
    # Dari and Kurdish codes a detector or platform may report reach the right files.
    assert texts.pick("prs") == "fa"
    assert texts.pick("ckb") == "ckb"
    assert texts.pick("kmr") == "kmr"
