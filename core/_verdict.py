"""What the detector says about one message: a label, a score, the language, entities, reasons."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Entity", "Label", "Reason", "Verdict"]


class Label(StrEnum):
    """The three things a message can be, as far as channelwatch cares."""

    OFFER = "offer"  # someone selling a crossing or documents for one
    SEEKING = "seeking"  # someone looking for a smuggler: a person at risk, never a suspect
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Entity:
    """Something extracted from a message that moderators and later rules can act on.

    ``kind`` is one of ``price``, ``phone``, ``contact`` (a messenger handle or link), ``link``,
    ``time`` (an imminent departure: tonight, tomorrow, a date) and ``place``.
    ``value`` is canonical (E.164 for phones, ``telegram:@name`` for handles, ``GBP 2500`` for
    prices) so it can be compared across messages; ``text`` is the span as written.
    """

    kind: str
    value: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "text": self.text}


@dataclass(frozen=True, slots=True)
class Reason:
    """One signal that fired, on which words, and what it contributed to the score."""

    signal: (
        str  # e.g. "route", "vehicle", "commercial", "contact", "documents", "seeking", "counter"
    )
    terms: tuple[str, ...]
    weight: float
    text: str  # human-readable; for seekers never worded as an accusation

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "terms": list(self.terms),
            "weight": round(self.weight, 4),
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The detector's decision on one message."""

    label: Label
    score: float  # in [0, 1]
    lang: str  # ISO-639-ish code of a language pack ("en", "fa", "ckb", "kmr", ...) or "und"
    entities: tuple[Entity, ...] = ()
    reasons: tuple[Reason, ...] = ()
    imminent: bool = False  # an offer naming a departure tonight / tomorrow / on a date: urgent
    normalised: str = field(default="", repr=False)

    def entities_of(self, kind: str) -> tuple[Entity, ...]:
        return tuple(e for e in self.entities if e.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": str(self.label),
            "score": round(self.score, 4),
            "lang": self.lang,
            "imminent": self.imminent,
            "reasons": [r.to_dict() for r in self.reasons],
            "entities": [e.to_dict() for e in self.entities],
        }
