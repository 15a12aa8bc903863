"""FreeSWITCH mod_dptools IVR menus (``<menu>`` XML) translated to the native menu format.

Each ``<menu>`` becomes a ``menu`` node; each ``<entry>`` becomes one option per key it
binds. The semantics follow FreeSWITCH's ``switch_ivr_menu.c``: failures and timeouts are
counted separately, a sub-menu whose retries run out returns to the menu that entered it,
and only the top menu's end plays ``exit-sound`` and hands the call back to the dialplan
(which is not in the file: we assume it hangs up). docs/formats/freeswitch.md has the table.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from pathlib import PurePath
from typing import Any

from ivr.errors import LoadError, SyntaxProblem
from ivr.formats.checks import did_you_mean
from ivr.formats.imported import AUDIO_SECONDS, Imported, expand_digits, forwarded, node_id
from ivr.formats.text import line_col
from ivr.formats.xmltext import Element, parse_xml
from ivr.model import Note, Source

FORMAT = "freeswitch"

#: Extensions that are a person's phone. Vanilla FreeSWITCH's directory has users
#: 1000-1019, which its Local_Extension dialplan entry matches with ^(10[01][0-9])$.
#: Change this to your own numbering plan; transfers and bridges to it become ``agent``.
USER_EXTENSION = re.compile(r"10[01][0-9]")
#: Digit patterns are expanded to key sequences of at most this many keys (12**n tries).
MAX_PATTERN_KEYS = 5
#: FreeSWITCH's defaults (switch_ivr_menu_init): 10 s timeout, 3 failures, 3 timeouts.
DEFAULT_TIMEOUT_MS = 10000
DEFAULT_MAX = 3

#: The six actions mod_dptools accepts in ``<entry action=...>`` (anything else makes
#: FreeSWITCH refuse to build the menu: "Invalid Action").
ACTIONS = ("menu-exit", "menu-sub", "menu-exec-app", "menu-play-sound", "menu-back",
           "menu-top")
#: Applications that only play something; the menu then prompts again.
PROMPT_APPS = frozenset({"playback", "phrase", "speak", "say", "gentones", "sleep",
                         "play_and_get_digits", "read", "displace_session"})
#: Applications that change nothing callers hear or where they go.
PASS_APPS = frozenset({"set", "export", "unset", "multiset", "push", "unshift", "log",
                       "info", "answer", "pre_answer", "ring_ready", "set_global", "hash",
                       "db", "event", "limit", "sched_hangup", "set_user", "bind_meta_app",
                       "playback_terminators", "set_name", "set_audio_level", "privacy",
                       "record_session", "stop_record_session"})
#: Applications that serve callers themselves and keep them (demo services).
SERVICE_APPS = frozenset({"conference", "echo", "delay_echo", "park", "valet_park",
                          "endless_playback"})
#: Applications that hand the call to a script or an external program.
SCRIPT_APPS = frozenset({"lua", "javascript", "python", "perl", "socket", "httapi", "java"})
_TRANSFER_APPS = frozenset({"transfer", "execute_extension"})

_SNIFF_MENU = re.compile(r"<menu\b[^>]*?\bname\s*=", re.S)
_SNIFF_MINE = re.compile(r"\baction\s*=\s*[\"']menu-|\bgreet-long\s*=")
_SNIFF_CONF = re.compile(r"<configuration\b[^>]*\bname\s*=\s*[\"']ivr\.conf[\"']")
_CONTAINERS = frozenset({"include", "document", "section", "configuration", "menus"})
_KEY = re.compile(r"[0-9*#]{1,12}")
_CHANNEL_VAR = re.compile(r"(?<!\$)\$\{")
_CAPTURE = re.compile(r"\$(\d)")
_VAR_BLOCK = re.compile(r"^(?:\{[^}]*\}|\[[^\]]*\]|<[^>]*>)+")
_ATOI = re.compile(r"\s*([+-]?\d+)")
_BARE_AMP = re.compile(r"&(?!(?:[A-Za-z_:][\w.:\-]*|#\d+|#x[0-9A-Fa-f]+);)")
_NOT_MARKUP = re.compile(r"<!--.*?(?:-->|$)|<!\[CDATA\[.*?(?:\]\]>|$)", re.S)


def sniff(text: str) -> bool:
    """A ``<menu name=...>`` with FreeSWITCH menu actions or greetings, or an ivr.conf.

    Examples
    --------
    >>> sniff('<include><menu name="m" greet-long="x.wav"></menu></include>')
    True
    >>> sniff('<vxml version="2.1"><menu id="m"><choice dtmf="1" next="#a"/></menu></vxml>')
    False
    """
    head = text[:8192]
    if "<vxml" in head:
        return False
    return _SNIFF_CONF.search(head) is not None or (
        _SNIFF_MENU.search(head) is not None and _SNIFF_MINE.search(head) is not None)


def read(text: str, file: str, *, entry: str | None = None) -> Imported:
    """Translate every ``<menu>`` of the file; the start is the top menu (see _start), or
    the menu named ``entry``."""
    text, bare = _ampersands(text)
    try:
        root = parse_xml(text, file)
    except SyntaxProblem as exc:
        if exc.line is None:  # entity or DTD refused: point at the declaration
            at = max(text.find("<!ENTITY"), text.find("<!DOCTYPE"))
            if at >= 0:
                exc.line, exc.column = line_col(text, at)
        raise
    menus = _menus(root)
    if not menus:
        included = [el.get("data") for el in root.iter("X-PRE-PROCESS")
                    if el.get("cmd") == "include"]
        hint = (f"the menus are in the included files ({included[0]}): import those"
                if included else 'expected <include><menu name="..."> or <configuration '
                                 'name="ivr.conf"><menus><menu name="...">')
        raise LoadError(f"no <menu> element (the root is <{root.tag}>)", file=file,
                        line=root.line, column=root.column, hint=hint)
    imported = _Builder(file, menus, entry).build()
    lenient = tuple(Note("LENIENT_READ", None, f"line {line}: an '&' that is not an entity "
                         "(XML wants &amp;); FreeSWITCH's parser takes it as a plain '&', and "
                         "so does ivr", Source(file, line, col)) for line, col in bare)
    return replace(imported, notes=lenient + imported.notes) if lenient else imported


def _ampersands(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text with each bare ``&`` escaped, and where they were (line, column).

    >>> _ampersands('<menu greet-long="say:Sales & Support" x="&amp;"/>')
    ('<menu greet-long="say:Sales &amp; Support" x="&amp;"/>', [(1, 29)])
    """
    quiet = [m.span() for m in _NOT_MARKUP.finditer(text)]  # comments, CDATA: & is text
    spots = [m.start() for m in _BARE_AMP.finditer(text)
             if not any(a <= m.start() < b for a, b in quiet)]
    if not spots:
        return text, []
    lines: dict[int, tuple[int, int]] = {}
    for at in spots:
        line, col = line_col(text, at)
        lines.setdefault(line, (line, col))
    for at in reversed(spots):
        text = text[:at] + "&amp;" + text[at + 1:]
    return text, list(lines.values())


