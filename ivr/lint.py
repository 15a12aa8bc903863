"""Structural findings: what is broken or hostile in a menu, before any caller is simulated.

Each rule has an id, a default severity and parameters a :class:`LintConfig` can change.
Every finding names the node, its source line, and the shortest key sequence from the
start that reaches it, so a designer can hear the problem on a real call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ivr.errors import ConfigError
from ivr.model import HANGUP, Menu, Node, Source
from ivr.topology import Step, Topology, describe

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Rule:
    """A lint rule's documentation and defaults."""

    id: str
    severity: str
    summary: str
    params: Mapping[str, float] = field(default_factory=dict)


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("NO_PATH_TO_HUMAN", "error",
         "no person (agent) can be reached from the start; warning for each menu a caller "
         "can reach from which no person can be reached"),
    Rule("DEAD_END", "error", "a node that does not end the call has no way on"),
    Rule("TRAP", "error", "a set of nodes callers can enter but never leave to any ending"),
    Rule("UNREACHABLE", "warning", "no key sequence from the start reaches the node"),
    Rule("SAME_OPTION_LOOP", "error", "every option of a menu leads back to that menu"),
    Rule("DISCONNECT_ON_FAIL", "warning",
         "the system hangs up on a caller whose retries ran out"),
    Rule("HUMAN_DEPTH", "warning", "more than `max` menus before a person", {"max": 3}),
    Rule("TOO_MANY_OPTIONS", "warning",
         "more than `max` choices at a menu (not counting 0, *, # or repeat)", {"max": 5}),
    Rule("NO_ZERO_OUT", "warning", "a menu without 0, or whose 0 does not lead to a person"),
    Rule("KEY_CONVENTIONS", "warning",
         "* does not go back or cancel, or # is used as a menu choice"),
    Rule("CLOSED_NO_FALLBACK", "error",
         "an agent with opening hours but nowhere to send callers when closed"),
    Rule("LONG_PROMPT", "warning", "a prompt longer than `max_seconds` at the configured pace",
         {"max_seconds": 8}),
)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: rule, severity, where, what, and the keys that lead there."""

    rule: str
    severity: str
    node: str | None
    message: str
    source: Source | None = None
    path: tuple[Step, ...] | None = None
    keys: str | None = None


@dataclass(frozen=True)
class LintConfig:
    """Which rules run, at what severity, with what thresholds."""

    disabled: frozenset[str] = frozenset()
    severity: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def param(self, rule: str, name: str) -> float:
        return self.params.get(rule, {}).get(name, RULES[rule].params[name])

    def severity_of(self, rule: str) -> str:
        return self.severity.get(rule, RULES[rule].severity)

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

    def merged(self, data: Any, file: str) -> LintConfig:
        """Apply a config mapping ``{disable: [...], rules: {RULE: {param: value}}}``."""
        if not isinstance(data, dict):
            raise ConfigError("a lint config must be a mapping with disable and rules", file=file)
        unknown = set(data) - {"disable", "rules"}
        if unknown:
            raise ConfigError(f"unknown config field {sorted(unknown)[0]!r}", file=file,
                              hint="use disable: [RULE, ...] and rules: {RULE: {...}}")
        disabled = set(self.disabled)
        severity = dict(self.severity)
        params = {k: dict(v) for k, v in self.params.items()}
        for rule in data.get("disable") or []:
            disabled.add(_rule_id(rule, file))
        rules = data.get("rules") or {}
        if not isinstance(rules, dict):
            raise ConfigError("rules must be a mapping of RULE -> settings", file=file)
        for rule, settings in rules.items():
            rid = _rule_id(rule, file)
            if not isinstance(settings, dict):
                raise ConfigError(f"settings of {rid} must be a mapping", file=file)
            for name, value in settings.items():
                if name == "severity":
                    if value not in SEVERITIES:
                        raise ConfigError(f"{rid}: severity {value!r} is not one of "
                                          + ", ".join(SEVERITIES), file=file)
                    severity[rid] = value
                elif name == "enabled":
                    if value is False:
                        disabled.add(rid)
                    elif value is True:
                        disabled.discard(rid)
                    else:
                        raise ConfigError(f"{rid}: enabled must be true or false", file=file)
                elif name in RULES[rid].params:
                    if isinstance(value, bool) or not isinstance(value, (int, float)):
                        raise ConfigError(f"{rid}: {name} must be a number", file=file)
                    params.setdefault(rid, {})[name] = float(value)
                else:
                    allowed = ", ".join(["severity", "enabled", *RULES[rid].params])
                    raise ConfigError(f"{rid} has no setting {name!r}", file=file,
                                      hint=f"settings: {allowed}")
        return replace(self, disabled=frozenset(disabled), severity=severity, params=params)


def _rule_id(rule: Any, file: str) -> str:
    rid = str(rule).upper()
    if rid not in RULES:
        from ivr.formats.checks import did_you_mean

        raise ConfigError(f"no lint rule named {rule!r}", file=file,
                          hint=did_you_mean(rid, RULES) or "see `ivr lint --rules`")
    return rid


def _scalar(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return float(text)
    except ValueError:
        return text


class _Linter:
    def __init__(self, menu: Menu, config: LintConfig, top: Topology) -> None:
        self.menu = menu
        self.config = config
        self.top = top
        self.findings: list[Finding] = []
        self.weight = top.route_weight()
        self.dist, self.pred = top.shortest(menu.start, self.weight)
        self.reached = np.isfinite(self.dist)
        kinds = [n.kind for n in menu.nodes.values()] + ["hangup"]
        self.kind = np.array(kinds)
        self.human = top.reaching(self.kind == "agent")

    def add(self, rule: str, node: str | None, message: str, *,
            severity: str | None = None, to: str | None = None) -> None:
        if rule in self.config.disabled:
            return
        n = self.menu.nodes.get(node) if node else None
        path = None
        keys = None
        target = to or node
        if target is not None:
            i = self.top.index[target]
            if self.reached[i]:
                path = self.top.path(self.pred, i, self.weight)
                keys = describe(path, self.menu)
        self.findings.append(Finding(
            rule=rule, severity=severity or self.config.severity_of(rule), node=node,
            message=message, source=n.source if n else None, path=path, keys=keys,
        ))

    def run(self) -> list[Finding]:
        self.no_path_to_human()
        self.traps()
        self.per_node()
        self.human_depth()
        order = {s: i for i, s in enumerate(SEVERITIES)}
        position = {nid: i for i, nid in enumerate(self.top.ids)}
        self.findings.sort(key=lambda f: (order.get(f.severity, 9),
                                          position.get(f.node or "", -1), f.rule))
        return self.findings

    def no_path_to_human(self) -> None:
        start = self.top.index[self.menu.start]
        if not self.human[start]:
            stuck = [nid for nid, n in self.menu.nodes.items() if n.kind == "menu"]
            agents = int((self.kind == "agent").sum())
            why = ("there is no agent node at all" if not agents
                   else f"none of the {agents} agent nodes can be reached")
            self.add("NO_PATH_TO_HUMAN", self.menu.start,
                     f"no person can be reached from the start: {why}"
                     + (f"; menus with no way to a person: {_few(stuck)}" if stuck else ""))
            return
        for i in np.flatnonzero(self.reached & ~self.human & (self.kind == "menu")).tolist():
            self.add("NO_PATH_TO_HUMAN", self.top.ids[i],
                     "once callers are in this menu, no key sequence reaches a person",
                     severity="warning")

    def traps(self) -> None:
        top = self.top
        out_degree = np.bincount(top.src, minlength=top.n)
        self_loop = np.zeros(top.n, dtype=bool)
        self_loop[top.src[top.src == top.dst]] = True
        for comp in top.attracting():
            if top.terminal[comp].any():
                continue
            if len(comp) == 1 and (out_degree[comp[0]] == 0 or not self_loop[comp[0]]):
                continue  # a node with no way on: DEAD_END says so
            ids = [top.ids[i] for i in comp]
            menus = [i for i in comp if self.kind[i] == "menu"] or comp
            head = min(menus, key=lambda i: (self.dist[i], i))
            self.add("TRAP", top.ids[head],
                     f"callers who reach here can never leave: {_few(ids)} only lead to "
                     "each other, with no way to a person or any ending",
                     severity=None if self.reached[head] else "warning")

    def per_node(self) -> None:
        cfg = self.config
        max_options = cfg.param("TOO_MANY_OPTIONS", "max")
        max_seconds = cfg.param("LONG_PROMPT", "max_seconds")
        parents = self._menu_parents()
        for nid, node in self.menu.nodes.items():
            i = self.top.index[nid]
            if not self.reached[i]:
                self.add("UNREACHABLE", nid, "no key sequence from the start reaches this node")
            self._dead_end(node)
            kind = node.kind
            if kind == "agent" and node.schedule and node.closed is None:
                self.add("CLOSED_NO_FALLBACK", nid,
                         f"outside the hours of schedule {node.schedule!r} callers have "
                         "nowhere to go and are cut off",)
            if kind in ("menu", "input"):
                fail = self.menu.nodes.get(node.on_fail) if node.on_fail else None
                if fail is None or fail.kind == "hangup":
                    self.add("DISCONNECT_ON_FAIL", nid,
                             f"after {node.retries} failed attempts the system hangs up "
                             "(send on_fail to a person or voicemail)")
            if kind in ("menu", "input", "message") and node.say and node.seconds > max_seconds:
                self.add("LONG_PROMPT", nid,
                         f"the prompt lasts {node.seconds:.1f} s (over {max_seconds:g} s); "
                         "callers forget the first options")
            if kind != "menu":
                continue
            self._menu_rules(node, max_options, parents)

    def _dead_end(self, node: Node) -> None:
        nid, kind = node.id, node.kind
        if kind == "message" and node.next is None:
            self.add("DEAD_END", nid, "the message has no next: callers hear it and then nothing")
        elif kind == "input" and node.next is None:
            self.add("DEAD_END", nid, "the input has no next: what callers enter leads nowhere")
        elif kind == "menu" and not node.options:
            self.add("DEAD_END", nid, "the menu has no options")
        elif kind == "branch" and node.schedule:
            for name in ("open", "closed"):
                if getattr(node, name) is None:
                    self.add("DEAD_END", nid, f"the branch has no {name!r} route")

    def _menu_rules(self, node: Node, max_options: float,
                    parents: dict[str, set[str]]) -> None:
        nid = node.id
        targets = [self._through_messages(o.target) for o in node.options]
        if node.options and all(t == nid for t in targets):
            self.add("SAME_OPTION_LOOP", nid,
                     "every option of this menu leads back to it: callers can only go round")
        choices = [o for o, t in zip(node.options, targets)
                   if o.key not in ("0", "*", "#") and t != nid]
        if len(choices) > max_options:
            self.add("TOO_MANY_OPTIONS", nid,
                     f"{len(choices)} choices (over {max_options:g}); split the menu")
        zero = node.option("0")
        if zero is None:
            self.add("NO_ZERO_OUT", nid, "no 0 option: callers cannot ask for a person here")
        elif not self.human[self.top.index[zero.target]]:
            self.add("NO_ZERO_OUT", nid, f"0 leads to {zero.target!r}, from which no person "
                     "can be reached")
        star = node.option("*")
        if star is not None:
            back = self._through_messages(star.target)
            target_kind = self.menu.nodes[back].kind
            if not (back in parents.get(nid, ()) or back == self.menu.start
                    or target_kind == "hangup"):
                self.add("KEY_CONVENTIONS", nid,
                         f"* leads to {star.target!r}, which is not a previous menu; "
                         "callers expect * to go back or cancel")
        if node.option("#") is not None:
            self.add("KEY_CONVENTIONS", nid,
                     "# is used as a menu choice; callers expect # to end or skip input")

    def _through_messages(self, nid: str) -> str:
        seen = 0
        node = self.menu.nodes.get(nid)
        while node is not None and node.kind == "message" and node.next and seen < 50:
            nid = node.next
            node = self.menu.nodes.get(nid)
            seen += 1
        return nid

    def _menu_parents(self) -> dict[str, set[str]]:
        """For each menu, the menus whose options lead to it (through messages)."""
        parents: dict[str, set[str]] = {}
        for nid, node in self.menu.nodes.items():
            if node.kind != "menu":
                continue
            for opt in node.options:
                child = self._through_messages(opt.target)
                if child != nid:
                    parents.setdefault(child, set()).add(nid)
        return parents

    def human_depth(self) -> None:
        top = self.top
        is_menu = self.kind == "menu"
        weight = np.where(is_menu[top.dst], 1.0, 0.0)
        dist, pred = top.shortest(self.menu.start, weight)
        agents = np.flatnonzero(self.kind == "agent")
        if not len(agents):
            return
        best = int(agents[np.argmin(dist[agents])])
        depth = dist[best] + (1 if is_menu[top.index[self.menu.start]] else 0)
        limit = self.config.param("HUMAN_DEPTH", "max")
        if np.isfinite(depth) and round(depth) > limit:
            steps = top.path(pred, best, weight)
            self.add("HUMAN_DEPTH", self.menu.start,
                     f"the nearest person is {round(depth)} menus deep (over {limit:g}): "
                     f"{describe(steps, self.menu)}")


def _few(ids: list[str], n: int = 6) -> str:
    shown = ", ".join(ids[:n])
    return shown + (f" and {len(ids) - n} more" if len(ids) > n else "")


def lint(menu: Menu, config: LintConfig | None = None,
         topology: Topology | None = None) -> list[Finding]:
    """Every finding of the enabled rules, errors first.

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
    return _Linter(menu, config or LintConfig(), top).run()


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


__all__ = ["HANGUP", "RULES", "Finding", "LintConfig", "Rule", "has_errors", "lint"]
