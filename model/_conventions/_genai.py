"""The GenAI conventions' deprecated names (and message events) -> current names."""

from __future__ import annotations

from typing import Any

from spanwise.semconv import GenAIAttributes as G
from spanwise.semconv import GenAIDeprecated as D

from .._records import EventRecord
from ._common import as_dict, as_int, as_list, chat_messages, dumps, loads, put, reply_messages

__all__ = ["MESSAGE_EVENTS", "translate"]

# gen_ai.system values that differ from gen_ai.provider.name's.
_SYSTEMS = {
    "az.ai.inference": "azure.ai.inference",
    "az.ai.openai": "azure.ai.openai",
    "azure_openai": "azure.ai.openai",
    "vertex_ai": "gcp.vertex_ai",
    "gemini": "gcp.gemini",
    "mistralai": "mistral_ai",
    "xai": "x_ai",
    "bedrock": "aws.bedrock",
}

_ROLE_BY_EVENT = {
    D.EVENT_SYSTEM_MESSAGE: "system",
    D.EVENT_USER_MESSAGE: "user",
    D.EVENT_ASSISTANT_MESSAGE: "assistant",
    D.EVENT_TOOL_MESSAGE: "tool",
}
MESSAGE_EVENTS = frozenset(
    {
        *_ROLE_BY_EVENT,
        D.EVENT_CHOICE,
        D.EVENT_CONTENT_PROMPT,
        D.EVENT_CONTENT_COMPLETION,
        D.EVENT_INFERENCE_DETAILS,
    }
)


def _event_body(event: EventRecord) -> dict[str, Any]:
    """An event's message: its attributes, with a JSON ``gen_ai.event.content`` body
    (how SDK log-events reach spans) merged in."""
    attributes = dict(event["attributes"])
    body = as_dict(loads(attributes.pop(D.EVENT_CONTENT, None)))
    if body is not None:
        attributes.update(body)
    return attributes


def translate(attrs: dict[str, Any], events: list[EventRecord]) -> list[EventRecord]:
    """Rewrite deprecated keys in place; returns the events that remain (message events
    become the message attributes, so they are not kept twice)."""
    system = attrs.pop(D.SYSTEM, None)
    if isinstance(system, str):  # lower-cased: some write "OpenAI", the enum is "openai"
        name = system.lower()
        put(attrs, G.PROVIDER_NAME, _SYSTEMS.get(name, name))
    put(attrs, G.USAGE_INPUT_TOKENS, as_int(attrs.pop(D.USAGE_PROMPT_TOKENS, None)))
    put(attrs, G.USAGE_OUTPUT_TOKENS, as_int(attrs.pop(D.USAGE_COMPLETION_TOKENS, None)))
    prompt = loads(attrs.pop(D.PROMPT, None))
    if isinstance(prompt, list):
        put(attrs, G.INPUT_MESSAGES, dumps(chat_messages(prompt)))
    completion = loads(attrs.pop(D.COMPLETION, None))
    if isinstance(completion, list):
        put(attrs, G.OUTPUT_MESSAGES, dumps(reply_messages(completion)))

    if not any(e["name"] in MESSAGE_EVENTS for e in events):
        return events
    inputs: list[dict[str, Any]] = []
    outputs: list[dict[str, Any]] = []
    kept: list[EventRecord] = []
    for event in events:
        name = event["name"]
        if name in _ROLE_BY_EVENT:
            body = _event_body(event)
            body.setdefault("role", _ROLE_BY_EVENT[name])
            if "id" in body and name == D.EVENT_TOOL_MESSAGE:
                body.setdefault("tool_call_id", body["id"])
            inputs.append(body)
        elif name == D.EVENT_CHOICE:
            body = _event_body(event)
            message = dict(as_dict(loads(body.get("message"))) or {})
            message.setdefault("role", "assistant")
            message["finish_reason"] = body.get("finish_reason") or "stop"
            outputs.append(message)
        elif name == D.EVENT_CONTENT_PROMPT:
            value = loads(event["attributes"].get(D.PROMPT))
            inputs += as_list(value)
        elif name == D.EVENT_CONTENT_COMPLETION:
            value = loads(event["attributes"].get(D.COMPLETION))
            outputs += as_list(value)
        elif name == D.EVENT_INFERENCE_DETAILS:
            for key in (
                G.INPUT_MESSAGES,
                G.OUTPUT_MESSAGES,
                G.SYSTEM_INSTRUCTIONS,
                G.TOOL_DEFINITIONS,
            ):
                value = event["attributes"].get(key)
                if value is not None:
                    put(attrs, key, value if isinstance(value, str) else dumps(value))
        else:
            kept.append(event)
    if inputs:
        put(attrs, G.INPUT_MESSAGES, dumps(chat_messages(inputs)))
    if outputs:
        put(attrs, G.OUTPUT_MESSAGES, dumps(reply_messages(outputs)))
    return kept
