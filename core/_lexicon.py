"""The lexicon: every language pack's terms in one Aho-Corasick automaton.

Language packs (``config/lang/<code>.toml``, format in the pack files' header and ``docs``) hold
categories of terms — ``route``, ``vehicle``, ``commercial``, ``contact``, ``documents``,
``seeking``, ``counter``, ``imminent``, ``currency``, ``crossing``, ``question`` — written as
people type them. Each term is normalised with the same :func:`~core._normalise.fold` as messages,
and stored in ONE automaton as ``" term "`` (padded with spaces). The folded text is words
separated by single spaces, so matching ``" " + folded + " "`` finds whole words and phrases only,
with no per-hit boundary check and no loop over terms in Python: the cost is linear in the message
and almost independent of the lexicon size (50,000 terms cost about what 2,000 do).

A key maps to every ``(lang, category, term)`` that produced it ("uk" is a route word in many
packs). Each term is indexed in a few spellings so that evasions and everyday variation meet it:
with and without Latin diacritics, and with ``l`` read as ``i`` (leetspeak ``1`` becomes ``i``, so
``smugg1er`` must find ``smuggler``).
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ahocorasick

from core._normalise import _surface, fold

__all__ = [
    "CATEGORIES",
    "INSIDE_CATEGORIES",
    "MASKING",
    "PLURAL_S",
    "PROCLITICS",
    "SHORT_KEYS_DROPPED",
    "SUFFIXING",
    "WHOLE_WORDS_ONLY",
    "Lexicon",
    "Pack",
    "TermHit",
    "load_packs",
]

log = logging.getLogger(__name__)

# The term categories a pack may hold (see the pack format). Unknown categories are loaded too
# (a pack may add one), they simply carry no weight unless config/detection.toml names them.
CATEGORIES: tuple[str, ...] = (
    "route",
    "vehicle",
    "commercial",
    "contact",
    "documents",
    "seeking",
    "counter",
    "imminent",
    "currency",
    "crossing",
    "question",
)


@dataclass(frozen=True, slots=True)
class TermHit:
    """One term of one pack: its language, its category and the term as the pack writes it."""

    lang: str
    category: str
    term: str


@dataclass(frozen=True, slots=True)
class Pack:
    """One language pack: metadata, language-identification words and terms by category."""

    code: str
    name: str
    script: str
    common: frozenset[str]
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def _as_strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and v.strip())


def read_pack(path: Path) -> Pack:
    """Read and validate one pack file. Raises ``ValueError`` naming the problem."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot read pack: {exc}") from exc
    meta = data.get("meta", {})
    code = str(meta.get("code") or path.stem)
    if code != path.stem:
        raise ValueError(f"{path.name}: meta.code {code!r} does not match the file name")
    terms_raw = data.get("terms", {})
    if not isinstance(terms_raw, dict):
        raise ValueError(f"{path.name}: [terms] must be a table")
    terms = {str(cat): _as_strings(v) for cat, v in terms_raw.items()}
    common = frozenset(
        w for w in (_surface(c).strip() for c in _as_strings(data.get("langid", {}).get("common")))
    )
    return Pack(
        code=code,
        name=str(meta.get("name", code)),
        script=str(meta.get("script", "Latn")),
        common=common,
        terms=terms,
    )


def load_packs(lang_dir: Path) -> dict[str, Pack]:
    """Every readable pack in ``lang_dir``; a broken pack is logged and skipped, never fatal."""
    packs: dict[str, Pack] = {}
    if not lang_dir.is_dir():
        log.warning("no language packs: %s is not a directory", lang_dir)
        return packs
    for path in sorted(lang_dir.glob("*.toml")):
        try:
            pack = read_pack(path)
        except ValueError as exc:
            log.warning("skipping language pack: %s", exc)
            continue
        packs[pack.code] = pack
    return packs


# Languages whose nouns mostly pluralise with a final -s: their terms are also indexed with it,
# so a pack can write "passport" and still match "passports".
PLURAL_S: frozenset[str] = frozenset({"en", "fr"})

# Languages that glue suffixes to words (Turkish tekne → teknenin, tekneyle; Sorani بەلەم →
# بەلەمەکە; Kurmanji Ewropa → Ewropayê; Albanian varkë → varkës; Amharic ጀልባ → ጀልባው; Arabic
# مهرب → مهربين; Persian and Pashto plural and ezafe endings). Their terms match as word
# *prefixes* when the last word is long enough not to be the start of unrelated words.
SUFFIXING: dict[str, int] = {
    "tr": 4, "ckb": 4, "kmr": 4, "sq": 4, "ar": 4, "fa": 4, "ps": 4, "am": 3, "ti": 3,
}  # fmt: skip

