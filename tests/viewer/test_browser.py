"""The viewer in a real browser: headless Chromium (Debian's ``chromium``) driven by
Playwright, over a store the demo agent (examples/openai_agent.py) wrote, served by the
``spanwise ui`` command. Set ``SPANWISE_VIEWER_SCREENSHOTS=1`` to refresh
docs/viewer-list.png and docs/viewer-trace.png from this run."""

from __future__ import annotations

import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from spanwise.model._translate import build_trace
from spanwise.store._sql import SqlTraceStore
from spanwise.viewer import render_html

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
XSS_NAME = '<img src=x onerror="window.__xss=1">'

if not CHROMIUM.exists():
    # CI installs it and says so: there the test must fail rather than skip.
    assert os.environ.get("SPANWISE_REQUIRE_BROWSER") != "1", "CI needs /usr/bin/chromium"
    pytest.skip(
        "needs Chromium at /usr/bin/chromium (apt-get install chromium; CI installs it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="needs Playwright's Python client")

pytestmark = pytest.mark.slow


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"no output from {process.args} within {timeout}s") from None


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`spanwise ui` over a store with the demo agent's trace, a failed trace and a trace
    whose span name is markup."""
    home = tmp_path_factory.mktemp("viewer-browser")
    db = home / "demo.db"
    env = {**os.environ, "SPANWISE_TRACKING_URI": str(db), "OTEL_SDK_DISABLED": "false"}
    env.pop("SPANWISE_RAISE_INTERNAL_ERRORS", None)
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "openai_agent.py")],
        env=env,
        cwd=home,
        check=True,
        capture_output=True,
        timeout=120,
    )
    store = SqlTraceStore(f"sqlite:///{db}")
    store.write_records(_extra_records())
    store.close()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "spanwise.server._cli",
            "ui",
            "--port",
            "0",
            "--tracking-uri",
            str(db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _first_line(process, 30)
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found is not None, line
        yield found.group(), home
    finally:
        process.terminate()
        process.wait(timeout=10)


def _extra_records() -> list[Any]:
    start = 1_700_000_000_000_000_000
    base = {"v": 1, "remote_parent": False, "message": "", "events": [], "parent_id": None}
    return [
        {
            **base,
            "trace_id": "a" * 32,
            "span_id": "1" * 16,
            "name": XSS_NAME,
            "start": start,
            "end": start + 5_000_000,
            "status": "OK",
            "attributes": {"spanwise.span.type": "CHAIN", "spanwise.trace.tags.x": XSS_NAME},
        },
        {
            **base,
            "trace_id": "b" * 32,
            "span_id": "2" * 16,
            "name": "failing_job",
            "start": start + 10**9,
            "end": start + 10**9 + 7_000_000,
            "status": "ERROR",
            "message": "it broke",
            "attributes": {"spanwise.span.type": "TASK", "gen_ai.conversation.id": "chat-'7"},
        },
    ]


@pytest.fixture
def page(served: tuple[str, Path]) -> Iterator[tuple[Any, list[str]]]:
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        tab = browser.new_page(viewport={"width": 1400, "height": 820})
        tab.set_default_timeout(15_000)
        tab.on(
            "console",
            lambda m: (
                problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
            ),
        )
        tab.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
        try:
            yield tab, problems
        finally:
            browser.close()


def _shoot(tab: Any, home: Path, name: str) -> None:
    path = home / name
    tab.screenshot(path=str(path))
    if os.environ.get("SPANWISE_VIEWER_SCREENSHOTS"):
        shutil.copy(path, ROOT / "docs" / name)


def _section(detail: Any, title: str) -> str:
    return detail.locator(f".sw-section:has(> summary:text-is('{title}'))").inner_text()


def test_list_trace_search_in_the_browser(
    served: tuple[str, Path], page: tuple[Any, list[str]]
) -> None:
    url, home = served
    tab, problems = page
    tab.goto(url)
    tab.wait_for_selector(".trace-row")
    names = tab.locator(".trace-row td.name a").all_inner_texts()
    assert names == ["weather_agent", "failing_job", XSS_NAME]  # newest first; markup as text
    states = tab.locator(".trace-row .sw-state").all_inner_texts()
    assert states == ["OK", "ERROR", "OK"]
    demo = tab.locator(".trace-row").first
    assert "app=openai-demo" in demo.inner_text()
    assert "42" in demo.inner_text()  # tokens, summed over both model calls
    _shoot(tab, home, "viewer-list.png")

    # Open the demo trace: the tree, the tool span, the assistant's answer.
    tab.click("text=weather_agent")
    tab.wait_for_selector(".sw-row")
    rows = tab.locator(".sw-rows .sw-row .sw-name").all_inner_texts()
    assert rows == ["weather_agent", "chat gpt-4o-mini_1", "get_weather", "chat gpt-4o-mini_2"]
    tab.locator(".sw-rows .sw-row", has_text="get_weather").click()
    detail = tab.locator(".sw-detail")
    assert "TOOL" in detail.inner_text()
    assert '"sky": "cloudy"' in _section(detail, "Outputs")
    tab.locator(".sw-rows .sw-row", has_text="chat gpt-4o-mini_2").click()
    chat = tab.locator(".sw-conversation")
    answer = chat.locator(".sw-msg-assistant").last.inner_text()
    assert 'Here is what I found: {"city": "Paris", "temp_c": 18, "sky": "cloudy"}' in answer
    assert "get_weather" in chat.locator(".sw-toolcall").first.inner_text()
    assert '"temp_c": 18' in chat.locator(".sw-toolresult").first.inner_text()
    usage = _section(detail, "Usage")
    assert "input_tokens" in usage and "12" in usage
    _shoot(tab, home, "viewer-trace.png")

    # Back to the list: a good filter, then a bad one with its position.
    tab.click("text=← traces")
    tab.fill("#filter", "tags.app = 'openai-demo' AND span.type = 'TOOL'")
    tab.press("#filter", "Enter")
    sync_api.expect(tab.locator(".trace-row")).to_have_count(1)
    assert tab.locator(".trace-row td.name a").all_inner_texts() == ["weather_agent"]
    tab.fill("#filter", "status = 'OK' AND nme = 'x'")
    tab.press("#filter", "Enter")
    error = tab.locator("#filter-error")
    error.wait_for(state="visible")
    assert "unknown identifier 'nme'" in error.inner_text()
    assert "at position 18" in error.inner_text()
    caret = error.locator(".caret").inner_text()
    assert caret.splitlines()[1] == " " * 18 + "^"
    assert tab.get_attribute("#filter", "aria-invalid") == "true"

    # A trace's conversation: from its page, a click lists the conversation's traces.
    tab.fill("#filter", "")
    tab.press("#filter", "Enter")
    sync_api.expect(tab.locator(".trace-row")).to_have_count(3)
    tab.click("text=failing_job")
    head = tab.locator(".sw-head .sw-conv-id")
    assert head.inner_text() == "conversation chat-'7"
    head.locator("button").click()
    sync_api.expect(tab.locator(".trace-row")).to_have_count(1)
    assert tab.input_value("#filter") == "conversation.id = 'chat-\\'7'"
    assert tab.locator(".trace-row td.name a").all_inner_texts() == ["failing_job"]
    assert tab.locator(".trace-row .conversation").inner_text() == "conversation chat-'7"

    # The hostile name never ran as markup.
    assert tab.evaluate("window.__xss") is None
    assert tab.locator("img").count() == 0
    # Chromium logs every 4xx fetch; the bad filter's 400 is the one expected.
    expected = "error: Failed to load resource: the server responded with a status of 400"
    assert [p for p in problems if not p.startswith(expected)] == []
    assert len(problems) <= 2  # the filter was sent once or twice (typing, then Enter)


def test_the_notebook_view_runs_offline(
    served: tuple[str, Path], page: tuple[Any, list[str]], records: Callable[..., list[Any]]
) -> None:
    _, home = served
    tab, problems = page
    spans = records(0, name=XSS_NAME)
    spans[1]["status"] = "ERROR"
    path = home / "notebook.html"
    path.write_text(f"<!doctype html><html><body>{render_html(build_trace(spans))}</body></html>")
    tab.goto(path.as_uri())
    tab.wait_for_selector(".sw-row")
    assert tab.locator(".sw-trace-name").inner_text() == XSS_NAME
    assert tab.locator(".sw-rows .sw-row").count() == 3
    assert tab.locator(".sw-row-error .sw-err-mark").count() == 1
    # The failed span is selected first, its status shown.
    assert "get_weather" in tab.locator(".sw-detail-name").inner_text()
    assert tab.evaluate("window.__xss") is None
    assert problems == []
