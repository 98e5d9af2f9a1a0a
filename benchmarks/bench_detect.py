"""Detection throughput and latency: normalise + detect on one core, no I/O.

    .venv/bin/python benchmarks/bench_detect.py            # shared tweets + corpus, 2 lexicons
    .venv/bin/python benchmarks/bench_detect.py --json     # the same figures as JSON

Measures, with every language pack loaded:

* messages per second over the real tweets in ``../shared/corpora`` (when present) and over the
  labelled corpus ``tests/data/corpus.jsonl``;
* per-message latency percentiles (p50, p99, max);
* the same with the lexicon grown by 50,000 synthetic terms (random words and phrases in Latin,
  Arabic and Ge'ez letters spread over the packs and categories), to show that matching cost
  does not grow with the lexicon (one Aho-Corasick automaton, no loop over terms).

Each run first makes one untimed pass (as a running bot would be warm: the per-word folding
cache is filled), then times ``--rounds`` passes and keeps the best, which is the least disturbed
by other processes. The process is pinned to one CPU where the OS allows it. The machine
(CPU model, cores, Python) is printed with the figures so they can go into docs/performance.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from core._detect import DEFAULT_CONFIG_DIR, Detector  # noqa: E402
from core._lexicon import TermHit  # noqa: E402

CATEGORIES = (
    "route", "vehicle", "crossing", "commercial", "contact", "documents", "seeking", "counter",
)  # fmt: skip
ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyzçéëêşğıöü",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويپچژگک",
    "ሀለሐመሠረሰሸቀበተቸኀነኘአከኸወዐዘዠየደጀገጠጨጰጸፀፈፐ",
)


def load_texts(path: Path, limit: int | None = None) -> list[str]:
    texts: list[str] = []
    for file in sorted(path.glob("*.jsonl")) if path.is_dir() else [path]:
        with file.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    texts.append(json.loads(line)["text"])
                except (ValueError, KeyError, TypeError):
                    continue
                if limit and len(texts) >= limit:
                    return texts
    return texts


def synthetic_terms(n: int, langs: list[str], seed: int = 7) -> tuple[TermHit, ...]:
    """``n`` made-up terms: words of 4-10 letters, a third of them two-word phrases."""
    rng = random.Random(seed)
    out: list[TermHit] = []
    for i in range(n):
        alphabet = ALPHABETS[0] if i % 10 < 5 else ALPHABETS[1] if i % 10 < 8 else ALPHABETS[2]
        words = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(4, 10)))
            for _ in range(1 if rng.random() < 0.67 else 2)
        ]
        out.append(TermHit(rng.choice(langs), rng.choice(CATEGORIES), " ".join(words)))
    return tuple(out)


def measure(detector: Detector, texts: list[str], rounds: int) -> dict[str, float]:
    detect = detector.detect
    for text in texts:  # warm-up: fills the per-word cache as a running bot would have it
        detect(text)
    best = best_cpu = float("inf")
    gc.disable()
    try:
        for _ in range(rounds):
            start, start_cpu = time.perf_counter(), time.process_time()
            for text in texts:
                detect(text)
            best = min(best, time.perf_counter() - start)
            best_cpu = min(best_cpu, time.process_time() - start_cpu)
        clock = time.perf_counter_ns
        lat: list[int] = []
        for text in texts:
            t0 = clock()
            detect(text)
            lat.append(clock() - t0)
    finally:
        gc.enable()
    lat.sort()
    return {
        "messages": len(texts),
        "msgs_per_s": round(len(texts) / best),
        # CPU time of this process only: what one core delivers even when other processes
        # share the machine (wall-clock figures then understate it)
        "msgs_per_cpu_s": round(len(texts) / best_cpu) if best_cpu > 0 else 0,
        "mean_us": round(best / len(texts) * 1e6, 1),
        "p50_us": round(statistics.median(lat) / 1000, 1),
        "p99_us": round(lat[int(len(lat) * 0.99)] / 1000, 1),
        "max_us": round(lat[-1] / 1000, 1),
    }


def machine() -> dict[str, str | int]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model,
        "nproc": os.cpu_count() or 0,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timed passes (the best is kept)")
    parser.add_argument("--extra-terms", type=int, default=50_000)
    parser.add_argument("--limit", type=int, default=None, help="use at most N tweets")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        except OSError:
            pass

    sets: dict[str, list[str]] = {}
    shared = REPO.parent / "shared" / "corpora"
    if shared.is_dir():
        sets["shared tweets"] = load_texts(shared, args.limit)
    corpus = REPO / "tests" / "data" / "corpus.jsonl"
    if corpus.is_file():
        sets["corpus"] = load_texts(corpus)

    t0 = time.perf_counter()
    base = Detector.from_dir(DEFAULT_CONFIG_DIR)
    base_build = time.perf_counter() - t0
    extra = synthetic_terms(args.extra_terms, sorted(base.packs))
    t0 = time.perf_counter()
    big = Detector.from_dir(DEFAULT_CONFIG_DIR, extra=extra)
    big_build = time.perf_counter() - t0

    results: dict[str, object] = {
        "machine": machine(),
        "lexicons": {
            "packs": {
                "packs": len(base.packs),
                "terms": base.lexicon.term_count,
                "keys": base.lexicon.key_count,
                "build_s": round(base_build, 2),
            },
            "packs+synthetic": {
                "terms": big.lexicon.term_count,
                "keys": big.lexicon.key_count,
                "build_s": round(big_build, 2),
            },
        },
        "runs": {},
    }
    runs: dict[str, dict[str, float]] = {}
    for name, texts in sets.items():
        runs[f"{name} / packs"] = measure(base, texts, args.rounds)
        runs[f"{name} / packs+{args.extra_terms} terms"] = measure(big, texts, args.rounds)
    results["runs"] = runs
    for name in sets:
        small = runs[f"{name} / packs"]["msgs_per_s"]
        large = runs[f"{name} / packs+{args.extra_terms} terms"]["msgs_per_s"]
        results[f"slowdown {name}"] = round(small / large, 2) if large else None

    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    m = results["machine"]
    assert isinstance(m, dict)
    print(f"machine: {m['cpu']}, {m['nproc']} cores, Python {m['python']}")
    lex = results["lexicons"]
    assert isinstance(lex, dict)
    for name, info in lex.items():
        print(f"lexicon {name}: {info}")
    print(
        f"{'run':40s} {'msgs/s':>8s} {'msgs/cpu-s':>10s} {'mean µs':>8s} {'p50 µs':>7s} "
        f"{'p99 µs':>7s} {'max µs':>8s}"
    )
    for name, r in runs.items():
        print(
            f"{name:40s} {r['msgs_per_s']:8.0f} {r['msgs_per_cpu_s']:10.0f} {r['mean_us']:8.1f} "
            f"{r['p50_us']:7.1f} {r['p99_us']:7.1f} {r['max_us']:8.1f}"
        )
    for key, value in results.items():
        if key.startswith("slowdown"):
            print(f"{key} with {args.extra_terms} extra terms: {value}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
