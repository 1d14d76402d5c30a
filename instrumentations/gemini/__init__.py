"""Google Gemini instrumentation for spanwise: every model call of the ``google-genai``
SDK (Gemini API and Vertex AI) as a GenAI-conventions span.

Usage
-----
With spanwise (records prompts and completions, as MLflow's autolog does)::

    import spanwise
    spanwise.gemini.autolog()            # autolog(disable=True) removes the patches,
                                         # autolog(log_traces=False) keeps them, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.gemini import GeminiInstrumentor
    GeminiInstrumentor().instrument(tracer_provider=provider)
    GeminiInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_gemini`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_gemini``
turns it off.

What is traced
--------------
``client.models.generate_content``, ``generate_content_stream`` and ``embed_content``,
and their ``client.aio.models`` twins, on google-genai 1.0 and later; chats
(``client.chats.create(...).send_message`` / ``send_message_stream``, sync and async)
call them, so each turn is one span. Spans are named ``"generate_content {model}"`` and
``"embeddings {model}"`` (the model without its ``models/`` or ``publishers/...`` path),
kind CLIENT, with ``gen_ai.provider.name`` ``gcp.gemini`` (``gcp.vertex_ai`` for a
client on Vertex AI), ``server.address``/``port`` (the client's base URL), the request
parameters of the ``config`` (temperature, top_p, top_k, max_output_tokens, stop
sequences, seed, penalties, candidate count, ``response_mime_type`` as
``gen_ai.output.type``; ``gen_ai.request.stream`` on streams; the output dimensionality
on embeddings), the response id, model version and finish reasons, token usage (thoughts
tokens as reasoning tokens, counted in the output tokens; cached content tokens as cache
reads), time to first chunk on streams, the embedding dimension, and, when content
capture is on, ``gen_ai.input.messages``, ``gen_ai.system_instructions``,
``gen_ai.output.messages`` and ``gen_ai.tool.definitions`` in the conventions' parts
format: ``contents`` in every shape the SDK takes (a string, parts, ``Content`` objects or
dicts), function calls as tool_call parts, function responses as tool_call_response parts
(in a ``tool`` message), thought parts as reasoning, inline data as blobs, file data as
uris. With automatic function calling (Python functions as tools) the SDK makes several
requests inside one ``generate_content``: they are one span, whose output is the final
answer.

The caller always gets the SDK's own objects. A stream's span ends once: on exhaustion,
on error, on ``close()`` / ``aclose()``, or when the abandoned stream is
garbage-collected, with what was received so far. SDK errors (``ClientError``,
``ServerError``, connection errors) are recorded (``error.type``, status ERROR, an
``exception`` event) and re-raised unchanged. No API key (``x-goog-api-key``) or
header ever enters a span.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false`` (or ``SPAN_ONLY``/``NO_CONTENT``...): records prompts and
    completions or not, whatever the code asked. Default: on under ``autolog()``, off
    for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072); larger values (an inline image)
    are cut to valid JSON.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_gemini`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

from .._base import SpanwiseInstrumentor
from .._wrappers import Target
from ._patch import EMBED, GENERATE, GENERATE_STREAM
from .package import _instruments

__all__ = ["GeminiInstrumentor"]

_MODULE = "google.genai.models"
_TARGETS = (
    Target(_MODULE, "Models", "AsyncModels", "generate_content", GENERATE),
    Target(_MODULE, "Models", "AsyncModels", "generate_content_stream", GENERATE_STREAM),
    Target(_MODULE, "Models", "AsyncModels", "embed_content", EMBED),
)


class GeminiInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for the Google GenAI SDK (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _targets = _TARGETS
