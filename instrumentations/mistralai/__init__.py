"""Mistral instrumentation for spanwise: every chat and embeddings call of the ``mistralai``
SDK as a GenAI-conventions span.

Usage
-----
With spanwise (records prompts and completions, as MLflow's autolog does)::

    import spanwise
    spanwise.mistralai.autolog()         # autolog(disable=True) removes the patches,
                                         # autolog(log_traces=False) keeps them, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.mistralai import MistralAIInstrumentor
    MistralAIInstrumentor().instrument(tracer_provider=provider)
    MistralAIInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_mistralai`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_mistralai``
turns it off.

What is traced
--------------
``client.chat.complete`` / ``complete_async``, ``client.chat.stream`` / ``stream_async``
(and ``chat.parse*``, which call them), ``client.embeddings.create`` / ``create_async``,
on mistralai 1.5 and later (``from mistralai import Mistral`` in 1.x,
``from mistralai.client import Mistral`` since 2.0). Chat spans are named
``"chat {model}"``, embeddings spans ``"embeddings {model}"``, kind CLIENT, with
``gen_ai.provider.name`` ``mistral_ai``, ``server.address``/``port`` (the client's
``server_url``, or the call's), the request parameters (max_tokens, temperature, top_p,
top_k, presence/frequency penalties, random_seed, stop, n, response_format as
``gen_ai.output.type``; ``gen_ai.request.stream`` on stream calls; encoding format and
output dimension on embeddings), the response id/model/finish reasons, token usage
(cached input tokens too), time to first chunk on streams, the embedding dimension, and,
when content capture is on, ``gen_ai.input.messages``, ``gen_ai.output.messages`` and
``gen_ai.tool.definitions`` in the conventions' parts format: tool calls as tool_call
parts, ``tool`` messages as tool_call_response parts, thinking chunks as reasoning parts,
image and document URLs as uri parts. Messages may be dicts or the SDK's own message
objects.

The caller always gets the SDK's own objects. A stream's span ends once: on exhaustion,
on error, on ``close()``, on leaving its ``with`` block, or when the abandoned stream is
garbage-collected, with what was received so far. SDK errors (``SDKError``,
``HTTPValidationError``, connection errors) are recorded (``error.type``, status ERROR,
an ``exception`` event) and re-raised unchanged. No API key or header ever enters a span.
SDKs since 2.0 can trace their own API calls; while spanwise records a call, the SDK's
own span for it is not started, so each call is one span.

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
    ``spanwise_mistralai`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

from typing import Any

from wrapt import wrap_function_wrapper  # pyright: ignore[reportMissingTypeStubs, reportUnknownVariableType]

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from .._wrappers import Target, resolve
from ._patch import CHAT, CHAT_STREAM, EMBEDDINGS, skip_native_span
from .package import _instruments

__all__ = ["MistralAIInstrumentor"]

# The SDK's modules: ``mistralai.client.*`` since 2.0, ``mistralai.*`` before. The async
# methods are the same class's ``*_async`` twins.
_TARGETS = tuple(
    target
    for package in ("mistralai.client", "mistralai")
    for target in (
        Target(f"{package}.chat", "Chat", None, "complete", CHAT),
        Target(f"{package}.chat", None, "Chat", "complete_async", CHAT),
        Target(f"{package}.chat", "Chat", None, "stream", CHAT_STREAM),
        Target(f"{package}.chat", None, "Chat", "stream_async", CHAT_STREAM),
        Target(f"{package}.embeddings", "Embeddings", None, "create", EMBEDDINGS),
        Target(f"{package}.embeddings", None, "Embeddings", "create_async", EMBEDDINGS),
    )
)
# Where SDKs since 2.0 start their own span for an API call.
_NATIVE = ("mistralai.client._hooks.tracing", "TracingHook", "before_request")


class MistralAIInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for the Mistral Python SDK (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _targets = _TARGETS

    def _patch(self, settings: Settings) -> None:
        super()._patch(settings)
        if _native() is not None:
            wrap_function_wrapper(_NATIVE[0], f"{_NATIVE[1]}.{_NATIVE[2]}", skip_native_span)

    def _unpatch(self) -> None:
        from opentelemetry.instrumentation.utils import unwrap

        super()._unpatch()
        owner = _native()
        if owner is not None:
            unwrap(owner, _NATIVE[2])


def _native() -> Any | None:
    return resolve(*_NATIVE)