# Proclitics written joined to the next word, per language, as they look after folding. Arabic
# و ف ب ل ك (and, so, with, to, like), the article ال and colloquial ع (على, "to"): بالبلم,
# لبريطانيا, عالبلم. Ge'ez-script prepositions: በ ለ ከ የ (Amharic), ብ ን ካብ ናብ ናይ (Tigrinya).
_AR_PLAIN = (
    "و", "ف", "ب", "ل", "ك", "ع", "ال", "بال", "لل", "وال", "فال", "عال", "وب", "ول", "وبال",
)  # fmt: skip
_AR_AL = ("و", "ف", "ب", "ك", "ع", "وب")  # before a word that already has ال
PROCLITICS: dict[str, tuple[str, ...]] = {
    "am": ("በ", "ለ", "ከ", "የ", "እንደ", "ወደ"),
    "ti": ("ብ", "ን", "ካብ", "ናብ", "ናይ", "ኣብ", "የ"),
}


def _proclitic_forms(word: str, lang: str) -> list[str]:
    if len(word) < 3:
        return []
    if lang == "ar":
        if word.startswith("ال"):
            return [p + word for p in _AR_AL] + ["لل" + word[2:], "ولل" + word[2:]]
        return [p + word for p in _AR_PLAIN]
    return [p + word for p in PROCLITICS.get(lang, ())]


# Categories whose one- and two-letter Latin spellings are not indexed: the detector's money
# words ("k", "tl", "đ", and "đô" without its marks is "do") would otherwise match everyday words.
SHORT_KEYS_DROPPED: frozenset[str] = frozenset({"money"})

# Categories matched as whole words even in suffixing languages: question words are short, and
# as prefixes they start unrelated words (Turkish "kaça", "for how much?", and "kaçakçılar").
WHOLE_WORDS_ONLY: frozenset[str] = frozenset({"question", "seeking_cue"})

# Categories also searched inside words spelled out letter by letter (see Lexicon.match_inside).
INSIDE_CATEGORIES: frozenset[str] = frozenset(
    {"route", "vehicle", "crossing", "documents", "messenger", "imminent", "commercial"}
)

# A longer phrase of these categories masks the terms inside it: "boat for sale" (counter) hides
# "boat" (vehicle), and "tout le monde" (neutral: phrases that mean nothing here) hides the
# newspaper "le monde" (counter). Symmetrically a longer phrase of another category hides a
# counter term inside it: "جلیقه نجات" (life jacket) is not "نجات" (rescue).
MASKING: frozenset[str] = frozenset({"counter", "neutral"})
# ...but a counter term is never hidden by these: the detector's "money" words (currencies,
# "per person") are there only to find prices, the counter itself, and the detector's structural
# markers (config/detection.toml [lang_terms]): "hotel booking" marks legal travel, it does not
# turn the counter term "hotel" into something else.
_NOT_MASKING: frozenset[str] = frozenset(
    {"counter", "money", "legal_travel", "kin", "carried", "referral"}
)


def _masked(hit: TermHit, containers: list[tuple[int, int, tuple[TermHit, ...]]]) -> bool:
    for _start, _end, outer in containers:
        for o in outer:
            if o.category in MASKING and hit.category != o.category:
                return True
            if hit.category == "counter" and o.category not in _NOT_MASKING:
                return True
    return False


def term_keys(term: str, *, lang: str = "", plural_s: bool | None = None) -> dict[str, bool]:
    """The folded spellings under which ``term`` is indexed, each with whether it matches as a
    word prefix (see :data:`SUFFIXING`); see also the module docstring."""
    surface = _surface(term)
    keys: set[str] = set()
    for keep in (True, False):
        if not keep and lang == "vi" and " " not in surface:
            # Vietnamese tones carry meaning: a single syllable without them is another word
            # ("giả", forged, would become "gia" in "gia hạn", to renew). Phrases are still
            # indexed without tones too, since people often type them that way.
            continue
        key = fold(surface, keep_diacritics=keep)
        if key:
            keys.add(key)
    if plural_s if plural_s is not None else lang in PLURAL_S:
        for key in list(keys):
            last = key.rsplit(" ", 1)[-1]
            if len(last) >= 3 and last.isalpha() and last.isascii() and last[-1] not in "sxz":
                keys.add(key + "s")
    for key in list(keys):
        if "l" in key:
            keys.add(fold(key.replace("l", "i"), keep_diacritics=True))
    if lang == "ar" or lang in PROCLITICS:
        for key in list(keys):
            first, _, rest = key.partition(" ")
            if first.isascii():
                continue  # Arabizi and Latin loans take no Arabic-script proclitics
            for form in _proclitic_forms(first, lang):
                keys.add(f"{form} {rest}" if rest else form)
    min_len = SUFFIXING.get(lang)
    return {k: min_len is not None and len(k.rsplit(" ", 1)[-1]) >= min_len for k in keys}


