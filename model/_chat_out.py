"""A model span's inputs and outputs in MLflow's shape: the OpenAI Chat Completions request
and response that MLflow's autologging records and its UI renders as a conversation.

The span's attributes keep the GenAI conventions (``gen_ai.input.messages`` in the parts
format, ``gen_ai.request.*``, ``gen_ai.usage.*``); only the model's ``Span.inputs`` /
``Span.outputs`` (and so ``search_traces``' ``request``/``response`` columns, the trace
JSON and the ``mlflow`` export dialect) read as MLflow users expect, whatever the
provider: ``{"messages": [...], "model": ..., <parameters>}`` in, and ``{"id", "model",
"choices": [{"index", "message", "finish_reason"}], "usage"}`` out. The reverse of
``_chat_format``; it runs per model span when a trace is read, so it only walks what is
already decoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from spanwise.common import _json
from spanwise.semconv import GenAIAttributes as G

from ._conventions._common import as_dict, as_list

__all__ = ["chat_message", "chat_request", "chat_response", "request_parameters"]

_REQUEST_PREFIX = G.REQUEST_MODEL.removesuffix("model")  # "gen_ai.request."
# gen_ai.request.<name> -> the Chat Completions parameter, where the names differ.
_PARAMETERS = {
    G.REQUEST_CHOICE_COUNT: "n",
    G.REQUEST_STOP_SEQUENCES: "stop",
    G.REQUEST_ENCODING_FORMATS: "encoding_format",
}
_PARAMETER_CACHE: dict[str, str] = {}
_MODEL = G.REQUEST_MODEL


def _parameter(key: str) -> str:
    name = _PARAMETER_CACHE.get(key)
    if name is None:
        name = _PARAMETERS.get(key) or key[len(_REQUEST_PREFIX) :].replace(".", "_")
        _PARAMETER_CACHE[key] = name
    return name


def _text(value: Any) -> str:
    return value if isinstance(value, str) else _json.dumps(value)


def _content_part(part: dict[str, Any]) -> dict[str, Any]:
    """A non-text GenAI part as a Chat Completions content part (MLflow's ``ChatMessage``
    content types); a part with no counterpart is kept as it is (its ``type`` names it)."""
    kind = part.get("type")
    modality = part.get("modality")
    if kind == "reasoning":
        text = str(part.get("content") or "")
        return {"type": "reasoning", "summary": [{"type": "summary_text", "text": text}]}
    if kind == "uri" and modality == "image":
        return {"type": "image_url", "image_url": {"url": str(part.get("uri") or "")}}
    if kind == "blob" and modality == "image":
        url = f"data:{part.get('mime_type') or ''};base64,{part.get('content') or ''}"
        return {"type": "image_url", "image_url": {"url": url}}
    if kind == "blob" and modality == "audio":
        mime = str(part.get("mime_type") or "audio/wav")
        audio = {"data": str(part.get("content") or ""), "format": mime.rpartition("/")[2]}
        return {"type": "input_audio", "input_audio": audio}
    if kind == "file" and "file_id" in part:
        return {"type": "file", "file": {"file_id": str(part["file_id"])}}
    return part


def _tool_call(part: dict[str, Any]) -> dict[str, Any]:
    function: dict[str, Any] = {"name": str(part.get("name") or "")}
    if "arguments" in part:
        function["arguments"] = _text(part["arguments"])  # a JSON string, as OpenAI's
    call: dict[str, Any] = {"type": "function", "function": function}
    if part.get("id") is not None:
        call = {"id": str(part["id"]), **call}
    return call


def chat_message(message: Any) -> list[Any]:
    """One parts-format message as Chat Completions messages: usually one; each tool
    result its own ``tool`` message (Anthropic and Gemini put several in one user turn)."""
    if not isinstance(message, dict):
        return [message]  # not a message: shown as it came
    m = cast("dict[str, Any]", message)
    role = m.get("role") or "user"
    parts: Any = m.get("parts")
    # The common case, one text, without the general walk (this runs per model span);
    # ``__class__ is``: exact JSON types, and no narrowing of ``Any`` for the checker.
    if parts.__class__ is list and len(parts) == 1:
        only: Any = parts[0]
        if only.__class__ is dict and only.get("type") == "text" and "name" not in m:
            return [{"role": role, "content": str(only.get("content") or "")}]
    texts: list[str] = []
    content: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []
    out: list[Any] = []
    for part in map(as_dict, as_list(parts)):
        if part is None:
            continue
        kind = part.get("type")
        if kind == "text":
            text = str(part.get("content") or "")
            texts.append(text)
            content.append({"type": "text", "text": text})
        elif kind == "tool_call":
            calls.append(_tool_call(part))
        elif kind == "tool_call_response":
            tool: dict[str, Any] = {"role": "tool", "content": _text(part.get("response"))}
            if part.get("id") is not None:
                tool["tool_call_id"] = str(part["id"])
            out.append(tool)
        else:
            content.append(_content_part(part))
    if content or calls or not out:
        # One text is a plain string (as OpenAI sends it); anything richer, typed parts.
        body: Any = texts[0] if len(content) == 1 and texts else content or None
        chat: dict[str, Any] = {"role": role, "content": body}
        if calls:
            chat["tool_calls"] = calls
        if m.get("name") is not None:
            chat["name"] = m["name"]
        out.append(chat)
    return out


def _system(instructions: Any) -> dict[str, Any]:
    if isinstance(instructions, str):
        return {"role": "system", "content": instructions}
    return chat_message({"role": "system", "parts": as_list(instructions)})[-1]


def request_parameters(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """The model and the ``gen_ai.request.*`` parameters under their Chat Completions
    names (what OpenInference calls the invocation parameters)."""
    params: dict[str, Any] = {}
    model = attributes.get(_MODEL)
    if model is not None:
        params["model"] = model
    prefix, names = _REQUEST_PREFIX, _PARAMETER_CACHE
    for key in attributes:
        if key.startswith(prefix) and key != _MODEL:
            params[names.get(key) or _parameter(key)] = attributes[key]
    return params


def chat_request(attributes: Mapping[str, Any]) -> Any:
    """The request as Chat Completions arguments: the system instructions and messages,
    the model, the ``gen_ai.request.*`` parameters and the tools. None without
    ``gen_ai.input.messages``; a value that is not a list of messages as it is."""
    messages = attributes.get(G.INPUT_MESSAGES)
    if not isinstance(messages, list):
        return messages
    chat: list[Any] = []
    instructions = attributes.get(G.SYSTEM_INSTRUCTIONS)
    if instructions:
        chat.append(_system(instructions))
    for message in messages:  # pyright: ignore[reportUnknownVariableType]
        chat += chat_message(message)
    request: dict[str, Any] = {"messages": chat, **request_parameters(attributes)}
    tools = attributes.get(G.TOOL_DEFINITIONS)
    if isinstance(tools, list):
        request["tools"] = [_tool(t) for t in tools]  # pyright: ignore[reportUnknownVariableType]
    return request


def _tool(definition: Any) -> Any:
    d = as_dict(definition)
    if d is None or d.get("type", "function") != "function":
        return definition  # a built-in tool (web search...): as recorded
    function = {k: d[k] for k in ("name", "description", "parameters") if k in d}
    return {"type": "function", "function": function}


def _usage(attributes: Mapping[str, Any]) -> dict[str, Any] | None:
    prompt = attributes.get(G.USAGE_INPUT_TOKENS)
    completion = attributes.get(G.USAGE_OUTPUT_TOKENS)
    if not isinstance(prompt, int) and not isinstance(completion, int):
        return None
    prompt = prompt if isinstance(prompt, int) else 0
    completion = completion if isinstance(completion, int) else 0
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    cached = attributes.get(G.USAGE_CACHE_READ_INPUT_TOKENS)
    if isinstance(cached, int):
        usage["prompt_tokens_details"] = {"cached_tokens": cached}
    reasoning = attributes.get(G.USAGE_REASONING_OUTPUT_TOKENS)
    if isinstance(reasoning, int):
        usage["completion_tokens_details"] = {"reasoning_tokens": reasoning}
    return usage


def chat_response(attributes: Mapping[str, Any]) -> Any:
    """The response as a Chat Completion: id, model, one choice per output message
    (``message`` with its role, content and tool calls; ``finish_reason``), usage. None
    without ``gen_ai.output.messages``; a value that is not a list of messages as it is."""
    messages = attributes.get(G.OUTPUT_MESSAGES)
    if not isinstance(messages, list):
        return messages
    response: dict[str, Any] = {}
    response_id = attributes.get(G.RESPONSE_ID)
    if response_id is not None:
        response["id"] = response_id
    model = attributes.get(G.RESPONSE_MODEL) or attributes.get(G.REQUEST_MODEL)
    if model is not None:
        response["model"] = model
    choices: list[dict[str, Any]] = []
    m: Any
    for index, m in enumerate(cast("list[Any]", messages)):
        if m.__class__ is not dict:
            choices.append({"index": index, "message": m, "finish_reason": None})
            continue
        chat = chat_message(m if m.get("role") else {**m, "role": "assistant"})[-1]
        choices.append({"index": index, "message": chat, "finish_reason": m.get("finish_reason")})
    response["choices"] = choices
    usage = _usage(attributes)
    if usage is not None:
        response["usage"] = usage
    return response
