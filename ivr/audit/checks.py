"""Auditing a menu against policies: every rule's check becomes a :class:`Verdict`.

The checks named by :data:`ivr.audit.policy.CHECKS` are implemented here once, each with its
parameters. Structural checks read lint findings, the topology and shortest routes; time
checks read the fastest routes, the caller model (exact where it applies, else simulated
with a fixed seed) and queue figures where agents are staffed. A verdict is ``passed``,
``failed`` or ``not-applicable`` (the menu has nothing the rule is about, or a figure the
rule needs is not modelled); each failure carries evidence: the node at fault and its
source line, the keys a caller presses to get there, and the figure against the threshold.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np

from ivr.audit.hours import Applies, applies, when
from ivr.audit.lines import (  # noqa: F401 - checks named in CHECKS, found by name
    check_announced_wait_accurate,
    check_callback_when_waiting,
    check_wait_not_cut_off,
)
from ivr.audit.policy import CHECKS, PERSON_CHECKS, Policy, PolicyRule
from ivr.audit.time import TimeFacts
from ivr.audit.verdict import (
    STATUSES,
    Evidence,
    MenuAudit,
    Outcome,
    Verdict,
    all_of,
    failed,
    not_applicable,
    passed,
    plural,
)
from ivr.callers.dropped import drop_shares
from ivr.callers.reach import PersonHours, open_moves, person_hours, schedule_of
from ivr.callers.simulate import DEFAULT_SEED
from ivr.language.phrases import Extra, find, key_for, mentions, merge
from ivr.model import EVENTS, KEYPAD, Menu
from ivr.structure.detours import Passage
from ivr.structure.hangups import DropShares, into_hangups
from ivr.structure.lint import Finding, LintConfig, lint
from ivr.structure.topology import Routes, Topology, describe, reaching

_EV = {e: i for i, e in enumerate(EVENTS)}
#: How importers write a recorded prompt: "(audio: file)".
_AUDIO = re.compile(r"\(audio: [^)]*\)")


def spoken(say: str | None) -> str | None:
    """The words of a prompt, None when there are none to read (no say, or only
    recordings, which ivr cannot hear).

    Examples
    --------
    >>> spoken("(audio: main-menu.wav)"), spoken("Hello (audio: beep)")
    (None, 'Hello')
    """
    text = _AUDIO.sub(" ", say or "").strip()
    return " ".join(text.split()) or None


class Facts:
    """What the checks ask of one menu, computed once and shared between rules."""

    def __init__(self, menu: Menu, *, n: int, seed: int, phrases: Extra | None = None) -> None:
        self.menu = menu
        #: Phrases added to ivr's lists (the lint config's); :func:`evaluate` adds the
        #: policy's own for each of its rules.
        self.base_phrases: Extra = phrases or {}
        self.phrases: Extra = self.base_phrases
        self.top = Topology.of(menu)
        self.start = self.top.index[menu.start]
        self.routes = Routes(self.top, menu.start, self.top.route_weight())
        self.reached = self.routes.reached
        self.agents = self.top.is_kind("agent")
        self.human = self.top.reaching(self.agents)
        self.menus = self.top.is_kind("menu")
        self.time = TimeFacts(menu, self.top, n=n, seed=seed)
        self._lint: dict[tuple[tuple[str, str, float], ...], list[Finding]] = {}
        self._at: dict[int, np.ndarray] = {}

    def lint(self, **params: Mapping[str, float]) -> list[Finding]:
        """Lint findings with default settings except ``RULE={name: value}`` (hang-ups with
        the share of callers they drop, as ``ivr lint`` reports them)."""
        key = tuple(sorted((r, k, float(v)) for r, p in params.items() for k, v in p.items()))
        if key not in self._lint:
            self._lint[key] = lint(self.menu, LintConfig(params=params), self.top,
                                   self.drops)
        return self._lint[key]

    @cached_property
    def drops(self) -> DropShares | None:
        return drop_shares(self.menu, self.top) if len(into_hangups(self.top)) else None

    @cached_property
    def hours(self) -> PersonHours:
        """When a person can be reached over the week (ivr.callers.reach)."""
        return person_hours(self.menu, self.top)

    @cached_property
    def passage(self) -> Passage:
        return Passage(self.top)

    def applies(self, p: Params) -> Applies | None:
        """The minutes a rule's ``hours`` name (None: ``ignore``, the structure)."""
        return applies(self.menu, p.get("hours", "ignore"),
                       p.get("business_hours", "mon-fri 09:00-17:00"))

    def sets_in(self, where: Applies) -> list[int]:
        """The open-sets of the week (rows of ``hours.week.sets``) met in ``where``."""
        wk = self.hours.week
        return np.unique(wk.of_minute[where.mask]).tolist()

    def to_person_at(self, k: int) -> np.ndarray:
        """Per node: the fewest caller actions to an agent open in open-set ``k``, by the
        moves of that time (inf if none)."""
        if k not in self._at:
            top = self.top
            wk = self.hours.week
            keep, open_agent = open_moves(top, wk, k, schedule_of(top, wk))
            agents = np.flatnonzero(open_agent)
            if not len(agents):
                self._at[k] = np.full(top.n, np.inf)
            else:
                w = np.where(keep, top.actions, np.inf)
                d = top.distances(w, agents.tolist(), reverse=True)
                self._at[k] = np.where(np.isfinite(d), np.round(d), np.inf)
        return self._at[k]

    def hours_note(self) -> str:
        """``a person can be reached 15 h of the 168 h of the week, for 8.9% of the
        calls``, for the messages of rules that judge hours."""
        return self.hours.headline()

    def keys(self, i: int) -> str | None:
        """The fewest keys from the start to node ``i`` (None if no route reaches it)."""
        return describe(self.routes.steps(i), self.menu) if self.reached[i] else None

    def at(self, i: int, message: str, **figures: Any) -> Evidence:
        """Evidence at node ``i``: its id, source and the keys that reach it."""
        nid = self.top.ids[i]
        node = self.menu.nodes.get(nid)
        return Evidence(message, nid, self.keys(i), source=node.source if node else None,
                        **figures)

    def from_finding(self, f: Finding) -> Evidence:
        return Evidence(f.message, f.node, f.keys, source=f.source)

    def name(self, i: int) -> str:
        return repr(self.top.ids[i])

    def says(self, kind: str, node_id: str, text: str | None) -> bool:
        """Whether ``text`` (spoken at node ``node_id``) says a phrase of ``kind`` in the
        node's language (ivr.language.phrases, plus the policy's and config's)."""
        node = self.menu.nodes.get(node_id)
        lang = self.menu.language_of(node) if node is not None else self.menu.language
        return mentions(kind, text, lang, self.phrases)

    @cached_property
    def to_person(self) -> np.ndarray:
        """Per node: the fewest caller actions to a person (inf if none)."""
        agents = np.flatnonzero(self.agents)
        if not len(agents):
            return np.full(self.top.n, np.inf)
        d = self.top.distances(self.top.actions, agents.tolist(), reverse=True)
        return np.where(np.isfinite(d), np.round(d), np.inf)

    def out_edges(self, i: int) -> np.ndarray:
        """Edge indices leaving node ``i`` (edges are made node by node: ``src`` sorted)."""
        src = self.top.src
        return np.arange(np.searchsorted(src, i, "left"), np.searchsorted(src, i, "right"))

    @cached_property
    def _into(self) -> tuple[np.ndarray, np.ndarray]:
        order = np.argsort(self.top.dst, kind="stable")
        return order, self.top.dst[order]

    def in_edges(self, i: int) -> np.ndarray:
        """Edge indices arriving at node ``i``."""
        order, dst = self._into
        return order[np.searchsorted(dst, i, "left"):np.searchsorted(dst, i, "right")]

    def options_of(self, i: int) -> np.ndarray:
        """Option edges of menu ``i``."""
        e = self.out_edges(i)
        return e[self.top.event[e] == _EV["option"]]

    def person_keys(self, i: int, within: int, to: np.ndarray | None = None) -> list[str]:
        """Keys of menu ``i`` whose option reaches a person within ``within`` actions (by
        ``to``, fewest actions to a person per node: default :attr:`to_person`)."""
        e = self.options_of(i)
        to = self.to_person if to is None else to
        return [self.key(int(x)) for x in e[to[self.top.dst[e]] <= within]]

    @cached_property
    def to_person_menus(self) -> np.ndarray:
        """Per node: the fewest menu choices before a person (inf if none). Digit entries,
        messages and branches are not menu choices; every move out of a menu is one."""
        agents = np.flatnonzero(self.agents)
        if not len(agents):
            return np.full(self.top.n, np.inf)
        w = np.where(self.menus[self.top.src], 1.0, 0.0)
        d = self.top.distances(w, agents.tolist(), reverse=True)
        return np.where(np.isfinite(d), np.round(d), np.inf)

    def promised(self, i: int, words: str | None,
                 within: int) -> tuple[dict[str, str], dict[str, str]]:
        """Keys the prompt of menu ``i`` offers as a person, with the words that say so:
        (by a person phrase of its language, with the policy's and config's; by the label,
        queue or id of the person an option leads to within ``within`` actions: its
        target's, or an agent's right after it, "member_services" read as "member
        services"). A phrase is a promise of a person; a label names a department."""
        if not words:
            return {}, {}
        node = self.menu.nodes[self.top.ids[i]]
        lang = self.menu.language_of(node)
        labels: list[str] = []
        e = self.options_of(i)
        for t in self.top.dst[e[self.to_person[self.top.dst[e]] <= within]].tolist():
            near = [t, *(int(a) for a in self.top.dst[self.out_edges(t)] if self.agents[a])]
            for k in near:
                agent = self.menu.nodes.get(self.top.ids[k])
                if agent is None:
                    continue
                for name in (agent.label, agent.queue,
                             agent.id if agent.kind == "agent" else None):
                    if name and _words(name):
                        labels.append(_words(name))
        by_phrase = self._keys_said(words, lang, self.phrases)
        named = self._keys_said(words, lang, {lang: {"person": labels}}, only=set(labels)) \
            if labels else {}
        return by_phrase, {k: v for k, v in named.items() if k not in by_phrase}

    @staticmethod
    def _keys_said(words: str, lang: str, extra: Extra,
                   only: set[str] | None = None) -> dict[str, str]:
        out: dict[str, str] = {}
        for match in find("person", words, lang, extra):
            if only is not None and _words(match.text) not in only:
                continue
            key = key_for(words, match, lang)
            if key is not None:
                out.setdefault(key, match.text)
        return out

    def key(self, edge: int) -> str:
        return self.top.key(edge) or "?"

    def reachable_menus(self) -> list[int]:
        return np.flatnonzero(self.menus & self.reached).tolist()

    @cached_property
    def first_menu(self) -> int | None:
        """The first menu callers hear: the reachable menu fewest actions from the start."""
        menus = self.reachable_menus()
        if not menus:
            return None
        return min(menus, key=lambda i: (self.routes.dist[i], i))

    def forced(self, targets: np.ndarray) -> np.ndarray:
        """Nodes from which the call reaches ``targets`` with no caller action: the targets,
        messages whose next is forced, branches all of whose exits are."""
        top = self.top
        out = targets.copy()
        passive = top.is_kind("message", "branch")
        edges = passive[top.src]
        src, dst = top.src[edges], top.dst[edges]
        has_exit = np.bincount(src, minlength=top.n) > 0
        while True:
            bad = np.bincount(src, weights=~out[dst], minlength=top.n)
            grown = out | (passive & has_exit & (bad == 0))
            if np.array_equal(grown, out):
                return out
            out = grown


