"""The step-size sweep as inline SVG for the HTML page: one log-log panel per parameter, one line per method.

No matplotlib and no font files: text, lines and markers written out as SVG elements. Each method has its own
colour, dash pattern and marker shape, so the lines stay apart without colour (in print, or for a reader who does
not see it); each panel has a <title> and a <desc> that says in words what the lines show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np

from gradcheck.check.convergence import SweepResult
from gradcheck.engine.methods import RULES, Method
from gradcheck.engine.model import Array
from gradcheck.render.cells import sci

WIDTH, HEIGHT = 360, 270
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 28, 44  # the plot area's margins: room for the tick labels and axis titles
SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


@dataclass(frozen=True)
class Look:
    """How a method's line is drawn: colour (at least 3:1 against white, WCAG 1.4.11), dashes and marker."""

    colour: str
    dashes: str
    marker: str  # circle, square, triangle or diamond


LOOKS = {
    Method.CENTRAL: Look("#0b5cad", "", "circle"),
    Method.FORWARD: Look("#b3400a", "7 3", "square"),
    Method.RICHARDSON: Look("#1d7a46", "2 3", "triangle"),
    Method.COMPLEX_STEP: Look("#7d3c98", "9 3 2 3", "diamond"),
}


def _marker(look: Look, x: float, y: float, size: float = 3.6) -> str:
    """One marker centred at (x, y), filled white so that overlapping lines stay visible through it."""
    paint = f'fill="#fff" stroke="{look.colour}" stroke-width="1.4"'
    if look.marker == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" {paint}/>'
    if look.marker == "square":
        return f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" height="{2 * size:.1f}" {paint}/>'
    if look.marker == "triangle":
        return f'<path d="M{x:.1f} {y - 1.2 * size:.1f}l{size:.1f} {2 * size:.1f}h{-2 * size:.1f}z" {paint}/>'
    half = 1.3 * size
    return f'<path d="M{x:.1f} {y - half:.1f}l{size:.1f} {half:.1f}l{-size:.1f} {half:.1f}l{-size:.1f} {-half:.1f}z" {paint}/>'


def _power_of_ten(exponent: int) -> str:
    """10⁻⁵, in Unicode superscripts."""
    return "10" + str(exponent).translate(SUPERSCRIPT)


@dataclass(frozen=True)
class _Axes:
    """Decades shown on each axis (log10 of ε and of the error) and the mapping into the panel."""

    x_low: int
    x_high: int
    y_low: int
    y_high: int

    def x(self, eps: float) -> float:
        return LEFT + (math.log10(eps) - self.x_low) / (self.x_high - self.x_low) * (WIDTH - LEFT - RIGHT)

    def y(self, error: float) -> float:
        return TOP + (self.y_high - math.log10(error)) / (self.y_high - self.y_low) * (HEIGHT - TOP - BOTTOM)


def _axes_for(eps: Array, curves: list[Array]) -> _Axes:
    """Whole decades around the steps and around every positive, finite error (1e-16 … 1 when there is none)."""
    values = np.concatenate([c[np.isfinite(c) & (c > 0)] for c in curves]) if curves else np.empty(0)
    low = math.floor(math.log10(values.min())) if values.size else -16
    high = math.ceil(math.log10(values.max())) if values.size else 0
    return _Axes(math.floor(math.log10(eps.min())), math.ceil(math.log10(eps.max())), low, max(high, low + 1))


def _grid(axes: _Axes) -> str:
    """Gridlines and tick labels every decade on x, every decade or two on y; the axis titles."""
    parts = []
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    for k in range(axes.x_low, axes.x_high + 1, 2):
        x = axes.x(10.0**k)
        parts.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{bottom}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle">{_power_of_ten(k)}</text>')
    stride = 1 if axes.y_high - axes.y_low <= 8 else 2
    for k in range(axes.y_high, axes.y_low - 1, -stride):
        y = axes.y(10.0**k)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end">{_power_of_ten(k)}</text>')
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{right - LEFT}" height="{bottom - TOP}" class="frame"/>')
    parts.append(f'<text x="{(LEFT + right) / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle">step ε</text>')
    middle = (TOP + bottom) / 2
    parts.append(f'<text transform="translate(13 {middle:.1f}) rotate(-90)" text-anchor="middle">relative error</text>')
    return "".join(parts)


