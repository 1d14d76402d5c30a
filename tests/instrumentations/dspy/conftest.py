"""Real DSPy programs: DummyLM (DSPy's own test LM) for the span trees, and ``dspy.LM``
over LiteLLM and the OpenAI SDK against a local OpenAI-compatible server that answers
in DSPy's ChatAdapter format."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

# LiteLLM fetches its model cost map from the internet at import unless told not to.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

dspy = pytest.importorskip("dspy")

from fake_openai import CANARY_KEY  # noqa: E402
from fake_server import Answer, FakeServer  # noqa: E402
from framework_support import autolog_fixture  # noqa: E402

USAGE = {"prompt_tokens": 30, "completion_tokens": 5, "total_tokens": 35}


def _respond(path: str, body: dict[str, Any]) -> Answer:
    if body.get("model") == "error-500":
        error = {"error": {"message": "Internal error", "type": "server_error"}}
        return 500, "application/json", json.dumps(error).encode()
    text = "[[ ## answer ## ]]\nParis\n\n[[ ## completed ## ]]"
    completion = {
        "id": "chatcmpl-dspy-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": USAGE,
    }
    return 200, "application/json", json.dumps(completion).encode()


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer(_respond, "/v1").start()
    yield server
    server.stop()


@pytest.fixture
def real_lm(fake_server: FakeServer) -> Any:
    """``dspy.LM`` on LiteLLM on the OpenAI SDK, against the fake; no cache, no retries."""
    return dspy.LM(
        "openai/gpt-4o-mini",
        api_base=fake_server.base_url,
        api_key=CANARY_KEY,
        cache=False,
        num_retries=0,
        temperature=0.2,
    )


autolog = autolog_fixture("dspy")
