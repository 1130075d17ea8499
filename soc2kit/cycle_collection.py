"""Python's cycle collector, paused while soc2kit builds many long-lived objects, when that affects no one else.

Public API
    cycle_collection_paused() -> context manager; see its doc.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a program is read and checked or a trail is written.

    Reading creates millions of long-lived objects and no garbage cycles; the collector's repeated
    passes over them took 7 of 16 seconds of a cached check of 100,000 documents (and 25 ms of a
    0.46 s trail export of 9,000 commits, which keeps its caches of names and paths). The collector is
    process-wide, so it is paused only when this is the one thread running (the CLI, `mkdocs build`)
    and was enabled; it is enabled again however the block ends. In a host with other threads (a
    server, `mkdocs serve`) or one that switched the collector off itself, nothing changes."""
    if threading.active_count() > 1 or not gc.isenabled():
        yield
        return
    host_froze = gc.get_freeze_count() > 0
    gc.disable()
    try:
        yield
    finally:
        # What the block made is long-lived: move it to the oldest generation first (without a pass
        # over it) rather than leave it young, which makes the next collection walk all of it (0.11 s
        # after a cached check of 10,000 documents). A later full collection still sees all of it.
        # Not in a host that froze objects itself (a server sharing them with forked workers):
        # unfreezing would hand those back to the collector.
        if not host_froze:
            gc.freeze()
            gc.unfreeze()
        gc.enable()
