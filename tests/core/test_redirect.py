"""Redirect texts as the engine uses them: language choice, fallbacks, overrides, RTL safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import RedirectTexts
from core._redirect import TEXT_KINDS, RedirectTextsError

TEXTS = RedirectTexts.load()


def test_every_shipped_language_has_every_text() -> None:
    assert set(TEXTS.languages()) >= {
        "en",
        "fr",
        "ar",
        "fa",
        "ps",
        "ckb",
        "kmr",
        "sq",
        "vi",
        "tr",
        "ti",
        "am",
    }
    for lang in TEXTS.languages():
        for kind in TEXT_KINDS:
            t = TEXTS.get(kind, lang)
            assert t.lang == lang and t.text.strip()


def test_language_choice_falls_back_to_community_then_english() -> None:
    assert TEXTS.pick("ar", "fr") == "ar"
    assert TEXTS.pick("und", "fr") == "fr"
    assert TEXTS.pick("xx", "yy") == "en"
    assert TEXTS.pick(None, None) == "en"
    assert TEXTS.pick("prs", "en") == "fa"  # Dari is served by the Persian pack
    assert TEXTS.pick("AR", None) == "ar"
    assert TEXTS.pick("ar", "fr", allowed=["fr", "en"]) == "fr"


def test_rtl_values_are_isolated_and_placeholders_filled() -> None:
    t = TEXTS.render(
        "statement_of_reasons",
        "ar",
        {"community": "Calais Help", "reasons": "x", "automated": "yes", "appeal": "reply"},
    )
    assert t.rtl and "\u2068Calais Help\u2069" in t.text and "{community}" not in t.text
    en = TEXTS.render("statement_of_reasons", "en", {"community": "Calais Help"})
    assert "\u2068" not in en.text and "Calais Help" in en.text


def test_values_cannot_inject_placeholders_or_break_formatting() -> None:
    t = TEXTS.render("restored_notice", "en", {"author": "{community} {0} {__class__}"})
    assert "{community} {0} {__class__}" in t.text


def test_admin_overrides(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(
        '[meta]\nlang = "en"\n[texts]\npublic_notice = "Removed. {x"\n'
    )
    texts = RedirectTexts.load(overrides_dir=tmp_path)
    assert texts.get("public_notice", "en").text == "Removed. {x"
    assert texts.get("seeker_help", "en").text == TEXTS.get("seeker_help", "en").text
    community = {"fr": {"public_notice": "Message retiré (texte local)."}}
    assert texts.get("public_notice", "fr", overrides=community).text.endswith("(texte local).")
    assert texts.get("seeker_help", "fr", overrides=community).lang == "fr"


def test_malformed_files_name_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text('[meta]\nlang = "en"\n[texts]\npublic_notice = ""\n')
    with pytest.raises(RedirectTextsError, match=r"en.toml: texts.public_notice"):
        RedirectTexts.load(tmp_path)
    (tmp_path / "en.toml").write_text('[meta]\nlang = "fr"\n[texts]\n')
    with pytest.raises(RedirectTextsError, match="does not match"):
        RedirectTexts.load(tmp_path)
    (tmp_path / "en.toml").write_text('[meta]\nlang = "en"\n[texts]\npublic_notice = "x"\n')
    with pytest.raises(RedirectTextsError, match="missing seeker_help"):
        RedirectTexts.load(tmp_path)
    (tmp_path / "en.toml").unlink()
    with pytest.raises(RedirectTextsError, match="English"):
        RedirectTexts.load(tmp_path)


def test_texts_name_real_organisations_and_no_phone_numbers() -> None:
    import re

    for lang in TEXTS.languages():
        help_text = TEXTS.get("seeker_help", lang).text
        assert "help.unhcr.org" in help_text
        assert not re.search(r"\+?\d[\d\s-]{7,}\d", help_text), lang
