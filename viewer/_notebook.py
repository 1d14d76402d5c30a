"""A trace as one self-contained HTML fragment: what a notebook shows for a ``Trace``.

The page's own trace view (``static/util.js``, ``detail.js``, ``trace.js``, ``trace.css``)
inlined, with the trace's JSON embedded: no server, no network. The scripts run as one
classic script (notebook front ends run those most reliably), their module syntax
removed. The JSON sits in a ``<script type="application/json">`` with ``<``, ``>``, ``&``
and the JavaScript line separators escaped, so no span content can close the element or
start markup; the view renders every value as text.
"""

from __future__ import annotations

import html
import re
import secrets
from functools import cache
from importlib.resources import files

from spanwise.model._model import Trace

from ._present import dumps, trace_view

__all__ = ["embed_json", "render_html"]

_MODULES = ("util.js", "detail.js", "trace.js")
_IMPORT = re.compile(r"^import .* from \"\./[\w.]+\";\n", re.MULTILINE)
_EXPORT = re.compile(r"^export ", re.MULTILINE)
_ESCAPES = {c: f"\\u{ord(c):04x}" for c in "<>&\u2028\u2029"}


def _read(name: str) -> str:
    return (files(__package__ or "spanwise.viewer") / "static" / name).read_text("utf-8")


@cache
def _assets() -> tuple[str, str]:
    """(the trace view as one classic script body, its stylesheet)."""
    script = "\n".join(_EXPORT.sub("", _IMPORT.sub("", _read(name))) for name in _MODULES)
    return script, _read("trace.css")


def embed_json(text: str) -> str:
    """JSON text made safe inside a ``<script>`` element (still the same JSON)."""
    return re.sub("[<>&\u2028\u2029]", lambda m: _ESCAPES[m.group()], text)


def render_html(trace: Trace) -> str:
    """The trace's tree, timeline and span details as a self-contained HTML fragment."""
    script, style = _assets()
    uid = "sw-" + secrets.token_hex(6)
    data = embed_json(dumps(trace_view(trace)))
    fallback = html.escape(trace.to_tree())
    return (
        f'<div id="{uid}" class="sw-notebook">'
        f"<style>{style}</style>"
        f'<pre class="sw-fallback">{fallback}</pre>'
        f'<script type="application/json" id="{uid}-data">{data}</script>'
        "<script>(function () {\n"
        f"{script}\n"
        f'const root = document.getElementById("{uid}");\n'
        f'const data = JSON.parse(document.getElementById("{uid}-data").textContent);\n'
        'const holder = document.createElement("div");\n'
        'root.querySelector(".sw-fallback").replaceWith(holder);\n'
        "renderTrace(holder, data);\n"
        "})();</script></div>"
    )
