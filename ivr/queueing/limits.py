"""A queue whose callers may leave it for reasons other than their patience: an announced
wait, a longest wait (``max_wait``), and a callback offer. The M/M/N+G queue.

Erlang A (:mod:`ivr.queueing.erlang`) follows the waiting line caller by caller, which
works while every caller leaves the line at a constant rate. Here a caller who joined
stays in the line, unless answered, with a probability ``s(x)`` that depends on how long
it has waited, ``x``:

- an **announced wait** ``A``: on arrival every caller hears it, and those whose remaining
  patience R is shorter leave at once (they never join); those who join have R >= A, so
  none of them gives up before ``A`` (with exponential patience, R = A + Exp(theta));
- a **longest wait** ``T``: whoever is still waiting at ``T`` leaves the line, to the
  menu's ``on_max_wait`` node;
- a **callback** offered at ``O`` (< T): a share ``accept`` of those still waiting take
  it and hang up, but keep their place: the agents call them back when their turn comes,
  so they stay in the line (they never give up) and the agents' load includes them;
- **callback requests** from a menu's ``callback`` node join the line at once and never
  leave it.

With exponential handle times the *offered wait* V (the time until an agent would take a
caller, ignoring its own reasons to leave) has, for x > 0, the density

    f(x) = Lambda p(N-1) exp(phi(x)),   phi(x) = lambda_j D(x) + (lambda_c - N mu) x,

where ``lambda_j`` is the rate of callers who join, ``lambda_c`` of callback requests,
``Lambda`` their sum, ``p(N-1)`` the stationary chance of exactly N-1 busy agents (the
states below N are Poisson weights, as in Erlang A), and D(x) the integral of s from 0
to x. This is the level-crossing argument for M/M/N+G of Baccelli and Hebuterne (1981)
and Zeltyn and Mandelbaum (2005): V goes down at rate 1 and jumps up by an Exp(N mu)
inter-departure time whenever a caller joins who will be served, at rate
``lambda_j s(V) + lambda_c``. With s(x) = exp(-theta x) it is Erlang A, with s = 1
Erlang C (both are checked in the tests). ``phi`` is concave and known in closed form,
so every figure is an integral of ``exp(phi)`` times a simple function, computed with
Gauss-Legendre rules on cells where ``phi`` changes by at most 1 (so the integrals are
exact to about 1e-13), and V is sampled by inverting its distribution (one uniform per
caller).

The callers' fate, first event wins: answered at V; gives up at R; leaves at T;
takes the callback at O (with probability ``accept``). All figures are per caller who
reaches the agent, balking included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ivr.errors import ConfigError
from ivr.queueing.erlang import poisson_logs

#: Terms of the offered-wait density below exp(-TAIL) of its largest are left out.
TAIL = 46.0
#: Gauss-Legendre nodes per cell (cells are also no wider than 2 / theta where patience
#: still fades, so its exponential is resolved).
_GL_T, _GL_W = np.polynomial.legendre.leggauss(12)
#: A cell is split while phi changes over it by more than this, or bends by more than
#: _BEND at its middle.
_STEP = 1.0
_BEND = 0.02
#: Sampling points per cell.
_FINE = 64


@dataclass(frozen=True)
class LineRules:
    """What callers do in a line besides waiting for an agent (seconds).

    ``announce``: the wait announced on arrival (0: none); ``max_wait``: the longest a
    caller is left waiting (inf: none); ``offer_after`` and ``accept``: a callback offered
    to callers still waiting then, taken by that share of them.
    """

    announce: float = 0.0
    max_wait: float = math.inf
    offer_after: float = math.inf
    accept: float = 0.0

    @property
    def plain(self) -> bool:
        """No rule: an Erlang A (or C) line."""
        return self.announce <= 0 and math.isinf(self.max_wait) and self.accept <= 0


@dataclass(frozen=True, eq=False)
class LimitedWait:
    """The offered wait, and what becomes of callers, at one M/M/N+G line (rates per
    second). Build it with :func:`limited_wait`.

    ``arrivals`` is the rate of callers reaching the agent (balkers included),
    ``returns`` of callback requests from the menu; ``abandon`` is theta = 1 / the mean
    patience (0: callers never give up); ``p_join`` the share of arrivals who stay past
    the announcement; ``p_line`` the chance that a joining caller finds every agent busy.
    """

    arrivals: float
    returns: float
    agents: int
    service: float
    abandon: float
    rules: LineRules
    p_join: float
    p_line: float
    edges: np.ndarray
    top: float
    scale: float

    # -- the pieces of the model --------------------------------------------------------

    @property
    def _cb(self) -> float:
        """The share that takes the callback, when it is offered before the longest wait."""
        r = self.rules
        return r.accept if r.offer_after < r.max_wait else 0.0

    def survive(self, x: np.ndarray) -> np.ndarray:
        """P(R > x | joined): patience left at offered wait x."""
        a = self.rules.announce
        return np.exp(-self.abandon * np.maximum(np.asarray(x, float) - a, 0.0))

    def _spent(self, x: np.ndarray) -> np.ndarray:
        """E(x): the integral of ``survive`` from 0 to x."""
        x = np.asarray(x, float)
        a, th = self.rules.announce, self.abandon
        past = np.maximum(x - a, 0.0)
        tail = -np.expm1(-th * past) / th if th > 0 else past
        return np.minimum(x, a) + tail

    def _present(self, x: np.ndarray) -> np.ndarray:
        """Integral over [0, x] of the chance a joined, unanswered caller is still on the
        phone (neither gone, nor left at T, nor called back)."""
        r = self.rules
        x = np.asarray(x, float)
        e = self._spent(np.minimum(x, r.max_wait))
        if self._cb > 0:
            e = e - self._cb * np.maximum(e - float(self._spent(np.array(r.offer_after))), 0.0)
        return e

    def phi(self, x: np.ndarray) -> np.ndarray:
        """log of the offered-wait density at x > 0, up to a constant."""
        x = np.asarray(x, float)
        d = self._present(x)
        if self._cb > 0:
            o = self.rules.offer_after
            d = d + self._cb * float(self.survive(np.array(o))) * np.maximum(x - o, 0.0)
        lam_j = self.arrivals * self.p_join
        return lam_j * d + (self.returns - self.agents * self.service) * x

    def slope(self, x: np.ndarray) -> np.ndarray:
        """phi'(x): the rate callers who will be served join, less the agents' rate."""
        x = np.asarray(x, float)
        stay = self.on_phone(x)
        if self._cb > 0:
            o = self.rules.offer_after
            stay = stay + np.where(x > o, self._cb * float(self.survive(np.array(o))), 0.0)
        return self.arrivals * self.p_join * stay + self.returns - self.agents * self.service

    def density(self, x: np.ndarray) -> np.ndarray:
        """The density of the offered wait at x > 0 (its mass is ``p_line``)."""
        return self.scale * np.exp(self.phi(x) - self.top)

    def on_phone(self, x: np.ndarray) -> np.ndarray:
        """P(a joined caller whose offered wait is x is answered): patience left, the
        longest wait not reached, the callback not taken."""
        x = np.asarray(x, float)
        r = self.rules
        keep = self.survive(x) * (x < r.max_wait)
        if self._cb > 0:
            keep = keep * np.where(x > r.offer_after, 1.0 - self._cb, 1.0)
        return keep

    # -- integrals ----------------------------------------------------------------------

    def integral(self, h: object = None, lo: float = 0.0, hi: float = math.inf) -> float:
        """The integral of density x h(x) over (lo, hi) (h None: 1)."""
        e = self.edges
        if len(e) < 2 or hi <= lo:
            return 0.0
        a = np.clip(e[:-1], lo, hi)
        b = np.clip(e[1:], lo, hi)
        keep = b > a
        a, b = a[keep], b[keep]
        half = (b - a) / 2
        x = (a + half)[:, None] + half[:, None] * _GL_T[None, :]
        w = half[:, None] * _GL_W[None, :]
        y = self.density(x)
        if h is not None:
            y = y * h(x)  # type: ignore[operator]
        return float((w * y).sum())

    def tail(self, t: float) -> float:
        """P(V > t) for t >= 0."""
        return self.integral(lo=max(t, 0.0))

    # -- what becomes of the callers who reach the agent --------------------------------

    @cached_property
    def _answered_line(self) -> float:
        return self.integral(self.on_phone)

    def answered(self) -> float:
        """Share answered by an agent."""
        return self.p_join * (1.0 - self.p_line + self._answered_line)

    def callback(self) -> float:
        """Share that takes the callback offer."""
        cb = self._cb
        if cb <= 0:
            return 0.0
        o = self.rules.offer_after
        return self.p_join * cb * float(self.survive(np.array(o))) * self.tail(o)

    def timed_out(self) -> float:
        """Share still waiting at the longest wait, sent on to ``on_max_wait``."""
        t = self.rules.max_wait
        if math.isinf(t):
            return 0.0
        return self.p_join * self.tail(t) * float(self.survive(np.array(t))) * (1.0 - self._cb)

    def balked(self) -> float:
        """Share that leaves on hearing the announced wait."""
        return 1.0 - self.p_join

    def p_abandon(self) -> float:
        """Share that gives up: on hearing the announcement, or waiting."""
        return max(0.0, 1.0 - self.answered() - self.callback() - self.timed_out())

    @property
    def p_wait(self) -> float:
        """Share that joins and finds every agent busy."""
        return self.p_join * self.p_line

    def answered_wait(self) -> tuple[float, float]:
        """E[W 1{answered}] and E[W^2 1{answered}] per arrival."""
        one = self.integral(lambda x: x * self.on_phone(x))
        two = self.integral(lambda x: x * x * self.on_phone(x))
        return self.p_join * one, self.p_join * two

    def answered_within(self, t: float) -> float:
        """Share answered within ``t`` seconds of reaching the agent."""
        if t <= 0:
            return self.p_join * (1.0 - self.p_line)
        return self.p_join * (1.0 - self.p_line + self.integral(self.on_phone, 0.0, t))

    def queue_seconds(self) -> float:
        """Mean time on the phone in the line per arrival, whatever the outcome."""
        return self.p_join * self.integral(self._present)

    def expected_wait(self) -> float:
        """E[V]: the mean offered wait of a joining caller (zeros included): how long a
        caller who stays until answered waits on average."""
        return self.integral(lambda x: x)

    def expected_line(self) -> float:
        """E[min(V, T)]: the mean wait until answered or sent on at the longest wait, of a
        caller who does not give up (what ``announce_wait: estimate`` announces)."""
        t = self.rules.max_wait
        return self.integral(lambda x: np.minimum(x, t))

    # -- sampling -----------------------------------------------------------------------

    @cached_property
    def _table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points of the offered-wait distribution for sampling: each cell cut in
        :data:`_FINE` parts, the mass above each point (exact, Gauss-Legendre) and the
        log-density slope between points."""
        e = self.edges
        frac = np.linspace(0.0, 1.0, _FINE + 1)
        x = np.concatenate([a + (b - a) * frac[:-1] for a, b in zip(e[:-1], e[1:],
                                                                     strict=True)]
                           + [e[-1:]])
        a, b = x[:-1], x[1:]
        half = (b - a) / 2
        mid = (a + half)[:, None] + half[:, None] * _GL_T[None, :]
        mass = (half[:, None] * _GL_W[None, :] * self.density(mid)).sum(axis=1)
        cum = np.concatenate(([0.0], np.cumsum(mass)))
        return x, cum, self.phi(x)

    def sample(self, u: np.ndarray) -> np.ndarray:
        """Offered waits for uniforms ``u``: 0 below 1 - p_line, else the inverse of the
        distribution: exact at the table's points (``_FINE`` per cell), and between two
        points the exponential density through both ends (whose log is off by about 1e-6
        at most, as a cell's log-density bends by at most _BEND)."""
        u = np.asarray(u, float)
        v = np.zeros(len(u))
        if self.p_line <= 0 or len(self.edges) < 2:
            return v
        which = np.flatnonzero(u >= 1.0 - self.p_line)
        if not len(which):
            return v
        x, cum, logf = self._table
        target = (u[which] - (1.0 - self.p_line)) * (cum[-1] / self.p_line)
        k = np.clip(np.searchsorted(cum, target, side="right") - 1, 0, len(x) - 2)
        width = x[k + 1] - x[k]
        total = cum[k + 1] - cum[k]
        share = np.clip((target - cum[k]) / np.maximum(total, 1e-300), 0.0, 1.0)
        g = logf[k + 1] - logf[k]  # log-density change over the piece
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            bent = np.log1p(share * np.expm1(g)) / g
        step = np.where(np.abs(g) > 1e-9, bent, share)
        v[which] = x[k] + width * np.clip(np.nan_to_num(step, nan=0.0), 0.0, 1.0)
        return v


