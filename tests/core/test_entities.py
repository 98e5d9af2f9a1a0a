"""Entity extraction: prices in every pack language and digit system, phones as E.164, messenger
contacts and links, imminent dates; bounded on hostile input."""

from __future__ import annotations

import time

import pytest

from core import Detector, Entity


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load()


def entities(detector: Detector, text: str, kind: str) -> list[str]:
    return [e.value for e in detector.detect(text).entities if e.kind == kind]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("£2,500 per person", "GBP 2500"),
        ("2500£ cash", "GBP 2500"),
        ("price 3000 pounds", "GBP 3000"),
        ("3.5k euro", "EUR 3500"),
        ("€ 1800", "EUR 1800"),
        ("1500$ only", "USD 1500"),
        ("2 500 euros", "EUR 2500"),
        ("prix 2000 euros", "EUR 2000"),
        ("السعر ٢٥٠٠ يورو", "EUR 2500"),  # Eastern Arabic digits
        ("۲۸۰۰ یورو", "EUR 2800"),  # Persian digits
        ("٣٠٠٠ باوند", "GBP 3000"),
        ("۳ هزار دلار", "USD 3000"),  # "3 thousand dollars"
        ("٢٥٠٠ پاوەند", "GBP 2500"),  # Sorani
        ("5 bin euro", "EUR 5000"),  # Turkish "thousand"
        ("4000 paund", "GBP 4000"),  # Albanian
        ("Giá 15.000 bảng", "GBP 15000"),  # Vietnamese
        ("450 triệu", "VND 450000000"),
        ("ዋጋ 3500 ዶላር", "USD 3500"),  # Amharic
        ("2000 💷", "GBP 2000"),
        ("2000 eυros", "EUR 2000"),  # a Greek upsilon inside the currency word
    ],
)
def test_prices(detector: Detector, text: str, value: str) -> None:
    assert value in entities(detector, text, "price")


@pytest.mark.parametrize("text", ["call me at 10", "in 2024 we", "3.5 stars", "page 12", "25/12"])
def test_bare_numbers_are_not_prices(detector: Detector, text: str) -> None:
    assert entities(detector, text, "price") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("WhatsApp +44 7700 900123", "+447700900123"),
        ("call 07700 900123", "+447700900123"),  # national format, GB guessed first
        ("appelle le +33 6 12 34 56 78", "+33612345678"),
        ("واتساب +٤٤ ٧٧٠٠ ٩٠٠١٢٣", "+447700900123"),  # Eastern Arabic digits
        ("0044 7700 900123", "+447700900123"),
    ],
)
def test_phones_are_e164(detector: Detector, text: str, value: str) -> None:
    assert value in entities(detector, text, "phone")


def test_dates_and_prices_are_not_phones(detector: Detector) -> None:
    assert entities(detector, "leaving 12.03.2025, price 2500", "phone") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("wa.me/447700900123", "whatsapp:+447700900123"),
        ("https://t.me/calais_go", "telegram:@calais_go"),
        ("t.me/joinchat/AbCdEf", "telegram:joinchat/abcdef"),  # values are casefolded
        ("zalo.me/0900000111", "zalo:0900000111"),
        ("instagram.com/uk.trips", "instagram:@uk.trips"),
        ("snapchat.com/add/boat_uk", "snapchat:@boat_uk"),
        ("signal.me/#p/+447700900123", "signal:#p/+447700900123"),
        ("telegram @calais_go", "telegram:@calais_go"),
        ("whatsapp: +44 7700 900123", "whatsapp:+447700900123"),
    ],
)
def test_messenger_contacts(detector: Detector, text: str, value: str) -> None:
    assert value in entities(detector, text, "contact")


def test_plain_links_are_kept(detector: Detector) -> None:
    assert entities(detector, "see https://example.org/news", "link") == [
        "https://example.org/news"
    ]


def test_anonymised_mentions_are_not_contacts(detector: Detector) -> None:
    assert entities(detector, "@user thanks", "contact") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("boat to uk tonight", "tonight"),
        ("départ demain", "demain"),
        ("leaving 12/03", "12/03"),
        ("on 05.11.2025", "05/11/2025"),
    ],
)
def test_imminent_times(detector: Detector, text: str, value: str) -> None:
    assert value in entities(detector, text, "time")


