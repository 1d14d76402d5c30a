"""spanwise's OpenTelemetry configurator, for ``opentelemetry-instrument``.

``opentelemetry-instrument`` only sets up the SDK when a configurator is installed;
this one is the SDK's own (``OTEL_TRACES_EXPORTER``, ``OTEL_EXPORTER_OTLP_*``,
``OTEL_RESOURCE_ATTRIBUTES``... as documented by OpenTelemetry), registered as the
``opentelemetry_configurator`` entry point ``spanwise``. As in library mode, OTLP
exporters ride out backend outages (``ResilientSpanExporter``: the memory buffer and,
with ``SPANWISE_EXPORT_SPOOL_DIR``, the disk spool), and with
``SPANWISE_EXPORT_DIALECT=mlflow|openinference`` the spans leave in that dialect.
"""

from __future__ import annotations

import inspect
from typing import Any

from opentelemetry.sdk import _configuration  # pyright: ignore[reportPrivateUsage]
from opentelemetry.sdk._configuration import _OTelSDKConfigurator  # pyright: ignore[reportPrivateUsage]
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from spanwise.common._safety import warn_once

from ._processor import CountingBatchSpanProcessor

__all__ = ["SpanwiseConfigurator"]


def _export_processor(dialect: str) -> Any:
    from spanwise.model._dialects import DialectSpanExporter

    from ._resilient import ResilientSpanExporter
    from ._spool import spool_from_env
    from ._store_exporter import SpanwiseStoreExporter

    def processor(exporter: SpanExporter) -> BatchSpanProcessor:
        if type(exporter).__module__.startswith("opentelemetry.exporter.otlp"):
            exporter = ResilientSpanExporter(exporter, spool=spool_from_env())
        if dialect != "genai" and not isinstance(exporter, SpanwiseStoreExporter):
            exporter = DialectSpanExporter(exporter, dialect)  # the store keeps spans as recorded
        # Counts what its queue drops; shuts down within spanwise's exit deadline.
        return CountingBatchSpanProcessor(exporter)

    return processor


class SpanwiseConfigurator(_OTelSDKConfigurator):
    """The SDK configurator under spanwise's name, plus the export dialect."""

    def _configure(self, **kwargs: Any) -> None:
        from spanwise.model._dialects import resolve_dialect

        try:
            dialect = resolve_dialect()
        except ValueError as exc:
            warn_once("dialect:env", "spanwise: %s; exporting the genai dialect", exc)
            dialect = "genai"
        accepted = inspect.signature(_configuration._initialize_components).parameters  # pyright: ignore[reportPrivateUsage]
        if "export_span_processor" in accepted:
            kwargs.setdefault("export_span_processor", _export_processor(dialect))
        elif dialect != "genai":
            warn_once(
                "dialect:sdk",
                "spanwise: SPANWISE_EXPORT_DIALECT=%s under opentelemetry-instrument needs "
                "a newer opentelemetry-sdk; exporting the genai dialect",
                dialect,
            )
        super()._configure(**kwargs)  # pyright: ignore[reportUnknownMemberType]
