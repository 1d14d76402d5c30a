"""``SpanwiseStoreExporter``: the store as a standard OpenTelemetry span exporter.

Registered as the ``opentelemetry_traces_exporter`` entry point ``spanwise``, so
``OTEL_TRACES_EXPORTER=spanwise`` (or ``otlp,spanwise``) writes every span of any
OTel-instrumented application into the store. Spans arrive in batches as they end;
the store merges them into their traces.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence

from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from spanwise.common._safety import logger, warn_once
from spanwise.model._records import SpanRecord, record_from_otel
from spanwise.store._config import normalize_uri
from spanwise.store._sql import SqlTraceStore

__all__ = ["SpanwiseStoreExporter"]

_exporters: weakref.WeakSet[SpanwiseStoreExporter] = weakref.WeakSet()


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
        _exporters.add(self)

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
                    # One span the store refuses costs only itself (said once, no content).
                    store.write_records([record_from_otel(s) for s in spans], reject=_refused)
            return SpanExportResult.SUCCESS
        except Exception as exc:
            from spanwise.store._errors import describe_error

            warn_once(
                "store-exporter",
                "spanwise: exporting %d span(s) to the store failed: %s",
                len(spans),
                describe_error(exc),
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


def _refused(_record: SpanRecord, reason: str) -> None:
    warn_once(
        "store-exporter:refused",
        "spanwise: the store refused a span (%s); it was dropped, the others were written",
        reason,
    )


_held_at_fork: list[threading.Lock] = []


def _before_fork() -> None:
    # A fork in the middle of a write: the child would wait on the database forever (see
    # StoreWriter). Wait (bounded) for the write to end.
    for exporter in list(_exporters):
        lock = exporter._lock  # pyright: ignore[reportPrivateUsage]
        if lock.acquire(timeout=5.0):
            _held_at_fork.append(lock)


def _after_fork_in_parent() -> None:
    while _held_at_fork:
        _held_at_fork.pop().release()


def _after_fork_in_child() -> None:
    # Fresh locks (the store's connections are reset by the store itself).
    _held_at_fork.clear()
    for exporter in list(_exporters):
        exporter._lock = threading.Lock()  # pyright: ignore[reportPrivateUsage]


if hasattr(os, "register_at_fork"):
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
    )
