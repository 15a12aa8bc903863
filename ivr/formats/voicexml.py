"""VoiceXML 2.x documents -> the native menu mapping.

A VoiceXML document is a list of dialogs (``<menu>``, ``<form>``) run by the Form
Interpretation Algorithm (FIA): a form's items are visited in document order, an item's
``<filled>`` runs once it has a value, and a form that ends without a jump ends the
document, hence the call. Catch handlers (``<noinput>``, ``<nomatch>``, ``<catch>``) are
looked up from the item outwards to the document, by count. docs/formats/voicexml.md has
the element -> node table and every assumption made here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Any

from ivr.errors import LoadError
from ivr.formats.imported import AUDIO_SECONDS, Imported, node_id, refs
from ivr.formats.xmltext import Element, parse_xml
from ivr.language.speech import seconds_of
from ivr.model import Note, Source

FORMAT = "voicexml"
#: Form children that are not form items (the FIA visits every other child in order).
FORM_OTHER = frozenset({"catch", "noinput", "nomatch", "help", "error", "filled", "var",
                        "script", "property", "grammar", "link", "data", "meta", "metadata"})
HANDLER_TAGS = frozenset({"catch", "noinput", "nomatch", "help", "error"})
SPEECH = frozenset({"prompt", "audio", "value", "enumerate", "foreach", "break", "mark",
                    "emphasis", "prosody", "say-as", "sub", "s", "p", "voice", "phoneme"})
JUMPS = frozenset({"goto", "submit", "exit", "disconnect", "return", "throw"})
#: Executable content that neither speaks nor changes where the call goes.
QUIET = frozenset({"var", "assign", "log", "script", "reprompt", "cancel", "data",
                   "property", "grammar", "meta", "metadata", "elseif", "else"})
#: Events whose default handler re-prompts (VoiceXML 2.0 section 5.2.5); others exit.
REPROMPT_EVENTS = frozenset({"noinput", "nomatch", "help", "maxspeechtimeout", "cancel"})
#: Words in a transfer's name, destination or prompt that say a person answers.
PERSON = re.compile(r"(?i)(?<![a-z])(operator|agent|representative|support|attendant|"
                    r"reception(ist)?|person|human|staff|advisor|adviser|help[ _-]?desk|"
                    r"customer[ _-]?(service|care)|queue)(?![a-z])")
_KEYS = re.compile(r"[0-9*#]{1,12}")
_BUILTIN_DIGITS = {"boolean": 1, "date": 8, "time": 4, "phone": 10}


def _prolog(text: str) -> tuple[int, tuple[int, int] | None]:
    """Where the root element starts, past declaration, comments and DOCTYPE (its span)."""
    i, doctype = 0, None
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if text.startswith("<?", i):
            end = text.find("?>", i)
            i = end + 2 if end >= 0 else len(text)
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            i = end + 3 if end >= 0 else len(text)
        elif text.startswith("<!DOCTYPE", i):
            end, bracket = text.find(">", i), text.find("[", i)
            if 0 <= bracket < end:
                end = text.find(">", max(text.find("]", bracket), bracket))
            doctype = (i, end + 1 if end >= 0 else len(text))
            i = doctype[1]
        else:
            return i, doctype


def sniff(text: str) -> bool:
    """True when the root element (after declaration, comments, DOCTYPE) is ``<vxml>``.

    >>> sniff('<?xml version="1.0"?> <!-- hi --> <vxml version="2.1">')
    True
    >>> sniff('<include><menu name="demo"/></include>'), sniff("name: x")
    (False, False)
    """
    head = text[:4096].lstrip("\ufeff")
    i, _ = _prolog(head)
    return re.match(r"<(?:[A-Za-z_][\w.-]*:)?vxml[\s/>]", head[i:i + 64]) is not None


def _without_dtd(text: str) -> str:
    """Blank out a DOCTYPE naming only the external DTD, which parse_xml would refuse.

    ivr never loads DTDs; lines and columns stay. One with an internal subset is kept, so
    entity declarations are still refused.
    """
    _, span = _prolog(text)
    if span is None or "[" in text[span[0]:span[1]]:
        return text
    a, b = span
    return text[:a] + re.sub(r"[^\n]", " ", text[a:b]) + text[b:]


@dataclass(frozen=True)
class _Ctx:
    """Where executable content runs: for ids, origins, handler scope and fall-through."""

    base: str  # prefix of new node ids
    ref: str  # the platform's path to the element, for origins
    el: Element  # the item (or dialog) element
    scopes: tuple[Element, ...]  # innermost first: item, dialog, document
    revisit: str  # where a handler that does not jump leads
    item: str  # the node notes about this content attach to
    items: tuple[tuple[str, str], ...] = ()  # the form's (item name, entry id), in order
    throwing: frozenset[str] = frozenset()


def _count(el: Element, file: str) -> int:
    raw = (el.get("count") or "1").strip()
    if not re.fullmatch(r"\d{1,6}", raw) or int(raw) < 1:
        raise LoadError(f"count {raw!r} of <{el.tag}> is not a whole number >= 1", file=file,
                        line=el.line, column=el.column, hint='write count="2"')
    return int(raw)


def _seconds(value: str | None) -> float | None:
    """A VoiceXML time designation ("5s", "500ms") in seconds, if sensible."""
    m = re.fullmatch(r"\s*(\d{1,6}(?:\.\d{1,6})?)\s*(ms|s)\s*", value or "")
    sec = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1) if m else 0
    return sec if 0 < sec <= 3600 else None


def _key(raw: str) -> str | None:
    key = re.sub(r"\s+|dtmf-", "", raw)
    return key if _KEYS.fullmatch(key) else None


class _Reader:
    def __init__(self, text: str, file: str, entry: str | None = None) -> None:
        self.file = file
        self.entry = entry
        self.root = parse_xml(_without_dtd(text), file)
        self.nodes: dict[str, dict[str, Any]] = {}
        self.added: list[str] = []  # node ids in the order they were first added
        # Per scope element, computed once: its catch handlers and its timeout property
        # (a document of 10,000 forms would otherwise be scanned again for every field).
        self._scope_handlers: dict[int, list[Element]] = {}
        self._scope_timeout: dict[int, tuple[bool, float | None]] = {}
        self.origins: dict[str, Source] = {}
        self.notes: list[Note] = []
        self.taken: set[str] = set()
        self.dialogs: dict[str, str] = {}
        self.missing: dict[str, str] = {}
        self.optional: set[str] = set()  # dropped at the end when nothing leads there
        self.owner: dict[str, int] = {}  # node id -> index of its dialog, for output order
        self.dialog = 0
        self.start = ""

    # -- helpers -------------------------------------------------------------------------

    def fail(self, el: Element, message: str, hint: str | None = None) -> LoadError:
        return LoadError(message, file=self.file, line=el.line, column=el.column, hint=hint)

    def add(self, nid: str, el: Element, ref: str, **fields: Any) -> str:
        if nid not in self.nodes:
            self.added.append(nid)
        self.nodes[nid] = {k: v for k, v in fields.items() if v is not None}
        self.owner[nid] = self.dialog
        self.origins[nid] = Source(self.file, el.line, el.column, ref)
        return nid

    def new(self, ctx: _Ctx, suffix: str) -> str:
        return node_id(f"{ctx.base}.{suffix}", self.taken)

    def note(self, rule: str, nid: str, message: str, el: Element, ref: str) -> None:
        self.notes.append(Note(rule, nid, message, Source(self.file, el.line, el.column, ref)))

    def speech(self, els: list[Element], lead: str = "", choices: str = "") -> dict[str, Any]:
        """``say`` (and ``seconds`` when audio files are played) for prompt elements."""
        words: list[str] = [lead]
        audio: list[str] = []
        stack = list(reversed(els))
        while stack:
            el = stack.pop()
            if el.tag == "audio":
                audio.append(el.get("src") or el.get("expr") or "?")
                continue
            if el.tag == "value":
                words.append(f"({el.get('expr') or 'value'})")
            elif el.tag == "enumerate":
                words.append(choices)
            words.append(el.text)
            stack.extend(reversed(el.children))
        text = " ".join(" ".join(words).split())
        own = next((e.get("lang") for e in els if e.get("lang")), None)
        mark = {"language": own} if own else {}  # checked in with_language
        if not audio:
            return {"say": text, **mark} if text else {}
        say = " ".join([text, *(f"(audio: {a})" for a in audio)]).strip()
        lang = own or self.root.get("lang") or "en"
        spoken = seconds_of(text, lang.replace("_", "-")) if text else 0.0
        return {"say": say, "seconds": round(spoken + AUDIO_SECONDS * len(audio), 2), **mark}

    def prompts(self, el: Element, choices: str = "") -> dict[str, Any]:
        """What a menu or item says on its first visit (prompts with count 1)."""
        first = [c for c in el.children if c.tag in SPEECH
                 and not (c.tag == "prompt" and _count(c, self.file) > 1)]
        return self.speech(first, "" if el.tag in ("menu", "field") else el.text, choices)

    # -- document ------------------------------------------------------------------------

    def read(self) -> Imported:
        root = self.root
        if root.tag != "vxml":
            raise self.fail(root, f"the root element is <{root.tag}>, not <vxml>",
                            'a VoiceXML document starts with <vxml version="2.1">')
        dialogs = [c for c in root.children if c.tag in ("menu", "form")]
        if not dialogs:
            raise self.fail(root, "the document has no <menu> or <form>",
                            "an application root document has no dialogs of its own")
        for d in dialogs:  # named dialogs first, so their ids stay as written
            raw = d.get("id")
            if raw is not None:
                if raw in self.dialogs:
                    raise self.fail(d, f"two dialogs have id {raw!r}", "dialog ids are unique")
                self.dialogs[raw] = node_id(raw, self.taken)
        plan = []
        for n, d in enumerate(dialogs, 1):
            raw = d.get("id")
            nid = self.dialogs[raw] if raw is not None else node_id(f"{d.tag}{n}", self.taken)
            plan.append((d, nid, f"{d.tag}#{raw}" if raw is not None else f"{d.tag}[{n}]"))
        self.start = plan[0][1]
        first = self.entered(plan)
        for self.dialog, (d, nid, ref) in enumerate(plan):
            if d.tag == "menu":
                self.menu(d, nid, ref)
            else:
                self.form(d, nid, ref)
        self.prune(first)
        stem = os.path.splitext(os.path.basename(self.file))[0] or self.file
        entries = {nid for _, nid, _ in plan}
        rank = {nid: (self.owner[nid], 0 if nid in entries else 2 if nid.endswith(".end")
                      else 1, src.line or 0, src.column or 0)
                for nid, src in self.origins.items()}  # dialog by dialog, in document order
        nodes = {nid: self.nodes[nid] for nid in sorted(self.nodes, key=rank.__getitem__)}
        data = {"name": stem, "start": first, "nodes": nodes}
        return Imported(FORMAT, self.file, data, self.origins, tuple(self.notes))

    def entered(self, plan: list[tuple[Element, str, str]]) -> str:
        """The dialog calls enter: ``entry`` (a dialog id, ``#id`` or ``doc.vxml#id``),
        else the first, as a VoiceXML interpreter starts a document."""
        if self.entry is None:
            return plan[0][1]
        want = self.entry.rsplit("#", 1)[-1].strip()
        if want in self.dialogs:
            return self.dialogs[want]
        raise LoadError(f"--entry {self.entry!r}: no <form> or <menu> with that id",
                        file=self.file, hint="dialog ids here: " + (
                            ", ".join(list(self.dialogs)[:8]) or "(none have an id)"))

    def prune(self, start: str) -> None:
        """Drop optional nodes nothing leads to (unused form ends, handlers not modelled)."""
        while True:
            used = {t for node in self.nodes.values() for t in refs(node)} | {start}
            drop = (self.optional & self.nodes.keys()) - used
            if not drop:
                break
            for nid in drop:
                del self.nodes[nid], self.origins[nid]
        self.notes = [n for n in self.notes if n.node is None or n.node in self.nodes]

    # -- dialogs -------------------------------------------------------------------------

    def menu(self, el: Element, nid: str, ref: str) -> None:
        ctx = _Ctx(nid, ref, el, (el, self.root), nid, nid)
        options: dict[str, Any] = {}
        phrases = []
        auto = 0
        for ch in el.findall("choice"):
            text = " ".join(ch.text.split())
            raw = ch.get("dtmf")
            if raw is None and el.get("dtmf") == "true" and auto < 9:
                auto += 1
                raw = str(auto)
            key = _key(raw) if raw is not None else None
            if key is None or key in options:
                why = ("a voice-only choice: no key selects it" if raw is None else
                       f"dtmf {raw!r} is not a key sequence" if key is None else
                       f"key {key} is already taken by an earlier choice")
                self.note("NO_MATCHING_KEY", nid, f"choice {text!r}: {why}", ch, f"{ref}/choice")
                continue
            target = self.target(ch, ctx)
            options[key] = {"to": target, "label": text} if text else target
            phrases.append(f"{text or target} {key}")
        for scope in (el, self.root):  # <link dtmf> is active in every menu of its scope
            for link in scope.findall("link"):
                key = _key(link.get("dtmf") or "")
                if key is not None and key not in options:
                    options[key] = {"to": self.target(link, ctx), "label": "link"}
        fields = self.retries(ctx, "menu")
        self.add(nid, el, ref, kind="menu", **self.prompts(el, ", ".join(phrases)),
                 options=options, timeout=self.timeout(ctx.scopes), **fields)

    def form(self, el: Element, nid: str, ref: str) -> None:
        items: list[tuple[Element, str]] = []
        for n, child in enumerate(el.children, 1):
            if child.tag not in FORM_OTHER:
                items.append((child, child.get("name") or f"{child.tag}{n}"))
        late = [c for c in el.children if c.tag == "filled"]  # form-level <filled>
        if late:
            inputs = [i for i, (c, _) in enumerate(items) if c.tag not in ("block", "initial")]
            at = inputs[-1] + 1 if inputs else len(items)
            items[at:at] = [(f, f"filled{k}") for k, f in enumerate(late, 1)]
        entries = [nid if k == 0 else node_id(f"{nid}.{name}", self.taken)
                   for k, (_, name) in enumerate(items)]
        end = node_id(f"{nid}.end", self.taken)
        self.optional.add(end)
        self.add(end, el, f"{ref}/end", kind="hangup",
                 label="end of the form: the document ends and the call with it")
        if not items:
            self.add(nid, el, ref, kind="message", label="empty form", next=end)
            return
        info = tuple((name, e) for (_, name), e in zip(items, entries, strict=True))
        for k, (item, name) in enumerate(items):
            cont = entries[k + 1] if k + 1 < len(items) else end
            self.item(item, _Ctx(entries[k], f"{ref}/{item.tag}[{name}]", item,
                                 (item, el, self.root), cont, entries[k], info), cont)

    def item(self, el: Element, ctx: _Ctx, cont: str) -> None:
        entry = ctx.base
        body = entry
        cond = el.get("cond")
        if cond is not None and el.tag != "filled":
            body = self.new(ctx, "do")
        tag = el.tag
        if tag in ("block", "filled"):
            target = self.seq(el.children, ctx, cont, body, el.text)
            if body not in self.nodes:
                self.add(body, el, ctx.ref, kind="message", label=f"go to {target}",
                         next=target)
        elif tag == "field":
            self.field(el, ctx, body, cont)
        elif tag == "transfer":
            self.transfer(el, ctx, body)
        elif tag == "record":
            self.add(body, el, ctx.ref, kind="voicemail", **self.prompts(el),
                     label="record: the caller leaves a recording")
        else:
            filled = el.find("filled")
            nxt = cont if filled is None else self.seq(filled.children, ctx, cont, None,
                                                       filled.text)
            if tag == "subdialog":
                src = el.get("src") or el.get("srcexpr") or "?"
                self.note("UNRESOLVED_TARGET", body, f"subdialog {src!r} is not followed (what "
                          "it does is unknown): modelled as returning at once", el, ctx.ref)
            elif tag != "initial":
                self.note("UNKNOWN_BLOCK", body, f"<{tag}> is not modelled: callers pass "
                          "through to the next form item", el, ctx.ref)
            self.add(body, el, ctx.ref, kind="message", **self.prompts(el), label=f"<{tag}>",
                     next=nxt)
        if cond is not None and body != entry:
            self.add(entry, el, ctx.ref, kind="branch", chance={body: 0.5, cont: 0.5},
                     label=f"if {cond[:60]} (even split)")
            self.note("UNRESOLVED_TARGET", entry, f"the item runs only when {cond!r} holds, "
                      "which is known at call time only", el, ctx.ref)

    def field(self, el: Element, ctx: _Ctx, nid: str, cont: str) -> None:
        filled = el.find("filled")
        nxt = cont if filled is None else self.seq(filled.children, ctx, cont, None,
                                                   filled.text)
        opts = [k for o in el.findall("option") if (k := _key(o.get("dtmf") or ""))]
        typ = el.get("type") or ""
        m = re.search(r"(?:max)?length=(\d{1,3})", typ)
        digits = (int(m.group(1)) if m else max(map(len, opts)) if opts
                  else _BUILTIN_DIGITS.get(typ.split("?")[0], 1))
        label = f"field {el.get('name') or '?'}" + "".join(
            f" (grammar {g})" for g in (x.get("src") for x in el.findall("grammar")) if g)
        choices = ", ".join(o.all_text() or (o.get("dtmf") or "") for o in el.findall("option"))
        self.add(nid, el, ctx.ref, kind="input", **self.prompts(el, choices), label=label,
                 digits=max(digits, 1), next=nxt, timeout=self.timeout(ctx.scopes),
                 **self.retries(replace(ctx, base=nid, revisit=nid, item=nid), "input"))

    def transfer(self, el: Element, ctx: _Ctx, nid: str) -> None:
        dest, expr = el.get("dest"), el.get("destexpr")
        say = self.prompts(el)
        if not dest and not expr:
            self.add(nid, el, ctx.ref, kind="hangup", **say, label="transfer with no dest")
            self.note("MISSING_TARGET", nid, "the <transfer> names no destination: the "
                      "platform raises an error and the call ends", el, ctx.ref)
            return
        where = dest[4:] if dest and dest.startswith("tel:") else (dest or expr or "")
        how = "bridged" if el.get("bridge") == "true" else "blind"
        words = " ".join([el.get("name") or "", dest or expr or "", say.get("say", "")])
        if PERSON.search(words):
            self.add(nid, el, ctx.ref, kind="agent", **say, queue=where,
                     label=f"{how} transfer to a person")
        else:
            self.add(nid, el, ctx.ref, kind="transfer", **say, to=where,
                     label=f"{how} transfer")
        if not dest:
            self.note("UNRESOLVED_TARGET", nid, f"the transfer number comes from {expr!r}, "
                      "known at call time only", el, ctx.ref)

    # -- executable content --------------------------------------------------------------

    def seq(self, stmts: list[Element], ctx: _Ctx, cont: str, name: str | None,
            lead: str = "") -> str:
        """Nodes for executable content; returns where it leads (``cont`` if it falls off).

        ``name`` is the id for the first node it creates, when it creates one.
        """
        spoken: list[Element] = []
        target = cont
        for i, st in enumerate(stmts):
            first = None if spoken or lead.strip() else name
            if st.tag in SPEECH:
                spoken.append(st)
                continue
            if st.tag == "if":
                rest = self.seq(stmts[i + 1:], ctx, cont, None)
                target = self.branch(st, ctx, rest, first)
            elif st.tag == "clear":
                target = self.seq(stmts[i + 1:], ctx, self.cleared(st, ctx, cont), first)
            elif st.tag in JUMPS:
                target = self.jump(st, ctx, first)
            else:
                if st.tag not in QUIET:
                    self.note("UNKNOWN_BLOCK", ctx.item, f"<{st.tag}> is not modelled: "
                              "callers go on as if it were not there", st, ctx.ref)
                continue
            break
        say = self.speech(spoken, lead)
        if not say:
            return target
        nid = name or self.new(ctx, "say")
        where = spoken[0] if spoken and nid != name else ctx.el
        return self.add(nid, where, ctx.ref, kind="message", **say, next=target)

    def branch(self, st: Element, ctx: _Ctx, rest: str, name: str | None) -> str:
        arms: list[tuple[str, list[Element]]] = [(st.get("cond") or "?", [])]
        for c in st.children:
            if c.tag in ("elseif", "else"):
                arms.append((c.get("cond") or "?" if c.tag == "elseif" else "else", []))
            else:
                arms[-1][1].append(c)
        if arms[-1][0] != "else":
            arms.append(("else", []))
        targets = list(dict.fromkeys(self.seq(body, ctx, rest, None) for _, body in arms))
        if len(targets) == 1:
            return targets[0]
        nid = name or self.new(ctx, "if")
        conds = "; ".join(c for c, _ in arms)
        self.add(nid, st, f"{ctx.ref}/if", kind="branch",
                 chance={t: 1 / len(targets) for t in targets},
                 label=f"if {conds[:60]} (even split)")
        self.note("UNRESOLVED_TARGET", nid, f"<if cond={arms[0][0]!r}> depends on values known "
                  f"at call time only; split evenly over {len(targets)} outcomes", st,
                  f"{ctx.ref}/if")
        return nid

    def cleared(self, st: Element, ctx: _Ctx, cont: str) -> str:
        """After <clear>, the FIA goes on at the first unfilled item in document order."""
        names = (st.get("namelist") or "").split()
        order = [e for _, e in ctx.items]
        hits = [e for n, e in ctx.items if not names or n in names]
        if cont in order:
            hits.append(cont)
        return min(hits, key=order.index) if hits else cont

    def jump(self, st: Element, ctx: _Ctx, name: str | None) -> str:
        ref = f"{ctx.ref}/{st.tag}"
        if st.tag == "goto":
            if st.get("next") is not None or st.get("expr") is not None:
                return self.target(st, ctx, name)
            item = st.get("nextitem")
            if item is not None:
                return dict(ctx.items).get(item) or self.missing_target(item, st, ref)
            if st.get("expritem") is not None:
                return self.dynamic(st.get("expritem") or "", st, ctx, name, "goto expritem")
            raise self.fail(st, "<goto> has no next, expr, nextitem or expritem",
                            'write <goto next="#dialog"/>')
        if st.tag == "submit":
            dest = st.get("next") or st.get("expr")
            if dest is None:
                raise self.fail(st, "<submit> has no next or expr", 'write next="url"')
            return self.dynamic(dest, st, ctx, name, "submit to the server",
                                "the document the server returns is unknown")
        if st.tag == "throw":
            return self.target(st, ctx, name)
        nid = name or self.new(ctx, st.tag)
        return self.add(nid, st, ref, kind="hangup", label=f"<{st.tag}>: the call ends")

    def target(self, el: Element, ctx: _Ctx, name: str | None = None) -> str:
        """Where a <goto>, <choice> or <link> leads: next, expr or event."""
        nxt, expr, event = el.get("next"), el.get("expr"), el.get("event")
        ref = f"{ctx.ref}/{el.tag}"
        if nxt is not None:
            doc, _, frag = nxt.partition("#")
            if doc and os.path.basename(doc) == os.path.basename(self.file):
                if not frag:
                    return self.start  # this very document, from its first dialog
                doc = ""
            if not doc:
                return self.dialogs.get(frag) or self.missing_target(nxt, el, ref)
            if "?" in doc or not doc.lower().endswith((".vxml", ".xml")):
                return self.dynamic(doc, el, ctx, name, f"goto {nxt}"[:80],
                                    "a document generated by a server, content unknown")
            nid = name or self.new(ctx, "goto")
            return self.add(nid, el, ref, kind="transfer", flow=doc, label=f"goto {nxt}"[:80])
        if expr is not None:
            return self.dynamic(expr, el, ctx, name, f"{el.tag} expr")
        if event is not None:
            return self.throw(event, el, ctx, name)
        if el.get("eventexpr") is not None:
            return self.dynamic(el.get("eventexpr") or "", el, ctx, name, "eventexpr")
        raise self.fail(el, f"<{el.tag}> has no next, expr or event",
                        'give next="#dialog", expr or event')

    def dynamic(self, raw: str, el: Element, ctx: _Ctx, name: str | None, what: str,
                why: str = "it is computed at call time") -> str:
        """A target ivr cannot know: a transfer to the raw text, and a note saying why."""
        nid = name or self.new(ctx, el.tag)
        ref = f"{ctx.ref}/{el.tag}"
        self.add(nid, el, ref, kind="transfer", flow=raw, label=what)
        self.note("UNRESOLVED_TARGET", nid, f"{what} {raw!r}: {why}", el, ref)
        return nid

    def missing_target(self, raw: str, el: Element, ref: str) -> str:
        if raw not in self.missing:
            nid = node_id(raw, self.taken)
            self.missing[raw] = self.add(nid, el, ref, kind="hangup", label=f"missing {raw}")
            self.note("MISSING_TARGET", nid, f"{raw!r} is not in this document: the platform "
                      "raises error.badfetch and the call ends", el, ref)
        return self.missing[raw]

    # -- events --------------------------------------------------------------------------

    def handlers(self, event: str, scopes: tuple[Element, ...]) -> list[tuple[int, Element]]:
        """Catch handlers for ``event`` with their counts, innermost scope first."""
        out = []
        for scope in scopes:
            found = self._scope_handlers.get(id(scope))
            if found is None:
                found = [h for h in scope.children if h.tag in HANDLER_TAGS]
                self._scope_handlers[id(scope)] = found
            for h in found:
                names = (h.get("event") or "").split() if h.tag == "catch" else [h.tag]
                if not names or any(event == n or event.startswith(n + ".") for n in names):
                    out.append((_count(h, self.file), h))
        return out

    def throw(self, event: str, el: Element, ctx: _Ctx, name: str | None) -> str:
        hs = self.handlers(event, ctx.scopes)
        chosen = _select(hs, 1)
        if chosen is not None and event not in ctx.throwing:
            sub = replace(ctx, throwing=ctx.throwing | {event})
            return self.seq(chosen.children, sub, ctx.revisit, name, chosen.text)
        if chosen is None and event in REPROMPT_EVENTS:
            return ctx.revisit
        nid = name or self.new(ctx, "exit")
        why = "thrown again in its own handler" if chosen else "not handled"
        return self.add(nid, el, f"{ctx.ref}/{el.tag}", kind="hangup",
                        label=f"event {event} {why}: the platform exits")

    def retries(self, ctx: _Ctx, kind: str) -> dict[str, Any]:
        """on_timeout/on_invalid/retries/on_fail from noinput and nomatch handlers by count.

        VoiceXML counts each event separately and re-prompts forever by default; the
        native model counts both together, so the first count at which a handler leaves
        becomes ``retries`` and its target ``on_fail``.
        """
        nid = ctx.base
        before = len(self.added)
        out: dict[str, Any] = {}
        leaves: list[tuple[int, int, str]] = []
        endless = []
        for order, (event, edge) in enumerate((("nomatch", "on_invalid"),
                                               ("noinput", "on_timeout"))):
            hs = self.handlers(event, ctx.scopes)
            for c in sorted({1, *(c for c, _ in hs)}):
                h = _select(hs, c)
                if h is None:
                    continue
                ref = f"{ctx.ref}/{h.tag}"
                hctx = replace(ctx, base=f"{nid}.{event}", ref=ref,
                               throwing=frozenset({event}))
                if any(x.tag in JUMPS or x.tag == "clear" for x in h.iter()):
                    target = self.seq(h.children, hctx, nid, None, h.text)
                    if target != nid:
                        leaves.append((c, order, target))
                        if c == 1 and kind == "menu":
                            out[edge] = target
                        break
                elif c == 1 and kind == "menu":
                    say = self.speech(h.children, h.text)
                    if say:
                        out[edge] = self.add(self.new(hctx, "say"), h, ref, kind="message",
                                             **say, next=nid)
            else:
                if hs:
                    endless.append((event, hs[0][1]))
        later = sorted(x for x in leaves if kind == "input" or x[0] > 1)
        if later:
            out["retries"], _, out["on_fail"] = later[0]
        elif endless or len(leaves) < 2:
            out["on_fail"] = nid
            out["note"] = ("VoiceXML re-prompts without limit here: no handler ends the "
                           "retries (on_fail is the node itself)")
        else:
            out["on_fail"] = out.get("on_invalid", nid)
        self.optional.update(self.added[before:])
        for event, h in endless:
            self.note("UNRESOLVED_TARGET", nid, f"the {event} handler (line {h.line}) neither "
                      "exits nor jumps: the FIA re-visits the item with no limit, so a caller who "
                      "keeps failing loops until they hang up", h, f"{ctx.ref}/{h.tag}")
        return out

    def timeout(self, scopes: tuple[Element, ...]) -> float | None:
        for scope in scopes:
            known = self._scope_timeout.get(id(scope))
            if known is None:
                values = [p.get("value") for p in scope.findall("property")
                          if p.get("name") == "timeout"]
                known = (bool(values), _seconds(values[0]) if values else None)
                self._scope_timeout[id(scope)] = known
            if known[0]:
                return known[1]
        return None


def _select(hs: list[tuple[int, Element]], count: int) -> Element | None:
    """The handler VoiceXML picks at ``count``: highest count not above it, innermost first."""
    best: tuple[int, Element] | None = None
    for c, h in hs:
        if c <= count and (best is None or c > best[0]):
            best = (c, h)
    return best[1] if best else None


def read(text: str, file: str, *, entry: str | None = None) -> Imported:
    """Translate a VoiceXML document into the native menu mapping; ``entry`` names the
    dialog calls enter (default: the first)."""
    return _Reader(text, file, entry).read()


__all__ = ["read", "sniff"]
