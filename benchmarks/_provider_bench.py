"""The machinery of the provider benchmarks (``bench_anthropic.py``, ``bench_mistral.py``,
``bench_gemini.py``, ...): a bench module declares its own parts in a ``ProviderBench``
(cases, client, peers, yardstick) and this module runs them.

Each tool runs in worker processes of its own (only that tool is ever imported: a worker
is the bench module run again as a script), workers run round-robin in a shuffled order
each round, and the table gives, per case, the median over rounds of each worker's
figure and its spread, then the bare call, the best peer and the key ratio: spanwise's
added latency beyond the yardstick over the best peer's beyond the same yardstick.

Two ways a worker pairs calls (``ProviderBench.paired`` or ``.toggled``):

- paired: the tool stays on, and each pair is one instrumented call and one bare call
  (the SDK's own function, kept before the tool patched it, on the same client) in a
  random order; a pair's figure is their difference, a block's the median of its
  pairs', a worker's the median of its blocks'. For slow, jittery SDKs.
- toggled: a block of bare calls, then a block with the tool turned on; a pair's figure
  is median(instrumented) - median(bare), a worker's the median of its pairs'.

Only the standard library is imported here: a worker imports its tool first.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _harness import per_call

Toggle = tuple[Callable[[], None], Callable[[], None]]
Call = Callable[[], None]
Figures = dict[tuple[str, str], list[float]]

SPANWISE = "spanwise"
CONTENT_OFF = "spanwise, content off"
OPENLLMETRY = "OpenLLMetry"
OPENINFERENCE = "OpenInference"
REFERENCE = "yardstick: SDK span (+ pass-through stream proxy)"
NOT_PEERS = (SPANWISE, CONTENT_OFF, REFERENCE)

# The environment every worker of every provider bench starts with: content capture on
# for each tool (the official instrumentations need the opt-in, and reject "true";
# OpenLLMetry reads its own variable; OpenInference records content by default), and
# spanwise's pipeline in memory under every tool.
CONTENT_ENV = {
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY",
    "OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental",
    "TRACELOOP_TRACE_CONTENT": "true",
    "SPANWISE_TRACKING_URI": "none",
}
GENAI_PYTHON_ENV = "SPANWISE_BENCH_GENAI_PYTHON"
# SPANWISE_BENCH_CLOCK=thread: each call timed in the calling thread's CPU time, not wall
# time. For a machine shared with other work, where wall time mostly measures the
# scheduler; work other threads do (the SDK's own, the export pipeline's) is left out,
# alike for every tool.
CLOCK_ENV = "SPANWISE_BENCH_CLOCK"


def clock() -> Callable[[], int]:
    """The clock calls are timed with, in nanoseconds (see ``CLOCK_ENV``)."""
    return time.thread_time_ns if os.environ.get(CLOCK_ENV) == "thread" else time.perf_counter_ns


EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@dataclass(frozen=True)
class Peer:
    """A tool: its toggle factory (called in the worker: a tool that does not import
    fails there), the distribution whose version is reported, the environment on top of
    the bench's, and, if it needs another venv, the variable naming its interpreter."""

    toggle: Callable[[], Toggle]
    distribution: str
    env: dict[str, str] = field(default_factory=dict[str, str])
    python_env: str | None = None


def spanwise_peers(flavor: str) -> dict[str, Peer]:
    """spanwise's two rows: content captured, and content off."""

    def make() -> Toggle:
        import spanwise

        autolog = getattr(spanwise, flavor).autolog
        return (autolog, lambda: autolog(disable=True))

    off = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "NO_CONTENT"}
    return {SPANWISE: Peer(make, "spanwise"), CONTENT_OFF: Peer(make, "spanwise", off)}


def instrumentor(module: str, name: str, **options: Any) -> Callable[[], Toggle]:
    """A contrib-style instrumentor's toggle, on the provider spanwise set up."""

    def make() -> Toggle:
        import importlib

        from opentelemetry import trace

        tool = getattr(importlib.import_module(module), name)()
        provider = trace.get_tracer_provider()
        return (lambda: tool.instrument(tracer_provider=provider, **options), tool.uninstrument)

    return make


