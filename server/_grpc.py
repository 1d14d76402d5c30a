"""OTLP/gRPC on grpcio: ``TraceService/Export`` with the request taken as bytes, so the
token is checked before anything is decoded and a malformed message is answered
INVALID_ARGUMENT (grpcio's own deserializer would answer INTERNAL)."""

from __future__ import annotations

import socket
from concurrent import futures
from typing import Any, NoReturn

import grpc
from google.protobuf.any_pb2 import Any as AnyPb
from google.protobuf.duration_pb2 import Duration
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse

from ._ingest import (
    INVALID_ARGUMENT,
    RESOURCE_EXHAUSTED,
    UNAUTHENTICATED,
    UNAVAILABLE,
    Ingest,
    RequestError,
)

__all__ = ["start_grpc"]

_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService"
_CODES = {
    INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
    RESOURCE_EXHAUSTED: grpc.StatusCode.RESOURCE_EXHAUSTED,
    UNAUTHENTICATED: grpc.StatusCode.UNAUTHENTICATED,
    UNAVAILABLE: grpc.StatusCode.UNAVAILABLE,
}


def _abort(context: grpc.ServicerContext, exc: RequestError) -> NoReturn:
    code = _CODES.get(exc.grpc_code, grpc.StatusCode.INTERNAL)
    if exc.grpc_code in (RESOURCE_EXHAUSTED, UNAVAILABLE):
        # OTLP: RESOURCE_EXHAUSTED is retried only with a RetryInfo, as
        # grpcio-status's abort_with_status would send it.
        hint = AnyPb()
        hint.Pack(RetryInfo(retry_delay=Duration(seconds=1)))
        status = Status(code=exc.grpc_code, message=str(exc), details=[hint])
        context.set_trailing_metadata((("grpc-status-details-bin", status.SerializeToString()),))
    context.abort(code, str(exc))
    raise AssertionError("unreachable: abort raises")


class _Export:
    def __init__(self, ingest: Ingest) -> None:
        self.ingest = ingest

    def __call__(self, request: bytes, context: grpc.ServicerContext) -> ExportTraceServiceResponse:
        ingest = self.ingest
        metadata = dict(context.invocation_metadata())
        if not ingest.authorized(metadata.get("authorization")):
            ingest.count("bad_requests")
            _abort(context, RequestError(401, "missing or wrong bearer token", UNAUTHENTICATED))
        try:
            ingest.budget.take(len(request))
        except RequestError as exc:
            ingest.count("throttled")
            _abort(context, exc)
        try:
            return ingest.write(ingest.decode(request, as_json=False))
        except RequestError as exc:
            if exc.grpc_code != UNAVAILABLE:  # a failed write is counted by write()
                ingest.count("bad_requests")
            _abort(context, exc)
        finally:
            ingest.budget.give(len(request))


def _probe(host: str, port: int) -> None:
    """Raise OSError if ``port`` cannot be bound, before grpc-core would try (it logs
    its own multi-line error to stderr first)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))


def start_grpc(
    ingest: Ingest, host: str, port: int, *, workers: int, max_concurrent_rpcs: int
) -> tuple[Any, int]:
    """A started grpcio server and its bound port; OSError when it cannot bind."""
    handler = grpc.method_handlers_generic_handler(
        _SERVICE,
        {
            "Export": grpc.unary_unary_rpc_method_handler(
                _Export(ingest),
                request_deserializer=None,  # bytes: decoded by us, after the token check
                response_serializer=ExportTraceServiceResponse.SerializeToString,
            )
        },
    )
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="spanwise-otlp-grpc"),
        handlers=[handler],
        options=[
            ("grpc.max_receive_message_length", ingest.max_bytes),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=max_concurrent_rpcs,
    )
    if port:
        _probe(host, port)
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    try:
        bound = server.add_insecure_port(address)
    except RuntimeError:  # newer grpcio raise where older ones return 0
        bound = 0
    if bound == 0:
        server.stop(None)
        raise OSError("the address is in use or not available")
    server.start()
    return server, bound
