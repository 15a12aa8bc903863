"""Pictures of what a menu does to callers: outcome shares, time to a person, callers still
in the menu over time, the menu as a traffic heat map, and the per-node funnel.

Every function takes plain results (:class:`~ivr.callers.metrics.Summary`,
:class:`~ivr.callers.simulate.SimResult`, :class:`~ivr.model.Menu`) and returns a
:class:`matplotlib.figure.Figure` built with the object-oriented API on an Agg canvas:
no pyplot, no window, no global state. Only :func:`render` turns a figure into PNG or SVG
bytes, with no date or version in them, so the same seed gives the same file.
"""

from __future__ import annotations

import io
import math
import textwrap
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, TypeVar

import matplotlib as mpl
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.ticker import PercentFormatter
from scipy.sparse import csgraph

from ivr.callers.chain import ABANDONED, HUMAN, Chain
from ivr.callers.exact import ExactResult
from ivr.callers.metrics import Rate, Summary, funnel
from ivr.callers.simulate import BIN, SimResult
from ivr.model import HANGUP, Menu
from ivr.present.tables import ORDER
from ivr.structure.topology import KIND_CODES, Topology

#: Outcome colours: a person green, self-service blue, the bad endings warm.
OUTCOME_COLOURS = {
    "human": "#2e7d32", "served": "#1f6fb4", "voicemail": "#8e7cc3",
    "transferred": "#4db6ac", "misrouted": "#f0a030", "abandoned": "#d1495b",
    "disconnected": "#7b1e2b", "stuck": "#555555",
}
#: Line colours for variants (colour-blind safe, Okabe-Ito).
SERIES = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
#: Marker and ring colour per node kind in the heat map.
KIND_STYLE = {
    "menu": ("o", 260, "#333333"), "message": ("p", 170, "#333333"),
    "input": ("h", 230, "#333333"), "branch": ("D", 120, "#333333"),
    "agent": ("*", 520, "#1b5e20"), "self_service": ("s", 190, "#1f6fb4"),
    "voicemail": ("s", 190, "#6a5acd"), "transfer": (">", 200, "#00796b"),
    "hangup": ("X", 220, "#7b1e2b"), "(hangup)": ("X", 220, "#7b1e2b"),
}
#: Heat maps of bigger menus show only this many of the busiest nodes.
HEATMAP_LIMIT = 150
#: Most nodes stacked in one column of the heat map (a longer layer wraps).
MAX_ROWS = 14
#: Most points a curve keeps (bins are merged beyond it).
MAX_POINTS = 2000

STYLE: Any = {  # matplotlib rcParams (typed Any: its stubs list every key)
    "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 11,
    "axes.titleweight": "bold", "axes.titlelocation": "left", "axes.titlepad": 10,
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#888888",
    "axes.grid": True, "grid.color": "#e6e6e6", "grid.linewidth": 0.8,
    "axes.axisbelow": True, "xtick.color": "#444444", "ytick.color": "#444444",
    "legend.frameon": False, "figure.facecolor": "white", "svg.hashsalt": "ivr",
    "text.parse_math": False,  # menu names and ids are shown as written ("$5 fee")
}

#: Fonts tried, in this order, for characters DejaVu Sans lacks (Japanese, Chinese,
#: Korean); matplotlib falls back glyph by glyph through the ones installed.
FALLBACK_FONTS = (
    "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK KR",
    "Source Han Sans", "Source Han Sans JP", "Source Han Sans SC", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Noto Sans JP", "Noto Sans SC", "Noto Sans KR", "IPAexGothic",
    "IPAGothic", "Droid Sans Fallback",
)
_FALLBACK_FILES = ("notosanscjk", "sourcehansans", "wqy", "ipag", "ipaexg", "droidsansfallback",
                   "notosansjp", "notosanssc", "notosanskr")
#: Ignored when matplotlib names a missing glyph: :func:`missing_glyphs` says it once.
_GLYPH_WARNING = r"(?s).*Glyph .* missing from"

F = TypeVar("F", bound=Callable[..., Figure])


