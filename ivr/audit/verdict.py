"""What an audit says about one rule on one menu: a verdict and its evidence.

Frozen records shared by the checks (:mod:`ivr.audit.checks`, :mod:`ivr.audit.time`) and the
renderings (text, JSON, :mod:`ivr.audit.sarif`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.figures import checked
from ivr.model import Source

STATUSES = ("passed", "failed", "not-applicable")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a rule failed at one place: what, where, the keys that lead there, and the
    figure against the limit (``unit``: "s", "share", "menus", "actions")."""

    message: str
    node: str | None = None
    keys: str | None = None
    figure: float | None = None
    threshold: float | None = None
    unit: str | None = None
    source: Source | None = None

    def __post_init__(self) -> None:  # the figure is checked where it is made
        if self.figure is not None:
            low, high = (0.0, 1.0) if self.unit == "share" else (None, None)
            figure = checked(self.figure, f"evidence figure ({self.message})", low, high,
                             na=False)
            object.__setattr__(self, "figure", figure if figure == figure else None)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a check found, before it is labelled with its policy and rule."""

    status: str
    message: str
    evidence: tuple[Evidence, ...] = ()
    method: str = "structure"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One rule of one policy on one menu; ``rule_source`` is the rule in its policy file."""

    policy: str
    rule: str
    check: str
    status: str
    message: str
    method: str
    level: str
    evidence: tuple[Evidence, ...] = ()
    rule_source: Source | None = None

    @property
    def id(self) -> str:
        """``policy/rule``, the rule's id in reports and SARIF."""
        return f"{self.policy}/{self.rule}"


@dataclass(frozen=True, slots=True)
class MenuAudit:
    """The verdicts of one input file, or why it could not be read."""

    file: str
    menu: str | None
    verdicts: tuple[Verdict, ...] = ()
    error: str | None = None


def plural(n: int, word: str) -> str:
    """``1 menu``, ``3 menus``.

    Examples
    --------
    >>> plural(1, "menu"), plural(3, "menu"), all_of(1, "agent"), all_of(4, "agent")
    ('1 menu', '3 menus', 'the only agent', 'all 4 agents')
    """
    return f"{n} {word}{'' if n == 1 else 's'}"


def all_of(n: int, word: str) -> str:
    return f"the only {word}" if n == 1 else f"all {n} {word}s"


def passed(message: str, *evidence: Evidence, method: str = "structure") -> Outcome:
    return Outcome("passed", message, evidence, method)


def failed(message: str, *evidence: Evidence, method: str = "structure") -> Outcome:
    return Outcome("failed", message, evidence, method)


def not_applicable(message: str, method: str = "structure") -> Outcome:
    return Outcome("not-applicable", message, (), method)


def judged(bad: list[Evidence], unknown: list[str], good: list[Evidence], *, failing: str,
           unmeasured: str, passing: str, method: str) -> Outcome:
    """A rule checked item by item: failed when any item is bad, else not applicable when
    any could not be measured (``unmeasured: the first reason``), else passed."""
    if bad:
        return failed(failing, *bad, method=method)
    if unknown:
        return not_applicable(f"{unmeasured}: {unknown[0]}", method=method)
    return passed(passing, *good, method=method)


__all__ = ["STATUSES", "Evidence", "MenuAudit", "Outcome", "Verdict", "all_of", "failed",
           "judged", "not_applicable", "passed", "plural"]