def test_offer_with_departure_date_is_imminent(detector: Detector) -> None:
    v = detector.detect(
        "Boat to UK from Dunkirk tonight, 2 places left, £2500, WhatsApp +44 7700 900123"
    )
    assert v.label == "offer" and v.imminent


def test_entities_are_bounded_on_hostile_input(detector: Detector) -> None:
    text = " ".join(f"+44 7700 9{n:05d} £{n} t.me/x{n} @h{n}" for n in range(3000))
    start = time.perf_counter()
    v = detector.detect(text)
    assert time.perf_counter() - start < 2.0
    counts: dict[str, int] = {}
    for e in v.entities:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    limit = detector.config.max_entities_per_kind
    assert all(n <= limit for n in counts.values()), counts


def test_entity_dict_shape() -> None:
    assert Entity("phone", "+447700900123", "07700 900123").to_dict() == {
        "kind": "phone",
        "value": "+447700900123",
        "text": "07700 900123",
    }


# --- every digit system and every pack language's currency words -------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("١٧٠٠ إسترليني", "GBP 1700"),  # Arabic, Eastern-Arabic digits
        ("٢٠٠٠ جنيه", "GBP 2000"),
        ("۴۰۰۰ دالر", "USD 4000"),  # Dari spelling, Persian digits
        ("۲۰۰ میلیون تومان", "IRR 200000000"),
        ("۲۰۰۰ پونډه", "GBP 2000"),  # Pashto
        ("۵ زره ډالر", "USD 5000"),
        ("٣٠٠٠ دۆلار", "USD 3000"),  # Sorani
        ("3000 ewro", "EUR 3000"),  # Kurmanji
        ("5 mijë euro", "EUR 5000"),  # Albanian
        ("15 nghìn bảng", "GBP 15000"),  # Vietnamese
        ("100 bin TL", "TRY 100000"),  # Turkish
        ("5 ሺ ዶላር", "USD 5000"),  # Amharic
        ("3000 ዩሮ", "EUR 3000"),  # Tigrinya
        ("1800 livres", "GBP 1800"),  # French
        ("3 grand", "3000"),  # English "grand": a unit without a code
        ("2OOO £", "GBP 2000"),  # letter O for zero inside a number
        ("السعر: ٢٥٠٠", "2500"),  # a price label and no currency
        ("price 2500", "2500"),
    ],
)
def test_prices_in_every_language_and_digit_system(
    detector: Detector, text: str, value: str
) -> None:
    assert value in entities(detector, text, "price")


@pytest.mark.parametrize("text", ["about 4 miles from here", "1080p video", "I have 10 of them"])
def test_words_that_look_like_units_are_not_prices(detector: Detector, text: str) -> None:
    assert entities(detector, text, "price") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("+٤٤ ٧٧٠٠ ٩٠٠٥٢٠", "+447700900520"),  # Eastern-Arabic digits
        ("+۹۸ ۹۱۲ ۰۰۰ ۱۲۳۴", "+989120001234"),  # Persian digits
        ("٠٠٩٦٤ ٧٧٠ ٠٠٠ ١٢٣٤", "+9647700001234"),  # 00 prefix
        ("+44 77OO 9OO123", "+447700900123"),  # letter O for zero
    ],
)
def test_phones_in_every_digit_system(detector: Detector, text: str, value: str) -> None:
    assert value in entities(detector, text, "phone")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("write me on Signal +44 7700 900123", "signal:+447700900123"),
        ("سيغنال +٤٤ ٧٧٠٠ ٩٠٠٥٢٢", "signal:+447700900522"),
        ("Snap: passage.uk", "snapchat:@passage.uk"),
        ("telegram = calais_go", "telegram:@calais_go"),
    ],
)
def test_messenger_named_contacts(detector: Detector, text: str, value: str) -> None:
    assert value in entities(detector, text, "contact")


def test_prose_after_a_messenger_name_is_no_account(detector: Detector) -> None:
    assert entities(detector, "the time is 10:30, telegram: see you", "contact") == []


def test_digits_spelled_one_by_one(detector: Detector) -> None:
    assert "GBP 2500" in entities(detector, "٢ ٥ ٠ ٠ باوند", "price")
    assert "+447700900123" in entities(detector, "0 7 7 0 0 9 0 0 1 2 3", "phone")
    assert entities(detector, "I got 1 2 3 4 in the test", "price") == []
