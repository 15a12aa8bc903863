"""What changed between two versions of a menu: nodes, options, prompts, settings, findings.

A designer reviewing a change (or a CI job commenting on one) wants the structural edit
in the menu's own terms: "option 2 of main now leads to fraud_agent", "the main prompt
lost 9 words", "LONG_PROMPT at main is fixed". Nodes are matched by id; a node whose kind
changed is reported as such rather than as removed and added. Lint findings are matched
by (rule, node), so a reworded message is not a new finding.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from ivr.model import Callback, Menu, Node, Schedule, Staff
from ivr.structure.lint import Finding, LintConfig, lint

#: Kinds of :class:`Change`, in the order :meth:`MenuDiff.lines` shows them.
CHANGE_KINDS = ("start changed", "defaults changed", "schedule changed", "node added",
                "node removed", "kind changed", "option added", "option removed",
                "option retargeted", "prompt changed", "setting changed", "callers changed")

#: Node fields compared as settings: where callers go, how long they wait, who answers.
SETTINGS = ("next", "on_timeout", "on_invalid", "on_fail", "open", "closed", "timeout",
            "retries", "digits", "schedule", "chance", "queue", "staff", "resolves", "to",
            "flow", "max_wait", "on_max_wait", "announce_wait", "callback", "agent")
#: Node settings that take the menu's default when the file does not give them.
_DEFAULTED = {"timeout": "timeout", "retries": "retries", "on_fail": "on_fail"}


#: How each kind of edit reads (n: node, key, b: before, a: after); any other kind is a
#: setting of a node: "~ {n}: {key} {a} (was {b})".
_LINES = {
    "start changed": "~ calls now start at {a!r} (was {b!r})",
    "defaults changed": "~ defaults: {key} {a} (was {b})",
    "schedule changed": "~ schedule {key}: {a} (was {b})",
    "node added": "+ node {n} ({a})",
    "node removed": "- node {n} ({b})",
    "kind changed": "~ {n}: kind {a} (was {b})",
    "option added": "+ {n}: option {key} -> {a!r}",
    "option removed": "- {n}: option {key} (was -> {b!r})",
    "option retargeted": "~ {n}: option {key} leads to {a!r} (was {b!r})",
    "prompt changed": "~ {n}: prompt {detail}",
    "callers changed": "~ callers: {key} {a} (was {b})",
}


@dataclass(frozen=True)
class Change:
    """One structural edit. ``key`` is an option key or a setting name; ``before`` and
    ``after`` are the old and new value as text (None when there was none); ``detail``
    what a prompt change changed (see :func:`prompt_change`)."""

    kind: str
    node: str | None
    key: str | None = None
    before: str | None = None
    after: str | None = None
    detail: str | None = None

    def line(self) -> str:
        """The edit for people.

        Examples
        --------
        >>> Change("option retargeted", "main", "2", "card_menu", "fraud_agent").line()
        "~ main: option 2 leads to 'fraud_agent' (was 'card_menu')"
        """
        template = _LINES.get(self.kind, "~ {n}: {key} {a} (was {b})")
        return template.format(n=self.node, key=self.key, b=self.before, a=self.after,
                               detail=self.detail)


@dataclass(frozen=True)
class MenuDiff:
    """Everything that differs from menu ``before`` to menu ``after``.

    ``findings_new`` are lint findings of ``after`` whose (rule, node) ``before`` did not
    have; ``findings_fixed`` those of ``before`` that ``after`` no longer has.
    """

    before: str
    after: str
    changes: tuple[Change, ...]
    findings_new: tuple[Finding, ...]
    findings_fixed: tuple[Finding, ...]

    def __bool__(self) -> bool:
        return bool(self.changes or self.findings_new or self.findings_fixed)

    def of_kind(self, kind: str) -> tuple[Change, ...]:
        """The changes of one kind (one of :data:`CHANGE_KINDS`)."""
        return tuple(c for c in self.changes if c.kind == kind)

    def lines(self) -> list[str]:
        """One line per change for people: ``+`` added, ``-`` removed, ``~`` changed."""
        out = [c.line() for c in self.changes]
        out += [f"+ finding {f.severity} {f.rule} [{f.node or '-'}] {f.message}"
                for f in self.findings_new]
        out += [f"- finding {f.severity} {f.rule} [{f.node or '-'}] fixed"
                for f in self.findings_fixed]
        return out


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Staff):
        if value.hourly is not None:
            return (f"{min(value.hourly)}-{value.agents} agents by hour "
                    f"({sum(value.hourly)} agent-hours a week), {value.handle_time:g} s a call")
        return f"{value.agents} agents, {value.handle_time:g} s a call"
    if isinstance(value, Callback):
        return f"offered after {value.offer_after:g} s, taken by {value.accept:.0%}"
    if isinstance(value, tuple):
        if value and isinstance(value[0], tuple):  # chance: ((target, p), ...)
            return "{" + ", ".join(f"{t}: {p:g}" for t, p in value) + "}"
        return "[" + ", ".join(str(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _hours(s: Schedule | None) -> str:
    if s is None:
        return "none"
    return f"open {100 * s.open_fraction():.0f}% of the week, {s.tz}"


def _words(text: str | None) -> list[str]:
    return (text or "").split()


def prompt_change(before: Node, after: Node) -> str | None:
    """A prompt's new length and its changed words (``[-old-] {+new+}``); None when the
    words and the length are the same.

    Examples
    --------
    >>> from ivr.model import Source
    >>> a = Node("m", "menu", Source("f"), say="For cards press 2. To hear again press 9.",
    ...          seconds=3.2)
    >>> b = Node("m", "menu", Source("f"), say="For cards press 2.", seconds=1.6)
    >>> prompt_change(a, b)
    '1.6 s (was 3.2 s): [-To hear again press 9.-]'
    """
    old, new = _words(before.say), _words(after.say)
    if old == new and abs(before.seconds - after.seconds) < 1e-9:
        return None
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        piece = []
        if i2 > i1:
            piece.append("[-" + " ".join(old[i1:i2]) + "-]")
        if j2 > j1:
            piece.append("{+" + " ".join(new[j1:j2]) + "+}")
        parts.append(" ".join(piece))
    words = " ... ".join(parts)
    if len(words) > 90:
        words = words[:87] + "..."
    length = f"{after.seconds:.1f} s (was {before.seconds:.1f} s)"
    return f"{length}: {words}" if words else length


def _node_changes(a: Node, b: Node, defaults: dict[str, tuple[object, object]],
                  pace_changed: bool) -> Iterable[Change]:
    nid = a.id
    if a.kind != b.kind:
        yield Change("kind changed", nid, None, a.kind, b.kind)
        return
    old = {o.key: o.target for o in a.options}
    new = {o.key: o.target for o in b.options}
    for key in [k for k in new if k not in old]:
        yield Change("option added", nid, key, None, new[key])
    for key in [k for k in old if k not in new]:
        yield Change("option removed", nid, key, old[key], None)
    for key in [k for k in old if k in new and old[k] != new[k]]:
        yield Change("option retargeted", nid, key, old[key], new[key])
    said_same = _words(a.say) == _words(b.say)
    if not (said_same and pace_changed):  # a new pace alone is the defaults line
        text = prompt_change(a, b)
        if text is not None:
            yield Change("prompt changed", nid, None, a.say, b.say, text)
    for name in SETTINGS:
        va, vb = getattr(a, name), getattr(b, name)
        if va == vb:
            continue
        if name in _DEFAULTED and defaults.get(_DEFAULTED[name]) == (va, vb):
            continue  # follows the defaults change, reported once
        yield Change("setting changed", nid, name, _text(va), _text(vb))


def _caller_changes(a: Menu, b: Menu) -> Iterable[Change]:
    """What the callers of two menus believe and do differently, intent by intent: the
    keys the wording suggests to them (``presses``) and their ``barge_in`` share."""
    if a.callers is None or b.callers is None:
        return
    theirs = {i.name: i for i in b.callers.intents}
    for intent in a.callers.intents:
        other = theirs.get(intent.name)
        if other is None:
            continue
        if intent.presses != other.presses:
            yield Change("callers changed", None, f"{intent.name} presses",
                         ", ".join(intent.presses) or "nothing",
                         ", ".join(other.presses) or "nothing")
        if intent.barge_in != other.barge_in:
            yield Change("callers changed", None, f"{intent.name} barge_in",
                         f"{intent.barge_in:g}", f"{other.barge_in:g}")


def _finding_key(f: Finding) -> tuple[str, str | None]:
    return (f.rule, f.node)


def diff_menus(a: Menu, b: Menu, config: LintConfig | None = None) -> MenuDiff:
    """How menu ``b`` differs from menu ``a`` (nodes matched by id).

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> a = parse_menu('''
    ... name: A
    ... start: main
    ... nodes:
    ...   main: {kind: menu, say: Press 1 for help., options: {1: help}}
    ...   help: {kind: self_service}
    ... ''')
    >>> b = parse_menu('''
    ... name: B
    ... start: main
    ... nodes:
    ...   main: {kind: menu, say: Press 1 for help. Or 0., options: {1: help, 0: desk}}
    ...   help: {kind: self_service}
    ...   desk: {kind: agent}
    ... ''')
    >>> for line in diff_menus(a, b).lines(): print(line)
    + node desk (agent)
    + main: option 0 -> 'desk'
    ~ main: prompt 1.9 s (was 1.1 s): {+Or 0.+}
    - finding error NO_PATH_TO_HUMAN [main] fixed
    - finding warning NO_ZERO_OUT [main] fixed
    """
    changes: list[Change] = []
    if a.start != b.start:
        changes.append(Change("start changed", None, None, a.start, b.start))
    defaults: dict[str, tuple[object, object]] = {}
    for name in ("timeout", "retries", "words_per_second", "on_fail"):
        va, vb = getattr(a.defaults, name), getattr(b.defaults, name)
        if va != vb:
            defaults[name] = (va, vb)
            changes.append(Change("defaults changed", None, name, _text(va), _text(vb)))
    if a.language != b.language:  # every prompt is timed in the new language
        defaults["language"] = (a.language, b.language)
        changes.append(Change("defaults changed", None, "language", a.language, b.language))
    for name in sorted(a.schedules.keys() | b.schedules.keys()):
        sa, sb = a.schedules.get(name), b.schedules.get(name)
        if sa is None or sb is None or (sa.tz, sa.hours) != (sb.tz, sb.hours):
            changes.append(Change("schedule changed", None, name, _hours(sa), _hours(sb)))
    changes += [Change("node added", nid, None, None, node.kind)
                for nid, node in b.nodes.items() if nid not in a.nodes]
    changes += [Change("node removed", nid, None, node.kind, None)
                for nid, node in a.nodes.items() if nid not in b.nodes]
    pace = "words_per_second" in defaults or "language" in defaults
    for nid, node in a.nodes.items():
        other = b.nodes.get(nid)
        if other is not None:
            changes.extend(_node_changes(node, other, defaults, pace))
    changes.extend(_caller_changes(a, b))
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    changes.sort(key=lambda c: order[c.kind])  # stable: file order within a kind
    fa, fb = lint(a, config), lint(b, config)
    ka = {_finding_key(f) for f in fa}
    kb = {_finding_key(f) for f in fb}
    return MenuDiff(a.source.file, b.source.file, tuple(changes),
                    tuple(f for f in fb if _finding_key(f) not in ka),
                    tuple(f for f in fa if _finding_key(f) not in kb))


__all__ = ["CHANGE_KINDS", "Change", "MenuDiff", "diff_menus", "prompt_change"]
