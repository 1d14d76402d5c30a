"""Real OTLP backends for the end-to-end tests, each in a cached virtualenv of its own.

``backend_venv`` installs a backend once (pinned, under ``SPANWISE_E2E_CACHE``, default
``~/.cache/spanwise-e2e``; a marker file written last makes an interrupted install
start over; a file lock keeps two processes from installing at once). The start
functions bind 127.0.0.1 on free ports, wait (bounded) until the backend answers, and
return a ``Server`` whose ``stop()`` ends it by its pid. Commands from
../shared/BACKENDS.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "MLFLOW",
    "PHOENIX",
    "ROTEL",
    "Server",
    "backend_venv",
    "free_port",
    "mlflow_get_trace",
    "phoenix_spans",
    "run_agent",
    "start_mlflow",
    "start_phoenix",
    "start_rotel",
]

MLFLOW = ("mlflow==3.17.2",)
PHOENIX = ("arize-phoenix==20.26.1",)
ROTEL = ("rotel==0.0.1a15",)
INSTALL_TIMEOUT = 900


class BackendUnavailable(RuntimeError):
    """The backend cannot be installed or started here (the message says why)."""


def _cache() -> Path:
    root = os.environ.get("SPANWISE_E2E_CACHE") or Path.home() / ".cache" / "spanwise-e2e"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def backend_venv(name: str, requirements: Sequence[str]) -> Path:
    """The virtualenv holding ``requirements`` (created once, then reused)."""
    digest = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    venv = _cache() / f"{name}-{digest}"
    marker = venv / ".spanwise-installed"
    if marker.exists():
        return venv
    with open(_cache() / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be installing it
        if marker.exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        try:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
            subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *requirements],
                check=True,
                timeout=INSTALL_TIMEOUT,
                capture_output=True,
                text=True,
            )
        except subprocess.CalledProcessError as exc:
            raise BackendUnavailable(
                f"cannot install {' '.join(requirements)}: {exc.stderr[-2000:]}"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise BackendUnavailable(f"installing {name} took over {exc.timeout} s") from exc
        marker.write_text(json.dumps(list(requirements)))
    return venv


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    workdir: Path
    log: Path
    ports: dict[str, int] = field(default_factory=dict[str, int])

    def stop(self, timeout: float = 20.0) -> None:
        if self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=timeout)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _start(
    command: Sequence[str], workdir: Path, env: dict[str, str], name: str
) -> tuple[subprocess.Popen[bytes], Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            list(command),
            cwd=workdir,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends its children too
        )
    return process, log


def _wait_http(server: Server, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BackendUnavailable(f"{url} exited: {server.log_tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    server.stop()
    raise BackendUnavailable(f"{url} did not answer within {timeout} s: {server.log_tail()}")


def start_mlflow(workdir: Path) -> Server:
    venv = backend_venv("mlflow", MLFLOW)
    port = free_port()
    command = [
        str(venv / "bin" / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
        "--default-artifact-root", str(workdir / "artifacts"),
    ]  # fmt: skip
    env = {
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_MODEL_CATALOG_URI": "",  # else the first LLM span fetches a price list
    }
    process, log = _start(command, workdir, env, "mlflow")
    server = Server(process, f"http://127.0.0.1:{port}", workdir, log, {"http": port})
    _wait_http(server, f"{server.url}/health", timeout=120)
    return server


_MLFLOW_READ = """
import json, sys
from mlflow import MlflowClient
client = MlflowClient(sys.argv[1])
trace = client.get_trace(sys.argv[2])
spans = [
    {
        "name": s.name,
        "span_id": s.span_id,
        "start_time_ns": s.start_time_ns,
        "span_type": s.span_type,
        "inputs": s.inputs,
        "outputs": s.outputs,
        "parent_id": s.parent_id,
        "status": s.status.status_code.value if hasattr(s.status.status_code, "value") else str(s.status.status_code),
        "attributes": {k: v for k, v in s.attributes.items() if isinstance(k, str)},
    }
    for s in trace.data.spans
]
info = trace.info
print(json.dumps({
    "trace_id": info.trace_id,
    "state": str(getattr(info.state, "value", info.state)),
    "tags": dict(info.tags),
    "token_usage": info.token_usage,
    "spans": spans,
}, default=str))
"""


def mlflow_get_trace(server: Server, trace_id_hex: str) -> dict[str, Any]:
    """The trace as MLflow's own client reads it (run in MLflow's virtualenv)."""
    venv = backend_venv("mlflow", MLFLOW)
    deadline = time.monotonic() + 30
    last = ""
    while time.monotonic() < deadline:  # ingest may trail the export by a moment
        done = subprocess.run(
            [str(venv / "bin" / "python"), "-c", _MLFLOW_READ, server.url, f"tr-{trace_id_hex}"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
            check=False,
        )
        if done.returncode == 0:
            return json.loads(done.stdout.strip().splitlines()[-1])
        last = done.stderr[-2000:]
        time.sleep(1)
    raise AssertionError(f"MLflow has no trace tr-{trace_id_hex}: {last}")


def _rotel_binary(venv: Path) -> Path:
    found = sorted(venv.glob("lib/python*/site-packages/rotel/**/rotel-agent"))
    if not found:
        raise BackendUnavailable(f"no rotel-agent binary under {venv}")
    return found[0]


def start_rotel(workdir: Path, exporter_endpoint: str, *extra: str) -> Server:
    """A rotel collector: OTLP in (gRPC and HTTP on free ports), OTLP/HTTP out."""
    venv = backend_venv("rotel", ROTEL)
    grpc_port, http_port = free_port(), free_port()
    command = [
        str(_rotel_binary(venv)), "start",
        "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}",
        "--otlp-http-endpoint", f"127.0.0.1:{http_port}",
        "--exporter", "otlp", "--otlp-exporter-protocol", "http",
        "--otlp-exporter-endpoint", exporter_endpoint, *extra,
    ]  # fmt: skip
    process, log = _start(command, workdir, {}, "rotel")
    server = Server(
        process,
        f"http://127.0.0.1:{http_port}",
        workdir,
        log,
        {"grpc": grpc_port, "http": http_port},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BackendUnavailable(f"rotel exited: {server.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", http_port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise BackendUnavailable(f"rotel did not listen within 30 s: {server.log_tail()}")


ROOT = Path(__file__).resolve().parents[2]


def run_agent(env: dict[str, str], cwd: Path) -> str:
    """The OpenAI tool-agent demo (examples/openai_agent.py, fake endpoint), traced by
    ``spanwise.openai.autolog()``, in a process of its own with ``env``."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SPANWISE_"))}
    full |= {"OTEL_BSP_SCHEDULE_DELAY": "100", **env}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "openai_agent.py")],
        cwd=cwd,
        env=full,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


