"""Entity extraction: prices, phone numbers, messenger contacts and links, imminent dates.

Runs on the ``surface`` view (NFKC, casefolded, invisible characters removed, every digit ASCII),
where digits and punctuation are still real. Every extractor is gated by a cheap check (is there
a digit? a dot? an ``@``?) so the common message pays almost nothing, and bounded: a hostile
message full of numbers yields at most ``max_per_kind`` entities per kind and at most
``max_phone_candidates`` calls into libphonenumber (the expensive part).

Canonical values let later features compare entities across messages: phones in E.164
(``+447700900123``), contacts as ``platform:handle`` (``telegram:@calais_go``,
``whatsapp:+447700900123``), prices as ``GBP 2500``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import phonenumbers

from core._normalise import _WORDS_STRIP, _surface, fold
from core._verdict import Entity

__all__ = ["EntityExtractor"]


# Regions tried for numbers written without a country code, by detected language. GB first for
# everyone: the crossings this project watches end there.
_REGIONS: Mapping[str, tuple[str, ...]] = {
    "en": ("GB",),
    "fr": ("FR", "GB"),
    "ar": ("GB", "FR", "IQ", "SY", "LY", "TN", "EG", "MA"),
    "fa": ("GB", "IR", "AF", "TR"),
    "ps": ("GB", "AF", "PK"),
    "ckb": ("GB", "IQ", "IR"),
    "kmr": ("GB", "TR", "IQ", "DE"),
    "sq": ("GB", "AL", "XK"),
    "vi": ("GB", "VN", "FR"),
    "tr": ("GB", "TR"),
    "ti": ("GB", "ER", "ET", "LY"),
    "am": ("GB", "ET"),
}
_DEFAULT_REGIONS: tuple[str, ...] = ("GB", "FR")

# A run that may be a phone number: optional + or 00, digits with spaces/dashes/dots/brackets.
_PHONE_CANDIDATE_RE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d \-().]{6,20}\d(?![\d])")
_DIGIT_RUN_RE = re.compile(r"\d[\d \-().]{6,}\d")
_DATE_LIKE_RE = re.compile(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$|^\d{4}[./-]\d{1,2}[./-]\d{1,2}$")

# Messenger links. Other http(s)/www links are kept as plain ``link`` entities.
_MESSENGER_LINKS: tuple[tuple[str, str], ...] = (
    ("whatsapp", r"wa\.me/\+?[\w]+|(?:chat|api)\.whatsapp\.com/[\w?=/+-]+|whatsapp\.com/[\w/]+"),
    ("telegram", r"(?:t|telegram)\.me/[\w+/]+|telegram\.dog/\w+|tg://\S+"),
    ("signal", r"signal\.(?:me|group)/\S+"),
    ("viber", r"(?:invite\.viber\.com|vb\.me|viber\.com)/\S*|viber://\S+"),
    ("snapchat", r"snapchat\.com/add/[\w.-]+"),
    ("zalo", r"zalo\.me/[\w+/]+"),
    ("instagram", r"(?:instagram\.com|instagr\.am|ig\.me)/[\w.]+"),
)
_LINK_RE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:"
    + "|".join(f"(?P<{name}>{pattern})" for name, pattern in _MESSENGER_LINKS)
    + r")|(?P<url>https?://[^\s<>\"']+|www\.[^\s<>\"']+)"
)
# ("@user" alone is how exported tweets anonymise mentions: skipped inside the regex, where it
# costs nothing, rather than in a Python loop over every match.)
_HANDLE_RE = re.compile(r"(?<![\w@.])@(?!user(?![\w.]))([a-z][a-z0-9_.]{2,31})(?![\w@])")
# "whatsapp: +44..." / "telegram @name" / "snap: name": a messenger word right before.
_NUMBER_RE = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:[,. ]\d{3})+(?![\d])|\d+(?:[.,]\d{1,2})?(?![\d]))(?![.,]\d)"
)
_DATE_GATE_RE = re.compile(r"\d[/.]\d")
_DATE_RE = re.compile(r"(?<![\d/.])(\d{1,2})([/.])(\d{1,2})(?:\2(\d{2}|\d{4}))?(?![\d/.])")


_WINDOW = 28
_TOKEN_RE = re.compile(r"\s*[^\s\d]+")
_WORD_RE = re.compile(r"[\w@$!|]+")
_FIRST_WORD_RE = re.compile(r"\s?([\w@$!|]+)")  # the word right after a number
_LAST_WORD_RE = re.compile(r"([\w@$!|]+)[\s:=]{0,3}$")  # the word right before one


def _span_end(s: str, pos: int, words: int) -> int:
    """Where in ``s`` the next ``words`` words after ``pos`` end."""
    end = pos
    for _ in range(words):
        m = _TOKEN_RE.match(s, end, pos + _WINDOW)
        if m is None:
            break
        end = m.end()
    return end


def _fold_words(window: str) -> list[str]:
    """The words of a short window, folded one by one through the normaliser's word cache."""
    return [w for w in map(_WORDS_STRIP.__getitem__, _WORD_RE.findall(window)) if w]


