"""The fast path for plain text messages writes exactly what the parts path writes.

``input_messages_payload``/``output_messages_payload`` skip building the parts for the
common call (every message one text); what they record must be byte for byte what
``dumps_wire(input_messages(...))`` records, and anything else takes the parts path.
"""

from __future__ import annotations

from typing import Any

import pytest

from spanwise.common._serialize import dumps_wire
from spanwise.instrumentations._invocation import _encoded  # pyright: ignore[reportPrivateUsage]
from spanwise.model._chat_format import (
    input_messages,
    input_messages_payload,
    output_messages,
    output_messages_payload,
)
from spanwise.semconv import parts

LIMIT = 1 << 16

PLAIN_INPUTS: list[list[dict[str, Any]]] = [
    [{"role": "user", "content": "Weather in Paris?"}],
    [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Qu'en est-il de l'été à Zürich? 🌞", "name": "ana"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": 'quotes " and \\ backslash\n\t\u0000 control </script>'},
    ],
]

OTHER_INPUTS: list[Any] = [
    [{"role": "tool", "tool_call_id": "c1", "content": "21C"}],
    [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    [{"role": "assistant", "content": None, "tool_calls": [{"id": "c1", "function": {}}]}],
    [{"role": "user", "content": "hi", "extra": 1}],
    [{"role": "user", "content": "x" * 9000}],
    ({"role": "user", "content": "a tuple"},),
    [],
    None,
]


@pytest.mark.parametrize("messages", PLAIN_INPUTS)
def test_plain_inputs_take_the_fast_path_and_match(messages: list[dict[str, Any]]) -> None:
    payload = input_messages_payload(messages)
    assert isinstance(payload, parts.Encoded)
    assert payload.json == dumps_wire(input_messages(messages), LIMIT)


@pytest.mark.parametrize("messages", OTHER_INPUTS)
def test_other_inputs_take_the_parts_path(messages: Any) -> None:
    assert input_messages_payload(messages) == input_messages(messages)


def _choice(content: Any, finish: Any = "stop", **message: Any) -> dict[str, Any]:
    return {
        "message": {"role": "assistant", "content": content, **message},
        "finish_reason": finish,
    }


def test_plain_choices_take_the_fast_path_and_match() -> None:
    choices = [_choice("Sunny, 21 °C."), _choice('Rain "later"', None), _choice("", "length")]
    payload = output_messages_payload(choices)
    assert isinstance(payload, parts.Encoded)
    assert payload.json == dumps_wire(output_messages(choices), LIMIT)


@pytest.mark.parametrize(
    "choices",
    [
        [_choice(None, "tool_calls", tool_calls=[{"id": "c1", "function": {"name": "f"}}])],
        [_choice("", refusal="I can't")],
        [_choice([{"type": "text", "text": "parts"}])],
        [],
        None,
    ],
)
def test_other_choices_take_the_parts_path(choices: Any) -> None:
    assert output_messages_payload(choices) == output_messages(choices)


def test_sdk_objects_take_the_fast_path() -> None:
    from openai.types.chat import ChatCompletion

    response = ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "Hi"},
                }
            ],
        }
    )
    payload = output_messages_payload(response.choices)
    assert isinstance(payload, parts.Encoded)
    assert payload.json == dumps_wire(output_messages(response.choices), LIMIT)


def test_an_encoded_payload_over_the_limit_is_cut_like_any_other() -> None:
    messages = [{"role": "user", "content": "é" * 4000}, {"role": "user", "content": "b" * 4000}]
    payload = input_messages_payload(messages)
    assert isinstance(payload, parts.Encoded)
    recorded = _encoded({"k": payload}, 2048)["k"]
    assert recorded == dumps_wire(input_messages(messages), 2048)
    assert len(recorded.encode()) <= 2048


# -- Bedrock Converse: one text block per message --------------------------------------------