@lru_cache(maxsize=1)
def fonts() -> tuple[str, ...]:
    """The font family list plots use: DejaVu Sans, then the installed fallbacks."""
    from matplotlib import font_manager
    manager = font_manager.fontManager
    installed = {f.name for f in manager.ttflist}
    if not installed.intersection(FALLBACK_FONTS):
        # matplotlib's font cache predates fonts installed since: look for them once.
        for path in font_manager.findSystemFonts():
            if any(k in path.lower().replace("-", "") for k in _FALLBACK_FILES):
                try:
                    manager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        installed = {f.name for f in manager.ttflist}
    return ("DejaVu Sans", *(name for name in FALLBACK_FONTS if name in installed))


@lru_cache(maxsize=8)
def _charmap(family: str) -> frozenset[int]:
    from matplotlib import font_manager, ft2font
    path = font_manager.findfont(font_manager.FontProperties(family=family),
                                 fallback_to_default=False)
    return frozenset(ft2font.FT2Font(path).get_charmap())


def missing_glyphs(texts: Iterable[str | None]) -> str | None:
    """One line saying which characters of ``texts`` (names, ids, labels a plot shows)
    no installed font can draw, and what to install; None when every one can.

    Examples
    --------
    >>> missing_glyphs(["main menu", "főmenü", "Связаться"]) is None
    True
    """
    have = frozenset().union(*(_charmap(f) for f in fonts()))
    lacking = sorted({c for t in texts if t for c in t
                      if ord(c) not in have and not c.isspace()
                      and unicodedata.category(c)[0] in "LNS"})
    if not lacking:
        return None
    cjk = any(0x2E80 <= ord(c) <= 0x9FFF or 0xAC00 <= ord(c) <= 0xD7AF or
              0xF900 <= ord(c) <= 0xFAFF for c in lacking)
    what = ("a CJK font: fonts-noto-cjk (Debian, Ubuntu), or Noto Sans CJK / Source Han "
            "Sans" if cjk else "a font with these characters, such as fonts-noto-core")
    sample = "".join(lacking[:8])
    return (f"the plots cannot draw {len(lacking)} characters ({sample}"
            f"{'...' if len(lacking) > 8 else ''}): they show as boxes; install {what}")


def _style() -> Any:  # rcParams (typed Any, as STYLE)
    return {**STYLE, "font.family": list(fonts())}


def _styled(func: F) -> F:
    """Build the figure under the house style, without touching global settings."""
    @wraps(func)
    def inner(*args: Any, **kwargs: Any) -> Figure:
        with mpl.rc_context(_style()), warnings.catch_warnings():
            warnings.filterwarnings("ignore", _GLYPH_WARNING)
            return func(*args, **kwargs)
    return inner  # type: ignore[return-value]


def _new(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def render(fig: Figure, fmt: str = "png", dpi: int = 144) -> bytes:
    """The figure as PNG or SVG bytes, with no date or software version inside.

    Examples
    --------
    >>> fig = _new(2, 1)
    >>> render(fig, "svg") == render(fig, "svg")
    True
    >>> render(fig)[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    meta: dict[str, Any] = ({"Software": None} if fmt == "png"
                            else {"Creator": None, "Date": None})
    with mpl.rc_context({**_style(), "svg.fonttype": "path"}), warnings.catch_warnings():
        warnings.filterwarnings("ignore", _GLYPH_WARNING)
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=meta)
    return buf.getvalue()


# -- outcome shares ---------------------------------------------------------------------

@_styled
def outcome_shares(rows: Sequence[tuple[str, Mapping[str, Rate]]], *,
                   title: str = "How calls end") -> Figure:
    """One stacked bar per row (a menu, a variant or an intent): the share of callers in
    each outcome, with its 95% interval drawn around the segment's middle."""
    shown = [o for o in ORDER if any(r[o].value > 0 for _, r in rows)]
    fig = _new(9.0, 1.4 + 0.42 * len(rows))
    ax = fig.add_subplot()
    labels = [name for name, _ in rows]
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for o in shown:
        rates = [r[o] for _, r in rows]
        width = np.array([r.value for r in rates])
        colour = OUTCOME_COLOURS[o]
        ax.barh(y, width, left=left, height=0.62, color=colour, label=o,
                edgecolor="white", linewidth=0.6)
        err = np.clip([[r.value - r.low for r in rates], [r.high - r.value for r in rates]],
                      0.0, None)
        if err.max() > 0:
            ax.errorbar(left + width / 2, y - 0.12, xerr=err, fmt="none", ecolor="#222222",
                        elinewidth=0.8, capsize=2.5, alpha=0.8)
        for yi, x0, w in zip(y, left, width, strict=True):
            if w >= 0.045:
                dark = mcolors.rgb_to_hsv(mcolors.to_rgb(colour))[2] < 0.8
                ax.text(x0 + w / 2, yi + 0.1, f"{100 * w:.0f}%", ha="center", va="center",
                        fontsize=7.5, color="white" if dark else "#222222")
        left += width
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("share of callers (bars: 95% interval)")
    ax.grid(axis="y", visible=False)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.5 / (0.8 + 0.3 * len(rows))),
              ncol=len(shown), fontsize=8, handlelength=1.2, columnspacing=1.2)
    return fig


