"""What ``ResilientSpanExporter`` changes in the exporter it wraps (normally the SDK's
OTLP exporter): one attempt per batch, and fresh connections in a forked child."""

from __future__ import annotations

import math

# A module a thread is importing at a fork stays half-imported in the child, its lock
# held forever: requests imports ``netrc`` lazily, on every request (get_netrc_auth),
# from the export thread. Imported here, at spanwise's import, before any fork.
import netrc  # noqa: F401  # pyright: ignore[reportUnusedImport]
from typing import Any

from opentelemetry.sdk.trace.export import SpanExporter

__all__ = ["fresh_connections", "one_attempt"]


def one_attempt(inner: SpanExporter) -> None:
    """Turn off the OTLP exporter's own retries (up to its timeout, 10 s by default, per
    batch): spanwise retries, and a batch must not hold the sender that long."""
    if hasattr(inner, "_retryable_error_codes"):  # gRPC: no status code is retried
        setattr(inner, "_retryable_error_codes", frozenset())  # noqa: B010
    client = getattr(inner, "_client", None)
    if hasattr(client, "_compute_backoff"):  # HTTP (recent SDKs): a backoff past any timeout
        setattr(client, "_compute_backoff", _never)  # noqa: B010


def _never(retry: int) -> float:
    return math.inf


def fresh_connections(inner: SpanExporter) -> None:
    """A forked child must not share the parent's keep-alive connections (two processes
    writing one socket): its HTTP sessions get new, empty pools. gRPC has its own fork
    support (``GRPC_ENABLE_FORK_SUPPORT``)."""
    client: Any = getattr(inner, "_client", None)
    transport: Any = getattr(client, "_transport", None)
    for session in (getattr(inner, "_session", None), getattr(transport, "_session", None)):
        adapters: Any = getattr(session, "adapters", None)
        if not isinstance(adapters, dict):
            continue
        values: list[Any] = list(adapters.values())  # pyright: ignore[reportUnknownArgumentType]
        for adapter in values:
            # The pickle protocol of requests' HTTPAdapter rebuilds its pool manager.
            state = getattr(adapter, "__getstate__", None)
            restore = getattr(adapter, "__setstate__", None)
            if state is not None and restore is not None:
                restore(state())
