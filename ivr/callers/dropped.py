"""The share of callers each hang-up drops, from the exact solution, for lint to report.

Lint is structural and sits below the caller model; its DROPPED_CALLS findings (and
DISCONNECT_ON_FAIL, CLOSED_NO_FALLBACK) carry the share of callers a hang-up costs when
given one: this module computes it (``ivr lint`` and ``ivr audit`` call it), and
:func:`lint_menu` runs lint with it. The callers are the menu's own (or the default
callers of :func:`ivr.callers.chain.default_population`), calling over the week as their
arrivals say (flat without a profile); a share is the expected number of calls that
leave the menu by that edge, per call.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ivr.callers.chain import DISCONNECTED, compile_chain, default_population
from ivr.errors import IvrError
from ivr.model import Menu, Patience, Population
from ivr.structure.hangups import DropShares, into_hangups
from ivr.structure.lint import Finding, LintConfig, lint
from ivr.structure.topology import Topology


def drop_shares(menu: Menu, top: Topology | None = None,
                population: Population | None = None) -> DropShares:
    """Per edge into a hang-up, the share of callers who are disconnected by it.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: hours
    ... schedules: {office: {daily: "09:00-15:00", tz: UTC}}
    ... nodes:
    ...   hours: {kind: branch, schedule: office, open: desk, closed: bye}
    ...   desk: {kind: agent}
    ...   bye: {kind: hangup}
    ... ''')
    >>> d = drop_shares(m)
    >>> [round(x, 4) for x in d.shares.values()], d.missing
    ([0.75], None)
    """
    top = top or Topology.of(menu)
    if not len(into_hangups(top)):
        return DropShares({})
    from ivr.callers.exact import solve  # scipy.sparse: only when something hangs up

    try:
        pop = population or menu.callers or default_population(menu)
        # Queues are after the agent, an ending: they do not change who is hung up on.
        pop = replace(pop, calls_per_hour=0.0)
        patience = pop.patience.distribution
        bound = patience not in ("exponential", "none")
        if bound:  # callers who never give up are hung up on at least as often
            pop = replace(pop, patience=Patience("none", None))
        chain = compile_chain(menu, pop, top=top)
        exact = solve(chain)
    except IvrError as exc:
        return DropShares({}, missing=exc.message)
    hung = (chain.dst == -1 - DISCONNECTED) & (chain.edge >= 0)
    # A caller whose goal is that very hang-up ("to end this call") was not dropped.
    goals = [frozenset(top.index[g] for g in i.goals) for i in chain.population.intents]
    intent = np.array([c.intent for c in chain.classes], dtype=np.int64)
    of_entry = intent[chain.state_class[chain.entry_state]]
    for e in np.flatnonzero(hung).tolist():
        if int(top.dst[chain.edge[e]]) in goals[of_entry[e]]:
            hung[e] = False
    per_edge = np.bincount(chain.edge[hung], weights=exact.flow[hung],
                           minlength=len(top.src))
    who = "the menu's callers" if (population or menu.callers) else "ivr's default callers"
    method = f"exact solution of the caller model: {who}, calling over the week"
    if bound:
        method += ("; an upper bound, solved for callers who never give up (their "
                   f"patience, {patience}, is not exponential)")
    unresolved = sum(n.rule == "UNRESOLVED_TARGET" for n in menu.notes)
    assumed = None if not unresolved else (
        f"the flow decides {unresolved} branch{'es' * (unresolved != 1)} at call time, "
        "which ivr splits evenly")
    return DropShares({int(e): float(per_edge[e]) for e in np.flatnonzero(per_edge > 0)},
                      method=method, bound=bound, assumed=assumed)


def lint_menu(menu: Menu, config: LintConfig | None = None,
              top: Topology | None = None) -> list[Finding]:
    """Lint with the shares of callers each hang-up drops (what ``ivr lint`` reports)."""
    top = top or Topology.of(menu)
    config = config or LintConfig()
    wanted = {"DROPPED_CALLS", "DISCONNECT_ON_FAIL", "CLOSED_NO_FALLBACK"} - config.disabled
    drops = drop_shares(menu, top) if wanted and len(into_hangups(top)) else None
    return lint(menu, config, top, drops)


__all__ = ["drop_shares", "lint_menu"]
