"""Audit policies: declarative YAML files naming rules, thresholds and where they come from.

A policy (``ivr/audit/policies/*.yaml``, or any file in the same format) is data: each rule
names one *check* of a small vocabulary (:data:`CHECKS`, evaluated by :mod:`ivr.audit.checks`)
and its parameters, and says what the source text requires and how ivr reads it. Files
are read with the same safe YAML reader and field checks as menus, so every mistake is
one line naming file, line and column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from types import MappingProxyType
from typing import Any

from ivr.audit.hours import DEFAULT_BUSINESS, HOURS, read_window
from ivr.errors import ConfigError
from ivr.formats.checks import Checker, did_you_mean
from ivr.formats.text import read_text
from ivr.formats.yamltext import Path, parse_yaml
from ivr.language.phrases import PHRASES_SCHEMA, read_table
from ivr.model import Source
from ivr.structure.lint import RULES

#: Where the shipped policies live (package data).
POLICY_DIR = FilePath(__file__).resolve().parent / "policies"
#: What a failed rule is reported as (SARIF levels).
LEVELS = ("error", "warning", "note")
RULE_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
TOP_FIELDS = ("policy", "title", "description", "purpose", "source", "rules", "not_covered",
              "phrases")
#: What a policy may say it is for: ``person``, reaching a person (such a policy fails a
#: flow where no person can be reached, whatever its other rules say).
PURPOSES = ("person",)
SOURCE_FIELDS = ("title", "url", "publisher", "date", "status", "note")
RULE_FIELDS = ("check", "title", "section", "requires", "interpretation", "level", "params")
GAP_FIELDS = ("section", "requires", "why")


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of a check: its type, default and bounds."""

    kind: str  # "number", "integer", "bool", "choice", "lint_rule", "window"
    doc: str
    default: Any = None
    required: bool = False
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Check:
    """A rule of the vocabulary: ``structure`` checks read lint facts and routes, ``time``
    checks the caller model and queue figures."""

    name: str
    kind: str
    summary: str
    params: Mapping[str, Param] = field(default_factory=dict)


def _checks(*checks: Check) -> dict[str, Check]:
    return {c.name: c for c in checks}


def _hours(default: str) -> dict[str, Param]:
    """The ``hours`` a rule applies to (ivr.audit.hours) and the business-hours window."""
    return {
        "hours": Param("choice", "the hours the rule applies to: every (every hour of the "
                       "week), open (the line's own opening hours), business (the "
                       "business_hours window, in the menu's clock), ignore (the menu's "
                       "structure, as if every line were open)", default, choices=HOURS),
        "business_hours": Param("window", "business hours for hours: business, e.g. "
                                "\"mon-fri 08:00-18:00\" or \"mon-fri 09:00-17:00; sat "
                                "09:00-12:00\", in the menu's clock", DEFAULT_BUSINESS),
    }


