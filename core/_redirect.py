"""Redirect texts: the public notice, the seeker's help message, the statement of reasons.

Texts are data, one TOML file per language in ``config/redirect/<lang>.toml`` (format:
``[meta]`` with ``lang``, ``name``, ``rtl``, ``updated``; ``[texts]`` with ``public_notice``,
``seeker_help``, ``seeker_help_public`` (the channel's general help when a seeker cannot be
written to privately), ``statement_of_reasons`` and ``restored_notice``). Admins override any text
globally with files of the same shape in an overrides directory, or per community in their policy
override file (``[texts.<lang>]``).

The language is the message's detected language when a text exists for it, else the community's
language, else English. Values put into right-to-left texts (a community name, an author name,
English reasons) are wrapped in Unicode directional isolates so they cannot scramble the
surrounding Arabic-script line.

Placeholders are filled by plain replacement, never ``str.format``: an admin's text with a stray
brace cannot break, and a value cannot inject a format field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TEXT_KINDS", "RedirectText", "RedirectTexts", "RedirectTextsError"]

TEXT_KINDS: tuple[str, ...] = (
    "public_notice",
    "seeker_help",
    # Posted in a channel when a seeker's private help cannot be delivered: general, names nobody.
    "seeker_help_public",
    "statement_of_reasons",
    "restored_notice",
)
# Optional short phrases used to fill placeholders; English is used where a pack lacks them.
_PHRASES = {
    "automated_yes": "yes, an automated system detected it; a moderator reviews the decision",
    "automated_no": "no, a moderator decided",
    "this_community": "this community",
    "appeal_default": "reply to the moderators of this community; a person will review it",
}
# Detector or platform codes that a pack serves under another code.
LANG_ALIASES = {
    "prs": "fa",  # Dari: the Persian pack is written for Farsi and Dari readers
    "fa-af": "fa",
    "per": "fa",
    "sorani": "ckb",
    "ku": "kmr",
    "kurmanji": "kmr",
    "pus": "ps",
    "tir": "ti",
    "amh": "am",
}
_FSI, _PDI = "\u2068", "\u2069"  # first-strong isolate ... pop directional isolate


class RedirectTextsError(ValueError):
    """A redirect text file is malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class RedirectText:
    kind: str
    lang: str
    text: str
    rtl: bool


@dataclass(frozen=True, slots=True)
class _Pack:
    lang: str
    rtl: bool
    updated: str
    texts: Mapping[str, str]
    rtl_set: bool = True  # False for an override file that does not say


def _load_file(path: Path, *, partial: bool) -> _Pack:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise RedirectTextsError(f"{path}: not valid TOML: {exc}") from None
    meta = data.get("meta", {})
    texts = data.get("texts", {})
    if not isinstance(meta, dict) or not isinstance(texts, dict):
        raise RedirectTextsError(f"{path}: [meta] and [texts] must be tables")
    lang = meta.get("lang", path.stem)
    if lang != path.stem:
        raise RedirectTextsError(f"{path}: meta.lang: {lang!r} does not match the file name")
    for key, value in texts.items():
        if not isinstance(value, str) or not value.strip():
            raise RedirectTextsError(f"{path}: texts.{key}: must be a non-empty string")
    if not partial:
        missing = [k for k in TEXT_KINDS if k not in texts]
        if missing:
            raise RedirectTextsError(f"{path}: texts: missing {', '.join(missing)}")
    rtl = meta.get("rtl", False)
    if not isinstance(rtl, bool):
        raise RedirectTextsError(f"{path}: meta.rtl: must be true or false")
    texts = {k: v.strip() for k, v in texts.items()}
    return _Pack(lang, rtl, str(meta.get("updated", "")), texts, rtl_set="rtl" in meta)


class RedirectTexts:
    """All redirect texts, with admin overrides applied. Cheap to query per message."""

    def __init__(self, packs: Mapping[str, _Pack]) -> None:
        if "en" not in packs:
            raise RedirectTextsError(
                "no English redirect texts (en.toml): English is the last fallback"
            )
        self._packs = dict(packs)

    @classmethod
    def load(
        cls, directory: str | Path | None = None, *, overrides_dir: str | Path | None = None
    ) -> RedirectTexts:
        """Load ``directory`` (default: the shipped ``config/redirect``) and admin overrides."""
        base = (
            Path(directory)
            if directory is not None
            else Path(__file__).resolve().parent.parent / "config" / "redirect"
        )
        packs: dict[str, _Pack] = {}
        for path in sorted(base.glob("*.toml")):
            pack = _load_file(path, partial=False)
            packs[pack.lang] = pack
        if overrides_dir is not None and Path(overrides_dir).is_dir():
            for path in sorted(Path(overrides_dir).glob("*.toml")):
                over = _load_file(path, partial=True)
                cur = packs.get(over.lang)
                if cur is None:
                    # A new language added by an admin must be complete (English fills nothing).
                    packs[over.lang] = _load_file(path, partial=False)
                else:
                    rtl = over.rtl if over.rtl_set else cur.rtl
                    packs[over.lang] = _Pack(
                        cur.lang, rtl, over.updated or cur.updated, {**cur.texts, **over.texts}
                    )
        return cls(packs)

    def languages(self) -> list[str]:
        return sorted(self._packs)

    def is_rtl(self, lang: str) -> bool:
        pack = self._packs.get(lang)
        return bool(pack and pack.rtl)

    def updated(self, lang: str) -> str:
        pack = self._packs.get(lang)
        return pack.updated if pack else ""

    def pick(
        self,
        detected: str | None,
        community_lang: str | None = None,
        allowed: list[str] | None = None,
    ) -> str:
        """The language to answer in: the detected one, else the community's, else English."""
        for cand in (detected, community_lang):
            if not cand:
                continue
            code = cand.lower()
            code = LANG_ALIASES.get(code, code)
            if code in self._packs and (not allowed or code in allowed):
                return code
        return "en"

    def get(
        self,
        kind: str,
        lang: str,
        *,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
    ) -> RedirectText:
        """The raw text of ``kind`` in ``lang`` (community overrides first), English as fallback."""
        if kind not in TEXT_KINDS and kind not in _PHRASES:
            raise KeyError(f"unknown redirect text kind {kind!r}")
        for code in (lang, "en"):
            over = (overrides or {}).get(code, {})
            if kind in over:
                return RedirectText(kind, code, over[kind], self.is_rtl(code))
            pack = self._packs.get(code)
            if pack is not None and kind in pack.texts:
                return RedirectText(kind, code, pack.texts[kind], pack.rtl)
        return RedirectText(kind, "en", _PHRASES.get(kind, ""), False)

    def render(
        self,
        kind: str,
        lang: str,
        values: Mapping[str, str] | None = None,
        *,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
    ) -> RedirectText:
        """The text of ``kind`` with its placeholders filled."""
        base = self.get(kind, lang, overrides=overrides)
        text = base.text
        for key, value in (values or {}).items():
            if base.rtl:
                value = f"{_FSI}{value}{_PDI}"
            text = text.replace("{" + key + "}", value)
        return RedirectText(kind, base.lang, text, base.rtl)

    def phrase(
        self, key: str, lang: str, *, overrides: Mapping[str, Mapping[str, str]] | None = None
    ) -> str:
        """A short optional phrase (``automated_yes``, ``this_community``...) for placeholders."""
        return self.get(key, lang, overrides=overrides).text if key in _PHRASES else ""
