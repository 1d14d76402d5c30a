"""Validate emitted ``gen_ai.*`` attributes against shared/semconv-genai (v1.41.0).

Checks every key exists in the registry (or its deprecated list, which is an error),
that its value has the registry's type, that enum values of closed enums and the
well-known ones we emit are listed, and that message payloads match the JSON schemas.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

SEMCONV = Path(__file__).resolve().parents[3] / "shared" / "semconv-genai"

_SCHEMAS = {
    "gen_ai.input.messages": "gen-ai-input-messages.json",
    "gen_ai.output.messages": "gen-ai-output-messages.json",
    "gen_ai.system_instructions": "gen-ai-system-instructions.json",
    "gen_ai.tool.definitions": "gen-ai-tool-definitions.json",
    "gen_ai.retrieval.documents": "gen-ai-retrieval-documents.json",
}


def available() -> bool:
    return (SEMCONV / "model" / "registry.yaml").is_file()


@lru_cache(maxsize=1)
def registry() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((SEMCONV / "model" / "registry.yaml").read_text())
    out: dict[str, dict[str, Any]] = {}
    for group in data["groups"]:
        for attribute in group.get("attributes", []):
            out[attribute["id"]] = attribute
    return out


@lru_cache(maxsize=1)
def deprecated() -> set[str]:
    data = yaml.safe_load((SEMCONV / "model" / "registry-deprecated.yaml").read_text())
    return {a["id"] for g in data["groups"] for a in g.get("attributes", []) if "id" in a}


def enum_values(key: str) -> set[str]:
    kind = registry()[key]["type"]
    return {str(m["value"]) for m in kind["members"]} if isinstance(kind, dict) else set()


def _check_type(key: str, value: Any, kind: Any) -> None:
    if isinstance(kind, dict):  # an enum of strings (open: other values allowed)
        assert isinstance(value, str), f"{key}: enum value must be a string, got {value!r}"
        return
    checks = {
        "string": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "string[]": lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v),
        "int[]": lambda v: isinstance(v, (list, tuple)) and all(isinstance(x, int) for x in v),
        "any": lambda v: True,
    }
    assert kind in checks, f"{key}: unknown registry type {kind}"
    assert checks[kind](value), f"{key}: {value!r} is not of type {kind}"


def check_attributes(attributes: Mapping[str, Any], *, well_known_enums: bool = True) -> int:
    """Assert every gen_ai.* attribute conforms; returns how many were checked."""
    import jsonschema

    checked = 0
    for key, value in attributes.items():
        if not key.startswith("gen_ai."):
            continue
        assert key not in deprecated(), f"{key} is deprecated in v1.41.0"
        assert key in registry(), f"{key} is not a GenAI attribute of v1.41.0"
        _check_type(key, value, registry()[key]["type"])
        if well_known_enums and key in ("gen_ai.operation.name", "gen_ai.output.type"):
            assert value in enum_values(key), f"{key}={value!r} is not a well-known value"
        if key in _SCHEMAS:
            schema = json.loads((SEMCONV / "schemas" / _SCHEMAS[key]).read_text())
            payload = json.loads(value) if isinstance(value, str) else value
            jsonschema.validate(payload, schema)
        checked += 1
    return checked
