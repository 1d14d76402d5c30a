"""The ``spanwise.*`` attribute namespace: what the GenAI conventions do not cover."""

from __future__ import annotations

from typing import Final

__all__ = ["FrameworkAttributes", "SpanwiseAttributes", "SpanwiseEvents"]


class SpanwiseAttributes:
    """``spanwise.*`` span attribute keys."""

    SPAN_TYPE: Final = "spanwise.span.type"
    # JSON strings (bounded by the content limit; see spanwise.common._content).
    SPAN_INPUTS: Final = "spanwise.span.inputs"
    SPAN_OUTPUTS: Final = "spanwise.span.outputs"
    # Set on spans that spanwise ended on the user's behalf (Client.end_trace with open children).
    SPAN_AUTO_ENDED: Final = "spanwise.span.auto_ended"

    # Trace-level data lives on the local root span, one attribute per key, so that
    # TraceQL and Jaeger tag search find them key by key.
    TRACE_TAG_PREFIX: Final = "spanwise.trace.tags."
    TRACE_METADATA_PREFIX: Final = "spanwise.trace.metadata."
    TRACE_REQUEST_PREVIEW: Final = "spanwise.trace.request_preview"
    TRACE_RESPONSE_PREVIEW: Final = "spanwise.trace.response_preview"
    TRACE_CLIENT_REQUEST_ID: Final = "spanwise.trace.client_request_id"


class SpanwiseEvents:
    """Span event names and their attribute keys."""

    # One event per item a traced generator yields.
    STREAM_ITEM: Final = "spanwise.stream.item"
    STREAM_ITEM_INDEX: Final = "spanwise.stream.item.index"
    STREAM_ITEM_VALUE: Final = "spanwise.stream.item.value"
    # A generator's output_reducer raised; the raw items are recorded instead.
    OUTPUT_REDUCER_ERROR: Final = "spanwise.output_reducer.error"


class FrameworkAttributes:
    """``spanwise.run.*`` / ``spanwise.graph.*``: what a framework run carries beyond the
    GenAI conventions (LangChain's and LangGraph's run ids, tags, metadata, states)."""

    RUN_ID: Final = "spanwise.run.id"  # the framework's own run id (correlation)
    RUN_TAGS: Final = "spanwise.run.tags"  # string[]: the run's user tags
    RUN_METADATA_PREFIX: Final = "spanwise.run.metadata."  # one attribute per scalar key
    RUN_STATE: Final = "spanwise.run.state"  # "interrupted" (waits for input) / "resumed"
    GRAPH_NODE: Final = "spanwise.graph.node"  # a graph node's name
    GRAPH_STEP: Final = "spanwise.graph.step"  # int: the super-step a node ran in
