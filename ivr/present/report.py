"""One self-contained HTML page about one or more menus: what lint found, the cheat sheet,
the figures of synthetic callers, the plots and, for several menus, their comparison.

The page has its CSS inline, its images as base64 PNG, no script and no link to anything
outside itself, so it can be mailed, archived or printed as it is. Every text that comes
from a menu (names, node ids, prompts, intents) is escaped: menus are untrusted input.
"""

from __future__ import annotations

import base64
import html
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from matplotlib.figure import Figure as PlotFigure

from ivr import __version__
from ivr.callers.chain import compile_chain
from ivr.callers.dropped import lint_menu
from ivr.callers.exact import applies, solve
from ivr.callers.metrics import Figure, Rate, Summary, summarize, summarize_exact
from ivr.callers.simulate import DEFAULT_SEED, SimResult, simulate
from ivr.errors import ConfigError
from ivr.model import Menu, Population
from ivr.present import plots
from ivr.present.compare import Comparison, Delta, Variant, compare, populations
from ivr.present.tables import ORDER, pct, secs
from ivr.structure.lint import Finding, LintConfig
from ivr.structure.paths import Route, paths

#: Metrics where a rise is good for callers (the rest of the rates and times: a fall).
BETTER_UP = frozenset({"human_rate", "served_rate"})
NEUTRAL = frozenset({"voicemail_rate", "transferred_rate", "callback_rate"})
FUNNEL_ROWS = 15
#: The parts of each menu's section: anchor and heading.
SECTIONS = (("lint", "Lint findings"), ("keys", "Cheat sheet: the keys to each ending"),
            ("outcomes", "How calls end"), ("intents", "By intent"),
            ("funnel", "Per-node funnel"), ("plots", "Plots"))
#: Resolution of the inline images (2x the CSS pixel).
DPI = 192


@dataclass(frozen=True, eq=False)
class Part:
    """Everything the page shows about one menu."""

    file: str
    label: str
    menu: Menu
    findings: tuple[Finding, ...]
    routes: tuple[Route, ...]
    sim: SimResult
    summary: Summary
    exact: Summary | None


def analyse(menu: Menu, population: Population | None = None, *, file: str | None = None,
            label: str | None = None, n: int = 100_000, seed: int = DEFAULT_SEED,
            config: LintConfig | None = None) -> Part:
    """Lint, cheat sheet, simulation and (when the caller model allows it) exact figures."""
    chain = compile_chain(menu, population)
    sim = simulate(chain, n, seed=seed)
    exact = summarize_exact(chain, solve(chain)) if applies(chain) else None
    file = file or menu.source.file
    return Part(file, label or short_names([file])[0], menu, tuple(lint_menu(menu, config)),
                tuple(paths(menu)), sim, summarize(sim), exact)


def _part(v: Variant, label: str, config: LintConfig | None) -> Part:
    """A compared variant as a part of the page (its simulation is the comparison's)."""
    assert v.sim is not None
    return Part(v.file, label, v.menu, tuple(lint_menu(v.menu, config)), tuple(paths(v.menu)),
                v.sim, v.summary, v.exact)


def short_names(files: Sequence[str]) -> list[str]:
    """Short unique names for files: the file name, with its folder when two share one,
    numbered when even that is not enough.

    Examples
    --------
    >>> short_names(["menus/bank.yaml", "menus/clinic.yaml"])
    ['bank.yaml', 'clinic.yaml']
    >>> short_names(["old/bank.yaml", "new/bank.yaml", "bank.json"])
    ['old/bank.yaml', 'new/bank.yaml', 'bank.json']
    >>> short_names(["a/x.yaml", "b/a/x.yaml"])
    ['a/x-1.yaml', 'a/x-2.yaml']
    """
    base = [os.path.basename(f) for f in files]
    out = [os.path.join(os.path.basename(os.path.dirname(os.path.abspath(f))), b)
           if base.count(b) > 1 else b for f, b in zip(files, base, strict=True)]
    seen: dict[str, int] = {}
    first = list(out)
    for i, name in enumerate(first):
        if first.count(name) > 1:
            seen[name] = seen.get(name, 0) + 1
            root, ext = os.path.splitext(name)
            out[i] = f"{root}-{seen[name]}{ext}"
    return out


