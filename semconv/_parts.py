"""The GenAI message parts (v1.41.0 JSON schemas) as typed structures.

``gen_ai.input.messages``, ``gen_ai.output.messages``, ``gen_ai.system_instructions`` and
``gen_ai.retrieval.documents`` are JSON arrays of these. They are ``TypedDict``s, so a
part costs what a dict costs and encodes as it is; the constructors below are the only
place a part's keys are spelled, and every library's converter builds parts with them.
"""

from __future__ import annotations

from collections.abc import Callable
from json.encoder import encode_basestring as _quote
from typing import Any, Literal, TypedDict, cast

__all__ = [
    "FAST_TEXT_MAX",
    "BlobPart",
    "ChatMessage",
    "Encoded",
    "FilePart",
    "GenericPart",
    "OutputMessage",
    "Part",
    "ReasoningPart",
    "RetrievalDocument",
    "TextPart",
    "ToolCallPart",
    "ToolCallResponsePart",
    "UriPart",
    "blob",
    "chat_message",
    "file",
    "generic",
    "output_message",
    "plain_messages_json",
    "reasoning",
    "retrieval_document",
    "text",
    "text_message_json",
    "text_of_string",
    "tool_call",
    "tool_call_response",
    "tool_definition",
    "uri",
]

# "image", "video", "audio", "file", or another the conventions may add.
Modality = str


class TextPart(TypedDict):
    type: Literal["text"]
    content: str


class ReasoningPart(TypedDict):
    type: Literal["reasoning"]
    content: str


# Optional keys sit in a ``total=False`` subclass (the stdlib way before NotRequired).
class _ToolCall(TypedDict):
    type: Literal["tool_call"]
    name: str


class ToolCallPart(_ToolCall, total=False):
    id: str
    arguments: Any


class _ToolCallResponse(TypedDict):
    type: Literal["tool_call_response"]
    response: Any


class ToolCallResponsePart(_ToolCallResponse, total=False):
    id: str


class _Blob(TypedDict):
    type: Literal["blob"]
    modality: Modality
    content: str  # base64


class BlobPart(_Blob, total=False):
    mime_type: str


class _Uri(TypedDict):
    type: Literal["uri"]
    modality: Modality
    uri: str


class UriPart(_Uri, total=False):
    mime_type: str


class _File(TypedDict):
    type: Literal["file"]
    modality: Modality
    file_id: str


class FilePart(_File, total=False):
    mime_type: str


class GenericPart(TypedDict):
    """A part the conventions do not model (its ``type`` names it)."""

    type: str


Part = (
    TextPart
    | ReasoningPart
    | ToolCallPart
    | ToolCallResponsePart
    | BlobPart
    | UriPart
    | FilePart
    | GenericPart
)


class _Message(TypedDict):
    role: str
    parts: list[Part]


class ChatMessage(_Message, total=False):
    name: str


class _Output(_Message):
    finish_reason: str


class OutputMessage(_Output, total=False):
    name: str


class RetrievalDocument(TypedDict, total=False):
    id: str
    score: float
    content: str


def text(content: str) -> TextPart:
    return {"type": "text", "content": content}


def reasoning(content: str) -> ReasoningPart:
    return {"type": "reasoning", "content": content}


def tool_call(call_id: Any, name: str, arguments: Any = None) -> ToolCallPart:
    """A tool call (``id`` only when there is one; ``arguments`` as given)."""
    part: ToolCallPart = {"type": "tool_call", "name": name}
    if call_id is not None:
        part["id"] = str(call_id)
    if arguments is not None:
        part["arguments"] = arguments
    return part


def tool_call_response(call_id: Any, response: Any) -> ToolCallResponsePart:
    if call_id is None:
        return {"type": "tool_call_response", "response": response}
    return {"type": "tool_call_response", "id": str(call_id), "response": response}


def blob(modality: Modality, content: str, mime_type: str | None = None) -> BlobPart:
    part: BlobPart = {"type": "blob", "modality": modality, "content": content}
    if mime_type:
        part["mime_type"] = mime_type
    return part


