"""A trace as a text tree: span names, types, durations, tokens, errors."""

from __future__ import annotations

from spanwise.semconv import GenAIAttributes

from ._model import Span, SpanStatusCode, Trace

__all__ = ["render_tree"]


def _label(span: Span) -> str:
    parts = [f"{span.name} [{span.span_type}]"]
    duration = span.duration_ms
    parts.append("(open)" if duration is None else f"{duration:.1f} ms")
    tokens_in = span.attributes.get(GenAIAttributes.USAGE_INPUT_TOKENS)
    tokens_out = span.attributes.get(GenAIAttributes.USAGE_OUTPUT_TOKENS)
    if tokens_in is not None or tokens_out is not None:
        parts.append(f"tokens {tokens_in or 0} in / {tokens_out or 0} out")
    tool = span.attributes.get(GenAIAttributes.TOOL_NAME)
    if tool is not None and tool != span.name:
        parts.append(f"tool={tool}")
    if span.status.status_code is SpanStatusCode.ERROR:
        parts.append(f"ERROR {span.status.description}".rstrip())
    return "  ".join(parts)


def render_tree(trace: Trace) -> str:
    """``trace`` as an indented tree, one span a line, children in start order."""
    info = trace.info
    root = trace.data.root_span
    exact = None if root is None else root.duration_ms
    duration = "in progress" if exact is None else f"{exact:.1f} ms"
    lines = [f"{info.trace_id}  {info.state.value}  {duration}"]
    if info.tags:
        lines.append("tags: " + ", ".join(f"{k}={v}" for k, v in sorted(info.tags.items())))
    ids = {s.span_id for s in trace.data.spans}
    children: dict[str | None, list[Span]] = {}
    for span in trace.data.spans:
        parent = span.parent_id if span.parent_id in ids else None
        children.setdefault(parent, []).append(span)

    def walk(parent: str | None, prefix: str) -> None:
        kids = sorted(children.get(parent, []), key=lambda s: s.start_time_ns)
        for index, span in enumerate(kids):
            last = index == len(kids) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{_label(span)}")
            walk(span.span_id, prefix + ("    " if last else "│   "))

    walk(None, "")
    return "\n".join(lines)
