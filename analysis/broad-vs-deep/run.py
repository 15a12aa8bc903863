"""Study 3: broad or deep menus for the same sixteen tasks and the same callers?"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402
import study  # noqa: E402

files = generate.write(HERE)
names = list(generate.SHAPES)
cmp = study.run(files)
shown = [m for m in study.SHOWN if m != "voicemail_rate"]  # no voicemail in these menus
body = ("## Outcomes and times (baseline: 8x2)\n\n" + study.table(cmp, names, shown)
        + "\n\n## By intent (tasks in order of popularity)\n\n"
        + study.intent_table(cmp, names, ("served", "abandoned")))
study.write(HERE / "REPORT.md", "Broad vs deep: the same sixteen tasks in four shapes", body)
