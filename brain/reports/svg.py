"""Inline SVG charts for the report pages: histograms and scatter plots.

No JavaScript and no network: a chart is a string of SVG elements, each bar or
dot with a ``<title>`` the browser shows on hover. Values are drawn as given;
a caller that wants a log axis passes logarithms and a ``tick`` that turns an
axis position back into the value to print.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .html import esc

#: width of a chart, pixels
WIDTH = 420
#: height of a histogram, pixels
HISTOGRAM_HEIGHT = 200
#: margin around the plotting area, for the axis labels
PAD = 30
#: bars of a histogram
BINS = 24
#: the fill of bars and of dots without a colour
COLOUR = "#3b6fd8"


def _fmt(v: float) -> str:
    return f"{v:.3g}"


def _attrs(attrs: dict[str, str] | None) -> str:
    return "".join(f' {k}="{esc(v)}"' for k, v in (attrs or {}).items())


def histogram(
    values: Sequence[float], *, label: str, css_class: str = "histogram",
    bins: int = BINS, lo: float | None = None, hi: float | None = None,
    tick: Callable[[float], str] = _fmt, marks: Sequence[tuple[float, str]] = (),
    attrs: dict[str, str] | None = None, width: int = WIDTH, height: int = HISTOGRAM_HEIGHT,
) -> str:  # fmt: skip
    """A histogram of ``values`` (NaN and infinities left out) as an ``<svg>``.

    Args:
        values: the numbers to count.
        label: the chart's caption (what the x axis measures).
        css_class: the ``<svg>``'s class.
        bins: bars.
        lo, hi: the axis range (default: the values' own, widened when all equal).
        tick: prints an axis position (the range's ends, a bar's bounds, a mark).
        marks: ``(position, caption)`` of vertical lines, e.g. a flag's threshold.
        attrs: more attributes of the ``<svg>`` (``data-*``).
        width, height: pixels.

    Returns:
        The SVG, or "" when no value is finite.
    """
    vals = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return ""
    lo = min(vals) if lo is None else lo
    hi = max(vals) if hi is None else hi
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    step = (hi - lo) / bins
    counts = [0] * bins
    for v in vals:
        counts[min(max(int((v - lo) / step), 0), bins - 1)] += 1
    top = max(counts) or 1
    inner = height - 2 * PAD
    bar = (width - 2 * PAD) / bins
    bars = "".join(
        f'<rect x="{PAD + i * bar:.1f}" y="{height - PAD - c / top * inner:.1f}" '
        f'width="{max(bar - 1, 0.5):.1f}" height="{c / top * inner:.1f}" fill="{COLOUR}">'
        f"<title>{esc(tick(lo + i * step))}–{esc(tick(lo + (i + 1) * step))}: {c}</title></rect>"
        for i, c in enumerate(counts)
    )  # fmt: skip

    def x(v: float) -> float:
        return PAD + (v - lo) / (hi - lo) * (width - 2 * PAD)

    lines = "".join(
        f'<line class="mark" x1="{x(v):.1f}" y1="{PAD - 6}" x2="{x(v):.1f}" y2="{height - PAD}" '
        f'stroke="#c0392b" stroke-dasharray="3 2"><title>{esc(text)}</title></line>'
        for v, text in marks if lo <= v <= hi
    )  # fmt: skip
    axis = (f'<text x="{PAD}" y="{height - 8}" font-size="12">{esc(tick(lo))}</text>'
            f'<text x="{width - PAD}" y="{height - 8}" font-size="12" text-anchor="end">'
            f"{esc(tick(hi))}</text>"
            f'<text x="{PAD}" y="16" font-size="12" font-weight="600">{esc(label)}</text>'
            f'<text x="{width / 2}" y="{height - 8}" font-size="11" fill="#667" '
            f'text-anchor="middle">{len(vals)} images, tallest bar {top}</text>')  # fmt: skip
    return (f'<svg class="{esc(css_class)}"{_attrs(attrs)} width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">{bars}{lines}{axis}</svg>')  # fmt: skip


@dataclass(frozen=True)
class Dot:
    """One point of a scatter plot: position, hover text, colour and a ``data-class``."""

    x: float
    y: float
    title: str
    colour: str = COLOUR
    cls: str | None = None


def scatter(
    dots: Sequence[Dot], *, css_class: str, xlabel: str = "", ylabel: str = "",
    same_scale: bool = False, diagonal: bool = False, radius: float = 3.0, size: int = WIDTH,
) -> str:  # fmt: skip
    """A square scatter plot of ``dots`` as an ``<svg>``.

    Args:
        dots: the points.
        css_class: the ``<svg>``'s class.
        xlabel, ylabel: the axes' captions.
        same_scale: one range for both axes (so that the diagonal means x = y).
        diagonal: draw the line x = y (with ``same_scale``).
        radius: of each dot, pixels.
        size: width and height, pixels.

    Returns:
        The SVG, or "" without dots.
    """
    if not dots:
        return ""
    pad = 40
    xs, ys = [d.x for d in dots], [d.y for d in dots]
    if same_scale:
        xlo = ylo = min(xs + ys)
        xhi = yhi = max(xs + ys)
    else:
        xlo, xhi, ylo, yhi = min(xs), max(xs), min(ys), max(ys)

    def pos(v: float, lo: float, hi: float) -> float:
        return pad + (v - lo) / max(hi - lo, 1e-9) * (size - 2 * pad)

    out = []
    if diagonal:
        out.append(f'<line x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{pad}" '
                   'stroke="#ccc"/>')  # fmt: skip
    for d in dots:
        cls = f' data-class="{esc(d.cls)}"' if d.cls is not None else ""
        out.append(f'<circle cx="{pos(d.x, xlo, xhi):.1f}" cy="{size - pos(d.y, ylo, yhi):.1f}" '
                   f'r="{radius:g}" fill="{esc(d.colour)}" fill-opacity="0.6"{cls}>'
                   f"<title>{esc(d.title)}</title></circle>")  # fmt: skip
    if xlabel:
        out.append(f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" font-size="12">'
                   f"{esc(xlabel)}</text>")  # fmt: skip
    if ylabel:
        out.append(f'<text x="12" y="{size / 2}" font-size="12" text-anchor="middle" '
                   f'transform="rotate(-90 12 {size / 2})">{esc(ylabel)}</text>')  # fmt: skip
    return (f'<svg class="{esc(css_class)}" width="{size}" height="{size}" '
            f'viewBox="0 0 {size} {size}">{"".join(out)}</svg>')  # fmt: skip