def report_html(menus: Sequence[Menu], population: Population | None = None, *,
                files: Sequence[str] | None = None, n: int = 100_000,
                seed: int = DEFAULT_SEED, config: LintConfig | None = None) -> str:
    """The whole page for ``menus`` (each walked by ``n`` callers with the same ``seed``,
    so several menus are compared on the same callers).

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: <Tiny> line
    ... start: main
    ... nodes:
    ...   main: {kind: menu, say: Press 0., options: {0: desk}, on_fail: desk}
    ...   desk: {kind: agent}
    ... ''')
    >>> page = report_html([m], n=1000)
    >>> "&lt;Tiny&gt; line" in page and "<script" not in page
    True
    """
    names = list(files) if files is not None else [m.source.file for m in menus]
    pops, apart = callers_of(menus, population, names)
    labels = short_names(names)
    comp = None
    if len(menus) > 1 and apart is None:  # variants: one simulation serves both views
        comp = compare(menus, population, n=n, seed=seed, files=names, lint_config=config)
        parts = [_part(v, label, config) for v, label in zip(comp.variants, labels,
                                                               strict=True)]
    else:
        parts = [analyse(m, pop, file=f, label=label, n=n, seed=seed, config=config)
                 for m, pop, f, label in zip(menus, pops, names, labels, strict=True)]
    body = [_header(parts, n, seed, apart)]
    if len(parts) > 1:
        body.append(_comparison(parts, comp, apart))
    for k, part in enumerate(parts, 1):
        body.append(_menu_section(part, k))
    body.append(_footer())
    title = "ivr report: " + ", ".join(p.menu.name for p in parts)
    # The menus' language when they share one (the text worth reading right is theirs:
    # names, prompts, node ids); each menu's section also says its own.
    langs = {p.menu.language for p in parts}
    lang = langs.pop() if len(langs) == 1 else "en"
    return (f"<!DOCTYPE html>\n<html lang=\"{_e(lang)}\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{_e(title)}</title>\n<style>\n{_css()}</style>\n</head>\n<body>\n"
            "<div class=\"page\">\n" + "\n".join(body) + "\n</div>\n</body>\n</html>\n")


def callers_of(menus: Sequence[Menu], population: Population | None,
               files: Sequence[str]) -> tuple[list[Population | None], str | None]:
    """The callers of each menu and, when they cannot be compared, why not.

    Several menus are variants when they have the same callers (as :func:`ivr.present.compare`
    needs them: then each gets exactly those). Menus with different callers sections are
    shown side by side, each with its own callers, and the reason is returned. A
    ``population`` (``--callers``) that does not fit a menu is an error.
    """
    if len(menus) < 2:
        return [population] * len(menus), None
    try:
        return list(populations(menus, population, files)), None
    except ConfigError as exc:
        if population is not None:
            raise
        return [None] * len(menus), str(exc)


def _css() -> str:
    return resources.files("ivr.present").joinpath("report.css").read_text(encoding="utf-8")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _img(fig: PlotFigure, alt: str, caption: str) -> str:
    """An inline PNG shown at the figure's own size (96 CSS px an inch, so its text
    matches the page), drawn at twice that for sharp screens and print."""
    data = base64.b64encode(plots.render(fig, "png", dpi=DPI)).decode("ascii")
    width = round(fig.get_figwidth() * 96)
    return (f"<figure><img alt=\"{_e(alt)}\" width=\"{width}\" "
            f"src=\"data:image/png;base64,{data}\">"
            f"<figcaption>{caption}</figcaption></figure>")


def _ci(r: Rate) -> str:
    return "" if r.high <= r.low else f"{pct(r.low)} – {pct(r.high)}"


def _fig_ci(f: Figure) -> str:
    if not math.isfinite(f.mean) or f.high <= f.low:
        return ""
    return f"{secs(f.low)} – {secs(f.high)}"


# -- page header and footer -------------------------------------------------------------

def _header(parts: list[Part], n: int, seed: int, apart: str | None) -> str:
    what = ("Phone menu report" if len(parts) == 1 else
            f"Phone menu report: {len(parts)} menus" if apart else
            f"Phone menu comparison: {len(parts)} variants")
    links = []
    if len(parts) == 1:
        links = [f"<a href=\"#menu-1-{anchor}\">{title.split(':')[0]}</a>"
                 for anchor, title in SECTIONS]
    else:
        links.append("<a href=\"#comparison\">Comparison</a>")
        links += [f"<a href=\"#menu-{k}\">{_e(p.menu.name)}"
                  + f" ({_e(p.label)})</a>" for k, p in enumerate(parts, 1)]
    names = ", ".join(f"<code>{_e(p.file)}</code>" for p in parts)
    return (f"<header class=\"top\"><h1>{what}</h1>"
            f"<p class=\"meta\">{names} · {n:,} simulated callers per menu (seed {seed})"
            f" · ivr {_e(__version__)}</p>"
            f"<nav class=\"toc\">{''.join(links)}</nav></header>")


