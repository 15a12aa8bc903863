"""The native YAML menu format (docs/menu-format.md) -> :class:`ivr.model.Menu`.

All of a file is checked before any model object is made; node references are checked
last, once every id is known, so an unknown target can be answered with the closest id.
"""

from __future__ import annotations

import os
import re
import unicodedata
from typing import Any, cast

from ivr.formats.checks import Checker, did_you_mean, name_problem, nfc
from ivr.formats.plain import KEY_ORDER, NODE_ID, PlainNodes
from ivr.formats.population import read_population, week_table
from ivr.formats.schedule import read_schedule
from ivr.formats.text import MAX_BYTES, read_text
from ivr.formats.yamltext import Document, Path, parse_yaml
from ivr.gcpause import paused_gc
from ivr.language.speech import rate_of, seconds_of
from ivr.language.tags import TagError, normalize
from ivr.limits import (
    MAX_AGENTS,
    MAX_INPUT_DIGITS,
    MAX_NODES,
    MAX_OPTIONS,
    MAX_RETRIES,
    MAX_WORDS_PER_SECOND,
    MIN_WORDS_PER_SECOND,
)
from ivr.model import (
    ESTIMATE,
    KEYPAD,
    KINDS,
    NOTE_RULES,
    Callback,
    Defaults,
    Menu,
    Node,
    Note,
    Option,
    Population,
    Schedule,
    Source,
    Staff,
)

TOP_FIELDS = ("name", "start", "description", "language", "defaults", "schedules", "nodes",
              "callers")
DEFAULT_FIELDS = ("timeout", "retries", "words_per_second", "on_fail")
COMMON_FIELDS = ("kind", "say", "seconds", "label", "note", "language")
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "menu": ("options", "timeout", "retries", "on_timeout", "on_invalid", "on_fail"),
    "message": ("next",),
    "input": ("digits", "next", "timeout", "retries", "on_fail"),
    "branch": ("schedule", "open", "closed", "chance"),
    "agent": ("queue", "schedule", "closed", "staff", "max_wait", "on_max_wait",
              "announce_wait", "callback"),
    "self_service": ("resolves",),
    "voicemail": (),
    "transfer": ("to", "flow"),
    "hangup": (),
    "callback": ("agent",),
}
#: Kinds that end the call where a line's on_max_wait may send callers on.
_ENDS = frozenset(("voicemail", "callback", "hangup", "transfer", "self_service", "agent"))


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _elsewhere(kind: str) -> dict[str, str]:
    """For a field of another kind: which kinds have it, to say so in the error."""
    owners: dict[str, list[str]] = {}
    for other, names in KIND_FIELDS.items():
        for name in names:
            owners.setdefault(name, []).append(other)
    return {
        name: f"{', '.join(kinds)} nodes have it; {kind} nodes have: "
        + ", ".join(COMMON_FIELDS + KIND_FIELDS[kind])
        for name, kinds in owners.items()
        if kind not in kinds
    }


_ELSEWHERE = {kind: _elsewhere(kind) for kind in KINDS}
_REF_FIELDS = frozenset(("next", "on_timeout", "on_invalid", "on_fail", "open", "closed",
                         "on_max_wait", "agent"))
_KEYS = re.compile(r"[0-9*#]{1,12}")


def key_order(option: Option) -> tuple[int, ...]:
    """Keypad order for single keys first, then typed-in sequences such as "1000"."""
    key = option.key
    if key in KEY_ORDER:
        return (KEY_ORDER[key],)
    return (len(KEYPAD), len(key), *(KEY_ORDER[c] for c in key))
_ALLOWED = {kind: frozenset(COMMON_FIELDS + KIND_FIELDS[kind]) for kind in KINDS}


