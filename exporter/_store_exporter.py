"""``SpanwiseStoreExporter``: the store as a standard OpenTelemetry span exporter.

Registered as the ``opentelemetry_traces_exporter`` entry point ``spanwise``, so
``OTEL_TRACES_EXPORTER=spanwise`` (or ``otlp,spanwise``) writes every span of any
OTel-instrumented application into the store. Spans arrive in batches as they end;
the store merges them into their traces.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from spanwise.common._safety import logger, warn_once
from spanwise.model._records import record_from_otel
from spanwise.store._config import normalize_uri
from spanwise.store._sql import SqlTraceStore

__all__ = ["SpanwiseStoreExporter"]


class SpanwiseStoreExporter(SpanExporter):
    """Writes spans to the spanwise store at ``tracking_uri`` (default: the configured one).

    Follows the SDK's exporter contract: ``export`` returns FAILURE instead of raising,
    ``shutdown`` is idempotent, and exporting suppresses instrumentation (a database
    driver instrumented by OTel does not trace the store's own queries).
    """

    def __init__(self, tracking_uri: str | None = None) -> None:
        from ._stores import store_exporter_active

        self._uri = tracking_uri
        self._store: SqlTraceStore | None = None
        self._lock = threading.Lock()
        self._shutdown = False
        # While this exporter is in a pipeline, spanwise's in-process writer leaves the
        # store to it (one write per span, not two).
        store_exporter_active(+1)

    def _get_store(self) -> SqlTraceStore | None:
        if self._store is None:
            if self._uri is None:
                from ._stores import get_store

                self._store = get_store()
            else:
                uri = normalize_uri(self._uri)
                self._store = SqlTraceStore(uri) if uri is not None else None
        return self._store

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        if self._shutdown:
            return SpanExportResult.FAILURE
        try:
            with suppress_instrumentation(), self._lock:
                store = self._get_store()
                if store is not None:
                    store.write_records([record_from_otel(s) for s in spans])
            return SpanExportResult.SUCCESS
        except Exception as exc:
            warn_once(
                "store-exporter",
                "spanwise: exporting %d span(s) to the store failed: %s: %s",
                len(spans),
                type(exc).__name__,
                exc,
            )
            logger.debug("spanwise: store export failure", exc_info=exc)
            return SpanExportResult.FAILURE

    def shutdown(self) -> None:
        if self._shutdown:
            return
        self._shutdown = True
        from ._stores import store_exporter_active

        store_exporter_active(-1)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
