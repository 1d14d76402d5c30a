"""gen_ai.client.operation.duration and gen_ai.client.token.usage, with a MeterProvider."""

from __future__ import annotations

import sys
from typing import Any

import openai
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

from spanwise.instrumentations.openai import OpenAIInstrumentor

from _support import clean_env, run_child


def _points(reader: InMemoryMetricReader) -> dict[str, list[Any]]:
    data = reader.get_metrics_data()
    assert data is not None
    out: dict[str, list[Any]] = {}
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                out[metric.name] = list(metric.data.data_points)
    return out


def test_duration_and_token_histograms(fake_server: Any) -> None:
    reader = InMemoryMetricReader()
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(
        tracer_provider=TracerProvider(), meter_provider=MeterProvider([reader])
    )
    try:
        client = openai.OpenAI(base_url=fake_server.base_url, api_key="k", max_retries=0)
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(
                model="error-404", messages=[{"role": "user", "content": "hi"}]
            )
    finally:
        instrumentor.uninstrument()
    points = _points(reader)
    durations = {
        p.attributes.get("error.type"): p for p in points["gen_ai.client.operation.duration"]
    }
    ok, failed = durations[None], durations["NotFoundError"]
    assert ok.count == 1 and 0 < ok.sum < 5
    assert ok.attributes["gen_ai.operation.name"] == "chat"
    assert ok.attributes["gen_ai.provider.name"] == "openai"
    assert ok.attributes["gen_ai.request.model"] == "gpt-4o-mini"
    assert ok.attributes["gen_ai.response.model"] == "gpt-4o-mini-2024-07-18"
    assert failed.attributes["gen_ai.request.model"] == "error-404"
    tokens = {p.attributes["gen_ai.token.type"]: p for p in points["gen_ai.client.token.usage"]}
    assert (tokens["input"].sum, tokens["output"].sum) == (12, 9)
    assert list(ok.explicit_bounds)[:3] == [0.01, 0.02, 0.04]


LATE_PROVIDER_APP = """
import os, sys, openai
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from spanwise.instrumentations.openai import OpenAIInstrumentor

OpenAIInstrumentor().instrument()  # before the app sets a MeterProvider
client = openai.OpenAI(base_url=sys.argv[1], api_key="k", max_retries=0)
ask = lambda: client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
)
ask()  # no MeterProvider yet: nothing to record into
reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider([reader]))
ask()
ask()
counts = {
    m.name: sum(p.count if hasattr(p, "count") else 1 for p in m.data.data_points)
    for r in reader.get_metrics_data().resource_metrics
    for s in r.scope_metrics
    for m in s.metrics
}
print(counts["gen_ai.client.operation.duration"], counts["gen_ai.client.token.usage"])
"""


def test_a_meter_provider_set_after_instrument_gets_the_metrics(
    fake_server: Any, tmp_path: Any
) -> None:
    # The instruments are the API's placeholders until then; calls skip the label work
    # while nothing is behind them, and record once a provider is set.
    out = run_child(
        [sys.executable, "-c", LATE_PROVIDER_APP, fake_server.base_url],
        env=clean_env(SPANWISE_TRACKING_URI="none"),
        cwd=tmp_path,
    )
    assert out.split() == ["2", "4"]  # two calls; input and output tokens each