def _footer() -> str:
    return ("<footer>Made by <code>ivr report</code>. Shares are of all callers, with 95% "
            "Wilson intervals; times are seconds in the menu, from the start of the call to "
            "the ending (a person, self-service, voicemail, ...) or to giving up. The caller "
            "model (intents, patience, mistakes) is described in the project README. "
            "Exact figures come from the same model solved as an absorbing Markov chain "
            "when patience is exponential.</footer>")


# -- one menu ---------------------------------------------------------------------------

def _menu_section(p: Part, k: int) -> str:
    s = p.summary
    nodes = len(p.menu.nodes)
    out = [f"<section class=\"menu\" id=\"menu-{k}\" lang=\"{_e(p.menu.language)}\">",
           f"<h2>{_e(p.menu.name)}</h2>",
           f"<p class=\"file\"><code>{_e(p.file)}</code> · {nodes} nodes · starts at "
           f"<code>{_e(p.menu.start)}</code> · {s.callers or 0:,} callers, "
           f"{len(s.by_intent)} intents</p>",
           _cards(p)]
    blocks = (_findings(p.findings), _routes(p.routes, p.menu.start), _outcomes(s, p.exact),
              _intents(s), _funnel(s), _plots(p))
    for (anchor, title), block in zip(SECTIONS, blocks, strict=True):
        out += [f"<h3 id=\"menu-{k}-{anchor}\">{title}</h3>", block]
        if anchor == "outcomes" and s.queues:
            out += [f"<h3 id=\"menu-{k}-queues\">Agent queues</h3>", _queues(s)]
    out.append("</section>")
    return "\n".join(out)


def _cards(p: Part) -> str:
    s = p.summary
    human, gone = s.outcomes["human"], s.outcomes["abandoned"]
    errors = sum(f.severity == "error" for f in p.findings)
    warnings = sum(f.severity == "warning" for f in p.findings)
    hs = s.human_seconds
    has_time = math.isfinite(hs.mean)
    timing = (f"median {secs(hs.p50)}, 90% within {secs(hs.p90)}" if hs.p50 is not None
              else _fig_ci(hs))
    cards = [
        ("person", "Reached a person", pct(human.value), f"95% CI {_ci(human)}"),
        ("person", "Seconds to a person", secs(hs.mean) if has_time else "–",
         f"{timing}<br>95% CI {_fig_ci(hs)}" if has_time else "no caller reached a person"),
        ("bad", "Gave up", pct(gone.value), f"95% CI {_ci(gone)}"),
        ("bad" if errors else "ok", "Lint", f"{errors} error{'s' * (errors != 1)}",
         f"{warnings} warning{'s' * (warnings != 1)}, "
         f"{len(p.findings) - errors - warnings} info"),
    ]
    return "<div class=\"cards\">" + "".join(
        f"<div class=\"card {cls}\"><div class=\"label\">{label}</div>"
        f"<div class=\"value\">{value}</div><div class=\"ci\">{note}</div></div>"
        for cls, label, value, note in cards) + "</div>"


