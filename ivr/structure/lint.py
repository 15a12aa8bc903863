"""Structural findings: what is broken or hostile in a menu, before any caller is simulated.

Each rule (:data:`ivr.structure.rules.RULES`) has an id, a default severity and parameters
a :class:`LintConfig` can change. Every finding names the node, its source line, and the
shortest key sequence from the start that reaches it (and, where the defect is a move, the
move itself), so a designer can hear the problem on a real call. The rules about options
that promise a person and about callers bounced between departments are in
:mod:`ivr.structure.detours`, those about hang-ups in :mod:`ivr.structure.hangups`.

Lint is structural: the one figure a finding carries, the share of callers a hang-up
drops, comes from the caller model (a room above), computed by
:func:`ivr.callers.dropped.drop_shares` and handed in (``drops=``); without it the
finding says the share is not computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

import numpy as np

from ivr.errors import ConfigError
from ivr.formats.yamltext import Document
from ivr.gcpause import paused_gc
from ivr.language.phrases import merge, read_table
from ivr.limits import MAX_NUMBER, shown
from ivr.model import EVENTS, HANGUP, KEYPAD, Menu, Source, made
from ivr.structure import detours, hangups
from ivr.structure.hangups import DropShares
from ivr.structure.rules import RULES, SEVERITIES, Rule
from ivr.structure.topology import Routes, Step, Topology, describe


# No slots: a large menu has tens of thousands of findings, built with ivr.model.made.
@dataclass(frozen=True)
class Finding:
    """One problem: rule, severity, where, what, and the keys that lead there."""

    rule: str
    severity: str
    node: str | None
    message: str
    source: Source | None = None
    path: tuple[Step, ...] | None = None
    keys: str | None = None
    #: The share of callers the defect costs (DROPPED_CALLS: those it hangs up on, from
    #: the exact solution), None when not measured.
    share: float | None = None


@dataclass(frozen=True)
class LintConfig:
    """Which rules run, at what severity, with what thresholds."""

    disabled: frozenset[str] = frozenset()
    severity: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    #: Phrases added to ivr's per-language lists (``phrases:`` in .ivr-lint.yaml):
    #: language -> kind -> phrases, read by the rules and audit checks that read prompts.
    phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def param(self, rule: str, name: str) -> float:
        return self.params.get(rule, {}).get(name, RULES[rule].params[name])

    def severity_of(self, rule: str) -> str:
        return self.severity.get(rule, RULES[rule].severity)

    def lesser(self, rule: str, default: str = "warning") -> str:
        """The severity of a rule's milder case (a person option that leads on to other
        menus, a hang-up under the share limit): ``default`` unless the config sets the
        rule's severity, which then holds for every case."""
        return self.severity.get(rule, default)

    def changed(self, disable: Iterable[str] = (), settings: Iterable[str] = ()) -> LintConfig:
        """Apply ``--disable RULE`` and ``--set RULE.name=value`` from the command line.

        Examples
        --------
        >>> c = LintConfig().changed(["LONG_PROMPT"], ["HUMAN_DEPTH.max=4"])
        >>> sorted(c.disabled), c.param("HUMAN_DEPTH", "max")
        (['LONG_PROMPT'], 4.0)
        """
        data: dict[str, Any] = {"disable": list(disable), "rules": {}}
        for item in settings:
            name, eq, value = item.partition("=")
            rule, dot, param = name.partition(".")
            if not eq or not dot:
                raise ConfigError(f"cannot read setting {item!r}",
                                  hint="write RULE.name=value, e.g. HUMAN_DEPTH.max=4")
            data["rules"].setdefault(rule.strip(), {})[param.strip()] = _scalar(value.strip())
        return self.merged(data, "--set")

    def merged(self, data: Any, file: str, doc: Document | None = None) -> LintConfig:
        """Apply a config mapping ``{disable: [...], rules: {RULE: {param: value}}}``;
        ``doc`` (the parsed file) lets errors name their line and column."""
        marks = doc or Document(file, data)

        def fail(path: tuple[Any, ...], message: str, hint: str | None = None) -> NoReturn:
            line, col = marks.where(path)
            raise ConfigError(message, file=file, line=line, column=col, hint=hint)

        def rule_id(rule: Any, path: tuple[Any, ...]) -> str:
            rid = rule.upper() if isinstance(rule, str) else None
            if rid not in RULES:
                from ivr.formats.checks import did_you_mean

                fail(path, f"no lint rule named {shown(rule)}",
                     (did_you_mean(rid, RULES) if rid else None) or "see `ivr lint --rules`")
            return rid

        if not isinstance(data, dict):
            fail((), "a lint config must be a mapping with disable and rules")
        unknown = [k for k in data if k not in ("disable", "rules", "phrases")]
        if unknown:
            fail((unknown[0],) if isinstance(unknown[0], str) else (),
                 f"unknown config field {shown(unknown[0])}",
                 "use disable: [RULE, ...], rules: {RULE: {...}} and "
                 "phrases: {LANGUAGE: {person: [...]}}")
        phrases = self.phrases
        if "phrases" in data:
            table, problem = read_table(data["phrases"])
            if problem:
                fail(("phrases",), problem, "phrases: {ru: {person: [оператор*]}}")
            phrases = merge(phrases, table)
        disabled = set(self.disabled)
        severity = dict(self.severity)
        params = {k: dict(v) for k, v in self.params.items()}
        disable = data.get("disable") or []
        if not isinstance(disable, list):
            disable = [disable]
        for i, rule in enumerate(disable):
            disabled.add(rule_id(rule, ("disable", i)))
        rules = data.get("rules") or {}
        if not isinstance(rules, dict):
            fail(("rules",), "rules must be a mapping of RULE -> settings")
        for rule, settings in rules.items():
            rp = ("rules", rule)
            rid = rule_id(rule, rp)
            if not isinstance(settings, dict):
                fail(rp, f"settings of {rid} must be a mapping")
            for name, value in settings.items():
                at = (*rp, name)
                if name == "severity":
                    if not isinstance(value, str) or value not in SEVERITIES:
                        fail(at, f"{rid}: severity {shown(value)} is not one of "
                             + ", ".join(SEVERITIES))
                    severity[rid] = value
                elif name == "enabled":
                    if value is False:
                        disabled.add(rid)
                    elif value is True:
                        disabled.discard(rid)
                    else:
                        fail(at, f"{rid}: enabled must be true or false")
                elif isinstance(name, str) and name in RULES[rid].params:
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        fail(at, f"{rid}: {name} must be a number")
                    if not (isinstance(value, int) and 0 <= value <= MAX_NUMBER) and not (
                            isinstance(value, float) and 0 <= value <= MAX_NUMBER):
                        fail(at, f"{rid}: {name} must be a number from 0 to {MAX_NUMBER:,}, "
                             f"not {shown(value)}", "ivr.limits.MAX_NUMBER")
                    params.setdefault(rid, {})[name] = float(value)
                else:
                    allowed = ", ".join(["severity", "enabled", *RULES[rid].params])
                    fail(at, f"{rid} has no setting {shown(name)}", f"settings: {allowed}")
        return replace(self, disabled=frozenset(disabled), severity=severity, params=params,
                       phrases=phrases)


