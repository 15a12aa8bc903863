"""Menus in every language: tags, spoken seconds by script, phrases, names, rendering."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr import load_menu, parse_menu
from ivr.audit.checks import audit
from ivr.audit.policy import parse_policy, resolve
from ivr.cli import main
from ivr.errors import LoadError
from ivr.language import phrases as ph
from ivr.language.display import pad, width, wrap
from ivr.language.speech import RATES, rate_of, seconds_of, units
from ivr.language.tags import TagError, normalize, suggest
from ivr.structure.lint import lint
from ivr.structure.paths import paths

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "language"
SAME = yaml.safe_load((DATA / "same_prompt.yaml").read_text(encoding="utf-8"))
JA_MENU = ROOT / "menus" / "telecom_ja.yaml"
RU_MENU = ROOT / "menus" / "bank_ru.yaml"


# -- spoken seconds ---------------------------------------------------------------------

def test_the_japanese_acceptance_prompt_takes_12_to_25_seconds() -> None:
    prompt = SAME["ja"]
    assert len(prompt) == 94
    assert 12 <= seconds_of(prompt, "ja") <= 25


def test_the_same_prompt_in_five_alphabetic_languages_is_within_40_percent() -> None:
    """Each translation within +-40% of the mean of the five (docs/languages.md)."""
    seconds = {lang: seconds_of(SAME[lang], lang) for lang in ("en", "it", "hu", "ru", "et")}
    mean = sum(seconds.values()) / len(seconds)
    for lang, s in seconds.items():
        assert abs(s - mean) <= 0.4 * mean, (lang, s, mean)
    # and the Japanese one is in the same range as them
    assert min(seconds.values()) * 0.6 <= seconds_of(SAME["ja"], "ja") <= 1.4 * max(
        seconds.values())


def test_what_is_silent_and_what_is_counted() -> None:
    assert units("— * !! 🙂 … «»") == 0
    assert units("Связаться с оператором — 0", "ru") == units("Связаться с оператором 0", "ru")
    assert units("press 0") == units("press zero")  # digits are the words they stand for
    assert units("0800 123 456") > units("0800")  # a phone number digit by digit
    assert units("ありがとう", "ja") == 5  # a mora per kana
    assert units("きょう", "ja") == 2  # small ょ joins the mora before it
    assert units("你好", "zh") == 2 and units("안녕하세요", "ko") == 5
    assert units("Köszönjük", "hu") == 3 and units("Täname", "et") == 3


def test_a_menu_words_per_second_scales_the_language_rate() -> None:
    assert rate_of("ja", 5.0) == pytest.approx(2 * RATES["ja"].per_second)
    text = "name: T\nlanguage: ja\nstart: m\ndefaults: {words_per_second: 5}\nnodes:\n" \
           "  m: {kind: menu, say: ご用件をどうぞ, options: {0: a}}\n  a: {kind: agent}\n"
    fast = parse_menu(text).nodes["m"].seconds
    slow = parse_menu(text.replace("words_per_second: 5", "words_per_second: 2.5"))
    assert fast == pytest.approx(slow.nodes["m"].seconds / 2)


SPEAKABLE = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd", "Mn", "Po",
                                                         "Pd", "Zs", "So")), max_size=40)
LANGS = st.sampled_from(["en", "it", "hu", "et", "ja", "ru", "de", "fr", "pt", "zh", "ko",
                         "es", "ar"])


@settings(max_examples=300, deadline=None)
@given(SPEAKABLE, SPEAKABLE, LANGS)
def test_appending_text_never_shortens_a_prompt(a: str, b: str, lang: str) -> None:
    assert seconds_of(a + b, lang) >= seconds_of(a, lang) - 1e-9


@settings(max_examples=200, deadline=None)
@given(SPEAKABLE, LANGS)
def test_no_speakable_prompt_takes_zero_seconds(text: str, lang: str) -> None:
    speakable = any(unicodedata.category(c)[0] in "LN" for c in text)
    assert (seconds_of(text, lang) > 0) == speakable


@pytest.mark.parametrize("script", ["Latin", "Cyrillic", "Han", "Hiragana", "Hangul"])
def test_prefixes_grow_in_every_script(script: str) -> None:
    text = {"Latin": "Per parlare con un operatore prema 0", "Cyrillic": SAME["ru"],
            "Han": "您好请按一号转人工服务", "Hiragana": SAME["ja"],
            "Hangul": "상담원 연결은 0번을 눌러 주세요"}[script]
    lang = {"Latin": "it", "Cyrillic": "ru", "Han": "zh", "Hiragana": "ja",
            "Hangul": "ko"}[script]
    times = [seconds_of(text[:i], lang) for i in range(len(text) + 1)]
    assert times == sorted(times)


# -- tags -------------------------------------------------------------------------------

def test_tags_are_normalised_and_unknown_ones_get_a_suggestion() -> None:
    assert normalize("pt-br") == "pt-BR" and normalize("zh-hant") == "zh-Hant"
    with pytest.raises(TagError) as e:
        normalize("jp")
    assert "'ja'" in (e.value.hint or "")
    assert suggest("Russian") == "ru" and suggest("est") == "et"


def test_an_unknown_language_is_one_line_with_did_you_mean(tmp_path: Path, capsys) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("name: T\nlanguage: jp\nstart: a\nnodes:\n  a: {kind: agent}\n")
    assert main(["lint", str(f)]) == 2
    line = capsys.readouterr().err.strip().splitlines()[0]
    assert re.match(rf"{re.escape(str(f))}:2:\d+: unknown language 'jp'.*did you mean 'ja'",
                    line), line
    f.write_text("name: T\nstart: a\nnodes:\n  a: {kind: agent, language: hun}\n")
    with pytest.raises(LoadError, match="did you mean 'hu'"):
        load_menu(f)


# -- phrases ----------------------------------------------------------------------------

PERSON = {
    "en": "For an agent, press 0.", "es": "Para hablar con un operador, pulse 0.",
    "it": "Per parlare con un operatore, prema 0.",
    "hu": "Ügyintézőnkkel a 0-s gomb megnyomásával beszélhet.",
    "et": "Klienditeenindajaga ühendamiseks vajutage 0.", "ja": SAME["ja"].replace(
        "その他のお問い合わせは5を", "その他のお問い合わせは5を、担当者は0を"),
    "ru": "Связаться с оператором — 0", "de": "Für einen Mitarbeiter drücken Sie die 0.",
    "fr": "Pour parler à un conseiller, tapez 0.", "pt": "Para falar com um atendente, digite 0.",
    "zh": "人工服务请按0。", "ko": "상담원 연결은 0번을 눌러 주세요.",
}


@pytest.mark.parametrize("lang", sorted(PERSON))
def test_every_language_finds_its_person_and_the_key(lang: str) -> None:
    text = PERSON[lang]
    assert ph.find("person", text, lang), lang
    assert ph.keys_offering("person", text, lang) == ["0"]
    assert ph.find("person", "Thank you for calling.", lang) == []


@pytest.mark.parametrize("text, lang", [
    ("Связаться с оператором — 0", "ru"), ("担当者におつなぎします。0を押してください", "ja"),
    ("for an agent press 0", "en"), ("press 0 for an agent", "en"),
    ("Per le altre richieste, oppure per un operatore, prema 0", "it")])
def test_the_key_a_prompt_gives_for_a_person(text: str, lang: str) -> None:
    assert ph.keys_offering("person", text, lang) == ["0"]


def test_matching_folds_case_and_composes_accents() -> None:
    decomposed = unicodedata.normalize("NFD", "ÜGYINTÉZŐVEL")
    found = ph.find("person", f"Beszéljen {decomposed}", "hu")
    assert [m.text for m in found] == ["ÜGYINTÉZŐVEL"]


def test_cjk_phrases_match_between_characters() -> None:
    """No \\b between CJK characters: 担当者 inside a sentence is found."""
    assert ph.mentions("person", "ただいま担当者におつなぎします", "ja")
    assert ph.mentions("wait", "お待ちいただく時間は約5分です", "ja")
    assert not ph.mentions("person", "お電話ありがとうございます", "ja")


def test_a_policy_and_a_lint_config_add_phrases(tmp_path: Path) -> None:
    menu = parse_menu(RU_MENU.read_text(encoding="utf-8").replace(
        "Связаться с оператором — 0", "Дежурный консультант — 0").replace(
        "консультант", "дежурный"), "ru.yaml")
    dc = resolve(["dc-3106"])
    assert audit(menu, dc, n=2000)[0].status == "failed"
    assert audit(menu, dc, n=2000, phrases={"ru": {"person": ("дежурн*",)}})[0].status \
        == "passed"
    text = (ROOT / "ivr" / "audit" / "policies" / "dc-3106.yaml").read_text(encoding="utf-8")
    own = parse_policy(text + "phrases:\n  ru:\n    person: [дежурн*]\n", "own.yaml")
    assert own.phrases == {"ru": {"person": ("дежурн*",)}}
    assert audit(menu, [own], n=2000)[0].status == "passed"
    bad = text + "phrases:\n  ru:\n    people: [x]\n"
    with pytest.raises(LoadError, match="unknown kind 'people'"):
        parse_policy(bad, "bad.yaml")


# -- the Russian and Japanese acceptance cases -----------------------------------------

def test_dc_3106_passes_a_russian_menu_that_offers_an_operator() -> None:
    verdict = audit(load_menu(RU_MENU), resolve(["dc-3106"]), n=2000)[0]
    assert verdict.rule == "representative-option" and verdict.status == "passed", verdict


def test_dc_3106_fails_a_russian_menu_that_never_mentions_a_person() -> None:
    text = RU_MENU.read_text(encoding="utf-8").replace(
        "Связаться с оператором — 0.", "Остальные вопросы — 0.")
    verdict = audit(parse_menu(text, "ru.yaml"), resolve(["dc-3106"]), n=2000)[0]
    assert verdict.status == "failed"
    assert "does not say so" in verdict.evidence[0].message


def test_gethuman_hears_the_russian_wait_announcement() -> None:
    verdicts = audit(load_menu(RU_MENU), resolve(["gethuman"]), n=2000)
    wait = next(v for v in verdicts if v.rule == "wait-time")
    assert "оператор" not in {e.node for e in wait.evidence}  # ожидание announces it


def test_the_japanese_example_is_timed_as_japanese() -> None:
    menu = load_menu(JA_MENU)
    assert menu.language == "ja"
    long = {f.node for f in lint(menu) if f.rule == "LONG_PROMPT"}
    assert {"メインメニュー", "料金メニュー", "故障メニュー"} <= long
    person = next(r for r in paths(menu) if r.kind == "agent")
    assert 35 < person.seconds < 90  # not the 2 s a word count gave


# -- names in any script ----------------------------------------------------------------

def test_ids_intents_and_schedules_in_any_script_are_composed() -> None:
    composed = "főmenü"
    decomposed = unicodedata.normalize("NFD", composed)
    menu = parse_menu(f"""
