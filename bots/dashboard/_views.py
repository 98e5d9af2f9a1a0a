"""The dashboard's pages and actions.

Permission rules, enforced here and tested route by route:

* every page except ``/``, ``/login``, ``/healthz`` and ``/metrics`` needs a logged-in account;
* a moderator sees only cases of the communities assigned to them: any other case id answers
  404 exactly like an unknown id, so ids cannot be probed;
* accounts, policy and audit pages are for administrators (403 otherwise);
* every POST carries the CSRF token (checked by the security middleware).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup

from bots.dashboard import _charts
from bots.dashboard._accounts import Account, AccountError, parse_community
from bots.dashboard._app import (
    CHAIN_KEY,
    ENGINE_KEY,
    LIMITER_KEY,
    METRICS_KEY,
    METRICS_TOKEN_KEY,
    PLAYGROUND_URL_KEY,
    require_account,
    require_admin,
)
from bots.dashboard._metrics import percentile
from bots.dashboard._security import (
    ACCOUNT_KEY,
    SID_COOKIE,
    STORE_KEY,
    client_address,
    set_session_cookie,
)
from core._api import ActionRecord, Case, CaseFilter, CaseStatus
from core._model import Moderator
from core._store import AuditEntry, canonical_json

__all__ = ["add_routes"]

log = logging.getLogger("channelwatch.dashboard")

QUEUE_PAGE = 200  # rows shown; the most pressing come first, filters narrow the rest
ALL_STATUSES = tuple(CaseStatus)
STATUS_CHOICES = {
    "active": (CaseStatus.OPEN, CaseStatus.CLAIMED),
    "open": (CaseStatus.OPEN,),
    "claimed": (CaseStatus.CLAIMED,),
    "confirmed": (CaseStatus.CONFIRMED,),
    "dismissed": (CaseStatus.DISMISSED,),
    "all": ALL_STATUSES,
}
DONE_MESSAGES = {
    "claimed": "You claimed this case.",
    "confirmed": "Confirmed: the message stays hidden.",
    "banned": "Confirmed, and the author's ban was sent to the platform.",
    "dismissed": "Dismissed: the message is being restored on its platform.",
    "noted": "Note added.",
    "appealed": "Appeal recorded: the case is open again. Dismiss it to restore the message.",
    "held": "Legal hold set: retention will not purge this case's evidence.",
    "released": "Legal hold lifted: this case's evidence follows the retention policy again.",
}
_CASE_ID_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", home)
    r.add_get("/healthz", healthz)
    r.add_get("/login", login_page)
    r.add_post("/login", login)
    r.add_post("/logout", logout)
    r.add_get("/cases", queue)
    r.add_get("/cases/_rows", queue_rows)
    r.add_get("/cases/{case_id}", case_page)
    r.add_get("/cases/{case_id}/_live", case_live)
    r.add_post("/cases/{case_id}/claim", case_claim)
    r.add_post("/cases/{case_id}/confirm", case_confirm)
    r.add_post("/cases/{case_id}/dismiss", case_dismiss)
    r.add_post("/cases/{case_id}/note", case_note)
    r.add_post("/cases/{case_id}/export", case_export)
    r.add_post("/cases/{case_id}/appeal", case_appeal)
    r.add_post("/cases/{case_id}/hold", case_hold)
    r.add_get("/audit", audit_page)
    r.add_post("/audit/verify", audit_verify)
    r.add_get("/stats", stats_page)
    r.add_get("/metrics", prometheus)
    r.add_get("/accounts", accounts_page)
    r.add_post("/accounts", accounts_create)
    r.add_post("/accounts/{name}/remove", accounts_remove)
    r.add_get("/policy", policy_page)


# -- public ----------------------------------------------------------------------------------


async def home(request: web.Request) -> web.StreamResponse:
    if request.get(ACCOUNT_KEY) is not None:
        raise web.HTTPFound("/cases")
    return aiohttp_jinja2.render_template("home.html", request, {})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def _safe_next(value: str) -> str:
    # Only local absolute paths: "//evil.example" and "/\evil" are other hosts to a browser.
    if value.startswith("/") and not value.startswith(("//", "/\\")) and "\n" not in value:
        return value
    return "/cases"


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.get(ACCOUNT_KEY) is not None:
        raise web.HTTPFound(_safe_next(request.query.get("next", "/cases")))
    return aiohttp_jinja2.render_template(
        "login.html",
        request,
        {"next": _safe_next(request.query.get("next", "/cases")), "error": None},
    )


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    name = str(form.get("name", "")).strip()[:64]
    password = str(form.get("password", ""))
    nxt = _safe_next(str(form.get("next", "/cases")))
    limiter = request.app[LIMITER_KEY]
    address = client_address(request)
    wait = limiter.retry_after(address, name)
    if wait > 0:
        resp = aiohttp_jinja2.render_template(
            "login.html",
            request,
            {"next": nxt, "error": f"Too many failed attempts. Try again in {int(wait) + 1} s."},
            status=429,
        )
        resp.headers["Retry-After"] = str(int(wait) + 1)
        return resp
    store = request.app[STORE_KEY]
    account = await asyncio.to_thread(store.authenticate, name, password)
    if account is None:
        limiter.failed(address, name)
        # The name only when it is a real account: people type passwords into name fields.
        known = store.get(name) is not None
        log.info(
            "dashboard: failed login for %s from %s",
            repr(name) if known else "an unknown account name",
            address,
        )
        return aiohttp_jinja2.render_template(
            "login.html",
            request,
            {"next": nxt, "error": "Unknown account or wrong password."},
            status=401,
        )
    limiter.succeeded(name)
    old = request.cookies.get(SID_COOKIE)
    if old:
        await asyncio.to_thread(store.end_session, old)
    token = await asyncio.to_thread(store.create_session, account.name)
    log.info("dashboard: %s logged in from %s", account.name, address)
    redirect = web.HTTPSeeOther(nxt)
    set_session_cookie(redirect, request, token)
    raise redirect


async def logout(request: web.Request) -> web.StreamResponse:
    sid = request.cookies.get(SID_COOKIE)
    if sid:
        await asyncio.to_thread(request.app[STORE_KEY].end_session, sid)
    redirect = web.HTTPSeeOther("/login")
    redirect.del_cookie(SID_COOKIE, path="/")
    raise redirect


# -- queue -----------------------------------------------------------------------------------


async def _queue_data(request: web.Request, account: Account) -> dict[str, Any]:
    q = request.query
    status_key = q.get("status", "active")
    statuses = STATUS_CHOICES.get(status_key, STATUS_CHOICES["active"])
    allowed = account.community_filter
    communities: list[tuple[str, str]] | tuple[tuple[str, str], ...] | None = allowed
    community = q.get("community", "")
    if community:
        platform, _, community_id = community.partition(":")
        # A filter can only narrow: a community the account may not see matches nothing.
        can = account.can_see(platform, community_id)
        communities = [(platform, community_id)] if can else []
    flt = CaseFilter(
        statuses=statuses,
        platform=q.get("platform") or None,
        communities=communities,
        lang=q.get("lang") or None,
        label=q.get("label") or None,
        limit=QUEUE_PAGE,
    )
    metrics = request.app[METRICS_KEY]
    cases, total = await asyncio.to_thread(metrics.queue, flt, limit=QUEUE_PAGE)
    # Filter choices come from what this account can see at all.
    choices = await asyncio.to_thread(request.app[METRICS_KEY].case_facets, allowed)
    return {
        "cases": cases,
        "total": total,
        "status_key": status_key if status_key in STATUS_CHOICES else "active",
        "statuses": list(STATUS_CHOICES),
        "filters": {k: q.get(k, "") for k in ("platform", "community", "lang", "label")},
        "choices": choices,
    }


async def queue(request: web.Request) -> web.StreamResponse:
    account = require_account(request)
    data = await _queue_data(request, account)
    return aiohttp_jinja2.render_template("queue.html", request, data)


async def queue_rows(request: web.Request) -> web.StreamResponse:
    account = require_account(request)
    data = await _queue_data(request, account)
    return aiohttp_jinja2.render_template("_queue_rows.html", request, data)


# -- case ------------------------------------------------------------------------------------


async def _visible_case(request: web.Request, account: Account) -> Case:
    """The case named in the URL, or 404 - the same 404 for another community's case."""
    case_id = request.match_info["case_id"]
    if not _CASE_ID_RE.match(case_id):
        raise web.HTTPNotFound(text="no such case")
    case = await request.app[ENGINE_KEY].review.get_case(case_id)
    if case is None or not account.can_see(case.ref.platform, case.ref.community_id):
        raise web.HTTPNotFound(text="no such case")
    return case


