"""Text as a terminal shows it: CJK characters take two columns, combining marks none.

Tables and ``ivr call`` pad and wrap by display width (``wcwidth``), not by ``len``, so
a Japanese node id lines up and a Japanese prompt wraps before the terminal's edge.
"""

from __future__ import annotations

import unicodedata

from wcwidth import wcswidth, wcwidth


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal (unprintable characters count as one).

    Examples
    --------
    >>> width("main"), width("主メニュー"), width("főmenü")
    (4, 10, 6)
    """
    w = wcswidth(text)
    if w >= 0:
        return int(w)
    return sum(max(wcwidth(c), 0 if unicodedata.combining(c) else 1) for c in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` display columns (left-aligned unless
    ``right``); longer text is left as it is.

    Examples
    --------
    >>> pad("主", 4) + "|", pad("ab", 4, right=True)
    ('主  |', '  ab')
    """
    fill = " " * max(columns - width(text), 0)
    return fill + text if right else text + fill


def wrap(text: str, columns: int, indent: str = "", subsequent: str | None = None) -> list[str]:
    """Lines of at most ``columns`` display columns: breaks at spaces, and anywhere
    between double-width characters (Japanese and Chinese have no spaces to break at).

    Examples
    --------
    >>> wrap("お電話ありがとうございます。ご用件をどうぞ。", 16)
    ['お電話ありがとう', 'ございます。ご用', '件をどうぞ。']
    >>> wrap("press 1 for billing", 10, "> ")
    ['> press 1', '  for', '  billing']
    """
    rest = " " * len(indent) if subsequent is None else subsequent
    lines: list[str] = []
    line, used, prefix = "", 0, indent
    room = max(columns - width(prefix), 1)
    for token in _tokens(text):
        w = width(token)
        if token == " ":
            if line and used + 1 <= room:
                line, used = line + " ", used + 1
            continue
        if used + w > room and line.strip():
            lines.append(prefix + line.rstrip())
            prefix, line, used = rest, "", 0
            room = max(columns - width(prefix), 1)
        while w > room:  # a word longer than a line: cut it
            cut, cw = "", 0
            for ch in token:
                if cw + width(ch) > room:
                    break
                cut, cw = cut + ch, cw + width(ch)
            lines.append(prefix + cut)
            prefix, token = rest, token[len(cut):]
            room = max(columns - width(prefix), 1)
            w = width(token)
        line, used = line + token, used + w
    if line.strip() or not lines:
        lines.append(prefix + line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Words, single spaces, and each double-width character on its own."""
    out: list[str] = []
    word = ""
    for ch in " ".join(text.split()):
        if ch == " " or wcwidth(ch) == 2:
            if word:
                out.append(word)
                word = ""
            out.append(ch)
        else:
            word += ch
    if word:
        out.append(word)
    return out


__all__ = ["pad", "width", "wrap"]
