"""OpenAI instrumentation for spanwise: every model call as a GenAI-conventions span.

Usage
-----
With spanwise (records prompts and completions, as MLflow's autolog does)::

    import spanwise
    spanwise.openai.autolog()            # autolog(disable=True) removes the patches,
                                         # autolog(log_traces=False) keeps them, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from . import OpenAIInstrumentor
    OpenAIInstrumentor().instrument(tracer_provider=provider)
    OpenAIInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_openai`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_openai``
turns it off.

What is traced
--------------
``chat.completions.create`` (plain and ``stream=True``), ``embeddings.create`` and the
legacy ``completions.create``, sync and async, including ``with_raw_response``. Spans are
named ``"{operation} {model}"``, kind CLIENT, with ``gen_ai.operation.name``,
``gen_ai.provider.name`` (from the client's base URL: api.openai.com -> openai,
*.openai.azure.com -> azure.ai.openai, api.deepseek.com -> deepseek, api.groq.com -> groq,
Databricks serving endpoints -> databricks, any other host -> openai with
``server.address`` naming it), the request parameters, the response id/model/finish
reasons, token usage (cached and reasoning tokens too), time to first chunk on streams,
and, when content capture is on, ``gen_ai.input.messages``, ``gen_ai.output.messages`` and
``gen_ai.tool.definitions`` in the conventions' parts format.

The caller always gets the SDK's own objects (a stream is wrapped in a proxy that is an
instance of the SDK's stream class). The span of a stream ends once: on exhaustion, on
error, on ``close()``, on leaving its ``with`` block, or when the abandoned stream is
garbage-collected, with the content received so far; chunks of an unexpected shape (a
delta's content as a list of parts or a number) are recorded as text where they carry
it. SDK errors are recorded (``error.type``, status ERROR, an ``exception`` event) and
re-raised unchanged, key-shaped secrets in their text redacted; with content capture
off, the exception's type only. No API key or header ever enters a span.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false`` (or ``SPAN_ONLY``/``NO_CONTENT``...): records prompts and
    completions or not, whatever the code asked. Default: on under ``autolog()``, off
    for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072); larger values are cut to valid JSON.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_openai`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

from .._base import SpanwiseInstrumentor
from .._wrappers import Target
from ._patch import CHAT, COMPLETIONS, EMBEDDINGS, RESPONSES
from .package import _instruments

__all__ = ["OpenAIInstrumentor"]

_TARGETS = (
    Target("openai.resources.chat.completions", "Completions", "AsyncCompletions", "create", CHAT),
    # parse() posts on its own in current SDKs (older ones went through create(): the
    # nested-call guard keeps that to one span).
    Target("openai.resources.chat.completions", "Completions", "AsyncCompletions", "parse", CHAT),
    Target(
        "openai.resources.beta.chat.completions", "Completions", "AsyncCompletions", "parse", CHAT
    ),
    Target("openai.resources.responses", "Responses", "AsyncResponses", "create", RESPONSES),
    Target("openai.resources.responses", "Responses", "AsyncResponses", "parse", RESPONSES),
    Target("openai.resources.embeddings", "Embeddings", "AsyncEmbeddings", "create", EMBEDDINGS),
    Target(
        "openai.resources.completions", "Completions", "AsyncCompletions", "create", COMPLETIONS
    ),
)


class OpenAIInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for the OpenAI Python SDK (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _targets = _TARGETS
