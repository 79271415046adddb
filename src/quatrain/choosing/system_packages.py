"""The Debian packages that building a distribution from its sdist needs, and running it after.

The facts are a data file, `resources/system-packages.toml`, whose header says how its names
were checked against Debian; this module only reads it (once) and answers lookups. Names are
compared in their PEP 503 canonical form, so `PyYAML` and `pyyaml` are the same entry.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_name

from quatrain.choosing import tables
from quatrain.errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TABLE_FILE = "system-packages.toml"


@dataclass(frozen=True, kw_only=True)
class SourceBuild:
    """One entry of the table: what one distribution needs, per Debian release."""

    distribution: str  # PEP 503 canonical
    build: Mapping[str, tuple[str, ...]]  # release -> packages for the build stage
    runtime: Mapping[str, tuple[str, ...]]  # release -> packages for the production stage
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class LoadedLibrary:
    """A wheel that loads a system library at import (ctypes), unless a companion brings it."""

    distribution: str  # PEP 503 canonical
    runtime: Mapping[str, tuple[str, ...]]  # release -> packages for the production stage
    unless: frozenset[str]  # canonical names of distributions that bring the library
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class SystemPackages:
    """The Debian packages a set of distributions needs, sorted and without duplicates."""

    build: tuple[str, ...]
    runtime: tuple[str, ...]
    known: tuple[str, ...]  # the canonical input names the table has an entry for
    unknown: tuple[str, ...]  # the canonical input names it has none for
    notes: tuple[str, ...]  # "name: caveat" for the known ones that have one


@dataclass(frozen=True, kw_only=True)
class Table:
    releases: tuple[str, ...]
    entries: Mapping[str, SourceBuild]  # canonical distribution name -> entry
    loads: Mapping[str, LoadedLibrary]  # canonical distribution name -> what it loads


def parse_table(text: str) -> Table:
    """The table from its TOML text; a malformed table is a bug of ours, so it fails loudly."""
    data = tomllib.loads(text)
    releases = tuple(data["releases"])
    entries = {
        name: _entry(name, fields, releases) for name, fields in dict(data["package"]).items()
    }
    loads = {
        name: _loaded(name, fields, releases)
        for name, fields in dict(data.get("loads", {})).items()
    }
    return Table(releases=releases, entries=entries, loads=loads)


def _entry(name: str, fields: Mapping[str, Any], releases: tuple[str, ...]) -> SourceBuild:
    _check_keys(name, fields, {"build", "runtime", "note"})
    return SourceBuild(
        distribution=name,
        build=_per_release(name, fields["build"], releases),
        runtime=_per_release(name, fields["runtime"], releases),
        note=str(fields.get("note", "")),
    )


def _loaded(name: str, fields: Mapping[str, Any], releases: tuple[str, ...]) -> LoadedLibrary:
    _check_keys(f"loads.{name}", fields, {"runtime", "unless", "note"})
    return LoadedLibrary(
        distribution=name,
        runtime=_per_release(name, fields["runtime"], releases),
        unless=frozenset(canonicalize_name(n) for n in fields.get("unless", [])),
        note=str(fields.get("note", "")),
    )


def _check_keys(where: str, fields: Mapping[str, Any], known: set[str]) -> None:
    """A misspelt key is a bug of ours in the table: it fails loudly."""
    unexpected = set(fields) - known
    if unexpected:
        msg = f"{TABLE_FILE}: {where} has unknown keys {sorted(unexpected)}"
        raise ValueError(msg)


def _per_release(name: str, value: Any, releases: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """One list shared by every release, or a table with exactly one list per release."""
    if isinstance(value, list):
        return {release: tuple(value) for release in releases}
    if isinstance(value, dict) and set(value) == set(releases):
        return {release: tuple(value[release]) for release in releases}
    msg = f"{TABLE_FILE}: {name} needs one list, or one list per release {list(releases)}"
    raise ValueError(msg)


@functools.cache
def table() -> Table:
    """The packaged table, read once."""
    return parse_table(tables.resource_text(TABLE_FILE))


def system_packages(names: Iterable[str], release: str) -> SystemPackages:
    """What the distributions `names` need on Debian `release` to build and to run."""
    known_table = table()
    if release not in known_table.releases:
        msg = (
            f"No system-package table for Debian {release!r}: quatrain knows "
            f"{', '.join(known_table.releases)}. Set debian-release to one of them."
        )
        raise ConfigurationError(msg)
    wanted = sorted({canonicalize_name(name) for name in names})
    entries = [known_table.entries[name] for name in wanted if name in known_table.entries]
    return SystemPackages(
        build=tuple(sorted({pkg for entry in entries for pkg in entry.build[release]})),
        runtime=tuple(sorted({pkg for entry in entries for pkg in entry.runtime[release]})),
        known=tuple(entry.distribution for entry in entries),
        unknown=tuple(name for name in wanted if name not in known_table.entries),
        notes=tuple(f"{entry.distribution}: {entry.note}" for entry in entries if entry.note),
    )


def loaded_libraries(names: Iterable[str], release: str) -> tuple[str, ...]:
    """The Debian packages production needs for the installed distributions `names` that load
    a system library at import, leaving out those whose companion brings it."""
    installed = {canonicalize_name(name) for name in names}
    loads = table().loads
    return tuple(
        sorted(
            {
                package
                for name in installed & set(loads)
                if not installed & loads[name].unless
                for package in loads[name].runtime[release]
            }
        )
    )
