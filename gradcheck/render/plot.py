"""The step-size sweep as a log-log figure (matplotlib, an optional extra: pip install 'gradcheck[plot]')."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from gradcheck.check.convergence import SweepResult
from gradcheck.errors import GradcheckError

PLOT_SUFFIXES = (".png", ".svg")


def pyplot(path: Path) -> Any:
    """matplotlib's pyplot for a figure written to `path`; checked before the sweep runs, so a bad name or a missing
    matplotlib fails at once rather than after minutes of work."""
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise GradcheckError(f"--plot: {os.fsencode(path).decode('utf-8', 'replace')}: use a .png or .svg file name")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise GradcheckError("--plot needs matplotlib: pip install 'gradcheck[plot]'") from None
    return plt


def plot_sweep(result: SweepResult, path: Path) -> Callable[[IO[bytes]], None]:
    """One panel per parameter, one line per method, the auto step marked: the V of truncation against round-off.

    Returns the writer of the figure in the format `path` names, for the caller's safe file writer."""
    plt = pyplot(path)
    names = list(next(iter(result.errors.values())))
    columns = min(3, len(names))
    rows = -(-len(names) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False, sharex=True)
    colours = dict(zip(result.errors, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for ax, name in zip(axes.flat, names, strict=False):
        for method, curves in result.errors.items():
            ax.loglog(result.eps, curves[name], marker="o", markersize=3, color=colours[method], label=method)
            auto = result.auto[method]
            if auto is not None:
                ax.axvline(auto, color=colours[method], linestyle="--", linewidth=1)
        ax.set_title(f"∇{name} L")
        ax.set_xlabel("step ε")
        ax.set_ylabel("norm-wise relative error")
        ax.grid(True, which="major", alpha=0.3)
    spare = list(axes.flat)[len(names) :]
    for ax in spare:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    where = spare[0] if spare else figure
    where.legend(handles, labels, loc="center" if spare else "lower right", title="dashed line: the auto step")
    I, H, O, tau = result.config.sizes
    figure.suptitle(f"gradcheck sweep: error against step (I = {I}, H = {H}, O = {O}, τ = {tau})")
    figure.tight_layout()
    fmt = path.suffix.lower().lstrip(".")

    def write(handle: IO[bytes]) -> None:
        try:
            figure.savefig(handle, format=fmt, dpi=120)
        finally:
            plt.close(figure)

    return write
