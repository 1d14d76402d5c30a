"""``spanwise server``: an OTLP trace receiver (HTTP and gRPC) writing into the store.

HTTP: ``POST /v1/traces`` with ``application/x-protobuf`` or ``application/json``,
optionally gzip-compressed. gRPC: the OTLP ``TraceService/Export`` method. Every span
goes through translation-in (any common convention becomes the canonical form) into
the store at the tracking URI.

The answers follow OTLP: 200 with ``partial_success`` when some spans were rejected;
400 (malformed), 401 (token), 404, 405, 411, 413 (too large), 415 (content type) with
a ``google.rpc.Status`` message in the request's encoding; 503 when the store cannot
take the write, which OTLP clients retry, so nothing is lost. Bad requests never stop
the server and never touch what is stored.
"""

from __future__ import annotations

import gzip
import hmac
import json
import logging
import threading
import zlib
from collections.abc import Callable, Sequence
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from spanwise.model._otlp import Decoded, OTLPError, decode_json, decode_protobuf
from spanwise.model._records import SpanRecord

__all__ = ["DEFAULT_MAX_BYTES", "Receiver", "ReceiverStats"]

logger = logging.getLogger("spanwise.server")

DEFAULT_MAX_BYTES = 32 * 1024 * 1024  # per request, compressed and decompressed
_PROTOBUF = "application/x-protobuf"
_JSON = "application/json"
_GRPC_CODES = {"INVALID_ARGUMENT": 3, "UNAUTHENTICATED": 16, "UNAVAILABLE": 14}

Sink = Callable[[Sequence[SpanRecord]], object]


@dataclass(slots=True)
class ReceiverStats:
    requests: int = 0
    spans: int = 0
    rejected_spans: int = 0
    bad_requests: int = 0
    failed_writes: int = 0


class _RequestError(Exception):
    def __init__(self, status: int, message: str, grpc_code: int = 3) -> None:
        super().__init__(message)
        self.status = status
        self.grpc_code = grpc_code


class Receiver:
    """Receives OTLP traces and hands the decoded span records to ``sink`` (normally
    ``SqlTraceStore.write_records``). ``start()`` binds; ``stop()`` is idempotent."""

    def __init__(
        self,
        sink: Sink,
        *,
        host: str = "127.0.0.1",
        http_port: int | None = 4318,
        grpc_port: int | None = 4317,
        token: str | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self._sink = sink
        self.host = host
        self.http_port = http_port
        self.grpc_port = grpc_port
        self._token = token
        self.max_bytes = max_bytes
        self.stats = ReceiverStats()
        self._write_lock = threading.Lock()  # one writer: SQLite serializes anyway
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None
        self._grpc: Any = None
        self._stopped = False

    # -- shared -------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        if self._token is None:
            return True
        expected = f"Bearer {self._token}".encode()
        return header is not None and hmac.compare_digest(header.encode(), expected)

    def ingest(self, decoded: Decoded) -> None:
        """Write what was decoded; a store failure is a retryable error for the client."""
        self.stats.requests += 1
        self.stats.rejected_spans += decoded.rejected
        if decoded.records:
            try:
                with self._write_lock:
                    self._sink(decoded.records)
            except Exception as exc:
                self.stats.failed_writes += 1
                logger.warning("spanwise server: store write failed: %s", exc)
                raise _RequestError(503, f"the store cannot take the write now: {exc}", 14) from exc
            self.stats.spans += len(decoded.records)

    @staticmethod
    def partial(decoded: Decoded) -> ExportTraceServiceResponse:
        response = ExportTraceServiceResponse()
        if decoded.rejected:
            response.partial_success.CopyFrom(
                ExportTracePartialSuccess(
                    rejected_spans=decoded.rejected, error_message="; ".join(decoded.errors)
                )
            )
        return response

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> Receiver:
        if self.http_port is not None:
            self._http = _HTTPServer((self.host, self.http_port), _Handler, self)
            self.http_port = self._http.server_address[1]
            self._http_thread = threading.Thread(
                target=self._http.serve_forever, name="spanwise-otlp-http", daemon=True
            )
            self._http_thread.start()
        if self.grpc_port is not None:
            self._start_grpc()
        return self

    def _start_grpc(self) -> None:
        import grpc
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

        receiver = self

        class _Servicer(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(
                self, request: ExportTraceServiceRequest, context: Any
            ) -> ExportTraceServiceResponse:
                metadata = dict(context.invocation_metadata())
                if not receiver.authorized(metadata.get("authorization")):
                    receiver.stats.bad_requests += 1
                    context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token")
                decoded = decode_protobuf(request)
                try:
                    receiver.ingest(decoded)
                except _RequestError as exc:
                    context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
                return receiver.partial(decoded)

        options = [
            ("grpc.max_receive_message_length", self.max_bytes),
            ("grpc.so_reuseport", 0),
        ]
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), options=options)
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_Servicer(), server)  # pyright: ignore[reportUnknownMemberType]
        port = server.add_insecure_port(f"{self.host}:{self.grpc_port}")
        if port == 0:
            raise OSError(f"cannot bind gRPC on {self.host}:{self.grpc_port}")
        self.grpc_port = port
        server.start()
        self._grpc = server

    def stop(self, grace: float = 2.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
        if self._http_thread is not None:
            self._http_thread.join(timeout=grace + 5)
        if self._grpc is not None:
            self._grpc.stop(grace).wait(grace + 5)

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler], receiver: Receiver):
        self.receiver = receiver
        super().__init__(address, handler)