# --------------------------------------------------------------------------- checks

Params = Mapping[str, Any]


def check_person_reachable(f: Facts, p: Params) -> Outcome:
    every = p["from"] == "every_menu"
    found = [x for x in f.lint() if x.rule == "NO_PATH_TO_HUMAN"
             and (every or x.severity == "error")]
    if found:
        whence = "from the start" if not f.human[f.start] else "from some menus"
        return failed(f"no person can be reached {whence}", *map(f.from_finding, found))
    agents = np.flatnonzero(f.agents & f.reached)
    best = int(agents[np.argmin(f.routes.dist[agents])])
    seconds = sum(s.seconds for s in f.routes.steps(best))
    route = f"a person can be reached: {f.keys(best)} ({seconds:.0f} s)" + (
        "; and from every menu" if every else "")
    where = f.applies(p)
    if where is None:
        return passed(route)
    missing = _hours_without_person(f, where)
    if missing is not None:
        return missing
    return passed(f"{route}; in every hour of {where.label}, one who answers then")


def _hours_without_person(f: Facts, where: Applies) -> Outcome | None:
    """A failure when, in some of the minutes ``where``, no person can be reached; None
    when one can be reached in all of them."""
    span, reach, share = f.hours.within(where.mask)
    if reach >= span - 1e-9 or not span:
        return None
    gap = where.mask & ~f.hours.minutes
    start = f.menu.nodes[f.menu.start]
    note = "" if where.whole else f"; {f.hours_note()}"
    return failed(
        f"a person can be reached in {_h(reach)} of the {_h(span)} of {where.label}, for "
        f"{share:.1%} of the calls then{note}",
        Evidence(f"in {_h(span - reach)} of {where.label} ({1 - share:.1%} of the calls then) "
                 f"no key sequence reaches a person who answers, first {when(gap, f.menu)}",
                 start.id, "(at the start)", round(share, 6), 1.0, "share", start.source))


