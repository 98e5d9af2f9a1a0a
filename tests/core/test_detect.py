"""The detector: offers by combinations, never single keywords; seekers treated as people at risk;
explainable reasons; weights from config; robust to any input."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import Detector, Label, Verdict
from core._detect import DEFAULT_CONFIG_DIR
from core._lexicon import Lexicon, TermHit


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load()


def signals(v: Verdict) -> set[str]:
    return {r.signal for r in v.reasons}


# --- offers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Boat from Calais to England this Friday, £2000 per person, whatsapp +44 7700 900123",
        "Lorry to UK, VIP, 100% guaranteed, pay on arrival. DM me",
        "Bateau pour l'Angleterre depuis Dunkerque demain, 1800 euros, écrivez en privé",
        "بلم من تركيا الى اليونان، ١٥٠٠ دولار، واتساب ٠٠٩٠٥٥٥١٢٣٤٥٦٧",
        "قایق از ترکیه به یونان، ۲۰۰۰ یورو، پیام خصوصی",
    ],
)
def test_combinations_make_offers(detector: Detector, text: str) -> None:
    v = detector.detect(text)
    assert v.label is Label.OFFER, v.reasons
    assert v.score >= detector.config.offer_threshold
    assert signals(v) & {"route", "vehicle", "documents"}
    assert signals(v) & {"commercial", "price", "contact", "messenger", "phone", "link"}


@pytest.mark.parametrize(
    "text",
    [
        "boat",
        "UK",
        "London tonight!",
        "whatsapp +44 7700 900123",
        "£2500",
        "I love boats and the sea",
        "100% guaranteed",
    ],
)
def test_single_keywords_never_make_an_offer(detector: Detector, text: str) -> None:
    assert detector.detect(text).label is not Label.OFFER


@pytest.mark.parametrize(
    "text",
    [
        # news and arrests
        "Police arrested four men in Calais for organising small boat crossings to the UK, "
        "charging up to £3000 per person, the NCA said.",
        # charity / legal aid with a phone number and a place
        "Free legal advice on asylum claims in Calais every Tuesday. Call our volunteers on "
        "+33 6 12 34 56 78 or visit the Refugee Council website.",
        # official ferry
        "Ferry tickets Calais to Dover from £45, book online with DFDS or P&O.",
        # parcels with 'guaranteed' and WhatsApp
        "Parcels from London to Kabul, guaranteed delivery in 10 days, £5 per kilo. WhatsApp "
        "+44 7700 900456",
        # warning against smugglers
        "Do not trust anyone offering a boat to England for 2000 euros. Smugglers lie, people "
        "drowned last week near Dunkirk.",
    ],
)
def test_hard_negatives_stay_none(detector: Detector, text: str) -> None:
    v = detector.detect(text)
    assert v.label is not Label.OFFER, v.reasons


def test_counter_context_is_a_reason(detector: Detector) -> None:
    v = detector.detect("Police arrested the smugglers who sold boat places to the UK for £3000")
    counter = [r for r in v.reasons if r.signal == "counter"]
    assert counter and counter[0].weight < 0


# --- seekers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Who knows a smuggler to UK? How much is it now?",
        "How much to England by boat from Calais? Anyone know?",
        "Qui connaît un passeur pour l'Angleterre ?",
    ],
)
def test_seekers(detector: Detector, text: str) -> None:
    assert detector.detect(text).label is Label.SEEKING


_ACCUSATIONS = ("illegal", "crime", "criminal", "suspect", "smuggler", "traffick", "offer")


def test_seeking_reasons_are_never_accusations(detector: Detector) -> None:
    v = detector.detect("Who knows a smuggler to UK? How much is it now?")
    assert v.label is Label.SEEKING
    for reason in v.reasons:
        wording = reason.text.split(":", 1)[0].lower()  # our words, not the quoted terms
        assert not any(word in wording for word in _ACCUSATIONS), reason.text
    assert any("asks about a crossing route" in r.text for r in v.reasons)


def test_seeker_asking_for_a_dm_is_not_an_offer(detector: Detector) -> None:
    v = detector.detect("How much is the lorry to London these days? Please DM me if you know")
    assert v.label is Label.SEEKING


# --- the verdict ---------------------------------------------------------------------------


def test_verdict_shape(detector: Detector) -> None:
    v = detector.detect("Boat to UK tonight, £2500, whatsapp +44 7700 900123")
    d = v.to_dict()
    assert set(d) >= {"label", "score", "lang", "reasons", "entities", "imminent"}
    json.dumps(d)
    assert v.normalised == "boat to uk tonight 2500 whatsap 44 7700 900123"
    for reason in v.reasons:
        assert reason.terms and reason.text
    kinds = {e.kind for e in v.entities}
    assert {"price", "phone", "time", "place"} <= kinds


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_never_raises_and_score_in_range(text: str) -> None:
    v = Detector.load().detect(text, lang_hint="en")
    assert v.label in (Label.OFFER, Label.SEEKING, Label.NONE)
    assert 0.0 <= v.score <= 1.0
    json.dumps(v.to_dict())


def test_non_string_input(detector: Detector) -> None:
    assert detector.detect(None).label is Label.NONE  # type: ignore[arg-type]
    assert detector.detect(b"boat".decode()).label is Label.NONE


def test_one_megabyte_message_is_fast(detector: Detector) -> None:
    text = ("boat to uk £2500 +44 7700 900123 t.me/x @y b.o.a.t " * 20000)[:1_000_000]
    start = time.perf_counter()
    v = detector.detect(text)
    assert time.perf_counter() - start < 2.0
    assert v.label is Label.OFFER


# --- loading and configuration -------------------------------------------------------------


def test_load_is_cached_per_directory(tmp_path: Path) -> None:
    assert Detector.load() is Detector.load(None)
    assert Detector.load() is Detector.load(DEFAULT_CONFIG_DIR)
    shutil.copytree(DEFAULT_CONFIG_DIR / "lang", tmp_path / "lang")
    other = Detector.load(tmp_path)
    assert other is not Detector.load()
    assert other is Detector.load(tmp_path)


def test_all_twelve_packs_load(detector: Detector) -> None:
    assert set(detector.packs) >= {
        "en", "fr", "ar", "fa", "ps", "ckb", "kmr", "sq", "vi", "tr", "ti", "am",
    }  # fmt: skip


def test_weights_come_from_config(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_CONFIG_DIR / "lang", tmp_path / "lang")
    cfg = (DEFAULT_CONFIG_DIR / "detection.toml").read_text(encoding="utf-8")
    (tmp_path / "detection.toml").write_text(
        cfg.replace("\noffer = 0.", "\noffer = 1.5  # never\nold_offer = 0."), encoding="utf-8"
    )
    text = "Boat to UK tonight, £2500 per person, whatsapp +44 7700 900123"
    assert Detector.load().detect(text).label is Label.OFFER
    assert Detector.from_dir(tmp_path).detect(text).label is not Label.OFFER


def test_a_broken_pack_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "lang").mkdir()
    shutil.copy(DEFAULT_CONFIG_DIR / "lang" / "en.toml", tmp_path / "lang" / "en.toml")
    (tmp_path / "lang" / "xx.toml").write_text("this is [not toml", encoding="utf-8")
    (tmp_path / "lang" / "yy.toml").write_text('[meta]\ncode = "zz"\n', encoding="utf-8")
    d = Detector.from_dir(tmp_path)
    assert set(d.packs) == {"en"}
    assert d.detect("Boat to UK tonight, £2500, whatsapp +44 7700 900123").label is Label.OFFER


def test_missing_config_dir_gives_a_working_detector(tmp_path: Path) -> None:
    d = Detector.from_dir(tmp_path / "absent")
    assert d.detect("boat to uk £2500 whatsapp").label is Label.NONE


def test_lexicon_matches_whole_words_and_phrases() -> None:
    lex = Lexicon(
        [
            TermHit("en", "vehicle", "boat"),
            TermHit("en", "route", "to uk"),
            TermHit("en", "counter", "boat for sale"),
        ]
    )
    assert [h.term for _, h in lex.find("boatman ukraine")] == []
    assert sorted(h.term for _, h in lex.find("B.O.A.T to U.K")) == ["boat", "to uk"]
    # a longer counter phrase masks the vehicle inside it
    assert [h.category for h in lex.match("boat for sale")] == ["counter"]


def test_lexicon_of_fifty_thousand_terms() -> None:
    terms = [TermHit("en", "route", f"place{n:05d}x") for n in range(50_000)]
    lex = Lexicon([*terms, TermHit("en", "vehicle", "boat")])
    assert lex.term_count == 50_001
    hits = [h.term for _, h in lex.find("boat to place01234x and places")]
    assert hits == ["boat", "place01234x"]


def test_environment_points_at_another_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lang").mkdir()
    shutil.copy(DEFAULT_CONFIG_DIR / "lang" / "fr.toml", tmp_path / "lang" / "fr.toml")
    default = Detector.load()
    monkeypatch.setenv("CHANNELWATCH_CONFIG_DIR", str(tmp_path))
    custom = Detector.load()
    assert custom is not default and set(custom.packs) == {"fr"}


# --- the structure that generalises ------------------------------------------------------------
# These tests add their own made-up terms (``extra=``) so that they check the scoring structure,
# not the current wording of a pack: a pack may drop or reword any term without breaking them.


@pytest.fixture(scope="module")
def structured() -> Detector:
    extra = (
        TermHit("en", "crossing", "zorbmover"),  # someone who takes people across
        TermHit("en", "question", "who"),
        TermHit("fa", "question", "کی"),  # Persian "who"; folded, also Pashto کې "in"
        TermHit("en", "commercial", "money sits with the zorboffice"),
    )
    return Detector.from_dir(DEFAULT_CONFIG_DIR, extra=extra)


def test_entities_feed_the_score_without_any_lexicon_term(detector: Detector) -> None:
    v = detector.detect("للتواصل الآن ١٧٠٠ إسترليني +٤٤ ٧٧٠٠ ٩٠٠٥٢٠")
    assert {"phone", "price"} <= signals(v)
    assert 0.0 < v.score < detector.config.offer_threshold
    assert v.label is Label.NONE  # a deal with no crossing is no offer


def test_a_crossing_term_is_an_anchor(structured: Detector) -> None:
    v = structured.detect("Our zorbmover takes groups to England. Ring +44 7700 900222")
    assert v.label is Label.OFFER, v.reasons
    assert "crossing" in signals(v)
    assert structured.detect("Our zorbmover is a legend").label is Label.NONE


def test_documents_with_a_price_are_an_offer_without_a_route(detector: Detector) -> None:
    v = detector.detect("Fake passports, 3000 euro each, whatsapp +39 333 000 1234")
    assert v.label is Label.OFFER, v.reasons
    assert "route" not in signals(v)


def test_a_reply_with_sales_terms_is_an_offer(structured: Detector) -> None:
    text = "@samir money sits with the zorboffice, dm me"
    assert structured.detect(text).label is Label.OFFER
    assert "reply" in signals(structured.detect(text))
    # the same words not in reply to anyone name no crossing
    assert structured.detect("money sits with the zorboffice, dm me").label is Label.NONE


def test_question_cue_and_anchor_make_a_seeker(structured: Detector) -> None:
    v = structured.detect("who is the zorbmover for England? message me please")
    assert v.label is Label.SEEKING, v.reasons
    for reason in v.reasons:
        wording = reason.text.split(":", 1)[0].lower()
        assert not any(word in wording for word in _ACCUSATIONS), reason.text


def test_a_bare_place_in_a_question_is_not_seeking(structured: Detector) -> None:
    assert structured.detect("who won the match in London?").label is Label.NONE


def test_question_words_count_only_in_their_language(structured: Detector) -> None:
    # Pashto "in" (کې) folds like Persian "who" (کی): no question in this Pashto sentence
    v = structured.detect("زه په لندن کې اوسېږم، لندن ښکلی ښار دی؟")
    assert v.label is Label.NONE, v.reasons


def test_counter_context_weakens_phones_and_prices(detector: Detector) -> None:
    v = detector.detect(
        "Truck drivers needed for Europe routes, salary 2500 euro a month, call 0044 7700 900888"
    )
    assert v.label is Label.NONE, v.reasons
    phone = next(r for r in v.reasons if r.signal == "phone")
    assert phone.weight < detector.config.weights["phone"]


def test_only_an_everyday_price_weighs_against_an_offer(detector: Detector) -> None:
    v = detector.detect("Boxes to Kabul by truck, £6 per kilo, whatsapp +44 7700 900666")
    assert v.label is Label.NONE, v.reasons
    assert any(r.signal == "everyday_price" and r.weight < 0 for r in v.reasons)


def test_a_boat_emoji_and_a_number_are_not_an_ad(detector: Detector) -> None:
    v = detector.detect("🚤 In distress at sea? Call 112 or +33 6 12 34 56 78")
    assert v.label is Label.NONE, v.reasons


@pytest.mark.parametrize(
    "text",
    [
        "Smugglers now ask 6000 pounds for a place on a boat from northern France to England",
        "A place in a lorry to the UK costs around 10,000 euros, migrants in Calais say",
        "He paid 4000 pounds and was caught in the lorry at Calais",
    ],
)
def test_a_price_alone_is_what_news_reports(detector: Detector, text: str) -> None:
    # an anchor and a price, but no sales terms, no way to reach anyone, no departure time
    assert detector.detect(text).label is Label.NONE


def test_a_price_with_a_departure_time_is_a_deal(detector: Detector) -> None:
    v = detector.detect("Boat to England tonight, 2000 pounds")
    assert v.label is Label.OFFER, v.reasons


def test_question_words_match_whole_words_only() -> None:
    lex = Lexicon([TermHit("tr", "question", "kaça"), TermHit("tr", "route", "ingiltere")])
    assert [h.term for _, h in lex.find("Kaçakçılar İngiltere'ye")] == ["ingiltere"]
    assert [h.term for _, h in lex.find("İngiltere'ye kaça?")] == ["ingiltere", "kaça"]


def test_a_whole_sentence_spelled_letter_by_letter(detector: Detector) -> None:
    # one space between every letter and between the words too: nothing to split the words on,
    # so the lexicon is searched inside the joined run
    v = detector.detect("ب ل م لـ ب ر ي ط ا ن ي ا ، ٢ ٥ ٠ ٠ باوند ، و ا ت س ا ب +44 7700 900112")
    assert v.label is Label.OFFER, v.reasons
    assert {"route", "vehicle"} <= signals(v)


# --- referrals, forged documents, seekers' own numbers (config/detection.toml [lang_terms]) ---


@pytest.fixture(scope="module")
def referring() -> Detector:
    extra = (
        TermHit("en", "kin", "my zorbkin"),  # a relative or friend
        TermHit("en", "carried", "zorbtook"),  # a verb of taking someone somewhere
        TermHit("en", "referral", "zorbsent you"),  # "say I sent you"
        TermHit("en", "documents", "zorbpaper"),
        TermHit("en", "forgery", "zorbproof"),  # "scan-proof"
        TermHit("en", "forgery", "zorbfree"),  # "without IELTS"
        TermHit("en", "legal_travel", "zorbembassy"),
        TermHit("en", "counter", "zorbembassy"),  # a pack's counter term for the same word
        TermHit("en", "counter", "zorbpolice"),
        TermHit("en", "crossing", "zorbmover"),
        TermHit("en", "vehicle", "zorbboat"),
        TermHit("en", "question", "who can"),
    )
    return Detector.from_dir(DEFAULT_CONFIG_DIR, extra=extra)


def test_a_referral_to_someone_who_took_a_relative_across_is_an_offer(
    referring: Detector,
) -> None:
    text = "@sam he zorbtook my zorbkin last month, signal +44 7700 900601, say zorbsent you"
    v = referring.detect(text)
    assert v.label is Label.OFFER, v.reasons
    assert "referral" in signals(v) and not signals(v) & {"route", "vehicle"}


@pytest.mark.parametrize(
    "text",
    [
        # no recommendation: a brother driven somewhere, and a number
        "@sam he zorbtook my zorbkin last month, signal +44 7700 900602",
        # no testimony of anyone taken anywhere: a plumber recommended
        "@sam great plumber, fixed my zorbkin's boiler, +44 7700 900603, say zorbsent you",
        # no way to reach anyone
        "@sam he zorbtook my zorbkin last month, say zorbsent you",
    ],
)
def test_a_referral_needs_testimony_recommendation_and_contact(
    referring: Detector, text: str
) -> None:
    assert referring.detect(text).label is Label.NONE


def test_a_reply_stands_for_the_relative_in_a_referral(referring: Detector) -> None:
    # the reply answers a seeker: no relative need be named when he vouches and the man took
    # people over ("he took us"), with a way to reach him
    v = referring.detect("@sam zorbtook us last month, say zorbsent you, +44 7700 900606")
    assert v.label is Label.OFFER, v.reasons
    assert "referral" in signals(v)
    # not a reply, and no relative: a recommendation of someone who drove people somewhere
    plain = referring.detect("he zorbtook us last month, say zorbsent you, +44 7700 900607")
    assert plain.label is Label.NONE, plain.reasons


@pytest.fixture(scope="module")
def pitching() -> Detector:
    extra = (
        TermHit("en", "question", "zorbwho"),
        TermHit("en", "contact", "zorbwho zorbwants"),  # an ad's opener: "who wants to go"
        TermHit("en", "route", "zorbland"),
        TermHit("en", "vehicle", "zorbtruck"),
    )
    return Detector.from_dir(DEFAULT_CONFIG_DIR, extra=extra)


def test_a_question_word_inside_a_sales_opener_asks_nothing(pitching: Detector) -> None:
    # "who wants to go to X, by truck, whatsapp ...": addressed to buyers, not a seeker's question
    v = pitching.detect("zorbwho zorbwants zorbland, zorbtruck, whatsapp +44 7700 900608")
    assert v.label is Label.OFFER, v.reasons
    # the same question word on its own is still a seeker's cue
    asked = pitching.detect("zorbwho goes to zorbland by zorbtruck? my whatsapp +44 7700 900609")
    assert asked.label is not Label.OFFER, asked.reasons


def test_a_bare_vehicle_and_a_number_is_a_hauliers_ad(pitching: Detector) -> None:
    # a lorry for hire with a phone number: every haulier's ad
    assert pitching.detect("our zorbtruck for hire, +44 7700 900610").label is Label.NONE
    # with a destination it is the shape of a crossing ad
    v = pitching.detect("zorbtruck to zorbland, +44 7700 900611, whatsapp")
    assert v.label is Label.OFFER, v.reasons


def test_forgery_qualifiers_void_the_visa_agency_context(referring: Detector) -> None:
    forged = "zorbpaper, zorbproof, for any zorbembassy, €1200, whatsapp +44 7700 900604"
    v = referring.detect(forged)
    assert v.label is Label.OFFER, v.reasons
    assert "forgery" in signals(v) and "counter" not in signals(v)
    # the same without the qualifier is an agency's ad: the counter context keeps it none
    agency = "zorbpaper for any zorbembassy, €120, whatsapp +44 7700 900605"
    assert referring.detect(agency).label is Label.NONE
    # news and warnings about forgeries still count against an offer
    news = "zorbpolice seized zorbproof zorbpaper sold for €1200 at the zorbembassy"
    assert referring.detect(news).label is Label.NONE


def test_one_irregularity_and_a_legal_visa_is_not_a_forgery(referring: Detector) -> None:
    # "study visa without IELTS" is an agency's line; two irregularities are not
    one = referring.detect("zorbembassy letter zorbfree, office fee £300, whatsapp +44 7700 900606")
    assert "forgery" not in signals(one)


def test_a_seeker_giving_her_own_number_and_budget_is_not_an_offer(referring: Detector) -> None:
    v = referring.detect("who can zorbmover us to England? I have £3000, my number +44 7700 900607")
    assert v.label is Label.SEEKING, v.reasons


def test_a_currency_word_several_countries_share_is_not_an_everyday_price(
    detector: Detector,
) -> None:
    # "dinar" reads as Iraqi by default; 4,000 Libyan dinars is a crossing's price
    v = detector.detect("Boat to Italy from Zuwara, 4000 dinar, call +218 91 000 4321")
    assert "everyday_price" not in signals(v)
    assert v.label is Label.OFFER, v.reasons


def test_a_phrase_spelled_letter_by_letter_loses_its_spaces(detector: Detector) -> None:
    v = detector.detect("đ i A n h b a o đ ậ u, 1 5 . 0 0 0 bảng, z a l o 0900 000 115")
    assert v.label is Label.OFFER, v.reasons


def test_a_first_person_need_is_a_question_cue(referring: Detector) -> None:
    # no question word and no question mark: "I need" + the crossing + the person's own number
    # and budget is a buyer, never a seller
    v = referring.detect("I have £3000, I need a zorbmover to England, my number +44 7700 900608")
    assert v.label is Label.SEEKING, v.reasons
    # a need alone with a bare place is not enough ("we want Germany" in a political tweet)
    assert referring.detect("we want Germany to win").label is Label.NONE


def test_for_sale_is_context_unless_documents_are_sold(referring: Detector) -> None:
    boat = referring.detect("zorbboat for sale, Dover, £4500, call 07700 900609")
    assert boat.label is Label.NONE and "counter" in signals(boat), boat.reasons
    papers = "zorbpaper for sale, £900, whatsapp +44 7700 900610"
    assert referring.detect(papers).label is Label.OFFER


def test_a_need_with_a_price_per_person_is_a_seller_filling_places(referring: Detector) -> None:
    v = referring.detect("We need 3 more for the zorbboat to UK, £2000 each, +44 7700 900611")
    assert v.label is Label.OFFER, v.reasons


def test_vietnamese_tones_keep_single_syllables_apart() -> None:
    """ "giả" (forged) is a forgery word; "gia hạn" (to renew) is a passport question."""
    detector = Detector.load()
    renew = detector.detect("Làm sao gia hạn hộ chiếu ở đại sứ quán?")
    assert "forgery" not in {r.signal for r in renew.reasons}
    assert renew.label is not Label.OFFER
    # Phrases still match when typed without tones, as people often do.
    forged = detector.detect("ban ho chieu gia gia re inbox zalo 0912000111")
    assert forged.label is Label.OFFER
