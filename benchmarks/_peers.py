"""Peers measured in the same run (installed by `make bench` only).

MLflow: `mlflow-tracing` (the package the issue names) has no local store, and its
default destination fails here without a server, which would charge MLflow for
retries. So it runs its real decorator, span processor and in-memory trace building,
and only the final write (`MlflowV3SpanExporter._log_trace/_log_spans`) is a no-op.
That flatters MLflow; the comparison is conservative.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_configured = False


def configure_mlflow() -> Any:
    global _configured
    import mlflow
    from mlflow.tracing.export.mlflow_v3 import MlflowV3SpanExporter

    if not _configured:
        MlflowV3SpanExporter._log_trace = lambda self, *a, **k: None  # type: ignore[method-assign]
        MlflowV3SpanExporter._log_spans = lambda self, *a, **k: None  # type: ignore[method-assign]
        mlflow.set_tracking_uri("http://127.0.0.1:9")  # never contacted: writes are no-ops
        _configured = True
    return mlflow


def mlflow_trace(fn: Callable[..., Any]) -> tuple[Callable[..., Any] | None, str]:
    """``mlflow.trace(fn)``, or None and why it cannot run here."""
    try:
        mlflow = configure_mlflow()
    except ImportError:
        return None, "mlflow-tracing not installed (make bench installs it)"
    return mlflow.trace(fn), ""
