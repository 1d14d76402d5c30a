"""The GenAI message parts (v1.41.0 JSON schemas) as typed structures.

``gen_ai.input.messages``, ``gen_ai.output.messages``, ``gen_ai.system_instructions`` and
``gen_ai.retrieval.documents`` are JSON arrays of these. They are ``TypedDict``s, so a
part costs what a dict costs and encodes as it is; the constructors below are the only
place a part's keys are spelled, and every library's converter builds parts with them.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = [
    "BlobPart",
    "ChatMessage",
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
    "reasoning",
    "retrieval_document",
    "text",
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