def _h(hours: float) -> str:
    return f"{hours:.0f} h" if abs(hours - round(hours)) < 1e-9 else f"{hours:.1f} h"


def _no_person_behind(f: Facts, i: int, key: str, t: int, within: int) -> str:
    """Why ``key`` of menu ``i`` (leading to node ``t``) is not a person within
    ``within`` more actions: it leads back, no person is behind it, or one is too far."""
    steps = f.to_person[t]
    person, menus = f.passage.of(t)
    if i in menus and not person:
        via = [f.top.ids[int(f.top.src[e])] for e in menus[i]]
        through = f" (through {', '.join(map(repr, via))})" if via else ""
        return f"{key} leads back to this menu{through}: no person is behind it"
    if not np.isfinite(steps):
        return f"{key} leads to {f.name(t)}, from which no person can be reached"
    if person:  # only digit entries stand between: no choice, but caller actions
        return (f"{key} leads to {f.name(t)}: a person is {steps:.0f} more caller "
                f"action{'s' * (int(steps) != 1)} away (digit entries, over {within})")
    return (f"{key} leads to {f.name(t)}: a person is {steps:.0f} more key presses away "
            f"(over {within})")


def check_zero_reaches_person(f: Facts, p: Params) -> Outcome:
    within = int(p["within"])
    menus = f.reachable_menus()
    if not menus and not f.human[f.start]:  # no 0 to press, and no person behind it anyway
        return failed("no menu to press 0 at, and no person can be reached from the start",
                      f.at(f.start, "no key sequence from here reaches a person"))
    if not menus:
        return not_applicable("the menu has no menus callers can reach (no key choices)")
    bad = []
    for i in menus:
        e = f.options_of(i)
        target = f.top.dst[e[f.top.keycode[e] == KEYPAD.index("0")]]
        if not len(target):
            bad.append(f.at(i, "no 0 option: callers cannot ask for a person here"))
            continue
        t = int(target[0])
        steps = f.to_person[t]
        if steps > within:
            bad.append(f.at(i, _no_person_behind(f, i, "0", t, within),
                            figure=float(steps), threshold=within, unit="actions"))
    if bad:
        return failed(f"{len(bad)} of {plural(len(menus), 'menu')}: 0 does not reach a "
                      "person", *bad)
    return passed(f"{all_of(len(menus), 'menu')}: 0 reaches a person")


