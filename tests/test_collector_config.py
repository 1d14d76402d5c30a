"""collector-config.yaml and collector-gateway.yaml: structure and keys.

No collector binary installs on these machines, so the files are checked as data:
every pipeline's components are defined, every defined component is used, every key is
one the collector documents (tests/_lib/collector_schema.py), processors are in a safe
order, credentials are removed, queues persist, and the gateway keeps errors and slow
traces behind trace-id load balancing. Each checker is shown to catch a broken copy.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from collector_schema import (
    ATTRIBUTE_ACTION_KEYS,
    ATTRIBUTE_ACTIONS,
    BLOCK_NESTED,
    BLOCKS,
    COMPONENTS,
    LB_RESOLVERS,
    NESTED,
    ROUTING_KEYS,
    STATUS_CODES,
    TAIL_POLICIES,
)

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("receivers", "processors", "exporters", "extensions")
Config = dict[str, Any]


def _load(name: str) -> list[Config]:
    with open(ROOT / name, encoding="utf-8") as f:
        return [doc for doc in yaml.safe_load_all(f) if doc]


AGENT = _load("collector-config.yaml")
GATEWAY = _load("collector-gateway.yaml")
ALL = [("agent", AGENT[0]), ("gateway tier 1", GATEWAY[0]), ("gateway tier 2", GATEWAY[1])]


def _type(component_id: str) -> str:
    return component_id.split("/", 1)[0]


# -- checkers: each returns the problems found (empty: fine) ------------------------------


def wiring(config: Config) -> list[str]:
    problems: list[str] = []
    pipelines: dict[str, Any] = config["service"]["pipelines"]
    used: dict[str, set[str]] = {s: set() for s in ("receivers", "processors", "exporters")}
    for name, pipeline in pipelines.items():
        for section, seen in used.items():
            for component in pipeline.get(section, []):
                seen.add(component)
                if component not in (config.get(section) or {}):
                    problems.append(f"pipeline {name}: {section[:-1]} {component} is not defined")
        if not pipeline.get("receivers") or not pipeline.get("exporters"):
            problems.append(f"pipeline {name} needs receivers and exporters")
    for section, names in used.items():
        for component in config.get(section) or {}:
            if component not in names:
                problems.append(f"{section[:-1]} {component} is defined but never used")
    extensions = set(config.get("extensions") or {})
    listed = set(config["service"].get("extensions") or [])
    problems += [f"extension {e} is not defined" for e in sorted(listed - extensions)]
    problems += [f"extension {e} is defined but not enabled" for e in sorted(extensions - listed)]
    for where, storage in _storages(config):
        if storage not in extensions:
            problems.append(f"{where}: storage {storage} is not a defined extension")
    return problems


def _storages(config: Config) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "storage" and isinstance(value, str):
                    found.append((where, value))
                walk(value, f"{where}.{key}")

    walk(config.get("exporters"), "exporters")
    return found


def _check_block(node: Any, block: str, where: str, problems: list[str]) -> None:
    if node is None:
        return
    if not isinstance(node, dict):
        problems.append(f"{where} must be a mapping")
        return
    for key, value in node.items():
        if key not in BLOCKS[block]:
            problems.append(f"{where}: unknown key {key!r}")
        elif (block, key) in BLOCK_NESTED:
            _check_block(value, BLOCK_NESTED[(block, key)], f"{where}.{key}", problems)


def keys(config: Config) -> list[str]:
    problems: list[str] = []
    for section in SECTIONS:
        for component, settings in (config.get(section) or {}).items():
            kind = f"{section}.{_type(component)}"
            allowed = COMPONENTS.get(kind)
            if allowed is None:
                problems.append(f"{kind}: a component this test does not know")
                continue
            for key, value in (settings or {}).items():
                where = f"{section}.{component}.{key}"
                if key not in allowed:
                    problems.append(f"{where}: unknown key")
                elif (kind, key) in NESTED:
                    _check_block(value, NESTED[(kind, key)], where, problems)
            if kind == "processors.attributes":
                problems += _attribute_actions(component, settings)
            if kind == "processors.tail_sampling":
                problems += _policies(component, settings)
            if kind in ("exporters.loadbalancing", "exporters.load_balancing"):
                problems += _resolver(component, settings)
    return problems


def _attribute_actions(component: str, settings: Config) -> list[str]:
    problems: list[str] = []
    for i, action in enumerate(settings.get("actions") or []):
        unknown = set(action) - ATTRIBUTE_ACTION_KEYS
        if unknown:
            problems.append(f"{component} action {i}: unknown keys {sorted(unknown)}")
        if action.get("action") not in ATTRIBUTE_ACTIONS:
            problems.append(f"{component} action {i}: unknown action {action.get('action')!r}")
        if "key" not in action and "pattern" not in action:
            problems.append(f"{component} action {i}: needs key or pattern")
    return problems


def _policies(component: str, settings: Config) -> list[str]:
    problems: list[str] = []
    for policy in settings.get("policies") or []:
        kind = policy.get("type")
        if kind not in TAIL_POLICIES:
            problems.append(f"{component}: unknown policy type {kind!r}")
            continue
        extra = set(policy) - {"name", "type", kind}
        if extra:
            problems.append(
                f"{component} policy {policy.get('name')}: unknown keys {sorted(extra)}"
            )
        unknown = set(policy.get(kind) or {}) - TAIL_POLICIES[kind]
        if unknown:
            problems.append(
                f"{component} policy {policy.get('name')}: unknown keys {sorted(unknown)}"
            )
        if kind == "status_code":
            bad = set(policy[kind].get("status_codes") or []) - STATUS_CODES
            if bad:
                problems.append(f"{component}: unknown status codes {sorted(bad)}")
    return problems


def _resolver(component: str, settings: Config) -> list[str]:
    problems: list[str] = []
    resolvers = settings.get("resolver") or {}
    if len(resolvers) != 1:
        problems.append(f"{component}: exactly one resolver")
    for name, block in resolvers.items():
        unknown = set(block or {}) - LB_RESOLVERS.get(name, frozenset())
        if unknown:
            problems.append(f"{component} resolver {name}: unknown keys {sorted(unknown)}")
    if settings.get("routing_key", "traceID") not in ROUTING_KEYS:
        problems.append(f"{component}: unknown routing_key {settings.get('routing_key')!r}")
    return problems


def order(config: Config) -> list[str]:
    problems: list[str] = []
    for name, pipeline in config["service"]["pipelines"].items():
        processors = [_type(p) for p in pipeline.get("processors", [])]
        if "memory_limiter" not in processors or processors[0] != "memory_limiter":
            problems.append(f"pipeline {name}: memory_limiter must come first")
        if "batch" not in processors or processors[-1] != "batch":
            problems.append(f"pipeline {name}: batch must come last")
    return problems


def persistent_queues(config: Config) -> list[str]:
    problems: list[str] = []
    for component, settings in (config.get("exporters") or {}).items():
        block = settings or {}
        if _type(component) in ("loadbalancing", "load_balancing"):
            block = (block.get("protocol") or {}).get("otlp") or {}
        queue = block.get("sending_queue") or {}
        if not queue.get("enabled") or not queue.get("storage"):
            problems.append(f"exporter {component}: sending_queue must be enabled with storage")
    return problems


def drops_credentials(config: Config) -> list[str]:
    deleted: set[str] = set()
    patterns: list[str] = []
    pipeline_processors = {
        p for pl in config["service"]["pipelines"].values() for p in pl.get("processors", [])
    }
    for component, settings in (config.get("processors") or {}).items():
        if _type(component) != "attributes" or component not in pipeline_processors:
            continue
        for action in settings.get("actions") or []:
            if action.get("action") == "delete":
                if "key" in action:
                    deleted.add(action["key"])
                if "pattern" in action:
                    patterns.append(action["pattern"])
    needed = {"http.request.header.authorization", "authorization", "api_key"}
    problems = [f"credential attribute {k} is not deleted" for k in sorted(needed - deleted)]
    if not any("api" in p and "token" in p for p in patterns):
        problems.append("no catch-all pattern for key/token/secret attributes")
    return problems


# -- the shipped files --------------------------------------------------------------------


@pytest.mark.parametrize(("tier", "config"), ALL, ids=[t for t, _ in ALL])
@pytest.mark.parametrize("checker", [wiring, keys, order])
def test_every_document(tier: str, config: Config, checker: Callable[[Config], list[str]]) -> None:
    assert checker(config) == []


def test_agent_pipeline() -> None:
    config = AGENT[0]
    assert len(AGENT) == 1
    assert drops_credentials(config) == []
    assert persistent_queues(config) == []
    assert set(config["receivers"]["otlp"]["protocols"]) == {"grpc", "http"}
    assert set(config["exporters"]) == {"otlp/jaeger", "otlp/tempo", "otlphttp/spanwise"}


def test_gateway_tiers() -> None:
    agents, gateways = GATEWAY
    assert drops_credentials(agents) == []
    assert persistent_queues(agents) == [] and persistent_queues(gateways) == []
    (balancer,) = agents["exporters"].values()
    assert balancer["routing_key"] == "traceID"
    assert agents["service"]["pipelines"]["traces"]["exporters"] == ["loadbalancing"]
    policies = {p["type"]: p for p in gateways["processors"]["tail_sampling"]["policies"]}
    assert policies["status_code"]["status_code"]["status_codes"] == ["ERROR"]
    assert policies["latency"]["latency"]["threshold_ms"] > 0
    assert "tail_sampling" in gateways["service"]["pipelines"]["traces"]["processors"]


# -- each checker catches a broken copy ---------------------------------------------------


def _broken(change: Callable[[Config], None], base: Config | None = None) -> Config:
    config = copy.deepcopy(base if base is not None else AGENT[0])
    change(config)
    return config


@pytest.mark.parametrize(
    ("checker", "change", "expected"),
    [
        (
            wiring,
            lambda c: c["processors"].update({"extra": {}}),
            "processor extra is defined but never used",
        ),
        (
            wiring,
            lambda c: c["service"]["pipelines"]["traces"]["exporters"].append("otlp/nowhere"),
            "exporter otlp/nowhere is not defined",
        ),
        (
            wiring,
            lambda c: c["service"]["extensions"].remove("file_storage"),
            "file_storage is defined but not enabled",
        ),
        (keys, lambda c: c["exporters"]["otlp/tempo"].update({"endpont": "x"}), "unknown key"),
        (
            keys,
            lambda c: c["exporters"]["otlp/tempo"]["tls"].update({"insecur": True}),
            "unknown key 'insecur'",
        ),
        (
            keys,
            lambda c: c["receivers"]["otlp"]["protocols"]["grpc"].update({"port": 1}),
            "unknown key 'port'",
        ),
        (
            keys,
            lambda c: c["processors"]["attributes/drop-credentials"]["actions"].append(
                {"key": "x", "action": "remove"}
            ),
            "unknown action 'remove'",
        ),
        (
            order,
            lambda c: c["service"]["pipelines"]["traces"]["processors"].reverse(),
            "memory_limiter must come first",
        ),
        (
            persistent_queues,
            lambda c: c["exporters"]["otlp/jaeger"]["sending_queue"].pop("storage"),
            "otlp/jaeger: sending_queue must be enabled with storage",
        ),
        (
            drops_credentials,
            lambda c: c["processors"]["attributes/drop-credentials"]["actions"].pop(0),
            "http.request.header.authorization is not deleted",
        ),
    ],
)
def test_checkers_catch_broken_configs(
    checker: Callable[[Config], list[str]], change: Callable[[Config], None], expected: str
) -> None:
    assert checker(AGENT[0]) == []
    problems = checker(_broken(change))
    assert any(expected in p for p in problems), problems


def test_tail_sampling_checker_catches_bad_policies() -> None:
    def bad(config: Config) -> None:
        config["processors"]["tail_sampling"]["policies"].append(
            {"name": "x", "type": "status_code", "status_code": {"status_codes": ["FAILED"]}}
        )
        config["processors"]["tail_sampling"]["policies"].append({"name": "y", "type": "slow"})

    problems = keys(_broken(bad, GATEWAY[1]))
    assert any("unknown status codes ['FAILED']" in p for p in problems)
    assert any("unknown policy type 'slow'" in p for p in problems)
