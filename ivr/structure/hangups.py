"""Where the system hangs up on callers it has not served, and what that costs.

A hang-up node (``kind: hangup``) or the implicit one (retries out with no ``on_fail``, an
agent closed with no ``closed`` route) ends the call as ``disconnected``. Running out of
retries is DISCONNECT_ON_FAIL's, an agent with no ``closed`` route CLOSED_NO_FALLBACK's;
DROPPED_CALLS reports every other way in: a ``closed`` route (of an agent or a schedule
branch), a message whose ``next`` hangs up (after "we are closed, goodbye", or after an
option: not after a self-service, which ends the call itself), a ``chance`` branch (a
back-end result, or ringing nobody answers, written or imported as one), silence or a wrong
key routed to a hang-up. An option whose target is a hang-up is the caller's own choice
("to end this call press 9") and is not reported.

The share of callers each way drops comes from the exact solution of the caller model,
a room above this one: :func:`ivr.callers.dropped.drop_shares` computes a
:class:`DropShares`, and lint takes it as given. Callers whose goal is a message are
served on arrival, so a "goodbye" after the information they called for drops no one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ivr.model import EVENTS
from ivr.structure.topology import Topology, reaching

if TYPE_CHECKING:
    from ivr.structure.lint import Linter

_EV = {e: i for i, e in enumerate(EVENTS)}


@dataclass(frozen=True)
class DropShares:
    """The share of callers who leave the menu by each edge into a hang-up (edge index of
    the menu's :class:`~ivr.structure.topology.Topology` -> share), and how it was had;
    ``missing`` says why there are no shares (the exact solution does not apply)."""

    shares: Mapping[int, float] = field(default_factory=dict)
    method: str = "exact solution of the caller model, calls over the week"
    missing: str | None = None
    #: The shares are upper bounds (solved for callers who never give up, as the callers'
    #: patience is not exponential): "at most", and never an error on their own.
    bound: bool = False
    #: Why the shares are an assumption (an imported flow deciding branches at call time,
    #: split evenly); such shares are never an error on their own.
    assumed: str | None = None


def into_hangups(top: Topology) -> np.ndarray:
    """Edges the caller model takes into a hang-up (explicit or implicit)."""
    hang = top.is_kind("hangup", "(hangup)")
    return np.flatnonzero(hang[top.dst] & top.taken)


def drop_edges(top: Topology) -> np.ndarray:
    """The edges DROPPED_CALLS reports: into a hang-up, taken by callers, and neither the
    caller's own choice (an option), running out of retries (DISCONNECT_ON_FAIL), an
    agent's missing ``closed`` route (CLOSED_NO_FALLBACK), nor the goodbye after
    self-service (a message callers reach only after a digit entry: "your balance is
    ..."), which ends a call that was served."""
    e = into_hangups(top)
    ev = top.event[e]
    own = ev == _EV["option"]
    retries = ev == _EV["fail"]
    no_route = (ev == _EV["closed"]) & top.is_kind("agent")[top.src[e]] & \
        (top.dst[e] == top.n - 1)
    served = (ev == _EV["next"]) & after_self_service(top)[top.src[e]]
    return e[~(own | retries | no_route | served)]


def after_self_service(top: Topology) -> np.ndarray:
    """Per node: a message or chance branch that callers reach only after typing digits
    (every way into it, back through messages and chance branches, starts at an input)."""
    passive = top.is_kind("message") | (top.is_kind("branch") & _has_chance(top))
    # Nodes reached through passive nodes from a start that is not a digit entry.
    other = np.zeros(top.n, dtype=bool)
    other[top.index[top.menu.start]] = True
    edge = passive[top.dst] & ~top.is_kind("input")[top.src] & ~passive[top.src]
    other[top.dst[edge]] = True
    inner = passive[top.src] & passive[top.dst]
    other = reaching(top.n, top.dst[inner], top.src[inner], other)  # forward through them
    return passive & ~other


def _has_chance(top: Topology) -> np.ndarray:
    out = np.zeros(top.n, dtype=bool)
    out[top.src[top.event == _EV["chance"]]] = True
    return out


def share_of(lin: Linter, edge: int) -> tuple[float | None, str]:
    """The share of callers an edge drops, and the words for a finding (``, dropping
    0.35% of callers``; empty when the shares were not given)."""
    if lin.drops is None or lin.drops.missing is not None:
        return None, ""
    share = float(lin.drops.shares.get(edge, 0.0))
    at_most = "at most " if lin.drops.bound else ""
    return share, f", dropping {at_most}{_pct(share)} of callers"


def _pct(x: float) -> str:
    """A share as people read it: 91.1%, 0.35%, under 0.01%."""
    if x >= 0.1:
        return f"{x:.1%}"
    if x >= 1e-4:
        return f"{x:.2%}"
    return "under 0.01%"


def _way(lin: Linter, edge: int) -> str:
    """How callers meet the hang-up, in words."""
    top, menu = lin.top, lin.menu
    i = int(top.src[edge])
    node = menu.nodes[top.ids[i]]
    event = EVENTS[top.event[edge]]
    if event == "closed":
        return f"outside the hours of schedule {node.schedule!r} the system hangs up"
    if event == "open":
        return f"while schedule {node.schedule!r} is open the system hangs up"
    if event == "chance":
        p = float(top.chance[edge])
        return f"the branch sends {p:.0%} of its callers to a hang-up (a back-end result, " \
            "or ringing nobody answers)"
    if event == "timeout":
        return "silence here leads to a hang-up"
    if event == "invalid":
        return "a wrong key here leads to a hang-up"
    if event == "next" and node.kind == "message":
        into = np.flatnonzero(top.dst == i)
        if len(into) and (top.event[into] == _EV["closed"]).all():
            return "outside opening hours callers hear this message and the system hangs up"
        return "after this message the system hangs up"
    return "this route hangs up"


def dropped_calls(lin: Linter) -> None:
    """DROPPED_CALLS: one finding per way in, at the node the hang-up follows, with the
    keys to it and the move that hangs up; error when it drops more than ``max_share``."""
    rule = "DROPPED_CALLS"
    if rule in lin.config.disabled:
        return
    top = lin.top
    limit = lin.config.param(rule, "max_share")
    for e in drop_edges(top).tolist():
        i = int(top.src[e])
        if not lin.reached[i]:
            continue  # UNREACHABLE says so
        share, said = share_of(lin, e)
        if share is not None and share <= 0.0:
            continue  # nobody unserved goes this way (e.g. a goodbye after their answer)
        if share is None:
            why = (lin.drops.missing if lin.drops is not None else
                   "lint alone is structural; ivr lint computes it from the caller model")
            text = f"{_way(lin, e)} (the share of callers it drops is not known: {why})"
            severity = lin.config.lesser(rule)
        else:
            drops = lin.drops
            assert drops is not None
            over = share > limit and not drops.bound and drops.assumed is None
            text = f"{_way(lin, e)}{said}" + (f", over the {limit:.0%} limit" if over else "")
            if drops.bound:
                text += (" (an upper bound: solved for callers who never give up, as their "
                         "patience is not exponential)")
            if drops.assumed is not None and share > limit:
                text += f" (an assumption: {drops.assumed})"
            severity = lin.config.severity_of(rule) if not over else \
                lin.config.severity.get(rule, "error")
        lin.add(rule, i, text, severity=severity, then=(lin.step(e),), share=share)


__all__ = ["DropShares", "drop_edges", "dropped_calls", "into_hangups", "share_of"]
