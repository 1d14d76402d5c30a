"""The receiver's limits, on real sockets: spans the store cannot take rejected alone,
unread bodies never read as requests, the backlog, half-sent requests timed out, bytes in
flight bounded (429 / RESOURCE_EXHAUSTED), every gzip member read, malformed input a 400
/ INVALID_ARGUMENT, the token checked before decoding."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from spanwise.model._records import SpanRecord
from spanwise.server._receiver import Receiver
from spanwise.store._sql import SqlTraceStore

JSON = "application/json"
PROTOBUF = "application/x-protobuf"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "received.db"


@pytest.fixture
def store(db: Path) -> Iterator[SqlTraceStore]:
    opened = SqlTraceStore(f"sqlite:///{db}")
    yield opened
    opened.close()


def _stored_span_ids(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT span_id FROM spans")]


def _json_span(index: int, **extra: Any) -> dict[str, Any]:
    return {
        "traceId": f"{index // 5 + 1:032x}",
        "spanId": f"{index + 1:016x}",
        "name": f"s{index}",
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        **extra,
    }


def _json_body(*spans: dict[str, Any]) -> bytes:
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}).encode()


def _pb_body(count: int, first: int = 0, **fields: Any) -> bytes:
    times = {
        "start_time_unix_nano": 1_700_000_000_000_000_000,
        "end_time_unix_nano": 1_700_000_001_000_000_000,
    }
    spans = [
        Span(
            trace_id=(i // 5 + 1).to_bytes(16, "big"),
            span_id=(i + 1).to_bytes(8, "big"),
            name=f"s{i}",
            **(times | fields),
        )
        for i in range(first, first + count)
    ]
    request = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=spans)])]
    )
    return request.SerializeToString()


def _request(path: str, body: bytes, kind: str = JSON, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: x", f"Content-Type: {kind}"]
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _responses(sock: socket.socket, count: int, timeout: float = 10) -> list[bytes]:
    """Read ``count`` whole responses (head and Content-Length body), then anything
    else that arrives within 0.5 s (there should be nothing)."""
    data = b""
    out: list[bytes] = []
    deadline = time.monotonic() + timeout
    while len(out) < count and time.monotonic() < deadline:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) >= length:
                out.append(head + sep + rest[:length])
                data = rest[length:]
                continue
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.settimeout(0.5)
    try:
        extra = sock.recv(65536)
    except TimeoutError:
        extra = b""
    if extra:
        out.append(extra)
    return out


# -- rejected alone ----------------------------------------------------------------------


def test_spans_the_store_cannot_take_are_rejected_alone(store: SqlTraceStore, db: Path) -> None:
    """2^64-1 as a start time, 1e30 as a start or end: each rejected in partial_success,
    the neighbours stored (no 503: the client would retry the same request forever); a
    lone surrogate is repaired (U+FFFD) and its span stored."""
    bad = [
        _json_span(1, startTimeUnixNano=str(2**64 - 1)),
        _json_span(2, startTimeUnixNano=1e30),
        _json_span(3, endTimeUnixNano="1e30"),
    ]
    repaired = _json_span(4, name="\ud800 lone")
    good = [_json_span(i) for i in range(10, 30)]
    body = _json_body(*good[:10], *bad, repaired, *good[10:])
    with (
        Receiver(store.write_records, http_port=0, grpc_port=0) as receiver,
        socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as sock,
    ):
        sock.sendall(_request("/v1/traces", body))
        (reply,) = _responses(sock, 1)
        assert reply.startswith(b"HTTP/1.1 200"), reply
        answer = json.loads(reply.partition(b"\r\n\r\n")[2])
        assert answer["partialSuccess"]["rejectedSpans"] == "3"
        # gRPC, protobuf: the largest fixed64 start time.
        with grpc.insecure_channel(f"127.0.0.1:{receiver.grpc_port}") as channel:
            export = channel.unary_unary(
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                response_deserializer=ExportTraceServiceResponse.FromString,
            )
            response = export(
                _pb_body(4, first=100) + _pb_body(1, first=200, start_time_unix_nano=2**64 - 1),
                timeout=10,
            )
        assert response.partial_success.rejected_spans == 1
        assert receiver.stats.rejected_spans == 4
    stored = set(_stored_span_ids(db))
    assert stored == {f"{i + 1:016x}" for i in [4, *range(10, 30), *range(100, 104)]}


def test_a_reject_from_the_sink_is_counted_and_named() -> None:
    kept: list[SpanRecord] = []

    def sink(records: Any, *, reject: Any) -> None:
        for record in records:
            if record["name"] == "s2":
                reject(record, "a value out of range")
            else:
                kept.append(record)

    with Receiver(sink, http_port=0, grpc_port=None) as receiver:
        with socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as sock:
            sock.sendall(_request("/v1/traces", _pb_body(5), PROTOBUF))
            (reply,) = _responses(sock, 1)
        answer = ExportTraceServiceResponse.FromString(reply.partition(b"\r\n\r\n")[2])
        assert answer.partial_success.rejected_spans == 1
        assert "0000000000000003: a value out of range" in answer.partial_success.error_message
        assert (receiver.stats.spans, receiver.stats.rejected_spans) == (4, 1)
    assert [r["name"] for r in kept] == ["s0", "s1", "s3", "s4"]


# -- the HTTP connection -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kind", "token", "status"),
    [
        ("/v1/traces", JSON, "wrong", 401),
        ("/v1/logs", JSON, "t", 404),
        ("/v1/traces", "text/plain", "t", 415),
    ],
)
def test_an_unread_body_is_never_read_as_a_request(
    store: SqlTraceStore, path: str, kind: str, token: str, status: int
) -> None:
    """One request in, one response out: a body left unread by an early answer is
    drained, even when it looks like a request."""
    smuggled = _request("/v1/traces", _json_body(_json_span(7)), Authorization="Bearer t")
    with (
        Receiver(store.write_records, http_port=0, grpc_port=None, token="t") as receiver,
        socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as sock,
    ):
        sock.sendall(_request(path, smuggled, kind, Authorization=f"Bearer {token}"))
        replies = _responses(sock, 1)
        assert len(replies) == 1 and replies[0].startswith(f"HTTP/1.1 {status}".encode())
        # The connection is still usable for the next real request.
        sock.sendall(_request("/v1/traces", _json_body(), Authorization="Bearer t"))
        (reply,) = _responses(sock, 1)
        assert reply.startswith(b"HTTP/1.1 200")
    assert store.count() == 0


def test_300_simultaneous_connections_all_answered(store: SqlTraceStore) -> None:
    """The listen backlog is 1024 (was 5: 222 of 300 were reset)."""
    results: list[bytes] = []
    with Receiver(store.write_records, http_port=0, grpc_port=None) as receiver:
        barrier = threading.Barrier(300)

        def client() -> None:
            barrier.wait(timeout=30)
            try:
                with socket.create_connection(("127.0.0.1", receiver.http_port), timeout=20) as s:
                    s.sendall(_request("/v1/traces", _json_body()))
                    results.append(s.recv(12))
            except OSError as exc:
                results.append(repr(exc).encode())

        threads = [threading.Thread(target=client) for _ in range(300)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert results.count(b"HTTP/1.1 200") == 300, set(results)


def test_half_sent_requests_hold_no_thread_and_are_closed(store: SqlTraceStore) -> None:
    """200 clients that stop mid-head or mid-body: no thread each, all closed after the
    read timeout (408 for a body), and the server keeps serving meanwhile."""
    with Receiver(store.write_records, http_port=0, grpc_port=None, read_timeout=1) as receiver:
        threads_before = threading.active_count()
        socks: list[socket.socket] = []
        try:
            for i in range(200):
                sock = socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10)
                socks.append(sock)
                full = _request("/v1/traces", _json_body(_json_span(i)))
                sock.sendall(full[:20] if i % 2 else full[:-10])  # mid-head / mid-body
            assert threading.active_count() <= threads_before + 2
            with socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as ok:
                ok.sendall(_request("/v1/traces", _json_body()))
                assert ok.recv(12) == b"HTTP/1.1 200"
            answers: dict[bytes, int] = {}
            for sock in socks:
                sock.settimeout(10)
                data = b""
                while chunk := sock.recv(65536):  # ends: the server closes
                    data += chunk
                answers[data[:12]] = answers.get(data[:12], 0) + 1
        finally:
            for sock in socks:
                sock.close()
    assert answers == {b"": 100, b"HTTP/1.1 408": 100}


def test_connections_over_the_bound_are_told_503(store: SqlTraceStore) -> None:
    with Receiver(store.write_records, http_port=0, grpc_port=None, max_connections=20) as rec:
        held = [
            socket.create_connection(("127.0.0.1", rec.http_port), timeout=10) for _ in range(20)
        ]
        try:
            with socket.create_connection(("127.0.0.1", rec.http_port), timeout=10) as extra:
                reply = extra.recv(65536)
            assert reply.startswith(b"HTTP/1.1 503") and b"Retry-After: 1" in reply
        finally:
            for sock in held:
                sock.close()
        deadline = time.monotonic() + 10  # the server sees the closes, then serves again
        while True:
            with socket.create_connection(("127.0.0.1", rec.http_port), timeout=10) as again:
                again.sendall(_request("/v1/traces", _json_body()))
                if again.recv(12) == b"HTTP/1.1 200" or time.monotonic() > deadline:
                    break
            time.sleep(0.05)
        assert rec.stats.throttled >= 1


def test_bytes_in_flight_are_bounded_on_both_protocols() -> None:
    """A request held by the store fills the budget: the next HTTP request is a 429 with
    Retry-After, a gRPC one RESOURCE_EXHAUSTED with a RetryInfo; later both pass."""
    release = threading.Event()
    written: list[str] = []

    def slow_sink(records: Any, *, reject: Any) -> None:
        release.wait(20)
        written.extend(r["span_id"] for r in records)

    big = _pb_body(1, first=0, attributes=[]) + _pb_body(1, first=1)
    size = len(big)
    with Receiver(
        slow_sink, http_port=0, grpc_port=0, max_bytes_in_flight=size + size // 2
    ) as receiver:
        first = socket.create_connection(("127.0.0.1", receiver.http_port), timeout=20)
        try:
            first.sendall(_request("/v1/traces", big, PROTOBUF))
            deadline = time.monotonic() + 10
            while receiver._ingest.budget.held < size and time.monotonic() < deadline:
                time.sleep(0.01)
            with socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as s:
                s.sendall(_request("/v1/traces", big, PROTOBUF))
                (reply,) = _responses(s, 1)
            assert reply.startswith(b"HTTP/1.1 429") and b"retry-after: 1" in reply.lower()
            with socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as s:
                s.sendall(  # chunked: counted as it arrives, and given back when refused
                    b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf"
                    b"\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (size, big)
                )
                assert _responses(s, 1)[0].startswith(b"HTTP/1.1 429")
            with grpc.insecure_channel(f"127.0.0.1:{receiver.grpc_port}") as channel:
                export = channel.unary_unary(
                    "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                    response_deserializer=ExportTraceServiceResponse.FromString,
                )
                with pytest.raises(grpc.RpcError) as raised:
                    export(big, timeout=10)
                error: Any = raised.value
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                details = dict(error.trailing_metadata())["grpc-status-details-bin"]
                retry = RetryInfo()
                assert Status.FromString(details).details[0].Unpack(retry)
                assert retry.retry_delay.seconds == 1
                release.set()
                assert _responses(first, 1)[0].startswith(b"HTTP/1.1 200")
                export(big, timeout=10)  # room again
        finally:
            release.set()
            first.close()
        assert receiver.stats.throttled == 3
        assert receiver._ingest.budget.held == 0  # every request gave back what it held
    assert len(written) == 4


# -- bodies --------------------------------------------------------------------------------


def test_every_gzip_member_is_read(store: SqlTraceStore, db: Path) -> None:
    body = _pb_body(10)
    members = gzip.compress(body[:50]) + gzip.compress(body[50:])
    with (
        Receiver(store.write_records, http_port=0, grpc_port=None) as receiver,
        socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as sock,
    ):
        sock.sendall(_request("/v1/traces", members, PROTOBUF, Content_Encoding="gzip"))
        (reply,) = _responses(sock, 1)
    assert reply.startswith(b"HTTP/1.1 200")
    assert len(_stored_span_ids(db)) == 10


def test_deep_json_is_a_400_and_grpc_garbage_invalid_argument(store: SqlTraceStore) -> None:
    deep = b'{"resourceSpans": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with Receiver(store.write_records, http_port=0, grpc_port=0, token="t") as receiver:
        with socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as sock:
            sock.sendall(_request("/v1/traces", deep, Authorization="Bearer t"))
            (reply,) = _responses(sock, 1)
        assert reply.startswith(b"HTTP/1.1 400"), reply[:200]
        with grpc.insecure_channel(f"127.0.0.1:{receiver.grpc_port}") as channel:
            export = channel.unary_unary(
                "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
                response_deserializer=ExportTraceServiceResponse.FromString,
            )
            for metadata, code in [
                ((("authorization", "Bearer t"),), grpc.StatusCode.INVALID_ARGUMENT),
                ((), grpc.StatusCode.UNAUTHENTICATED),  # checked before decoding
            ]:
                with pytest.raises(grpc.RpcError) as raised:
                    export(b"\xff\xfe not protobuf", metadata=metadata, timeout=10)
                error: Any = raised.value
                assert error.code() == code
    assert store.count() == 0


def test_a_client_that_leaves_mid_body_is_one_log_line(
    store: SqlTraceStore, caplog: pytest.LogCaptureFixture
) -> None:
    with Receiver(store.write_records, http_port=0, grpc_port=None) as receiver:
        with caplog.at_level(logging.INFO):
            with socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as s:
                s.sendall(_request("/v1/traces", _json_body(_json_span(1)))[:-5])
                time.sleep(0.2)
            deadline = time.monotonic() + 10
            while not caplog.records and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", receiver.http_port), timeout=10) as s:
            s.sendall(_request("/v1/traces", _json_body()))
            assert s.recv(12) == b"HTTP/1.1 200"
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["spanwise server: a client went away before sending its whole request"]
    assert all(r.exc_info is None for r in caplog.records)