CHECKS = _checks(
    Check("person_reachable", "structure",
          "a person (an agent node) can be reached from the start (lint NO_PATH_TO_HUMAN), "
          "in every hour the rule applies to",
          {"from": Param("choice", "start: from the start only; every_menu: also from every "
                         "menu a caller can reach", "start", choices=("start", "every_menu")),
           **_hours("every")}),
    Check("person_on_request", "structure",
          "a menu offers an option that leads to a person",
          {"at": Param("choice", "first_menu: the first menu callers hear; every_menu: every "
                       "menu they can reach", "first_menu", choices=("first_menu", "every_menu")),
           "within": Param("integer", "further caller actions allowed after the option", 0,
                           low=0),
           "stated": Param("bool", "the prompt must also say it (mention a representative, "
                           "agent, operator, person or someone)", False),
           **_hours("ignore")}),
    Check("zero_reaches_person", "structure",
          "every menu callers can reach has a 0 option leading to a person",
          {"within": Param("integer", "further caller actions allowed after pressing 0", 0,
                           low=0)}),
    Check("menus_before_person_option", "structure",
          "at most `max` menu prompts before a menu offers an option leading to a person",
          {"max": Param("integer", "menu prompts heard, the one with the option included", 3,
                        low=1)}),
    Check("no_disconnect_on_error", "structure",
          "a timeout, an invalid key or running out of retries never leads to a hang-up",
          {"fallback": Param("choice", "where running out of retries must lead: any (anything "
                             "but a hang-up) or person_or_voicemail (no further key press)",
                             "any", choices=("any", "person_or_voicemail")),
           "allow_after_retry": Param("bool", "a hang-up after retries is accepted when the "
                                      "caller was offered another selection first "
                                      "(retries of 2 or more)", False)}),
    Check("no_repeated_question", "structure",
          "no caller is asked for the same input twice on one call"),
    Check("wait_announced", "structure",
          "callers arriving at a person's queue hear the expected wait (announce_wait, or "
          "a text heuristic)"),
    Check("callback_when_closed", "structure",
          "where a person is closed, callers can still leave a message (voicemail)"),
    Check("keypad_conventions", "structure",
          "0 for a person, * back, # not a choice, choices 1..k without gaps, at most "
          "`max_options` choices",
          {"aspect": Param("choice", "which convention: zero (0 leads to a person), star (* "
                           "goes back or cancels), hash (# is not a menu choice), order "
                           "(choices 1..k without gaps), count (at most max_options "
                           "choices), or all", "all",
                           choices=("all", "zero", "star", "hash", "order", "count")),
           "max_options": Param("integer", "choices besides 0, *, # and repeat", 4, low=1)}),
    Check("lint_rule", "structure",
          "no finding of one lint rule (its settings given beside `rule`)",
          {"rule": Param("lint_rule", "the lint rule id, e.g. LONG_PROMPT", required=True)}),
    Check("person_within", "time",
          "a caller who wants a person reaches one within `seconds`, queue wait included",
          {"seconds": Param("number", "the limit in seconds", required=True, low=0,
                            low_open=True),
           "clock": Param("choice", "call: from the start of the call; request: from the "
                          "caller's last key press on the way to the person", "call",
                          choices=("call", "request")),
           "statistic": Param("choice", "fastest: the fastest route plus the expected queue "
                              "wait; mean: the mean over callers who want a person",
                              "fastest", choices=("fastest", "mean")),
           **_hours("every")}),
    Check("callback_when_waiting", "time",
          "where a line's expected wait exceeds `seconds` in some hour, callers are offered "
          "a callback (a line's callback offer, its max_wait to a callback node, or a menu "
          "option to one)",
          {"seconds": Param("number", "the expected wait above which a callback is owed",
                            required=True, low=0),
           "offered_within": Param("number", "seconds from the start of the call by which "
                                   "the callback must be offered (fastest route); none: any "
                                   "time", low=0)}),
    Check("announced_wait_accurate", "time",
          "a fixed announced wait is within `tolerance` (or `slack` seconds) of the "
          "modelled expected wait in every hour callers arrive",
          {"tolerance": Param("number", "relative difference allowed", 0.5, low=0),
           "slack": Param("number", "seconds of difference always allowed", 30, low=0)}),
    Check("wait_not_cut_off", "structure",
          "no line's max_wait sends callers to a hang-up (with no further key press)"),
    Check("share_within", "time",
          "at least `share` of callers who want a person reach one within `seconds`",
          {"seconds": Param("number", "the limit in seconds", required=True, low=0,
                            low_open=True),
           "share": Param("number", "the share required (0-1]", required=True, low=0,
                          high=1, low_open=True),
           "clock": Param("choice", "call: from the start of the call (simulated); queue: "
                          "from joining a person's queue (queue model)", "call",
                          choices=("call", "queue")),
           **_hours("every")}),
)


#: Checks about reaching a person: a policy whose purpose is a person has at least one, and
#: on a flow where no person can be reached they fail, whatever else is not applicable.
PERSON_CHECKS = frozenset({"person_reachable", "person_on_request", "zero_reaches_person",
                           "menus_before_person_option", "wait_announced",
                           "callback_when_closed", "person_within", "share_within"})


@dataclass(frozen=True, slots=True)
class Citation:
    """Where a policy comes from."""

    title: str
    url: str
    publisher: str | None = None
    date: str | None = None
    status: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """One rule: the check and its parameters, what the source requires and ivr's reading."""

    id: str
    check: str
    title: str
    requires: str
    interpretation: str
    level: str
    params: Mapping[str, Any]
    source: Source
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Gap:
    """A requirement of the source that a menu file cannot show, and why."""

    section: str
    requires: str
    why: str


@dataclass(frozen=True, slots=True)
class Policy:
    """A named set of rules with its citation."""

    id: str
    title: str
    citation: Citation
    rules: tuple[PolicyRule, ...]
    source: Source
    description: str | None = None
    not_covered: tuple[Gap, ...] = ()
    #: Phrases the policy adds to ivr's lists (language -> kind -> phrases), for the
    #: checks that read prompts (a stated person, an announced wait).
    phrases: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    #: What the policy is for (:data:`PURPOSES`); ``person``: it fails a flow where no
    #: person can be reached, whatever its other rules say.
    purpose: str | None = None

    @property
    def file(self) -> str:
        return self.source.file


