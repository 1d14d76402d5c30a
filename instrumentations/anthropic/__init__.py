"""Anthropic instrumentation for spanwise: every Messages call as a GenAI-conventions span.

Usage
-----
With spanwise (records prompts and completions, as MLflow's autolog does)::

    import spanwise
    spanwise.anthropic.autolog()         # autolog(disable=True) removes the patches,
                                         # autolog(log_traces=False) keeps them, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from . import AnthropicInstrumentor
    AnthropicInstrumentor().instrument(tracer_provider=provider)
    AnthropicInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_anthropic`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_anthropic``
turns it off.

What is traced
--------------
``messages.create`` (plain, ``stream=True``, ``with_raw_response``) and the
``messages.stream()`` helper (``text_stream``, ``get_final_message()``, ``until_done()``,
iteration), on ``client.messages`` and ``client.beta.messages``, sync and async.
``messages.count_tokens`` is left alone. Spans are named ``"chat {model}"``, kind
CLIENT, with ``gen_ai.provider.name`` (``anthropic``; ``aws.bedrock`` and
``gcp.vertex_ai`` for the SDK's Bedrock and Vertex clients), ``server.address``/``port``,
the request parameters (max_tokens, temperature, top_p, top_k, stop sequences, stream),
the response id/model/stop reason, token usage (``gen_ai.usage.input_tokens`` counts cache
reads and writes; ``gen_ai.usage.cache_read.input_tokens`` and
``gen_ai.usage.cache_creation.input_tokens`` apart), time to first chunk on streams, and,
when content capture is on, ``gen_ai.system_instructions`` (the ``system`` prompt),
``gen_ai.input.messages``, ``gen_ai.output.messages`` and ``gen_ai.tool.definitions`` in
the conventions' parts format: tool_use blocks as tool_call parts, tool_result blocks as
tool_call_response parts, thinking blocks as reasoning parts, images and documents as
blob/uri/file parts.

The caller always gets the SDK's own objects. A stream's span ends once: on exhaustion,
on error, on ``close()``, on leaving its ``with`` block, or when the abandoned stream is
garbage-collected, with what was received so far. SDK errors are recorded
(``error.type``, status ERROR, an ``exception`` event) and re-raised unchanged. No API
key or header ever enters a span. Recent SDKs trace their own API calls; while spanwise
records a call, the SDK's own span for it is not started, so each call is one span.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false`` (or ``SPAN_ONLY``/``NO_CONTENT``...): records prompts and
    completions or not, whatever the code asked. Default: on under ``autolog()``, off
    for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072); larger values (a base64 image)
    are cut to valid JSON.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_anthropic`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

from typing import Any

from wrapt import wrap_function_wrapper  # pyright: ignore[reportMissingTypeStubs, reportUnknownVariableType]

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from .._wrappers import Target
from ._patch import MESSAGE_STREAM, MESSAGES, skip_native_span
from .package import _instruments

__all__ = ["AnthropicInstrumentor"]

_MESSAGES = "anthropic.resources.messages.messages"
_BETA = "anthropic.resources.beta.messages.messages"
_TARGETS = (
    Target(_MESSAGES, "Messages", "AsyncMessages", "create", MESSAGES),
    Target(_MESSAGES, "Messages", "AsyncMessages", "stream", MESSAGE_STREAM, False),
    Target(_BETA, "Messages", "AsyncMessages", "create", MESSAGES),
    Target(_BETA, "Messages", "AsyncMessages", "stream", MESSAGE_STREAM, False),
)
# Where recent SDKs start their own span for an API call.
_NATIVE = ("anthropic._base_client", "start_api_call_span")


def _native_module() -> Any | None:
    import importlib

    try:
        module = importlib.import_module(_NATIVE[0])
    except ImportError:
        return None
    return module if callable(getattr(module, _NATIVE[1], None)) else None


class AnthropicInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for the Anthropic Python SDK (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _targets = _TARGETS

    def _patch(self, settings: Settings) -> None:
        super()._patch(settings)
        if _native_module() is not None:
            wrap_function_wrapper(_NATIVE[0], _NATIVE[1], skip_native_span)

    def _unpatch(self) -> None:
        from opentelemetry.instrumentation.utils import unwrap

        super()._unpatch()
        module = _native_module()
        if module is not None:
            unwrap(module, _NATIVE[1])
