"""Key-shaped secrets out of recorded error text.

A provider's error message can echo the credential it refused (a compatible server's
401 "Incorrect API key provided: sk-..."), and the exception's message, its stack trace
and the span status all copy it. :func:`redact` replaces what has the shape of a secret
with ``[REDACTED]``, keeping a short recognizable prefix, and leaves everything else
as it is. What it recognizes (a documented, closed set; ordinary words never match):

* OpenAI, Anthropic, DeepSeek and other ``sk-`` keys: ``sk-`` then 20 or more of
  ``A-Z a-z 0-9 _ - *`` with at least one digit (``sk-proj-``, ``sk-ant-api03-``,
  ``sk-svcacct-`` and masked ``sk-...****abcd`` echoes included);
* Groq ``gsk_``, xAI ``xai-``, Hugging Face ``hf_``, Replicate ``r8_``, GitHub
  ``ghp_``/``gho_``/``ghu_``/``ghs_``/``ghr_``/``github_pat_`` tokens (20+ characters
  after the prefix, with a digit);
* Google API keys: ``AIza`` and 35 more characters;
* AWS access key ids: ``AKIA``/``ASIA`` and 16 upper-case letters or digits;
* JSON Web Tokens: ``eyJ...`` three dot-separated base64url segments;
* ``Bearer <token>`` and ``Basic <credentials>`` (8+ token characters, with a digit);
* a value given to a credential name: ``api_key``, ``api-key``, ``apikey``,
  ``api key``, ``x-api-key``, ``access_token``, ``auth_token``, ``token``, ``secret``,
  ``client_secret``, ``password`` (any case) followed by ``=``, ``:`` or the words
  "provided:" / "is", then a value of 16+ characters of ``A-Z a-z 0-9 . _ ~ + / = * -``
  holding a digit (optionally quoted).
"""

from __future__ import annotations

import re

__all__ = ["REDACTED", "redact"]

REDACTED = "[REDACTED]"

_TOKEN = r"[A-Za-z0-9_\-*]"
_PREFIXED = re.compile(
    r"(?<![A-Za-z0-9_\-])"
    r"(sk-|gsk_|xai-|hf_|r8_|gh[pousr]_|github_pat_)"
    rf"({_TOKEN}{{20,}})"
)
_GOOGLE = re.compile(r"(?<![A-Za-z0-9_\-])(AIza)[A-Za-z0-9_\-]{35}")
_AWS = re.compile(r"(?<![A-Za-z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])")
_JWT = re.compile(
    r"(?<![A-Za-z0-9_\-])(eyJ)[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"
)
_SCHEME = re.compile(r"\b(Bearer|Basic)(\s+)([A-Za-z0-9._~+/\-]{8,}=*)", re.IGNORECASE)
_NAMED = re.compile(
    r"\b((?:x-)?api[_\- ]?key|access[_\-]?token|auth[_\-]?token|token|client[_\-]?secret"
    r"|secret|password)"
    r"((?:[\"']?\s*[:=]\s*|\s+provided:\s*|\s+is\s+)[\"']?)"
    r"([A-Za-z0-9._~+/=*\-]{16,})",
    re.IGNORECASE,
)


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _prefixed(match: re.Match[str]) -> str:
    # A digit tells a key from a long hyphenated word ("sk-learn-compatible-estimators").
    if not _has_digit(match.group(2)):
        return match.group(0)
    return match.group(1) + REDACTED


def _kept_dots(value: str) -> str:
    # A sentence's full stop after a token is not part of it.
    return value[len(value.rstrip(".")) :]


def _named(match: re.Match[str]) -> str:
    if not _has_digit(match.group(3)):
        return match.group(0)
    return match.group(1) + match.group(2) + REDACTED + _kept_dots(match.group(3))


def _scheme(match: re.Match[str]) -> str:
    if not _has_digit(match.group(3)):  # "basic functionality", "Bearer authentication"
        return match.group(0)
    return match.group(1) + match.group(2) + REDACTED + _kept_dots(match.group(3))


def redact(text: str) -> str:
    """``text`` with key-shaped secrets replaced (see the module docstring for which)."""
    if not text:
        return text
    text = _PREFIXED.sub(_prefixed, text)
    text = _GOOGLE.sub(lambda m: m.group(1) + REDACTED, text)
    text = _AWS.sub(lambda m: m.group(1) + REDACTED, text)
    text = _JWT.sub(lambda m: m.group(1) + REDACTED, text)
    text = _SCHEME.sub(_scheme, text)
    return _NAMED.sub(_named, text)