def check_person_on_request(f: Facts, p: Params) -> Outcome:
    within, stated = int(p["within"]), bool(p["stated"])
    hours = f.applies(p)
    if p["at"] == "first_menu":
        first = f.first_menu
        if first is None:
            if f.to_person[f.start] > within:
                return failed("no menu at which a caller could ask for a person",
                              f.at(f.start, "the call starts here and offers no choice"))
            if hours is not None:
                closed = _closed_then(f, hours, lambda to: to[f.start] <= within, f.start,
                                      "callers are put through to no person who answers")
                if closed is not None:
                    return closed
            return passed("no menu: every caller is put through to a person")
        menus = [first]
    else:
        menus = f.reachable_menus()
        if not menus:
            return not_applicable("the menu has no menus callers can reach")
    bad, unknown, good = [], [], []
    chosen: dict[int, list[str]] = {}
    for i in menus:
        keys = f.person_keys(i, within)
        node = f.menu.nodes[f.top.ids[i]]
        words = spoken(node.say)
        by_phrase, by_label = f.promised(i, words, within)
        promised = {**by_label, **by_phrase}
        # A person phrase promises a person on its key; a label only names a department.
        true = [k for k in by_phrase if k in keys] or [k for k in by_label if k in keys]
        false = [k for k in by_phrase if k not in keys]
        if not keys:
            bad.append(f.at(i, "no option of this menu leads to a person"
                            + (f" within {within} more key presses" if within else "")
                            + _promise_note(f, i, promised, false, within)))
        elif stated and words is None:
            unknown.append(i)
        elif false and not any(k in keys for k in by_phrase):
            k = false[0]
            bad.append(f.at(i, f"the prompt offers a person on key {k} ({promised[k]!r}), "
                            f"but {_broken_promise(f, i, k, within)}; "
                            f"key {keys[0]} reaches {_person_of(f, i, keys[0])}, which the "
                            "prompt does not offer as a person"))
        elif stated and not true:
            bad.append(f.at(i, f"key {keys[0]} leads to a person, but the prompt does not say "
                            "so (it names no representative, agent, operator, person or "
                            "the agent's label in its language, "
                            f"{f.menu.language_of(node)})"))
        else:
            order = true or keys
            chosen[i] = order
            k = order[0]
            said = f"the prompt: {promised[k]!r}" if k in promised else \
                "not named in the prompt"
            good.append(f"{f.top.ids[i]}: {k} -> {_person_of(f, i, k)} ({said})")
    where = "the first menu" if p["at"] == "first_menu" else all_of(len(menus), "menu")
    if bad:
        what = f"{'stated ' * stated}option to a person"
        return failed(f"{len(bad)} of {plural(len(menus), 'menu')}: no {what}"
                      if len(menus) > 1 else f"{where} offers no {what}", *bad)
    if unknown:
        return not_applicable(f"the prompt of {f.name(unknown[0])} is a recording or not in "
                              "the file, so whether the option is stated cannot be told")
    if hours is not None:
        i = next(iter(chosen))
        closed = _closed_then(
            f, hours, lambda to: all(f.person_keys(m, within, to) for m in chosen), i,
            f"key {chosen[i][0]} leads to no person who answers")
        if closed is not None:
            return closed
        return passed(f"{where} offers a person: " + "; ".join(good[:4])
                      + f", answering in every hour of {hours.label}")
    return passed(f"{where} offers a person: " + "; ".join(good[:4]))


