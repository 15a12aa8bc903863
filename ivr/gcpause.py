"""Pausing Python's cyclic garbage collector while building many small acyclic objects.

Loading a 100,000-node menu makes ~10^6 objects; the collector would rescan them again and
again (measured: 0.5 s of a 3.5 s load). Nothing built there forms cycles, so pausing it
is safe; it is switched back on afterwards if it was on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
