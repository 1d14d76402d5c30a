"""Invocation kinds: what each kind of GenAI work is as a span, and its instrumented run.

A :class:`Kind` owns a kind's GenAI operation, span type, span kind and the attribute
that names its subject (the model, the tool, the agent, the workflow, the data source).
Instrumentors (providers and frameworks alike) start their spans with
:meth:`Invocation.start`, which takes the tracer and the content policy from the
instrumentor's :class:`Settings`; the manual API maps a ``SpanType`` to a kind with
:func:`kind_for_span_type`.

Model calls (inference and embeddings) run as ``LLMCall`` (``_llm``): they add metrics,
time to first chunk, and the context key that keeps a model call nested in another
instrumentor's model span for the same call to one span.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.metrics import Meter
from opentelemetry.trace import Span, SpanKind, Tracer

from spanwise.common._content import content_settings
from spanwise.common._json import loads
from spanwise.common._safety import report_internal_error
from spanwise.common._serialize import dumps_wire, within
from spanwise.semconv import (
    OPERATION_BY_SPAN_TYPE,
    GenAIAttributes,
    GenAIMetrics,
    OperationName,
    SpanType,
    parts,
)
from spanwise.semconv import SpanwiseAttributes as S

from . import _tracer
from ._lifecycle import SpanRun

__all__ = [
    "AGENT",
    "CHAIN",
    "CHAT",
    "EMBEDDINGS",
    "GENERATE_CONTENT",
    "RETRIEVAL",
    "TEXT_COMPLETION",
    "TOOL",
    "WORKFLOW",
    "Invocation",
    "Kind",
    "Metrics",
    "Settings",
    "agent_attributes",
    "in_model_call",
    "kind_for_span_type",
    "retrieval_documents",
    "tool_attributes",
]

# Set while a model call's SDK method runs. Any spanwise model wrapper reached inside it
# (an SDK helper calling a patched method, LiteLLM or LangChain calling the OpenAI SDK)
# passes through: one model span per call.
_in_model_call: ContextVar[bool] = ContextVar("spanwise_in_model_call", default=False)


def in_model_call() -> bool:
    """True while an instrumented model call is in flight in this context."""
    return _in_model_call.get()


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of GenAI work."""

    span_type: str
    operation: str | None  # gen_ai.operation.name (None: the kind has no GenAI operation)
    span_kind: SpanKind = SpanKind.INTERNAL
    subject: str | None = None  # the attribute that names what the span is about
    model_call: bool = False
    # The manual API names the subject after the span (a TOOL span's name is the tool's).
    subject_from_name: bool = False

    def span_name(self, subject: object) -> str:
        """``"{operation} {subject}"``, as the conventions name spans."""
        operation = self.operation or self.span_type.lower()
        return f"{operation} {subject}" if subject else operation

    def attributes(self, subject: object = None) -> dict[str, Any]:
        attrs: dict[str, Any] = {S.SPAN_TYPE: self.span_type}
        if self.operation is not None:
            attrs[GenAIAttributes.OPERATION_NAME] = self.operation
        if subject is not None and self.subject is not None:
            attrs[self.subject] = str(subject)
        return attrs


G = GenAIAttributes
CHAT = Kind(SpanType.CHAT_MODEL.value, OperationName.CHAT, SpanKind.CLIENT, G.REQUEST_MODEL, True)
TEXT_COMPLETION = Kind(
    SpanType.LLM.value, OperationName.TEXT_COMPLETION, SpanKind.CLIENT, G.REQUEST_MODEL, True
)
GENERATE_CONTENT = Kind(
    SpanType.CHAT_MODEL.value,
    OperationName.GENERATE_CONTENT,
    SpanKind.CLIENT,
    G.REQUEST_MODEL,
    True,
)
EMBEDDINGS = Kind(
    SpanType.EMBEDDING.value, OperationName.EMBEDDINGS, SpanKind.CLIENT, G.REQUEST_MODEL, True
)
TOOL = Kind(
    SpanType.TOOL.value, OperationName.EXECUTE_TOOL, subject=G.TOOL_NAME, subject_from_name=True
)
AGENT = Kind(
    SpanType.AGENT.value, OperationName.INVOKE_AGENT, subject=G.AGENT_NAME, subject_from_name=True
)
WORKFLOW = Kind(
    SpanType.WORKFLOW.value,
    OperationName.INVOKE_WORKFLOW,
    subject=G.WORKFLOW_NAME,
    subject_from_name=True,
)
CHAIN = Kind(SpanType.CHAIN.value, None)
RETRIEVAL = Kind(
    SpanType.RETRIEVER.value, OperationName.RETRIEVAL, SpanKind.CLIENT, G.DATA_SOURCE_ID
)

# The manual API's span types: the operation each carries is semconv's table; the kinds
# that name their subject after the span (tool, agent, workflow) are the ones above.
_NAMED = {kind.span_type: kind for kind in (TOOL, AGENT, WORKFLOW, RETRIEVAL, CHAIN)}
_BY_SPAN_TYPE: dict[str, Kind] = {
    **{
        span_type: _NAMED.get(span_type) or Kind(span_type, operation)
        for span_type, operation in OPERATION_BY_SPAN_TYPE.items()
    },
    CHAIN.span_type: CHAIN,
}


def kind_for_span_type(span_type: str) -> Kind:
    """The kind of a manual span (any other string: a kind with no GenAI operation)."""
    kind = _BY_SPAN_TYPE.get(span_type)
    return kind if kind is not None else Kind(span_type, None)


# -- typed attributes of the framework kinds ----------------------------------------------


