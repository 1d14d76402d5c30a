"""spanwise's OpenTelemetry distro, for ``opentelemetry-instrument``.

Registered as the ``opentelemetry_distro`` entry point ``spanwise``. It sets defaults
the user did not set, so that ``opentelemetry-instrument python app.py`` exports traces
over OTLP out of the box:

* ``OTEL_TRACES_EXPORTER=otlp``
* ``OTEL_METRICS_EXPORTER=none`` and ``OTEL_LOGS_EXPORTER=none`` (spanwise ships traces;
  set them to ``otlp`` to export the others too)
* ``OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf`` (the OTel specification's default)

Zero-code instrumentation records metadata only (no prompts or completions) unless
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` says otherwise.

One instrumentor per library: the official, OpenLLMetry and OpenInference packages
register their instrumentors under the bare library name (``openai``, ``anthropic``).
When one of those is installed for a library spanwise instruments, the distro does not
load it (two instrumentors would record every call twice, as nested spans) and logs once
which entry point it skipped. ``SPANWISE_ALLOW_PEER_INSTRUMENTORS`` (entry point names,
comma separated, or ``all``) loads them as well; disabling spanwise's own
(``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_openai``) lets the peer take over.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection
from typing import Any, Protocol

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]

from spanwise.common._safety import logger, raise_internal_errors, warn_once

__all__ = ["ALLOW_PEERS_ENV", "SpanwiseDistro", "skip_reason"]

DEFAULTS = {
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_METRICS_EXPORTER": "none",
    "OTEL_LOGS_EXPORTER": "none",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
}

ALLOW_PEERS_ENV = "SPANWISE_ALLOW_PEER_INSTRUMENTORS"
_DISABLED_ENV = "OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"
_ALL = frozenset({"all", "true", "*"})


class _EntryPoint(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def value(self) -> str: ...


def _names(setting: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (setting or "").split(",") if part.strip())


def _is_spanwise(entry_point: _EntryPoint) -> bool:
    module = entry_point.value.partition(":")[0].strip()
    return entry_point.name.startswith("spanwise_") or module.split(".")[0] == "spanwise"


def skip_reason(
    entry_point: _EntryPoint,
    covered: Collection[str],
    allowed: str | None = None,
    disabled: str | None = None,
) -> str | None:
    """Why the instrumentor ``entry_point`` must not load, or ``None`` to load it.

    ``covered``: the entry point names under which peers instrument a library spanwise
    covers; ``allowed``: ``SPANWISE_ALLOW_PEER_INSTRUMENTORS``; ``disabled``:
    ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``.
    """
    name = entry_point.name
    if _is_spanwise(entry_point) or name not in covered:
        return None
    opted_in = _names(allowed)
    if name in opted_in or {n.lower() for n in opted_in} & _ALL:
        return None
    if f"spanwise_{name}" in _names(disabled):
        return None  # spanwise's own is off: the peer is the one instrumentor
    return f"spanwise instruments {name} itself (spanwise_{name})"


def _describe(entry_point: _EntryPoint) -> str:
    where = entry_point.value
    dist: Any = getattr(entry_point, "dist", None)
    if dist is not None:
        # A distribution without metadata: the module alone says enough.
        with contextlib.suppress(Exception):
            where += f", from {dist.name} {dist.version}"
    return where


class SpanwiseDistro(BaseDistro):  # type: ignore[misc]
    def _configure(self, **kwargs: Any) -> None:
        for name, value in DEFAULTS.items():
            os.environ.setdefault(name, value)

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        """``opentelemetry-instrument`` calls this for every ``opentelemetry_instrumentor``
        entry point; a peer's instrumentor for a library spanwise covers is skipped."""
        reason = None
        try:
            from spanwise.instrumentations._registry import covered_distributions

            reason = skip_reason(
                entry_point,
                covered_distributions(),
                os.environ.get(ALLOW_PEERS_ENV),
                os.environ.get(_DISABLED_ENV),
            )
        except Exception:  # never keep an instrumentor from loading over our own bug
            if raise_internal_errors():
                raise
            logger.debug("spanwise: could not check %r; loading it", entry_point, exc_info=True)
        if reason is None:
            super().load_instrumentor(entry_point, **kwargs)  # pyright: ignore[reportUnknownMemberType]
            return
        name = entry_point.name
        warn_once(
            f"distro:{name}={entry_point.value}",
            "spanwise: skipped the instrumentor entry point %r (%s): %s, and a second "
            "instrumentor would record every call again. To load it as well, set "
            "%s=%s (or all); to use it instead of spanwise's, set %s=spanwise_%s.",
            name,
            _describe(entry_point),
            reason,
            ALLOW_PEERS_ENV,
            name,
            _DISABLED_ENV,
            name,
        )
