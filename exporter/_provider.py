"""Provider set-up: join the application's OpenTelemetry pipeline, or make one.

* If the application already set an SDK ``TracerProvider`` (its own code or
  ``opentelemetry-instrument``), spanwise adds its ``TraceAssembler`` to it and never
  replaces it.
* If none is set when spanwise is first used, spanwise sets one: resource from the
  standard ``OTEL_*`` variables, the ``TraceAssembler``, and OTLP export when
  ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`` or ``OTEL_TRACES_EXPORTER`` asks.
* Finished traces go to the store (``SPANWISE_TRACKING_URI``) through a background
  writer, unless the ``spanwise`` OTel exporter (``OTEL_TRACES_EXPORTER=spanwise``)
  already writes them.
* Exit (normal, SIGTERM, a multiprocessing worker leaving): the SDK's queues go to the
  exporters, the exporters send until the exit deadline (``SPANWISE_EXPORT_EXIT_SECONDS``)
  and spool the rest, the store writer writes its queue: all within that one bound.
* A forked child starts with fresh locks, threads and connections (each module resets
  its own at fork) and exports its own spans.
"""

from __future__ import annotations

import atexit
import multiprocessing.util
import os
import signal
import threading
import time
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import Span as OTelSpan

from spanwise.common._content import content_settings, describe
from spanwise.common._safety import fork_safe_lock, logger, warn_once
from spanwise.instrumentations._tracer import set_pipeline_hooks
from spanwise.store._config import get_tracking_uri, normalize_uri, set_uri

from ._assembler import TraceAssembler
from ._processor import CountingBatchSpanProcessor
from ._resilient import ResilientSpanExporter, exit_deadline, exit_seconds, set_exit_deadline
from ._spool import spool_from_env
from ._stores import exporters_active, get_store, store_exporter_active, writer

__all__ = [
    "assembler",
    "ensure_provider",
    "flush",
    "get_store",
    "local_root_span",
    "set_tracking_uri",
    "store_exporter_active",
    "writer",
]

_lock = fork_safe_lock(reentrant=True)  # released again in a forked child
_attached: set[int] = set()
assembler = TraceAssembler(writer.submit)
_own_provider: TracerProvider | None = None  # the one spanwise set up (it shuts it down)
_exited_pid = 0  # the process whose exit work ran (once per process)


def _in_dialect(exporter: SpanExporter) -> SpanExporter:
    """``exporter`` writing the dialect ``SPANWISE_EXPORT_DIALECT`` asks for."""
    from spanwise.model._dialects import DialectSpanExporter, resolve_dialect

    try:
        dialect = resolve_dialect()
    except ValueError as exc:
        warn_once("dialect:env", "spanwise: %s; exporting the genai dialect", exc)
        return exporter
    return exporter if dialect == "genai" else DialectSpanExporter(exporter, dialect)


def _env_exporters() -> list[SpanExporter]:
    """The exporters the standard variables ask for, for a provider spanwise sets up.

    ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``, ``spanwise``, ``none``; comma list),
    or, when it is unset, OTLP as soon as ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`` is set.
    The OTLP protocol is ``OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL``: ``http/protobuf``
    (default) or ``grpc``; the SDK's exporters read the rest of their settings themselves.
    """
    names = os.environ.get("OTEL_TRACES_EXPORTER")
    if names is None:
        wants_otlp = any(
            os.environ.get(v)
            for v in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        )
        names = "otlp" if wants_otlp else ""
    exporters: list[SpanExporter] = []
    for name in (n.strip().lower() for n in names.split(",")):
        if name == "otlp":
            protocol = os.environ.get(
                "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            )
            if protocol.strip().lower() == "grpc":
                from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
            else:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # type: ignore[assignment]
                    OTLPSpanExporter,
                )
            # Outages are ridden out (bounded buffer) below the dialect, so retries
            # resend translated spans.
            resilient = ResilientSpanExporter(OTLPSpanExporter(), spool=spool_from_env())
            exporters.append(_in_dialect(resilient))
        elif name == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporters.append(ConsoleSpanExporter())
        elif name == "spanwise":
            from ._store_exporter import SpanwiseStoreExporter

            exporters.append(SpanwiseStoreExporter())
        elif name not in ("", "none"):
            warn_once(
                "exporter:" + name, "spanwise: OTEL_TRACES_EXPORTER=%s is not known; ignored", name
            )
    return exporters


def ensure_provider() -> trace.TracerProvider:
    """The global tracer provider, with spanwise's assembler attached (set one if none)."""
    with _lock:
        current = trace.get_tracer_provider()
        if isinstance(current, trace.ProxyTracerProvider):
            global _own_provider
            # Shut down by spanwise's exit work (bounded, in order), not the SDK's atexit.
            provider = TracerProvider(resource=Resource.create(), shutdown_on_exit=False)
            for exporter in _env_exporters():
                provider.add_span_processor(CountingBatchSpanProcessor(exporter))
            trace.set_tracer_provider(provider)
            current = trace.get_tracer_provider()  # another thread may have won the race
            if current is provider:
                _own_provider = provider
                logger.info("spanwise: set up an OpenTelemetry TracerProvider")
        if id(current) not in _attached:
            add_span_processor = getattr(current, "add_span_processor", None)
            if add_span_processor is None:
                warn_once(
                    "provider:not-sdk",
                    "spanwise: the global tracer provider (%s) is not the OpenTelemetry SDK's; "
                    "spans are created but get_trace/search_traces will not see them",
                    type(current).__name__,
                )
            else:
                add_span_processor(assembler)
                _attached.add(id(current))
                if not _attached_before():
                    atexit.register(_exit_work)
                    _flush_on_sigterm()
                logger.info(
                    "spanwise: tracing into %s; store: %s; %s",
                    type(current).__name__,
                    get_tracking_uri() or "none (memory only)",
                    describe(content_settings()),
                )
        return current


