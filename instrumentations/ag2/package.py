"""What this instrumentor instruments."""

from __future__ import annotations

__all__ = ["_instruments"]

# AG2's classic API (``import autogen``: ConversableAgent, GroupChat, OpenAIWrapper), the
# 0.x line; ag2 1.x is another framework (``import ag2``). The same code also ships as
# the ``autogen`` and ``pyautogen`` distributions: see Ag2Instrumentor.
_instruments = ("ag2 >= 0.9, < 1",)
