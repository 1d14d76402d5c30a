"""An exporter that rides out a backend outage: what the backend could not take is kept
(up to a bound) and sent, oldest first, once it answers again.

``export`` never waits for the backend: it files the spans in a memory buffer and a
sender thread of its own sends them, so the SDK's batch queue keeps moving whatever the
backend does. The buffer holds up to ``SPANWISE_EXPORT_BUFFER_SPANS`` spans (default
20,000); past it, the oldest go to the disk spool (``SPANWISE_EXPORT_SPOOL_DIR``,
``_spool``) or, without one, are dropped. The inner exporter makes one attempt per batch
(its own retries, which would hold a batch for up to its timeout, are turned off where
the SDK allows): after a failure, spanwise retries every few seconds (backing off to
30 s), oldest first, then sends the spool. Every drop is counted (``drops``) and an
outage ends with one summary line.

Exit is bounded: ``shutdown`` sends what it can until the exit deadline
(``SPANWISE_EXPORT_EXIT_SECONDS``, default 5 s, for the whole of spanwise's exit work),
gives the backend one immediate last try when it was failing, and spools (or counts as
dropped) what is still unsent.
"""

from __future__ import annotations

import math
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, fields

from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from spanwise.common._safety import logger

from ._inner import fresh_connections, one_attempt
from ._spool import Spool

__all__ = [
    "DEFAULT_BUFFER_SPANS",
    "DEFAULT_EXIT_SECONDS",
    "ENV_EXIT",
    "Drops",
    "ResilientSpanExporter",
    "exit_deadline",
    "exit_seconds",
    "resilient_exporters",
    "set_exit_deadline",
]

DEFAULT_BUFFER_SPANS = 20_000
ENV_BUFFER = "SPANWISE_EXPORT_BUFFER_SPANS"
ENV_EXIT = "SPANWISE_EXPORT_EXIT_SECONDS"
DEFAULT_EXIT_SECONDS = 5.0
_BATCH = 512  # spans per export call
_SHUTDOWN_REPLAY_SECONDS = 2.0  # at exit, the spool of earlier runs gets at most this

_exporters: weakref.WeakSet[ResilientSpanExporter] = weakref.WeakSet()
_exit_deadline: float | None = None  # set when the process starts leaving


def _buffer_from_env() -> int:
    try:
        return max(0, int(os.environ.get(ENV_BUFFER, DEFAULT_BUFFER_SPANS)))
    except ValueError:
        return DEFAULT_BUFFER_SPANS


def exit_seconds() -> float:
    """``SPANWISE_EXPORT_EXIT_SECONDS``: how long spanwise's exit work may take."""
    try:
        value = float(os.environ.get(ENV_EXIT, DEFAULT_EXIT_SECONDS))
    except ValueError:
        return DEFAULT_EXIT_SECONDS
    return value if math.isfinite(value) and value >= 0 else DEFAULT_EXIT_SECONDS


def set_exit_deadline(deadline: float | None) -> None:
    """The process is leaving: exporters shut down by ``deadline`` (``time.monotonic``)."""
    global _exit_deadline
    _exit_deadline = deadline


def exit_deadline() -> float:
    """When a shutdown starting now must be done: the process's exit deadline if one is
    set, at most ``exit_seconds()`` from now."""
    own = time.monotonic() + exit_seconds()
    return own if _exit_deadline is None else min(own, _exit_deadline)


def resilient_exporters() -> list[ResilientSpanExporter]:
    """Every live ``ResilientSpanExporter`` of this process."""
    return list(_exporters)


@dataclass(slots=True)
class Drops:
    """Spans lost, by where. ``spool_full`` lives in the spool (see ``dropped``)."""

    queue_full: int = 0  # the SDK's batch queue was full (spanwise's processor counts it)
    buffer_full: int = 0  # beyond the memory bound with no (working) spool
    at_exit: int = 0  # unsent when the exit deadline came, with no (working) spool

    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self))


