"""Study: one menu in six languages. How long does each language's prompt run, and what
does that do to abandonment and time to a person? And what did a word count say?"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402
import study  # noqa: E402

from ivr.formats.registry import load_any  # noqa: E402
from ivr.language.speech import RATES, units  # noqa: E402
from ivr.language.tags import name  # noqa: E402

files = generate.write(HERE, study.ROOT)
langs = list(files)
menus = {lang: load_any(str(f)) for lang, f in files.items()}

rows = ["| language | main menu: characters | words (split on spaces) | counted units | "
        "rate (units/s) | seconds now | seconds by words at 2.5/s |",
        "|---|---|---|---|---|---|---|"]
for lang, menu in menus.items():
    if lang not in RATES:
        continue
    say = menu.nodes["main"].say or ""
    rate = RATES[lang]
    rows.append(f"| {name(lang)} ({lang}) | {len(say)} | {len(say.split())} | "
                f"{units(say, lang):.0f} {rate.unit} | {rate.per_second:.2f} | "
                f"{menu.nodes['main'].seconds:.1f} | {len(say.split()) / 2.5:.1f} |")

cmp = study.run(list(files.values()))
body = ("## The main menu prompt\n\nThe same prompt, translated (the Japanese one is the "
        "94-character prompt of docs/languages.md plus the offer of a person), timed as "
        "`ivr` times it now and as a word count at 2.5 words/s timed it before.\n\n"
        + "\n".join(rows) + "\n\n## What callers meet\n\nThe same 200,000 callers (intent, "
        "patience, mistakes) through each language's menu; differences to English are "
        "paired. `ja-words` is the Japanese menu timed as a word count timed it before this "
        "change (every prompt 0.4 to 0.8 s).\n\n" + study.table(cmp, langs)
        + "\n\n## Per intent\n\n"
        + study.intent_table(cmp, langs))
study.write(HERE / "REPORT.md", "Languages: one menu in six languages", body)
