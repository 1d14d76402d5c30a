"""LlamaIndex instrumentation for spanwise: query engines, retrievers, synthesizers, LLM
and embedding calls, tools, agents and workflows as GenAI-conventions spans.

Usage
-----
With spanwise (records prompts, completions, documents and tool arguments, as MLflow's
autolog does)::

    import spanwise
    spanwise.llama_index.autolog()       # autolog(disable=True) removes the handlers,
                                         # autolog(log_traces=False) keeps them, records nothing

As a plain OpenTelemetry instrumentor (metadata only unless the environment says so)::

    from spanwise.instrumentations.llama_index import LlamaIndexInstrumentor
    LlamaIndexInstrumentor().instrument(tracer_provider=provider)
    LlamaIndexInstrumentor().uninstrument()

Zero-code: ``opentelemetry-instrument python app.py`` finds it through the
``spanwise_llama_index`` entry point; ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=
spanwise_llama_index`` turns it off.

What is traced
--------------
llama-index-core 0.12 and later (tested on 0.12.0, 0.12.52, 0.13.6 and 0.14; workflow
agents from the 0.12 releases that have them), through LlamaIndex's own instrumentation
system: a span handler and an event handler on the root dispatcher (nothing is patched). Of the
dispatcher's spans, those that are a unit of GenAI work become spans; the others (private
helpers, text splitters, prompt formatting) fold into their parent:

* ``LLM.chat/achat/stream_chat/astream_chat`` -> ``chat {model}`` and
  ``complete/...`` -> ``text_completion {model}``, kind CLIENT: ``gen_ai.provider.name``
  (from the integration package: ``llama_index.llms.openai`` is openai, with
  ``server.address``/``port`` of its ``api_base``; a core or custom LLM is
  ``llama_index``), the request parameters the LLM holds (temperature, max_tokens,
  top_p...), the response id/model/finish reasons and token usage from the provider's raw
  response, and, with content, ``gen_ai.input.messages``, ``gen_ai.output.messages`` and
  ``gen_ai.tool.definitions`` in the parts format (tool calls as tool_call parts, tool
  messages as tool_call_response parts). A model call nested in another (a CustomLLM's
  chat calling its complete, the OpenAI SDK under LlamaIndex's OpenAI LLM with
  ``spanwise.openai.autolog()`` on too) is one span.
* Embedding calls (``get_query_embedding``, ``get_text_embedding_batch``...) ->
  ``embeddings {model}`` with ``gen_ai.embeddings.dimension.count``.
* ``BaseRetriever.retrieve`` -> ``retrieval {RetrieverClass}``: the query text (content)
  and ``gen_ai.retrieval.documents`` (node ids and scores; node text with content);
  ``gen_ai.data_source.id`` is the index id where the retriever has one.
* Node postprocessors (rerankers: ``LLMRerank``, ``SentenceTransformerRerank``, Cohere's...;
  and filters such as ``SimilarityPostprocessor``) -> ``reranker {Class}``, span type
  RERANKER (the conventions have no rerank operation: no ``gen_ai.operation.name``): the
  documents it returns as ``gen_ai.retrieval.documents`` (ids and scores; text with
  content), the query and the documents it was given (ids, scores, text) in
  ``spanwise.span.inputs`` (content), ``gen_ai.request.model`` where the reranker names
  its model (``ReRankStartEvent``); its own model calls nest under it. LlamaIndex opens
  no span for an async ``apostprocess_nodes`` that a class overrides without one
  (``LLMRerank``'s): its model calls then nest under the query.
* Query engines, response synthesizers and chat engines -> CHAIN spans named
  ``Class.method`` with ``spanwise.span.inputs``/``outputs``.
* Workflows (``Workflow.run``) -> ``invoke_workflow {Class}``, their steps CHAIN spans;
  agents (``FunctionAgent``, ``ReActAgent``, ``CodeActAgent``) -> ``invoke_agent {name}``
  whose internal steps fold away; ``AgentWorkflow`` -> ``invoke_workflow`` with an
  ``invoke_agent`` span per agent turn; tools -> ``execute_tool {name}`` with the call id
  the model gave, arguments and result (content).

Parents follow LlamaIndex's span ids; the first LlamaIndex span nests under the current
OTel span (``@spanwise.trace``, any instrumentation's), and user code traced inside a
tool nests under the tool. A streamed response's span ends when the stream is consumed,
fails, or is abandoned (garbage-collected). On llama-index-core 0.12, a sync tool's
function runs on the loop's executor without the caller's context (LlamaIndex's doing):
user code traced there starts a trace of its own. LlamaIndex's exceptions are recorded
(``error.type``, status ERROR, an ``exception`` event) and propagate unchanged; a fault in
spanwise never reaches the application. ``uninstrument()`` removes both handlers and ends
what they still had open.

Environment variables
---------------------
``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
    ``true``/``false`` (or ``SPAN_ONLY``/``NO_CONTENT``...): records prompts, completions,
    documents' text, tool arguments and results, inputs and outputs or not, whatever the
    code asked. Default: on under ``autolog()``, off for ``instrument()`` and zero-code.
``SPANWISE_MAX_CONTENT_BYTES``
    Bound of each content attribute (default 131072); larger values are cut to valid JSON.
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
    ``spanwise_llama_index`` disables this instrumentor under ``opentelemetry-instrument``.
"""

from __future__ import annotations

from typing import Any

from .._base import SpanwiseInstrumentor
from .._invocation import Settings
from .package import _instruments

__all__ = ["LlamaIndexInstrumentor"]


class LlamaIndexInstrumentor(SpanwiseInstrumentor):
    """OpenTelemetry instrumentor for LlamaIndex (GenAI conventions v1.41.0)."""

    _instruments = _instruments
    _handlers: tuple[Any, Any] | None = None

    def _patch(self, settings: Settings) -> None:
        from ._handler import EventHandler, SpanHandler

        spans = SpanHandler(settings)
        events = EventHandler(spans)
        root = _root_dispatcher()
        root.add_span_handler(spans)
        root.add_event_handler(events)
        self._handlers = (spans, events)

    def _unpatch(self) -> None:
        handlers, self._handlers = self._handlers, None
        if handlers is None:
            return
        root = _root_dispatcher()
        spans, events = handlers
        span_handlers: list[Any] = root.span_handlers
        event_handlers: list[Any] = root.event_handlers
        # New lists: the dispatcher may be iterating the old ones in another thread.
        root.span_handlers = [h for h in span_handlers if h is not spans]
        root.event_handlers = [h for h in event_handlers if h is not events]
        spans.close()


def _root_dispatcher() -> Any:
    # Re-exported here since llama-index-core 0.12 (it moved to llama_index_instrumentation).
    from llama_index.core.instrumentation import (
        get_dispatcher,  # pyright: ignore[reportPrivateImportUsage]
    )

    return get_dispatcher()
