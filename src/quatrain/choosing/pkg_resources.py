"""Which locked packages need setuptools at run time for its pkg_resources, which the lock may
leave out: their own requirement says so, or the table resources/pkg-resources.toml names the
releases that import it without saying."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion

from quatrain.choosing import tables
from quatrain.reading.lock import Lock, LockedPackage, canonical_name

PKG_RESOURCES_FILE = "pkg-resources.toml"


def needs_setuptools(lock: Lock, runtime: Iterable[LockedPackage]) -> bool:
    """A runtime package needs setuptools (for pkg_resources) and the lock does not hold it:
    Poetry before 1.4 left setuptools out of every lock, and often out of the dependencies."""
    if lock.package("setuptools") is not None:
        return False
    known = _pkg_resources_users()
    return any(
        "setuptools" in p.requires
        or (
            canonical_name(p.name) in known
            and _version_in(p.version, known[canonical_name(p.name)])
        )
        for p in runtime
    )


@cache
def _pkg_resources_users() -> dict[str, str]:
    packages = tables.read_table(PKG_RESOURCES_FILE)["packages"]
    return {canonical_name(k): str(v) for k, v in packages.items()}


def _version_in(version: str, specifier: str) -> bool:
    try:
        return SpecifierSet(specifier).contains(version, prereleases=True)
    except InvalidVersion:
        return True  # a version pip cannot read: assume it is one that needs setuptools