class ResilientSpanExporter(SpanExporter):
    """Wraps an exporter (normally OTLP): a buffer, a sender thread, the spool."""

    def __init__(
        self,
        inner: SpanExporter,
        max_spans: int | None = None,
        *,
        retry_interval: float = 2.0,
        max_retry_interval: float = 30.0,
        spool: Spool | None = None,
    ) -> None:
        self.inner = inner
        self.max_spans = _buffer_from_env() if max_spans is None else max_spans
        self.spool = spool
        self._interval = retry_interval
        self._max_interval = max_retry_interval
        one_attempt(inner)
        self._reset()
        _exporters.add(self)
        if self._spooled:  # files left by an earlier run: sent once the backend answers
            with self._cond:
                self._start()

    def _reset(self) -> None:
        # Also the state of a forked child: the parent sends what it had buffered.
        self.drops = Drops()
        self._cond = threading.Condition(threading.Lock())
        self._pending: deque[ReadableSpan] = deque()
        self._inflight: list[ReadableSpan] = []
        self._inflight_evicted = 0  # leading spans of the batch in flight already spooled
        self._replaying = False
        self._thread: threading.Thread | None = None
        self._outage_since: float | None = None
        self._outage_dropped = 0  # `dropped` when the outage began
        self._retry_at = 0.0
        self._backoff = self._interval
        self._failures = 0
        self._drop_logged = False
        self._stopping = False  # shutdown has begun: no new spool replays (but see below)
        self._replay_until = 0.0  # ... until then, at exit, when the backend answers
        self._closed = False
        # Whether the spool may hold files: checked without listing the directory on
        # every export.
        self._spooled = bool(self.spool)

    @property
    def pending(self) -> int:
        """Spans kept in memory, waiting to be sent (including a batch in flight)."""
        return len(self._pending) + len(self._inflight) - self._inflight_evicted

    @property
    def dropped(self) -> int:
        """Spans lost anywhere on this export path (see ``drops``, plus the spool's bound)."""
        return self.drops.total() + (self.spool.dropped if self.spool is not None else 0)

    def count_queue_full(self, count: int) -> None:
        """Spans the SDK's batch queue in front of this exporter dropped."""
        with self._cond:
            self.drops.queue_full += count

    # -- the SDK's side: never waits for the backend ---------------------------------

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Buffer ``spans`` for the sender thread. SUCCESS: accepted (the backend was
        answering); FAILURE: kept for a retry, or dropped (counted)."""
        with self._cond:
            if self._closed:  # ended after the exit deadline: nothing will send them
                self.drops.at_exit += len(spans)
                return SpanExportResult.FAILURE
            self._pending.extend(spans)
            lost = self._bound()
            self._start()
            if self._outage_since is not None:
                return SpanExportResult.FAILURE
            self._cond.notify_all()
        return SpanExportResult.FAILURE if lost else SpanExportResult.SUCCESS

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Send everything buffered and spooled now; False if the backend failed (once)
        or time ran out first."""
        deadline = time.monotonic() + timeout_millis / 1000
        with self._cond:
            self._retry_at = 0.0  # now, not at the end of a backoff
            self._spooled = bool(self.spool)  # files another process may have left meanwhile
            sent = self._wait(deadline, spool=True)
        # Some exporters return None (the SDK base class did): only False is a failure.
        return self.inner.force_flush(timeout_millis) is not False and sent

    def shutdown(self) -> None:
        """Send until the exit deadline, then spool (or count) what is left. Idempotent."""
        with self._cond:
            if self._stopping:
                return
            self._stopping = True
            self._retry_at = 0.0  # a failing backend gets one immediate last try
            deadline = exit_deadline()
            if self._wait(deadline, spool=False) and self._spooled:
                # The backend answers: some of the spool too, never delaying exit long.
                self._replay_until = min(deadline, time.monotonic() + _SHUTDOWN_REPLAY_SECONDS)
                self._wait(self._replay_until, spool=True)
            # The batch in flight, if the deadline cut it short, is kept too: sent at
            # least once.
            unsent = self._inflight[self._inflight_evicted :] + list(self._pending)
            self._pending.clear()
            self._closed = True
            self._cond.notify_all()
        spooled = self._to_spool(unsent)
        if not spooled:
            self.drops.at_exit += len(unsent)
        self._summary("at exit", unsent=len(unsent), spooled=spooled)
        try:
            self.inner.shutdown()  # also ends a request or retry still under way
        except Exception as exc:
            logger.debug("spanwise: exporter shutdown raised %r", exc)

    def _wait(self, deadline: float, *, spool: bool) -> bool:
        """Under the lock: wake the sender and wait until everything is sent (True), a
        send fails, or ``deadline``."""
        failures = self._failures
        self._start()
        self._cond.notify_all()
        while self._failures == failures and (
            self._pending or self._inflight or self._replaying or (spool and self._spooled)
        ):
            left = deadline - time.monotonic()
            if left <= 0 or self._thread is None or not self._thread.is_alive():
                break
            self._cond.wait(left)
        return not (self._pending or self._inflight or self._replaying or (spool and self._spooled))

    # -- the buffer's bound -----------------------------------------------------------

    def _bound(self) -> int:
        """Under the lock: past the bound, the oldest spans (a batch in flight first) go
        to the spool or are dropped. The number dropped."""
        excess = self.pending - self.max_spans
        if excess <= 0:
            return 0
        start = self._inflight_evicted
        from_flight = min(excess, len(self._inflight) - start)
        oldest = self._inflight[start : start + from_flight]
        self._inflight_evicted += from_flight
        oldest += [self._pending.popleft() for _ in range(excess - from_flight)]
        spooled = self._to_spool(oldest)
        if not spooled:
            self.drops.buffer_full += excess
        if not self._drop_logged:  # once per outage; the count is in the summary
            self._drop_logged = True
            logger.warning(
                "spanwise: export buffer full (%d spans, %s); %s",
                self.max_spans,
                ENV_BUFFER,
                f"spooling the oldest to {self.spool.directory}"
                if spooled and self.spool is not None
                else "dropping the oldest",
            )
        return 0 if spooled else excess

    def _to_spool(self, spans: list[ReadableSpan]) -> bool:
        if not spans:
            return True
        if self.spool is None:
            return False
        try:
            self.spool.put(spans)
        except Exception as exc:  # a full disk, a bad directory: memory rules apply
            logger.debug("spanwise: could not spool %d spans: %r", len(spans), exc)
            return False
        self._spooled = True
        return True

    # -- the sender thread ------------------------------------------------------------

    def _start(self) -> None:
        # Under the lock. After a fork the child starts its own on demand.
        if self._closed or (self._thread is not None and self._thread.is_alive()):
            return
        self._thread = threading.Thread(target=self._run, name="spanwise-export", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # Export requests must not become spans (an app may instrument its HTTP client).
        with suppress_instrumentation():
            while (batch := self._next()) is not None:
                ok = self._send(batch) if batch else self._replay_one()
                self._settle(ok, bool(batch))

    def _next(self) -> list[ReadableSpan] | None:
        """The next batch to send, [] to send a spool file, None to stop."""
        with self._cond:
            while not self._closed:
                # No new spool file once shutdown began: exit is for this run's spans.
                spool = self._spooled and (
                    not self._stopping or time.monotonic() < self._replay_until
                )
                if not (self._pending or spool):
                    self._cond.wait()
                    continue
                wait = self._retry_at - time.monotonic() if self._outage_since is not None else 0
                if wait > 0:  # the backend failed recently
                    self._cond.wait(wait)
                    continue
                if self._pending:
                    size = min(_BATCH, len(self._pending))
                    self._inflight = [self._pending.popleft() for _ in range(size)]
                    self._inflight_evicted = 0
                    return self._inflight
                self._replaying = True
                return []
            return None

    def _send(self, batch: Sequence[ReadableSpan]) -> bool:
        try:
            return self.inner.export(batch) is SpanExportResult.SUCCESS
        except Exception as exc:  # an exporter that raises: treated as a failure
            logger.debug("spanwise: exporter raised %r", exc)
            return False

    def _replay_one(self) -> bool:
        """Send the spool's oldest file; False if the backend failed."""
        spool = self.spool
        if spool is None:
            return True
        # Cleared before looking: a file spooled meanwhile sets it again.
        self._spooled = False
        claimed = spool.claim()
        if claimed is None:
            return True
        self._spooled = True
        try:
            spans = spool.read(claimed)
        except Exception as exc:  # a damaged file: sending it can never succeed
            logger.warning("spanwise: dropping unreadable spool file %s: %r", claimed, exc)
            spool.done(claimed)
            return True
        if not self._send(spans):
            spool.release(claimed)
            return False
        spool.done(claimed)
        return True

    def _settle(self, ok: bool, was_batch: bool) -> None:
        with self._cond:
            if was_batch:
                rest = self._inflight[self._inflight_evicted :]
                self._inflight = []
                self._inflight_evicted = 0
                if not ok and not self._closed:  # back in front, oldest first
                    self._pending.extendleft(reversed(rest))
                    self._bound()
            self._replaying = False
            if ok:
                if self._outage_since is not None:
                    self._summary(
                        f"recovered after {time.monotonic() - self._outage_since:.1f} s",
                        since=self._outage_dropped,
                    )
                    self._outage_since = None
                    self._drop_logged = False
                self._backoff = self._interval
            else:
                self._failures += 1
                now = time.monotonic()
                if self._outage_since is None:
                    self._outage_since = now
                    self._outage_dropped = self.dropped
                    logger.warning(
                        "spanwise: %s failed; keeping up to %d spans to retry%s",
                        type(self.inner).__name__,
                        self.max_spans,
                        f", then spooling to {self.spool.directory}" if self.spool else "",
                    )
                self._retry_at = now + self._backoff
                self._backoff = min(self._backoff * 2, self._max_interval)
            self._cond.notify_all()

    def _summary(
        self, what: str, *, since: int = 0, unsent: int = 0, spooled: bool = False
    ) -> None:
        """The one line that counts every drop (since ``since``)."""
        spool_full = self.spool.dropped if self.spool is not None else 0
        lost = self.dropped - since
        if what == "at exit" and not unsent and not self.dropped:
            return  # nothing to say
        logger.warning(
            "spanwise: %s %s; %d spans dropped (SDK queue full %d, buffer full %d, spool "
            "full %d, unsent at exit %d)%s",
            type(self.inner).__name__,
            what,
            lost,
            self.drops.queue_full,
            self.drops.buffer_full,
            spool_full,
            self.drops.at_exit,
            f"; {unsent} unsent spans spooled to {self.spool.directory}"
            if spooled and unsent and self.spool is not None
            else "",
        )


def _after_fork_in_child() -> None:
    set_exit_deadline(None)
    for exporter in list(_exporters):
        exporter._reset()  # pyright: ignore[reportPrivateUsage]
        if exporter.spool is not None:
            exporter.spool.after_fork()
        fresh_connections(exporter.inner)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
