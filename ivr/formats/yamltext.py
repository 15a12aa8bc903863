"""Safe YAML with positions: values from yaml_rs, line and column marks from PyYAML.

yaml_rs (Rust) parses every document: it follows the YAML 1.2 core schema (``no``, ``on``
and ``08:00`` stay strings, which is what a menu means), refuses duplicate keys, bounds
alias expansion and nesting depth, and is ~20x faster than PyYAML on large files. PyYAML
(whose C composer crashes on deep nesting) is then used only on documents yaml_rs has
accepted, and only up to ``MARKS_BYTES``, to find where each key stands. Larger files, which
are generated rather than written, get the lines of their top-level keys and node ids from
a text scan. Values always come from one parser, so positions can never change a number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
import yaml_rs

from ivr.errors import SyntaxProblem
from ivr.formats.text import line_col

#: Files up to this size get a mark for every key; larger ones for top-level keys and nodes.
MARKS_BYTES = 1024 * 1024
#: Values aliases may expand to, in all; past this a document is treated as an alias bomb.
MAX_ALIAS_EVENTS = 200_000

Path = tuple[Any, ...]
Mark = tuple[int, int]

_PARSE_ERROR = re.compile(r"at line (\d+), column (\d+)")


@dataclass
class Document:
    """Parsed YAML values plus where each key stands in the text."""

    file: str
    data: Any
    marks: dict[Path, Mark] = field(default_factory=dict)
    fine: bool = True  # every key marked; False: top-level keys and node ids only

    def where(self, path: Path) -> Mark | tuple[None, None]:
        """Line and column of the key at ``path``, else of its nearest marked ancestor."""
        p = tuple(path)
        while True:
            mark = self.marks.get(p)
            if mark is not None:
                return mark
            if not p:
                return (None, None)
            p = p[:-1]


def key_text(key: Any) -> str | None:
    """A mapping key as the text the user wrote for it (``1:`` -> ``"1"``), or None."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key)
    return None


def parse_yaml(text: str, file: str, *, marks_bytes: int = MARKS_BYTES) -> Document:
    """Parse one YAML document safely; raise SyntaxProblem with a position otherwise."""
    try:
        data = yaml_rs.loads(
            text,
            parse_datetime=False,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_ALIAS_EVENTS),
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
        )
    except yaml_rs.YAMLDecodeError as exc:
        raise _syntax_problem(str(exc), text, file) from None
    except (RecursionError, MemoryError, ValueError, TypeError) as exc:
        raise SyntaxProblem(f"YAML cannot be read: {exc}", file=file) from None
    if isinstance(data, list) and _documents(text) > 1:
        raise SyntaxProblem(
            "the file holds several YAML documents",
            file=file,
            line=1,
            column=1,
            hint="put one menu in a file; remove the extra '---'",
        )
    doc = Document(file, data)
    if len(text) <= marks_bytes:
        doc.marks = _composed_marks(text)
    else:
        doc.marks = _scanned_marks(text)
        doc.fine = False
    return doc


def _documents(text: str) -> int:
    starts = len(re.findall(r"^---(?:\s|$)", text, re.M))
    body_before = re.match(r"\A(?:\s*(?:#[^\n]*)?\n)*---", text) is None
    return starts + (1 if body_before and starts else 0)


def _syntax_problem(message: str, text: str, file: str) -> SyntaxProblem:
    found = _PARSE_ERROR.search(message)
    last = message.strip().splitlines()[-1].strip() if message.strip() else message
    if found:
        line, col = int(found.group(1)), int(found.group(2))
        source_line = text.splitlines()[line - 1] if 0 < line <= len(text.splitlines()) else ""
        return SyntaxProblem(
            f"invalid YAML: {last}", file=file, line=line, column=col,
            hint=_hint(last, source_line),
        )
    if message.startswith("duplicate mapping key"):
        return _duplicate(message, text, file)
    if "alias" in message and "limit" in message:
        anchor = re.search(r"[&*][^\s,\]}]+", text)
        at = line_col(text, anchor.start()) if anchor else None
        return SyntaxProblem(
            f"YAML aliases expand to more than {MAX_ALIAS_EVENTS:,} values",
            file=file, line=at[0] if at else None, column=at[1] if at else None,
            hint="an alias bomb? write the values out instead of nesting aliases",
        )
    return SyntaxProblem(f"invalid YAML: {last}", file=file)