def tool_attributes(
    name: str,
    call_id: str | None = None,
    description: str | None = None,
    tool_type: str | None = None,
) -> dict[str, Any]:
    """An ``execute_tool`` span's attributes (arguments and result are content)."""
    attrs = TOOL.attributes(name)
    for key, value in (
        (G.TOOL_CALL_ID, call_id),
        (G.TOOL_DESCRIPTION, description),
        (G.TOOL_TYPE, tool_type),
    ):
        if value is not None:
            attrs[key] = value
    return attrs


def agent_attributes(
    name: str,
    agent_id: str | None = None,
    description: str | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """An ``invoke_agent`` span's attributes."""
    attrs = AGENT.attributes(name)
    for key, value in (
        (G.AGENT_ID, agent_id),
        (G.AGENT_DESCRIPTION, description),
        (G.AGENT_VERSION, version),
    ):
        if value is not None:
            attrs[key] = value
    return attrs


def retrieval_documents(
    documents: Iterable[tuple[Any, float | None, str | None]], *, capture: bool
) -> list[parts.RetrievalDocument]:
    """``(id, score, text)`` triples in the conventions' retrieval schema; the text
    only when content capture is on."""
    return [
        parts.retrieval_document(doc_id, score, text if capture else None)
        for doc_id, score, text in documents
    ]


# -- the instrumentor's settings ---------------------------------------------------------


class Metrics:
    """The two GenAI client histograms (no-ops unless a MeterProvider is set)."""

    __slots__ = ("duration", "tokens")

    def __init__(self, meter: Meter) -> None:
        self.duration = meter.create_histogram(
            GenAIMetrics.CLIENT_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration",
            explicit_bucket_boundaries_advisory=list(GenAIMetrics.DURATION_BUCKETS),
        )
        self.tokens = meter.create_histogram(
            GenAIMetrics.CLIENT_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used",
            explicit_bucket_boundaries_advisory=[float(b) for b in GenAIMetrics.TOKEN_BUCKETS],
        )

    def live(self) -> bool:
        """False while the histograms are the API's placeholders with no MeterProvider
        behind them yet (recording would be a no-op), so a call skips gathering labels."""
        # The API's proxy instruments keep the real one in ``_real_instrument`` once a
        # provider is set; anything else (an SDK or vendor instrument) counts as live.
        return getattr(self.duration, "_real_instrument", True) is not None


@dataclass(slots=True)
class Settings:
    """Shared by an instrumentor's wrappers; flipping ``active`` makes wrappers that
    were cached before ``uninstrument()`` pass straight through."""

    tracer: Tracer
    explicit: bool  # asked for by code (autolog): content is recorded unless the env says no
    metrics: Metrics | None = None
    active: bool = True
    log_traces: bool = True

    def enabled(self) -> bool:
        """Whether a call is traced now (also False inside another model call)."""
        return (
            self.active
            and self.log_traces
            and _tracer.enabled  # spanwise.tracing.disable(), process-wide
            and not _in_model_call.get()
            and is_instrumentation_enabled()
        )

    def capture(self) -> bool:
        """Content capture for this instrumentor's spans, under the environment's word."""
        return content_settings().capture(explicit=self.explicit)


# -- the run of one invocation -------------------------------------------------------------


class Invocation(SpanRun):
    """One instrumented invocation's span: the tracer and the content policy are the
    instrumentor's; content (messages, arguments, results) is recorded as JSON only
    when capture is on."""

    __slots__ = ("_attributes", "capture", "max_bytes")

    def __init__(
        self,
        span: Span,
        attributes: dict[str, Any],
        capture: bool,
        max_bytes: int,
    ) -> None:
        super().__init__(span)
        self._attributes = attributes  # what was set, for metrics (spans are write-only)
        self.capture = capture
        self.max_bytes = max_bytes

    @classmethod
    def start(
        cls,
        settings: Settings,
        name: str,
        attributes: dict[str, Any],
        content: Callable[[], Mapping[str, Any]] | None = None,
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        context: Any = None,
    ) -> Any:
        """The started invocation, or None (reported) if spanwise failed: the caller's
        work goes on untraced. ``attributes`` is taken over; ``content`` is only called
        (and its values recorded as JSON) when capture is on."""
        try:
            policy = content_settings()
            capture = policy.capture(explicit=settings.explicit)
            start = attributes
            if capture and content is not None:
                # Content goes in with the start attributes: one validation pass.
                start = {**attributes, **_encoded(content(), policy.max_bytes)}
            span = settings.tracer.start_span(name, context, kind, start)
            return cls(span, attributes, capture, policy.max_bytes)
        except Exception as exc:
            report_internal_error("span start", exc)
            return None

    def record(
        self, attributes: Mapping[str, Any], content: Mapping[str, Any] | None = None
    ) -> None:
        """Attributes, and content (JSON, only when capture is on), in one set."""
        if attributes:
            self._attributes.update(attributes)
        if content and self.capture:
            attributes = {**attributes, **_encoded(content, self.max_bytes)}
        if attributes:
            self.span.set_attributes(attributes)

    def set_content(self, key: str, value: Any) -> None:
        """One content attribute, only when capture is on."""
        self.record({}, {key: value})


def _encoded(content: Mapping[str, Any], max_bytes: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in content.items():
        if type(value) is parts.Encoded:
            text = value.json
            # A fast path's JSON is recorded as is when it fits; else bounded like the rest.
            out[key] = text if within(text, max_bytes) else dumps_wire(loads(text), max_bytes)
        elif value is not None and value != []:
            out[key] = dumps_wire(value, max_bytes)
    return out
