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

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate, repeat
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

    def where(self, path: Path) -> Mark:
        """Line and column of the key at ``path``, else of its nearest marked ancestor (the
        document itself starts at 1:1, even when it is empty or only comments)."""
        mark = self.marks.get(path)
        if mark is not None:
            return mark
        p = tuple(path)
        while True:
            mark = self.marks.get(p)
            if mark is not None:
                return mark
            if not p:
                return (1, 1)
            p = p[:-1]


def key_text(key: Any) -> str | None:
    """A mapping key as the text the user wrote for it (``1:`` -> ``"1"``), or None."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(key) if abs(key) < 10**100 else None  # not a key anyone wrote to read
    return None


def parse_yaml(text: str, file: str, *, marks_bytes: int = MARKS_BYTES) -> Document:
    """Parse one YAML document safely; raise SyntaxProblem with a position otherwise."""
    deep = _too_deep(text)
    if deep is not None:  # yaml_rs bounds flow nesting, not block nesting (it crashes near
        line, col = line_col(text, deep)  # 15,000 levels)
        raise SyntaxProblem(f"the YAML nests more than {MAX_DEPTH:,} levels deep", file=file,
                            line=line, column=col, hint="a menu never nests like this")
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
        raise SyntaxProblem(f"YAML cannot be read: {exc}", file=file, line=1, column=1) from None
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
        scan = _composed_marks(text)
        doc.marks = scan.marks
        if scan.problem is not None:
            message, (line, col), hint = scan.problem
            raise SyntaxProblem(message, file=file, line=line, column=col, hint=hint)
    else:
        doc.marks = _scanned_marks(text)
        doc.fine = False
    if "<<" in text:
        try:
            doc.data = merge_keys(doc.data)
        except _MergeError as exc:
            at = doc.where(exc.path)
            raise SyntaxProblem("a merge key (<<) must name a mapping or a list of them",
                                file=file, line=at[0], column=at[1],
                                hint="write <<: *anchor, where the anchor is a mapping") from None
    return doc


class _MergeError(Exception):
    def __init__(self, path: Path) -> None:
        super().__init__("bad merge key")
        self.path = path


def merge_keys(data: Any, path: Path = ()) -> Any:
    """Apply YAML merge keys (``<<: *base`` or ``<<: [*a, *b]``); explicit keys win.

    yaml_rs follows YAML 1.2, which dropped merge keys, but menu authors use them to share
    settings between nodes.

    Examples
    --------
    >>> merge_keys({"base": {"kind": "menu", "timeout": 7},
    ...             "main": {"<<": {"kind": "menu", "timeout": 7}, "timeout": 3}})["main"]
    {'timeout': 3, 'kind': 'menu'}
    """
    if isinstance(data, list):
        return [merge_keys(v, (*path, i)) for i, v in enumerate(data)]
    if not isinstance(data, dict):
        return data
    out = {k: merge_keys(v, (*path, k)) for k, v in data.items() if k != "<<"}
    if "<<" in data:
        sources = data["<<"] if isinstance(data["<<"], list) else [data["<<"]]
        for src in sources:
            if not isinstance(src, dict):
                raise _MergeError((*path, "<<"))
            for k, v in merge_keys(src, (*path, "<<")).items():
                out.setdefault(k, v)
    return out


def _documents(text: str) -> int:
    starts = len(re.findall(r"^---(?:\s|$)", text, re.M))
    body_before = re.match(r"\A(?:\s*(?:#[^\n]*)?\n)*---", text) is None
    return starts + (1 if body_before and starts else 0)


def _syntax_problem(message: str, text: str, file: str) -> SyntaxProblem:
    found = _PARSE_ERROR.search(message)
    last = message.strip().splitlines()[-1].strip() if message.strip() else message
    if found:
        line, col = int(found.group(1)), int(found.group(2))
        lines = re.split(r"\r\n|\r|\n", text)  # YAML's line breaks
        source_line = lines[line - 1] if 0 < line <= len(lines) else ""
        before = [i for i in range(max(line - 1, 0)) if lines[i].strip()]
        previous = lines[before[-1]] if before else ""
        if "tab" in last and "\t" in source_line:
            col = source_line.index("\t") + 1
        if previous.lstrip().startswith("*:") and not source_line.lstrip().startswith("*"):
            # An unquoted *: key is an alias to the parser, which stumbles a line later.
            line, col = before[-1] + 1, previous.index("*") + 1
            source_line = previous
        return SyntaxProblem(
            f"invalid YAML: {last}", file=file, line=line, column=col,
            hint=_hint(last, source_line, previous),
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
    return SyntaxProblem(f"invalid YAML: {last}", file=file, line=1, column=1)


def _hint(message: str, source_line: str, previous: str = "") -> str | None:
    stripped = source_line.lstrip()
    if ("anchor" in message and stripped.startswith("*")) or previous.lstrip().startswith("*:"):
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
        root = yaml.compose(_composable(text), Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        root = None
    for _node, first, second in _duplicates(root):
        return SyntaxProblem(
            f"duplicate key {second.value!r} (also at line {first.start_mark.line + 1})",
            file=file,
            line=second.start_mark.line + 1,
            column=second.start_mark.column + 1,
            hint="YAML would keep only the last one; remove or rename one of them",
        )
    key = shown.strip("'\"")
    found = [m.start() for m in re.finditer(
        r"(?m)^[ \t]*[\"']?" + re.escape(key) + r"[\"']?[ \t]*:|[{,][ \t]*[\"']?"
        + re.escape(key) + r"[\"']?[ \t]*:", text)]
    line, col = line_col(text, found[min(1, len(found) - 1)]) if found else (1, 1)
    return SyntaxProblem(f"duplicate key {shown}", file=file, line=line, column=col,
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
                    name = _key_name(k)
                    if name in keys:
                        yield node, keys[name], k
                    keys[name] = k
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _key_name(key: Any) -> str:
    """The name a PyYAML key node stands for: quoted as written, plain digits normalised."""
    return key.value if key.style else _normal_key(key.value)


_INT_KEY = re.compile(r"[-+]?[0-9]+")


def _normal_key(raw: str) -> str:
    return str(int(raw)) if _INT_KEY.fullmatch(raw) else raw


#: Plain scalars of digits and underscores (``__4``, ``1_0``): yaml_rs reads them as numbers,
#: YAML 1.2 as text; refused so that nothing is silently changed.
_DIGITS_UNDERSCORES = re.compile(r"[-+]?(?=[0-9_]*[0-9])[0-9_]*_[0-9_]*")
#: Plain keys that read as a number other than as written (``007``, ``0x1F``, ``+1``, ``1e3``).
_NUMBER_KEY = re.compile(
    r"[-+]?(?:0[xXoObB][0-9a-fA-F_]*|(?=[0-9_.]*[0-9])[0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?)"
)
_CANONICAL_KEY = re.compile(r"[0-9]|[1-9][0-9]*")
#: Deepest block nesting accepted (indentation and "- "/"? " indicators at a line's start).
MAX_DEPTH = 1000
_TOO_DEEP = re.compile(r"(?:[ \t]|[-?:][ \t]){" + str(MAX_DEPTH) + "}")
#: The same after a line break: a literal start, which the engine finds fast (``^`` under
#: re.M is tried at every offset: 60 ms against 12 ms on a 9 MB menu).
_TOO_DEEP_LINE = re.compile(r"\n" + _TOO_DEEP.pattern)


def _too_deep(text: str) -> int | None:
    """Where the first line nested more than MAX_DEPTH levels starts, or None."""
    if _TOO_DEEP.match(text):
        return 0
    found = _TOO_DEEP_LINE.search(text)
    return None if found is None else found.start() + 1


@dataclass
class _Scan:
    marks: dict[Path, Mark]
    problem: tuple[str, Mark, str] | None = None  # message, position, hint


#: A UTF-16 surrogate escape (``\\ud83d``): yaml_rs joins a pair into one character,
#: PyYAML refuses every one of them.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _composable(text: str) -> str:
    """The text with each surrogate escape replaced by one of the same length, so PyYAML
    composes it and every mark stays where it was."""
    return _SURROGATE_ESCAPE.sub(r"\\u0020", text) if "\\u" in text else text


def _composed_marks(text: str) -> _Scan:
    """Marks of every key; also the first scalar yaml_rs would read differently from YAML 1.2,
    and recursive aliases (which yaml_rs reads as null). Where PyYAML cannot compose what
    yaml_rs accepted, the marks of a line scan (top-level keys and node ids)."""
    text = _composable(text)
    try:
        root = yaml.compose(text, Loader=yaml.CSafeLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return _Scan(_scanned_marks(text))
    scan = _Scan({})
    if root is None:
        return scan
    pos = _positions(text)
    marks = scan.marks
    marks[()] = pos(root.start_mark)
    active: set[int] = set()
    done: set[int] = set()
    stack: list[tuple[bool, Path, Any]] = [(True, (), root)]
    while stack:
        enter, path, node = stack.pop()
        if not enter:
            active.discard(id(node))
            continue
        if id(node) in active and scan.problem is None:
            scan.problem = ("an alias refers to the mapping or list that contains it",
                            marks.get(path, pos(node.start_mark)),
                            "a recursive alias cannot be a menu; write the value out")
            continue
        if id(node) in done:  # an alias: its positions are those of the anchor
            continue
        done.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            if (scan.problem is None and not node.style and "_" in node.value
                    and _DIGITS_UNDERSCORES.fullmatch(node.value)):
                scan.problem = (f"{node.value!r} would be read as a number here",
                                pos(node.start_mark),
                                f'quote it ("{node.value}") if it is a name, '
                                "or drop the underscores")
            continue
        active.add(id(node))
        stack.append((False, path, node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if not isinstance(k, yaml.ScalarNode):
                    continue
                raw = k.value
                if (not k.style and scan.problem is None and _NUMBER_KEY.fullmatch(raw)
                        and not _CANONICAL_KEY.fullmatch(raw)):
                    scan.problem = (f"the key {raw!r} would be read as a number, "
                                    "not as written", pos(k.start_mark),
                                    f'quote it: "{raw}"')
                child = (*path, _key_name(k))
                marks[child] = pos(k.start_mark)
                stack.append((True, child, v))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                child = (*path, i)
                marks[child] = pos(v.start_mark)
                stack.append((True, child, v))
    return scan


def _positions(text: str) -> Any:
    """Mark -> (line, column), counting only \\n (and \\r) as line breaks like editors do.

    PyYAML also breaks lines at U+0085, U+2028 and U+2029; when the text has any, positions
    are recomputed from the character offset.
    """
    if not any(c in text for c in "\x85\u2028\u2029"):
        return lambda m: (m.line + 1, m.column + 1)
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def pos(mark: Any) -> Mark:
        line = bisect.bisect_right(starts, mark.index) - 1
        return (line + 1, mark.index - starts[line] + 1)

    return pos


# Top-level keys: at the start of the text, and after a line break (a literal start, which
# the regular-expression engine finds fast, unlike ``^`` with re.M, tried at every offset).
_FIRST_KEY = re.compile(r"([A-Za-z_][\w-]*)[ \t]*:")
_TOP_KEY = re.compile(r"\n([A-Za-z_][\w-]*)[ \t]*:")


def _scanned_marks(text: str) -> dict[Path, Mark]:
    """Marks for top-level keys and the ids under ``nodes:``, found by scanning lines."""
    marks: dict[Path, Mark] = {(): (1, 1)}
    first_key = _FIRST_KEY.match(text)
    tops = [(m.group(1), m.start(1), m.end())
            for m in ([first_key] if first_key else []) + list(_TOP_KEY.finditer(text))]
    for name, start, _ in tops:
        marks.setdefault((name,), line_col(text, start))
    for i, (name, _, key_end) in enumerate(tops):
        if name != "nodes":
            continue
        end = tops[i + 1][1] if i + 1 < len(tops) else len(text)
        block_start = text.find("\n", key_end) + 1
        first = re.compile(r"^( +)[^\s#]", re.M).search(text, block_start, end)
        if not first:
            break
        indent = len(first.group(1))
        # From the line break before each line: a literal start the regex engine finds fast.
        entry = re.compile(
            r"\n {" + str(indent) + r"}(\"[^\"\n]*\"|'[^'\n]*'|[^\s#'\"][^:\n]*?)[ \t]*:(?=\s|$)",
            re.M)
        # One regular-expression pass over the block, and no Python loop over its nodes:
        # the line of each is counted from the one before by map() (C), and the marks
        # stored by one update; quoted and number-like ids only are looked at one by one.
        found = list(entry.finditer(text, max(block_start - 1, 0), end))
        at = list(map(re.Match.start, found))  # the line break before each node's line
        keys = list(map(re.Match.group, found, repeat(1)))
        if keys and not min(keys)[:1] > "9":  # a quote, a digit or a sign starts one
            keys = [_normal_key(k[1:-1] if k[:1] in "\"'" else k) for k in keys]
        lines = accumulate(map(text.count, repeat("\n"), [0, *at[:-1]], at), initial=2)
        next(lines)
        paths = zip(repeat("nodes"), keys, strict=False)
        marks.update(zip(paths, zip(lines, repeat(indent + 1), strict=False), strict=True))
        break
    return marks
