"""``StoreWriter``: batches finished traces into the store on a daemon thread.

The application's thread only appends to a bounded queue; translation and SQL happen
here. ``flush()`` waits for everything submitted before it; a full queue drops (and
counts, and says once) rather than block the application.
"""

from __future__ import annotations

import functools
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan

from spanwise.common._safety import logger, raise_internal_errors, warn_once
from spanwise.model._records import SpanRecord, record_from_otel

from ._errors import describe_error

if TYPE_CHECKING:
    from ._sql import SqlTraceStore

__all__ = ["StoreWriter"]

StoreGetter = Callable[[], "SqlTraceStore | None"]

_writers: weakref.WeakSet[StoreWriter] = weakref.WeakSet()


class StoreWriter:
    def __init__(
        self,
        get_store: StoreGetter,
        *,
        max_queue_spans: int = 200_000,
        batch_spans: int = 512,
        write_attempts: int = 3,
        interval: float = 0.25,
    ) -> None:
        self._get_store = get_store
        self._max_queue = max_queue_spans
        self._batch = batch_spans
        self._attempts = write_attempts
        self._interval = interval
        self.dropped_spans = 0
        self.rejected_spans = 0  # refused by the store one by one (also in dropped_spans)
        self.written_traces = 0
        self.last_error: BaseException | None = None
        self._reset()
        _writers.add(self)

    def _reset(self) -> None:
        # A plain lock: never taken twice by one thread, and cheaper than the RLock default.
        self._cond = threading.Condition(threading.Lock())
        # Held while a batch is written: a fork waits for it (see _before_fork).
        self._writing = threading.Lock()
        self._queue: deque[Sequence[ReadableSpan]] = deque()
        self._queued = 0
        self._submitted = 0
        self._done = 0
        self._thread: threading.Thread | None = None
        self._stopping = False
        # Set by a full batch: write now instead of waiting for the interval.
        self._urgent = False
        # flush() waits for this many submissions: until then, no waiting either.
        self._flush_target = 0

    # -- the application's side --------------------------------------------------------

    def submit(self, spans: Sequence[ReadableSpan]) -> None:
        with self._cond:
            if self._stopping:
                return
            if self._queued + len(spans) > self._max_queue:
                self.dropped_spans += len(spans)
                warn_once(
                    "writer:full",
                    "spanwise: the store writer is %d spans behind; dropping traces until it "
                    "catches up (dropped so far are counted in StoreWriter.dropped_spans)",
                    self._max_queue,
                )
                return
            self._queue.append(spans)
            self._queued += len(spans)
            self._submitted += 1
            if self._thread is None:
                self._start_thread()
            # The writer wakes on its own every `interval`; only a full batch wakes it
            # early, so a busy application rarely pays for a thread switch.
            if self._queued >= self._batch and not self._urgent:
                self._urgent = True
                self._cond.notify()

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything submitted so far is written (or dropped)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            target = self._submitted
            self._flush_target = max(self._flush_target, target)
            self._cond.notify_all()
            while self._done < target:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or not self._thread.is_alive():
                    return self._done >= target
                self._cond.wait(left)
        return True

    def shutdown(self, timeout: float = 30.0) -> None:
        """Flush, then stop the thread. Idempotent."""
        if self._stopping:
            return
        self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    # -- the writer thread -------------------------------------------------------------

    def _start_thread(self) -> None:
        # Under the lock. After a fork the child gets a fresh writer (_reset).
        self._thread = threading.Thread(target=self._run, name="spanwise-store-writer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # The store's own queries must not become spans (an app may instrument its DB driver).
        with suppress_instrumentation():
            self._loop()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait(self._interval)
                if not self._queue:
                    return
                hurry = (
                    self._urgent
                    or self._stopping
                    or self._queued >= self._batch
                    or self._done < self._flush_target
                )
                if not hurry:
                    self._cond.wait(self._interval)  # let a batch gather
                self._urgent = False
                batch: list[Sequence[ReadableSpan]] = []
                size = 0
                while self._queue and size < self._batch:
                    item = self._queue.popleft()
                    batch.append(item)
                    size += len(item)
                self._queued -= size
            try:
                with self._writing:
                    self._write(batch)
            finally:
                with self._cond:
                    self._done += len(batch)
                    self._cond.notify_all()

    def _write(self, batch: list[Sequence[ReadableSpan]]) -> None:
        for attempt in range(self._attempts):
            # One unwritable span costs only itself: the store hands it back here and
            # writes the rest. Counted per attempt, so a retried batch is not counted twice.
            refused: list[str] = []
            reject = functools.partial(_note_refused, refused)
            try:
                store = self._get_store()
                if store is None:  # memory-only mode
                    return
                records: list[SpanRecord] = []
                for trace in batch:
                    for span in trace:
                        try:
                            records.append(record_from_otel(span))
                        except Exception as exc:
                            reject(span, f"unreadable span ({describe_error(exc)})")
                self.written_traces += store.write_records(records, reject=reject)
                if refused:
                    self.rejected_spans += len(refused)
                    self.dropped_spans += len(refused)
                    # The reason names the rule broken, never the span's content.
                    warn_once(
                        "writer:rejected",
                        "spanwise: the store refused %d span(s) (%s); they were dropped, the "
                        "rest of the batch was written (count: StoreWriter.rejected_spans)",
                        len(refused),
                        refused[0],
                    )
                return
            except Exception as exc:
                self.last_error = exc
                if attempt == self._attempts - 1:
                    self.dropped_spans += sum(len(t) for t in batch)
                    if raise_internal_errors():
                        logger.error("spanwise: store write failed", exc_info=exc)
                    warn_once(
                        "writer:error",
                        "spanwise: could not write %d trace(s) to the store: %s "
                        "(further failures are logged at DEBUG)",
                        len(batch),
                        describe_error(exc),
                    )
                    return
                time.sleep(0.05 * 2**attempt)


def _note_refused(into: list[str], _record: object, reason: str) -> None:
    into.append(reason)


_held_at_fork: list[threading.Lock] = []


def _before_fork() -> None:
    # A child forked in the middle of a write would inherit SQLite's record of the
    # parent's locks (kept per process, in memory) without the locks themselves: its own
    # connections would then wait on the database forever. Wait (bounded) for the write.
    for writer in list(_writers):
        lock = writer._writing  # pyright: ignore[reportPrivateUsage]
        if lock.acquire(timeout=5.0):
            _held_at_fork.append(lock)


def _after_fork_in_parent() -> None:
    while _held_at_fork:
        _held_at_fork.pop().release()


def _after_fork_in_child() -> None:
    # The parent writes what it had queued; the child starts empty, with fresh locks
    # (the parent's may have been held at fork) and starts its own thread on demand.
    _held_at_fork.clear()
    for writer in list(_writers):
        writer._reset()  # pyright: ignore[reportPrivateUsage]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