def _hint(message: str, source_line: str) -> str | None:
    stripped = source_line.lstrip()
    if "anchor" in message and stripped.startswith("*"):
        return "quote the key: \"*\": an unquoted * starts an alias"
    if "tab" in message:
        return "indent with spaces, not tabs"
    if "recursion" in message:
        return "the document nests too deeply to be a menu"
    if "unclosed" in message:
        return "close the bracket or quote"
    if "mapping values are not allowed" in message:
        return "quote a value that contains ': '"
    return None


def _duplicate(message: str, text: str, file: str) -> SyntaxProblem:
    shown = message.split(":", 1)[1].strip()
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        root = None
    for _node, first, second in _duplicates(root):
        return SyntaxProblem(
            f"duplicate key {second.value!r} (also at line {first.start_mark.line + 1})",
            file=file,
            line=second.start_mark.line + 1,
            column=second.start_mark.column + 1,
            hint="YAML would keep only the last one; remove or rename one of them",
        )
    return SyntaxProblem(f"duplicate key {shown}", file=file,
                         hint="remove or rename one of them")


def _duplicates(root: Any) -> Iterator[tuple[Any, Any, Any]]:
    seen_nodes: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, Any] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    name = _normal_key(k.value)
                    if name in keys:
                        yield node, keys[name], k
                    keys[name] = k
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _normal_key(raw: str) -> str:
    return str(int(raw)) if re.fullmatch(r"[-+]?[0-9]+", raw) else raw


def _composed_marks(text: str) -> dict[Path, Mark]:
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return {}
    marks: dict[Path, Mark] = {}
    if root is None:
        return marks
    marks[()] = (root.start_mark.line + 1, root.start_mark.column + 1)
    seen: set[int] = set()
    stack: list[tuple[Path, Any]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if id(node) in seen:  # an alias: its positions are those of the anchor
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if not isinstance(k, yaml.ScalarNode):
                    continue
                child = (*path, _normal_key(k.value))
                marks[child] = (k.start_mark.line + 1, k.start_mark.column + 1)
                stack.append((child, v))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                child = (*path, i)
                marks[child] = (v.start_mark.line + 1, v.start_mark.column + 1)
                stack.append((child, v))
    return marks


_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:", re.M)


def _scanned_marks(text: str) -> dict[Path, Mark]:
    """Marks for top-level keys and the ids under ``nodes:``, found by scanning lines."""
    marks: dict[Path, Mark] = {(): (1, 1)}
    tops = list(_TOP_KEY.finditer(text))
    for m in tops:
        marks.setdefault((m.group(1),), line_col(text, m.start()))
    for i, m in enumerate(tops):
        if m.group(1) != "nodes":
            continue
        end = tops[i + 1].start() if i + 1 < len(tops) else len(text)
        block_start = text.find("\n", m.end()) + 1
        first = re.compile(r"^( +)[^\s#]", re.M).search(text, block_start, end)
        if not first:
            break
        indent = len(first.group(1))
        entry = re.compile(
            r"^ {" + str(indent) + r"}(\"[^\"\n]*\"|'[^'\n]*'|[^\s#'\"][^:\n]*?)[ \t]*:(?=\s|$)",
            re.M,
        )
        line = text.count("\n", 0, block_start) + 1
        pos = block_start
        for e in entry.finditer(text, block_start, end):
            line += text.count("\n", pos, e.start())
            pos = e.start()
            key = e.group(1)
            if key[:1] in "\"'":
                key = key[1:-1]
            marks[("nodes", _normal_key(key))] = (line, indent + 1)
        break
    return marks
