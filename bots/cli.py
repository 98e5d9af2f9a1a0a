"""The ``channelwatch`` command line.

Each group of subcommands lives in its own module with a ``register(subparsers)`` function that
adds its parsers and sets ``func`` (returning an exit status) on them. Modules are imported when
the CLI starts, so keep their top-level imports light: import heavy libraries inside the command.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

__all__ = ["build_parser", "main"]

# Modules that contribute subcommands, in the order they appear in ``--help``.
_COMMAND_MODULES: tuple[str, ...] = (
    "bots._cmd_detect",  # scan, eval
    "bots._cmd_engine",  # replay, cases, audit verify, purge
    "bots._cmd_run",  # run, moderator
    "bots._cmd_discord",  # discord invite-url
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="channelwatch",
        description="Find people-smuggling offers in chat communities, hide them, redirect people "
        "to real help and escalate to human moderators.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue  # a command group not built yet
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `channelwatch scan big.jsonl | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
