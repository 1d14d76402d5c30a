"""The OpenAI tool-agent trace through a real collector hop (rotel) into
``spanwise server``; ``spanwise traces show`` prints it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from e2e_backends import run_agent, start_rotel


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = Path(sys.executable).parent / "spanwise"
    return subprocess.run(
        [str(command), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_agent_trace_through_rotel_into_spanwise_server(
    spanwise_server: tuple[str, str, Path], tmp_path: Path
) -> None:
    http, _, db = spanwise_server
    rotel = start_rotel(tmp_path / "rotel", http)
    try:
        run_agent(
            {
                "SPANWISE_TRACKING_URI": str(tmp_path / "app.db"),
                "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{rotel.ports['grpc']}",
                "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            },
            tmp_path,
        )
        listed = ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # rotel batches before it forwards
            listed = _cli("traces", "list", "--tracking-uri", str(db)).stdout
            if "weather_agent" in listed:
                break
            time.sleep(0.5)
    finally:
        rotel.stop()
    assert "weather_agent" in listed, rotel.log_tail()
    trace_id = listed.splitlines()[1].split()[0]
    shown = _cli("traces", "show", trace_id, "--tracking-uri", str(db))
    assert shown.returncode == 0, shown.stderr
    tree = shown.stdout
    assert tree.splitlines()[0].startswith(f"{trace_id}  OK")
    assert "└── weather_agent [AGENT]" in tree
    assert "chat gpt-4o-mini_1 [CHAT_MODEL]" in tree and "tokens 12 in / 9 out" in tree
    assert "get_weather [TOOL]" in tree
    assert "tags: app=openai-demo" in tree
