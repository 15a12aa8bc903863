"""The callers section (or a --callers file) -> :class:`ivr.model.Population`."""

from __future__ import annotations

from typing import Any

from ivr.formats.checks import Checker
from ivr.formats.yamltext import Path
from ivr.model import Intent, Patience, Population

POPULATION_FIELDS = ("intents", "patience", "mistake_rate", "confusion", "zero_out", "silence",
                     "calls_per_hour")
RATES = ("mistake_rate", "confusion", "zero_out", "silence")
#: Parameters each patience distribution needs (besides ``distribution``).
PATIENCE_NEEDS: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "weibull": ("mean", "shape"),
    "lognormal": ("mean", "sd"),
    "fixed": ("mean",),
    "none": (),
}


def read_population(check: Checker, raw: Any, path: Path) -> Population:
    """Check a population mapping; goals must be among ``check.ids``."""
    d = check.mapping(raw, path, "callers")
    check.fields(d, path, POPULATION_FIELDS, ("intents",), what="callers")
    ip = (*path, "intents")
    table = check.mapping(d["intents"], ip, "intents")
    if not table:
        check.fail(ip, "intents is empty", hint="give at least one intent with share and goal")
    intents = []
    for name, spec in table.items():
        sp = (*ip, name)
        s = check.mapping(spec, sp, f"intent {name!r}")
        check.fields(s, sp, ("share", "goal"), ("share", "goal"), what=f"intent {name!r}")
        share = check.number(s["share"], (*sp, "share"), f"share of {name!r}", low=0, high=1,
                             low_open=True)
        goals = check.texts(s["goal"], (*sp, "goal"), f"goal of {name!r}")
        for i, g in enumerate(goals):
            check.ref(g, (*sp, "goal", i) if isinstance(s["goal"], list) else (*sp, "goal"),
                      f"goal of {name!r}", None)
        intents.append(Intent(name, share, goals))
    total = sum(i.share for i in intents)
    if abs(total - 1.0) > 1e-6:
        check.fail(ip, f"intent shares sum to {total:g}, not 1", None,
                   "make the shares add up to 1")
    patience = Patience()
    if "patience" in d:
        patience = _patience(check, d["patience"], (*path, "patience"))
    rates = {r: check.number(d[r], (*path, r), r, low=0, high=1) for r in RATES if r in d}
    if "calls_per_hour" in d:
        rates["calls_per_hour"] = check.number(d["calls_per_hour"], (*path, "calls_per_hour"),
                                               "calls_per_hour", low=0)
    return Population(intents=tuple(intents), patience=patience, source=check.source(path),
                      **rates)


def _patience(check: Checker, raw: Any, path: Path) -> Patience:
    d = check.mapping(raw, path, "patience")
    check.fields(d, path, ("distribution", "mean", "shape", "sd"), what="patience")
    dist = check.choice(d.get("distribution", "exponential"), (*path, "distribution"),
                        "distribution", tuple(PATIENCE_NEEDS))
    needs = PATIENCE_NEEDS[dist]
    values: dict[str, float | None] = {"mean": None}
    for name in ("mean", "shape", "sd"):
        if name in d:
            if name not in needs:
                check.fail((*path, name), f"{dist} patience takes no {name!r}", None,
                           f"{dist} needs: {', '.join(needs) or 'nothing'}")
            values[name] = check.number(d[name], (*path, name), f"patience {name}", low=0,
                                        low_open=True)
        elif name in needs:
            if name == "mean" and dist == "exponential":
                values["mean"] = Patience().mean
                continue
            check.fail(path, f"{dist} patience needs {name!r}", None)
    return Patience(distribution=dist, **values)
