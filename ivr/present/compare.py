"""Menu variants side by side: the same callers in each, paired differences, exact deltas.

Caller ``i`` draws the same intent, zero-out habit, arrival time, patience and step
uniforms in every menu simulated with the same seed and population (common random
numbers, :mod:`ivr.callers.rng`). So the difference between two variants is measured caller by
caller: ``d_i = x_i(B) - x_i(A)``, whose mean is the difference of the means and whose
spread leaves out most of the caller-to-caller variation both variants share. Its 95%
interval is the normal one from the paired sample variance, much narrower than two
independent intervals would give (both are kept, so reports can show the gain).

Figures over the callers who reached a person (``human_seconds``, ``human_steps``) are
ratios of two means, ``R = mean(h*x) / mean(h)``, over caller sets that differ between
variants; their paired interval comes from the delta method: each caller contributes
``(h_i x_i - R h_i) / mean(h)`` to ``R``, and the interval of ``R_B - R_A`` is that of the
mean of the paired contributions. Where the exact solution applies (exponential patience
or none), the exact difference of the model is given too.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import ndtr

from ivr.callers.chain import HUMAN, OUTCOMES, compile_chain, default_population
from ivr.callers.exact import applies, solve
from ivr.callers.metrics import Z95, Summary, summarize, summarize_exact
from ivr.callers.simulate import DEFAULT_SEED, Callers, SimResult, simulate
from ivr.errors import ConfigError
from ivr.formats.checks import did_you_mean
from ivr.model import Menu, Patience, Population
from ivr.present.tables import ORDER
from ivr.structure.diff import MenuDiff, diff_menus
from ivr.structure.lint import LintConfig

#: Every metric a comparison reports (and a ``--fail-if`` condition can name), in order.
RATE_METRICS = tuple(f"{o}_rate" for o in ORDER)
TIME_METRICS = ("seconds", "steps", "human_seconds", "human_steps")
METRICS = (*RATE_METRICS, *TIME_METRICS)
LABELS = {
    "human_rate": "reached a person", "callback_rate": "to be called back",
    "served_rate": "served (self-service)",
    "voicemail_rate": "left a voicemail", "transferred_rate": "transferred out",
    "misrouted_rate": "misrouted", "abandoned_rate": "abandoned",
    "disconnected_rate": "disconnected", "stuck_rate": "stuck",
    "seconds": "seconds in the menu", "steps": "steps in the menu",
    "human_seconds": "seconds to a person", "human_steps": "steps to a person",
}
def value_text(metric: str, x: float | None, digits: int = 1) -> str:
    """A variant's figure in the unit of the comparison table: ``22.2%``, ``30.5 s``."""
    if x is None or not math.isfinite(x):
        return "-"
    if metric in RATE_METRICS:
        return f"{100 * x:.{digits}f}%"
    return f"{x:.{digits}f} s" if metric.endswith("seconds") else f"{x:.{digits + 1}f}"


def _signed(x: float, digits: int) -> str:
    text = f"{x:+.{digits}f}"
    return "+" + text[1:] if float(text) == 0 else text  # no "-0.00"


def difference_text(metric: str, x: float | None, unit: bool = True) -> str:
    """A difference in the unit of the comparison table: ``-3.10 pp`` for rates
    (percentage points), ``+1.25 s`` for seconds, ``+0.125`` for steps.

    Examples
    --------
    >>> difference_text("human_rate", -0.031), difference_text("seconds", 1.25)
    ('-3.10 pp', '+1.25 s')
    >>> value_text("abandoned_rate", 0.2215, 2), difference_text("steps", -0.0001)
    ('22.15%', '+0.000')
    """
    if x is None or not math.isfinite(x):
        return "-"
    if metric in RATE_METRICS:
        return _signed(100 * x, 2) + (" pp" if unit else "")
    if metric.endswith("seconds"):
        return _signed(x, 2) + (" s" if unit else "")
    return _signed(x, 3)