def uri(modality: Modality, value: str, mime_type: str | None = None) -> UriPart:
    part: UriPart = {"type": "uri", "modality": modality, "uri": value}
    if mime_type:
        part["mime_type"] = mime_type
    return part


def file(modality: Modality, file_id: str, mime_type: str | None = None) -> FilePart:
    part: FilePart = {"type": "file", "modality": modality, "file_id": file_id}
    if mime_type:
        part["mime_type"] = mime_type
    return part


def generic(kind: str) -> GenericPart:
    return {"type": kind}


def tool_definition(
    name: str, description: Any = None, parameters: Any = None, kind: str = "function"
) -> dict[str, Any]:
    """One entry of ``gen_ai.tool.definitions`` (description and parameters when given)."""
    definition: dict[str, Any] = {"type": kind, "name": name}
    if description is not None:
        definition["description"] = description
    if parameters is not None:
        definition["parameters"] = parameters
    return definition


def chat_message(role: str, parts: list[Part], name: str | None = None) -> ChatMessage:
    message: ChatMessage = {"role": role, "parts": parts}
    if name is not None:
        message["name"] = name
    return message


def output_message(role: str, parts: list[Part], finish_reason: str | None) -> OutputMessage:
    """An output message; a missing finish reason reads ``error`` (the schema needs one)."""
    return {"role": role, "parts": parts, "finish_reason": finish_reason or "error"}


def retrieval_document(
    doc_id: Any, score: float | None = None, content: str | None = None
) -> RetrievalDocument:
    """One retrieved document (``content`` only when content capture is on)."""
    document: RetrievalDocument = {"id": str(doc_id)}
    if score is not None:
        document["score"] = float(score)
    if content is not None:
        document["content"] = content
    return document


# -- the common case, encoded directly ----------------------------------------------------


# Longer texts take the parts path, whose encoder can cut them to the size limit.
FAST_TEXT_MAX = 8192


class Encoded:
    """A payload already in JSON: a fast path's, for messages that are one text each.
    Recording it skips building the parts and encoding them (most calls send and get
    plain text; this is what content capture costs on the calling thread)."""

    __slots__ = ("json",)

    def __init__(self, json: str) -> None:
        self.json = json

    def __repr__(self) -> str:
        return f"Encoded({self.json!r})"

    @classmethod
    def of_list(cls, items: list[str]) -> Encoded:
        """The JSON list of already encoded items."""
        return cls("[" + ",".join(items) + "]")


def text_message_json(
    role: str, content: str, name: str | None = None, finish_reason: str | None = None
) -> str:
    """``chat_message`` (with ``name``) or ``output_message`` (with ``finish_reason``) of
    one text part, as the compact JSON the encoder writes for them, keys in their order."""
    out = '{"role":' + _quote(role) + ',"parts":[{"type":"text","content":' + _quote(content) + "}]"
    if name is not None:
        out += ',"name":' + _quote(name)
    if finish_reason is not None:
        out += ',"finish_reason":' + _quote(finish_reason)
    return out + "}"


def text_of_string(content: Any) -> str | None:
    """``content`` when it is a string short enough for the direct JSON path."""
    return content if type(content) is str and len(content) <= FAST_TEXT_MAX else None


def plain_messages_json(
    messages: Any, text_of: Callable[[Any], str | None] = text_of_string, *, named: bool = False
) -> Encoded | None:
    """Input messages as JSON when each is a dict of a role and a content that is one
    text (``text_of`` says which text, or None), plus a ``name`` if ``named``; None
    when any message is something else (then the parts path records them)."""
    if type(messages) is not list or not messages:
        return None
    out: list[str] = []
    for message in cast("list[Any]", messages):
        if type(message) is not dict:
            return None
        fields = cast("dict[str, Any]", message)
        name = fields.get("name") if named else None
        if len(fields) != (2 if name is None else 3):
            return None
        role = fields.get("role")
        text = text_of(fields.get("content"))
        if type(role) is not str or not role or role == "tool" or text is None:
            return None
        if name is not None and type(name) is not str:
            return None
        out.append(text_message_json(role, text, name=name))
    return Encoded.of_list(out)
