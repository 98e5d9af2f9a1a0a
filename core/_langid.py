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
from operator import itemgetter

from core._normalise import fold

__all__ = ["SAMPLE", "LanguageIdentifier"]

SAMPLE = 600


# Letter cues: letters only one language of a family uses (or uses far more), with a weight per
# occurrence. One regex pass finds them all; each language's cue total is capped.
_ARABIC_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    **dict.fromkeys("ټډړږښګڼۍځڅ", (("ps", 3.0),)),
    "ې": (("ps", 2.0),),
    **dict.fromkeys("ڕڵۆێەڤ", (("ckb", 2.0),)),
    **dict.fromkeys("پچژگکی", (("fa", 0.6),)),
    **dict.fromkeys("ةىيك", (("ar", 0.6),)),
}
_LATIN_CUES: dict[str, tuple[tuple[str, float], ...]] = {
    **dict.fromkeys("ăđơư" + "".join(chr(c) for c in range(0x1EA0, 0x1EFA)), (("vi", 3.0),)),
    **dict.fromkeys("ğı", (("tr", 3.0),)),
    **dict.fromkeys("öü", (("tr", 1.0),)),
    "ş": (("tr", 0.5), ("kmr", 0.5)),
    **dict.fromkeys("êîû", (("kmr", 1.0),)),
    "ë": (("sq", 2.0),),
    **dict.fromkeys("éèàùâœô", (("fr", 1.5),)),
}
_ARABIC_CUE_RE = re.compile("[" + "".join(_ARABIC_CUES) + "]")
_LATIN_CUE_RE = re.compile("[" + "".join(_LATIN_CUES) + "]")
_CUE_CAP = 12.0  # no language gets more than this from letters alone
_ETHIOPIC_LANGS: tuple[str, ...] = ("ti", "am")
_ARABIC_LANGS: tuple[str, ...] = ("ar", "fa", "ps", "ckb")
_LATIN_LANGS: tuple[str, ...] = ("en", "fr", "kmr", "sq", "vi", "tr")
_LATIN_SET = frozenset(_LATIN_LANGS)
_HINT_ALIASES = {"prs": "fa", "fas": "fa", "per": "fa", "ku": "kmr", "sorani": "ckb"}


def _normalise_hint(hint: str) -> str | None:
    """ "fr-FR" → "fr", "prs" (Dari) → "fa"; anything not a string → None."""
    if not isinstance(hint, str):
        return None
    code = hint.lower().strip().replace("_", "-").split("-")[0]
    return _HINT_ALIASES.get(code, code) or None


# A language needs at least this score to be chosen over the caller's hint.
_MIN_SCORE = 1.5


class LanguageIdentifier:
    """Identifies the pack language of a message's surface text (see the module docstring)."""

    def __init__(self, common_words: Mapping[str, frozenset[str]]) -> None:
        self._known = frozenset(common_words)
        # folded word -> the languages that list it as common (one dict lookup per word)
        self._common: dict[str, tuple[str, ...]] = {}
        for lang, words in common_words.items():
            for w in words:
                for key in {fold(w, keep_diacritics=True), fold(w, keep_diacritics=False)}:
                    if key and " " not in key and lang not in self._common.get(key, ()):
                        self._common[key] = (*self._common.get(key, ()), lang)

    def identify(
        self, surface: str, lang_hint: str | None = None, folded: str | None = None
    ) -> str:
        """The language of a message: its ``surface`` view (and, to save work, its ``folded``
        view when the caller has it), with ``lang_hint`` as the fallback."""
        hint = _normalise_hint(lang_hint) if lang_hint else None
        sample = surface[:SAMPLE]
        words = (folded if folded is not None else fold(sample))[: SAMPLE * 2].split()
        family: tuple[str, ...]
        cue_re: re.Pattern[str] | None = None
        cues: dict[str, tuple[tuple[str, float], ...]] = {}
        if sample.isascii():
            # The common case, made cheap: Latin script, no letter cues, only common words.
            hits = list(filter(None, map(self._common.get, words)))
            if not hits:
                return hint if hint in self._known else "und"
            # ASCII words can only be common words of Latin-script packs: count them in C.
            counts: dict[str, int] = {}
            for langs in hits:
                for lang in langs:
                    counts[lang] = counts.get(lang, 0) + 1
            if len(counts) == 1:
                (best_latin, top), second = next(iter(counts.items())), 0
            else:
                ranked_latin = sorted(counts.items(), key=itemgetter(1), reverse=True)
                (best_latin, top), second = ranked_latin[0], ranked_latin[1][1]
            decisive_latin = top >= _MIN_SCORE and top > second
            if hint in _LATIN_SET and (not decisive_latin or counts.get(hint, 0) >= top):
                return hint
            if decisive_latin:
                return best_latin
            return hint if hint in self._known else best_latin
        else:
            # The script of the most letters (counted over the folded words, whose letters are
            # those of the surface text minus marks; look-alikes are already Latin there).
            lat = ara = eth = 0
            for w in words[:24]:  # the first two dozen words decide the script
                c = w[0]
                if c < "\u0600":
                    if c.isalpha():
                        lat += len(w)
                elif c <= "\u08ff":
                    ara += len(w)
                elif "\u1200" <= c <= "\u139f" or "\u2d80" <= c <= "\u2ddf":
                    eth += len(w)
            if eth == 0 and ara == 0 and lat == 0:
                return hint if hint in self._known else "und"
            if eth >= ara and eth >= lat:
                family = _ETHIOPIC_LANGS
            elif ara >= lat:
                family, cue_re, cues = _ARABIC_LANGS, _ARABIC_CUE_RE, _ARABIC_CUES
            else:
                family, cue_re, cues = _LATIN_LANGS, _LATIN_CUE_RE, _LATIN_CUES
        scores = dict.fromkeys(family, 0.0)
        if cue_re is not None:
            for ch in cue_re.findall(sample):
                for lang, weight in cues[ch]:
                    scores[lang] += weight
            for lang in scores:
                scores[lang] = min(scores[lang], _CUE_CAP)
        if family is _ARABIC_LANGS:
            # the Arabic article starting words is frequent in Arabic, rare in the others
            al = sum(1 for w in words if w.startswith("ال"))
            scores["ar"] += 0.8 * min(al, 6)
        for langs in filter(None, map(self._common.get, words)):  # C loop; few hits
            for lang in langs:
                if lang in scores:
                    scores[lang] += 1.0
        ranked = sorted(scores.values(), reverse=True)
        best = max(family, key=scores.__getitem__)
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
