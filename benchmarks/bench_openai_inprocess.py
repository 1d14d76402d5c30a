"""spanwise against the official OTel instrumentation in one process, blocks interleaved.

Steadier than ``bench_openai.py`` (one process, so no between-process drift), but only
for tools that coexist and uninstrument cleanly: spanwise (content capture on, and off),
the SDK-span yardstick, and the official openai-v2 instrumentation. Rounds of: a block
of bare calls, then a block under one tool, for each tool in turn; a figure is the
median over rounds of median(instrumented) - median(bare), in microseconds.

    .venv-bench/bin/python benchmarks/bench_openai_inprocess.py "plain chat" [rounds]
"""

from __future__ import annotations

import os
import statistics
import sys

os.environ["SPANWISE_TRACKING_URI"] = "none"
os.environ.setdefault("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")

import bench_openai as b  # after the environment it reads


def _with_content(capture: bool, toggle: b.Toggle) -> b.Toggle:
    from spanwise.common import _content

    on, off = toggle

    def switch_on() -> None:
        os.environ[_content.CAPTURE_ENV] = "SPAN_ONLY" if capture else "NO_CONTENT"
        _content.reset_content_settings()
        on()

    def switch_off() -> None:
        off()
        os.environ[_content.CAPTURE_ENV] = "SPAN_ONLY"  # the other tools read it too
        _content.reset_content_settings()

    return switch_on, switch_off


def main(scenario: str, rounds: int) -> dict[str, float]:
    import spanwise

    spanwise.trace(lambda: None)()
    call = b._scenarios(b._client())[scenario]  # pyright: ignore[reportPrivateUsage]
    spanwise_toggle = b.PEERS["spanwise"]()
    tools: dict[str, b.Toggle] = {
        "spanwise": _with_content(True, spanwise_toggle),
        "spanwise, content off": _with_content(False, spanwise_toggle),
        b.REFERENCE: b.PEERS[b.REFERENCE](),
        "official OTel openai-v2": b.PEERS["official OTel openai-v2"](),
    }
    for on, off in tools.values():  # warm up every path
        on()
        for _ in range(30):
            call()
        off()
    added: dict[str, list[float]] = {tool: [] for tool in tools}
    for _ in range(rounds):
        for tool, toggle in tools.items():
            added[tool].append(b.pair(call, toggle, 20))
    return {tool: statistics.median(values) for tool, values in added.items()}


if __name__ == "__main__":
    figures = main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 30)
    for name, value in figures.items():
        print(f"{name}: +{value:.0f} us")
    print(f"spanwise / official: {figures['spanwise'] / figures['official OTel openai-v2']:.2f}")
