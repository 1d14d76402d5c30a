"""The trace list, a page at a time, over the store's search (``search_ids`` + ``load``).

Newest (or oldest) first pages by key, not by offset: the page token holds the last
row's ``timestamp_ms`` and how many rows of that millisecond were already shown, and the
next page is ``timestamp_ms <= t`` (``>=`` oldest first) with those few skipped. Page
1,000 then costs what page 1 costs, and traces arriving meanwhile never shift a later
page. Other orders (duration, name, state) page by offset.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from spanwise.store._filter import Comparison, OrderBy, parse_filter, parse_order_by
from spanwise.store._sql import SqlTraceStore

from ._present import row

__all__ = ["MAX_PAGE_SIZE", "FilterError", "Page", "PageTokenError", "parse_search", "search_page"]

MAX_PAGE_SIZE = 500
_POSITION = re.compile(r" at position (\d+)")


class FilterError(ValueError):
    """A filter (or order) the store's parser refused: its first line and position."""

    def __init__(self, message: str, position: int | None) -> None:
        super().__init__(message)
        self.position = position

    @classmethod
    def from_parser(cls, exc: ValueError) -> FilterError:
        first = str(exc).splitlines()[0] if str(exc) else "invalid filter"
        # The parser names the position in its message ("... at position 12").
        found = _POSITION.search(first)
        return cls(first, None if found is None else int(found.group(1)))


class PageTokenError(ValueError):
    """A page token this viewer did not issue (or for another order)."""


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[dict[str, Any]]
    next_page_token: str | None


def _encode(token: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode().rstrip("=")


def _decode(text: str, order: OrderBy) -> tuple[int | None, int]:
    """(boundary timestamp or None, rows to skip) from a page token."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        token = cast("dict[str, Any]", json.loads(raw))
        boundary, skip, key = token.get("t"), token["k"], token.get("o")
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError):
        raise PageTokenError("malformed page token") from None
    valid = isinstance(skip, int) and not isinstance(skip, bool) and skip >= 0
    valid = valid and (boundary is None or isinstance(boundary, int))
    if not valid or key != _order_key(order):
        raise PageTokenError("this page token belongs to another search order")
    return cast("int | None", boundary), cast(int, skip)


def _order_key(order: OrderBy) -> str:
    return f"{order.field} {'ASC' if order.ascending else 'DESC'}"


def parse_search(
    filter_string: str | None, order_by: str | None
) -> tuple[tuple[Comparison, ...], tuple[OrderBy, ...]]:
    """The parsed search; a bad filter or order raises ``FilterError``."""
    try:
        comparisons = parse_filter(filter_string)
    except ValueError as exc:
        raise FilterError.from_parser(exc) from None
    try:
        order = parse_order_by([order_by] if order_by else None)
    except ValueError as exc:
        raise FilterError(str(exc), None) from None
    return comparisons, order


def search_page(
    store: SqlTraceStore,
    comparisons: Sequence[Comparison],
    order: Sequence[OrderBy],
    size: int,
    page_token: str | None = None,
) -> Page:
    """One page of list rows and the token of the next (None: this was the last)."""
    first = order[0]
    by_time = first.field == "timestamp_ms"
    boundary, skip = (None, 0) if page_token is None else _decode(page_token, first)
    search = list(comparisons)
    if by_time and boundary is not None:
        search.append(Comparison("timestamp_ms", None, ">=" if first.ascending else "<=", boundary))
    ids = store.search_ids(search, order, skip + size + 1)[skip:]
    more = len(ids) > size
    traces = store.load(ids[:size])
    rows = [row(t) for t in traces]
    if not more or not traces:
        return Page(rows, None)
    if not by_time:
        token = {"t": None, "k": skip + len(traces)}
    else:
        last = traces[-1].info.request_time
        same = sum(1 for t in traces if t.info.request_time == last)
        token = {"t": last, "k": same + (skip if last == boundary else 0)}
    return Page(rows, _encode({**token, "o": _order_key(first)}))
