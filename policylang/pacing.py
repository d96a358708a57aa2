"""Cooperative pacing: long work in a thread that rests regularly, so a server's event loop in
the same process keeps answering (docs/architecture.md, "Reloading a large policy").

Python threads share one lock (the GIL). A thread that computes for seconds keeps it except
when the interpreter forces a switch, and an event loop waking from `select` must then wait
for that switch on every wake-up; requests queue behind the reload. Work that runs paced
(`with paced():`) instead sleeps for `rest` seconds after every `work` seconds, at the
`pace()` points the long stages call (per token, per rule, per diagram node, per compiled
piece), leaving the lock free. Outside a paced thread `pace()` returns at once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

WORK = 0.002  # seconds of work between rests
REST = 0.001  # seconds of rest

_paced: dict[int, list[float]] = {}  # thread id -> [next rest due, work, rest]


def pace() -> None:
    """A point where paced work may rest."""
    if not _paced:
        return
    state = _paced.get(threading.get_ident())
    if state is None:
        return
    now = time.perf_counter()
    if now >= state[0]:
        time.sleep(state[2])
        state[0] = time.perf_counter() + state[1]


@contextlib.contextmanager
def paced(work: float = WORK, rest: float = REST) -> Iterator[None]:
    """Pace the calling thread's work inside the block."""
    me = threading.get_ident()
    _paced[me] = [time.perf_counter() + work, work, rest]
    try:
        yield
    finally:
        _paced.pop(me, None)
