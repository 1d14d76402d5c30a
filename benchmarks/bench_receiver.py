"""The receiver's ingest rate over OTLP/HTTP into SQLite, and translation-in per span.

Ingest: ``spanwise server``'s receiver runs in this process on a fresh SQLite store;
a client *process* posts OTLP/HTTP protobuf requests of 512 spans (5-span traces, the
span mix below, a resource of 8 attributes and a scope as an SDK sends them) as fast as answers come back, on 2 connections. The figure is spans
stored per second of wall time (the receiver answers after the write).

Translation-in: the average cost of ``canonical_record`` + ``span_from_record`` over a
mix of conventions (spanwise/GenAI, OpenInference, OpenLLMetry, MLflow, deprecated
GenAI), the work the receiver and the readers do per span.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SPANS_PER_REQUEST = 512
# What an OTel SDK sends with every request (the store files it once).
_RESOURCE = {
    "service.name": "checkout",
    "service.version": "1.4.2",
    "deployment.environment.name": "prod",
    "host.name": "web-7",
    "process.pid": 4242,
    "telemetry.sdk.name": "opentelemetry",
    "telemetry.sdk.language": "python",
    "telemetry.sdk.version": "1.38.0",
}
REQUESTS = 60  # per client connection


def _attributes(kind: int) -> dict[str, Any]:
    messages = [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]
    if kind == 0:  # spanwise / GenAI, as the OpenAI instrumentor writes it
        return {
            "spanwise.span.type": "CHAT_MODEL",
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.usage.output_tokens": 9,
            "gen_ai.input.messages": json.dumps(messages),
        }
    if kind == 1:  # OpenInference
        return {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.input_messages.0.message.role": "user",
            "llm.input_messages.0.message.content": "Weather in Paris?",
            "llm.output_messages.0.message.role": "assistant",
            "llm.output_messages.0.message.content": "Sunny",
            "llm.token_count.prompt": 12,
            "llm.token_count.completion": 9,
            "input.value": '{"messages": []}',
            "input.mime_type": "application/json",
        }
    if kind == 2:  # OpenLLMetry, indexed form
        return {
            "traceloop.span.kind": "task",
            "traceloop.entity.name": "plan",
            "traceloop.entity.input": '{"args": [], "kwargs": {"city": "Paris"}}',
            "traceloop.entity.output": '"ok"',
        }
    if kind == 3:  # MLflow
        return {
            "mlflow.spanType": '"TOOL"',
            "mlflow.spanInputs": '{"city": "Paris"}',
            "mlflow.spanOutputs": '{"temp": 21}',
        }
    return {  # deprecated GenAI
        "gen_ai.system": "openai",
        "gen_ai.operation.name": "chat",
        "gen_ai.usage.prompt_tokens": 12,
        "gen_ai.usage.completion_tokens": 9,
    }


def translation_in(spans: int = 20_000) -> dict[str, Any]:
    from spanwise.model._conventions import canonical_record
    from spanwise.model._translate import span_from_record

    records: list[Any] = [
        {
            "v": 1,
            "trace_id": f"{i // 5 + 1:032x}",
            "span_id": f"{i + 1:016x}",
            "parent_id": None,
            "remote_parent": False,
            "name": "s",
            "start": 1,
            "end": 2,
            "status": "OK",
            "message": "",
            "attributes": _attributes(i % 5),
            "events": [],
        }
        for i in range(spans)
    ]
    rounds: list[float] = []
    for _ in range(5):
        start = time.perf_counter()
        for record in records:
            span_from_record(canonical_record(record))
        rounds.append((time.perf_counter() - start) / spans * 1e6)
    return {
        "what": "translation-in, us per span (mix of 5 conventions)",
        "result": f"{statistics.median(rounds):.1f} us (spread {min(rounds):.1f}-{max(rounds):.1f})",
        "target": "<= 5 us",
    }


def _client(port: int, requests: int, client: int = 0) -> None:
    """The client process: builds the payloads first, then posts them back to back
    (span and trace ids of its own: ``client`` numbers it)."""
    import http.client

    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import (
        AnyValue,
        InstrumentationScope,
        KeyValue,
    )
    from opentelemetry.proto.resource.v1.resource_pb2 import Resource
    from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

    def value(v: Any) -> AnyValue:
        if isinstance(v, bool):
            return AnyValue(bool_value=v)
        if isinstance(v, int):
            return AnyValue(int_value=v)
        return AnyValue(string_value=str(v))

    payloads: list[bytes] = []
    counter = (client + 1) * 10_000_000
    for _ in range(requests):
        spans: list[Span] = []
        for i in range(SPANS_PER_REQUEST):
            counter += 1
            trace = (counter // 5 + 1).to_bytes(16, "big")
            parent = b"" if i % 5 == 0 else (counter - i % 5).to_bytes(8, "big")
            spans.append(
                Span(
                    trace_id=trace,
                    span_id=counter.to_bytes(8, "big"),
                    parent_span_id=parent,
                    name=f"span-{i % 5}",
                    kind=Span.SpanKind.SPAN_KIND_CLIENT
                    if i % 5
                    else Span.SpanKind.SPAN_KIND_SERVER,
                    start_time_unix_nano=1_700_000_000_000_000_000 + i,
                    end_time_unix_nano=1_700_000_000_100_000_000 + i,
                    attributes=[
                        KeyValue(key=k, value=value(v)) for k, v in _attributes(i % 5).items()
                    ],
                )
            )
        request = ExportTraceServiceRequest(
            resource_spans=[
                ResourceSpans(
                    resource=Resource(
                        attributes=[KeyValue(key=k, value=value(v)) for k, v in _RESOURCE.items()]
                    ),
                    scope_spans=[
                        ScopeSpans(
                            scope=InstrumentationScope(name="spanwise", version="0.1"),
                            spans=spans,
                        )
                    ],
                )
            ]
        )
        payloads.append(request.SerializeToString())
    print("ready", flush=True)
    sys.stdin.readline()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for body in payloads:
        conn.request(
            "POST", "/v1/traces", body=body, headers={"Content-Type": "application/x-protobuf"}
        )
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"status {response.status}")
    conn.close()


def receiver_ingest(clients: int = 2) -> dict[str, Any]:
    from spanwise.server._receiver import Receiver
    from spanwise.store._sql import SqlTraceStore

    with tempfile.TemporaryDirectory(prefix="spanwise-receiver-") as tmp:
        store = SqlTraceStore(f"sqlite:///{Path(tmp) / 'r.db'}")
        with Receiver(store.write_records, http_port=0, grpc_port=None) as receiver:
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "client",
                        str(receiver.http_port),
                        str(REQUESTS),
                        str(client),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for client in range(clients)
            ]
            for proc in procs:  # payloads built before the clock starts
                assert proc.stdout is not None
                assert proc.stdout.readline().strip() == "ready"
            start = time.perf_counter()
            for proc in procs:
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for proc in procs:
                proc.wait(timeout=600)
                if proc.returncode:
                    raise RuntimeError("receiver benchmark client failed")
            elapsed = time.perf_counter() - start
            stored = receiver.stats.spans
        store.close()
    return {
        "what": f"receiver ingest, OTLP/HTTP protobuf -> SQLite ({clients} clients, "
        f"{SPANS_PER_REQUEST} spans/request)",
        "result": f"{stored / elapsed:,.0f} spans/s ({stored} spans in {elapsed:.1f} s)",
        "target": ">= 40,000 spans/s",
    }


def run() -> list[dict[str, Any]]:
    return [translation_in(), receiver_ingest()]


if __name__ == "__main__":
    if sys.argv[1:2] == ["client"]:
        _client(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
    else:
        for row in run():
            print(row)
