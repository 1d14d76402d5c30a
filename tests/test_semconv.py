"""spanwise.semconv against the GenAI model in ../shared/semconv-genai."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import spanwise
from spanwise.entities import SpanType
from spanwise.semconv import GenAIAttributes, OperationName, ProviderName

import semconv_check

pytestmark = pytest.mark.skipif(
    not semconv_check.available(), reason="../shared/semconv-genai is absent"
)


def _constants(cls: type) -> dict[str, str]:
    return {k: v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str)}


def test_every_attribute_name_is_in_the_registry() -> None:
    names = _constants(GenAIAttributes)
    assert len(names) > 40
    missing = sorted(v for v in names.values() if v not in semconv_check.registry())
    assert missing == []
    assert not set(names.values()) & semconv_check.deprecated()


def test_enum_values_are_the_registrys() -> None:
    assert set(_constants(OperationName).values()) == semconv_check.enum_values(
        "gen_ai.operation.name"
    )
    providers = set(_constants(ProviderName).values()) - {ProviderName.DATABRICKS}
    assert providers <= semconv_check.enum_values("gen_ai.provider.name")


def test_manual_spans_conform(exporter: InMemorySpanExporter) -> None:
    for kind in SpanType:

        @spanwise.trace(span_type=kind, name=f"step_{kind.value.lower()}")
        def step(x: dict[str, int]) -> list[int]:
            return [x["a"]]

        step({"a": 1})
    checked = sum(
        semconv_check.check_attributes(dict(s.attributes or {}))
        for s in exporter.get_finished_spans()
    )
    assert checked >= 10  # operation names, tool name/arguments/result, agent name