def _scalar(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return float(text)
    except ValueError:
        return text


class Linter:
    """One lint run: the menu, its topology and routes, and the findings so far; the rule
    families (:mod:`ivr.structure.detours`, :mod:`ivr.structure.hangups`) read it and
    call :meth:`add`."""

    def __init__(self, menu: Menu, config: LintConfig, top: Topology,
                 drop_shares: DropShares | None) -> None:
        self.menu = menu
        self.config = config
        self.top = top
        self.drops = drop_shares
        self.findings: list[Finding] = []
        self.routes = Routes(top, menu.start, top.route_weight())
        self.reached = self.routes.reached
        self.human = top.reaching(top.is_kind("agent"))
        # Where each node really leads: message chains followed to their end.
        self.resolved = _through_messages(top)

    def add(self, rule: str, i: int | None, message: str, *,
            severity: str | None = None, then: tuple[Step, ...] = (),
            share: float | None = None, route: bool = True) -> None:
        """A finding at node ``i``, with the route to it and then the moves ``then`` (the
        defect itself: the key pressed, the hang-up); ``route=False`` gives no keys (a
        node no move callers can make reaches)."""
        if rule in self.config.disabled:
            return
        node = self.menu.nodes[self.top.ids[i]] if i is not None else None
        path = keys = None
        if route and i is not None and self.reached[i]:
            path = self.routes.steps(i) + then
            keys = describe(path, self.menu) if then else self.routes.keys(i)
        self.findings.append(made(Finding, {
            "rule": rule, "severity": severity or self.config.severity_of(rule),
            "node": node.id if node else None, "message": message,
            "source": node.source if node else None, "path": path, "keys": keys,
            "share": share,
        }))

    def step(self, edge: int) -> Step:
        """The move of one menu edge, as a route step."""
        top = self.top
        return Step(top.ids[int(top.src[edge])], EVENTS[top.event[edge]],
                    top.ids[int(top.dst[edge])], top.key(edge), float(top.seconds[edge]))

    def run(self) -> list[Finding]:
        self.notes()
        self.no_path_to_human()
        self.traps()
        self.dead_ends()
        self.exits_rules()
        self.menu_rules()
        self.human_depth()
        self.unreachable_goals()
        detours.person_options(self)
        detours.redirect_loops(self)
        hangups.dropped_calls(self)
        order = {s: i for i, s in enumerate(SEVERITIES)}
        position = self.top.index
        self.findings.sort(key=lambda f: (order.get(f.severity, 9),
                                          position.get(f.node or "", -1), f.rule))
        return self.findings

    def notes(self) -> None:
        """What the importer could not resolve, as findings at the node concerned."""
        index = self.top.index
        for note in self.menu.notes:
            if note.rule in self.config.disabled:
                continue
            i = index.get(note.node) if note.node is not None else None
            if i is not None:
                self.add(note.rule, i, note.message)
                if note.source is not None:
                    f = self.findings[-1]
                    self.findings[-1] = replace(f, source=note.source)
            else:
                self.findings.append(Finding(note.rule, self.config.severity_of(note.rule),
                                             note.node, note.message, note.source))

    def no_path_to_human(self) -> None:
        top = self.top
        start = top.index[self.menu.start]
        menus = top.is_kind("menu")
        if not self.human[start]:
            agents = int(top.is_kind("agent").sum())
            why = ("there is no agent node at all" if not agents
                   else f"none of the {agents} agent nodes can be reached")
            stuck = [top.ids[i] for i in np.flatnonzero(menus & self.reached)]
            self.add("NO_PATH_TO_HUMAN", start,
                     f"no person can be reached from the start: {why}"
                     + (f"; menus with no way to a person: {_few(stuck)}" if stuck else ""))
            return
        for i in np.flatnonzero(self.reached & ~self.human & menus).tolist():
            self.add("NO_PATH_TO_HUMAN", i,
                     "once callers are in this menu, no key sequence reaches a person",
                     severity="warning")

    def traps(self) -> None:
        top = self.top
        self_loop = np.zeros(top.n, dtype=bool)
        self_loop[top.src[top.src == top.dst]] = True
        menus = top.is_kind("menu")
        for comp in top.attracting(exclude=top.terminal):
            if len(comp) == 1 and not self_loop[comp[0]]:
                continue  # a node with no way on: DEAD_END says so
            ids = [top.ids[i] for i in comp]
            heads = [i for i in comp if menus[i]] or comp
            head = min(heads, key=lambda i: (self.routes.dist[i], i))
            self.add("TRAP", head,
                     f"callers who reach here can never leave: {_few(ids)} only lead to "
                     "each other, with no way to a person or any ending",
                     severity=None if self.reached[head] else "warning")

    def dead_ends(self) -> None:
        top = self.top
        for i in np.flatnonzero(~self.reached[:-1]).tolist():
            self.add("UNREACHABLE", i, "no key sequence from the start reaches this node")
        has = _has_event(top, ("next", "option", "chance", "open", "closed"))
        for i in np.flatnonzero(top.is_kind("message") & ~has["next"]).tolist():
            self.add("DEAD_END", i, "the message has no next: callers hear it and then nothing")
        for i in np.flatnonzero(top.is_kind("input") & ~has["next"]).tolist():
            self.add("DEAD_END", i, "the input has no next: what callers enter leads nowhere")
        for i in np.flatnonzero(top.is_kind("menu") & ~has["option"]).tolist():
            self.add("DEAD_END", i, "the menu has no options")
        for i in np.flatnonzero(top.is_kind("branch") & ~has["chance"]).tolist():
            for name in ("open", "closed"):
                if not has[name][i]:
                    self.add("DEAD_END", i, f"the branch has no {name!r} route")

    def exits_rules(self) -> None:
        top = self.top
        ev = top.event
        hang = top.is_kind("hangup", "(hangup)")
        fail = (ev == EVENTS.index("fail")) & hang[top.dst]
        for e in np.flatnonzero(fail).tolist():
            i = int(top.src[e])
            node = self.menu.nodes[top.ids[i]]
            share, said = hangups.share_of(self, e)
            self.add("DISCONNECT_ON_FAIL", i,
                     f"after {node.retries} failed attempts the system hangs up{said} "
                     "(send on_fail to a person or voicemail)", share=share)
        closed = (ev == EVENTS.index("closed")) & (top.dst == top.n - 1)
        for e in np.flatnonzero(closed & top.is_kind("agent")[top.src]).tolist():
            i = int(top.src[e])
            node = self.menu.nodes[top.ids[i]]
            share, said = hangups.share_of(self, e)
            self.add("CLOSED_NO_FALLBACK", i,
                     f"outside the hours of schedule {node.schedule!r} callers have "
                     f"nowhere to go and are cut off{said}", share=share)
        limit = self.config.param("LONG_PROMPT", "max_seconds")
        long = (top.prompt > limit) & top.is_kind("menu", "input", "message")
        nodes = self.menu.nodes
        for i in np.flatnonzero(long).tolist():
            if nodes[top.ids[i]].say is None:
                continue  # seconds given, nothing said
            self.add("LONG_PROMPT", i,
                     f"the prompt lasts {top.prompt[i]:.1f} s (over {limit:g} s); "
                     "callers forget the first options")

    def menu_rules(self) -> None:
        top = self.top
        n = top.n
        opt = top.event == EVENTS.index("option")
        o_src, o_key, o_dst = top.src[opt], top.keycode[opt], top.dst[opt]
        o_to = self.resolved[o_dst]
        menus = top.is_kind("menu")
        back = o_to == o_src
        count = np.bincount(o_src, minlength=n)
        loops = np.bincount(o_src, weights=back, minlength=n)
        for i in np.flatnonzero(menus & (count > 0) & (loops == count)).tolist():
            self.add("SAME_OPTION_LOOP", i,
                     "every option of this menu leads back to it: callers can only go round")
        # 0, * and # are conventions, not choices; typed extensions ("1000") neither.
        special = np.isin(o_key, [KEYPAD.index(k) for k in ("0", "*", "#")]) | (o_key < 0)
        choices = np.bincount(o_src, weights=~special & ~back, minlength=n)
        limit = self.config.param("TOO_MANY_OPTIONS", "max")
        for i in np.flatnonzero(menus & (choices > limit)).tolist():
            self.add("TOO_MANY_OPTIONS", i,
                     f"{int(choices[i])} choices (over {limit:g}); split the menu")
        zero = o_key == KEYPAD.index("0")
        has_zero = np.zeros(n, dtype=bool)
        has_zero[o_src[zero]] = True
        for i in np.flatnonzero(menus & ~has_zero).tolist():
            self.add("NO_ZERO_OUT", i, "no 0 option: callers cannot ask for a person here")
        dead_zero = zero & ~self.human[o_dst]
        for e in np.flatnonzero(dead_zero).tolist():
            target = top.ids[int(o_dst[e])]
            self.add("NO_ZERO_OUT", int(o_src[e]),
                     f"0 leads to {target!r}, from which no person can be reached")
        # * should lead back: to a menu with an option into this one, the start, or a hang-up.
        # (pairs as int64 src * n + dst: exact for any n under 3e9)
        start = top.index[self.menu.start]
        hang = top.is_kind("hangup", "(hangup)")
        star = np.flatnonzero(o_key == KEYPAD.index("*"))
        u_star, t_star = o_src[star], o_to[star]
        back_to = np.isin(t_star * n + u_star, o_src * n + o_to)
        wrong = star[~(back_to | (t_star == start) | hang[t_star])]
        for e in wrong.tolist():
            self.add("KEY_CONVENTIONS", int(o_src[e]),
                     f"* leads to {top.ids[int(o_dst[e])]!r}, which is not a "
                     "previous menu; callers expect * to go back or cancel")
        for e in np.flatnonzero(o_key == KEYPAD.index("#")).tolist():
            self.add("KEY_CONVENTIONS", int(o_src[e]),
                     "# is used as a menu choice; callers expect # to end or skip input")

    def human_depth(self) -> None:
        top = self.top
        agents = np.flatnonzero(top.is_kind("agent"))
        if not len(agents):
            return
        menus = top.is_kind("menu")
        routes = Routes(top, self.menu.start, np.where(menus[top.dst], 1.0, 0.0))
        best = int(agents[np.argmin(routes.dist[agents])])
        start = top.index[self.menu.start]
        depth = routes.dist[best] + (1 if menus[start] else 0)
        limit = self.config.param("HUMAN_DEPTH", "max")
        if np.isfinite(depth) and round(depth) > limit:
            self.add("HUMAN_DEPTH", start,
                     f"the nearest person is {round(depth)} menus deep (over {limit:g}): "
                     f"{describe(routes.steps(best), self.menu)}")


    def unreachable_goals(self) -> None:
        """Intents of the menu's callers none of whose goals a caller can reach: the
        caller model counts them ``misrouted`` wherever they end, never served."""
        pop = self.menu.callers
        if pop is None or "UNREACHABLE_GOAL" in self.config.disabled:
            return
        top = self.top
        can = Routes(top, self.menu.start, top.only_taken(top.route_weight())).reached
        for intent in pop.intents:
            goals = [top.index[g] for g in intent.goals]
            if any(can[g] for g in goals):
                continue
            names = ", ".join(repr(g) for g in intent.goals)
            why = ("no key sequence from the start reaches it" if not self.reached[goals[0]]
                   else "only moves callers never make reach it (a retries-1 menu's "
                   "timeout or invalid route, or an on_fail retries never reach)")
            self.add("UNREACHABLE_GOAL", goals[0],
                     f"intent {intent.name!r} ({intent.share:.0%} of callers) aims for "
                     f"{names}, and {why}: these callers can never be served here, and "
                     "count as misrouted wherever they end", route=False)


def _has_event(top: Topology, events: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per event, the mask of nodes with at least one edge of that event."""
    out = {}
    for event in events:
        mask = np.zeros(top.n, dtype=bool)
        mask[top.src[top.event == EVENTS.index(event)]] = True
        out[event] = mask
    return out


def _through_messages(top: Topology) -> np.ndarray:
    """For each node, where following message ``next`` links ends (itself if not a message)."""
    nxt = np.arange(top.n)
    link = (top.event == EVENTS.index("next")) & top.is_kind("message")[top.src]
    nxt[top.src[link]] = top.dst[link]
    resolved = nxt
    for _ in range(64):  # pointer jumping: each pass doubles the hops followed
        jumped = resolved[resolved]
        if np.array_equal(jumped, resolved):
            break
        resolved = jumped
    return resolved


def _few(ids: list[str], n: int = 6) -> str:
    shown = ", ".join(ids[:n])
    return shown + (f" and {len(ids) - n} more" if len(ids) > n else "")


def lint(menu: Menu, config: LintConfig | None = None,
         topology: Topology | None = None, drops: DropShares | None = None) -> list[Finding]:
    """Every finding of the enabled rules, errors first.

    ``drops`` is what the caller model says each hang-up costs
    (:func:`ivr.callers.dropped.drop_shares`): DROPPED_CALLS, DISCONNECT_ON_FAIL and
    CLOSED_NO_FALLBACK findings then carry the share of callers they drop, and a hang-up
    dropping more than DROPPED_CALLS ``max_share`` is an error.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, options: {1: info}}
    ...   info: {kind: message, say: Goodbye.}
    ... ''')
    >>> [(f.rule, f.severity, f.node, f.keys) for f in lint(m)]  # doctest: +NORMALIZE_WHITESPACE
    [('NO_PATH_TO_HUMAN', 'error', 'main', '(at the start)'), ('DEAD_END', 'error', 'info', '1'),
     ('DISCONNECT_ON_FAIL', 'warning', 'main', '(at the start)'),
     ('NO_ZERO_OUT', 'warning', 'main', '(at the start)')]
    """
    top = topology or Topology.of(menu)
    with paused_gc():
        return Linter(menu, config or LintConfig(), top, drops).run()


__all__ = ["HANGUP", "RULES", "SEVERITIES", "DropShares", "Finding", "LintConfig", "Rule",
           "lint"]