def _target(f: Facts, i: int, key: str) -> int | None:
    e = f.options_of(i)
    return next((int(f.top.dst[x]) for x in e.tolist() if f.key(x) == key), None)


def _broken_promise(f: Facts, i: int, key: str, within: int) -> str:
    """Why a key the prompt offers as a person is not one."""
    t = _target(f, i, key)
    if t is None:
        return f"{key} is not an option of this menu (callers pressing it hear a wrong key)"
    return _no_person_behind(f, i, key, t, within)


def _person_of(f: Facts, i: int, key: str) -> str:
    """The agent an option of menu ``i`` reaches with the fewest actions, by name."""
    t = _target(f, i, key)
    if t is None:
        return "no option"
    if f.agents[t]:
        return f.name(t)
    routes = Routes(f.top, f.top.ids[t], f.top.route_weight())
    near = np.flatnonzero(f.agents & routes.reached)
    if not len(near):
        return "a person"
    return f.name(int(min(near.tolist(), key=lambda a: (routes.dist[a], a))))


def _promise_note(f: Facts, i: int, promised: dict[str, str], false: list[str],
                  within: int) -> str:
    if not false:
        return ""
    k = false[0]
    return (f" (the prompt offers a person on key {k}, {promised[k]!r}, but "
            f"{_broken_promise(f, i, k, within)})")


def _closed_then(f: Facts, where: Applies, ok: Callable[[np.ndarray], bool], at: int,
                 what: str) -> Outcome | None:
    """A failure when, in some of the minutes ``where``, ``ok`` does not hold of the fewest
    actions to a person who answers then (:meth:`Facts.to_person_at`); ``what`` says what
    callers meet then, at node ``at``."""
    wk = f.hours.week
    gap = np.zeros_like(where.mask)
    for k in f.sets_in(where):
        if not ok(f.to_person_at(k)):
            gap |= where.mask & (wk.of_minute == k)
    if not gap.any():
        return None
    hours = float(gap.sum()) / 60
    share = float(wk.arrival[gap].sum() / max(wk.arrival[where.mask].sum(), 1e-300))
    note = "" if where.whole else f"; {f.hours_note()}"
    return failed(f"in {_h(hours)} of {where.label} the way to a person leads to no person "
                  f"who answers ({share:.1%} of the calls then){note}",
                  f.at(at, f"{what} from {when(gap, f.menu)} (closed)",
                       figure=round(1 - share, 6), threshold=1.0, unit="share"))


def _words(text: str) -> str:
    """Letters and digits of any script, case-folded, one space between words."""
    return " ".join(re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).casefold()))


