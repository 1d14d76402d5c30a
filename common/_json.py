"""JSON on the hot paths (translation, model-call content): what ``json`` gives, faster.

``json.loads``/``json.dumps`` spend more time in their Python wrappers (keyword
handling, whitespace regexes, a new encoder per call) than in the C scanner and encoder
for the small documents spans carry (messages, tool arguments). These call the C parts
directly and fall back to ``json`` for anything unusual, so behavior never differs.
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any

__all__ = ["dumps", "loads", "make_c_encoder"]

# The decoder's C scanner (typeshed does not list the attribute).
_scan_once: Callable[[str, int], tuple[Any, int]] = getattr(json.JSONDecoder(), "scan_once")  # noqa: B009


def loads(text: str) -> Any:
    """``json.loads(text)``: raises ``ValueError`` on what is not a JSON document."""
    try:
        value, end = _scan_once(text, 0)
    except StopIteration:  # leading whitespace, or not JSON: json says which
        return json.loads(text)
    if end != len(text):  # trailing whitespace, or extra data
        return json.loads(text)
    return value


_FALLBACK = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def make_c_encoder(
    default: Callable[[Any], Any], *, allow_nan: bool
) -> Callable[[Any, int], Any] | None:
    """json's C encoder, called directly (compact, non-ASCII kept, ``default`` for what
    is not JSON); None where this Python's private signature differs.

    No circular-reference markers: a shared markers dict is not thread-safe, and a cycle
    ends in RecursionError, which callers turn into their fallback.
    """
    make: Any = getattr(json.encoder, "c_make_encoder", None)
    basestring: Any = getattr(json.encoder, "c_encode_basestring", None)
    if make is None or basestring is None:
        return None
    try:
        encoder = make(None, default, basestring, None, ":", ",", False, False, allow_nan)
        if "".join(encoder({"a": [1, 2.5, None, True, "é"]}, 0)) != '{"a":[1,2.5,null,true,"é"]}':
            return None
    except Exception:  # another Python's private signature: use the public encoder
        return None
    return encoder  # pyright: ignore[reportUnknownVariableType]


# What is encoded here was decoded from JSON or built from it (acyclic).
_ENCODE = make_c_encoder(str, allow_nan=True)


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept, unknown objects as ``str()``."""
    if _ENCODE is not None and not isinstance(value, str):
        try:
            return "".join(_ENCODE(value, 0))
        except RecursionError:
            pass
    return _FALLBACK.encode(value)
