"""The bot's own words, loaded from ``texts.toml`` so translators edit data, not code."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

__all__ = ["Texts", "lang_of"]

_DEFAULT_PATH = Path(__file__).with_name("texts.toml")
FALLBACK = "en"


def lang_of(code: str | None) -> str:
    """``"pt-br"`` -> ``"pt"``; Telegram gives IETF tags for the user's client language."""
    if not code:
        return FALLBACK
    return code.replace("_", "-").split("-", 1)[0].lower() or FALLBACK


class Texts:
    """Message templates per language with English fallback, key by key."""

    def __init__(self, table: dict[str, dict[str, str]]) -> None:
        if FALLBACK not in table:
            raise ValueError(f"texts need an [{FALLBACK}] table")
        self._table = table

    @classmethod
    def load(cls, path: Path | None = None) -> Texts:
        return _load(path or _DEFAULT_PATH)

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self._table)

    def get(self, lang: str | None, key: str, /, **values: object) -> str:
        table = self._table.get(lang_of(lang), {})
        template = table.get(key) or self._table[FALLBACK][key]
        return template.format(**values) if values else template


@cache
def _load(path: Path) -> Texts:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return Texts({lang: {k: str(v) for k, v in keys.items()} for lang, keys in data.items()})
