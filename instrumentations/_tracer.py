"""The tracer every spanwise span comes from, on the provider spanwise makes sure of."""

from __future__ import annotations

from opentelemetry.trace import Tracer

from spanwise.semconv import SCHEMA_URL

__all__ = ["SCOPE_NAME", "get_tracer"]

SCOPE_NAME = "spanwise"
_tracer: Tracer | None = None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spanwise")
    except PackageNotFoundError:  # running from a source tree
        return "0.0.0"


def get_tracer() -> Tracer:
    """spanwise's tracer; the first call sets up (or joins) the tracer provider."""
    global _tracer
    tracer = _tracer
    if tracer is None:
        from spanwise.exporter._provider import ensure_provider

        provider = ensure_provider()
        tracer = _tracer = provider.get_tracer(SCOPE_NAME, _version(), schema_url=SCHEMA_URL)
    return tracer