class _MenuReader(Checker):
    def retries(self, value: Any, path: Path, nid: str | None) -> int:
        return self.integer(value, path, "retries", nid, low=1, high=MAX_RETRIES,
                            limit_hint="ivr.limits.MAX_RETRIES: real menus allow 1-5")

    def read(self) -> Menu:
        if self.doc.data is None:
            self.fail((), "the file is empty", hint="a menu needs name, start and nodes")
        top = self.mapping(self.doc.data, (), "a menu file")
        # Top-level x-... fields are free: a place for YAML anchors shared by nodes; only
        # x-import-notes (what an importer could not resolve) is read back, for lint.
        raw_notes = top.get("x-import-notes")
        top = {k: v for k, v in top.items() if not k.startswith("x-")}
        self.fields(top, (), TOP_FIELDS, ("name", "start", "nodes"), what="a menu file")
        name = self.text(top["name"], ("name",), "name")
        description = None
        if "description" in top:
            description = self.text(top["description"], ("description",), "description")
        language = "en"
        if "language" in top:
            language = self.language(top["language"], ("language",), None)
        self.language_tag = language
        raw_nodes = self.mapping(top["nodes"], ("nodes",), "nodes")
        if not raw_nodes:
            self.fail(("nodes",), "nodes is empty", hint="a menu needs at least one node")
        if len(raw_nodes) > MAX_NODES:
            self.fail(("nodes",), f"the menu has {len(raw_nodes):,} nodes, over the limit of "
                      f"{MAX_NODES:,}", hint="ivr.limits.MAX_NODES; split the menu into flows")
        raw_nodes = self.composed(raw_nodes, ("nodes",))
        self.ids = raw_nodes
        self.raw_nodes: dict[str, Any] = raw_nodes
        start = self.ref(top["start"], ("start",), "start", None)
        defaults = self.read_defaults(top.get("defaults"))
        schedules = self.read_schedules(top.get("schedules"))
        nodes = self.read_nodes(raw_nodes, defaults, schedules)
        callers = None
        if "callers" in top:
            callers = read_population(self, top["callers"], ("callers",))
        return Menu(
            name=name,
            start=start,
            nodes=nodes,
            source=Source(self.doc.file, 1, 1),
            defaults=defaults,
            schedules=schedules,
            callers=callers,
            description=description,
            language=language,
            notes=self.read_notes(raw_notes, nodes) if raw_notes is not None else (),
        )

    def language(self, value: Any, path: Path, node: str | None) -> str:
        """A BCP 47 tag, normalised (``hu-hu`` -> ``hu-HU``); unknown: did-you-mean."""
        tag = self.text(value, path, "language", node)
        try:
            return normalize(tag)
        except TagError as e:
            self.fail(path, str(e), node, e.hint)

    def composed(self, table: dict[str, Any], path: Path) -> dict[str, Any]:
        """Names in NFC (a decomposed "ő" is the same id as a composed one), with their
        positions kept."""
        if "".join(table).isascii():  # (one pass in C over 100,000 ids)
            return table
        out: dict[str, Any] = {}
        for raw, value in table.items():
            name = nfc(raw)
            if name != raw:
                marks = self.doc.marks
                for p, mark in [(p, m) for p, m in marks.items()
                                if p[:len(path) + 1] == (*path, raw)]:
                    marks.setdefault((*path, name, *p[len(path) + 1:]), mark)
            if name in out:
                self.fail((*path, raw), f"{name!r} is written twice (once composed, once "
                          "with combining accents)", None, "remove or rename one of them")
            out[name] = value
        return out

    def read_notes(self, raw: Any, nodes: dict[str, Node]) -> tuple[Note, ...]:
        """``x-import-notes`` written by ``ivr import``: each note points at its node here
        (or, with no node, at where the importer found it), so lint reports the same
        findings for the written menu as for the flow it came from."""
        p: Path = ("x-import-notes",)
        if not isinstance(raw, list):
            self.fail(p, "x-import-notes must be a list of {rule, node, message}")
        notes = []
        for i, item in enumerate(raw):
            ip: Path = (*p, i)
            d = self.mapping(item, ip, "an import note")
            self.fields(d, ip, ("rule", "node", "message", "source"), ("rule", "message"),
                        what="an import note")
            rule = self.choice(d["rule"], (*ip, "rule"), "rule", NOTE_RULES, None)
            message = self.text(d["message"], (*ip, "message"), "message")
            nid = d.get("node")
            if nid is not None:
                nid = self.text(nid, (*ip, "node"), "node")
            where = d.get("source")
            source = nodes[nid].source if nid in nodes else (
                _source_text(self.text(where, (*ip, "source"), "source"))
                if where is not None else self.source(ip))
            notes.append(Note(rule, nid, message, source))
        return tuple(notes)

    def read_defaults(self, raw: Any) -> Defaults:
        if raw is None:
            return Defaults()
        p: Path = ("defaults",)
        d = self.mapping(raw, p, "defaults")
        self.fields(d, p, DEFAULT_FIELDS, what="defaults")
        base = Defaults()
        return Defaults(
            timeout=self.seconds(d["timeout"], (*p, "timeout"), "timeout")
            if "timeout" in d else base.timeout,
            retries=self.retries(d["retries"], (*p, "retries"), None)
            if "retries" in d else base.retries,
            words_per_second=self.number(
                d["words_per_second"], (*p, "words_per_second"), "words_per_second",
                low=MIN_WORDS_PER_SECOND, high=MAX_WORDS_PER_SECOND,
                limit_hint="people speak 2-3 words a second (ivr.limits)")
            if "words_per_second" in d else base.words_per_second,
            on_fail=self.ref(d["on_fail"], (*p, "on_fail"), "on_fail", None)
            if "on_fail" in d else None,
        )

    def read_schedules(self, raw: Any) -> dict[str, Schedule]:
        if raw is None:
            return {}
        table = self.mapping(raw, ("schedules",), "schedules")
        return {self.name(name, ("schedules", name), "schedule"):
                read_schedule(self, nfc(name), value, ("schedules", name),
                              self.source(("schedules", name)))
                for name, value in table.items()}

    def read_nodes(
        self, raw_nodes: dict[str, Any], defaults: Defaults, schedules: dict[str, Schedule]
    ) -> dict[str, Node]:
        """Plain nodes (most of a generated menu) in one pass each, the others checked
        field by field (and any error said) by :meth:`read_node`."""
        plain = PlainNodes(self.doc, raw_nodes, defaults, self.language_tag)
        if not plain.usable:
            return {nid: self.read_node(nid, raw, defaults, schedules)
                    for nid, raw in raw_nodes.items()}
        # The plain ones first: they raise nothing, so the first error is still the one of
        # the first node (in the file's order) that has one.
        quick = plain.node
        built = [quick(nid, raw) for nid, raw in raw_nodes.items()]
        if all(built):  # (a Node is always true)
            return dict(zip(raw_nodes, cast("list[Node]", built), strict=True))
        return {nid: node if node is not None else self.read_node(nid, raw, defaults, schedules)
                for (nid, raw), node in zip(raw_nodes.items(), built, strict=True)}

    def read_node(
        self, nid: str, raw: Any, defaults: Defaults, schedules: dict[str, Schedule]
    ) -> Node:
        p: Path = ("nodes", nid)
        if not NODE_ID.fullmatch(nid):
            self.check_id(nid, p)
        d = raw if type(raw) is dict else self.mapping(raw, p, f"node {nid!r}", nid)
        if "kind" not in d:
            self.fail(p, "the node has no kind", nid, "add kind: " + " | ".join(KINDS))
        kind = d["kind"]
        if type(kind) is not str or kind not in _ALLOWED:
            kind = self.choice(kind, (*p, "kind"), "kind", KINDS, nid)
        if not d.keys() <= _ALLOWED[kind]:
            d = self.mapping(raw, p, f"node {nid!r}", nid)
            self.fields(d, p, COMMON_FIELDS + KIND_FIELDS[kind], node=nid,
                        what=f"{_article(kind)} {kind} node", elsewhere=_ELSEWHERE[kind])
        f: dict[str, Any] = {"id": nid, "kind": kind, "source": self.source(p)}
        if "say" in d:
            say = d["say"]
            f["say"] = say if type(say) is str else self.text(say, (*p, "say"), "say", nid)
        if "label" in d:
            f["label"] = self.text(d["label"], (*p, "label"), "label", nid)
        if "note" in d:
            f["note"] = self.text(d["note"], (*p, "note"), "note", nid)
        if "language" in d:
            f["language"] = self.language(d["language"], (*p, "language"), nid)
        if "seconds" in d:
            f["seconds"] = self.seconds(d["seconds"], (*p, "seconds"), "seconds", nid, zero=True)
        elif "say" in d:
            lang = f.get("language") or self.language_tag
            f["seconds"] = seconds_of(f["say"], lang, rate_of(lang, defaults.words_per_second))
        for name in _REF_FIELDS.intersection(d):
            f[name] = self.ref(d[name], (*p, name), name, nid)
        if kind in ("menu", "input"):
            f["timeout"] = (self.seconds(d["timeout"], (*p, "timeout"), "timeout", nid)
                            if "timeout" in d else defaults.timeout)
            f["retries"] = (self.retries(d["retries"], (*p, "retries"), nid)
                            if "retries" in d else defaults.retries)
            f.setdefault("on_fail", defaults.on_fail)
        if kind == "menu":
            f["on_timeout"] = f.get("on_timeout", nid)
            f["on_invalid"] = f.get("on_invalid", nid)
            f["options"] = self.read_options(nid, d.get("options", {}))
        elif kind == "input" and "digits" in d:
            f["digits"] = self.integer(d["digits"], (*p, "digits"), "digits", nid, low=1,
                                       high=MAX_INPUT_DIGITS,
                                       limit_hint="ivr.limits.MAX_INPUT_DIGITS")
        elif kind == "branch":
            self.read_branch(nid, d, f, schedules)
        elif kind == "agent":
            self.read_agent(nid, d, f, schedules)
        elif kind == "self_service" and "resolves" in d:
            f["resolves"] = self.texts(d["resolves"], (*p, "resolves"), "resolves", nid)
        elif kind == "transfer":
            self.read_transfer(nid, d, f)
        node = Node(**f)
        if kind == "callback" and node.agent is not None:
            self.check_callback_agent(node)
        return node

    def check_id(self, nid: str, p: Path) -> None:
        """An id in any script: letters, marks and digits of any script, '_', '-', '.'."""
        problem = name_problem(nid)
        if problem:
            self.fail(p, f"node id {nid!r}: {problem}", None,
                      "retype the id without invisible characters")
        if not nid or not (nid[0].isalnum() or nid[0] == "_") or not all(
                c.isalnum() or c in "_.-" or unicodedata.category(c)[0] == "M" for c in nid):
            self.fail(p, f"node id {nid!r} has characters ids cannot have", nid,
                      "use letters (of any script), digits, '_', '-' and '.', starting with "
                      "a letter, digit or '_'")

    def read_options(self, nid: str, raw: Any) -> tuple[Option, ...]:
        p: Path = ("nodes", nid, "options")
        if type(raw) is dict and raw.keys() <= KEY_ORDER.keys():  # the common case, fast
            table = raw
        else:
            table = self.mapping(raw, p, "options", nid)
        if len(table) > MAX_OPTIONS:
            self.fail(p, f"the menu has {len(table):,} options, over the limit of "
                      f"{MAX_OPTIONS:,}", nid, "ivr.limits.MAX_OPTIONS; split it into menus")
        fine = self.doc.fine
        ids = self.ids
        options = []
        for key, value in table.items():
            if key not in KEY_ORDER and not _KEYS.fullmatch(key):
                self.fail((*p, key), f"option key {key!r} is not a phone key", nid,
                          "keys are 0-9, \"*\" and \"#\", or up to 12 of them typed "
                          "in a row such as \"1000\"")
            if type(value) is str and value in ids:
                options.append(Option(key, value, None,
                                      self.exact_source((*p, key)) if fine else None))
                continue
            kp = (*p, key)
            label = None
            if isinstance(value, dict):
                spec = self.mapping(value, kp, f"option {key!r}", nid)
                self.fields(spec, kp, ("to", "label"), ("to",), nid, f"option {key!r}")
                target = self.ref(spec["to"], (*kp, "to"), f"option {key!r}", nid)
                if "label" in spec:
                    label = self.text(spec["label"], (*kp, "label"), "label", nid)
            else:
                target = self.ref(value, kp, f"option {key!r}", nid)
            options.append(Option(key, target, label, self.exact_source(kp) if fine else None))
        options.sort(key=key_order)
        return tuple(options)

    def read_branch(
        self, nid: str, d: dict[str, Any], f: dict[str, Any], schedules: dict[str, Schedule]
    ) -> None:
        p: Path = ("nodes", nid)
        if ("schedule" in d) == ("chance" in d):
            self.fail(p, "a branch needs either schedule (with open and closed) or chance", nid,
                      "chance: {found: account_menu, not_found: retry}")
        if "schedule" in d:
            f["schedule"] = self.schedule_ref(d["schedule"], (*p, "schedule"), nid, schedules)
            return
        for name in ("open", "closed"):
            if name in d:
                self.fail((*p, name), f"{name!r} goes with schedule, not with chance", nid)
        cp = (*p, "chance")
        table = self.mapping(d["chance"], cp, "chance", nid)
        if not table:
            self.fail(cp, "chance is empty", nid, "list target: probability pairs")
        chance = tuple(
            (self.ref(t, (*cp, t), "chance target", nid),
             self.number(v, (*cp, t), f"chance of {t!r}", nid, low=0, high=1, low_open=True))
            for t, v in table.items()
        )
        total = sum(pr for _, pr in chance)
        if abs(total - 1.0) > 1e-6:
            self.fail(cp, f"chance probabilities sum to {total:g}, not 1", nid,
                      "make them add up to 1")
        f["chance"] = chance

    def read_agent(
        self, nid: str, d: dict[str, Any], f: dict[str, Any], schedules: dict[str, Schedule]
    ) -> None:
        p: Path = ("nodes", nid)
        if "queue" in d:
            f["queue"] = self.text(d["queue"], (*p, "queue"), "queue", nid)
        if "schedule" in d:
            f["schedule"] = self.schedule_ref(d["schedule"], (*p, "schedule"), nid, schedules)
        elif "closed" in d:
            self.fail((*p, "closed"), "'closed' needs a schedule", nid,
                      "add schedule: NAME, or remove closed")
        if "staff" in d:
            sp = (*p, "staff")
            s = self.mapping(d["staff"], sp, "staff", nid)
            self.fields(s, sp, ("agents", "handle_time", "hourly"), ("handle_time",), nid,
                        "staff")
            if "agents" not in s and "hourly" not in s:
                self.fail(sp, "staff needs agents (or hourly agents)", nid,
                          "staff: {agents: 12, handle_time: 240}")
            hourly = None
            if "hourly" in s:
                hourly = week_table(
                    self, s["hourly"], (*sp, "hourly"), "staff",
                    lambda v, p, i: self.integer(v, p, f"agents at {i:02d}:00", nid,
                                                 high=MAX_AGENTS,
                                                 limit_hint="ivr.limits.MAX_AGENTS"),
                    "agent counts", "give every day, with 24 zeros for a day nobody answers",
                    nid)
                if not any(hourly):
                    self.fail((*sp, "hourly"), "staff.hourly is all zeros: nobody ever "
                              "answers", nid, "give the agents in the hours the line is open")
            agents = self.integer(s["agents"], (*sp, "agents"), "agents", nid, low=1,
                                  high=MAX_AGENTS, limit_hint="ivr.limits.MAX_AGENTS") \
                if "agents" in s else max(hourly or (1,))
            if hourly is not None and "agents" in s and agents != max(hourly):
                self.fail((*sp, "agents"), f"agents {agents} is not the largest of "
                          f"staff.hourly ({max(hourly)})", nid,
                          "with hourly, leave agents out (or give the busiest hour's count)")
            f["staff"] = Staff(
                agents=agents,
                handle_time=self.seconds(s["handle_time"], (*sp, "handle_time"), "handle_time",
                                         nid),
                hourly=hourly,
            )
        self.read_line(nid, d, f)

    def read_line(self, nid: str, d: dict[str, Any], f: dict[str, Any]) -> None:
        """An agent's line: ``max_wait`` with ``on_max_wait``, ``announce_wait`` and a
        ``callback`` offer (see docs/queues.md)."""
        p: Path = ("nodes", nid)
        if ("max_wait" in d) != ("on_max_wait" in d):
            have, miss = ("max_wait", "on_max_wait") if "max_wait" in d else \
                ("on_max_wait", "max_wait")
            self.fail((*p, have), f"{have} needs {miss}", nid,
                      "max_wait: 60 (seconds in the line) with on_max_wait: NODE (where "
                      "callers go then: a voicemail, a callback, a hangup, another queue)")
        if "max_wait" in d:
            f["max_wait"] = self.number(d["max_wait"], (*p, "max_wait"), "max_wait", nid,
                                        low=0, low_open=True)
            if f["on_max_wait"] == nid:
                self.fail((*p, "on_max_wait"), "on_max_wait leads back to the same agent",
                          nid, "send callers somewhere else: a voicemail, a callback, a "
                          "menu that offers to keep holding")
        if "announce_wait" in d:
            raw = d["announce_wait"]
            if raw == ESTIMATE:
                f["announce_wait"] = ESTIMATE
            elif isinstance(raw, str):
                self.fail((*p, "announce_wait"), f"announce_wait {raw!r} is neither "
                          "'estimate' nor a number of seconds", nid,
                          "announce_wait: estimate (the modelled wait) or e.g. 900")
            else:
                f["announce_wait"] = self.number(raw, (*p, "announce_wait"),
                                                 "announce_wait", nid, low=0, low_open=True)
        if "callback" in d:
            cp = (*p, "callback")
            c = self.mapping(d["callback"], cp, "callback", nid)
            self.fields(c, cp, ("offer_after", "accept"), ("offer_after", "accept"), nid,
                        "callback")
            f["callback"] = Callback(
                offer_after=self.number(c["offer_after"], (*cp, "offer_after"),
                                        "callback.offer_after", nid, low=0),
                accept=self.number(c["accept"], (*cp, "accept"), "callback.accept", nid,
                                   low=0, high=1, low_open=True))
        announced = f.get("announce_wait")
        if isinstance(announced, float) and "max_wait" in d and announced > f["max_wait"]:
            target = self.raw_nodes[f["on_max_wait"]]
            kind = target.get("kind") if isinstance(target, dict) else None
            if kind not in _ENDS or (kind == "agent" and "staff" in target):
                self.fail((*p, "announce_wait"), f"the announced wait ({announced:g} s) "
                          f"is longer than max_wait ({f['max_wait']:g} s), and callers "
                          f"sent on then continue at {f['on_max_wait']!r}: the model cannot "
                          "carry on the patience of callers who stayed for the announcement",
                          nid, f"announce at most {f['max_wait']:g} s, or send them to an "
                          "ending (voicemail, callback, hangup)")

    def check_callback_agent(self, node: Node) -> None:
        """A callback node's ``agent`` must name an agent node."""
        target = self.raw_nodes.get(node.agent or "")
        if not isinstance(target, dict) or target.get("kind") != "agent":
            self.fail(("nodes", node.id, "agent"), f"agent {node.agent!r} is not an agent "
                      "node", node.id, "name the agent whose people make the call back")

    def read_transfer(self, nid: str, d: dict[str, Any], f: dict[str, Any]) -> None:
        p: Path = ("nodes", nid)
        if "to" not in d and "flow" not in d:
            self.fail(p, "a transfer needs 'to' (a phone number) or 'flow' (a menu file)", nid)
        if "to" in d:
            if isinstance(d["to"], int) and not isinstance(d["to"], bool):
                self.fail((*p, "to"), "the phone number is written as a number", nid,
                          f"quote it: to: \"{d['to']}\" (unquoted, leading zeros and + are lost)")
            f["to"] = self.text(d["to"], (*p, "to"), "to", nid)
        if "flow" in d:
            f["flow"] = self.text(d["flow"], (*p, "flow"), "flow", nid)

    def schedule_ref(
        self, value: Any, path: Path, nid: str, schedules: dict[str, Schedule]
    ) -> str:
        name = nfc(self.text(value, path, "schedule", nid))
        if name not in schedules:
            hint = did_you_mean(name, schedules) or (
                "define it under schedules:" if not schedules else
                "defined schedules: " + ", ".join(schedules))
            self.fail(path, f"no schedule named {name!r}", nid, hint)
        return name


