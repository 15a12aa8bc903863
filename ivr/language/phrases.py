"""What prompts say, per language: a person, a wait announcement, "repeat", "back".

Audit checks ("the prompt offers a person", "the wait is announced") and lint read these
lists; a policy file or ``.ivr-lint.yaml`` adds phrases for any language (``phrases:``).
Matching is Unicode-aware: text and phrases are NFC-normalised and case-folded; in
languages written with spaces a phrase must start and end at a word edge (no letter or
digit of any script beside it), and a phrase ending in ``*`` is a stem that any letters
may follow (``оператор*`` finds "оператором", ``ügyintéző*`` "ügyintézővel"); in
Japanese and Chinese, written without spaces, a phrase matches anywhere.

Where each list comes from: the wording of contact-centre prompts in that language, as
written by the authors from the language's standard vocabulary for the role (the word
a caller hears for the person who answers, the queue announcement), with inflected
forms given as stems. They are a start, not a dictionary: add yours with ``phrases:``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

KINDS = ("person", "wait", "repeat", "back")
#: Languages written without spaces between words: phrases match anywhere.
NO_SPACES = frozenset({"ja", "zh", "yue", "th", "lo", "km", "my"})

#: Extra phrases: language tag (or subtag) -> kind -> phrases.
Extra = Mapping[str, Mapping[str, Sequence[str]]]

_P = dict[str, tuple[str, ...]]

PHRASES: dict[str, _P] = {
    # English: the role names US/UK prompts use, and "speak to/with" offers.
    "en": {
        "person": ("representative*", "agent*", "operator*", "associate*", "advisor*",
                   "adviser*", "specialist*", "someone", "somebody", "person", "human",
                   "team member*", "staff", "nurse*", "front desk", "customer service",
                   "customer care", "customer support", "speak with", "speak to",
                   "talk to", "talk with", "live help", "live person"),
        "wait": ("wait time*", "waiting time*", "estimated wait", "estimated hold",
                 "expected wait", "wait is", "wait of", "wait will be", "hold time*",
                 "minute*", "position in the queue", "position in queue",
                 "position in line", "caller ahead", "callers ahead"),
        "repeat": ("repeat*", "hear these options again", "hear this again",
                   "hear the options again", "hear this menu again"),
        "back": ("previous menu", "main menu", "go back", "return to", "back to"),
    },
    # Spanish: "operador/a", "agente", "asesor" are the usual words; "hablar con".
    "es": {
        "person": ("operador*", "agente*", "asesor*", "persona", "representante*",
                   "hablar con", "atención al cliente", "ejecutivo*"),
        "wait": ("tiempo de espera", "tiempo estimado", "minuto*", "posición en la cola",
                 "llamadas por delante", "su turno"),
        "repeat": ("repetir", "volver a escuchar", "escuchar de nuevo"),
        "back": ("menú anterior", "menú principal", "volver al", "regresar al"),
    },
    # Italian: "operatore/operatrice", "consulente", "addetto"; "parlare con".
    "it": {
        "person": ("operator*", "consulent*", "addett*", "assistente", "parlare con",
                   "servizio clienti", "assistenza clienti", "persona"),
        "wait": ("tempo di attesa", "attesa stimata", "minut*", "posizione in coda",
                 "chiamate in attesa prima"),
        "repeat": ("riascoltare", "ripetere", "ascoltare di nuovo"),
        "back": ("menu precedente", "menu principale", "tornare al", "torna al"),
    },
    # Hungarian: "ügyintéző" (case officer: what Hungarian lines offer), "kezelő",
    # "munkatárs", "operátor"; stems because of the case suffixes (-vel, -höz).
    "hu": {
        "person": ("ügyintéző*", "ügyintézőnk*", "munkatárs*", "kezelő*", "operátor*",
                   "kollégá*", "ügyfélszolgálat*"),
        "wait": ("várakozási idő*", "várható várakozás*", "perc*", "sorban áll*",
                 "várakozó hívás*"),
        "repeat": ("meghallgatni újra", "ismétlés*", "újra meghallgat*", "megismétl*"),
        "back": ("előző menü*", "főmenü*", "visszalép*", "vissza"),
    },
    # Estonian: "klienditeenindaja" (customer service agent), "teenindaja", "operaator".
    "et": {
        "person": ("klienditeenindaja*", "teenindaja*", "operaator*", "klienditeenindus*",
                   "konsultant*", "spetsialist*"),
        "wait": ("ooteaeg*", "ootejärjekor*", "järjekor*", "minut*"),
        "repeat": ("uuesti kuulata", "kordamiseks", "korda*"),
        "back": ("eelmisesse menüüsse", "eelmine menüü", "peamenüü*", "tagasi"),
    },
    # Japanese: 担当者 (the person in charge), オペレーター, 係の者, スタッフ, 窓口.
    "ja": {
        "person": ("担当者", "オペレーター", "オペレータ", "係の者", "係員", "スタッフ",
                   "窓口", "相談員"),
        "wait": ("待ち時間", "お待ちいただく時間", "分ほど", "分程度", "分ぐらい", "分くらい",
                 "お待ちの", "順番に"),
        "repeat": ("もう一度", "繰り返し", "くりかえし"),
        "back": ("前のメニュー", "メインメニュー", "最初のメニュー", "戻る", "戻ります"),
    },
    # Russian: "оператор", "специалист", "консультант", "сотрудник"; stems for the cases.
    "ru": {
        "person": ("оператор*", "специалист*", "консультант*", "сотрудник*",
                   "менеджер*", "служб* поддержки"),
        "wait": ("время ожидания", "ожидани*", "минут*", "в очереди", "очеред*"),
        "repeat": ("прослушать ещё раз", "прослушать еще раз", "повтор*"),
        "back": ("предыдущее меню", "главное меню", "вернуться", "назад"),
    },
    # German: "Mitarbeiter/in", "Kundenberater", "Kundenservice"; "sprechen mit".
    "de": {
        "person": ("mitarbeiter*", "kundenberater*", "berater*", "kundenservice",
                   "kundendienst", "persönlich*", "sprechen möchten"),
        "wait": ("wartezeit*", "minute*", "in der warteschleife", "anrufer vor ihnen"),
        "repeat": ("wiederhol*", "noch einmal hören", "erneut hören"),
        "back": ("vorherige menü", "vorherigen menü", "hauptmenü", "zurück"),
    },
    # French: "conseiller/conseillère", "opérateur", "agent", "un interlocuteur".
    "fr": {
        "person": ("conseill*", "opérat*", "agent*", "interlocut*", "service client*",
                   "parler à", "parler avec"),
        "wait": ("temps d'attente", "minute*", "file d'attente", "appels avant le vôtre"),
        "repeat": ("réécouter", "répéter", "écouter à nouveau"),
        "back": ("menu précédent", "menu principal", "revenir", "retour"),
    },
    # Portuguese: "atendente" (Brazil), "operador", "assistente", "falar com".
    "pt": {
        "person": ("atendente*", "operador*", "assistente*", "falar com", "colaborador*",
                   "consultor*"),
        "wait": ("tempo de espera", "minuto*", "posição na fila", "na fila"),
        "repeat": ("ouvir novamente", "repetir", "ouvir de novo"),
        "back": ("menu anterior", "menu principal", "voltar"),
    },
    # Chinese: 人工服务 (a person, as opposed to automated service), 客服, 话务员.
    "zh": {
        "person": ("人工服务", "人工", "客服", "话务员", "接线员", "坐席", "专员", "人工客服",
                   "客服人員", "人工服務"),
        "wait": ("等待时间", "等候时间", "分钟", "排队", "等待時間", "分鐘"),
        "repeat": ("重听", "重复", "再听一遍", "重聽"),
        "back": ("上一级菜单", "返回上级", "主菜单", "返回"),
    },
    # Korean: 상담원 (counsellor: what Korean lines say), 상담사, 직원; particles attach,
    # so every phrase is a stem.
    "ko": {
        "person": ("상담원*", "상담사*", "직원*", "담당자*", "상담 연결", "교환원*"),
        "wait": ("대기 시간", "대기시간", "분 정도", "대기 중*", "기다려*"),
        "repeat": ("다시 듣*", "반복*"),
        "back": ("이전 메뉴*", "처음으로", "메인 메뉴*", "상위 메뉴*"),
    },
}
#: Korean attaches particles to nouns: phrases match as stems even without ``*``.
_STEMS = frozenset({"ko"})

#: Key words a prompt may say instead of the symbol (only for 0, * and #; digits 1-9 are
#: written as digits in prompts).
KEY_WORDS: dict[str, dict[str, str]] = {
    "en": {"zero": "0", "star": "*", "pound": "#", "hash": "#", "hash key": "#"},
    "es": {"cero": "0", "asterisco": "*", "almohadilla": "#", "numeral": "#"},
    "it": {"zero": "0", "asterisco": "*", "cancelletto": "#"},
    "de": {"null": "0", "stern": "*", "sterntaste": "*", "raute": "#", "rautetaste": "#"},
    "fr": {"zéro": "0", "étoile": "*", "dièse": "#"},
    "pt": {"zero": "0", "asterisco": "*", "cerquilha": "#", "jogo da velha": "#"},
    "hu": {"nulla": "0", "nullá": "0", "csillag": "*", "kettőskereszt": "#"},
    "et": {"null": "0", "nulli": "0", "tärn": "*", "trell": "#", "trelli": "#"},
    "ru": {"ноль": "0", "нуль": "0", "звёздочк": "*", "звездочк": "*", "решётк": "#",
           "решетк": "#"},
    "ja": {"ゼロ": "0", "シャープ": "#", "米印": "*", "アスタリスク": "*"},
    "zh": {"零": "0", "星号": "*", "井号": "#"},
    "ko": {"영번": "0", "별표": "*", "우물 정자": "#", "샵": "#"},
}
_CLAUSE = re.compile(r"[.!?;:\n,。！？；：、，]+")
_KEY = re.compile(r"[0-9０-９*＊#＃]")


@dataclass(frozen=True, slots=True)
class Match:
    """A phrase found in a prompt: what kind, which phrase, and where (character offsets
    into the NFC form of the prompt, which is the prompt itself for loaded menus)."""

    kind: str
    phrase: str
    start: int
    end: int
    text: str


def primary(language: str) -> str:
    return language.split("-", 1)[0].lower()


def _fold(text: str) -> tuple[str, list[int] | range]:
    """Case-folded text and, per folded character, its index in ``text``.

    Folding never shortens a character, so a folded text as long as the text folded each
    character to one (every prompt in most languages): the index map is the identity, and
    the character-by-character walk (slow: lint reads every prompt of a 100,000-node menu)
    is only for the rest ("ß" -> "ss").

    Examples
    --------
    >>> _fold("Straße 0")[0], list(_fold("Straße 0")[1])[4:8]
    ('strasse 0', [4, 4, 5, 6])
    """
    folded = text.casefold()
    if len(folded) == len(text):
        return folded, range(len(text))
    out, where = [], []
    for i, ch in enumerate(text):
        f = ch.casefold()
        out.append(f)
        where.extend([i] * len(f))
    return "".join(out), where


def phrases(kind: str, language: str, extra: Extra | None = None) -> tuple[str, ...]:
    """The phrases of ``kind`` for ``language``: ours, then those ``extra`` adds (under
    the full tag or its language subtag)."""
    if kind not in KINDS:
        raise ValueError(f"unknown phrase kind {kind!r}; kinds: {', '.join(KINDS)}")
    lang = primary(language)
    out = list(PHRASES.get(lang, {}).get(kind, ()))
    for tag in dict.fromkeys((language, lang)):
        out += (extra or {}).get(tag, {}).get(kind, ())
    return tuple(dict.fromkeys(out))


@lru_cache(maxsize=512)
def _ours(kind: str, language: str) -> tuple[str, ...]:
    return phrases(kind, language)


@lru_cache(maxsize=512)
def _pattern(words: tuple[str, ...], lang: str) -> re.Pattern[str] | None:
    parts = []
    spaced = lang not in NO_SPACES
    for phrase in sorted(words, key=len, reverse=True):
        p = unicodedata.normalize("NFC", phrase).casefold().strip()
        stem = p.endswith("*") or lang in _STEMS
        p = p.rstrip("*").strip()
        if not p:
            continue
        body = r"\s+".join(re.escape(w) for w in p.split())
        if spaced:
            body = r"(?<!\w)" + body + (r"\w*" if stem else r"(?!\w)")
        parts.append(body)
    return re.compile("|".join(parts)) if parts else None


def find(kind: str, text: str | None, language: str = "en",
         extra: Extra | None = None) -> list[Match]:
    """Every phrase of ``kind`` in ``text``, in order, with its span.

    Examples
    --------
    >>> [(m.text, m.start) for m in find("person", "Связаться с оператором — 0", "ru")]
    [('оператором', 12)]
    >>> [m.text for m in find("person", "担当者におつなぎします。0を押してください", "ja")]
    ['担当者']
    >>> find("person", "For an AGENT press 0", "en")[0].text
    'AGENT'
    >>> find("person", "Press 0 for management", "en")  # "agent" inside a word: no
    []
    >>> [m.text for m in find("person", "nyomja meg a 0-t az ügyintézővel", "hu",
    ...                       {"hu": {"person": ["nulla"]}})]
    ['ügyintézővel']
    """
    if not text:
        return []
    key = tuple(sorted((tag, k, tuple(words)) for tag, kinds in extra.items()
                       for k, words in kinds.items() if k == kind)) if extra else ()
    return list(_find(kind, text, language, key))


@lru_cache(maxsize=65536)
def _find(kind: str, text: str, language: str,
          extra: tuple[tuple[str, str, tuple[str, ...]], ...]) -> tuple[Match, ...]:
    """:func:`find`, cached: menus say the same prompts at many nodes ("please hold")."""
    lang = primary(language)
    table: dict[str, dict[str, Sequence[str]]] = {}
    for tag, k, words in extra:
        table.setdefault(tag, {})[k] = words
    pattern = _pattern(phrases(kind, language, table) if table else _ours(kind, language),
                       lang)
    if pattern is None:
        return ()
    nfc = text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize("NFC", text)
    folded, where = _fold(nfc)
    out = []
    for m in pattern.finditer(folded):
        if m.end() == m.start():
            continue
        a, b = where[m.start()], where[m.end() - 1] + 1
        out.append(Match(kind, m.group(0), a, b, nfc[a:b]))
    return tuple(out)


def mentions(kind: str, text: str | None, language: str = "en",
             extra: Extra | None = None) -> bool:
    """Whether ``text`` says a phrase of ``kind``."""
    return bool(find(kind, text, language, extra))


def _keys(clause: str, offset: int, lang: str) -> list[tuple[int, str]]:
    """Keys named in a clause, with their offsets: digits, * and #, or their words."""
    found = [(offset + m.start(), _key_char(m.group(0))) for m in _KEY.finditer(clause)]
    folded = clause.casefold()
    for word, key in KEY_WORDS.get(lang, {}).items():
        for m in re.finditer(r"(?<!\w)" + re.escape(word), folded):
            found.append((offset + m.start(), key))
    return sorted(found)


