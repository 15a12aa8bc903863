"""Benchmark of the caller model (issue 3), written into BENCHMARKS.md by ``make bench``.

On a generated 1,000-node menu, the vectorized simulator is timed against two references
that walk the same compiled chain: a SimPy model (a process per caller) and a plain Python
loop. Then the peak memory of 1,000,000 callers (in a fresh process), and the exact solve
of a generated 100,000-node menu (``--exact-only`` times just that, and writes nothing).
"""

from __future__ import annotations

import argparse
import bisect
import math
import os
import platform
import random
import resource
import subprocess
import sys
import time
from datetime import date
from unittest import mock

import numpy as np
import simpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from generate import big_menu_yaml  # noqa: E402
from markdown import replace_section  # noqa: E402

import ivr.callers.exact  # noqa: E402
from ivr.callers.chain import ABANDONED, Chain, compile_chain  # noqa: E402
from ivr.callers.exact import solve  # noqa: E402
from ivr.callers.linsolve import Solver  # noqa: E402
from ivr.callers.simulate import simulate, threads_for  # noqa: E402
from ivr.formats import parse_menu  # noqa: E402
from ivr.model import Intent, Menu, Patience, Population  # noqa: E402

BEGIN, END = "<!-- bench:sim:begin -->", "<!-- bench:sim:end -->"


def population(menu: Menu, seed: int = 3) -> Population:
    """Nine intents: eight leaves of the generated menu and "a person" (desk0)."""
    rng = random.Random(seed)
    leaves = [n.id for n in menu.nodes.values()
              if n.kind in ("self_service", "agent") and not n.id.startswith("desk")]
    intents = [Intent(f"i{k}", 0.1, (g,)) for k, g in enumerate(rng.sample(leaves, 8))]
    intents.append(Intent("person", 0.2, ("desk0",)))
    return Population(tuple(intents), Patience("exponential", 180.0))


class _Rows:
    """The compiled chain as Python lists, for the two references."""

    def __init__(self, chain: Chain) -> None:
        self.cum = []
        for s in range(chain.n_states):
            a, b = int(chain.indptr[s]), int(chain.indptr[s + 1])
            self.cum.append(np.cumsum(chain.prob[a:b]).tolist())
        self.first = chain.indptr[:-1].tolist()
        self.dst = chain.dst.tolist()
        self.secs = chain.secs.tolist()
        self.start = chain.start.tolist()
        self.weights = chain.weights().tolist()
        self.mean = float(chain.population.patience.mean or 120.0)

    def pick(self, state: int, u: float) -> int:
        row = self.cum[state]
        return self.first[state] + min(bisect.bisect_right(row, u * row[-1]), len(row) - 1)


def plain_loop(rows: _Rows, n: int, seed: int = 1) -> tuple[int, list[int]]:
    rnd = random.Random(seed)
    steps = 0
    outcomes = [0] * 8
    classes = range(len(rows.weights))
    for _ in range(n):
        c = rnd.choices(classes, rows.weights)[0]
        patience = rnd.expovariate(1.0 / rows.mean)
        state, elapsed = rows.start[c], 0.0
        while state >= 0:
            e = rows.pick(state, rnd.random())
            steps += 1
            elapsed += rows.secs[e]
            if elapsed > patience:
                state = -1 - ABANDONED
                break
            state = rows.dst[e]
        outcomes[-1 - state] += 1
    return steps, outcomes


def simpy_model(rows: _Rows, n: int, seed: int = 1) -> tuple[int, list[int]]:
    rnd = random.Random(seed)
    env = simpy.Environment()
    counter = {"steps": 0}
    outcomes = [0] * 8
    classes = range(len(rows.weights))

    def caller(c: int, patience: float):  # type: ignore[no-untyped-def]
        state, began = rows.start[c], env.now
        while state >= 0:
            e = rows.pick(state, rnd.random())
            counter["steps"] += 1
            left = patience - (env.now - began)
            if rows.secs[e] > left:
                yield env.timeout(left)
                state = -1 - ABANDONED
                break
            yield env.timeout(rows.secs[e])
            state = rows.dst[e]
        outcomes[-1 - state] += 1

    def arrivals():  # type: ignore[no-untyped-def]
        for _ in range(n):
            c = rnd.choices(classes, rows.weights)[0]
            env.process(caller(c, rnd.expovariate(1.0 / rows.mean)))
            yield env.timeout(rnd.expovariate(1.0))

    env.process(arrivals())
    env.run()
    return counter["steps"], outcomes


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def fastest(repeat: int, fn, *args):  # type: ignore[no-untyped-def]
    """The fastest of ``repeat`` runs, with its result: the machine is shared, and the run
    least disturbed is the one that measures the code."""
    return min((timed(fn, *args) for _ in range(repeat)), key=lambda run: run[0])


class _TimedSolver(Solver):
    """The solver of ``ivr.callers.exact``, adding its own time to ``spent``: the linear algebra
    alone, without assembling the matrix and the figures around it."""

    spent = 0.0

    def __init__(self, a, **kw):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        super().__init__(a, **kw)
        _TimedSolver.spent += time.perf_counter() - t

    def solve(self, b, transpose=False):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        x = super().solve(b, transpose)
        _TimedSolver.spent += time.perf_counter() - t
        return x


