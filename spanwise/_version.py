"""``spanwise.__version__``: the installed distribution's version."""

from __future__ import annotations

__all__ = ["distribution_version"]

# A source tree that was never installed has no metadata: a PEP 440 local version that
# sorts before any release and says why.
UNKNOWN = "0+unknown"


def distribution_version() -> str:
    """The version pip installed (``importlib.metadata``), else ``0+unknown``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spanwise")
    except PackageNotFoundError:
        return UNKNOWN
