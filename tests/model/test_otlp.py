"""OTLP decoding on hostile input: bounded nested values, one broken span rejected alone
(protobuf and JSON), repairs that keep data, and nothing but OTLPError escaping."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path
from typing import Any, cast

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span, Status

from spanwise.common._content import content_settings
from spanwise.common._serialize import TRUNCATION_MARKER
from spanwise.model._otlp import Decoded, OTLPError, decode_json, decode_protobuf
from spanwise.model._otlp_values import MAX_VALUE_DEPTH, TOO_DEEP
from spanwise.model._records import SpanRecord
from spanwise.store._sql import SqlTraceStore

TRACE = bytes(range(1, 17))
START = 1_700_000_000_000_000_000


# -- builders ----------------------------------------------------------------------------


def _pb_span(i: int, **fields: Any) -> Span:
    base: dict[str, Any] = {
        "trace_id": TRACE,
        "span_id": i.to_bytes(8, "big"),
        "name": f"span-{i}",
        "start_time_unix_nano": START + i,
        "end_time_unix_nano": START + i + 1000,
    }
    return Span(**{**base, **fields})


def _pb_request(*spans: Span, resource: Resource | None = None) -> bytes:
    scope = ScopeSpans(scope=InstrumentationScope(name="test"), spans=list(spans))
    rs = ResourceSpans(resource=resource or Resource(), scope_spans=[scope])
    return ExportTraceServiceRequest(resource_spans=[rs]).SerializeToString()


def _json_span(i: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "traceId": TRACE.hex(),
        "spanId": f"{i:016x}",
        "name": f"span-{i}",
        "startTimeUnixNano": str(START + i),
        "endTimeUnixNano": str(START + i + 1000),
    }
    return {**base, **fields}


def _json_request(*spans: Any) -> bytes:
    # ensure_ascii (the default) writes a lone surrogate as its \\ud800 escape.
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}).encode()


def _kv(key: str, value: AnyValue) -> KeyValue:
    return KeyValue(key=key, value=value)


def _nested_kvlist(depth: int, leaf: AnyValue) -> AnyValue:
    value = leaf
    for _ in range(depth):
        value = AnyValue(kvlist_value=KeyValueList(values=[_kv("k", value)]))
    return value


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _len_field(number: int, data: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _envelope(*span_bytes: bytes) -> bytes:
    """An ExportTraceServiceRequest written by hand (protobuf would refuse to build it)."""
    scope = b"".join(_len_field(2, s) for s in span_bytes)
    return _len_field(1, _len_field(2, scope))


def _ids(decoded: Decoded) -> list[int]:
    return [int(r["span_id"], 16) for r in decoded.records]


def _store(tmp_path: Path, records: list[SpanRecord]) -> set[str]:
    """Write through a real SQLite store (no reject hook: any failure raises) and read
    back the span ids stored."""
    db = tmp_path / "store.db"
    store = SqlTraceStore(f"sqlite:///{db}")
    try:
        store.write_records(records)
    finally:
        store.close()
    with sqlite3.connect(db) as conn:
        return {row[0] for row in conn.execute("SELECT span_id FROM spans")}


# -- nested values: converted once, bounded ------------------------------------------------


def test_nested_key_value_lists_are_converted_once(tmp_path: Path) -> None:
    """Depth 22 was 3 GB and 1.7 GB written (escapes doubling per level); now the value
    is one JSON string about the size of the request, with the whole structure."""
    leaf = '"' * 93  # quotes: each level of re-encoding doubled their escapes
    body = _pb_request(
        _pb_span(1, attributes=[_kv("x", _nested_kvlist(22, AnyValue(string_value=leaf)))])
    )
    decoded = decode_protobuf(body)
    value = decoded.records[0]["attributes"]["x"]
    assert isinstance(value, str)
    assert len(value) < 2 * len(body)
    inner: Any = json.loads(value)
    for _ in range(22):
        inner = inner["k"]
    assert inner == leaf
    assert _store(tmp_path, decoded.records) == {f"{1:016x}"}


def test_nesting_past_the_depth_limit_ends_in_the_marker() -> None:
    # Arrays: protobuf itself refuses key-value lists past ~32 levels (3 messages each).
    deep = AnyValue(string_value="leaf")
    for _ in range(MAX_VALUE_DEPTH + 8):
        deep = AnyValue(array_value=ArrayValue(values=[deep]))
    value = decode_protobuf(_pb_request(_pb_span(1, attributes=[_kv("x", deep)])))
    inner: Any = json.loads(value.records[0]["attributes"]["x"])
    for _ in range(MAX_VALUE_DEPTH):
        inner = inner[0]
    assert inner == TOO_DEEP
    assert TOO_DEEP.startswith(TRUNCATION_MARKER)
    # JSON: arrays of arrays, deeper than the limit but within what the parser reads.
    nested: dict[str, Any] = {"stringValue": "leaf"}
    for _ in range(200):
        nested = {"arrayValue": {"values": [nested]}}
    span = _json_span(1, attributes=[{"key": "x", "value": nested}])
    inner = json.loads(decode_json(_json_request(span)).records[0]["attributes"]["x"])
    for _ in range(MAX_VALUE_DEPTH):
        inner = inner[0]
    assert inner == TOO_DEEP


def test_a_nested_value_past_the_size_limit_is_truncated_with_the_marker() -> None:
    limit = content_settings().max_bytes
    big = AnyValue(
        kvlist_value=KeyValueList(
            values=[_kv(f"key{i}", AnyValue(string_value="v" * 1000)) for i in range(limit // 500)]
        )
    )
    value = decode_protobuf(_pb_request(_pb_span(1, attributes=[_kv("x", big)]))).records[0]
    text = value["attributes"]["x"]
    assert len(text.encode()) <= limit
    assert TRUNCATION_MARKER in text or "more keys]" in text
    assert isinstance(json.loads(text), dict)  # still valid JSON


def test_plain_arrays_stay_lists_and_mixed_ones_become_json() -> None:
    plain = AnyValue(
        array_value=ArrayValue(values=[AnyValue(int_value=1), AnyValue(string_value="a")])
    )
    mixed = AnyValue(
        array_value=ArrayValue(
            values=[AnyValue(int_value=1), _nested_kvlist(1, AnyValue(bool_value=True))]
        )
    )
    attrs = decode_protobuf(_pb_request(_pb_span(1, attributes=[_kv("p", plain), _kv("m", mixed)])))
    got = attrs.records[0]["attributes"]
    assert got["p"] == [1, "a"]
    assert json.loads(got["m"]) == [1, {"k": True}]
    json_attrs = decode_json(
        _json_request(
            _json_span(
                1,
                attributes=[
                    {"key": "p", "value": {"arrayValue": {"values": [{"intValue": "7"}]}}},
                    {
                        "key": "kv",
                        "value": {
                            "kvlistValue": {"values": [{"key": "a", "value": {"intValue": 2}}]}
                        },
                    },
                ],
            )
        )
    ).records[0]["attributes"]
    assert json_attrs == {"p": [7], "kv": '{"a":2}'}


# -- spans the store cannot take: rejected alone ---------------------------------------------


def test_json_spans_with_unstorable_times_are_rejected_alone(tmp_path: Path) -> None:
    bad = [
        _json_span(2, startTimeUnixNano=str(2**64 - 1)),
        _json_span(3, startTimeUnixNano=1e30),
        _json_span(4, startTimeUnixNano="1e30"),
        _json_span(5, endTimeUnixNano=str(2**63)),
        _json_span(6, startTimeUnixNano="-5"),
        _json_span(7, startTimeUnixNano=[1]),
        _json_span(8, events=[{"name": "e", "timeUnixNano": str(2**64 - 1)}]),
        _json_span(9, startTimeUnixNano="1_000"),
    ]
    body = _json_request(_json_span(1), *bad, _json_span(10))
    # Infinity and NaN are what Python's json writes for inf/nan: read as not integers.
    body = body.replace(b'"span-1"', b'"span-1", "flags": Infinity')
    body = body.replace(b'"span-10"', b'"span-10", "status": {"code": NaN}')
    decoded = decode_json(body)
    assert _ids(decoded) == [1, 10]
    assert decoded.rejected == len(bad)
    assert "startTimeUnixNano 18446744073709551615 is out of range" in decoded.errors[0]
    assert decoded.errors[0].startswith(f"span {2:016x} 'span-2'")
    assert _store(tmp_path, decoded.records) == {f"{1:016x}", f"{10:016x}"}


def test_protobuf_times_past_int64_are_rejected_alone(tmp_path: Path) -> None:
    body = _pb_request(
        _pb_span(1),
        _pb_span(2, start_time_unix_nano=2**64 - 1),
        _pb_span(3, end_time_unix_nano=2**63),
        _pb_span(4, events=[Span.Event(name="e", time_unix_nano=2**64 - 1)]),
        _pb_span(5, start_time_unix_nano=2**63 - 1, end_time_unix_nano=2**63 - 1),
        # An end before the start breaks nothing (a negative duration): kept as sent.
        _pb_span(6, start_time_unix_nano=2**63 - 1, end_time_unix_nano=1),
    )
    decoded = decode_protobuf(body)
    assert _ids(decoded) == [1, 5, 6]
    assert decoded.rejected == 3
    assert "start_time_unix_nano 18446744073709551615 is out of range" in decoded.errors[0]
    assert _store(tmp_path, decoded.records) == {f"{i:016x}" for i in (1, 5, 6)}


def test_lone_surrogates_and_bad_utf8_in_json_are_repaired(tmp_path: Path) -> None:
    """A lone surrogate has no meaning as text: U+FFFD keeps the span (the store cannot
    encode the surrogate), in every string: names, keys, values, events, status."""
    span = _json_span(
        1,
        name="\ud800 name",
        attributes=[
            {"key": "k\udc00", "value": {"stringValue": "v\ud800"}},
            {
                "key": "nested",
                "value": {
                    "kvlistValue": {"values": [{"key": "\ud801", "value": {"stringValue": "x"}}]}
                },
            },
        ],
        events=[{"name": "e\udfff", "timeUnixNano": str(START)}],
        status={"code": 2, "message": "m\ud800"},
    )
    body = _json_request(span, _json_span(2, name="nul\u0000 and ok"))
    body = body.replace(b"span-", b"span\xff-")  # not UTF-8 either: U+FFFD too
    decoded = decode_json(body)
    assert decoded.rejected == 0, decoded.errors
    first, second = decoded.records
    assert first["name"] == "\ufffd name"
    assert first["attributes"]["k\ufffd"] == "v\ufffd"
    assert json.loads(first["attributes"]["nested"]) == {"\ufffd": "x"}
    assert first["events"][0]["name"] == "e\ufffd"
    assert (first["status"], first["message"]) == ("ERROR", "m\ufffd")
    assert second["name"] == "nul\ufffd and ok"  # PostgreSQL text cannot hold NUL
    assert _store(tmp_path, decoded.records) == {f"{1:016x}", f"{2:016x}"}


# -- protobuf: one bad span, not the whole request ------------------------------------------


def _patch(body: bytes, old: bytes, new: bytes) -> bytes:
    assert body.count(old) == 1 and len(old) == len(new)
    return body.replace(old, new)


def test_invalid_utf8_in_one_protobuf_span_rejects_only_that_span(tmp_path: Path) -> None:
    body = _pb_request(
        _pb_span(1),
        _pb_span(2, name="NAME-BAD"),
        _pb_span(3, attributes=[_kv("key", AnyValue(string_value="VALUE-BAD"))]),
        _pb_span(4, status=Status(code=Status.STATUS_CODE_ERROR, message="STATUS-BAD")),
        _pb_span(5),
        resource=Resource(attributes=[_kv("service.name", AnyValue(string_value="RES-BAD"))]),
    )
    for word in (b"NAME-BAD", b"VALUE-BAD", b"STATUS-BAD", b"RES-BAD"):
        body = _patch(body, word, word[:-3] + b"\xff\xfe\xfd")
    with pytest.raises(Exception, match="parsing"):
        ExportTraceServiceRequest.FromString(body)  # what the fast path meets
    decoded = decode_protobuf(body)
    assert _ids(decoded) == [1, 5]
    assert decoded.rejected == 3
    assert (
        decoded.errors[0]
        == f"span {2:016x} 'NAME-\ufffd\ufffd\ufffd': not a valid OTLP span: its name is not valid UTF-8"
    )
    assert decoded.errors[1].startswith(f"span {3:016x} 'span-3': not a valid OTLP span")
    assert _store(tmp_path, decoded.records) == {f"{1:016x}", f"{5:016x}"}


def test_a_protobuf_span_nested_past_protobufs_limit_is_rejected_alone() -> None:
    inner = _len_field(1, b"leaf")  # AnyValue.string_value
    for _ in range(150):  # upb refuses 100 levels: the whole request, on the fast path
        pair = _len_field(1, b"k") + _len_field(2, inner)  # KeyValue
        inner = _len_field(6, _len_field(1, pair))  # AnyValue.kvlist_value
    deep = _pb_span(2).SerializeToString() + _len_field(
        9, _len_field(1, b"x") + _len_field(2, inner)
    )
    body = _envelope(_pb_span(1).SerializeToString(), deep, _pb_span(3).SerializeToString())
    decoded = decode_protobuf(body)
    assert _ids(decoded) == [1, 3]
    assert decoded.rejected == 1


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff" * 10,  # a varint that never ends
        b"\x0a\x10abc",  # a field longer than the payload
        b"\x0b",  # a group
        b"\x00\x01",  # field number 0
    ],
)
def test_protobuf_that_is_not_wire_format_is_an_otlp_error(payload: bytes) -> None:
    with pytest.raises(OTLPError, match="not an OTLP ExportTraceServiceRequest"):
        decode_protobuf(payload)


def test_truncated_protobuf_is_an_otlp_error() -> None:
    body = _pb_request(*(_pb_span(i) for i in range(1, 4)))
    for cut in (1, 3, len(body) // 2, len(body) - 1):
        with pytest.raises(OTLPError):
            decode_protobuf(body[:cut])


# -- JSON: whole-request errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"[" * 100_000, "nested too deeply"),
        (b'{"resourceSpans": [' * 50_000, "nested too deeply"),
        (b"{", "not JSON"),
        (b'{"a": 1' + b"0" * 5000 + b"}", "not JSON"),  # past Python's int digits limit
        (b"[]", "an object with resourceSpans"),
        (b'{"resourceSpans": 5}', "must be a list"),
    ],
)
def test_unreadable_json_is_an_otlp_error(payload: bytes, message: str) -> None:
    with pytest.raises(OTLPError, match=message):
        decode_json(payload)


def test_wrong_json_types_reject_or_repair_one_span() -> None:
    spans = [
        _json_span(1, name={"a": 1}),  # rejected: a name must be text
        _json_span(2, traceId=12345),  # rejected: ids are hex text
        _json_span(3, flags="x", status="bad", events="none", attributes={"k": "v"}),
        _json_span(
            4,
            attributes=[
                {"key": "i", "value": {"intValue": "1e30"}},  # not an int64: its text kept
                {"key": "d", "value": {"doubleValue": int("9" * 400)}},
                {"key": "b", "value": {"boolValue": "false"}},  # not a bool: dropped
                {"key": 5, "value": {"stringValue": "no key"}},
                {"key": "s", "value": {"stringValue": 12}},
            ],
            events=[5, {"name": "ok", "timeUnixNano": 7}],
        ),
    ]
    decoded = decode_json(_json_request(*spans))
    assert _ids(decoded) == [3, 4]
    assert decoded.rejected == 2
    assert "name must be a string, not dict" in decoded.errors[0]
    assert "traceId must be 32 hex characters" in decoded.errors[1]
    third, fourth = decoded.records
    assert (third["status"], third["events"], third["attributes"]) == ("UNSET", [], {})
    assert fourth["attributes"] == {"i": "1e30", "d": float("inf"), "b": None, "s": "12"}
    assert fourth["events"] == [
        {"name": "ok", "time": 7, "attributes": {}, "dropped_attributes_count": 0}
    ]


# -- fuzz: only OTLPError leaves, what is accepted can be stored ------------------------------

_ODD_VALUES: list[Any] = [
    None, True, -1, 2**64, 1e308, -0.0, "", "x" * 5000, "\ud800", [], [[[]]], {}, {"a": []},
    "1e30", "NaN", float("inf"), float("nan"), {"stringValue": None}, {"arrayValue": 5},
    {"kvlistValue": {"values": [1]}}, {"intValue": 2**70}, {"doubleValue": 10**400},
]  # fmt: skip


def _store_all(tmp_path: Path, records: list[SpanRecord]) -> None:
    """Store every record (fuzzed copies share ids: each gets its own span id here, its
    other fields as decoded) and check that all of them were written."""
    unique = [{**r, "span_id": f"{i + 1:016x}"} for i, r in enumerate(records)]
    assert len(_store(tmp_path, cast("list[SpanRecord]", unique))) == len(unique)


def _mutate_json(node: Any, rng: random.Random) -> Any:
    if rng.random() < 0.08:
        return rng.choice(_ODD_VALUES)
    if isinstance(node, dict):
        return {k: _mutate_json(v, rng) for k, v in node.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(node, list):
        return [_mutate_json(v, rng) for v in node]  # pyright: ignore[reportUnknownVariableType]
    return node


def _rich_json_span(i: int) -> dict[str, Any]:
    return _json_span(
        i,
        parentSpanId=f"{i + 100:016x}",
        flags=0x300,
        status={"code": "STATUS_CODE_ERROR", "message": "boom"},
        attributes=[
            {"key": "s", "value": {"stringValue": "text"}},
            {"key": "i", "value": {"intValue": "42"}},
            {"key": "d", "value": {"doubleValue": 1.5}},
            {"key": "a", "value": {"arrayValue": {"values": [{"boolValue": True}]}}},
            {
                "key": "kv",
                "value": {"kvlistValue": {"values": [{"key": "n", "value": {"intValue": 1}}]}},
            },
        ],
        events=[{"name": "e", "timeUnixNano": str(START), "attributes": []}],
    )


def test_fuzzed_json_raises_only_otlp_error_and_accepted_spans_store(tmp_path: Path) -> None:
    rng = random.Random(11)
    accepted: list[SpanRecord] = []
    for _ in range(300):
        spans = [_rich_json_span(i) for i in range(1, 4)]
        doc = _mutate_json({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}, rng)
        body = json.dumps(doc).encode()
        if rng.random() < 0.3:  # and bytes broken at random
            at = rng.randrange(len(body))
            body = body[:at] + bytes([rng.randrange(256)]) + body[at + 1 :]
        try:
            decoded = decode_json(body)
        except OTLPError:
            continue
        accepted.extend(decoded.records)
    assert len(accepted) > 100  # the fuzz must not only produce garbage
    _store_all(tmp_path, accepted)


def test_fuzzed_protobuf_raises_only_otlp_error(tmp_path: Path) -> None:
    rng = random.Random(11)
    attrs = [
        _kv("s", AnyValue(string_value="text")),
        _kv("kv", _nested_kvlist(3, AnyValue(bytes_value=b"\x00\x01"))),
        _kv("a", AnyValue(array_value=ArrayValue(values=[AnyValue(double_value=2.5)]))),
    ]
    body = _pb_request(
        *(_pb_span(i, attributes=attrs, events=[Span.Event(name="e")]) for i in range(1, 4))
    )
    accepted: list[SpanRecord] = []
    for round_ in range(1500):
        data = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if round_ % 3 == 0:
            data = data[: rng.randrange(len(data))]
        if round_ % 50 == 0:
            data = bytearray(rng.randbytes(rng.randrange(200)))
        try:
            decoded = decode_protobuf(bytes(data))
        except OTLPError:
            continue
        accepted.extend(decoded.records)
    assert len(accepted) > 100
    _store_all(tmp_path, accepted)