def _menus(root: Element) -> list[Element]:
    """The ``<menu>`` elements, through <include>/<configuration>/<menus> wrappers."""
    if root.tag == "menu":
        return [root]
    found: list[Element] = []
    stack = [root]
    while stack:
        el = stack.pop()
        for child in el.children:
            if child.tag == "menu" and el.tag in ("include", "menus"):
                found.append(child)
        stack.extend(c for c in reversed(el.children) if c.tag in _CONTAINERS)
    found.sort(key=lambda m: (m.line, m.column))
    return found


def _atoi(value: str | None) -> int:
    """C ``atoi``: the leading integer, 0 when there is none (as FreeSWITCH reads numbers).

    >>> _atoi(" 3000ms"), _atoi("abc"), _atoi(None)
    (3000, 0, 0)
    """
    m = _ATOI.match(value or "")
    return max(min(int(m.group(1)), 2**31 - 1), -(2**31)) if m else 0


def _sound(value: str | None) -> tuple[str | None, float | None]:
    """Prompt text and length for a FreeSWITCH sound: ``say:``/``speak:`` text, else audio.

    >>> _sound("say:Press 1."), _sound("phrase:main_menu")
    (('Press 1.', None), ('(audio: phrase:main_menu)', 5.0))
    """
    value = (value or "").strip()
    if not value:
        return None, None
    if value.startswith("say:"):
        return value[4:].strip() or None, None
    if value.startswith("speak:"):
        return value[6:].split("|", 2)[-1].strip() or None, None
    return f"(audio: {value})", AUDIO_SECONDS


