"""Every dashboard route and permission rule, against a real engine and playground."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from typing import Any

from bots.dashboard._security import CSP
from core import Moderator
from core._store import canonical_json
from tests.bots.dashboard.conftest import OFFER, OFFER_URGENT, PASSWORD, XSS, Env

# -- public pages, headers ------------------------------------------------------------------


async def test_home_and_health_are_public(env: Env) -> None:
    resp = await env.client.get("/")
    assert resp.status == 200
    assert 'href="/playground/"' in await resp.text()
    assert (await (await env.client.get("/healthz")).json()) == {"ok": True}


async def test_security_headers_everywhere(env: Env) -> None:
    for path in ("/", "/login", "/nope", "/playground/", "/cases"):
        resp = await env.client.get(path, allow_redirects=False)
        csp = resp.headers["Content-Security-Policy"]
        assert csp == CSP and "unsafe-inline" not in csp and "script-src 'self'" in csp, path
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["X-Frame-Options"] == "DENY"
    cookie = (await env.client.get("/login")).headers.get("Set-Cookie", "")
    # A fresh client session gets its cookie on the first response; later ones reuse it.
    resp = await env.client.get("/login")
    assert "cw_sid" in env.client.session.cookie_jar.filter_cookies(env.client.make_url("/"))
    del cookie, resp


async def test_pages_need_login(env: Env) -> None:
    for path in ("/cases", "/cases/_rows", "/stats", "/audit", "/accounts", "/policy", "/cases/x"):
        resp = await env.client.get(path, allow_redirects=False)
        assert resp.status == 302 and resp.headers["Location"].startswith("/login?next="), path
    resp = await env.client.get("/live", headers={"Accept": "text/event-stream"})
    assert resp.status == 401
    resp = await env.post("/cases/x/claim")
    assert resp.status == 401


# -- login, sessions, CSRF, rate limiting ---------------------------------------------------


async def test_login_sets_a_fresh_httponly_samesite_session(env: Env) -> None:
    token = await env.csrf("/login")
    before = env.client.session.cookie_jar.filter_cookies(env.client.make_url("/"))["cw_sid"].value
    resp = await env.client.post(
        "/login",
        data={"name": "root", "password": PASSWORD, "_csrf": token, "next": "/stats"},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/stats"
    set_cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie
    after = env.client.session.cookie_jar.filter_cookies(env.client.make_url("/"))["cw_sid"].value
    assert after != before  # no session fixation
    assert (await env.client.get("/cases")).status == 200
    assert PASSWORD not in await (await env.client.get("/accounts")).text()


async def test_login_redirect_stays_local(env: Env) -> None:
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        token = await env.csrf("/login")
        resp = await env.client.post(
            "/login",
            data={"name": "root", "password": PASSWORD, "_csrf": token, "next": evil},
            allow_redirects=False,
        )
        assert resp.headers["Location"] == "/cases", evil
        await env.logout()


async def test_wrong_password_and_rate_limit(env: Env) -> None:
    for _ in range(3):
        token = await env.csrf("/login")
        resp = await env.client.post(
            "/login", data={"name": "pgmod", "password": "wrong-password", "_csrf": token}
        )
        assert resp.status == 401
        assert "wrong password" in await resp.text()
    token = await env.csrf("/login")
    resp = await env.client.post(
        "/login", data={"name": "pgmod", "password": PASSWORD, "_csrf": token}
    )
    assert resp.status == 429 and int(resp.headers["Retry-After"]) > 0
    # Other accounts are not locked out by someone guessing at pgmod.
    await env.login("root")


async def test_csrf_is_required_on_every_post(env: Env) -> None:
    resp = await env.client.post("/login", data={"name": "root", "password": PASSWORD})
    assert resp.status == 403
    await env.login("root")
    _, case_id = await env.offer_in_playground()
    for path in (
        f"/cases/{case_id}/claim",
        f"/cases/{case_id}/dismiss",
        f"/cases/{case_id}/confirm",
        f"/cases/{case_id}/note",
        f"/cases/{case_id}/export",
        f"/cases/{case_id}/appeal",
        f"/cases/{case_id}/hold",
        "/audit/verify",
        "/accounts",
        "/accounts/pgmod/remove",
        "/logout",
        "/playground/api/post",
        "/playground/api/samples",
        "/playground/api/appeal",
    ):
        assert (await env.client.post(path, data={"note": "x"})).status == 403, path
        assert (await env.client.post(path, data={"_csrf": "forged", "note": "x"})).status == 403, (
            path
        )
    good = await env.csrf("/cases")
    resp = await env.client.post(
        f"/cases/{case_id}/claim", data={"_csrf": good}, headers={"Origin": "http://evil.example"}
    )
    assert resp.status == 403  # right token, wrong origin
    case = await env.engine.review.get_case(case_id)
    assert case is not None and case.status == "open"
    assert env.accounts.get("pgmod") is not None


async def test_logout_ends_the_session(env: Env) -> None:
    await env.login("root")
    await env.logout()
    assert (await env.client.get("/cases", allow_redirects=False)).status == 302


# -- queue ----------------------------------------------------------------------------------


async def test_queue_scoping_order_and_filters(env: Env) -> None:
    _, normal = await env.offer_in_playground(OFFER)
    _, normal2 = await env.offer_in_playground(OFFER.replace("900124", "900127"))
    _, urgent = await env.offer_in_playground(OFFER_URGENT)
    tg_case = await env.offer_in_telegram()
    await env.login("root")
    text = await (await env.client.get("/cases")).text()
    assert text.index(urgent) < text.index(normal)  # urgent first, although newer
    assert text.index(normal) < text.index(normal2)  # then the oldest first
    assert "4 cases." in text
    assert tg_case in text
    text = await (await env.client.get("/cases?platform=telegram")).text()
    assert tg_case in text and urgent not in text
    text = await (
        await env.client.get("/cases?community=playground:local&label=offer&lang=en")
    ).text()
    assert urgent in text and tg_case not in text
    text = await (await env.client.get("/cases?lang=ar")).text()
    assert urgent not in text and "No cases here" in text
    await env.logout()

    await env.login("pgmod")
    text = await (await env.client.get("/cases")).text()
    assert urgent in text and normal in text and tg_case not in text
    text = await (await env.client.get("/cases?community=telegram:-100777")).text()
    assert tg_case not in text  # a filter cannot widen what a moderator sees
    text = await (await env.client.get("/cases/_rows?status=all")).text()
    assert urgent in text and tg_case not in text and "<html" not in text


# -- case page ------------------------------------------------------------------------------


async def test_other_communitys_case_is_404_like_an_unknown_one(env: Env) -> None:
    tg_case = await env.offer_in_telegram()
    _, pg_case = await env.offer_in_playground()
    await env.login("pgmod")
    assert (await env.client.get(f"/cases/{pg_case}")).status == 200
    for path in (
        f"/cases/{tg_case}",
        f"/cases/{tg_case}/_live",
        "/cases/does-not-exist",
        "/cases/..%2f..%2fetc",
    ):
        resp = await env.client.get(path)
        assert resp.status == 404, path
        assert "seller" not in await resp.text()
    for step in ("claim", "confirm", "dismiss", "note", "export", "appeal"):
        assert (await env.post(f"/cases/{tg_case}/{step}", {"note": "x"})).status == 404, step
    case = await env.engine.review.get_case(tg_case)
    assert case is not None and case.status == "open" and not case.notes


async def test_case_page_shows_the_evidence_escaped_and_highlighted(env: Env) -> None:
    _, case_id = await env.offer_in_playground(XSS)
    await env.login("pgmod")
    resp = await env.client.get(f"/cases/{case_id}")
    text = await resp.text()
    assert resp.status == 200
    assert "<script>alert" not in text and "<img src=x" not in text
    assert "&lt;script&gt;" in text and "onerror=alert(1)&gt;" in text
    assert 'dir="auto"' in text and 'id="original"' in text
    assert "<mark>" in text  # reasons' terms highlighted
    assert "Normalised text" in text and "GBP 2000" in text  # entity, canonical
    assert "hide" in text and "escalate" in text  # the actions taken


async def test_claim_note_confirm_with_ban(env: Env) -> None:
    _, case_id = await env.offer_in_playground()
    await env.login("pgmod")
    resp = await env.post(f"/cases/{case_id}/claim")
    assert resp.status == 303 and resp.headers["Location"] == f"/cases/{case_id}?done=claimed"
    resp = await env.post(f"/cases/{case_id}/note", {"note": "checked the <b>number</b>"})
    assert resp.status == 303
    resp = await env.post(f"/cases/{case_id}/note", {"note": "   "})
    assert resp.status == 409
    resp = await env.post(f"/cases/{case_id}/confirm", {"ban": "1"})
    assert resp.headers["Location"].endswith("done=banned")
    await env.engine.wait_idle(10)
    case = await env.engine.review.get_case(case_id)
    assert case is not None and case.status == "confirmed" and case.decided_by == "dashboard:pgmod"
    assert env.pg.is_banned("u-newbie")
    page = await (await env.client.get(f"/cases/{case_id}?done=banned")).text()
    assert "checked the &lt;b&gt;number&lt;/b&gt;" in page and "ban was sent" in page
    # A resolved case cannot be dismissed afterwards: a clear 409, nothing changes.
    resp = await env.post(f"/cases/{case_id}/dismiss")
    assert resp.status == 409 and "confirmed" in await resp.text()


async def test_dismiss_restores_the_message_in_the_playground(env: Env) -> None:
    mid, case_id = await env.offer_in_playground()
    assert env.pg.message(mid)["state"] == "hidden"
    await env.login("pgmod")
    resp = await env.post(f"/cases/{case_id}/dismiss", {"note": "a ferry company"})
    assert resp.status == 303
    await env.engine.wait_idle(10)
    assert env.pg.message(mid)["state"] == "restored"
    case = await env.engine.review.get_case(case_id)
    assert case is not None and case.status == "dismissed"


async def test_case_page_links_the_same_text_elsewhere(env: Env) -> None:
    first = await env.offer_in_telegram(OFFER, community="-100777")
    second = await env.offer_in_telegram(OFFER, community="-100888")
    _, third = await env.offer_in_playground(OFFER)
    await env.login("root")
    text = await (await env.client.get(f"/cases/{first}")).text()
    assert second in text and third in text and "copy-paste wave" in text
    await env.logout()
    await env.login("tgmod")  # -100777 only: the other communities' copies stay invisible
    text = await (await env.client.get(f"/cases/{first}")).text()
    assert second not in text and third not in text and "No other case has this text" in text


async def test_record_an_appeal_and_legal_hold(env: Env) -> None:
    _, case_id = await env.offer_in_playground()
    await env.login("pgmod")
    await env.post(f"/cases/{case_id}/confirm")
    assert (await env.post(f"/cases/{case_id}/appeal", {"note": ""})).status == 409
    resp = await env.post(f"/cases/{case_id}/appeal", {"note": "says it was a ferry ad"})
    assert resp.headers["Location"].endswith("done=appealed")
    case = await env.engine.review.get_case(case_id)
    assert case is not None and case.status == "open"
    assert "relayed by pgmod" in case.notes[-1]["text"]
    assert (await env.post(f"/cases/{case_id}/hold", {"hold": "1"})).status == 403  # admins only
    await env.logout()
    await env.login("root")
    assert "Keep this evidence" in await (await env.client.get(f"/cases/{case_id}")).text()
    resp = await env.post(f"/cases/{case_id}/hold", {"hold": "1"})
    assert resp.headers["Location"].endswith("done=held")
    row = await asyncio.to_thread(env.engine.store.get_case, case_id)
    assert row is not None and row.hold
    assert "Lift the hold" in await (await env.client.get(f"/cases/{case_id}")).text()
    await env.post(f"/cases/{case_id}/hold", {"hold": "0"})
    row = await asyncio.to_thread(env.engine.store.get_case, case_id)
    assert row is not None and not row.hold
    kinds = [r.kind for r in await asyncio.to_thread(env.engine.store.audit_rows)]
    assert kinds.count("case.hold") == 2 and "case.appeal" in kinds


async def test_claimed_by_someone_else(env: Env) -> None:
    _, case_id = await env.offer_in_playground()
    await env.login("root")
    await env.post(f"/cases/{case_id}/claim")
    await env.logout()
    await env.login("pgmod")
    resp = await env.post(f"/cases/{case_id}/claim")
    assert resp.status == 409 and "already claimed" in await resp.text()


async def test_evidence_export_is_hashed_and_audited(env: Env) -> None:
    _, case_id = await env.offer_in_playground(XSS)
    await env.login("pgmod")
    assert (await env.client.get(f"/cases/{case_id}/export")).status == 405  # never by a link
    resp = await env.post(f"/cases/{case_id}/export")
    assert resp.status == 200
    assert (
        resp.headers["Content-Disposition"]
        == f'attachment; filename="case-{case_id}-evidence.json"'
    )
    bundle = json.loads(await resp.text())
    items = {i["name"]: i for i in bundle["items"]}
    original = items["original_text"]
    assert original["content"] == XSS
    assert (
        original["sha256"]
        == hashlib.sha256(XSS.encode()).hexdigest()
        == bundle["recorded_text_sha256"]
    )
    for item in bundle["items"]:
        data = item["content"] if item["encoding"] == "utf-8" else canonical_json(item["content"])
        assert hashlib.sha256(data.encode()).hexdigest() == item["sha256"], item["name"]
    claimed = bundle.pop("bundle_sha256")
    assert hashlib.sha256(canonical_json(bundle).encode()).hexdigest() == claimed
    assert bundle["audit"] and bundle["audit_chain"]["ok"]
    rows = await asyncio.to_thread(env.engine.store.audit_rows)
    export = [r for r in rows if r.kind == "export"]
    assert (
        len(export) == 1 and export[0].actor == "dashboard:pgmod" and export[0].subject == case_id
    )
    assert export[0].detail["bundle_sha256"] == claimed
    assert (await asyncio.to_thread(env.engine.store.verify_audit)).ok


# -- admin pages ----------------------------------------------------------------------------


async def test_admin_pages_are_admin_only(env: Env) -> None:
    await env.login("pgmod")
    for path in ("/audit", "/accounts", "/policy"):
        assert (await env.client.get(path)).status == 403, path
    assert (await env.post("/audit/verify")).status == 403
    assert (await env.post("/accounts", {"name": "x", "password": "long enough pw"})).status == 403
    assert (await env.post("/accounts/tgmod/remove")).status == 403
    assert env.accounts.get("x") is None and env.accounts.get("tgmod") is not None


async def test_audit_page_shows_chain_status(env: Env) -> None:
    _, case_id = await env.offer_in_playground()
    await env.login("root")
    text = await (await env.client.get("/audit")).text()
    assert "Chain verified" in text and case_id in text
    con = sqlite3.connect(env.db)
    con.execute("UPDATE audit SET actor = 'someone-else' WHERE seq = 1")
    con.commit()
    con.close()
    # A rewritten old row is caught by the full recomputation (on demand, or every 10 min).
    assert (await env.post("/audit/verify")).status == 303
    text = await (await env.client.get("/audit")).text()
    assert "Chain BROKEN at row 1" in text
    assert (await env.client.get("/audit?before=abc")).status == 200


async def test_audit_page_checks_new_rows_on_every_view(env: Env) -> None:
    await env.offer_in_playground()
    await env.login("root")
    text = await (await env.client.get("/audit")).text()
    assert "Chain verified" in text
    await env.offer_in_playground(OFFER)  # new rows: checked incrementally, still fine
    text = await (await env.client.get("/audit")).text()
    assert "Chain verified" in text
    con = sqlite3.connect(env.db)
    (head,) = con.execute("SELECT max(seq) FROM audit").fetchone()
    con.execute(
        "INSERT INTO audit (seq, at, actor, kind, subject, detail, prev_hash, hash) VALUES"
        " (?, '2026-01-01T00:00:00.000000+00:00', 'forger', 'case.x', 'x', '{}', 'bad', 'bad')",
        (head + 1,),
    )
    con.commit()
    con.close()
    text = await (await env.client.get("/audit")).text()
    assert f"Chain BROKEN at row {head + 1}" in text


async def test_accounts_page_creates_and_removes(env: Env) -> None:
    await env.login("root")
    resp = await env.post(
        "/accounts",
        {
            "name": "lina",
            "password": "another long one",
            "communities": "telegram:-1 playground:local",
        },
    )
    assert resp.status == 303
    lina = env.accounts.get("lina")
    assert lina is not None and lina.communities == (("playground", "local"), ("telegram", "-1"))
    resp = await env.post("/accounts", {"name": "bad name", "password": "another long one"})
    assert resp.status == 400 and "account name" in await resp.text()
    resp = await env.post(
        "/accounts", {"name": "ok", "password": "another long one", "communities": "nope"}
    )
    assert resp.status == 400
    assert (await env.post("/accounts/lina/remove")).status == 303 and env.accounts.get(
        "lina"
    ) is None
    assert (await env.post("/accounts/root/remove")).status == 400
    assert (await env.post("/accounts/ghost/remove")).status == 404


async def test_policy_page(env: Env) -> None:
    await env.offer_in_telegram()
    await env.login("root")
    text = await (await env.client.get("/policy")).text()
    assert "playground" in text and "-100777" in text and "offers" in text


# -- metrics --------------------------------------------------------------------------------


async def test_stats_page_charts_scoped_to_the_account(env: Env) -> None:
    _, case_id = await env.offer_in_playground()
    await env.offer_in_telegram()
    await env.pg.post("travel", "u-dara", "who knows someone to take me to UK? how much?")
    await env.engine.wait_idle(10)
    await env.login("pgmod")
    await env.post(f"/cases/{case_id}/dismiss")
    resp = await env.client.get("/stats?days=7")
    text = await resp.text()
    assert resp.status == 200 and text.count("<svg") >= 8
    assert "Per-rule precision" in text and "0% of 1 reviewed" in text
    assert "telegram" not in text.split("Messages by platform")[1].split("</section>")[0]
    assert "style=" not in text  # the CSP forbids inline styles: charts use classes
    await env.logout()
    await env.login("root")
    text = await (await env.client.get("/stats?days=bogus")).text()
    assert "telegram" in text


async def test_prometheus_metrics(env: Env) -> None:
    await env.offer_in_playground()
    resp = await env.client.get("/metrics")
    text = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/plain"
    assert "# TYPE channelwatch_messages_total counter" in text
    assert 'channelwatch_messages_total{platform="playground",label="offer"} 1' in text
    assert 'channelwatch_actions_total{platform="playground",action="hide",status="done"} 1' in text
    assert "local" not in text  # no community ids, no content
    assert "Boat" not in text


# -- live updates ---------------------------------------------------------------------------


async def _first_data(resp: object) -> dict:
    async for raw in resp.content:  # type: ignore[attr-defined]
        line = raw.decode().strip()
        if line.startswith("data: "):
            return json.loads(line[6:])
    raise AssertionError("stream ended")


async def test_live_stream_is_scoped(env: Env) -> None:
    await env.login("tgmod")
    resp = await env.client.get("/live")
    assert resp.headers["Content-Type"].startswith("text/event-stream")
    await env.offer_in_playground()  # not tgmod's community: nothing arrives
    case_id = await env.offer_in_telegram()
    event = await asyncio.wait_for(_first_data(resp), 5)
    assert event["case_id"] == case_id and set(event) == {"type", "case_id"}
    resp.close()


async def test_case_live_fragment(env: Env) -> None:
    _, case_id = await env.offer_in_playground()
    await env.login("pgmod")
    text = await (await env.client.get(f"/cases/{case_id}/_live")).text()
    assert "<html" not in text and 'id="case-status"' in text and "open" in text


# -- the playground, through the same security ----------------------------------------------


async def test_playground_page_post_and_stream(env: Env) -> None:
    resp = await env.client.get("/playground/")
    page = await resp.text()
    assert resp.status == 200 and '<meta name="csrf-token"' in page
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    stream = await env.client.get("/playground/events")
    snapshot = await asyncio.wait_for(_first_data(stream), 5)
    assert snapshot["type"] == "snapshot" and [r["id"] for r in snapshot["rooms"]] == [
        "general",
        "travel",
        "arabic",
    ]
    headers = {"X-CSRF-Token": token}
    resp = await env.client.post(
        "/playground/api/post",
        json={"room": "general", "user": "u-newbie", "text": OFFER_URGENT},
        headers=headers,
    )
    body = await resp.json()
    assert (
        resp.status == 200
        and body["label"] == "offer"
        and "hide" in body["actions"]
        and body["case_id"]
    )
    seen = [await asyncio.wait_for(_first_data(stream), 5) for _ in range(2)]
    assert seen[0]["type"] == "message" and seen[1]["type"] in (
        "hidden",
        "message",
        "private",
        "card",
    )
    stream.close()
    resp = await env.client.post(
        "/playground/api/post",
        json={"room": "general", "user": "u-admin", "text": ""},
        headers=headers,
    )
    assert resp.status == 409 and "empty" in (await resp.json())["error"]
    resp = await env.client.post(
        "/playground/api/post", json={"room": 1, "user": "u", "text": "t"}, headers=headers
    )
    assert resp.status == 400
    resp = await env.client.post(
        "/playground/api/post",
        data="not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    assert resp.status == 400
    resp = await env.client.post(
        "/playground/api/post", data="a=b", headers={**headers, "Content-Type": "text/plain"}
    )
    assert resp.status == 415
    resp = await env.client.post("/playground/api/samples", json={}, headers=headers)
    assert resp.status == 409 and "samples" in (await resp.json())["error"]  # none loaded in tests
    for size, status in ((5_000, 409), (300_000, 413)):  # too long for the chat; too big a request
        resp = await env.client.post(
            "/playground/api/post",
            json={"room": "general", "user": "u-amira", "text": "x" * size},
            headers=headers,
        )
        assert resp.status == status, size


async def _playground_token(env: Env) -> dict[str, str]:
    page = await (await env.client.get("/playground/")).text()
    return {"X-CSRF-Token": page.split('name="csrf-token" content="')[1].split('"')[0]}


async def test_post_samples_posts_a_mix(env: Env) -> None:
    from adapters.playground import Sample

    env.pg.samples = [
        Sample(OFFER_URGENT, "en", "offer", "Sam"),
        Sample("who knows someone to take me to UK? how much?", "en", "seeking", "Dara"),
        Sample(
            "بلم لبريطانيا بكرا بالليل من كاليه، ٢٣٠٠ باوند، واتساب +٤٤ ٧٧٠٠ ٩٠٠٦٠١",
            "ar",
            "offer",
            "سمير",
        ),
        Sample("Lovely weather for the match today", "en", "none", "Pete"),
    ]
    headers = await _playground_token(env)
    resp = await env.client.post("/playground/api/samples", json={}, headers=headers)
    assert resp.status == 200 and (await resp.json())["posting"] == 4
    for _ in range(100):
        snap = env.pg.snapshot()
        posted = [m for room in snap["messages"].values() for m in room if m["kind"] == "message"]
        if len(posted) == 4:
            break
        await asyncio.sleep(0.05)
    await env.engine.wait_idle(10)
    snap = env.pg.snapshot()
    by_text = {
        m["text"]: m for room in snap["messages"].values() for m in room if m["kind"] == "message"
    }
    assert by_text[OFFER_URGENT]["state"] == "hidden" and by_text[OFFER_URGENT]["author"] == "Sam"
    assert by_text["Lovely weather for the match today"]["state"] == "visible"
    assert any(m["room"] == "arabic" for m in by_text.values())  # right-to-left samples go there
    assert any(u["name"] == "سمير" for u in snap["users"])  # sample authors join as members


async def test_playground_flood_limit(env: Env) -> None:
    headers = await _playground_token(env)
    statuses = []
    for i in range(35):
        resp = await env.client.post(
            "/playground/api/post",
            json={"room": "general", "user": "u-amira", "text": f"hello {i}"},
            headers=headers,
        )
        statuses.append(resp.status)
    assert statuses[:30] == [200] * 30 and statuses[-1] == 429


async def test_metrics_token_and_signed_mounts(tmp_path: Any) -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bots.dashboard import SqliteAccountStore, create_app
    from core._engine import Engine
    from tests.bots.dashboard.conftest import CHEAP

    engine = await Engine.open(tmp_path / "cw.db")
    accounts = SqliteAccountStore(tmp_path / "cw.db", hasher=CHEAP)
    hook = web.Application()

    async def receive(request: web.Request) -> web.Response:
        return web.json_response({"got": await request.text()})

    hook.router.add_post("/v1/messages", receive)
    app = create_app(engine, accounts, metrics_token="s3cret-token", signed_apis={"/webhook": hook})
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        assert (await client.get("/metrics")).status == 401
        assert (
            await client.get("/metrics", headers={"Authorization": "Bearer wrong"})
        ).status == 401
        assert (
            await client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
        ).status == 200
        # A signed API does its own authentication: no session, no CSRF token, no cookie.
        resp = await client.post("/webhook/v1/messages", data="{}")
        assert resp.status == 200 and (await resp.json()) == {"got": "{}"}
        assert "Set-Cookie" not in resp.headers
        assert (await client.post("/cases/x/claim")).status == 403  # the rest still needs CSRF
    finally:
        await client.close()
        await engine.close()
        accounts.close()


async def test_playground_poster_appeals_through_the_review_workflow(env: Env) -> None:
    _, case_id = await env.offer_in_playground()
    moderator = Moderator(via="dashboard", user_id="pgmod")
    await env.engine.review.confirm(case_id, moderator)
    await env.engine.wait_idle(10)
    headers = await _playground_token(env)
    body = {"case_id": case_id, "user": "u-amira", "text": "not mine"}
    resp = await env.client.post("/playground/api/appeal", json=body, headers=headers)
    assert resp.status == 409 and "only the author" in (await resp.json())["error"]
    body = {"case_id": case_id, "user": "u-newbie", "text": "I sell ferry tickets, not crossings"}
    resp = await env.client.post("/playground/api/appeal", json=body, headers=headers)
    assert resp.status == 200 and (await resp.json())["status"] == "open"
    case = await env.engine.review.get_case(case_id)
    assert case is not None and case.status == "open"
    assert any("ferry tickets" in n["text"] for n in case.notes)
    await env.engine.wait_idle(10)
    assert env.pg.snapshot()["cards"][0]["status"] == "open"  # the moderators' card follows
    assert (await env.client.post("/playground/api/appeal", json=body)).status == 403  # CSRF