def test_converse_plain_messages_take_the_fast_path_and_match() -> None:
    from spanwise.instrumentations.bedrock import _converse as converse

    messages = [
        {"role": "user", "content": [{"text": 'Weather in Paris? "é" 🌞'}]},
        {"role": "assistant", "content": [{"text": ""}]},
    ]
    payload = converse.input_messages_payload(messages)
    assert isinstance(payload, parts.Encoded)
    assert payload.json == dumps_wire(converse.input_messages(messages), LIMIT)
    response = {
        "output": {"message": {"role": "assistant", "content": [{"text": "Sunny."}]}},
        "stopReason": "end_turn",
    }
    out = converse.output_messages_payload(response)
    assert isinstance(out, parts.Encoded)
    assert out.json == dumps_wire([converse.output_message(response)], LIMIT)


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": [{"text": "a"}, {"text": "b"}]}],
        [{"role": "user", "content": [{"toolResult": {"toolUseId": "t", "content": []}}]}],
        [{"role": "user", "content": "a string"}],
        [{"role": "", "content": [{"text": "no role"}]}],
        [{"role": "user", "content": [{"text": "a", "cachePoint": {}}]}],
    ],
)
def test_converse_other_messages_take_the_parts_path(messages: Any) -> None:
    from spanwise.instrumentations.bedrock import _converse as converse

    assert converse.input_messages_payload(messages) == converse.input_messages(messages)


def test_converse_tool_use_answer_takes_the_parts_path() -> None:
    from spanwise.instrumentations.bedrock import _converse as converse

    response = {
        "output": {
            "message": {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "t", "name": "f", "input": {}}}],
            }
        },
        "stopReason": "tool_use",
    }
    assert converse.output_messages_payload(response) == [converse.output_message(response)]


# -- Gemini: one user text in, one text part per candidate out -------------------------------


def test_gemini_plain_payloads_take_the_fast_path_and_match() -> None:
    from google.genai import types

    from spanwise.instrumentations.gemini import _extract as x
    from spanwise.instrumentations.gemini import _payload as payload

    request = payload.input_messages_payload('Weather in Paris? 🌞 "quoted"')
    assert isinstance(request, parts.Encoded)
    assert request.json == dumps_wire(x.input_messages('Weather in Paris? 🌞 "quoted"'), LIMIT)
    response = types.GenerateContentResponse(
        candidates=[
            types.Candidate(
                content=types.Content(role="model", parts=[types.Part(text="Sunny.")]),
                finish_reason=types.FinishReason.STOP,
            ),
            types.Candidate(content=types.Content(role="model", parts=[types.Part(text="")])),
        ]
    )
    out = payload.output_messages_payload(response.candidates)
    assert isinstance(out, parts.Encoded)
    assert out.json == dumps_wire(x.output_messages(response.candidates), LIMIT)


def test_gemini_other_payloads_take_the_parts_path() -> None:
    from google.genai import types

    from spanwise.instrumentations.gemini import _extract as x
    from spanwise.instrumentations.gemini import _payload as payload

    contents = [types.Content(role="user", parts=[types.Part(text="hi")])]
    assert payload.input_messages_payload(contents) == x.input_messages(contents)
    for candidate_parts in (
        [types.Part(text="thinking...", thought=True)],
        [types.Part(text="a"), types.Part(text="b")],
        [types.Part(function_call=types.FunctionCall(name="f", args={}))],
    ):
        candidates = [types.Candidate(content=types.Content(role="model", parts=candidate_parts))]
        assert payload.output_messages_payload(candidates) == x.output_messages(candidates)


# -- Anthropic: string contents in, one text block out ---------------------------------------


def test_anthropic_plain_payloads_take_the_fast_path_and_match() -> None:
    from anthropic.types import Message

    from spanwise.instrumentations.anthropic import _extract as x

    messages = [
        {"role": "user", "content": 'Weather in Paris? "é"'},
        {"role": "assistant", "content": "Sunny."},
        {"role": "user", "content": "And tomorrow?"},
    ]
    request = x.input_messages_payload(messages)
    assert isinstance(request, parts.Encoded)
    assert request.json == dumps_wire(x.input_messages(messages), LIMIT)
    message = Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude",
            "content": [{"type": "text", "text": "Rain 🌧"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 1, "output_tokens": 1},
        }
    )
    out = x.output_messages_payload(message)
    assert isinstance(out, parts.Encoded)
    assert out.json == dumps_wire([x.output_message(message)], LIMIT)


def test_anthropic_other_payloads_take_the_parts_path() -> None:
    from spanwise.instrumentations.anthropic import _extract as x

    blocks = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    assert x.input_messages_payload(blocks) == x.input_messages(blocks)
    tool_use = {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}],
        "stop_reason": "tool_use",
    }
    assert x.output_messages_payload(tool_use) == [x.output_message(tool_use)]
