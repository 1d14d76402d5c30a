"""The base every spanwise instrumentor shares (OTel contrib's contract, plus two guards).

* The library's own requirement is re-checked even when ``opentelemetry-instrument``
  passes ``skip_dep_check``: a mismatched version is skipped with a warning, not patched.
* Wrappers read a shared ``Settings``: ``uninstrument()`` flips ``active`` off, so a
  wrapper cached before it (a bound method kept by the app) passes straight through.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.instrumentation.dependencies import get_dependency_conflicts
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]

from spanwise.common._safety import warn_once
from spanwise.semconv import SCHEMA_URL

from ._invocation import Metrics, Settings
from ._tracer import _version
from ._wrappers import Target, patch, unpatch

__all__ = ["SpanwiseInstrumentor"]


class SpanwiseInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Subclasses set ``_instruments`` and ``_targets`` (patching libraries), or
    override ``_patch``/``_unpatch`` (libraries with a callback system of their own)."""

    _instruments: Collection[str] = ()
    _targets: Collection[Target] = ()
    _settings: Settings | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return self._instruments

    def _patch(self, settings: Settings) -> None:
        patch(settings, self._targets)

    def _unpatch(self) -> None:
        unpatch(self._targets)

    def _instrument(self, **kwargs: Any) -> None:
        conflict = get_dependency_conflicts(self.instrumentation_dependencies())
        if conflict is not None:
            warn_once(
                f"dependency:{type(self).__name__}",
                "spanwise: %s not applied: %s",
                type(self).__name__,
                conflict,
            )
            return
        tracer_name = f"spanwise.instrumentations.{type(self).__module__.split('.')[-1]}"
        tracer = trace.get_tracer(
            tracer_name,
            _version(),
            tracer_provider=kwargs.get("tracer_provider"),
            schema_url=SCHEMA_URL,
        )
        # `explicit`: asked for by code (autolog) -> content recorded unless the env says
        # no; plain instrument() and zero-code record metadata only (OTel's default).
        meter = metrics.get_meter(
            tracer_name,
            _version(),
            meter_provider=kwargs.get("meter_provider"),
            schema_url=SCHEMA_URL,
        )
        self._settings = Settings(
            tracer=tracer,
            metrics=Metrics(meter),
            explicit=bool(kwargs.get("capture_content_explicit", False)),
            log_traces=bool(kwargs.get("log_traces", True)),
        )
        self._patch(self._settings)

    def _uninstrument(self, **kwargs: Any) -> None:
        if self._settings is not None:
            self._settings.active = False
            self._settings = None
        self._unpatch()