class _PolicyReader(Checker):
    def read(self) -> Policy:
        if self.doc.data is None:
            self.fail((), "the file is empty", hint="a policy needs policy, title, source "
                      "and rules")
        top = self.mapping(self.doc.data, (), "a policy file")
        self.fields(top, (), TOP_FIELDS, ("policy", "title", "source", "rules"),
                    what="a policy file")
        pid = self.text(top["policy"], ("policy",), "policy")
        if not RULE_ID.fullmatch(pid):
            self.fail(("policy",), f"policy id {pid!r} is not a plain lower-case name",
                      hint="use letters, digits, '-' and '_', e.g. spain-2025")
        rules_raw = self.mapping(top["rules"], ("rules",), "rules")
        if not rules_raw:
            self.fail(("rules",), "rules is empty", hint="give at least one rule")
        rules = tuple(self.rule(rid, raw) for rid, raw in rules_raw.items())
        purpose = self.choice(top["purpose"], ("purpose",), "purpose", PURPOSES) \
            if "purpose" in top else None
        if purpose == "person" and not any(r.check in PERSON_CHECKS for r in rules):
            self.fail(("purpose",), "purpose: person, but no rule checks a person",
                      hint="add a rule such as check: person_reachable, or drop purpose")
        return Policy(
            id=pid,
            title=self.text(top["title"], ("title",), "title"),
            citation=self.citation(top["source"]),
            rules=rules,
            source=Source(self.doc.file, 1, 1),
            description=self.optional_text(top, (), "description"),
            not_covered=self.gaps(top.get("not_covered")),
            phrases=self.phrases(top.get("phrases")),
            purpose=purpose,
        )

    def phrases(self, raw: Any) -> dict[str, dict[str, tuple[str, ...]]]:
        if raw is None:
            return {}
        table, problem = read_table(raw)
        if problem:
            self.fail(("phrases",), problem, hint="phrases: {ru: {person: [оператор*]}}")
        return table

    def optional_text(self, d: Mapping[str, Any], path: Path, name: str) -> str | None:
        return self.text(d[name], (*path, name), name).strip() if name in d else None

    def citation(self, raw: Any) -> Citation:
        p: Path = ("source",)
        d = self.mapping(raw, p, "source")
        self.fields(d, p, SOURCE_FIELDS, ("title", "url"), what="source")
        url = self.text(d["url"], (*p, "url"), "url")
        if not re.match(r"https?://\S+$", url):
            self.fail((*p, "url"), f"url {url!r} is not a web address",
                      hint="write the full address, starting with https://")
        return Citation(self.text(d["title"], (*p, "title"), "title"), url,
                        **{k: self.optional_text(d, p, k)
                           for k in ("publisher", "date", "status", "note")})

    def rule(self, rid: str, raw: Any) -> PolicyRule:
        p: Path = ("rules", rid)
        if not RULE_ID.fullmatch(rid):
            self.fail(p, f"rule id {rid!r} is not a plain lower-case name",
                      hint="use letters, digits, '-' and '_', e.g. zero-out")
        d = self.mapping(raw, p, f"rule {rid!r}")
        self.fields(d, p, RULE_FIELDS, ("check", "requires", "interpretation"),
                    what=f"rule {rid!r}")
        name = self.text(d["check"], (*p, "check"), "check")
        if name not in CHECKS:
            self.fail((*p, "check"), f"rule {rid!r}: no check named {name!r}",
                      hint=did_you_mean(name, CHECKS) or "checks: " + ", ".join(CHECKS))
        check = CHECKS[name]
        level = d.get("level", "error")
        level = self.choice(level, (*p, "level"), "level", LEVELS)
        return PolicyRule(
            id=rid, check=name,
            title=self.optional_text(d, p, "title") or check.summary,
            requires=" ".join(self.text(d["requires"], (*p, "requires"), "requires").split()),
            interpretation=" ".join(self.text(d["interpretation"], (*p, "interpretation"),
                                              "interpretation").split()),
            level=level, params=self.params(check, d.get("params", {}), (*p, "params"), rid),
            source=self.source(p), section=self.optional_text(d, p, "section"),
        )

    def params(self, check: Check, raw: Any, path: Path, rid: str) -> Mapping[str, Any]:
        d = self.mapping(raw, path, f"params of rule {rid!r}") if raw is not None else {}
        allowed = dict(check.params)
        if check.name == "lint_rule" and "rule" in d:
            lint_rule = self.lint_rule(d["rule"], (*path, "rule"), f"{rid}: rule")
            for setting in RULES[lint_rule].params:
                allowed[setting] = Param("number", "a setting of the lint rule", low=0)
        self.fields(d, path, allowed, [k for k, v in allowed.items() if v.required],
                    what=f"params of check {check.name!r} (rule {rid!r})")
        out: dict[str, Any] = {}
        for name, spec in allowed.items():
            if name not in d:
                if spec.default is not None:
                    out[name] = spec.default
                continue
            value, at, what = d[name], (*path, name), f"{rid}: {name}"
            if spec.kind == "number":
                out[name] = self.number(value, at, what, low=spec.low, high=spec.high,
                                        low_open=spec.low_open)
            elif spec.kind == "integer":
                out[name] = self.integer(value, at, what, low=int(spec.low or 0))
            elif spec.kind == "bool":
                if not isinstance(value, bool):
                    self.fail(at, f"{what} must be true or false, not {value!r}")
                out[name] = value
            elif spec.kind == "choice":
                out[name] = self.choice(value, at, what, spec.choices)
            elif spec.kind == "window":
                text = " ".join(self.text(value, at, what).split())
                if read_window(text) is None:
                    self.fail(at, f"{what}: cannot read {text!r} as hours of the week",
                              hint='write days and hours, e.g. "mon-fri 08:00-18:00" or '
                              '"mon-fri 09:00-17:00; sat 09:00-12:00"')
                out[name] = text
            else:
                out[name] = self.lint_rule(value, at, what)
        if out.get("clock") == "request" and out.get("statistic") == "mean":
            self.fail((*path, "statistic"), f"{rid}: statistic mean works with clock: call "
                      "only", hint="the moment of the request is known on the fastest "
                      "route only: use statistic: fastest with clock: request")
        return MappingProxyType(out)

    def lint_rule(self, value: Any, at: Path, what: str) -> str:
        text = self.text(value, at, what).upper()
        if text not in RULES:
            self.fail(at, f"{what}: no lint rule named {value!r}",
                      hint=did_you_mean(text, RULES) or "see `ivr rules`")
        return text

    def gaps(self, raw: Any) -> tuple[Gap, ...]:
        if raw is None:
            return ()
        p: Path = ("not_covered",)
        if not isinstance(raw, list):
            self.fail(p, "not_covered must be a list of {section, requires, why}")
        out = []
        for i, item in enumerate(raw):
            d = self.mapping(item, (*p, i), "an entry of not_covered")
            self.fields(d, (*p, i), GAP_FIELDS, GAP_FIELDS, what="an entry of not_covered")
            out.append(Gap(*(" ".join(self.text(d[k], (*p, i, k), k).split())
                             for k in GAP_FIELDS)))
        return tuple(out)