def highlight(text: str, terms: list[str]) -> list[tuple[str, bool]]:
    """Split ``text`` into (segment, matched) pieces for the terms, case-insensitively.

    Matching is on ``casefold`` positions only when casefolding keeps the length (almost always);
    otherwise the text is returned unhighlighted rather than misaligned.
    """
    terms = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)[:64]
    if not text or not terms:
        return [(text, False)]
    folded = text.casefold()
    if len(folded) != len(text):
        return [(text, False)]
    marks = [False] * len(text)
    for term in terms:
        t = term.casefold().strip()
        start = 0
        while t and (i := folded.find(t, start)) >= 0:
            for k in range(i, i + len(t)):
                marks[k] = True
            start = i + len(t)
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and marks[j] == marks[i]:
            j += 1
        out.append((text[i:j], marks[i]))
        i = j
    return out


async def _case_context(request: web.Request, account: Account, case: Case) -> dict[str, Any]:
    engine = request.app[ENGINE_KEY]
    actions = await engine.review.case_actions(case.id)
    earlier = [
        c
        for c in await engine.review.list_cases(
            CaseFilter(
                statuses=ALL_STATUSES,
                communities=[(case.ref.platform, case.ref.community_id)],
                author_id=case.author_id,
                limit=50,
            )
        )
        if c.id != case.id and case.author_id
    ]
    earlier.sort(key=lambda c: c.created_at, reverse=True)
    terms = [str(t) for r in case.reasons for t in r.get("terms", ())]
    terms += [str(e.get("text", "")) for e in case.entities]
    audit = await _case_audit(request, case.id)
    row = await asyncio.to_thread(engine.store.get_case, case.id)
    same_text = await asyncio.to_thread(
        request.app[METRICS_KEY].same_text,
        row.norm_hash if row is not None else "",
        account.community_filter,
        exclude=case.id,
    )
    return {
        "same_text": same_text,
        "hold": bool(row is not None and row.hold),
        "case": case,
        "actions": actions,
        "earlier": earlier,
        "audit": audit,
        "original": highlight(case.text or "", terms),
        "normalised": highlight(case.normalised or "", terms),
        "reason_terms": terms,
        "done": DONE_MESSAGES.get(request.query.get("done", "")),
        "error": None,
        "resolved": case.status in (CaseStatus.CONFIRMED, CaseStatus.DISMISSED),
    }