def _log_pmf(k: int, rho: float) -> float:
    """log P(Poisson(rho) = k)."""
    return k * math.log(rho) - rho - math.lgamma(k + 1.0) if rho > 0 else \
        (0.0 if k == 0 else -math.inf)


def _log_cdf(k: int, rho: float) -> float:
    """log P(Poisson(rho) <= k), in log space (no underflow for large loads)."""
    if rho <= 0:
        return 0.0
    if k < 0:
        return -math.inf
    return min(poisson_logs(rho, k + 1)[0], 0.0)


def _first_below(fn: object, start: float) -> float:
    """The smallest x >= start with fn(x) <= 0, for a non-increasing fn (bisection)."""
    f = fn  # type: ignore[assignment]
    if f(start) <= 0:  # type: ignore[operator]
        return start
    hi = max(start, 1.0)
    while f(hi) > 0:  # type: ignore[operator]
        hi *= 2.0
        if hi > 1e12:
            raise ConfigError("the waiting line never empties")
    lo = start
    for _ in range(60):  # the mode only places a cell edge: 1e-6 is plenty
        mid = (lo + hi) / 2
        if f(mid) > 0:  # type: ignore[operator]
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-6 * max(1.0, hi):
            break
    return hi


def limited_wait(arrivals: float, agents: int, service: float, abandon: float = 0.0,
                 rules: LineRules | None = None, returns: float = 0.0, *,
                 node: str = "") -> LimitedWait:
    """The :class:`LimitedWait` of ``arrivals`` callers per second reaching ``agents``
    agents who each answer ``service`` calls per second, callers giving up at rate
    ``abandon``, with ``rules`` and ``returns`` callback requests per second.

    Raises ConfigError when the line would grow without end (callers who never leave it
    arrive faster than the agents answer).

    Examples
    --------
    >>> w = limited_wait(10 / 3, 10, 1 / 3, 1 / 2)     # Erlang A, rates per minute
    >>> round(w.p_wait, 4), round(w.p_abandon(), 4)
    (0.4969, 0.1375)
    >>> cut = limited_wait(10 / 3, 10, 1 / 3, 1 / 2, LineRules(max_wait=1.0))
    >>> round(cut.timed_out(), 4), round(cut.p_abandon(), 4)
    (0.0437, 0.103)
    """
    rules = rules or LineRules()
    if arrivals < 0 or returns < 0 or agents < 1 or service <= 0 or abandon < 0:
        raise ValueError("rates must be positive and agents at least 1")
    p_join = math.exp(-abandon * rules.announce) if rules.announce > 0 else 1.0
    probe = LimitedWait(arrivals, returns, agents, service, abandon, rules, p_join, 0.0,
                        np.zeros(0), 0.0, 0.0)
    lam_j = arrivals * p_join
    total = lam_j + returns
    if total <= 0:
        return probe
    cb = probe._cb
    stay = cb * float(probe.survive(np.array(rules.offer_after))) if cb > 0 else 0.0
    if abandon == 0 and math.isinf(rules.max_wait):
        stay = 1.0 - cb + stay
    if lam_j * stay + returns >= agents * service:
        need = math.floor((lam_j * stay + returns) / service) + 1
        raise ConfigError(
            f"the queue at {node!r} is overloaded: callers who never leave its line "
            f"arrive at {3600 * (lam_j * stay + returns):.4g} calls/h, more than "
            f"{agents} agents answer (at least {need} are needed)",
            hint="add agents, or let callers leave the line: patience, max_wait")

    def slope(x: float) -> float:
        return float(probe.slope(np.array(x)))

    mode = _first_below(slope, 0.0)
    peak = float(probe.phi(np.array(mode)))
    far = max(mode, 1.0)
    while float(probe.phi(np.array(far))) > peak - TAIL:
        far *= 2.0
    marks = [0.0, mode, far] + [t for t in (rules.announce, rules.offer_after, rules.max_wait)
                                if 0.0 < t < far]
    edges = np.unique(np.array(marks, float))
    for _ in range(80):
        pa, pb = probe.phi(edges[:-1]), probe.phi(edges[1:])
        mid = (edges[:-1] + edges[1:]) / 2
        bend = np.abs(probe.phi(mid) - (pa + pb) / 2)
        split = (np.abs(pb - pa) > _STEP) | (bend > _BEND)
        if abandon > 0:  # patience still fading: cells no wider than its scale, 1/theta
            fading = (edges[:-1] < rules.announce + 40.0 / abandon) & \
                (edges[:-1] < rules.max_wait)
            split |= fading & (edges[1:] - edges[:-1] > 2.0 / abandon)
        split &= (edges[1:] - edges[:-1]) > 1e-9 * np.maximum(1.0, edges[1:])
        if not split.any():
            break
        edges = np.sort(np.concatenate((edges, mid[split])))
    shaped = LimitedWait(arrivals, returns, agents, service, abandon, rules, p_join, 1.0,
                         edges, peak, 1.0)
    log_j = peak + math.log(max(shaped.integral(), 1e-300))
    rho = total / service
    log_top = math.log(total) + _log_pmf(agents - 1, rho) + log_j
    log_below = _log_cdf(agents - 1, rho)
    p_line = math.exp(log_top - float(np.logaddexp(log_below, log_top)))
    z = shaped.integral()
    return LimitedWait(arrivals, returns, agents, service, abandon, rules, p_join, p_line,
                       edges, peak, p_line / z if z > 0 else 0.0)


__all__ = ["TAIL", "LimitedWait", "LineRules", "limited_wait"]