_Table = Mapping[str, object] | frozenset[str]


def _phrase_at(toks: list[str], i: int, table: _Table) -> tuple[str, int] | None:
    """The longest phrase (up to three words) of ``table`` starting at word ``i``."""
    for n in (3, 2, 1):
        if i + n <= len(toks):
            key = toks[i] if n == 1 else " ".join(toks[i : i + n])
            if key in table:
                return key, n
    return None


def _phrase_before(toks: list[str], table: _Table) -> tuple[str, int] | None:
    """The longest phrase (up to three words) of ``table`` ending the window."""
    for n in (3, 2, 1):
        if n <= len(toks):
            key = toks[-1] if n == 1 else " ".join(toks[-n:])
            if key in table:
                return key, n
    return None


def _fmt(amount: float) -> str:
    return f"{amount:.0f}" if amount == int(amount) else f"{amount:.2f}"


@dataclass(frozen=True, slots=True)
class _Money:
    """Currency words by folded spelling, so "eυros", "یوووورو" and "EUR0S" still read as euros."""

    per_person: frozenset[str]  # folded "per person" words
    labels: frozenset[str]  # folded price labels written before a number ("price: 2500")
    first_words: frozenset[str]  # first words of all the phrases above (the cheap gate)
    last_words: frozenset[str]  # last words of currency and per-person phrases
    codes: dict[str, str]  # folded word or symbol -> ISO code ("" when unknown)
    multipliers: dict[str, int]  # folded word -> factor
    symbol_after: re.Pattern[str]  # "2500£", "3k€", "2000 💷"
    symbol_before: re.Pattern[str]  # "£2500", "€ 300"
    gate: re.Pattern[str]  # a currency symbol or "3k" anywhere: prices possible without words


def _fold_word(word: str) -> str:
    return fold(_surface(word), keep_diacritics=False)


def _alternation(words: Sequence[str]) -> str:
    # Longest first, so "bang anh" wins over "bang"; a word must end at a space or the end.
    parts = [re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w]
    return "|".join(parts) if parts else r"(?!x)x"


def _money(currencies: Mapping[str, Sequence[str]], multipliers: Mapping[int, Sequence[str]],
           extra_units: Sequence[str], per_person: Sequence[str] = (),
           labels: Sequence[str] = ()) -> _Money:  # fmt: skip
    codes: dict[str, str] = {}
    symbols: set[str] = set()
    for code, words in currencies.items():
        for w in words:
            if len(w) == 1 and not w.isalnum():  # £ € $ ₺ ₫ ؋ 💷 ...
                codes[w] = code
                symbols.add(w)
            elif key := _fold_word(w):
                codes.setdefault(key, code)
    mults: dict[str, int] = {}
    for factor, words in multipliers.items():
        for w in words:
            if key := _fold_word(w):
                mults.setdefault(key, int(factor))
    for w in extra_units:  # pack "currency" words the table does not know: unit without a code
        key = _fold_word(w)
        if key and key not in codes and key not in mults and len(key) > 1:
            codes[key] = ""
    pps = {key for w in per_person if (key := _fold_word(w))}
    lbls = {key for w in labels if (key := _fold_word(w))}
    sym = "".join(re.escape(x) for x in sorted(symbols)) or "£"
    symbol_after = re.compile(rf"[ \t]?(?P<mult>k|m)?[ \t]?(?P<sym>[{sym}])")
    symbol_before = re.compile(rf"(?P<sym>[{sym}])[ \t]?$")
    phrases = [*codes, *mults, *pps]
    return _Money(
        first_words=frozenset(p.split()[0] for p in phrases if p and p not in symbols),
        last_words=frozenset(
            p.split()[-1] for p in (*codes, *pps, *lbls) if p and p not in symbols
        ),
        per_person=frozenset(pps),
        labels=frozenset(lbls),
        codes=codes,
        multipliers=mults,
        symbol_after=symbol_after,
        symbol_before=symbol_before,
        gate=re.compile(rf"[{sym}]|\d[ \t]?(?:[km]|tl|đ)(?![^\W\d_])"),
    )


