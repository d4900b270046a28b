"""The hub collects garbage once a storm of new connections is over, not while it goes on."""

import gc
import weakref

from webapp.gc_pacing import GcPacer


class Node:
    def __init__(self) -> None:
        self.other: object = self        # a cycle: only the cyclic collector frees it


def test_a_full_collection_runs_once_the_storm_is_over_and_frees_cycles():
    pacer = GcPacer(after_connections=3)
    gc.disable()
    try:
        garbage = Node()
        alive = weakref.ref(garbage)
        del garbage
        pacer.connection_opened()
        pacer.connection_opened()
        assert not pacer.check()                 # too few connections to matter
        pacer.connection_opened()
        assert not pacer.check()                 # one arrived since the last look: still storming
        assert alive() is not None
        assert pacer.check()                     # quiet now: collect
        assert alive() is None and pacer.collections == 1
        assert not pacer.check()                 # nothing new since
    finally:
        gc.enable()
