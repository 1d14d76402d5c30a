"""An exporter that rides out a backend outage: what the backend could not take is kept
(up to a bound) and sent, oldest first, once it answers again.

The OTel SDK's batch processor drops a batch its exporter failed to send. Wrapped in
``ResilientSpanExporter``, a failed batch stays in memory, up to
``SPANWISE_EXPORT_BUFFER_SPANS`` spans (default 20,000; the oldest go first when
full), and is retried before newer spans on the next export, every few seconds from a
background thread (backing off to 30 s), and on flush/shutdown. Spans dropped beyond the
bound are counted (``dropped``) and logged once per outage. Nothing here runs on the
application's thread, which never waits for the backend.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from spanwise.instrumentations._safety import logger

__all__ = ["DEFAULT_BUFFER_SPANS", "ResilientSpanExporter"]

DEFAULT_BUFFER_SPANS = 20_000
ENV_BUFFER = "SPANWISE_EXPORT_BUFFER_SPANS"
_BATCH = 512  # spans per retried export call


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
    ) -> None:
        self.inner = inner
        self.max_spans = _buffer_from_env() if max_spans is None else max_spans
        self.dropped = 0
        self._pending: deque[ReadableSpan] = deque()
        self._lock = threading.Lock()  # one export to the backend at a time
        self._wake = threading.Event()
        self._interval = retry_interval
        self._max_interval = max_retry_interval
        self._outage_logged = False
        self._drop_logged = False
        self._shutdown = False
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shutdown:
            return SpanExportResult.FAILURE
        with self._lock:
            self._pending.extend(spans)
            result = self._drain()
            self._bound()
        if result is SpanExportResult.FAILURE:
            self._start_retries()
        return result

    def _drain(self) -> SpanExportResult:
        """Send what is pending, oldest first, until done or the backend fails."""
        while self._pending:
            batch = [self._pending[i] for i in range(min(_BATCH, len(self._pending)))]
            try:
                result = self.inner.export(batch)
            except Exception as exc:  # an exporter that raises: treated as a failure
                logger.debug("spanwise: exporter raised %r", exc)
                result = SpanExportResult.FAILURE
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
        for _ in range(excess):
            self._pending.popleft()
        self.dropped += excess
        if not self._drop_logged:  # once per outage; the count is in `dropped`
            self._drop_logged = True
            logger.warning(
                "spanwise: export buffer full (%d spans, %s); dropping the oldest",
                self.max_spans,
                ENV_BUFFER,
            )

    def _start_retries(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._retry_loop, name="spanwise-export-retry", daemon=True
            )
            self._thread.start()

    def _retry_loop(self) -> None:
        interval = self._interval
        while not self._shutdown and self._pending:
            self._wake.wait(interval)
            self._wake.clear()
            if self._shutdown:
                return
            with self._lock:
                ok = self._drain() is SpanExportResult.SUCCESS
            interval = self._interval if ok else min(interval * 2, self._max_interval)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        with self._lock:
            ok = self._drain() is SpanExportResult.SUCCESS
        return self.inner.force_flush(timeout_millis) and ok

    def shutdown(self) -> None:
        if self._shutdown:
            return
        with self._lock:
            self._drain()  # one last attempt; what still fails is counted as dropped
            self.dropped += len(self._pending)
            self._pending.clear()
        self._shutdown = True
        self._wake.set()
        self.inner.shutdown()
