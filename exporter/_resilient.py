"""An exporter that rides out a backend outage: what the backend could not take is kept
(up to a bound) and sent, oldest first, once it answers again.

The OTel SDK's batch processor drops a batch its exporter failed to send. Wrapped in
``ResilientSpanExporter``, a failed batch stays in memory, up to
``SPANWISE_EXPORT_BUFFER_SPANS`` spans (default 20,000; the oldest go first when
full), and is retried before newer spans on the next export, every few seconds from a
background thread (backing off to 30 s), and on flush/shutdown. Spans dropped beyond the
bound are counted (``dropped``) and logged once per outage. With
``SPANWISE_EXPORT_SPOOL_DIR`` set, they go to a disk spool instead (``_spool``), which
is sent once the backend answers, by this process or the next. Nothing here runs on the
application's thread, which never waits for the backend.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from spanwise.common._safety import logger

from ._spool import Spool

__all__ = ["DEFAULT_BUFFER_SPANS", "ResilientSpanExporter"]

DEFAULT_BUFFER_SPANS = 20_000
ENV_BUFFER = "SPANWISE_EXPORT_BUFFER_SPANS"
_BATCH = 512  # spans per retried export call
_SHUTDOWN_REPLAY_SECONDS = 2.0
_SHUTDOWN_JOIN_SECONDS = 5.0  # a send in flight: the exporter's own timeout bounds it


def _buffer_from_env() -> int:
    try:
        return max(0, int(os.environ.get(ENV_BUFFER, DEFAULT_BUFFER_SPANS)))
    except ValueError:
        return DEFAULT_BUFFER_SPANS


class ResilientSpanExporter(SpanExporter):
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
        self._dropped = 0
        self._pending: deque[ReadableSpan] = deque()
        self._lock = threading.Lock()  # one export to the backend at a time
        self._wake = threading.Event()
        self._interval = retry_interval
        self._max_interval = max_retry_interval
        self._outage_logged = False
        self._drop_logged = False
        self._shutdown = False
        self._stopping = False  # shutdown has begun: the retry thread winds down
        self._thread: threading.Thread | None = None
        # Whether the spool may hold files: checked without listing the directory on
        # every export. Files left by an earlier run are sent once the backend answers.
        self._spooled = bool(spool)
        if self._spooled:
            self._start_retries()

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def dropped(self) -> int:
        """Spans lost: beyond the memory bound (without a spool), beyond the spool's."""
        return self._dropped + (self.spool.dropped if self.spool is not None else 0)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shutdown:
            return SpanExportResult.FAILURE
        with self._lock:
            self._pending.extend(spans)
            result = self._drain()
            self._bound()
        if result is SpanExportResult.FAILURE or self._spooled:
            self._start_retries()  # retries, or the spool sent from the retry thread
        return result

    def _send(self, batch: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            return self.inner.export(batch)
        except Exception as exc:  # an exporter that raises: treated as a failure
            logger.debug("spanwise: exporter raised %r", exc)
            return SpanExportResult.FAILURE

    def _drain(self) -> SpanExportResult:
        """Send what is pending, oldest first, until done or the backend fails."""
        while self._pending:
            batch = [self._pending[i] for i in range(min(_BATCH, len(self._pending)))]
            result = self._send(batch)
            if result is not SpanExportResult.SUCCESS:
                if not self._outage_logged:
                    self._outage_logged = True
                    logger.warning(
                        "spanwise: %s failed; keeping up to %d spans to retry",
                        type(self.inner).__name__,
                        self.max_spans,
                    )
                return SpanExportResult.FAILURE
            for _ in batch:
                self._pending.popleft()
        if self._outage_logged:
            self._outage_logged = self._drop_logged = False
            logger.warning(
                "spanwise: %s recovered; %d spans dropped during the outage",
                type(self.inner).__name__,
                self.dropped,
            )
        return SpanExportResult.SUCCESS

    def _bound(self) -> None:
        excess = len(self._pending) - self.max_spans
        if excess <= 0:
            return
        oldest = [self._pending.popleft() for _ in range(excess)]
        spooled = self._to_spool(oldest)
        if not spooled:
            self._dropped += excess
        if not self._drop_logged:  # once per outage; the count is in `dropped`
            self._drop_logged = True
            logger.warning(
                "spanwise: export buffer full (%d spans, %s); %s",
                self.max_spans,
                ENV_BUFFER,
                f"spooling the oldest to {self.spool.directory}"
                if spooled and self.spool is not None
                else "dropping the oldest",
            )

    def _to_spool(self, spans: list[ReadableSpan]) -> bool:
        if self.spool is None:
            return False
        try:
            self.spool.put(spans)
        except Exception as exc:  # a full disk, a bad directory: memory rules apply
            logger.debug("spanwise: could not spool %d spans: %r", len(spans), exc)
            return False
        self._spooled = True
        return True

    def _replay(self, deadline: float | None = None, *, final: bool = False) -> bool:
        """Send the spool, oldest file first; False if the backend failed (or time ran
        out) before it was empty."""
        spool = self.spool
        while spool is not None and not self._shutdown and (final or not self._stopping):
            if deadline is not None and time.monotonic() > deadline:
                return False
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
                continue
            with self._lock:
                ok = self._send(spans) is SpanExportResult.SUCCESS
            if not ok:
                spool.release(claimed)
                return False
            spool.done(claimed)
        return True

    def _start_retries(self) -> None:
        if self._stopping:
            return
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._retry_loop, name="spanwise-export-retry", daemon=True
            )
            self._thread.start()

    def _retry_loop(self) -> None:
        interval = self._interval
        while not self._stopping and (self._pending or self._spooled):
            if self._pending:  # the backend failed recently: wait before trying again
                self._wake.wait(interval)
                self._wake.clear()
            if self._stopping:
                return
            with self._lock:
                ok = self._drain() is SpanExportResult.SUCCESS
            ok = ok and self._replay()
            if not ok:
                interval = min(interval * 2, self._max_interval)
                self._wake.wait(interval)
                self._wake.clear()
            else:
                interval = self._interval

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        deadline = time.monotonic() + timeout_millis / 1000
        with self._lock:
            ok = self._drain() is SpanExportResult.SUCCESS
        ok = ok and self._replay(deadline)
        # Some exporters return None (the SDK base class did): only False is a failure.
        return self.inner.force_flush(timeout_millis) is not False and ok

    def shutdown(self) -> None:
        if self._shutdown or self._stopping:
            return
        # The retry thread stops between two sends, so no file is left claimed by a
        # process about to exit (a send cut short would be sent again by the next one).
        self._stopping = True
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_SHUTDOWN_JOIN_SECONDS)
        with self._lock:
            ok = self._drain() is SpanExportResult.SUCCESS  # one last attempt
            unsent = list(self._pending)  # spooled for the next process, or dropped
            if unsent and not self._to_spool(unsent):
                self._dropped += len(unsent)
            self._pending.clear()
        if ok:  # the backend answers: send some of the spool, never delaying exit long
            self._replay(time.monotonic() + _SHUTDOWN_REPLAY_SECONDS, final=True)
        self._shutdown = True
        self.inner.shutdown()
