"""Paired, interleaved timing: every round runs each variant once, in shuffled order,
so drift and noise hit all variants alike; results are medians over rounds."""

from __future__ import annotations

import gc
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Result:
    name: str
    per_call_us: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.per_call_us)

    @property
    def spread(self) -> str:
        values = sorted(self.per_call_us)
        return f"{values[0]:.1f}-{values[-1]:.1f}"


def interleaved(
    variants: dict[str, Callable[[], object]], calls: int, rounds: int, seed: int = 7
) -> dict[str, Result]:
    """Per-call microseconds of each variant, ``rounds`` times ``calls`` calls."""
    rng = random.Random(seed)
    results = {name: Result(name) for name in variants}
    names = list(variants)
    for fn in variants.values():  # warm up caches and lazy set-up
        for _ in range(min(calls, 50)):
            fn()
    for _ in range(rounds):
        rng.shuffle(names)
        for name in names:
            fn = variants[name]
            gc.collect()
            start = time.perf_counter_ns()
            for _ in range(calls):
                fn()
            elapsed = time.perf_counter_ns() - start
            results[name].per_call_us.append(elapsed / calls / 1000)
    return results


def paired_ratio(results: dict[str, Result], name: str, base: str) -> float:
    """Median over rounds of name/base, each round's pair measured side by side."""
    pairs = zip(results[name].per_call_us, results[base].per_call_us, strict=True)
    return statistics.median(a / b for a, b in pairs)


def added(results: dict[str, Result], name: str, base: str) -> float:
    """Median over rounds of (name - base): what the variant adds per call, in us."""
    pairs = zip(results[name].per_call_us, results[base].per_call_us, strict=True)
    return statistics.median(a - b for a, b in pairs)


def per_call(
    call: Callable[[], None], calls: int, clock: Callable[[], int] = time.perf_counter_ns
) -> list[float]:
    """Each call's time (wall time unless another ``clock`` is given), in microseconds."""
    times: list[float] = []
    for _ in range(calls):
        start = clock()
        call()
        times.append((clock() - start) / 1000)
    return times


def pass_through(stream: Any, span: Any, end: dict[str, Any]) -> Any:
    """The yardsticks' stream proxy: chunks pass through; exhaustion sets ``end`` on the
    span and ends it (the least any instrumentation's stream proxy does)."""
    import wrapt

    class PassThrough(wrapt.ObjectProxy):  # type: ignore[misc]
        def __init__(self, inner: Any) -> None:
            super().__init__(inner)  # pyright: ignore[reportUnknownMemberType]
            self._self_next = inner.__next__

        def __iter__(self) -> Any:
            return self

        def __next__(self) -> Any:
            try:
                return self._self_next()
            except StopIteration:
                if span.is_recording():
                    span.set_attributes(end)
                    span.end()
                raise

    return PassThrough(stream)