def _param_schema(name: str, spec: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"description": spec.doc}
    if spec.kind in ("number", "integer"):
        out["type"] = spec.kind
        if spec.low is not None:
            out["exclusiveMinimum" if spec.low_open else "minimum"] = spec.low
        if spec.high is not None:
            out["maximum"] = spec.high
    elif spec.kind == "bool":
        out["type"] = "boolean"
    elif spec.kind == "choice":
        out["enum"] = list(spec.choices)
    elif spec.kind == "window":
        out["type"] = "string"
    else:
        out["enum"] = sorted(RULES)
    if spec.default is not None:
        out["default"] = spec.default
    out["examples"] = [spec.default] if spec.default is not None else list(
        _REQUIRED_EXAMPLES[name])
    return out


#: Examples of the required parameters, and of optional ones with no default.
_REQUIRED_EXAMPLES = {"seconds": (120, 180), "share": (0.95, 0.9), "rule": ("LONG_PROMPT", "TRAP"),
                      "offered_within": (60, 180)}


def _text(description: str, *examples: str) -> dict[str, Any]:
    """A text field of a policy file, for the schema: hover help and examples."""
    return {"type": "string", "description": description, "examples": list(examples)}


#: The fields of ``source`` and of an entry of ``not_covered``, explained.
_SOURCE_DOCS = {
    "title": _text("The title of the text the policy comes from: a law, a standard, a "
                   "bill, a handbook.", "Ley 10/2025 de servicios de atencion a la clientela",
                   "GetHuman Standard v1.0"),
    "url": {"type": "string", "pattern": "^https?://",
            "description": "Where the text can be read (http or https); the SARIF log gives "
                           "it as each rule's helpUri.",
            "examples": ["https://www.boe.es/eli/es/l/2025/12/26/10",
                         "https://intranet.example.com/handbook#4"]},
    "publisher": _text("Who issued the text.", "Jefatura del Estado", "Operations"),
    "date": _text("When the text was issued or last changed (as text: quote a year).",
                  "2025-12-26", "2026"),
    "status": _text("Its standing: a law in force, a bill, a voluntary standard, an "
                    "internal rule; and when compliance is due.",
                    "law; compliance due 2026-12-28", "internal rule"),
    "note": _text("Free text about the source.", "Applies to companies with over 250 "
                  "employees."),
}
_GAP_DOCS = {
    "section": _text("Where in the source the requirement is.", "art. 8.2", "4.9"),
    "requires": _text("What the source requires that no menu file can show.",
                      "Agents introduce themselves."),
    "why": _text("Why ivr cannot check it from the menu.", "not in the menu",
                 "needs call recordings"),
}


