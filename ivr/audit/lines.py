"""Audit rules about agents' lines: a callback offered where the wait is long, an
announced wait that says what the model finds, no call cut off because the wait is long.

The waits are the queue model's (:mod:`ivr.callers.queues`) for the menu's own callers,
the traffic that loads the lines (:class:`ivr.audit.time.TimeFacts`): per segment of the
week, the *expected wait* of a caller who stays until answered or sent on at
``max_wait`` (what ``announce_wait: estimate`` announces), read by hour of the menu's
clock. Where a line's wait is not modelled (no ``staff:`` or no ``calls_per_hour``), a rule
that needs it is not applicable, unless the menu settles it anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ivr.audit.verdict import (
    Evidence,
    Outcome,
    all_of,
    failed,
    judged,
    not_applicable,
    passed,
    plural,
)
from ivr.callers.calendar import clock
from ivr.model import ESTIMATE, EVENTS
from ivr.week import DAYS, WEEK_MINUTES, offset

if TYPE_CHECKING:  # checks.py imports this module
    from ivr.audit.checks import Facts, Params

_EV = {e: i for i, e in enumerate(EVENTS)}


def hourly_waits(f: Facts, agent: str) -> dict[str, float] | None:
    """The expected wait at ``agent``'s line per hour of the week in the menu's clock
    (``mon 09:00``), over the hours callers arrive there; None when not modelled."""
    model = f.time.model
    if model is None or agent not in model.names:
        return None
    q = model.names.index(agent)
    if not model.lined[q]:
        return None
    seg = model.of_minute
    minutes = np.flatnonzero(seg >= 0)
    seg = seg[minutes]
    used = model.calls[q, seg] > 0
    minutes, seg = minutes[used], seg[used]
    if not len(minutes):
        return None
    hour = (minutes + offset(clock(f.menu.schedules))) % WEEK_MINUTES // 60
    total = np.bincount(hour, weights=model.expected[q, seg], minlength=168)
    count = np.bincount(hour, minlength=168)
    return {f"{DAYS[h // 24]} {h % 24:02d}:00": float(total[h] / count[h])
            for h in np.flatnonzero(count).tolist()}


def _leaving(f: Facts, agent: str) -> str:
    """`` (95% of callers hang up on hearing it)`` when the announcement sends callers
    away (their leaving shortens the wait of the others)."""
    figures = f.time.queues.get(agent)
    if figures is None or figures.p_balk < 0.005:
        return ""
    return f" ({figures.p_balk:.0%} of callers hang up on hearing it)"


def _span(waits: dict[str, float]) -> str:
    low, high = min(waits.values()), max(waits.values())
    return f"{low:.0f} s" if round(low) == round(high) else f"{low:.0f} s - {high:.0f} s"


def _offer(f: Facts, i: int) -> tuple[float, str] | None:
    """The earliest a caller who reaches agent ``i`` is offered a callback, in seconds
    from the start of the call on the fastest route, and how; None when never."""
    top, node = f.top, f.menu.nodes[f.top.ids[i]]
    route = float(f.time.fastest.dist[i])
    ways = []
    if node.callback is not None:
        ways.append((route + node.callback.offer_after,
                     f"offered after {node.callback.offer_after:g} s in the line"))
    if node.on_max_wait is not None and node.max_wait is not None:
        target = f.menu.nodes[node.on_max_wait]
        if target.kind == "callback":
            ways.append((route + node.max_wait, f"after {node.max_wait:g} s the line sends "
                         f"callers to the callback node {node.on_max_wait!r}"))
    backs = np.flatnonzero(top.is_kind("callback") & f.time.fastest.reached)
    for j in backs.tolist():
        ways.append((float(f.time.fastest.dist[j]), f"the menu offers a callback "
                     f"({f.keys(j)}, {f.time.fastest.dist[j]:.0f} s)"))
    if not ways:
        return None
    return min(ways)


def check_callback_when_waiting(f: Facts, p: Params) -> Outcome:
    limit = float(p["seconds"])
    within = None if p.get("offered_within") is None else float(p["offered_within"])
    method = "queue model (expected wait by hour) + fastest route"
    agents = f.time.reachable_agents()
    if not agents:
        return not_applicable("no person can be reached, so there is no line", method=method)
    bad: list[Evidence] = []
    good: list[Evidence] = []
    unknown: list[str] = []
    for aid in agents:
        i = f.top.index[aid]
        offer = _offer(f, i)
        in_time = offer is not None and (within is None or offer[0] <= within)
        waits = hourly_waits(f, aid)
        if waits is None:
            if in_time:
                assert offer is not None
                good.append(f.at(i, f"a callback is offered {offer[0]:.0f} s into the call "
                                 f"({offer[1]}), whatever the wait"))
            else:
                unknown.append(f.time.wait(aid)[1] if f.time.wait(aid)[0] is None else
                               f"the queue wait at {aid!r} is not known by hour")
            continue
        worst = max(waits, key=waits.__getitem__)
        long = {h: w for h, w in waits.items() if w > limit}
        if not long:
            good.append(f.at(i, f"expected wait {_span(waits)} by hour, never over "
                             f"{limit:g} s", figure=round(waits[worst], 3), threshold=limit,
                             unit="s"))
            continue
        if in_time:
            assert offer is not None
            good.append(f.at(i, f"expected wait up to {waits[worst]:.0f} s ({worst}), and "
                             f"a callback {offer[1]}, {offer[0]:.0f} s into the call",
                             figure=round(offer[0], 3), threshold=within, unit="s"))
            continue
        late = "" if offer is None else (
            f"; the callback comes only {offer[0]:.0f} s into the call ({offer[1]}), "
            f"over {within:g} s")
        bad.append(f.at(i, f"expected wait over {limit:g} s in {plural(len(long), 'hour')} "
                        f"(up to {waits[worst]:.0f} s, {worst}) and no callback offered"
                        + (f" within {within:g} s of the start of the call" if within
                           else "") + late, figure=round(waits[worst], 3), threshold=limit,
                        unit="s"))
    lines = plural(len(agents), "line")
    return judged(bad, unknown, good, method=method,
                  failing=f"{len(bad)} of {lines}: long waits with no callback offered",
                  unmeasured=f"{len(unknown)} of {lines} cannot be measured",
                  passing=f"{all_of(len(agents), 'line')}: a callback wherever the "
                  f"expected wait exceeds {limit:g} s")


def check_announced_wait_accurate(f: Facts, p: Params) -> Outcome:
    tolerance, slack = float(p["tolerance"]), float(p["slack"])
    method = "queue model (expected wait by hour)"
    agents = [a for a in f.time.reachable_agents()
              if f.menu.nodes[a].announce_wait is not None]
    if not agents:
        return not_applicable("no line announces a wait", method=method)
    bad: list[Evidence] = []
    good: list[Evidence] = []
    unknown: list[str] = []
    for aid in agents:
        i = f.top.index[aid]
        said = f.menu.nodes[aid].announce_wait
        if said == ESTIMATE:
            good.append(f.at(i, "announces the modelled expected wait (estimate)"))
            continue
        assert isinstance(said, float)
        waits = hourly_waits(f, aid)
        if waits is None:
            unknown.append(f"the queue wait at {aid!r} is not modelled (staff: and "
                           "callers.calls_per_hour are needed)")
            continue
        off = {h: w for h, w in waits.items() if abs(said - w) > max(tolerance * w, slack)}
        if off:
            worst = max(off, key=lambda h: abs(said - off[h]))
            over = sum(said > w for w in off.values())
            how = ("overstates" if over == len(off) else "understates" if not over else
                   "misstates")
            hours = "every hour" if len(off) == len(waits) else \
                f"{plural(len(off), 'hour')} of {len(waits)}"
            bad.append(f.at(i, f"announced {said:g} s; modelled wait {_span(waits)} by hour"
                            f"{_leaving(f, aid)}: {how} it in {hours} (worst {worst}: "
                            f"{off[worst]:.0f} s)", figure=round(off[worst], 3),
                            threshold=said, unit="s"))
        else:
            good.append(f.at(i, f"announced {said:g} s; modelled wait {_span(waits)} by hour"))
    counted = plural(len(agents), "announced wait")
    return judged(bad, unknown, good, method=method,
                  failing=f"{len(bad)} of {counted} off by more than {tolerance:.0%} (or "
                  f"{slack:g} s)",
                  unmeasured=f"{len(unknown)} of {counted} cannot be checked",
                  passing=f"{all_of(len(agents), 'announced wait')} within {tolerance:.0%} "
                  f"(or {slack:g} s) of the model in every hour")


def check_wait_not_cut_off(f: Facts, p: Params) -> Outcome:
    top = f.top
    lines = np.flatnonzero((top.event == _EV["max_wait"]) & f.reached[top.src])
    if not lines.size:
        return not_applicable("no line sends callers away after a longest wait")
    hang = f.forced(top.is_kind("hangup", "(hangup)"))
    bad = [f.at(int(top.src[e]), f"after {f.menu.nodes[top.ids[int(top.src[e])]].max_wait:g}"
                f" s in the line, callers go to {f.name(int(top.dst[e]))}, which hangs up")
           for e in lines.tolist() if hang[top.dst[e]]]
    if bad:
        return failed(f"{plural(len(bad), 'line')} of {len(lines)} cut{'s' * (len(bad) == 1)}"
                      " calls off because the wait is long", *bad)
    return passed(f"{all_of(len(lines), 'line')} with a longest wait send{'s' * (len(lines) == 1)}"
                  " callers on without hanging up")


__all__ = ["check_announced_wait_accurate", "check_callback_when_waiting",
           "check_wait_not_cut_off", "hourly_waits"]
