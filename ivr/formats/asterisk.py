"""Asterisk dialplans (extensions.conf) -> the native menu mapping.

A dialplan is a program, not a graph: the importer runs it symbolically from the entry
context, priority by priority, folding bookkeeping applications (Answer, Set, NoOp...) into
the next step and following Goto/Gosub/Return inline, so only what a caller experiences
becomes a node. Contexts the call cannot reach are other entry points (internal phones,
trunks) and stay out of this menu; ``read(..., entry="ctx")`` imports another entry.
docs/formats/asterisk.md has the block -> kind table and every assumption.
"""

from __future__ import annotations

import copy
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, NamedTuple, NoReturn

from ivr.errors import IvrError, LoadError, SyntaxProblem
from ivr.formats.checks import did_you_mean
from ivr.formats.imported import (
    AUDIO_SECONDS,
    Imported,
    expand_digits,
    forwarded,
    node_id,
    ring_out,
)
from ivr.formats.schedule import day_spec, hour_ranges
from ivr.model import Note, Source

#: Seconds WaitExten() waits with no argument and no TIMEOUT(response) (Asterisk's default).
RESPONSE_TIMEOUT = 10.0
#: Patterns (_XXX) become menu options only for typed sequences up to this many keys.
PATTERN_KEYS = 4
#: Nested Gosub/Macro calls followed before the call is left unresolved.
MAX_FRAMES = 8
#: Nodes one import may unroll to (a guard against pathological files).
MAX_NODES = 20000
#: Context names that say calls come in from outside (evidence for the start, see the docs).
TRUNK = re.compile(r"(?i)from-(external|pstn|trunk|did|sip-external|provider|itsp)|incoming|"
                   r"inbound|(?<![a-z])did(?![a-z])|pstn|trunk-?in")
#: Names that say a context answers callers.
ENTRY = re.compile(r"(?i)ivr|menu|attendant|reception|main|demo|welcome|greeting")
#: Names that say a context serves the office's own phones or internal routing.
INTERNAL = re.compile(r"(?i)internal|phones?(?![a-z])|users|employees|staff|outbound|"
                      r"international|long-?distance|^local$|trunk(?!-?in)|dundi|"
                      r"international|long-?distance|^local$|trunk(?!-?in)|dundi|"
                      r"long-?distance|features|hints|stdexten|dial|macro-|sub-|page")
#: Handler extensions: invalid key, timeout, hang-up and the like, never where calls enter.
HANDLERS = frozenset({"i", "t", "T", "h", "e", "a", "o", "fax", "talk"})
_DID = re.compile(r"\+?\d{7,15}")
_TOKENS = re.compile(r"[\s,?:()@/|&]+")
SKIPPED = frozenset({"general", "globals"})
#: Bookkeeping applications: folded into the next priority.
PASS = frozenset({
    "answer", "noop", "set", "mset", "verbose", "wait", "ringing", "progress", "mixmonitor",
    "monitor", "stopmonitor", "stopmixmonitor", "log", "chanisavail", "stackpop",
    "sipaddheader", "playtones", "stopplaytones", "setmusiconhold", "setlanguage",
    "setcallerpres", "setamaflags", "nocdr", "resetcdr", "forkcdr", "userevent", "setcidname",
    "setcidnum", "waitforsilence"})
AUDIO = frozenset({"playback", "background", "controlplayback", "mp3player"})
SAYING = frozenset({
    "saydigits", "saynumber", "sayalpha", "sayalphacase", "sayphonetic", "sayunixtime",
    "datetime", "saycountedadj", "saycountednoun", "sayordinal", "saymoney"})
#: Take the caller's time, route nowhere: a message without words.
ACTIVITY = frozenset({"echo", "record", "milliwatt", "musiconhold", "waituntil", "morsecode",
                      "festival", "senddtmf"})
#: Applications that end the menu part of the call, and the kind they become.
ENDS = {"voicemail": "voicemail", "voicemailmain": "self_service",
        "directory": "self_service", "confbridge": "self_service", "meetme": "self_service",
        "vmauthenticate": "self_service", "hangup": "hangup", "busy": "hangup",
        "congestion": "hangup", "softhangup": "hangup"}
FLOW = frozenset({"goto", "gosub", "macro", "return", "macroexit"})
_KEY = re.compile(r"[0-9*#]{1,12}")
_KEYPAD_PATTERN = re.compile(r"_[0-9*#XZNxzn.!\[\]\-]+")
_HEADER = re.compile(r"\[([^\[\]]+)\]\s*(?:\(([^()]*)\))?")
_ASSIGN = re.compile(r"([A-Za-z_][\w\-()]*)\s*=>?\s*(.*)", re.S)
_PRIO = re.compile(r"(\d+|n|hint)(?:\+(\d+))?(?:\(([^()]*)\))?", re.I)
_APP = re.compile(r"([A-Za-z_]\w*)\s*(?:\((.*)\)|,(.*))?", re.S)
_VAR = re.compile(r"\$\{([^${}]*)\}")
_DYN = re.compile(r"\$[{\[]")


class Prio(NamedTuple):
    num: int
    label: str | None
    app: str
    args: str
    line: int
    col: int


@dataclass
class Ext:
    name: str
    regex: re.Pattern[str] | None  # None: an exact extension, not a _pattern
    prios: dict[int, Prio] = field(default_factory=dict)
    labels: dict[str, int] = field(default_factory=dict)
    last: int = 0


@dataclass
class Ctx:
    name: str
    line: int
    exts: dict[str, Ext] = field(default_factory=dict)
    includes: list[tuple[str, int]] = field(default_factory=list)
    switches: list[tuple[str, int]] = field(default_factory=list)
    timed: list[tuple[str, int]] = field(default_factory=list)
    template: bool = False


class Hit(NamedTuple):
    ctx: Ctx
    ext: Ext
    prio: Prio


class Pos(NamedTuple):
    """Where the channel is: its context, the number it dialled (``known`` False when a
    pattern option stands for many), and the priority."""

    chan: str
    exten: str
    known: bool
    num: int


class Frame(NamedTuple):
    kind: str
    ret: Pos
    args: tuple[str, ...]


Frames = tuple[Frame, ...]


