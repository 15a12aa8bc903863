"""Detours callers complain of: a "person" option with no person behind it, and departments
that send callers to each other.

FALSE_PERSON_OPTION. An option whose prompt offers a person (the person phrases of the
node's language, :mod:`ivr.language.phrases`, with those of the lint config), or a 0 (the
key callers press for one), must lead to a person without another choice: through
messages, branches and digit entries to an agent. One that leads back to its own menu
("please first choose what your call is about") is an error; one that passes through
messages to other menus a warning (an option that opens a submenu itself is plain
navigation). An option the prompt offers as "repeat" is a genuine repeat, not this.

REDIRECT_LOOP. A hop is an option that leads, through at least one message and no other
choice, to another menu: a department's message "for that, call technical support" and
the transfer to its menu. A cycle of menus in which every hop is such a redirection lets
callers go round for ever; going back (``*``, ``#``, an option or message the prompt
calls "back" or "main menu") is not a redirection.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ivr.language.phrases import Extra, find, key_for, keys_offering, mentions
from ivr.model import EVENTS, KEYPAD
from ivr.structure.search import strong_components

if TYPE_CHECKING:
    from ivr.structure.lint import Linter
    from ivr.structure.topology import Step, Topology

_EV = {e: i for i, e in enumerate(EVENTS)}
_ZERO = KEYPAD.index("0")


def _few(names: list[str], n: int = 4) -> str:
    shown = ", ".join(repr(x) for x in names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


class Passage:
    """Where an option leads with no further choice: through messages, branches (every
    exit) and digit entries (their ``next``), up to the first menu or ending. The audit's
    zero-out and person-on-request evidence read it too."""

    def __init__(self, top: Topology) -> None:
        self.top = top
        self.agent = top.is_kind("agent")
        self.menu = top.is_kind("menu")
        self.passive = top.is_kind("message", "branch")
        self.input = top.is_kind("input")
        self._memo: dict[int, tuple[bool, dict[int, tuple[int, ...]]]] = {}

    def out(self, v: int) -> np.ndarray:
        top = self.top
        e = np.arange(np.searchsorted(top.src, v, "left"), np.searchsorted(top.src, v, "right"))
        if self.input[v]:
            e = e[top.event[e] == _EV["next"]]
        return e

    def of(self, t: int) -> tuple[bool, dict[int, tuple[int, ...]]]:
        """(a person is reached, {menu reached: the edges from ``t`` to it})."""
        if t in self._memo:
            return self._memo[t]
        top = self.top
        person = bool(self.agent[t])
        menus: dict[int, tuple[int, ...]] = {}
        if self.menu[t]:
            menus[t] = ()
        elif not person:
            seen = {t}
            queue: deque[tuple[int, tuple[int, ...]]] = deque([(t, ())])
            while queue and not person:
                v, edges = queue.popleft()
                if not (self.passive[v] or self.input[v]):
                    continue
                for e in self.out(v).tolist():
                    w = int(top.dst[e])
                    if w in seen:
                        continue
                    seen.add(w)
                    if self.agent[w]:
                        person = True
                        break
                    if self.menu[w]:
                        menus[w] = (*edges, e)
                    else:
                        queue.append((w, (*edges, e)))
        self._memo[t] = (person, menus)
        return self._memo[t]


def person_options(lin: Linter) -> None:
    """FALSE_PERSON_OPTION, at the menu, with the keys to it and the option pressed."""
    rule = "FALSE_PERSON_OPTION"
    if rule in lin.config.disabled:
        return
    top, menu = lin.top, lin.menu
    passage = Passage(top)
    opt = np.flatnonzero((top.event == _EV["option"]) & passage.menu[top.src])
    extra = lin.config.phrases
    # Edges are made node by node (src sorted): each menu's options are one run. Plain
    # lists, not numpy scalars: a large menu has tens of thousands of menus to go through.
    owners, starts = np.unique(top.src[opt], return_index=True)
    bounds = [*starts.tolist(), len(opt)]
    edges = opt.tolist()
    zero = (top.keycode[opt] == _ZERO).tolist()
    reached = lin.reached[owners].tolist()
    offers: dict[tuple[str, str], dict[str, str]] = {}  # menus share their prompts
    for j, m in enumerate(owners.tolist()):
        if not reached[j]:
            continue  # UNREACHABLE says so
        node = menu.nodes[top.ids[m]]
        lang = menu.language_of(node)
        say = node.say or ""
        offered = offers.get((say, lang))
        if offered is None:
            offered = offers[say, lang] = _offered(say, lang, extra)
        repeat: set[str] | None = None  # the keys offered as "repeat", when needed
        for at in range(bounds[j], bounds[j + 1]):
            if not (offered or zero[at]):
                continue
            e = edges[at]
            key = top.key(e) or "?"
            if not (key in offered or zero[at]):
                continue
            t = int(top.dst[e])
            person, menus = passage.of(t)
            if person or not menus:
                continue
            if repeat is None:
                repeat = set(keys_offering("repeat", say, lang, extra))
            if key in repeat:
                continue
            what = (f"key {key}, which the prompt offers as a person ({offered[key]!r}),"
                    if key in offered else "0, the key callers press for a person,")
            if m in menus:
                through = [top.ids[int(top.src[x])] for x in menus[m]] or []
                via = f" through {_few(through)}" if through else ""
                lin.add(rule, m, f"{what} leads back to this menu{via}: there is no person "
                        "behind it", then=_steps(lin, e, menus[m]))
            elif not passage.menu[t] and (key in offered or lin.human[t]):
                # Through messages (a submenu the option opens is plain navigation); a 0
                # from which no person can be reached at all is NO_ZERO_OUT's.
                near = min(menus, key=lambda k: (len(menus[k]), k))
                lin.add(rule, m, f"{what} leads on to {_few([top.ids[k] for k in menus])} "
                        "with no person on the way: callers must choose again",
                        severity=lin.config.lesser(rule), then=_steps(lin, e, menus[near]))


def _offered(say: str, lang: str, extra: Extra | None) -> dict[str, str]:
    """The keys ``say`` offers a person on, with the words it says it in."""
    offered: dict[str, str] = {}
    for match in find("person", say, lang, extra):
        key = key_for(say, match, lang)
        if key is not None:
            offered.setdefault(key, match.text)
    return offered


def _steps(lin: Linter, option: int, edges: tuple[int, ...]) -> tuple[Step, ...]:
    return tuple(lin.step(x) for x in (option, *edges))


def redirect_loops(lin: Linter) -> None:
    """REDIRECT_LOOP, one finding per set of menus callers can be bounced around, at the
    one nearest the start, with the keys that go once round."""
    rule = "REDIRECT_LOOP"
    if rule in lin.config.disabled:
        return
    top, menu = lin.top, lin.menu
    n = top.n
    menus = top.is_kind("menu")
    extra = lin.config.phrases
    nodes = list(menu.nodes.values())
    says_back = np.zeros(n, dtype=bool)
    said: dict[tuple[str | None, str], bool] = {}  # messages share their prompts
    for i in np.flatnonzero(top.is_kind("message")).tolist():
        node = nodes[i]
        lang = menu.language_of(node)
        back = said.get((node.say, lang))
        if back is None:
            back = said[node.say, lang] = mentions("back", node.say, lang, extra)
        says_back[i] = back
    msg = top.is_kind("message") & ~says_back
    branch = top.is_kind("branch")
    src, dst, ev = top.src, top.dst, top.event
    a_list, b_list, e_list = [], [], []
    # Options out of menus: into a message (layer 1: a message was heard) or a branch;
    # not * or #, nor a key the prompt says goes back.
    opt = np.flatnonzero((ev == _EV["option"]) & menus[src] & (msg | branch)[dst]
                         & ~np.isin(top.keycode, [KEYPAD.index("*"), KEYPAD.index("#")]))
    backs: dict[int, set[str]] = {}
    for i in np.unique(src[opt]).tolist():
        node = nodes[i]
        backs[i] = set(keys_offering("back", node.say, menu.language_of(node), extra))
    if any(backs.values()):
        opt = opt[[top.key(e) not in backs[int(src[e])] for e in opt.tolist()]]
    a_list.append(src[opt])
    b_list.append(dst[opt] + np.where(msg[dst[opt]], n, 0))
    e_list.append(opt)
    # Moves out of messages and branches, in both layers.
    move = np.flatnonzero((msg | branch)[src] & top.taken)
    for layer in (0, 1):
        s, d = src[move], dst[move]
        to = np.where(msg[d], d + n, np.where(branch[d], d + layer * n, -1))
        if layer:
            to = np.where(menus[d], d, to)
        keep = to >= 0
        a_list.append(s[keep] + layer * n)
        b_list.append(to[keep])
        e_list.append(move[keep])
    a, b, edge = (np.concatenate(x).astype(np.int64) for x in (a_list, b_list, e_list))
    if not len(a):
        return
    label = strong_components(2 * n, a, b)
    menu_ids = np.flatnonzero(menus)
    sizes = np.bincount(label[menu_ids], minlength=2 * n)
    looped = menu_ids[sizes[label[menu_ids]] >= 2]  # components holding two menus or more
    looped = looped[np.argsort(label[looped], kind="stable")]
    for part in np.split(looped, np.flatnonzero(np.diff(label[looped])) + 1):
        if not len(part):
            continue
        comp = int(label[part[0]])
        members = part.tolist()
        reached = [i for i in members if lin.reached[i]]
        if not reached:
            continue
        head = min(reached, key=lambda i: (lin.routes.dist[i], i))
        inside = label == comp
        out, other = _bfs(a, b, edge, inside, head, _other_menu(head, n, menus))
        back_edges, _ = _bfs(a, b, edge, inside, other, _is(head))
        hops = (*out, *back_edges)
        names = [top.ids[int(src[x])] for x in hops if not menus[src[x]]]
        ring = [top.ids[head], *[top.ids[int(dst[x])] for x in hops if menus[dst[x]]]]
        lin.add(rule, head, f"callers are sent round {' -> '.join(ring)}: each hop is a "
                f"message sending them to another menu ({_few(list(dict.fromkeys(names)))}), "
                "so they can go round for ever", then=tuple(lin.step(x) for x in hops))


def _other_menu(head: int, n: int, menus: np.ndarray) -> Callable[[int], bool]:
    return lambda v: v < n and v != head and bool(menus[v])


def _is(head: int) -> Callable[[int], bool]:
    return lambda v: v == head


def _bfs(a: np.ndarray, b: np.ndarray, edge: np.ndarray, inside: np.ndarray, start: int,
         goal: Callable[[int], bool]) -> tuple[tuple[int, ...], int]:
    """The menu edges of a shortest walk in the layered graph from ``start`` to the first
    vertex ``goal`` accepts (within the component ``inside``), and that vertex."""
    adjacency: dict[int, list[tuple[int, int]]] = {}
    for x, y, e in zip(a.tolist(), b.tolist(), edge.tolist(), strict=True):
        if inside[x] and inside[y]:
            adjacency.setdefault(x, []).append((y, e))
    parent: dict[int, tuple[int, int]] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        v = queue.popleft()
        for w, e in adjacency.get(v, ()):
            if goal(w):
                path = [e]
                at = v
                while at != start:
                    at, pe = parent[at]
                    path.append(pe)
                return tuple(reversed(path)), w
            if w not in seen:
                seen.add(w)
                parent[w] = (v, e)
                queue.append(w)
    return (), start


__all__ = ["Passage", "person_options", "redirect_loops"]
