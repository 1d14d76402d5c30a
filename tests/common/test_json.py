"""The translation path's JSON helpers give exactly what ``json`` gives."""

from __future__ import annotations

import json
import math
from datetime import date
from typing import Any

import pytest

from spanwise.common import _json

DOCUMENTS = [
    '{"a": 1}',
    '[{"role":"user","parts":[{"type":"text","content":"héllo \\u2603"}]}]',
    '"just a string"',
    "  [1, 2] ",  # surrounding whitespace
    "[1e400, -0.0, 12345678901234567890123]",
    "NaN",
    "[Infinity]",
    "{}",
    "null",
]


@pytest.mark.parametrize("text", DOCUMENTS)
def test_loads_matches_json(text: str) -> None:
    got, want = _json.loads(text), json.loads(text)
    assert repr(got) == repr(want)


@pytest.mark.parametrize("text", ['{"a": 1} extra', "[1,", "", "nope", "{'a': 1}"])
def test_loads_rejects_what_json_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        _json.loads(text)


VALUES: list[Any] = [
    {"a": [1, 2.5, None, True, 'é\n"q"']},
    [{"role": "user", "parts": [{"type": "text", "content": "☃"}]}],
    "top-level string",
    {1: "int key", None: "none key"},
    [math.inf, -math.inf, 1e-300, 10**30],
    {"when": date(2026, 12, 3), "set": {1}},  # unknown objects: str()
    [],
]


@pytest.mark.parametrize("value", VALUES)
def test_dumps_matches_json(value: Any) -> None:
    want = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    assert _json.dumps(value) == want


def test_dumps_of_a_cycle_is_a_value_error_as_with_json() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError):
        _json.dumps(cycle)