async def _case_audit(request: web.Request, case_id: str) -> list[Any]:
    engine = request.app[ENGINE_KEY]
    row = await asyncio.to_thread(engine.store.get_case, case_id)
    subjects = [case_id] + ([row.event_id] if row is not None else [])
    return await asyncio.to_thread(request.app[METRICS_KEY].audit_for, subjects)


async def case_page(request: web.Request) -> web.StreamResponse:
    account = require_account(request)
    case = await _visible_case(request, account)
    ctx = await _case_context(request, account, case)
    return aiohttp_jinja2.render_template("case.html", request, ctx)


async def case_live(request: web.Request) -> web.StreamResponse:
    account = require_account(request)
    case = await _visible_case(request, account)
    ctx = await _case_context(request, account, case)
    return aiohttp_jinja2.render_template("_case_live.html", request, ctx)


def _moderator(account: Account) -> Moderator:
    return Moderator(via="dashboard", user_id=account.name, name=account.name)


async def _decide(request: web.Request, step: str) -> web.StreamResponse:
    account = require_account(request)
    case = await _visible_case(request, account)
    form = await request.post()
    note = str(form.get("note", "")).strip()[:4000] or None
    review = request.app[ENGINE_KEY].review
    moderator = _moderator(account)
    done = step
    try:
        if step == "claimed":
            await review.claim(case.id, moderator)
        elif step == "confirmed":
            ban = form.get("ban") in ("1", "on", "yes")
            await review.confirm(case.id, moderator, ban=ban, note=note)
            done = "banned" if ban else "confirmed"
        elif step == "dismissed":
            await review.dismiss(case.id, moderator, note=note)
        elif step == "noted":
            if not note:
                raise ValueError("write a note first")
            await review.add_note(case.id, moderator, note)
        elif step == "appealed":
            if not note:
                raise ValueError("write what the poster's appeal says")
            # The review API records appeals as the poster's; say who relayed this one.
            await review.appeal(case.id, f"{note} (relayed by {account.name})")
    except (ValueError, LookupError, RuntimeError) as exc:
        # Invalid transitions (already resolved, claimed by someone else, a stale version).
        ctx = await _case_context(request, account, await _visible_case(request, account))
        ctx["error"] = str(exc) or "That step is not possible on this case now."
        return aiohttp_jinja2.render_template("case.html", request, ctx, status=409)
    log.info("dashboard: %s %s case %s", account.name, done, case.id)
    raise web.HTTPSeeOther(f"/cases/{case.id}?done={done}")


