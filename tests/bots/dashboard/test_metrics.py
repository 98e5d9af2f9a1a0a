"""The metrics source counts what people actually received."""

from __future__ import annotations

from pathlib import Path

from bots.dashboard._metrics import SqliteMetrics
from core import RecipientUnreachable
from tests.core._engine_fixtures import SEEKER, event, running_engine


async def test_undelivered_private_help_is_not_counted_as_sent(tmp_path: Path) -> None:
    async with running_engine(tmp_path) as (engine, adapter):
        adapter.fail("send_private", 1, RecipientUnreachable("403: bot can't initiate"))
        await engine.submit(event(SEEKER, msg="1", author="closed-dms"))
        await engine.submit(event(SEEKER, msg="2", author="open-dms", channel="ch2"))
        await engine.wait_idle()
        metrics = SqliteMetrics(tmp_path / "cw.db")
        try:
            ov = metrics.overview(None)
        finally:
            metrics.close()
    sent = {name: sum(per_day) for name, per_day in ov.notices_by_day.items()}
    # One seeker was helped privately; the other's help became a general channel notice.
    assert sent.get("private help messages") == 1, sent
    assert sent.get("public notices") == 1, sent
