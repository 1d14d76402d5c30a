"""End-to-end fixtures: real backends (installed once into cached virtualenvs), the
demo agent as the traced application. Every test here is marked ``e2e`` and ``slow``
(``make test-fast`` skips them)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_backends import Server, start_mlflow


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)
            # A backend's start (its own bound: 120-180 s) counts against the test's time:
            # let that bound, with its clear message, decide on a slow machine.
            item.add_marker(pytest.mark.timeout(420))


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_mlflow(tmp_path_factory.mktemp("mlflow"))
    yield server
    server.stop()


@pytest.fixture
def spanwise_server(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """A real ``spanwise server`` process: (OTLP/HTTP base URL, gRPC endpoint, its store)."""
    import signal

    db = tmp_path / "server.db"
    command = Path(sys.executable).parent / "spanwise"
    process = subprocess.Popen(
        [str(command), "server", "--http-port", "0", "--grpc-port", "0", "--tracking-uri", str(db)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready = process.stdout.readline()
        http = ready.split("OTLP/HTTP ")[1].split(",")[0].strip().removesuffix("/v1/traces")
        grpc = ready.split("OTLP/gRPC ")[1].split(" ")[0].strip()
        yield http, grpc, db
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def phoenix_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    from e2e_backends import start_phoenix

    server = start_phoenix(tmp_path_factory.mktemp("phoenix"))
    yield server
    server.stop()
