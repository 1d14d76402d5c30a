"""MLflow's trace filter grammar: parsing, and matching traces held in memory.

``filter_string`` is comparisons joined by ``AND``: ``identifier op value``, e.g.
``status = 'OK' AND tags.fruit = 'apple' AND execution_time_ms > 100``. Identifiers:
``status``/``state``, ``name``, ``timestamp_ms``, ``execution_time_ms``,
``tags.<key>``, ``metadata.<key>``, ``span.name``, ``span.type`` (keys may be
back-quoted). A malformed filter raises ``ValueError`` naming what and where.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Comparison",
    "OrderBy",
    "TraceFields",
    "matches",
    "parse_filter",
    "parse_order_by",
    "sort_traces",
]

Field = Literal[
    "state",
    "name",
    "timestamp_ms",
    "execution_time_ms",
    "tag",
    "metadata",
    "span.name",
    "span.type",
]
Op = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN"]
Scalar = str | int | float
Value = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    field: Field
    key: str | None  # tag/metadata key, else None
    op: Op
    value: Value


@dataclass(frozen=True, slots=True)
class OrderBy:
    field: Literal["timestamp_ms", "execution_time_ms", "name", "state", "trace_id"]
    ascending: bool


@dataclass(frozen=True, slots=True)
class TraceFields:
    """What the in-memory matcher needs to know about one trace."""

    trace_id: str
    state: str
    name: str | None
    timestamp_ms: int
    execution_time_ms: int | None
    tags: Mapping[str, str]
    metadata: Mapping[str, str]
    spans: Sequence[tuple[str, str]]  # (span name, span type)
    start_time_ns: int = 0  # orders traces within the same millisecond


_ATTRIBUTES: dict[str, Field] = {
    "status": "state",
    "state": "state",
    "name": "name",
    "timestamp_ms": "timestamp_ms",
    "timestamp": "timestamp_ms",
    "execution_time_ms": "execution_time_ms",
}
_PREFIXES = ("trace.", "attributes.", "attribute.")
_KEYED: dict[str, Field] = {"tags.": "tag", "tag.": "tag", "metadata.": "metadata"}
_SPAN: dict[str, Field] = {
    "span.name": "span.name",
    "span.type": "span.type",
    "span.span_type": "span.type",
}
_NUMERIC = frozenset({"timestamp_ms", "execution_time_ms"})
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"})
_NUMERIC_OPS = frozenset({"=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN"})
_STATE_OPS = frozenset({"=", "!=", "IN", "NOT IN"})
_STATES = ("OK", "ERROR", "IN_PROGRESS")
_VALID = (
    "status, name, timestamp_ms, execution_time_ms, tags.<key>, metadata.<key>, "
    "span.name, span.type"
)

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<unterminated>['"])
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>(?:[A-Za-z_][\w\-]*|`[^`]*`)(?:\.(?:[\w\-]+|`[^`]*`)?)*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    pos: int


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = self._tokenize()
        self.i = 0

    def error(self, message: str, pos: int | None = None) -> ValueError:
        where = len(self.text) if pos is None else pos
        return ValueError(
            f"Invalid filter {self.text!r}: {message} at position {where}\n"
            f"  {self.text}\n  {' ' * where}^"
        )

    def _tokenize(self) -> list[_Token]:
        tokens: list[_Token] = []
        pos = 0
        while pos < len(self.text):
            match = _TOKEN.match(self.text, pos)
            if match is None:
                raise self.error(f"unexpected character {self.text[pos]!r}", pos)
            kind = match.lastgroup or ""
            if kind == "unterminated":
                raise self.error("unterminated string", pos)
            if kind != "ws":
                tokens.append(_Token(kind, match.group(), pos))
            pos = match.end()
        return tokens

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token | None:
        token = self.peek()
        self.i += token is not None
        return token

    def word(self, token: _Token | None, *words: str) -> bool:
        return token is not None and token.kind == "ident" and token.text.upper() in words

    # -- grammar -----------------------------------------------------------------------

    def parse(self) -> tuple[Comparison, ...]:
        comparisons = [self.comparison()]
        while (token := self.take()) is not None:
            if self.word(token, "AND"):
                if self.peek() is None:
                    raise self.error("expected a comparison after AND")
                comparisons.append(self.comparison())
            elif self.word(token, "OR"):
                raise self.error("OR is not supported (only AND)", token.pos)
            else:
                raise self.error(f"expected AND, got {token.text!r}", token.pos)
        return tuple(comparisons)

    def comparison(self) -> Comparison:
        token = self.take()
        if token is None:
            raise self.error("expected an identifier")
        if token.kind != "ident" or self.word(token, "AND", "OR"):
            raise self.error(f"expected an identifier ({_VALID}), got {token.text!r}", token.pos)
        field, key = self.identifier(token)
        op_token = self.take()
        op = self.operator(op_token, token.text)
        allowed = (
            _STATE_OPS if field == "state" else _NUMERIC_OPS if field in _NUMERIC else _STRING_OPS
        )
        assert op_token is not None
        if op not in allowed:
            raise self.error(
                f"operator {op} is not supported for {token.text} "
                f"(use {', '.join(sorted(allowed))})",
                op_token.pos,
            )
        value = self.values(field) if op in ("IN", "NOT IN") else self.value(field)
        if field == "state":
            value = self.check_state(value, op_token.pos)
        return Comparison(field, key, op, value)

    def identifier(self, token: _Token) -> tuple[Field, str | None]:
        raw = token.text
        lower = raw.lower()
        for prefix in _PREFIXES:
            if lower.startswith(prefix) and lower[len(prefix) :] in _ATTRIBUTES:
                lower = lower[len(prefix) :]
        if lower in _ATTRIBUTES:
            return _ATTRIBUTES[lower], None
        if lower in _SPAN:
            return _SPAN[lower], None
        for prefix, field in _KEYED.items():
            for outer in ("", "trace."):
                if lower.startswith(outer + prefix):
                    key = raw[len(outer + prefix) :]
                    if key.startswith("`") and key.endswith("`") and len(key) >= 2:
                        key = key[1:-1]
                    if not key:
                        raise self.error(f"{prefix}<key> needs a key", token.pos)
                    return field, key
        raise self.error(f"unknown identifier {raw!r} (valid: {_VALID})", token.pos)

    def operator(self, token: _Token | None, after: str) -> Op:
        if token is None:
            raise self.error(f"expected a comparison operator after {after!r}")
        if token.kind == "op":
            return "!=" if token.text == "<>" else token.text  # type: ignore[return-value]
        if self.word(token, "LIKE", "ILIKE", "IN"):
            return token.text.upper()  # type: ignore[return-value]
        if self.word(token, "NOT") and self.word(self.peek(), "IN"):
            self.take()
            return "NOT IN"
        raise self.error(
            f"expected a comparison operator after {after!r}, got {token.text!r}", token.pos
        )

    def value(self, field: Field) -> Scalar:
        token = self.take()
        if token is None:
            raise self.error("expected a value")
        if field in _NUMERIC:
            text = token.text
            if token.kind == "string":
                text = _unquote(text)
            try:
                return float(text) if any(c in text for c in ".eE") else int(text)
            except ValueError:
                raise self.error(f"expected a number, got {token.text!r}", token.pos) from None
        if token.kind != "string":
            raise self.error(f"expected a quoted string, got {token.text!r}", token.pos)
        return _unquote(token.text)

    def values(self, field: Field) -> tuple[Scalar, ...]:
        opening = self.take()
        if opening is None or opening.text != "(":
            raise self.error(
                "expected '(' to start the IN list", None if opening is None else opening.pos
            )
        items: list[Scalar] = []
        while True:
            if (token := self.peek()) is not None and token.text == ")" and not items:
                raise self.error("the IN list is empty", token.pos)
            items.append(self.value(field))
            token = self.take()
            if token is None:
                raise self.error("expected ',' or ')' in the IN list")
            if token.text == ")":
                return tuple(items)
            if token.text != ",":
                raise self.error(f"expected ',' or ')', got {token.text!r}", token.pos)

    def check_state(self, value: Value, pos: int) -> Value:
        values = value if isinstance(value, tuple) else (value,)
        normalized: list[str] = []
        for item in values:
            upper = str(item).upper()
            if upper not in _STATES:
                raise self.error(f"invalid status {item!r} (use {', '.join(_STATES)})", pos)
            normalized.append(upper)
        return tuple(normalized) if isinstance(value, tuple) else normalized[0]


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse_filter(filter_string: str | None) -> tuple[Comparison, ...]:
    """The comparisons of ``filter_string`` (empty for None or blank)."""
    if filter_string is None or not filter_string.strip():
        return ()
    return _Parser(filter_string).parse()


_ORDER_FIELDS: dict[
    str, Literal["timestamp_ms", "execution_time_ms", "name", "state", "trace_id"]
] = {
    "timestamp_ms": "timestamp_ms",
    "timestamp": "timestamp_ms",
    "request_time": "timestamp_ms",
    "execution_time_ms": "execution_time_ms",
    "execution_duration": "execution_time_ms",
    "name": "name",
    "status": "state",
    "state": "state",
    "trace_id": "trace_id",
}


def parse_order_by(order_by: Sequence[str] | None) -> tuple[OrderBy, ...]:
    """Items like ``"timestamp_ms DESC"``; default newest first; trace_id breaks ties
    (in the first key's direction)."""
    if isinstance(order_by, str):
        order_by = [order_by]
    items: list[OrderBy] = []
    for item in order_by or ():
        parts = str(item).split()
        if not parts or len(parts) > 2:
            raise ValueError(f"Invalid order_by item {item!r}: expected '<field> [ASC|DESC]'")
        name = parts[0].lower()
        for prefix in _PREFIXES:
            name = name.removeprefix(prefix)
        if name not in _ORDER_FIELDS:
            raise ValueError(
                f"Invalid order_by item {item!r}: unknown field {parts[0]!r} "
                f"(use {', '.join(sorted(_ORDER_FIELDS))})"
            )
        direction = parts[1].upper() if len(parts) == 2 else "ASC"
        if direction not in ("ASC", "DESC"):
            raise ValueError(f"Invalid order_by item {item!r}: direction must be ASC or DESC")
        items.append(OrderBy(_ORDER_FIELDS[name], direction == "ASC"))
    if not items:
        items.append(OrderBy("timestamp_ms", False))
    if all(o.field != "trace_id" for o in items):
        # Same direction as the first key, so one index can serve the whole ordering.
        items.append(OrderBy("trace_id", items[0].ascending))
    return tuple(items)


# -- matching in memory (the same semantics as the SQL in _filter_sql) -----------------


def _like(pattern: str, flags: int = 0) -> re.Pattern[str]:
    parts = (".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), flags | re.DOTALL)


def _compare(actual: Scalar | None, op: Op, value: Value) -> bool:
    if actual is None:
        return False
    if op in ("IN", "NOT IN"):
        inside = actual in value  # type: ignore[operator]
        return inside if op == "IN" else not inside
    if op == "=":
        return actual == value
    if op == "!=":
        return actual != value
    if op in ("LIKE", "ILIKE"):
        flags = re.IGNORECASE if op == "ILIKE" else 0
        return _like(str(value), flags).fullmatch(str(actual)) is not None
    number, limit = float(actual), float(value)  # type: ignore[arg-type]
    return {
        "<": number < limit,
        "<=": number <= limit,
        ">": number > limit,
        ">=": number >= limit,
    }[op]


def _match_one(fields: TraceFields, c: Comparison) -> bool:
    if c.field == "tag":
        return _compare(fields.tags.get(c.key or ""), c.op, c.value)
    if c.field == "metadata":
        return _compare(fields.metadata.get(c.key or ""), c.op, c.value)
    if c.field == "span.name":
        return any(_compare(name, c.op, c.value) for name, _ in fields.spans)
    if c.field == "span.type":
        return any(_compare(kind, c.op, c.value) for _, kind in fields.spans)
    actual: Scalar | None = {
        "state": fields.state,
        "name": fields.name,
        "timestamp_ms": fields.timestamp_ms,
        "execution_time_ms": fields.execution_time_ms,
    }[c.field]
    return _compare(actual, c.op, c.value)


def matches(fields: TraceFields, comparisons: Sequence[Comparison]) -> bool:
    return all(_match_one(fields, c) for c in comparisons)


def sort_traces(items: list[TraceFields], order: Sequence[OrderBy]) -> list[TraceFields]:
    """Sorted as the SQL orders them: None values last in either direction."""
    out = list(items)
    for o in reversed(order):  # stable sorts, last key first
        present = [t for t in out if getattr(t, o.field) is not None]
        missing = [t for t in out if getattr(t, o.field) is None]
        if o.field == "timestamp_ms":
            present.sort(key=lambda t: (t.timestamp_ms, t.start_time_ns), reverse=not o.ascending)
        else:
            present.sort(key=lambda t: getattr(t, o.field), reverse=not o.ascending)
        out = present + missing
    return out
