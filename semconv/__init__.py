"""Every attribute name and enum value spanwise writes or reads.

Literal attribute strings live only here: GenAI semantic conventions v1.41.0
(:class:`GenAIAttributes`, :class:`OperationName`, :class:`ProviderName`) and
spanwise's own namespace (:class:`SpanwiseAttributes`, :class:`SpanwiseEvents`), and the
other conventions the translation layer reads and writes (``_foreign``), and the
message parts as typed structures (:mod:`parts`).
"""

from __future__ import annotations

from . import _parts as parts
from ._foreign import GenAIDeprecated, MLflowAttributes, OpenInference, Traceloop
from ._gen_ai import SCHEMA_URL, GenAIAttributes, GenAIMetrics, OperationName, ProviderName
from ._otel import ErrorAttributes, ExceptionAttributes, ServerAttributes, UserAttributes
from ._span_type import OPERATION_BY_SPAN_TYPE, SPAN_TYPE_BY_OPERATION, SpanType
from ._spanwise import FrameworkAttributes, SpanwiseAttributes, SpanwiseEvents

__all__ = [
    "OPERATION_BY_SPAN_TYPE",
    "SCHEMA_URL",
    "SPAN_TYPE_BY_OPERATION",
    "ErrorAttributes",
    "ExceptionAttributes",
    "FrameworkAttributes",
    "GenAIAttributes",
    "GenAIDeprecated",
    "GenAIMetrics",
    "MLflowAttributes",
    "OpenInference",
    "OperationName",
    "ProviderName",
    "ServerAttributes",
    "SpanType",
    "SpanwiseAttributes",
    "SpanwiseEvents",
    "Traceloop",
    "UserAttributes",
    "parts",
]