#: Population settings that must agree for callers to be the same in every variant.
BEHAVIOUR = ("patience", "mistake_rate", "confusion", "zero_out", "silence", "calls_per_hour",
             "arrivals")


@dataclass(frozen=True)
class Delta:
    """A variant minus the first, per caller paired: estimate, 95% interval, whether it is
    significant, and the exact difference when the exact solution applies.

    ``p`` is the two-sided normal p-value of the paired difference; ``unpaired`` the
    half-width the interval would have if the two variants had independent callers.
    """

    value: float
    low: float
    high: float
    significant: bool
    exact: float | None = None
    p: float = 1.0
    unpaired: float = math.nan

    @property
    def half(self) -> float:
        """Half-width of the paired interval."""
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class MetricDiff:
    """One metric across the variants: its value in each (simulated; exact when it
    applies) and each variant's :class:`Delta` to the first (None for the first)."""

    metric: str
    label: str
    values: tuple[float, ...]
    deltas: tuple[Delta | None, ...]
    exact: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class Variant:
    """One menu of a comparison with its simulated (and exact, when it applies) figures."""

    file: str
    menu: Menu
    summary: Summary
    exact: Summary | None
    #: The simulation itself (histograms for plots; per-caller records).
    sim: SimResult | None = None


@dataclass(frozen=True)
class Comparison:
    """Variants, their metrics with paired differences to the first, and the structural
    changes of each variant against the first (``changes[k-1]`` is variant ``k``)."""

    variants: tuple[Variant, ...]
    metrics: tuple[MetricDiff, ...]
    changes: tuple[MenuDiff, ...]
    callers: int
    seed: int
    holm: bool = False

    def metric(self, name: str) -> MetricDiff:
        """The row of metric ``name`` (one of :data:`METRICS`)."""
        for m in self.metrics:
            if m.metric == name:
                return m
        raise KeyError(name)


# -- the same callers in every variant ---------------------------------------------------

def _fits(pop: Population, menu: Menu, file: str, origin: str) -> None:
    for intent in pop.intents:
        for g in intent.goals:
            if g not in menu.nodes:
                hint = did_you_mean(g, menu.nodes)
                raise ConfigError(
                    f"goal {g!r} of intent {intent.name!r} ({origin}) is not a node of this "
                    "menu", file=file,
                    hint=(hint + "; " if hint else "") + "every variant needs the callers' "
                    "goals: give --callers FILE with goals all variants have")


def _show(value: object) -> str:
    if isinstance(value, Patience):
        bits = [f"{k} {v:g}" for k in ("mean", "shape", "sd")
                if (v := getattr(value, k)) is not None]
        return " ".join([value.distribution, *bits])
    return f"{value:g}" if isinstance(value, float) else str(value)


def _same_callers(first: Population, pop: Population, file: str, first_file: str) -> Population:
    """``pop`` with its intents in ``first``'s order, or a ConfigError saying what differs."""
    def differ(what: str) -> ConfigError:
        return ConfigError(
            f"its callers differ from those of {first_file}: {what}", file=file,
            hint="common random numbers need the same callers in every variant: give them "
                 "the same callers section (goals may differ), or pass --callers FILE")
    names = [i.name for i in first.intents]
    theirs = {i.name: i for i in pop.intents}
    if set(names) != set(theirs):
        only_a = sorted(set(names) - set(theirs))
        only_b = sorted(set(theirs) - set(names))
        parts = ([f"no intent {', '.join(map(repr, only_a))}"] if only_a else []) + \
                ([f"an intent {', '.join(map(repr, only_b))} the first has not"]
                 if only_b else [])
        raise differ("; ".join(parts))
    for intent in first.intents:
        other = theirs[intent.name]
        if abs(other.share - intent.share) > 1e-9:
            raise differ(f"intent {intent.name!r} has share {other.share:g}, not "
                         f"{intent.share:g}")
    for name in BEHAVIOUR:
        a, b = getattr(first, name), getattr(pop, name)
        if a != b:
            raise differ(f"{name} is {_show(b)}, not {_show(a)}")
    return replace(pop, intents=tuple(theirs[n] for n in names))