def policy_schema() -> dict[str, Any]:
    """The JSON Schema of policy files (``ivr/schema/policy.schema.json`` is this, written
    out for editors; a test keeps the two equal). The loader checks the same and more."""
    rules = []
    for check in CHECKS.values():
        params: dict[str, Any] = {
            "type": "object", "properties": {k: _param_schema(k, v)
                                             for k, v in check.params.items()},
            "required": [k for k, v in check.params.items() if v.required],
            "additionalProperties": check.name == "lint_rule" and {"type": "number",
                                                                   "minimum": 0},
        }
        rules.append({"if": {"properties": {"check": {"const": check.name}}},
                      "then": {"properties": {"params": params}}})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://ivr.dev/schema/policy.schema.json",
        "title": "ivr audit policy",
        "description": "A policy for `ivr audit` (see docs/audit.md): rules, each a check "
                       "with parameters, and the source they come from.",
        "type": "object",
        "required": ["policy", "title", "source", "rules"],
        "additionalProperties": False,
        "properties": {
            "policy": {"type": "string", "pattern": f"^{RULE_ID.pattern}$",
                       "description": "The policy's id, used with --policy and in SARIF "
                                      "rule ids (policy/rule): lower case, digits, - and _.",
                       "examples": ["house-rules", "spain-2025"]},
            "title": _text("The policy's name, shown with its verdicts.",
                           "Our contact-centre rules"),
            "description": _text("Free text: what the policy is for.",
                                 "The rules of our contact-centre handbook, chapter 4."),
            "purpose": {"enum": list(PURPOSES),
                        "description": "person: the policy is about reaching a person, so "
                                       "it fails a flow where no person can be reached, "
                                       "whatever its other rules say.",
                        "examples": ["person"]},
            "source": {
                "type": "object", "required": ["title", "url"], "additionalProperties": False,
                "description": "Where the policy comes from (title and url required).",
                "examples": [{"title": "Contact centre handbook, chapter 4",
                              "url": "https://intranet.example.com/handbook#4"}],
                "properties": {k: _SOURCE_DOCS[k] for k in SOURCE_FIELDS},
            },
            "rules": {
                "type": "object", "minProperties": 1,
                "propertyNames": {"pattern": f"^{RULE_ID.pattern}$"},
                "description": "The rules by id (lower case, digits, - and _): each names a "
                               "check, what the source requires and how ivr reads it.",
                "examples": [{"zero-out": {
                    "check": "zero_reaches_person",
                    "requires": "Callers can always press 0 for a person.",
                    "interpretation": "Every menu has 0 leading to an agent."}}],
                "additionalProperties": {
                    "type": "object", "required": ["check", "requires", "interpretation"],
                    "additionalProperties": False,
                    "properties": {
                        "check": {"enum": list(CHECKS),
                                  "description": "What ivr checks: one of the checks of "
                                                 "docs/audit.md; its parameters go in params.",
                                  "examples": ["zero_reaches_person", "person_within"]},
                        "title": _text("A short title (the SARIF shortDescription); "
                                       "default: the check's own.", "0 reaches a person"),
                        "section": _text("Where in the source the rule is.", "art. 8.1",
                                         "4.2"),
                        "requires": _text("What the source text requires, in its words.",
                                          "Callers can always press 0 for a person."),
                        "interpretation": _text("How ivr reads it: what exactly is checked.",
                                                "Every menu has 0 leading to an agent."),
                        "level": {"enum": list(LEVELS), "default": "error",
                                  "description": "How a failure is reported: error (the "
                                                 "default), warning or note (its SARIF "
                                                 "level).",
                                  "examples": ["error", "warning"]},
                        "params": {"type": "object",
                                   "description": "The check's parameters (docs/audit.md, "
                                                  "Checks); defaults fill the rest.",
                                   "examples": [{"within": 0}, {"seconds": 180,
                                                                "share": 0.95}]},
                    },
                    "allOf": rules,
                },
            },
            "not_covered": {
                "type": "array",
                "description": "What the source asks that a menu file cannot show, so that "
                               "the audit says it was not checked.",
                "examples": [[{"section": "4.9", "requires": "Agents introduce themselves.",
                               "why": "not in the menu"}]],
                "items": {"type": "object", "required": list(GAP_FIELDS),
                          "additionalProperties": False,
                          "properties": {k: _GAP_DOCS[k] for k in GAP_FIELDS}},
            },
            "phrases": PHRASES_SCHEMA,
        },
    }


