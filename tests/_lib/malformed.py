"""Malformed provider answers generated from a fake's canned ones, and what the app sees.

``Served(respond)`` serves a fake provider's ``respond`` in process with every JSON body
(or every server-sent event's data) passed through ``rewrite``. ``cases(documents)``
lists, for every path in those documents, the malformed stand-ins of its value: the key
dropped, null, a number, a string, a list of text parts, an object where a list or a
string was, a list where an object or a number was. ``mutation(path, label)`` is the
rewrite that applies one case to every document that has the path. ``outcome(...)`` is
what the application observes: the value returned (as JSON), every chunk of a stream, or
the exception's type and message.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fake_server import Answer, Respond

__all__ = ["Path", "Served", "cases", "differences", "mutation", "outcome"]

Path = tuple[str | int, ...]
_DROPPED = object()


class Served:
    """A fake's answers, passed through ``rewrite`` (by default: as they are)."""

    def __init__(self, respond: Respond) -> None:
        self.respond = respond
        self.rewrite: Callable[[Any], Any] = lambda value: value

    def __call__(self, path: str, body: dict[str, Any]) -> Answer:
        status, content_type, data = self.respond(path, body)
        if not content_type.startswith("text/event-stream"):
            if not content_type.startswith("application/json"):
                return status, content_type, data
            return status, content_type, json.dumps(self.rewrite(json.loads(data))).encode()
        lines: list[str] = []
        for line in data.decode().split("\n"):
            if line.startswith("data: {"):
                lines.append("data: " + json.dumps(self.rewrite(json.loads(line[6:]))))
            else:
                lines.append(line)
        return status, content_type, "\n".join(lines).encode()


def _replacements(value: Any) -> Iterator[tuple[str, Any]]:
    """Malformed stand-ins for one value (``_DROPPED``: the key removed)."""
    yield "dropped", _DROPPED
    yield "null", None
    if isinstance(value, str):
        yield "number", 42
        yield "parts", [{"type": "text", "text": value}]
        yield "object", {"text": value}
    elif isinstance(value, (bool, int, float)):
        yield "string", "7"
        yield "list", [value]
    elif isinstance(value, dict):
        yield "list", [value]
        yield "string", "x"
        yield "number", 3
    elif isinstance(value, list):
        yield "object", {"0": value[0] if value else None}  # pyright: ignore[reportUnknownArgumentType]
        yield "string", "x"
        yield "number", 3
        yield "nested", [value]


def _paths(value: Any, prefix: Path = ()) -> Iterator[Path]:
    if isinstance(value, dict):
        for key, inner in value.items():  # pyright: ignore[reportUnknownVariableType]
            path = (*prefix, str(key))  # pyright: ignore[reportUnknownArgumentType]
            yield path
            yield from _paths(inner, path)
    elif isinstance(value, list) and value:
        yield (*prefix, 0)
        yield from _paths(value[0], (*prefix, 0))  # pyright: ignore[reportUnknownArgumentType]


def _at(value: Any, path: Path) -> tuple[Any, str | int] | None:
    """The container that holds ``path``'s last step, and that step (None: not there)."""
    for step in path[:-1]:
        if isinstance(step, int):
            if not isinstance(value, list) or not value:
                return None
        elif not isinstance(value, dict) or step not in value:
            return None
        value = value[step]
    last = path[-1]
    if isinstance(last, int):
        return (value, last) if isinstance(value, list) and value else None
    return (value, last) if isinstance(value, dict) and last in value else None


def cases(documents: Iterable[Any]) -> list[tuple[Path, str]]:
    """Every (path, malformation) the documents allow, each once, in order."""
    found: dict[tuple[Path, str], None] = {}
    for document in documents:
        for path in _paths(document):
            where = _at(document, path)
            assert where is not None
            for label, _ in _replacements(where[0][where[1]]):
                found[(path, label)] = None
    return list(found)


def mutation(path: Path, label: str) -> Callable[[Any], Any]:
    """The rewrite that applies one case to every document (or chunk) with ``path``."""

    def rewrite(document: Any) -> Any:
        document = copy.deepcopy(document)
        where = _at(document, path)
        if where is None:
            return document
        container, step = where
        replacement = dict(_replacements(container[step])).get(label, _DROPPED)
        if replacement is _DROPPED:
            if isinstance(container, dict):
                del container[step]
            else:
                container.pop(step)
        else:
            container[step] = copy.deepcopy(replacement)
        return document

    return rewrite


def _seen(value: Any) -> Any:
    """What the app sees of an SDK object (or the error reading it raised)."""
    try:
        if hasattr(value, "to_json"):
            return json.loads(value.to_json(warnings=False))
        return repr(value)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def outcome(run: Callable[[], Any], streams: bool) -> tuple[Any, ...]:
    """What the application observes of ``run()``: a proxy shows as the class it wraps."""
    got: list[Any] = []
    try:
        result = run()
        if not streams:
            return ("returned", result.__class__.__name__, _seen(result))
        for chunk in result:
            got.append(_seen(chunk))
        return ("streamed", result.__class__.__name__, got)
    except Exception as exc:
        return ("raised", type(exc).__name__, str(exc), got)


def differences(
    found: list[tuple[Path, str]],
    served: Served,
    run: Callable[[], Any],
    streams: bool,
    instrument: Callable[[bool], None],
    finished: Callable[[], Any],
    clear: Callable[[], None],
    *,
    error_status: bool = True,
) -> list[str]:
    """Each case run uninstrumented, then instrumented (``instrument(True)``): what
    differs for the app, and every case that did not leave exactly one ended span
    (``finished()`` gives the exported spans), or (``error_status``) whose error left
    the span not ERROR."""
    expected: list[tuple[Any, ...]] = []
    for path, label in found:
        served.rewrite = mutation(path, label)
        expected.append(outcome(run, streams))
    failures: list[str] = []
    instrument(True)
    try:
        for (path, label), want in zip(found, expected, strict=True):
            clear()
            served.rewrite = mutation(path, label)
            got = outcome(run, streams)
            spans = finished()
            if got != want:
                failures.append(f"{path} {label}: {got!r:.300} != {want!r:.300}")
            elif len(spans) != 1:
                failures.append(f"{path} {label}: {len(spans)} ended spans")
            elif (
                error_status and got[0] == "raised" and spans[0].status.status_code.name != "ERROR"
            ):
                failures.append(f"{path} {label}: raised {got[1]}, the span is not ERROR")
    finally:
        instrument(False)
        served.rewrite = lambda value: value
    return failures
