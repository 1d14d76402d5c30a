"""Map the four source folders into the one import namespace ``spanwise``.

``spanwise/`` is the facade; ``semconv/``, ``instrumentations/`` and ``exporter/``
become ``spanwise.semconv``, ``spanwise.instrumentations`` and ``spanwise.exporter``.
The package list is computed, so a new subpackage reaches the wheel without an edit
here (tests/test_packaging.py builds the wheel and checks).
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_packages, setup

ROOTS = {
    "spanwise": "spanwise",
    "spanwise.semconv": "semconv",
    "spanwise.instrumentations": "instrumentations",
    "spanwise.exporter": "exporter",
}

HERE = Path(__file__).parent


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


PACKAGES, PACKAGE_DIR = _packages()

setup(
    packages=PACKAGES,
    package_dir=PACKAGE_DIR,
    package_data={name: ["py.typed"] for name in ROOTS},
)
