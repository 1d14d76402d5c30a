"""The real boto3 / botocore stack against a local fake Bedrock Runtime endpoint
(examples/fake_bedrock.py: JSON and the AWS event-stream framing), instrumented by spanwise.

Credentials are fakes planted in the environment (a canary secret key and session token
that the secret tests search for in every exported byte); retries are off so that an
error response is one request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

from botocore.config import Config  # noqa: E402

from fake_bedrock import ACCESS_KEY, CANARY_KEY, SECRET_KEY, FakeBedrock  # noqa: E402

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", CANARY_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def fake_server() -> Iterator[FakeBedrock]:
    server = FakeBedrock().start()
    yield server
    server.stop()


@pytest.fixture
def autolog() -> Iterator[None]:
    import spanwise

    spanwise.bedrock.autolog()
    yield
    spanwise.bedrock.autolog(disable=True)


@pytest.fixture
def plain_client(fake_server: FakeBedrock) -> Any:
    """A client on the fake endpoint (made before any autolog a test turns on)."""
    return boto3.client("bedrock-runtime", endpoint_url=fake_server.base_url, config=NO_RETRIES)


@pytest.fixture
def client(plain_client: Any, autolog: None) -> Any:
    return plain_client