def check_menus_before_person_option(f: Facts, p: Params) -> Outcome:
    limit = int(p["max"])
    # Menu prompts only: a digit entry ("enter your account number") before the person
    # is not a menu prompt, nor are messages and branches.
    to = f.to_person_menus
    offering = [i for i in f.reachable_menus() if f.person_keys(i, 0, to)]
    if not offering and to[f.start] == 0:
        return passed("no menu stands before a person: callers are put through")
    if not offering:
        return failed("no menu offers an option that leads to a person",
                      f.at(f.start, "callers can never choose a person"))
    top = f.top
    routes = Routes(top, f.menu.start, np.where(f.menus[top.dst], 1.0, 0.0) + 1e-6 * top.actions)
    first = int(f.menus[f.start])
    depth = {i: round(routes.dist[i]) + first for i in offering}
    best = min(offering, key=lambda i: (depth[i], i))
    keys = describe(routes.steps(best), f.menu)
    how = f" (keys: {keys})" if routes.steps(best) and keys != "(no keys)" else ""
    what = (f"{plural(depth[best], 'menu prompt')} up to {f.name(best)}{how}, whose key "
            f"{f.person_keys(best, 0, to)[0]} leads to a person")
    if depth[best] > limit:
        node = f.menu.nodes[top.ids[best]]
        return failed(f"{what} > {limit}", Evidence(
            f"{depth[best]} menus before an option to a person (over {limit})", node.id, keys,
            float(depth[best]), limit, "menus", node.source))
    return passed(f"{what} <= {limit}")


def check_no_disconnect_on_error(f: Facts, p: Params) -> Outcome:
    top = f.top
    hang = f.forced(top.is_kind("hangup", "(hangup)"))
    safe = f.forced(top.is_kind("agent", "voicemail"))
    fail = _EV["fail"]
    errors = np.isin(top.event, [_EV["timeout"], _EV["invalid"], fail])
    errors &= f.reached[top.src] & top.is_kind("menu", "input")[top.src]
    # A retry at the same menu is not a disconnect (running out of retries is judged below).
    errors &= (top.dst != top.src) | (top.event == fail)
    words = {"timeout": "silence (a timeout)", "invalid": "an invalid key",
             "fail": "running out of retries"}
    bad = []
    for e in np.flatnonzero(errors).tolist():
        i, t, event = int(top.src[e]), int(top.dst[e]), EVENTS[top.event[e]]
        retries = int(top.retries[i])
        where = "a hang-up" if t == top.n - 1 else f"{f.name(t)}, which hangs up"
        if hang[t] and not (event == "fail" and p["allow_after_retry"] and retries >= 2):
            extra = f" after {retries} tries" if event == "fail" else ""
            bad.append(f.at(i, f"{words[event]}{extra} leads to {where}"))
        elif event == "fail" and p["fallback"] == "person_or_voicemail" and not safe[t]:
            bad.append(f.at(i, f"running out of retries leads to {f.name(t)}, not straight "
                            "to a person or a voicemail"))
    n_nodes = int((f.reached & top.is_kind("menu", "input")).sum())
    if not n_nodes:
        return not_applicable("no menu or input: callers make no errors")
    if bad:
        return failed(f"{plural(len(bad), 'error route')} end{'s' * (len(bad) == 1)} the "
                      "call", *bad)
    return passed(f"no error route of {plural(n_nodes, 'menu or input')} ends the call"
                  .replace("menu or inputs", "menus and inputs"))


def _question(text: str | None) -> str | None:
    return _words(text) or None if text else None


def check_no_repeated_question(f: Facts, p: Params) -> Outcome:
    top = f.top
    inputs = np.flatnonzero(top.is_kind("input") & f.reached).tolist()
    if not inputs:
        return not_applicable("no input: callers are never asked for information")
    nxt = np.full(top.n, -1)
    link = (top.event == _EV["next"]) & top.is_kind("input")[top.src]
    nxt[top.src[link]] = top.dst[link]
    groups: dict[str, list[int]] = {}
    for i in inputs:
        node = f.menu.nodes[top.ids[i]]
        groups.setdefault(_question(node.say) or f"(node {node.id})", []).append(i)

    def after(sources: list[int]) -> np.ndarray:
        """Nodes a caller can reach once it has answered one of these inputs."""
        mask = np.zeros(top.n, dtype=bool)
        mask[nxt[sources]] = True
        return reaching(top.n, top.dst, top.src, mask)  # forward: edges reversed

    bad = []
    for members in groups.values():
        answered = [i for i in members if nxt[i] >= 0]
        if not answered:
            continue
        later = after(answered)  # one search per question, however many inputs ask it
        for j in (j for j in members if later[j]):
            first = next(i for i in answered if after([i])[j])
            again = "" if first == j else f" at {f.name(j)}"
            bad.append(f.at(j, f"callers who answered {f.name(first)} can be asked the "
                            f"same question again{again}"))
    if bad:
        return failed(f"{plural(len(bad), 'input')} can ask a caller again", *bad)
    return passed(f"no input of {len(inputs)} can be asked twice on one call")