def intent_rows(summary: Summary) -> list[tuple[str, Mapping[str, Rate]]]:
    """All callers, then each intent: the rows of one menu's outcome chart."""
    return [("all callers", summary.outcomes), *summary.by_intent.items()]


# -- time curves ------------------------------------------------------------------------

def _curve(hist: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Share of all ``n`` callers finished by each time (a CDF over 0.1 s bins), ending at
    the last non-empty bin (the overflow bin counts at 4 hours), at most MAX_POINTS."""
    used = np.flatnonzero(hist)
    last = int(used[-1]) + 1 if len(used) else 1
    cum = np.cumsum(hist[:last]) / max(n, 1)
    step = max(1, math.ceil(last / MAX_POINTS))
    idx = np.arange(step - 1, last, step)
    if idx[-1] != last - 1:
        idx = np.append(idx, last - 1)
    x = np.concatenate([[0.0], (idx + 1) * BIN])
    y = np.concatenate([[0.0], cum[idx]])
    return x, y


def _curves(pairs: Sequence[tuple[np.ndarray, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`_curve` of several histograms, each held level to where the longest ends."""
    curves = [_curve(hist, n) for hist, n in pairs]
    end = max(float(x[-1]) for x, _ in curves)
    return [(np.append(x, end), np.append(y, y[-1])) if x[-1] < end else (x, y)
            for x, y in curves]


def _view(hist: np.ndarray, q: float = 0.995) -> float:
    """Seconds by which share ``q`` of these callers has finished (the x-axis limit)."""
    body = hist[:-1]
    total = body.sum()
    if total == 0:
        return 60.0
    i = int(np.searchsorted(np.cumsum(body), q * total))
    return max((i + 1) * BIN * 1.08, 10.0)


@_styled
def seconds_to_person(results: Sequence[tuple[str, SimResult]]) -> Figure:
    """The share of all callers who have reached a person by each second (a CDF that
    ends at the chance of reaching a person at all), one line per menu."""
    fig = _new(6.4, 3.8)
    ax = fig.add_subplot()
    xmax = 10.0
    curves = _curves([(sim.seconds_hist[HUMAN], sim.n) for _, sim in results])
    for k, ((name, sim), (x, y)) in enumerate(zip(results, curves, strict=True)):
        hist = sim.seconds_hist[HUMAN]
        colour = SERIES[k % len(SERIES)]
        ax.plot(x, y, color=colour, linewidth=2, label=f"{name}: {100 * y[-1]:.1f}% reach "
                "a person")
        ax.axhline(y[-1], color=colour, linewidth=0.8, linestyle=":")
        xmax = max(xmax, _view(hist))
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, None)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("seconds since the call began")
    ax.set_ylabel("callers who reached a person")
    ax.set_title("Seconds to a person")
    ax.legend(loc="lower right")
    return fig


@_styled
def survival(results: Sequence[tuple[str, SimResult]]) -> Figure:
    """Callers still in the menu at each second (solid, from 100% down) and callers who
    have given up by then (dashed), one colour per menu."""
    fig = _new(6.4, 3.8)
    ax = fig.add_subplot()
    xmax = 10.0
    every = [sim.seconds_hist.sum(axis=0) for _, sim in results]
    curves = _curves([(hist, sim.n) for hist, (_, sim) in zip(every, results, strict=True)]
                     + [(sim.seconds_hist[ABANDONED], sim.n) for _, sim in results])
    for k, (name, _) in enumerate(results):
        (x, done), (xa, ya) = curves[k], curves[len(results) + k]
        colour = SERIES[k % len(SERIES)]
        ax.plot(x, 1.0 - done, color=colour, linewidth=2, label=f"{name}: still in the menu")
        ax.plot(xa, ya, color=colour, linewidth=1.4, linestyle="--",
                label=f"{name}: gave up ({100 * ya[-1]:.1f}% in all)")
        xmax = max(xmax, _view(every[k]))
    ax.set_xlim(0, xmax)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("seconds since the call began")
    ax.set_ylabel("share of callers")
    ax.set_title("Callers still in the menu, and who gave up")
    ax.legend(loc="upper right")
    return fig