def sniff(text: str) -> bool:
    """An Asterisk .conf text: a ``[context]`` header and an ``exten =>`` line; or one that
    opens with a ``[section]`` of ``key = value`` lines (queues.conf, sip.conf...), claimed
    so that reading it says "not a dialplan" instead of a YAML error."""
    head = text[:65536].lstrip("\ufeff \t\r\n")
    if not head or head[0] in "{<":
        return False
    if re.search(r"^[ \t]*exten[ \t]*=>?[ \t]*[^,\n]+,[ \t]*(\d+|n|hint)\b", head, re.M | re.I):
        return bool(re.search(r"^[ \t]*\[[^\]\n]+\]", head, re.M))
    first = next((x.strip() for x in head.split("\n") if x.strip() and x.strip()[0] != ";"), "")
    return bool(_HEADER.fullmatch(first)) and bool(
        re.search(r"^[ \t]*[\w-]+[ \t]*=>?[ \t]*[^\s=]", head, re.M))


def split_top(text: str, sep: str, limit: int = -1) -> list[str]:
    """Split at ``sep`` outside (), [] and {} (Asterisk arguments nest: Dial(${X},20))."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        depth = depth + 1 if ch in "([{" else max(0, depth - 1) if ch in ")]}" else depth
        if ch == sep and depth == 0 and limit != 0:
            out.append("".join(cur))
            cur, limit = [], limit - 1
        else:
            cur.append(ch)
    return [*out, "".join(cur)]


def _pattern(name: str, file: str, line: int) -> re.Pattern[str]:
    """The regex of an extension pattern (_NXX, _[1-5]X., _X!)."""
    out, i = [], 1
    while i < len(name):
        c = name[i]
        if c.upper() in "XZN":
            out.append({"X": "[0-9]", "Z": "[1-9]", "N": "[2-9]"}[c.upper()])
        elif c in ".!":
            out.append(".+" if c == "." else ".*")
        elif c == "[" and "]" in name[i:]:
            j = name.index("]", i)
            out.append("[" + "".join(ch if ch == "-" else re.escape(ch)
                                     for ch in name[i + 1:j]) + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        raise SyntaxProblem(f"extension pattern {name!r} cannot be read", file=file,
                            line=line, column=1 if line else None,
                            hint="write ranges low-high, e.g. _[1-5]XX") from None


def _uncomment(line: str) -> str:
    m = re.search(r"(?<!\\);", line)
    return (line if m is None else line[:m.start()]).replace("\\;", ";")


class Plan:
    """The parsed dialplan: contexts, globals and what could not be read (#include)."""

    def __init__(self, text: str, file: str) -> None:
        self.file = file
        self.contexts: dict[str, Ctx] = {}
        self.globals: dict[str, str] = {}
        self.files: list[tuple[str, int]] = []
        self.searched: set[str] = set()
        self.dangling: set[tuple[str, str, int]] = set()
        self._cache: dict[tuple[str, str, int | str], Hit | None] = {}
        self._seen: dict[str, list[Ctx]] = {}
        #: Lines Asterisk would log and skip (a malformed line, one before any [context]).
        self.skipped: list[IvrError] = []
        self.foreign: LoadError | None = None  # the first key=value that is no dialplan
        self._parse(text)

    def fail(self, message: str, line: int, hint: str, col: int | None = None) -> NoReturn:
        raise SyntaxProblem(message, file=self.file, line=line, column=col or 1, hint=hint)

    def _parse(self, text: str) -> None:
        if "\x00" in text:
            self.fail("a NUL byte: this is not a text dialplan",
                      text.count("\n", 0, text.index("\x00")) + 1, "is the file binary?")
        cur: Ctx | None = None
        last: Ext | None = None
        section, block, n = "", 0, 0  # block: line where an open ;-- comment began
        for n, raw in enumerate(text.lstrip("\ufeff").split("\n"), 1):
            line = raw.rstrip("\r")
            if block:
                if "--;" not in line:
                    continue
                line, block = line[line.index("--;") + 3:], 0
            m = re.search(r"(?<!\\);--", line)
            if m is not None:
                head, rest = line[:m.start()], line[m.end():]
                line, block = ((head + rest[rest.index("--;") + 3:], 0) if "--;" in rest
                               else (head, n))
            s = _uncomment(line).strip()
            if not s:
                continue
            col = len(line) - len(line.lstrip()) + 1
            if s[0] == "[":
                cur, last = self._header(s, n, col), None
                section = s[1:].partition("]")[0].strip().lower()
                continue
            try:
                last = self._line(s, n, col, cur, last, section)
            except IvrError as exc:  # Asterisk logs a bad line and goes on: so do we
                self.skipped.append(exc)
                if isinstance(exc, LoadError) and exc.message.endswith("is not a dialplan "
                                                                        "line"):
                    self.foreign = self.foreign or exc
        if block:
            self.fail("a ;-- block comment is never closed with --;", block,
                      "close it, or is the file truncated?")
        if not any(e.prios for c in self.contexts.values() for e in c.exts.values()):
            if self.foreign is not None:  # queues.conf, sip.conf: say what the file is not
                raise self.foreign
            if self.skipped:
                raise self.skipped[0]
            raise LoadError("no dialplan extensions (exten => ...) in any context",
                            file=self.file, line=1, column=1,
                            hint="is this extensions.conf? queues.conf and others have none")

    def _line(self, s: str, n: int, col: int, cur: Ctx | None, last: Ext | None,
              section: str) -> Ext | None:
        """One line inside (or before) a context; returns the extension ``same`` extends."""
        if s[0] == "#":
            if not re.match(r"#(try)?include|#exec", s):
                self.fail(f"cannot read {s[:30]!r}", n, "directives are #include, #exec", col)
            self.files.append((s.split(None, 1)[-1].strip("\"<> "), n))
            return last
        m = _ASSIGN.fullmatch(s)
        if m is None:
            self.fail(f"cannot read {s[:40]!r}", n, "dialplan lines are [context], "
                      "exten => ext,priority,App(args), same => ..., include => ctx", col)
        key, value = m.group(1).lower(), m.group(2).strip()
        if section in SKIPPED:
            if section == "globals":
                self.globals[m.group(1)] = value
            return last
        if cur is None:
            self.fail(f"{key!r} line outside any [context]", n, "start a context first", col)
        if key in ("exten", "same"):
            return self._exten(cur, key, value, last, n, col)
        if key == "include":
            cur.includes.append((re.split(r"[,|]", value)[0].strip(), n))
            if re.search(r"[,|]", value):
                cur.timed.append((value, n))
        elif key in ("switch", "lswitch", "eswitch"):
            cur.switches.append((value, n))
        elif key != "ignorepat":
            raise LoadError(f"{m.group(1)!r} is not a dialplan line", file=self.file, line=n,
                            column=col, node=f"[{cur.name}]",
                            hint="contexts hold exten/same/include/switch lines: is this "
                            "extensions.conf (and not queues.conf or another .conf)?")
        return last

    def _header(self, s: str, n: int, col: int) -> Ctx | None:
        m = _HEADER.fullmatch(s)
        if m is None:
            self.fail(f"cannot read the context header {s[:40]!r}", n,
                      "write [name] or [name](template)", col)
        name, opts = m.group(1).strip(), [o.strip() for o in (m.group(2) or "").split(",")]
        if name.lower() in SKIPPED:
            return None
        ctx = self.contexts.setdefault(name, Ctx(name, n, template="!" in opts))
        for tpl in (o for o in opts if o and o not in "!+"):
            if tpl not in self.contexts:  # Asterisk warns and builds the context without it
                self.skipped.append(SyntaxProblem(
                    f"[{name}] inherits from [{tpl}], which is not defined above", file=self.file,
                    line=n, column=col, hint="define the template first"))
                continue
            ctx.exts.update(copy.deepcopy(self.contexts[tpl].exts))
            ctx.includes.extend(self.contexts[tpl].includes)
        return ctx

    def _exten(self, ctx: Ctx, key: str, value: str, last: Ext | None, n: int,
               col: int) -> Ext:
        same = key == "same"
        parts = split_top(value, ",", 1 if same else 2)
        if len(parts) < (2 if same else 3):
            self.fail(f"{key} needs {'' if same else 'extension,'}priority,App(args)", n,
                      "e.g. exten => s,1,Answer()", col)
        if same:
            if last is None:
                self.fail("'same =>' with no exten line before it in this context", n,
                          "start the extension with exten => ...", col)
            ext = last
        else:
            name = parts.pop(0).strip().partition("/")[0]  # drop a /callerid match
            if not name:
                self.fail("the extension has no name", n, "e.g. exten => s,1,Answer()", col)
            ext = ctx.exts.get(name) or ctx.exts.setdefault(
                name, Ext(name, _pattern(name, self.file, n) if name[0] == "_" else None))
        prio, app = parts[0].strip(), parts[1].strip()
        m = _PRIO.fullmatch(prio)
        if m is None:
            self.fail(f"priority {prio!r} is not a number, n or hint", n,
                      "write 1, n, n(label) or hint", col)
        if m.group(1).lower() == "hint":
            return ext
        num = (ext.last + 1 if m.group(1).lower() == "n" else int(m.group(1)))
        num += int(m.group(2) or 0)
        a = _APP.fullmatch(app)
        if a is None:
            unclosed = "(" in app and not app.endswith(")")
            self.fail(f"{app.partition('(')[0]}: '(' is never closed" if unclosed else
                      f"cannot read the application {app[:40]!r}", n,
                      "is the file truncated?" if unclosed else "write App(arguments)", col)
        if num not in ext.prios:  # Asterisk, too, keeps the first of a duplicate priority
            args = a.group(2) if a.group(2) is not None else (a.group(3) or "")
            ext.prios[num] = Prio(num, m.group(3), a.group(1), args, n, col)
            if m.group(3):
                ext.labels.setdefault(m.group(3), num)
        ext.last = num
        return ext

    def alias(self, name: str) -> str:
        """A context that only includes one other behaves as that one (``[default]``)."""
        seen = {name}
        while (c := self.contexts.get(name)) is not None and len(c.includes) == 1 \
                and not c.exts and not c.switches and c.includes[0][0] not in seen:
            name = c.includes[0][0]
            seen.add(name)
        return name

    def visible(self, name: str) -> list[Ctx]:
        """The context and everything it includes, in Asterisk's search order."""
        if name in self._seen:
            return self._seen[name]
        out, seen, stack = [], set(), [name]
        while stack:
            cur = stack.pop()
            if cur in seen:
                continue
            seen.add(cur)
            self.searched.add(cur)
            if (c := self.contexts.get(cur)) is not None:
                out.append(c)
                stack.extend(reversed([i for i, _ in c.includes]))
                self.dangling.update((cur, i, k) for i, k in c.includes
                                     if i not in self.contexts)
        self._seen[name] = out
        return out

    def find(self, chan: str, exten: str, pri: int | str) -> Hit | None:
        """The priority (number or label) Asterisk runs for ``exten`` dialled in ``chan``:
        exact extensions before patterns (file order), then included contexts."""
        key = (chan, exten, pri)
        if key not in self._cache:
            self._cache[key] = next((
                Hit(c, e, e.prios[num]) for c in self.visible(chan)
                for e in ([c.exts[exten]] if exten in c.exts and c.exts[exten].regex is None
                          else []) + [e for e in c.exts.values()
                                      if e.regex is not None and e.regex.fullmatch(exten)]
                if (num := pri if isinstance(pri, int) else e.labels.get(pri)) in e.prios),
                None)
        return self._cache[key]


def _lookup(inner: str, v: dict[str, str]) -> str | None:
    m = re.fullmatch(r"(?:GLOBAL\()?([\w()]+?)\)?(?::(-?\d+)(?::(-?\d+))?)?", inner.strip())
    if m is None or m.group(1) not in v:
        return None
    val, start = v[m.group(1)], int(m.group(2) or 0)
    return val[start:] if m.group(3) is None else val[start:start + int(m.group(3))]


def subst(text: str, v: dict[str, str]) -> str:
    """Replace the ${VARS} known statically (globals, ARGn, EXTEN, Set() on the way)."""
    def one(m: re.Match[str]) -> str:
        val = _lookup(m.group(1), v)
        return "\x01" + m.group(1) + "\x02" if val is None else val  # unknown: kept

    for _ in range(8):
        text, before = _VAR.sub(one, text), text
        if text == before:
            break
    return text.replace("\x01", "${").replace("\x02", "}")


def _assign(app: str, args: str, env: dict[str, str]) -> None:
    """Set(name=value) / MSet(a=1,b=2) into ``env``; LOCAL()/GLOBAL() and _ prefixes go."""
    for item in split_top(args, ",") if app == "mset" else [args]:
        name, eq, value = item.partition("=")
        if eq:
            env[re.sub(r"^(?:LOCAL|GLOBAL)\((.*)\)$", r"\1", name.strip()).lstrip("_")] = \
                value.strip()


def _hours(cond: str) -> tuple[dict[str, str], bool] | None:
    """GotoIfTime's times,weekdays,mdays,months[,tz] as a native schedule, if it is one;
    the flag says the time zone was assumed."""
    times, days, mdays, months, tz = ([x.strip() for x in re.split(r"[,|]", cond)]
                                      + ["*"] * 4)[:5]
    ranges = "00:00-24:00" if times in ("*", "") else ", ".join(times.split("&"))
    spec = "daily" if days in ("*", "") else days.lower().replace("&", ",")
    d = day_spec(spec)
    if (mdays not in ("*", "") or months not in ("*", "") or hour_ranges(ranges) is None
            or d is None or len(d) != len(set(d))):
        return None
    if tz in ("*", ""):
        return {spec: ranges, "tz": "UTC"}, True
    return ({spec: ranges, "tz": tz}, False) if tz in zoneinfo.available_timezones() else None


def _seconds(text: str, default: float = RESPONSE_TIMEOUT) -> float:
    """A positive number of seconds written in ``text``, else ``default``."""
    ok = re.fullmatch(r"\d{1,6}(\.\d+)?", text.strip()) is not None and float(text) > 0
    return float(text) if ok else default


def _kept(env: dict[str, str]) -> dict[str, str]:
    """What survives a jump: channel settings (a numeric TIMEOUT(response)), not variables
    (following variables across jumps could unroll a counter loop forever)."""
    tmo = env.get("TIMEOUT(response)", "")
    return {"TIMEOUT(response)": tmo} if _seconds(tmo, 0.0) else {}


def _audio(files: str) -> dict[str, Any]:
    names = [f.strip() for f in files.split("&") if f.strip()]
    return {"say": " ".join(f"(audio: {f})" for f in names),
            "seconds": AUDIO_SECONDS * len(names)} if names else {}


def _even(targets: list[str]) -> dict[str, float]:
    distinct = list(dict.fromkeys(targets))
    return {t: 1 / len(distinct) for t in distinct}


def _dial(target: str) -> tuple[str, str]:
    """('agent', device) for a phone, ('transfer', number) for a trunk, else ('dynamic', raw)."""
    first = target.split("&")[0].strip()
    tech, _, res = first.partition("/")
    if not res or _DYN.search(tech) or tech.lower() == "local":
        return "dynamic", first or "(nothing)"
    if "@" in res:  # PJSIP/number@trunk, IAX2/user:secret@host/number
        user, _, host = res.partition("@")
        return "transfer", host.split("/", 1)[1].split("@")[0] if "/" in host else user
    if "/" in res:  # DAHDI/g2/5551234, IAX2/host/number
        return "transfer", res.rsplit("/", 1)[1]
    return "agent", first


class Walk:
    """Symbolic execution from the entry: each reachable (position, call stack) -> a node."""

    def __init__(self, plan: Plan) -> None:
        self.plan, self.file = plan, plan.file
        self.nodes: dict[str, dict[str, Any]] = {}
        self.origins: dict[str, Source] = {}
        self.notes: dict[tuple[str, str, str], Note] = {}
        self.schedules: dict[str, dict[str, str]] = {}
        self.ids: dict[Any, str] = {}
        self.taken: set[str] = set()
        self.todo: list[Callable[[], None]] = []
        self.expanded: dict[str, tuple[list[str], bool]] = {}
        self.uses: dict[str, int] = {}

    def source(self, hit: Hit) -> Source:
        return Source(self.file, hit.prio.line, hit.prio.col,
                      ref=f"{hit.ctx.name},{hit.ext.name},{hit.prio.num}")

    def note(self, rule: str, nid: str, message: str, where: Hit | Source | None) -> None:
        src = where if not isinstance(where, Hit) else self.source(where)
        self.notes.setdefault((rule, nid, message), Note(rule, nid, message, src))

    def alloc(self, key: Any, raw: str) -> tuple[str, bool]:
        if key in self.ids:
            return self.ids[key], False
        if len(self.ids) >= MAX_NODES:
            raise LoadError(f"the dialplan unrolls to more than {MAX_NODES} steps",
                            file=self.file, hint="import one entry context with --entry")
        raw = raw.replace("#", "hash").replace("*", "star")
        n = self.uses[raw] = self.uses.get(raw, 0) + 1  # copies (one per call site) get _2...
        nid = self.ids[key] = node_id(raw if n == 1 else f"{raw}_{n}", self.taken)
        return nid, True

    def fixed(self, key: Any, raw: str, node: dict[str, Any], hit: Hit | None) -> str:
        """A node with no way on (a hang-up, an agent), made at once."""
        nid, new = self.alloc(key, raw)
        if new:
            self.nodes[nid] = node
            if hit is not None:
                self.origins[nid] = self.source(hit)
        return nid

    def vars(self, pos: Pos, frames: Frames, env: dict[str, str]) -> dict[str, str]:
        v = dict(self.plan.globals)
        if frames:
            v.update({f"ARG{i}": "" for i in range(1, 10)})
            v.update({f"ARG{i}": a for i, a in enumerate(frames[-1].args, 1)})
        if pos.known:
            v["EXTEN"] = pos.exten
        return {**v, **env}

    def run(self, start: Pos) -> str:
        first = self.at(start, (), {})
        while self.todo:
            self.todo.pop()()
        return first

    def at(self, pos: Pos, frames: Frames, env: dict[str, str], prev: Hit | None = None) -> str:
        """The node a caller meets on arriving at ``pos`` (pass-through steps folded in).
        Only allocates: the node is built later from ``todo``, so nothing recurses."""
        env, seen = dict(env), set()
        while True:
            hit = self.plan.find(pos.chan, pos.exten, pos.num)
            if hit is None and frames and frames[-1].kind == "macro":  # returns at its end
                pos, frames, env = frames[-1].ret, frames[:-1], _kept(env)
                continue
            if hit is None:
                if prev is None:
                    return self.missing(f"{pos.chan},{pos.exten},{pos.num}", None)
                return self.fixed(("end", prev.prio), f"{prev.ctx.name}.{prev.ext.name}.end",
                                  {"kind": "hangup", "label": "no more priorities: "
                                   "Asterisk hangs up"}, prev)
            if (pos, frames) in seen:
                return self.fixed(("spin", pos, frames), f"{hit.ctx.name}.{pos.exten}.loop",
                                  {"kind": "hangup", "label": "Goto loop with nothing in "
                                   "between: the call spins until hung up"}, hit)
            seen.add((pos, frames))
            app = hit.prio.app.lower()
            args = subst(hit.prio.args, self.vars(pos, frames, env))
            if app in PASS or (app == "gotoif" and "?" not in args):
                if app in ("set", "mset"):
                    _assign(app, args, env)
                prev, pos = hit, pos._replace(num=pos.num + 1)
                continue
            if app not in FLOW:
                break
            step = self.flow(app, args, pos, frames, hit)
            if isinstance(step, str):
                return step
            (pos, frames), env, prev = step, _kept(env), hit
        menuish = app in ("background", "waitexten")
        wait = _seconds(env.get("TIMEOUT(response)", "")) if menuish else None
        key = ("node", pos.chan, pos.exten if pos.known else None, hit.prio, frames, args, wait)
        shown = pos.exten if pos.known else hit.ext.name
        nid, new = self.alloc(key, f"{hit.ctx.name}.{shown}.{hit.prio.label or hit.prio.num}")
        if new:
            self.todo.append(lambda: self.build(nid, pos, hit, frames, env))
        return nid

    def flow(self, app: str, args: str, pos: Pos, frames: Frames,
             hit: Hit) -> tuple[Pos, Frames] | str:
        """Where Goto/Gosub/Macro/Return move the channel, or the node ending the move."""
        if app in ("return", "macroexit"):
            if frames:
                return frames[-1].ret, frames[:-1]
            return self.fixed(("ret", hit.prio), f"{hit.ctx.name}.{hit.ext.name}.return",
                              {"kind": "hangup", "label": f"{hit.prio.app}() outside a "
                               "subroutine: Asterisk hangs up"}, hit)
        parts, cargs = split_top(args, ","), []
        if app == "macro":
            parts, cargs = [f"macro-{parts[0].strip()}", "s", "1"], parts[1:]
        elif app == "gosub" and (m := re.fullmatch(r"([^()]*)\((.*)\)\s*", parts[-1], re.S)):
            parts[-1], cargs = m.group(1), split_top(m.group(2), ",")
        if app != "goto" and len(frames) >= MAX_FRAMES:
            return self.dynamic(args, pos, frames, hit, f"more than {MAX_FRAMES} nested calls")
        found = self.locate(parts, pos)
        if isinstance(found, str):
            return (self.dynamic(found, pos, frames, hit, "the target is computed at call time")
                    if _DYN.search(found) else self.missing(found, hit))
        if app == "goto":
            return found, frames
        return found, (*frames, Frame(app, pos._replace(num=pos.num + 1),
                                      tuple(a.strip() for a in cargs)))

    def locate(self, parts: list[str], pos: Pos) -> Pos | str:
        """Goto's [[context,]extension,]priority as a position, else the target as text."""
        parts = [p.strip() for p in parts][:3]
        ctx, ext, pri, known = pos.chan, pos.exten, parts[-1], len(parts) > 1 or pos.known
        if len(parts) > 1:
            ext = parts[-2]
        if len(parts) > 2:
            ctx = parts[0] or pos.chan
        text = f"{ctx},{ext},{pri}"
        if _DYN.search(text):
            return text
        ctx = self.plan.alias(ctx)
        hit = self.plan.find(ctx, ext, int(pri) if pri.isdigit() else pri)
        return text if hit is None else Pos(ctx, ext, known, hit.prio.num)

    def side(self, app: str, spec: str, pos: Pos, frames: Frames, env: dict[str, str],
             hit: Hit) -> str:
        """Where one side of GotoIf/GosubIf leads (empty: the next priority)."""
        if not spec.strip():
            return self.at(pos._replace(num=pos.num + 1), frames, env, hit)
        step = self.flow("gosub" if app == "gosubif" else "goto", spec, pos, frames, hit)
        return step if isinstance(step, str) else self.at(step[0], step[1], _kept(env))

    def missing(self, text: str, hit: Hit | None) -> str:
        nid = self.fixed(("missing", text), text.replace(",", "."),
                         {"kind": "hangup", "label": f"missing {text}"}, hit)
        ctx, _, rest = text.partition(",")
        what = (f"there is no context [{ctx}]" if ctx not in self.plan.contexts else
                f"[{ctx}] has no extension/priority {rest}")
        where = "; it may be in " + ", ".join(f for f, _ in self.plan.files)
        self.note("MISSING_TARGET", nid, f"jump to {text}: {what}; Asterisk drops the call"
                  + (where if self.plan.files else ""), hit)
        return nid

    def dynamic(self, text: str, pos: Pos, frames: Frames, hit: Hit, why: str) -> str:
        """A computed target: a chance over the extensions it can name, else a transfer."""
        nid, new = self.alloc(("dyn", pos.chan, text, frames), f"{hit.ctx.name}.dynamic")

        def build() -> None:
            ctx, _, rest = text.partition(",")
            ext, _, pri = rest.partition(",")
            outs: list[str] = []
            if pri and not _DYN.search(ctx + pri) and _DYN.sub("", ext).strip("{}"):
                rx = re.compile(".*".join(re.escape(x) for x in re.split(r"\$\{[^{}]*\}", ext)))
                chan = self.plan.alias(ctx)
                for e in (e for c in self.plan.visible(chan) for e in c.exts.values()):
                    found = self.locate([chan, e.name, pri], pos)
                    if e.regex is None and rx.fullmatch(e.name) and isinstance(found, Pos):
                        outs.append(self.at(found, frames, {}))
            self.nodes[nid] = ({"kind": "branch", "chance": _even(outs),
                                "label": f"{text}: one of {len(set(outs))} (unknown at import)"}
                               if outs else {"kind": "transfer", "to": text,
                                             "label": f"{text} (dynamic)"})
            self.note("UNRESOLVED_TARGET", nid, f"{hit.prio.app} to {text}: {why}", hit)
        if new:
            self.origins[nid] = self.source(hit)
            self.todo.append(build)
        return nid

    def handler(self, chan: str, names: tuple[str, str], frames: Frames,
                env: dict[str, str], hit: Hit) -> str:
        """The i/t (or e) extension a menu falls to; without one, Asterisk hangs up."""
        for name in names:
            if self.plan.find(chan, name, 1) is not None:
                return self.at(Pos(chan, name, True, 1), frames, _kept(env))
        return self.fixed(("no", chan, names[0]), f"{chan}.no-{names[0]}",
                          {"kind": "hangup", "label": f"no '{names[0]}' extension in [{chan}]: "
                           "Asterisk hangs up"}, hit)

    def build(self, nid: str, pos: Pos, hit: Hit, frames: Frames, env: dict[str, str]) -> None:
        app = hit.prio.app.lower()
        args = subst(hit.prio.args, self.vars(pos, frames, env))
        parts = [p.strip() for p in split_top(args, ",")]
        label = f"{hit.prio.app}({args})"[:80]
        self.origins[nid] = self.source(hit)

        def nxt() -> str:
            return self.at(pos._replace(num=pos.num + 1), frames, env, hit)

        node = self.menu(nid, pos, hit, frames, env) if app in ("background", "waitexten") \
            else None
        if node is not None:
            pass
        elif app in AUDIO:
            node = {"kind": "message", "label": label, "next": nxt(), **_audio(parts[0])}
        elif app in SAYING or app in ACTIVITY:
            node = {"kind": "message", "label": label, "next": nxt()}
            if app in SAYING:
                node.update(say=f"(audio: {label})", seconds=AUDIO_SECONDS)
        elif app == "read":
            more = [*parts, "", "", "", "", ""]
            count = [int(x) if x.isdigit() and int(x) >= 1 else None for x in more[2:5]]
            node = {"kind": "input", "label": label, "next": nxt(), "on_fail": nxt(),
                    **_audio(more[1]), "digits": count[0], "retries": count[2],
                    "timeout": _seconds(more[5], 0.0) or None}
        elif app in ("gotoif", "gosubif", "gotoiftime"):
            node = self.branch(nid, app, args, pos, hit, frames, env)
        elif app == "dial":
            kind, what = _dial(parts[0])
            dynamic = kind == "dynamic" or bool(_DYN.search(what))
            person = ({"kind": "agent", "queue": what, "label": label} if kind == "agent" else
                      forwarded(what, label) if not dynamic else
                      {"kind": "transfer", "to": what, "label": label})
            if dynamic:
                self.note("UNRESOLVED_TARGET", nid, f"Dial({parts[0]}): the phone or number "
                          "rung is only known at call time", hit)
            ring: Any = _seconds(parts[1], 0.0) if len(parts) > 1 else 0.0
            if person["kind"] == "agent" and ring:
                # Dial(device,20): rings 20 s, then the next priority (a line's max_wait)
                node = person | {"max_wait": ring, "on_max_wait": nxt()}
            elif person["kind"] == "agent" and self.plan.find(pos.chan, pos.exten,
                                                              pos.num + 1) is not None:
                # Dial returns when nobody answers: the next priority (voicemail...) is live
                answered = self.fixed(("dial", nid), f"{nid}.answered", person, hit)
                node = ring_out(answered, nxt(), f"Dial({parts[0]})"[:60])
            else:
                node = person
        elif app == "queue" and len(parts) > 4 and _seconds(parts[4], 0.0):
            # Queue(name,options,URL,announce,timeout): waits that long, then on.
            node = {"kind": "agent", "queue": parts[0] or "(unnamed)", "label": label,
                    "max_wait": _seconds(parts[4], 0.0), "on_max_wait": nxt()}
        elif app == "queue":
            name = parts[0] or "(unnamed)"
            agent = self.fixed(("queue", nid), f"{nid}.agent",
                               {"kind": "agent", "queue": name, "label": label}, hit)
            node = ring_out(agent, nxt(), f"Queue({name})")
            self.note("UNRESOLVED_TARGET", nid, f"whether Queue({name}) is answered before it "
                      "returns (timeout, empty queue) is only known at call time", hit)
        elif app in ENDS:
            node = {"kind": ENDS[app], "label": label}
        elif app == "transfer":  # Transfer([Tech/]destination): forwarding the call
            dest = parts[0].rpartition("/")[2]
            node = (forwarded(dest, label) if dest and not _DYN.search(parts[0]) else
                    {"kind": "transfer", "to": dest or "(nowhere)", "label": label})
            if _DYN.search(parts[0]) or not parts[0]:
                self.note("UNRESOLVED_TARGET", nid, f"Transfer({args}): destination unknown",
                          hit)
        else:
            node = {"kind": "message", "label": label, "next": nxt()}
            self.note("UNKNOWN_BLOCK", nid, f"application {hit.prio.app}() is not modelled: "
                      "assumed to pass on to the next priority", hit)
        self.nodes[nid] = {k: val for k, val in node.items() if val is not None}

    def menu(self, nid: str, pos: Pos, hit: Hit, frames: Frames,
             env: dict[str, str]) -> dict[str, Any] | None:
        """Background()... + WaitExten(): the extensions of the context are the options."""
        files, p, env2 = [], pos, dict(env)
        while (h := self.plan.find(p.chan, p.exten, p.num)) is not None:
            a, args = h.prio.app.lower(), subst(h.prio.args, self.vars(p, frames, env2))
            if a == "waitexten":
                break
            if a == "background":
                files.append(split_top(args, ",")[0])
            elif a in ("set", "mset"):
                _assign(a, args, env2)
            elif a not in PASS:
                return None
            p = p._replace(num=p.num + 1)
        if h is None:
            return None
        timeout = (_seconds(split_top(args, ",")[0], 0.0)
                   or _seconds(env2.get("TIMEOUT(response)", "")))
        after = p._replace(num=p.num + 1)  # WaitExten's timeout: on to the next priority
        on_timeout = (self.at(after, frames, env2, h)
                      if self.plan.find(after.chan, after.exten, after.num) is not None
                      else self.handler(pos.chan, ("t", "e"), frames, env2, h))
        return {"kind": "menu", **_audio("&".join(files)),
                "label": f"[{pos.chan}] {pos.exten if pos.known else hit.ext.name},"
                         f"{hit.prio.label or hit.prio.num}",
                "options": self.options(nid, pos, frames, _kept(env2)), "timeout": timeout,
                "on_timeout": on_timeout,
                "on_invalid": self.handler(pos.chan, ("i", "e"), frames, env2, h),
                "on_fail": nid,
                "note": "Asterisk keeps no retry count: every timeout and invalid entry takes "
                        "the t/i route again, so on_fail is this menu (an unbounded loop)"}

    def options(self, nid: str, pos: Pos, frames: Frames, env: dict[str, str]) -> dict[str, Any]:
        keys: list[str] = []
        for c in self.plan.visible(pos.chan):
            for e in (e for e in c.exts.values() if 1 in e.prios):
                if e.regex is None:
                    keys += [e.name] if _KEY.fullmatch(e.name) else []
                    continue
                if not _KEYPAD_PATTERN.fullmatch(e.name):
                    continue  # _stde[x]te[n]-. and the like: not typed on a keypad
                if e.regex.pattern not in self.expanded:
                    self.expanded[e.regex.pattern] = expand_digits(e.regex.pattern, PATTERN_KEYS)
                found, cut = self.expanded[e.regex.pattern]
                keys += found
                if cut or not found:
                    self.note("NO_MATCHING_KEY", nid, f"pattern {e.name} in [{c.name}] " + (
                        f"matches more than {len(found)} sequences; only the first "
                        f"{len(found)} are options" if cut else
                        f"matches no sequence of up to {PATTERN_KEYS} keys"),
                        self.source(Hit(c, e, e.prios[1])))
        out: dict[str, Any] = {}
        shared: dict[int, str] = {}  # all keys of one pattern share its nodes, EXTEN unknown
        for key in dict.fromkeys(keys):
            if (pos.known and key == pos.exten) or (h := self.plan.find(pos.chan, key, 1)) \
                    is None:
                continue  # dialling the menu's own number (a DID) just restarts it
            if h.ext.regex is None:
                out[key] = self.at(Pos(pos.chan, key, True, 1), frames, env)
                continue
            if id(h.ext) not in shared:
                shared[id(h.ext)] = self.at(Pos(pos.chan, key, False, 1), frames, env)
            out[key] = {"to": shared[id(h.ext)], "label": h.ext.name}
        return out

    def branch(self, nid: str, app: str, args: str, pos: Pos, hit: Hit, frames: Frames,
               env: dict[str, str]) -> dict[str, Any]:
        halves = [*split_top(args, "?", 1), ""]
        cond, rest = halves[0].strip(), halves[1]
        outs = [self.side(app, s, pos, frames, env, hit)
                for s in (split_top(rest, ":", 1) + [""])[:2]]
        hours = _hours(cond) if app == "gotoiftime" else None
        if hours is not None:
            spec, assumed = hours
            name = next((k for k, s in self.schedules.items() if s == spec),
                        f"hours{len(self.schedules) + 1}")
            self.schedules[name] = spec
            if assumed:
                self.note("UNRESOLVED_TARGET", nid, f"GotoIfTime({cond}) uses the server's "
                          "time zone, which the dialplan does not say: UTC assumed", hit)
            return {"kind": "branch", "schedule": name, "open": outs[0], "closed": outs[1],
                    "label": f"GotoIfTime({cond})"}
        self.note("UNRESOLVED_TARGET", nid, f"{hit.prio.app}({cond}) is decided at call time",
                  hit)
        return {"kind": "branch", "chance": _even(outs),
                "label": f"{hit.prio.app}({cond})"[:80] + " (unknown at import)"}


class Start(NamedTuple):
    """Where calls enter, why, and the other contexts that could be the entry."""

    pos: Pos
    why: str
    others: tuple[str, ...] = ()


def _handler(name: str) -> bool:
    return name in HANDLERS


def _referenced(plan: Plan) -> set[str]:
    """Contexts other contexts include or jump to (Goto, Gosub, Dial(Local/x@ctx)...):
    those are where calls go, not where they come in."""
    found: set[str] = set()
    names = plan.contexts.keys()
    for c in plan.contexts.values():
        found.update(i for i, _ in c.includes)
        for e in c.exts.values():
            for p in e.prios.values():
                found.update(t for t in _TOKENS.split(p.args) if t in names and t != c.name)
    return found


def _evidence(plan: Plan, c: Ctx, referenced: set[str]) -> tuple[int, list[str]]:
    """How much the dialplan says calls arrive in ``c`` (see docs/formats/asterisk.md)."""
    score, why = 0, list[str]()
    seen = plan.visible(c.name)
    apps = {p.app.lower() for v in seen for e in v.exts.values() for p in e.prios.values()}
    if c.name not in referenced:
        score, why = score + 2, [*why, "nothing includes or jumps to it"]
    if TRUNK.search(c.name):
        score, why = score + 3, [*why, "its name says calls come in from outside"]
    elif ENTRY.search(c.name):
        score, why = score + 1, [*why, "its name says it answers callers"]
    if INTERNAL.search(c.name):
        score, why = score - 3, [*why, "its name says it serves internal phones or routing"]
    if apps & {"waitexten", "background"}:
        score, why = score + 2, [*why, "it plays a menu"]
    if apps & {"answer", "playback", "queue"}:
        score, why = score + 1, [*why, "it answers callers"]
    if any(_DID.fullmatch(e.name) for v in seen for e in v.exts.values()):
        score, why = score + 1, [*why, "it has a DID (a full phone number) extension"]
    if seen and c is not seen[0]:
        score -= 10  # pragma: no cover - visible() always starts with the context itself
    return score, why


def _entry_exten(plan: Plan, chosen: Ctx) -> Pos:
    """In the chosen context: ``s``, else a DID extension (one with a menu first), else
    the extension holding the menu, else its first; never an i/t/h handler."""
    if plan.find(chosen.name, "s", 1) is not None:
        return Pos(chosen.name, "s", True, 1)
    own = [e for v in plan.visible(chosen.name) for e in v.exts.values()
           if 1 in e.prios and not _handler(e.name)]
    if not own:
        raise LoadError(f"[{chosen.name}] has no extension to start at (only i/t/h "
                        "handlers)", file=plan.file, line=chosen.line or 1, column=1,
                        hint="give it an s extension, or name another with --entry")

    def menu(e: Ext) -> bool:
        return any(p.app.lower() in ("waitexten", "background") for p in e.prios.values())

    dids = [e for e in own if e.regex is None and _DID.fullmatch(e.name)]
    e = ([x for x in dids if menu(x)] or dids or [x for x in own if menu(x)]
         or [x for x in own if x.regex is None] or own)[0]
    if e.regex is None:
        return Pos(chosen.name, e.name, True, 1)
    keys, _ = expand_digits(e.regex.pattern, PATTERN_KEYS)
    return Pos(chosen.name, keys[0] if keys else e.name[1:], False, 1)


def choose_start(plan: Plan, start: str | None = None) -> Start:
    """The entry: ``start`` ("ctx" or "ctx,exten") if given. Otherwise where calls come in
    is set per trunk outside the dialplan (pjsip.conf ``context=``), so it is chosen by
    evidence: contexts nothing else includes or jumps to, named for trunks or DIDs,
    playing a menu or answering, holding DID extensions; never one holding only i/t/h
    handlers, and away from internal-phone contexts (_evidence). Ties go to file order."""
    if start is not None:
        name, _, ext = (x.strip() for x in start.partition(","))
        if name not in plan.contexts:
            raise LoadError(f"--entry: no context [{name}] to start at", file=plan.file,
                            hint=did_you_mean(name, plan.contexts)
                            or "contexts: " + ", ".join(list(plan.contexts)[:8]))
        chosen = plan.contexts[plan.alias(name)]
        if ext:
            if plan.find(chosen.name, ext, 1) is None:
                raise LoadError(f"--entry: [{name}] has no extension {ext!r} with priority 1",
                                file=plan.file, hint="start at one that has")
            return Start(Pos(chosen.name, ext, True, 1), "named with --entry")
        return Start(_entry_exten(plan, chosen), "named with --entry")
    referenced = _referenced(plan)
    ranked: list[tuple[int, int, Ctx, list[str]]] = []
    for n, c in enumerate(plan.contexts.values()):
        ends = [e for v in plan.visible(c.name) for e in v.exts.values() if 1 in e.prios]
        if c.template or not ends or all(_handler(e.name) for e in ends):
            continue
        score, why = _evidence(plan, c, referenced)
        ranked.append((-score, n, c, why))
    if not ranked:
        raise LoadError("no extension has priority 1: a call cannot start anywhere",
                        file=plan.file, line=1, column=1, hint="add exten => s,1,...")
    ranked.sort(key=lambda r: r[:2])
    best, why = ranked[0][2], ranked[0][3]
    # Other roots with evidence of their own: a reader should know the choice was made.
    others = tuple(c.name for neg, _, c, _ in ranked[1:] if -neg >= 3
                   and c.name not in referenced and plan.alias(c.name) != plan.alias(best.name))
    chosen = plan.contexts[plan.alias(best.name)]  # [public] with only include => demo
    return Start(_entry_exten(plan, chosen), "; ".join(why) or "the first context", others)


def read(text: str, file: str, *, entry: str | None = None) -> Imported:
    """Translate a dialplan; ``entry`` ("context" or "context,exten") forces where calls
    enter, else it is chosen by evidence (choose_start)."""
    plan = Plan(text, file)
    start = choose_start(plan, entry)
    pos = start.pos
    walk = Walk(plan)
    first = walk.run(pos)
    notes = list(walk.notes.values())
    if start.others:
        entered = plan.contexts[pos.chan]
        notes.append(Note("UNRESOLVED_TARGET", None, f"calls are taken to enter at "
                          f"[{pos.chan}] {pos.exten} ({start.why}); where a trunk delivers "
                          "calls is set outside the dialplan: other possible entries: "
                          + ", ".join(f"[{o}]" for o in start.others[:5])
                          + (" ..." if len(start.others) > 5 else "")
                          + "; choose one with --entry CONTEXT[,EXTEN]",
                          Source(file, entered.line, 1, ref=pos.chan)))

    def unread(message: str, line: int) -> None:
        notes.append(Note("UNRESOLVED_TARGET", None, message, Source(file, line, 1)))

    for exc in plan.skipped:
        notes.append(Note("LENIENT_READ", None, f"line {exc.line} skipped, as Asterisk skips "
                          f"it (it logs a warning): {exc.message}"
                          + (f" ({exc.hint})" if exc.hint else ""),
                          Source(file, exc.line, exc.column)))
    for name, line in plan.files:
        unread(f"{name} is not read: its contexts are unknown to this import", line)
    for ctx, name, line in sorted(plan.dangling):
        unread(f"[{ctx}] include => {name}: no such context in this file (cross-file)", line)
    for c in (plan.contexts[n] for n in sorted(plan.searched & plan.contexts.keys())):
        for sw, line in c.switches:
            unread(f"[{c.name}] switch => {sw}: numbers not found here are looked up remotely",
                   line)
        for value, line in c.timed:
            unread(f"[{c.name}] include => {value}: included at all times (its time "
                   "condition is ignored)", line)
    data: dict[str, Any] = {
        "name": PurePath(file).stem or "asterisk", "start": first,
        "description": f"Asterisk dialplan entered at [{pos.chan}] extension {pos.exten} "
                       f"({start.why})",
        "nodes": walk.nodes}
    if walk.schedules:
        data["schedules"] = walk.schedules
    return Imported("asterisk", file, data, walk.origins, tuple(notes))


__all__ = ["Start", "choose_start", "read", "sniff"]
