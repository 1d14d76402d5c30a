"""The notebook view: a Trace's self-contained HTML, escaped against injection."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from spanwise.model._model import Trace
from spanwise.model._translate import build_trace
from spanwise.viewer import render_html
from spanwise.viewer._present import dumps, trace_view

Records = Callable[..., list[Any]]
HOSTILE = '</script><img src=x onerror="window.__xss=1"><!-- \u2028 &amp;'


def _hostile_trace(records: Records) -> Trace:
    spans = records(0, name=HOSTILE, tags={"<b>tag</b>": "</script>"})
    spans[1]["attributes"]["gen_ai.tool.call.result"] = HOSTILE
    return build_trace(spans)


def test_a_trace_renders_itself_in_a_notebook(records: Records) -> None:
    trace = build_trace(records(0))
    html = trace._repr_html_()  # pyright: ignore[reportPrivateUsage]
    assert html.startswith('<div id="sw-') and "renderTrace(holder, data);" in html
    # The text tree is there too, for front ends that run no script.
    assert '<pre class="sw-fallback">' in html and "get_weather [TOOL]" in html
    # Self-contained: nothing is fetched.
    assert not re.search(r"\b(src|href)=", html)
    assert "import " not in html.split("<script>")[1].split("\n")[1]


def test_span_content_cannot_break_out_of_the_page(records: Records) -> None:
    trace = _hostile_trace(records)
    html = render_html(trace)
    # Only our own two script elements close; the data cannot close one or open markup.
    assert html.count("</script>") == 2
    assert "<img" not in html and "<!--" not in html and "<b>" not in html
    data = re.search(r'<script type="application/json" id="[\w-]+-data">(.*?)</script>', html, re.S)
    assert data is not None
    # Still the same JSON, once parsed (JSON's \u escapes).
    assert json.loads(data.group(1)) == json.loads(dumps(trace_view(trace)))
    assert json.loads(data.group(1))["name"] == HOSTILE


def test_values_json_cannot_hold_become_text(records: Records) -> None:
    spans = records(0)
    spans[0]["attributes"]["ratio"] = float("nan")
    view = json.loads(dumps(trace_view(build_trace(spans))))
    assert view["spans"][0]["attributes"]["ratio"] == "nan"
