"""The conventions are recognised per span's key set once (a bounded memo): a span reads
the same whether its key set was seen before, is new, or is too large to remember."""

from __future__ import annotations

from typing import Any

import pytest

from spanwise.model._conventions import canonical


def _openinference(extra_keys: int) -> dict[str, Any]:
    attributes: dict[str, Any] = {f"app.key{i}": i for i in range(extra_keys)}
    attributes |= {
        "openinference.span.kind": "LLM",
        "llm.model_name": "gpt-4o-mini",
        "llm.token_count.prompt": 12,
    }
    return attributes


@pytest.mark.parametrize("extra_keys", [0, 40], ids=["remembered", "too-many-keys"])
def test_a_key_set_reads_the_same_the_first_and_the_second_time(extra_keys: int) -> None:
    first, _ = canonical(_openinference(extra_keys), [])
    second, _ = canonical(_openinference(extra_keys), [])
    assert first == second
    assert {k: v for k, v in first.items() if not k.startswith("app.")} == {
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.response.model": "gpt-4o-mini",
        "gen_ai.operation.name": "chat",
        "gen_ai.usage.input_tokens": 12,
        "spanwise.span.type": "LLM",  # no messages: a completion-style LLM span
    }
    assert sum(k.startswith("app.") for k in first) == extra_keys


def test_a_canonical_key_set_is_left_alone_every_time() -> None:
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m"}
    for _ in range(2):
        out, events = canonical(attributes, [])
        assert out is attributes and events == []
