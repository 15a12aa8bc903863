"""`make bench`: what-if sweeps of menus/bank.yaml, side by side in one run.

- the naive sweep: compile + exact solve of every combination (what a loop over
  ``ivr solve`` does);
- ``ivr sweep``'s engine on 10,000 combinations of staffing x volume (the chain compiled
  and solved once with its queues open, each combination costing its line figures):
  on 1 process, on a local process pool of every core, and on a 2-worker Dask
  LocalCluster (started before the clock runs: ``--scheduler`` names a running cluster);
- the same engine when every combination changes the chain (patience x timeout), where
  each chain is compiled and solved once.

Each rate is the best of ``--repeat`` runs (the machine is shared: the least disturbed
run is the closest to what the code costs), with the CPU seconds of this process beside
the serial runs and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from markdown import publish  # noqa: E402

from ivr.callers.chain import compile_chain  # noqa: E402
from ivr.callers.exact import solve  # noqa: E402
from ivr.formats.registry import load_any  # noqa: E402
from ivr.plan.grid import apply, parse_vary  # noqa: E402
from ivr.plan.sweep import grid_of, run  # noqa: E402

BEGIN, END = "<!-- bench:sweep:begin -->", "<!-- bench:sweep:end -->"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BANK = os.path.join(ROOT, "menus", "bank.yaml")
QUEUE = ("staff.service_agent.agents=16..115", "callers.calls_per_hour=300..795:5")
CHAIN = ("callers.patience.mean=60..297:3", "defaults.timeout=3,5")
TARGET = 500.0  # combinations per second per core, staffing x volume


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the pool's)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def best(fn, repeat: int) -> tuple[float, float, object]:  # noqa: ANN001
    """(best wall seconds, the CPU seconds of that run (this process and the processes
    it started), last result)."""
    out = (float("inf"), 0.0, None)
    for _ in range(repeat):
        t, c = time.perf_counter(), _cpu()
        result = fn()
        wall, cpu = time.perf_counter() - t, _cpu() - c
        if wall < out[0]:
            out = (wall, cpu, result)
    return out


def naive(menu, grid, count: int) -> float:  # noqa: ANN001
    """Combinations per second of compile + solve per combination (the first ``count``)."""
    t = time.perf_counter()
    for c in list(grid)[:count]:
        solve(compile_chain(apply(menu, grid.varies, c.values)))
    return count / (time.perf_counter() - t)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", metavar="FILE", help="update the table in this file")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()
    menu = load_any(BANK)
    queue = grid_of([("bank", menu)], [parse_vary(v) for v in QUEUE])
    chain = grid_of([("bank", menu)], [parse_vary(v) for v in CHAIN])
    rows = []
    slow = naive(menu, queue, 30)
    rows.append(("naive: compile + solve each", "1 process", 30, slow, None, None))
    wall, cpu, serial = best(lambda: run(queue, executor="serial"), args.repeat)
    one = len(queue) / wall
    rows.append(("staffing x volume", "1 process", len(queue), one, cpu, None))
    wall, cpu_pool, pool = best(lambda: run(queue, executor="processes", workers=cores),
                                args.repeat)
    many = len(queue) / wall
    same_pool = repr(pool.rows) == repr(serial.rows)  # type: ignore[union-attr]
    rows.append(("staffing x volume", f"{cores} processes", len(queue), many, cpu_pool,
                 many / one))
    dask_rate, same_dask, dask_note = None, None, ""
    try:
        from distributed import LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            address = cluster.scheduler_address
            wall, _, on_dask = best(lambda: run(queue, executor="dask", scheduler=address),
                                    args.repeat)
        dask_rate = len(queue) / wall
        same_dask = repr(on_dask.rows) == repr(serial.rows)  # type: ignore[union-attr]
        rows.append(("staffing x volume", "Dask LocalCluster, 2 workers", len(queue),
                     dask_rate, None, dask_rate / one))
    except ImportError:
        dask_note = "(dask.distributed not installed: pip install 'ivr[dask]')"
    wall, cpu, _ = best(lambda: run(chain, executor="serial"), args.repeat)
    rows.append(("patience x timeout (chain changes)", "1 process", len(chain),
                 len(chain) / wall, cpu, None))
    wall, cpu_pool2, _ = best(lambda: run(chain, executor="processes", workers=cores),
                              args.repeat)
    rows.append(("patience x timeout (chain changes)", f"{cores} processes", len(chain),
                 len(chain) / wall, cpu_pool2, len(chain) / wall / rows[-1][3]))
    load_after = os.getloadavg()
    speedup = many / one
    lines = [
        BEGIN,
        "| sweep of menus/bank.yaml | where | combinations | per second | CPU s (all "
        "processes) | speed-up |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for what, where, n, rate, cpu_s, up in rows:
        lines.append(f"| {what} | {where} | {n:,} | {rate:,.0f} | "
                     f"{'' if cpu_s is None else f'{cpu_s:.2f}'} | "
                     f"{'' if up is None else f'{up:.2f}x'} |")
    per_core = one
    lines += [
        "",
        f"Staffing x volume: {per_core:,.0f} combinations per second on one core (target "
        f"{TARGET:,.0f}: {'met' if per_core >= TARGET else 'NOT met'}), "
        f"{one / slow:,.0f}x the naive sweep; {cores} processes {speedup:.2f}x "
        f"(target within 20% of {cores}: {'met' if speedup >= 0.8 * cores else 'NOT met'})"
        + (f", Dask 2 workers {dask_rate / one:.2f}x" if dask_rate else f" {dask_note}")
        + ". Rows identical to the serial run: processes "
        f"{'yes' if same_pool else 'NO'}"
        + (f", Dask {'yes' if same_dask else 'NO'}" if same_dask is not None else "") + ".",
        "CPU s counts this process and the pool's (not Dask's workers): the pool's CPU "
        "against the serial run's is what running in parallel costs, whatever else "
        "shares the machine. "
        f"Best of {args.repeat} runs each; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after (1 min), {cores} cores; Python "
        f"{sys.version.split()[0]}. `python benchmarks/bench_sweep.py` reruns it.",
        END,
    ]
    publish("\n".join(lines), args.write, BEGIN, END)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