# Phoenix's gRPC listener binds every interface whatever PHOENIX_HOST says: this
# launcher narrows grpc's add_insecure_port to loopback, then runs Phoenix's CLI.
_PHOENIX_LAUNCHER = """
import sys
import grpc._server
import grpc.aio._server

def narrow(cls):
    original = cls.add_insecure_port
    def add_insecure_port(self, address):
        return original(self, "127.0.0.1:" + address.rsplit(":", 1)[1])
    cls.add_insecure_port = add_insecure_port

narrow(grpc._server._Server)
narrow(grpc.aio._server.Server)
from phoenix.server.main import main
sys.argv = ["phoenix", "serve"]
main()
"""


def start_phoenix(workdir: Path) -> Server:
    venv = backend_venv("phoenix", PHOENIX)
    http_port, grpc_port = free_port(), free_port()
    env = {
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(http_port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_ALLOW_EXTERNAL_RESOURCES": "false",
        "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
        "PHOENIX_LOG_MIGRATIONS": "false",
    }
    process, log = _start(
        [str(venv / "bin" / "python"), "-c", _PHOENIX_LAUNCHER], workdir, env, "phoenix"
    )
    server = Server(
        process,
        f"http://127.0.0.1:{http_port}",
        workdir,
        log,
        {"http": http_port, "grpc": grpc_port},
    )
    _wait_http(server, f"{server.url}/healthz", timeout=180)
    return server


def phoenix_spans(server: Server, project: str, count: int, timeout: float = 60) -> list[Any]:
    """The project's spans from Phoenix's REST API, once ``count`` arrived (ingest is
    asynchronous)."""
    deadline = time.monotonic() + timeout
    spans: list[Any] = []
    while time.monotonic() < deadline:
        try:
            url = f"{server.url}/v1/projects/{project}/spans?limit=100"
            with urllib.request.urlopen(url, timeout=10) as response:
                spans = json.loads(response.read())["data"]
        except OSError:
            spans = []
        if len(spans) >= count:
            return spans
        time.sleep(0.5)
    raise AssertionError(f"Phoenix has {len(spans)} spans of {count}: {server.log_tail()}")
