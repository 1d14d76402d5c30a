"""Content capture: whether prompts, completions, inputs and outputs enter spans.

Resolved once, in this one place, and logged when spanwise first sets up tracing:

* Code that asks for tracing explicitly (``@trace``, ``start_span``, ``Client``,
  ``autolog()``) records content, as MLflow does.
* Zero-code instrumentation (``opentelemetry-instrument``) records metadata only,
  as the OTel GenAI conventions ask.
* ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` wins over both when set:
  ``true``/``false`` (also 1/0, yes/no, on/off) or the GenAI utility forms
  ``NO_CONTENT``, ``SPAN_ONLY``, ``EVENT_ONLY``, ``SPAN_AND_EVENT``. Off is a hard
  off that no code path overrides. spanwise records content on spans, so
  ``EVENT_ONLY`` keeps it off spans.

``SPANWISE_MAX_CONTENT_BYTES`` (default 131072) bounds each content attribute;
larger values are truncated to valid JSON with a marker. A lower
``OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`` / ``OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT``
lowers it too, so that the SDK's own cut never breaks the JSON.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum

from ._safety import fork_safe_lock, logger, warn_once

__all__ = [
    "CAPTURE_ENV",
    "DEFAULT_MAX_CONTENT_BYTES",
    "MAX_BYTES_ENV",
    "ContentSettings",
    "content_settings",
    "describe",
    "reset_content_settings",
]

CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
MAX_BYTES_ENV = "SPANWISE_MAX_CONTENT_BYTES"
DEFAULT_MAX_CONTENT_BYTES = 128 * 1024
# Below this a payload cannot hold its own truncation marker.
_MIN_MAX_BYTES = 256


class _Override(Enum):
    NONE = "unset"
    ON = "on"
    OFF = "off"


_TRUE = {"true", "1", "yes", "on", "span_only", "span_and_event"}
_FALSE = {"false", "0", "no", "off", "no_content", "event_only"}


@dataclass(frozen=True, slots=True)
class ContentSettings:
    override: _Override
    max_bytes: int

    def capture(self, *, explicit: bool) -> bool:
        """Whether content is recorded for tracing that was ``explicit``ly asked for."""
        if self.override is _Override.NONE:
            return explicit
        return self.override is _Override.ON


def _parse_override(raw: str | None) -> _Override:
    if raw is None or not raw.strip():
        return _Override.NONE
    value = raw.strip().lower()
    if value in _TRUE:
        return _Override.ON
    if value in _FALSE:
        return _Override.OFF
    warn_once(
        "content-env",
        "spanwise: %s=%r is not understood (use true/false or NO_CONTENT, SPAN_ONLY, "
        "EVENT_ONLY, SPAN_AND_EVENT); using the default",
        CAPTURE_ENV,
        raw,
    )
    return _Override.NONE


def _parse_limit(name: str) -> int | None:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return None
    try:
        value = int(raw)
    except ValueError:
        warn_once("limit-env:" + name, "spanwise: %s=%r is not an integer; ignored", name, raw)
        return None
    return value if value > 0 else None


def _resolve() -> ContentSettings:
    max_bytes = _parse_limit(MAX_BYTES_ENV) or DEFAULT_MAX_CONTENT_BYTES
    # The SDK cuts string attributes at its own limit, blind to JSON; stay under it.
    sdk_limit = _parse_limit("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT") or _parse_limit(
        "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"
    )
    if sdk_limit is not None:
        max_bytes = min(max_bytes, sdk_limit)
    return ContentSettings(
        override=_parse_override(os.environ.get(CAPTURE_ENV)),
        max_bytes=max(max_bytes, _MIN_MAX_BYTES),
    )


_settings: ContentSettings | None = None
_lock = fork_safe_lock()  # released again in a forked child


def content_settings() -> ContentSettings:
    """The resolved settings (read from the environment once)."""
    global _settings
    settings = _settings
    if settings is None:
        with _lock:
            if _settings is None:
                _settings = _resolve()
                logger.info("spanwise: %s", describe(_settings))
            settings = _settings
    return settings


def describe(settings: ContentSettings) -> str:
    if settings.override is _Override.NONE:
        mode = "on for explicit tracing, off for zero-code instrumentation"
    else:
        mode = f"{settings.override.value} ({CAPTURE_ENV})"
    return f"content capture {mode}; at most {settings.max_bytes} bytes per attribute"


def reset_content_settings() -> None:
    """Forget the resolved settings so the environment is read again (for tests)."""
    global _settings
    with _lock:
        _settings = None
