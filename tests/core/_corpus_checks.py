"""Checks shared by the validators of the labelled data files in ``tests/data/``.

``test_corpus_data.py``, ``test_dev2_data.py`` and ``test_holdout2_data.py`` each guard one or
two files with their own size thresholds and id prefixes; the schema, the label/kind/language
vocabularies, the strict JSON Lines reader and the "no text shared" comparison are the same for
all of them and live here, so a new subtype or language is added in one place.

The held-out files may be READ by these checks, but no failure message ever prints a message
text from them: failures name ids or line numbers only, so a failing run cannot leak held-out
data into logs that the detector's authors read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"

LANGS = frozenset({"en", "fr", "ar", "fa", "ps", "ckb", "kmr", "sq", "vi", "tr", "ti", "am"})
LABELS = frozenset({"offer", "seeking", "none"})
FIELDS = frozenset({"id", "text", "label", "lang", "kind"})
OFFER_KINDS = frozenset(
    {
        "offer/boat",
        "offer/lorry",
        "offer/plane_docs",
        "offer/documents",
        "offer/obfuscated",
        "offer/reply",
    }
)
# The hard-negative subtypes of the first corpus; later sets add subtypes of their own.
NEG_KINDS = frozenset(
    f"neg/{k}"
    for k in (
        "news arrest death ngo legal_aid asylum_question ferry_eurostar parcel hgv_job "
        "boat_sale fishing travel_agency warning missing_person rescue_hotline tourism "
        "study_visa"
    ).split()
)

Row = dict[str, Any]
TextKey = Callable[[str], str]


def read_numbered(path: Path) -> list[tuple[int, Row]]:
    """Parse JSON Lines strictly: every non-empty line must be one JSON object.

    Returns ``(line number, object)`` pairs so failures can point at a line without quoting it.
    """
    rows: list[tuple[int, Row]] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:  # pragma: no cover - only on bad data
            pytest.fail(f"{path.name}:{lineno}: invalid JSON: {exc}")
        assert isinstance(obj, dict), f"{path.name}:{lineno}: not a JSON object"
        rows.append((lineno, obj))
    return rows


def read_jsonl(path: Path) -> list[Row]:
    """The objects of a strict JSON Lines file (see :func:`read_numbered`)."""
    return [obj for _, obj in read_numbered(path)]


def stripped_key(text: str) -> str:
    """Texts equal after trimming and case folding count as the same message."""
    return text.strip().casefold()


def spaced_key(text: str) -> str:
    """Stricter: inner whitespace runs do not make a copied message new either."""
    return " ".join(text.split()).casefold()


def label_of(kind: str) -> str:
    """The coarse label a subtype implies; the two fields of a row must agree."""
    if kind.startswith("offer/"):
        return "offer"
    return "seeking" if kind == "seeking" else "none"


def check_row(
    row: Row, where: str, *, neg_kinds: frozenset[str], id_prefix: str, exact: bool = True
) -> None:
    """Schema and vocabulary of one labelled row.

    ``exact`` forbids fields beyond :data:`FIELDS`; ``id_prefix`` comes before ``<lang>-`` in
    every id; ``neg_kinds`` is the set of hard-negative subtypes the file may use.
    """
    if exact:
        assert set(row) == FIELDS, f"{where}: fields {sorted(row)}"
    for field in sorted(FIELDS):
        assert field in row, f"{where}: missing {field!r}"
        assert isinstance(row[field], str) and row[field].strip(), f"{where}: empty {field!r}"
    assert row["label"] in LABELS, f"{where}: label {row['label']!r}"
    assert row["lang"] in LANGS, f"{where}: lang {row['lang']!r}"
    kinds = OFFER_KINDS | neg_kinds | {"seeking"}
    assert row["kind"] in kinds, f"{where}: kind {row['kind']!r}"
    agree = row["label"] == label_of(row["kind"])
    assert agree, f"{where}: label {row['label']} but kind {row['kind']}"
    assert row["id"].startswith(f"{id_prefix}{row['lang']}-"), f"{where}: id {row['id']!r}"


def check_unique(rows: Iterable[Row], name: str, key: TextKey = stripped_key) -> None:
    """No id twice and no text twice (by ``key``); failures name ids, never texts."""
    rows = list(rows)
    ids = Counter(r["id"] for r in rows)
    assert not [i for i, n in ids.items() if n > 1], f"{name}: duplicate ids"
    texts = Counter(key(r["text"]) for r in rows)
    dupes = [r["id"] for r in rows if texts[key(r["text"])] > 1]
    assert not dupes, f"{name}: duplicate texts at ids {dupes}"


def texts_of(path: Path, key: TextKey = stripped_key, *, strict: bool = True) -> set[str]:
    """The keyed texts of a JSON Lines file; ``strict=False`` skips lines that are not objects."""
    if strict:
        return {key(str(r.get("text", ""))) for r in read_jsonl(path)}
    found: set[str] = set()
    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            text = obj.get("text") if isinstance(obj, dict) else None
            if isinstance(text, str):
                found.add(key(text))
    return found


def shared_ids(rows: Iterable[Row], theirs: set[str], key: TextKey = stripped_key) -> list[str]:
    """Ids of ``rows`` whose text (by ``key``) is also in ``theirs``."""
    return [r["id"] for r in rows if key(r["text"]) in theirs]
