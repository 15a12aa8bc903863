"""Where in a menu's prompt each option is named, for callers who barge in.

A caller who barges in presses its key as soon as the prompt has named it: at the end of
the clause that names the key ("For cards, press 2." or "Press 2 for cards,"), a clause
ending at ``.``, ``,``, ``;``, ``:``, ``!`` or ``?``. A key is named by its digit (``2``)
or, when the prompt has no such digit, by its English word (``two``, ``star``,
``pound``). A caller who already knows its
key presses at the first word. The share of the prompt heard is counted in words (the
words of ``say``, as the prompt's duration is), and :func:`prefix_seconds` turns a share
into seconds: the one place that says how long part of a prompt lasts.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ivr.model import Node

#: English words for the keys (digits are matched in any language).
KEY_WORDS = {
    "0": ("zero",), "1": ("one",), "2": ("two",), "3": ("three",), "4": ("four",),
    "5": ("five",), "6": ("six",), "7": ("seven",), "8": ("eight",), "9": ("nine",),
    "*": ("star", "asterisk"), "#": ("pound", "hash", "square"),
}
_CLAUSE_END = re.compile(r"[.,;:!?]['\")\]]*$")
_EDGE = re.compile(r"^[^\w*#]+|[^\w*#]+$")


def _words(text: str | None) -> list[str]:
    return text.split() if text else []


def spoken_share(words: list[str], upto: int) -> float:
    """The share of a prompt of ``words`` heard once its first ``upto`` words are spoken
    (by words, as prompt durations are counted).

    >>> spoken_share("For cards press 2.".split(), 4)
    1.0
    """
    return min(max(upto, 0), len(words)) / len(words) if words else 1.0


def prefix_seconds(seconds: Any, share: Any) -> Any:
    """Seconds of a prompt of ``seconds`` until ``share`` of it has been spoken (numbers
    or numpy arrays alike).

    >>> float(prefix_seconds(8.0, 0.25))
    2.0
    """
    return seconds * np.clip(share, 0.0, 1.0)


def named_at(words: list[str], key: str) -> int | None:
    """How many words have been spoken when the clause naming ``key`` ends (None when
    the prompt does not name it).

    >>> named_at("For cards, press 2. For loans press 3.".split(), "2")
    4
    >>> named_at("Press 3 for loans, or 0 for a person.".split(), "3")
    4
    """
    bare = [_EDGE.sub("", w).lower() for w in words]
    for names in ({key}, set(KEY_WORDS.get(key, ()))):  # the digit first, then its word
        for i, word in enumerate(bare):
            if word in names:
                for j in range(i, len(words)):
                    if _CLAUSE_END.search(words[j]):
                        return j + 1
                return len(words)
    return None


def heard_shares(node: Node) -> dict[str, float]:
    """Per option key of a menu: the share of its prompt a barging caller hears before
    pressing it (1 when the prompt does not name the key, or has no text)."""
    words = _words(node.say)
    out = {}
    for opt in node.options:
        at = named_at(words, opt.key)
        out[opt.key] = 1.0 if at is None else spoken_share(words, at)
    return out


def first_word_share(node: Node) -> float:
    """The share of a prompt spoken by its first word (1 without text: a prompt given
    only in seconds cannot be cut)."""
    return spoken_share(_words(node.say), 1)


__all__ = ["KEY_WORDS", "first_word_share", "heard_shares", "named_at", "prefix_seconds",
           "spoken_share"]