@dataclass(frozen=True)
class ProviderBench:
    """One provider's bench. Exactly one of ``paired``/``toggled``:

    - ``paired()`` runs before the tool is loaded (to keep the SDK's own functions) and
      returns a function that, once the tool is on, gives per case (instrumented, bare);
    - ``toggled()`` runs once the tool is loaded and gives per case the one call; the
      worker turns the tool on and off between blocks.
    """

    file: str  # the bench module's __file__: a worker runs it as a script
    cases: tuple[str, ...]
    peers: dict[str, Peer]  # in row order; must hold SPANWISE and REFERENCE
    env: dict[str, str]
    seed: int
    paired: Callable[[], Callable[[], dict[str, tuple[Call, Call]]]] | None = None
    toggled: Callable[[], dict[str, Call]] | None = None

    def worker(self, tool: str, pairs: int, block: int, seed: float) -> dict[str, Any]:
        """In a process of its own: ``pairs`` passes over the cases in a shuffled order.
        Returns, per case, each pass's figure (us), and the bare call's median (us)."""
        import importlib.metadata

        keep = self.paired() if self.paired else None
        peer = self.peers[tool]
        on, off = peer.toggle()
        import spanwise  # sets up the provider every tool exports to

        spanwise.trace(lambda: None)()
        rng = random.Random(seed)
        if keep is not None:
            on()
            cases = keep()
            for calls in cases.values():
                pairs_of(calls, 20, rng)  # warm up

            def measure_one(name: str) -> tuple[float, float]:
                return pairs_of(cases[name], block, rng)
        else:
            assert self.toggled is not None
            calls = self.toggled()
            for turn in (None, on):
                if turn:
                    turn()
                for call in calls.values():  # warm up, bare then instrumented
                    for _ in range(20):
                        call()
            off()

            def measure_one(name: str) -> tuple[float, float]:
                return blocks(calls[name], (on, off), block)

        names = list(self.cases)
        added: dict[str, list[float]] = {name: [] for name in names}
        bare: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(pairs):
            rng.shuffle(names)
            for name in names:
                extra, base = measure_one(name)
                added[name].append(extra)
                bare[name].append(base)
        return {
            "version": importlib.metadata.version(peer.distribution),
            "added": added,
            "bare": {name: statistics.median(values) for name, values in bare.items()},
        }

    def measure(
        self,
        rounds: int = 4,
        pairs: int = 8,
        block: int = 20,
        budget_s: float = 170.0,
        seed: int | None = None,
    ) -> tuple[Figures, dict[str, list[float]], dict[str, str], dict[str, Any]]:
        """Every tool in worker processes, round-robin, each round in a shuffled order. A
        round is not started when the rounds so far say it would end past ``budget_s``."""
        import json
        import subprocess

        rng = random.Random(self.seed if seed is None else seed)
        figures: Figures = {}
        bare: dict[str, list[float]] = {}
        skipped: dict[str, str] = {}
        info: dict[str, Any] = {"versions": {}, "rounds": 0}
        began = time.monotonic()
        longest = 0.0
        for number in range(rounds):
            if number and time.monotonic() - began + longest > budget_s:
                break
            round_start = time.monotonic()
            tools = [t for t in self.peers if t not in skipped]
            rng.shuffle(tools)
            for tool in tools:
                peer = self.peers[tool]
                env = {**os.environ, **self.env, **peer.env}
                python = (peer.python_env and os.environ.get(peer.python_env)) or sys.executable
                command = [python, self.file, tool, str(pairs), str(block), str(rng.random())]
                try:
                    done = subprocess.run(
                        command, capture_output=True, text=True, timeout=120, env=env, check=False
                    )
                except subprocess.TimeoutExpired:
                    skipped[tool] = "worker timed out (120 s)"
                    continue
                lines = done.stdout.strip().splitlines()
                if done.returncode != 0 or not lines:
                    why = (done.stderr.strip().splitlines() or ["failed"])[-1][:120]
                    if peer.python_env and peer.python_env not in os.environ:
                        why += f" (set {peer.python_env}: see the module docstring)"
                    skipped[tool] = why
                    continue
                result = json.loads(lines[-1])
                info["versions"][tool] = result["version"]
                for case, values in result["added"].items():
                    figures.setdefault((case, tool), []).append(statistics.median(values))
                for case, value in result["bare"].items():
                    bare.setdefault(case, []).append(value)
            info["rounds"] = number + 1
            longest = max(longest, time.monotonic() - round_start)
        info["seconds"] = round(time.monotonic() - began)
        return figures, bare, skipped, info

    def key_ratios(self, figures: Figures, tool: str) -> dict[str, Any]:
        """Per case: the best peer, and (tool - yardstick) / (best peer - yardstick)."""
        out: dict[str, Any] = {}
        for case in self.cases:
            peers = {
                t: statistics.median(v)
                for (c, t), v in figures.items()
                if c == case and t not in NOT_PEERS
            }
            ours, floor = figures.get((case, tool)), figures.get((case, REFERENCE))
            if not peers or not ours or not floor:
                continue
            best = min(peers, key=peers.__getitem__)
            beyond = peers[best] - statistics.median(floor)
            out[case] = {
                "best": best,
                "ratio": (statistics.median(ours) - statistics.median(floor)) / max(beyond, 1.0),
                "raw": statistics.median(ours) / max(peers[best], 1.0),
            }
        return out

    def run(self, **kwargs: Any) -> list[dict[str, Any]]:
        """The table: one row per tool, us added per call for each case (median over
        rounds, spread), then the bare call, the best peer and the key ratios."""
        figures, bare, skipped, info = self.measure(**kwargs)
        cases = self.cases
        rows: list[dict[str, Any]] = []
        for tool in self.peers:
            if tool in skipped:
                continue
            row: dict[str, Any] = {"tool": f"{tool} {info['versions'].get(tool, '')}".strip()}
            for case in cases:
                values = figures.get((case, tool))
                if values:
                    row[case] = (
                        f"+{statistics.median(values):.0f} ({min(values):.0f}..{max(values):.0f})"
                    )
            rows.append(row)
        rows.append(
            {
                "tool": "bare SDK call, us (no tracing)",
                **{c: f"{statistics.median(bare[c]):.0f}" for c in cases if c in bare},
            }
        )
        for tool in (SPANWISE, CONTENT_OFF):
            ratios = self.key_ratios(figures, tool)
            if tool == SPANWISE and ratios:
                rows.append({"tool": "best peer", **{c: r["best"] for c, r in ratios.items()}})
                rows.append(
                    {
                        "tool": "spanwise / best peer (added)",
                        **{c: f"{r['raw']:.2f}" for c, r in ratios.items()},
                    }
                )
            if ratios:
                rows.append(
                    {
                        "tool": f"{tool} beyond yardstick / best peer beyond yardstick "
                        "(target <= 0.5)",
                        **{c: f"**{r['ratio']:.2f}**" for c, r in ratios.items()},
                    }
                )
        for tool, why in skipped.items():
            rows.append({"tool": tool, cases[0]: f"not measured: {why}"})
        pairs = kwargs.get("pairs", 8)
        timed = ", thread CPU time" if os.environ.get(CLOCK_ENV) == "thread" else ""
        rows.append(
            {"tool": f"({info['rounds']} rounds x {pairs} pairs, {info['seconds']} s{timed})"}
        )
        return rows

    def main(self, argv: list[str]) -> None:
        """The bench module as a script: ``all [rounds [pairs [budget_s]]]`` prints its
        table; otherwise a worker (``tool pairs block seed``) prints its JSON result."""
        import json

        if argv[:1] == ["all"]:
            sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
            from run import table

            kinds: tuple[tuple[str, type], ...] = (
                ("rounds", int),
                ("pairs", int),
                ("budget_s", float),
            )
            given = zip(kinds, argv[1:], strict=False)
            kwargs = {name: kind(value) for (name, kind), value in given}
            print(table(self.run(**kwargs)))
            return
        for name, value in self.env.items():  # also when a worker is started by hand
            os.environ.setdefault(name, value)
        tool, pairs, block, seed = argv[:4]
        print(json.dumps(self.worker(tool, int(pairs), int(block), float(seed))))


def pairs_of(calls: tuple[Call, Call], block: int, rng: Any) -> tuple[float, float]:
    """``block`` pairs of one instrumented and one bare call, each pair in a random
    order: the median difference (us), and the median bare call (us)."""
    now = clock()
    traced, bare = calls
    added: list[float] = []
    bases: list[float] = []
    for _ in range(block):
        took: dict[Call, float] = {}
        for call in (traced, bare) if rng.random() < 0.5 else (bare, traced):
            start = now()
            call()
            took[call] = (now() - start) / 1000
        added.append(took[traced] - took[bare])
        bases.append(took[bare])
    return statistics.median(added), statistics.median(bases)


def blocks(call: Call, toggle: Toggle, block: int) -> tuple[float, float]:
    """A block of bare calls, then one with the tool on: median instrumented call minus
    median bare call, and the median bare call (us)."""
    on, off = toggle
    now = clock()
    bare = per_call(call, block, now)
    on()
    try:
        traced = per_call(call, block, now)
    finally:
        off()
    base = statistics.median(bare)
    return statistics.median(traced) - base, base
