"""The tables of facts the choices are made from, shipped as data (choosing/resources/*.toml)
and read from the installed package; each module that owns a table parses and checks its own."""

from __future__ import annotations

import sys
from functools import cache
from importlib.resources import files
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def resource_text(name: str) -> str:
    return (
        files("quatrain.choosing").joinpath("resources").joinpath(name).read_text(encoding="utf-8")
    )


@cache
def read_table(name: str) -> dict[str, Any]:
    """A packaged TOML table, read once; callers treat it as read-only."""
    return tomllib.loads(resource_text(name))
