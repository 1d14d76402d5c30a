"""LangChain instrumentation for spanwise: every LangChain run as a GenAI-conventions span.

Usage
-----
With spanwise (records inputs, outputs and messages, as MLflow's autolog does)::

    import spanwise
    spanwise.langchain.autolog()         # autolog(disable=True) removes the handler,
                                         # autolog(log_traces=False) keeps it, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.langchain import LangChainInstrumentor
    LangChainInstrumentor().instrument(tracer_provider=provider)
    LangChainInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_langchain`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=spanwise_langchain``
turns it off.

What is traced
--------------
A callback handler is added to every LangChain callback manager (langchain-core 0.3 and
later), so every entry point is covered: ``invoke``/``ainvoke``, ``batch``/``abatch``,
``stream``/``astream``, ``astream_events``, legacy chains. Each run is a span under its
parent run's span (also across threads and tasks); a root run nests under the caller's
current span (``@spanwise.trace``, any OpenTelemetry span).

* Runnables and chains: a CHAIN span named after the run (``run_name`` of the config, or
  the runnable's name), ``spanwise.span.inputs``/``outputs`` with content capture.
  LangChain's internal runs (tagged ``langsmith:hidden``) are not spans; their children
  attach to the nearest traced ancestor.
* Chat models and LLMs: a CLIENT span ``"chat {model}"`` (``"text_completion {model}"``)
  with ``gen_ai.provider.name`` (from ``ls_provider``, else the model class), the request
  parameters (temperature, max tokens, top_p/top_k, penalties, seed, stop, n, stream),
  ``gen_ai.response.id``/``model``/``finish_reasons`` and usage (cache and reasoning
  tokens) from the message's ``usage_metadata`` and ``response_metadata``, time to first
  chunk on streams, GenAI client metrics; with content capture ``gen_ai.input.messages``
  / ``gen_ai.output.messages`` in the parts format (tool calls, tool results, reasoning)
  and ``gen_ai.tool.definitions`` of bound tools.
* Tools: ``execute_tool {name}`` with ``gen_ai.tool.name``, ``.call.id``, ``.description``
  and, with content capture, ``gen_ai.tool.call.arguments`` / ``.result``.
* Retrievers: ``retrieval {name}`` (CLIENT) with ``gen_ai.data_source.id``,
  ``gen_ai.retrieval.documents`` (ids and scores; texts only with content capture) and the
  query text with content capture.
* Every span: ``spanwise.run.id`` (LangChain's run id), ``spanwise.run.tags`` (the run's
  own tags, LangChain's bookkeeping tags left out); a root run also carries its scalar
  metadata as ``spanwise.run.metadata.<key>`` (``ls_*``/``langgraph_*`` keys left out);
  a ``thread_id`` in the config's metadata is ``gen_ai.conversation.id``.

One model span per model call: while a LangChain model's own code runs (and only then)
its span is current and marked as a model call in flight, so a provider SDK it calls
(ChatOpenAI -> the OpenAI SDK, with ``spanwise.openai.autolog()`` on too) adds no second
span; the LangChain span, which knows the run's place in the chain, is the one kept.

Errors raised by LangChain or the app pass through unchanged; the run's span records
them (``error.type``, status ERROR, an ``exception`` event). A failure inside spanwise
never reaches the application: it is logged once and the run goes on untraced.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false`` (or ``SPAN_ONLY``/``NO_CONTENT``...): records messages, inputs,
    outputs, tool arguments and results, or not, whatever the code asked. Default: on
    under ``autolog()``, off for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072); larger values are cut to valid JSON.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_langchain`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from ._patch import install, uninstall
from .package import _instruments

__all__ = ["LangChainInstrumentor"]


class LangChainInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for LangChain (GenAI conventions v1.41.0)."""

    _instruments = _instruments

    def _patch(self, settings: Settings) -> None:
        install("langchain", settings)

    def _unpatch(self) -> None:
        uninstall("langchain")