# -- per-node funnel --------------------------------------------------------------------

@_styled
def funnel_chart(summary: Summary, rows: int = 15) -> Figure:
    """Visits per caller at the busiest nodes, with the part that gave up there in red."""
    flows = summary.funnel[:rows]
    fig = _new(8.0, 1.2 + 0.3 * max(len(flows), 1))
    ax = fig.add_subplot()
    y = np.arange(len(flows))[::-1]
    visits = np.array([f.visits for f in flows])
    gave_up = np.array([f.abandoned for f in flows])
    colours = [OUTCOME_COLOURS["human"] if f.kind == "agent" else
               "#9ab6d3" if f.kind in ("menu", "message", "input", "branch") else "#c9c9c9"
               for f in flows]
    ax.barh(y, visits, height=0.66, color=colours, label="visits per caller")
    ax.barh(y, gave_up, height=0.66, color=OUTCOME_COLOURS["abandoned"],
            label="gave up here")
    top = float(visits.max()) if len(flows) else 1.0
    for yi, f in zip(y, flows, strict=True):
        note = f"{f.visits:.2f}"
        if f.visits > 0 and f.abandoned / f.visits >= 0.005:
            note += f"  ({100 * f.abandoned / f.visits:.0f}% gave up)"
        ax.text(f.visits + top * 0.01, yi, note, va="center", fontsize=7.5, color="#333333")
    ax.set_yticks(y, [f"{f.node} ({f.kind})" for f in flows])
    ax.set_xlim(0, top * 1.3 if top > 0 else 1)
    ax.set_xlabel("visits per caller")
    ax.grid(axis="y", visible=False)
    shown = f"busiest {len(flows)} of {len(summary.funnel)} nodes" \
        if len(flows) < len(summary.funnel) else f"{len(flows)} nodes"
    ax.set_title(f"Per-node funnel ({shown})")
    handles = [Line2D([], [], color=c, linewidth=7) for c in
               ("#9ab6d3", OUTCOME_COLOURS["human"], "#c9c9c9", OUTCOME_COLOURS["abandoned"])]
    ax.legend(handles, ["in the menu", "a person", "other ending", "gave up here"],
              loc="lower right", fontsize=7.5)
    return fig


# -- the menu as a heat map -------------------------------------------------------------

@dataclass(frozen=True)
class Flow:
    """Traffic per caller: expected visits per node and moves along each (from, to) pair."""

    visits: Mapping[str, float]
    moves: Mapping[tuple[str, str], float]


def flow_of(sim: SimResult) -> Flow:
    """The simulated traffic of a run."""
    return _flow(sim.chain, sim.entry_counts.astype(float), sim.abandon_at.astype(float),
                 float(sim.n))


def flow_exact(chain: Chain, exact: ExactResult) -> Flow:
    """The exact expected traffic."""
    return _flow(chain, exact.flow, exact.abandon_at, 1.0)


def _flow(chain: Chain, per_entry: np.ndarray, abandon_at: np.ndarray,
          callers: float) -> Flow:
    visits = {f.node: f.visits for f in funnel(chain, per_entry, abandon_at, callers)}
    top = chain.top
    on_edge = chain.edge >= 0
    per_edge = np.bincount(chain.edge[on_edge], weights=per_entry[on_edge],
                           minlength=len(top.src)) / callers
    moves: dict[tuple[str, str], float] = {}
    for e in range(len(top.src)):
        pair = (top.ids[int(top.src[e])], top.ids[int(top.dst[e])])
        moves[pair] = moves.get(pair, 0.0) + float(per_edge[e])
    return Flow(visits, moves)


def shown_text(menu: Menu) -> list[str]:
    """What the plots of ``menu`` write: its name, node ids and labels, intents."""
    out = [menu.name, *menu.nodes, *(n.label for n in menu.nodes.values() if n.label)]
    if menu.callers is not None:
        out += [i.name for i in menu.callers.intents]
    return out