class EntityExtractor:
    """Extracts entities from the surface view of one message (see the module docstring)."""

    def __init__(
        self,
        *,
        currencies: Mapping[str, Sequence[str]],
        multipliers: Mapping[int, Sequence[str]],
        extra_units: Sequence[str] = (),
        messenger_words: Mapping[str, str] | None = None,
        max_per_kind: int = 20,
        max_phone_candidates: int = 8,
        per_person: Sequence[str] = (),
        min_per_person_amount: float = 100.0,
        price_labels: Sequence[str] = (),
    ) -> None:
        self._money = _money(currencies, multipliers, extra_units, per_person, price_labels)
        self._min_pp = min_per_person_amount
        # Messenger names written right before a number/handle, to qualify the contact.
        self._messenger_words = dict(messenger_words or {})
        mw = _alternation([w for w in self._messenger_words if w])
        self._messenger_before = re.compile(rf"(?P<m>{mw})\W{{0,3}}$")
        # "snap: passage.uk", "telegram = calais_go": an account named after a messenger and a
        # colon, without the "@" (Latin names only: handles are ASCII on every platform).
        self._messenger_named = re.compile(
            rf"(?<!\w)(?P<m>{mw})[ \t]?[:=][ \t]?(?P<h>[a-z][a-z0-9_.]{{2,31}})(?![\w@])"
        )
        self.max_per_kind = max_per_kind
        self.max_phone_candidates = max_phone_candidates
        self._qualify = True

    def extract(
        self, surface: str, lang: str = "und", *, messengers: bool = True, money: bool = True
    ) -> list[Entity]:
        """Entities of one message's surface text. ``messengers=False`` tells the extractor no
        messenger name occurs in the message, so contacts need not be qualified by one;
        ``money=False`` that it has no currency, multiplier, "per person" or price-label word
        (the detector knows from its lexicon), so only a currency symbol or a "3k" can make a
        price."""
        out: list[Entity] = []
        self._qualify = messengers
        has_digit = _has_ascii_digit(surface)  # surface digits are all ASCII already
        if "/" in surface or "www." in surface:  # every link form we extract has one
            out.extend(self._links(surface))
        if "@" in surface:
            out.extend(self._handles(surface))
        if messengers and (":" in surface or "=" in surface):
            out.extend(self._named(surface))
        if has_digit:
            if "o" in surface and _DIGIT_O_RE.search(surface) is not None:
                # Letter o for zero inside numbers ("2OOO £", "+44 77OO 9OO123"): evaders
                # write it so that number filters miss it. Only in a run that starts with a
                # digit and has nothing but digits and o's: "10 of", "2go" stay as they are.
                surface = _O_AS_ZERO_RE.sub(_zeros, surface)
            if _SPACED_DIGITS_GATE_RE.search(surface) is not None:
                # Digits spelled one by one ("٢ ٥ ٠ ٠ باوند", "0 7 7 0 0 9 0 0 ..."): evaders
                # write them so; phone numbers group digits in twos to fours.
                surface = _SPACED_DIGITS_RE.sub(_unspace, surface)
            phones = self._phones(surface, lang)
            out.extend(phones)
            if money or self._money.gate.search(surface) is not None:
                out.extend(self._prices(surface, phones))
            out.extend(self._dates(surface))
        if len(out) > self.max_per_kind:  # several extractors add contacts: cap per kind
            kept: dict[str, int] = {}
            capped: list[Entity] = []
            for ent in out:
                n = kept.get(ent.kind, 0)
                if n < self.max_per_kind:
                    kept[ent.kind] = n + 1
                    capped.append(ent)
            out = capped
        return out

    # --- links and handles ----------------------------------------------------------------

    def _links(self, s: str) -> list[Entity]:
        out: list[Entity] = []
        # No link spans whitespace, and every form we extract has a "/" or "www.": the big
        # alternation then only scans the chunks that have one (it is slow to try everywhere).
        s = " ".join([c for c in s.split() if "/" in c or "www." in c])
        for m in _LINK_RE.finditer(s):
            if len(out) >= self.max_per_kind:
                break
            kind = m.lastgroup or "url"
            text = m.group(0).rstrip(".,;:!?)]}")
            if kind == "url":
                out.append(Entity("link", text, text))
            else:
                link = m.group(kind)
                tail = link.split("/", 1)[1] if "/" in link else link
                value = tail.strip("/").split("?")[0]
                if kind == "whatsapp" and value.lstrip("+").isdigit():
                    value = "+" + value.lstrip("+")
                elif kind == "telegram" and not value.startswith(("+", "joinchat")):
                    value = "@" + value.split("/")[0]
                elif kind in ("snapchat", "instagram"):
                    value = "@" + value.rsplit("/", 1)[-1]
                out.append(Entity("contact", f"{kind}:{value}", text))
        return out

    def _handles(self, s: str) -> list[Entity]:
        out: list[Entity] = []
        for m in _HANDLE_RE.finditer(s):
            if len(out) >= self.max_per_kind:
                break
            name = m.group(1).rstrip(".")
            if name == "user":  # anonymised mentions in exported tweets
                continue
            platform = self._platform_before(s, m.start()) or "handle"
            out.append(Entity("contact", f"{platform}:@{name}", m.group(0)))
        return out

    def _named(self, s: str) -> list[Entity]:
        out: list[Entity] = []
        for m in self._messenger_named.finditer(s):
            if len(out) >= self.max_per_kind:
                break
            name = m.group("h").rstrip(".")
            platform = self._messenger_words.get(m.group("m"))
            # A plain word followed by more words is prose ("telegram: see you"); a handle has
            # a digit, "_" or "." in it, or ends the phrase.
            plain = name.isalpha() and _WORD_AFTER_RE.match(s, m.end()) is not None
            if platform and not plain:
                out.append(Entity("contact", f"{platform}:@{name}", m.group(0)))
        return out

    def _platform_before(self, s: str, start: int) -> str | None:
        if not self._messenger_words or not self._qualify:
            return None
        m = self._messenger_before.search(s[max(0, start - 24) : start])
        return self._messenger_words.get(m.group("m")) if m else None

    # --- phones -----------------------------------------------------------------------------

    def _phones(self, s: str, lang: str) -> list[Entity]:
        if _DIGIT_RUN_RE.search(s) is None:
            return []
        out: list[Entity] = []
        seen: set[str] = set()
        regions = _REGIONS.get(lang, _DEFAULT_REGIONS)
        for n, m in enumerate(_PHONE_CANDIDATE_RE.finditer(s)):
            if n >= self.max_phone_candidates or len(out) >= self.max_per_kind:
                break
            text = m.group(0).strip(" -.(")
            digits = sum(c.isdigit() for c in text)
            if digits < 8 or digits > 15 or _DATE_LIKE_RE.match(text):
                continue
            e164 = _parse_phone(text, regions)
            if e164 is None or e164 in seen:
                continue
            seen.add(e164)
            out.append(Entity("phone", e164, text))
            platform = self._platform_before(s, m.start())
            if platform:
                out.append(Entity("contact", f"{platform}:{e164}", text))
        return out

    # --- prices -----------------------------------------------------------------------------

    def _prices(self, s: str, phones: Sequence[Entity]) -> list[Entity]:
        money = self._money
        out: list[Entity] = []
        # Where the phone numbers are, so their digit groups are not read as amounts (by
        # position: "£6" is not inside "+44 7700 900666" because "6" is).
        phone_spans = [
            (i, i + len(p.text)) for p in phones if p.kind == "phone" and (i := s.find(p.text)) >= 0
        ]
        for n, m in enumerate(_NUMBER_RE.finditer(s)):
            if n >= 60 or len(out) >= self.max_per_kind:
                break
            num_text = m.group(1)
            if any(a <= m.start(1) < b for a, b in phone_spans):
                continue
            code: str | None = None
            unit = ""
            factor = 1
            per_person = labelled = False
            start, end = m.start(), m.end()
            sym = money.symbol_after.match(s, end)
            if sym is not None:
                code, end = money.codes.get(sym.group("sym"), ""), sym.end()
                factor = 1000 if sym.group("mult") == "k" else 1
            else:
                window = s[end : end + _WINDOW]
                first = _FIRST_WORD_RE.match(window)
                if first is not None and _WORDS_STRIP[first.group(1)] in money.first_words:
                    # the words after the number, folded word by word through the cache
                    toks = _fold_words(window)
                    i = 0
                    if hit := _phrase_at(toks, i, money.multipliers):
                        factor, i = money.multipliers[hit[0]], i + hit[1]
                        if hit[0] in money.codes:  # "450 triệu": the multiplier implies VND
                            code = money.codes[hit[0]]
                    if hit := _phrase_at(toks, i, money.codes):
                        unit, i = hit[0], i + hit[1]
                        code = money.codes[unit]
                    elif code is None and _phrase_at(toks, i, money.per_person):
                        per_person = True
                    if i:
                        end = _span_end(s, end, i)
            if code is None:
                sym = money.symbol_before.search(s, max(0, start - 3), start)
                if sym is not None:
                    code, start = money.codes.get(sym.group("sym"), ""), sym.start()
                else:
                    window = s[max(0, start - _WINDOW) : start]
                    last = _LAST_WORD_RE.search(window)
                    if last is not None and _WORDS_STRIP[last.group(1)] in money.last_words:
                        toks = _fold_words(window)
                        if hit := _phrase_before(toks, money.codes):
                            unit = hit[0]
                            code = money.codes[unit]
                            start = max(0, start - len(unit) - 1)
                        elif _phrase_before(toks, money.per_person):
                            per_person = True
                        elif _phrase_before(toks, money.labels):
                            labelled = True  # "price: 2000", "السعر ٢٠٠٠"
            amount = _amount(num_text) * factor
            if code is None and per_person and amount >= self._min_pp:
                code, unit = "", "per person"
            elif code is None and labelled and amount >= self._min_pp:
                code, unit = "", ""
            if code is None and factor != 1000:
                continue  # a bare number is not a price ("3k" alone is, so is "2800 each")
            if amount <= 0 or amount > 10_000_000_000:
                continue
            value = f"{code} {_fmt(amount)}" if code else f"{_fmt(amount)} {unit}".strip()
            out.append(Entity("price", value, s[start:end].strip().rstrip(".,;:!?")))
        return out

    # --- dates ------------------------------------------------------------------------------

    def _dates(self, s: str) -> list[Entity]:
        if _DATE_GATE_RE.search(s) is None:  # a cheap scan before the full pattern
            return []
        out: list[Entity] = []
        for m in _DATE_RE.finditer(s):
            if len(out) >= self.max_per_kind:
                break
            day, sep, month, year = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
            if not (1 <= day <= 31 and 1 <= month <= 12):
                continue
            if sep == "." and year is None and len(m.group(3)) != 2:
                continue  # "3.5" is a decimal, "03.05" a date
            value = f"{day:02d}/{month:02d}" + (f"/{year}" if year else "")
            out.append(Entity("time", value, m.group(0)))
        return out


