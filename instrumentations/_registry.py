"""Every library spanwise instruments, named once.

``spanwise.autolog()``, ``spanwise.<library>.autolog()``, the distro's choice of one
instrumentor per library, and (checked by tests/test_packaging.py) the
``spanwise_<library>`` entry points and the per-library extras in pyproject.toml all
follow from :data:`LIBRARIES`. Adding a library is its folder plus one line here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

__all__ = ["LIBRARIES", "Library", "covered_distributions", "library"]


@dataclass(frozen=True, slots=True)
class Library:
    """One instrumented library."""

    name: str  # the folder under instrumentations/, the extra, ``spanwise.<name>``
    instrumentor: str  # "module:Class" of its spanwise instrumentor
    # The distribution names peers register their instrumentors for (the entry point
    # names OTel contrib, OpenLLMetry and OpenInference all use: the library's name).
    peer_names: tuple[str, ...] = ()
    module: str = ""  # the import name where it is not ``name`` (google.genai: gemini)
    # False where the library's pins clash with the newest SDKs of the dev venv (openai 3,
    # protobuf 7): it stays out of the ``dev`` extra and is tested in .venv-frameworks.
    in_dev_venv: bool = True

    @property
    def import_name(self) -> str:
        """The library's module, whose presence ``spanwise.autolog()`` looks for."""
        return self.module or self.name

    @property
    def entry_point(self) -> str:
        """The ``opentelemetry_instrumentor`` entry point name."""
        return f"spanwise_{self.name}"

    @property
    def extra(self) -> str:
        return self.name

    def load(self) -> Any:
        """A new instance of the library's instrumentor."""
        module, _, cls = self.instrumentor.partition(":")
        return getattr(importlib.import_module(module), cls)()


def _lib(name: str, *peers: str, module: str = "", in_dev_venv: bool = True) -> Library:
    cls = "".join(part.capitalize() for part in name.split("_"))
    special = {
        "openai": "OpenAI",
        "mistralai": "MistralAI",
        "litellm": "LiteLLM",
        "langchain": "LangChain",
        "langgraph": "LangGraph",
        "dspy": "DSPy",
        "crewai": "CrewAI",
    }
    return Library(
        name,
        f"spanwise.instrumentations.{name}:{special.get(name, cls)}Instrumentor",
        (name, *peers),
        module,
        in_dev_venv,
    )


LIBRARIES: dict[str, Library] = {
    lib.name: lib
    for lib in (
        _lib("openai"),
        _lib("anthropic"),
        _lib("mistralai"),
        _lib("groq"),
        # google-genai: the official, OpenInference and OpenLLMetry entry point names.
        _lib(
            "gemini", "google-genai", "google_genai", "google_generativeai", module="google.genai"
        ),
        # Not "botocore": the official botocore instrumentor traces every AWS call.
        _lib("bedrock", module="boto3"),
        _lib("litellm"),
        _lib("langchain", module="langchain_core"),
        _lib("langgraph"),
        _lib("llama_index", "llama-index", module="llama_index.core"),
        _lib("dspy"),
        _lib("crewai", in_dev_venv=False),  # openai<3, httpx<0.29
        # autogen-core pins protobuf~=5.29; AG2 classic's [openai] extra pins openai<3.
        _lib("autogen_agentchat", "autogen-agentchat", "autogen_agentchat", in_dev_venv=False),
        _lib("ag2", "autogen", module="autogen", in_dev_venv=False),
    )
}


def library(name: str) -> Library:
    """The registered library ``name``; a clear error for any other."""
    try:
        return LIBRARIES[name]
    except KeyError:
        known = ", ".join(sorted(LIBRARIES))
        raise ValueError(f"spanwise does not instrument {name!r}; it instruments {known}") from None


def covered_distributions() -> frozenset[str]:
    """Entry point names under which peers instrument a library spanwise covers."""
    return frozenset(name for lib in LIBRARIES.values() for name in lib.peer_names)
