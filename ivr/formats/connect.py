"""Amazon Connect contact flows -> the native menu mapping.

Reads both exports: the flow language (``Version``/``StartAction``/``Actions``, also wrapped
as DescribeContactFlow output whose ``Content`` is the flow as a JSON string) and the legacy
console export (``modules``/``start``). Both become one list of blocks whose exits are
``(event, operator, value, target)``, so loops, queues and names are handled once.
docs/formats/connect.md has the block -> node table and what becomes a note.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from ivr.errors import LoadError, SyntaxProblem
from ivr.formats.checks import did_you_mean
from ivr.formats.imported import (
    AUDIO_SECONDS,
    ERRORS,
    UNANSWERED,
    Imported,
    forwarded,
    node_id,
    reachable,
    refs,
)
from ivr.formats.jsontext import Locator, parse_json
from ivr.model import Note, Source

FORMAT = "connect"
#: A loop's looped blocks are copied once per pass while the copies stay this few.
MAX_UNROLL = 60

Where = tuple[int | None, int | None]
Exit = tuple[str, str, str, str | None]  # event (next/cond/error), operator, value, target
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-")
_KEYS = re.compile(r"[0-9*#]{1,12}")
_TEMPLATE = re.compile(r"\$\{[A-Za-z]+:(.+):[A-Za-z]+\}")  # ${F:flow_name:F} of deploy tools
_ATTR = re.compile(r"\$\.FlowAttributes\.(.+)")
_ERRORS = {"InputTimeLimitExceeded": "timeout", "NoMatchingCondition": "nomatch",
           "NoMatchingError": "error", "QueueAtCapacity": "atcapacity", "Timeout": "timeout",
           "NoMatch": "nomatch", "Error": "error", "AtCapacity": "atcapacity"}
_ROLES = {t: role for role, names in {
    "prompt": "MessageParticipant PlayPrompt MessageParticipantIteratively",
    "end": "DisconnectParticipant Disconnect EndFlowExecution EndFlowModuleExecution",
    "queue": "TransferContactToQueue DequeueContactAndTransferToQueue TransferContactToAgent",
    "flow": "TransferToFlow", "phone": "TransferParticipantToThirdParty",
    "input": "StoreUserInput", "menu": "GetParticipantInput GetUserInput",
    "decide": "Compare CheckAttribute CheckHoursOfOperation CheckStaffing CheckMetricData "
              "GetMetricData CheckQueueStatus InvokeLambdaFunction InvokeExternalResource "
              "InvokeFlowModule ConnectParticipantWithLexBot CheckVoiceId Wait "
              "CheckOutboundCallStatus CheckCallProgress DistributeByPercentage (loop)",
    "pass": "TagContact UnTagContact CreateTask ShowView (pass)"}.items() for t in names.split()}
#: Setters pass callers on: Update*/Set* (attributes, logging, recording, voice, hooks, the
#: target queue...), Start*/Stop* (media streaming, Voice ID).
_SETTER = re.compile(r"(Update|Set|Start|Stop)[A-Z]")
_SETQUEUE = ("SetQueue", "UpdateContactTargetQueue")
#: Error exits a caller's own entry causes (a callback number that is not valid): as likely
#: as not, and said in a note.
_VALIDATION = frozenset({"InvalidPhoneNumber", "InvalidCallbackNumber", "InvalidNumber",
                         "CallbackNumberNotDialable", "NotDialable"})
#: Error exits taken when nobody answers: a queue at capacity, a third party not answering.
_RING_OUT = frozenset({"atcapacity", "CallFailed", "ConnectionTimeLimitExceeded"})
_NAMED = {"Looping": "ContinueLooping", "Complete": "DoneLooping"}  # legacy Loop branches
_WHY = {"CheckHoursOfOperation": "whether the hours of operation are open (the export has "
        "no hours)", "CheckStaffing": "whether agents are staffed or available",
        "CheckMetricData": "live queue metrics", "CheckQueueStatus": "live queue metrics"}


@dataclass
class _Block:
    """One action (or legacy module) brought to a common shape."""

    bid: str
    type: str
    params: dict[str, Any]
    meta: dict[str, Any]
    where: Where
    exits: list[Exit] = field(default_factory=list)
    dynamic: set[str] = field(default_factory=set)  # legacy parameters read from attributes
    names: dict[str, str] = field(default_factory=dict)  # legacy resourceName per parameter
    base: str = ""  # the original block of a loop copy
    copy: int = 0

    def first(self, event: str, value: str = "") -> str | None:
        return next((t for e, _, v, t in self.exits if e == event and value in ("", v)), None)

    def has(self, event: str, value: str = "") -> bool:
        return any(e == event and value in ("", v) for e, _, v, _t in self.exits)


def sniff(text: str) -> bool:
    """A flow-language export (maybe wrapped in Content) or a legacy ``modules`` export."""
    head = text[:16384]
    if not head.lstrip().startswith("{"):
        return False
    if re.search(r'"StartAction"\s*:|\\"StartAction\\"\s*:', head):
        return True
    return bool(re.search(r'"modules"\s*:\s*\[', head) and re.search(r'"branches"\s*:', head))


class _Where:
    """Lines and columns of blocks in the file, also inside a ``Content`` string."""

    def __init__(self, outer: str, inner: str, offsets: list[int] | None, fallback: Where):
        self.loc, self.inner, self.offsets, self.fallback = Locator(outer), inner, offsets, fallback
        self.found: dict[tuple[str, str], Where] = {}

    def at(self, offset: int) -> Where:
        if self.offsets is None:
            return self.fallback if self.inner is not self.loc.text else self.loc.at(offset)
        return self.loc.at(self.offsets[offset]) if offset < len(self.offsets) else self.fallback

    def of(self, key: str, value: str) -> Where:
        """Where ``"key": "value"`` first stands (one scan of the text per key)."""
        if (key, "\x00") not in self.found:
            self.found[(key, "\x00")] = self.fallback
            pattern = re.escape(json.dumps(key)) + r'\s*:\s*"((?:[^"\\]|\\.)*)"'
            for m in re.finditer(pattern, self.inner):
                try:
                    self.found.setdefault((key, json.loads(f'"{m.group(1)}"')), self.at(m.start()))
                except ValueError:
                    continue
        return self.found.get((key, value), self.fallback)


def _content_offsets(outer: str, content: str) -> tuple[int, list[int] | None]:
    """Where ``"Content"`` stands, and the offset in ``outer`` of each decoded character."""
    for m in re.finditer(r'"Content"\s*:\s*"', outer):
        offsets, i = [], m.end()
        while i < len(outer) and outer[i] != '"':
            offsets.append(i)
            if outer[i] != "\\":
                i += 1
            elif outer[i + 1:i + 2] != "u":
                i += 2
            else:  # a surrogate pair is one character of the decoded text
                i += 12 if re.match(r"\\u[dD][89abAB]..\\u[dD][c-fC-F]", outer[i:i + 12]) else 6
        try:
            if json.loads(outer[m.end() - 1:i + 1]) == content:
                return m.start(), offsets
        except ValueError:
            continue
    return 0, None


def read(text: str, file: str, *, entry: str | None = None) -> Imported:
    """Translate one exported contact flow into a native menu mapping; ``entry`` names the
    block calls start at (an action Identifier or legacy module id; default: the flow's
    StartAction)."""
    doc = parse_json(text, file)
    if isinstance(doc, dict) and isinstance(doc.get("ContactFlow"), dict):
        doc = doc["ContactFlow"]  # describe-contact-flow prints {"ContactFlow": {...}}
    if not isinstance(doc, dict):
        raise LoadError("a Connect flow export must be a JSON object", file=file, line=1,
                        column=1, hint="export the flow from the Connect console or API")
    name, description = doc.get("Name"), doc.get("Description")
    where = _Where(text, text, None, (None, None))
    if "Content" in doc and "Actions" not in doc and "modules" not in doc:
        content = doc["Content"]
        if isinstance(content, str):
            at, offsets = _content_offsets(text, content)
            top = Locator(text).at(at)
            try:
                doc = parse_json(content, file)
            except SyntaxProblem as exc:
                lines = content.split("\n")[:(exc.line or 1) - 1]
                pos = sum(len(s) + 1 for s in lines) + (exc.column or 1) - 1
                ol, oc = Locator(text).at(offsets[pos]) if offsets and pos < len(offsets) else top
                raise SyntaxProblem(f"in Content: {exc.message}", file=file, line=ol, column=oc,
                                    hint=exc.hint) from None
            where = _Where(text, content, offsets, top)
        else:
            doc = content
        if not isinstance(doc, dict):
            raise LoadError("Content must hold a flow (a JSON object)", file=file,
                            line=where.fallback[0] or 1, column=where.fallback[1] or 1)
    meta = doc.get("Metadata") or doc.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    start, blocks = _legacy(doc, file, where) if "modules" in doc else \
        _actions(doc, meta, file, where)
    if entry is not None:
        if entry not in blocks:
            raise LoadError(f"--entry {entry!r}: no block with that identifier", file=file,
                            hint=did_you_mean(entry, blocks) or "identifiers: "
                            + ", ".join(list(blocks)[:6]))
        start = entry
    for cand in (meta.get("name"), doc.get("name"), PurePath(file).stem, "Connect flow"):
        name = name if isinstance(name, str) and name.strip() else cand
    if not (isinstance(description, str) and description.strip()):
        description = meta.get("description")
    return _Translator(file, blocks, start).run(str(name), description)


def _need(ok: bool, msg: str, file: str, where: Where, node: str | None = None,
          hint: str | None = None) -> None:
    if not ok:
        raise LoadError(msg, file=file, line=where[0], column=where[1], node=node, hint=hint)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else ""


def _target(value: Any, file: str, pos: Where, bid: str) -> str | None:
    _need(value is None or isinstance(value, str), "a transition must name a block (text)",
          file, pos, bid)
    return value or None


def _actions(doc: dict[str, Any], meta: dict[str, Any], file: str,
             where: _Where) -> tuple[str, dict[str, _Block]]:
    """The flow language: Actions with Transitions {NextAction, Conditions, Errors}."""
    start, actions = doc.get("StartAction"), doc.get("Actions")
    top = where.fallback if where.fallback[0] else (1, 1)
    _need(isinstance(start, str) and isinstance(actions, list), "a Connect flow needs "
          "StartAction (text) and Actions (a list)", file, top,
          hint="is this an exported contact flow?")
    action_meta = meta.get("ActionMetadata")
    action_meta = action_meta if isinstance(action_meta, dict) else {}
    blocks: dict[str, _Block] = {}
    for i, act in enumerate(actions or []):
        bid = act.get("Identifier") if isinstance(act, dict) else None
        _need(isinstance(bid, str) and bool(bid), f"action {i + 1} has no Identifier", file, top,
              hint="each action needs Identifier, Type and Transitions")
        bid = str(bid)
        pos = where.of("Identifier", bid)
        typ, params, trans = act.get("Type"), act.get("Parameters", {}), act.get("Transitions", {})
        _need(isinstance(typ, str) and isinstance(params, dict) and isinstance(trans, dict),
              "the action needs Type (text), Parameters and Transitions (objects)", file, pos, bid)
        _need(bid not in blocks, f"Identifier {bid!r} is used twice", file, pos, bid)
        m = action_meta.get(bid)
        b = blocks[bid] = _Block(bid, typ, params, m if isinstance(m, dict) else {}, pos, base=bid)
        if "NextAction" in trans:
            b.exits.append(("next", "", "", _target(trans["NextAction"], file, pos, bid)))
        for key in ("Conditions", "Errors"):
            items = [] if trans.get(key) is None else trans[key]
            _need(isinstance(items, list) and all(isinstance(x, dict) for x in items),
                  f"Transitions.{key} must be a list of objects", file, pos, bid)
            for item in items:
                to, c = _target(item.get("NextAction"), file, pos, bid), item.get("Condition")
                if key == "Errors":
                    kind = _scalar(item.get("ErrorType"))
                    b.exits.append(("error", "", _ERRORS.get(kind, kind), to))
                    continue
                _need(isinstance(c, dict) and isinstance(c.get("Operands"), list),
                      "a condition needs Condition {Operator, Operands}", file, pos, bid)
                ops = c["Operands"]
                b.exits.append(("cond", _scalar(c.get("Operator")), _scalar(ops[0]) if ops else "",
                                to))
    return str(start), blocks


def _legacy(doc: dict[str, Any], file: str, where: _Where) -> tuple[str, dict[str, _Block]]:
    """The legacy console export: modules with branches [{condition, transition}]."""
    start, modules = doc.get("start"), doc.get("modules")
    _need(isinstance(start, str) and isinstance(modules, list), "a legacy Connect flow needs "
          "start (text) and modules (a list)", file, (1, 1),
          hint="is this an exported contact flow?")
    blocks: dict[str, _Block] = {}
    for i, mod in enumerate(modules or []):
        bid = mod.get("id") if isinstance(mod, dict) else None
        _need(isinstance(bid, str) and bool(bid), f"module {i + 1} has no id", file, (1, 1),
              hint="each module needs id, type and branches")
        bid = str(bid)
        pos = where.of("id", bid)
        typ, branches = mod.get("type"), mod.get("branches", [])
        raw, meta = mod.get("parameters", []), mod.get("metadata", {})
        branches, raw, meta = ([] if x is None else x for x in (branches, raw, meta))
        _need(isinstance(typ, str) and isinstance(branches, list) and isinstance(meta, dict)
              and isinstance(raw, (list, dict)), "the module needs type (text), branches and "
              "parameters (lists)", file, pos, bid)
        _need(bid not in blocks, f"module id {bid!r} is used twice", file, pos, bid)
        b = blocks[bid] = _Block(bid, typ, dict(raw) if isinstance(raw, dict) else {}, meta, pos,
                                 base=bid)
        for p in raw if isinstance(raw, list) else []:
            if isinstance(p, dict) and isinstance(p.get("name"), str):
                b.params.setdefault(p["name"], p.get("value"))
                if p.get("namespace"):
                    b.dynamic.add(p["name"])
                if isinstance(p.get("resourceName"), str) and p["resourceName"]:
                    b.names.setdefault(p["name"], p["resourceName"])
        b.params.setdefault("@target", _scalar(mod.get("target")))
        for br in branches:
            cond = br.get("condition") if isinstance(br, dict) else None
            _need(isinstance(cond, str), "a branch needs a condition (text)", file, pos, bid)
            cond = str(cond)
            to = _target(br.get("transition"), file, pos, bid)
            if cond == "Success":
                b.exits.append(("next", "", "", to))
            elif cond in _ERRORS:
                b.exits.append(("error", "", _ERRORS[cond], to))
            elif cond == "Evaluate":
                b.exits.append(("cond", _scalar(br.get("conditionType")) or "Equals",
                                _scalar(br.get("conditionValue")), to))
            else:  # True/False, Looping/Complete and the like: a named outcome
                b.exits.append(("cond", "Equals", _NAMED.get(cond, cond), to))
    return str(start), blocks


def _number(value: Any) -> float | None:
    try:
        num = float(_scalar(value))
    except ValueError:
        return None
    return num if 0 < num < 10**6 else None


class _Translator:
    """Blocks -> native nodes, with origins and notes."""

    def __init__(self, file: str, blocks: dict[str, _Block], start: str) -> None:
        self.file, self.blocks, self.start = file, blocks, start
        self.taken: set[str] = set()
        self.ids: dict[str, str] = {}
        self.extra: dict[str, str] = {}  # hang-ups made for unconnected and missing targets
        self.nodes: dict[str, dict[str, Any]] = {}
        self.origins: dict[str, Source] = {}
        self.notes: list[Note] = []
        self.folded: dict[str, tuple[int, str | None, _Block]] = {}  # menu -> retries, ...
        self.todo: list[str] = []  # Loop blocks still to model
        self.budget = len(blocks) + 4 * MAX_UNROLL
        self.preds: dict[str, dict[str, None]] = {}  # target -> blocks with an exit to it
        self.base_of: dict[str, str] = {}  # node id -> the block it models (loop copies too)
        self.split: dict[str, str] = {}  # block node -> the node live() added next to it
        for b in blocks.values():
            self.link(b)
        self.attrs: dict[str, str] = {}  # flow attributes set by UpdateFlowAttributes
        for b in blocks.values():
            attrs = b.params.get("FlowAttributes") if b.type == "UpdateFlowAttributes" else None
            for k, v in attrs.items() if isinstance(attrs, dict) else ():
                value = v.get("Value") if isinstance(v, dict) else v
                if isinstance(value, str):
                    self.attrs.setdefault(k, value)

    def link(self, b: _Block, add: bool = True) -> None:
        for t in {t for *_, t in b.exits if t is not None}:
            if add:
                self.preds.setdefault(t, {})[b.bid] = None
            else:
                self.preds.get(t, {}).pop(b.bid, None)

    def run(self, name: str, description: Any) -> Imported:
        self.todo = [bid for bid, b in self.blocks.items() if b.type == "Loop"]
        while self.todo:
            if (b := self.blocks.get(self.todo.pop())) is not None and b.type == "Loop":
                self.loop(b)
        order = sorted(self.blocks, key=lambda b: b != self.start)
        for bid in order:
            b = self.blocks[bid]
            raw = f"{b.type}_{b.base[:8]}" if _UUID.match(b.base) else b.base
            self.ids[bid] = node_id(raw + (f".loop{b.copy}" if b.copy else ""), self.taken)
        data: dict[str, Any] = {"name": name, "start": self.ref(self.start, None)}
        if isinstance(description, str) and description.strip():
            data["description"] = description
        for bid in order:
            if (b := self.blocks[bid]).type != "(folded)":
                self.origins[self.ids[bid]] = self.source(b)
                self.base_of[self.ids[bid]] = b.base
                before = len(self.nodes)
                node = self.node(b, self.ids[bid])
                added = {k: self.nodes.pop(k) for k in list(self.nodes)[before:]}
                self.nodes[self.ids[bid]] = {"kind": node.pop("kind"), **node}
                self.nodes.update(added)  # nodes made for this block come after it
        self.unrolled(data["start"])
        data["nodes"] = self.nodes
        return Imported(FORMAT, self.file, data, self.origins, tuple(self.notes))

    def unrolled(self, start: str) -> None:
        """Loop copies are how a loop is modelled, not blocks of the flow: drop the copies
        no call reaches (the original says UNREACHABLE once if it is not reached either),
        and say each note once per block, not once per pass. A block no call reaches keeps
        one node (its live error exits are moot there)."""
        live = reachable(self.nodes, start)
        for nid, ok in self.split.items():
            if nid not in live and nid in self.nodes:
                node, okn = self.nodes[nid], self.nodes.pop(ok)
                self.origins.pop(ok)
                if node["kind"] == "branch":  # an agent or transfer and its error branch
                    self.nodes[nid] = okn
                else:  # a prompt and the branch after it
                    node["next"] = next(iter(okn["chance"]))
        copies = {nid for nid, src in self.origins.items() if "(loop pass" in (src.ref or "")}
        dead = {nid for nid in self.nodes if nid not in live and nid in copies}
        while True:  # kept: what a kept node leads to; dropped: ends only dead copies had
            used = {t for nid, node in self.nodes.items() if nid not in dead for t in refs(node)}
            more = {nid for nid in self.nodes if nid not in live and nid not in dead
                    and nid not in used and nid in self.extra.values()}
            if not (more or dead & used):
                break
            dead = (dead - used) | more
        for nid in dead:
            del self.nodes[nid], self.origins[nid]
        said: set[tuple[str, str, str]] = set()
        notes = []
        for note in sorted(self.notes, key=lambda x: x.node not in live):
            key = (note.rule, self.base_of.get(note.node or "", note.node or ""), note.message)
            if note.node in dead or key in said:
                continue
            said.add(key)
            notes.append(note)
        self.notes = [n for n in self.notes if n in notes]

    def source(self, b: _Block) -> Source:
        ref = b.base + (f" (loop pass {b.copy})" if b.copy else "")
        return Source(self.file, b.where[0], b.where[1], ref=ref)

    def note(self, rule: str, nid: str, message: str, b: _Block) -> None:
        self.notes.append(Note(rule, nid, message, self.source(b)))

    def ref(self, target: str | None, b: _Block | None) -> str:
        """The node id of a target; a hang-up for an unconnected exit or a missing block."""
        if target is not None and target in self.ids:
            return self.ids[target]
        missing = target is not None or b is None
        key, raw = (f"{target}\x00missing", f"missing_{target}") if missing or b is None else \
            (f"{b.bid}\x00end", f"{self.ids[b.bid]}.end")
        if key not in self.extra:
            nid = self.extra[key] = node_id(raw, self.taken)
            src = self.source(b) if b else Source(self.file, 1, 1, ref=target)
            self.origins[nid] = src
            self.nodes[nid] = {"kind": "hangup", "label": f"missing block {target}" if missing
                               else "unconnected: the call ends"}
            if missing:
                self.notes.append(Note("MISSING_TARGET", nid, f"the flow jumps to {target!r}, "
                                       "which it does not define: callers are dropped", src))
        return self.extra[key]

    # -- loops: Connect answers ContinueLooping LoopCount times, then DoneLooping once -------
    def loop(self, loop: _Block) -> None:
        """Fold a retry loop around one menu into its retries, or unroll it, or approximate."""
        looping, done = loop.first("cond", "ContinueLooping"), loop.first("cond", "DoneLooping")
        raw = _scalar(loop.params.get("LoopCount")).strip()
        count = int(raw) if raw.isdigit() and int(raw) <= 100 and not loop.dynamic else None
        menu = self.blocks.get(looping or "")
        if count is not None and menu is not None and set(self.preds.get(loop.bid, {})) == {
                menu.bid} and \
                loop.bid != self.start and self.role(menu) == "menu" and \
                set(self.fails(menu)) == {loop.bid} and menu.bid not in self.folded:
            self.folded[menu.bid] = (count + 1, done, loop)
            loop.type = "(folded)"
            return
        region = self.region(loop.bid, looping) if count is not None else []
        if region and count is not None and len(region) * count <= \
                min(MAX_UNROLL, self.budget - len(self.blocks)):
            self.unroll(loop, region, count, done)
            return
        loop.type = "(loop)"
        loop.params["@why"] = ("the loop count is set at call time" if count is None else
                               "the looped blocks are too many to copy per pass")

    def region(self, loop: str, head: str | None) -> list[str]:
        """Blocks on a way from ``head`` back to the loop (not through it), in a fixed order."""
        seen: dict[str, None] = {}
        todo = [head] if head in self.blocks and head != loop else []
        while todo:
            if (b := todo.pop()) is not None and b not in seen:
                seen[b] = None
                todo += [t for *_, t in self.blocks[b].exits if t in self.blocks and t != loop]
        back = [b for b in self.preds.get(loop, {}) if b in seen]
        found = set(back)
        while back:
            for p in self.preds.get(back.pop(), {}):
                if p in seen and p not in found:
                    found.add(p)
                    back.append(p)
        return [b for b in seen if b in found]

    def unroll(self, loop: _Block, region: list[str], count: int, done: str | None) -> None:
        """Copy the looped blocks once per pass; pass k's way back enters loop entry k."""
        head = loop.first("cond", "ContinueLooping")

        def moved(t: str | None, k: int) -> str | None:
            if t == loop.bid:
                return f"{loop.bid}\x00{k}" if k else loop.bid
            return f"{t}\x00{k}" if t in region and k else t

        self.link(loop, add=False)
        new = [replace(b, bid=f"{b.bid}\x00{k}", copy=k, exits=[
            (e, o, v, moved(t, k)) for e, o, v, t in b.exits])
            for k in range(1, count + 1) for b in (self.blocks[bid] for bid in region)]
        for k in range(count + 1):
            label = f"Loop pass {k + 1} of {count + 1}: " + ("repeat" if k < count else "done")
            new.append(replace(loop, bid=moved(loop.bid, k) or loop.bid, type="(pass)", copy=k,
                               params={"@label": label}, exits=[
                                   ("next", "", "", moved(head, k + 1) if k < count else done)]))
        for b in new:
            self.blocks[b.bid] = b
            self.link(b)
            if b.type == "Loop":  # a loop inside the looped blocks: its copies are loops too
                self.todo.append(b.bid)
        inside = set(region)
        live = [b for b in region if b == self.start or any(
            p not in inside for p in self.preds.get(b, {}))]
        seen = set(live)
        while live:
            for *_, t in self.blocks[live.pop()].exits:
                if t in inside and t not in seen:
                    seen.add(t)
                    live.append(t)
        for bid in [b for b in region if b not in seen]:  # entered only through the loop
            self.link(self.blocks.pop(bid), add=False)

    # -- one block ----------------------------------------------------------------------
    def role(self, b: _Block) -> str:
        target = _scalar(b.params.get("@target"))
        if b.type == "Transfer":
            return {"Queue": "queue", "Flow": "flow", "PhoneNumber": "phone",
                    "Agent": "queue"}.get(target, "unknown")
        role = _ROLES.get(b.type) or ("pass" if _SETTER.match(b.type) else "unknown")
        if role == "menu" and (target == "Lex" or "LexBot" in b.params or "LexV2Bot" in b.params):
            return "decide"
        if role == "menu" and _scalar(b.params.get("StoreInput")).lower() == "true":
            return "input"
        return role

    def fails(self, b: _Block) -> tuple[str | None, str | None, str | None]:
        """A menu's (timeout, no match, error) targets; NoMatchingError catches the rest."""
        error = b.first("error", "error")
        timeout = b.first("error", "timeout") if b.has("error", "timeout") else error
        invalid = b.first("error", "nomatch") if b.has("error", "nomatch") else \
            b.first("next") if b.has("next") else error
        return timeout, invalid, error

    def node(self, b: _Block, nid: str) -> dict[str, Any]:
        role, n = self.role(b), self.prompt(b)
        timeout = _number(b.params.get("Timeout", b.params.get("InputTimeLimitSeconds")))
        if role in ("menu", "decide"):
            return self.menu(b, nid, n, timeout) if role == "menu" else self.decide(b, nid, n)
        if role == "input":
            digits = int(min(_number(b.params.get("MaxDigits")) or 20, 40)) or 1
            n.update(kind="input", digits=digits, retries=1, next=self.ref(b.first("next"), b))
            if b.has("error"):
                n["on_fail"] = self.ref(b.first("error", "error") or b.first("error"), b)
            return n | ({"timeout": timeout} if timeout else {})
        if role == "queue":
            n["kind"] = "agent"
            if queue := self.queue_of(b):
                n["queue"] = queue
            return self.live(b, nid, self.dropped(b, n, "the caller waits for an agent"))
        if role in ("flow", "phone"):
            flow = role == "flow"
            value, known = self.resolve(b, *(("ContactFlowId", "Flow") if flow else
                                             ("ThirdPartyPhoneNumber", "PhoneNumber")))
            n.update({"kind": "transfer", "flow" if flow else "to": value or "(empty)"})
            if not known:
                self.note("UNRESOLVED_TARGET", nid, f"the {'flow' if flow else 'number'} to "
                          f"transfer to is not known before the call: {value or '(empty)'!r}", b)
            elif not flow:  # forwarding to a phone number: a person, unless named otherwise
                n = {k: v for k, v in n.items() if k != "to"} | forwarded(
                    value, _scalar(b.params.get("@label")), _scalar(b.meta.get("name")))
            return self.live(b, nid, self.dropped(b, n, "the transfer ends the flow"),
                             doubtful=not known)
        if role == "end":
            label = {"EndFlowModuleExecution": "module returns", "EndFlowExecution": "flow ends"}
            return n | {"kind": "hangup", "label": label.get(b.type, "disconnect")}

        if role == "unknown":
            self.note("UNKNOWN_BLOCK", nid, f"block type {b.type!r} is not known to ivr; "
                      "modelled as passing callers on to its exits", b)
            if len(targets := self.targets(b)) > 1:
                return self.chance(n, targets, f"{b.type} (unknown block): even chance")
        onward = b.first("next") if b.has("next") or role != "unknown" else \
            (b.exits[0][3] if b.exits else None)
        n.update(kind="message", next=self.ref(onward, b))
        if role == "end":
            n.pop("next")
        if role != "prompt":
            n.pop("say", None)
            n.update(seconds=0, label=str(b.params.get("@label", b.type)))
            if b.type in _SETQUEUE:
                value, known = self.queue_name(b)
                n["label"] = f"{b.type} {value}"
                if not known:
                    self.note("UNRESOLVED_TARGET", nid, f"the queue is chosen at call time: "
                              f"{value!r}", b)
        return self.live(b, nid, self.dropped(b, n, "this block succeeds", onward),
                         onward=n["next"])

    def live(self, b: _Block, nid: str, n: dict[str, Any], onward: str | None = None,
             doubtful: bool = False) -> dict[str, Any]:
        """A block's error exits as live routes (Connect takes them: a queue at capacity, a
        transfer that fails, a callback number that is not valid): a branch after the
        block, with shares by kind of error (imported.ERRORS, UNANSWERED; even for what
        the caller's own entry decides, or a transfer to a target not known to exist)."""
        errs: dict[str, list[str]] = {}
        for e, _, v, t in b.exits:
            if e == "error" and t is not None and self.ref(t, b) != onward:
                errs.setdefault(self.ref(t, b), []).append(v or "error")
        if not errs:
            return n
        kinds = {t: ("caller" if set(v) & _VALIDATION else "doubt" if doubtful else
                     "ring" if set(v) & _RING_OUT else "error") for t, v in errs.items()}
        total = {"caller": 0.5, "doubt": 0.5, "ring": UNANSWERED, "error": ERRORS}
        groups = {k: [t for t in kinds if kinds[t] == k] for k in set(kinds.values())}
        share = {t: total[k] / len(groups[k]) for t, k in kinds.items()}
        if "caller" in groups:
            self.note("UNRESOLVED_TARGET", nid, "whether what the caller entered is accepted "
                      "is only known at call time: " + ", ".join(sorted(
                          {x for t in groups["caller"] for x in errs[t]})) + " modelled as an "
                      "even chance", b)
        why = "; ".join(sorted({x for v in errs.values() for x in v}))
        label = (f"{n.get('label') if n['kind'] == 'message' and 'say' not in n else b.type}: "
                 f"succeeds, or {why} ({sum(share.values()):.0%} assumed)")
        if n["kind"] == "message" and "say" not in n:  # a setter: the branch is the block
            return {"kind": "branch", "label": label,
                    "chance": {n["next"]: 1 - sum(share.values()), **share}}
        end = n["kind"] in ("agent", "transfer")  # the block's node, and a branch next to it
        ok = node_id(f"{nid}.ok" if end else f"{nid}.result", self.taken)
        self.origins[ok] = self.source(b)
        self.base_of[ok] = b.base
        self.split[nid] = ok
        if end:
            self.nodes[ok] = {"kind": n.pop("kind"), **n}
            return {"kind": "branch", "label": label,
                    "chance": {ok: 1 - sum(share.values()), **share}}
        self.nodes[ok] = {"kind": "branch", "label": label,
                          "chance": {n["next"]: 1 - sum(share.values()), **share}}
        return n | {"next": ok}

    def channel(self, b: _Block) -> bool:
        """A check of the contact's channel (VOICE, CHAT, TASK, EMAIL)."""
        if _scalar(b.params.get("ComparisonValue")).strip() == "$.Channel":
            return True
        return b.type == "CheckAttribute" and _scalar(b.params.get("Attribute")) == "Channel" \
            and _scalar(b.params.get("Namespace")) in ("System", "")

    def prompt(self, b: _Block) -> dict[str, Any]:
        """What a block says: text (SSML tags dropped), or a recording of unknown words."""
        for key in ("PromptId", "AudioPrompt", "Media"):
            if val := b.params.get(key):
                uri = _scalar(val.get("Uri") if isinstance(val, dict) else val)
                tail = b.names.get(key) or uri.rstrip("/").rsplit("/", 1)[-1] or key
                return {"say": f"(audio: {tail})", "seconds": AUDIO_SECONDS}
        raw = b.params.get("Text") or b.params.get("SSML")
        words = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", raw)).split()) \
            if isinstance(raw, str) else ""
        return {"say": re.sub(r" ([.,;:!?])", r"\1", words)} if words else {}

    def dropped(self, b: _Block, n: dict[str, Any], what: str,
                onward: str | None = None) -> dict[str, Any]:
        """Exits not followed (failures; after a transfer, everything): said in its note."""
        end = n["kind"] in ("agent", "transfer")  # error exits are live (see live())
        left = sorted({f"{v or 'success'} -> {self.ref(t, b)}" for e, _, v, t in b.exits
                       if t is not None and t != onward and end and e != "error"})
        if left:
            n["note"] = f"ivr assumes {what}; Connect can also go " + ", ".join(left)
        return n

    def targets(self, b: _Block) -> dict[str, list[str]]:
        """Distinct targets of a block's exits (node id -> outcome names), in order."""
        out: dict[str, list[str]] = {}
        for _e, _, v, t in b.exits:
            out.setdefault(self.ref(t, b), []).append(v or "success")
        return out

    @staticmethod
    def chance(n: dict[str, Any], targets: dict[str, list[str]], label: str,
               weights: dict[str, float] | None = None) -> dict[str, Any]:
        return n | {"kind": "branch", "label": label,
                    "chance": weights or {t: 1 / len(targets) for t in targets}}

    def menu(self, b: _Block, nid: str, n: dict[str, Any], timeout: float | None
             ) -> dict[str, Any]:
        retries, done, loop = self.folded.get(b.bid, (1, None, None))
        options: dict[str, str] = {}
        folded_keys = []
        for e, op, v, t in b.exits:
            if e != "cond":
                continue
            if op not in ("Equals", "TextEquals", "NumberEquals") or not _KEYS.fullmatch(v):
                self.note("NO_MATCHING_KEY" if "Equals" in op else "UNRESOLVED_TARGET", nid,
                          f"the condition {op} {v!r} matches no key presses; its branch "
                          "is left out", b)
            elif loop is not None and t == loop.bid:
                folded_keys.append(v)
            else:
                options.setdefault(v, self.ref(t, b))
        on_timeout, on_invalid, error = self.fails(b)
        n |= {"timeout": timeout} if timeout else {}
        if loop is not None:
            keys = f"; key {', '.join(folded_keys)} leads to that Loop too, so it counts as " \
                "an invalid key" if folded_keys else ""
            return n | dict(kind="menu", options=options, retries=retries,
                            on_fail=self.ref(done, loop), note=f"Loop {loop.bid} (LoopCount "
                            f"{retries - 1}) replays this menu after a timeout, no match or "
                            f"error, then takes Complete{keys}")
        if not options and len({on_timeout, on_invalid, error}) == 1:
            n.pop("timeout", None)
            return n | dict(kind="message", next=self.ref(error, b), label="input without "
                            f"choices: waits {timeout or 5:g} s, then goes on")
        n.update(kind="menu", options=options, retries=1, on_fail=self.ref(error, b),
                 on_timeout=self.ref(on_timeout, b), on_invalid=self.ref(on_invalid, b))
        if b.bid in (on_timeout, on_invalid):
            n.update(retries=100, note="Connect replays this menu without limit after a "
                     "timeout or no match; retries 100 stands for that")
        return n

    def decide(self, b: _Block, nid: str, n: dict[str, Any]) -> dict[str, Any]:
        if self.channel(b):  # a phone call's channel is VOICE: nothing to decide
            voice = next((t for e, _, v, t in b.exits if e == "cond" and v.upper() == "VOICE"),
                         None) or b.first("error", "nomatch") or b.first("next")
            return n | {"kind": "message", "next": self.ref(voice, b),
                        "label": f"{b.type} channel: VOICE (a phone call)"}
        targets = self.targets(b)
        attr = _scalar(b.params.get("Attribute") or b.params.get("ComparisonValue"))
        if b.type == "(loop)":
            what = f"how often Loop {b.bid} runs: {b.params.get('@why')}"
            targets = {self.ref(b.first("cond", "ContinueLooping"), b): ["repeat"],
                       self.ref(b.first("cond", "DoneLooping"), b): ["done"]}
        elif _ROLES.get(b.type) == "menu" or "Lex" in b.type:
            what = f"what the caller says to the Lex bot {self.bot(b)}"
        elif b.type in ("InvokeLambdaFunction", "InvokeExternalResource"):
            what = f"the result of {self.resolve(b, 'LambdaFunctionARN', 'FunctionArn')[0]}"
        elif b.type == "InvokeFlowModule":
            what = f"what flow module {self.resolve(b, 'FlowModuleId', 'FlowModuleId')[0]} does"
        else:
            what = _WHY.get(b.type) or (f"the value of {attr}" if attr else
                                        f"{b.type} on data known only at call time")
        if len(targets) <= 1:  # nothing to decide (no exit at all: the call ends)
            if b.type == "InvokeFlowModule":
                self.note("UNRESOLVED_TARGET", nid, f"{what}: assumed to return here", b)
            return n | {"kind": "message", "next": next(iter(targets), None) or
                        self.ref(None, b), "label": b.type}
        outcomes = "; ".join("/".join(v) for v in targets.values())
        if b.type == "DistributeByPercentage":  # Connect draws 1..100: the shares are exact
            hits = [self.ref(next((t for e, op, v, t in b.exits if e == "cond" and "LessThan"
                                   in op and x < (_number(v) or 0)), b.first("error", "nomatch")),
                             b) for x in range(1, 101)]
            return self.chance(n, targets, f"random split: {outcomes}",
                               {t: hits.count(t) / 100 for t in dict.fromkeys(hits)})
        self.note("UNRESOLVED_TARGET", nid, f"where callers go depends on {what}", b)
        return self.chance(n, targets, f"{b.type}: {outcomes} (even chance)")

    # -- names --------------------------------------------------------------------------
    def resolve(self, b: _Block, key: str, legacy: str) -> tuple[str, bool]:
        """A target's name as written, and whether it is known before the call."""
        raw = _scalar(b.params.get(key, b.params.get(legacy))).strip()
        spec = b.meta.get("parameters", {}).get(key) if isinstance(
            b.meta.get("parameters"), dict) else None
        hints = [b.names.get(key), b.names.get(legacy),
                 spec.get("displayName") if isinstance(spec, dict) else None]
        if not b.meta.get("useDynamic"):  # the console keeps the picked resource's name
            hints += [v.get("text") for k in ("queue", "contactFlow", "ContactFlow")
                      if isinstance(v := b.meta.get(k), dict)]
        if hint := next((h for h in hints if isinstance(h, str) and h), None):
            return hint, True
        if key in b.dynamic or legacy in b.dynamic:
            return raw, False
        m = _ATTR.fullmatch(raw)
        value = self.attrs.get(m.group(1), raw) if m else raw
        if value.startswith("arn:"):  # the resource's id or name ends the ARN
            value = value.rsplit("/", 1)[-1].rsplit(":function:", 1)[-1]
        if t := _TEMPLATE.fullmatch(value):
            return t.group(1), True
        unknown = not value or "$." in value or "${" in value or value.startswith("<")
        return (raw if m and unknown else value), not unknown and \
            not value.upper().startswith("CHANGE")

    def bot(self, b: _Block) -> str:
        spec = b.params.get("LexV2Bot") or b.params.get("LexBot")
        raw = _scalar(spec.get("AliasArn") or spec.get("Name")) if isinstance(spec, dict) else \
            _scalar(b.params.get("BotName"))
        if (m := _ATTR.fullmatch(raw)) and m.group(1) not in self.attrs:
            return f"{raw} (a flow attribute this flow never sets)"
        return (self.attrs[m.group(1)] if m else raw) or "(unnamed)"

    def queue_name(self, b: _Block) -> tuple[str, bool]:
        if "Agent" in b.params or "AgentId" in b.params:
            value, known = self.resolve(b, "AgentId", "Agent")
            return f"agent {value}", known
        return self.resolve(b, "QueueId", "Queue")

    def queue_of(self, b: _Block) -> str | None:
        """The queue in effect: what every queue setter leading here sets."""
        if any(k in b.params for k in ("QueueId", "Queue", "AgentId", "Agent")):
            return self.queue_name(b)[0]
        names, seen, todo = set(), {b.bid}, [b.bid]
        while todo:
            for p in map(self.blocks.__getitem__, self.preds.get(todo.pop(), {})):
                if p.bid not in seen:
                    seen.add(p.bid)
                    if p.type in _SETQUEUE:
                        names.add(self.queue_name(p)[0])
                    else:
                        todo.append(p.bid)
        return " or ".join(sorted(names)) or None


__all__ = ["FORMAT", "MAX_UNROLL", "read", "sniff"]
