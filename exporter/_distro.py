"""spanwise's OpenTelemetry distro, for ``opentelemetry-instrument``.

Registered as the ``opentelemetry_distro`` entry point ``spanwise``: it only sets
defaults the user did not set, so that ``opentelemetry-instrument python app.py``
exports traces over OTLP out of the box:

* ``OTEL_TRACES_EXPORTER=otlp``
* ``OTEL_METRICS_EXPORTER=none`` and ``OTEL_LOGS_EXPORTER=none`` (spanwise ships traces;
  set them to ``otlp`` to export the others too)
* ``OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`` (the OTel specification's default)

Zero-code instrumentation records metadata only (no prompts or completions) unless
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` says otherwise.
"""

from __future__ import annotations

import os
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]

__all__ = ["SpanwiseDistro"]

DEFAULTS = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
}


class SpanwiseDistro(BaseDistro):  # type: ignore[misc]
    def _configure(self, **kwargs: Any) -> None:
        for name, value in DEFAULTS.items():
            os.environ.setdefault(name, value)
