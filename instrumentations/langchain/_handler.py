"""The span lifecycle of LangChain runs: one callback handler, shared by every manager.

Each run LangChain reports (chain, chat model or LLM, tool, retriever) becomes a span
under its parent run's span (``parent_run_id``, on any thread or task), or under the
caller's current span for a root run. A run's span is current in its body (``_patch``
attaches it in the context LangChain copies for the body), never in the caller's.
Model spans are :class:`LLMCall` (metrics, time to first chunk); the model code they
time runs in a :class:`ModelFrame` (``_patch``), which keeps a provider SDK called
underneath (ChatOpenAI -> OpenAI SDK) from a second span.

LangGraph adds what is graph-specific through two hooks: ``classifiers`` (a chain run
that is a graph, an agent or a node) and ``control_flow`` (exceptions that end a run
without failing it: an interrupt).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.trace import SpanKind

from spanwise.common._safety import raise_internal_errors
from spanwise.common._serialize import dumps_wire
from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import SpanwiseAttributes as S

from .. import _tracer
from .._framework import CallbackRun, FrameworkAttributes, ModelFrame, RunSpans, guarded
from .._invocation import (
    CHAIN,
    CHAT,
    RETRIEVAL,
    TEXT_COMPLETION,
    TOOL,
    Invocation,
    Kind,
    Settings,
    retrieval_documents,
    tool_attributes,
)
from .._llm import LLMCall
from . import _extract as x

__all__ = ["ChainSpec", "Classifier", "SpanwiseCallbackHandler"]


@dataclass(slots=True)
class ChainSpec:
    """What a chain run is as a span (the default: a CHAIN span named after the run)."""

    kind: Kind
    name: str
    attributes: dict[str, Any] = field(default_factory=dict[str, Any])
    graph: bool = False  # a graph run: an interrupted node marks it interrupted


# (run_id, name, inputs, tags, metadata) -> a spec, or None for "not mine".
Classifier = Callable[[Any, str, Any, Any, Any], "ChainSpec | None"]

_HIDDEN_TAG = "langsmith:hidden"  # LangChain/LangGraph's internal runs


class SpanwiseCallbackHandler(BaseCallbackHandler):
    """spanwise's LangChain callback handler (added to every callback manager)."""

    # Called in the caller's task, not an executor thread: start and end callbacks then
    # run in the context the run's own code sees.
    run_inline = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runs = RunSpans()
        self.classifiers: list[Classifier] = []
        self.control_flow: tuple[type[BaseException], ...] = ()

    @property
    def raise_error(self) -> bool:  # type: ignore[override]
        # Under tests spanwise's own errors must surface (LangChain swallows the rest).
        return raise_internal_errors()

    def _on(self) -> bool:
        settings = self.settings
        return (
            settings.active
            and settings.log_traces
            and _tracer.enabled  # spanwise.tracing.disable()
            and is_instrumentation_enabled()
        )

    # -- shared ----------------------------------------------------------------------------

    def _start(
        self,
        kind_name: str,
        run_id: Any,
        parent_run_id: Any,
        name: str,
        attributes: dict[str, Any],
        content: Callable[[], Mapping[str, Any]] | None,
        *,
        span_kind: SpanKind = SpanKind.INTERNAL,
        call: type[Invocation] = Invocation,
    ) -> CallbackRun | None:
        parent = self.runs.parent(parent_run_id)
        invocation = call.start(
            self.settings,
            name,
            attributes,
            content,
            kind=span_kind,
            context=None if parent is None else parent.context(),
        )
        if invocation is None:
            return None
        run = CallbackRun(invocation, kind_name, parent)
        self.runs.add(run_id, run)
        return run

    def _end(self, run_id: Any, error: BaseException | None = None) -> CallbackRun | None:
        run = self.runs.pop(run_id)
        if run is None:
            return None
        if error is None or isinstance(error, self.control_flow):
            run.invocation.end_ok()
        else:
            run.invocation.fail(error)
        return run

    def _run_attrs(
        self, run_id: Any, parent_run_id: Any, tags: Any, metadata: Any
    ) -> dict[str, Any]:
        return x.run_attributes(run_id, tags, metadata, root=parent_run_id is None)

    # -- chains ----------------------------------------------------------------------------

    def _spec(self, run_id: Any, name: str, inputs: Any, tags: Any, metadata: Any) -> ChainSpec:
        for classify in self.classifiers:
            spec = classify(run_id, name, inputs, tags, metadata)
            if spec is not None:
                return spec
        return ChainSpec(CHAIN, name, CHAIN.attributes())

    @guarded("langchain chain start")
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._on():
            return
        if tags and _HIDDEN_TAG in tags:
            self.runs.alias(run_id, parent_run_id)
            return
        name = x.run_name(serialized, kwargs, "chain")
        spec = self._spec(run_id, name, inputs, tags, metadata)
        attrs = {**spec.attributes, **self._run_attrs(run_id, parent_run_id, tags, metadata)}
        run = self._start(
            "chain",
            run_id,
            parent_run_id,
            spec.name,
            attrs,
            lambda: {S.SPAN_INPUTS: x.compact(inputs)},
        )
        if run is not None and spec.graph:
            run.data["graph"] = True

    @guarded("langchain chain end")
    def on_chain_end(self, outputs: Any, *, run_id: Any, **kwargs: Any) -> None:
        run = self.runs.get(run_id)
        if run is None:
            self.runs.pop(run_id)  # a hidden run's alias
            return
        if run.invocation.capture:
            run.invocation.record({}, {S.SPAN_OUTPUTS: x.compact(outputs)})
        self._end(run_id)

    @guarded("langchain chain error")
    def on_chain_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        run = self.runs.get(run_id)
        if run is not None and isinstance(error, self.control_flow):
            # Not a failure: the run stopped for input (an interrupt). Its graph, which
            # returns normally, is marked too.
            interrupted = {FrameworkAttributes.RUN_STATE: "interrupted"}
            run.invocation.record(interrupted, {S.SPAN_OUTPUTS: x.get(error, "args")})
            parent = run.parent
            if parent is not None and parent.data.get("graph"):
                parent.invocation.record(interrupted)
        self._end(run_id, error)

    # -- models ----------------------------------------------------------------------------

    def _model_start(
        self,
        kind: Kind,
        serialized: Any,
        run_id: Any,
        parent_run_id: Any,
        tags: Any,
        metadata: Any,
        kwargs: Mapping[str, Any],
        messages: Callable[[], Any],
    ) -> None:
        params = kwargs.get("invocation_params")
        model, request = x.model_request_attributes(serialized, params, metadata)
        attrs = {
            **kind.attributes(model),
            **request,
            **self._run_attrs(run_id, parent_run_id, tags, metadata),
        }
        tools = x.tool_definitions(x.get(params, "tools"))

        def content() -> Mapping[str, Any]:
            return {G.INPUT_MESSAGES: messages(), G.TOOL_DEFINITIONS: tools}

        run = self._start(
            "llm",
            run_id,
            parent_run_id,
            kind.span_name(model),
            attrs,
            content,
            span_kind=SpanKind.CLIENT,
            call=LLMCall,
        )
        if run is None:
            return
        metrics = self.settings.metrics
        if isinstance(run.invocation, LLMCall) and metrics is not None and metrics.live():
            run.invocation._metrics = metrics  # pyright: ignore[reportPrivateUsage]
        ModelFrame.bind_current(run.span)

    @guarded("langchain chat model start")
    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if self._on():
            self._model_start(
                CHAT, serialized, run_id, parent_run_id, tags, metadata, kwargs,
                lambda: x.input_messages(messages),
            )  # fmt: skip

    @guarded("langchain llm start")
    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if self._on():
            self._model_start(
                TEXT_COMPLETION, serialized, run_id, parent_run_id, tags, metadata, kwargs,
                lambda: x.prompt_messages(prompts),
            )  # fmt: skip

    @guarded("langchain llm token")
    def on_llm_new_token(self, token: Any, *, run_id: Any, **kwargs: Any) -> None:
        run = self.runs.get(run_id)
        if run is not None and "first" not in run.data and isinstance(run.invocation, LLMCall):
            run.data["first"] = True
            run.invocation.first_chunk()

    @guarded("langchain llm end")
    def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
        run = self.runs.get(run_id)
        if run is None:
            return
        run.invocation.record(
            x.response_attributes(response), {G.OUTPUT_MESSAGES: x.output_messages(response)}
        )
        self._end(run_id)

    @guarded("langchain llm error")
    def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self._end(run_id, error)

    # -- tools -----------------------------------------------------------------------------

    @guarded("langchain tool start")
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._on():
            return
        name = x.run_name(serialized, kwargs, "tool")
        call_id = kwargs.get("tool_call_id")
        description = (serialized or {}).get("description")
        attrs = {
            **tool_attributes(
                name,
                str(call_id) if call_id else None,
                str(description) if description else None,
                "function",
            ),
            **self._run_attrs(run_id, parent_run_id, tags, metadata),
        }
        arguments = inputs if inputs is not None else x.tool_call_arguments(input_str)
        self._start(
            "tool",
            run_id,
            parent_run_id,
            TOOL.span_name(name),
            attrs,
            lambda: {G.TOOL_CALL_ARGUMENTS: arguments},
        )

    @guarded("langchain tool end")
    def on_tool_end(self, output: Any, *, run_id: Any, **kwargs: Any) -> None:
        run = self.runs.get(run_id)
        if run is None:
            return
        # A tool called with a tool call returns a ToolMessage: its content is the result
        # (and its call id, which LangChain before 0.3.x's later releases did not pass at start).
        call_id = x.get(output, "tool_call_id")
        result = x.get(output, "content") if call_id else output
        attrs = {G.TOOL_CALL_ID: str(call_id)} if call_id else {}
        run.invocation.record(attrs, {G.TOOL_CALL_RESULT: result})
        self._end(run_id)

    @guarded("langchain tool error")
    def on_tool_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self._end(run_id, error)

    # -- retrievers ------------------------------------------------------------------------

    @guarded("langchain retriever start")
    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: Any,
        parent_run_id: Any = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self._on():
            return
        name = x.run_name(serialized, kwargs, "retriever")
        attrs = {
            **RETRIEVAL.attributes(name),
            **self._run_attrs(run_id, parent_run_id, tags, metadata),
        }
        run = self._start(
            "retriever",
            run_id,
            parent_run_id,
            RETRIEVAL.span_name(name),
            attrs,
            None,
            span_kind=RETRIEVAL.span_kind,
        )
        if run is not None and run.invocation.capture:  # content, as a plain string
            run.invocation.record({G.RETRIEVAL_QUERY_TEXT: str(query)})

    @guarded("langchain retriever end")
    def on_retriever_end(self, documents: Any, *, run_id: Any, **kwargs: Any) -> None:
        run = self.runs.get(run_id)
        if run is None:
            return
        invocation = run.invocation
        found = x.documents(documents)
        # The conventions' schema needs a score: documents without one (most LangChain
        # retrievers give none) are in the span's outputs (content) only.
        scored = retrieval_documents(
            [doc for doc in found if doc[1] is not None], capture=invocation.capture
        )
        attrs = {G.RETRIEVAL_DOCUMENTS: dumps_wire(scored, invocation.max_bytes)} if scored else {}
        invocation.record(attrs, {S.SPAN_OUTPUTS: documents})
        self._end(run_id)

    @guarded("langchain retriever error")
    def on_retriever_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
        self._end(run_id, error)
