"""Walking one call through a menu, key by key, exactly as the caller model moves.

``ivr call`` and journeys (``ivr test``) ask "press 2, then 1: where am I, and after how
many seconds?". Rather than re-implement menus, retries and seconds, a :class:`Walker`
compiles the caller model (:func:`ivr.callers.chain.compile_chain`) for a synthetic caller who,
at every menu, may press any key, a key the menu lacks, or nothing, and then follows the
chain's rows: the key pressed selects the entry for that option (or the ``invalid`` entry,
or ``timeout`` for silence); messages, schedule branches and closed agents are taken as
the chain takes them; failures count toward ``retries`` and ``on_fail`` through the
chain's states; each step costs its entry's seconds. A walk therefore costs what a
simulated caller pressing the same keys pays, and stays right when the model changes.

Chance branches (a back-end result) take the most likely target unless told otherwise
(``branch``), or draw one (``seed``). Opening hours follow ``at``, by default the first
minute of the week when the most schedules are open together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from ivr.callers.calendar import clock, used, week
from ivr.callers.chain import MISROUTED, OUTCOMES, SERVED, compile_chain
from ivr.callers.rng import seed_key, uniforms
from ivr.callers.simulate import STEP_CAP
from ivr.errors import ConfigError, LoadError
from ivr.formats.checks import did_you_mean
from ivr.formats.journeys import SILENCE, THEN
from ivr.model import EVENTS, TERMINAL_KINDS, Intent, Menu, Patience, Population
from ivr.structure.topology import Topology
from ivr.week import DAYS, WEEK_MINUTES, offset, parse_at

_EV = {e: i for i, e in enumerate(EVENTS)}
#: Longest path :func:`path_text` writes out in full.
_PATH_STEPS = 40


@dataclass(frozen=True)
class WalkStep:
    """One move: at ``node`` (after ``failures`` failures there), ``event`` happened
    (``key`` pressed or typed; None for silence and automatic moves), leading to
    ``target``; it took ``seconds``, and ``elapsed`` seconds have passed since the start.
    ``note`` says how a chance branch was decided."""

    node: str
    event: str
    key: str | None
    target: str
    seconds: float
    elapsed: float
    failures: int = 0
    retries: int = 1
    note: str | None = None


@dataclass(frozen=True)
class Walk:
    """A call so far, or finished: an immutable record; the walker makes new ones.

    ``at`` is the UTC minute of the week the call is made. ``outcome`` and ``ending`` (the
    node the call ended at) are None while the call goes on; ``state`` is the chain state
    waiting for a key (-1 once the call is over).
    ``reason`` says why a walk stopped short of an ending ("keys ran out at main") or why
    it is stuck; ``unused`` are keys left when the call ended before they were pressed.
    """

    menu: str
    start: str
    at: int | None
    steps: tuple[WalkStep, ...] = ()
    #: ``at`` as the menu's people name it: ``mon 08:30 America/Chicago`` (None: no
    #: schedules, so the time does not matter).
    when: str | None = None
    state: int = -1
    outcome: str | None = None
    ending: str | None = None
    reason: str | None = None
    unused: tuple[str, ...] = ()
    branch: tuple[tuple[str, str], ...] = ()
    seed: int | None = None

    @property
    def seconds(self) -> float:
        return self.steps[-1].elapsed if self.steps else 0.0

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    @property
    def node(self) -> str:
        """Where the caller is: the ending, or the node waiting for a key."""
        if self.ending is not None:
            return self.ending
        return self.steps[-1].target if self.steps else self.start

    def arrivals(self) -> list[tuple[str, float]]:
        """Every node arrived at, with the seconds elapsed then, from the start."""
        return [(self.start, 0.0)] + [(s.target, s.elapsed) for s in self.steps]

    def first_arrival(self, node: str) -> float | None:
        """Seconds at which ``node`` was first reached, or None if never."""
        for n, t in self.arrivals():
            if n == node:
                return t
        return None

    def pressed(self) -> tuple[str, ...]:
        """The keys the caller pressed or typed, silence as ``-``."""
        return tuple(s.key if s.key is not None else SILENCE for s in self.steps
                     if s.event in ("option", "invalid", "timeout", "fail")
                     or (s.event == "next" and s.key is not None))


@dataclass(frozen=True)
class Waiting:
    """The node waiting for the caller: what it says and which keys it takes.

    ``options`` are (key, target, label) of a menu; ``digits`` is what an input expects.
    """

    node: str
    kind: str
    say: str | None
    label: str | None
    options: tuple[tuple[str, str, str | None], ...]
    digits: int | None
    failures: int
    retries: int
    timeout: float


def walker_population(menu: Menu) -> Population:
    """A caller for whom every key, wrong key and silence has a row entry everywhere.

    One intent aiming at every ending (so no node but an ending ends the call), with
    mistakes, confusion and silence strictly between 0 and 1, and no patience: the
    probabilities do not matter to a walk, only which entries exist.
    """
    endings = tuple(n.id for n in menu.nodes.values() if n.kind in TERMINAL_KINDS)
    if not endings:
        raise LoadError("the menu has no ending (agent, self_service, voicemail, transfer or "
                        "hangup) a call could reach", file=menu.source.file,
                        line=menu.source.line, column=menu.source.column,
                        hint="ivr lint shows where callers are trapped")
    return Population((Intent("walk", 1.0, endings),), Patience("none", None),
                      mistake_rate=0.5, confusion=0.5, zero_out=0.0, silence=0.5)


def default_at(menu: Menu) -> int | None:
    """The first UTC minute of the week when the most schedules are open together (the
    longest such time breaking ties); None for a menu without schedules.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: a
    ... schedules: {office: {mon-fri: "08:00-18:00", tz: UTC}}
    ... nodes: {a: {kind: agent, schedule: office, closed: v}, v: {kind: voicemail}}
    ... ''')
    >>> week_time(default_at(m))
    'mon 08:00'
    """
    wk = week(used(menu))
    if not wk.names:
        return None
    counts = wk.sets.sum(axis=1)
    best = max(range(len(wk.sets)), key=lambda k: (int(counts[k]), float(wk.share[k]), -k))
    return int(np.flatnonzero(wk.of_minute == best)[0])


def at_minute(menu: Menu, text: str) -> int:
    """``"sun 03:00"`` in the menu's clock (its first schedule's time zone), or
    ``"sun 03:00 Europe/Madrid"``, -> UTC minute of the week; ConfigError if unreadable."""
    try:
        return parse_at(text, clock(menu.schedules))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def when_text(menu: Menu, minute: int) -> str:
    """A UTC minute in the menu's clock, zone named: ``mon 08:30 America/Chicago``."""
    tz = clock(menu.schedules)
    return f"{week_time(minute, tz)} {tz}"


def week_time(minute: int, tz: str = "UTC") -> str:
    """A UTC minute of the week as people in ``tz`` name it (``tue 08:15``).

    Examples
    --------
    >>> week_time(1935), week_time(870, "America/Chicago")
    ('tue 08:15', 'mon 08:30')
    """
    m = (minute + offset(tz)) % WEEK_MINUTES
    return f"{DAYS[m // 1440]} {m % 1440 // 60:02d}:{m % 60:02d}"


def _percent(p: float) -> str:
    return f"{p * 100:.3g}%"


class Walker:
    """A menu compiled for walking at one time of the week (``at``, a UTC minute).

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, seconds: 4, options: {1: sub, 0: desk}, on_fail: desk}
    ...   sub: {kind: menu, seconds: 2, options: {1: info}}
    ...   info: {kind: self_service}
    ...   desk: {kind: agent}
    ... ''')
    >>> w = Walker(m).run(["1", "1"])
    >>> w.outcome, w.ending, w.seconds, path_text(w)
    ('served', 'info', 6.0, 'main -> 1 -> sub -> 1 -> info')
    >>> w = Walker(m).run(["7", "-", "-"])   # 4 s, then 4 + 5 s of silence, twice
    >>> w.outcome, w.seconds
    ('human', 22.0)
    >>> path_text(w)
    'main -> 7 (invalid 1/3) -> main -> (silence 2/3) -> main -> (silence 3/3) -> desk'
    >>> Walker(m).run(["1"]).reason
    'keys ran out at sub'
    """

    def __init__(self, menu: Menu, *, at: int | None = None,
                 top: Topology | None = None) -> None:
        self.menu = menu
        self.top = top or Topology.of(menu)
        if not menu.schedules:
            at = None
        elif at is None:
            at = default_at(menu)
        self.at = None if at is None else at % WEEK_MINUTES
        self.chain = compile_chain(menu, walker_population(menu), top=self.top, at=self.at)
        if len(self.chain.classes) != 1:  # pragma: no cover - one intent, one time
            raise AssertionError("a walk compiles to exactly one caller class")
        self._rows: dict[int, dict[str, int | None]] = {}

    @property
    def when(self) -> str | None:
        """The walker's time as the menu's people name it: ``mon 08:30 America/Chicago``."""
        return None if self.at is None else when_text(self.menu, self.at)

    @cached_property
    def open_schedules(self) -> dict[str, bool]:
        """Each schedule: open or closed at this walker's time."""
        wk = self.chain.week
        k = self.chain.classes[0].open_set
        return {name: bool(wk.sets[k, i]) for i, name in enumerate(wk.names)}

    # -- the walk ------------------------------------------------------------------------

    def begin(self, branch: Mapping[str, str] | Iterable[tuple[str, str]] = (),
              seed: int | None = None) -> Walk:
        """A new call: the start, then every automatic move up to the first key wanted.

        ``branch`` maps chance branches to the target to take; ``seed`` draws the others
        by their probabilities (default: the most likely one).
        """
        pairs = tuple(branch.items() if isinstance(branch, Mapping) else branch)
        self.check_branch(pairs)
        walk = Walk(self.menu.name, self.menu.start, self.at, when=self.when, branch=pairs,
                    seed=seed)
        first = int(self.chain.start[0])
        if first < 0:  # the start is an ending
            return self._ended(walk, first, self.menu.start)
        return self._advance(replace(walk, state=first))

    def press(self, walk: Walk, token: str) -> Walk:
        """The caller presses ``token`` (a key, several typed in a row, or ``-`` for
        silence) at the node waiting; the walk goes on to the next node waiting or the end.
        """
        if walk.ended or walk.state < 0 or walk.reason is not None:
            raise ValueError("the call is over")
        s = walk.state
        node = self.menu.nodes[self.top.ids[int(self.chain.state_node[s])]]
        row = self._row(s)
        note = None
        key: str | None = token
        if token in ("", SILENCE, "wait"):
            entry, key = row["timeout"], None
        elif node.kind == "input":
            if _accepted(token, node.digits):
                entry = row["next"]
            else:
                entry, note = row["invalid"], "wrong entry"
        else:
            entry = row.get("option " + token)
            if entry is None:
                entry = row["invalid"]
                if entry is None:
                    raise ConfigError(f"{token!r} is not an option of {node.id!r}, and every "
                                      "key is one, so no key is invalid there", node=node.id)
        assert entry is not None, "a waiting state has silence and digit-entry entries"
        return self._take(walk, entry, key, note)

    def hang_up(self, walk: Walk) -> Walk:
        """The caller hangs up (the walk stops where it is)."""
        if walk.ended:
            return walk
        return replace(walk, state=-1, reason=f"hung up at {walk.node}")

    def run(self, keys: Sequence[str], *, then: str = "stop",
            branch: Mapping[str, str] | Iterable[tuple[str, str]] = (),
            seed: int | None = None) -> Walk:
        """Press ``keys`` in turn. When they run out before the call ends, ``then="stop"``
        stops there (``reason`` says where) and ``"silence"`` waits out every prompt until
        an ending or the step cap. Keys left when the call ended are in ``unused``."""
        if then not in THEN:
            raise ConfigError(f"then must be one of {', '.join(THEN)}, not {then!r}")
        walk = self.begin(branch, seed)
        i = 0
        while not walk.ended:
            if i < len(keys):
                walk = self.press(walk, keys[i])
                i += 1
            elif then == "silence":
                walk = self.press(walk, SILENCE)
            else:
                return replace(walk, reason=f"keys ran out at {walk.node}")
        return replace(walk, unused=tuple(keys[i:]))

    def waiting(self, walk: Walk) -> Waiting | None:
        """What the node waiting for a key says and takes (None once the call is over)."""
        if walk.ended or walk.state < 0:
            return None
        s = walk.state
        node = self.menu.nodes[self.top.ids[int(self.chain.state_node[s])]]
        return Waiting(node.id, node.kind, node.say, node.label,
                       tuple((o.key, o.target, o.label) for o in node.options),
                       node.digits, int(self.chain.state_fail[s]), node.retries or 1,
                       node.timeout or 0.0)

    def check_branch(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Each (node, target): a chance branch and one of its targets."""
        for node, target in pairs:
            n = self.menu.nodes.get(node)
            if n is None or not n.chance:
                chances = [k for k, v in self.menu.nodes.items() if v.chance]
                raise ConfigError(f"{node!r} is not a chance branch of this menu",
                                  hint=did_you_mean(node, chances)
                                  or ("chance branches: " + ", ".join(chances) if chances
                                      else "the menu has no chance branch"))
            targets = [t for t, _ in n.chance]
            if target not in targets:
                raise ConfigError(f"branch {node!r} cannot lead to {target!r}", node=node,
                                  hint=did_you_mean(target, targets)
                                  or "its targets: " + ", ".join(targets))

    # -- stepping ------------------------------------------------------------------------

    def _row(self, s: int) -> dict[str, int | None]:
        """A waiting state's entries by what the caller does: ``option KEY``, ``next``
        (a digit entry accepted), ``invalid`` and ``timeout``."""
        row = self._rows.get(s)
        if row is not None:
            return row
        c, top = self.chain, self.top
        row = {"next": None, "invalid": None, "timeout": None}
        fails = []
        for e in range(int(c.indptr[s]), int(c.indptr[s + 1])):
            event = EVENTS[int(c.event[e])]
            if event == "option":
                row[f"option {top.key(int(c.edge[e]))}"] = e
            elif event in ("next", "invalid", "timeout"):
                row[event] = e
            elif event == "fail":
                fails.append(e)
        if fails:  # the last failure allowed: both ways lead to on_fail; silence is longer
            fails.sort(key=lambda e: float(c.secs[e]))
            row["timeout"] = fails[-1]
            row["invalid"] = fails[0] if len(fails) > 1 else None
        self._rows[s] = row
        return row

    def _ended(self, walk: Walk, dst: int, ending: str) -> Walk:
        code = -1 - dst
        if code == MISROUTED:  # a walk has no intent: any self-service ending serves it
            code = SERVED
        return replace(walk, state=-1, outcome=OUTCOMES[code], ending=ending)

    def _take(self, walk: Walk, e: int, key: str | None, note: str | None = None) -> Walk:
        c, top = self.chain, self.top
        s = int(c.entry_state[e])
        node = top.ids[int(c.state_node[s])]
        edge, dst = int(c.edge[e]), int(c.dst[e])
        if edge >= 0:
            target = top.ids[int(top.dst[edge])]
        else:
            target = top.ids[int(c.state_node[dst])] if dst >= 0 else node
        secs = float(c.secs[e])
        step = WalkStep(node, EVENTS[int(c.event[e])], key, target, secs,
                        round(walk.seconds + secs, 9), int(c.state_fail[s]),
                        int(top.retries[int(c.state_node[s])]), note)
        walk = replace(walk, steps=(*walk.steps, step))
        if dst < 0:
            walk = self._ended(walk, dst, target)
            if edge < 0:
                walk = replace(walk, reason=f"dead end at {node}: no way on")
            return walk
        walk = replace(walk, state=dst)
        if len(walk.steps) >= STEP_CAP:
            return replace(walk, state=-1, outcome="stuck", ending=target,
                           reason=f"still going after {STEP_CAP} steps")
        return self._advance(walk)

    def _advance(self, walk: Walk) -> Walk:
        """Take automatic moves (messages, branches, closed agents) until a key is wanted."""
        c, top = self.chain, self.top
        while not walk.ended:
            s = walk.state
            kind = self.menu.nodes[top.ids[int(c.state_node[s])]].kind
            if kind in ("menu", "input"):
                return walk
            lo, hi = int(c.indptr[s]), int(c.indptr[s + 1])
            if hi - lo == 1:
                walk = self._take(walk, lo, None)
            else:
                e, note = self._chance(walk, lo, hi)
                walk = self._take(walk, e, None, note)
        return walk

    def _chance(self, walk: Walk, lo: int, hi: int) -> tuple[int, str]:
        """Which chance entry to take, and how it was decided."""
        c, top = self.chain, self.top
        node = top.ids[int(c.state_node[c.entry_state[lo]])]
        probs = c.prob[lo:hi]
        chosen = dict(walk.branch).get(node)
        if chosen is not None:
            for e in range(lo, hi):
                if top.ids[int(top.dst[int(c.edge[e])])] == chosen:
                    return e, f"chance {_percent(float(c.prob[e]))}, chosen"
        if walk.seed is not None:
            u = float(uniforms(seed_key(walk.seed), np.zeros(1, dtype=np.uint64),
                               len(walk.steps))[0])
            k = int(np.searchsorted(np.cumsum(probs) / probs.sum(), u, side="right"))
            k = min(k, hi - lo - 1)
            return lo + k, f"chance {_percent(float(probs[k]))}, drawn"
        k = int(np.argmax(probs))
        return lo + k, f"chance {_percent(float(probs[k]))}, the most likely"


def _accepted(token: str, digits: int | None) -> bool:
    """A digit entry an input takes: only digits (a closing # allowed), as many as it asks
    for when it says.

    Examples
    --------
    >>> _accepted("1234#", 4), _accepted("123", 4), _accepted("12*", None)
    (True, False, False)
    """
    entry = token[:-1] if token.endswith("#") else token
    return entry.isdigit() and entry.isascii() and (digits is None or len(entry) == digits)


def step_words(step: WalkStep) -> str | None:
    """What happened at a step, for people: ``2``, ``(silence 2/3)``, ``7 (invalid 3/3)``,
    ``12 (wrong entry 1/3)``, ``(closed)``, ``(chance 90%)``; None for a message moving on
    by itself."""
    event = step.event
    if event in ("option", "next"):
        return step.key
    if event in ("invalid", "timeout", "fail"):
        retried = event == "fail" or step.target == step.node
        tries = f" {step.failures + 1}/{step.retries}" if retried else ""
        if step.key is None:
            return f"(silence{tries})"
        return f"{step.key} ({step.note or 'invalid'}{tries})"
    if event in ("open", "closed"):
        return f"({event})"
    if event == "chance":
        return "(" + (step.note or "chance").replace(", the most likely", "") + ")"
    return None


def path_text(walk: Walk) -> str:
    """The path as ``node -> key -> node ...`` (long paths shortened in the middle)."""
    parts = [walk.start]
    dead = bool(walk.reason and walk.reason.startswith("dead end"))
    for i, step in enumerate(walk.steps):
        words = step_words(step)
        if words:
            parts.append(words)
        parts.append("(dead end)" if dead and i == len(walk.steps) - 1 else step.target)
    if len(parts) > 2 * _PATH_STEPS:
        parts = [*parts[:_PATH_STEPS], f"... {len(walk.steps)} steps ...",
                 *parts[-_PATH_STEPS // 2:]]
    return " -> ".join(parts)


__all__ = ["Waiting", "Walk", "WalkStep", "Walker", "at_minute", "default_at", "week_time",
           "when_text",
           "path_text", "step_words", "walker_population"]
