"""``channelwatch scan`` and ``channelwatch eval``: the detector on JSON Lines, offline.

``scan [FILE|-]`` reads one JSON object per line (``text``, optional ``id``, ``lang``, ``author``,
``channel``, ``platform``; other fields ignored) and writes one JSON object per input line, in
order: ``id`` (copied when present), ``label``, ``score``, ``lang``, ``imminent``, ``reasons``,
``entities``. A malformed line yields ``{"id": ..., "error": "..."}`` and the run goes on; the
exit status is 0 unless the file cannot be read (then 1).

``eval FILE`` reads labelled JSON Lines (``text``, ``label``, optional ``lang``) and prints
precision, recall and F1 per label and per language plus a confusion matrix (``--json``: the
same figures as JSON). Lines without a valid label are counted as skipped.

Both show a progress bar on stderr when stderr is a terminal. Heavy imports happen inside the
commands so ``channelwatch --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core import Detector

__all__ = ["compute_metrics", "register"]

LABELS: tuple[str, ...] = ("offer", "seeking", "none")


def register(subparsers: Any) -> None:
    scan = subparsers.add_parser(
        "scan",
        help="run the detector over JSON Lines messages and print one verdict per line",
        description="Read JSON Lines (each with `text`, optionally `id`, `lang`, `author`, "
        "`channel`, `platform`) from FILE or stdin and write one JSON verdict per line.",
    )
    scan.add_argument("file", nargs="?", default="-", metavar="FILE|-", help="input (default: -)")
    scan.add_argument("--config-dir", type=Path, default=None, help="config directory to use")
    scan.set_defaults(func=_scan)

    ev = subparsers.add_parser(
        "eval",
        help="measure the detector on a labelled JSON Lines file",
        description="Read labelled JSON Lines (`text`, `label` offer|seeking|none, optional "
        "`lang`) and print precision, recall and F1 per label and per language and a confusion "
        "matrix.",
    )
    ev.add_argument("file", metavar="FILE")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    ev.add_argument("--config-dir", type=Path, default=None, help="config directory to use")
    ev.add_argument(
        "--errors", action="store_true", help="also list the misclassified messages' ids"
    )
    ev.set_defaults(func=_eval)


# --- input -----------------------------------------------------------------------------------


def _open(path: str) -> IO[str]:
    if path == "-":
        return sys.stdin
    return open(path, encoding="utf-8", errors="replace")  # closed by the caller's `with`


def _count_lines(path: str) -> int | None:
    if path == "-":
        return None
    try:
        with open(path, "rb") as fh:
            return sum(1 for _ in fh)
    except OSError:
        return None


@contextmanager
def _progress(total: int | None, what: str) -> Iterator[Any]:
    """A rich progress bar on stderr when stderr is a terminal; otherwise a no-op advancer."""
    if not sys.stderr.isatty():
        yield lambda n=1: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(what, total=total)
        yield lambda n=1: progress.advance(task, n)


def _parse(line: str) -> tuple[dict[str, Any] | None, str | None]:
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"invalid JSON: {exc}"
    if not isinstance(obj, dict):
        return None, "expected a JSON object"
    if not isinstance(obj.get("text"), str):
        return obj, "missing or non-string `text`"
    return obj, None


def _id_of(obj: dict[str, Any] | None) -> Any:
    """The input's ``id`` as given (JSON scalars), ``None`` when absent."""
    if obj is not None and "id" in obj:
        value = obj["id"]
        return value if isinstance(value, str | int | float) or value is None else str(value)
    return None