def _said(fields: dict[str, Any], say: str | None, seconds: float | None) -> dict[str, Any]:
    """``fields`` with the prompt text and its length (when it is not counted in words)."""
    if say is not None:
        fields["say"] = say
    if seconds is not None:
        fields["seconds"] = seconds
    return fields


@functools.lru_cache(maxsize=256)
def _expand(body: str, max_len: int) -> tuple[tuple[str, ...], bool]:
    keys, cut = expand_digits(body, max_len)
    return tuple(keys), cut


class _Builder:
    """Builds the native mapping, node by node, with origins and notes."""

    def __init__(self, file: str, menus: list[Element], entry: str | None = None) -> None:
        self.file = file
        self.menus = menus
        self.taken: set[str] = set()
        self.nodes: dict[str, dict[str, Any]] = {}
        self.origins: dict[str, Source] = {}
        self.notes: list[Note] = []
        self.ids: dict[str, str] = {}  # menu name -> node id
        self.by_name: dict[str, Element] = {}
        for el in menus:
            name = el.get("name") or ""
            if not name.strip():
                raise LoadError("a <menu> without a name", file=file, line=el.line,
                                column=el.column, hint='add name="..." (menu-sub and the '
                                                       'ivr application call menus by name)')
            if name in self.by_name:
                first = self.by_name[name]
                raise LoadError(f"menu {name!r} is defined twice (first on line {first.line})",
                                file=file, line=el.line, column=el.column,
                                hint="FreeSWITCH uses only the first; rename or remove one")
            self.by_name[name] = el
            self.ids[name] = node_id(name, self.taken)
        self.start = self._start(entry)
        self.parents = self._parents()
        self.exit_id: str | None = None
        self.missing: dict[str, str] = {}
        self.into_dialplan: set[str] = set()  # entries whose transfer into the dialplan is noted

    # ------------------------------------------------------------------ structure
    def _start(self, entry: str | None) -> str:
        """``entry``; else the menu named like the file (``demo_ivr.xml`` -> demo_ivr), else
        the first."""
        if entry is not None:
            if entry not in self.by_name:
                raise LoadError(f"--entry {entry!r}: no <menu name={entry!r}> in this file",
                                file=self.file, hint=did_you_mean(entry, self.by_name)
                                or "menus: " + ", ".join(list(self.by_name)[:8]))
            return entry
        stem = PurePath(self.file).name
        for suffix in (".xml", ".conf"):
            stem = stem.removesuffix(suffix)
        return stem if stem in self.by_name else (self.menus[0].get("name") or "")

    def _parents(self) -> dict[str, set[str]]:
        """Menus that enter each menu with menu-sub (or the ivr application)."""
        parents: dict[str, set[str]] = {name: set() for name in self.by_name}
        for el in self.menus:
            name = el.get("name") or ""
            for entry in el.findall("entry"):
                param = (entry.get("param") or "").strip()
                target = None
                if entry.get("action") == "menu-sub":
                    target = param
                elif entry.get("action") == "menu-exec-app" and param.split(" ")[0] == "ivr":
                    target = param[3:].strip()
                if target in parents and target != name:
                    parents[target].add(name)
        return parents

    def back_of(self, name: str) -> str:
        """Where menu-back (and running out of retries) leaves ``name`` for."""
        if name == self.start:
            return self.exit_node()
        parents = self.parents.get(name, set())
        return self.ids[next(iter(parents))] if len(parents) == 1 else self.ids[self.start]

    def exit_node(self) -> str:
        """The IVR ends: the top menu's exit-sound, then the dialplan (assumed: hang-up)."""
        if self.exit_id is None:
            top = self.by_name[self.start]
            self.exit_id = node_id(f"{self.start}.exit", self.taken)
            self.add(self.exit_id, top, f"{self.start}/exit-sound",
                     self._ending("IVR ends (the dialplan then hangs up)", top), kind="hangup")
        return self.exit_id

    def _ending(self, label: str, top: Element | None = None) -> dict[str, Any]:
        """A hang-up's fields: the top menu's exit-sound is what callers hear last."""
        exit_sound = (top or self.by_name[self.start]).get("exit-sound")
        return _said({"label": label}, *_sound(exit_sound))

    def add(self, nid: str, el: Element, ref: str, fields: dict[str, Any], *,
            kind: str) -> str:
        self.nodes[nid] = {"kind": kind, **fields}
        self.origins[nid] = Source(self.file, el.line, el.column, ref=ref)
        return nid

    def note(self, rule: str, nid: str | None, message: str, el: Element, ref: str) -> None:
        self.notes.append(Note(rule, nid, message,
                               Source(self.file, el.line, el.column, ref=ref)))

    # ------------------------------------------------------------------ build
    def build(self) -> Imported:
        for el in self.menus:
            self.menu(el)
        nodes = {nid: self.nodes[nid] for nid in self.ids.values()}
        nodes.update((k, v) for k, v in self.nodes.items() if k not in nodes)
        names = ", ".join(list(self.by_name)[:6]) + (" ..." if len(self.by_name) > 6 else "")
        data = {"name": self.start, "description": f"FreeSWITCH IVR menus: {names}",
                "start": self.ids[self.start], "nodes": nodes}
        return Imported(FORMAT, self.file, data, self.origins, tuple(self.notes))

    def menu(self, el: Element) -> None:
        name = el.get("name") or ""
        nid = self.ids[name]
        timeout = _atoi(el.get("timeout"))
        # an empty max-timeouts takes max-failures' value; 0 or no number means 3
        failures, timeouts = (n if n > 0 else DEFAULT_MAX for n in (
            _atoi(el.get("max-failures")),
            _atoi(el.get("max-timeouts") or el.get("max-failures"))))
        fields: dict[str, Any] = {
            "timeout": (timeout if timeout > 0 else DEFAULT_TIMEOUT_MS) / 1000,
            "retries": min(failures, timeouts),
        }
        _said(fields, *_sound(el.get("greet-long")))
        if nid != name:
            fields["label"] = name
        extra = [f"{a}: {el.get(a)}" for a in ("greet-short", "invalid-sound", "exit-sound")
                 if el.get(a)]
        extra.append(f"max-failures {failures}, max-timeouts {timeouts}")
        fields["note"] = "; ".join(extra)
        fields["on_fail"] = self.on_fail(el, name, failures, timeouts)
        # FreeSWITCH collects up to digit-len digits, or as many as its longest literal key.
        inlen = _atoi(el.get("digit-len"))
        for entry in el.findall("entry"):
            digits = entry.get("digits") or ""
            if _KEY.fullmatch(digits):
                inlen = max(inlen, len(digits))
        options: dict[str, str] = {}
        for entry in el.findall("entry"):
            options.update(self.entry(el, entry, inlen if inlen > 0 else 4))
        fields["options"] = options
        self.add(nid, el, name, fields, kind="menu")

    def on_fail(self, el: Element, name: str, failures: int, timeouts: int) -> str:
        """exec-on-max-failures/-timeouts if set, then back to the parent (or the end)."""
        after = self.back_of(name)
        attrs = ["exec-on-max-failures", "exec-on-max-timeouts"]
        if timeouts < failures:
            attrs.reverse()
        for attr in attrs:
            app = (el.get(attr) or "").strip()
            if app:
                nid = node_id(f"{name}.{attr.removeprefix('exec-on-')}", self.taken)
                return self.app(nid, app, el, f"{name}/{attr}", after)
        return after

    # ------------------------------------------------------------------ entries
    def entry(self, menu: Element, entry: Element, max_len: int) -> dict[str, str]:
        """The options one ``<entry>`` adds to its menu: key -> target node."""
        name = menu.get("name") or ""
        digits = entry.get("digits") or ""
        ref = f"{name}/{digits}"
        mid = self.ids[name]
        if not digits.strip():
            self.note("NO_MATCHING_KEY", mid, f"an <entry action={entry.get('action')!r}> "
                      "has no digits: no key reaches it (and FreeSWITCH refuses to build "
                      "the menu)", entry, ref)
            return {}
        if digits.startswith("/"):
            keys = self.pattern_keys(mid, digits, entry, ref, max_len)
        elif _KEY.fullmatch(digits):
            keys = [(digits, None)]
        else:
            self.note("NO_MATCHING_KEY", mid, f"digits {digits!r} cannot be typed on a "
                      "phone keypad (0-9, *, #, at most 12 keys)", entry, ref)
            return {}
        out: dict[str, str] = {}
        made: dict[str, str] = {}
        for key, match in keys:
            param = (entry.get("param") or "").strip()
            if match is not None:
                param = _substitute(param, match)
            if param not in made:
                made[param] = self.action(menu, entry, key, param, ref)
            out[key] = made[param]
        return out

    def pattern_keys(self, mid: str, digits: str, entry: Element, ref: str,
                     max_len: int) -> list[tuple[str, re.Match[str] | None]]:
        body = digits[1:]
        if "/" in body:
            body = body.rsplit("/", 1)[0]
        length = min(max_len, MAX_PATTERN_KEYS)
        try:
            regex = re.compile(body)
            keys, cut = _expand(body, length)
        except (re.error, OverflowError, RecursionError, ValueError) as exc:
            self.note("NO_MATCHING_KEY", mid, f"digits {digits!r} is not a regular "
                      f"expression ivr can read ({exc}): no key is bound", entry, ref)
            return []
        if not keys:
            self.note("NO_MATCHING_KEY", mid, f"the pattern {digits!r} matches no sequence "
                      f"of up to {length} keys (the menu collects at most {max_len} digits: "
                      "digit-len or its longest key)", entry, ref)
        elif cut:
            self.note("NO_MATCHING_KEY", mid, f"the pattern {digits!r} matches more than "
                      f"{len(keys)} key sequences; only the first {len(keys)} are kept",
                      entry, ref)
        return [(key, regex.search(key)) for key in keys]

    def action(self, menu: Element, entry: Element, key: str, param: str, ref: str) -> str:
        """The node a menu action leads to."""
        name = menu.get("name") or ""
        action = entry.get("action") or ""

        def nid_for() -> str:
            return node_id(f"{name}." + key.replace("*", "star").replace("#", "pound"),
                           self.taken)

        if action == "menu-sub":
            if param == name:
                return self.ids[name]
            if param in self.ids:
                return self.ids[param]
            return self.missing_menu(param, entry, ref)
        if action == "menu-top":
            return self.ids[self.start]
        if action == "menu-back":
            return self.back_of(name)
        if action == "menu-exit":
            return self.exit_node()
        if action == "menu-play-sound":
            fields = _said({"next": self.ids[name], "label": "menu-play-sound"}, *_sound(param))
            return self.add(nid_for(), entry, ref, fields, kind="message")
        if action == "menu-exec-app":
            return self.app(nid_for(), param, entry, ref, self.ids[name])
        nid = self.add(nid_for(), entry, ref, self._ending(f"invalid action {action!r}"),
                       kind="hangup")
        self.note("UNKNOWN_BLOCK", nid, f"{action!r} is not a menu action ("
                  + ", ".join(ACTIONS) + "); FreeSWITCH refuses to build a menu with it, "
                  "so the IVR does not start; modelled as a hang-up on this key", entry, ref)
        return nid

    def missing_menu(self, param: str, entry: Element, ref: str) -> str:
        if param not in self.missing:
            nid = node_id(param or "missing_menu", self.taken)
            self.missing[param] = self.add(nid, entry, ref, self._ending(
                f"no menu {param!r}"), kind="hangup")
            self.notes.append(Note(
                "MISSING_TARGET", nid, f"menu-sub to {param!r}, which this file does not "
                "define: FreeSWITCH ends the IVR there (if a sibling file under ivr_menus/ "
                "defines it, import that file with this one)",
                Source(self.file, entry.line, entry.column, ref=ref)))
        return self.missing[param]

    def app(self, nid: str, param: str, el: Element, ref: str, after: str) -> str:
        """A dialplan application run from the menu; ``after`` is where it returns to."""
        app, _, args = param.partition(" ")
        app, args = app.lower(), args.strip()
        label = param if len(param) <= 60 else param[:57] + "..."
        fields: dict[str, Any] = {"label": label}
        if app in _TRANSFER_APPS:
            return self.transfer(nid, args, el, ref, fields)
        if app == "bridge":
            person = _bridge_person(args)
            if person is not None:
                return self.add(nid, el, ref, {**fields, "queue": person}, kind="agent")
            number = _gateway_number(args)
            if number is not None:  # forwarded to a phone number through a gateway
                node = forwarded(number, label)
                kind = node.pop("kind")
                return self.add(nid, el, ref, {**fields, **node}, kind=kind)
            return self.external(nid, args, el, ref, fields, "bridge")
        if app == "callcenter" or (app == "fifo" and args.split()[-1:] == ["in"]):
            queue = args.split()[0] if args else app
            return self.add(nid, el, ref, {**fields, "queue": queue}, kind="agent")
        if app in ("voicemail", "record"):
            kind = "self_service" if args.startswith("check") else "voicemail"
            return self.add(nid, el, ref, fields, kind=kind)
        if app == "hangup":
            return self.add(nid, el, ref, fields, kind="hangup")
        if app in ("deflect", "redirect"):
            return self.external(nid, args, el, ref, fields, app)
        if app == "ivr":
            if args in self.ids:
                return self.ids[args]
            self.add(nid, el, ref, {**fields, "flow": args or "(none)"}, kind="transfer")
            return nid
        if app in SERVICE_APPS:
            return self.add(nid, el, ref, fields, kind="self_service")
        if app in SCRIPT_APPS:
            self.add(nid, el, ref, {**fields, "flow": args or app}, kind="transfer")
            self.note("UNRESOLVED_TARGET", nid, f"the {app} application ({args!r}) decides "
                      "where callers go at call time", el, ref)
            return nid
        if app in PROMPT_APPS or app in PASS_APPS:
            fields = _said({**fields, "next": after}, *_prompt(app, args))
            return self.add(nid, el, ref, fields, kind="message")
        self.add(nid, el, ref, {**self._ending(label), "label": label}, kind="hangup")
        what = f"{app!r} is not an application ivr knows" if app else "no application"
        self.note("UNKNOWN_BLOCK", nid, f"menu-exec-app {param!r}: {what}; if FreeSWITCH has "
                  "no such application the IVR ends (exit-sound, then the dialplan), "
                  "modelled as a hang-up", el, ref)
        return nid

    def transfer(self, nid: str, args: str, el: Element, ref: str,
                 fields: dict[str, Any]) -> str:
        words = [w for w in args.split() if not w.startswith("-")]
        dest = words[0] if words else ""
        if USER_EXTENSION.fullmatch(dest):
            return self.add(nid, el, ref, {**fields, "queue": dest}, kind="agent")
        self.add(nid, el, ref, {**fields, "to": dest or "(none)"}, kind="transfer")
        if not dest or "$" in dest:
            self.note("UNRESOLVED_TARGET", nid, f"transfer to {dest or 'nothing'!r}: the "
                      "extension is only known at call time", el, ref)
        elif ref not in self.into_dialplan:  # one note per <entry>, however many keys it binds
            self.into_dialplan.add(ref)
            plan = " ".join(words[1:3]) or "XML default"
            self.note("UNRESOLVED_TARGET", nid, f"transfer to extension {dest} ({plan}): "
                      "what answers there is in the dialplan, not in this file (import the "
                      "dialplan, or read it as a person only if it is one)", el, ref)
        return nid

    def external(self, nid: str, dial: str, el: Element, ref: str, fields: dict[str, Any],
                 app: str) -> str:
        self.add(nid, el, ref, {**fields, "to": dial or "(none)"}, kind="transfer")
        if not dial or _CHANNEL_VAR.search(dial):
            self.note("UNRESOLVED_TARGET", nid, f"{app} to {dial or 'nothing'!r}: the "
                      "destination depends on channel variables set at call time", el, ref)
        return nid


