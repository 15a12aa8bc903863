"""Repeated solves with ``A = I - Q`` for an absorbing Markov chain (the exact solution's
linear algebra).

A large menu compiles to one strongly connected chain (``*`` back to the parent and
messages that return to other menus join everything), so there is no block-triangular
shortcut, and its graph is expander-like: a direct LU of the 93,625 states of a generated
100,000-node menu fills in ~50M entries (minutes). What works is cheap and exact:

1. **Reduction.** States with few neighbours (retry states of a menu, messages, most
   leaves) are eliminated exactly, in rounds of independent sets, and only while the
   matrix does not grow: the Schur complement, i.e. the chain watched on the states that
   remain. The diagonal is rebuilt from exit probabilities (Grassmann-Taksar-Heyman), so
   no subtraction can cancel. 93,625 states -> 11,984 in 8 rounds.
2. **Block Gauss-Seidel** on what remains: states are ordered by the strong components of
   the likely moves, in topological order, so the moves a caller makes most point one way;
   the block lower-triangular part is factored exactly (fill only inside tiny blocks) and
   ``x += M^-1 (b - S x)`` repeats. ``A = M - N`` is a regular splitting of an M-matrix,
   which always converges; about 12 sweeps reach 1e-11. The transposed system reuses the
   reduction and the factor.
3. The eliminated states follow by back-substitution. The residual is measured on the
   original system; if the iteration stalls, GMRES with the same preconditioner, then a
   sparse LU of the whole matrix.

Small chains are solved directly: a chain is one independent part per caller class (no
move leads from one class to another), and when those parts are small, each is solved
densely by numpy, all in one batched call; otherwise a sparse LU. The dense way also
keeps ``scipy.sparse.linalg`` from being imported, which costs ``ivr solve`` of a menu
people write more than the solve itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csc_matrix, csr_matrix

#: Chains up to this many states are solved directly; larger ones iteratively.
DIRECT_LIMIT = 5_000
#: Direct solves are dense when no part has more states than this, and the parts padded
#: to the largest take at most DENSE_CELLS numbers.
DENSE_LIMIT, DENSE_CELLS = 400, 4_000_000
#: Relative residual every solve must reach.
TOLERANCE = 1e-10
#: Reduction rounds, and the smallest share of states a round must remove to go on.
ROUNDS, MIN_SHARE = 10, 0.02
#: A move is "likely" when its probability is at least this share of the diagonal.
STRONG = 0.05
#: Strong components larger than this are ordered inside, not factored whole (no fill).
BLOCK_LIMIT = 32
#: Gauss-Seidel sweeps before GMRES takes over (sooner if they are too slow to get there).
SWEEPS = 60


@dataclass(frozen=True)
class _Level:
    """One reduction round: states ``f`` eliminated, ``c`` kept (indices into the level's
    states); ``d`` the diagonal at ``f``; the move probabilities ``cf`` (kept ->
    eliminated) and ``fc`` (eliminated -> kept)."""

    f: np.ndarray
    c: np.ndarray
    d: np.ndarray
    cf: csr_matrix
    fc: csr_matrix


def _splu(m: csc_matrix, **options: Any) -> Any:
    from scipy.sparse.linalg import splu

    return splu(m, **options)


class Solver:
    """Solves ``A x = b`` and ``A^T x = b`` for one ``A = I - Q`` (``Q >= 0``, every row
    able to reach an exit); ``residual`` is the largest relative residual so far and
    ``method`` names what was used. ``parts`` labels states no move connects across
    (a chain's caller classes), for the dense direct solve.

    Examples
    --------
    >>> a = csr_matrix(np.array([[1.0, -0.5], [-0.25, 1.0]]))
    >>> s = Solver(a)
    >>> [round(float(x), 6) for x in s.solve(np.array([1.0, 0.0]))], s.method
    ([1.142857, 0.285714], 'sparse LU')
    >>> s = Solver(a, parts=np.array([0, 0]))
    >>> [round(float(x), 6) for x in s.solve(np.array([1.0, 0.0]))], s.method
    ([1.142857, 0.285714], 'dense LU per part')
    """

    def __init__(self, a: csr_matrix, *, parts: np.ndarray | None = None,
                 direct_limit: int | None = None, tolerance: float = TOLERANCE) -> None:
        self.a = csr_matrix(a)
        self.n = self.a.shape[0]
        self.tolerance = tolerance
        self.residual = 0.0
        self._lu = None
        self._dense: _DenseParts | None = None
        self._levels: list[_Level] = []
        limit = DIRECT_LIMIT if direct_limit is None else direct_limit
        split = _split(self.a) if self.n > limit else None
        if split is None:
            if parts is not None and self.n:
                self._dense = _DenseParts.of(self.a, parts)
            if self._dense is not None:
                self.method = "dense LU per part"
                return
            self.method = "sparse LU"
            if self.n:
                self._lu = _splu(self.a.tocsc())
            return
        self.method = "reduction + block Gauss-Seidel"
        q, exits = split
        for _ in range(ROUNDS):
            step = _eliminate(q, exits)
            if step is None:
                break
            level, q, exits = step
            self._levels.append(level)
        self._gs = _BlockGaussSeidel(q, exits + np.asarray(q.sum(axis=1)).ravel())

    # -- public --------------------------------------------------------------------

    def solve(self, b: np.ndarray, transpose: bool = False) -> np.ndarray:
        """``x`` with ``A x = b`` (``A^T x = b`` when ``transpose``)."""
        if not self.n:
            return np.zeros(0)
        b = np.asarray(b, dtype=float)
        norm = _norm(b)
        if norm == 0.0:
            return np.zeros(self.n)
        trans = "T" if transpose else "N"
        if self._dense is not None:
            x = self._dense.solve(b, transpose)
            res = _norm(self._apply(x, transpose) - b) / norm
        elif self._lu is not None:
            x = self._lu.solve(b, trans=trans)
            res = _norm(self._apply(x, transpose) - b) / norm
        else:
            x = self._iterative(b, norm, transpose)
            res = _norm(self._apply(x, transpose) - b) / norm
            if not res <= self.tolerance and not res <= self._floor(x, transpose) / norm:
                # Stalled above what rounding allows: an exact factorisation (slow).
                self.method = "sparse LU (COLAMD)"
                self._dense = None
                self._lu = _splu(self.a.tocsc(), permc_spec="COLAMD")
                x = self._lu.solve(b, trans=trans)
                res = _norm(self._apply(x, transpose) - b) / norm
        self.residual = max(self.residual, res)
        return np.asarray(x)

    # -- the iteration -------------------------------------------------------------

    def _iterative(self, b: np.ndarray, norm: float, transpose: bool) -> np.ndarray:
        rhs = []
        for lv in self._levels:  # fold the eliminated states' right-hand side in
            bf = b[lv.f] / lv.d
            rhs.append(b[lv.f])
            b = b[lv.c] + (lv.fc.T @ bf if transpose else lv.cf @ bf)
        x = self._gs.solve(b, 0.1 * self.tolerance * norm, transpose)
        for lv, bf in zip(reversed(self._levels), reversed(rhs), strict=True):
            full = np.empty(len(lv.f) + len(lv.c))
            full[lv.c] = x
            full[lv.f] = (bf + (lv.cf.T @ x if transpose else lv.fc @ x)) / lv.d
            x = full
        return x

    def _apply(self, x: np.ndarray, transpose: bool) -> np.ndarray:
        return np.asarray(self.a.T @ x if transpose else self.a @ x)

    def _floor(self, x: np.ndarray, transpose: bool) -> float:
        """The residual rounding alone can leave (a multiple of eps |A| |x|): nearly
        recurrent chains (expected visits of 1e6) cannot get under 1e-10 in doubles, and
        a sparse LU of a large chain would take minutes to find that out."""
        m = abs(self.a)
        y = np.abs(x)
        return 64 * float(np.finfo(float).eps) * _norm(np.asarray(m.T @ y if transpose
                                                                  else m @ y))


class _DenseParts:
    """``A`` as dense blocks, one per part, padded with the identity to one size, so one
    batched LAPACK call solves them all."""

    def __init__(self, blocks: np.ndarray, part: np.ndarray, pos: np.ndarray) -> None:
        self.blocks, self.part, self.pos = blocks, part, pos

    @classmethod
    def of(cls, a: csr_matrix, parts: np.ndarray) -> _DenseParts | None:
        """None when the parts are too large, or a move crosses from one to another."""
        n = a.shape[0]
        order = np.argsort(parts, kind="stable")
        _, first, counts = np.unique(np.asarray(parts)[order], return_index=True,
                                     return_counts=True)
        size = int(counts.max())
        if size > DENSE_LIMIT or len(counts) * size * size > DENSE_CELLS:
            return None
        part = np.empty(n, dtype=np.int64)
        part[order] = np.repeat(np.arange(len(counts)), counts)
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n) - np.repeat(first, counts)
        coo = a.tocoo()
        if (part[coo.row] != part[coo.col]).any():
            return None
        blocks = np.zeros((len(counts), size, size))
        pad = np.arange(size)[None, :] >= counts[:, None]
        blocks[:, np.arange(size), np.arange(size)] = pad
        np.add.at(blocks, (part[coo.row], pos[coo.row], pos[coo.col]), coo.data)
        return cls(blocks, part, pos)

    def solve(self, b: np.ndarray, transpose: bool) -> np.ndarray:
        rhs = np.zeros(self.blocks.shape[:2])
        rhs[self.part, self.pos] = b
        m = self.blocks.transpose(0, 2, 1) if transpose else self.blocks
        x = np.linalg.solve(m, rhs[..., None])[..., 0]
        return np.asarray(x[self.part, self.pos])


def _norm(x: np.ndarray) -> float:
    # Not BLAS: OpenBLAS threads make a dot of 1e5 values 10-100x slower on a busy machine.
    return math.sqrt(float(np.einsum("i,i->", x, x)))


def _split(a: csr_matrix) -> tuple[csr_matrix, np.ndarray] | None:
    """``a = diag - Q`` as (``Q`` off the diagonal, the exit probability of each row);
    None if ``a`` is not of that shape (positive diagonal, off-diagonal <= 0)."""
    rows = np.repeat(np.arange(a.shape[0], dtype=a.indices.dtype), np.diff(a.indptr))
    off = rows != a.indices
    diag = a.diagonal()
    if (a.data[off] > 0).any() or (diag <= 0).any():
        return None
    q = csr_matrix((-a.data[off], a.indices[off], np.concatenate(
        [[0], np.cumsum(np.bincount(rows[off], minlength=a.shape[0]))])), shape=a.shape)
    exits = np.maximum(diag - np.asarray(q.sum(axis=1)).ravel(), 0.0)
    return q, exits


def _eliminate(q: csr_matrix, exits: np.ndarray
               ) -> tuple[_Level, csr_matrix, np.ndarray] | None:
    """One round on the chain ``diag - q`` (``q`` off-diagonal): an independent set of
    states whose elimination adds no more entries than it removes (in-degree x
    out-degree <= in-degree + out-degree)."""
    k = q.shape[0]
    out_deg = np.diff(q.indptr)
    r = np.repeat(np.arange(k, dtype=q.indices.dtype), out_deg)
    c, v = q.indices, q.data
    in_deg = np.bincount(c, minlength=k)
    cand = out_deg * in_deg <= out_deg + in_deg
    # Independent set: a candidate whose (pseudo-random, fixed) priority is lowest among
    # its candidate neighbours either way.
    prio = (np.arange(k, dtype=np.int64) * 2654435761) % 2 ** 32
    both = cand[r] & cand[c]
    rb, cb = r[both], c[both]
    best = np.full(k, 2 ** 32)
    np.minimum.at(best, rb, prio[cb])
    np.minimum.at(best, cb, prio[rb])
    f_mask = cand & (prio < best)
    nf = int(f_mask.sum())
    if nf < MIN_SHARE * k or nf == k:
        return None
    f = np.flatnonzero(f_mask)
    kept = np.flatnonzero(~f_mask)
    nc = len(kept)
    pos = np.empty(k, dtype=q.indices.dtype)
    pos[f] = np.arange(nf)
    pos[kept] = np.arange(nc)
    # The diagonal from exits (GTH): exit + the row's off-diagonal sum, never a difference.
    d_all = exits + np.bincount(r, weights=v, minlength=k)
    d = d_all[f]
    rf, to_f = f_mask[r], f_mask[c]
    cc = ~rf & ~to_f
    sel = ~rf & to_f
    cf = csr_matrix((v[sel], (pos[r[sel]], pos[c[sel]])), shape=(nc, nf))
    sel = rf & ~to_f
    fc = csr_matrix((v[sel], (pos[r[sel]], pos[c[sel]])), shape=(nf, nc))
    through = (cf @ csr_matrix((fc.data / np.repeat(d, np.diff(fc.indptr)), fc.indices,
                                fc.indptr), shape=(nf, nc))).tocoo()
    loop = through.row == through.col  # a loop through an eliminated state: in the diagonal
    s = csr_matrix((np.concatenate([v[cc], through.data[~loop]]),
                    (np.concatenate([pos[r[cc]], through.row[~loop]]),
                     np.concatenate([pos[c[cc]], through.col[~loop]]))), shape=(nc, nc))
    return _Level(f, kept, d, cf, fc), s, exits[kept] + cf @ (exits[f] / d)


class _BlockGaussSeidel:
    """``S x = b`` by Gauss-Seidel over blocks of likely moves (see the module text)."""

    def __init__(self, q: csr_matrix, d: np.ndarray) -> None:
        k = q.shape[0]
        rows = np.repeat(np.arange(k, dtype=q.indices.dtype), np.diff(q.indptr))
        cols, vals = q.indices, q.data
        strong = vals >= STRONG * d[rows]
        graph = csr_matrix((np.ones(int(strong.sum())), (rows[strong], cols[strong])),
                           shape=(k, k))
        from scipy.sparse.csgraph import connected_components

        _, label = connected_components(graph, directed=True, connection="strong")
        # scipy labels components in reverse topological order (a move goes to an equal
        # or lower label), which puts the states a move leads to first; if a future
        # version numbers them the other way round, flip.
        if (label[rows[strong]] < label[cols[strong]]).sum() > \
                (label[rows[strong]] > label[cols[strong]]).sum():
            label = label.max() - label
        order = np.argsort(label, kind="stable")
        pos = np.empty(k, dtype=np.int64)
        pos[order] = np.arange(k)
        size = np.bincount(label)
        lower = (label[rows] > label[cols]) | ((label[rows] == label[cols]) & (
            (size[label[rows]] <= BLOCK_LIMIT) | (pos[rows] > pos[cols])))
        ar = np.arange(k)
        pr = np.concatenate([pos[rows], ar])
        pc = np.concatenate([pos[cols], ar])
        pv = np.concatenate([-vals, d[order]])
        self.s = csr_matrix((pv, (pr, pc)), shape=(k, k))
        self.order = order
        lower = np.concatenate([lower, np.ones(k, dtype=bool)])
        m = csc_matrix((pv[lower], (pr[lower], pc[lower])), shape=(k, k))
        # M is an M-matrix: LU without pivoting is stable, and the natural order keeps
        # the fill inside the diagonal blocks.
        self.lu = _splu(m, permc_spec="NATURAL", diag_pivot_thresh=0.0, relax=20,
                       panel_size=10, options={"SymmetricMode": True})

    def solve(self, b: np.ndarray, target: float, transpose: bool) -> np.ndarray:
        """Iterates until ``|S x - b| <= target``, or as close as it gets."""
        trans = "T" if transpose else "N"
        s = self.s.T if transpose else self.s
        bp = b[self.order]
        x = self.lu.solve(bp, trans)
        res = math.inf
        for sweep in range(SWEEPS):
            r = bp - s @ x
            res, before = _norm(r), res
            if res <= target:
                break
            if sweep >= 5 and (res / before) ** (SWEEPS - sweep) * res > target:
                break  # too slow to get there in the sweeps left: GMRES
            x += self.lu.solve(r, trans)
        if res > target:
            from scipy.sparse.linalg import LinearOperator, gmres

            op = LinearOperator(s.shape, matvec=lambda y: self.lu.solve(y, trans),
                                dtype=float)
            norm = _norm(bp)
            x, _ = gmres(s, bp, x0=x, rtol=target / norm, atol=0.0, restart=50,
                         maxiter=20, M=op)
        out = np.empty_like(x)
        out[self.order] = x
        return out


__all__ = ["DIRECT_LIMIT", "TOLERANCE", "Solver"]
