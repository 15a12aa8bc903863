"""Pictures of what-if answers: a figure over one varied field (lines) or two (a heat
map), and agents by hour of the week, now against needed.

Like :mod:`ivr.present.plots`, every function takes plain values and returns a
:class:`matplotlib.figure.Figure` on an Agg canvas (``plots.render`` writes it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from ivr.present.plots import SERIES, _new, _styled

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _label(figure: str) -> str:
    """A figure's name in words; a field's path as written (``staff.X.agents``)."""
    return figure if "." in figure else figure.replace("_", " ")


@_styled
def sweep_lines(x_name: str, x: Sequence[float], series: Mapping[str, Sequence[float]],
                figure: str, *, share: bool = False) -> Figure:
    """One line per series (menu, or the values of a second field) of ``figure`` over
    the values of one varied field."""
    fig = _new(7.0, 3.8)
    ax = fig.add_subplot()
    for k, (name, ys) in enumerate(series.items()):
        ax.plot(list(x), [100 * y if share else y for y in ys], marker="o", markersize=3,
                color=SERIES[k % len(SERIES)], label=name)
    ax.set_xlabel(_label(x_name))
    ax.set_ylabel(_label(figure) + (" (%)" if share else ""))
    ax.grid(True, alpha=0.3)
    if len(series) > 1:
        ax.legend(frameon=False, fontsize="small")
    ax.set_title(f"{_label(figure)} over {_label(x_name)}")
    return fig


@_styled
def sweep_heatmap(x_name: str, x: Sequence[float], y_name: str, y: Sequence[float],
                  z: np.ndarray, figure: str, *, share: bool = False) -> Figure:
    """A heat map of ``figure`` (``z[iy, ix]``) over two varied fields."""
    fig = _new(7.5, 4.8)
    ax = fig.add_subplot()
    values = np.asarray(z, dtype=float) * (100.0 if share else 1.0)
    mesh = ax.pcolormesh(_edges(x), _edges(y), values, cmap="viridis_r"
                         if figure in ("abandoned", "human_seconds", "asa") else "viridis",
                         shading="flat")
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(_label(figure) + (" (%)" if share else ""))
    ax.set_xlabel(_label(x_name))
    ax.set_ylabel(_label(y_name))
    ax.set_title(f"{_label(figure)} by {_label(x_name)} and {_label(y_name)}")
    if values.size <= 150:
        for iy, yv in enumerate(y):
            for ix, xv in enumerate(x):
                v = values[iy, ix]
                if math.isfinite(v):
                    r, g, b, _ = mesh.cmap(mesh.norm(v))
                    ink = "black" if 0.3 * r + 0.59 * g + 0.11 * b > 0.5 else "white"
                    ax.text(xv, yv, f"{v:.0f}" if abs(v) >= 10 else f"{v:.1f}",
                            ha="center", va="center", fontsize=6, color=ink)
    return fig


def _edges(values: Sequence[float]) -> np.ndarray:
    """Cell edges around sorted centres (half way between neighbours)."""
    v = np.asarray(values, dtype=float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


@_styled
def agents_by_hour(queues: Mapping[str, tuple[Sequence[int], Sequence[int]]],
                   title: str) -> Figure:
    """Agents in each hour of the week (Monday 00:00 first), now and needed, one panel
    per queue."""
    n = max(1, len(queues))
    fig = _new(9.0, 1.0 + 1.6 * n)
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)[:, 0]
    hours = np.arange(169)
    for ax, (name, (now, needed)) in zip(axes, queues.items(), strict=True):
        ax.step(hours, [*now, now[-1]], where="post", color="#888888", label="now")
        ax.step(hours, [*needed, needed[-1]], where="post", color=SERIES[0],
                label="needed")
        ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize="small")
        ax.set_ylim(bottom=0)
        ax.grid(True, axis="y", alpha=0.3)
        for d in range(1, 7):
            ax.axvline(24 * d, color="#dddddd", linewidth=0.8)
    axes[0].legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[0].set_title(title)
    axes[-1].set_xticks([24 * d + 12 for d in range(7)], _DAYS)
    axes[-1].set_xlim(0, 168)
    return fig


__all__ = ["agents_by_hour", "sweep_heatmap", "sweep_lines"]
