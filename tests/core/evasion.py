"""The evasion harness: obfuscated variants of a message, as evaders write them.

Each transform takes a message and a seeded ``random.Random`` and returns a variant a human would
still read as the same message: look-alike letters from other scripts, invisible characters
inside words, letters spelled out with separators, leetspeak digits, stretched letters,
fullwidth forms, and for Arabic script the stretching tatweel, vowel marks and swapped
Arabic/Persian letter forms. The detector's tests hold offer recall on these variants within a
few points of the plain messages.

Deterministic: the same message and seed always give the same variants, so a failure can be
reproduced. Numbers (prices, phone numbers) are left alone: evaders keep those readable for their
customers, and obfuscating them is a different problem (OCR, spelled-out numbers).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

__all__ = ["TRANSFORMS", "variants"]

_WORD_RE = re.compile(r"[^\W\d_]{4,}")

_HOMOGLYPHS = {
    "a": "а", "c": "с", "e": "е", "i": "і", "j": "ј", "o": "о", "p": "р", "s": "ѕ", "x": "х",
    "y": "у", "k": "κ", "n": "ո", "u": "υ", "v": "ν", "A": "Α", "B": "Β", "E": "Ε", "H": "Η",
    "K": "Κ", "M": "Μ", "O": "О", "P": "Р", "T": "Т", "X": "Χ", "C": "С",
}  # fmt: skip
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7", "A": "4", "E": "3",
         "I": "1", "O": "0", "S": "5", "T": "7"}  # fmt: skip
_INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff")
_ARABIC_SWAPS = {"ي": "ی", "ی": "ي", "ك": "ک", "ک": "ك", "ى": "ی", "ه": "ة"}
_HARAKAT = ("\u064e", "\u064f", "\u0650", "\u0652", "\u0651")
_VOWELS = set("aeiouAEIOU")


def _map_words(text: str, rng: random.Random, p: float, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to each word of 4+ letters with probability ``p``, never to two neighbours
    (evaders obfuscate the key words, and spelling out two neighbours would merge them)."""
    out: list[str] = []
    last = -10
    pos = 0
    for i, m in enumerate(_WORD_RE.finditer(text)):
        out.append(text[pos : m.start()])
        word = m.group(0)
        if i - last > 1 and rng.random() < p:
            word = fn(word)
            last = i
        out.append(word)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def homoglyphs(text: str, rng: random.Random) -> str:
    def fn(word: str) -> str:
        return "".join(_HOMOGLYPHS.get(c, c) if rng.random() < 0.6 else c for c in word)

    return _map_words(text, rng, 0.7, fn)


def zero_width(text: str, rng: random.Random) -> str:
    def fn(word: str) -> str:
        chars = list(word)
        # ZWNJ visibly breaks the joining of Arabic-script letters: no evader uses it there.
        pool = _INVISIBLE if word.isascii() else tuple(c for c in _INVISIBLE if c != "\u200c")
        for k in sorted(rng.sample(range(1, len(chars)), min(2, len(chars) - 1)), reverse=True):
            chars.insert(k, rng.choice(pool))
        return "".join(chars)

    return _map_words(text, rng, 0.8, fn)


def separators(text: str, rng: random.Random) -> str:
    def fn(word: str) -> str:
        return rng.choice((".", "-", " ", "*", "_")).join(word)

    return _map_words(text, rng, 0.4, fn)


def leetspeak(text: str, rng: random.Random) -> str:
    def fn(word: str) -> str:
        out = "".join(_LEET.get(c, c) for c in word)
        # Keep at least two letters: a word of digits only reads as a number to anyone.
        return out if sum(c.isalpha() for c in out) >= 2 else word

    return _map_words(text, rng, 0.6, fn)


def stretching(text: str, rng: random.Random) -> str:
    def fn(word: str) -> str:
        idx = [i for i, c in enumerate(word) if c in _VOWELS] or [len(word) - 1]
        i = rng.choice(idx)
        return word[: i + 1] + word[i] * rng.randint(2, 5) + word[i + 1 :]

    return _map_words(text, rng, 0.5, fn)


def fullwidth(text: str, rng: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and not c.isdigit() else c for c in text)


def arabic_script(text: str, rng: random.Random) -> str:
    """Tatweel stretching, vowel marks and swapped Arabic/Persian letter forms."""
    out: list[str] = []
    for c in text:
        if "\u0621" <= c <= "\u06d3" and c.isalpha():
            c = _ARABIC_SWAPS.get(c, c) if rng.random() < 0.5 else c
            r = rng.random()
            if r < 0.15:
                c += "\u0640\u0640"
            elif r < 0.3:
                c += rng.choice(_HARAKAT)
        out.append(c)
    return "".join(out)


def mixed(text: str, rng: random.Random) -> str:
    """Two evasions at once, as real ads do."""
    first, second = rng.sample((homoglyphs, zero_width, leetspeak, stretching, separators), 2)
    return second(first(text, rng), rng)


TRANSFORMS: dict[str, Callable[[str, random.Random], str]] = {
    "homoglyphs": homoglyphs,
    "zero_width": zero_width,
    "separators": separators,
    "leetspeak": leetspeak,
    "stretching": stretching,
    "fullwidth": fullwidth,
    "arabic_script": arabic_script,
    "mixed": mixed,
}


def variants(text: str, *, seed: int = 0) -> dict[str, str]:
    """Every transform's variant of ``text`` (those that change it), keyed by transform name."""
    out: dict[str, str] = {}
    for name, fn in TRANSFORMS.items():
        rng = random.Random(f"{seed}:{name}:{text}")
        variant = fn(text, rng)
        if variant != text:
            out[name] = variant
    return out
