"""The four source folders become one `spanwise` namespace, in the wheel too."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "spanwise": "spanwise",
    **{
        name: f"spanwise/{name}"
        for name in (
            "semconv",
            "common",
            "model",
            "instrumentations",
            "store",
            "exporter",
            "server",
        )
    },
}


@pytest.mark.parametrize("name", sorted(set(FOLDERS) - {"spanwise"}))
def test_bare_folder_names_do_not_import(name: str) -> None:
    assert importlib.util.find_spec(name) is None


def test_subpackages_import_under_spanwise() -> None:
    import importlib

    import spanwise.instrumentations.manual

    for name in set(FOLDERS) - {"spanwise"}:
        module = importlib.import_module(f"spanwise.{name}")
        assert Path(str(module.__file__)).parent == ROOT / name
    assert (
        Path(spanwise.instrumentations.manual.__file__).parent
        == ROOT / "instrumentations" / "manual"
    )


def _expected_modules() -> set[str]:
    """Every .py file under the source folders, as its path inside the wheel."""
    out: set[str] = set()
    for folder, target in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            out.add(f"{target}/{path.relative_to(ROOT / folder).as_posix()}")
    return out


@pytest.mark.slow
def test_wheel_contains_every_module_and_entry_point(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("spanwise-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(_expected_modules() - names)
    assert missing == []
    assert "spanwise/semconv/py.typed" in names
    assert not any(
        n.startswith((*(f"{name}/" for name in FOLDERS if name != "spanwise"), "tests/"))
        for n in names
    )
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "spanwise = spanwise.exporter:SpanwiseStoreExporter" in text
    assert "spanwise = spanwise.exporter._configurator:SpanwiseConfigurator" in text
    assert "spanwise = spanwise.server._cli:main" in text
    from spanwise.instrumentations._registry import LIBRARIES

    for lib in LIBRARIES.values():  # computed from the registry, with the extras
        assert f"{lib.entry_point} = {lib.instrumentor}" in text
    metadata = next(n for n in names if n.endswith("METADATA"))
    extras = zipfile.ZipFile(wheel).read(metadata).decode()
    for lib in LIBRARIES.values():  # metadata normalizes extra names (PEP 685)
        assert f"Provides-Extra: {re.sub(r'[-_.]+', '-', lib.extra)}" in extras
