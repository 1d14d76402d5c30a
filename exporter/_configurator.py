"""spanwise's OpenTelemetry configurator, for ``opentelemetry-instrument``.

``opentelemetry-instrument`` only sets up the SDK when a configurator is installed;
this one is the SDK's own (``OTEL_TRACES_EXPORTER``, ``OTEL_EXPORTER_OTLP_*``,
``OTEL_RESOURCE_ATTRIBUTES``... as documented by OpenTelemetry), registered as the
``opentelemetry_configurator`` entry point ``spanwise``.
"""

from __future__ import annotations

from opentelemetry.sdk._configuration import _OTelSDKConfigurator  # pyright: ignore[reportPrivateUsage]

__all__ = ["SpanwiseConfigurator"]


class SpanwiseConfigurator(_OTelSDKConfigurator):
    """The SDK configurator under spanwise's name."""
