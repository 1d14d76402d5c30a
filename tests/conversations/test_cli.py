"""``spanwise traces show`` prints the conversation; ``traces list --conversation ID`` and
``traces export --conversation ID`` keep its turns only."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from spanwise.server._cli import main
from spanwise.store._sql import SqlTraceStore

CONV = "gen_ai.conversation.id"


@pytest.fixture
def db(tmp_path: Path, record: Callable[..., dict[str, Any]]) -> str:
    uri = f"sqlite:///{tmp_path / 'cli.db'}"
    store = SqlTraceStore(uri)
    store.write_records(
        [  # type: ignore[list-item]
            record(1, 10, None, {"spanwise.trace.tags.env": "prod"}),
            record(1, 11, 10, {CONV: "chat-1"}, start=1),
            record(2, 20, None, {CONV: "it's-2", "spanwise.trace.tags.env": "dev"}),
            record(3, 30, None, {"spanwise.trace.metadata.session": "chat-1"}),
            record(4, 40, None),
        ]
    )
    store.close()
    return uri


def _listed(capsys: pytest.CaptureFixture[str]) -> list[int]:
    lines = capsys.readouterr().out.splitlines()
    return [int(line.split()[0][3:], 16) for line in lines[1:] if line.startswith("tr-")]


def test_show_prints_the_conversation(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "show", f"{1:032x}", "--tracking-uri", db]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"tr-{1:032x}  OK  100.0 ms"
    assert lines[1] == "conversation: chat-1"
    assert lines[2] == "tags: env=prod"
    assert lines[3].startswith("└── span10")
    assert main(["traces", "show", f"{4:032x}", "--tracking-uri", db]) == 0
    out = capsys.readouterr().out
    assert "conversation" not in out
    assert out.splitlines()[1].startswith("└── span40")


def test_list_by_conversation(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "list", "--tracking-uri", db, "--conversation", "chat-1"]) == 0
    assert _listed(capsys) == [3, 1]
    # Quotes in the id are the CLI's to escape; with --filter, both apply.
    assert main(["traces", "list", "--tracking-uri", db, "--conversation", "it's-2"]) == 0
    assert _listed(capsys) == [2]
    argv = ["traces", "list", "--tracking-uri", db, "--conversation", "chat-1"]
    assert main([*argv, "--filter", "tags.env = 'prod'"]) == 0
    assert _listed(capsys) == [1]
    assert main(["traces", "list", "--tracking-uri", db, "--conversation", "none"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "(no traces)"


def test_export_by_conversation(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["traces", "export", "--tracking-uri", db, "--conversation", "chat-1"]) == 0
    exported = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["info"]["trace_metadata"]["mlflow.trace.session"] for t in exported] == [
        "chat-1",
        "chat-1",
    ]