def _source_text(text: str) -> Source:
    """``file:line:col`` (as Source prints itself) back into a Source.

    Examples
    --------
    >>> _source_text("flows/a.json:12:7"), _source_text("a.conf")
    (Source(file='flows/a.json', line=12, column=7, ref=None), Source(file='a.conf', \
line=None, column=None, ref=None))
    """
    m = re.fullmatch(r"(.+?):(\d+)(?::(\d+))?", text)
    if m is None:
        return Source(text)
    return Source(m.group(1), int(m.group(2)), int(m.group(3)) if m.group(3) else None)


def read_menu_document(doc: Document) -> Menu:
    """Check a parsed native document and build the Menu."""
    return _MenuReader(doc).read()


def _read_menu_text(text: str, file: str) -> Menu:
    with paused_gc():  # ~10^6 small objects on big menus; see ivr.gcpause
        return read_menu_document(parse_yaml(text, file))


def parse_menu(text: str, file: str = "<string>") -> Menu:
    """Load a menu from YAML text.

    Examples
    --------
    >>> m = parse_menu('''
    ... name: Tiny
    ... start: main
    ... nodes:
    ...   main: {kind: menu, say: Press 0 for a person., options: {0: agent}}
    ...   agent: {kind: agent}
    ... ''')
    >>> m.nodes["main"].options[0].target, round(m.nodes["main"].seconds, 2)
    ('agent', 1.94)
    """
    return _read_menu_text(text, file)


def load_menu(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> Menu:
    """Load a native YAML menu file, checking everything."""
    file = os.fspath(path)
    return _read_menu_text(read_text(file, max_bytes), file)


def load_population(
    path: str | os.PathLike[str], menu: Menu, *, max_bytes: int = MAX_BYTES
) -> Population:
    """Load a callers file (the ``callers`` section on its own) for ``menu``."""
    file = os.fspath(path)
    doc = parse_yaml(read_text(file, max_bytes), file)
    return read_population(Checker(doc, menu.nodes), doc.data, ())
