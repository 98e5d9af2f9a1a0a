"""Text normalisation: one function from raw chat text to the two views every matcher uses.

Evaders write ``b.o.a.t``, ``b0at``, ``bоat`` (a Cyrillic ``о``), ``boooat``, put zero-width
characters inside words or type in fullwidth letters. Honest writers of Arabic-script languages mix
Arabic and Persian forms of yeh and kaf, and type Eastern-Arabic or Persian digits. Normalisation
folds all of that away *before* matching, so the lexicon can stay a list of plain words.

Two views, because one mapping cannot serve both kinds of matcher:

``surface``
    NFKC, casefolded, format characters (zero-width, bidi controls, soft hyphen, tatweel,
    variation selectors) removed, every decimal digit as ASCII. Regexes for prices, phone numbers
    and links run here: they need real digits and punctuation.
``folded``
    ``surface`` mapped much further for the lexicon: look-alike letters to Latin, leetspeak digits
    inside words to letters, words spelled with separators rejoined, stretched letters squeezed,
    Arabic-script letter variants unified, diacritics and punctuation dropped, words separated by
    single spaces. Mapping ``0`` to ``o`` would break ``£2500`` and ``+44 7700``, hence two views.

Diacritics: Latin diacritics are dropped in ``folded`` (people type Turkish, Albanian, Kurmanji and
French both with and without them) *except* in text that looks Vietnamese (it has ``ă đ ơ ư`` or a
Vietnamese tone-marked vowel), where the marks carry meaning (``tàu`` ship vs ``tau``) and survive.
The lexicon indexes every term in both forms so either kind of message matches.

Everything here is linear in the input: ``str`` methods, ``str.translate`` and regexes without
nested quantifiers. Nothing raises on any ``str``.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

__all__ = ["Normalised", "fold", "normalise", "spelled_words"]


class Normalised(NamedTuple):
    """The two views of one message (see the module docstring). A named tuple: it is made for
    every message, and building a tuple costs a fraction of a frozen dataclass."""

    surface: str
    folded: str


# --- surface ------------------------------------------------------------------------------------

# Format and invisible characters that evaders put inside words, plus tatweel (U+0640, a pure
# stretching glyph in Arabic script) and the combining dot that casefolding leaves after Turkish İ.
# ZWNJ (U+200C) is different: in Persian it separates a suffix or prefix from its word
# (خانواده‌ها "families", می‌روم), and since it visibly breaks the letters' joining it is no
# evasion there, so between Arabic-script letters it becomes a space (the stem then matches as a
# word); elsewhere it goes with the other invisible characters.
_ZWNJ_RE = re.compile("(?<=[\u0600-\u06ff])\u200c+(?=[\u0600-\u06ff])")
_FORMAT_RE = re.compile(
    "[\u00ad\u034f\u061c\u0640\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef\ud800-\udfff]"
)  # (the last range: lone surrogates, which JSON "\ud800" escapes can smuggle in)
_I_DOT_RE = re.compile("(?<=i)\u0307")


# Decimal digits of the scripts our users write (Arabic-Indic, Persian/Urdu, Devanagari, Bengali,
# Myanmar...; NFKC already maps fullwidth and mathematical digits). An explicit range class is
# searched in C far faster than ``\d``, so the translation below costs nothing on most text.
_DIGIT_RANGES = (
    "\u0660-\u0669\u06f0-\u06f9\u07c0-\u07c9\u0966-\u096f\u09e6-\u09ef\u0a66-\u0a6f\u1040-\u1049"
)
_NON_ASCII_DIGIT_RE = re.compile(f"[{_DIGIT_RANGES}]")


def _digit_table() -> dict[int, str]:
    """Every Unicode decimal digit to its ASCII digit."""
    table: dict[int, str] = {}
    for cp in range(0x80, 0x20000):
        ch = chr(cp)
        if ch.isdecimal():
            table[cp] = str(unicodedata.decimal(ch))
    return table


_DIGITS = _digit_table()


def _nfkc(s: str) -> str:
    # The quick check answers "already normalised" for most text at a fraction of the cost.
    return s if unicodedata.is_normalized("NFKC", s) else unicodedata.normalize("NFKC", s)


def _surface(text: str) -> str:
    if text.isascii():
        # The ASCII fast path: casefold == lower, NFKC is the identity, no format characters.
        return text.lower()
    if "\u200c" in text:
        text = _ZWNJ_RE.sub(" ", text)
    # Format characters go first: removed after NFKC they could leave marks out of canonical order.
    s = _nfkc(_FORMAT_RE.sub("", text))
    s = _nfkc(s.casefold())
    if _FORMAT_RE.search(s) is not None:  # NFKC itself made some (Arabic ligatures → tatweel)
        s = _nfkc(_FORMAT_RE.sub("", s))
    if "\u0307" in s:
        s = _I_DOT_RE.sub("", s)
    if _NON_ASCII_DIGIT_RE.search(s) is not None:
        s = s.translate(_DIGITS)
    return s


# --- folded -------------------------------------------------------------------------------------

# Look-alikes of Latin letters (after casefolding) from Cyrillic, Greek, Armenian, small capitals
# and IPA. No pack language is written in these scripts, so mapping them outright costs nothing.
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "ԑ": "e", "һ": "h", "і": "i", "ї": "i", "ӏ": "l",
    "ј": "j", "к": "k", "қ": "k", "ҝ": "k", "м": "m", "н": "h", "о": "o", "ө": "o", "р": "p",
    "ԛ": "q", "с": "c", "ѕ": "s", "т": "t", "у": "y", "ү": "y", "х": "x", "ԝ": "w", "ԁ": "d",
    "ь": "b", "п": "n", "г": "r", "з": "3", "ч": "4", "ш": "w",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "σ": "o", "ς": "c", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
    "ά": "a", "έ": "e", "ί": "i", "ό": "o", "ύ": "u", "ή": "n", "ώ": "w",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "ց": "g", "զ": "q", "ա": "w", "ռ": "n",
    # small capitals and IPA look-alikes
    "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i",
    "ᴊ": "j", "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ʀ": "r", "ꜱ": "s",
    "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ɑ": "a", "ɡ": "g", "ɩ": "i",
    "ɒ": "o", "ɵ": "o", "ø": "o", "ł": "l", "ı": "i", "ŀ": "l", "ħ": "h", "ƅ": "b",
    # typographic apostrophes and quotes are separators (French elision: l'Angleterre)
    "'": " ", "’": " ", "‘": " ", "`": " ", "´": " ", "ʼ": " ",
}  # fmt: skip

# Arabic-script unification: the letter variants that the same word is typed with across
# keyboards (Arabic vs Persian yeh and kaf, alef forms, teh marbuta, Sorani and Pashto letters
# that writers often replace by the nearest Arabic one). The lexicon goes through the same map.
_ARABIC = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ۍ": "ي", "ێ": "ي", "ئ": "ي", "ے": "ي",
    "ک": "ك", "ڪ": "ك", "ګ": "گ",
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ھ": "ه", "ہ": "ه", "ۂ": "ه",
    "ؤ": "و", "ۆ": "و", "ۏ": "و",
    "ڕ": "ر", "ڵ": "ل",
    "،": " ", "؛": " ", "؟": " ", "٪": "%", "٫": ".", "٬": ",",
}  # fmt: skip


def _latin_strip_table() -> dict[int, str]:
    """Precomposed Latin letters with diacritics to their base letters (é→e, ş→s, ë→e, ạ→a)."""
    table: dict[int, str] = {}
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii() and base.isalpha():
            table[cp] = base.lower()
    table[ord("đ")] = "d"
    table[ord("ð")] = "d"
    table[ord("æ")] = "ae"
    table[ord("œ")] = "oe"
    return table


def _build_tables() -> tuple[dict[int, str], dict[int, str]]:
    common: dict[int, str] = {}
    common.update({ord(k): v for k, v in _CONFUSABLES.items()})
    common.update({ord(k): v for k, v in _ARABIC.items()})
    strip = dict(common)
    strip.update(_latin_strip_table())
    strip.update({ord(k): v for k, v in _CONFUSABLES.items() if k in "øłı"})
    return common, strip


_KEEP_TABLE, _STRIP_TABLE = _build_tables()

# Text with one of these is treated as Vietnamese: its diacritics survive in ``folded``.
_VIETNAMESE_RE = re.compile("[ăđơư\u1ea0-\u1ef9]")

# Combining marks that survive NFKC (zalgo stacks, Arabic harakat, Hebrew points, ...). Precomposed
# letters are not marks, so Vietnamese "ệ" is untouched by this.
_MARKS_RE = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0730-\u074a\u08d3-\u08ff\u135d-\u135f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)

# The words of the text, keeping the symbols leetspeak uses (@ $ ! |) and the punctuation that
# evaders put between the letters of one word ("lon.don", "u.k", "sm*ggler", "b.o.a.t": removed
# when the word is folded); "_" is a separator.
_TOKEN_RE = re.compile(r"[\w@$!|]+(?:[.·•*~^][\w@$!|]+)*")
_TOKEN_ASCII_RE = re.compile(r"[\w@$!|]+(?:[.*~^][\w@$!|]+)*", re.ASCII)  # 2x faster on ASCII
_INTRA = str.maketrans("", "", ".·•*~^")
_LEET_CHARS = frozenset("0123456789@$!|")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g", "@": "a",
     "$": "s", "!": "i", "|": "i"}
)  # fmt: skip
_SYMBOLS_RE = re.compile(r"[@$!|]+")
# Stretched letters: "boooat", "freeee". Doubled letters collapse too ("boat"/"booat"), in the
# lexicon as well, which is what makes "b00at" and "boat" meet; digits are never squeezed.
_REPEAT_RE = re.compile(r"([^\W\d])\1+")


def _squeeze(m: re.Match[str]) -> str:
    return m.group(1)


def _fold_plain(t: str) -> str:
    """One word whose letters are already mapped: leetspeak digits and symbols inside it mapped
    (when it has two or more letters; otherwise it is a number or a stray symbol and only loses
    the symbols), repeated letters squeezed."""
    if not _LEET_CHARS.isdisjoint(t):
        t = t.strip("@!|")
        letters = 0
        for ch in t:
            if ch.isalpha():
                letters += 1
        t = t.translate(_LEET) if letters >= 2 else _SYMBOLS_RE.sub("", t)
    if len(t) > 1:
        t = _REPEAT_RE.sub(_squeeze, t)
    return t


class _WordCache(dict[str, str]):
    """Folded words by raw word. Folding a word depends only on the word, and chat repeats words
    all the time: a hit is one C-level dict lookup (``map(cache.__getitem__, words)`` never enters
    Python), a miss computes the word through ``__missing__``. Bounded: emptied when full."""

    __slots__ = ("table",)
    MAX = 100_000

    def __init__(self, table: dict[int, str]) -> None:
        super().__init__()
        self.table = table  # look-alikes, Arabic-script variants, Latin diacritics (or not)

    def __missing__(self, word: str) -> str:
        folded = _fold_plain(word if word.isascii() else word.translate(self.table))
        joined = folded.translate(_INTRA)  # "lon.don", "u.k", "b.o.a.t"
        if joined != folded:
            folded = _fold_plain(joined)
        if len(self) >= self.MAX:
            self.clear()
        self[word] = folded
        return folded


_WORDS_STRIP = _WordCache(_STRIP_TABLE)  # the usual case: Latin diacritics dropped
_WORDS_KEEP = _WordCache(_KEEP_TABLE)  # text that looks Vietnamese: diacritics kept


class _ChunkCache(dict[str, str]):
    """Folded text by whitespace-separated chunk ("boat,", "#uk", "(calais)", "b.o.a.t").

    Words never span whitespace, so splitting on it (``str.split``, C speed) and tokenizing
    each *distinct* chunk once gives the same words as running the tokenizer over the whole
    text, and a repeated chunk costs one dict lookup instead of a regex scan. A chunk may hold
    several words ("boat,uk" → "boat uk") or none ("--" → ""). Bounded like :class:`_WordCache`.
    """

    __slots__ = ("words",)
    MAX = 200_000  # more distinct chunks than words: "uk," "uk." "#uk" (the tweets: 117,000)

    def __init__(self, words: _WordCache) -> None:
        super().__init__()
        self.words = words

    def __missing__(self, chunk: str) -> str:
        token_re = _TOKEN_ASCII_RE if chunk.isascii() else _TOKEN_RE
        folded = " ".join(filter(None, map(self.words.__getitem__, token_re.findall(chunk))))
        if len(self) >= self.MAX:
            self.clear()
        self[chunk] = folded
        return folded


_CHUNKS_STRIP = _ChunkCache(_WORDS_STRIP)
_CHUNKS_KEEP = _ChunkCache(_WORDS_KEEP)


# Two one-character words side by side, in words joined by single spaces: the cheap test before
# _join_singles (most text has none; "a" and "I" alone are common and cost nothing more).
# Written for text padded with a space at each end: starting with a literal, it lets the regex
# engine skip ahead to each space instead of trying a lookbehind at every position (3x faster).
_ADJACENT_SINGLES_RE = re.compile(r" \S \S ")


def _has_adjacent_singles(out: str) -> bool:
    return _ADJACENT_SINGLES_RE.search(f" {out} ") is not None


def _rejoin(s: str, token_re: re.Pattern[str], words: _WordCache) -> str:
    """Fold ``s`` joining runs of one-letter words that share the same gap: "b o a t" →
    "boat", and "B O A T  T O  U K" (letters one space apart, words two) → "boat to uk".

    A digit or leet symbol may sit inside a run ("b 0 a t") but never starts or ends it, so
    "C a l a i s 2 5 0 0" gives "calais 2 5 0 0". French "il y a" becomes "il ya" — in the
    lexicon too, so nothing is lost. After this no two joinable one-letter words are left side
    by side, which keeps folding idempotent.
    """
    raw = [(m.start(), m.end()) for m in token_re.finditer(s)]
    folded = [words[s[a:b]] for a, b in raw]
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        f = folded[i]
        if len(f) == 1 and f.isalpha():
            gap = s[raw[i][1] : raw[i + 1][0]] if i + 1 < n else ""
            j = i + 1
            while j < n and len(folded[j]) == 1 and s[raw[j - 1][1] : raw[j][0]] == gap:
                if folded[j].isalpha():
                    j += 1
                elif (
                    j + 1 < n
                    and len(folded[j + 1]) == 1
                    and folded[j + 1].isalpha()
                    and s[raw[j][1] : raw[j + 1][0]] == gap
                ):
                    j += 1  # a digit or symbol between two letters of the run
                else:
                    break
            if j - i >= 2:
                out.append("".join(folded[i:j]))
                i = j
                continue
        out.append(f)
        i += 1
    return " ".join(filter(None, map(words.__getitem__, out)))


def _join_singles(toks: list[str]) -> tuple[list[str], bool]:
    """Join runs of two or more one-letter words: "b o a t", "b-o-a-t" (after splitting), "U K".

    A digit or leet symbol may sit inside a run ("b 0 a t") but never starts or ends it, so
    "C a l a i s 2 5 0 0" gives "calais 2 5 0 0". French "il y a" becomes "il ya" — in the
    lexicon too, so nothing is lost.
    """
    out: list[str] = []
    changed = False
    i, n = 0, len(toks)
    while i < n:
        t = toks[i]
        if len(t) == 1 and t.isalpha():
            j = i + 1
            while j < n and len(toks[j]) == 1:
                c = toks[j]
                if c.isalpha():
                    j += 1
                elif j + 1 < n and len(toks[j + 1]) == 1 and toks[j + 1].isalpha():
                    j += 1  # a digit or symbol between two letters
                else:
                    break
            if j - i >= 2:
                out.append("".join(toks[i:j]))
                changed = True
                i = j
                continue
        out.append(t)
        i += 1
    return out, changed


def fold(surface: str, *, keep_diacritics: bool | None = None) -> str:
    """Map a ``surface`` string to the ``folded`` view.

    ``keep_diacritics=None`` decides from the text (kept only when it looks Vietnamese); the
    lexicon passes ``True``/``False`` explicitly to index both forms of every term.
    """
    s = surface
    words, chunks = _WORDS_STRIP, _CHUNKS_STRIP
    ascii_only = s.isascii()
    if not ascii_only:
        if keep_diacritics is None:
            keep_diacritics = _VIETNAMESE_RE.search(s) is not None
        if keep_diacritics:
            words, chunks = _WORDS_KEEP, _CHUNKS_KEEP
        s = _MARKS_RE.sub("", s)
        if "ʼ" in s:  # a modifier letter (so a word character) used as an apostrophe
            s = s.replace("ʼ", " ")
    if "_" in s:
        s = s.replace("_", " ")
    # Letters are mapped chunk by chunk (and word by word inside a chunk) through caches
    # rather than over the whole string: most words of a chat repeat, and a dict lookup is
    # cheaper than translating every character or running the tokenizer again.
    out = " ".join(filter(None, map(chunks.__getitem__, s.split())))
    if not out:
        return ""
    # Words spelled out letter by letter ("b o a t", "b-o-a-t", "U K") are joined after each
    # letter is folded (so "b 0 a t" and "βοат" work too), then the joined word is folded
    # again. Rare, so the cheap test on the result comes first.
    if _has_adjacent_singles(out):
        out = _rejoin(s, _TOKEN_ASCII_RE if ascii_only else _TOKEN_RE, words)
        # Letters the gapped rule left side by side (uneven gaps, "a:0;a") are joined as a
        # second reading of the result would join them: so folding stays idempotent.
        if _has_adjacent_singles(out):
            again, changed = _join_singles(out.split(" "))
            if changed:
                out = " ".join(filter(None, map(words.__getitem__, again)))
    return out


# Three one-character words in a row, each one space apart and after a space: every run of
# four or more has it (but a text that is nothing else than four letters). Starting with a
# literal keeps the scan fast, and no padded copy of the text is made.
_SPELLED_GATE_RE = re.compile(r" \S \S \S ")


def spelled_words(surface: str) -> list[str]:
    """Words spelled out letter by letter, with single spaces and no wider gap between words:
    "ب ل م ل ب ر ي ط ا ن ي ا" (a whole sentence) is one run that ``folded`` can only join into
    "بلملبريطانيا". They are returned folded and joined, for a lexicon search *inside* them
    (:meth:`core._lexicon.Lexicon.match_inside`). Nearly every message has none, and the check
    for it is one regex scan.
    """
    if _SPELLED_GATE_RE.search(surface) is None:
        return []
    chunks = _CHUNKS_KEEP if _VIETNAMESE_RE.search(surface) is not None else _CHUNKS_STRIP
    runs: list[str] = []
    run: list[str] = []
    for chunk in surface.split():
        f = chunks[chunk]
        if len(f) == 1 and f.isalpha():
            run.append(f)
            continue
        if len(run) >= 4:
            runs.append(_fold_plain("".join(run)))
        run = []
    if len(run) >= 4:
        runs.append(_fold_plain("".join(run)))
    return runs


def normalise(text: str) -> Normalised:
    """Normalise one message into its ``surface`` and ``folded`` views. Never raises.

    >>> normalise("Β０АТ to L.O.N.D.O.N tonight!!").folded
    'boat to london tonight'
    """
    if not isinstance(text, str):  # defensive: callers sometimes hand us None or bytes
        text = "" if text is None else str(text)
    try:
        surface = _surface(text)
        return Normalised(surface, fold(surface))
    except Exception:  # pragma: no cover - belt and braces: a normaliser must never raise
        # Lone surrogates and similar oddities: drop what cannot be encoded and retry.
        cleaned = text.encode("utf-8", "ignore").decode("utf-8", "ignore")
        surface = _surface(cleaned)
        return Normalised(surface, fold(surface))
