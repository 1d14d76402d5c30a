"""Packaging computed from the source tree: packages, extras and entry points.

* The source folders map into the one import namespace ``spanwise``: ``spanwise/`` is
  the facade; ``semconv/``, ``common/``, ``model/``, ``instrumentations/``, ``store/``,
  ``exporter/`` and ``server/`` become ``spanwise.semconv``, ``spanwise.common``...
  The package list is computed, so a new subpackage reaches the wheel without an edit
  here (tests/test_packaging.py builds the wheel and checks).
* Every library in ``instrumentations/_registry.py`` gets an extra (``spanwise[anthropic]``,
  its requirement from the library's ``package.py``) and a ``spanwise_<library>``
  ``opentelemetry_instrumentor`` entry point: adding a library is its folder and one
  line in the registry.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from setuptools import find_packages, setup

# Bottom to top: each folder imports only the ones above it in this list (and itself).
ROOTS = {
    "spanwise.semconv": "semconv",
    "spanwise.common": "common",
    "spanwise.model": "model",
    "spanwise.instrumentations": "instrumentations",
    "spanwise.store": "store",
    "spanwise.exporter": "exporter",
    "spanwise.viewer": "viewer",
    "spanwise.server": "server",
    "spanwise": "spanwise",
}

HERE = Path(__file__).parent

# Extras that are not a library's.
EXTRAS: dict[str, list[str]] = {
    # search_traces(return_type="pandas") needs pandas; everything else works without it.
    "pandas": ["pandas>=1.5"],
    # PostgreSQL store (SPANWISE_TRACKING_URI=postgresql://...).
    "postgres": ["psycopg[binary]>=3.1"],
    # The test suite (plus every instrumented library, added below).
    "dev": [
        "pandas>=1.5",
        "psycopg[binary]>=3.1",
        "pytest>=8",
        "pytest-asyncio>=0.23",
        "pytest-timeout>=2.3",
        "build>=1.0",
        "jsonschema>=4",
        "pyyaml>=6",
        "ruff>=0.6",
        "pyright>=1.1.380",
        # Read-back compatibility: MLflow's own Trace.from_json must read our JSON.
        "mlflow-tracing>=3.1",
        # The viewer's browser test drives Debian's Chromium (installed by .ci/run).
        "playwright>=1.40",
        # The LangChain/LangGraph tests run ChatOpenAI against the fake OpenAI server.
        "langchain-openai>=0.2",
    ],
    # Translation-in golden tests read spans the peers' real instrumentors produce
    # (pinned: the goldens are their output). A venv of their own (`make test` builds
    # .venv-peers and passes SPANWISE_PEERS_PYTHON): both register an `openai`
    # instrumentor entry point, which `opentelemetry-instrument` in the dev venv must
    # not see.
    "peers": [
        "openinference-instrumentation-openai==0.1.66",
        "opentelemetry-instrumentation-openai==0.62.4",
        "openai>=1.40",
    ],
    # Peers measured in the same run by `make bench`.
    "bench": [
        "pandas>=1.5",
        "opentelemetry-instrumentation-openai==0.62.4",
        "openinference-instrumentation-openai==0.1.66",
        # mlflow.openai.autolog() lives in the full package (it brings mlflow-tracing).
        "mlflow==3.17.2",
        # The official instrumentation imports beside openai 3.x only with these pins.
        "opentelemetry-instrumentation-openai-v2==2.4b0",
        "opentelemetry-util-genai==1.1b0",
        "httpx",
        # Anthropic peers (bench_anthropic.py), beside anthropic 2.x.
        "opentelemetry-instrumentation-anthropic==0.62.4",
        "openinference-instrumentation-anthropic==3.1.0",
        # Mistral peers (bench_mistral.py), beside mistralai 3.x (OpenLLMetry's imports
        # only beside 1.x: the bench reports it as not measured).
        "opentelemetry-instrumentation-mistralai==0.62.4",
        "openinference-instrumentation-mistralai==2.2.2",
        # Gemini peers (bench_gemini.py), beside google-genai 3.x; the official
        # opentelemetry-instrumentation-google-genai needs opentelemetry-util-genai>=1.3b0:
        # it goes in the venv of the official genai-anthropic one (Makefile).
        "openinference-instrumentation-google-genai==1.4.14",
        "opentelemetry-instrumentation-google-generativeai==0.62.4",
        # LangChain peers (bench_langchain.py): they register `langchain` entry points.
        "openinference-instrumentation-langchain==0.1.80",
        "opentelemetry-instrumentation-langchain==0.62.4",
        "langchain-openai>=0.3",
        # Bedrock peers (bench_bedrock.py), beside boto3 1.44.
        "opentelemetry-instrumentation-bedrock==0.62.4",
        "openinference-instrumentation-bedrock==0.1.61",
        "opentelemetry-instrumentation-botocore==0.66b2",
        # Groq peers (bench_groq.py), beside groq 1.x.
        "opentelemetry-instrumentation-groq==0.62.4",
        "openinference-instrumentation-groq==0.1.33",
        # LiteLLM peers (bench_litellm.py).
        "openinference-instrumentation-litellm==0.1.51",
        "opentelemetry-instrumentation-litellm==0.62.4",
    ],
}

# (setuptools takes the scripts and the entry points from one place: both are here.)
ENTRY_POINTS: dict[str, list[str]] = {
    "console_scripts": ["spanwise = spanwise.server._cli:main"],
    "opentelemetry_traces_exporter": ["spanwise = spanwise.exporter:SpanwiseStoreExporter"],
    "opentelemetry_distro": ["spanwise = spanwise.exporter._distro:SpanwiseDistro"],
    "opentelemetry_configurator": [
        "spanwise = spanwise.exporter._configurator:SpanwiseConfigurator"
    ],
    # Named spanwise_<library>: the official, OpenLLMetry and OpenInference packages all
    # use the bare library name.
    "opentelemetry_instrumentor": [],
}


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for name, folder in ROOTS.items():
        packages.append(name)
        package_dir[name] = folder
        for sub in find_packages(where=str(HERE / folder)):
            packages.append(f"{name}.{sub}")
            package_dir[f"{name}.{sub}"] = f"{folder}/{sub.replace('.', '/')}"
    return packages, package_dir


def _load(path: Path) -> ModuleType:
    """A module of the source tree by its path (they import only the standard library)."""
    spec = importlib.util.spec_from_file_location(f"_spanwise_setup_{path.parent.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _libraries() -> None:
    registry = _load(HERE / "instrumentations" / "_registry.py")
    for lib in registry.LIBRARIES.values():
        requirement = list(_load(HERE / "instrumentations" / lib.name / "package.py")._instruments)
        EXTRAS[lib.extra] = requirement
        if lib.in_dev_venv:
            EXTRAS["dev"] += requirement
        ENTRY_POINTS["opentelemetry_instrumentor"].append(f"{lib.entry_point} = {lib.instrumentor}")


PACKAGES, PACKAGE_DIR = _packages()
_libraries()

setup(
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    # The viewer's page ships prebuilt: pip install alone serves it, no CDN.
    package_data={
        **{name: ["py.typed"] for name in ROOTS},
        "spanwise.viewer": ["py.typed", "static/*"],
    },
    extras_require=EXTRAS,
    entry_points=ENTRY_POINTS,
)