def _line(axes: _Axes, eps: Array, errors: Array, look: Look) -> str:
    """A method's curve: a path broken where the error is 0, NaN or inf (no point on a log axis), with its markers."""
    usable = np.isfinite(errors) & (errors > 0)
    points = [(axes.x(float(e)), axes.y(float(v))) if ok else None for e, v, ok in zip(eps, errors, usable, strict=True)]
    path, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{point[0]:.1f} {point[1]:.1f}")
        pen_down = True
    dashes = f' stroke-dasharray="{look.dashes}"' if look.dashes else ""
    drawn = f'<path d="{"".join(path)}" fill="none" stroke="{look.colour}" stroke-width="1.6"{dashes}/>' if path else ""
    return drawn + "".join(_marker(look, *point) for point in points if point is not None)


def _auto_line(axes: _Axes, step: float, look: Look) -> str:
    """The step eps = "auto" takes (|θ| ≤ 1), as a thin vertical line in the method's colour and dashes."""
    x = axes.x(step)
    dashes = f' stroke-dasharray="{look.dashes or "1 3"}"'
    return f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{HEIGHT - BOTTOM}" stroke="{look.colour}" stroke-width="1"{dashes}/>'


def bottom(eps: Array, errors: Array) -> tuple[float, float] | None:
    """Where a curve bottoms out: (its smallest finite error, the step there), None when no point is finite."""
    finite = np.where(np.isfinite(errors), errors, np.inf)
    if not np.isfinite(finite).any():
        return None
    k = int(np.argmin(finite))
    return float(errors[k]), float(eps[k])


def smallest(eps: Array, errors: Array) -> str:
    """Where a curve bottoms out, in words: "smallest 3.10e-11 at ε = 1.0e-05" (or that it has no finite point)."""
    found = bottom(eps, errors)
    return "no finite error" if found is None else f"smallest {sci(found[0])} at ε = {found[1]:.1e}"


def panel(result: SweepResult, name: str, number: int) -> str:
    """One parameter's panel: every method's curve and auto step, titled ∇name L, described in words."""
    curves = {method: errors[name] for method, errors in result.errors.items()}
    axes = _axes_for(result.eps, list(curves.values()))
    drawn = []
    for method, errors in curves.items():
        look = LOOKS[Method(method)]
        auto = result.auto[method]
        drawn.append(_auto_line(axes, auto, look) if auto is not None else "")
        drawn.append(_line(axes, result.eps, errors, look))
    words = "; ".join(f"{RULES[Method(m)].title}: {smallest(result.eps, e)}" for m, e in curves.items())
    title = f"∇{name} L: norm-wise relative error against the step ε, log-log"
    return (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="sweep-{number}-t sweep-{number}-d" class="plot">'
        f'<title id="sweep-{number}-t">{escape(title)}</title><desc id="sweep-{number}-d">{escape(words)}</desc>'
        f'<text x="{LEFT}" y="{TOP - 10}" class="panel-title">∇{escape(name)} L</text>'
        f"{_grid(axes)}{''.join(drawn)}</svg>"
    )


def legend_key(method: str) -> str:
    """A short sample of a method's line with its marker, for the legend beside the panels."""
    look = LOOKS[Method(method)]
    dashes = f' stroke-dasharray="{look.dashes}"' if look.dashes else ""
    sample = f'<line x1="2" y1="8" x2="40" y2="8" stroke="{look.colour}" stroke-width="1.8"{dashes}/>'
    return f'<svg viewBox="0 0 42 16" width="42" height="16" aria-hidden="true">{sample}{_marker(look, 21, 8)}</svg>'
