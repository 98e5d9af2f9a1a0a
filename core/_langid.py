"""Language identification for the twelve pack languages: script first, then letters and words.

Chat messages are short and mixed ("boat to UK, ۲۰۰۰ پوند"), so statistical models trained on
prose do poorly and cost a lot. Instead:

1. The script decides the family: Ge'ez (Ethiopic) → Tigrinya or Amharic; Arabic script → Arabic,
   Farsi/Dari, Pashto or Sorani; Latin → English, French, Kurmanji, Albanian, Vietnamese, Turkish.
2. Inside a family, letters only one language uses vote (Pashto ټ ډ ړ ښ ځ څ, Sorani ڕ ڵ ۆ ێ ە,
   Persian-keyboard ی ک پ چ ژ گ vs Arabic ة ى ي ك, Vietnamese ơ ư đ ạ…, Turkish ğ ı, Albanian ë),
   and each pack's list of frequent words (``[langid] common``) votes per word found.
3. Without a decisive vote the caller's ``lang_hint`` (a channel's configured language) wins, and
   without that the result is ``"und"``.

Only the first :data:`SAMPLE` characters are looked at, so the cost is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["SAMPLE", "LanguageIdentifier"]

SAMPLE = 600

_ETHIOPIC_RE = re.compile("[\u1200-\u139f\u2d80-\u2ddf\uab00-\uab2f]")
_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_LATIN_RE = re.compile("[a-zà-ɏḀ-ỿ]")
_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")

# Letter cues: (pattern, language, weight per occurrence, cap on the occurrences counted).
_Cue = tuple[re.Pattern[str], str, float, int]
_ARABIC_CUES: tuple[_Cue, ...] = (
    (re.compile("[ټډړږښګڼۍځڅ]"), "ps", 3.0, 4),
    (re.compile("ې"), "ps", 2.0, 4),
    (re.compile("[ڕڵۆێەڤ]"), "ckb", 2.0, 6),
    (re.compile("[پچژگکی]"), "fa", 0.6, 8),
    (re.compile("[ةىيك]"), "ar", 0.6, 8),
    (re.compile(r"(?<!\w)ال"), "ar", 0.8, 6),
)
_LATIN_CUES: tuple[_Cue, ...] = (
    (re.compile("[ăđơư\u1ea0-\u1ef9]"), "vi", 3.0, 6),
    (re.compile("[ğı]"), "tr", 3.0, 4),
    (re.compile("[öü]"), "tr", 1.0, 4),
    (re.compile("ş"), "tr", 0.5, 4),
    (re.compile("ş"), "kmr", 0.5, 4),
    (re.compile("[êîû]"), "kmr", 1.0, 6),
    (re.compile("ë"), "sq", 2.0, 6),
    (re.compile("[éèàùâœô]"), "fr", 1.5, 6),
)
_ETHIOPIC_LANGS: tuple[str, ...] = ("ti", "am")
_ARABIC_LANGS: tuple[str, ...] = ("ar", "fa", "ps", "ckb")
_LATIN_LANGS: tuple[str, ...] = ("en", "fr", "kmr", "sq", "vi", "tr")

# A language needs at least this score to be chosen over the caller's hint.
_MIN_SCORE = 1.5


class LanguageIdentifier:
    """Identifies the pack language of a message's surface text (see the module docstring)."""

    def __init__(self, common_words: Mapping[str, frozenset[str]]) -> None:
        self._common = dict(common_words)
        self._known = frozenset(common_words)

    def identify(self, surface: str, lang_hint: str | None = None) -> str:
        hint = lang_hint.lower().strip() if isinstance(lang_hint, str) else None
        hint = hint.replace("_", "-").split("-")[0] if hint else None
        hint = {"prs": "fa", "fas": "fa", "per": "fa", "ku": "kmr", "sorani": "ckb"}.get(
            hint or "", hint
        )
        sample = surface[:SAMPLE]
        eth = len(_ETHIOPIC_RE.findall(sample))
        ara = len(_ARABIC_RE.findall(sample))
        lat = len(_LATIN_RE.findall(sample))
        if eth == 0 and ara == 0 and lat == 0:
            return hint if hint in self._known else "und"
        family: tuple[str, ...]
        cues: tuple[_Cue, ...]
        if eth >= ara and eth >= lat:
            family, cues = _ETHIOPIC_LANGS, ()
        elif ara >= lat:
            family, cues = _ARABIC_LANGS, _ARABIC_CUES
        else:
            family, cues = _LATIN_LANGS, _LATIN_CUES
        scores = dict.fromkeys(family, 0.0)
        for pattern, lang, weight, cap in cues:
            n = len(pattern.findall(sample))
            if n:
                scores[lang] += weight * min(n, cap)
        words = _WORD_RE.findall(sample)
        for lang in family:
            common = self._common.get(lang)
            if common:
                scores[lang] += 1.0 * sum(1 for w in words if w in common)
        best = max(family, key=lambda lang: scores[lang])
        ranked = sorted(scores.values(), reverse=True)
        decisive = ranked[0] >= _MIN_SCORE and ranked[0] > ranked[1]
        if hint in family and (not decisive or scores.get(hint, 0.0) >= ranked[0]):
            return hint
        if decisive:
            return best
        if hint in self._known:
            return hint
        if family is _ETHIOPIC_LANGS:
            # Ge'ez script without a word we know: Amharic is the larger language.
            return best if ranked[0] > 0 else "am"
        return best if ranked[0] > 0 else "und"