class Lexicon:
    """All terms of all packs (plus extra entries) in one automaton.

    >>> lex = Lexicon([TermHit("en", "vehicle", "boat"), TermHit("en", "route", "to uk")])
    >>> sorted(h.term for _, h in lex.find("b.o.a.t t0 u.k"))
    ['boat', 'to uk']
    """

    def __init__(self, entries: Iterable[TermHit]) -> None:
        table: dict[str, set[TermHit]] = {}
        # term -> its main folded spelling, so "uk" and "u.k" count as one place
        self.canonical: dict[str, str] = {}
        count = 0
        for hit in entries:
            count += 1
            if hit.term not in self.canonical:
                self.canonical[hit.term] = fold(_surface(hit.term))
            for key, prefix in term_keys(hit.term, lang=hit.lang).items():
                if hit.category in SHORT_KEYS_DROPPED and len(key) <= 2 and key.isascii():
                    continue
                if prefix and hit.category in WHOLE_WORDS_ONLY:
                    prefix = False
                table.setdefault(f" {key}" if prefix else f" {key} ", set()).add(hit)
        # A second, small automaton of the single-word keys of the anchor and messenger
        # categories without padding, for words spelled out letter by letter and joined into
        # one run (see match_inside): rare, so only what an ad needs is in it.
        inside: dict[str, set[TermHit]] = {}
        for key, hits in table.items():
            word = key.strip()
            if " " in word:
                # a phrase spelled out loses its spaces too ("đ i a n h" is "đi anh"): joined,
                # when long enough not to hide inside other words
                word = word.replace(" ", "")
                if len(word) < 5:
                    continue
            elif len(word) < 3:
                continue
            for hit in hits:
                if hit.category in INSIDE_CATEGORIES:
                    inside.setdefault(word, set()).add(hit)
        inner = ahocorasick.Automaton()
        for word, hits in inside.items():
            inner.add_word(word, tuple(sorted(hits, key=lambda h: (h.lang, h.category, h.term))))
        if inside:
            inner.make_automaton()
        self._inner = inner if inside else None
        automaton = ahocorasick.Automaton()
        for key, hits in table.items():
            ordered = tuple(sorted(hits, key=lambda h: (h.lang, h.category, h.term)))
            automaton.add_word(key, (len(key), ordered))
        if table:
            automaton.make_automaton()
        self._automaton = automaton
        self._empty = not table
        self.term_count = count
        self.key_count = len(table)

    def iter_folded(self, folded: str) -> Iterator[tuple[int, tuple[int, tuple[TermHit, ...]]]]:
        """``(end, (key_length, hits))`` for every whole-word occurrence of a key in an already
        folded text (positions in ``" " + folded + " "``), overlapping matches included."""
        if self._empty or not folded:
            return iter(())
        return self._automaton.iter(f" {folded} ")

    def match(self, folded: str) -> list[TermHit]:
        """The hits in a folded text after masking (see :data:`MASKING`), in text order."""
        if self._empty or not folded:
            return []
        spans = [
            (end - length + 1, end, hits)
            for end, (length, hits) in self._automaton.iter(f" {folded} ")
        ]
        if not spans:
            return []
        out: list[TermHit] = []
        if len(spans) == 1:
            out.extend(spans[0][2])
            return out
        # Longest first among those starting at the same place, then sweep: a span inside an
        # earlier-starting (or same-start, longer) span is "contained".
        spans.sort(key=lambda sp: (sp[0], -sp[1]))
        containers: list[tuple[int, int, tuple[TermHit, ...]]] = []
        for span in spans:
            start, end, hits = span
            inside = [c for c in containers if c[0] <= start and end <= c[1] and c != span]
            for hit in hits:
                if inside and _masked(hit, inside):
                    continue
                out.append(hit)
            containers.append(span)
            if len(containers) > 8:  # only nearby spans can contain a later one
                containers = [c for c in containers if c[1] >= start]
        return out

    def match_inside(self, run: str) -> list[TermHit]:
        """Hits of :data:`INSIDE_CATEGORIES` anywhere inside ``run``, a folded word made of
        letters that were spelled out one by one ("بلملبريطانيا": the boat and Britain), where
        no word boundary is left to match on."""
        if self._inner is None or not run:
            return []
        return [hit for _end, hits in self._inner.iter(run) for hit in hits]

    def find(self, text: str) -> Iterator[tuple[int, TermHit]]:
        """Convenience for tests and tools: normalise ``text`` and yield ``(end, hit)`` pairs."""
        for end, (_length, hits) in self.iter_folded(fold(_surface(text))):
            for hit in hits:
                yield end, hit
