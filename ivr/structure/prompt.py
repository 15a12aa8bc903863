"""Where in a menu's prompt each option is named, for callers who barge in.

A caller who barges in presses its key as soon as the prompt has named it: at the end of
the clause that names the key ("For cards, press 2." or "Press 2 for cards,"; clauses end
at sentence punctuation and commas, 。 and 、 included). A key is named by its digit (or
its full-width form), or by the prompt language's word for 0, * and # (``zero``,
``star``, ``pound``; :data:`ivr.language.phrases.KEY_WORDS`). A caller who already
knows its key presses at the first word. What part of the prompt has been heard is
counted as the prompt's duration is, in the language's spoken units (syllables, morae;
:func:`ivr.language.speech.units`), and :func:`prefix_seconds` turns that share into
seconds: the one place that says how long part of a prompt lasts.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np

from ivr.language.phrases import KEY_WORDS, NO_SPACES
from ivr.language.speech import units
from ivr.model import Node

_CLAUSE_END = re.compile(r"[.!?;:\n,。！？；：、，]")
_WIDE = str.maketrans("0123456789*#", "０１２３４５６７８９＊＃")


def prefix_seconds(seconds: Any, share: Any) -> Any:
    """Seconds of a prompt of ``seconds`` until ``share`` of it has been spoken (numbers
    or numpy arrays alike).

    >>> float(prefix_seconds(8.0, 0.25))
    2.0
    """
    return seconds * np.clip(share, 0.0, 1.0)


def spoken_share(text: str, end: int, language: str = "en") -> float:
    """The share of prompt ``text`` spoken once its first ``end`` characters are, in the
    units its duration is counted in (1 for a prompt with nothing to say).

    >>> spoken_share("For cards, press 2. For loans, press 3.", 19)
    0.5
    """
    whole = units(text, language)
    return min(units(text[:end], language) / whole, 1.0) if whole > 0 else 1.0


def named_at(text: str, key: str, language: str = "en") -> int | None:
    """Where the clause that names ``key`` ends in ``text`` (a character offset past its
    punctuation), or None when the prompt does not name the key.

    >>> text = "For cards, press 2. Press 3 for loans, or 0 for someone."
    >>> named_at(text, "2"), named_at(text, "3"), named_at(text, "0"), named_at(text, "7")
    (19, 38, 56, None)
    >>> named_at("料金は1を、担当者は0を押してください。", "0", "ja")
    20
    """
    nfc = unicodedata.normalize("NFC", text)
    spots = [m.start() for form in dict.fromkeys((key, key.translate(_WIDE)))
             for m in re.finditer(r"(?<![0-9０-９])" + re.escape(form) + r"(?![0-9０-９])",
                                  nfc)]
    if not spots:
        words = [w for w, k in KEY_WORDS.get(language.split("-", 1)[0].lower(), {}).items()
                 if k == key]
        folded = nfc.casefold()
        spots = [m.start() for w in words
                 for m in re.finditer(r"(?<!\w)" + re.escape(w), folded)]
    if not spots:
        return None
    end = _CLAUSE_END.search(nfc, min(spots))
    return end.end() if end else len(nfc)


def heard_shares(node: Node, language: str = "en") -> dict[str, float]:
    """Per option key of a menu: the share of its prompt a barging caller hears before
    pressing it (1 when the prompt does not name the key, or has no text)."""
    text = node.say or ""
    out = {}
    for opt in node.options:
        at = named_at(text, opt.key, language)
        out[opt.key] = 1.0 if at is None else spoken_share(text, at, language)
    return out


def first_word_share(node: Node, language: str = "en") -> float:
    """The share of a prompt spoken by its first word: up to the first space, or the
    first character in a language written without spaces (1 without text: a prompt given
    only in seconds cannot be cut)."""
    text = (node.say or "").strip()
    if not text:
        return 1.0
    lang = language.split("-", 1)[0].lower()
    first = text[:1] if lang in NO_SPACES else text.split()[0]
    return spoken_share(text, len(first), language)


__all__ = ["first_word_share", "heard_shares", "named_at", "prefix_seconds", "spoken_share"]
