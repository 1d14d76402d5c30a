"""``spanwise.openai.autolog()``: trace every OpenAI SDK call.

Needs the SDK: ``pip install 'spanwise[openai]'``.
"""

from __future__ import annotations

from ._autolog import autolog_library

__all__ = ["autolog"]


def autolog(disable: bool = False, log_traces: bool = True) -> None:
    """Trace every OpenAI call as a GenAI span, recording prompts and completions.

    ``disable=True`` removes the patches; ``log_traces=False`` keeps them and records
    nothing. ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=false`` keeps content out.
    """
    autolog_library("openai", disable=disable, log_traces=log_traces)