def _key_char(ch: str) -> str:
    if ch in "＊*":
        return "*"
    if ch in "＃#":
        return "#"
    return str(unicodedata.decimal(ch))


def key_for(text: str, match: Match, language: str = "en") -> str | None:
    """The key a prompt associates with a phrase it says: a key in the phrase's clause
    (the nearest one), else the only key of the next clause, else of the previous one
    (clauses end at sentence punctuation and commas, 、 and 。 included).

    Examples
    --------
    >>> def key(text, lang="en"):
    ...     return key_for(text, find("person", text, lang)[0], lang)
    >>> key("Связаться с оператором — 0", "ru")
    '0'
    >>> key("担当者におつなぎします。0を押してください", "ja")
    '0'
    >>> key("For billing press 1, for an agent press 0."), key("Press 0 for an agent.")
    ('0', '0')
    >>> key("To speak to a representative, press star."), key("An agent will help you.")
    ('*', None)
    """
    nfc = unicodedata.normalize("NFC", text)
    lang = primary(language)
    clauses, start = [], 0
    for m in _CLAUSE.finditer(nfc):
        clauses.append((start, m.start()))
        start = m.end()
    clauses.append((start, len(nfc)))
    at = next((i for i, (a, b) in enumerate(clauses) if a <= match.start < max(b, a + 1)),
              None)
    if at is None:
        return None
    a, b = clauses[at]
    here = _keys(nfc[a:b], a, lang)
    if here:
        centre = (match.start + match.end) / 2
        return min(here, key=lambda k: abs(k[0] - centre))[1]
    for j in (at + 1, at - 1):
        if 0 <= j < len(clauses):
            keys = _keys(nfc[clauses[j][0]:clauses[j][1]], clauses[j][0], lang)
            if len({k for _, k in keys}) == 1:
                return keys[0][1]
    return None


