"""Running journeys: walk each one through the menu and say whether its expectations hold.

A journey (:class:`ivr.formats.journeys.Journey`) is a key sequence with what must happen;
:func:`run_journeys` walks it with :class:`ivr.walk.walker.Walker` (so seconds, retries and
``on_fail`` are the caller model's own) and returns immutable results with the reasons a
journey failed, for ``ivr test`` to print, turn into JSON or JUnit XML, and exit 1 on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ivr.formats.journeys import Expect, Journey, JourneyFile, problems_against
from ivr.model import Menu
from ivr.structure.topology import Topology
from ivr.walk.walker import Walk, Walker, at_minute, default_at, when_text

#: Seconds compared with ``within`` are sums of prompt lengths; this absorbs float error.
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class JourneyResult:
    """A journey, the walk it made, and why it failed (empty: it passed)."""

    journey: Journey
    walk: Walk
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class JourneysReport:
    """The journeys of one file run against one menu."""

    file: str
    menu_file: str
    menu: str
    #: The time of the week walks use when a journey sets none (None: no schedules), and
    #: the same as people name it (``mon 08:30 America/Chicago``).
    at: int | None
    when: str | None
    results: tuple[JourneyResult, ...]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed


def verdict(walk: Walk, expect: Expect) -> tuple[str, ...]:
    """Why ``walk`` does not meet ``expect`` (empty when it does).

    Keys left unpressed when the call ended always fail the journey: the menu ended the
    call sooner than the journey's author thought.
    """
    out: list[str] = []
    over = _over(walk)
    if walk.unused:
        out.append(f"the call ended at {walk.ending} ({walk.outcome}) with keys left: "
                   + ", ".join(walk.unused))
    if expect.node is not None:
        t = walk.first_arrival(expect.node)
        if t is None:
            out.append(f"never reached {expect.node}")
        elif expect.within is not None and t > expect.within + _TOLERANCE:
            out.append(f"reached {expect.node} after {t:.1f} s, not within {expect.within:g} s")
    elif expect.within is not None:
        if not walk.ended:
            out.append(f"expected the call to end within {expect.within:g} s, but {over}")
        elif walk.seconds > expect.within + _TOLERANCE:
            out.append(f"the call ended after {walk.seconds:.1f} s, not within "
                       f"{expect.within:g} s")
    if expect.outcome:
        wanted = " or ".join(expect.outcome)
        if not walk.ended:
            out.append(f"expected {wanted}, but {over}")
        elif walk.outcome not in expect.outcome:
            out.append(f"ended as {walk.outcome} at {walk.ending}, expected {wanted}")
    if expect.ending is not None:
        if not walk.ended:
            out.append(f"expected the call to end at {expect.ending}, but {over}")
        elif walk.ending != expect.ending:
            out.append(f"ended at {walk.ending} ({walk.outcome}), expected {expect.ending}")
    for node in expect.not_node:
        t = walk.first_arrival(node)
        if t is not None:
            out.append(f"passed through {node} (at {t:.1f} s)")
    if expect.max_steps is not None and len(walk.steps) > expect.max_steps:
        out.append(f"took {len(walk.steps)} steps, more than {expect.max_steps}")
    return tuple(out)


def _over(walk: Walk) -> str:
    if walk.ended:
        return f"it ended as {walk.outcome} at {walk.ending}"
    return f"the call had not ended: {walk.reason}"


def run_journeys(menu: Menu, journeys: Sequence[Journey], *, at: str | None = None,
                 top: Topology | None = None) -> tuple[JourneyResult, ...]:
    """Walk every journey through ``menu``; ``at`` ("sun 03:00", in the menu's clock) is
    the time for journeys that set none (default: when the most schedules are open, see
    :func:`ivr.walk.walker.default_at`).

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> from ivr.formats.journeys import parse_journeys
    >>> m = parse_menu('''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, seconds: 4, options: {1: info, 0: desk}, on_fail: desk}
    ...   info: {kind: self_service}
    ...   desk: {kind: agent}
    ... ''')
    >>> jf = parse_journeys('''
    ... journeys:
    ...   - {name: person, keys: "0", expect: {outcome: human, within: 5}}
    ...   - {name: info, keys: [1, 1], expect: {ending: info}}
    ... ''')
    >>> [(r.journey.name, r.failures) for r in run_journeys(m, jf.journeys)]
    [('person', ()), ('info', ('the call ended at info (served) with keys left: 1',))]
    """
    top = top or Topology.of(menu)
    walkers: dict[int | None, Walker] = {}
    results = []
    for journey in journeys:
        text = journey.at if journey.at is not None else at
        when = at_minute(menu, text) if text is not None and menu.schedules else None
        walker = walkers.get(when)
        if walker is None:
            walker = walkers[when] = Walker(menu, at=when, top=top)
        walk = walker.run(journey.keys, then=journey.then, branch=journey.branch,
                          seed=journey.seed)
        results.append(JourneyResult(journey, walk, verdict(walk, journey.expect)))
    return tuple(results)


def run_file(jf: JourneyFile, menu: Menu, *, menu_file: str, at: str | None = None,
             top: Topology | None = None) -> JourneysReport:
    """Run a journeys file against ``menu``. A journey naming a node the menu does not
    have (a stale name after a rename) fails with the one-line reason and its "did you
    mean"; the other journeys run.

    The time of a journey is its own ``at``, else the file's, else ``at``, else the
    default (:func:`ivr.walk.walker.default_at`)."""
    stale = problems_against(jf, menu)
    top = top or Topology.of(menu)
    at = jf.at if jf.at is not None else at
    default = None
    if menu.schedules:
        default = default_at(menu) if at is None else at_minute(menu, at)
    when = None if default is None else when_text(menu, default)
    runnable = [j for k, j in enumerate(jf.journeys) if k not in stale]
    walked = iter(run_journeys(menu, runnable, at=at, top=top))
    results = tuple(
        JourneyResult(j, Walk(menu.name, menu.start, default, when=when,
                              reason="not walked: it names a node the menu lacks"),
                      (str(stale[k]),))
        if k in stale else next(walked) for k, j in enumerate(jf.journeys))
    return JourneysReport(jf.file, menu_file, menu.name, default, when, results)


__all__ = ["JourneyResult", "JourneysReport", "run_file", "run_journeys", "verdict"]
