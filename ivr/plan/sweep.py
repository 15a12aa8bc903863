"""Run a what-if grid: every combination solved exactly where the model allows it,
simulated (seeded by the combination) where not, on one process, a local process pool or
a Dask cluster, with the same rows in every case.

Work is cut into *tasks* of many combinations that share a chain (the menu, the time
and the fields that change the chain): a task compiles its chain once and solves it with
its queues open (:class:`ivr.callers.ports.Ports`), so the combinations that differ only
in staffing and call volume cost the line figures and a few sums. Each worker process
keeps the chains of its last tasks, so the next task of the same chain starts warm.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ivr.callers.chain import OUTCOMES, Chain, compile_chain, continues
from ivr.callers.exact import applies
from ivr.callers.ports import Ports
from ivr.errors import ConfigError, IvrError
from ivr.model import Menu, Staff
from ivr.plan.grid import Combination, Grid, Vary, apply, apply_staff

#: Figures of every row, after the varied fields (outcome shares first).
FIGURES = (*OUTCOMES, "human_seconds", "human_seconds_sd", "seconds", "steps")
#: Figures of each queue, as ``AGENT.figure`` columns.
QUEUE_FIGURES = ("agents", "asa", "service_level", "abandoned", "occupancy")
#: Callers simulated per combination where the exact solution does not apply.
SIM_CALLERS = 20_000
#: Where a sweep can run.
EXECUTORS = ("serial", "processes", "dask")


@dataclass(frozen=True)
class Table:
    """A sweep's tidy table: one row per combination, in the grid's order."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    executor: str = "serial"
    workers: int = 1
    tasks: int = 0
    seconds: float = 0.0

    def column(self, name: str) -> list[Any]:
        k = self.columns.index(name)
        return [r[k] for r in self.rows]

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


def queue_names(menus: Sequence[Menu]) -> tuple[str, ...]:
    """The agents any menu may queue at (staff or line rules), in the menus' order."""
    out: list[str] = []
    for menu in menus:
        for node in menu.nodes.values():
            if node.kind == "agent" and (node.staff is not None or node.max_wait is not None
                                         or node.announce_wait is not None
                                         or node.callback is not None) and node.id not in out:
                out.append(node.id)
    return tuple(out)


def columns(grid: Grid) -> tuple[str, ...]:
    head = ["menu"]
    if any(a is not None for a in grid.at):
        head.append("at")
    head += [v.path for v in grid.varies]
    head += ["method", *FIGURES]
    head += [f"{q}.{f}" for q in queue_names(grid.menus) for f in QUEUE_FIGURES]
    return (*head, "note")


@dataclass
class _Worker:
    """The chains (and open solves) one process has built, by sweep and chain key."""

    token: str = ""
    chains: dict[tuple[object, ...], Any] = field(default_factory=dict)
    compiled: dict[tuple[object, ...], Chain] = field(default_factory=dict)

    def entry(self, token: str, grid: Grid, c: Combination) -> Any:
        if token != self.token:
            self.token, self.chains, self.compiled = token, {}, {}
        key = grid.chain_key(c)
        got = self.chains.get(key)
        if got is None:
            for cache in (self.chains, self.compiled):
                if len(cache) >= 32:
                    cache.pop(next(iter(cache)))
            got = self.chains[key] = self._build(grid, c)
        return got

    def _build(self, grid: Grid, c: Combination) -> Ports | Chain | IvrError:
        """The chain of a combination's chain key: its menu with the chain fields applied
        (and its call volume, which decides which agents queue), solved with the queues
        open where the exact solution applies. The compiled chain does not depend on the
        callers' patience (the solve folds it in), so chains that differ only in it are
        compiled once."""
        fields = [(v, x) for v, x in zip(grid.varies, c.values, strict=True)
                  if not v.queue_only or v.path == "callers.calls_per_hour"]
        try:
            menu = apply(grid.menus[c.menu], [v for v, _ in fields], [x for _, x in fields])
            key = (c.menu, c.at, tuple((v.path, x) for v, x in fields
                                       if v.path != "callers.patience.mean"),
                   menu.callers is not None and menu.callers.calls_per_hour > 0)
            chain = self.compiled.get(key)
            if chain is None:
                chain = self.compiled[key] = compile_chain(menu, at=grid.minute(c.menu, c.at))
            elif menu.callers is not None:
                chain = replace(chain, menu=menu, population=menu.callers)
            return Ports(chain) if applies(chain) else chain
        except IvrError as exc:
            return exc


_WORKER = _Worker()


