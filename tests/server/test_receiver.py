"""The OTLP receiver: real OTel exporters in (HTTP protobuf, JSON, gzip, gRPC), the store
out; every kind of bad request answered with a 4xx and a message, nothing lost."""

from __future__ import annotations

import gzip
import http.client
import json
import random
import socket
import sqlite3
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from google.rpc.status_pb2 import Status
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

from spanwise.server._receiver import Receiver
from spanwise.store._filter import parse_filter, parse_order_by
from spanwise.store._sql import SqlTraceStore

TOKEN = "s3cret-token"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlTraceStore]:
    db = SqlTraceStore(f"sqlite:///{tmp_path / 'received.db'}")
    yield db
    db.close()


@pytest.fixture
def receiver(store: SqlTraceStore) -> Iterator[Receiver]:
    with Receiver(store.write_records, http_port=0, grpc_port=0, max_bytes=1 << 20) as running:
        yield running


def _send(exporter: SpanExporter, name: str = "agent") -> tuple[str, bool]:
    """One OpenInference-style agent trace (root + LLM child) through ``exporter``."""
    results: list[SpanExportResult] = []

    class Recording(SimpleSpanProcessor):
        def on_end(self, span: Any) -> None:
            results.append(exporter.export([span]))

    provider = TracerProvider()
    provider.add_span_processor(Recording(exporter))
    tracer = provider.get_tracer("test")
    with (
        tracer.start_as_current_span(
            name, attributes={"openinference.span.kind": "AGENT", "input.value": "weather?"}
        ) as root,
        tracer.start_as_current_span(
            "llm",
            attributes={
                "openinference.span.kind": "LLM",
                "llm.input_messages.0.message.role": "user",
                "llm.input_messages.0.message.content": "weather?",
                "llm.token_count.prompt": 3,
            },
        ),
    ):
        pass
    provider.shutdown()
    trace_id = f"tr-{root.get_span_context().trace_id:032x}"
    return trace_id, all(r is SpanExportResult.SUCCESS for r in results)


def _all(store: SqlTraceStore) -> list[Any]:
    return store.search(parse_filter(None), parse_order_by(None), None)


def _post(
    receiver: Receiver, body: bytes, headers: dict[str, str], path: str = "/v1/traces"
) -> tuple[int, bytes, Message]:
    conn = http.client.HTTPConnection("127.0.0.1", receiver.http_port, timeout=10)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.headers
    finally:
        conn.close()


def _json_payload(*spans: dict[str, Any]) -> bytes:
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}).encode()


def _json_span(trace_id: str, span_id: str, name: str = "s", **extra: Any) -> dict[str, Any]:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": name,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000001000000000",
        "attributes": [
            {"key": "mlflow.spanType", "value": {"stringValue": '"CHAIN"'}},
            {"key": "n", "value": {"intValue": "3"}},
        ],
        **extra,
    }


# -- good requests ---------------------------------------------------------------------


def test_http_protobuf_gzip_and_grpc_reach_the_store(
    receiver: Receiver, store: SqlTraceStore
) -> None:
    http_id, ok1 = _send(HttpExporter(endpoint=f"http://127.0.0.1:{receiver.http_port}/v1/traces"))
    gzip_id, ok2 = _send(
        HttpExporter(
            endpoint=f"http://127.0.0.1:{receiver.http_port}/v1/traces",
            compression=Compression.Gzip,
        )
    )
    grpc_id, ok3 = _send(GrpcExporter(endpoint=f"127.0.0.1:{receiver.grpc_port}", insecure=True))
    assert ok1 and ok2 and ok3
    for trace_id in (http_id, gzip_id, grpc_id):
        trace = store.get_trace(trace_id)
        assert trace is not None
        root, llm = sorted(trace.data.spans, key=lambda s: s.name)
        assert (root.span_type, root.inputs) == ("AGENT", "weather?")  # translated in
        assert llm.span_type == "CHAT_MODEL"
        assert llm.attributes["gen_ai.input.messages"] == [
            {"role": "user", "parts": [{"type": "text", "content": "weather?"}]}
        ]
        assert llm.inputs["messages"] == [{"role": "user", "content": "weather?"}]  # MLflow's
        assert llm.attributes["gen_ai.usage.input_tokens"] == 3
    assert receiver.stats.spans == 6


def test_json_request_and_partial_success(receiver: Receiver, store: SqlTraceStore) -> None:
    good = _json_span("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174")
    bad = _json_span("not-hex", "eee19b7ec3c1b175", name="broken")
    status, body, _ = _post(
        receiver, _json_payload(good, bad), {"Content-Type": "application/json"}
    )
    assert status == 200
    answer = json.loads(body)
    assert answer["partialSuccess"]["rejectedSpans"] == "1"
    assert "traceId must be 32 hex characters" in answer["partialSuccess"]["errorMessage"]
    trace = store.get_trace("tr-5b8efff798038103d269b633813fc60c")
    assert trace is not None
    span = trace.data.spans[0]
    assert (span.span_type, span.attributes["n"]) == ("CHAIN", 3)


