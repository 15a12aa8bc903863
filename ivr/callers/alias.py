"""Alias tables of every row of a compiled chain: one uniform picks an entry in O(1).

Walker's alias method: each row is cut into ``width`` slots of equal probability, each
slot holding its own entry and, for the part of the slot it does not fill, an alias. The
simulator then picks an entry with one gather, whatever the row's length.
"""

from __future__ import annotations

import numpy as np

from ivr.callers.chain import Chain


def alias_tables(chain: Chain, width: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Alias tables of every row at once: (threshold, own, alias, width) per slot.

    Every row has ``width`` slots (at least the longest row), so a uniform picks slot
    ``floor(u * width)`` with no per-row length; slot ``j`` of state ``s`` yields entry
    ``own`` when the rest of the uniform is below ``threshold``, else entry ``alias``.
    Padding slots have probability 0 and always yield their alias. Built for all rows
    together by pairing each row's smallest unfinished slot with its largest, one slot
    per pass.
    """
    n = chain.n_states
    length = np.diff(chain.indptr)
    width = max(int(length.max()) if n else 1, width or 1)
    entry = np.arange(len(chain.prob))
    slot = chain.entry_state * width + entry - np.repeat(chain.indptr[:-1], length)
    work = np.zeros(n * width)
    work[slot] = chain.prob * width
    # Padding slots (probability 0) hold the row's first entry.
    own = np.repeat(np.where(length > 0, chain.indptr[:-1], 0), width)
    own[slot] = entry
    alias = own.copy()
    thresh = np.ones(n * width)
    # What is left of each slot, +inf (lo) or -inf (hi) once the slot is finished; all
    # flat, as single-index gathers are several times cheaper than (row, column) ones.
    lo = work
    hi = lo.copy()
    first = np.arange(n) * width  # each row's first slot
    for _ in range(width):
        small = lo.reshape(n, width).argmin(axis=1)
        big = hi.reshape(n, width).argmax(axis=1)
        small += first
        big += first
        s_val = lo[small]
        go = (s_val < 1.0 - 1e-12) & (small != big)
        if not go.any():
            break
        sm, bg, sv = small[go], big[go], s_val[go]
        thresh[sm] = sv
        alias[sm] = own[bg]
        lo[sm] = np.inf
        hi[sm] = -np.inf
        left = lo[bg] - (1.0 - sv)
        lo[bg] = left
        hi[bg] = left
    return thresh, own, alias, width


__all__ = ["alias_tables"]
