"""Study 4: every shipped example menu and every flow of the shared corpus against every
shipped policy: which rules pass, fail or do not apply, and why."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import study  # noqa: E402

from ivr.audit.checks import audit  # noqa: E402
from ivr.audit.policy import resolve, shipped_names  # noqa: E402
from ivr.errors import IvrError  # noqa: E402
from ivr.formats.registry import is_flow_file, load_any  # noqa: E402

CORPUS = study.ROOT.parent / "shared" / "corpus"
#: Callers simulated per menu for the time rules the exact solution cannot answer.
CALLERS = 50_000
MARK = {"passed": "pass", "failed": "**FAIL**", "not-applicable": "n/a"}


def inputs() -> list[tuple[str, Path]]:
    """(label, path): the example menus, then the corpus flows (when the corpus is here)."""
    out = [(f"menus/{p.name}", p) for p in sorted((study.ROOT / "menus").glob("*.yaml"))]
    if CORPUS.is_dir():
        out += [(f"corpus/{p.parent.name}/{p.name}", p) for p in sorted(CORPUS.glob("*/*"))
                if is_flow_file(p.name)]
    return out


def main() -> None:
    names = shipped_names()
    policies = resolve(names)
    grid = ["| input | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    reasons: list[str] = []
    unreadable: list[str] = []
    totals: Counter[str] = Counter()
    for label, path in inputs():
        try:
            menu = load_any(str(path))
        except IvrError as exc:
            unreadable.append(f"- `{label}`: {exc.message}")
            continue
        verdicts = audit(menu, policies, n=CALLERS, seed=study.DEFAULT_SEED)
        cells = []
        for name in names:
            mine = [v for v in verdicts if v.policy == name]
            status = Counter(v.status for v in mine)
            totals.update(f"{name}:{v.status}" for v in mine)
            cell = f"{status['passed']}/{status['failed']}/{status['not-applicable']}"
            cells.append(f"**{cell}**" if status["failed"] else cell)
        grid.append(f"| `{label}` | " + " | ".join(cells) + " |")
        failed = [v for v in verdicts if v.status == "failed"]
        if failed:
            reasons.append(f"### `{label}` ({menu.name})\n")
            reasons += [f"- {v.id}: {v.message}" for v in failed]
            reasons.append("")
    corpus_note = "" if CORPUS.is_dir() else (
        "\n\nThe shared corpus (`../shared/corpus`) was not found; only the example menus "
        "were audited.")
    total = ["| policy | rules passed | failed | n/a |", "|---|---|---|---|"]
    for name in names:
        total.append(f"| {name} | {totals[name + ':passed']} | {totals[name + ':failed']} | "
                     f"{totals[name + ':not-applicable']} |")
    body = "\n\n".join([
        "Each cell: rules passed / failed / not applicable (bold when any failed)."
        + corpus_note,
        "## Every input against every policy\n\n" + "\n".join(grid),
        "## Totals\n\n" + "\n".join(total),
        "## Why rules failed\n\n" + "\n".join(reasons),
        "## Inputs ivr could not read\n\n" + ("\n".join(unreadable) or "none"),
    ])
    study.write(HERE / "REPORT.md", "Audit: example menus and the corpus against every policy",
                body, how=f"time rules simulate {CALLERS:,} callers per menu with seed "
                f"{study.DEFAULT_SEED} where the exact solution does not give the figure")


if __name__ == "__main__":
    main()