def layers(top: Topology, start: str, keep: np.ndarray) -> dict[int, list[int]]:
    """Kept nodes by distance (in moves) from the start, each layer ordered to keep edges
    short: breadth-first order first, then two sweeps placing each node at the mean
    height of its neighbours in the previous layer. Unreachable nodes are under -1."""
    dist = csgraph.shortest_path(top.matrix(), unweighted=True, indices=top.index[start])
    depth = np.where(np.isfinite(dist), dist, -1).astype(np.int64)
    out: dict[int, list[int]] = {}
    kept = np.flatnonzero(keep)
    for i in kept[np.lexsort((kept, depth[kept]))].tolist():
        out.setdefault(int(depth[i]), []).append(i)
    pred: dict[int, list[int]] = {}
    for s, d in zip(top.src.tolist(), top.dst.tolist(), strict=True):
        if keep[s] and keep[d] and depth[s] >= 0 and depth[s] == depth[d] - 1:
            pred.setdefault(d, []).append(s)
    for _ in range(2):
        rank = {v: r for layer in out.values() for r, v in enumerate(layer)}
        for d in sorted(k for k in out if k > 0):
            layer = out[d]
            centre = {v: (np.mean([rank[p] / max(len(out[d - 1]), 1) for p in pred[v]])
                          if pred.get(v) else rank[v] / len(layer)) for v in layer}
            layer.sort(key=lambda v: centre[v])
            rank.update({v: r for r, v in enumerate(layer)})
    return out


def _columns(by_layer: dict[int, list[int]]) -> list[tuple[int, list[int]]]:
    """Layers left to right (unreachable last), each cut into columns of MAX_ROWS."""
    order = sorted(k for k in by_layer if k >= 0) + ([-1] if -1 in by_layer else [])
    return [(d, by_layer[d][c:c + MAX_ROWS]) for d in order
            for c in range(0, len(by_layer[d]), MAX_ROWS)]