def _decompress(body: bytes, encoding: str, limit: int) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise _RequestError(415, f"unsupported Content-Encoding {encoding!r} (gzip, deflate)")
    try:
        inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
        out = inflater.decompress(body, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            raise _RequestError(413, f"the decompressed body exceeds {limit} bytes")
        if not inflater.eof:
            raise _RequestError(400, f"truncated {encoding} body")
        return out
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise _RequestError(400, f"bad {encoding} body: {exc}") from None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "spanwise-otlp"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        if self.path in ("/", "/health", "/healthz"):
            self._reply(200, _JSON, b'{"status":"ok"}')
        else:
            self._error(_RequestError(404, f"no such path {self.path!r}"), _JSON)

    def do_POST(self) -> None:
        receiver = cast(_HTTPServer, self.server).receiver
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        as_json = kind == _JSON
        try:
            if self.path.split("?")[0].rstrip("/") != "/v1/traces":
                raise _RequestError(
                    404, f"no such path {self.path!r}; OTLP traces go to /v1/traces"
                )
            if not receiver.authorized(self.headers.get("Authorization")):
                raise _RequestError(401, "missing or wrong bearer token", 16)
            if kind not in (_PROTOBUF, _JSON):
                raise _RequestError(
                    415, f"Content-Type must be {_PROTOBUF} or {_JSON}, not {kind or 'none'!r}"
                )
            body = self._body(receiver.max_bytes)
            body = _decompress(
                body,
                (self.headers.get("Content-Encoding") or "").strip().lower(),
                receiver.max_bytes,
            )
            try:
                decoded = decode_json(body) if as_json else decode_protobuf(body)
            except OTLPError as exc:
                raise _RequestError(400, str(exc)) from None
            receiver.ingest(decoded)
        except _RequestError as exc:
            if exc.status != 503:
                receiver.stats.bad_requests += 1
            self._error(exc, _JSON if as_json else _PROTOBUF)
            return
        response = receiver.partial(decoded)
        if as_json:
            payload: dict[str, Any] = {}
            if decoded.rejected:
                payload["partialSuccess"] = {
                    "rejectedSpans": str(decoded.rejected),
                    "errorMessage": response.partial_success.error_message,
                }
            self._reply(200, _JSON, json.dumps(payload).encode())
        else:
            self._reply(200, _PROTOBUF, response.SerializeToString())

    def _body(self, limit: int) -> bytes:
        length = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raise _RequestError(411, "send a Content-Length (chunked bodies are not accepted)")
        if length is None:
            raise _RequestError(411, "Content-Length required")
        try:
            size = int(length)
        except ValueError:
            raise _RequestError(400, f"bad Content-Length {length!r}") from None
        if size < 0:
            raise _RequestError(400, f"bad Content-Length {length!r}")
        if size > limit:
            if size <= 2 * limit:
                # Read and discard a body not far past the limit, so the client (still
                # sending) gets the 413 rather than a reset connection.
                self._discard(size)
            else:  # not worth reading: drop the connection after answering
                self.close_connection = True
            raise _RequestError(413, f"the body is {size} bytes; the limit is {limit}")
        body = self.rfile.read(size)
        if len(body) != size:
            self.close_connection = True
            raise _RequestError(400, f"truncated body: {len(body)} of {size} bytes")
        return body

    def _discard(self, size: int) -> None:
        while size > 0:
            chunk = self.rfile.read(min(size, 65536))
            if not chunk:
                self.close_connection = True
                return
            size -= len(chunk)

    def _error(self, exc: _RequestError, kind: str) -> None:
        from google.rpc.status_pb2 import Status  # shipped with googleapis-common-protos

        if kind == _JSON:
            body = json.dumps({"code": exc.grpc_code, "message": str(exc)}).encode()
        else:
            body = Status(code=exc.grpc_code, message=str(exc)).SerializeToString()
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        if exc.status == 503:
            headers["Retry-After"] = "1"
        self._reply(exc.status, kind, body, headers)

    def _reply(
        self, status: int, kind: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
