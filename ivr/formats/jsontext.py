"""Reading exported JSON flows safely, and finding where things stand in their text.

The standard ``json`` module gives no positions for values, so importers look a node's
identifier up in the text with :class:`Locator` to point findings at the right line.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from typing import Any

from ivr.errors import SyntaxProblem
from ivr.formats.text import line_col


class _Duplicate(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(key)
        out[key] = value
    return out


class _Refused(Exception):
    """A value JSON parsers differ on: ``pattern`` finds it in the text for its position."""

    def __init__(self, message: str, pattern: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.pattern, self.hint = message, pattern, hint


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not valid JSON", r"(?<![\w\"])" + re.escape(name) + r"(?![\w\"])",
                   "use null or a number")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _Refused(f"a number of {len(text.lstrip('-')):,} digits",
                       r"-?[0-9]{" + str(MAX_DIGITS + 1) + ",}",
                       f"numbers in a flow have at most {MAX_DIGITS} digits")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"{text} is too large for a number", re.escape(text),
                       "numbers in a flow are far smaller")
    return value


#: Digits of a whole number in an exported flow (Python refuses to read past 4,300).
MAX_DIGITS = 100
#: A UTF-16 surrogate escape, or a valid pair of them.
_SURROGATES = re.compile(r"(\\+)u([dD][89abAB][0-9a-fA-F]{2})(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
                         r"|(\\+)u[dD][c-fC-F][0-9a-fA-F]{2}")


def _lone_surrogate(text: str) -> int | None:
    """Offset of the first ``\\udXXX`` escape that is not half of a pair: legal JSON, but
    not a character (it cannot be written out as UTF-8)."""
    for m in _SURROGATES.finditer(text):
        slashes = m.group(1) or m.group(3)
        if len(slashes) % 2 == 0:  # an escaped backslash, then plain text "u..."
            continue
        if m.group(3) is not None or m.end() - m.start() < len(slashes) + 11:
            return m.start() + len(slashes) - 1
    return None


def parse_json(text: str, file: str) -> Any:
    """Parse JSON text, refusing duplicate keys, NaN/Infinity and absurd nesting.

    Examples
    --------
    >>> parse_json('{"a": [1, 2]}', "f.json")
    {'a': [1, 2]}
    >>> parse_json('{"a": 1, "a": 2}', "f.json")
    Traceback (most recent call last):
    ivr.errors.SyntaxProblem: f.json:1:10: duplicate key 'a' (each key may appear once \
in an object)
    """
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant,
                          parse_int=_integer, parse_float=_float)
        if "\\u" in text:
            lone = _lone_surrogate(text)
            if lone is not None:
                line, col = line_col(text, lone)
                raise SyntaxProblem("a \\u escape of half a UTF-16 pair is not a character",
                                    file=file, line=line, column=col,
                                    hint="remove it, or give both halves (\\ud83d\\ude00)")
        return data
    except json.JSONDecodeError as exc:
        raise SyntaxProblem(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno,
                            column=exc.colno, hint=_hint(exc)) from None
    except _Duplicate as exc:
        at = _second(text, exc.key)
        raise SyntaxProblem(f"duplicate key {exc.key!r}", file=file, line=at[0], column=at[1],
                            hint="each key may appear once in an object") from None
    except _Refused as exc:
        m = re.search(exc.pattern, text)
        at = line_col(text, m.start()) if m else (1, 1)
        raise SyntaxProblem(exc.message, file=file, line=at[0], column=at[1],
                            hint=exc.hint) from None
    except ValueError as exc:
        raise SyntaxProblem(str(exc), file=file, line=1, column=1,
                            hint="use null or a number") from None
    except RecursionError:
        raise SyntaxProblem("JSON nested too deeply", file=file,
                            hint="an exported flow is a few levels deep") from None


def _hint(exc: json.JSONDecodeError) -> str | None:
    if exc.pos >= len(exc.doc.rstrip()):
        return "the file ends early: is it truncated?"
    if "Expecting property name" in exc.msg:
        return "remove the trailing comma or quote the key"
    return None


def _second(text: str, key: str) -> tuple[int, int]:
    """Best guess at the repeated key: its second spelling as a key in the text (escapes
    can spell it differently: then the first, else the start of the file)."""
    hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
    return line_col(text, hits[min(1, len(hits) - 1)]) if hits else (1, 1)


class Locator:
    """Line and column of substrings, fast on repeated lookups in one text.

    Examples
    --------
    >>> loc = Locator('{\\n  "Identifier": "abc",\\n  "Type": "X"\\n}')
    >>> loc.find_pair("Identifier", "abc")
    (2, 3)
    >>> loc.find('"nowhere"')
    (None, None)
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1, offset - self._starts[i] + 1

    def find(self, needle: str, start: int = 0) -> tuple[int | None, int | None]:
        """Where ``needle`` first stands at or after ``start``."""
        pos = self.text.find(needle, start)
        return (None, None) if pos < 0 else self.at(pos)

    def find_pair(self, key: str, value: str) -> tuple[int | None, int | None]:
        """Where ``"key": "value"`` stands (any spacing), e.g. an action's Identifier."""
        pattern = re.escape(json.dumps(key)) + r"\s*:\s*" + re.escape(json.dumps(value))
        m = re.search(pattern, self.text)
        return (None, None) if m is None else self.at(m.start())

    def find_key(self, key: str) -> tuple[int | None, int | None]:
        """Where ``"key":`` first stands as an object key (e.g. a Studio state name)."""
        m = re.search(re.escape(json.dumps(key)) + r"\s*:", self.text)
        return (None, None) if m is None else self.at(m.start())


__all__ = ["Locator", "parse_json"]