async def case_claim(request: web.Request) -> web.StreamResponse:
    return await _decide(request, "claimed")


async def case_confirm(request: web.Request) -> web.StreamResponse:
    return await _decide(request, "confirmed")


async def case_dismiss(request: web.Request) -> web.StreamResponse:
    return await _decide(request, "dismissed")


async def case_note(request: web.Request) -> web.StreamResponse:
    return await _decide(request, "noted")


async def case_appeal(request: web.Request) -> web.StreamResponse:
    """Record an appeal the poster sent through another channel (it reopens a confirmed case)."""
    return await _decide(request, "appealed")


async def case_hold(request: web.Request) -> web.StreamResponse:
    """Set or lift a legal hold (admins): retention then leaves the case's evidence alone."""
    admin = require_admin(request)
    case = await _visible_case(request, admin)
    form = await request.post()
    hold = form.get("hold") == "1"
    store = request.app[ENGINE_KEY].store
    await asyncio.to_thread(store.set_hold, case.id, hold, actor=f"dashboard:{admin.name}")
    log.info(
        "dashboard: %s %s a legal hold on case %s", admin.name, "set" if hold else "lifted", case.id
    )
    raise web.HTTPSeeOther(f"/cases/{case.id}?done={'held' if hold else 'released'}")


def _sha(data: str) -> str:
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _item(name: str, content: Any) -> dict[str, Any]:
    """One evidence item; text is hashed as UTF-8, structures as canonical JSON."""
    if isinstance(content, str):
        return {"name": name, "encoding": "utf-8", "sha256": _sha(content), "content": content}
    return {
        "name": name,
        "encoding": "canonical-json",
        "sha256": _sha(canonical_json(content)),
        "content": content,
    }


def _action_dict(a: ActionRecord) -> dict[str, Any]:
    return {
        "id": a.id,
        "action": a.action,
        "status": a.status,
        "attempts": a.attempts,
        "last_error": a.last_error,
        "created_at": a.created_at.isoformat(),
        "done_at": a.done_at.isoformat() if a.done_at else None,
        "payload": a.payload,
    }


def build_bundle(
    case: Case,
    actions: list[ActionRecord],
    audit: list[Any],
    *,
    exported_by: str,
    recorded_sha256: str | None,
    chain_ok: bool,
    chain_head: str,
) -> dict[str, Any]:
    """An evidence bundle for one case: each item hashed (SHA-256), plus its audit rows.

    The original text is included unaltered; ``recorded_text_sha256`` is the hash the engine
    stored when it first saw the message, so a reader can check the text was never changed.
    """
    case_meta = {
        "id": case.id,
        "ref": asdict(case.ref),
        "author_id": case.author_id,
        "author_name": case.author_name,
        "lang": case.lang,
        "label": case.label,
        "score": case.score,
        "priority": case.priority,
        "status": str(case.status),
        "rule": case.rule,
        "created_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "claimed_by": case.claimed_by,
        "decided_by": case.decided_by,
        "decided_at": case.decided_at.isoformat() if case.decided_at else None,
    }
    items = [_item("case", case_meta)]
    if case.text is not None:
        items.append(_item("original_text", case.text))
    if case.normalised is not None:
        items.append(_item("normalised_text", case.normalised))
    items += [
        _item("reasons", list(case.reasons)),
        _item("entities", list(case.entities)),
        _item("notes", list(case.notes)),
        _item("actions", [_action_dict(a) for a in actions]),
    ]
    body: dict[str, Any] = {
        "format": "channelwatch-evidence-bundle/1",
        "case_id": case.id,
        "exported_at": datetime.now(UTC).isoformat(),
        "exported_by": exported_by,
        "recorded_text_sha256": recorded_sha256,
        "items": items,
        "audit": [
            {
                "seq": r.seq,
                "at": r.at.isoformat(),
                "actor": r.actor,
                "kind": r.kind,
                "subject": r.subject,
                "detail": r.detail,
                "prev_hash": r.prev_hash,
                "hash": r.hash,
            }
            for r in audit
        ],
        "audit_chain": {"ok": chain_ok, "head": chain_head},
    }
    body["bundle_sha256"] = _sha(canonical_json(body))
    return body