def _findings(findings: Sequence[Finding]) -> str:
    if not findings:
        return "<p class=\"clean\">✓ No findings: lint found nothing to report.</p>"
    order = {"error": 0, "warning": 1, "info": 2}
    rows = []
    for f in sorted(findings, key=lambda f: order.get(f.severity, 3)):
        where = f"line {f.source.line}" if f.source and f.source.line else ""
        rows.append(f"<tr><td><span class=\"sev {_e(f.severity)}\">{_e(f.severity)}</span></td>"
                    f"<td class=\"mono\">{_e(f.rule)}</td><td>{_e(f.node or '')}</td>"
                    f"<td class=\"msg\">{_e(f.message)}</td>"
                    f"<td class=\"keys\">{_e(f.keys or '')}</td>"
                    f"<td class=\"where\">{_e(where)}</td></tr>")
    return ("<table><thead><tr><th>severity</th><th>rule</th><th>node</th><th>what is wrong"
            "</th><th>keys to get there</th><th>source</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _routes(routes: Sequence[Route], start: str) -> str:
    if not routes:
        return "<p>No ending can be reached from the start.</p>"
    rows = []
    for r in routes:
        fastest = "" if r.fastest_keys == r.keys else \
            f"{_e(r.fastest_keys)} ({r.fastest_seconds:.1f} s)"
        cls = " class=\"person\"" if r.kind == "agent" else ""
        rows.append(f"<tr{cls}><td>{_e(r.node)}</td><td>{_e(r.kind)}</td>"
                    f"<td class=\"keys\">{_e(r.keys)}</td><td class=\"num\">{r.seconds:.1f}</td>"
                    f"<td class=\"keys\">{fastest}</td></tr>")
    people = [r for r in routes if r.kind == "agent"]
    note = (f"To reach a person: <code>{_e(people[0].keys)}</code> "
            f"({people[0].seconds:.0f} s)." if people else
            "<strong>No person can be reached from the start.</strong>")
    return ("<table><thead><tr><th>ending</th><th>kind</th><th>fewest keys from "
            f"<code>{_e(start)}</code></th><th class=\"num\">seconds</th><th>faster way, if "
            "any</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            f"<p class=\"note\">{note} Highlighted rows end with a person.</p>")


def _outcomes(s: Summary, exact: Summary | None) -> str:
    rows = []
    for o in ORDER:
        r = s.outcomes[o]
        x = exact.outcomes[o].value if exact else None
        if r.value == 0 and (x is None or x < 5e-4) and o not in ("human", "abandoned"):
            continue
        bar = f"<span class=\"bar o-{o}\" style=\"width:{100 * r.value:.1f}%\"></span>"
        ex = f"<td class=\"num\">{pct(x)}</td>" if x is not None else ""
        rows.append(f"<tr><td><span class=\"swatch o-{o}\"></span>{o}</td>"
                    f"<td class=\"num\">{pct(r.value)}</td><td class=\"num\">{_ci(r)}</td>"
                    f"<td class=\"num\">{r.count or 0:,}</td>{ex}"
                    f"<td class=\"barcell\">{bar}</td></tr>")
    head = ("<table><thead><tr><th>outcome</th><th class=\"num\">share</th><th class=\"num\">"
            "95% CI</th><th class=\"num\">callers</th>"
            + ("<th class=\"num\">exact</th>" if exact else "") + "<th></th></tr></thead><tbody>")
    hs, st, ms = s.human_seconds, s.human_steps, s.seconds
    lines = [f"Seconds to a person: mean {secs(hs.mean)}"
             + (f" (p50 {secs(hs.p50)}, p90 {secs(hs.p90)})" if hs.p50 is not None else "")
             + (f", exact {secs(exact.human_seconds.mean)}" if exact else "")
             + f"; steps to a person {st.mean:.1f}." if math.isfinite(hs.mean) else
             "No caller reached a person.",
             f"Time in the menu, all callers: mean {secs(ms.mean)}"
             + (f" (p50 {secs(ms.p50)}, p90 {secs(ms.p90)})" if ms.p50 is not None else "")
             + f"; steps {s.steps.mean:.1f}."]
    return (head + "".join(rows) + "</tbody></table>"
            + "".join(f"<p class=\"note\">{_e(t)}</p>" for t in lines))


def _queues(s: Summary) -> str:
    """The staffed agent nodes: Erlang figures of their queues, and what their rules do
    (callbacks taken, callers sent on at the longest wait, left on the announcement)."""
    extra = [(head, get) for head, get, used in (
        ("callback taken", lambda q: pct(q.p_callback), any(q.p_callback for q in s.queues)),
        ("sent on at max wait", lambda q: pct(q.p_timeout), any(q.p_timeout for q in s.queues)),
        ("left on the announcement", lambda q: pct(q.p_balk), any(q.p_balk for q in s.queues)),
        ("announced wait", lambda q: secs(q.announced),
         any(q.announced is not None for q in s.queues))) if used]
    rows = []
    for q in s.queues:
        rows.append(f"<tr><td>{_e(q.node)}</td><td class=\"num\">{q.agents}</td>"
                    f"<td class=\"num\">{q.handle_time:.0f} s</td>"
                    f"<td class=\"num\">{q.calls_per_hour:.1f}</td>"
                    f"<td class=\"num\">{pct(q.p_wait)}</td><td class=\"num\">{secs(q.asa)}</td>"
                    f"<td class=\"num\">{pct(q.service_level)} in {q.target:.0f} s</td>"
                    f"<td class=\"num\">{pct(q.p_abandon)}</td>"
                    + "".join(f"<td class=\"num\">{get(q)}</td>" for _, get in extra)
                    + f"<td class=\"num\">{pct(q.occupancy)}</td><td>{_e(q.model)}</td></tr>")
    return ("<table><thead><tr><th>agent node</th><th class=\"num\">agents</th>"
            "<th class=\"num\">handle time</th><th class=\"num\">calls per hour</th>"
            "<th class=\"num\">wait at all</th><th class=\"num\">speed of answer</th>"
            "<th class=\"num\">service level</th><th class=\"num\">give up waiting</th>"
            + "".join(f"<th class=\"num\">{_e(head)}</th>" for head, _ in extra)
            + "<th class=\"num\">occupancy</th><th>model</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table><p class=\"note\">Seconds to a person include "
            "the wait in these queues; a callback is a person, later.</p>")


def _heat(x: float, colour: str) -> str:
    """A table cell shaded by a share (0..1) in the outcome's colour."""
    alpha = 0.08 + 0.6 * min(x, 1.0) if x >= 5e-4 else 0.0
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return (f"<td class=\"heat\" style=\"background:rgba({r},{g},{b},{alpha:.2f})\">"
            f"{pct(x)}</td>")


def _intents(s: Summary) -> str:
    shown = [o for o in ORDER if any(row[o].value > 0 for row in s.by_intent.values())]
    head = "".join(f"<th class=\"num\">{o}</th>" for o in shown)
    rows = []
    for name, row in s.by_intent.items():
        n = sum((r.count or 0) for r in row.values())
        rows.append(f"<tr><td>{_e(name)}</td><td class=\"num\">{n:,}</td>"
                    + "".join(_heat(row[o].value, plots.OUTCOME_COLOURS[o]) for o in shown)
                    + "</tr>")
    return (f"<table><thead><tr><th>intent</th><th class=\"num\">callers</th>{head}</tr>"
            "</thead><tbody>" + "".join(rows) + "</tbody></table>")


def _funnel(s: Summary) -> str:
    rows = []
    for f in s.funnel[:FUNNEL_ROWS]:
        share = f.abandoned / f.visits if f.visits else 0.0
        exits = ", ".join(f"{label} {pct(x / f.visits) if f.visits else '-'}"
                          for label, x in f.exits[:4])
        cls = " class=\"person\"" if f.kind == "agent" else ""
        rows.append(f"<tr{cls}><td>{_e(f.node)}</td><td>{_e(f.kind)}</td>"
                    f"<td class=\"num\">{f.visits:.2f}</td><td class=\"num\">{pct(share)}</td>"
                    f"<td>{_e(exits)}</td></tr>")
    more = len(s.funnel) - FUNNEL_ROWS
    note = f"<p class=\"note\">The busiest {FUNNEL_ROWS} of {len(s.funnel)} nodes.</p>" \
        if more > 0 else ""
    return ("<table><thead><tr><th>node</th><th>kind</th><th class=\"num\">visits per caller"
            "</th><th class=\"num\">gave up there</th><th>how callers left</th></tr></thead>"
            "<tbody>" + "".join(rows) + "</tbody></table>" + note)


def _plots(p: Part) -> str:
    name = p.menu.name
    sims = [(p.label, p.sim)]
    return "\n".join([
        _img(plots.outcome_shares(plots.intent_rows(p.summary)), f"How calls end: {name}",
             "Outcome shares of all callers and of each intent; the whiskers are 95% "
             "intervals."),
        "<div class=\"two\">",
        _img(plots.seconds_to_person(sims), f"Seconds to a person: {name}",
             "Share of all callers who have reached a person by each second; the dotted "
             "line is the share who ever do."),
        _img(plots.survival(sims), f"Callers still in the menu: {name}",
             "Solid: callers still in the menu; dashed: callers who have given up by then."),
        "</div>",
        _img(plots.heatmap(p.menu, plots.flow_of(p.sim)), f"Traffic heat map: {name}",
             "The menu left to right by moves from the start. Node colour: visits per "
             "caller (grey: never reached); arrow width and colour: callers moving along it; "
             "a star is a person."),
        _img(plots.funnel_chart(p.summary), f"Per-node funnel: {name}",
             "Visits per caller at the busiest nodes; red: the part that gave up there."),
    ])


# -- several menus ----------------------------------------------------------------------

def _comparison(parts: list[Part], comp: Comparison | None, apart: str | None) -> str:
    labels = [p.label for p in parts]
    out = ["<section class=\"comparison\" id=\"comparison\"><h2>Comparison</h2>"]
    if comp is not None:
        out.append("<p class=\"file\">The same callers (same seed, common random numbers) "
                   "walked through each variant; differences are against "
                   f"<code>{_e(parts[0].file)}</code>.</p>")
        out.append(_metric_table(parts, comp))
    else:
        out.append("<p class=\"file\">Side by side, each menu with its own callers. They are "
                   f"not compared as variants: {_e(apart)}.</p>")
    rows = [(label, p.summary.outcomes) for label, p in zip(labels, parts, strict=True)]
    sims = [(label, p.sim) for label, p in zip(labels, parts, strict=True)]
    out += [_img(plots.outcome_shares(rows, title="How calls end, per variant"),
                 "How calls end per variant", "Outcome shares per variant, 95% intervals."),
            "<div class=\"two\">",
            _img(plots.seconds_to_person(sims), "Seconds to a person per variant",
                 "Share of all callers who have reached a person by each second."),
            _img(plots.survival(sims), "Callers still in the menu per variant",
                 "Solid: still in the menu; dashed: given up by then."),
            "</div></section>"]
    return "\n".join(out)


def _metric_table(parts: list[Part], comp: Comparison) -> str:
    """Key figures side by side, with paired differences from :mod:`ivr.present.compare`."""
    head = "".join(f"<th class=\"num file\" title=\"{_e(p.file)}\">{_e(p.label)}</th>"
                   + ("<th class=\"num\">change (95% CI)</th>" if k else "")
                   for k, p in enumerate(parts))
    rows = []
    for m in comp.metrics:
        if m.metric.endswith("_rate") and not any(m.values) and not any(m.exact or ()):
            continue  # an outcome no variant has
        is_time = "seconds" in m.metric
        show = secs if is_time else (lambda x: f"{x:.2f}") if "steps" in m.metric else pct
        cells = []
        for k, (value, d) in enumerate(zip(m.values, m.deltas, strict=True)):
            cells.append(f"<td class=\"num\">{show(value)}</td>")
            if k:
                text = _delta(m.metric, d) if d is not None and math.isfinite(d.value) else "–"
                cells.append(f"<td class=\"num\">{text}</td>")
        rows.append(f"<tr><td>{_e(m.label)}</td>{''.join(cells)}</tr>")
    changes = []
    mark = {"+": "added", "-": "removed", "~": "changed", "+ finding": "removed",
            "- finding": "added"}  # a new finding is bad news, a fixed one good
    for p, diff in zip(parts[1:], comp.changes, strict=True):
        items = "".join(f"<li class=\"{mark.get(x[:9], mark.get(x[:1], 'changed'))}\">"
                        f"{_e(x)}</li>"
                        for x in diff.lines()) or "<li>no change in structure</li>"
        changes.append(f"<h3>What changed in {_e(p.label)} (against {_e(parts[0].label)})"
                       f"</h3><ul class=\"changes\">{items}</ul>")
    return ("<table><thead><tr><th>figure</th>" + head + "</tr></thead><tbody>"
            + "".join(rows) + "</tbody></table><p class=\"note\">Beside each later variant: its "
            "difference from the first, paired caller by caller, with its 95% interval and the "
            "exact difference of the model when it applies; coloured when significant (green "
            "better for callers, red worse).</p>" + "".join(changes))


def _delta(metric: str, d: Delta) -> str:
    """A paired difference with its interval (and the exact one when known), coloured when
    significant: green when better for callers, red when worse."""
    if "seconds" in metric:
        fmt = "{:+.1f} s"
    elif "steps" in metric:
        fmt = "{:+.2f}"
    else:
        fmt = "{:+.1f} pt"
    scale = 1.0 if "seconds" in metric or "steps" in metric else 100.0
    text = (fmt.format(scale * d.value) + f" [{fmt.format(scale * d.low).split()[0]}, "
            f"{fmt.format(scale * d.high).split()[0]}]")
    cls = "same"
    if d.significant and metric not in NEUTRAL:
        cls = "good" if (d.value > 0) == (metric in BETTER_UP) else "bad"
    exact = "" if d.exact is None or not math.isfinite(d.exact) else \
        f" <span class=\"exactd\">(exact {fmt.format(scale * d.exact)})</span>"
    return f"<span class=\"delta {cls}\">{text}</span>{exact}"


__all__ = ["Part", "analyse", "report_html"]
