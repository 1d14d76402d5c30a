"""Nothing in OTLP is dropped: resource, scope, kind, links, trace state, flags and
dropped-counts survive OTLP -> store -> OTLP field for field (every dialect), reach the
model and its JSON, and are searchable (``resource.<key>``, ``scope.name``,
``span.kind``). In-process recording keeps them too."""

from __future__ import annotations

import json
from typing import Any

import pytest
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags, TraceState

from spanwise.exporter import SpanwiseStoreExporter
from spanwise.model._model import Trace
from spanwise.model._otlp import decode_protobuf
from spanwise.model._otlp_encode import encode_records
from spanwise.store._filter import parse_filter, parse_order_by
from spanwise.store._match import TraceFields, matches, otel_fields
from spanwise.store._sql import SqlTraceStore

# What the mlflow and openinference dialects add (no span here has such keys of its own).
_DIALECT_KEYS = ("mlflow.", "openinference.", "llm.", "input.", "output.", "tool.", "tag.")
T1, T2 = "5b8efff798038103d269b633813fc60c", "6c9f00a8a9149214e37ac744924ed71d"


def _kv(key: str, value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, list):
        return {
            "key": key,
            "value": {"arrayValue": {"values": [{"stringValue": v} for v in value]}},
        }
    return {"key": key, "value": {"stringValue": value}}


def _span(trace: str, span: str, parent: str, name: str, kind: int, **extra: Any) -> dict[str, Any]:
    return {
        "traceId": bytes.fromhex(trace),
        "spanId": bytes.fromhex(span),
        "parentSpanId": bytes.fromhex(parent) if parent else b"",
        "name": name,
        "kind": kind,
        "startTimeUnixNano": 1_700_000_000_000_000_000 + int(span[-2:], 16),
        "endTimeUnixNano": 1_700_000_000_500_000_000,
        "status": {"code": 1},
        "flags": 0x101,
        **extra,
    }


def _request() -> ExportTraceServiceRequest:
    """Two services; GenAI-convention spans (the store keeps spans in that form)."""
    checkout = {
        "resource": {
            "attributes": [
                _kv("service.name", "checkout"),
                _kv("deployment.environment.name", "prod"),
                _kv("host.name", "web-1"),
                _kv("process.pid", 4242),
            ],
            "droppedAttributesCount": 1,
        },
        "schemaUrl": "https://opentelemetry.io/schemas/1.26.0",
        "scopeSpans": [
            {
                "scope": {
                    "name": "my.agent",
                    "version": "2.1",
                    "attributes": [_kv("lib.flavour", "async")],
                    "droppedAttributesCount": 2,
                },
                "schemaUrl": "https://opentelemetry.io/schemas/1.27.0",
                "spans": [
                    _span(
                        T1,
                        "00000000000000a1",
                        "",
                        "invoke_agent planner",
                        2,  # SERVER
                        traceState="vendor=abc,other=1",
                        attributes=[
                            _kv("gen_ai.operation.name", "invoke_agent"),
                            _kv("gen_ai.agent.name", "planner"),
                            _kv("spanwise.trace.tags.team", "search"),
                            _kv("tags.list", ["a", "b"]),
                        ],
                        droppedAttributesCount=3,
                        droppedEventsCount=4,
                        droppedLinksCount=5,
                        links=[
                            {
                                "traceId": bytes.fromhex(T2),
                                "spanId": bytes.fromhex("00000000000000b1"),
                                "traceState": "k=v",
                                "attributes": [_kv("link.reason", "follows")],
                                "droppedAttributesCount": 6,
                                "flags": 0x301,
                            }
                        ],
                        events=[
                            {
                                "timeUnixNano": 1_700_000_000_100_000_000,
                                "name": "step",
                                "attributes": [_kv("n", 1)],
                                "droppedAttributesCount": 7,
                            }
                        ],
                    ),
                    _span(
                        T1,
                        "00000000000000a2",
                        "00000000000000a1",
                        "chat gpt-4o",
                        3,  # CLIENT
                        attributes=[
                            _kv("gen_ai.operation.name", "chat"),
                            _kv("gen_ai.request.model", "gpt-4o"),
                            _kv("gen_ai.usage.input_tokens", 12),
                        ],
                    ),
                ],
            },
            {  # a second scope, without a version
                "scope": {"name": "httpx"},
                "spans": [_span(T1, "00000000000000a3", "00000000000000a2", "POST", 0)],
            },
        ],
    }
    billing = {
        "resource": {"attributes": [_kv("service.name", "billing")]},
        "scopeSpans": [
            {
                "scope": {"name": "my.agent", "version": "2.1"},
                "spans": [_span(T2, "00000000000000b1", "", "charge", 5, flags=0x300)],  # CONSUMER
            }
        ],
    }
    request = ExportTraceServiceRequest()
    from google.protobuf.json_format import ParseDict

    def b64(message: dict[str, Any]) -> dict[str, Any]:  # ParseDict wants ids in base64
        import base64

        out: dict[str, Any] = {}
        for key, value in message.items():
            if isinstance(value, bytes):
                out[key] = base64.b64encode(value).decode()
            elif isinstance(value, dict):
                out[key] = b64(value)  # pyright: ignore[reportUnknownArgumentType]
            elif isinstance(value, list):
                out[key] = [b64(v) if isinstance(v, dict) else v for v in value]  # pyright: ignore[reportUnknownVariableType]
            else:
                out[key] = value
        return out

    ParseDict(b64({"resourceSpans": [checkout, billing]}), request)
    return request


