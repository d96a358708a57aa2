"""The served policy and its router, swapped atomically on reload.

A reload loads and checks the file again when it or any file it imports changes (or on
SIGHUP). It is refused, its reasons logged, and the old policy keeps serving, when the new
one has errors, has no rules (every request would go unrouted), or does not accept the facts
a client key sets (every request of that key would be a 422). Requests take the current
`Serving` when they start and finish on it, whatever happens meanwhile.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

from ..adapters import extra_complaints
from ..diagnostics import render_text
from ..pacing import paced
from ..policy import Policy, PolicyError, load
from ..prelude import FactError
from ..runtime import Health, RetryPolicy, Router
from ..runtime.facts import detect_language
from ..runtime.quality import (
    Learner,
    QualityStoreError,
    RedisQualityStore,
    SQLiteQualityStore,
    default_db,
)
from ..runtime.shared import redacted
from ..semantics.ir import source_hash
from ..semantics.loader import SourceError, read_source

log = logging.getLogger("policylang.gateway")


RELOAD_SWITCH_INTERVAL = 0.0005  # seconds: how often the reloading thread offers the GIL back


async def _off_the_loop(fn, *args):
    """fn in a worker thread, with the interpreter handing the GIL back to the event loop every
    half millisecond instead of every 5 ms while it runs: a large policy compiles for seconds, and
    requests in flight must not wait for it."""
    before = sys.getswitchinterval()
    collecting = gc.isenabled()
    sys.setswitchinterval(min(before, RELOAD_SWITCH_INTERVAL))
    #  a full collection over a large policy's objects would stop the loop for 100s of ms
    gc.disable()
    try:
        return await asyncio.to_thread(_paced_call, fn, *args)
    finally:
        sys.setswitchinterval(before)
        gc.freeze()  # what is alive now (the new policy among it) is never scanned again
        if collecting:
            gc.enable()


RETIRE_AFTER = 120.0  # seconds a replaced policy is kept for requests still running on it


async def _retire(box: list) -> None:
    """Drop the replaced policy in a worker thread once its requests are done: freeing a large
    policy's objects takes tens of milliseconds, which the event loop must not spend."""
    await asyncio.sleep(RETIRE_AFTER)
    await asyncio.to_thread(box.clear)


def _paced_call(fn, *args):
    with paced():
        return fn(*args)


def _stat(name: str) -> tuple[int, int] | None:
    try:
        st = os.stat(name)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _stat_as_loaded(files: list[str], policy: Policy) -> list[tuple[int, int] | None]:
    """Each file's stat, taken after loading: None for one whose text is no longer what was
    loaded (an edit saved while it loaded), so the next poll sees a change and reloads rather
    than taking the edit's stat for the loaded text's."""
    loaded = {os.path.abspath(n): t for n, t in policy.ir.sources.items() if not n.startswith("<")}
    stats: list[tuple[int, int] | None] = []
    for name in files:
        st = _stat(name)
        try:
            same = read_source(name) == loaded.get(os.path.abspath(name))
        except SourceError:
            same = False
        stats.append(st if same else None)
    return stats


def _files_read(path: str, policy: Policy) -> list[str]:
    """The main file, then every file it imports (std's, inside the package, aside)."""
    files = [path]
    for name in policy.ir.sources:
        if not name.startswith("<") and os.path.abspath(name) != os.path.abspath(path):
            files.append(name)
    return files


@dataclass(frozen=True)
class Serving:
    policy: Policy
    router: Router
    generation: int
    sha256: str  # the policy's source hash (its files, imports included): what a rollout watches