def _short(text: str, limit: int = 20) -> str:
    """A node id short enough to label: a linked flow's node by its own name (after the
    last dot), else the middle left out.

    Examples
    --------
    >>> _short("billing_menu")
    'billing_menu'
    >>> _short("payments_flow.StoreUserInput_7c1ff3fb")
    'StoreUser…t_7c1ff3fb'
    >>> _short("split_on_event_type.noMatch")
    'split_on_…pe.noMatch'
    """
    if len(text) > limit and "." in text:
        tail = text.rsplit(".", 1)[1]
        text = tail if len(tail) >= 8 else text
    if len(text) > limit:
        text = text[:limit // 2 - 1] + "…" + text[-(limit // 2):]
    return text


@_styled
def heatmap(menu: Menu, flow: Flow, *, limit: int = HEATMAP_LIMIT) -> Figure:
    """The menu drawn left to right by moves from the start: node colour is visits per
    caller, arrow width and colour the callers moving along it, the shape says the kind
    (a star is a person). Bigger menus show only their ``limit`` busiest nodes."""
    top = Topology.of(menu)
    visits = np.array([flow.visits.get(nid, 0.0) for nid in top.ids])
    keep = np.ones(top.n, dtype=bool)
    hang = top.index[HANGUP]
    keep[hang] = bool((top.dst == hang).any())
    total = int(keep.sum())
    if total > limit:
        order = np.argsort(-visits, kind="stable")
        keep[:] = False
        keep[order[:limit]] = True
        keep[top.index[menu.start]] = True
    columns = _columns(layers(top, menu.start, keep))
    tallest = max(len(c) for _, c in columns)
    pos: dict[int, tuple[float, float]] = {}
    for col, (_, column) in enumerate(columns):
        for r, v in enumerate(column):
            pos[v] = (float(col), (len(column) - 1) / 2 - r)
    width = min(max(1.25 * len(columns) + 1.8, 7.0), 22.0)
    height = min(max(0.62 * tallest + 1.6, 4.0), 24.0)
    fig = _new(width, height)
    ax = fig.add_subplot()
    ax.set_axis_off()

    moves = {(top.index[a], top.index[b]): x for (a, b), x in flow.moves.items()
             if a != b and a in top.index and b in top.index}
    pairs = {(int(s), int(d)) for s, d in zip(top.src, top.dst, strict=True)
             if s != d and keep[s] and keep[d]}
    busiest = max((moves.get(p, 0.0) for p in pairs), default=0.0) or 1.0
    edge_map = mpl.colormaps["Blues"]
    for s, d in sorted(pairs, key=lambda p: (moves.get(p, 0.0), p)):
        x = moves.get((s, d), 0.0)
        (x0, y0), (x1, y1) = pos[s], pos[d]
        straight = x1 - x0 == 1
        rad = 0.0 if straight else (0.3 if x1 > x0 or (x1 == x0 and y1 < y0) else -0.3)
        share = (x / busiest) ** 0.6 if x > 0 else 0.0
        ax.add_patch(FancyArrowPatch(
            (x0, y0), (x1, y1), connectionstyle=f"arc3,rad={rad}",
            arrowstyle="-|>", mutation_scale=7 + 5 * share, shrinkA=9, shrinkB=10,
            linewidth=0.6 + 5.5 * share,
            color=edge_map(0.35 + 0.65 * share) if x > 0 else "#c8c8c8",
            linestyle="-" if x > 0 else (0, (3, 2)), alpha=0.9, zorder=1 + share))

    heat = mpl.colormaps["YlOrRd"]
    hottest = float(visits[keep].max())
    norm = mcolors.PowerNorm(0.5, vmin=0.0, vmax=hottest if hottest > 0 else 1.0)
    mappable = None
    kinds = [KIND_CODES[int(k)] for k in top.kind]
    for kind, (marker, size, ring) in KIND_STYLE.items():
        nodes = [v for v in pos if kinds[v] == kind]
        if not nodes:
            continue
        xy = np.array([pos[v] for v in nodes])
        hot = visits[nodes]
        faces = [heat(norm(h)) if h > 0 else (0.88, 0.88, 0.88, 1.0) for h in hot]
        coll = ax.scatter(xy[:, 0], xy[:, 1], s=size, marker=marker, c=faces,
                          edgecolors=ring, linewidths=1.6 if kind == "agent" else 0.9,
                          zorder=10, label=kind)
        coll.set_gid(f"nodes-{kind}")
        if mappable is None and hottest > 0:
            mappable = mpl.cm.ScalarMappable(norm=norm, cmap=heat)
    for v, (x, y) in pos.items():
        nid = top.ids[v]
        person = kinds[v] == "agent"
        ax.annotate(f"{_short(nid)}\n{visits[v]:.2f}", (x, y), xytext=(0, -10),
                    textcoords="offset points", ha="center", va="top", fontsize=7.4,
                    linespacing=1.05, zorder=12,
                    color="#1b5e20" if person else "#222222",
                    fontweight="bold" if person or nid == menu.start else "normal",
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.8})
    lost = [col for col, (d, _) in enumerate(columns) if d < 0]
    if lost:
        ax.text(lost[0] - 0.4, tallest / 2 + 0.05, "not reachable from the start",
                fontsize=7.5, style="italic", color="#666666", va="bottom")
    ax.set_xlim(-0.5, len(columns) - 0.5)
    ax.set_ylim(-tallest / 2 - 0.2, tallest / 2 + (0.4 if lost else 0.1))
    if mappable is not None:
        bar = fig.colorbar(mappable, ax=ax, shrink=min(0.6, 3.0 / height + 0.2), pad=0.0,
                           aspect=22)
        bar.set_label("visits per caller")
    legend = [Line2D([], [], linestyle="none", marker=KIND_STYLE[k][0], markersize=8,
                     markerfacecolor="#eeeeee", markeredgecolor=KIND_STYLE[k][2],
                     label=k.replace("_", " ")) for k in dict.fromkeys(kinds[v] for v in pos)]
    legend.append(Line2D([], [], color=edge_map(0.9), linewidth=3, label="callers moving"))
    ax.legend(handles=legend, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncol=len(legend), fontsize=7.5, handletextpad=0.3, columnspacing=1.2)
    title = f"{menu.name}: where callers go"
    if total > limit:
        title += f" (busiest {limit} of {total} nodes shown)"
    if hottest <= 0:
        title += " (no caller moves: every call ends at the start)"
    ax.set_title(textwrap.fill(title, int(width * 9)))
    return fig


__all__ = ["Flow", "flow_exact", "flow_of", "funnel_chart", "heatmap", "intent_rows",
           "layers", "outcome_shares", "render", "seconds_to_person", "survival"]
