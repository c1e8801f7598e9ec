"""Python's cycle collector, held off while a big document is read or shown.

Reading a file or drawing it allocates a few small objects per node, and
nearly all of them stay alive. The collector, triggered by the allocation
count, walks them (and every object of a process that has Qt and torch loaded)
over and over and finds nothing: about half the time of opening a
1,000-node graph. Nothing made then is cyclic garbage, so it simply resumes
afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Hold the cycle collector off for the ``with`` block (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
