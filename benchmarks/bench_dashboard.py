"""Review dashboard: how long its pages take with a realistic backlog.

Fills a temporary SQLite store through the real engine (the shipped policy and detector), with
``--messages`` messages across 10 communities of which one in four is an offer (each one opens a
case), then times the dashboard's pages through aiohttp on loopback, logged in as an admin (who
sees every community) and as a moderator (one community):

    .venv/bin/python benchmarks/bench_dashboard.py                  # 4,000 messages, ~1,000 cases
    .venv/bin/python benchmarks/bench_dashboard.py --messages 20000 --requests 20

Prints p50/p95 per page in milliseconds (server time plus the loopback client).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402

from bots.dashboard import SqliteAccountStore, create_app  # noqa: E402
from core import Author, Capability, CaseCard, CaseFilter, IncomingEvent, MessageRef  # noqa: E402
from core._engine import Engine  # noqa: E402

PASSWORD = "benchmark password"
OFFERS = [
    "Boat to UK from Calais, {n} places left, 2500 GBP, 100% safe, WhatsApp +44 7700 9{n:05d}",
    "بلم لبريطانيا من كاليه، {n} باوند، الدفع عند الوصول. واتساب +44 7700 9{n:05d}",
    "Passage en bateau vers l'Angleterre depuis Calais, {n} €, garanti, t.me/passage_{n}",
    "Lorry to London this week, VIP, 100% guaranteed, DM @uk_lorry_{n}",
]
BENIGN = [
    "Does anyone know a good English class near the station? #{n}",
    "هل يعرف أحد طبيبا يتكلم العربية؟ {n}",
    "Match tonight at 8, who is coming? {n}",
]


class Quiet:
    """A platform that accepts every action instantly (the dashboard is what is measured)."""

    platform = "bench"
    capabilities = frozenset(Capability)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def hide(self, ref: MessageRef) -> None: ...

    async def post_notice(
        self, community_id: str, channel_id: str, text: str, *, lang: str
    ) -> None: ...

    async def send_private(
        self, community_id: str, user_id: str, text: str, *, lang: str
    ) -> None: ...

    async def timeout(
        self, community_id: str, user_id: str, seconds: int, *, reason: str
    ) -> None: ...

    async def ban(self, community_id: str, user_id: str, *, reason: str) -> None: ...

    async def restore(self, ref: MessageRef, *, author_name: str, text: str) -> None: ...

    async def escalate(self, card: CaseCard) -> None: ...


async def fill(engine: Engine, messages: int) -> int:
    cases = 0
    for n in range(messages):
        pool = OFFERS if n % 4 == 0 else BENIGN
        text = pool[(n // 4) % len(pool)].format(n=n)
        community = f"c{n % 10}"
        event = IncomingEvent(
            ref=MessageRef("bench", community, "room", str(n)),
            author=Author(id=f"u{n % 300}", display_name=f"user {n % 300}"),
            text=text,
        )
        decision = await engine.submit(event)
        cases += decision.case_id is not None
    await engine.wait_idle(120)
    return cases


async def timed(
    client: TestClient, method: str, path: str, requests: int, **kw: Any
) -> list[float]:
    out = []
    for _ in range(requests):
        started = time.perf_counter()
        resp = await client.request(method, path, allow_redirects=False, **kw)
        await resp.read()
        out.append((time.perf_counter() - started) * 1000)
        assert resp.status < 400, (path, resp.status)
    return out


async def login(client: TestClient, name: str) -> str:
    text = await (await client.get("/login")).text()
    token = re.search(r'name="_csrf" value="([^"]+)"', text)
    assert token
    resp = await client.post(
        "/login",
        data={"name": name, "password": PASSWORD, "_csrf": token.group(1)},
        allow_redirects=False,
    )
    assert resp.status == 303
    page = await (await client.get("/cases?status=open")).text()
    token = re.search(r'name="_csrf" value="([^"]+)"', page)
    assert token
    return token.group(1)


def report(name: str, values: list[float]) -> None:
    values = sorted(values)
    p95 = values[max(0, round(0.95 * len(values)) - 1)]
    print(f"| {name} | {statistics.median(values):.1f} | {p95:.1f} |")


async def main(messages: int, requests: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        engine = await Engine.open(db)
        engine.register_adapter(Quiet())
        await engine.start()
        started = time.perf_counter()
        cases = await fill(engine, messages)
        took = time.perf_counter() - started
        print(f"filled {messages} messages, {cases} open cases in {took:.1f} s")
        accounts = SqliteAccountStore(
            db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        )
        accounts.add("admin", PASSWORD, is_admin=True)
        accounts.add("mod", PASSWORD, communities=[("bench", "c2")])
        client = TestClient(TestServer(create_app(engine, accounts)))
        await client.start_server()
        try:
            print("| page | p50 ms | p95 ms |")
            print("|---|---|---|")
            await login(client, "admin")
            case_id = (await engine.review.list_cases(CaseFilter(limit=1)))[0].id
            report(
                f"queue, admin, {cases} open cases (200 rows shown)",
                await timed(client, "GET", "/cases", requests),
            )
            report(
                "queue, filtered to one community",
                await timed(client, "GET", "/cases?community=bench:c4", requests),
            )
            report(
                "queue live refresh (fragment)",
                await timed(client, "GET", "/cases/_rows?community=bench:c4", requests),
            )
            report("case page", await timed(client, "GET", f"/cases/{case_id}", requests))
            report("metrics page (14 days)", await timed(client, "GET", "/stats", requests))
            report("Prometheus /metrics", await timed(client, "GET", "/metrics", requests))
            report(
                "audit page (rows since the last full verification checked)",
                await timed(client, "GET", "/audit", requests),
            )
            await client.post("/logout", data={"_csrf": await login(client, "admin")})
            token = await login(client, "mod")
            report(
                "queue, moderator of one community", await timed(client, "GET", "/cases", requests)
            )
            open_ids = [
                c.id
                for c in await engine.review.list_cases(
                    CaseFilter(communities=[("bench", "c2")], limit=requests)
                )
            ]
            claims = []
            for cid in open_ids:
                started = time.perf_counter()
                resp = await client.post(
                    f"/cases/{cid}/claim", data={"_csrf": token}, allow_redirects=False
                )
                await resp.read()
                claims.append((time.perf_counter() - started) * 1000)
                assert resp.status == 303
            report("claim (POST, audited transition)", claims)
        finally:
            await client.close()
            await engine.close()
            accounts.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.requests))