def check_wait_announced(f: Facts, p: Params) -> Outcome:
    top = f.top
    agents = np.flatnonzero(f.agents & f.reached).tolist()
    if not agents:
        return not_applicable("no person can be reached, so there is no queue to announce")
    bad = []
    for i in agents:
        node = f.menu.nodes[top.ids[i]]
        if node.announce_wait is not None or f.says("wait", node.id, spoken(node.say)):
            continue
        into = f.in_edges(i)
        into = into[f.reached[top.src[into]]]
        heard = [f.menu.nodes[top.ids[int(top.src[e])]] for e in into]
        if heard and all(h.kind == "message" and f.says("wait", h.id, spoken(h.say))
                         for h in heard):
            continue
        recorded = any(_AUDIO.search(h.say or "") for h in [node, *heard])
        bad.append(f.at(i, "callers arriving here hear no expected wait" + (
            " (or it is in a recording, which ivr cannot hear)" if recorded else "")))
    if bad:
        return failed(f"{len(bad)} of {plural(len(agents), 'agent')}: no wait announced",
                      *bad)
    return passed(f"{all_of(len(agents), 'agent')}: the wait is announced")


def check_callback_when_closed(f: Facts, p: Params) -> Outcome:
    top = f.top
    # A message, another person, or a hand-over to another line (an after-hours service).
    fallback = top.reaching(top.is_kind("voicemail", "agent", "transfer"))
    closed = np.flatnonzero((top.event == _EV["closed"]) & f.reached[top.src])
    gated = [int(e) for e in closed.tolist()
             if f.agents[top.src[e]] or _opens_to_person(f, int(top.src[e]))]
    if not gated:
        return not_applicable("no opening hours keep callers from a person")
    bad = [f.at(int(top.src[e]), f"when closed, callers go to {f.name(int(top.dst[e]))}, "
                "from which no voicemail, other person or other line can be reached")
           for e in gated if not fallback[top.dst[e]]]
    if bad:
        return failed(f"{plural(len(bad), 'closed route')} of {len(gated)} offer no message",
                      *bad)
    return passed(f"{all_of(len(gated), 'closed route')} lead{'s' * (len(gated) == 1)} to a "
                  "voicemail, another person or another line")


def _opens_to_person(f: Facts, i: int) -> bool:
    top = f.top
    e = f.out_edges(i)
    e = e[top.event[e] == _EV["open"]]
    return bool(len(e)) and bool(f.human[top.dst[e[0]]])


def check_keypad_conventions(f: Facts, p: Params) -> Outcome:
    aspect, limit = p["aspect"], int(p["max_options"])
    menus = f.reachable_menus()
    if not menus:
        return not_applicable("no menus callers can reach")
    top = f.top
    bad: list[Evidence] = []
    reached = set(top.ids[i] for i in menus)
    if aspect in ("all", "zero"):
        for i in menus:
            e = f.options_of(i)
            zero = e[(top.keycode[e] == KEYPAD.index("0")) & ~f.human[top.dst[e]]]
            bad += [f.at(i, f"0 leads to {f.name(int(top.dst[x]))}, from which no person "
                         "can be reached") for x in zero]
    if aspect in ("all", "star", "hash"):
        for x in f.lint():
            if x.rule == "KEY_CONVENTIONS" and x.node in reached and (
                    aspect == "all" or x.message.startswith("*" if aspect == "star" else "#")):
                bad.append(f.from_finding(x))
    if aspect in ("all", "order"):
        for i in menus:
            e = f.options_of(i)
            digits = sorted({int(KEYPAD[k]) for k in top.keycode[e[top.dst[e] != i]].tolist()
                             if 0 <= k < 9})
            if digits and digits != list(range(1, len(digits) + 1)):
                bad.append(f.at(i, "choices are keys " + ", ".join(map(str, digits))
                                + f", not 1 to {len(digits)} without gaps"))
    if aspect in ("all", "count"):
        for x in f.lint(TOO_MANY_OPTIONS={"max": limit}):
            if x.rule == "TOO_MANY_OPTIONS" and x.node in reached:
                bad.append(f.from_finding(x))
    label = "keypad conventions" if aspect == "all" else f"the {aspect} convention"
    if bad:
        return failed(f"{plural(len(bad), 'breach')} of {label}".replace("breachs",
                                                                          "breaches"), *bad)
    return passed(f"{all_of(len(menus), 'menu')} follow{'s' * (len(menus) == 1)} {label}")


