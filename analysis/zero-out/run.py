"""Study 2: what a working 0 at every menu does to abandonment and time to a person."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402
import study  # noqa: E402

variants = generate.write(HERE, study.ROOT)
summary = ["| menu | abandoned: none -> every | reached a person: none -> every | "
           "seconds to a person: none -> every |", "|---|---|---|---|"]
sections = []
for name, files in variants.items():
    cmp = study.run(files)
    sections.append(f"## {name}\n\n" + study.table(cmp, list(generate.VARIANTS)))
    row = [name]
    for metric in ("abandoned_rate", "human_rate", "human_seconds"):
        m = next(x for x in cmp.metrics if x.metric == metric)
        d = m.deltas[-1]
        assert d is not None
        row.append(f"{study._fmt(metric, m.values[0])} -> {study._fmt(metric, m.values[-1])} "
                   f"({study._fmt(metric, d.value, True)} "
                   f"[{study._fmt(metric, d.low, True)}, {study._fmt(metric, d.high, True)}])")
    summary.append("| " + " | ".join(row) + " |")
body = "## Summary: no 0 anywhere vs 0 at every menu\n\n" + "\n".join(summary) + "\n\n" + \
    "\n\n".join(sections)
study.write(HERE / "REPORT.md", "Zero-out: 0 nowhere, at the first menu, at every menu", body)
