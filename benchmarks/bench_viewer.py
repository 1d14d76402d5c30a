"""The viewer: the list's first page (and a deep page, and searches) over 100,000 stored
traces, server-side; a 2,000-span trace opened in headless Chromium (fetch + render)."""

from __future__ import annotations

import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from spanwise.store._sql import SqlTraceStore
from spanwise.viewer._app import create_app

from bench_store import _long_trace_records, _trace_records

MESSAGES = [
    {"role": "system", "parts": [{"type": "text", "content": "You are helpful. " * 10}]},
    {"role": "user", "parts": [{"type": "text", "content": "What is the weather in Paris? " * 5}]},
]


def _median_ms(fn: Any, repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def list_pages(total: int = 100_000) -> dict[str, float]:
    from starlette.testclient import TestClient

    directory = Path(tempfile.mkdtemp(prefix="spanwise-bench-viewer-"))
    store = SqlTraceStore(f"sqlite:///{directory / 'list.db'}")
    t0 = time.perf_counter()
    for b in range(0, total, 2000):
        store.write_records([r for i in range(b, b + 2000) for r in _trace_records(i, 5)])
    print(f"wrote {total} traces in {time.perf_counter() - t0:.0f} s", flush=True)
    client = TestClient(create_app(store))
    get = client.get

    def page(**params: Any) -> dict[str, Any]:
        answer = get("/api/traces", params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()

    out: dict[str, float] = {}
    out["first page (50), newest first"] = _median_ms(page)
    token = None
    for _ in range(200):  # 200 pages of 50 deep: the 10,001st trace onwards
        token = page(page_token=token)["next_page_token"] if token else page()["next_page_token"]
    out["page 201 (keyset), newest first"] = _median_ms(lambda: page(page_token=token))
    out["first page, tags.env = 'prod'"] = _median_ms(lambda: page(filter="tags.env = 'prod'"))
    out["first page, status = 'ERROR'"] = _median_ms(lambda: page(filter="status = 'ERROR'"))
    out["first page, span.type = 'TOOL'"] = _median_ms(lambda: page(filter="span.type = 'TOOL'"))
    out["first page, slowest first (offset)"] = _median_ms(
        lambda: page(order_by="execution_time_ms DESC")
    )
    store.close()
    return out


def big_trace(spans: int = 2000) -> dict[str, float]:
    import uvicorn
    from playwright.sync_api import sync_playwright

    directory = Path(tempfile.mkdtemp(prefix="spanwise-bench-viewer-"))
    store = SqlTraceStore(f"sqlite:///{directory / 'big.db'}")
    records = _long_trace_records(spans)
    for r in records:
        if r["name"] == "chat":
            r["attributes"]["gen_ai.input.messages"] = MESSAGES
            r["attributes"]["gen_ai.usage.input_tokens"] = 40
    store.write_records(records)
    trace_id = "tr-" + records[0]["trace_id"]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(create_app(store), port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    import httpx

    url = f"http://127.0.0.1:{port}/"
    size = len(httpx.get(f"{url}api/traces/{trace_id}").content)
    out: dict[str, float] = {"trace JSON size (KB)": size / 1024}
    out["trace JSON, server (ms)"] = _median_ms(lambda: httpx.get(f"{url}api/traces/{trace_id}"), 7)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        tab = browser.new_page()
        tab.goto(url)
        tab.wait_for_selector("#rows")
        opened = []
        for _ in range(7):
            tab.goto(url)
            tab.wait_for_selector(".trace-row")
            t0 = time.perf_counter()
            tab.click(".trace-row a")  # hash change -> fetch -> render
            tab.wait_for_selector(".sw-rows .sw-row")
            tab.wait_for_selector(".sw-detail-name")
            opened.append((time.perf_counter() - t0) * 1000)
        out[f"open a {spans}-span trace in Chromium (click to rendered, ms)"] = statistics.median(
            opened
        )
        browser.close()
    server.should_exit = True
    thread.join(5)
    store.close()
    return out


if __name__ == "__main__":
    for name, value in {**big_trace(), **(list_pages() if "--list" in sys.argv else {})}.items():
        print(f"{name}: {value:.1f}")
