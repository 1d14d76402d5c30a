"""Where boto3's Bedrock calls are caught, and how each becomes a span.

boto3 builds its client classes at run time, but every API method of every client ends
in one method of their common base, ``botocore.client.BaseClient._make_api_call(operation
name, params)``. Patching it once covers every bedrock-runtime client, those created
before ``instrument()`` too, at the cost of one dictionary lookup on the operation name
for the calls of other AWS services. The four model operations (``Converse``,
``ConverseStream``, ``InvokeModel``, ``InvokeModelWithResponseStream``) of a
``bedrock-runtime`` client become spans; everything else passes straight through.
:data:`API_CALL` is the operation the shared wrapper runs there: it picks the model
operation (or none) and hands the run to it.

The caller gets boto3's own response dict: an ``invoke_model`` body is read (to record
the response) and replaced by a ``StreamingBody`` over the same bytes; an event stream
(``stream`` / ``body``) is replaced by a proxy that ends the span when it ends.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any, cast

from botocore.exceptions import ClientError
from botocore.response import StreamingBody

from spanwise.common._json import loads
from spanwise.common._safety import report_internal_error
from spanwise.semconv import ErrorAttributes, ProviderName
from spanwise.semconv import GenAIAttributes as G

from .._invocation import CHAT, Kind
from .._llm import LLMCall, Settings
from .._stainless import ProviderCache
from . import _converse as converse
from . import _formats as formats
from ._stream import ConverseStreamHandler, EventStreamProxy, InvokeStreamHandler

__all__ = [
    "API_CALL",
    "CONVERSE",
    "CONVERSE_STREAM",
    "INVOKE_MODEL",
    "INVOKE_MODEL_STREAM",
    "BedrockCall",
    "error_code",
]

SERVICE = "bedrock-runtime"
_PROVIDERS = ProviderCache(lambda host, path: ProviderName.AWS_BEDROCK)
_HEADERS = (
    "x-amzn-bedrock-input-token-count",
    "x-amzn-bedrock-output-token-count",
    "x-amzn-bedrock-cache-read-input-token-count",
    "x-amzn-bedrock-cache-write-input-token-count",
)


def _dict(value: Any) -> dict[str, Any]:
    """boto3's response dict (the same object: fields are replaced in it)."""
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def error_code(error: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (``ThrottlingException``; an
    event stream's error event: ``modelStreamErrorException``)."""
    if not isinstance(error, ClientError):
        return None
    code = (error.response.get("Error") or {}).get("Code")  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]
    return str(code) if code else None  # pyright: ignore[reportUnknownArgumentType]


class BedrockCall(LLMCall):
    """A Bedrock model call: ``error.type`` is the AWS error code where there is one
    (botocore raises modeled errors as classes of that name, others as ``ClientError``)."""

    __slots__ = ("format", "operation")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.format: formats.Format | None = None
        self.operation: _Operation | None = None

    def _on_end(self, error: BaseException | None) -> None:
        code = None if error is None else error_code(error)
        if code is not None:
            self.span.set_attribute(ErrorAttributes.TYPE, code)
        super()._on_end(error)


class _Operation:
    """One bedrock-runtime operation; subclasses read its request and response."""

    site = "bedrock"
    stream = False

    def request_attributes(self, params: Mapping[str, Any]) -> tuple[Kind, dict[str, Any], Any]:
        """(kind, request attributes, what the content callback needs)."""
        raise NotImplementedError

    def content(self, params: Mapping[str, Any], state: Any) -> dict[str, Any]:
        return {}

    def start(
        self, settings: Settings, instance: Any, params: Mapping[str, Any]
    ) -> BedrockCall | None:
        try:
            model = params.get("modelId")
            kind, attrs, state = self.request_attributes(params)
            attrs.update(kind.attributes(model))
            attrs.update(_PROVIDERS.attributes(instance.meta.endpoint_url))
            if self.stream:
                attrs[G.REQUEST_STREAM] = True
            call = cast(
                "BedrockCall | None",
                BedrockCall.start_call(
                    settings, kind.span_name(model), attrs, lambda: self.content(params, state)
                ),
            )
            if call is not None:
                call.operation = self
                if isinstance(state, formats.Format):
                    call.format = state
            return call
        except Exception as exc:
            report_internal_error(f"{self.site} request", exc)
            return None

    def finish(self, run: BedrockCall, result: Any) -> Any:
        try:
            if self.respond(run, result):
                return result  # a stream: its proxy ends the span
        except Exception as exc:
            report_internal_error(f"{self.site} response", exc)
        run.succeed()
        return result

    def respond(self, run: BedrockCall, result: Any) -> bool:
        """Record the response (True: a stream now owns the span's end)."""
        raise NotImplementedError


class _Converse(_Operation):
    def request_attributes(self, params: Mapping[str, Any]) -> tuple[Kind, dict[str, Any], Any]:
        return CHAT, converse.request_attributes(params), None

    def content(self, params: Mapping[str, Any], state: Any) -> dict[str, Any]:
        return {
            G.SYSTEM_INSTRUCTIONS: converse.system_instructions(params.get("system")),
            G.INPUT_MESSAGES: converse.input_messages_payload(params.get("messages")),
            G.TOOL_DEFINITIONS: converse.tool_definitions(params.get("toolConfig")),
        }

    def respond(self, run: BedrockCall, result: Any) -> bool:
        run.record(
            converse.response_attributes(result),
            {G.OUTPUT_MESSAGES: converse.output_messages_payload(result)} if run.capture else None,
        )
        return False


class _ConverseStream(_Converse):
    stream = True

    def respond(self, run: BedrockCall, result: Any) -> bool:
        response = _dict(result)
        events = response.get("stream")
        if events is None:
            return False
        response["stream"] = EventStreamProxy(events, ConverseStreamHandler(run))
        return True


def _json(body: Any) -> dict[str, Any] | None:
    """An invoke_model request body as JSON (bytes or text; a file object is the
    caller's to read, and left alone)."""
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body).decode("utf-8", "replace")
    if not isinstance(body, str):
        return None
    try:
        value = loads(body)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None  # pyright: ignore[reportUnknownVariableType]


