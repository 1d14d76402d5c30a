"""The span lifecycle of LlamaIndex's dispatcher: its spans and events onto spanwise spans.

A span handler and an event handler sit on LlamaIndex's root dispatcher. Each dispatcher
span (``id_`` ``"Class.method-<uuid>"``, with its parent's id) is planned once
(``_plan``): a span of one kind, or folded into its parent. Events carry the span id
they belong to and fill the span in (messages, responses, retrieved nodes).

* Parents follow LlamaIndex's span ids; a span that is not spanwise's (a user's
  ``@spanwise.trace`` inside a tool, any OTel span) current inside a LlamaIndex span
  is the parent instead, and a LlamaIndex span with no parent nests under the current
  OTel span.
* A span is current while its method runs (a provider SDK's model call, a user's
  function, nest under it); model calls also set the core's in-model-call key, so a
  provider instrumentor reached inside passes through: one model span per call.
* A streamed model call (``stream_chat``...) returns a generator; its span ends when
  the stream ends (LlamaIndex's end event), fails, or is garbage-collected unconsumed.
  The in-model-call key stays set in the caller's context until then: the provider SDK
  call runs lazily inside the stream's body.
* LlamaIndex swallows whatever a handler raises; spanwise's own errors are also
  reported once (``_safety``) and the app's calls go on untraced.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import weakref
from collections.abc import Callable
from typing import Any

from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.span import BaseSpan
from llama_index.core.instrumentation.span_handlers import BaseSpanHandler
from opentelemetry import context as otel_context
from opentelemetry import trace
from pydantic import PrivateAttr

from spanwise.common._access import get, items
from spanwise.common._safety import report_internal_error
from spanwise.common._serialize import dumps_wire
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import SpanwiseAttributes as S
from spanwise.semconv import parts

from .._invocation import (
    RETRIEVAL,
    TOOL,
    Invocation,
    Kind,
    Settings,
    _in_model_call,
    retrieval_documents,
)
from .._llm import LLMCall
from ._extract import (
    input_messages,
    output_message,
    output_of,
    response_attributes,
    retrieved,
    tool_definitions,
)
from ._plan import RERANKER, Scope, plan

__all__ = ["EventHandler", "SpanHandler"]


class _Node:
    """One open LlamaIndex span: its spanwise run (None: folded), the context its
    children start in, and what they inherit."""

    __slots__ = ("chunked", "context", "finalizer", "hold", "kind", "run", "scope")

    def __init__(
        self, run: Invocation | None, context: Any, scope: Scope, kind: Kind | None = None
    ) -> None:
        self.run = run
        self.kind = kind
        self.context = context
        self.scope = scope
        self.hold: Any = None  # the in-model-call token a pending stream keeps
        self.finalizer: weakref.finalize[..., Any] | None = None
        self.chunked = False


class SpanHandler(BaseSpanHandler[BaseSpan]):
    """Maps LlamaIndex span ids to spanwise runs."""

    _settings: Settings = PrivateAttr()
    _nodes: dict[str, _Node] = PrivateAttr()
    _streams: dict[str, _Node] = PrivateAttr()  # model streams still being consumed
    _ours: set[int] = PrivateAttr()  # id() of the OTel spans of open runs

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings
        self._nodes = {}
        self._streams = {}
        self._ours = set()

    @classmethod
    def class_name(cls) -> str:
        return "SpanwiseSpanHandler"

    # -- the dispatcher's calls (LlamaIndex swallows what they raise; we report it) --------

    def span_enter(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        parent_id: str | None = None,
        tags: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            self._enter(id_, bound_args, instance, parent_id)
        except Exception as exc:
            report_internal_error("llama_index span enter", exc)

    def span_exit(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        result: Any | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            self._exit(id_, result)
        except Exception as exc:
            report_internal_error("llama_index span exit", exc)

    def span_drop(
        self,
        id_: str,
        bound_args: inspect.BoundArguments,
        instance: Any | None = None,
        err: BaseException | None = None,
        **kwargs: Any,
    ) -> None:
        try:
            node = self._nodes.pop(id_, None)
            if node is not None and node.run is not None:
                self._leave(node)
                self._end(node, err or RuntimeError("span dropped"))
        except Exception as exc:
            report_internal_error("llama_index span drop", exc)

    # The base class's abstract hooks: unused, the three methods above are overridden.
    def new_span(self, *args: Any, **kwargs: Any) -> BaseSpan | None:
        return None

    def prepare_to_exit_span(self, *args: Any, **kwargs: Any) -> BaseSpan | None:
        return None

    def prepare_to_drop_span(self, *args: Any, **kwargs: Any) -> BaseSpan | None:
        return None

    # -- lifecycle -------------------------------------------------------------------------

    def _enter(self, id_: str, bound_args: Any, instance: Any, parent_id: str | None) -> None:
        parent = self._nodes.get(parent_id) if parent_id else None
        scope = dataclasses.replace(parent.scope) if parent is not None else Scope()
        inherited = parent.context if parent is not None else None
        settings = self._settings
        if not settings.enabled():  # off, log_traces=False, suppressed, or in a model call
            self._nodes[id_] = _Node(None, inherited, scope)
            return
        found = plan(id_, instance, bound_args, scope)
        kind = found.kind
        if kind is None:
            self._nodes[id_] = _Node(None, inherited, scope)
            return
        context = self._start_context(parent)
        cls = LLMCall if kind.model_call else Invocation
        run = cls.start(
            settings,
            found.name,
            found.attributes or {},
            found.content,
            kind=kind.span_kind,
            context=context,
        )
        if run is None:
            self._nodes[id_] = _Node(None, inherited, scope)
            return
        if isinstance(run, LLMCall) and settings.metrics is not None and settings.metrics.live():
            run._metrics = settings.metrics  # what LLMCall.start_call does
        node = _Node(run, trace.set_span_in_context(run.span, context), scope, kind)
        self._ours.add(id(run.span))
        run.enter()
        self._nodes[id_] = node

    def _start_context(self, parent: _Node | None) -> Any:
        """The LlamaIndex parent's span, unless a span that is not spanwise's is current
        inside it (user code in a tool); no LlamaIndex parent: the current context."""
        current = otel_context.get_current()
        if parent is None or parent.context is None:
            return current
        span = trace.get_current_span(current)
        if not span.get_span_context().is_valid or id(span) in self._ours:
            return parent.context
        return current

    def _exit(self, id_: str, result: Any) -> None:
        node = self._nodes.pop(id_, None)
        if node is None or node.run is None:
            return
        run = node.run
        self._leave(node)
        if isinstance(run, LLMCall) and (inspect.isgenerator(result) or inspect.isasyncgen(result)):
            # The stream's body (and the provider SDK call in it) runs when consumed.
            node.hold = _in_model_call.set(True)
            node.finalizer = weakref.finalize(result, self._abandoned, id_)
            self._streams[id_] = node
            return
        try:
            _record_result(node.kind, run, result)
        finally:  # a fault in recording is reported by span_exit; the span still ends
            self._end(node, None)

    def _leave(self, node: _Node) -> None:
        """Stop being current (the method returned or raised)."""
        run = node.run
        if run is None:
            return
        token, runtime = run._token, _runtime_context()
        # A future's done-callback (a 0.12 workflow's run) leaves in another context:
        # nothing to reset there. Detached through the runtime, as OTel's public detach
        # would log that as an error in the application's log.
        if token is not None and runtime is not None:
            run._token = None
            with contextlib.suppress(ValueError):
                runtime.detach(token)
        with contextlib.suppress(ValueError):
            run.exit()  # the rest (a model call's in-model-call key)

    def _end(self, node: _Node, error: BaseException | None) -> None:
        run = node.run
        if run is None:
            return
        self._ours.discard(id(run.span))
        if error is None:
            run.end_ok()
        else:
            run.fail(error)

    def _end_stream(self, id_: str, error: BaseException | None) -> None:
        node = self._streams.pop(id_, None)
        if node is None:
            return
        if node.finalizer is not None:
            node.finalizer.detach()
        hold, node.hold = node.hold, None
        if hold is not None:
            # Ended in another context than it was returned in: that one keeps its own.
            with contextlib.suppress(ValueError):
                _in_model_call.reset(hold)
        self._end(node, error)

    def _abandoned(self, id_: str) -> None:
        try:
            self._end_stream(id_, None)
        except Exception as exc:
            report_internal_error("llama_index stream end", exc)

    def close(self) -> None:
        """End what is still open (``uninstrument()``, the dispatcher's shutdown)."""
        for id_ in list(self._streams):
            self._end_stream(id_, None)
        for node in list(self._nodes.values()):
            self._end(node, None)
        self._nodes.clear()

    # -- events ------------------------------------------------------------------------------

    def on_event(self, event: Any) -> None:
        handler = _EVENTS.get(type(event).__name__)
        if handler is None:
            return
        span_id = getattr(event, "span_id", None)
        if not span_id:
            return
        node = self._nodes.get(span_id) or self._streams.get(span_id)
        if node is None or node.run is None:
            return
        if handler(node, event):
            self._end_stream(span_id, _error_of(event))


def _runtime_context() -> Any:
    return getattr(otel_context, "_RUNTIME_CONTEXT", None)


# -- what events and results record -------------------------------------------------------
# An event handler returns True when it ends a pending stream.


def _error_of(event: Any) -> BaseException | None:
    error = getattr(event, "exception", None)
    return error if isinstance(error, BaseException) else None


def _chat_start(node: _Node, event: Any) -> bool:
    run = node.run
    if run is not None and run.capture:
        extra: dict[str, Any] = getattr(event, "additional_kwargs", None) or {}
        run.record(
            {},
            {
                G.INPUT_MESSAGES: input_messages(getattr(event, "messages", None)),
                G.TOOL_DEFINITIONS: tool_definitions(extra),
            },
        )
    return False


def _completion_start(node: _Node, event: Any) -> bool:
    run = node.run
    if run is not None and run.capture:
        prompt = str(getattr(event, "prompt", ""))
        run.set_content(G.INPUT_MESSAGES, [parts.chat_message("user", [parts.text(prompt)])])
    return False


def _progress(node: _Node, event: Any) -> bool:
    if not node.chunked and isinstance(node.run, LLMCall):
        node.chunked = True
        node.run.first_chunk()
    return False


def _model_end(node: _Node, event: Any) -> bool:
    run = node.run
    response = getattr(event, "response", None)
    if run is not None and response is not None:
        run.record(response_attributes(response), {G.OUTPUT_MESSAGES: [output_message(response)]})
    return True


def _stream_error(node: _Node, event: Any) -> bool:
    return True


def _retrieval_start(node: _Node, event: Any) -> bool:
    run = node.run
    query = getattr(event, "str_or_query_bundle", None)
    query = query if isinstance(query, str) else getattr(query, "query_str", None)
    if run is not None and run.capture and isinstance(query, str):
        run.record({G.RETRIEVAL_QUERY_TEXT: query})  # a plain string attribute, not JSON
    return False


def _rerank_start(node: _Node, event: Any) -> bool:
    # Emitted by rerankers that call a model of their own (Cohere, SentenceTransformer...).
    model = getattr(event, "model_name", None)
    if node.run is not None and node.kind is RERANKER and isinstance(model, str) and model:
        node.run.record({G.REQUEST_MODEL: model})
    return False


def _embedding_end(node: _Node, event: Any) -> bool:
    run = node.run
    vectors = items(getattr(event, "embeddings", None))
    if run is not None and vectors and isinstance(vectors[0], list):
        run.record({G.EMBEDDINGS_DIMENSION_COUNT: len(vectors[0])})  # pyright: ignore[reportUnknownArgumentType]
    return False


_EVENTS: dict[str, Callable[[_Node, Any], bool]] = {
    "LLMChatStartEvent": _chat_start,
    "LLMCompletionStartEvent": _completion_start,
    "LLMChatInProgressEvent": _progress,
    "LLMCompletionInProgressEvent": _progress,
    "LLMChatEndEvent": _model_end,
    "LLMCompletionEndEvent": _model_end,
    "ExceptionEvent": _stream_error,
    "RetrievalStartEvent": _retrieval_start,
    "EmbeddingEndEvent": _embedding_end,
    "ReRankStartEvent": _rerank_start,
}


def _record_result(kind: Kind | None, run: Invocation, result: Any) -> None:
    if kind is TOOL:
        output = get(result, "raw_output", result)
        run.set_content(G.TOOL_CALL_RESULT, output)
    elif kind is RETRIEVAL or kind is RERANKER:
        documents = retrieval_documents(retrieved(result), capture=run.capture)
        if documents:
            run.record({G.RETRIEVAL_DOCUMENTS: dumps_wire(documents, run.max_bytes)})
    elif not isinstance(run, LLMCall):
        run.set_content(S.SPAN_OUTPUTS, output_of(result))


class EventHandler(BaseEventHandler):
    """Hands LlamaIndex's events to the span handler that owns their span."""

    _spans: SpanHandler = PrivateAttr()

    def __init__(self, spans: SpanHandler) -> None:
        super().__init__()
        self._spans = spans

    @classmethod
    def class_name(cls) -> str:
        return "SpanwiseEventHandler"

    def handle(self, event: Any, **kwargs: Any) -> None:
        try:
            self._spans.on_event(event)
        except Exception as exc:
            report_internal_error("llama_index event", exc)
