"""spanwise's OpenTelemetry configurator, for ``opentelemetry-instrument``.

``opentelemetry-instrument`` only sets up the SDK when a configurator is installed;
this one is the SDK's own (``OTEL_TRACES_EXPORTER``, ``OTEL_EXPORTER_OTLP_*``,
``OTEL_RESOURCE_ATTRIBUTES``... as documented by OpenTelemetry), registered as the
``opentelemetry_configurator`` entry point ``spanwise``. With
``SPANWISE_EXPORT_DIALECT=mlflow|openinference`` it wraps each exporter so the spans
leave in that dialect.
"""

from __future__ import annotations

import inspect
from typing import Any

from opentelemetry.sdk import _configuration  # pyright: ignore[reportPrivateUsage]
from opentelemetry.sdk._configuration import _OTelSDKConfigurator  # pyright: ignore[reportPrivateUsage]
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from spanwise.instrumentations._safety import warn_once

__all__ = ["SpanwiseConfigurator"]


def _dialect_processor(dialect: str) -> Any:
    from ._dialects import DialectSpanExporter
    from ._store_exporter import SpanwiseStoreExporter

    def processor(exporter: SpanExporter) -> BatchSpanProcessor:
        if not isinstance(exporter, SpanwiseStoreExporter):  # the store keeps spans as recorded
            exporter = DialectSpanExporter(exporter, dialect)
        return BatchSpanProcessor(exporter)

    return processor


class SpanwiseConfigurator(_OTelSDKConfigurator):
    """The SDK configurator under spanwise's name, plus the export dialect."""

    def _configure(self, **kwargs: Any) -> None:
        from ._dialects import resolve_dialect

        try:
            dialect = resolve_dialect()
        except ValueError as exc:
            warn_once("dialect:env", "spanwise: %s; exporting the genai dialect", exc)
            dialect = "genai"
        if dialect != "genai":
            accepted = inspect.signature(_configuration._initialize_components).parameters  # pyright: ignore[reportPrivateUsage]
            if "export_span_processor" in accepted:
                kwargs.setdefault("export_span_processor", _dialect_processor(dialect))
            else:
                warn_once(
                    "dialect:sdk",
                    "spanwise: SPANWISE_EXPORT_DIALECT=%s under opentelemetry-instrument needs "
                    "a newer opentelemetry-sdk; exporting the genai dialect",
                    dialect,
                )
        super()._configure(**kwargs)  # pyright: ignore[reportUnknownMemberType]