class _InvokeModel(_Operation):
    def request_attributes(self, params: Mapping[str, Any]) -> tuple[Kind, dict[str, Any], Any]:
        body = _json(params.get("body")) or {}
        fmt = formats.format_for(params.get("modelId"), body)
        return fmt.kind, formats.request_attributes(fmt, body), fmt

    def content(self, params: Mapping[str, Any], state: Any) -> dict[str, Any]:
        body = _json(params.get("body"))
        return state.content(body) if body is not None else {}

    def respond(self, run: BedrockCall, result: Any) -> bool:
        fmt = run.format
        attrs: dict[str, Any] = {}
        outputs: list[Any] = []
        response = _dict(result)
        body = response.get("body")
        # Read only where the family's response is understood (not an image generator's
        # megabytes); the caller gets a fresh StreamingBody over the same bytes.
        if fmt is not None and fmt.reads_response and isinstance(body, StreamingBody):
            data = cast("bytes", body.read())  # pyright: ignore[reportUnknownMemberType]
            response["body"] = StreamingBody(io.BytesIO(data), len(data))
            parsed = _json(data)
            if parsed is not None:
                attrs, outputs = fmt.response(parsed)
        headers = _dict(_dict(response.get("ResponseMetadata")).get("HTTPHeaders"))
        for key, value in formats.metered_usage(headers, _HEADERS).items():
            attrs.setdefault(key, value)  # the body's own counts first
        run.record(attrs, {G.OUTPUT_MESSAGES: outputs} if run.capture and outputs else None)
        return False


class _InvokeModelStream(_InvokeModel):
    stream = True

    def respond(self, run: BedrockCall, result: Any) -> bool:
        response = _dict(result)
        events = response.get("body")
        if events is None or run.format is None:
            return False
        response["body"] = EventStreamProxy(events, InvokeStreamHandler(run, run.format))
        return True


CONVERSE = _Converse()
CONVERSE_STREAM = _ConverseStream()
INVOKE_MODEL = _InvokeModel()
INVOKE_MODEL_STREAM = _InvokeModelStream()
_OPERATIONS: dict[str, _Operation] = {
    "Converse": CONVERSE,
    "ConverseStream": CONVERSE_STREAM,
    "InvokeModel": INVOKE_MODEL,
    "InvokeModelWithResponseStream": INVOKE_MODEL_STREAM,
}


class _ApiCall:
    """``_make_api_call(operation_name, params)``: the model operations of bedrock-runtime
    clients become spans; any other call (a dict lookup, then the service's name) goes
    on untraced."""

    def start(
        self, settings: Settings, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> BedrockCall | None:
        name = args[0] if args else kwargs.get("operation_name")
        operation = _OPERATIONS.get(name) if type(name) is str else None
        if operation is None:
            return None
        try:
            if instance.meta.service_model.service_name != SERVICE:
                return None
        except Exception as exc:
            report_internal_error("bedrock client", exc)
            return None
        params = args[1] if len(args) > 1 else kwargs.get("api_params")
        return operation.start(settings, instance, params if isinstance(params, Mapping) else {})  # pyright: ignore[reportUnknownArgumentType]

    def finish(self, run: Any, result: Any, kwargs: dict[str, Any], *, is_async: bool) -> Any:
        operation = run.operation
        if operation is None:  # pragma: no cover - every started run has its operation
            run.succeed()
            return result
        return operation.finish(run, result)


API_CALL = _ApiCall()
