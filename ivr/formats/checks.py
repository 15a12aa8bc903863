"""Checking raw parsed values field by field, with errors that point into the file.

A :class:`Checker` wraps one parsed document; each method checks one value at a path and
returns it cleaned, or raises a LoadError naming the file, line, column, node and a fix.
Readers of every format share it, so messages read the same whatever the input.
"""

from __future__ import annotations

import difflib
import math
import unicodedata
from collections.abc import Collection, Iterable
from typing import Any, NoReturn

from ivr.errors import LoadError
from ivr.formats.yamltext import Document, Path, key_text
from ivr.limits import MAX_NUMBER, MAX_SECONDS, MIN_SECONDS, digits, shown
from ivr.model import Source

#: Larger numbers are refused: no menu setting is anywhere near, and floats overflow past it.
HUGE = MAX_NUMBER


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The most similar choice, for "did you mean ...?" hints.

    Examples
    --------
    >>> closest("bilin", ["billing", "agent", "main"])
    'billing'
    """
    pool = choices if isinstance(choices, list) else list(choices)
    if len(pool) > 20000:  # keep error paths fast on huge generated menus
        pool = [c for c in pool if c[:1] == word[:1]] or pool[:20000]
    found = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return found[0] if found else None


#: Characters a name may not hold: controls, format characters (zero-width, bidi marks
#: and overrides), separators other than the space, private use and unassigned ones.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"})


def name_problem(name: str) -> str | None:
    """What is wrong with a name (node id, intent, schedule) in any script, or None.

    Letters, marks and digits of every script are fine; a control, format or bidi
    character is not, since it hides what the name is (U+202E turns text around).

    Examples
    --------
    >>> name_problem("főmenü"), name_problem("主メニュー"), name_problem("главное_меню")
    (None, None, None)
    >>> print(name_problem("main\u202e"))
    it holds U+202E RIGHT-TO-LEFT OVERRIDE (a format or bidi control character) at position 5
    """
    for i, ch in enumerate(name, 1):
        cat = unicodedata.category(ch)
        if cat in _BAD_CATEGORIES:
            what = ("a format or bidi control character" if cat == "Cf" else
                    "a control character" if cat == "Cc" else "a line separator"
                    if cat in ("Zl", "Zp") else "an unassigned or private-use character")
            label = unicodedata.name(ch, "") or "unnamed"
            return f"it holds U+{ord(ch):04X} {label} ({what}) at position {i}"
    return None


def nfc(text: str) -> str:
    """``text`` in Unicode normal form C (composed: "ő" one character, not o + accent)."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    best = closest(word, choices)
    return f"did you mean {best!r}?" if best else None


def _type_name(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}" if not isinstance(value, int) or \
            abs(value) < 10**100 else shown(value)
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


