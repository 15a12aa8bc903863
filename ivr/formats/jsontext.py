"""Reading exported JSON flows safely, and finding where things stand in their text.

The standard ``json`` module gives no positions for values, so importers look a node's
identifier up in the text with :class:`Locator` to point findings at the right line.
"""

from __future__ import annotations

import bisect
import json
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


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


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
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise SyntaxProblem(f"not valid JSON: {exc.msg}", file=file, line=exc.lineno,
                            column=exc.colno, hint=_hint(exc)) from None
    except _Duplicate as exc:
        line, col = _second(text, exc.key)
        raise SyntaxProblem(f"duplicate key {exc.key!r}", file=file, line=line, column=col,
                            hint="each key may appear once in an object") from None
    except ValueError as exc:
        raise SyntaxProblem(str(exc), file=file, hint="use null or a number") from None
    except RecursionError:
        raise SyntaxProblem("JSON nested too deeply", file=file,
                            hint="an exported flow is a few levels deep") from None


def _hint(exc: json.JSONDecodeError) -> str | None:
    if exc.pos >= len(exc.doc.rstrip()):
        return "the file ends early: is it truncated?"
    if "Expecting property name" in exc.msg:
        return "remove the trailing comma or quote the key"
    return None


def _second(text: str, key: str) -> tuple[int | None, int | None]:
    """Best guess at the repeated key: its second spelling as a key in the text."""
    hits = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
    if len(hits) < 2:
        return None, None
    return line_col(text, hits[1])


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