def run_task(grid: Grid, indices: Sequence[int], token: str, n: int, seed: int
             ) -> list[tuple[Any, ...]]:
    """The rows of these combinations (a task: what one worker does at a time)."""
    names = queue_names(grid.menus)
    return [_row(grid, grid.combination(i), token, n, seed, names) for i in indices]


def _row(grid: Grid, c: Combination, token: str, n: int, seed: int,
         names: tuple[str, ...]) -> tuple[Any, ...]:
    head: list[Any] = [grid.labels[c.menu]]
    if any(a is not None for a in grid.at):
        head.append(grid.at[c.at])
    head += list(c.values)
    blank = [math.nan] * (len(FIGURES) + len(names) * len(QUEUE_FIGURES))
    entry = _WORKER.entry(token, grid, c)
    if isinstance(entry, IvrError):
        return (*head, "none", *blank, entry.message)
    queue = [(v, x) for v, x in zip(grid.varies, c.values, strict=True) if v.queue_only]
    try:
        if isinstance(entry, Ports):
            return (*head, "exact", *_exact(entry, queue, names), "")
        return (*head, "simulated", *_simulated(entry, queue, names, n, c.seed(seed)), "")
    except IvrError as exc:
        return (*head, "none", *blank, exc.message)


def _exact(ports: Ports, queue: list[tuple[Vary, float]], names: tuple[str, ...]
           ) -> list[float]:
    staff, cph = queue_values(ports.chain.menu, queue)
    f = ports.evaluate(staff, cph)
    out = [f.outcomes[o] for o in OUTCOMES]
    out += [f.human_seconds, f.human_seconds_sd, f.seconds, f.steps]
    where = {q: k for k, q in enumerate(f.queues)}
    for q in names:
        k = where.get(q)
        if k is None or math.isnan(f.asa[k]) and math.isnan(f.service_level[k]):
            out += [math.nan] * len(QUEUE_FIGURES)
        else:
            out += [f.agents[k], f.asa[k], f.service_level[k], f.abandoned[k], f.occupancy[k]]
    return out


def queue_values(menu: Menu, queue: list[tuple[Vary, float]]
                 ) -> tuple[dict[str, Staff], float | None]:
    """The staff of the agents the queue fields name, and the calls per hour (None: the
    menu's), without copying the menu."""
    staff: dict[str, Staff] = {}
    cph = None
    for v, x in queue:
        parts = v.path.split(".")
        if parts[0] == "callers":
            cph = float(x)
            if not cph >= 0:
                raise ConfigError(f"--vary {v.path}: {x:g} must be at least 0")
            continue
        base = staff.get(parts[1]) or menu.nodes[parts[1]].staff
        assert base is not None
        one = apply_staff(base, v.path, x)
        staff[parts[1]] = one
    return staff, cph


def _simulated(chain: Chain, queue: list[tuple[Vary, float]], names: tuple[str, ...],
               n: int, seed: int) -> list[float]:
    from ivr.callers.metrics import summarize
    from ivr.callers.simulate import simulate

    menu = apply(chain.menu, [v for v, _ in queue], [x for _, x in queue])
    if continues(menu):  # the week may split by the staffing: compile afresh
        chain = compile_chain(menu, chain.population if menu.callers is None else
                              menu.callers, top=chain.top)
    else:
        chain = replace(chain, menu=menu, population=menu.callers or chain.population)
    s = summarize(simulate(chain, n, seed=seed, threads=1))
    out = [s.outcomes[o].value for o in OUTCOMES]
    sd = math.nan
    out += [s.human_seconds.mean, sd, s.seconds.mean, s.steps.mean]
    figs = {q.node: q for q in s.queues}
    for q in names:
        f = figs.get(q)
        out += [math.nan] * len(QUEUE_FIGURES) if f is None else \
            [f.agents, f.asa, f.service_level, f.p_abandon, f.occupancy]
    return out


def tasks(grid: Grid, size: int) -> list[list[int]]:
    """The combinations cut into tasks of at most ``size``, each of one chain key."""
    groups: dict[tuple[object, ...], list[int]] = {}
    for c in grid:
        groups.setdefault(grid.chain_key(c), []).append(c.index)
    out = []
    for members in groups.values():
        out += [members[k:k + size] for k in range(0, len(members), size)]
    return out


def task_size(total: int, workers: int) -> int:
    """Many combinations per task (a task costs its scheduling and, once per worker and
    chain, a compile and solve), but at least four tasks per worker to balance them."""
    return max(1, min(2_000, math.ceil(total / max(1, 4 * workers))))