_ASCII_DIGIT_RE = re.compile("[0-9]")
_WORD_AFTER_RE = re.compile(r"[ \t]+\w")
_SPACED_DIGITS_GATE_RE = re.compile("[0-9] [0-9] [0-9]")
_SPACED_DIGITS_RE = re.compile(r"(?<![\d.,])\d(?:(?: [.,])? \d(?![\d]))+")


def _unspace(m: re.Match[str]) -> str:
    text = m.group(0)
    return text.replace(" ", "") if text.count(" ") >= 2 else text


_DIGIT_O_RE = re.compile("[0-9]o|o[0-9]")  # the cheap test first (a literal-class scan)
_O_AS_ZERO_RE = re.compile(r"(?<![\w.,])\d[\do]*o[\do]*(?![\w])")


def _zeros(m: re.Match[str]) -> str:
    return m.group(0).replace("o", "0")


def _has_ascii_digit(s: str) -> bool:
    return _ASCII_DIGIT_RE.search(s) is not None


def _amount(text: str) -> float:
    t = text.replace(" ", "")
    # "2,500" / "2.500" / "2 500" group thousands; "2.5" / "2,5" are decimals.
    if re.fullmatch(r"\d{1,3}(?:[,.]\d{3})+", t):
        return float(t.replace(",", "").replace(".", ""))
    try:
        return float(t.replace(",", "."))
    except ValueError:
        return 0.0


def _parse_phone(text: str, regions: Sequence[str]) -> str | None:
    cleaned = text
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if not cleaned.startswith(("+", "0", "(0")):
        # Written without a country code a number starts with its trunk prefix "0" in every
        # region we guess; anything else is a year, an amount or a count ("(2016) 388.201").
        return None
    candidates: Sequence[str | None] = (None,) if cleaned.startswith("+") else regions
    possible: str | None = None
    for region in candidates:
        try:
            num = phonenumbers.parse(cleaned, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(num):
            return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
        if possible is None and phonenumbers.is_possible_number(num):
            possible = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
    # Not assigned (yet) in the numbering plan, but the right length for it: posters use fresh
    # and virtual numbers, and libphonenumber's metadata lags behind; keep it for moderators.
    # Only when written internationally or with a trunk prefix, so a bare 8-digit amount is not
    # a phone.
    if possible is not None and (cleaned.startswith("+") or cleaned.startswith("0")):
        return possible
    return None
