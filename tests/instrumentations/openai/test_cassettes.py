"""Replays of real OpenAI traffic (../shared/cassettes) through the instrumented SDK.

Every recorded chat, responses, embeddings and legacy-completions call is sent again by
the real openai SDK to a loopback server that answers with the recording; the span must
agree with the recorded response (id, model, usage, errors) and conform to the GenAI
model. Skipped with the reason where ../shared is absent.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openai
import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import semconv_check
from cassette_server import CassetteServer, load, request_json, response_body

pytestmark = pytest.mark.slow

SHARED = Path(__file__).resolve().parents[4] / "shared" / "cassettes"
DIRS = [SHARED / "otel-contrib" / "openai-v2", SHARED / "openllmetry" / "openai"]
KINDS = {
    "chat/completions": "chat",
    "responses": "responses",
    "embeddings": "embeddings",
    "completions": "completions",
}


def _kind(interaction: dict[str, Any]) -> str | None:
    path = urlsplit(interaction["request"]["uri"]).path
    for suffix, kind in KINDS.items():
        if path.endswith("/" + suffix):
            return kind
    return None


def _cases() -> list[Any]:
    if not SHARED.is_dir():
        return [
            pytest.param(
                None, marks=pytest.mark.skip(reason=f"{SHARED} is absent: no recorded traffic")
            )
        ]
    cases = []
    for directory in DIRS:
        for path in sorted(directory.rglob("*.yaml")):
            interactions = load(path)
            usable = interactions and all(
                _kind(i) and i["request"]["method"] == "POST" and request_json(i)
                for i in interactions
            )
            if usable:
                cases.append(pytest.param(path, id=str(path.relative_to(SHARED))))
    return cases


def _method(client: Any, kind: str) -> Any:
    return {
        "chat": client.chat.completions.create,
        "responses": getattr(getattr(client, "responses", None), "create", None),
        "embeddings": client.embeddings.create,
        "completions": client.completions.create,
    }[kind]


def _expected(interaction: dict[str, Any]) -> dict[str, Any]:
    """What the recording says, read independently of spanwise's extractors."""
    response = interaction["response"]
    status = int(response["status"]["code"])
    text = response_body(response).decode(errors="replace")
    documents: list[dict[str, Any]] = []
    if text.lstrip().startswith(("data:", "event:")):
        for line in text.splitlines():
            if line.startswith("data:") and line[5:].strip() not in ("", "[DONE]"):
                documents.append(json.loads(line[5:]))
    elif text.strip():
        with contextlib.suppress(ValueError):  # a non-JSON error page
            documents.append(json.loads(text))
    expected: dict[str, Any] = {"status": status}
    for document in documents:
        # Responses API events carry the response object inside.
        doc = document["response"] if isinstance(document.get("response"), dict) else document
        if (
            doc.get("id")
            and "id" not in expected
            and not str(doc["id"]).startswith(("msg_", "fc_"))
        ):
            expected["id"] = doc["id"]
        usage = doc.get("usage") or {}
        for key in ("prompt_tokens", "input_tokens"):
            if isinstance(usage.get(key), int):
                expected["input_tokens"] = usage[key]
    return expected


@pytest.mark.parametrize("cassette", _cases())
def test_recorded_traffic(cassette: Path, autolog: None, exporter: InMemorySpanExporter) -> None:
    interactions = load(cassette)
    with CassetteServer(interactions) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="test", max_retries=0)
        for interaction in interactions:
            kind = _kind(interaction)
            assert kind is not None
            method = _method(client, kind)
            if method is None:
                pytest.skip(f"this openai ({openai.__version__}) has no Responses API")
            body = request_json(interaction) or {}
            known = set(inspect.signature(method).parameters)
            kwargs = {k: v for k, v in body.items() if k in known}
            extra = {k: v for k, v in body.items() if k not in known}
            if extra:
                kwargs["extra_body"] = extra
            try:
                result = method(**kwargs)
                if body.get("stream"):
                    for _ in result:
                        pass
            except openai.APIError:
                assert int(interaction["response"]["status"]["code"]) >= 400
        assert server.unmatched == []
    spans = [
        s
        for s in exporter.get_finished_spans()
        if s.instrumentation_scope
        and s.instrumentation_scope.name == "spanwise.instrumentations.openai"
    ]
    assert len(spans) == len(interactions)
    for span, interaction in zip(spans, interactions, strict=True):
        attrs = dict(span.attributes or {})
        if semconv_check.available():
            semconv_check.check_attributes(attrs)
        expected = _expected(interaction)
        if expected["status"] >= 400:
            assert span.status.status_code.name == "ERROR"
            assert "error.type" in attrs
            continue
        assert span.status.status_code.name == "UNSET"
        if "id" in expected and _kind(interaction) != "embeddings":
            assert attrs.get("gen_ai.response.id") == expected["id"]
        if "input_tokens" in expected:
            assert attrs.get("gen_ai.usage.input_tokens") == expected["input_tokens"]
