"""BCP 47 language tags (``ja``, ``hu-HU``, ``pt-BR``, ``zh-Hant-TW``): checked, normalised.

A small table of the language subtags phone menus are written in is kept here rather than
the whole IANA registry (``langcodes`` would bring it, with several megabytes of data):
a menu's language decides how its prompts are timed and which phrases are looked for, so
an unknown subtag is refused with the closest known one rather than silently timed as
English. Scripts, regions and variants are checked for their shape only.
"""

from __future__ import annotations

import difflib
import re

#: ISO 639 language subtag -> English name, for every language a menu may be written in.
LANGUAGES: dict[str, str] = {
    "af": "Afrikaans", "am": "Amharic", "ar": "Arabic", "az": "Azerbaijani",
    "be": "Belarusian", "bg": "Bulgarian", "bn": "Bengali", "bs": "Bosnian",
    "ca": "Catalan", "cs": "Czech", "cy": "Welsh", "da": "Danish", "de": "German",
    "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish", "et": "Estonian",
    "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fil": "Filipino", "fr": "French",
    "ga": "Irish", "gl": "Galician", "gu": "Gujarati", "he": "Hebrew", "hi": "Hindi",
    "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "id": "Indonesian",
    "is": "Icelandic", "it": "Italian", "ja": "Japanese", "ka": "Georgian", "kk": "Kazakh",
    "km": "Khmer", "kn": "Kannada", "ko": "Korean", "lt": "Lithuanian", "lv": "Latvian",
    "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi",
    "ms": "Malay", "mt": "Maltese", "my": "Burmese", "nb": "Norwegian Bokmål",
    "ne": "Nepali", "nl": "Dutch", "nn": "Norwegian Nynorsk", "no": "Norwegian",
    "pa": "Punjabi", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian", "ru": "Russian",
    "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "th": "Thai", "tl": "Tagalog",
    "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese",
    "yue": "Cantonese", "zh": "Chinese", "zu": "Zulu",
}
#: Frequent mistakes: a country code or a name written where the language goes.
_MISTAKES = {"jp": "ja", "cn": "zh", "kr": "ko", "ee": "et", "gr": "el", "se": "sv",
             "dk": "da", "cz": "cs", "ua": "uk", "ir": "fa", "il": "he", "br": "pt",
             "gb": "en", "uk-ua": "uk", "us": "en", "vn": "vi", "rs": "sr", "si": "sl"}
#: ISO 639-2/3 codes written where the two-letter subtag goes.
_THREE = {"eng": "en", "spa": "es", "ita": "it", "hun": "hu", "est": "et", "jpn": "ja",
          "rus": "ru", "deu": "de", "ger": "de", "fra": "fr", "fre": "fr", "por": "pt",
          "zho": "zh", "chi": "zh", "cmn": "zh", "kor": "ko", "ukr": "uk", "pol": "pl",
          "nld": "nl", "dut": "nl", "fin": "fi", "swe": "sv", "ces": "cs", "cze": "cs",
          "ell": "el", "gre": "el", "tur": "tr", "ara": "ar", "heb": "he", "lav": "lv",
          "lit": "lt", "ron": "ro", "rum": "ro", "slk": "sk", "slo": "sk", "vie": "vi"}
_BY_NAME = {name.casefold(): code for code, name in LANGUAGES.items()}
_TAG = re.compile(
    r"(?P<lang>[A-Za-z]{2,3})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<rest>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"
    r"(?:-[A-WY-Za-wy-z0-9](?:-[A-Za-z0-9]{2,8})+)*"
    r"(?:-[Xx](?:-[A-Za-z0-9]{1,8})+)?)")


class TagError(ValueError):
    """A language tag that is malformed or names an unknown language; ``hint`` says the fix."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


def suggest(tag: str) -> str | None:
    """The tag the writer probably meant, or None.

    Examples
    --------
    >>> suggest("jp"), suggest("Japanese"), suggest("pt_BR"), suggest("hun")
    ('ja', 'ja', 'pt-BR', 'hu')
    """
    raw = tag.strip()
    low = raw.casefold().replace("_", "-")
    if low in _MISTAKES:
        return _MISTAKES[low]
    if low in _BY_NAME:
        return _BY_NAME[low]
    if "_" in raw or raw != raw.strip():
        try:
            return normalize(raw.strip().replace("_", "-"))
        except TagError:
            pass
    head = low.split("-")[0]
    if head in _MISTAKES:
        return _MISTAKES[head]
    if head in _THREE:  # hun, rus, est, jpn: ISO 639-2 written
        return _THREE[head]
    close = difflib.get_close_matches(head, LANGUAGES, n=1, cutoff=0.5) or \
        difflib.get_close_matches(low, _BY_NAME, n=1, cutoff=0.7)
    if not close:
        return None
    return close[0] if close[0] in LANGUAGES else _BY_NAME[close[0]]


def normalize(tag: str) -> str:
    """The tag in its canonical case (``hu-hu`` -> ``hu-HU``, ``zh-hant`` -> ``zh-Hant``),
    or :class:`TagError` saying what is wrong and what was probably meant.

    Examples
    --------
    >>> normalize("hu-hu"), normalize("zh-hant-tw"), normalize("EN")
    ('hu-HU', 'zh-Hant-TW', 'en')
    >>> normalize("jp")
    Traceback (most recent call last):
    ...
    ivr.language.tags.TagError: unknown language 'jp'
    """
    if not isinstance(tag, str) or not tag:
        raise TagError("the language tag is empty", "write a BCP 47 tag such as en, ja or hu-HU")
    m = _TAG.fullmatch(tag)
    if m is None:
        raise TagError(f"{tag!r} is not a BCP 47 language tag", _hint(tag))
    lang = m["lang"].lower()
    if lang not in LANGUAGES:
        raise TagError(f"unknown language {tag!r}", _hint(tag))
    parts = [lang]
    if m["script"]:
        parts.append(m["script"].title())
    if m["region"]:
        parts.append(m["region"].upper())
    return "-".join(parts) + m["rest"].lower()


def _hint(tag: str) -> str:
    best = suggest(tag)
    if best:
        return f"did you mean {best!r} ({LANGUAGES[best.split('-')[0]]})?"
    return "write a BCP 47 tag such as en, ja, hu-HU or pt-BR (language, then region)"


def primary(tag: str) -> str:
    """The language subtag of a tag: ``pt-BR`` -> ``pt``; unknown or malformed -> ``en``
    is never assumed: call :func:`normalize` first.

    Examples
    --------
    >>> primary("pt-BR"), primary("zh-Hant-TW"), primary("ja")
    ('pt', 'zh', 'ja')
    """
    return tag.split("-", 1)[0].lower()


def name(tag: str) -> str:
    """The English name of a tag's language (``hu-HU`` -> ``Hungarian``)."""
    return LANGUAGES.get(primary(tag), tag)


__all__ = ["LANGUAGES", "TagError", "name", "normalize", "primary", "suggest"]
