"""What the OTLP/HTTP and OTLP/gRPC front ends share: the token check, the bound on
bytes in flight, the write into the store with per-span rejection, and the counters."""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTracePartialSuccess,
    ExportTraceServiceResponse,
)

from spanwise.model._otlp import Decoded, OTLPError, decode_json, decode_protobuf
from spanwise.model._records import SpanRecord
from spanwise.store._errors import Reject

__all__ = [
    "Budget",
    "Held",
    "Ingest",
    "ReceiverStats",
    "RequestError",
    "Sink",
    "logger",
]

logger = logging.getLogger("spanwise.server")

# gRPC status codes (google.rpc.Code), also the ``code`` of the HTTP error bodies.
INVALID_ARGUMENT = 3
RESOURCE_EXHAUSTED = 8
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16


class Sink(Protocol):
    """Where span records go: ``SqlTraceStore.write_records`` has this shape. A record
    the store cannot take goes to ``reject``; raising means the store is in trouble
    (locked, unavailable), which the client is told to retry. Called by one thread at
    a time."""

    def __call__(self, records: Sequence[SpanRecord], /, *, reject: Reject) -> object: ...


@dataclass(slots=True)
class ReceiverStats:
    """Counters since start (read them; the receiver updates them under a lock)."""

    requests: int = 0  # requests whose spans were handed to the store
    spans: int = 0  # spans stored
    rejected_spans: int = 0  # spans refused one by one (partial_success)
    bad_requests: int = 0  # 4xx / INVALID_ARGUMENT, UNAUTHENTICATED
    throttled: int = 0  # 429 / RESOURCE_EXHAUSTED, 503 for too many connections
    failed_writes: int = 0  # 503 / UNAVAILABLE: the store could not take the write


class RequestError(Exception):
    """An answer other than 200: the HTTP status, the gRPC code, a message for the client."""

    def __init__(
        self, status: int, message: str, grpc_code: int = INVALID_ARGUMENT, *, close: bool = False
    ) -> None:
        super().__init__(message)
        self.status = status
        self.grpc_code = grpc_code
        self.close = close  # close the connection after answering (the body is not drained)


def too_busy(what: str) -> RequestError:
    return RequestError(429, f"too busy: {what}; retry shortly", RESOURCE_EXHAUSTED)


class Budget:
    """Bytes of request bodies held at once, across requests and protocols. ``take`` never
    waits: a request over the bound is answered 429 / RESOURCE_EXHAUSTED at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.held = 0
        self._lock = threading.Lock()

    def take(self, size: int) -> None:
        with self._lock:
            if self.held + size > self.limit and self.held > 0:
                # Alone, a request may use the whole budget (it is within max_bytes).
                raise too_busy(f"{self.held} bytes of requests are in flight")
            self.held += size

    def give(self, size: int) -> None:
        with self._lock:
            self.held -= size


class Held:
    """What one request holds of a ``Budget``; ``release()`` gives it all back."""

    def __init__(self, budget: Budget) -> None:
        self._budget = budget
        self.size = 0

    def take(self, size: int) -> None:
        self._budget.take(size)
        self.size += size

    def release(self) -> None:
        if self.size:
            self._budget.give(self.size)
            self.size = 0


_MAX_MESSAGE = 2000  # characters of partial_success.error_message


class Ingest:
    """Token check, decode, write, counters: one instance serves both protocols."""

    def __init__(self, sink: Sink, token: str | None, max_bytes: int, max_in_flight: int):
        self._sink = sink
        self._expected = None if token is None else f"Bearer {token}".encode()
        self.max_bytes = max_bytes
        self.budget = Budget(max_in_flight)
        self.stats = ReceiverStats()
        self._stats_lock = threading.Lock()
        # Decoding and writing take turns, across requests and protocols: under the GIL
        # a second thread gains nothing, and costs the one in the database plenty (each
        # database call gives up the GIL and waits up to the switch interval, 5 ms, to get
        # it back from a thread busy decoding). Bodies are still read concurrently.
        self._turn = threading.Lock()

    def count(self, name: str, by: int = 1) -> None:
        with self._stats_lock:
            setattr(self.stats, name, getattr(self.stats, name) + by)

    def authorized(self, header: str | bytes | None) -> bool:
        if self._expected is None:
            return True
        if header is None:
            return False
        given = header.encode("latin-1", "replace") if isinstance(header, str) else header
        return hmac.compare_digest(given, self._expected)

    def decode(self, body: bytes, as_json: bool) -> Decoded:
        try:
            with self._turn:
                return decode_json(body) if as_json else decode_protobuf(body)
        except (OTLPError, RecursionError) as exc:  # malformed: the client's fault
            message = "too deeply nested" if isinstance(exc, RecursionError) else str(exc)
            raise RequestError(400, message) from None

    def write(self, decoded: Decoded) -> ExportTraceServiceResponse:
        """Store what was decoded; spans the store refuses are rejected alone (in the
        answer's partial_success), a store in trouble is a retryable error (503)."""
        stored = len(decoded.records)

        def reject(record: SpanRecord, reason: str) -> None:
            nonlocal stored
            stored -= 1
            decoded.reject(f"span {record.get('span_id', '?')}: {reason}")

        if decoded.records:
            try:
                with self._turn:
                    self._sink(decoded.records, reject=reject)
            except Exception as exc:
                self.count("failed_writes")
                logger.warning("spanwise server: store write failed: %s", exc)
                raise RequestError(
                    503, f"the store cannot take the write now: {exc}", UNAVAILABLE
                ) from exc
        with self._stats_lock:
            self.stats.requests += 1
            self.stats.spans += stored
            self.stats.rejected_spans += decoded.rejected
        response = ExportTraceServiceResponse()
        if decoded.rejected:
            message = "; ".join(decoded.errors)
            if len(message) > _MAX_MESSAGE:
                message = message[:_MAX_MESSAGE] + "..."
            response.partial_success.CopyFrom(
                ExportTracePartialSuccess(rejected_spans=decoded.rejected, error_message=message)
            )
        return response
