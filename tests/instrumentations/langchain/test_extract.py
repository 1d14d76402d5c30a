"""Pure extraction, with plain objects: no callback manager, no span."""

from __future__ import annotations

from types import SimpleNamespace

from langchain_core.messages import AIMessage, HumanMessage

from spanwise.instrumentations.langchain import _extract as x


def test_provider_from_ls_provider_or_class() -> None:
    assert x.model_request_attributes(None, {}, {"ls_provider": "anthropic"})[1] == {
        "gen_ai.provider.name": "anthropic"
    }
    serialized = {"id": ["langchain", "chat_models", "groq", "ChatGroq"]}
    assert x.model_request_attributes(serialized, {}, {})[1]["gen_ai.provider.name"] == "groq"
    assert x.model_request_attributes(None, {}, {"ls_provider": "acme"})[1] == {
        "gen_ai.provider.name": "acme"  # unlisted providers keep LangChain's name
    }
    assert x.model_request_attributes(None, {}, {})[1] == {"gen_ai.provider.name": "langchain"}


def test_request_parameters() -> None:
    params = {
        "model": "m",
        "temperature": 0,
        "max_completion_tokens": 64,
        "top_p": 0.5,
        "stop": "END",
        "seed": 3,
        "n": 2,
        "stream": True,
        "frequency_penalty": True,  # not a number: left out
    }
    model, attrs = x.model_request_attributes(None, params, {"ls_provider": "openai"})
    assert model == "m"
    assert attrs == {
        "gen_ai.provider.name": "openai",
        "gen_ai.request.temperature": 0.0,
        "gen_ai.request.max_tokens": 64,
        "gen_ai.request.top_p": 0.5,
        "gen_ai.request.stop_sequences": ["END"],
        "gen_ai.request.seed": 3,
        "gen_ai.request.choice.count": 2,
        "gen_ai.request.stream": True,
    }


def test_response_from_plain_objects() -> None:
    message = SimpleNamespace(
        content="hi",
        tool_calls=[],
        usage_metadata={
            "input_tokens": 10,
            "output_tokens": 4,
            "input_token_details": {"cache_read": 6, "cache_creation": 1},
            "output_token_details": {"reasoning": 2},
        },
        response_metadata={"id": "msg_1", "model": "claude-x", "stop_reason": "end_turn"},
        id="lc_run--abc",
    )
    response = {"generations": [[{"message": message}]], "llm_output": None}
    assert x.response_attributes(response) == {
        "gen_ai.response.id": "msg_1",
        "gen_ai.response.model": "claude-x",
        "gen_ai.response.finish_reasons": ["end_turn"],
        "gen_ai.usage.input_tokens": 10,
        "gen_ai.usage.output_tokens": 4,
        "gen_ai.usage.cache_read.input_tokens": 6,
        "gen_ai.usage.cache_creation.input_tokens": 1,
        "gen_ai.usage.reasoning.output_tokens": 2,
    }
    assert x.output_messages(response)[0]["finish_reason"] == "stop"  # end_turn, in semconv


def test_text_llm_usage_from_llm_output() -> None:
    response = {
        "generations": [[{"text": "done", "generation_info": {"finish_reason": "length"}}]],
        "llm_output": {"token_usage": {"prompt_tokens": 3, "completion_tokens": 5}},
    }
    attrs = x.response_attributes(response)
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (3, 5)
    assert x.output_messages(response) == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "done"}],
            "finish_reason": "length",
        }
    ]


def test_reasoning_blocks_and_images() -> None:
    message = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "think"},
            {"type": "text", "text": "answer"},
            {"type": "image", "url": "https://x/y.png"},
        ]
    )
    assert x.input_messages([[message]])[0]["parts"] == [
        {"type": "reasoning", "content": "think"},
        {"type": "text", "content": "answer"},
        {"type": "uri", "modality": "image", "uri": "https://x/y.png"},
    ]


def test_run_attributes_keep_user_tags_and_root_metadata() -> None:
    metadata = {
        "user": "u",
        "ls_provider": "openai",
        "langgraph_step": 1,
        "thread_id": "t",
        "obj": {},
    }
    tags = ["seq:step:1", "mine", "langsmith:hidden"]
    attrs = x.run_attributes("r1", tags, metadata, root=True)
    assert attrs == {
        "spanwise.run.id": "r1",
        "spanwise.run.tags": ["mine"],
        "spanwise.run.metadata.user": "u",
        "gen_ai.conversation.id": "t",
    }
    assert "spanwise.run.metadata.user" not in x.run_attributes("r2", tags, metadata, root=False)


def test_compact_messages() -> None:
    state = {"messages": [HumanMessage("hi", id="1"), AIMessage("", tool_calls=[])], "n": 1}
    assert x.compact(state) == {
        "messages": [{"type": "human", "content": "hi", "id": "1"}, {"type": "ai"}],
        "n": 1,
    }
