"""The detector: normalise → match the lexicon → extract entities → identify language → score.

``Detector.load()`` reads every language pack in ``config/lang/`` and the scoring configuration in
``config/detection.toml`` once per config directory (cached); ``detector.detect(text)`` then costs
tens of microseconds and never raises.

How a verdict is reached (all weights in ``config/detection.toml``):

* every lexicon category that fires and every entity found is a *signal* with a weight; the
  signals and the words that fired them become the verdict's ``reasons``, so a moderator sees
  exactly why. Entities (prices in every digit system and pack currency, phone numbers,
  messenger accounts and links, dates) are extracted from *every* message, each extractor gated
  only by a cheap test (a digit, an "@", a "/", a money word), and feed the score even when no
  lexicon term fired;
* the *anchors* say what is sold: a route, a vehicle, travel documents, or the crossing itself
  and its people (``crossing``: "get you across", smuggler, captain); a reply ("@name ...")
  with sales terms is one too, its question being in the thread, and so is a *referral*
  (someone "took my cousin over", "say I sent you", and a number: config ``[lang_terms]``).
  The *deal* says how: sales terms, a price, a call to action, a phone number, a messenger
  account or link. Documents called counterfeit or irregular ("scan-proof", "without IELTS")
  void the visa agency's vocabulary around them as counter context;
* the offer score is the sum of the positive weights (the anchors together capped, so a news
  report naming route, boat and smugglers still needs a deal), plus a bonus when an anchor comes
  with a way to reach the seller, minus the counter context (news, help, jobs, parcels, legal
  travel, and prices far below a crossing's). In that context the generic deal signals (phone,
  price, link, "call us") and sales terms count for less: charities, employers and couriers
  publish them as a matter of course. A message is an **offer** only when the score reaches the
  threshold *and* it has an anchor *and* a deal — combinations, never single keywords;
* seeking is compositional: a seeking phrase, or a question cue (the ``question`` words of the
  message's own language, an opener of a seeking phrase, a first-person need such as "I need"
  or "بدي", a question mark) about an anchor, is **seeking** unless the seller's signals win;
  a person who asks in words and gives their own number and budget is still asking. A person
  asking about a route gets help, not suspicion, and the reasons say so in those words.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core._entities import EntityExtractor
from core._langid import LanguageIdentifier
from core._lexicon import MASKING, Lexicon, Pack, TermHit, load_packs
from core._normalise import _surface, fold, normalise, spelled_words
from core._verdict import Entity, Label, Reason, Verdict

__all__ = ["DEFAULT_CONFIG_DIR", "Detector", "DetectorConfig"]

log = logging.getLogger(__name__)

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"

# Categories the scorer knows, with the wording of their reasons. The seeking wording describes
# a question, never a wrongdoing: seekers are people at risk.
_REASON_TEXT: dict[str, str] = {
    "route": "names a destination or route",
    "vehicle": "names a means of crossing",
    "documents": "mentions travel documents",
    "commercial": "uses sales terms",
    "price": "quotes a price",
    "contact": "invites private contact",
    "messenger": "names a messenger app",
    "phone": "gives a phone number",
    "link": "links a messenger account",
    "handle": "gives an account handle",
    "imminent": "names a near departure time",
    "counter": "context of news, warnings, help or legal travel",
    "seeking": "asks about a crossing route",
    "crossing": "speaks of a crossing or of those who arrange one",
    "reply": "answers another user with sales terms",
    "referral": "passes on a contact who took someone across",
    "forgery": "describes documents as counterfeit or irregular",
    "everyday_price": "quotes an everyday price (a fare, a parcel rate)",
}
# The domain anchors: what an offer sells (a route, a vehicle, documents, the crossing itself).
_WHAT = ("route", "vehicle", "documents", "crossing")
# The deal: how it is sold.
_DEAL = ("commercial", "price", "contact", "messenger", "phone", "link", "handle")
_NOT_PRICE = tuple(k for k in _DEAL if k != "price")
_STRONG_DEAL = ("commercial", "phone", "link")
# Categories that count only when their pack's language is the message's: question words and
# the content words of sales/contact phrases are short everyday words that collide across
# languages once folded (Persian کی "who" is Pashto کې "in"; Vietnamese "thêm" is English "them").
_OWN_LANGUAGE = frozenset({"question", "seeking_cue", "commercial_word", "contact_word", "need"})
# Categories worth scoring a message for even when it has no entity (the others, "counter",
# "imminent", "question"..., cannot change a label on their own).
_SCORED = frozenset({*_WHAT, *_DEAL, "seeking", "seeking_cue"})
# Seekers give their own number and say what they can pay ("need the contact, my whatsapp
# +44..."): when they ask in words, these signals no longer speak for an offer.
# Anything beyond an anchor that a verdict other than "none" needs: a deal or a question.
_DEAL_OR_ASKING = frozenset(
    {*_DEAL, "commercial_word", "contact_word", "seeking", "seeking_cue", "question"}
)
_AMBIGUOUS_FOR_SEEKERS = ("contact", "messenger", "price", "handle", "phone")


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """The scoring configuration (``config/detection.toml``)."""

    weights: dict[str, float]
    offer_threshold: float
    seeking_threshold: float
    offer_over_seeking: float
    max_chars: int
    max_entities_per_kind: int
    max_phone_candidates: int
    messengers: dict[str, tuple[str, ...]]
    currencies: dict[str, tuple[str, ...]]
    multipliers: dict[int, tuple[str, ...]]
    emoji: dict[str, tuple[str, ...]]
    plausible_prices: dict[str, tuple[float, float]]
    per_person: tuple[str, ...] = ()
    min_per_person_amount: float = 100.0
    price_labels: tuple[str, ...] = ()
    not_units: frozenset[str] = frozenset()
    money_gate_skip: frozenset[str] = frozenset()
    neutral: dict[str, tuple[str, ...]] = field(default_factory=dict)
    extra_terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deal_stop: tuple[str, ...] = ()
    lang_terms: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    same_unit: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> DetectorConfig:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        th = data.get("thresholds", {})
        lim = data.get("limits", {})

        def lists(section: str) -> dict[str, tuple[str, ...]]:
            return {str(k): tuple(str(x) for x in v) for k, v in data.get(section, {}).items()}

        return cls(
            weights={str(k): float(v) for k, v in data.get("weights", {}).items()},
            offer_threshold=float(th.get("offer", 0.6)),
            seeking_threshold=float(th.get("seeking", 0.5)),
            offer_over_seeking=float(th.get("offer_over_seeking", 0.1)),
            max_chars=int(lim.get("max_chars", 100_000)),
            max_entities_per_kind=int(lim.get("max_entities_per_kind", 20)),
            max_phone_candidates=int(lim.get("max_phone_candidates", 8)),
            messengers=lists("messengers"),
            currencies=lists("currencies"),
            multipliers={int(k): v for k, v in lists("multipliers").items()},
            emoji=lists("emoji"),
            per_person=tuple(str(w) for w in data.get("per_person", {}).get("words", ())),
            min_per_person_amount=float(data.get("per_person", {}).get("min_amount", 100)),
            price_labels=tuple(str(w) for w in data.get("price_labels", {}).get("words", ())),
            not_units=frozenset(
                fold(_surface(str(w))) for w in data.get("not_units", {}).get("words", ())
            ),
            money_gate_skip=frozenset(
                fold(_surface(str(w)), keep_diacritics=False)
                for w in data.get("not_units", {}).get("gate_skip", ())
            ),
            neutral=lists("neutral"),
            extra_terms=lists("extra_terms"),
            deal_stop=tuple(str(w) for w in data.get("deal_words", {}).get("stop", ())),
            same_unit=lists("same_unit"),
            lang_terms={
                str(lang): {str(k): tuple(str(x) for x in v) for k, v in cats.items()}
                for lang, cats in data.get("lang_terms", {}).items()
            },
            plausible_prices={
                str(k): (float(v[0]), float(v[1]))
                for k, v in data.get("plausible_prices", {}).items()
            },
        )


_CACHE: dict[Path, Detector] = {}
_CACHE_LOCK = threading.Lock()


class Detector:
    """Decides whether a message is a smuggling offer, someone seeking one, or neither."""

    def __init__(
        self, packs: dict[str, Pack], config: DetectorConfig, *, extra: tuple[TermHit, ...] = ()
    ) -> None:
        self.packs = packs
        self.config = config
        entries: list[TermHit] = [
            TermHit(code, category, term)
            for code, pack in packs.items()
            for category, terms in pack.terms.items()
            if category != "currency"
            for term in terms
        ]
        entries.extend(_seeking_cues(packs))
        entries.extend(_deal_words(packs, config.deal_stop))
        entries.extend(
            TermHit(lang, "neutral", term)
            for lang, terms in config.neutral.items()
            for term in terms
        )
        entries.extend(
            TermHit("*", category, term)
            for category, terms in config.extra_terms.items()
            for term in terms
        )
        # The structural markers of [lang_terms] (kin, carried, referral, forgery, legal travel)
        # are everyday words ("took", "hotel") that matter only in a message already worth
        # scoring: they live in a second automaton, searched only then, so the other 95% of
        # messages never pay for their hits. The counter and neutral terms go in it too, so
        # that "don't trust him" (counter) still hides "trust him" (referral).
        structural = [
            TermHit(lang, category, term)
            for lang, cats in config.lang_terms.items()
            for category, terms in cats.items()
            for term in terms
        ]
        self._structural_categories = frozenset(h.category for h in structural)
        entries.extend(
            TermHit("*", "messenger", word)
            for platform, words in config.messengers.items()
            for word in words
        )
        entries.extend(extra)
        self.langid = LanguageIdentifier({code: p.common for code, p in packs.items()})
        messenger_words = {
            w.casefold(): platform for platform, words in config.messengers.items() for w in words
        }
        for platform in config.messengers:
            messenger_words.setdefault(platform, platform)
        self.entities = EntityExtractor(
            currencies=config.currencies,
            multipliers=config.multipliers,
            extra_units=[
                t
                for p in packs.values()
                for t in p.terms.get("currency", ())
                if fold(_surface(t)) not in config.not_units
            ],
            messenger_words=messenger_words,
            max_per_kind=config.max_entities_per_kind,
            max_phone_candidates=config.max_phone_candidates,
            per_person=config.per_person,
            min_per_person_amount=config.min_per_person_amount,
            price_labels=config.price_labels,
        )
        # Money words go in the lexicon too (a category the scorer ignores): its one pass then
        # tells the price extractor whether a message has any, so most numbers cost nothing.
        money_words = {
            w
            for words in (
                *config.currencies.values(),
                *config.multipliers.values(),
                config.per_person,
                config.price_labels,
                *(p.terms.get("currency", ()) for p in packs.values()),
            )
            for w in words
            # Words that fold onto everyday words ("only", "each") would open the gate on most
            # messages (the lexicon drops short Latin spellings such as "do" for "đô" itself);
            # the price reading right next to a number still knows them all.
            if fold(_surface(w), keep_diacritics=False) not in config.money_gate_skip
        }
        entries_money = [TermHit("*", "money", w) for w in sorted(money_words)]
        self.lexicon = Lexicon([*entries, *entries_money])
        self.structure = Lexicon([*structural, *(e for e in entries if e.category in MASKING)])
        self._emoji = [(e, cat) for cat, items in config.emoji.items() for e in items if e]
        self._emoji_set = frozenset(e for e, _ in self._emoji)
        # one C-level scan for "is there any configured emoji at all" before the per-emoji tests
        firsts = sorted({e[0] for e, _ in self._emoji})
        self._emoji_re = re.compile("[" + "".join(map(re.escape, firsts)) + "]") if firsts else None
        self._w = config.weights
        # "each", "للشخص", "kişi başı": a price quoted per person is a seller's tariff
        # (searched in the folded text only in the rare case it matters: "each" is too common
        # a word to be in the lexicon's money gate)
        self._per_person = tuple(
            {f" {f} " for f in (fold(_surface(w)) for w in config.per_person) if f}
        )

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def load(cls, config_dir: Path | None = None) -> Detector:
        """The detector for ``config_dir`` (default: ``$CHANNELWATCH_CONFIG_DIR`` or the
        package's ``config/``), built once per directory and shared (it is immutable)."""
        if config_dir is None:
            override = os.environ.get("CHANNELWATCH_CONFIG_DIR")
            root = Path(override).resolve() if override else DEFAULT_CONFIG_DIR
        else:
            root = Path(config_dir).resolve()
        with _CACHE_LOCK:
            cached = _CACHE.get(root)
            if cached is None:
                cached = cls.from_dir(root)
                _CACHE[root] = cached
            return cached

    @classmethod
    def from_dir(cls, root: Path, *, extra: tuple[TermHit, ...] = ()) -> Detector:
        """Build a fresh (uncached) detector from ``root/lang/*.toml`` and
        ``root/detection.toml`` (falling back to the bundled scoring config)."""
        packs = load_packs(root / "lang")
        cfg_path = root / "detection.toml"
        if not cfg_path.is_file():
            cfg_path = DEFAULT_CONFIG_DIR / "detection.toml"
        return cls(packs, DetectorConfig.read(cfg_path), extra=extra)

    # --- detection ----------------------------------------------------------------------------

    def detect(self, text: str, *, lang_hint: str | None = None) -> Verdict:
        """Judge one message. Never raises: on an internal error the verdict is ``none``."""
        try:
            return self._detect(text, lang_hint)
        except Exception:  # pragma: no cover - a detector bug must not take a bot down
            log.exception("detector failed on a message of %d chars", len(text or ""))
            return Verdict(Label.NONE, 0.0, "und")

    def _detect(self, text: str, lang_hint: str | None) -> Verdict:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if len(text) > self.config.max_chars:
            text = text[: self.config.max_chars]
        norm = normalise(text)
        folded = norm.folded
        surface = norm.surface

        lang = self.langid.identify(surface, lang_hint, folded)
        # Lexicon: category -> distinct pack terms (as the pack writes them), in order seen.
        # Question words are short function words that collide across languages (Persian کی
        # "who" is Pashto کې "in" once folded): they count only in their own language.
        found: dict[str, dict[str, None]] = {}
        for hit in self.lexicon.match(folded):
            if hit.category in _OWN_LANGUAGE and hit.lang != lang and lang != "und":
                continue
            found.setdefault(hit.category, {})[hit.term] = None
        # Words spelled out letter by letter in one run ("b o a t t o u k"): searched inside.
        for run in spelled_words(surface):
            for hit in self.lexicon.match_inside(run):
                if hit.category not in _OWN_LANGUAGE:
                    found.setdefault(hit.category, {})[hit.term] = None
        if (
            self._emoji_re is not None
            and not surface.isascii()
            and self._emoji_re.search(surface) is not None
        ):
            for emoji, cat in self._emoji:
                if emoji in surface:
                    found.setdefault(cat, {})[emoji] = None

        # Entities are extracted from every message (each extractor is gated by a cheap test of
        # its own: a digit, an "@", a "/"), whatever the lexicon found, and feed the score.
        entities = self.entities.extract(
            surface,
            lang,
            messengers="messenger" in found or "signal" in surface,
            money="money" in found,
        )
        if (not found or _SCORED.isdisjoint(found)) and all(
            e.kind == "time" or e.value.startswith("handle:") for e in entities
        ):
            # Most messages: nothing that could make a deal, a crossing or a question about
            # one; neither an offer nor a seeker whatever else matched. (Mentions and dates
            # alone, "@user" in most replies, cannot make either.)
            if "imminent" in found:
                entities.extend(Entity("time", t, t) for t in list(found["imminent"])[:5])
            return Verdict(Label.NONE, 0.0, lang, tuple(entities), normalised=folded)
        structure = [
            hit
            for hit in self.structure.match(folded)
            if hit.category in self._structural_categories
            and (hit.category not in _OWN_LANGUAGE or hit.lang == lang or lang == "und")
        ]
        if (
            not entities
            and _DEAL_OR_ASKING.isdisjoint(found)
            and not any(h.category == "need" for h in structure)
            and "?" not in surface
            and "؟" not in surface
            and "፧" not in surface
        ):
            # Half the messages scored would be this: a place name, a boat, and nothing else.
            # No deal and no question, so neither an offer nor a seeker.
            times = [Entity("time", t, t) for t in list(found.get("imminent", ()))[:5]]
            return Verdict(
                Label.NONE, 0.0, lang, tuple(times + self._places(found)), normalised=folded
            )
        for hit in structure:
            found.setdefault(hit.category, {})[hit.term] = None
        return self._score(found, entities, lang, surface, folded)

    def _score(
        self,
        found: dict[str, dict[str, None]],
        entities: list[Entity],
        lang: str,
        surface: str,
        folded: str,
    ) -> Verdict:
        """Turn matched terms and entities into a verdict (separate so tuning can re-run it)."""
        kinds: dict[str, list[Entity]] = {}
        for ent in entities:
            kinds.setdefault(ent.kind, []).append(ent)
        entities = list(entities)
        w = self._w
        counter_terms = list(found.get("counter", ()))
        # Irregularity qualifiers count with documents named, or with a legal-travel document
        # ("study visa") and at least two of them: one "without IELTS" is also an agency's line.
        if "for_sale" in found and "documents" not in found:
            # "for sale" with a boat or a lorry is a classified ad for the thing itself; with
            # passports or residence cards it is the sale the offer is about
            counter_terms.extend(found["for_sale"])
        forged = list(found.get("forgery", ()))
        if forged and "documents" not in found:
            if "legal_travel" not in found or self._distinct(forged) < 2:
                forged = []
        if forged and counter_terms and "legal_travel" in found:
            # Documents called counterfeit or irregular ("scan-proof", "without IELTS"): the
            # visa agency's vocabulary around them (embassy, hotel booking, study visa) is the
            # forger's cover, not context against a sale. News and warnings still count.
            legal = [f" {self.lexicon.canonical.get(t, t)} " for t in found["legal_travel"]]
            counter_terms = [
                t
                for t in counter_terms
                if not any(
                    f" {self.lexicon.canonical.get(t, t)} " in k
                    or k in f" {self.lexicon.canonical.get(t, t)} "
                    for k in legal
                )
            ]
        # Help, jobs, parcels and news carry phone numbers, prices and "call us" as a matter of
        # course: in their company those signals say little about a smuggling deal, so they
        # count for less (sales terms and the crossing vocabulary keep their full weight).
        damp = w.get("counter_deal_factor", 1.0) if counter_terms else 1.0

        # Signals: name -> (terms shown in the reason, weight). Order = order of the reasons.
        signals: dict[str, tuple[list[str], float]] = {}
        for cat in _WHAT:
            terms = list(found.get(cat, ()))
            if terms:
                extra = w.get(f"{cat}_extra", 0.0) if self._distinct(terms) > 1 else 0.0
                weight = w.get(cat, 0.0) + extra
                if all(t in self._emoji_set for t in terms):
                    # Only emoji (🚤, 🇬🇧): rescue hotlines and holiday posts use them too.
                    weight *= w.get("emoji_factor", 1.0)
                signals[cat] = (terms, weight)
        # The anchors together weigh at most this much: a news report naming the route, the
        # boat and the smugglers is still no deal, so the deal signals must carry the rest.
        anchor_total = sum(signals[k][1] for k in _WHAT if k in signals)
        anchor_max = w.get("anchor_max", 1.0)
        if anchor_total > anchor_max:
            scale = anchor_max / anchor_total
            for k in _WHAT:
                if k in signals:
                    signals[k] = (signals[k][0], signals[k][1] * scale)
        if "commercial" in found:
            terms = list(found["commercial"])
            extra = w.get("commercial_extra", 0.0) if self._distinct(terms) > 1 else 0.0
            sales_damp = w.get("counter_sales_factor", 1.0) if counter_terms else 1.0
            signals["commercial"] = (terms, (w.get("commercial", 0.0) + extra) * sales_damp)
        if "contact" in found:
            signals["contact"] = (list(found["contact"]), w.get("contact", 0.0) * damp)
        reach = "contact" in signals
        # Words of sales/contact phrases when no phrase matched whole: two distinct ones count.
        for cat in ("commercial", "contact"):
            words = list(found.get(f"{cat}_word", ()))
            if cat not in signals and len(words) >= 2:
                signals[cat] = (
                    words,
                    w.get(f"{cat}_words", 0.0) * (damp if cat == "contact" else 1),
                )
        contacts = kinds.get("contact", [])
        # A contact the extractor tied to a messenger ("signal: +44...", "whatsapp @x") names
        # the messenger as surely as the word does.
        named = [e.value.split(":", 1)[0] for e in contacts if not e.value.startswith("handle:")]
        messengers = list(dict.fromkeys([*found.get("messenger", ()), *named]))
        if messengers:
            signals["messenger"] = (messengers, w.get("messenger", 0.0) * damp)
        # Links and accounts named on a messenger ("t.me/x", "telegram @x"); a phone number
        # named on one is already the phone signal.
        links = [
            e.value
            for e in contacts
            if "/" in e.text
            or ":" in e.text
            or not e.value.startswith(("handle:", f"{e.value.split(':', 1)[0]}:+"))
        ]
        if links:
            signals["link"] = (links, w.get("link", 0.0) * damp)
        if kinds.get("phone"):
            signals["phone"] = ([e.value for e in kinds["phone"]], w.get("phone", 0.0) * damp)
        reach = reach or "phone" in signals or "link" in signals
        handles = [e.value for e in contacts if e.value.startswith("handle:")]
        if handles and not links:
            signals["handle"] = (handles, w.get("handle", 0.0) * damp)
        prices = [e.value for e in kinds.get("price", ()) if self._plausible(e.value)]
        if prices:
            signals["price"] = (prices, w.get("price", 0.0) * damp)
        # Only prices far below what a crossing costs ("£6 per kilo", "a €45 ticket"): ordinary
        # commerce, which weighs against an offer like the counter terms do.
        cheap = [] if prices else [e.value for e in kinds.get("price", ()) if self._cheap(e.value)]
        times = list(found.get("imminent", ())) + [e.value for e in kinds.get("time", ())]
        if times:
            signals["imminent"] = (times, w.get("imminent", 0.0))

        # A reply ("@name ...") with sales terms: the seller answering someone who asked, whose
        # question (the route, the boat) is in the thread, not in this message. The domain
        # notes it: contact details posted in reply to a seeker are themselves offers.
        is_reply = surface.lstrip().startswith("@")
        if "commercial" in found and is_reply:
            handle = surface.lstrip().split(None, 1)[0]
            signals["reply"] = ([handle], w.get("reply", 0.0))
        # A referral: someone vouches that a person took their relative or friend somewhere
        # ("he took my cousin over last month"), recommends him ("say I sent you", "the man you
        # need") and passes on a way to reach him, usually in reply to a seeker. No route or
        # vehicle need be named: the seeker's question says where. Each part alone is everyday
        # talk (a brother driven to the airport, a plumber recommended), so all must be there.
        # In a reply ("@name ...") the seeker's question is in the thread, and the reply itself
        # stands for the relative: "@sam call him, say I sent you, he took us over last month".
        # The recommendation and the verb of carrying stay required: without the verb a reply
        # recommending a mechanic or a doctor ("he is reliable, say I sent you", a phone number)
        # looks the same, and without the recommendation "he took my brother" is everyday talk.
        referrals = list(found.get("referral", ()))
        vouched = reach and bool(referrals) and "carried" in found and ("kin" in found or is_reply)
        if vouched:
            vouch = [*referrals, *found.get("kin", ()), *found.get("carried", ())]
            signals["referral"] = (vouch, w.get("referral", 0.0))
        if forged:
            signals["forgery"] = (forged, w.get("forgery", 0.0))
        counter = min(w.get("counter", 0.0) * len(counter_terms), w.get("counter_max", 1.0))
        if cheap:
            counter = min(counter + w.get("everyday_price", 0.0), w.get("counter_max", 1.0))
        anchors = [k for k in (*_WHAT, "reply", "referral") if k in signals]
        what = bool(anchors)
        topic = any(k in signals for k in _WHAT)
        deal = any(k in signals for k in _DEAL)
        if (
            deal
            and "imminent" not in signals
            and "documents" not in signals
            and not any(k in signals for k in _NOT_PRICE)
        ):
            # Only a price, no sales terms and no way to reach anyone: that is what news,
            # warnings and testimonies say ("smugglers ask £6,000 for a place in a boat").
            # An ad always says how to get in touch, or at least when it leaves. (Forged
            # documents with a price are a sale in themselves.)
            deal = False
        raw = sum(weight for _, weight in signals.values())
        # A bare vehicle with a bare number ("our truck for hire, 0791...", "boat trips, call")
        # is every haulier's and boatman's ad: the combination needs more than that, a second
        # anchor, sales terms, a price, a call to action or a messenger link.
        bare = anchors == ["vehicle"] and not any(
            k in signals for k in ("commercial", "price", "contact", "link")
        )
        if what and reach and not bare:
            # The crossing together with a way to reach the seller (a number, a messenger
            # account, "dm me"): the shape of an ad, more than the sum of its parts.
            raw += w.get("combination", 0.0)
        offer_score = _clamp(round(raw - counter, 6))  # (rounded: 0.15 + 0.2 + 0.1 + 0.05 is 0.5)

        # Seeking is compositional: a question (a seeking phrase, a question word or opener of
        # the language, a question mark) about the crossing (a route, vehicle, documents or the
        # crossing itself), without the seller's signals.
        # A seeking phrase that a pack also lists as a route ("the uk road") says nothing more.
        topic_terms = {t for cat in _WHAT for t in found.get(cat, ())}
        seeking_terms = [t for t in found.get("seeking", ()) if t not in topic_terms]
        # A question word inside a sales or contact phrase the packs list is the ad's opener,
        # not a question: "who wants to go to England" (ckb "کێ دەیەوێت بچێت") addresses
        # buyers, it asks nothing.
        cue_terms = [
            t
            for cat in ("question", "seeking_cue", "need")
            for t in found.get(cat, ())
            if t not in topic_terms
        ]
        if cue_terms and ("contact" in found or "commercial" in found):
            pitch = [f" {t} " for cat in ("contact", "commercial") for t in found.get(cat, ())]
            cue_terms = [t for t in cue_terms if not any(f" {t} " in p for p in pitch)]
        qmark = "?" in surface or "؟" in surface or "፧" in surface
        seek_score = 0.0
        phrase = bool(seeking_terms)
        asking = phrase or bool(cue_terms)
        if (
            asking
            and not phrase
            and "price" in signals
            and any(w in f" {folded} " for w in self._per_person)
            and all(t in found.get("need", ()) for t in cue_terms)
        ):
            # "We need 3 more people for the boat, £2000 each": a need with a price per person
            # is a seller filling places, not a buyer asking (a buyer states a budget).
            asking = False
            cue_terms = []
        if phrase or (topic and (cue_terms or qmark)):
            if phrase:
                seek_score = w.get("seeking", 0.0)
                if len(seeking_terms) > 1:
                    seek_score += w.get("seeking_extra", 0.0)
            elif cue_terms:
                seeking_terms = cue_terms
                # a need alone ("we want Germany") asks less than a question word does
                asks = any(
                    t in found.get(c, ()) for c in ("question", "seeking_cue") for t in cue_terms
                )
                seek_score = w.get("seeking_cue" if asks else "seeking_need", 0.0)
            else:
                seeking_terms = [surface[i] for i in (surface.find(q) for q in "?؟፧") if i >= 0][:1]
                seek_score = w.get("seeking_mark", 0.0)
            if topic:
                # A single bare place name ("England" in a cricket question) is a weak topic;
                # a direction ("to England"), two places, a vehicle or the crossing are not.
                routes = list(found.get("route", ()))
                strong = (
                    len(anchors) > 1
                    or "route" not in signals
                    or self._distinct(routes) > 1
                    or any(" " in self.lexicon.canonical.get(t, t) for t in routes)
                )
                seek_score += w.get("seeking_topic" if strong else "seeking_place", 0.0)
                if len(anchors) > 1:
                    seek_score += w.get("seeking_topic_extra", 0.0)
            if qmark:
                seek_score += w.get("seeking_question", 0.0)
            seek_score = _clamp(
                round(seek_score - w.get("seeking_counter", 0.0) * len(counter_terms), 6)
            )
            # Seekers ask to be contacted and say what they can pay: when they ask in words
            # (a seeking phrase, a question word) those signals no longer speak for an offer;
            # only sales terms, numbers and links do. (A question mark alone does not do this:
            # ads open with "Want to go to UK?" too.)
            if asking:
                offer_score = _clamp(
                    offer_score - sum(signals[k][1] for k in _AMBIGUOUS_FOR_SEEKERS if k in signals)
                )
                deal = any(k in signals for k in _STRONG_DEAL if k != "phone")

        cfg = self.config
        # Sales terms, or a price together with a number or link, are a seller's: with them an
        # offer needs no margin over the seeking reading.
        offering = "commercial" in signals or (
            "price" in signals and ("phone" in signals or "link" in signals)
        )
        margin = cfg.offer_over_seeking if seek_score and not offering else 0.0
        if (
            what
            and deal
            and offer_score >= cfg.offer_threshold
            and offer_score >= seek_score + margin
        ):
            label, score = Label.OFFER, offer_score
        elif seek_score >= cfg.seeking_threshold:
            label, score = Label.SEEKING, seek_score
        else:
            # Below the bar: report how close it came, but never at or above the threshold.
            label = Label.NONE
            score = min(offer_score if what and deal else offer_score / 2, cfg.offer_threshold)
            score = max(0.0, score - 0.01) if score >= cfg.offer_threshold else score

        reasons = [
            Reason(
                name,
                tuple(terms[:8]),
                round(weight, 3),
                f"{_REASON_TEXT[name]}: {', '.join(terms[:5])}",
            )
            for name, (terms, weight) in signals.items()
        ]
        if cheap:
            reasons.append(
                Reason("everyday_price", tuple(cheap[:8]), -w.get("everyday_price", 0.0),
                       f"{_REASON_TEXT['everyday_price']}: {', '.join(cheap[:5])}")
            )  # fmt: skip
        if counter_terms:
            reasons.append(
                Reason("counter", tuple(counter_terms[:8]), -counter,
                       f"{_REASON_TEXT['counter']}: {', '.join(counter_terms[:5])}")
            )  # fmt: skip
        if seeking_terms and seek_score > 0:
            reasons.append(
                Reason("seeking", tuple(seeking_terms[:8]), seek_score,
                       f"{_REASON_TEXT['seeking']}: {', '.join(seeking_terms[:5])}")
            )  # fmt: skip

        places = self._places(found)
        entities.extend(Entity("time", t, t) for t in list(found.get("imminent", ()))[:5])
        return Verdict(
            label=label,
            score=score,
            lang=lang,
            entities=tuple(entities + places),
            reasons=tuple(reasons),
            imminent=label is Label.OFFER and "imminent" in signals,
            normalised=folded,
        )

    def _places(self, found: dict[str, dict[str, None]]) -> list[Entity]:
        """The route terms found, as ``place`` entities (one per place, at most five)."""
        places: list[Entity] = []
        seen_places: set[str] = set()
        for t in found.get("route", ()):
            key = self.lexicon.canonical.get(t, t)
            if key not in seen_places and len(places) < 5:
                seen_places.add(key)
                places.append(Entity("place", t, t))
        return places

    def _distinct(self, terms: list[str]) -> int:
        """How many different things ``terms`` name: "uk", "u.k" and "UK" are one, and so are
        one word's spellings in several packs (حوالة, حواله)."""
        if len(terms) < 2:
            return len(terms)
        canonical = self.lexicon.canonical
        keys = {f" {canonical.get(t) or t} " for t in terms}
        # a term inside another that matched ("ዋስትና" in "100% ዋስትና") is not a second one
        return sum(1 for k in keys if not any(k != o and k in o for o in keys))

    def _cheap(self, value: str) -> bool:
        """Is a price entity below the range a crossing costs in its (known) currency?"""
        code, _, amount = value.partition(" ")
        bounds = self.config.plausible_prices.get(code)
        try:
            if bounds is None or float(amount) >= bounds[0]:
                return False
            # A unit several currencies share ("dinar": Iraqi, Libyan...) is cheap only if it
            # is cheap in every one of them: "4000 dinar" from Libya is a crossing's price.
            return all(
                float(amount) < self.config.plausible_prices.get(alt, (0.0, 0.0))[0]
                for alt in self.config.same_unit.get(code, ())
            )
        except ValueError:
            return False

    def _plausible(self, value: str) -> bool:
        """Is a price entity (``"GBP 2500"``) in the range a crossing costs in its currency?"""
        code, _, amount = value.partition(" ")
        bounds = self.config.plausible_prices.get(code)
        if bounds is None:
            return True
        try:
            return bounds[0] <= float(amount) <= bounds[1]
        except ValueError:
            return True


def _seeking_cues(packs: dict[str, Pack]) -> list[TermHit]:
    """Question openers derived from each pack's seeking phrases: the first two words of every
    phrase of three or more words ("how much to uk" gives "how much", "qui connaît un passeur"
    gives "qui connaît"). Seekers phrase their question in endless ways; the opener plus a topic
    word (a route, a vehicle, documents) is what they share. A cue alone never labels a message.
    """
    # An opener made of topic words ("đi anh" = "go England", "to uk") is the topic, not a
    # question: skip openers with a word that is a route, vehicle or documents term anywhere.
    topic_words: set[str] = set()
    for pack in packs.values():
        for cat in _WHAT:
            for term in pack.terms.get(cat, ()):
                topic_words.update(fold(_surface(term)).split())
    cues: list[TermHit] = []
    for code, pack in packs.items():
        seen: set[str] = set()
        for phrase in pack.terms.get("seeking", ()):
            words = phrase.split()
            if len(words) >= 3:
                cue = " ".join(words[:2])
                folded = fold(_surface(cue)).split()
                if cue in seen or not folded or any(w in topic_words for w in folded):
                    continue
                seen.add(cue)
                cues.append(TermHit(code, "seeking_cue", cue))
    return cues


def _deal_words(packs: dict[str, Pack], extra_stop: tuple[str, ...] = ()) -> list[TermHit]:
    """Content words of each pack's multi-word sales and contact phrases ("pay when you arrive"
    gives "pay" and "arrive"), as weak signals: ads paraphrase ("payment only after you
    arrive"), and two such words together still say "deal" where no phrase matches whole.
    Function words (every pack's ``[langid] common``), short words and words any pack lists
    as route, vehicle, documents or counter terms are left out."""
    stop: set[str] = {w for s in extra_stop for w in fold(_surface(s)).split()}
    for pack in packs.values():
        for w in pack.common:
            stop.update(fold(w).split())
        for cat in (*_WHAT, "counter", "imminent", "seeking"):
            for term in pack.terms.get(cat, ()):
                stop.update(fold(_surface(term)).split())
    out: list[TermHit] = []
    for code, pack in packs.items():
        seen: set[str] = set()
        for cat in ("commercial", "contact"):
            for phrase in pack.terms.get(cat, ()):
                words = fold(_surface(phrase)).split()
                if len(words) < 2:
                    continue
                for word in words:
                    if word in stop or word in seen or len(word) < 4 or word.isdigit():
                        continue
                    seen.add(word)
                    out.append(TermHit(code, f"{cat}_word", word))
    return out


def _clamp(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
