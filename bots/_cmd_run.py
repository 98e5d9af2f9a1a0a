"""``channelwatch run`` (engine + playground + dashboard + platform bots) and ``moderator``.

``run`` with no tokens starts the local playground and the review dashboard, storing everything
in one SQLite file. With ``TELEGRAM_BOT_TOKEN`` and/or ``DISCORD_BOT_TOKEN`` set it also runs those
adapters in the same process, sharing the engine, the store and the dashboard. Ctrl-C or SIGTERM
stops it cleanly: the web server stops taking requests, adapters disconnect, and the engine
drains; actions not yet carried out stay in the outbox and are completed on the next start.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import logging
import os
import secrets
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bots.dashboard import AccountStore

__all__ = ["Server", "ensure_admin", "register"]

log = logging.getLogger("channelwatch.run")

DEFAULT_DB = "./channelwatch.db"
# config/ is a package beside bots/ in the source tree and in an installed wheel alike.
SAMPLES_PATH = Path(__file__).resolve().parent.parent / "config" / "samples" / "playground.jsonl"
# Secrets whose values must never reach a log line.
TOKEN_VARS = (
    "TELEGRAM_BOT_TOKEN",
    "DISCORD_BOT_TOKEN",
    "CHANNELWATCH_WEBHOOK_SECRET",
    "CHANNELWATCH_METRICS_TOKEN",
)
# (variable that enables it, module with ``build_from_env``), in start order.
PLATFORM_MODULES = (
    ("TELEGRAM_BOT_TOKEN", "adapters.telegram"),
    ("DISCORD_BOT_TOKEN", "adapters.discord"),
    ("CHANNELWATCH_WEBHOOK_SECRET", "adapters.webhook"),
)


def register(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run",
        help="run the engine, the playground and the review dashboard (and bots with tokens)",
        description="Start channelwatch: the local playground and the review dashboard on "
        "http://HOST:PORT, plus the Telegram / Discord bots when TELEGRAM_BOT_TOKEN / "
        "DISCORD_BOT_TOKEN are set, and the signed webhook API at /webhook/ when "
        "CHANNELWATCH_WEBHOOK_SECRET is set. Data goes to CHANNELWATCH_DB (default "
        "./channelwatch.db). CHANNELWATCH_ADMIN_PASSWORD sets the first admin's password; "
        "CHANNELWATCH_METRICS_TOKEN, when set, protects /metrics with a bearer token.",
    )
    run.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    run.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    run.add_argument(
        "--db", default=None, help="SQLite file (default: $CHANNELWATCH_DB or ./channelwatch.db)"
    )
    run.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark session cookies Secure (set when the dashboard is served over HTTPS)",
    )
    run.add_argument(
        "--no-playground", action="store_true", help="do not start the local playground"
    )
    run.set_defaults(func=_cmd_run)

    mod = subparsers.add_parser("moderator", help="manage review-dashboard accounts")
    msub = mod.add_subparsers(dest="moderator_command", metavar="ACTION")
    add = msub.add_parser(
        "add",
        help="add an account (password from CHANNELWATCH_NEW_PASSWORD or a prompt)",
    )
    add.add_argument("name")
    add.add_argument(
        "--community",
        action="append",
        default=[],
        metavar="PLATFORM:ID",
        help="a community this moderator reviews, e.g. telegram:-1001234567890 (repeatable)",
    )
    add.add_argument(
        "--admin", action="store_true", help="administrator: every community, accounts"
    )
    add.set_defaults(func=_cmd_moderator_add)
    lst = msub.add_parser("list", help="list accounts")
    lst.set_defaults(func=_cmd_moderator_list)
    rm = msub.add_parser("remove", help="remove an account and end its sessions")
    rm.add_argument("name")
    rm.set_defaults(func=_cmd_moderator_remove)
    pw = msub.add_parser("passwd", help="set a new password (ends the account's sessions)")
    pw.add_argument("name")
    pw.set_defaults(func=_cmd_moderator_passwd)
    for p in (add, lst, rm, pw):
        p.add_argument(
            "--db",
            default=None,
            help="SQLite file (default: $CHANNELWATCH_DB or ./channelwatch.db)",
        )
    mod.set_defaults(func=lambda args: (mod.print_help(), 2)[1])


def _db_path(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    return str(args.db or env.get("CHANNELWATCH_DB") or DEFAULT_DB)


# -- accounts ---------------------------------------------------------------------------------


def ensure_admin(
    accounts: AccountStore, env: Mapping[str, str], *, out: Callable[[str], None] = print
) -> str | None:
    """On the first start (no accounts), create ``admin``.

    The password comes from ``CHANNELWATCH_ADMIN_PASSWORD`` or is generated and printed once
    (to the terminal, not the log). Returns the account name created, or None.
    """
    if accounts.count() > 0:
        return None
    password = env.get("CHANNELWATCH_ADMIN_PASSWORD")
    if password:
        accounts.add("admin", password, is_admin=True)
        out("Created dashboard account 'admin' with the password from CHANNELWATCH_ADMIN_PASSWORD.")
    else:
        password = secrets.token_urlsafe(12)
        accounts.add("admin", password, is_admin=True)
        out(
            "Created dashboard account 'admin' with password: "
            f"{password}\n  (shown only now; change it with `channelwatch moderator passwd admin`)"
        )
    return "admin"


def _read_new_password(env: Mapping[str, str]) -> str:
    password = env.get("CHANNELWATCH_NEW_PASSWORD")
    if password:
        return password
    if not sys.stdin.isatty():
        raise SystemExit("set CHANNELWATCH_NEW_PASSWORD or run in a terminal to be prompted")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("the passwords differ")
    return first


def _open_accounts(args: argparse.Namespace) -> AccountStore:
    from bots.dashboard import SqliteAccountStore

    return SqliteAccountStore(_db_path(args, os.environ))


def _cmd_moderator_add(args: argparse.Namespace) -> int:
    from bots.dashboard import AccountError, parse_community

    try:
        communities = [parse_community(c) for c in args.community]
        if not communities and not args.admin:
            print(
                "note: no --community given; this moderator sees no cases until one is added",
                file=sys.stderr,
            )
        accounts = _open_accounts(args)
        account = accounts.add(
            args.name, _read_new_password(os.environ), is_admin=args.admin, communities=communities
        )
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scope = (
        "all communities"
        if account.is_admin
        else ", ".join(f"{p}:{c}" for p, c in account.communities) or "none"
    )
    print(f"added {account.role} {account.name!r} ({scope})")
    return 0


def _cmd_moderator_list(args: argparse.Namespace) -> int:
    for a in _open_accounts(args).list():
        scope = "all" if a.is_admin else " ".join(f"{p}:{c}" for p, c in a.communities) or "-"
        print(f"{a.name}\t{a.role}\t{scope}")
    return 0


def _cmd_moderator_remove(args: argparse.Namespace) -> int:
    if not _open_accounts(args).remove(args.name):
        print(f"error: no account named {args.name!r}", file=sys.stderr)
        return 1
    print(f"removed {args.name!r}")
    return 0


def _cmd_moderator_passwd(args: argparse.Namespace) -> int:
    from bots.dashboard import AccountError

    try:
        _open_accounts(args).set_password(args.name, _read_new_password(os.environ))
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"password changed for {args.name!r}; its sessions were ended")
    return 0


# -- run --------------------------------------------------------------------------------------


class _RedactSecrets(logging.Filter):
    """Replace secret values (bot tokens) wherever they would appear in a log line.

    HTTP client libraries log request URLs, and the Telegram Bot API puts the token in the URL.
    """

    def __init__(self, secrets_: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets_ if len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(s in message for s in self._secrets):
                for s in self._secrets:
                    message = message.replace(s, "[redacted]")
                record.msg, record.args = message, None
        return True


def _setup_logging(env: Mapping[str, str]) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.addFilter(_RedactSecrets([env[v] for v in TOKEN_VARS if env.get(v)]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "httpcore", "aiohttp.access", "discord.gateway", "telegram.ext"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@dataclass
class Server:
    """Everything ``channelwatch run`` runs, startable and stoppable in-process (tests use it)."""

    db_path: str
    host: str = "127.0.0.1"
    port: int = 8080
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    playground: bool = True
    secure_cookies: bool = False
    out: Callable[[str], None] = print
    hasher: Any = None  # an argon2 PasswordHasher; tests pass a cheap one
    sample_delay: float = 0.4
    url: str = ""
    engine: Any = None
    accounts: Any = None
    adapters: list[Any] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        from adapters.playground import PlaygroundAdapter, load_samples
        from bots.dashboard import SqliteAccountStore, create_app
        from core import Engine

        self.engine = engine = await Engine.open(self.db_path)
        self.accounts = SqliteAccountStore(self.db_path, hasher=self.hasher)
        ensure_admin(self.accounts, self.env, out=self.out)

        pg = None
        if self.playground:
            pg = PlaygroundAdapter(engine, samples=load_samples(SAMPLES_PATH))
            engine.register_adapter(pg)
            self.adapters.append(pg)
        signed: dict[str, web.Application] = {}
        webhooks: list[Any] = []
        for var, module in PLATFORM_MODULES:
            if not self.env.get(var, "").strip():
                continue
            # Imported only when its variable is set: platform libraries are slow to import.
            adapter = importlib.import_module(module).build_from_env(engine, self.env)
            if adapter is None:
                continue
            engine.register_adapter(adapter)
            self.adapters.append(adapter)
            if module == "adapters.webhook":
                signed["/webhook/"] = adapter.app()
                webhooks.append(adapter)

        await engine.start()
        log.info("engine: started, storing in %s", self.db_path)
        for adapter in self.adapters:
            await adapter.start()
            if adapter.platform != "playground":  # announced below, with its address
                mounted = " (its API is mounted at /webhook/)" if adapter in webhooks else ""
                log.info("%s: adapter started%s", adapter.platform, mounted)

        app = create_app(
            engine,
            self.accounts,
            playground=pg,
            sample_delay=self.sample_delay,
            db_path=self.db_path,
            signed_apis=signed,
            secure_cookies=self.secure_cookies,
            metrics_token=self.env.get("CHANNELWATCH_METRICS_TOKEN") or None,
        )
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, shutdown_timeout=2.0)
        await site.start()
        port = self.port
        server = getattr(site, "_server", None)
        if server is not None and getattr(server, "sockets", None):
            port = server.sockets[0].getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{port}"
        if pg is not None:
            log.info(
                "playground: started at %s/playground/ (%d rooms, %d simulated users, %d samples)",
                self.url,
                len(pg.rooms),
                len(pg.users),
                len(pg.samples),
            )
        log.info("dashboard: started at %s/ (moderators log in at %s/login)", self.url, self.url)
        if self.host not in ("127.0.0.1", "localhost", "::1") and not self.secure_cookies:
            log.warning(
                "dashboard: listening beyond this machine; serve it behind HTTPS and pass "
                "--secure-cookies so session cookies never travel in clear"
            )
        return self.url

    async def stop(self) -> None:
        """Stop taking requests, disconnect adapters, drain the engine (pending actions stay)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            log.info("dashboard: stopped")
        for adapter in reversed(self.adapters):
            try:
                await adapter.stop()
                log.info("%s: adapter stopped", adapter.platform)
            except Exception:
                log.exception("%s: error while stopping", adapter.platform)
        self.adapters.clear()
        if self.engine is not None:
            await self.engine.close()  # stops dispatching, then closes the store
            self.engine = None
            log.info("engine: stopped; unfinished actions stay in the outbox for the next start")
        if self.accounts is not None:
            self.accounts.close()
            self.accounts = None


async def _serve(server: Server) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread / not POSIX
            pass
    try:
        await server.start()
    except OSError as exc:
        log.error("cannot start: %s", exc)
        await server.stop()
        return 1
    except BaseException:
        await server.stop()
        raise
    try:
        await stop.wait()
        log.info("stopping (signal received)")
    finally:
        await server.stop()
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    _setup_logging(env)
    from bots.dashboard import AccountError

    server = Server(
        db_path=_db_path(args, env),
        host=args.host,
        port=args.port,
        env=env,
        playground=not args.no_playground,
        secure_cookies=args.secure_cookies,
    )
    try:
        return asyncio.run(_serve(server))
    except AccountError as exc:
        print(f"error: {exc} (CHANNELWATCH_ADMIN_PASSWORD)", file=sys.stderr)
        return 2