def populations(menus: Sequence[Menu], population: Population | None = None,
                files: Sequence[str] | None = None) -> list[Population]:
    """The callers of each variant, the same but for goals (node ids may differ).

    ``population`` (a --callers file) is used for every variant. Otherwise each variant's
    own callers section; a variant without one takes the first variant's callers (or, when
    the first has none either, :func:`ivr.callers.chain.default_population` of the first menu),
    provided every goal is one of its nodes.
    """
    names = list(files) if files is not None else [m.source.file for m in menus]
    if population is not None:
        origin = f"from {population.source.file}" if population.source else "from --callers"
        for menu, file in zip(menus, names, strict=True):
            _fits(population, menu, file, origin)
        return [population] * len(menus)
    first = menus[0]
    base = first.callers or default_population(first)
    origin = (f"the callers of {names[0]}" if first.callers
              else f"the default callers of {names[0]}, which has no callers section")
    out = []
    for menu, file in zip(menus, names, strict=True):
        if menu.callers is None:
            _fits(base, menu, file, origin)
            out.append(base)
        else:
            out.append(_same_callers(base, menu.callers, file, names[0]))
    return out


# -- paired differences ------------------------------------------------------------------

def _contributions(rec: Callers, metric: str) -> tuple[float, np.ndarray]:
    """A metric's estimate and each caller's (linearised) contribution to it."""
    if metric.endswith("_rate"):
        x = (rec.outcome == OUTCOMES.index(metric[:-5])).astype(float)
        return float(x.mean()), x
    if metric in ("seconds", "steps"):
        x = getattr(rec, metric).astype(float)
        return float(x.mean()), x
    h = (rec.outcome == HUMAN).astype(float)
    x = rec.seconds if metric == "human_seconds" else rec.steps.astype(float)
    hbar = float(h.mean())
    if hbar == 0:
        return math.nan, np.full(len(h), math.nan)
    r = float((h * x).sum() / h.sum())
    return r, h * (x - r) / hbar


def _delta(a: tuple[float, np.ndarray], b: tuple[float, np.ndarray],
           exact: float | None) -> Delta:
    (ea, za), (eb, zb) = a, b
    n = len(za)
    value = eb - ea
    if not math.isfinite(value):
        return Delta(math.nan, math.nan, math.nan, False, exact, math.nan, math.nan)
    d = zb - za
    se = float(d.std(ddof=1)) / math.sqrt(n)
    unpaired = Z95 * math.sqrt((float(za.var(ddof=1)) + float(zb.var(ddof=1))) / n)
    p = float(2 * ndtr(-abs(value) / se)) if se > 0 else float(value == 0)
    low, high = value - Z95 * se, value + Z95 * se
    return Delta(value, low, high, low > 0 or high < 0, exact, p, unpaired)


def paired_delta(a: Callers, b: Callers, metric: str, exact: float | None = None) -> Delta:
    """``metric`` of the callers ``b`` minus that of the same callers ``a`` (two records of
    one seed and population), with its paired 95% interval.

    Examples
    --------
    >>> import numpy as np
    >>> a = Callers(np.array([1, 1, 0, 5], np.int8), np.array([10., 20., 5., 9.]),
    ...             np.array([2, 3, 1, 2], np.int32))
    >>> b = Callers(np.array([1, 1, 1, 5], np.int8), np.array([8., 18., 6., 9.]),
    ...             np.array([2, 3, 2, 2], np.int32))
    >>> paired_delta(a, b, "human_rate").value, paired_delta(a, b, "seconds").value
    (0.25, -0.75)
    """
    return _delta(_contributions(a, metric), _contributions(b, metric), exact)