def check_lint_rule(f: Facts, p: Params) -> Outcome:
    rule = p["rule"]
    settings = {k: float(v) for k, v in p.items() if k != "rule"}
    found = [x for x in f.lint(**{rule: settings}) if x.rule == rule]
    if found:
        return failed(f"{plural(len(found), rule + ' finding')}",
                      *map(f.from_finding, found))
    return passed(f"no {rule} finding")


def check_person_within(f: Facts, p: Params) -> Outcome:
    where = f.applies(p)
    if where is not None and f.human[f.start]:
        # A caller in an hour when no person can be reached never reaches one: the rule
        # cannot hold then, whatever the other hours give.
        gap = _hours_without_person(f, where)
        if gap is not None:
            return gap
    out = f.time.person_within(float(p["seconds"]), p["clock"], p["statistic"], where,
                               f.hours)
    return _with_hours(f, out, where)


def check_share_within(f: Facts, p: Params) -> Outcome:
    where = f.applies(p) if p["clock"] == "call" else None
    out = f.time.share_within(float(p["seconds"]), float(p["share"]), p["clock"], where)
    return _with_hours(f, out, where)


def _with_hours(f: Facts, out: Outcome, where: Applies | None) -> Outcome:
    """The verdict with when a person can be reached over the week, where that is not
    every hour (the rule judged the hours it applies to)."""
    if where is None or where.whole or f.hours.hours >= 168 - 1e-9 or not f.human[f.start]:
        return out
    return replace(out, message=f"{out.message}; {f.hours_note()}")


CHECK_FUNCTIONS: dict[str, Callable[[Facts, Params], Outcome]] = {
    name: globals()[f"check_{name}"] for name in CHECKS}


def evaluate(facts: Facts, policy: Policy, rule: PolicyRule) -> Verdict:
    """One rule on one menu (prompts read with the policy's phrases added)."""
    facts.phrases = merge(facts.base_phrases, policy.phrases) if policy.phrases else \
        facts.base_phrases
    out = CHECK_FUNCTIONS[rule.check](facts, rule.params)
    return Verdict(policy.id, rule.id, rule.check, out.status, out.message, out.method,
                   rule.level, out.evidence, rule.source)


def evaluate_policy(facts: Facts, policy: Policy) -> tuple[Verdict, ...]:
    """Every rule of ``policy`` on one menu. A policy whose purpose is reaching a person
    never passes a flow where no person can be reached: if none of its rules failed there
    (they found nothing they apply to), its person rules that were not applicable fail,
    saying why."""
    verdicts = [evaluate(facts, policy, rule) for rule in policy.rules]
    if policy.purpose != "person" or facts.human[facts.start] or \
            any(v.status == "failed" for v in verdicts):
        return tuple(verdicts)
    start = facts.at(facts.start, "no key sequence from the start reaches a person")
    return tuple(
        replace(v, status="failed", evidence=(start,),
                message=f"no person can be reached from the start, and this {policy.id} "
                f"rule is about reaching one ({v.message})")
        if v.status == "not-applicable" and v.check in PERSON_CHECKS else v
        for v in verdicts)


def audit(menu: Menu, policies: Sequence[Policy], *, n: int = 100_000,
          seed: int = DEFAULT_SEED, phrases: Extra | None = None) -> tuple[Verdict, ...]:
    """Every rule of every policy on ``menu``; time checks simulate ``n`` callers with
    ``seed`` where the exact solution does not give the figure; ``phrases`` adds to the
    per-language phrase lists (the lint config's ``phrases:``).

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> from ivr.audit.policy import resolve
    >>> m = parse_menu('''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, say: For billing press 1., options: {1: billing}}
    ...   billing: {kind: self_service}
    ... ''')
    >>> [(v.rule, v.status) for v in audit(m, resolve(["gethuman"]))[:2]]
    [('zero-out', 'failed'), ('wait-time', 'not-applicable')]
    """
    facts = Facts(menu, n=n, seed=seed, phrases=phrases)
    return tuple(v for policy in policies for v in evaluate_policy(facts, policy))


__all__ = ["CHECK_FUNCTIONS", "PERSON_CHECKS", "STATUSES", "Evidence", "Facts", "MenuAudit",
           "Outcome", "Verdict", "audit", "evaluate", "evaluate_policy", "failed",
           "not_applicable", "passed", "spoken"]
