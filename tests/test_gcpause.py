"""ivr.gcpause: the collector paused, and what the pause built moved out of its way."""

from __future__ import annotations

import gc
import weakref

from ivr.gcpause import paused_gc


class _Box:
    pass


def test_the_collector_is_back_on_and_cycles_are_still_collected() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        box = _Box()
        box.me = box  # type: ignore[attr-defined]  # a cycle
        ref = weakref.ref(box)
        del box
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.collect()
    assert ref() is None


def test_objects_the_program_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_gc():
            _ = [[i] for i in range(1000)]
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_nested_pauses_leave_it_off_until_the_outer_one_ends() -> None:
    with paused_gc():
        with paused_gc():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
