"""Bounded JSON: the C fast paths give what ``json`` gives; the rest is bounded."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from spanwise.common import _serialize
from spanwise.common._serialize import TRUNCATION_MARKER, dumps_bounded, dumps_wire

PLAIN: list[Any] = [
    [{"role": "user", "parts": [{"type": "text", "content": "Météo à Paris ? 東京"}]}],
    [
        {
            "role": "assistant",
            "parts": [{"type": "tool_call", "id": "c1", "arguments": {"a": [1, 2.5, None, True]}}],
        }
    ],
    {"nested": {"deeper": [[], {}, "", 0, -1.5e-10]}},
    'a string with "quotes" and \n newlines',
    [1, 2, 3],
    (1, "tuple"),
    None,
]


def _reference(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@pytest.mark.parametrize("value", PLAIN)
@pytest.mark.parametrize("c_encoder", [True, False], ids=["c", "json"])
def test_plain_values_encode_like_json(
    value: Any, c_encoder: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not c_encoder:  # another Python without the private C encoder
        monkeypatch.setattr(_serialize, "_C_ENCODER", None)
    assert dumps_wire(value, 131072) == _reference(value)
    assert dumps_bounded(value, 131072) == _reference(value)


class Opaque:
    def __repr__(self) -> str:
        return "<Opaque>"


def _cycle() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


@pytest.mark.parametrize(
    "value",
    [
        [{"role": "user", "content": Opaque()}],
        {"values": {1, 2}},
        [math.nan, math.inf],
        _cycle(),
    ],
    ids=["object", "set", "nan", "cycle"],
)
def test_values_that_are_not_plain_json_take_the_bounded_walk(value: Any) -> None:
    text = dumps_wire(value, 131072)
    assert text == dumps_bounded(value, 131072)
    json.loads(text)  # always valid JSON


def test_values_beyond_the_bound_are_cut_to_valid_json() -> None:
    big = [{"role": "user", "parts": [{"type": "text", "content": "é" * 5000}]}] * 3
    text = dumps_wire(big, 4096)
    assert len(text.encode()) <= 4096
    assert TRUNCATION_MARKER in text
    assert text == dumps_bounded(big, 4096)
    json.loads(text)


def test_deep_plain_content_is_kept_whole() -> None:
    # The walk stops at depth 48 (it also ends cycles); plain content the SDK sends as
    # is keeps its depth when it fits the bound.
    deep: Any = "x"
    for _ in range(60):
        deep = [deep]
    assert dumps_wire(deep, 131072) == _reference(deep)
    assert "<nested too deep>" in dumps_bounded(deep, 131072)
