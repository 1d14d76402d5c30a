"""MLflow's trace filter grammar: parsing (``_match`` applies it to traces in memory,
``_filter_sql`` to the store).

``filter_string`` is comparisons joined by ``AND``: ``identifier op value``, e.g.
``status = 'OK' AND tags.fruit = 'apple' AND execution_time_ms > 100``. Identifiers:
``status``/``state``, ``name``, ``timestamp_ms``, ``execution_time_ms``,
``tags.<key>``, ``metadata.<key>``, ``span.name``, ``span.type``,
``span.attributes.<key>`` (a trace with a span whose attribute has that value; numbers
and booleans compare as their JSON text: ``12``, ``true``) (keys may be back-quoted),
and from OTLP ``resource.<key>`` (a trace with a span from a matching
resource: ``resource.`service.name` = 'checkout'``), ``scope.name`` and ``span.kind``
(``SERVER``, ``server`` or ``SPAN_KIND_SERVER``), and ``conversation.id``: the trace's
conversation, MLflow's session (the same as ``metadata.`mlflow.trace.session```; see
``spanwise.model._conversation``). A malformed filter raises ``ValueError`` naming what
and where.

Bounds, so that any filter that parses also runs on SQLite and PostgreSQL: at most
``MAX_COMPARISONS`` comparisons (SQLite refuses expressions nested ~1000 deep: an AND
chain of ~990 comparisons), at most ``MAX_VALUES`` values in all (SQLite builds before
3.32 bind at most 999 parameters), numbers within a 64-bit integer (the stored
columns' type) and finite.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

from spanwise.model._conversation import CONVERSATION_KEY

if TYPE_CHECKING:
    from typing import SupportsIndex

__all__ = [
    "MAX_COMPARISONS",
    "MAX_VALUES",
    "Comparison",
    "OrderBy",
    "check_max_results",
    "parse_filter",
    "parse_order_by",
]

MAX_COMPARISONS = 100
MAX_VALUES = 500
_INT64 = 2**63
_SHOWN = 80  # characters of a long filter quoted in an error

Field = Literal[
    "state",
    "name",
    "timestamp_ms",
    "execution_time_ms",
    "tag",
    "metadata",
    "span.name",
    "span.type",
    "span.kind",
    "span.attribute",
    "resource",
    "scope.name",
]
Op = Literal["=", "!=", "<", "<=", ">", ">=", "LIKE", "ILIKE", "IN", "NOT IN"]
Scalar = str | int | float
Value = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    field: Field
    key: str | None  # tag/metadata/resource/span attribute key, else None
    op: Op
    value: Value


@dataclass(frozen=True, slots=True)
class OrderBy:
    field: Literal["timestamp_ms", "execution_time_ms", "name", "state", "trace_id"]
    ascending: bool


_ATTRIBUTES: dict[str, Field] = {
    "status": "state",
    "state": "state",
    "name": "name",
    "timestamp_ms": "timestamp_ms",
    "timestamp": "timestamp_ms",
    "execution_time_ms": "execution_time_ms",
}
_PREFIXES = ("trace.", "attributes.", "attribute.")
_KEYED: dict[str, Field] = {
    "tags.": "tag",
    "tag.": "tag",
    "metadata.": "metadata",
    "resource.": "resource",  # OTel resource attributes: resource.`service.name`
    "request_metadata.": "metadata",  # MLflow's full name for metadata
}
# A trace with a span that has the attribute (MLflow's span.attributes.<key>).
_SPAN_ATTRIBUTE = ("span.attributes.", "span.attribute.")
# MLflow keeps a trace's name in this tag; spanwise's trace name is its root span's.
_TRACE_NAME_TAG = "mlflow.traceName"
# The trace's conversation (gen_ai.conversation.id), kept as MLflow's session metadata.
_CONVERSATION = "conversation.id"
_SPAN: dict[str, Field] = {
    "span.name": "span.name",
    "span.type": "span.type",
    "span.span_type": "span.type",
    "span.kind": "span.kind",
    "scope.name": "scope.name",
}
_NUMERIC = frozenset({"timestamp_ms", "execution_time_ms"})
_STRING_OPS = frozenset({"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"})
_NUMERIC_OPS = frozenset({"=", "!=", "<", "<=", ">", ">=", "IN", "NOT IN"})
_STATE_OPS = frozenset({"=", "!=", "IN", "NOT IN"})
_STATES = ("OK", "ERROR", "IN_PROGRESS")
_VALID = (
    "status, name, timestamp_ms, execution_time_ms, tags.<key>, metadata.<key> "
    "(request_metadata.<key>), "
    "span.name, span.type, span.kind, span.attributes.<key>, resource.<key>, scope.name, "
    "conversation.id"
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
        self.values_seen = 0

    def error(self, message: str, pos: int | None = None) -> ValueError:
        where = len(self.text) if pos is None else pos
        # A long filter is shown around the position only (a message, not a dump).
        start = max(0, where - _SHOWN // 2)
        shown = self.text[start : start + _SHOWN]
        prefix = "..." if start else ""
        suffix = "..." if start + _SHOWN < len(self.text) else ""
        quoted = repr(self.text) if not (prefix or suffix) else f"{prefix}{shown}{suffix}"
        return ValueError(
            f"Invalid filter {quoted}: {message} at position {where}\n"
            f"  {prefix}{shown}{suffix}\n  {' ' * (len(prefix) + where - start)}^"
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
                if len(comparisons) == MAX_COMPARISONS:
                    raise self.error(
                        f"too many comparisons (at most {MAX_COMPARISONS} joined by AND)",
                        token.pos,
                    )
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
        elif field == "span.kind":  # SERVER, server and SPAN_KIND_SERVER alike
            value = _span_kind(value)
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
        if lower in (_CONVERSATION, "trace." + _CONVERSATION):
            return "metadata", CONVERSATION_KEY
        for prefix in _SPAN_ATTRIBUTE:
            if lower.startswith(prefix):
                key = self.key(raw[len(prefix) :], prefix, token)
                if '"' in key:  # SQLite's JSON paths cannot name it
                    raise self.error("a span attribute key cannot contain '\"'", token.pos)
                return "span.attribute", key
        for prefix, field in _KEYED.items():
            for outer in ("", "trace."):
                if lower.startswith(outer + prefix):
                    key = self.key(raw[len(outer + prefix) :], prefix, token)
                    if field == "tag" and key == _TRACE_NAME_TAG:
                        return "name", None
                    return field, key
        raise self.error(f"unknown identifier {raw!r} (valid: {_VALID})", token.pos)

    def key(self, key: str, prefix: str, token: _Token) -> str:
        if key.startswith("`") and key.endswith("`") and len(key) >= 2:
            key = key[1:-1]
        if not key:
            raise self.error(f"{prefix}<key> needs a key", token.pos)
        return key

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
        self.values_seen += 1
        if self.values_seen > MAX_VALUES:
            raise self.error(f"too many values (at most {MAX_VALUES} in one filter)", token.pos)
        if field in _NUMERIC:
            text = token.text
            if token.kind == "string":
                text = _unquote(text)
            try:
                number = float(text) if any(c in text for c in ".eE") else int(text)
            except ValueError:
                raise self.error(f"expected a number, got {token.text!r}", token.pos) from None
            if not math.isfinite(number) or not -_INT64 <= number < _INT64:
                raise self.error(
                    f"number {token.text} is out of range (it must fit a 64-bit integer)", token.pos
                )
            return number
        if field == "span.attribute" and token.kind == "number":
            return token.text  # attribute values compare as text: 12 is '12'
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


def _span_kind(value: Value) -> Value:
    def one(item: Scalar) -> Scalar:
        return str(item).upper().removeprefix("SPAN_KIND_")

    return tuple(map(one, value)) if isinstance(value, tuple) else one(value)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse_filter(filter_string: str | None) -> tuple[Comparison, ...]:
    """The comparisons of ``filter_string`` (empty for None or blank)."""
    given = cast(object, filter_string)  # callers pass anything
    if given is not None and not isinstance(given, str):
        raise TypeError(f"filter_string must be a string or None, got {type(given).__name__}")
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
    given = cast(object, order_by)  # callers pass anything
    if given is not None and not isinstance(given, list | tuple):
        raise TypeError(f"order_by must be a list of strings, got {type(given).__name__}")
    items: list[OrderBy] = []
    for item in cast("Sequence[object]", order_by or ()):
        if not isinstance(item, str):
            raise TypeError(
                f"order_by must be a list of strings, got an item of type {type(item).__name__}"
            )
        parts = item.split()
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


def check_max_results(max_results: object) -> int | None:
    """``max_results`` as an int (None: no limit); TypeError or ValueError naming it."""
    if max_results is None:
        return None
    try:
        if isinstance(max_results, bool):  # an int to Python, a mistake here
            raise TypeError
        value = operator.index(cast("SupportsIndex", max_results))  # int, numpy ints
    except TypeError:
        raise TypeError(
            "max_results must be a positive integer or None, got "
            f"{type(max_results).__name__} {max_results!r}"
        ) from None
    if value < 1:
        raise ValueError(f"max_results must be a positive integer, got {value}")
    if value >= _INT64:
        raise ValueError(f"max_results must be below 2**63, got {value}")
    return value
