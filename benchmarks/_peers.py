"""Peers measured in the same run (installed by `make bench` only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def mlflow_trace(fn: Callable[..., Any]) -> tuple[Callable[..., Any] | None, str]:
    """``mlflow.trace(fn)``, or None and why it cannot run here."""
    try:
        import mlflow
    except ImportError:
        return None, "mlflow-tracing not installed (make bench installs it)"
    return mlflow.trace(fn), ""