def _substitute(param: str, match: re.Match[str]) -> str:
    """``$1``..``$9`` replaced by the pattern's groups, as FreeSWITCH does per key.

    >>> _substitute("transfer $1 XML $2", re.search(r"^(10[01][0-9])$", "1005"))
    'transfer 1005 XML '
    """
    def group(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return (match.group(n) or "") if n <= (match.re.groups or 0) else ""
    return _CAPTURE.sub(group, param)


def _prompt(app: str, args: str) -> tuple[str | None, float | None]:
    """What a prompt application says, and for how long when that is known."""
    if app == "playback":
        return _sound(args)
    if app == "speak":
        return args.split("|", 2)[-1].strip() or None, None
    if app == "sleep":
        ms = _atoi(args)
        return None, max(ms, 0) / 1000
    if app in PROMPT_APPS:
        return f"(audio: {app} {args})".replace(" )", ")"), AUDIO_SECONDS
    return None, None


def _gateway_number(dial: str) -> str | None:
    """The phone number of a bridge's first leg through a gateway, if written out.

    >>> _gateway_number("sofia/gateway/carrier/+15551234567"), _gateway_number("user/1000")
    ('+15551234567', None)
    """
    leg = _VAR_BLOCK.sub("", re.split(r",|\||:_:", dial)[0].strip())
    m = re.fullmatch(r"sofia/gateway/[^/]+/(\+?\d{3,15})(?:@.*)?", leg)
    return m.group(1) if m else None


def _bridge_person(dial: str) -> str | None:
    """The first leg of a bridge dial string that rings a person, if any."""
    for leg in re.split(r",|\||:_:", dial):
        leg = _VAR_BLOCK.sub("", leg.strip())
        kind, _, rest = leg.partition("/")
        if kind in ("user", "group"):
            return leg
        if kind in ("sofia", "loopback"):
            user = rest.rsplit("/", 1)[-1] if kind == "sofia" else rest
            if rest.startswith("gateway/"):
                continue
            user = re.split(r"[@%]", user, maxsplit=1)[0]
            if USER_EXTENSION.fullmatch(user):
                return leg
    return None


__all__ = ["ACTIONS", "FORMAT", "MAX_PATTERN_KEYS", "USER_EXTENSION", "read", "sniff"]