def _by_span(request: ExportTraceServiceRequest) -> dict[str, Any]:
    """span id -> (its resource, scope and span, as OTLP JSON): grouping order aside."""
    out: dict[str, Any] = {}
    for rs in request.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                out[span.span_id.hex()] = {
                    "resource": MessageToDict(rs.resource),
                    "resource_schema": rs.schema_url,
                    "scope": MessageToDict(ss.scope),
                    "scope_schema": ss.schema_url,
                    "span": MessageToDict(span),
                }
    return out


@pytest.fixture
def stored(store_uri: str) -> Any:
    store = SqlTraceStore(store_uri)
    # Two writes, the root last: the incremental path must keep everything as well.
    records = decode_protobuf(_request().SerializeToString()).records
    store.write_records(records[1:])
    store.write_records(records[:1])
    yield store
    store.close()


def test_otlp_round_trips_through_the_store_field_for_field(stored: SqlTraceStore) -> None:
    sent = _by_span(_request())
    loaded = stored.load_records([f"tr-{T1}", f"tr-{T2}"])
    records = [r for rs in loaded.values() for r in rs]
    assert _by_span(encode_records(records)) == sent
    for dialect, added in (
        ("mlflow", "mlflow.spanType"),
        ("openinference", "openinference.span.kind"),
    ):
        exported = _by_span(encode_records(records, dialect))
        for span_id, original in sent.items():
            again = exported[span_id]
            attributes = again["span"].pop("attributes")
            kept = [a for a in attributes if not a["key"].startswith(_DIALECT_KEYS)]
            if kept:
                again["span"]["attributes"] = kept
            assert again == original, (dialect, span_id)
            assert added in {a["key"] for a in attributes}


