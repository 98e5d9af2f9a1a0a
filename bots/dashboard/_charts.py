"""Small server-rendered SVG charts: no JavaScript, no CDN, nothing for the CSP to allow.

Each function returns :class:`markupsafe.Markup` built only from numbers and escaped labels.
Colours come from CSS classes (``s0``..``s7``) in ``dashboard.css``; each bar carries a
``<title>`` so hovering shows the exact figure.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

__all__ = ["hbars", "histogram", "legend", "stacked_bars"]

PALETTE = 8


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def legend(names: Sequence[str]) -> Markup:
    items = "".join(
        f'<li><span class="swatch s{i % PALETTE}"></span>{_e(name)}</li>'
        for i, name in enumerate(names)
    )
    return Markup(f'<ul class="legend">{items}</ul>')


def stacked_bars(
    days: Sequence[str],
    series: dict[str, list[int]],
    *,
    title: str,
    width: int = 1100,
    height: int = 200,
) -> Markup:
    """Columns per day, stacked by series (e.g. volume per day by label)."""
    left, bottom, top = 36, 22, 8
    plot_h = height - bottom - top
    n = max(1, len(days))
    totals = [sum(vals[i] for vals in series.values()) for i in range(len(days))]
    ymax = _nice_max(max(totals, default=0))
    slot = (width - left) / n
    bar_w = max(2.0, slot * 0.7)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">',
        f"<title>{_e(title)}</title>",
    ]
    for frac in (0, 0.5, 1):
        y = top + plot_h * (1 - frac)
        parts.append(f'<line class="grid" x1="{left}" x2="{width}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="axis" x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">'
            f"{ymax * frac:g}</text>"
        )
    for i, day in enumerate(days):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for s, (name, vals) in enumerate(series.items()):
            v = vals[i] if i < len(vals) else 0
            if v <= 0:
                continue
            h = plot_h * v / ymax
            y -= h
            parts.append(
                f'<rect class="s{s % PALETTE}" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}"><title>{_e(day)} · {_e(name)}: {v}</title></rect>'
            )
        if n <= 16 or i % 2 == 0:
            parts.append(
                f'<text class="axis" x="{x + bar_w / 2:.1f}" y="{height - 6}" '
                f'text-anchor="middle">{_e(day[5:])}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def hbars(
    items: Sequence[tuple[str, float, str]], *, title: str, max_value: float | None = None
) -> Markup:
    """Horizontal bars: ``(label, value, caption)``; ``caption`` is printed after the bar."""
    width, row_h, label_w, cap_w = 640, 24, 150, 120
    height = max(row_h, row_h * len(items)) + 4
    vmax = (
        max_value if max_value is not None else _nice_max(max((v for _, v, _ in items), default=0))
    )
    plot_w = width - label_w - cap_w
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">',
        f"<title>{_e(title)}</title>",
    ]
    if not items:
        parts.append('<text class="axis" x="4" y="16">no data yet</text>')
    for i, (label, value, caption) in enumerate(items):
        y = i * row_h + 2
        w = 0.0 if vmax <= 0 else plot_w * max(0.0, min(value, vmax)) / vmax
        parts.append(
            f'<text class="label" x="{label_w - 6}" y="{y + 16}" text-anchor="end">'
            f"{_e(label)}</text>"
            f'<rect class="track" x="{label_w}" y="{y + 3}" width="{plot_w}" height="{row_h - 8}"/>'
            f'<rect class="s{i % PALETTE}" x="{label_w}" y="{y + 3}" width="{w:.1f}" '
            f'height="{row_h - 8}"><title>{_e(label)}: {_e(caption)}</title></rect>'
            f'<text class="axis" x="{label_w + plot_w + 6}" y="{y + 16}">{_e(caption)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram(
    values: Sequence[float],
    edges: Sequence[float],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
) -> Markup:
    """Counts of ``values`` in buckets ``[edges[i], edges[i+1])``, the last one open-ended.

    Bars are drawn against the total, so a bar's length is its share of all values.
    """
    counts = [0] * len(edges)
    for v in values:
        k = 0
        for i, edge in enumerate(edges):
            if v >= edge:
                k = i
        counts[k] += 1
    labels = [
        f"≥ {fmt(edges[i])}" if i == len(edges) - 1 else f"< {fmt(edges[i + 1])}"
        for i in range(len(edges))
    ]
    total = len(values)
    return hbars(
        [
            (labels[i], float(c), f"{c} ({100 * c / total:.0f}%)" if total else "0")
            for i, c in enumerate(counts)
        ],
        title=title,
        max_value=float(max(1, total)),
    )
