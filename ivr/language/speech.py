"""How long a prompt takes to say, by what is spoken in its script.

A prompt is cut into runs by script and each run is counted in the unit its language is
timed in: syllables for alphabetic scripts (vowel groups, or every vowel letter where
each one is a syllable, as in Hungarian and Russian), morae for Japanese kana (a kanji
counts :data:`KANJI_MORAE`), one syllable per Chinese character or Korean syllable
block; a run of digits is read as the number words it stands for (up to four digits as
a number, longer runs digit by digit); punctuation, dashes, symbols and emoji are
silent. The count divided by the language's rate in :data:`RATES` is the duration.

The count is additive over text: appending speakable text never makes a prompt shorter
(``tests/test_language.py`` checks it with hypothesis in every script), so a prefix of a
prompt (what a caller hears before pressing a key) never lasts longer than the prompt.
The rates, their sources and what is assumed are in docs/languages.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

#: The pace a menu's ``words_per_second`` is measured against: 2.5 words/s is the
#: default of the menu format (150 words a minute, the usual IVR narration pace), and a
#: menu that sets another value speaks every language that much faster or slower.
DEFAULT_WORDS_PER_SECOND = 2.5
#: Morae in a kanji, read in context: the 24 kanji of the Japanese acceptance prompt in
#: docs/languages.md read 44 morae (1.83 each); most on-readings are two morae.
KANJI_MORAE = 1.8
#: Read speech slows to IVR narration by this factor: English IVR prompts at 2.5 words/s
#: with :data:`EN_SYLLABLES_PER_WORD` are 3.6 syllables/s, against 6.19 syllables/s of
#: read English in Pellegrino, Coupé & Marsico (2011).
EN_SYLLABLES_PER_WORD = 1.44
IVR_FACTOR = DEFAULT_WORDS_PER_SECOND * EN_SYLLABLES_PER_WORD / 6.19


@dataclass(frozen=True, slots=True)
class Rate:
    """A language's narration pace: ``per_second`` units (syllables, or morae for
    Japanese) and where the figure comes from."""

    per_second: float
    unit: str
    source: str


def _read(syllables_per_second: float, source: str) -> Rate:
    return Rate(round(syllables_per_second * IVR_FACTOR, 2), "syllables", source)


_P2011 = "Pellegrino, Coupé & Marsico 2011 (Language 87(3)), read speech"
_MEAN7 = 6.77  # the mean of the seven languages of Pellegrino et al. 2011
#: The one rate table: per language subtag, IVR narration units per second. Read-speech
#: rates are scaled by :data:`IVR_FACTOR`; docs/languages.md gives the reasoning per row.
RATES: dict[str, Rate] = {
    "en": Rate(round(DEFAULT_WORDS_PER_SECOND * EN_SYLLABLES_PER_WORD, 2), "syllables",
               "2.5 words/s (the menu format's default, 150 words a minute) x 1.44 "
               "syllables per word, measured on the English prompts of menus/"),
    "fr": _read(7.18, f"7.18 syl/s, {_P2011}"),
    "de": _read(5.97, f"5.97 syl/s, {_P2011}"),
    "it": _read(6.99, f"6.99 syl/s, {_P2011}"),
    "es": _read(7.82, f"7.82 syl/s, {_P2011}"),
    "zh": _read(5.18, f"5.18 syl/s (Mandarin), {_P2011}; one syllable per character"),
    "yue": _read(5.18, f"assumed as Mandarin (5.18 syl/s, {_P2011}); one syllable per "
                 "character"),
    "pt": _read(7.82, "assumed as Spanish (7.82 syl/s): Voigt & Schüppert 2013 find no "
                "difference in canonical articulation rate between Portuguese and Spanish"),
    "ja": Rate(5.33, "morae",
               "320 morae/min: the low end of the pace Japanese listeners judged ideal for "
               "synthetic announcements (Prafiyanto et al. 2018, Acoust. Sci. & Tech. "
               "39(2)); Pellegrino et al. 2011 read 7.84 syl/s, x 0.57 for IVR = 4.5 "
               "syl/s, about 5.4 morae/s at 1.2 morae per syllable"),
    "hu": _read(_MEAN7, "not in Pellegrino et al. 2011: assumed at their seven-language "
                "mean (6.77 syl/s); Hungarian syllables are simple (mostly CV, CVC)"),
    "et": _read(_MEAN7, "not in Pellegrino et al. 2011: assumed at their seven-language "
                "mean (6.77 syl/s); long vowels and geminates make some syllables slow"),
    "ru": _read(_MEAN7, "not in Pellegrino et al. 2011: assumed at their seven-language "
                "mean (6.77 syl/s)"),
    "ko": _read(_MEAN7, "not in Pellegrino et al. 2011: assumed at their seven-language "
                "mean (6.77 syl/s); one syllable per Hangul block"),
}
#: Languages not in :data:`RATES` are timed at this rate (the seven-language mean).
OTHER = _read(_MEAN7, "not measured: the seven-language mean of Pellegrino et al. 2011")

# -- counting -----------------------------------------------------------------------------

_LATIN_VOWELS = "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿāăąēĕėęěīĭįıōŏőœūŭůűųőű"
_CYRILLIC_VOWELS = "аеёиоуыэюяіїєў"
_GREEK_VOWELS = "αεηιουωάέήίόύώϊϋΐΰ"
#: Vowel letters by language, and whether every vowel letter is its own syllable (no
#: diphthongs written as two letters) or a run of vowel letters is one.
_VOWELS: dict[str, tuple[str, bool]] = {
    "en": ("aeiouy", False),
    "es": ("aeiouáéíóúü", False),
    "it": ("aeiouàèéìíòóù", False),
    "pt": ("aeiouáâãàéêíóôõú", False),
    "fr": ("aeiouyàâæéèêëîïôœùûü", False),
    "de": ("aeiouyäöü", False),
    "et": ("aeiouõäöü", False),
    "hu": ("aáeéiíoóöőuúüű", True),
    "fi": ("aeiouyäö", False),
    "ru": (_CYRILLIC_VOWELS, True),
    "uk": (_CYRILLIC_VOWELS, True),
    "be": (_CYRILLIC_VOWELS, True),
    "bg": (_CYRILLIC_VOWELS, True),
    "sr": (_CYRILLIC_VOWELS + "aeiou", True),
    "el": (_GREEK_VOWELS, False),
}
_GENERIC = (_LATIN_VOWELS + _CYRILLIC_VOWELS + _GREEK_VOWELS, False)

#: Syllables (morae for Japanese) of the digits 0-9 said as numbers, and of the words
#: for tens, hundreds and thousands ("-ty", "hundred", "thousand"), by language.
_NUMBERS: dict[str, tuple[tuple[int, ...], tuple[int, int, int]]] = {
    "en": ((2, 1, 1, 1, 1, 1, 1, 2, 1, 1), (1, 2, 2)),
    "es": ((2, 2, 1, 1, 2, 2, 1, 2, 2, 2), (2, 2, 2)),
    "it": ((2, 2, 2, 1, 2, 2, 1, 2, 2, 2), (2, 2, 2)),
    "pt": ((2, 1, 1, 1, 2, 2, 1, 2, 2, 2), (2, 2, 2)),
    "fr": ((2, 1, 1, 1, 1, 1, 1, 1, 1, 1), (1, 1, 1)),
    "de": ((1, 1, 1, 1, 1, 1, 1, 2, 1, 1), (2, 2, 2)),
    "hu": ((2, 1, 2, 2, 1, 1, 1, 1, 1, 2), (2, 2, 2)),
    "et": ((1, 1, 1, 1, 2, 1, 1, 2, 3, 3), (2, 2, 2)),
    "ru": ((1, 2, 1, 1, 3, 1, 1, 1, 2, 2), (2, 2, 3)),
    "ja": ((2, 2, 1, 2, 2, 1, 2, 2, 2, 2), (2, 2, 2)),
    "zh": ((1, 1, 1, 1, 1, 1, 1, 1, 1, 1), (1, 1, 1)),
    "ko": ((1, 1, 1, 1, 1, 1, 1, 1, 1, 1), (1, 1, 1)),
}
_SMALL_KANA = frozenset("ゃゅょぁぃぅぇぉゎゕゖ"  # small kana join the mora before them
                        "ャュョァィゥェォヮヵヶ"
                        "ㇰㇱㇲㇳㇴㇵㇶㇷㇸㇹㇺㇻㇼㇽㇾㇿ")
#: Letters of scripts with no syllable rule here (Arabic, Hebrew, Indic, Thai...): a
#: unit every this many letters.
_LETTERS_PER_UNIT = 2.5


def _kind(ch: str) -> str:
    """The counting class of one character: 'digit', 'kana', 'han', 'hangul', 'alpha'
    (Latin, Cyrillic, Greek), 'letter' (other scripts), 'mark' or 'silent'."""
    if ch.isdecimal():
        return "digit"
    o = ord(ch)
    if 0x3041 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D:
        return "kana"
    if 0xAC00 <= o <= 0xD7A3:
        return "hangul"
    cat = unicodedata.category(ch)
    if cat in ("Mn", "Mc"):
        return "mark"
    if cat == "Lo" and (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o
                        <= 0x3134F or 0xF900 <= o <= 0xFAFF or o == 0x3005):
        return "han"
    if cat[0] == "L":
        if o < 0x0250 or 0x1E00 <= o <= 0x1EFF or 0x0370 <= o <= 0x052F:
            return "alpha"
        return "letter"
    return "silent"


class _Classes(dict[int, str]):
    """Code point -> one-letter class, filled on first sight: ``str.translate`` with it
    classifies a whole prompt at C speed."""

    def __missing__(self, code: int) -> str:
        value = _CODE[_kind(chr(code))]
        self[code] = value
        return value


_CODE = {"digit": "d", "kana": "k", "hangul": "g", "mark": "m", "han": "h", "alpha": "a",
         "letter": "l", "silent": " "}
_KIND = {v: k for k, v in _CODE.items()}
_CLASSES = _Classes()
_ASCII = re.compile(r"[A-Za-z]+|[0-9]+")
#: A run: one class, with the combining marks after it.
_RUN = re.compile(r"([adkhgl])(?:\1|m)*")


def _runs(text: str) -> list[tuple[str, str, str]]:
    """Maximal runs of one class (combining marks stay with the run before them), each
    with its class letters."""
    classes = text.translate(_CLASSES)
    return [(_KIND[m.group(1)], text[m.start():m.end()], m.group(0))
            for m in _RUN.finditer(classes)]


@lru_cache(maxsize=65536)
def _word_syllables(word: str, lang: str) -> int:
    """Syllables of one alphabetic word: vowel groups (or vowel letters), at least one."""
    vowels, each = _VOWELS.get(lang, _GENERIC)
    w = "".join(c for c in unicodedata.normalize("NFD", word.casefold())
                if unicodedata.category(c) != "Mn") if lang in ("en", "fr", "de") else \
        word.casefold()
    count, prev = 0, False
    for c in w:
        v = c in vowels
        if v and (each or not prev):
            count += 1
        prev = v
    if lang in ("en", "fr") and count > 1 and len(w) > 2:
        last, before = w[-1], w[-2]
        if last == "e" and before not in vowels and not (lang == "en" and before == "l"):
            count -= 1  # silent final e: "press", "make", "ligne"
        elif lang == "en" and w.endswith("ed") and w[-3] not in vowels + "td":
            count -= 1  # "pressed", "called"
        elif lang == "fr" and w.endswith("es") and w[-3] not in vowels:
            count -= 1
    return max(count, 1)


def _numbers(lang: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    digits, places = _NUMBERS.get(lang, _NUMBERS["en"])
    return digits, (0, *accumulate(places, max))  # a higher place never says less


@lru_cache(maxsize=16384)
def _number_units(run: str, lang: str) -> float:
    """Syllables of a run of digits said as a number (up to 4 digits) or digit by digit.

    Examples
    --------
    >>> _number_units("0", "en"), _number_units("12", "en"), _number_units("1000", "en")
    (2.0, 3.0, 3.0)
    >>> _number_units("0800123456", "en")  # a phone number: digit by digit
    13.0
    >>> _number_units("0\u0300", "en")  # a combining mark on the digit is silent
    2.0
    """
    digits, places = _numbers(lang)
    # A combining mark on a digit ("0̀") rides along in the run: it says nothing.
    values = [d for d in (unicodedata.decimal(c, -1) for c in run) if d >= 0]
    if not values:
        return 0.0

    def by_digit(vs: list[int]) -> float:
        return float(sum(digits[v] for v in vs))

    def as_number(vs: list[int]) -> float:
        if vs == [0]:
            return float(digits[0])
        n = len(vs)
        return float(sum(digits[v] + places[n - 1 - i] for i, v in enumerate(vs) if v))

    if values[0] == 0 and len(values) > 1:
        return by_digit(values)
    if len(values) <= 4:
        return as_number(values)
    return max(by_digit(values), as_number(values[:4]) + by_digit(values[4:]))


@lru_cache(maxsize=4096)
def units(text: str, language: str = "en") -> float:
    """What is spoken in ``text``, in its language's unit (syllables; morae for Japanese).

    Examples
    --------
    >>> units("For billing, press 1.")
    5.0
    >>> units("Связаться с оператором — 0", "ru")
    10.0
    >>> units("お電話ありがとうございます。", "ja")  # 2 kanji + 11 kana
    14.6
    >>> units("— * !! 🙂"), units("")
    (0.0, 0.0)
    """
    lang = language.split("-", 1)[0].lower()
    if text.isascii():  # the common case, with the same result as the general one
        return round(sum((_number_units(t, lang) if t[0] <= "9" else _word_syllables(t, lang)
                          for t in _ASCII.findall(text)), 0.0), 6)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    total = 0.0
    for kind, run, classes in _runs(text):
        if kind == "alpha":
            total += _word_syllables(run, lang)
        elif kind == "digit":
            total += _number_units(run, lang)
        elif kind == "kana":
            total += classes.count("k") - sum(c in _SMALL_KANA for c in run)
        elif kind == "han":
            total += classes.count("h") * (KANJI_MORAE if lang == "ja" else 1.0)
        elif kind == "hangul":
            total += classes.count("g")
        else:  # letters of a script with no syllable rule here
            total += classes.count("l") / _LETTERS_PER_UNIT
    return round(total, 6)


def rate_of(language: str = "en", words_per_second: float | None = None) -> float:
    """Units per second for ``language``; a menu's ``words_per_second`` scales it by
    its ratio to the default 2.5 (a menu at 3.0 speaks every language 20% faster).

    Examples
    --------
    >>> rate_of("en"), rate_of("en", 5.0), rate_of("ja")
    (3.6, 7.2, 5.33)
    """
    rate = RATES.get(language.split("-", 1)[0].lower(), OTHER).per_second
    if words_per_second is None:
        return rate
    return rate * words_per_second / DEFAULT_WORDS_PER_SECOND


def seconds_of(text: str, language: str = "en", rate: float | None = None) -> float:
    """Seconds it takes to say ``text`` in ``language`` at ``rate`` units per second
    (default: the language's narration rate, :data:`RATES`).

    Examples
    --------
    >>> round(seconds_of("For billing, press 1. To speak to someone, press 0."), 2)
    3.61
    >>> round(seconds_of("Per la fatturazione, prema 1.", "it"), 2)
    2.7
    """
    per_second = rate_of(language) if rate is None else rate
    return units(text, language) / per_second


__all__ = ["DEFAULT_WORDS_PER_SECOND", "IVR_FACTOR", "KANJI_MORAE", "OTHER", "RATES", "Rate",
           "rate_of", "seconds_of", "units"]
