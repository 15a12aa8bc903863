"""Study 3: broad or deep menus for the same sixteen tasks and the same callers?"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import generate  # noqa: E402
import study  # noqa: E402

from ivr.callers.chain import compile_chain  # noqa: E402
from ivr.callers.exact import solve  # noqa: E402
from ivr.formats import parse_menu  # noqa: E402

files = generate.write(HERE)
names = list(generate.SHAPES)
cmp = study.run(files)
shown = [m for m in study.SHOWN if m != "voicemail_rate"]  # no voicemail in these menus
with tempfile.TemporaryDirectory(dir=HERE) as tmp:  # the same shapes, no barge-in
    before = study.run(generate.write(Path(tmp), barge_in=0.0))


def exact_row(shape: tuple[int, ...], barge: float) -> tuple[float, float, float]:
    """Served, abandoned and seconds in the menu, exactly, at one barge-in share."""
    import yaml
    chain = compile_chain(parse_menu(yaml.safe_dump(generate.menu_dict(shape, barge))))
    r = solve(chain)
    return r.outcomes["served"], r.outcomes["abandoned"], r.seconds


shares = (0.0, 0.3, 0.6, 1.0)
rows = ["| barge-in share | " + " | ".join(f"{n}: served / abandoned / seconds"
                                           for n in names) + " |",
        "|" + "---|" * (len(names) + 1)]
for b in shares:
    cells = [f"{served:.1%} / {gone:.1%} / {secs:.1f}" for served, gone, secs in
             (exact_row(shape, b) for shape in generate.SHAPES.values())]
    rows.append(f"| {b:.0%} | " + " | ".join(cells) + " |")
body = (f"## Outcomes and times, {generate.BARGE_IN:.0%} of callers barging in (baseline: 8x2)"
        "\n\n" + study.table(cmp, names, shown)
        + "\n\n## The same shapes with every caller hearing every prompt to the end\n\n"
        + study.table(before, names, shown)
        + "\n\n## By barge-in share (exact)\n\n" + "\n".join(rows)
        + "\n\n## By intent (tasks in order of popularity), "
        f"{generate.BARGE_IN:.0%} barging in\n\n"
        + study.intent_table(cmp, names, ("served", "abandoned")))
study.write(HERE / "REPORT.md", "Broad vs deep: the same sixteen tasks in four shapes", body)
