"""The tracer every manual spanwise span comes from, on the provider spanwise makes sure of.

Setting up the provider and finding a trace's local root belong to the export pipeline
(``spanwise.exporter``), a layer above this one: it registers both as hooks when it is
imported (importing any part of ``spanwise`` imports it), so nothing here imports upward.
"""

from __future__ import annotations

from collections.abc import Callable

from opentelemetry import trace
from opentelemetry.trace import Span, Tracer, TracerProvider

from spanwise.semconv import SCHEMA_URL

__all__ = [
    "SCOPE_NAME",
    "get_tracer",
    "local_root_span",
    "set_enabled",
    "set_pipeline_hooks",
    "tracing_enabled",
]

SCOPE_NAME = "spanwise"
_tracer: Tracer | None = None
_NO_OP = trace.NoOpTracer()
# The process-wide switch (MLflow's mlflow.tracing.disable()/enable()): read by every
# manual span and every instrumented call (Settings.enabled()), so a plain global.
enabled = True
_ensure_provider: Callable[[], TracerProvider] = trace.get_tracer_provider
_local_root: Callable[[Span], Span] = lambda span: span  # noqa: E731


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spanwise")
    except PackageNotFoundError:  # running from a source tree
        return "0.0.0"


def set_pipeline_hooks(
    ensure_provider: Callable[[], TracerProvider], local_root: Callable[[Span], Span]
) -> None:
    """Called by the export pipeline at import: how the provider is set up (or joined) on
    first use, and how a span's local root is found."""
    global _ensure_provider, _local_root, _tracer
    _ensure_provider, _local_root, _tracer = ensure_provider, local_root, None


def tracing_enabled() -> bool:
    """False between ``set_enabled(False)`` and ``set_enabled(True)``."""
    return enabled


def set_enabled(on: bool) -> None:
    """Switch all of spanwise's tracing on or off, process-wide: while off, the manual
    API's spans are non-recording and instrumented calls pass through untraced. Spans
    already started end and export as usual."""
    global enabled
    enabled = bool(on)


def get_tracer() -> Tracer:
    """spanwise's tracer (a no-op one while tracing is off); the first call sets up (or
    joins) the tracer provider."""
    global _tracer
    if not enabled:
        return _NO_OP
    tracer = _tracer
    if tracer is None:
        provider = _ensure_provider()
        tracer = _tracer = provider.get_tracer(SCOPE_NAME, _version(), schema_url=SCHEMA_URL)
    return tracer


def local_root_span(span: Span) -> Span:
    """The local root of ``span``'s trace (``span`` itself if it is one or unknown)."""
    return _local_root(span)