async def case_export(request: web.Request) -> web.StreamResponse:
    """Download one case as an evidence bundle; the download itself is an audit row."""
    account = require_account(request)
    case = await _visible_case(request, account)
    engine = request.app[ENGINE_KEY]
    store = engine.store
    actions = await engine.review.case_actions(case.id)
    audit = await _case_audit(request, case.id)
    row = await asyncio.to_thread(store.get_case, case.id)
    verification = await asyncio.to_thread(store.verify_audit)
    actor = f"dashboard:{account.name}"
    bundle = build_bundle(
        case,
        actions,
        audit,
        exported_by=actor,
        recorded_sha256=getattr(row, "text_sha256", None),
        chain_ok=verification.ok,
        chain_head=verification.head,
    )
    await asyncio.to_thread(
        store.append_audit,
        [
            AuditEntry(
                actor,
                "export",
                case.id,
                {"bundle_sha256": bundle["bundle_sha256"], "items": len(bundle["items"])},
            )
        ],
    )
    log.info("dashboard: %s exported case %s", account.name, case.id)
    return web.Response(
        body=json.dumps(bundle, ensure_ascii=False, indent=2).encode(),
        content_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="case-{case.id}-evidence.json"'},
    )


# -- audit, metrics, accounts, policy --------------------------------------------------------


async def audit_page(request: web.Request) -> web.StreamResponse:
    require_admin(request)
    try:
        before = int(request.query.get("before", "0"))
    except ValueError:
        before = 0
    verification = await asyncio.to_thread(request.app[CHAIN_KEY].check)
    rows = await asyncio.to_thread(
        request.app[METRICS_KEY].audit_page, before if before > 0 else None, 100
    )
    return aiohttp_jinja2.render_template(
        "audit.html",
        request,
        {
            "verification": verification,
            "rows": rows,
            "older": rows[-1].seq if rows and rows[-1].seq > 1 else None,
        },
    )


async def audit_verify(request: web.Request) -> web.StreamResponse:
    """Recompute the whole chain now (an explicit admin action)."""
    require_admin(request)
    await asyncio.to_thread(request.app[CHAIN_KEY].check, full=True)
    raise web.HTTPSeeOther("/audit")


HIDE_EDGES = (0, 0.1, 0.25, 0.5, 1, 2, 5, 30)  # seconds
REVIEW_EDGES = (0, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)


def _short_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:g} ms"
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    if seconds < 86400:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 86400:g} day" + ("s" if seconds >= 2 * 86400 else "")


async def stats_page(request: web.Request) -> web.StreamResponse:
    account = require_account(request)
    try:
        days = max(1, min(90, int(request.query.get("days", "14"))))
    except ValueError:
        days = 14
    ov = await asyncio.to_thread(
        request.app[METRICS_KEY].overview, account.community_filter, days=days
    )
    precision_items = []
    for rule, counts in sorted(ov.precision.items()):
        n = counts.get("confirmed", 0) + counts.get("dismissed", 0)
        p = counts.get("confirmed", 0) / n if n else 0.0
        precision_items.append((rule, p, f"{p:.0%} of {n} reviewed"))
    # Fixed colours per label: offers red, seekers blue, the rest grey.
    order = ["offer", "seeking", "none"]
    by_label = {k: ov.volume_by_label.get(k, [0] * len(ov.days)) for k in order}
    by_label.update({k: v for k, v in ov.volume_by_label.items() if k not in by_label})
    ov.volume_by_label = by_label
    charts: dict[str, Markup] = {
        "hide_hist": _charts.histogram(
            ov.hide_seconds, HIDE_EDGES, title="Time to hide", fmt=_short_duration
        ),
        "review_hist": _charts.histogram(
            ov.review_seconds, REVIEW_EDGES, title="Time to first review", fmt=_short_duration
        ),
        "by_label": _charts.stacked_bars(
            ov.days, ov.volume_by_label, title="Messages per day by label"
        ),
        "by_label_legend": _charts.legend(list(ov.volume_by_label)),
        "by_lang": _charts.hbars(
            [(k, float(v), str(v)) for k, v in list(ov.volume_by_lang.items())[:15]],
            title="Messages by language",
        ),
        "flagged_by_lang": _charts.hbars(
            [(k, float(v), str(v)) for k, v in list(ov.flagged_by_lang.items())[:15]],
            title="Offers and seekers by language",
        ),
        "by_platform": _charts.hbars(
            [(k, float(v), str(v)) for k, v in ov.volume_by_platform.items()],
            title="Messages by platform",
        ),
        "precision": _charts.hbars(precision_items, title="Per-rule precision", max_value=1.0),
        "notices": _charts.stacked_bars(
            ov.days, ov.notices_by_day, title="Redirect messages per day"
        ),
        "notices_legend": _charts.legend(list(ov.notices_by_day)),
        "notices_by_lang": _charts.hbars(
            [
                (k, float(v), str(v))
                for k, v in sorted(ov.notices_by_lang.items(), key=lambda kv: -kv[1])
            ],
            title="Redirect messages by language",
        ),
    }
    figures = {
        "hide_p50": percentile(ov.hide_seconds, 50),
        "hide_p95": percentile(ov.hide_seconds, 95),
        "hides": len(ov.hide_seconds),
        "review_p50": percentile(ov.review_seconds, 50),
        "review_p95": percentile(ov.review_seconds, 95),
        "reviews": len(ov.review_seconds),
        "messages": sum(ov.volume_by_platform.values()),
        "notices": sum(sum(v) for v in ov.notices_by_day.values()),
        "open": ov.cases_by_status.get("open", 0) + ov.cases_by_status.get("claimed", 0),
    }
    return aiohttp_jinja2.render_template(
        "stats.html", request, {"charts": charts, "figures": figures, "days": days}
    )


