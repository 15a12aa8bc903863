"""Genesys Cloud Architect call flows written as Archy YAML -> the native menu mapping.

An ``inboundCall`` flow is a set of menus (a prompt and choices bound to DTMF keys) and
tasks (sequences of actions); ``startUpRef`` names where calls begin, after the
``initialGreeting``. Actions run in order: one with outputs (decision, switch, schedule
groups, data actions, a transfer's failure) runs the actions of the output taken and then
the next action, unless those end the call or jump. docs/formats/genesys.md has the
action -> node table and what becomes a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from ivr.errors import LoadError
from ivr.formats.checks import did_you_mean
from ivr.formats.imported import (
    AUDIO_SECONDS,
    ERRORS,
    Imported,
    forwarded,
    node_id,
    refs,
    ring_out,
)
from ivr.formats.yamltext import Document, Path, parse_yaml
from ivr.model import Note, Source

FORMAT = "genesys"
#: Architect's defaults for a menu (Settings > Menu): prompt repeats, seconds waited.
REPEAT_COUNT = 3
SELECTION_TIMEOUT = 10.0
#: Flow types Archy writes; only ``inboundCall`` is a flow callers dial into.
FLOW_TYPES = ("inboundCall", "inboundShortMessage", "inboundEmail", "inboundChat",
              "inboundMessage", "inQueueCall", "inQueueShortMessage", "inQueueEmail",
              "outboundCall", "secureCall", "commonModule", "bot", "digitalBot", "voiceBot",
              "voiceSurvey", "workflow", "workitem")
_MESSAGING = frozenset({"inboundShortMessage", "inboundEmail", "inboundChat", "inboundMessage"})
#: Actions that change nothing a caller hears or where the call goes.
PASS = frozenset({
    "updateData", "setParticipantData", "getParticipantData", "setWrapupCode", "setLanguage",
    "setScreenPop", "enableParticipantRecord", "setFlowOutcome", "initializeFlowOutcome",
    "addFlowMilestone", "setUUIData", "setExternalTag", "flushAudio", "playAudioOnSilence",
    "detectSilence", "setConversationData", "setUtilizationLabel", "setAttribute",
    "addParticipantAttribute", "setSecureData", "setWhisperAudio", "setCallerId",
    "holdMusic", "getJourneySession", "setJourneySession", "setActionAttribute"})
#: Actions whose outputs are decided by data only known at call time.
DATA = frozenset({"callData", "callLambda", "callBridge", "dataTableLookup",
                  "getExternalContact", "getExternalOrganization", "findUser", "findQueue",
                  "findGroup", "findUserPrompt", "getUserPresence", "getQueueStats",
                  "getSecureData", "callCommonModule", "callBotFlow", "callDigitalBotFlow",
                  "callDialogflowBot", "callDialogflowCXBot", "callLexBot", "callLexV2Bot",
                  "callNuanceMixBot", "decryptData", "getExternalContactById"})
_REF = re.compile(r"(menus/menu|tasks/task|reusableTasks/task)\[(.+)\]\s*$")
_DTMF = re.compile(r"digit_(\d|star|pound|hash|asterisk)")
_TTS = re.compile(r'ToAudioTTS\(\s*"((?:[^"\\]|\\.)*)"')
_WPS = 2.5


def sniff(text: str) -> bool:
    """An Archy YAML document: its first key is a flow type (``inboundCall:`` ...).

    Examples
    --------
    >>> sniff("# a flow\\ninboundCall:\\n  name: Main line\\n"), sniff("name: x\\nstart: a\\n")
    (True, False)
    """
    for line in text[:4096].lstrip("\ufeff").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "---", "%")):
            continue
        m = re.match(r"([A-Za-z]+)\s*:(\s|$)", line)
        return m is not None and m.group(1) in FLOW_TYPES
    return False


@dataclass(frozen=True)
class _Ctx:
    """Where a sequence of actions runs: what follows it, and where endTask returns."""

    owner: str  # node ids made here start with it
    ret: str  # endTask (and falling off the end) goes here
    loop: str | None = None  # loopExit / loopNext go here
    menu: str | None = None  # the menu a choice belongs to (previous menu, repeat)
    parent: str | None = None  # the menu that menu was entered from
    depth: int = 0  # nested callTask inlining


def read(text: str, file: str, *, entry: str | None = None) -> Imported:
    """Translate an Archy ``inboundCall`` flow; ``entry`` names a menu or task (refId or
    name) to start at instead of ``startUpRef``."""
    doc = parse_yaml(text, file)
    top = doc.data
    if not isinstance(top, dict) or len(top) != 1 or next(iter(top)) not in FLOW_TYPES:
        raise LoadError("an Archy flow file holds one flow: inboundCall: {...}", file=file,
                        line=1, column=1, hint="export it with archy or write inboundCall:")
    kind, flow = next(iter(top.items()))
    if not isinstance(flow, dict):
        raise LoadError(f"{kind} must be a mapping (name, startUpRef, menus, tasks)",
                        file=file, line=doc.where((kind,))[0], column=1)
    if kind in _MESSAGING:
        return _no_voice(doc, kind, flow)
    if kind != "inboundCall":
        raise LoadError(f"a Genesys {kind} flow: callers do not dial into it", file=file,
                        line=doc.where((kind,))[0], column=1,
                        hint="ivr reads inboundCall flows (the IVR callers reach)")
    return _Builder(doc, flow).build(entry)


def _no_voice(doc: Document, kind: str, flow: dict[str, Any]) -> Imported:
    name = str(flow.get("name") or PurePath(doc.file).stem)
    line, col = doc.where((kind,))
    src = Source(doc.file, line, col, ref=kind)
    data = {"name": name, "start": "start",
            "nodes": {"start": {"kind": "hangup", "label": f"a {kind} flow: no phone calls"}}}
    note = Note("NO_VOICE_ENTRY", "start", f"a Genesys {kind} flow answers messages, not "
                "phone calls: a call never enters it", src)
    return Imported(FORMAT, doc.file, data, {"start": src}, (note,))


def _one(item: Any) -> tuple[str, Any]:
    """An Archy list item ``- actionType: {...}`` as (type, spec)."""
    if isinstance(item, dict) and len(item) == 1:
        key, spec = next(iter(item.items()))
        if isinstance(key, str):
            return key, spec if isinstance(spec, dict) else {}
    return "", {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _map(spec: Any, key: str) -> dict[str, Any]:
    """``spec[key]`` when it is a mapping, else an empty one."""
    value = spec.get(key) if isinstance(spec, dict) else None
    return value if isinstance(value, dict) else {}


def _lit(value: Any) -> Any:
    """The literal of ``{lit: x}`` (or a plain scalar); None for expressions and noValue."""
    if isinstance(value, dict):
        return value.get("lit") if "lit" in value else None
    return value


def _name(value: Any) -> str | None:
    """A named resource: ``{lit: {name: X}}``, ``{lit: X}``, ``X``; else None."""
    lit = _lit(value)
    if isinstance(lit, dict):
        lit = lit.get("name")
    return lit.strip() if isinstance(lit, str) and lit.strip() else None


def _expression(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("exp", "var"):
            if isinstance(value.get(key), str):
                return value[key]
    return str(value)


def _seconds(value: Any) -> float | None:
    lit = _lit(value)
    if isinstance(lit, dict):
        sec = lit.get("seconds", 0) or 0
        ms = lit.get("ms", 0) or 0
        if isinstance(sec, (int, float)) and isinstance(ms, (int, float)):
            total = float(sec) + float(ms) / 1000
            return total if 0 < total < 3600 else None
    return None


def _audio(spec: Any) -> dict[str, Any]:
    """``say`` (and ``seconds`` for recorded prompts) of an Archy audio value."""
    words: list[str] = []
    recorded = 0
    for part in spec if isinstance(spec, list) else [spec]:
        if isinstance(part, str):
            words.append(part)
        elif isinstance(part, dict):
            if isinstance(part.get("tts"), str):
                words.append(part["tts"])
            elif isinstance(part.get("prompt"), str):
                words.append(f"(audio: {part['prompt']})")
                recorded += 1
            elif isinstance(part.get("exp"), str):
                said = [t.replace('\\"', '"') for t in _TTS.findall(part["exp"])]
                words.extend(said or [f"(audio: {part['exp'][:40]})"])
                recorded += 0 if said else 1
    text = " ".join(" ".join(words).split())
    if not text:
        return {}
    if not recorded:
        return {"say": text}
    spoken = len(_AUDIO_WORDS.sub(" ", text).split()) / _WPS
    return {"say": text, "seconds": round(spoken + AUDIO_SECONDS * recorded, 2)}


_AUDIO_WORDS = re.compile(r"\(audio: [^)]*\)")


class _Builder:
    def __init__(self, doc: Document, flow: dict[str, Any]) -> None:
        self.doc, self.flow, self.file = doc, flow, doc.file
        self.nodes: dict[str, dict[str, Any]] = {}
        self.origins: dict[str, Source] = {}
        self.notes: list[Note] = []
        self.taken: set[str] = set()
        self.menus: dict[str, tuple[dict[str, Any], Path, str]] = {}  # key -> spec, path, id
        self.tasks: dict[str, tuple[dict[str, Any], Path, str]] = {}
        self.ends: dict[str, str] = {}
        self.by_spec: dict[int, str] = {}  # id() of a menu or task mapping -> its node id
        self.parent_of: dict[str, str] = {}  # sub-menu -> the menu its choice is in
        settings = _map(flow, "settingsMenu")
        repeat = _lit(settings.get("repeatCount"))
        self.repeat = repeat if isinstance(repeat, int) and 0 < repeat < 100 else REPEAT_COUNT
        self.timeout = _seconds(settings.get("menuSelectionTimeout")) or SELECTION_TIMEOUT

    # -- helpers ------------------------------------------------------------------------
    def where(self, path: Path) -> Source:
        line, col = self.doc.where(("inboundCall", *path))
        return Source(self.file, line, col, ref="/".join(str(p) for p in path))

    def add(self, raw: str, path: Path, node: dict[str, Any]) -> str:
        nid = node_id(raw, self.taken)
        self.nodes[nid] = {k: v for k, v in node.items() if v is not None}
        self.origins[nid] = self.where(path)
        return nid

    def note(self, rule: str, nid: str | None, message: str, path: Path) -> None:
        self.notes.append(Note(rule, nid, message, self.where(path)))

    def end(self, owner: str, path: Path, label: str) -> str:
        """A hang-up for the end of a sequence (one per owner)."""
        if owner not in self.ends:
            self.ends[owner] = self.add(f"{owner}.end", path, {"kind": "hangup",
                                                               "label": label})
        return self.ends[owner]

    # -- the flow -----------------------------------------------------------------------
    def build(self, entry: str | None) -> Imported:
        for kind, store in (("menus", self.menus), ("tasks", self.tasks),
                            ("reusableTasks", self.tasks)):
            items = self.flow.get(kind) or []
            if not isinstance(items, list):
                raise LoadError(f"{kind} must be a list", file=self.file,
                                line=self.doc.where(("inboundCall", kind))[0], column=1)
            for i, item in enumerate(items):
                what, spec = _one(item)
                path: Path = (kind, i, what)
                if what not in ("menu", "task"):
                    self.note("UNKNOWN_BLOCK", None, f"{kind} item {i + 1} is not a {kind[:-1]}"
                              f" ({what or 'empty'}): left out", (kind, i))
                    continue
                self.register(store, spec, path, f"{what}{i + 1}", None)
        first = self.start(entry)
        for spec, path, nid in {v[2]: v for v in self.menus.values()}.values():
            self.menu(spec, path, nid, self.parent_of.get(nid))
        for spec, path, nid in {v[2]: v for v in self.tasks.values()}.values():
            ctx = _Ctx(nid, self.end(nid, path, "the task ends: Architect disconnects"))
            body = self.seq(spec.get("actions"), (*path, "actions"), ctx.ret, ctx)
            self.nodes[nid] = {"kind": "message", "seconds": 0, "next": body,
                               "label": f"task {spec.get('name')}"}
            self.origins[nid] = self.where(path)
        used = {t for node in self.nodes.values() for t in refs(node)}
        for end in set(self.ends.values()) - used - {first}:  # ends no sequence reached
            del self.nodes[end], self.origins[end]
        greeting = _audio(self.flow.get("initialGreeting")) if entry is None else {}
        start = first
        if greeting:
            start = self.add("initial_greeting", ("initialGreeting",),
                             {"kind": "message", **greeting, "next": first})
        title = self.flow.get("name")
        data: dict[str, Any] = {
            "name": title if isinstance(title, str) and title.strip() else
            PurePath(self.file).stem, "start": start,
            "nodes": {k: self.nodes[k] for k in [start, *self.nodes] if k in self.nodes}}
        if isinstance(self.flow.get("description"), str) and self.flow["description"].strip():
            data["description"] = self.flow["description"]
        return Imported(FORMAT, self.file, data, self.origins, tuple(self.notes))

    def register(self, store: dict[str, tuple[dict[str, Any], Path, str]],
                 spec: dict[str, Any], path: Path, default: str, parent: str | None) -> None:
        """Give a menu or task its node id, findable by refId and name; sub-menus too."""
        nid = node_id(str(spec.get("name") or spec.get("refId") or default), self.taken)
        self.by_spec[id(spec)] = nid
        if parent is not None:
            self.parent_of[nid] = parent
        for key in (spec.get("refId"), spec.get("name")):
            if isinstance(key, str):
                store.setdefault(key, (spec, path, nid))
        if store is not self.menus:
            return
        for i, item in enumerate(_list(spec.get("choices"))):
            what, choice = _one(item)
            sub = _map(choice, "menu")
            if what == "menuSubMenu" and sub:
                self.register(store, sub, (*path, "choices", i, what, "menu"),
                              f"{nid}.{choice.get('name') or i}", nid)

    def start(self, entry: str | None) -> str:
        if entry is not None:
            found = self.menus.get(entry) or self.tasks.get(entry)
            if found is None:
                raise LoadError(f"--entry {entry!r}: no menu or task with that refId or name",
                                file=self.file, hint=did_you_mean(entry, [*self.menus,
                                                                          *self.tasks])
                                or "menus and tasks: " + ", ".join([*self.menus,
                                                                    *self.tasks][:8]))
            return found[2]
        ref = self.flow.get("startUpRef")
        target = self.ref(ref) if isinstance(ref, str) else None
        if target is None:
            raise LoadError(f"startUpRef {ref!r} names no menu or task of this flow",
                            file=self.file, column=1,
                            line=self.doc.where(("inboundCall", "startUpRef"))[0],
                            hint='e.g. startUpRef: "/inboundCall/menus/menu[Main_10]"')
        return target

    def ref(self, ref: str) -> str | None:
        """The node of ``/inboundCall/menus/menu[refId]`` (or a task's)."""
        m = _REF.search(ref.strip())
        if m is None:
            return None
        found = (self.menus if m.group(1).startswith("menus") else self.tasks).get(m.group(2))
        return found[2] if found else None

    # -- menus --------------------------------------------------------------------------
    def menu(self, spec: dict[str, Any], path: Path, nid: str, parent: str | None) -> str:
        own = _map(spec, "settingsMenu")
        repeat = _lit(own.get("repeatCount"))
        fail = self.add(f"{nid}.no_choice", path, {
            "kind": "hangup", "label": "the menu repeated with no choice: Architect "
            "disconnects (no default choice)"})
        ctx = _Ctx(nid, fail, menu=nid, parent=parent)
        options: dict[str, Any] = {}
        for i, item in enumerate(_list(spec.get("choices"))):
            what, choice = _one(item)
            cpath: Path = (*path, "choices", i, what)
            raw = choice.get("dtmf")
            m = _DTMF.fullmatch(raw.strip()) if isinstance(raw, str) else None
            key = None if m is None else {"star": "*", "asterisk": "*", "pound": "#",
                                          "hash": "#"}.get(m.group(1), m.group(1))
            label = str(choice.get("name") or what)
            if key is None or key in options:
                why = ("no dtmf: speech only, no key selects it" if raw in (None, "") else
                       f"dtmf {raw!r} is not a key" if key is None else
                       f"key {key} is taken by an earlier choice")
                self.note("NO_MATCHING_KEY", nid, f"choice {label!r}: {why}", cpath)
                continue
            action = what[4].lower() + what[5:] if what.startswith("menu") and len(what) > 4 \
                else what
            target = self.action(action, choice, cpath, nid, ctx)
            options[key] = {"to": target, "label": label}
        self.nodes[nid] = {
            "kind": "menu", **_audio(spec.get("audio")), "label": str(spec.get("name") or nid),
            "options": options,
            "timeout": _seconds(own.get("menuSelectionTimeout")) or self.timeout,
            "retries": repeat if isinstance(repeat, int) and 0 < repeat < 100 else self.repeat,
            "on_timeout": nid, "on_invalid": nid, "on_fail": fail}
        self.origins[nid] = self.where(path)
        return nid

    # -- actions ------------------------------------------------------------------------
    def seq(self, actions: Any, path: Path, cont: str, ctx: _Ctx) -> str:
        """The node a call meets on entering a list of actions; ``cont`` follows them."""
        if not isinstance(actions, list):
            return cont
        for i in range(len(actions) - 1, -1, -1):
            what, spec = _one(actions[i])
            cont = self.action(what, spec, (*path, i, what), cont, ctx)
        return cont

    def outputs(self, spec: dict[str, Any], path: Path, cont: str,
                ctx: _Ctx) -> dict[str, str]:
        """Each output's actions (then ``cont``): output name -> its first node."""
        outs = _map(spec, "outputs")
        found = {}
        for name, out in outs.items():
            actions = out.get("actions") if isinstance(out, dict) else out
            found[str(name)] = self.seq(actions, (*path, "outputs", name, "actions"), cont, ctx)
        return found

    def chance(self, nid_raw: str, path: Path, targets: list[str], what: str) -> str:
        distinct = list(dict.fromkeys(targets))
        if len(distinct) == 1:
            return distinct[0]
        nid = self.add(nid_raw, path, {"kind": "branch", "label": f"{what} (even chance)",
                                       "chance": {t: 1 / len(distinct) for t in distinct}})
        self.note("UNRESOLVED_TARGET", nid, f"where callers go depends on {what}, known only "
                  f"at call time: an even chance over {len(distinct)} outcomes", path)
        return nid

    def action(self, what: str, spec: dict[str, Any], path: Path, cont: str,
               ctx: _Ctx) -> str:
        name = str(spec.get("name") or what)
        raw = f"{ctx.owner}.{name}"
        if what == "playAudio":
            return self.add(raw, path, {"kind": "message", **_audio(spec.get("audio")),
                                        "label": name, "next": cont})
        if what == "disconnect":
            return self.add(raw, path, {"kind": "hangup", "label": name})
        if what in ("transferToAcd", "transferToUser", "transferToGroup"):
            target = (spec.get("targetQueue") or spec.get("targetUser")
                      or spec.get("targetGroup") or spec.get("queueName"))
            who = _name(target)
            person = self.add(f"{raw}.person", path, {
                "kind": "agent", "queue": who, **_audio(spec.get("preTransferAudio")),
                "label": f"{what}: {who or '(chosen at call time)'}"})
            if who is None:
                self.note("UNRESOLVED_TARGET", person, f"{what} {name!r}: who answers is "
                          f"chosen at call time ({_expression(target)[:60]})", path)
            back = self.seq(self.failure(spec), (*path, "outputs", "failure", "actions"), cont,
                            ctx)
            if what == "transferToAcd":  # in the queue: a failure is technical (no queue)
                return self.add(raw, path, {"kind": "branch", "label": f"{name}: queued, or the "
                                            f"transfer fails ({ERRORS:.0%} assumed)",
                                            "chance": {person: 1 - ERRORS, back: ERRORS}})
            return self.add(raw, path, ring_out(person, back, name))
        if what == "transferToNumber":
            number = _name(spec.get("targetNumber") or spec.get("number")
                           or spec.get("phoneNumber") or spec.get("destination"))
            if number is None:
                self.note("UNRESOLVED_TARGET", None, f"transferToNumber {name!r}: the number "
                          "is chosen at call time", path)
                return self.add(raw, path, {"kind": "transfer", "to": "(at call time)",
                                            "label": name})
            node = forwarded(number, name)
            if node["kind"] != "agent":
                return self.add(raw, path, node)
            person = self.add(f"{raw}.person", path, node)
            back = self.seq(self.failure(spec), (*path, "outputs", "failure", "actions"), cont,
                            ctx)
            return self.add(raw, path, ring_out(person, back, name))
        if what == "dialByExtension":  # the caller types a colleague's extension
            return self.add(raw, path, {"kind": "agent", "queue": "an extension the caller "
                                        "dials", "label": name})
        if what in ("transferToVoicemail", "transferToGroupVoicemail"):
            return self.add(raw, path, {"kind": "voicemail", "label": name})
        if what in ("transferToFlow", "transferToFlowSecure", "transferToFlowInQueue"):
            flow = _name(spec.get("targetFlow") or spec.get("flow"))
            if flow is None:
                self.note("UNRESOLVED_TARGET", None, f"{what} {name!r}: the flow is chosen "
                          "at call time", path)
            return self.add(raw, path, {"kind": "transfer", "flow": flow or "(at call time)",
                                        "label": name})
        if what in ("jumpToMenu", "jumpToTask", "menu", "task", "subMenu", "previousMenu",
                    "repeatMenu", "repeat", "callTask", "endTask", "loopExit", "loopNext"):
            return self.jump(what, spec, path, cont, ctx)
        if what == "decision":
            outs = self.outputs(spec, path, cont, ctx)
            cond = _lit(spec.get("condition"))
            if isinstance(cond, bool):
                return outs.get("yes" if cond else "no", cont)
            return self.chance(raw, path, [outs.get("yes", cont), outs.get("no", cont)],
                               f"decision {name!r} ({_expression(spec.get('condition'))[:60]})")
        if what == "collectInput":
            outs = self.outputs(spec, path, cont, ctx)
            digits = _lit(spec.get("maxNumberOfDigits") or spec.get("maxDigits"))
            return self.add(raw, path, {
                "kind": "input", **_audio(spec.get("inputAudio") or spec.get("audio")),
                "label": name, "digits": digits if isinstance(digits, int) and
                0 < digits <= 64 else None, "retries": 1,
                "timeout": _seconds(spec.get("noEntryTimeout")),
                "next": outs.get("success", cont), "on_fail": outs.get("failure", cont)})
        if what == "loop":
            count = _lit(spec.get("loopCount"))
            inner = _Ctx(ctx.owner, ctx.ret, cont, ctx.menu, ctx.parent, ctx.depth)
            outs = _map(spec, "outputs")
            body = outs.get("loop")
            actions = body.get("actions") if isinstance(body, dict) else body
            first = self.seq(actions, (*path, "outputs", "loop", "actions"), cont, inner)
            return self.add(raw, path, {"kind": "message", "seconds": 0, "next": first,
                                        "label": f"loop {name} ({count} passes, modelled as "
                                        "one)"})
        if what in PASS:
            return cont
        outs = self.outputs(spec, path, cont, ctx)
        if what in DATA or what.startswith("evaluateSchedule") or what == "switch" or outs:
            targets = list(outs.values())
            if what == "switch":
                targets += self.cases(spec, path, cont, ctx)
            if what.startswith("evaluateSchedule"):
                group = _name(spec.get("scheduleGroup") or spec.get("schedule")) or \
                    _expression(spec.get("scheduleGroup"))[:40]
                targets = [outs.get(o, cont) for o in ("open", "closed", "holiday",
                                                       "emergency") if o in outs or o == "open"]
                why = f"whether schedule group {group!r} is open (its hours are in Genesys)"
            else:
                why = f"the result of {what} {name!r}"
                if what in DATA and "success" not in outs:
                    targets.append(cont)
            return self.chance(raw, path, targets or [cont], why)
        self.note("UNKNOWN_BLOCK", None, f"action {what!r} ({name!r}) is not known to ivr: "
                  "assumed to pass callers on to the next action", path)
        return cont

    @staticmethod
    def failure(spec: dict[str, Any]) -> Any:
        outs = _map(spec, "outputs")
        failure = outs.get("failure")
        return failure.get("actions") if isinstance(failure, dict) else failure

    def cases(self, spec: dict[str, Any], path: Path, cont: str, ctx: _Ctx) -> list[str]:
        out = []
        for i, item in enumerate(_list(spec.get("cases"))):
            _, case = _one(item)
            out.append(self.seq(case.get("actions"), (*path, "cases", i, "case", "actions"),
                                cont, ctx))
        return out + [cont]

    def jump(self, what: str, spec: dict[str, Any], path: Path, cont: str, ctx: _Ctx) -> str:
        name = str(spec.get("name") or what)
        if what in ("jumpToMenu", "jumpToTask"):
            ref = spec.get("targetMenuRef" if what == "jumpToMenu" else "targetTaskRef")
            target = self.ref(ref) if isinstance(ref, str) else None
            if target is None:
                return self.missing(f"{ctx.owner}.{name}", path, f"{what} to {ref!r}")
            return target
        if what == "subMenu":
            sub = _map(spec, "menu")
            if id(sub) not in self.by_spec:  # a sub-menu with no menu: under it
                return self.missing(f"{ctx.owner}.{name}", path, "menuSubMenu with no menu")
            return self.by_spec[id(sub)]
        if what == "task":  # a menu choice's own task
            task = (_map(spec, "task") or spec)
            if isinstance(task.get("targetTaskRef"), str):
                return self.jump("jumpToTask", task, path, cont, ctx)
            inner = _Ctx(f"{ctx.owner}.{name}", self.end(f"{ctx.owner}.{name}", path,
                                                         "the task ends: Architect disconnects"),
                         menu=ctx.menu, parent=ctx.parent)
            return self.seq(task.get("actions"), (*path, "task", "actions"), inner.ret, inner)
        if what == "previousMenu":
            return ctx.parent or ctx.menu or cont
        if what in ("repeatMenu", "repeat"):
            return ctx.menu or cont
        if what == "endTask":
            return ctx.ret
        if what in ("loopExit", "loopNext"):
            return ctx.loop or cont
        if what == "callTask":  # a reusable task that returns to the next action
            ref = spec.get("targetTaskRef")
            m = _REF.search(ref) if isinstance(ref, str) else None
            found = self.tasks.get(m.group(2)) if m else None
            if found is None:
                return self.missing(f"{ctx.owner}.{name}", path, f"callTask to {ref!r}")
            if ctx.depth >= 8:
                return found[2]  # pragma: no cover - deep recursion: jump instead
            inner = _Ctx(f"{ctx.owner}.{found[2]}", cont, depth=ctx.depth + 1,
                         menu=ctx.menu, parent=ctx.parent)
            return self.seq(found[0].get("actions"), (*found[1], "actions"), cont, inner)
        return self.missing(f"{ctx.owner}.{name}", path, what)  # pragma: no cover

    def missing(self, raw: str, path: Path, what: str) -> str:
        nid = self.add(raw, path, {"kind": "hangup", "label": f"missing: {what}"})
        self.note("MISSING_TARGET", nid, f"{what}: no such menu or task in this flow; "
                  "Architect does not publish it, callers would be dropped", path)
        return nid


__all__ = ["FLOW_TYPES", "FORMAT", "read", "sniff"]
