"""Study 1: does the redesigned bank menu serve callers better than the original?"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import study  # noqa: E402

files = [study.ROOT / "menus" / "bank.yaml", HERE / "bank_redesign.yaml"]
cmp = study.run(files)
names = ["original", "redesign"]
body = "\n\n".join([
    "## Outcomes and times\n\n" + study.table(cmp, names, study.SHOWN + ("human_steps",)),
    "## By intent\n\n" + study.intent_table(cmp, names),
    "## What changed\n\n" + study.changes(cmp),
])
study.write(HERE / "REPORT.md", "Bank menu: original vs redesign", body)
