"""Figures for the metrics page and the Prometheus endpoint, read from the engine's SQLite file.

The engine's :class:`~core._store.Store` interface covers what the engine needs; the aggregate
queries a dashboard wants (percentiles, volumes per day) live here, behind :class:`MetricsSource`,
on a separate read-only connection: in WAL mode readers never block the engine's writer.

Definitions (shown on the page too):

* time to hide: from the engine recording the message to the platform confirming the hide;
* time to first review: from the case being opened to the first moderator step on it (claim,
  note or decision), read from the audit log;
* precision of a rule: confirmed / (confirmed + dismissed) over its reviewed cases.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from core._api import AuditRow, CaseFilter
from core._model import MessageRef

__all__ = ["MetricsSource", "Overview", "QueueRow", "SqliteMetrics", "percentile"]

DAY = 86400.0
REVIEW_KINDS = ("case.claim", "case.confirm", "case.dismiss", "case.note")


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 100]); None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100.0 * len(ordered) + 0.4999)))
    return ordered[rank - 1]


@dataclass(slots=True)
class Overview:
    """Everything the metrics page draws, for one set of communities."""

    days: list[str]  # "YYYY-MM-DD", oldest first
    hide_seconds: list[float] = field(default_factory=list)
    review_seconds: list[float] = field(default_factory=list)
    volume_by_label: dict[str, list[int]] = field(default_factory=dict)
    volume_by_lang: dict[str, int] = field(default_factory=dict)
    volume_by_platform: dict[str, int] = field(default_factory=dict)
    flagged_by_lang: dict[str, int] = field(default_factory=dict)
    notices_by_day: dict[str, list[int]] = field(default_factory=dict)  # notice / private
    notices_by_lang: dict[str, int] = field(default_factory=dict)
    precision: dict[str, dict[str, int]] = field(default_factory=dict)
    cases_by_status: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What one line of the queue shows: no reasons or entities to decode, an excerpt only."""

    id: str
    ref: MessageRef
    author_id: str
    author_name: str
    text: str | None  # the first 300 characters; None once purged
    lang: str
    label: str
    score: float
    priority: str
    status: str
    created_at: datetime
    claimed_by: str | None


class MetricsSource(Protocol):
    def overview(
        self, communities: Sequence[tuple[str, str]] | None, *, days: int = 14
    ) -> Overview: ...

    def prometheus_counts(self) -> dict[str, list[tuple[dict[str, str], float]]]: ...

    def audit_for(self, subjects: Sequence[str]) -> list[AuditRow]: ...

    def case_facets(
        self, communities: Sequence[tuple[str, str]] | None
    ) -> dict[str, list[str]]: ...

    def queue(self, flt: CaseFilter, *, limit: int) -> tuple[list[QueueRow], int]: ...

    def same_text(
        self, norm_hash: str, communities: Sequence[tuple[str, str]] | None, *, exclude: str
    ) -> list[QueueRow]: ...

    def audit_page(self, before_seq: int | None, limit: int) -> list[AuditRow]: ...


def _scope(communities: Sequence[tuple[str, str]] | None, alias: str = "") -> tuple[str, list[Any]]:
    """A WHERE fragment limiting rows to the given communities (None = all)."""
    if communities is None:
        return "1", []
    if not communities:
        return "0", []
    p = f"{alias}." if alias else ""
    clause = " OR ".join(f"({p}platform = ? AND {p}community_id = ?)" for _ in communities)
    params: list[Any] = []
    for platform, community in communities:
        params.extend((platform, community))
    return f"({clause})", params


