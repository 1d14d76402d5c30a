"""Groq instrumentation for spanwise: every chat completion of the ``groq`` SDK as a
GenAI-conventions span.

Usage
-----
With spanwise (records prompts and completions, as MLflow's autolog does)::

    import spanwise
    spanwise.groq.autolog()              # autolog(disable=True) removes the patches,
                                         # autolog(log_traces=False) keeps them, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.groq import GroqInstrumentor
    GroqInstrumentor().instrument(tracer_provider=provider)
    GroqInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_groq`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_groq``
turns it off.

What is traced
--------------
``client.chat.completions.create`` of ``Groq`` and ``AsyncGroq`` (plain, ``stream=True``,
``with_raw_response``), groq 0.4 and later. Spans are named ``"chat {model}"``, kind
CLIENT, with ``gen_ai.provider.name`` ``groq``, ``server.address``/``port`` (the client's
base URL), the request parameters (max_tokens / max_completion_tokens, temperature,
top_p, presence/frequency penalties, seed, stop, n, response_format as
``gen_ai.output.type``, ``gen_ai.request.stream``), the response id/model/finish reasons,
token usage (streams: from the final chunk's ``x_groq.usage``), time to first chunk on
streams, and, when content capture is on, ``gen_ai.input.messages``,
``gen_ai.output.messages`` and ``gen_ai.tool.definitions`` in the conventions' parts
format: tool calls as tool_call parts (streamed ones assembled from their deltas),
``tool`` messages as tool_call_response parts.

The caller always gets the SDK's own objects (a stream is wrapped in a proxy that is an
instance of the SDK's stream class). A stream's span ends once: on exhaustion, on error,
on ``close()``, on leaving its ``with`` block, or when the abandoned stream is
garbage-collected, with what was received so far. SDK errors (``APIStatusError``,
``APIConnectionError``...) are recorded (``error.type``, status ERROR, an ``exception``
event) and re-raised unchanged. No API key or header ever enters a span.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false`` (or ``SPAN_ONLY``/``NO_CONTENT``...): records prompts and
    completions or not, whatever the code asked. Default: on under ``autolog()``, off
    for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072); larger values are cut to valid JSON.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_groq`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

from .._base import SpanwiseInstrumentor
from .._wrappers import Target
from ._patch import CHAT
from .package import _instruments

__all__ = ["GroqInstrumentor"]

_TARGETS = (
    Target("groq.resources.chat.completions", "Completions", "AsyncCompletions", "create", CHAT),
)


class GroqInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for the Groq Python SDK (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _targets = _TARGETS
