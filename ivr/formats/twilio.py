"""Twilio Studio flow definitions (JSON) -> the native menu mapping.

A Studio flow is a list of widgets ("states") joined by named transitions; a transition
without ``next`` ends the execution, which on a call means the call ends. Calls enter at
the trigger's ``incomingCall`` transition. A ``gather-input-on-call`` whose keypress goes
to a ``split-based-on`` over its own ``Digits`` is the Studio way of writing a keypad
menu, so the pair becomes one ``menu`` node. See docs/formats/twilio.md.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ivr.errors import LoadError
from ivr.formats.checks import did_you_mean
from ivr.formats.imported import (
    AUDIO_SECONDS,
    MAX_EXPANSION,
    UNANSWERED,
    Imported,
    expand_digits,
    forwarded,
    node_id,
    ring_out,
)
from ivr.formats.jsontext import Locator, parse_json
from ivr.language.speech import seconds_of
from ivr.model import Note, Source

_HEAD = 8192
_STATES = re.compile(r'"states"\s*:\s*\[')
_NAME = re.compile(r'"name"\s*:\s*("(?:[^"\\]|\\.)*")')
_KEYS = re.compile(r"[0-9*#]{1,12}")
_LIQUID_TAG = re.compile(r"\{%.*?%\}", re.S)
_PLACEHOLDER = re.compile(r"\{\{|\$\{|\{%")
#: Longest typed sequence a digit pattern is expanded to (12**4 candidates at most).
_EXPAND_LEN = 4

#: Widgets that only pass the call on: type -> (the event that continues, label).
_PASS = {
    "set-variables": ("next", "set variables"),
    "send-message": ("sent", "SMS: send a text message (not spoken)"),
    "send-and-wait-for-reply": ("incomingMessage", "SMS: send a text and wait for the reply "
                                                   "(not spoken)"),
    "record-call": ("success", "start or stop recording the call"),
    "fork-stream": ("next", "start or stop a media stream"),
}
#: Widget types of the older Studio dialect (2017-2018 exports: ``InitialState``, links by
#: widget ``sid``), as today's Studio names them. Others are converted CamelCase -> kebab.
_OLD_TYPES = {"InitialState": "trigger", "Gather": "gather-input-on-call",
              "Branch": "split-based-on", "SayPlay": "say-play", "Webhook": "make-http-request",
              "Function": "run-function", "Enqueue": "enqueue-call"}
#: Transitions of a person's widget that come back to the flow when nobody takes the call.
_UNANSWERED = ("failedToEnqueue", "callFailure", "failedToCreateTask")
#: Widgets whose outcome is a back-end result: type -> what decides it.
_RESULT = {
    "run-function": "the result of a Twilio Function",
    "make-http-request": "the result of an HTTP request",
    "capture-payments": "the outcome of the payment capture",
}


@dataclass
class _State:
    name: str
    type: str
    transitions: list[tuple[str, str | None, list[Any]]]
    props: dict[str, Any]
    where: tuple[int | None, int | None]
    unmodelled: list[str] = field(default_factory=list)

    def next_of(self, event: str) -> str | None:
        return next((nx for ev, nx, _ in self.transitions if ev == event), None)


def sniff(text: str) -> bool:
    """A JSON object with a ``states`` list of Studio-style transitions near the top."""
    head = text[:_HEAD].lstrip("\ufeff \t\r\n")
    return (head.startswith("{") and _STATES.search(head) is not None
            and ('"transitions"' in head or '"initial_state"' in head))


def read(text: str, file: str, *, entry: str | None = None) -> Imported:
    """Translate a Studio flow (or a FlowRevision ``{"definition": ...}``) to a menu;
    ``entry`` names the widget calls start at (default: the trigger's incomingCall)."""
    return _Reader(text, file, entry).run()


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _int(value: Any, low: int, high: int) -> int | None:
    if isinstance(value, str) and value.strip().isdecimal() and len(value.strip()) < 6:
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    return None


def _spoken(text: Any) -> str | None:
    """Prompt text without Liquid tags ({% case %}...), which are not spoken."""
    words = " ".join(_LIQUID_TAG.sub(" ", text).split()) if isinstance(text, str) else ""
    return words or None


class _Reader:
    def __init__(self, text: str, file: str, entry: str | None = None) -> None:
        self.text = text
        self.entry_arg = entry
        self.file = file
        self.loc = Locator(text)
        self.nodes: dict[str, dict[str, Any]] = {}
        self.extra: dict[str, dict[str, Any]] = {}
        self.origins: dict[str, Source] = {}
        self.notes: list[Note] = []
        self.taken: set[str] = set()
        self.ids: dict[str, str] = {}
        self.ends: dict[tuple[str, str], str] = {}
        self.missing: dict[str, str] = {}
        self.entry_name = ""
        self.names: dict[str, list[int]] | None = None
        self.misread: dict[str, tuple[str, str]] = {}  # gather -> (split, gather it reads)

    # -- errors and positions -------------------------------------------------------------
    def fail(self, message: str, where: tuple[int | None, int | None] = (None, None),
             hint: str | None = None, node: str | None = None) -> LoadError:
        line, col = where
        return LoadError(message, file=self.file, line=line or 1,
                         column=col if line else 1, node=node, hint=hint)

    def pair(self, key: str, value: str, nth: int = 0) -> tuple[int | None, int | None]:
        """Where the nth ``"key": "value"`` stands, with or without escaped non-ASCII."""
        if key == "name":  # one scan for all state names: large flows stay linear
            if self.names is None:
                self.names = {}
                for m in _NAME.finditer(self.text):
                    try:
                        self.names.setdefault(json.loads(m.group(1)), []).append(m.start())
                    except ValueError:
                        continue
            spots = self.names.get(value, [])
            return self.loc.at(spots[nth]) if len(spots) > nth else (None, None)
        for ascii_only in (True, False):
            pattern = (re.escape(json.dumps(key)) + r"\s*:\s*"
                       + re.escape(json.dumps(value, ensure_ascii=ascii_only)))
            hits = list(itertools.islice(re.finditer(pattern, self.text), nth + 1))
            if len(hits) > nth:
                return self.loc.at(hits[nth].start())
        return None, None

    # -- reading the JSON shape ------------------------------------------------------------
    def run(self) -> Imported:
        data = parse_json(self.text, self.file)
        if not isinstance(data, dict):
            raise self.fail("a Studio flow must be a JSON object", (1, 1),
                            "expected {\"states\": [...], \"initial_state\": ...}")
        flow, title = data, None
        if "states" not in data and isinstance(data.get("definition"), dict):
            flow, title = data["definition"], _str(data.get("friendly_name"))
        raw_states = flow.get("states")
        if not isinstance(raw_states, list) or not raw_states:
            raise self.fail("a Studio flow needs a non-empty \"states\" list",
                            self.loc.find_key("states"),
                            "is this a Studio flow definition export?")
        states = [self.state(raw, i) for i, raw in enumerate(raw_states)]
        self.older(raw_states, states)
        by_name: dict[str, _State] = {}
        for st in states:
            if st.name in by_name:
                raise self.fail(f"two states are named {st.name!r}",
                                self.pair("name", st.name, 1),
                                "state names must be unique", node=st.name)
            by_name[st.name] = st
        entry = self.entry(flow, states, by_name)
        self.entry_name = entry.name
        for st in states:
            self.ids[st.name] = node_id(st.name, self.taken)
        folded = self.folds(states, by_name)
        self.misreads(states, by_name, folded)
        for st in states:
            if (st.name in folded.values() and st is not entry
                    and not self.referenced(st, states, folded)):
                continue  # folded into the gather's menu
            nid = self.ids[st.name]
            node = self.node(st, by_name, folded)
            if st.unmodelled:
                node["note"] = "not modelled: " + "; ".join(st.unmodelled)
            self.nodes[nid] = node
            self.origins[nid] = Source(self.file, *st.where, ref=st.name)
        stem = os.path.splitext(os.path.basename(self.file))[0] or "flow"
        description = _str(flow.get("description"))
        out: dict[str, Any] = {"name": title or description or stem,
                               "start": self.ids[entry.name],
                               "nodes": {**self.nodes, **self.extra}}
        if description:
            out["description"] = description
        return Imported("twilio", self.file, out, self.origins, tuple(self.notes))

    def older(self, raw_states: list[Any], states: list[_State]) -> None:
        """Read the older dialect as Studio does: its widget types renamed, its links by
        widget ``sid`` turned into links by name, and say so once."""
        sids = {raw["sid"]: st.name for raw, st in zip(raw_states, states, strict=True)
                if isinstance(raw.get("sid"), str)}
        names = {st.name for st in states}
        old = [st for st in states if st.type[:1].isupper()]
        linked = [st for st in states if any(nx in sids and nx not in names
                                             for _, nx, _ in st.transitions)]
        if not old and not linked:
            return
        for st in old:
            st.type = _OLD_TYPES.get(st.type) or re.sub(r"(?<!^)(?=[A-Z])", "-", st.type).lower()
        for st in linked:
            st.transitions = [(ev, sids.get(nx, nx) if nx not in names else nx, c)
                              for ev, nx, c in st.transitions]
        first = (old or linked)[0]
        self.notes.append(Note("LENIENT_READ", None, "an older Studio export (widget types "
                               "such as InitialState, Gather, Branch; transitions naming "
                               "widget sids): read as Studio reads it today",
                               Source(self.file, *first.where, ref=first.name)))

    def state(self, raw: Any, i: int) -> _State:
        where = self.loc.find_key("states")
        if not isinstance(raw, dict):
            raise self.fail(f"state {i + 1} must be an object", where)
        name, kind = raw.get("name"), raw.get("type")
        if not isinstance(name, str):
            raise self.fail(f"state {i + 1} has no text \"name\"", where,
                            "every widget has a unique name")
        where = self.pair("name", name)
        if not isinstance(kind, str):
            raise self.fail(f"state {name!r} has no text \"type\"", where,
                            "e.g. \"type\": \"say-play\"", node=name)
        props, trans = raw.get("properties", {}), raw.get("transitions", [])
        if not isinstance(props, dict) or not isinstance(trans, list):
            raise self.fail(f"state {name!r} needs \"properties\": {{...}} and "
                            "\"transitions\": [...]", where, node=name)
        out: list[tuple[str, str | None, list[Any]]] = []
        for t in trans:
            t = t if isinstance(t, dict) else {}
            event, nxt, conds = t.get("event"), t.get("next"), t.get("conditions", [])
            if not (isinstance(event, str) and isinstance(nxt, (str, type(None)))
                    and isinstance(conds, list)):
                raise self.fail(f"a transition of state {name!r} is malformed", where,
                                "write {\"event\": text, \"next\": a state name, "
                                "\"conditions\": [...]}", node=name)
            out.append((event, nxt or None, conds))
        return _State(name, kind, out, props, where)

    def entry(self, flow: dict[str, Any], states: list[_State],
              by_name: dict[str, _State]) -> _State:
        if self.entry_arg is not None:
            if self.entry_arg not in by_name:
                raise self.fail(f"--entry {self.entry_arg!r}: no state of that name",
                                hint=did_you_mean(self.entry_arg, by_name)
                                or "states: " + ", ".join(list(by_name)[:8]))
            return by_name[self.entry_arg]
        initial = flow.get("initial_state")
        if isinstance(initial, str):
            if initial not in by_name:
                raise self.fail(f"initial_state {initial!r} names no state",
                                self.loc.find_key("initial_state"),
                                "it is normally \"Trigger\"")
            return by_name[initial]
        trigger = next((st for st in states if st.type == "trigger"), None)
        if trigger is None:
            raise self.fail("the flow has no initial_state and no trigger state",
                            self.loc.find_key("states"), "add \"initial_state\": \"Trigger\"")
        return trigger

    def folds(self, states: list[_State], by_name: dict[str, _State]) -> dict[str, str]:
        """gather name -> the split on its Digits that its keypress leads to."""
        out = {}
        for st in states:
            split = by_name.get(st.next_of("keypress") or "")
            if st.type == "gather-input-on-call" and split and split.type == "split-based-on":
                digits = r"\{\{\s*widgets\." + re.escape(st.name) + r"\.Digits\s*\}\}"
                if re.fullmatch(digits, (_str(split.props.get("input")) or "").strip()):
                    out[st.name] = split.name
        return out

    @staticmethod
    def digits_of(split: _State, by_name: dict[str, _State]) -> str | None:
        """The gather whose Digits a split tests, if its input is just that."""
        m = re.fullmatch(r"\{\{\s*widgets\.(.+?)\.Digits\s*\}\}",
                         (_str(split.props.get("input")) or "").strip())
        gather = by_name.get(m.group(1)) if m else None
        return gather.name if gather and gather.type == "gather-input-on-call" else None

    def misreads(self, states: list[_State], by_name: dict[str, _State],
                 folded: dict[str, str]) -> None:
        """Gathers whose keypress goes to a split testing another gather's Digits."""
        for st in states:
            split = by_name.get(st.next_of("keypress") or "")
            if st.type != "gather-input-on-call" or st.name in folded or split is None \
                    or split.type != "split-based-on":
                continue
            other = self.digits_of(split, by_name)
            if other is not None and other != st.name:
                self.misread[st.name] = (split.name, other)

    def foreign(self, split: _State, other: _State, by_name: dict[str, _State],
                folded: dict[str, str]) -> list[tuple[str, str | None]]:
        """The outcomes a split on ``other``'s Digits can have where it runs: for each
        key of ``other``'s menu from which the split can be reached (not through ``other``
        again), the transition that key matches; and an empty value if the split can be
        reached without ``other`` running first. Empty when ``other`` collects free digits."""
        if other.name not in folded:
            return []
        values: list[str] = []
        own = by_name[folded[other.name]]
        for ev, nx, conds in own.transitions:
            if ev == "match" and nx and self.reaches(nx, split.name, other.name, by_name):
                values += self.accepted(other, conds, nx)
        if self.reaches(self.entry_name, split.name, other.name, by_name):
            values.append("")
        outcomes: list[tuple[str, str | None]] = []
        for value in dict.fromkeys(values):
            hit = next(((ev, nx) for ev, nx, conds in split.transitions if ev == "match" and (
                value in self.accepted(other, conds, nx) if value else any(
                    isinstance(c, dict) and c.get("type") == "is_blank" for c in conds))),
                ("noMatch", split.next_of("noMatch")))
            outcomes.append(hit)
        return outcomes

    @staticmethod
    def reaches(start: str, goal: str, avoid: str, by_name: dict[str, _State]) -> bool:
        """Whether ``goal`` follows ``start`` on some way that does not pass ``avoid``."""
        seen, todo = {start}, [start]
        while todo:
            cur = todo.pop()
            if cur == goal:
                return True
            st = by_name.get(cur)
            if st is None or (cur == avoid and cur != start):
                continue
            for _, nx, _ in st.transitions:
                if nx is not None and nx not in seen:
                    seen.add(nx)
                    todo.append(nx)
        return False

    def accepted(self, gather: _State, conds: list[Any], nxt: str | None) -> list[str]:
        """Keys a match accepts, without repeating the notes reading it made."""
        notes, self.notes = self.notes, []
        try:
            return self.keys(gather, conds, nxt)
        finally:
            self.notes = notes

    @staticmethod
    def referenced(split: _State, states: list[_State], folded: dict[str, str]) -> bool:
        """Whether anything but its gather(s) leads to a folded split."""
        return any(nx == split.name and not (folded.get(st.name) == split.name
                                             and ev in ("keypress", "speech"))
                   for st in states for ev, nx, _ in st.transitions)

    # -- targets ---------------------------------------------------------------------------
    def target(self, st: _State, event: str, nxt: str | None) -> str:
        if nxt is None:
            return self.end(st, event)
        if nxt in self.ids:
            return self.ids[nxt]
        if nxt not in self.missing:
            nid = node_id(nxt, self.taken)
            self.missing[nxt] = nid
            self.extra[nid] = {"kind": "hangup", "label": f"missing state {nxt!r}"}
            line, col = self.pair("next", nxt)
            src = Source(self.file, line, col, ref=nxt)
            self.origins[nid] = src
            self.notes.append(Note("MISSING_TARGET", nid, f"{st.name!r} ({event}) goes to "
                                   f"{nxt!r}, which the flow does not define", src))
        return self.missing[nxt]

    def end(self, st: _State, event: str) -> str:
        """The hang-up behind an unconnected exit (one per state and event)."""
        key = (st.name, event)
        if key not in self.ends:
            nid = node_id(f"{st.name}.{event}", self.taken)
            self.ends[key] = nid
            self.extra[nid] = {"kind": "hangup",
                               "label": f"call ends: {event} of {st.name} is not connected"}
            self.origins[nid] = Source(self.file, *st.where, ref=f"{st.name}/{event}")
        return self.ends[key]

    def note(self, rule: str, st: _State, message: str) -> None:
        self.notes.append(Note(rule, self.ids[st.name], message,
                               Source(self.file, *st.where, ref=st.name)))

    def keep(self, st: _State, *modelled: str) -> None:
        """Record connected exits the node cannot carry, in the node's ``note``."""
        for ev, nx, _ in st.transitions:
            if nx is not None and ev not in modelled:
                st.unmodelled.append(f"{ev} -> {nx}")

    # -- widgets ---------------------------------------------------------------------------
    def node(self, st: _State, by_name: dict[str, _State],
             folded: dict[str, str]) -> dict[str, Any]:
        kind, p = st.type, st.props
        if kind == "trigger":
            return self.trigger(st)
        if kind == "say-play":
            self.keep(st, "audioComplete")
            return {"kind": "message", **self.prompt(p),
                    "next": self.target(st, "audioComplete", st.next_of("audioComplete"))}
        if kind == "gather-input-on-call":
            if st.name in folded:
                return self.menu(st, by_name[folded[st.name]])
            return self.input(st)
        if kind == "split-based-on":
            what = f"split on {_str(p.get('input')) or '(no input)'}"
            other = self.digits_of(st, by_name)
            outcomes = [(ev, nx) for ev, nx, _ in st.transitions if ev in ("match", "noMatch")]
            if other is not None:
                outcomes = self.foreign(st, by_name[other], by_name, folded) or outcomes
            return self.chance(st, outcomes, what)
        if kind in _RESULT:
            return self.chance(st, [(ev, nx) for ev, nx, _ in st.transitions], _RESULT[kind])
        if kind in _PASS:
            event, label = _PASS[kind]
            self.keep(st, event)
            return {"kind": "message", "seconds": 0, "label": label,
                    "next": self.target(st, event, st.next_of(event))}
        if kind in ("send-to-flex", "enqueue-call"):
            self.keep(st, *_UNANSWERED)
            queue = (_str(p.get("queue_name")) or _str(p.get("workflow"))
                     or _str(p.get("workflow_sid")) or _str(p.get("channel")))
            label = "Flex (TaskRouter workflow)" if kind == "send-to-flex" else "enqueue call"
            return self.person(st, {"kind": "agent", "label": label,
                                    **({"queue": queue} if queue else {})}, *_UNANSWERED)
        if kind == "connect-call-to":
            self.keep(st, "callCompleted")
            return self.person(st, self.connect(st), "callCompleted")
        if kind == "record-voicemail":
            self.keep(st)
            return {"kind": "voicemail", "label": "record voicemail"}
        if kind == "run-subflow":
            self.keep(st)
            flow = _str(p.get("flow_sid")) or "(subflow not set)"
            self.note("UNRESOLVED_TARGET", st, f"runs subflow {flow!r} (a flow SID: ivr cannot "
                      "read it); where calls go when it returns is not modelled")
            return {"kind": "transfer", "flow": flow, "label": "run subflow"}
        if kind == "add-twiml-redirect":
            self.keep(st)
            url = _str(p.get("url")) or "(url not set)"
            self.note("UNRESOLVED_TARGET", st, f"the call follows TwiML fetched from {url!r}")
            return {"kind": "transfer", "to": url, "label": "TwiML redirect"}
        return self.unknown(st)

    def prompt(self, p: dict[str, Any]) -> dict[str, Any]:
        loop = _int(p.get("loop"), 1, 100) or 1
        say = _spoken(p.get("say"))
        if say is not None:
            out: dict[str, Any] = {"say": say}
            lang = _str(p.get("language"))
            if lang is not None:
                out["language"] = lang  # checked, and made the menu's, in with_language
            if loop > 1:
                out["seconds"] = round(seconds_of(say, lang or "en") * loop, 3)
            return out
        play = _str(p.get("play"))
        if play is not None:
            name = play.rstrip("/").rsplit("/", 1)[-1] or play
            return {"say": f"(audio: {name})", "seconds": AUDIO_SECONDS * loop}
        return {"seconds": 0}

    def trigger(self, st: _State) -> dict[str, Any]:
        voice, parent = st.next_of("incomingCall"), st.next_of("incomingParent")
        if voice is not None:
            self.keep(st, "incomingCall")
            return {"kind": "message", "seconds": 0, "label": "incoming call",
                    "next": self.target(st, "incomingCall", voice)}
        if parent is not None:
            self.keep(st, "incomingParent")
            return {"kind": "message", "seconds": 0,
                    "label": "entered from a parent flow (subflow)",
                    "next": self.target(st, "incomingParent", parent)}
        self.keep(st)
        if st.name != self.entry_name:
            return {"kind": "hangup", "label": "another trigger (not where calls start)"}
        entries = sorted({ev for ev, nx, _ in st.transitions if nx is not None})
        self.note("NO_VOICE_ENTRY", st, "incomingCall leads nowhere: a phone call ends at once"
                  + (f"; the flow starts only from {', '.join(entries)}" if entries else ""))
        return {"kind": "hangup", "label": "no incoming-call entry"}

    def chance(self, st: _State, outcomes: list[tuple[str, str | None]],
               what: str) -> dict[str, Any]:
        targets: list[str] = []
        for ev, nx in outcomes or [("end", None)]:
            t = self.target(st, ev, nx)
            if t not in targets:
                targets.append(t)
        if len(targets) == 1:
            return {"kind": "branch", "chance": {targets[0]: 1.0}, "label": what}
        self.note("UNRESOLVED_TARGET", st, f"{what} decides where calls go; modelled as an "
                  f"even chance over {len(targets)} outcomes")
        return {"kind": "branch", "chance": {t: 1 / len(targets) for t in targets},
                "label": f"{what} (unknown: even chance)"}

    def gather_common(self, st: _State) -> dict[str, Any]:
        out = {"kind": "menu", **self.prompt(st.props)}
        timeout = st.props.get("timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) \
                and 0 < timeout < 1e6:  # NaN and inf fail the comparison
            out["timeout"] = timeout
        return out

    def input(self, st: _State) -> dict[str, Any]:
        out = self.gather_common(st)
        out.update(kind="input", retries=1)  # a timeout takes its exit at once
        event = "keypress"
        if st.next_of("keypress") is None and st.next_of("speech") is not None:
            event, out["label"] = "speech", "speech input (modelled as keys)"
        self.keep(st, event, "timeout")
        digits = _int(st.props.get("number_of_digits"), 1, 64)
        if digits:
            out["digits"] = digits
        out["next"] = self.target(st, event, st.next_of(event))
        out["on_fail"] = self.target(st, "timeout", st.next_of("timeout"))
        if out["on_fail"] == self.ids[st.name]:
            self.looping(st, out["on_fail"])
        if st.name in self.misread:
            split, other = self.misread[st.name]
            self.note("NO_MATCHING_KEY", st, f"what callers press here is never read: the "
                      f"next widget {split!r} tests widgets.{other}.Digits, not "
                      f"widgets.{st.name}.Digits (a copy-paste slip?), so its choices "
                      "follow an earlier entry")
        return out

    def menu(self, gather: _State, split: _State) -> dict[str, Any]:
        out = self.gather_common(gather)
        self.keep(gather, "keypress", "timeout", "speech")
        if gather.next_of("speech") not in (None, split.name):
            gather.unmodelled.append(f"speech -> {gather.next_of('speech')}")
        options: dict[str, str] = {}
        for ev, nx, conds in split.transitions:
            if ev != "match":
                continue
            keys = [k for k in self.keys(gather, conds, nx) if k not in options]
            if keys:
                target = self.target(split, "match", nx)
                options.update(dict.fromkeys(keys, target))
        out["options"] = options
        me = self.ids[gather.name]
        out["on_timeout"] = self.target(gather, "timeout", gather.next_of("timeout"))
        out["on_invalid"] = self.target(split, "noMatch", split.next_of("noMatch"))
        # Studio has no retry counter: a failure that leaves the menu never reaches
        # on_fail; one that repeats the menu repeats it forever, so after `retries`
        # repeats callers are sent where the other failure goes.
        fallback = next((t for t in (out["on_invalid"], out["on_timeout"]) if t != me), None)
        out["on_fail"] = fallback if fallback is not None else self.looping(gather, me)
        return out

    def looping(self, st: _State, me: str) -> str:
        """A gather whose every failure repeats it: Studio never hangs up there."""
        self.note("UNRESOLVED_TARGET", st, "every timeout and wrong key sends callers back "
                  "to this gather and Studio keeps no count: a caller who never presses a "
                  "valid key loops here until they hang up (an unbounded loop)")
        return me

    def keys(self, gather: _State, conds: list[Any], nxt: str | None) -> list[str]:
        """Keys a match transition's conditions accept (all of them must hold)."""
        dest = nxt or "(call ends)"
        if not conds:
            self.note("NO_MATCHING_KEY", gather, f"a match to {dest!r} has no conditions")
            return []
        found: list[str] | None = None
        for cond in conds:
            keys = self.cond_keys(gather, cond, dest)
            found = keys if found is None else [k for k in found if k in keys]
        if found == [] and len(conds) > 1:
            self.note("NO_MATCHING_KEY", gather, f"no key meets every condition to {dest!r}")
        return found or []

    def cond_keys(self, gather: _State, cond: Any, dest: str) -> list[str]:
        ctype = cond.get("type") if isinstance(cond, dict) else None
        ctype = ctype if isinstance(ctype, str) else None
        value = cond.get("value") if isinstance(cond, dict) else None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        value = value.strip() if isinstance(value, str) else ""
        limit = _int(gather.props.get("number_of_digits"), 1, 64)
        regex: str | None = None
        if ctype in ("equal_to", "matches_any_of"):
            items = [v.strip() for v in value.split(",")] if ctype == "matches_any_of" else [value]
            keys = [v for v in items if _KEYS.fullmatch(v) and (limit is None or len(v) <= limit)]
            for bad in (v for v in items if v not in keys):
                self.note("NO_MATCHING_KEY", gather, f"{ctype} {bad!r} (to {dest!r}) is not a "
                          "key sequence callers can enter here")
            return keys
        if ctype == "is_blank":  # only the finishing key alone gives empty digits
            finish = gather.props.get("finish_on_key", "#")
            keys = [finish] if finish in ("#", "*") else []
            return self.expanded(gather, keys, False, "is_blank", dest)
        text = re.escape(value)
        if ctype == "regex":
            regex = f".*(?:{value}).*"
        elif ctype in ("starts_with", "does_not_start_with"):
            regex = f"{text}.*" if ctype == "starts_with" else f"(?!{text}).+"
        elif ctype in ("contains", "does_not_contain"):
            regex = f".*{text}.*" if ctype == "contains" else f"(?!.*{text}).+"
        elif ctype == "not_equal_to":
            regex = f"(?!{text}$).+"
        elif ctype == "does_not_match_any_of":
            alts = "|".join(re.escape(v.strip()) for v in value.split(","))
            regex = f"(?!(?:{alts})$).+"
        elif ctype == "is_not_blank":
            regex = ".+"
        elif ctype in ("less_than", "greater_than"):
            return self.numeric(gather, ctype, value, dest, min(limit or _EXPAND_LEN,
                                                                 _EXPAND_LEN))
        else:
            self.note("UNRESOLVED_TARGET", gather, f"condition {ctype!r} to {dest!r} is not "
                      "expanded to keys; that option is not modelled")
            return []
        try:
            keys, cut = expand_digits(regex, min(limit or _EXPAND_LEN, _EXPAND_LEN))
        except (re.error, RecursionError, OverflowError, ValueError):
            self.note("NO_MATCHING_KEY", gather, f"{ctype} {value!r} (to {dest!r}) is not a "
                      "valid pattern")
            return []
        return self.expanded(gather, keys, cut, f"{ctype} {value!r}", dest)

    def numeric(self, gather: _State, ctype: str, value: str, dest: str,
                length: int) -> list[str]:
        try:
            bound = float(value)
        except ValueError:
            bound = math.nan  # compares false: no key
        seqs = ("".join(c) for n in range(1, length + 1)
                for c in itertools.product("0123456789", repeat=n))
        hits = (q for q in seqs if (float(q) < bound if ctype == "less_than" else float(q) > bound))
        keys = list(itertools.islice(hits, MAX_EXPANSION + 1))
        return self.expanded(gather, keys[:MAX_EXPANSION], len(keys) > MAX_EXPANSION,
                             f"{ctype} {value!r}", dest)

    def expanded(self, gather: _State, keys: list[str], cut: bool, what: str,
                 dest: str) -> list[str]:
        if not keys:
            self.note("NO_MATCHING_KEY", gather, f"{what} (to {dest!r}) matches no key "
                      "sequence callers can enter here")
        elif cut:
            self.note("UNRESOLVED_TARGET", gather, f"{what} (to {dest!r}) matches more than "
                      f"{MAX_EXPANSION} key sequences; only the first {MAX_EXPANSION} are kept")
        return keys

    def connect(self, st: _State) -> dict[str, Any]:
        noun = _str(st.props.get("noun")) or "number"
        raw = st.props.get("to")
        to = raw if isinstance(raw, str) and raw.strip() else None
        if noun in ("client", "sip", "sim"):
            who = {"client": "a Twilio Client user (a person's softphone)",
                   "sip": "a SIP endpoint (assumed a person's desk phone)",
                   "sim": "a Twilio SIM (assumed a person's mobile)"}[noun]
            queue = to if to and to.startswith(f"{noun}:") else f"{noun}:{to or '?'}"
            return {"kind": "agent", "queue": queue, "label": f"dial {who}"}
        unknown = to is None or bool(_PLACEHOLDER.search(to))
        if unknown:
            self.note("UNRESOLVED_TARGET", st, f"connects to {to or '(nothing set)'!r}, "
                      "known only at call time")
        if noun not in ("number", "number-multi"):
            self.note("UNKNOWN_BLOCK", st, f"connect-call-to noun {noun!r}: modelled as a "
                      "transfer to its target")
        if unknown or noun not in ("number", "number-multi"):
            return {"kind": "transfer", "to": to or "(not set)",
                    "label": f"connect call ({noun})"}
        return forwarded(str(to).split(",")[0].strip(), st.name)

    def person(self, st: _State, node: dict[str, Any], *unanswered: str) -> dict[str, Any]:
        """A person's widget; where its unanswered exits are connected, a ring-out branch
        to them (Studio goes on there when nobody takes the call)."""
        back = [(ev, nx) for ev, nx, _ in st.transitions if ev in unanswered and nx]
        if node["kind"] != "agent" or not back:
            return node
        nid = node_id(f"{st.name}.answered", self.taken)
        self.extra[nid] = node
        self.origins[nid] = Source(self.file, *st.where, ref=st.name)
        targets = list(dict.fromkeys(self.target(st, ev, nx) for ev, nx in back))
        if len(targets) == 1:
            return ring_out(nid, targets[0], f"{st.type} {st.name}")
        rest = {t: UNANSWERED / len(targets) for t in targets}
        return {"kind": "branch", "chance": {nid: 1 - UNANSWERED, **rest},
                "label": f"{st.type} {st.name}: answered, or not ({UNANSWERED:.0%} assumed)"}

    def unknown(self, st: _State) -> dict[str, Any]:
        exits: list[tuple[str, str | None]] = [(ev, nx) for ev, nx, _ in st.transitions]
        event, nxt = next((e for e in exits if e[1] is not None), (exits or [("end", None)])[0])
        self.keep(st, event)
        self.note("UNKNOWN_BLOCK", st, f"widget type {st.type!r} is not known to ivr; "
                  f"modelled as passing on through {event!r}")
        return {"kind": "message", "seconds": 0, "label": st.type,
                "next": self.target(st, event, nxt)}


__all__ = ["read", "sniff"]
