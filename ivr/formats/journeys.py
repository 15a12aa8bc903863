"""Journeys files: regression tests for a menu, as key sequences and what they must reach.

A journey says "press 2, then 1: the call reaches report_lost within 40 s", like a Cyara or
Amazon Connect test case, but run offline against the menu file (``ivr test``). This
module reads and checks the YAML; :mod:`ivr.walk.journeys` runs them. Every mistake is one line
naming the file, line and column; node names are checked against the menu with a "did you
mean" (:func:`check_against`). The format is in docs/journeys.md and
ivr/schema/journeys.schema.json.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from ivr.errors import IvrError, LoadError
from ivr.formats.checks import Checker, did_you_mean
from ivr.formats.text import MAX_BYTES, read_text
from ivr.formats.yamltext import Document, Path, parse_yaml
from ivr.model import HANGUP, Menu, Source
from ivr.week import parse_at

FILE_FIELDS = ("menu", "at", "journeys")
JOURNEY_FIELDS = ("name", "keys", "expect", "at", "branch", "seed", "then")
EXPECT_FIELDS = ("node", "within", "outcome", "ending", "not_node", "max_steps")
#: What a journey does when its keys run out before the call ends.
THEN = ("stop", "silence")
#: How a walk can end: the caller model's outcomes less ``misrouted`` (a walk has no
#: intent: a self-service ending serves it) and ``abandoned`` (it never gives up).
WALK_OUTCOMES = ("served", "human", "voicemail", "transferred", "disconnected", "stuck")
#: The canonical silence token (a timeout); "" and "wait" are read as it too.
SILENCE = "-"
_SILENT = ("", "-", "wait")
#: Keys typed in a row: a typed option ("1000") or digits for an input.
_TOKEN = re.compile(r"[0-9*#]{1,32}")
_KEYS_HINT = ("keys are 0-9, * and #, several in a row for an extension or digit entry "
              "('1000'), or '-' for silence")


@dataclass(frozen=True)
class Ref:
    """A node name the file mentions, and where, so it can be checked against the menu."""

    node: str
    what: str
    source: Source


@dataclass(frozen=True)
class Expect:
    """What must hold after the walk; every field given must hold.

    ``node`` is visited (first arrival within ``within`` seconds when both are given);
    ``outcome`` is one of the names given; ``ending`` is the node the call ended at;
    ``not_node`` are never visited; ``max_steps`` bounds the steps (chain moves) taken;
    ``within`` without ``node`` bounds the seconds until the call ends.
    """

    node: str | None = None
    within: float | None = None
    outcome: tuple[str, ...] = ()
    ending: str | None = None
    not_node: tuple[str, ...] = ()
    max_steps: int | None = None


@dataclass(frozen=True)
class Journey:
    """One test: the keys a caller presses, when, and what must happen.

    ``keys`` are tokens: one key, several typed in a row, or :data:`SILENCE`. ``at`` is a
    time of the week as written ("sun 03:00", in the menu's clock unless it names a zone;
    None: the file's ``at``, else the walk's default). ``branch`` picks
    chance targets (node -> target); ``seed`` draws the others; ``then`` says what the
    caller does once its keys run out ("stop" or "silence").
    """

    name: str
    keys: tuple[str, ...]
    expect: Expect
    source: Source
    at: str | None = None
    branch: tuple[tuple[str, str], ...] = ()
    seed: int | None = None
    then: str = "stop"
    refs: tuple[Ref, ...] = ()


@dataclass(frozen=True)
class JourneyFile:
    """A journeys file: its menu (a path relative to the current folder, or None), and
    its journeys in file order."""

    file: str
    menu: str | None
    journeys: tuple[Journey, ...]
    menu_source: Source | None = None
    #: When the file's journeys call unless they say otherwise (text, like Journey.at).
    at: str | None = None


def key_problem(token: str) -> str | None:
    """Why ``token`` is not a key press, or None.

    Examples
    --------
    >>> key_problem("1000") is None, key_problem("-") is None
    (True, True)
    >>> key_problem("2 1")
    "'2 1' is not a key (separate keys with commas: 2,1)"
    """
    if token in _SILENT or _TOKEN.fullmatch(token):
        return None
    if re.fullmatch(r"[0-9*#]+(\s+[0-9*#]+)+", token):
        return f"{token!r} is not a key (separate keys with commas: {','.join(token.split())})"
    if _TOKEN.fullmatch(token[:33]):
        return f"{token!r} is not a key (more than 32 keys in a row)"
    return f"{token!r} is not a key ({_KEYS_HINT})"


def parse_keys(text: str) -> tuple[str, ...]:
    """``"2,1"`` -> ``("2", "1")``; an empty item, ``-`` or ``wait`` is silence.

    Raises ValueError naming the first bad key.

    Examples
    --------
    >>> parse_keys("2, 1,,1000, wait")
    ('2', '1', '-', '1000', '-')
    >>> parse_keys("")
    ()
    """
    if not text.strip():
        return ()
    return tuple(_token(t.strip()) for t in text.split(","))


def _token(token: str) -> str:
    problem = key_problem(token)
    if problem:
        raise ValueError(problem)
    return SILENCE if token in _SILENT else token


def parse_journeys(text: str, file: str = "<string>") -> JourneyFile:
    """Read a journeys file's text (node names are checked later, against the menu).

    Examples
    --------
    >>> jf = parse_journeys('''
    ... menu: bank.yaml
    ... journeys:
    ...   - name: zero out
    ...     keys: "0"
    ...     expect: {outcome: human, within: 30}
    ... ''', "journeys/bank.yaml")
    >>> jf.menu, jf.journeys[0].keys, jf.journeys[0].expect.outcome
    ('journeys/bank.yaml', ('0',), ('human',))
    """
    return _Reader(parse_yaml(text, file), text).read()


def load_journeys(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> JourneyFile:
    """Read a journeys file (see :func:`parse_journeys`)."""
    file = os.fspath(path)
    return parse_journeys(read_text(file, max_bytes), file)


def is_journeys(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> bool:
    """Whether a file has a top-level ``journeys:`` key (a menu cannot: it would be an
    unknown field). Unreadable files are not journeys here; the menu reader says why."""
    try:
        text = read_text(os.fspath(path), max_bytes)
    except IvrError:
        return False
    return re.search(r"^journeys[ \t]*:", text, re.M) is not None


def problems_against(jf: JourneyFile, menu: Menu) -> dict[int, LoadError]:
    """Per journey (by index in the file), the first node name it gives that ``menu`` does
    not have (``branch`` must also name a chance branch and one of its targets), as a
    one-line LoadError with a "did you mean". A stale name fails its journey only."""
    ids = [*menu.nodes, HANGUP]
    out: dict[int, LoadError] = {}
    for k, journey in enumerate(jf.journeys):
        try:
            _check_journey(journey, menu, ids)
        except LoadError as exc:
            out[k] = exc
    return out


def check_against(jf: JourneyFile, menu: Menu) -> None:
    """Every node a journey names exists in ``menu``; raises the first problem of
    :func:`problems_against`."""
    for exc in problems_against(jf, menu).values():
        raise exc


def _check_journey(journey: Journey, menu: Menu, ids: list[str]) -> None:
    for ref in journey.refs:
        if ref.node not in menu.nodes and ref.node != HANGUP:
            _fail(ref, f"{ref.what} names {ref.node!r}, which is not a node of "
                  f"{menu.source.file}", did_you_mean(ref.node, ids)
                  or "check the node ids in the menu")
    targets = dict(journey.branch)
    for ref in journey.refs:
        if ref.what != "branch":
            continue
        node, target = ref.node, targets[ref.node]
        choices = [t for t, _ in menu.nodes[node].chance]
        if not choices:
            _fail(ref, f"branch names {node!r}, which is not a chance branch",
                  "only chance branches can be chosen; schedules follow 'at'")
        if target not in choices:
            _fail(ref, f"branch {node!r} cannot lead to {target!r}",
                  did_you_mean(target, choices) or "its targets: " + ", ".join(choices))


def _fail(ref: Ref, message: str, hint: str | None) -> None:
    raise LoadError(message, file=ref.source.file, line=ref.source.line,
                    column=ref.source.column, hint=hint)


class _Reader(Checker):
    def __init__(self, doc: Document, text: str) -> None:
        super().__init__(doc)
        self.lines = text.splitlines()
        self.refs: list[Ref] = []

    def read(self) -> JourneyFile:
        if self.doc.data is None:
            self.fail((), "the file is empty", hint="a journeys file needs journeys: [...]")
        top = self.mapping(self.doc.data, (), "a journeys file")
        top = {k: v for k, v in top.items() if not k.startswith("x-")}  # room for anchors
        self.fields(top, (), FILE_FIELDS, ("journeys",), what="a journeys file")
        menu = None
        if "menu" in top:
            rel = self.text(top["menu"], ("menu",), "menu")
            base = os.path.dirname(self.doc.file) if self.doc.file != "<string>" else ""
            menu = os.path.normpath(os.path.join(base, rel))
        at = self.at(top["at"], ("at",)) if "at" in top else None
        raw = top["journeys"]
        if not isinstance(raw, list) or not raw:
            self.fail(("journeys",), "journeys must be a non-empty list of journeys",
                      hint="- name: ..., keys: ..., expect: {...}")
        journeys = [self.journey(j, ("journeys", i), i) for i, j in enumerate(raw)]
        seen: dict[str, Journey] = {}
        for i, j in enumerate(journeys):
            if j.name in seen:
                self.fail(("journeys", i, "name"), f"two journeys are named {j.name!r}",
                          hint=f"the other is at line {seen[j.name].source.line}; "
                          "names must differ so reports can tell them apart")
            seen[j.name] = j
        return JourneyFile(self.doc.file, menu, tuple(journeys),
                           self.source(("menu",)) if menu else None, at)

    def journey(self, raw: Any, path: Path, i: int) -> Journey:
        what = f"journey {i + 1}"
        d = self.mapping(raw, path, what)
        self.fields(d, path, JOURNEY_FIELDS, ("name", "expect"), what=what)
        name = self.text(d["name"], (*path, "name"), "name")
        if not name.strip():
            self.fail((*path, "name"), "name is empty", hint="say what the journey checks")
        self.refs = []
        keys = self.keys(d["keys"], (*path, "keys")) if "keys" in d else ()
        expect = self.expect(d["expect"], (*path, "expect"), name)
        branch: list[tuple[str, str]] = []
        if "branch" in d:
            bp = (*path, "branch")
            for node, target in self.mapping(d["branch"], bp, "branch").items():
                target = self.text(target, (*bp, node), f"branch {node!r}")
                self.refs.append(Ref(node, "branch", self.source((*bp, node))))
                branch.append((node, target))
        seed = self.integer(d["seed"], (*path, "seed"), "seed") if "seed" in d else None
        then = self.choice(d["then"], (*path, "then"), "then", THEN) if "then" in d else "stop"
        return Journey(
            name=name, keys=keys, expect=expect, source=self.source(path),
            at=self.at(d["at"], (*path, "at")) if "at" in d else None,
            branch=tuple(branch), seed=seed, then=then, refs=tuple(self.refs),
        )

    def expect(self, raw: Any, path: Path, name: str) -> Expect:
        d = self.mapping(raw, path, "expect")
        self.fields(d, path, EXPECT_FIELDS, what="expect")
        if not d:
            self.fail(path, "expect is empty", hint="give node, outcome, ending, within, "
                      "not_node or max_steps")
        out: dict[str, Any] = {}
        for field in ("node", "ending"):
            if field in d:
                out[field] = self.node_ref(d[field], (*path, field), f"expect.{field}")
        if "not_node" in d:
            p = (*path, "not_node")
            nodes = self.texts(d["not_node"], p, "expect.not_node")
            for k, n in enumerate(nodes):
                self.refs.append(Ref(n, "expect.not_node",
                                     self.source((*p, k) if isinstance(d["not_node"], list)
                                                 else p)))
            out["not_node"] = nodes
        if "outcome" in d:
            p = (*path, "outcome")
            names = self.texts(d["outcome"], p, "expect.outcome")
            for k, o in enumerate(names):
                self.choice(o, (*p, k) if isinstance(d["outcome"], list) else p,
                            "expect.outcome", WALK_OUTCOMES)
            out["outcome"] = names
        if "within" in d:
            out["within"] = self.number(d["within"], (*path, "within"), "expect.within",
                                        low=0)
        if "max_steps" in d:
            out["max_steps"] = self.integer(d["max_steps"], (*path, "max_steps"),
                                            "expect.max_steps", low=1)
        return Expect(**out)

    def node_ref(self, value: Any, path: Path, what: str) -> str:
        node = self.text(value, path, what)
        self.refs.append(Ref(node, what, self.source(path)))
        return node

    def at(self, value: Any, path: Path) -> str:
        """A time of the week, checked now; read in the menu's clock when it is known."""
        text = self.text(value, path, "at")
        try:
            parse_at(text)
        except ValueError as exc:
            self.fail(path, str(exc), hint="a time in the menu's time zone, or name one: "
                      "'sun 03:00 Europe/Madrid'")
        return text.strip()

    def keys(self, value: Any, path: Path) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, list):
            return tuple(self.key(v, (*path, k), item=True) for k, v in enumerate(value))
        if isinstance(value, str):
            try:
                return parse_keys(value)
            except ValueError as exc:
                self.fail(path, f"keys: {exc}")
        return (self.key(value, path, item=False),)

    def key(self, value: Any, path: Path, *, item: bool) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.fail(path, f"keys: {value!r} is not a key", hint=_KEYS_HINT if not isinstance(
                value, float) else "write several keys as text: keys: \"2,1\"")
        if isinstance(value, int):
            raw = self.raw_scalar(path, item)
            if value < 0 or (raw is not None and raw != str(value)):
                self.fail(path, f"keys: {raw or value} would be read as the number {value}",
                          hint=f'quote it: "{raw or value}"')
            return str(value)
        try:
            return _token(value.strip())
        except ValueError as exc:
            self.fail(path, f"keys: {exc}")

    def raw_scalar(self, path: Path, item: bool) -> str | None:
        """The text of a plain scalar as written (YAML reads 0123 as 123 and 0o7 as 7)."""
        line, col = self.doc.where(path)
        if line is None or col is None or line > len(self.lines):
            return None
        rest = self.lines[line - 1][col - 1:]
        if not item:  # a mapping value: after the key's colon
            _, colon, rest = rest.partition(":")
            if not colon:
                return None
        m = re.match(r"\s*([^\s,\]}#]+)", rest)
        return m.group(1) if m else None


__all__ = ["EXPECT_FIELDS", "FILE_FIELDS", "JOURNEY_FIELDS", "SILENCE", "THEN", "WALK_OUTCOMES",
           "Expect", "Journey", "JourneyFile", "Ref", "check_against", "is_journeys",
           "key_problem", "load_journeys", "parse_journeys", "parse_keys", "problems_against"]