class SqliteMetrics:
    """:class:`MetricsSource` over the engine's SQLite file (events, actions, cases, audit)."""

    def __init__(self, path: str | Path) -> None:
        uri = f"file:{Path(path).resolve()}?mode=ro"
        self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def overview(
        self,
        communities: Sequence[tuple[str, str]] | None,
        *,
        days: int = 14,
        now: float | None = None,
    ) -> Overview:
        now = time.time() if now is None else now
        first_day = int(now // DAY) - days + 1
        since = first_day * DAY
        day_names = [
            time.strftime("%Y-%m-%d", time.gmtime((first_day + i) * DAY)) for i in range(days)
        ]
        ov = Overview(days=day_names)
        where, params = _scope(communities)
        where_a, params_a = _scope(communities, "a")
        where_c, params_c = _scope(communities, "c")

        ov.hide_seconds = [
            float(r[0])
            for r in self._all(
                "SELECT a.done_at - coalesce(e.created_at, a.created_at) FROM actions a"
                " LEFT JOIN events e ON e.id = a.event_id"
                f" WHERE a.action = 'hide' AND a.status = 'done' AND a.done_at IS NOT NULL"
                f" AND a.created_at >= ? AND {where_a}",
                [since, *params_a],
            )
            if r[0] is not None and r[0] >= 0
        ]
        kinds = ", ".join("?" * len(REVIEW_KINDS))
        for created, first_at in self._all(
            "SELECT c.created_at, min(au.at) FROM cases c JOIN audit au ON au.subject = c.id"
            f" WHERE au.kind IN ({kinds}) AND c.created_at >= ? AND {where_c} GROUP BY c.id",
            [*REVIEW_KINDS, since, *params_c],
        ):
            try:
                first = datetime.fromisoformat(str(first_at)).timestamp()
            except ValueError:
                continue
            ov.review_seconds.append(max(0.0, first - float(created)))

        index = {d: i for i, d in enumerate(day_names)}
        for day, label, n in self._all(
            "SELECT strftime('%Y-%m-%d', created_at, 'unixepoch') AS d, coalesce(label, 'none'),"
            f" count(*) FROM events WHERE created_at >= ? AND {where} GROUP BY d, label",
            [since, *params],
        ):
            if day in index:
                ov.volume_by_label.setdefault(label, [0] * days)[index[day]] += n
        for lang, n in self._all(
            f"SELECT coalesce(lang, 'und'), count(*) FROM events WHERE created_at >= ? AND {where}"
            " GROUP BY 1 ORDER BY 2 DESC",
            [since, *params],
        ):
            ov.volume_by_lang[lang] = n
        for lang, n in self._all(
            f"SELECT coalesce(lang, 'und'), count(*) FROM events WHERE created_at >= ? AND {where}"
            " AND label IN ('offer', 'seeking') GROUP BY 1 ORDER BY 2 DESC",
            [since, *params],
        ):
            ov.flagged_by_lang[lang] = n
        for platform, n in self._all(
            f"SELECT platform, count(*) FROM events WHERE created_at >= ? AND {where}"
            " GROUP BY 1 ORDER BY 2 DESC",
            [since, *params],
        ):
            ov.volume_by_platform[platform] = n
        for day, action, lang, n in self._all(
            "SELECT strftime('%Y-%m-%d', created_at, 'unixepoch') AS d, action,"
            " coalesce(json_extract(payload, '$.lang'), 'und'), count(*) FROM actions"
            # Only delivered messages: a private message whose status is 'fallback' never
            # reached the person (its channel notice is a row of its own, counted as a notice).
            " WHERE action IN ('notice', 'redirect_private') AND status = 'done'"
            f" AND created_at >= ? AND {where} GROUP BY 1, 2, 3",
            [since, *params],
        ):
            name = "public notices" if action == "notice" else "private help messages"
            if day in index:
                ov.notices_by_day.setdefault(name, [0] * days)[index[day]] += n
            ov.notices_by_lang[lang] = ov.notices_by_lang.get(lang, 0) + n
        for rule, status, n in self._all(
            "SELECT rule, status, count(*) FROM cases WHERE status IN ('confirmed', 'dismissed')"
            f" AND {where} GROUP BY 1, 2",
            params,
        ):
            ov.precision.setdefault(rule or "?", {"confirmed": 0, "dismissed": 0})[status] = n
        for status, n in self._all(
            f"SELECT status, count(*) FROM cases WHERE {where} GROUP BY 1", params
        ):
            ov.cases_by_status[status] = n
        return ov

    def _audit(self, sql: str, params: Sequence[Any]) -> list[AuditRow]:
        return [
            AuditRow(
                seq=int(seq),
                at=datetime.fromisoformat(at),
                actor=actor,
                kind=kind,
                subject=subject,
                detail=json.loads(detail),
                prev_hash=prev_hash,
                hash=digest,
            )
            for seq, at, actor, kind, subject, detail, prev_hash, digest in self._all(sql, params)
        ]

    def queue(self, flt: CaseFilter, *, limit: int) -> tuple[list[QueueRow], int]:
        """Cases for the queue, urgent first (imminent departure), then high, then normal, and
        oldest first within each; plus how many match in all."""
        where, params = _scope(flt.communities)
        clauses = [where]
        if flt.statuses:
            clauses.append(f"status IN ({', '.join('?' * len(flt.statuses))})")
            params += [str(s) for s in flt.statuses]
        for column, value in (
            ("platform", flt.platform),
            ("lang", flt.lang),
            ("label", flt.label),
            ("author_id", flt.author_id),
        ):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        cond = " AND ".join(clauses)
        total = int(self._all(f"SELECT count(*) FROM cases WHERE {cond}", params)[0][0])
        rows = self._all(
            "SELECT id, platform, community_id, channel_id, message_id, author_id, author_name,"
            " substr(text, 1, 300), lang, label, score, priority, status, created_at, claimed_by"
            f" FROM cases WHERE {cond} ORDER BY CASE priority WHEN 'urgent' THEN 0"
            " WHEN 'high' THEN 1 ELSE 2 END, created_at ASC LIMIT ?",
            [*params, limit],
        )
        return [self._queue_row(r) for r in rows], total

    def same_text(
        self, norm_hash: str, communities: Sequence[tuple[str, str]] | None, *, exclude: str
    ) -> list[QueueRow]:
        """Other cases with the same normalised text (a copy-paste wave), newest first."""
        if not norm_hash:
            return []
        where, params = _scope(communities)
        rows = self._all(
            "SELECT id, platform, community_id, channel_id, message_id, author_id, author_name,"
            " substr(text, 1, 300), lang, label, score, priority, status, created_at, claimed_by"
            f" FROM cases WHERE norm_hash = ? AND id != ? AND {where}"
            " ORDER BY created_at DESC LIMIT 50",
            [norm_hash, exclude, *params],
        )
        return [self._queue_row(r) for r in rows]

    @staticmethod
    def _queue_row(r: Sequence[Any]) -> QueueRow:
        return QueueRow(
            id=r[0],
            ref=MessageRef(r[1], r[2], r[3], r[4]),
            author_id=r[5] or "",
            author_name=r[6] or "",
            text=r[7],
            lang=r[8],
            label=r[9],
            score=float(r[10] or 0.0),
            priority=r[11],
            status=r[12],
            created_at=datetime.fromtimestamp(r[13], UTC),
            claimed_by=r[14],
        )

    def case_facets(self, communities: Sequence[tuple[str, str]] | None) -> dict[str, list[str]]:
        """The values the queue's filters offer: platforms, communities, languages, labels."""
        where, params = _scope(communities)
        facets: dict[str, set[str]] = {k: set() for k in ("platform", "community", "lang", "label")}
        for platform, community, lang, label in self._all(
            f"SELECT DISTINCT platform, community_id, lang, label FROM cases WHERE {where}", params
        ):
            facets["platform"].add(str(platform))
            facets["community"].add(f"{platform}:{community}")
            facets["lang"].add(str(lang))
            facets["label"].add(str(label))
        return {k: sorted(v) for k, v in facets.items()}

    def audit_for(self, subjects: Sequence[str]) -> list[AuditRow]:
        """Audit rows about these subjects (a case id, its event id), oldest first."""
        subjects = [s for s in subjects if s][:10]
        if not subjects:
            return []
        marks = ", ".join("?" * len(subjects))
        return self._audit(
            "SELECT seq, at, actor, kind, subject, detail, prev_hash, hash FROM audit"
            f" WHERE subject IN ({marks}) ORDER BY seq LIMIT 1000",
            subjects,
        )

    def audit_page(self, before_seq: int | None, limit: int) -> list[AuditRow]:
        """The newest ``limit`` rows with ``seq < before_seq`` (all when None), newest first."""
        return self._audit(
            "SELECT seq, at, actor, kind, subject, detail, prev_hash, hash FROM audit"
            " WHERE seq < ? ORDER BY seq DESC LIMIT ?",
            [before_seq if before_seq is not None else 2**62, limit],
        )

    def prometheus_counts(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        """Totals for ``/metrics``, by platform only (community ids are not exported)."""
        out: dict[str, list[tuple[dict[str, str], float]]] = {}
        out["channelwatch_messages_total"] = [
            ({"platform": p, "label": label or "none"}, float(n))
            for p, label, n in self._all(
                "SELECT platform, label, count(*) FROM events GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ]
        out["channelwatch_actions_total"] = [
            ({"platform": p, "action": a, "status": s}, float(n))
            for p, a, s, n in self._all(
                "SELECT platform, action, status, count(*) FROM actions GROUP BY 1, 2, 3"
                " ORDER BY 1, 2, 3"
            )
        ]
        out["channelwatch_cases"] = [
            ({"platform": p, "status": s}, float(n))
            for p, s, n in self._all(
                "SELECT platform, status, count(*) FROM cases GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ]
        out["channelwatch_outbox_pending"] = [
            ({"platform": p}, float(n))
            for p, n in self._all(
                "SELECT platform, count(*) FROM actions WHERE status = 'pending' GROUP BY 1"
            )
        ]
        return out
