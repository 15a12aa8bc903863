"""Every figure finite and in range: one check where figures are made, one before output.

A figure ivr cannot know (the mean time to a person when no caller reached one, an interval
from a single caller) is *not available*: NaN inside the library, shown as ``N/A`` in text
and ``null`` in JSON, CSV and SARIF, never as ``nan``, ``inf`` or ``Infinity``. Anything else
that is not finite, or outside its range (a negative time, a share above 1), is a bug: with
``IVR_STRICT_FIGURES=1`` (the test suite sets it) :func:`checked` raises
:class:`FigureError`, otherwise the figure degrades to N/A so a user never acts on it.

Examples
--------
>>> checked(0.25, "share", 0, 1), text(float("nan"), ".1f"), text(2.345, ".1f")
(0.25, 'N/A', '2.3')
>>> dumps({"x": float("nan"), "y": [1.5]})
'{"x": null, "y": [1.5]}'
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

#: How a figure that is not available reads in text.
NA = "N/A"
#: Rounding slack for range checks (shares that sum to 1 within solver precision).
SLACK = 1e-6


class FigureError(AssertionError):
    """A figure that is not finite or out of range: a bug in ivr, never the input's fault."""


def strict() -> bool:
    """Whether a bad figure raises (tests) rather than degrading to N/A (users)."""
    return os.environ.get("IVR_STRICT_FIGURES") == "1"


def available(x: float | None) -> bool:
    """A figure that can be shown: not None, not NaN (and finite)."""
    return x is not None and math.isfinite(x)


def checked(x: float, what: str, low: float | None = None, high: float | None = None,
            *, na: bool = True) -> float:
    """``x`` when finite and within [low, high] (with :data:`SLACK`), else a bug: raised in
    strict mode, NaN (N/A) otherwise. ``na`` allows NaN itself (a figure not available)."""
    x = float(x)
    if math.isnan(x):
        if na:
            return x
        problem = "is not a number"
    elif math.isinf(x):
        problem = f"is {x}"
    elif low is not None and x < low - SLACK * max(1.0, abs(low)):
        problem = f"is {x!r}, below {low}"
    elif high is not None and x > high + SLACK * max(1.0, abs(high)):
        problem = f"is {x!r}, above {high}"
    else:
        return x if low is None or x >= low else float(low)
    if strict():
        raise FigureError(f"{what} {problem}")
    return math.nan


def text(x: float | None, spec: str = "g", unit: str = "") -> str:
    """A figure formatted with ``spec`` (and ``unit``), or ``N/A``."""
    if not available(x):
        return NA
    assert x is not None
    return format(x, spec) + unit


def clean(obj: Any, where: str = "output") -> Any:
    """``obj`` with every NaN made ``None`` (JSON null); infinity is a bug (see checked)."""
    if isinstance(obj, float) or type(obj).__module__ == "numpy" and hasattr(obj, "dtype") \
            and getattr(obj, "ndim", 1) == 0 and obj.dtype.kind == "f":
        value = float(obj)
        if math.isfinite(value):
            return value
        if math.isinf(value) and strict():
            raise FigureError(f"{where}: {value} in output")
        return None
    if isinstance(obj, dict):
        return {k: clean(v, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v, where) for v in obj]
    return obj


def dumps(obj: Any, **kwargs: Any) -> str:
    """Strict JSON (no NaN or Infinity, which strict parsers refuse): N/A becomes null."""
    return json.dumps(clean(obj), allow_nan=False, **kwargs)


__all__ = ["NA", "FigureError", "available", "checked", "clean", "dumps", "strict", "text"]
