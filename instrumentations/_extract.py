"""Pure extraction helpers every library's extractors share.

Tolerant field access over SDK objects and dicts alike (``get``/``items``, from
``spanwise.common``), request
parameter rules applied only for the parameters a call passed, tool-call arguments
decoded as the conventions ask, and response identity. No span, no patching.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from spanwise.common._access import get, items, tool_call_arguments
from spanwise.semconv import GenAIAttributes as G

__all__ = [
    "Rule",
    "apply_rules",
    "get",
    "identity_attributes",
    "int_rule",
    "items",
    "number_rule",
    "stop_rule",
    "stream_rule",
    "tool_call_arguments",
]


def identity_attributes(response: Any) -> dict[str, Any]:
    """``gen_ai.response.id`` and ``.model``, where the response has them."""
    attrs: dict[str, Any] = {}
    response_id = get(response, "id")
    if response_id is not None:
        attrs[G.RESPONSE_ID] = str(response_id)
    model = get(response, "model")
    if model is not None:
        attrs[G.RESPONSE_MODEL] = str(model)
    return attrs


# -- request parameter rules: (attributes so far, the call's kwargs) -> None ---------------

Rule = Callable[[dict[str, Any], Mapping[str, Any]], None]


def number_rule(key: str, name: str, kind: type[float] | type[int]) -> Rule:
    """``name`` from the numeric parameter ``key`` (booleans are not numbers here)."""

    def rule(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
        value = kwargs[key]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attrs[name] = kind(value)

    return rule


def int_rule(key: str, name: str) -> Rule:
    """``name`` from the integer parameter ``key``."""

    def rule(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
        value = kwargs[key]
        if isinstance(value, int) and not isinstance(value, bool):
            attrs[name] = value

    return rule


def stop_rule(key: str) -> Rule:
    """``gen_ai.request.stop_sequences`` from a string or list parameter ``key``."""

    def rule(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
        stop = kwargs[key]
        if isinstance(stop, str):
            attrs[G.REQUEST_STOP_SEQUENCES] = [stop]
        elif isinstance(stop, (list, tuple)) and stop:
            attrs[G.REQUEST_STOP_SEQUENCES] = [str(s) for s in items(stop)]

    return rule


def stream_rule(attrs: dict[str, Any], kwargs: Mapping[str, Any]) -> None:
    if kwargs["stream"] is True:
        attrs[G.REQUEST_STREAM] = True


def apply_rules(
    attrs: dict[str, Any], kwargs: Mapping[str, Any], rules: Mapping[str, Rule]
) -> None:
    """Apply the rules of the parameters the call passed (a call passes a few of many)."""
    for key in kwargs:
        rule = rules.get(key)
        if rule is not None:
            rule(attrs, kwargs)