def test_bearer_token(store: SqlTraceStore) -> None:
    with Receiver(store.write_records, http_port=0, grpc_port=0, token=TOKEN) as guarded:
        url = f"http://127.0.0.1:{guarded.http_port}/v1/traces"
        _, ok = _send(HttpExporter(endpoint=url))
        assert not ok
        _, ok = _send(HttpExporter(endpoint=url, headers={"Authorization": "Bearer wrong"}))
        assert not ok
        _, ok = _send(GrpcExporter(endpoint=f"127.0.0.1:{guarded.grpc_port}", insecure=True))
        assert not ok
        assert _all(store) == []
        good, ok = _send(HttpExporter(endpoint=url, headers={"Authorization": f"Bearer {TOKEN}"}))
        assert ok
        grpc_good, ok = _send(
            GrpcExporter(
                endpoint=f"127.0.0.1:{guarded.grpc_port}",
                insecure=True,
                headers=(("authorization", f"Bearer {TOKEN}"),),
            )
        )
        assert ok
        assert {t.info.trace_id for t in _all(store)} == {good, grpc_good}
        status, body, headers = _post(guarded, b"", {"Content-Type": "application/x-protobuf"})
        assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
        assert "bearer token" in Status.FromString(body).message


# -- bad requests ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "path", "status", "message"),
    [
        (b"\xff\xfe garbage", {"Content-Type": "application/x-protobuf"}, None, 400, "not an OTLP"),
        (b"{not json", {"Content-Type": "application/json"}, None, 400, "not JSON"),
        (b"[]", {"Content-Type": "application/json"}, None, 400, "resourceSpans"),
        (b"x", {"Content-Type": "text/plain"}, None, 415, "Content-Type must be"),
        (b"x", {}, None, 415, "Content-Type must be"),
        (b"x", {"Content-Type": "application/x-protobuf"}, "/v1/metrics", 404, "/v1/traces"),
        (
            b"not gzip",
            {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
            None,
            400,
            "bad gzip body",
        ),
        (
            gzip.compress(b"x")[:-6],
            {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
            None,
            400,
            "truncated gzip",
        ),
        (
            b"x",
            {"Content-Type": "application/x-protobuf", "Content-Encoding": "br"},
            None,
            415,
            "br",
        ),
        (
            gzip.compress(b"\0" * (2 << 20)),  # a small body that inflates past the limit
            {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"},
            None,
            413,
            "decompressed body exceeds",
        ),
        (b"\0" * ((1 << 20) + 1), {"Content-Type": "application/x-protobuf"}, None, 413, "limit"),
        (  # declared far past the limit: answered without reading it, then closed
            b"\0" * 10,
            {"Content-Type": "application/x-protobuf", "Content-Length": str(3 << 20)},
            None,
            413,
            "limit",
        ),
    ],
)
def test_bad_requests_get_a_4xx_and_a_message(
    receiver: Receiver,
    store: SqlTraceStore,
    body: bytes,
    headers: dict[str, str],
    path: str | None,
    status: int,
    message: str,
) -> None:
    got, answer, reply_headers = _post(receiver, body, headers, path or "/v1/traces")
    assert got == status
    if reply_headers.get("Content-Type") == "application/json":
        text = json.loads(answer)["message"]
    else:
        text = Status.FromString(answer).message
    assert message in text
    # Still serving, and nothing was written.
    assert _post(receiver, _json_payload(), {"Content-Type": "application/json"})[0] == 200
    assert _all(store) == []


def _read_all(sock: socket.socket) -> bytes:
    reply = b""
    for _ in range(100):  # bounded: the server closes after answering
        chunk = sock.recv(65536)
        if not chunk:
            break
        reply += chunk
    return reply


def test_body_shorter_than_its_length_gets_408_after_the_read_timeout(
    store: SqlTraceStore,
) -> None:
    """A Content-Length larger than the body: a bounded wait (read_timeout), then 408 and
    the connection closed; an empty body is a 400, a chunked one is read."""
    with Receiver(store.write_records, http_port=0, grpc_port=None, read_timeout=1) as short:
        with socket.create_connection(("127.0.0.1", short.http_port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\n"
                b"Content-Length: 100\r\n\r\nshort"
            )
            reply = _read_all(sock)  # returns: the server closes after answering
        assert reply.startswith(b"HTTP/1.1 408") and b"5 of 100 bytes" in reply
        with socket.create_connection(("127.0.0.1", short.http_port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n"
            )
            assert sock.recv(65536).startswith(b"HTTP/1.1 400")
        body = _json_payload(_json_span("5b8efff798038103d269b633813fc60e", "eee19b7ec3c1b174"))
        with socket.create_connection(("127.0.0.1", short.http_port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n"
                + b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:]))
                + b"0\r\n\r\n"
            )
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    assert store.get_trace("tr-5b8efff798038103d269b633813fc60e") is not None


def test_store_failure_is_retryable_and_loses_nothing(store: SqlTraceStore) -> None:
    failing = [True]

    def sink(records: Any, *, reject: Any) -> None:
        if failing[0]:
            raise RuntimeError("database is locked")
        store.write_records(records, reject=reject)

    with Receiver(sink, http_port=0, grpc_port=None) as flaky:
        payload = _json_payload(_json_span("5b8efff798038103d269b633813fc60d", "eee19b7ec3c1b174"))
        status, body, headers = _post(flaky, payload, {"Content-Type": "application/json"})
        assert (status, headers["Retry-After"]) == (503, "1")
        assert "database is locked" in json.loads(body)["message"]
        failing[0] = False  # the client retries, as OTLP clients do on 503
        assert _post(flaky, payload, {"Content-Type": "application/json"})[0] == 200
    assert [t.info.trace_id for t in _all(store)] == ["tr-5b8efff798038103d269b633813fc60d"]


def test_fuzz_bad_payloads_between_good_ones(receiver: Receiver, store: SqlTraceStore) -> None:
    """Fixed seed: 2,000 bad requests (random bytes, mutated OTLP, wrong headers)
    interleaved with 200 good ones; every good span is stored, the server keeps serving."""
    rng = random.Random(20261124)
    good_template = _json_payload(_json_span("f" * 32, "f" * 16))  # ids apart from the good ones
    kinds = ["application/x-protobuf", "application/json", "text/plain", ""]
    good_ids: list[str] = []
    for round_ in range(200):
        for _ in range(10):
            body = bytearray(
                good_template if rng.random() < 0.5 else rng.randbytes(rng.randint(0, 300))
            )
            for _ in range(rng.randint(1, 8)):
                if body:
                    body[rng.randrange(len(body))] = rng.randrange(256)
            headers = {"Content-Type": rng.choice(kinds)}
            if rng.random() < 0.1:
                headers["Content-Encoding"] = "gzip"
            status, _, _ = _post(receiver, bytes(body), headers)
            assert status in (200, 400, 413, 415), status
        trace_id = f"{round_ + 1:032x}"
        good = _json_payload(_json_span(trace_id, f"{round_ + 1:016x}", name=f"good-{round_}"))
        assert _post(receiver, good, {"Content-Type": "application/json"})[0] == 200
        good_ids.append(f"tr-{trace_id}")
    stored = {t.info.trace_id for t in _all(store)}
    assert set(good_ids) <= stored
    for trace_id in good_ids[::20]:
        trace = store.get_trace(trace_id)
        assert trace is not None and trace.data.spans[0].name.startswith("good-")


def test_protobuf_response_is_otlp(receiver: Receiver) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    status, body, _ = _post(
        receiver,
        ExportTraceServiceRequest().SerializeToString(),
        {"Content-Type": "application/x-protobuf"},
    )
    assert status == 200
    assert not ExportTraceServiceResponse.FromString(body).HasField("partial_success")


def test_stop_is_idempotent(store: SqlTraceStore) -> None:
    running = Receiver(store.write_records, http_port=0, grpc_port=0).start()
    running.stop()
    running.stop()


@pytest.mark.parametrize("flag", ["--http-port", "--grpc-port"])
def test_server_command_line_mistakes_are_one_line_and_exit_2(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from spanwise.server._cli import main

    db = ["--tracking-uri", str(tmp_path / "r.db")]
    with pytest.raises(SystemExit) as exited:
        main(["server", flag, "99999", *db])
    assert exited.value.code == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert flag in line and "99999" in line
    with socket.socket() as taken:  # a port someone else listens on
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        other = "--grpc-port" if flag == "--http-port" else "--http-port"
        assert main(["server", flag, str(port), other, "0", *db]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith(f"spanwise server: error: argument {flag}: ") and f":{port}: " in line
    assert "Address already in use" in line and captured.out == ""


# -- load ----------------------------------------------------------------------------------


def test_clients_in_parallel_all_stored_once(store: SqlTraceStore, tmp_path: Path) -> None:
    """4 clients (the real OTLP/HTTP exporter, batches of 500) x 2,000 spans: every span
    stored exactly once. (Full scale, 4 x 50,000, is in the report / benchmarks.)"""
    with Receiver(store.write_records, http_port=0, grpc_port=None) as receiver:
        endpoint = f"http://127.0.0.1:{receiver.http_port}/v1/traces"

        def client(n: int) -> None:
            provider = TracerProvider()
            provider.add_span_processor(
                BatchSpanProcessor(
                    HttpExporter(endpoint=endpoint, timeout=30),
                    max_queue_size=4000,
                    max_export_batch_size=500,
                    schedule_delay_millis=50,
                )
            )
            tracer = provider.get_tracer("load")
            for i in range(2000):
                with tracer.start_as_current_span(f"c{n}-{i}"):
                    pass
            provider.shutdown()

        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert receiver.stats.spans == 8000
    with sqlite3.connect(tmp_path / "received.db") as conn:
        ids = [row[0] for row in conn.execute("SELECT span_id FROM spans")]
    assert len(ids) == len(set(ids)) == 8000
