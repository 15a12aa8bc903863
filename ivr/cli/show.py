"""Commands that show results to people: plot (PNG and SVG files) and report (one HTML
page).

matplotlib takes about a second to import, so :mod:`ivr.present.plots` and
:mod:`ivr.present.report` are imported when these commands run, not whenever ``ivr`` starts.
"""

from __future__ import annotations

import argparse
import os
import sys

from ivr.callers.chain import compile_chain
from ivr.callers.metrics import summarize
from ivr.callers.simulate import simulate
from ivr.cli.common import (
    Command,
    Out,
    from_format,
    lint_config,
    lint_options,
    load_file,
    max_bytes,
    menu_files,
    sampling,
    write_atomically,
    write_folder,
)
from ivr.errors import InputError
from ivr.formats.native import load_population
from ivr.model import Menu, Population

#: ``ivr plot`` output formats, each file written in every one.
FORMATS = ("png", "svg")


def _load(args: argparse.Namespace) -> tuple[list[str], list[Menu], Population | None]:
    """Every menu named (folders expanded) and the callers file, checked against each."""
    files = list(menu_files(args.files))
    menus = [load_file(args, f) for f in files]
    population = load_population(args.callers, menus[0], max_bytes=args.max_bytes) \
        if args.callers else None
    return files, menus, population


def stems(files: list[str]) -> list[str]:
    """Output file prefixes: each file's short name without its extension, ``/`` as ``-``.

    Examples
    --------
    >>> stems(["old/bank.yaml", "new/bank.yaml", "menus/clinic.yaml"])
    ['old-bank', 'new-bank', 'clinic']
    """
    from ivr.present.report import short_names
    return [os.path.splitext(name)[0].replace("/", "-") for name in short_names(files)]


def _font_note(menus: list[Menu]) -> None:
    """One line on stderr when no installed font has some characters the plots show
    (said once the work has succeeded: an error stays the only line of a failed run)."""
    from ivr.present.plots import missing_glyphs, shown_text
    note = missing_glyphs(t for m in menus for t in shown_text(m))
    if note:
        print(f"warning: {note}", file=sys.stderr)


def cmd_plot(args: argparse.Namespace, out: Out) -> int:
    from ivr.present.plots import (
        flow_of,
        funnel_chart,
        heatmap,
        intent_rows,
        outcome_shares,
        render,
        seconds_to_person,
        survival,
    )
    from ivr.present.report import callers_of
    files, menus, population = _load(args)
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise InputError("not a folder", file=args.output, hint="-o names the folder that "
                         "receives the PNG and SVG files")
    names = stems(files)
    pops, apart = callers_of(menus, population, files)
    figures = {}
    sims = []
    shares = []
    for name, menu, pop in zip(names, menus, pops, strict=True):
        sim = simulate(compile_chain(menu, pop), args.n, seed=args.seed)
        summary = summarize(sim)
        sims.append((name, sim))
        shares.append((name, summary.outcomes))
        figures[f"{name}-outcomes"] = outcome_shares(intent_rows(summary),
                                                     title=f"How calls end: {menu.name}")
        figures[f"{name}-seconds-to-person"] = seconds_to_person([(name, sim)])
        figures[f"{name}-survival"] = survival([(name, sim)])
        figures[f"{name}-heatmap"] = heatmap(menu, flow_of(sim))
        figures[f"{name}-funnel"] = funnel_chart(summary)
    if len(sims) > 1:
        figures["compare-outcomes"] = outcome_shares(shares,
                                                     title="How calls end, per variant")
        figures["compare-seconds-to-person"] = seconds_to_person(sims)
        figures["compare-survival"] = survival(sims)
    # Everything is drawn before the first file is written: a failure leaves no half set.
    drawn = {f"{name}.{fmt}": render(fig, fmt) for name, fig in figures.items()
             for fmt in FORMATS}
    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise InputError("is a file, not a folder", file=args.output,
                         hint="name a folder for the images")
    _font_note(menus)
    if apart:
        print(f"note: the compare-* plots show each menu with its own callers ({apart})",
              file=sys.stderr)
    for path in write_folder(args.output, drawn):
        out.line(path)
    return 0


def cmd_report(args: argparse.Namespace, out: Out) -> int:
    from ivr.present.report import report_html
    files, menus, population = _load(args)
    page = report_html(menus, population, files=files, n=args.n, seed=args.seed,
                       config=lint_config(args))
    _font_note(menus)
    if args.output == "-":
        out.stream.write(page)
        return 0
    write_atomically(args.output, page)
    print(f"{args.output}: {len(page) / 1e6:.1f} MB, {len(menus)} "
          f"menu{'s' * (len(menus) != 1)}, {args.n:,} callers each", file=sys.stderr)
    return 0


def _walkers(p: argparse.ArgumentParser) -> None:
    """The arguments of commands that walk callers through several menus."""
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="menu files (or folders of them); several are compared")
    p.add_argument("--callers", metavar="POP",
                   help="a callers file for every menu (default: each menu's callers section)")
    from_format(p)
    sampling(p, "simulated callers per menu")
    max_bytes(p)


def register(command: Command) -> None:
    p = command("plot", cmd_plot,
                "Draw the figures of synthetic callers as PNG and SVG: outcome shares, "
                "seconds to a person, callers still in the menu, the menu as a traffic heat "
                "map, the per-node funnel; for several menus also their comparison.")
    _walkers(p)
    p.add_argument("-o", "--output", metavar="DIR", required=True,
                   help="folder for the files (made if missing)")

    p = command("report", cmd_report,
                "One self-contained HTML page: lint findings, the cheat sheet, outcome and "
                "funnel tables, plots and, for several menus, their comparison.")
    _walkers(p)
    p.add_argument("-o", "--output", metavar="OUT", required=True,
                   help="the HTML file to write ('-' for standard output)")
    lint_options(p)