def parse_policy(text: str, file: str) -> Policy:
    """A policy from YAML text; LoadError/SyntaxProblem with file:line:col otherwise.

    Examples
    --------
    >>> p = parse_policy('''
    ... policy: demo
    ... title: Demo
    ... source: {title: House rules, url: "https://example.org/rules"}
    ... rules:
    ...   quick:
    ...     check: person_within
    ...     requires: A person within two minutes.
    ...     interpretation: The fastest route plus the expected queue wait.
    ...     params: {seconds: 120}
    ... ''', "demo.yaml")
    >>> r = p.rules[0]
    >>> r.id, r.check, dict(r.params), str(r.source)  # doctest: +NORMALIZE_WHITESPACE
    ('quick', 'person_within', {'seconds': 120.0, 'clock': 'call', 'statistic': 'fastest',
     'hours': 'every', 'business_hours': 'mon-fri 09:00-17:00'}, 'demo.yaml:6:3')
    """
    return _PolicyReader(parse_yaml(text, file)).read()


def load_policy(path: str | os.PathLike[str]) -> Policy:
    """Read one policy file."""
    file = os.fspath(path)
    return parse_policy(read_text(file), file)


def shipped_names() -> list[str]:
    """The ids of the policies shipped with ivr, sorted."""
    return sorted(p.stem for p in POLICY_DIR.glob("*.yaml"))


def shipped_path(name: str) -> FilePath:
    """The file of a shipped policy; the path is shown relative to the current folder when
    it lies below it (a checkout), so messages and SARIF point at the repository file."""
    path = POLICY_DIR / f"{name}.yaml"
    try:
        return path.relative_to(FilePath.cwd())
    except ValueError:
        return path


def resolve(names: Iterable[str]) -> list[Policy]:
    """Policies by shipped name, ``all``, or file path, each once, in the order given.

    Raises ConfigError for a name that is neither shipped nor a file.
    """
    out: list[Policy] = []
    seen: dict[str, str] = {}
    shipped = shipped_names()
    for name in names:
        if name == "all":
            wanted: Sequence[str | FilePath] = [shipped_path(n) for n in shipped]
        elif name in shipped:
            wanted = [shipped_path(name)]
        elif os.path.exists(name) or name.endswith((".yaml", ".yml")) or os.sep in name:
            wanted = [name]
        else:
            raise ConfigError(f"no policy named {name!r}",
                              hint=did_you_mean(name, shipped) or
                              "shipped: " + ", ".join(shipped) + "; or give a policy file")
        for item in wanted:
            policy = load_policy(item)
            if policy.id in seen:
                if os.path.abspath(seen[policy.id]) == os.path.abspath(policy.file):
                    continue
                raise ConfigError(f"two policies are named {policy.id!r}: {seen[policy.id]} "
                                  f"and {policy.file}", hint="give each policy its own id")
            seen[policy.id] = policy.file
            out.append(policy)
    return out


__all__ = ["CHECKS", "LEVELS", "PERSON_CHECKS", "POLICY_DIR", "PURPOSES", "Check", "Citation",
           "Gap", "Param", "Policy", "PolicyRule", "load_policy", "parse_policy",
           "policy_schema", "resolve", "shipped_names", "shipped_path"]