def _label_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


async def prometheus(request: web.Request) -> web.Response:
    """Prometheus text exposition: totals by platform, no community ids, no content."""
    token = request.app[METRICS_TOKEN_KEY]
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            raise web.HTTPUnauthorized(
                text="bearer token required", headers={"WWW-Authenticate": "Bearer"}
            )
    counts = await asyncio.to_thread(request.app[METRICS_KEY].prometheus_counts)
    helps = {
        "channelwatch_messages_total": ("counter", "Messages processed, by platform and label."),
        "channelwatch_actions_total": ("counter", "Outbox actions, by platform, kind and status."),
        "channelwatch_cases": ("gauge", "Escalation cases, by platform and status."),
        "channelwatch_outbox_pending": ("gauge", "Actions waiting in the outbox, by platform."),
    }
    lines: list[str] = []
    for name, samples in counts.items():
        kind, text = helps.get(name, ("gauge", name))
        lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lab = ",".join(f'{k}="{_label_value(v)}"' for k, v in labels.items())
            lines.append(f"{name}{{{lab}}} {value:g}")
    return web.Response(text="\n".join(lines) + "\n", content_type="text/plain", charset="utf-8")


async def accounts_page(
    request: web.Request, *, error: str | None = None, status: int = 200
) -> web.StreamResponse:
    require_admin(request)
    store = request.app[STORE_KEY]
    return aiohttp_jinja2.render_template(
        "accounts.html", request, {"accounts": store.list(), "error": error}, status=status
    )


async def accounts_create(request: web.Request) -> web.StreamResponse:
    admin = require_admin(request)
    form = await request.post()
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    is_admin = form.get("is_admin") in ("1", "on")
    try:
        communities = [
            parse_community(c) for c in re.split(r"[\s,]+", str(form.get("communities", ""))) if c
        ]
        await asyncio.to_thread(
            request.app[STORE_KEY].add, name, password, is_admin=is_admin, communities=communities
        )
    except AccountError as exc:
        return await accounts_page(request, error=str(exc), status=400)
    log.info("dashboard: %s created account %r", admin.name, name)
    raise web.HTTPSeeOther("/accounts")


async def accounts_remove(request: web.Request) -> web.StreamResponse:
    admin = require_admin(request)
    name = request.match_info["name"]
    if name == admin.name:
        return await accounts_page(request, error="You cannot remove your own account.", status=400)
    if not await asyncio.to_thread(request.app[STORE_KEY].remove, name):
        raise web.HTTPNotFound(text="no such account")
    log.info("dashboard: %s removed account %r", admin.name, name)
    raise web.HTTPSeeOther("/accounts")


async def policy_page(request: web.Request) -> web.StreamResponse:
    require_admin(request)
    engine = request.app[ENGINE_KEY]
    facets = await asyncio.to_thread(request.app[METRICS_KEY].case_facets, None)
    with_cases = {(c.partition(":")[0], c.partition(":")[2]) for c in facets["community"]}
    known = sorted(with_cases | _configured(request))
    statuses = [await engine.status(p, c) for p, c in known]
    return aiohttp_jinja2.render_template("policy.html", request, {"statuses": statuses})


def _configured(request: web.Request) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for account in request.app[STORE_KEY].list():
        pairs.update(account.communities)
    if request.app.get(PLAYGROUND_URL_KEY):
        pairs.add(("playground", "local"))
    return pairs