def exact_line(nodes: int, repeat: int = 3) -> str:
    """Compile and solve a generated menu of ``nodes`` nodes; the best of ``repeat`` solves
    (the machine is shared: the best run is the one least disturbed)."""
    big = parse_menu(big_menu_yaml(nodes), "gen.yaml")
    pop = Population((Intent("person", 1.0, ("desk0",)),), Patience("exponential", 180.0))
    t_compile, chain = timed(compile_chain, big, pop)
    best = (math.inf, math.inf)
    with mock.patch.object(ivr.callers.exact, "Solver", _TimedSolver):
        for _ in range(repeat):
            _TimedSolver.spent = 0.0
            t_solve, exact = timed(solve, chain)
            best = min(best, (t_solve, _TimedSolver.spent))
    t_solve, t_linalg = best
    ok = t_solve < 0.5 and exact.residual < 1e-9
    return (f"- Exact solve of a generated {nodes:,}-node menu (one intent, "
            f"{chain.n_states:,} states, {len(chain.prob):,} entries): compile "
            f"{t_compile:.2f} s, solve {t_solve:.2f} s (best of {repeat}; linear algebra "
            f"{t_linalg:.2f} s of it) by {exact.method}, largest relative residual "
            f"{exact.residual:.1e}: {'**met**' if ok else '**not met**'} "
            "(target under 0.5 s, residual under 1e-9).")


def memory_child(n: int) -> None:
    menu = parse_menu(big_menu_yaml(1000), "gen.yaml")
    chain = compile_chain(menu, population(menu))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    simulate(chain, n, seed=1)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(before, after)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", metavar="FILE", help="update the table in this file")
    parser.add_argument("--child-memory", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--exact-nodes", type=int, default=100_000)
    parser.add_argument("--exact-only", action="store_true",
                        help="time only the exact solve and print its line")
    args = parser.parse_args()
    if args.child_memory:
        memory_child(args.child_memory)
        return 0
    if args.exact_only:
        print(exact_line(args.exact_nodes))
        return 0
    menu = parse_menu(big_menu_yaml(1000), "gen.yaml")
    chain = compile_chain(menu, population(menu))
    rows = _Rows(chain)
    n_vec, n_loop, n_simpy = 1_000_000, 100_000, 20_000
    load = os.getloadavg()[0]
    simulate(chain, 10_000, seed=9)  # warm up
    threads = threads_for(n_vec)  # the default
    t_vec, res = fastest(5, simulate, chain, n_vec)
    vec_rate = res.caller_steps / t_vec
    t_one, one = fastest(5, lambda: simulate(chain, n_vec, threads=1))
    one_rate = one.caller_steps / t_one
    t_loop, (loop_steps, _) = fastest(3, plain_loop, rows, n_loop)
    loop_rate = loop_steps / t_loop
    t_simpy, (simpy_steps, _) = fastest(3, simpy_model, rows, n_simpy)
    simpy_rate = simpy_steps / t_simpy
    child = subprocess.run([sys.executable, __file__, "--child-memory", "1000000"],
                           capture_output=True, text=True, check=True)
    before_kb, peak_kb = (int(x) for x in child.stdout.split())
    exact = exact_line(args.exact_nodes)

    def verdict(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    table = "\n".join([
        BEGIN,
        f"Measured {date.today().isoformat()} on {os.cpu_count()} cores (load average "
        f"{load:.1f} when it began), Python {platform.python_version()}, by `make bench` "
        f"(`benchmarks/bench_sim.py`; the fastest of 5 runs for ivr, of 3 for the "
        f"references). Generated 1,000-node menu ({chain.n_states:,} chain states, "
        f"{len(chain.prob):,} entries, {len(chain.classes)} caller classes), exponential "
        f"patience (mean 180 s); {res.caller_steps / n_vec:.1f} steps per caller on average.",
        "",
        "| engine (same compiled chain) | threads | callers | caller-steps/s | vs SimPy "
        "| vs plain loop |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| ivr `simulate` (numpy, lockstep, alias tables; default threads) | {threads} | "
        f"{n_vec:,} | {vec_rate:,.0f} | {vec_rate / simpy_rate:.0f}x | "
        f"{vec_rate / loop_rate:.1f}x |",
        f"| ivr `simulate`, `threads=1` | 1 | {n_vec:,} | {one_rate:,.0f} | "
        f"{one_rate / simpy_rate:.0f}x | {one_rate / loop_rate:.1f}x |",
        f"| plain Python loop (bisect on cumulative rows) | 1 | {n_loop:,} | {loop_rate:,.0f} | "
        f"{loop_rate / simpy_rate:.1f}x | 1x |",
        f"| SimPy 4 (a process per caller) | 1 | {n_simpy:,} | {simpy_rate:,.0f} | 1x | "
        f"{simpy_rate / loop_rate:.2f}x |",
        "",
        f"- Throughput target >= 2e7 caller-steps/s: {verdict(vec_rate >= 2e7)} "
        f"({vec_rate:.2e} in {threads} thread{'s' * (threads > 1)}; {one_rate:.2e} in one); "
        f">= 100x SimPy: {verdict(vec_rate >= 100 * simpy_rate)}; >= 5x the plain loop: "
        f"{verdict(vec_rate >= 5 * loop_rate)}.",
        f"- 1,000,000 callers ({threads} thread{'s' * (threads > 1)}): peak resident memory "
        f"{peak_kb / 1024:,.0f} MiB for the whole process ({before_kb / 1024:,.0f} MiB before "
        f"simulating): {verdict(peak_kb < 1024 * 1024)} (target under 1 GiB).",
        exact,
        END,
    ])
    print(table)
    if args.write:
        replace_section(args.write, BEGIN, END, table)
    return 0 if math.isfinite(vec_rate) else 1


if __name__ == "__main__":
    sys.exit(main())
