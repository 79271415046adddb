"""Which Poetry and which poetry-plugin-export go in the image, for its Python.

The facts are a data file, `resources/export-plugin.toml`, copied from each release's wheel
METADATA and checked by resolving real pairs (its header says how); this module reads it once
and chooses: a Poetry that runs on the image's Python, and the newest plugin release whose
`Requires-Dist: poetry` admits that Poetry and whose `Requires-Python` admits the Python.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from quatrain.choosing import tables
from quatrain.errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TABLE_FILE = "export-plugin.toml"


@dataclass(frozen=True, kw_only=True)
class PluginRelease:
    """One poetry-plugin-export release and what its METADATA requires."""

    version: str
    poetry: str  # specifier of `Requires-Dist: poetry`, e.g. ">=2.1.0,<3.0.0"
    poetry_core: str
    python: str

    def admits(self, poetry_version: Version) -> bool:
        return SpecifierSet(self.poetry).contains(poetry_version, prereleases=True)


@dataclass(frozen=True, kw_only=True)
class PoetryRelease:
    """One Poetry 2.x release and the poetry-core it pins."""

    version: str
    poetry_core: str  # e.g. "==2.0.1"
    python: str


@dataclass(frozen=True, kw_only=True)
class PinTable:
    minimum_poetry: str
    plugins: tuple[PluginRelease, ...]  # newest first
    poetry: tuple[PoetryRelease, ...]  # newest first


def parse_table(text: str) -> PinTable:
    """The table from its TOML text; a malformed table is a bug of ours, so it fails loudly."""
    data = tomllib.loads(text)
    plugins = [_plugin(version, fields) for version, fields in dict(data["plugin"]).items()]
    poetry = [
        PoetryRelease(version=version, poetry_core=fields["poetry-core"], python=fields["python"])
        for version, fields in dict(data["poetry"]).items()
    ]
    return PinTable(
        minimum_poetry=str(data["minimum-poetry"]),
        plugins=tuple(sorted(plugins, key=lambda p: Version(p.version), reverse=True)),
        poetry=tuple(sorted(poetry, key=lambda p: Version(p.version), reverse=True)),
    )


def _plugin(version: str, fields: Mapping[str, Any]) -> PluginRelease:
    return PluginRelease(
        version=version,
        poetry=fields["poetry"],
        poetry_core=fields["poetry-core"],
        python=fields["python"],
    )


@functools.cache
def table() -> PinTable:
    """The packaged table, read once."""
    return parse_table(tables.resource_text(TABLE_FILE))


def poetry_releases() -> tuple[str, ...]:
    """The Poetry 2.x releases the table knows, newest first."""
    return tuple(release.version for release in table().poetry)


def poetry_for(python: str, preferred: str) -> str:
    """`preferred` (the lock's writer, or quatrain's default) where it runs on `python`, else
    the newest Poetry release that does: Poetry 2.3 and later need Python 3.10, and
    python-version may ask for 3.9, the Python an old lock has wheels for. A release newer
    than the table is taken on trust."""
    known = {release.version: release for release in table().poetry}
    release = known.get(preferred)
    if release is None or _runs_on(release.python, python):
        return preferred
    for release in table().poetry:
        if _runs_on(release.python, python):
            return release.version
    oldest = table().poetry[-1]
    msg = (
        f"Python {python} is too old for Poetry 2, which quatrain's images run for `poetry "
        f"export`: its oldest release, {oldest.version}, needs Python {oldest.python}. Set "
        "python-version to a newer Python."
    )
    raise ConfigurationError(msg)


def _runs_on(requires_python: str, python: str) -> bool:
    return SpecifierSet(requires_python).contains(Version(python), prereleases=True)


def export_plugin_for(
    poetry_version: str, pinned: str | None = None, *, python: str | None = None
) -> str:
    """The poetry-plugin-export release to install beside `poetry==poetry_version`.

    Without `pinned`, the newest release whose requirement admits that Poetry (and runs on
    `python`, where given). A pinned release the table knows must admit it; one newer than
    the table is taken on trust.
    """
    poetry = _version("poetry-version", poetry_version)
    pins = table()
    if poetry < Version(pins.minimum_poetry):
        msg = (
            f"Poetry {poetry_version} is too old for quatrain's images, which are written for "
            f"Poetry >= {pins.minimum_poetry} (its `poetry export` comes from "
            f"poetry-plugin-export). Set poetry-version to a Poetry 2 release, "
            f"e.g. {pins.poetry[0].version}, and re-lock with it."
        )
        raise ConfigurationError(msg)
    if pinned is not None:
        return _check_pinned(pins, poetry_version, pinned)
    for plugin in pins.plugins:
        if plugin.admits(poetry) and (python is None or _runs_on(plugin.python, python)):
            return plugin.version
    newest = pins.plugins[0]
    msg = (
        f"No poetry-plugin-export release quatrain knows works with Poetry {poetry_version}: "
        f"the newest, {newest.version}, requires poetry {newest.poetry}. Set "
        f"poetry-plugin-export-version to a release that supports Poetry {poetry_version}, "
        f"or poetry-version to one it accepts, e.g. {pins.poetry[0].version}."
    )
    raise ConfigurationError(msg)


def _check_pinned(pins: PinTable, poetry_version: str, pinned: str) -> str:
    _version("poetry-plugin-export-version", pinned)
    known = {plugin.version: plugin for plugin in pins.plugins}
    plugin = known.get(pinned)
    if plugin is None or plugin.admits(Version(poetry_version)):
        return pinned
    msg = (
        f"poetry-plugin-export {pinned} does not work with Poetry {poetry_version}: it requires "
        f"poetry {plugin.poetry}, so the image's install would be refused by the resolver. "
        f"{_suggestion(pins, plugin, poetry_version)}"
    )
    raise ConfigurationError(msg)


def _suggestion(pins: PinTable, plugin: PluginRelease, poetry_version: str) -> str:
    fits = [other.version for other in pins.plugins if other.admits(Version(poetry_version))]
    accepted = [poetry.version for poetry in pins.poetry if plugin.admits(Version(poetry.version))]
    choices = []
    if fits:
        choices.append(f"poetry-plugin-export-version to {fits[0]}")
    if accepted:
        choices.append(f"poetry-version to a release it accepts, e.g. {accepted[0]}")
    if not choices:
        return "Set poetry-plugin-export-version to a release that supports this Poetry."
    return f"Set {', or '.join(choices)}."


def _version(option: str, value: str) -> Version:
    try:
        return Version(value)
    except InvalidVersion:
        msg = f"{option} must be a version such as 2.0.1, not {value!r}."
        raise ConfigurationError(msg) from None
