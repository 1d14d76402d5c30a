"""`make bench`: every benchmark, printed as markdown tables (paste into the README).

Numbers are medians over interleaved rounds on this machine; see benchmarks/_harness.py.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault(
    "SPANWISE_TRACKING_URI", str(Path(tempfile.mkdtemp(prefix="spanwise-bench-")) / "t.db")
)


def table(rows: list[dict[str, Any]]) -> str:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append(
            "| " + " | ".join("" if row.get(c) is None else str(row[c]) for c in columns) + " |"
        )
    return "\n".join(lines)


def main() -> None:
    import bench_receiver

    import bench_ag2
    import bench_anthropic
    import bench_autogen_agentchat
    import bench_bedrock
    import bench_crewai
    import bench_dspy
    import bench_gemini
    import bench_groq
    import bench_langchain
    import bench_litellm
    import bench_llama_index
    import bench_mistral
    import bench_openai
    import bench_store
    import bench_stream_chunks
    import bench_tracing

    sections = {
        "Per-call overhead (trivial function)": bench_tracing.overhead(),
        "Payload: time added on the calling thread": bench_tracing.payload(),
        "Store": [
            bench_store.ingest(),
            bench_store.pipeline(),
            *bench_store.search(),
            *bench_store.long_traces(),
        ],
        "Receiver and translation-in": bench_receiver.run(),
        "OpenAI: latency added per call (local server, content capture on)": bench_openai.run(),
        "Anthropic: latency added per call (in-process transport, content capture on)": (
            bench_anthropic.run()
        ),
        "Mistral: latency added per call (in-process transport, content capture on)": (
            bench_mistral.run()
        ),
        "Gemini: latency added per call (in-process transport, content capture on)": (
            bench_gemini.run()
        ),
        "Groq: latency added per call (in-process transport, content capture on)": (
            bench_groq.run()
        ),
        "Bedrock: latency added per call (in-process, botocore before-send, content on)": (
            bench_bedrock.run()
        ),
        "LiteLLM: latency added per call (in-process transport, content capture on)": (
            bench_litellm.run()
        ),
        "LangChain / LangGraph: latency added per agent run (in-process, content on)": (
            bench_langchain.run()
        ),
        # The next five run their workers in .venv-bench-frameworks (openai<3, protobuf 5).
        "LlamaIndex: latency added per agent run (in-process, content on)": (
            bench_llama_index.run()
        ),
        "DSPy: latency added per ReAct run (in-process, via LiteLLM, content on)": (
            bench_dspy.run()
        ),
        "CrewAI: latency added per crew run (in-process, content on)": bench_crewai.run(),
        "AutoGen AgentChat: latency added per agent run (in-process, content on)": (
            bench_autogen_agentchat.run()
        ),
        "AG2: latency added per two-agent chat (in-process, content on)": bench_ag2.run(),
        "Streams: cost per chunk (OpenAI chunks replayed, SDK parsing left out)": (
            bench_stream_chunks.run()
        ),
    }
    out = [f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"]
    for title, rows in sections.items():
        out += ["", f"### {title}", "", table(rows)]
    text = "\n".join(out)
    print(text)
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    (results / "latest.md").write_text(text + "\n")
    (results / "latest.json").write_text(json.dumps(sections, indent=2))


if __name__ == "__main__":
    main()
