"""Zero-code: an app that never imports spanwise, under `opentelemetry-instrument`."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from _support import zero_code
from fake_bedrock import ACCESS_KEY, CANARY_KEY, SECRET_KEY

pytestmark = pytest.mark.slow

APP = textwrap.dedent(
    """
    import json, os
    import boto3
    from botocore.config import Config
    client = boto3.client(
        "bedrock-runtime", endpoint_url=os.environ["FAKE_BASE_URL"],
        config=Config(retries={"total_max_attempts": 1}),
    )
    messages = [{"role": "user", "content": [{"text": "secret prompt"}]}]
    client.converse(modelId="amazon.nova-lite-v1:0", messages=messages)
    for _ in client.converse_stream(modelId="amazon.nova-lite-v1:0", messages=messages)["stream"]:
        pass
    body = json.dumps({"prompt": "secret prompt", "max_gen_len": 20})
    client.invoke_model(modelId="meta.llama3-8b-instruct-v1:0", body=body)["body"].read()
    print("done")
    """
)


@pytest.mark.parametrize("content", [None, "true"])
def test_zero_code(tmp_path: Path, fake_server: Any, content: str | None) -> None:
    spans = zero_code(
        tmp_path,
        APP,
        3,
        content=content,
        FAKE_BASE_URL=fake_server.base_url,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_SESSION_TOKEN=CANARY_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        SPANWISE_TRACKING_URI="none",
        OTEL_SERVICE_NAME="zero-code-bedrock",
    )
    model_spans = [s for s in spans if s["scope"] == "spanwise.instrumentations.bedrock"]
    assert [s["name"] for s in model_spans] == [
        "chat amazon.nova-lite-v1:0",
        "chat amazon.nova-lite-v1:0",
        "text_completion meta.llama3-8b-instruct-v1:0",
    ]
    plain, streamed, invoked = model_spans
    assert plain["resource"]["service.name"] == "zero-code-bedrock"
    assert plain["attributes"]["gen_ai.provider.name"] == "aws.bedrock"
    assert plain["attributes"]["gen_ai.usage.input_tokens"] == 12
    assert streamed["attributes"]["gen_ai.usage.output_tokens"] == 9
    assert streamed["attributes"]["gen_ai.request.stream"] is True
    assert invoked["attributes"]["gen_ai.request.max_tokens"] == 20
    everything = repr(spans)
    for secret in (ACCESS_KEY, SECRET_KEY, CANARY_KEY):
        assert secret not in everything
    if content is None:  # zero-code records metadata only
        assert "secret prompt" not in everything and "gen_ai.input.messages" not in everything
    else:
        assert "secret prompt" in plain["attributes"]["gen_ai.input.messages"]
        assert "secret prompt" in invoked["attributes"]["gen_ai.input.messages"]