def run(grid: Grid, *, executor: str = "processes", workers: int | None = None,
        scheduler: Any = None, size: int | None = None, n: int = SIM_CALLERS,
        seed: int = 0, progress: Callable[[int, int], None] | None = None) -> Table:
    """Every combination of ``grid``: ``serial`` in this process, ``processes`` in a
    local pool of ``workers`` processes (default: the cores), ``dask`` on the cluster at
    ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``, or a
    ``distributed.Client``). The rows are the same whichever runs them."""
    if executor not in EXECUTORS:
        raise ConfigError(f"--executor {executor!r} is not one of: {', '.join(EXECUTORS)}")
    total = len(grid)
    cols = columns(grid)
    token = uuid.uuid4().hex
    started = time.perf_counter()
    if executor == "serial":
        workers = 1
    elif executor == "processes":
        workers = workers or os.cpu_count() or 1
    parts = tasks(grid, size or task_size(total, workers or 2))
    done = 0
    results: dict[int, list[tuple[Any, ...]]] = {}

    def collect(k: int, rows: list[tuple[Any, ...]]) -> None:
        nonlocal done
        results[k] = rows
        done += len(rows)
        if progress is not None:
            progress(done, total)

    if executor == "serial" or (executor == "processes" and workers == 1):
        for k, part in enumerate(parts):
            collect(k, run_task(grid, part, token, n, seed))
    elif executor == "processes":
        _pool(grid, parts, token, n, seed, int(workers or 1), collect)
    else:
        workers = _dask(grid, parts, token, n, seed, scheduler, collect)
    by_index: dict[int, tuple[Any, ...]] = {}
    for k, part in enumerate(parts):
        by_index.update(zip(part, results[k], strict=True))
    rows = tuple(by_index[i] for i in range(total))
    return Table(cols, rows, executor, int(workers or 1), len(parts),
                 time.perf_counter() - started)


def _pool(grid: Grid, parts: list[list[int]], token: str, n: int, seed: int, workers: int,
          collect: Callable[[int, list[tuple[Any, ...]]], None]) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    if "fork" in methods:
        # A chain several tasks share is built here once, and every forked worker
        # inherits it (with the memo of its lines) instead of building its own.
        first: dict[tuple[object, ...], list[int]] = {}
        shared: set[tuple[object, ...]] = set()
        for part in parts:
            key = grid.chain_key(grid.combination(part[0]))
            if key in first:
                shared.add(key)
            first.setdefault(key, part)
        for key, part in first.items():
            if key in shared:
                run_task(grid, part[:1], token, n, seed)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_set_grid, initargs=(grid,)) as pool:
        futures = {pool.submit(_pool_task, part, token, n, seed): k
                   for k, part in enumerate(parts)}
        for fut in as_completed(futures):
            collect(futures[fut], fut.result())


_GRID: Grid | None = None


def _set_grid(grid: Grid) -> None:
    global _GRID
    _GRID = grid


def _pool_task(indices: list[int], token: str, n: int, seed: int) -> list[tuple[Any, ...]]:
    assert _GRID is not None
    return run_task(_GRID, indices, token, n, seed)


def _dask(grid: Grid, parts: list[list[int]], token: str, n: int, seed: int, scheduler: Any,
          collect: Callable[[int, list[tuple[Any, ...]]], None]) -> int:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ConfigError("--executor dask needs dask.distributed",
                          hint="pip install 'ivr[dask]'") from None
    if scheduler is None:
        raise ConfigError("--executor dask needs --scheduler ADDRESS (the cluster's "
                          "scheduler, e.g. tcp://10.0.0.5:8786)")
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout=10) if own else scheduler
    except OSError as exc:
        raise ConfigError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                          f"({exc})") from None
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        shared = client.scatter(grid, broadcast=True)
        futures = {client.submit(run_task, shared, part, token, n, seed, pure=False,
                                 key=f"ivr-sweep-{token}-{k}"): k
                   for k, part in enumerate(parts)}
        for fut in as_completed(futures):
            collect(futures[fut], fut.result())
        return workers
    finally:
        if own:
            client.close()


def grid_of(menus: Iterable[tuple[str, Menu]], varies: Sequence[Vary],
            at: Sequence[str] = ()) -> Grid:
    """A :class:`Grid` from labelled menus, varied fields and ``--at`` times."""
    pairs = list(menus)
    return Grid(tuple(m for _, m in pairs), tuple(label for label, _ in pairs),
                tuple(at) or (None,), tuple(varies))


__all__ = ["EXECUTORS", "FIGURES", "QUEUE_FIGURES", "SIM_CALLERS", "Table", "columns",
           "grid_of", "queue_names", "run", "run_task", "task_size", "tasks"]
