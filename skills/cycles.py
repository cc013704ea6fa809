"""Python's cycle collector paused for work that holds very many objects and makes no
garbage cycles: a bulk load of demo rows, a batch of drawn PDF pages."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cycle collector within the block (also as a decorator). Each full
    collection walks every object alive (and, in a forked copy, touches their pages,
    which the system then copies): for work holding millions of rows or drawn pages,
    a quarter of its CPU time. Objects are still freed by reference counting, and the
    collector is put back as it was found, even after an error."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