name: T
start: {decomposed}
schedules:
  nyitvatartás: {{mon-fri: "08:00-16:00", tz: Europe/Budapest}}
nodes:
  {composed}: {{kind: menu, say: Ügyintéző 0, options: {{0: ügyintéző}}}}
  ügyintéző: {{kind: agent, schedule: nyitvatartás, closed: hangja}}
  hangja: {{kind: voicemail}}
callers:
  intents:
    {unicodedata.normalize("NFD", "ügyintézés")}: {{share: 1, goal: {decomposed}}}
""")
    assert menu.start == composed and list(menu.nodes)[0] == composed
    assert menu.callers is not None and menu.callers.intents[0].name == "ügyintézés"


@pytest.mark.parametrize("bad", ["main\u202e", "ma\u200bin", "a\u0007b"])
def test_invisible_characters_in_a_name_are_one_line(bad: str) -> None:
    text = f'name: T\nstart: "{bad}"\nnodes:\n  "{bad}": {{kind: agent}}\n'
    with pytest.raises(LoadError) as e:
        parse_menu(text, "x.yaml")
    msg = str(e.value)
    assert "\n" not in msg and re.search(r"U\+[0-9A-F]{4}", msg), msg


def test_dot_and_mermaid_quote_names_in_any_script(tmp_path: Path) -> None:
    from ivr.formats.dot import to_dot
    from ivr.formats.mermaid import to_mermaid
    from ivr.structure.graph import to_graph
    g = to_graph(load_menu(JA_MENU))
    dot, mermaid = to_dot(g), to_mermaid(g)
    assert '"メインメニュー"' in dot and '"挨拶" -> "メインメニュー"' in dot
    assert "メインメニュー<br/>" in mermaid
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed (.ci/run installs it): not rendered")
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True,
                         check=True).stdout
    assert "メインメニュー" in svg


# -- importers and the writer -----------------------------------------------------------

def test_imports_read_the_platform_language(tmp_path: Path) -> None:
    from ivr.formats.registry import read_any
    ast = "[incoming]\nexten => s,1,Set(CHANNEL(language)=ru)\n same => n,Dial(SIP/100)\n"
    assert read_any(ast, "x.conf", "asterisk").language == "ru"
    vxml = ('<?xml version="1.0"?><vxml version="2.1" xml:lang="hu-HU"><form id="f"><block>'
            '<prompt>Köszönjük hívását.</prompt><disconnect/></block></form></vxml>')
    menu = read_any(vxml, "x.vxml", "voicexml")
    assert menu.language == "hu-HU"
    twilio = (ROOT / "tests" / "data" / "import" / "twilio" / "main_menu.json").read_text()
    twilio = twilio.replace('"say": "', '"language": "ja-JP", "say": "', 1)
    assert read_any(twilio, "t.json", "twilio").language == "ja-JP"


def test_import_writes_the_language_back(tmp_path: Path) -> None:
    from ivr.formats.yamlout import to_yaml
    menu = load_menu(JA_MENU)
    again = parse_menu(to_yaml(menu))
    assert again.language == "ja"
    assert {k: n.seconds for k, n in again.nodes.items()} == pytest.approx(
        {k: n.seconds for k, n in menu.nodes.items()})


# -- rendering --------------------------------------------------------------------------

def test_display_width_counts_double_width_characters() -> None:
    assert width("メインメニュー") == 14 and width("főmenü") == 6
    assert width(pad("主", 6)) == 6
    assert all(width(line) <= 20 for line in wrap(SAME["ja"], 20, "  "))


def test_the_cheat_sheet_lines_up_japanese_names(capsys) -> None:
    assert main(["paths", str(JA_MENU)]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "  agent  " in line]
    columns = {width(line[:line.index("agent")]) for line in rows}
    assert len(rows) >= 4 and len(columns) == 1


def test_ivr_call_wraps_japanese_before_the_edge(capsys) -> None:
    assert main(["call", str(JA_MENU), "--keys", "0"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith(" " * 11)]
    assert len(lines) > 5 and max(width(line) for line in lines) <= 100


def test_no_font_means_one_line_naming_what_to_install(monkeypatch, tmp_path: Path,
                                                       capsys) -> None:
    from ivr.present import plots
    monkeypatch.setattr(plots, "fonts", lambda: ("DejaVu Sans",))
    note = plots.missing_glyphs(plots.shown_text(load_menu(JA_MENU)))
    assert note is not None and "fonts-noto-cjk" in note
    assert main(["plot", str(JA_MENU), "-n", "2000", "-o", str(tmp_path)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fonts-noto-cjk" in err[0], err
    assert "Glyph" not in "\n".join(err)


def test_html_report_lang_is_the_menus() -> None:
    from ivr.present.report import report_html
    page = report_html([load_menu(JA_MENU)], files=["telecom_ja.yaml"], n=2000)
    assert page.startswith('<!DOCTYPE html>\n<html lang="ja">')


def _cjk_font() -> bool:
    from ivr.present.plots import fonts
    return len(fonts()) > 1


@pytest.mark.skipif(not _cjk_font(), reason="no CJK font installed (apt-get install "
                    "fonts-noto-cjk; .ci/run does): plots cannot draw Japanese here")
def test_plots_draw_japanese_glyphs_not_boxes(monkeypatch) -> None:
    """The same Japanese title drawn with the fallback fonts and with DejaVu Sans alone
    (which has no kana: boxes) must differ: the fallback drew real glyphs."""
    import numpy as np
    from matplotlib import image

    from ivr.present import plots

    def title_pixels() -> np.ndarray:
        from ivr.callers.metrics import Rate
        shares = {o: Rate(0.5 if o in ("human", "served") else 0.0, 0.0, 1.0, 100)
                  for o in plots.ORDER}
        fig = plots.outcome_shares([("主メニュー", shares)], title="お問い合わせ窓口")
        import io
        return image.imread(io.BytesIO(plots.render(fig, "png")))[:80, :, :3]

    with_cjk = title_pixels()
    monkeypatch.setattr(plots, "fonts", lambda: ("DejaVu Sans",))
    boxes = title_pixels()
    assert with_cjk.shape == boxes.shape
    assert np.abs(with_cjk - boxes).mean() > 0.002


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def _has_cjk_system_font() -> bool:
    found = shutil.which("fc-list") and subprocess.run(
        ["fc-list", ":lang=ja"], capture_output=True, text=True).stdout.strip()
    return bool(found)


@pytest.mark.skipif(_chromium() is None or not _has_cjk_system_font(),
                    reason="needs Chromium and a CJK font (apt-get install chromium "
                    "fonts-noto-cjk; .ci/run does): the report is not rendered here")
def test_report_title_shows_japanese_glyphs_not_boxes(tmp_path: Path) -> None:
    """Screenshot the Japanese report's title area twice: with the system's fonts, and
    with fontconfig limited to DejaVu (no kana: boxes). Real glyphs differ from boxes."""
    import numpy as np
    from matplotlib import image

    page = tmp_path / "ja.html"
    assert main(["report", str(JA_MENU), "-n", "2000", "-o", str(page)]) == 0
    dejavu = next((d for d in ("/usr/share/fonts/truetype/dejavu",) if Path(d).is_dir()), None)
    if dejavu is None:
        pytest.skip("no DejaVu folder to build the glyph-less reference render from")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{dejavu}</dir>'
                    f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>")

    def shot(name: str, env: dict[str, str]) -> np.ndarray:
        out = tmp_path / f"{name}.png"
        cmd = [str(_chromium()), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
               f"--user-data-dir={tmp_path / ('profile-' + name)}", "--window-size=1000,300",
               f"--screenshot={out}", page.as_uri()]
        import os
        subprocess.run(cmd, capture_output=True, text=True, timeout=180,
                       env={**os.environ, "HOME": str(tmp_path), **env})
        assert out.exists(), f"no screenshot ({name})"
        return image.imread(str(out))[:, :, :3]

    real = shot("real", {})
    boxes = shot("boxes", {"FONTCONFIG_FILE": str(conf)})
    # The menu's name (さくら通信 カスタマーセンター, its <h2>) is the first line of blue
    # text below the page header's rule: find it in the real render.
    blue = (real[:, :, 2] > real[:, :, 0] + 0.15) & (real.mean(axis=2) < 0.6)
    rows = np.flatnonzero(blue[:, :500].sum(axis=1) > 3)
    rows = rows[rows > 150]
    assert len(rows), "no menu title in the screenshot"
    band = slice(int(rows[0]) - 4, int(rows[0]) + 36)
    title, title_boxes = real[band, :500], boxes[band, :500]
    assert (title.mean(axis=2) < 0.6).sum() > 300, "the title area is blank"
    assert np.abs(title - title_boxes).mean() > 0.01, "the title looks the same as boxes"


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60), LANGS)
def test_the_ascii_fast_path_counts_as_the_general_one(text: str, lang: str) -> None:
    """A silent non-ASCII dash sends the same text down the general path."""
    assert units(text, lang) == units(text + " —", lang)