def holm(pvalues: Sequence[float], alpha: float = 0.05) -> list[bool]:
    """Which hypotheses Holm's step-down procedure rejects at family-wise level ``alpha``
    (NaN p-values are never rejected and do not count).

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03, 0.5])
    [True, False, False, False]
    >>> holm([0.001, 0.012, 0.02])
    [True, True, True]
    """
    ranked = sorted((p, i) for i, p in enumerate(pvalues) if not math.isnan(p))
    m = len(ranked)
    out = [False] * len(pvalues)
    for j, (p, i) in enumerate(ranked):
        if p > alpha / (m - j):
            break
        out[i] = True
    return out


def _exact_value(s: Summary, metric: str) -> float:
    if metric.endswith("_rate"):
        return s.outcomes[metric[:-5]].value
    return float(getattr(s, metric).mean)


def compare(menus: Sequence[Menu], population: Population | None = None, *,
            n: int = 100_000, seed: int = DEFAULT_SEED, files: Sequence[str] | None = None,
            holm_correction: bool = False, lint_config: LintConfig | None = None,
            progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Simulate the same ``n`` callers through every menu and difference each against the
    first; ``holm_correction`` judges significance over all metrics and variants at once.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> text = '''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, say: Press 1 for a person., options: {1: desk}}
    ...   desk: {kind: agent}
    ... callers: {intents: {talk: {share: 1, goal: desk}}}
    ... '''
    >>> c = compare([parse_menu(text, "a.yaml"), parse_menu(text, "b.yaml")], n=2000)
    >>> d = c.metric("human_rate").deltas[1]
    >>> d.value, d.significant, d.exact
    (0.0, False, 0.0)
    """
    if len(menus) < 2:
        raise ConfigError("compare needs at least two menus", hint="ivr compare A.yaml B.yaml")
    if n < 2:
        raise ConfigError("compare needs at least 2 callers for an interval", hint="-n 100000")
    names = list(files) if files is not None else [m.source.file for m in menus]
    pops = populations(menus, population, names)
    variants, records = [], []
    chains = [compile_chain(menu, pop) for menu, pop in zip(menus, pops, strict=True)]
    # One alias-table width for all, so alike rows pick alike entries from alike uniforms.
    width = max(int(np.diff(c.indptr).max(initial=1)) for c in chains)
    for k, (menu, chain, file) in enumerate(zip(menus, chains, names, strict=True)):
        step = None if progress is None else (
            lambda done, total, k=k: progress(k * n + done, len(menus) * n))
        sim = simulate(chain, n, seed=seed, record=True, progress=step, width=width)
        assert sim.callers is not None
        records.append(sim.callers)
        exact = summarize_exact(chain, solve(chain)) if applies(chain) else None
        variants.append(Variant(file, menu, summarize(sim), exact, sim))
    rows: list[tuple[str, list[float], list[Delta | None], list[float | None]]] = []
    for metric in METRICS:
        parts = [_contributions(r, metric) for r in records]
        solved = [None if v.exact is None else _exact_value(v.exact, metric)
                  for v in variants]
        deltas: list[Delta | None] = [None]
        for k in range(1, len(variants)):
            e0, ek = solved[0], solved[k]
            ex = ek - e0 if e0 is not None and ek is not None else None
            deltas.append(_delta(parts[0], parts[k], ex))
        rows.append((metric, [p[0] for p in parts], deltas, solved))
    if holm_correction:
        flat = [d for _, _, ds, _ in rows for d in ds if d is not None]
        keep = holm([d.p for d in flat])
        judged = iter(keep)
        rows = [(m, v, [None if d is None else replace(d, significant=next(judged))
                        for d in ds], e) for m, v, ds, e in rows]
    metrics = tuple(MetricDiff(m, LABELS[m], tuple(v), tuple(ds), tuple(e))
                    for m, v, ds, e in rows)
    changes = tuple(diff_menus(menus[0], m, lint_config) for m in menus[1:])
    return Comparison(tuple(variants), metrics, changes, n, seed, holm_correction)


__all__ = ["BEHAVIOUR", "LABELS", "METRICS", "RATE_METRICS", "TIME_METRICS", "Comparison",
           "Delta", "MetricDiff", "Variant", "compare", "difference_text", "holm",
           "paired_delta", "populations", "value_text"]
