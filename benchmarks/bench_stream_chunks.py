"""What a stream proxy costs per chunk: spanwise against the official OpenAI instrumentation.

A whole streamed call is dominated by the SDK parsing each chunk (a bare 200-chunk call
takes ~19 ms, +-1 ms between runs), which buries a per-chunk cost of a microsecond or
two. So the chunks are parsed once by the real SDK (the fake endpoint's 50- and
200-chunk answers), then replayed from a list through each tool's stream wrapper; a
tool's cost per chunk is (time over 200 chunks - time over 50) / 150 minus the same for
bare iteration, so what a stream costs once (span start and end) cancels out. Rounds
interleave the tools; the table gives medians over rounds and the median of per-round
ratios.

    python benchmarks/bench_stream_chunks.py
"""

from __future__ import annotations

import os
import statistics
import sys
import timeit
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("SPANWISE_TRACKING_URI", "none")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

Feed = Callable[[list[Any]], None]


class _Replay:
    """A stream over already-parsed chunks (what the SDK's Stream yields)."""

    def __init__(self, chunks: list[Any]) -> None:
        self._it: Iterator[Any] = iter(chunks)

    def __iter__(self) -> _Replay:
        return self

    def __next__(self) -> Any:
        return next(self._it)

    def close(self) -> None:
        pass


def _chunks(count: int) -> list[Any]:
    import openai

    from fake_openai import mock_http_client

    client = openai.OpenAI(api_key="k", base_url="http://fake/v1", http_client=mock_http_client())
    return list(
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            extra_body={"x_chunks": count},
        )
    )


def _tools() -> dict[str, Feed]:
    import spanwise
    from spanwise.instrumentations._invocation import Settings
    from spanwise.instrumentations._llm import LLMCall
    from spanwise.instrumentations._stream import SyncStreamProxy
    from spanwise.instrumentations._tracer import get_tracer
    from spanwise.instrumentations.openai._stream_handlers import ChatStreamHandler

    spanwise.trace(lambda: None)()
    settings = Settings(tracer=get_tracer(), explicit=True)

    def bare(chunks: list[Any]) -> None:
        for _ in _Replay(chunks):
            pass

    def with_spanwise(chunks: list[Any]) -> None:
        call = LLMCall.start_call(settings, "chat gpt-4o-mini", {})
        assert call is not None
        for _ in SyncStreamProxy(_Replay(chunks), ChatStreamHandler(call)):
            pass

    tools: dict[str, Feed] = {"bare iteration": bare, "spanwise": with_spanwise}
    try:
        from opentelemetry.instrumentation.openai_v2.patch import ChatStreamWrapper
    except ImportError:
        return tools

    class _Invocation:  # what the wrapper writes at the end is not measured here
        def __getattr__(self, name: str) -> Any:
            return None

        def __setattr__(self, name: str, value: Any) -> None:
            pass

    def official(chunks: list[Any]) -> None:
        wrapper = ChatStreamWrapper(_Replay(chunks), _Invocation(), True)  # type: ignore[arg-type]
        try:
            for _ in wrapper:
                pass
        except Exception:  # its end-of-stream bookkeeping needs a real invocation
            pass

    tools["official OTel openai-v2"] = official
    return tools


def run(rounds: int = 9) -> list[dict[str, Any]]:
    short, long = _chunks(50), _chunks(200)
    extra = len(long) - len(short)
    tools = _tools()
    per_chunk: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(rounds):
        for name, feed in tools.items():
            t_long = min(timeit.repeat(lambda f=feed: f(long), number=20, repeat=3)) / 20
            t_short = min(timeit.repeat(lambda f=feed: f(short), number=20, repeat=3)) / 20
            per_chunk[name].append((t_long - t_short) / extra * 1e6)
    bare = per_chunk.pop("bare iteration")
    added = {
        name: [v - b for v, b in zip(values, bare, strict=True)]
        for name, values in per_chunk.items()
    }
    rows: list[dict[str, Any]] = [
        {"tool": name, "us per chunk": round(statistics.median(values), 2)}
        for name, values in added.items()
    ]
    official = added.get("official OTel openai-v2")
    if official is not None:
        ratios = [s / o for s, o in zip(added["spanwise"], official, strict=True) if o > 0]
        rows.append(
            {
                "tool": "spanwise / official (target <= 0.5)",
                "us per chunk": round(statistics.median(ratios), 2),
            }
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