class PolicyHolder:
    def __init__(
        self,
        path: str,
        http,
        health: Health,
        retry: RetryPolicy | None = None,
        budget=None,
        on_reload=None,
        quality_db: str | None = None,
        state_url: str | None = None,
        detector: Callable[[str], str | None] = detect_language,
        key_facts: dict[str, dict] | None = None,
    ):
        self.path = path
        self.detector = detector
        self.key_facts = key_facts or {}  # client key -> the facts the keys file sets for it
        # where learned quality persists: opened when a policy first learns, shared by every
        # generation's learner; default beside the policy, .policylang/quality.sqlite
        self.quality_db = quality_db or str(default_db(path))
        self.state_url = state_url  # with --state, learned quality is shared in Redis too
        self.quality_store: SQLiteQualityStore | RedisQualityStore | None = None
        self.http = http
        self.health = health
        self.retry = retry
        self.budget = budget
        self.on_reload = on_reload
        first = load(path)
        self._watched = _files_read(path, first)
        self._mtime = _stat_as_loaded(self._watched, first)
        for problem in self.breaks_traffic(first):
            log.error("the policy %s: %s", path, problem)
        self.current = self._serving(first, 1)
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task] = set()

    def _stat(self) -> list:
        """What a change of any file the policy reads changes: each one's mtime and size."""
        return [_stat(name) for name in self._watched]

    def breaks_traffic(self, policy: Policy) -> list[str]:
        """Why serving this policy would break requests that the current one answers: no rules,
        or facts a client key sets that it does not accept. Empty when none."""
        problems = []
        if not policy.ir.rules:
            problems.append("it has no rules: every request would go unrouted")
        problems += extra_complaints(policy.ir)
        for name, facts in sorted(self.key_facts.items()):
            try:
                policy.check_facts(facts)
            except FactError as exc:
                problems.append(
                    f"key `{name}` sets facts it does not accept ({exc}): every request of that "
                    "key would be refused"
                )
        return problems

    def _load_and_route(self) -> tuple[Policy, Router | None, str]:
        policy = load(self.path)
        if extra_complaints(policy.ir):
            return policy, None, ""  # refused by breaks_traffic: its adapters cannot be built
        return policy, self._router(policy), source_hash(policy.ir)

    def _router(self, policy: Policy) -> Router:
        quality = policy.ir.quality
        if quality is not None and quality.prior is not None and self.quality_store is None:
            if self.state_url:
                self.quality_store = RedisQualityStore(self.state_url)
                log.info("learned quality is shared in %s", redacted(self.state_url))
            else:
                self.quality_store = SQLiteQualityStore(self.quality_db)
                log.info("learned quality persists in %s", self.quality_db)
        return Router(
            policy,
            http=self.http,
            health=self.health,
            retry=self.retry,
            budget=self.budget,
            quality_store=self.quality_store,
            detector=self.detector,
        )

    def _serving(self, policy: Policy, generation: int) -> Serving:
        return Serving(policy, self._router(policy), generation, source_hash(policy.ir))

    async def reload(self, reason: str = "request") -> bool:
        """Load the file again; swap in the new policy only if it checks clean of errors."""
        async with self._lock:
            self._mtime = self._stat()
            try:
                policy, router, sha256 = await _off_the_loop(self._load_and_route)
            except PolicyError as exc:
                errors = [d for d in exc.diagnostics if d.severity == "error"]
                log.error(
                    "policy reload refused (%s): %d error(s); still serving generation %d\n%s",
                    reason,
                    len(errors),
                    self.current.generation,
                    render_text(errors).rstrip(),
                )
                # a file with errors that the current policy does not import is watched too:
                # fixing it is a change
                for name in dict.fromkeys(d.span.file for d in errors):
                    if name and not name.startswith("<") and name not in self._watched:
                        self._watched.append(name)
                        self._mtime.append(_stat(name))
                if self.on_reload:
                    self.on_reload("refused")
                return False
            except OSError as exc:
                log.error("policy reload refused (%s): %s", reason, exc)
                if self.on_reload:
                    self.on_reload("refused")
                return False
            problems = self.breaks_traffic(policy)
            if problems:
                log.error(
                    "policy reload refused (%s): %s; still serving generation %d",
                    reason,
                    "; ".join(problems),
                    self.current.generation,
                )
                if self.on_reload:
                    self.on_reload("refused")
                return False
            assert router is not None  # built whenever breaks_traffic finds nothing
            files = _files_read(self.path, policy)
            if files != self._watched:  # else the stat taken before loading stands: an edit
                self._watched = files  # made while it loaded brings another reload
                self._mtime = _stat_as_loaded(files, policy)
            old = self.current.router.learner
            if old is not None:  # its answers awaiting feedback, to the store the new one reads
                _hand_over(old)
            retired = [self.current]
            self.current = Serving(policy, router, self.current.generation + 1, sha256)
            task = asyncio.create_task(_retire(retired))
            self._retiring.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._retiring.discard)
            log.info(
                "policy reloaded (%s): generation %d, %d rules",
                reason,
                self.current.generation,
                len(policy.ir.rules),
            )
            if self.on_reload:
                self.on_reload("ok")
            return True

    def close(self) -> None:
        """Hand answers awaiting feedback to the store and close it."""
        learner = self.current.router.learner
        if learner is not None:
            _hand_over(learner)
        if self.quality_store is not None:
            self.quality_store.close()

    async def watch(self, interval: float = 1.0) -> None:
        """Poll the files the policy reads (the main file, its imports); reload when one
        changes."""
        while True:
            await asyncio.sleep(interval)
            if self._stat() != self._mtime:
                await self.reload("file changed")


def _hand_over(learner: Learner) -> None:
    """A learner's answers awaiting feedback, to its store; when the store does not answer
    (an outage), they go unrated, said in the log rather than as a traceback."""
    try:
        learner.flush()
    except QualityStoreError as exc:
        log.warning(
            "%d answers awaiting feedback were not stored and cannot be rated: %s",
            learner.unsent,
            exc,
        )