def test_the_model_and_its_json_carry_otlp_fields(stored: SqlTraceStore) -> None:
    (trace,) = stored.load([f"tr-{T1}"])
    root = trace.data.root_span
    assert root is not None
    assert (root.kind, root.trace_state, root.flags) == ("SERVER", "vendor=abc,other=1", 0x101)
    assert (root.dropped_attributes_count, root.dropped_events_count, root.dropped_links_count) == (
        3,
        4,
        5,
    )
    assert root.resource is not None and root.resource.attributes == {
        "service.name": "checkout",
        "deployment.environment.name": "prod",
        "host.name": "web-1",
        "process.pid": 4242,
    }
    assert root.resource.dropped_attributes_count == 1
    assert root.scope is not None
    assert (root.scope.name, root.scope.version, root.scope.attributes) == (
        "my.agent",
        "2.1",
        {"lib.flavour": "async"},
    )
    (link,) = root.links
    assert (link.trace_id, link.span_id, link.trace_state, link.flags) == (
        T2,
        "00000000000000b1",
        "k=v",
        0x301,
    )
    assert link.attributes == {"link.reason": "follows"} and link.dropped_attributes_count == 6
    assert root.events[0].dropped_attributes_count == 7
    assert [s.kind for s in trace.data.spans] == ["SERVER", "CLIENT", "UNSPECIFIED"]
    data = json.loads(trace.to_json())
    span = data["data"]["spans"][0]
    assert span["kind"] == "SPAN_KIND_SERVER"
    assert span["links"] == [
        {
            "trace_id": f"tr-{T2}",  # MLflow's Link shape
            "span_id": "00000000000000b1",
            "attributes": {"link.reason": "follows"},
            "trace_state": "k=v",
            "dropped_attributes_count": 6,
            "flags": 0x301,
        }
    ]
    assert span["resource"]["attributes"]["service.name"] == "checkout"
    assert span["scope"]["name"] == "my.agent"
    assert Trace.from_json(trace.to_json()).to_dict() == trace.to_dict()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("resource.`service.name` = 'checkout'", [T1]),
        ("resource.`service.name` IN ('billing', 'nope')", [T2]),
        ("resource.`deployment.environment.name` = 'prod' AND span.kind = 'CLIENT'", [T1]),
        ("resource.`process.pid` = '4242'", [T1]),
        ("resource.`service.name` != 'checkout'", [T2]),
        ("resource.`service.name` LIKE 'b%'", [T2]),
        ("scope.name = 'my.agent'", [T2, T1]),
        ("scope.name = 'httpx'", [T1]),
        ("span.kind = 'consumer'", [T2]),
        ("span.kind = 'SPAN_KIND_SERVER'", [T1]),
        ("span.kind IN ('PRODUCER')", []),
    ],
)
def test_resource_scope_and_kind_are_searchable(
    stored: SqlTraceStore, text: str, expected: list[str]
) -> None:
    comparisons = parse_filter(text)
    found = stored.search_ids(comparisons, parse_order_by(["trace_id DESC"]), None)
    assert found == [f"tr-{t}" for t in expected]
    # The in-memory matcher (recent traces in process) agrees with the SQL.
    in_memory = []
    for trace in stored.load([f"tr-{T2}", f"tr-{T1}"]):
        fields = TraceFields(
            trace.info.trace_id,
            trace.info.state.value,
            None,
            0,
            None,
            {},
            {},
            [],
            **otel_fields(trace),
        )
        if matches(fields, comparisons):
            in_memory.append(trace.info.trace_id)
    assert in_memory == found


def test_in_process_recording_keeps_resource_scope_kind_and_links(tmp_path: Any) -> None:
    uri = f"sqlite:///{tmp_path / 'inproc.db'}"
    exporter = SpanwiseStoreExporter(uri)
    provider = TracerProvider(resource=Resource({"service.name": "inproc", "team": "ml"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("app.module", "0.3", attributes={"scope.k": "v"})
    other = SpanContext(
        int(T2, 16),
        0xB1,
        is_remote=True,
        trace_flags=TraceFlags(1),
        trace_state=TraceState([("a", "1")]),
    )
    with tracer.start_as_current_span(
        "handle", kind=SpanKind.SERVER, links=[Link(other, {"why": "batch"})]
    ) as span:
        trace_id = f"tr-{span.get_span_context().trace_id:032x}"
    store = SqlTraceStore(uri)
    (trace,) = store.load([trace_id])
    (stored_span,) = trace.data.spans
    assert stored_span.kind == "SERVER"
    assert stored_span.resource is not None
    assert stored_span.resource.attributes["service.name"] == "inproc"
    assert stored_span.resource.attributes["team"] == "ml"
    assert stored_span.scope is not None
    assert (stored_span.scope.name, stored_span.scope.version, stored_span.scope.attributes) == (
        "app.module",
        "0.3",
        {"scope.k": "v"},
    )
    (link,) = stored_span.links
    assert (link.trace_id, link.span_id, link.trace_state, link.attributes) == (
        T2,
        "00000000000000b1",
        "a=1",
        {"why": "batch"},
    )
    assert stored_span.flags & 0x100  # the SDK's flags: "is the parent remote" is known
    assert store.search_ids(
        parse_filter("resource.`service.name` = 'inproc'"), parse_order_by(None), None
    ) == [trace_id]
    store.close()
    exporter.shutdown()
    provider.shutdown()


def test_traces_show_names_the_resource_scopes_and_kinds(
    stored: SqlTraceStore, capsys: pytest.CaptureFixture[str]
) -> None:
    from spanwise.server._cli import main

    assert main(["traces", "show", T1, "--tracking-uri", stored.uri]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "tags: team=search"
    assert lines[2] == (
        "resource: service.name=checkout, deployment.environment.name=prod, "
        "host.name=web-1, process.pid=4242"
    )
    assert lines[3] == "scopes: httpx, my.agent 2.1"
    assert lines[4].startswith("└── invoke_agent planner [AGENT]  ")
    assert lines[4].endswith("  SERVER  links 1")
    assert lines[5].endswith("  CLIENT") and lines[6].endswith(" ms")  # UNSPECIFIED: not shown
