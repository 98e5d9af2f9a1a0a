"""``channelwatch replay``, ``cases``, ``audit verify`` and ``purge``: the engine from a shell.

``replay FILE --db PATH [--community ID]`` feeds JSON Lines messages (``text``; optional ``id`` or
``message_id``, ``author_id``/``author``, ``channel``, ``lang``, ``edited``, ``revision``) through
the full engine with an in-memory recording adapter, persists everything to the SQLite file and
prints one JSON object per effect dispatched (``message_id``, ``action``, ``status`` and details
such as the notice ``lang``). Message ids default to the line number, so running it twice on the
same file adds nothing: every message is a redelivery the second time.

``cases --db PATH`` lists cases (``--json`` for JSON Lines); ``audit verify --db PATH`` checks the
hash chain and exits 1 when it is broken; ``purge --db PATH --older-than DAYS`` redacts evidence
older than DAYS while keeping the audit chain verifiable.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import IO, Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    rp = subparsers.add_parser(
        "replay",
        help="run JSON Lines messages through the full engine with a recording adapter",
        description="Feed JSON Lines messages through the engine (detector, rules, SQLite store, "
        "outbox) with an in-memory adapter and print one JSON object per effect dispatched. "
        "Idempotent: a second run over the same file adds no cases or actions.",
    )
    rp.add_argument("file", metavar="FILE|-", help="JSON Lines input (- for stdin)")
    rp.add_argument("--db", required=True, type=Path, help="SQLite database (created if absent)")
    rp.add_argument(
        "--community", default=None, help="community id (default: `community` or replay)"
    )
    rp.add_argument("--config-dir", type=Path, default=None, help="config directory to use")
    rp.set_defaults(func=_replay)

    cs = subparsers.add_parser("cases", help="list escalation cases", description="List cases.")
    cs.add_argument("--db", required=True, type=Path, help="SQLite database")
    cs.add_argument(
        "--status",
        default="open,claimed",
        help="comma-separated statuses (open, claimed, confirmed, dismissed) or `all`",
    )
    cs.add_argument("--platform", default=None)
    cs.add_argument("--community", default=None, help="community id (needs --platform)")
    cs.add_argument("--limit", type=int, default=200)
    cs.add_argument("--json", action="store_true", help="one JSON object per case")
    cs.set_defaults(func=_cases)

    au = subparsers.add_parser("audit", help="the tamper-evident audit log")
    au_sub = au.add_subparsers(dest="audit_command", metavar="COMMAND")
    ve = au_sub.add_parser(
        "verify",
        help="check the audit hash chain (exit 1 when broken)",
        description="Recompute every audit row's SHA-256 chain; exit 0 when intact, 1 when a row "
        "was altered, removed or reordered.",
    )
    ve.add_argument("--db", required=True, type=Path, help="SQLite database")
    ve.add_argument(
        "--expect-head",
        default=None,
        help="a head hash published earlier: also detects rows cut off the end",
    )
    ve.set_defaults(func=_audit_verify)
    au.set_defaults(func=lambda _args: _usage(au))

    pu = subparsers.add_parser(
        "purge",
        help="delete evidence older than N days (the audit chain stays verifiable)",
        description="Redact message texts, authors and entities older than DAYS (cases under "
        "legal hold excepted) and delete old benign events; audit rows are kept.",
    )
    pu.add_argument("--db", required=True, type=Path, help="SQLite database")
    pu.add_argument("--older-than", required=True, type=float, metavar="DAYS")
    pu.set_defaults(func=_purge)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _existing_db(path: Path) -> bool:
    if not path.is_file():
        print(f"channelwatch: {path}: no such database", file=sys.stderr)
        return False
    return True


# --- replay ----------------------------------------------------------------------------------


def _event_from(obj: Any, lineno: int, community: str | None) -> Any:
    from core import Author, IncomingEvent, MessageRef

    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError("`text` missing or not a string")
    message_id = obj.get("message_id", obj.get("id"))
    message_id = f"line-{lineno}" if message_id is None else str(message_id)
    author_id = str(obj.get("author_id") or obj.get("author") or "anonymous")
    edited = bool(obj.get("edited", False))
    if "revision" in obj:
        revision = str(obj["revision"])
    elif edited:
        revision = "edit-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    else:
        revision = "0"
    lang = obj.get("lang")
    return IncomingEvent(
        ref=MessageRef(
            "replay",
            str(community or obj.get("community") or "replay"),
            str(obj.get("channel") or "main"),
            message_id,
        ),
        author=Author(id=author_id, display_name=str(obj.get("author_name") or author_id)),
        text=text,
        edited=edited,
        revision=revision,
        lang_hint=lang if isinstance(lang, str) else None,
    )


def _replay(args: argparse.Namespace) -> int:
    import asyncio

    try:
        fh: IO[str] = (
            sys.stdin if args.file == "-" else open(args.file, encoding="utf-8", errors="replace")
        )
    except OSError as exc:
        print(f"channelwatch: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with fh:
        return asyncio.run(_replay_async(args, fh))


async def _replay_async(args: argparse.Namespace, fh: IO[str]) -> int:
    import asyncio

    from adapters.recording import RecordingAdapter
    from core import Engine

    engine = await Engine.open(args.db, config_dir=args.config_dir)
    adapter = RecordingAdapter("replay")
    engine.register_adapter(adapter)
    events = engine.subscribe(maxsize=0)  # unbounded: every effect must be printed
    printed = 0

    async def printer() -> None:
        while True:
            ev = await events.get()
            try:
                await print_effect(ev)
            finally:
                events.task_done()

    async def print_effect(ev: dict[str, Any]) -> None:
        nonlocal printed
        if ev.get("type") == "action" and ev.get("status") != "pending":
            row = await engine.query(engine.store.get_action, ev["action_id"])
            if row is None:
                return
            out: dict[str, Any] = {
                "message_id": row.ref.message_id,
                "channel_id": row.ref.channel_id,
                "action": row.action,
                "status": row.status,
            }
            for key in ("lang", "kind", "case_id", "priority", "seconds", "fallback_for"):
                if key in row.payload:
                    out[key] = row.payload[key]
            if row.case_id:
                out["case_id"] = row.case_id
            if row.rule:
                out["rule"] = row.rule
            if row.last_error:
                out["error"] = row.last_error
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
            printed += 1

    task = asyncio.create_task(printer())
    n = dup = bad = 0
    try:
        await engine.start()
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                event = _event_from(json.loads(line), lineno, args.community)
            except (ValueError, TypeError) as exc:
                bad += 1
                print(json.dumps({"line": lineno, "error": str(exc)[:200]}), file=sys.stderr)
                continue
            decision = await engine.submit(event)
            n += 1
            dup += decision.duplicate
        await engine.wait_idle(120.0)
        await events.join()  # every dispatched effect printed
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        engine.unsubscribe(events)
        await engine.close()
    print(
        f"replay: {n} message(s), {dup} already processed, {bad} malformed line(s), "
        f"{printed} effect(s) dispatched; database {args.db}",
        file=sys.stderr,
    )
    return 0


# --- cases -----------------------------------------------------------------------------------


def _cases(args: argparse.Namespace) -> int:
    from core import CaseFilter, CaseStatus, SQLiteStore

    if not _existing_db(args.db):
        return 2
    if args.status.strip() == "all":
        statuses = tuple(CaseStatus)
    else:
        try:
            statuses = tuple(CaseStatus(s.strip()) for s in args.status.split(",") if s.strip())
        except ValueError as exc:
            print(f"channelwatch: --status: {exc}", file=sys.stderr)
            return 2
    communities = None
    if args.community is not None:
        if args.platform is None:
            print("channelwatch: --community needs --platform", file=sys.stderr)
            return 2
        communities = [(args.platform, args.community)]
    store = SQLiteStore(args.db)
    try:
        rows = store.list_cases(
            CaseFilter(
                statuses=statuses, platform=args.platform, communities=communities, limit=args.limit
            )
        )
    finally:
        store.close()
    for row in rows:
        case = row.to_case()
        if args.json:
            out = {
                "id": case.id,
                "status": str(case.status),
                "priority": case.priority,
                "label": case.label,
                "score": round(case.score, 4),
                "lang": case.lang,
                "platform": case.ref.platform,
                "community_id": case.ref.community_id,
                "channel_id": case.ref.channel_id,
                "message_id": case.ref.message_id,
                "author_id": case.author_id,
                "rule": case.rule,
                "text": case.text,
                "created_at": case.created_at.isoformat(),
                "updated_at": case.updated_at.isoformat(),
                "claimed_by": case.claimed_by,
                "decided_by": case.decided_by,
                "entities": list(case.entities),
                "notes": len(case.notes),
            }
            sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        else:
            text = " ".join((case.text or "[purged]").split())
            text = text if len(text) <= 60 else text[:59] + "…"
            sys.stdout.write(
                f"{case.id}  {case.status:<9} {case.priority:<6} {case.label:<7} "
                f"{case.score:4.2f} {case.lang:<4} {case.ref.platform}:{case.ref.community_id}"
                f"/{case.ref.message_id}  {case.created_at:%Y-%m-%d %H:%M}  {text}\n"
            )
    if not args.json:
        print(f"{len(rows)} case(s)", file=sys.stderr)
    return 0


# --- audit verify ----------------------------------------------------------------------------


def _audit_verify(args: argparse.Namespace) -> int:
    from core import SQLiteStore, verify_chain

    if not _existing_db(args.db):
        return 2
    store = SQLiteStore(args.db)
    try:
        result = verify_chain(store, expect_head=args.expect_head)
    finally:
        store.close()
    if result.ok:
        print(f"audit chain intact: {result.rows} row(s), head {result.head}")
        return 0
    where = f" at seq {result.broken_at}" if result.broken_at is not None else ""
    print(
        f"AUDIT CHAIN BROKEN{where}: {result.problem} ({result.rows} row(s) verified before it)",
    )
    return 1


# --- purge -----------------------------------------------------------------------------------


def _purge(args: argparse.Namespace) -> int:
    from core import SQLiteStore

    if args.older_than < 0:
        print("channelwatch: --older-than must be >= 0", file=sys.stderr)
        return 2
    if not _existing_db(args.db):
        return 2
    store = SQLiteStore(args.db)
    try:
        result = store.purge(args.older_than, actor="cli:purge")
    finally:
        store.close()
    print(
        json.dumps(
            {
                "cutoff": result.cutoff.isoformat(),
                "events_deleted": result.events_deleted,
                "events_redacted": result.events_redacted,
                "cases_redacted": result.cases_redacted,
                "actions_redacted": result.actions_redacted,
            }
        )
    )
    return 0