def keys_offering(kind: str, text: str | None, language: str = "en",
                  extra: Extra | None = None) -> list[str]:
    """The keys a prompt offers for phrases of ``kind`` ("for an agent press 0" -> 0).

    Examples
    --------
    >>> keys_offering("person", "Для оплаты нажмите 1. Связаться с оператором — 0", "ru")
    ['0']
    """
    out: list[str] = []
    for m in find(kind, text, language, extra):
        key = key_for(text or "", m, language)
        if key is not None and key not in out:
            out.append(key)
    return out


def merge(*extras: Extra | None) -> dict[str, dict[str, tuple[str, ...]]]:
    """Several ``phrases:`` tables as one (a policy's and the lint config's)."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for extra in extras:
        for lang, kinds in (extra or {}).items():
            for kind, words in kinds.items():
                have = out.setdefault(lang, {}).get(kind, ())
                out[lang][kind] = tuple(dict.fromkeys((*have, *words)))
    return out


PHRASES_SCHEMA = {
    "type": "object",
    "description": "Phrases to look for in prompts, besides ivr's own lists "
                   "(docs/languages.md): language tag -> kind (person, wait, repeat, back) "
                   "-> phrases; a phrase ending in * is a stem.",
    "propertyNames": {"pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"},
    "additionalProperties": {
        "type": "object", "additionalProperties": False,
        "properties": {k: {"type": "array", "items": {"type": "string", "minLength": 1}}
                       for k in KINDS}},
}


def read_table(data: object) -> tuple[dict[str, dict[str, tuple[str, ...]]], str | None]:
    """A ``phrases:`` table checked: (the table, None) or ({}, what is wrong).

    Examples
    --------
    >>> read_table({"ru": {"person": ["дежурн*"]}})
    ({'ru': {'person': ('дежурн*',)}}, None)
    >>> read_table({"ru": {"people": ["x"]}})[1]
    "phrases: ru: unknown kind 'people' (kinds: person, wait, repeat, back)"
    """
    if not isinstance(data, dict):
        return {}, "phrases must be a mapping: language -> kind -> list of phrases"
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for lang, kinds in data.items():
        if not isinstance(lang, str) or not isinstance(kinds, dict):
            return {}, f"phrases: {lang!r} must map kinds ({', '.join(KINDS)}) to lists"
        for kind, words in kinds.items():
            if kind not in KINDS:
                return {}, (f"phrases: {lang}: unknown kind {kind!r} "
                            f"(kinds: {', '.join(KINDS)})")
            if isinstance(words, str):
                words = [words]
            if not isinstance(words, list) or not all(isinstance(w, str) and w.strip()
                                                      for w in words):
                return {}, f"phrases: {lang}: {kind} must be a list of phrases (text)"
            out.setdefault(lang, {})[kind] = tuple(unicodedata.normalize("NFC", w.strip())
                                                   for w in words)
    return out, None


def languages() -> Iterable[str]:
    """The languages with phrase lists of their own."""
    return PHRASES.keys()


__all__ = ["KEY_WORDS", "KINDS", "NO_SPACES", "PHRASES", "PHRASES_SCHEMA", "Extra", "Match",
           "find", "key_for", "keys_offering", "languages", "mentions", "merge", "phrases",
           "read_table"]
