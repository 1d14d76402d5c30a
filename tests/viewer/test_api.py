"""The viewer's JSON API and its guards, over a real SQLite store (Starlette TestClient)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from spanwise.model._model import Trace
from spanwise.store._filter import parse_order_by
from spanwise.store._sql import SqlTraceStore
from spanwise.viewer._app import COOKIE, LOOPBACK_HOSTS, create_app

Records = Callable[..., list[Any]]  # the `records` fixture (tests/viewer/conftest.py)
T0 = 1_700_000_000_000_000_000  # where its traces start (ns)


def _client(store: SqlTraceStore, **options: Any) -> TestClient:
    return TestClient(create_app(store, **options), base_url="http://127.0.0.1:5050")


def _walk(client: TestClient, order: str, size: int, filter_string: str = "") -> list[str]:
    seen: list[str] = []
    token = None
    for _ in range(100):
        params = {"page_size": size, "order_by": order, "filter": filter_string}
        if token:
            params["page_token"] = token
        answer = client.get("/api/traces", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        seen += [row["trace_id"] for row in body["traces"]]
        token = body["next_page_token"]
        if token is None:
            return seen
    raise AssertionError("paging did not end")


def test_list_rows_newest_first(store: SqlTraceStore, records: Records) -> None:
    store.write_records([r for i in range(3) for r in records(i, tags={"app": "demo"})])
    body = _client(store).get("/api/traces").json()
    assert [row["trace_id"] for row in body["traces"]] == [
        f"tr-{3:032x}",
        f"tr-{2:032x}",
        f"tr-{1:032x}",
    ]
    assert body["total"] == 3
    assert body["next_page_token"] is None
    assert body["traces"][-1] == {
        "trace_id": f"tr-{1:032x}",
        "name": "agent",
        "state": "OK",
        "request_time": T0 // 1_000_000,
        "duration_ms": 250,
        "token_usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
        "tags": {"app": "demo"},
        "service": "svc",
        "span_count": 3,
        "request_preview": None,
        "response_preview": None,
        "conversation": None,
    }


@pytest.mark.parametrize(
    "order", ["timestamp_ms DESC", "timestamp_ms ASC", "execution_time_ms DESC", "name ASC"]
)
def test_paging_visits_every_trace_once_in_order(
    store: SqlTraceStore, records: Records, order: str
) -> None:
    # 9 traces per millisecond: pages end inside a millisecond, the keyset must skip right.
    store.write_records(
        [r for i in range(120) for r in records(i, start=T0 + (i // 9) * 1_000_000 + i)]
    )
    walked = _walk(_client(store), order, 7)
    assert walked == store.search_ids([], parse_order_by([order]), None)
    assert len(set(walked)) == 120


def test_a_filtered_search_pages_too(store: SqlTraceStore, records: Records) -> None:
    store.write_records(
        [r for i in range(40) for r in records(i, tags={"env": "prod" if i % 3 else "dev"})]
    )
    walked = _walk(_client(store), "timestamp_ms DESC", 5, "tags.env = 'dev'")
    assert walked == [f"tr-{i + 1:032x}" for i in reversed(range(0, 40, 3))]


def test_new_traces_do_not_shift_the_next_page(store: SqlTraceStore, records: Records) -> None:
    store.write_records([r for i in range(10) for r in records(i)])
    client = _client(store)
    first = client.get("/api/traces", params={"page_size": 4}).json()
    store.write_records([r for i in range(10, 15) for r in records(i)])  # newer ones arrive
    second = client.get(
        "/api/traces", params={"page_size": 4, "page_token": first["next_page_token"]}
    ).json()
    assert [row["trace_id"] for row in second["traces"]] == [f"tr-{i:032x}" for i in (6, 5, 4, 3)]


def test_a_bad_filter_is_400_with_its_position(store: SqlTraceStore) -> None:
    client = _client(store)
    answer = client.get("/api/traces", params={"filter": "status = 'OK' AND nme = 'x'"})
    assert answer.status_code == 400
    body = answer.json()
    assert body["position"] == 18
    assert body["error"].startswith("Invalid filter")
    assert "unknown identifier 'nme'" in body["error"]
    unterminated = client.get("/api/traces", params={"filter": "name = 'abc"}).json()
    assert unterminated["position"] == 7
    assert "unterminated string" in unterminated["error"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"order_by": "color DESC"}, "unknown field"),
        ({"page_size": "0"}, "page_size must be 1-500"),
        ({"page_size": "many"}, "page_size must be 1-500"),
        ({"page_token": "not-a-token"}, "malformed page token"),
    ],
)
def test_other_bad_parameters_are_400(
    store: SqlTraceStore, params: dict[str, str], message: str
) -> None:
    answer = _client(store).get("/api/traces", params=params)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_a_token_for_another_order_is_refused(store: SqlTraceStore, records: Records) -> None:
    store.write_records([r for i in range(5) for r in records(i)])
    client = _client(store)
    token = client.get("/api/traces", params={"page_size": 2}).json()["next_page_token"]
    answer = client.get("/api/traces", params={"page_token": token, "order_by": "timestamp_ms ASC"})
    assert answer.status_code == 400
    assert "another search order" in answer.json()["error"]


def test_one_trace_and_its_json(store: SqlTraceStore, records: Records) -> None:
    store.write_records(records(0, status="ERROR"))
    client = _client(store)
    trace_id = f"tr-{1:032x}"
    view = client.get(f"/api/traces/{trace_id}").json()
    assert view["state"] == "ERROR"
    assert view["start_ns"] == str(T0)
    assert [
        (s["name"], s["span_type"], s["parent_id"], s["start_us"], s["end_us"], s["status"])
        for s in view["spans"]
    ] == [
        ("agent", "AGENT", None, 0.0, 250000.0, "ERROR"),
        ("get_weather", "TOOL", f"{1000:016x}", 1000.0, 2000.0, "OK"),
        ("chat m", "CHAT_MODEL", f"{1000:016x}", 2000.0, 4000.0, "OK"),
    ]
    assert view["spans"][0]["status_message"] == "boom"
    assert view["spans"][0]["resource"] == {"attributes": {"service.name": "svc"}, "schema_url": ""}
    download = client.get(f"/api/traces/{trace_id}/json")
    assert download.headers["content-disposition"] == f'attachment; filename="{trace_id}.json"'
    assert Trace.from_json(download.text).to_dict() == store.get_trace(trace_id).to_dict()  # type: ignore[union-attr]


def test_the_conversation_is_shown_and_filters_the_list(
    store: SqlTraceStore, records: Records
) -> None:
    written: list[Any] = []
    for i, conversation in enumerate(["chat-1", "chat-2", "chat-1", None]):
        spans = records(i)
        if conversation is not None:  # named by the model span, as an SDK's would be
            spans[-1]["attributes"]["gen_ai.conversation.id"] = conversation
        written += spans
    store.write_records(written)
    client = _client(store)
    rows = client.get("/api/traces").json()["traces"]
    assert [(row["trace_id"], row["conversation"]) for row in rows] == [
        (f"tr-{4:032x}", None),
        (f"tr-{3:032x}", "chat-1"),
        (f"tr-{2:032x}", "chat-2"),
        (f"tr-{1:032x}", "chat-1"),
    ]
    view = client.get(f"/api/traces/tr-{2:032x}").json()
    assert view["conversation"] == "chat-2"
    assert view["metadata"] == {"mlflow.trace.session": "chat-2"}
    # What the page's conversation link asks for.
    listed = client.get("/api/traces", params={"filter": "conversation.id = 'chat-1'"}).json()
    assert [row["trace_id"] for row in listed["traces"]] == [f"tr-{3:032x}", f"tr-{1:032x}"]
    page = "".join(client.get(f"/static/{name}").text for name in ("app.js", "trace.js"))
    assert "conversation.id = '" in page and "onConversation" in page


def test_unknown_and_malformed_trace_ids(store: SqlTraceStore) -> None:
    client = _client(store)
    missing = client.get(f"/api/traces/tr-{7:032x}")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": f"no trace tr-{7:032x} in the store"},
    )
    assert client.get(f"/api/traces/tr-{7:032x}/json").status_code == 404
    assert client.get("/api/traces/nonsense").status_code == 400


def test_the_page_and_its_files(store: SqlTraceStore) -> None:
    client = _client(store)
    page = client.get("/")
    assert page.status_code == 200
    assert '<script type="module" src="static/app.js">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    for name, kind in (("app.js", "text/javascript"), ("trace.css", "text/css")):
        answer = client.get(f"/static/{name}")
        assert (answer.status_code, answer.headers["content-type"].split(";")[0]) == (200, kind)
    assert client.get("/static/..%2F_app.py").status_code == 404
    assert client.get("/static/_app.py").status_code == 404


def test_a_token_guards_the_page_and_the_api(store: SqlTraceStore, records: Records) -> None:
    store.write_records(records(0))
    client = _client(store, token="s3cret")
    for path in ("/", "/api/traces", f"/api/traces/tr-{1:032x}", "/static/app.js"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert "token" in answer.json()["error"]
    assert client.get("/api/traces", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = client.get("/api/traces", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200 and len(ok.json()["traces"]) == 1
    assert client.get("/?token=wrong", follow_redirects=False).status_code == 401
    visit = client.get("/?token=s3cret", follow_redirects=False)
    assert visit.status_code == 303 and visit.headers["location"] == "./"
    cookie = visit.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=s3cret;") and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()
    # The client keeps the cookie: the page and the API open now.
    assert client.get("/").status_code == 200
    assert client.get("/api/traces").status_code == 200


def test_other_host_names_are_refused(store: SqlTraceStore) -> None:
    client = _client(store, allowed_hosts=LOOPBACK_HOSTS)
    assert client.get("/api/traces").status_code == 200
    assert client.get("/", headers={"Host": "localhost:5050"}).status_code == 200
    rebound = client.get("/api/traces", headers={"Host": "attacker.example:5050"})
    assert rebound.status_code == 403
