"""Replace the text between two markers of a Markdown file (atomically)."""

from __future__ import annotations

import os


def replace_section(path: str, begin: str, end: str, table: str) -> None:
    """Put ``table`` (which starts with ``begin`` and ends with ``end``) into ``path``."""
    old = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            old = fh.read()
    if begin in old and end in old:
        new = old[: old.index(begin)] + table + old[old.index(end) + len(end):]
    else:
        new = old + ("\n" if old else "") + table + "\n"
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(new)
    os.replace(tmp, path)


def publish(table: str, path: str | None, begin: str, end: str) -> None:
    """Print ``table``, and put it into the Markdown file ``path`` when one is given."""
    print(table)
    if path:
        replace_section(path, begin, end, table)
