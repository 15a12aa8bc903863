"""Conditions a comparison must not meet, for CI: ``--fail-if "human_rate < -0.02"``.

Grammar (spaces optional)::

    condition := operand OP number
    operand   := METRIC            the difference variant - first: the exact difference
                                   when the exact solution applies, else the simulated
                                   paired estimate
               | METRIC.low        the low end of the simulated paired 95% interval of it
               | METRIC.high       the high end of that interval
               | value(METRIC)     the variant's own figure (exact when it applies)
    OP        := <  |  <=  |  >  |  >=
    number    := a decimal number, optionally signed; a trailing % divides by 100
                 (rate metrics only: "-2%" is two percentage points)

METRIC is one of :data:`ivr.present.compare.METRICS`. A condition is checked for every variant
after the first (the baseline) and holds when it holds for any of them; a figure that
does not exist (no caller reached a person, so no seconds to a person) never holds.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ivr.errors import ConfigError
from ivr.formats.checks import closest
from ivr.present.compare import (
    METRICS,
    RATE_METRICS,
    Comparison,
    difference_text,
    value_text,
)

#: Operand forms, as :class:`Condition.part` names them.
PARTS = ("delta", "low", "high", "value")
_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
_SPLIT = re.compile(r"(<=|>=|==|!=|=<|=>|<|>|=)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
GRAMMAR = "METRIC OP NUMBER, e.g. 'human_rate < -0.02', 'abandoned_rate.low > 1%' or " \
          "'value(human_seconds) >= 30'"


@dataclass(frozen=True)
class Condition:
    """One parsed ``--fail-if`` condition."""

    text: str
    metric: str
    part: str
    op: str
    number: float
    percent: bool = False

    def holds(self, x: float) -> bool:
        return math.isfinite(x) and _OPS[self.op](x, self.number)


@dataclass(frozen=True)
class Observation:
    """What a condition saw in one variant: the figure, where it came from, and whether
    the condition holds there."""

    file: str
    value: float
    source: str
    holds: bool


@dataclass(frozen=True)
class GateResult:
    """A condition and what it saw in each variant after the first."""

    condition: Condition
    observations: tuple[Observation, ...]

    @property
    def held(self) -> bool:
        return any(o.holds for o in self.observations)

    def line(self) -> str:
        """The verdict with the numbers, for people.

        Examples
        --------
        >>> c = parse_condition("human_rate < -2%")
        >>> GateResult(c, (Observation("b.yaml", -0.031, "exact difference", True),)).line()
        'FAIL human_rate < -2%: b.yaml -3.10 pp (exact difference)'
        >>> c = parse_condition("human_rate < -0.02")
        >>> GateResult(c, (Observation("b.yaml", -0.031, "exact difference", True),)).line()
        'FAIL human_rate < -0.02: b.yaml -3.10 pp (exact difference)'
        """
        c = self.condition
        shown = ", ".join(f"{o.file} {_fmt(o.value, c)} ({o.source})"
                          for o in self.observations if o.holds or not self.held)
        return f"{'FAIL' if self.held else 'pass'} {c.text}: {shown or 'no variant'}"


def _fmt(x: float, c: Condition) -> str:
    """The figure in the unit of the comparison table, however the threshold was written
    ("-0.02" or "-2%"): a difference of rates in percentage points, a rate in %."""
    if not math.isfinite(x):
        return "none"
    if c.part == "value":
        return value_text(c.metric, x, 2)
    return difference_text(c.metric, x)


def _fail(text: str, what: str, hint: str | None = None) -> ConfigError:
    return ConfigError(f"--fail-if {text!r}: {what}", hint=hint or f"write {GRAMMAR}")


def _metric(text: str, name: str) -> str:
    if name in METRICS:
        return name
    guess = closest(name, METRICS)
    return_hint = (f"did you mean {guess!r}? " if guess else "") + \
        "metrics: " + ", ".join(METRICS)
    raise _fail(text, f"unknown metric {name!r}", return_hint)


def parse_condition(text: str) -> Condition:
    """Parse one condition; a mistake is a one-line ConfigError with a fix.

    Examples
    --------
    >>> parse_condition("human_rate < -0.02")
    Condition(text='human_rate < -0.02', metric='human_rate', part='delta', op='<', number=-0.02, percent=False)
    >>> parse_condition("value(abandoned_rate)>=15%").number
    0.15
    >>> parse_condition("humn_rate < 0")
    Traceback (most recent call last):
    ...
    ivr.errors.ConfigError: --fail-if 'humn_rate < 0': unknown metric 'humn_rate' (did you mean 'human_rate'? metrics: human_rate, callback_rate, served_rate, voicemail_rate, transferred_rate, misrouted_rate, abandoned_rate, disconnected_rate, stuck_rate, seconds, steps, human_seconds, human_steps)
    """  # noqa: E501
    text = text.strip()
    pieces = _SPLIT.split(text)
    if len(pieces) != 3:
        what = "no comparison (<, <=, >, >=)" if len(pieces) == 1 else "more than one comparison"
        raise _fail(text, what)
    left, op, right = (p.strip() for p in pieces)
    if op not in _OPS:
        raise _fail(text, f"{op!r} is not a comparison ivr knows", "use <, <=, > or >=")
    if not left:
        raise _fail(text, "no metric before the comparison")
    call = re.fullmatch(r"value\s*\(\s*(.*?)\s*\)", left)
    if call:
        metric, part = _metric(text, call.group(1)), "value"
    else:
        name, dot, suffix = left.partition(".")
        if not _NAME.fullmatch(name):
            raise _fail(text, f"{left!r} is not a metric")
        metric = _metric(text, name)
        part = "delta"
        if dot:
            if suffix not in ("low", "high"):
                raise _fail(text, f"unknown part {suffix!r} of {metric}",
                            f"use {metric}.low or {metric}.high (the 95% interval of the "
                            f"difference), or value({metric})")
            part = suffix
    percent = right.endswith("%")
    digits = right[:-1].strip() if percent else right
    if not _NUMBER.fullmatch(digits):
        raise _fail(text, f"{right!r} is not a number" if right else "no number after "
                    f"{op!r}")
    if percent and metric not in RATE_METRICS:
        raise _fail(text, f"a % is for rates, and {metric} is not one",
                    f"give {metric} as a plain number")
    number = float(digits) / (100 if percent else 1)
    return Condition(text, metric, part, op, number, percent)


def parse(texts: Sequence[str]) -> tuple[Condition, ...]:
    """Parse every condition (before anything is simulated, so mistakes show at once)."""
    return tuple(parse_condition(t) for t in texts)


def _observe(c: Condition, comparison: Comparison) -> tuple[Observation, ...]:
    row = comparison.metric(c.metric)
    out = []
    for k in range(1, len(comparison.variants)):
        file = comparison.variants[k].file
        delta = row.deltas[k]
        exact = row.exact[k] if row.exact else None
        if c.part == "value":
            x, src = (exact, "exact") if exact is not None else (row.values[k], "simulated")
        elif delta is None:
            x, src = math.nan, "no difference"
        elif c.part == "delta":
            x, src = ((delta.exact, "exact difference") if delta.exact is not None
                      else (delta.value, "simulated difference"))
        else:
            x = delta.low if c.part == "low" else delta.high
            src = f"{c.part} end of the 95% interval"
        out.append(Observation(file, x, src, c.holds(x)))
    return tuple(out)


def evaluate(conditions: Sequence[Condition], comparison: Comparison) -> tuple[GateResult, ...]:
    """Each condition with what it saw; the gate fails when any result is ``held``."""
    return tuple(GateResult(c, _observe(c, comparison)) for c in conditions)


__all__ = ["GRAMMAR", "PARTS", "Condition", "GateResult", "Observation", "evaluate", "parse",
           "parse_condition"]