def _each_line(
    args: argparse.Namespace,
    command: str,
    what: str,
    handle: Callable[[Detector, int, dict[str, Any] | None, str | None], None],
) -> int:
    """Feed every non-blank line of ``args.file`` to ``handle`` as ``(detector, line number,
    parsed object or None, error or None)``, with a progress bar; 1 when the file cannot be read.

    The file is opened before the detector loads, so an unreadable path is reported at once.
    """
    from core import Detector

    try:
        fh = _open(args.file)
    except OSError as exc:
        print(f"channelwatch {command}: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    detector = Detector.load(args.config_dir)
    with fh, _progress(_count_lines(args.file), what) as advance:
        try:
            for lineno, line in enumerate(fh, 1):
                advance()
                if not line.strip():
                    continue
                handle(detector, lineno, *_parse(line))
        except OSError as exc:
            print(f"channelwatch {command}: cannot read {args.file}: {exc}", file=sys.stderr)
            return 1
    return 0


# --- scan ------------------------------------------------------------------------------------


def _scan(args: argparse.Namespace) -> int:
    out = sys.stdout

    def scan_line(
        detector: Detector, lineno: int, obj: dict[str, Any] | None, error: str | None
    ) -> None:
        if error is not None or obj is None:
            record: dict[str, Any] = {"id": _id_of(obj), "line": lineno, "error": error}
        else:
            lang = obj.get("lang") if isinstance(obj.get("lang"), str) else None
            verdict = detector.detect(obj["text"], lang_hint=lang)
            record = {"id": _id_of(obj), "line": lineno, **verdict.to_dict()}
        _write(out, record)

    status = _each_line(args, "scan", "scanning", scan_line)
    if status == 0:
        out.flush()
    return status


def _write(out: IO[str], record: dict[str, Any]) -> None:
    line = json.dumps(record, ensure_ascii=False) + "\n"
    try:
        out.write(line)
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape in an id: write it escaped
        out.write(json.dumps(record) + "\n")


# --- eval ------------------------------------------------------------------------------------


def compute_metrics(pairs: list[tuple[str, str, str]]) -> dict[str, Any]:
    """Precision/recall/F1 per label and per language, and the confusion matrix.

    ``pairs`` holds ``(gold, predicted, lang)``. Per-language figures are for the ``offer``
    label (the one that triggers removals) plus accuracy over all labels.
    """

    def prf(items: list[tuple[str, str, str]], label: str) -> dict[str, float | int]:
        tp = sum(1 for g, p, _ in items if g == label and p == label)
        fp = sum(1 for g, p, _ in items if g != label and p == label)
        fn = sum(1 for g, p, _ in items if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": tp + fn,
        }

    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    for g, p, _ in pairs:
        confusion[g][p] += 1
    langs = sorted({lang for _, _, lang in pairs})
    per_lang = {}
    for lang in langs:
        items = [x for x in pairs if x[2] == lang]
        per_lang[lang] = {
            "messages": len(items),
            "accuracy": round(sum(1 for g, p, _ in items if g == p) / len(items), 4),
            "offer": prf(items, "offer"),
            "seeking": prf(items, "seeking"),
        }
    return {
        "messages": len(pairs),
        "accuracy": round(sum(1 for g, p, _ in pairs if g == p) / len(pairs), 4) if pairs else 0,
        "labels": {label: prf(pairs, label) for label in LABELS},
        "languages": per_lang,
        "confusion": confusion,
    }


def _eval(args: argparse.Namespace) -> int:
    pairs: list[tuple[str, str, str]] = []
    errors: list[dict[str, Any]] = []
    skipped = 0

    def eval_line(
        detector: Detector, lineno: int, obj: dict[str, Any] | None, error: str | None
    ) -> None:
        nonlocal skipped
        if error is not None or obj is None or obj.get("label") not in LABELS:
            skipped += 1
            return
        hint = obj.get("lang") if isinstance(obj.get("lang"), str) else None
        verdict = detector.detect(obj["text"], lang_hint=hint)
        lang = hint or verdict.lang
        pairs.append((obj["label"], str(verdict.label), lang))
        if str(verdict.label) != obj["label"]:
            errors.append(
                {
                    "id": _id_of(obj) if obj and "id" in obj else lineno,
                    "gold": obj["label"],
                    "predicted": str(verdict.label),
                    "score": round(verdict.score, 3),
                }
            )

    status = _each_line(args, "eval", "evaluating", eval_line)
    if status != 0:
        return status
    metrics = compute_metrics(pairs)
    metrics["skipped"] = skipped
    if args.errors:
        metrics["errors"] = errors
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False, indent=2))
    else:
        _print_tables(metrics)
    return 0


def _print_tables(metrics: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    t = Table(title=f"Per label ({metrics['messages']} messages, {metrics['skipped']} skipped)")
    for col in ("label", "precision", "recall", "F1", "support"):
        t.add_column(col, justify="right" if col != "label" else "left")
    for label, m in metrics["labels"].items():
        figures = (m["precision"], m["recall"], m["f1"])
        t.add_row(label, *(f"{x:.3f}" for x in figures), str(m["support"]))
    console.print(t)

    t = Table(title="Per language (offer label)")
    for col in ("lang", "messages", "accuracy", "precision", "recall", "F1", "offers"):
        t.add_column(col, justify="right" if col != "lang" else "left")
    for lang, m in metrics["languages"].items():
        o = m["offer"]
        t.add_row(
            lang,
            str(m["messages"]),
            f"{m['accuracy']:.3f}",
            f"{o['precision']:.3f}",
            f"{o['recall']:.3f}",
            f"{o['f1']:.3f}",
            str(o["support"]),
        )
    console.print(t)

    t = Table(title="Confusion matrix (rows: gold, columns: predicted)")
    t.add_column("gold \\ predicted")
    for label in LABELS:
        t.add_column(label, justify="right")
    for gold, row in metrics["confusion"].items():
        t.add_row(gold, *(str(row[p]) for p in LABELS))
    console.print(t)
    for err in metrics.get("errors", []):
        console.print(f"  {err['id']}: gold {err['gold']}, predicted {err['predicted']} "
                      f"({err['score']})")  # fmt: skip
