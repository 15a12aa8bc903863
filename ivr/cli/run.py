"""Commands that walk synthetic callers: simulate and solve."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ivr.cli.common import Command, Out, Progress, load_chain, max_bytes, population, positive_int
from ivr.errors import ConfigError
from ivr.exact import applies as exact_applies
from ivr.exact import solve
from ivr.metrics import agreement, summarize, summarize_exact
from ivr.simulate import DEFAULT_SEED, simulate
from ivr.tables import agreement_text, summary_csv, summary_dict, summary_text

#: |z| above which ``simulate --check`` reports disagreement (and exits 1).
CHECK_LIMIT = 4.5


def cmd_simulate(args: argparse.Namespace, out: Out) -> int:
    chain = load_chain(args)
    bar = Progress(args.n >= 500_000 and args.format == "text")
    try:
        result = simulate(chain, args.n, seed=args.seed, trace=args.trace, progress=bar)
    finally:
        bar.close()
    summary = summarize(result)
    if args.check:
        if not exact_applies(chain):
            dist = chain.population.patience.distribution
            raise ConfigError("--check needs exponential patience (or none): the exact "
                              f"solution does not apply to {dist}")
        rows = agreement(summary, summarize_exact(chain, solve(chain)))
        if args.format == "json":
            out.line(json.dumps([asdict(r) for r in rows], indent=2))
        else:
            out.line(agreement_text(rows, args.file, args.n, CHECK_LIMIT))
        return 1 if any(abs(r.z) > CHECK_LIMIT for r in rows) else 0
    if args.format == "json":
        d = summary_dict(summary, args.file)
        d["traces"] = [asdict(t) for t in result.traces]
        out.line(json.dumps(d, indent=2))
    elif args.format == "csv":
        out.stream.write(summary_csv([(args.file, summary)]))
    else:
        out.line(summary_text(summary, args.file))
        for t in result.traces:
            out.line("")
            out.line(f"  caller {t.caller} ({t.intent}): {t.outcome} after {t.seconds:.1f} s")
            for node, event, key, to, sec in t.steps:
                what = f"presses {key}" if key else event
                out.line(f"    {node:<20} {what:<12} -> {to:<20} {sec:6.1f} s")
    return 0


def cmd_solve(args: argparse.Namespace, out: Out) -> int:
    chain = load_chain(args)
    summary = summarize_exact(chain, solve(chain))
    if args.format == "json":
        out.line(json.dumps(summary_dict(summary, args.file), indent=2))
    elif args.format == "csv":
        out.stream.write(summary_csv([(args.file, summary)]))
    else:
        out.line(summary_text(summary, args.file))
    return 0



def register(command: Command) -> None:
    p = command("simulate", cmd_simulate,
                "Walk synthetic callers through a menu: outcome shares with 95%% intervals, "
                "seconds and steps to a person, and the per-node funnel.")
    population(p)
    p.add_argument("-n", type=positive_int, default=100_000, metavar="N",
                   help="number of callers (default 100,000)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"random seed; the same seed gives the same numbers (default "
                   f"{DEFAULT_SEED})")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="output format")
    p.add_argument("--trace", type=int, default=0, metavar="K",
                   help="show the paths of the first K callers")
    p.add_argument("--check", action="store_true",
                   help="compare with the exact solution (z-scores); exit 1 if any |z| > "
                   f"{CHECK_LIMIT:g}")
    max_bytes(p)

    p = command("solve", cmd_solve,
                "The exact figures of the caller model (absorbing Markov chain): outcome "
                "probabilities, expected seconds and steps, visits per node.")
    population(p)
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="output format")
    max_bytes(p)