class Checker:
    """Checks values of one document; ``node`` names the node errors are about."""

    def __init__(self, doc: Document, ids: Collection[str] = ()) -> None:
        self.doc = doc
        self.ids = ids  # node ids references must name

    def ref(self, value: Any, path: Path, what: str, node: str | None) -> str:
        """A node id that must exist among ``self.ids``."""
        if type(value) is not str:
            value = self.text(value, path, what, node)
        if value not in self.ids:
            value = nfc(value)
        if value not in self.ids:
            self.fail(path, f"{what} leads to {value!r}, which is not a node", node,
                      did_you_mean(value, self.ids) or "add that node or fix the id")
        return value

    def source(self, path: Path) -> Source:
        """Where ``path`` is, or its nearest marked ancestor."""
        line, col = self.doc.where(path)
        return Source(self.doc.file, line, col)

    def exact_source(self, path: Path) -> Source | None:
        """Where ``path`` is, only if it has its own mark (large files mark nodes only)."""
        mark = self.doc.marks.get(path)
        return None if mark is None else Source(self.doc.file, mark[0], mark[1])

    def fail(
        self, path: Path, message: str, node: str | None = None, hint: str | None = None
    ) -> NoReturn:
        line, col = self.doc.where(path)
        raise LoadError(message, file=self.doc.file, line=line, column=col, node=node, hint=hint)

    def mapping(self, value: Any, path: Path, what: str, node: str | None = None) -> dict[str, Any]:
        """A mapping with text keys (``1:`` becomes ``"1"``)."""
        if not isinstance(value, dict):
            self.fail(path, f"{what} must be a mapping, not {_type_name(value)}", node)
        if all(type(k) is str for k in value):  # the parser already refused duplicates
            return value
        out: dict[str, Any] = {}
        for k, v in value.items():
            name = key_text(k)
            if name is None:
                self.fail(path, f"{what} has a key that is not text: {shown(k)}", node,
                          "keys are plain words or digits")
            if name in out:
                self.fail((*path, name), f"duplicate key {name!r}", node,
                          "remove or rename one of them")
            out[name] = v
        return out

    def fields(
        self,
        mapping: dict[str, Any],
        path: Path,
        allowed: Collection[str],
        required: Collection[str] = (),
        node: str | None = None,
        what: str = "this mapping",
        elsewhere: dict[str, str] | None = None,
    ) -> None:
        """Unknown fields (with the closest valid one) and missing required ones."""
        for name in mapping:
            if name in allowed:
                continue
            if elsewhere and name in elsewhere:
                self.fail((*path, name), f"field {name!r} does not belong to {what}", node,
                          elsewhere[name])
            self.fail((*path, name), f"unknown field {name!r} in {what}", node,
                      did_you_mean(name, sorted(allowed))
                      or "valid fields: " + ", ".join(sorted(allowed)))
        for name in required:
            if name not in mapping:
                self.fail(path, f"{what} is missing the required field {name!r}", node)

    def name(self, value: str, path: Path, what: str) -> str:
        """A name (schedule, intent) in any script, NFC-normalised; invisible
        characters refused."""
        problem = name_problem(value)
        if problem:
            self.fail(path, f"{what} {value!r}: {problem}", None,
                      "retype the name without invisible characters")
        return nfc(value)

    def text(self, value: Any, path: Path, what: str, node: str | None = None) -> str:
        if not isinstance(value, str):
            hint = "put it in quotes" if isinstance(value, (bool, int, float)) else None
            self.fail(path, f"{what} must be text, not {_type_name(value)}", node, hint)
        return value

    def number(
        self,
        value: Any,
        path: Path,
        what: str,
        node: str | None = None,
        *,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
        limit_hint: str | None = None,
    ) -> float:
        """A finite number within [low, high] (or (low, high] with ``low_open``)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(path, f"{what} must be a number, not {_type_name(value)}", node)
        if isinstance(value, int) and abs(value) > HUGE:
            self.fail(path, f"{what} is far too large ({digits(value):,} digits)", node,
                      f"numbers here are at most {HUGE:,}")
        if not math.isfinite(value):
            self.fail(path, f"{what} must be a finite number, not {value!r}", node)
        if low is not None and (value < low or (low_open and value == low)):
            bound = f"more than {low:g}" if low_open else f"at least {low:g}"
            self.fail(path, f"{what} must be {bound}, not {value!r}", node)
        if high is not None and value > high:
            self.fail(path, f"{what} must be at most {high:g}, not {value!r}", node, limit_hint)
        return float(value)

    def seconds(
        self, value: Any, path: Path, what: str, node: str | None = None, *, zero: bool = False
    ) -> float:
        """A duration in seconds within ivr's limits (ivr.limits): ``zero`` allows 0."""
        v = self.number(value, path, what, node, low=0, low_open=not zero, high=MAX_SECONDS,
                        limit_hint="the limit is a day (ivr.limits.MAX_SECONDS)")
        if 0 < v < MIN_SECONDS:
            self.fail(path, f"{what} must be {'0 or ' if zero else ''}at least "
                      f"{MIN_SECONDS:g} s, not {value!r}", node,
                      "ivr.limits.MIN_SECONDS: no telephone times a thousandth of a second")
        return v

    def integer(
        self, value: Any, path: Path, what: str, node: str | None = None, *, low: int = 0,
        high: int | None = None, limit_hint: str | None = None,
    ) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, f"{what} must be a whole number, not {_type_name(value)}", node)
        if abs(value) > HUGE:
            self.fail(path, f"{what} is far too large ({digits(value):,} digits)", node,
                      f"numbers here are at most {HUGE:,}")
        if value < low:
            self.fail(path, f"{what} must be at least {low}, not {value}", node)
        if high is not None and value > high:
            self.fail(path, f"{what} must be at most {high:,}, not {value:,}", node,
                      limit_hint)
        return int(value)

    def choice(
        self, value: Any, path: Path, what: str, choices: Collection[str], node: str | None = None
    ) -> str:
        word = self.text(value, path, what, node)
        if word not in choices:
            self.fail(path, f"{what} {word!r} is not one of: {', '.join(choices)}", node,
                      did_you_mean(word, choices))
        return word

    def texts(self, value: Any, path: Path, what: str, node: str | None = None) -> tuple[str, ...]:
        """One text or a non-empty list of them."""
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not value:
            self.fail(path, f"{what} must be text or a non-empty list of text, "
                      f"not {_type_name(value)}", node)
        return tuple(self.text(v, (*path, i), what, node) for i, v in enumerate(value))