def local_root_span(span: OTelSpan) -> OTelSpan:
    """The local root of ``span``'s trace (``span`` itself if it is one or unknown)."""
    root = assembler.local_root(span.get_span_context().trace_id)
    return root if root is not None else span


def set_tracking_uri(uri: str | Path) -> None:
    """Store traces at ``uri`` from now on (traces already written stay where they are)."""
    text = str(uri)
    normalize_uri(text)  # validate before changing anything
    flush()  # traces finished before the switch go to the old store
    set_uri(text)


def flush(timeout: float = 30.0) -> bool:
    """Send every finished span on now: to the store and through the OTLP exporters
    (serverless handlers call this before they freeze). Waits at most ``timeout``
    seconds in all; False when something is still unsent (a backend down: it stays
    buffered and is retried)."""
    deadline = time.monotonic() + max(timeout, 0.0)
    sent = True
    # spanwise's own provider always; the application's only when a `spanwise` exporter
    # in it writes the store (a search must see the last traces). Flushing another
    # provider's exporters is the application's call.
    provider = _own_provider or (trace.get_tracer_provider() if exporters_active() else None)
    force_flush = getattr(provider, "force_flush", None)
    if force_flush is not None:
        sent = force_flush(int(timeout * 1000)) is not False
    return writer.flush(max(deadline - time.monotonic(), 0.0)) and sent


def _attached_before() -> bool:
    # The exit work is registered once, however many providers spanwise joined.
    return len(_attached) > 1


def _flush_on_sigterm() -> None:
    """SIGTERM's default action ends the process without atexit: spans ended before it
    would be lost. When the application has no SIGTERM handler of its own, spanwise
    installs one that does the exit work (bounded, spooling what the backend cannot
    take), then dies of SIGTERM as before. ``SPANWISE_FLUSH_ON_SIGTERM=false`` leaves
    the signal alone."""
    if os.environ.get("SPANWISE_FLUSH_ON_SIGTERM", "true").strip().lower() in ("false", "0", "no"):
        return
    if threading.current_thread() is not threading.main_thread():
        return
    try:
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return  # the application (or its server) handles SIGTERM itself
    except (ValueError, OSError):
        return

    def on_sigterm(signum: int, frame: object) -> None:
        # The exit work runs on a thread of its own: the signal may have interrupted this
        # thread while it held a lock the work needs. It is bounded; the join is a backstop.
        worker = threading.Thread(target=_last_exit_work, name="spanwise-sigterm-exit", daemon=True)
        worker.start()
        worker.join(exit_seconds() + 1.0)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    signal.signal(signal.SIGTERM, on_sigterm)


def _last_exit_work() -> None:
    """The exit work of a process that leaves without atexit (SIGTERM, a multiprocessing
    worker): the application's provider will not shut itself down either."""
    _exit_work(any_provider=True)


def _exit_work(*, any_provider: bool = False) -> None:
    """What is left to do when the process leaves, within ``SPANWISE_EXPORT_EXIT_SECONDS``:
    the SDK's queues into the export buffers, the buffers to the backend (the rest to the
    spool, or counted as dropped), the store writer's queue to the store. The writer
    works meanwhile on its own thread."""
    global _exited_pid
    if _exited_pid == os.getpid():
        return
    _exited_pid = os.getpid()
    try:
        set_exit_deadline(time.monotonic() + exit_seconds())
        assembler.flush_open()  # spans of traces whose root ends elsewhere, or never
        writer.flush(0)  # start now, in parallel with the export
        # At a normal exit an application's provider shuts itself down at its own
        # atexit, after this one (registered earlier), within the same deadline.
        provider = _own_provider or (trace.get_tracer_provider() if any_provider else None)
        shutdown = getattr(provider, "shutdown", None)
        if shutdown is not None:
            shutdown()  # the exporters' shutdowns keep to the deadline
        writer.shutdown(timeout=max(0.0, exit_deadline() - time.monotonic()))
    except Exception as exc:  # never break the exit
        logger.debug("spanwise: exit work failed: %r", exc)


class _ForkAnchor:
    """multiprocessing keeps after-fork callbacks by a weak reference to an object."""


_fork_anchor = _ForkAnchor()


def _register_worker_exit(_: object) -> None:
    multiprocessing.util.Finalize(None, _last_exit_work, exitpriority=100)


def _exit_work_in_forked_workers() -> None:
    """multiprocessing workers leave through ``os._exit`` (no atexit): their exit work
    runs as a multiprocessing finalizer, registered in each child after the fork
    (multiprocessing clears the finalizers it inherited)."""
    multiprocessing.util.register_after_fork(_fork_anchor, _register_worker_exit)


def _after_fork_in_child() -> None:
    assembler.after_fork_in_child()


_exit_work_in_forked_workers()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# The lower layers' way up: the manual API's tracer and local roots come from here.
set_pipeline_hooks(ensure_provider, local_root_span)
