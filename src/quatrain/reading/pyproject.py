"""The fields of a pyproject.toml that quatrain reads, each with its type checked: a wrong
type, or a path that leads out of the project, is a ProjectError naming the file and the key.

Poetry 2 keeps metadata in [project] and Poetry 1.8 in [tool.poetry]; both are read, [project]
first. Paths the build copies (readme, license files, include patterns, packages: read in
package_files.py) must stay inside the project, also through symlinks: the build context holds
the project alone.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from packaging.version import InvalidVersion, Version

from quatrain.errors import ProjectError
from quatrain.reading.lock import canonical_name


@dataclass(frozen=True, kw_only=True)
class PackageSource:
    """A [[tool.poetry.source]]: where Poetry (and pip, through the export) gets packages."""

    name: str
    url: str | None  # None for the named PyPI source
    priority: str


_MISSING = object()
INSIDE = "a path inside the project (no absolute path, no `..`, no symlink out of it)"


def _kind(value: object) -> str:
    """What a TOML value is, for a message: `a number`, `the string "x"`..."""
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {json.dumps(shown)}"
    kinds: tuple[tuple[type | tuple[type, ...], str], ...] = (
        (bool, "true or false"),
        ((int, float), "a number"),
        (list, "an array"),
        (Mapping, "a table"),
        ((datetime.date, datetime.time), "a date or time"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "something else")


@dataclass(frozen=True)
class Reader:
    """Typed reads of pyproject.toml: a wrong type is a ProjectError naming the file and key."""

    file: Path  # pyproject.toml

    @property
    def root(self) -> Path:
        return self.file.parent

    def fail(self, key: str, expected: str, value: object = _MISSING) -> NoReturn:
        found = "" if value is _MISSING else f", not {_kind(value)}"
        msg = f"{self.file}: `{key}` should be {expected}{found}. Fix it and run quatrain again."
        raise ProjectError(msg)

    def table(self, value: object, key: str) -> Mapping[str, Any]:
        """A table, or an empty one when the key is absent."""
        if value is None:
            return {}
        return value if isinstance(value, Mapping) else self.fail(key, "a table", value)

    def array(self, value: object, key: str) -> list[Any]:
        if value is None:
            return []
        return value if isinstance(value, list) else self.fail(key, "an array", value)

    def string(self, value: object, key: str, expected: str = "a string") -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.fail(key, expected, value)

    def required(self, value: object, key: str, expected: str = "a string") -> str:
        if isinstance(value, str):
            return value
        self.fail(key, expected, _MISSING if value is None else value)

    def strings(self, value: object, key: str) -> list[str]:
        return [self.required(v, f"{key}[{i}]") for i, v in enumerate(self.array(value, key))]

    def string_table(self, value: object, key: str, expected: str) -> dict[str, str]:
        table = self.table(value, key)
        return {str(k): self.required(v, f"{key}.{k}", expected) for k, v in table.items()}

    def boolean(self, value: object, key: str) -> bool:
        if value is None:
            return True  # the one boolean read, package-mode, defaults to true
        return value if isinstance(value, bool) else self.fail(key, "true or false", value)

    def path(self, value: object, key: str) -> str:
        """A relative path that stays inside the project, also through symlinks."""
        text = self.required(value, key, "a path")
        if text and inside(self.root, text):
            return text
        if text and not Path(text).is_absolute() and ".." not in Path(text).parts:
            self.leads_out(key, text, text)
        self.fail(key, INSIDE, value)

    def leads_out(self, key: str, value: str, link: str) -> NoReturn:
        """`link`, which `value` names or matches, is a symlink out of the project."""
        what = "is" if value == link else f"matches {link},"
        msg = (
            f"{self.file}: `{key}` = {json.dumps(value)} {what} a symlink out of the project, "
            f"to {(self.root / link).resolve()}, and the build copies only the project. Put the "
            "file itself in the project (copy it over the link)."
        )
        raise ProjectError(msg)


def first(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any], name: str
) -> str:
    """A metadata string of [project], else of [tool.poetry], else ""."""
    return (
        read.string(project_table.get(name), f"project.{name}")
        or read.string(poetry_table.get(name), f"tool.poetry.{name}")
        or ""
    )


def python_constraint(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> str | None:
    # Poetry locks against tool.poetry.dependencies.python when both are given: it is the
    # narrower one by Poetry's own rule, so it is the one the image must satisfy.
    dependencies = read.table(poetry_table.get("dependencies"), "tool.poetry.dependencies")
    for value, key in (
        (dependencies.get("python"), "tool.poetry.dependencies.python"),
        (project_table.get("requires-python"), "project.requires-python"),
    ):
        constraint = read.string(value, key, PYTHON_CONSTRAINT)
        if constraint:
            if not _readable_constraint(constraint):
                read.fail(key, PYTHON_CONSTRAINT, constraint)
            return constraint
    return None


PYTHON_CONSTRAINT = 'a version constraint like ">=3.11,<4.0" or "^3.11" (numbers, and .* at most)'
_CLAUSE = re.compile(r"(\^|~=|~|===|==|!=|<=|>=|<|>)?\s*(\S*)")


def _readable_constraint(constraint: str) -> bool:
    """PEP 440 or Poetry syntax whose every version is a version: `^3.x` is not."""
    for alternative in constraint.split("||"):
        for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", alternative.strip()):
            if part in ("", "*"):
                continue
            clause = _CLAUSE.fullmatch(part)
            if clause is None or not clause.group(2):
                return False
            try:
                Version(clause.group(2).removesuffix(".*"))
            except InvalidVersion:
                return False
    return True


def license_of(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> str | None:
    key = "project.license" if "license" in project_table else "tool.poetry.license"
    value = project_table.get("license", poetry_table.get("license"))
    if isinstance(value, Mapping):
        return read.string(value.get("text"), f"{key}.text") or None
    expected = "an SPDX expression or a {file = ...} / {text = ...} table"
    return read.string(value, key, expected) or None


def urls(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> dict[str, str]:
    urls = {
        k.lower(): v
        for k, v in read.string_table(project_table.get("urls"), "project.urls", "a URL").items()
    }
    for key in ("homepage", "repository", "documentation"):
        value = read.string(poetry_table.get(key), f"tool.poetry.{key}", "a URL")
        if value is not None:
            urls.setdefault(key, value)
    return dict(sorted(urls.items()))


def _requirement_name(spec: str) -> str:
    """The canonical project name a PEP 508 requirement names: "Flask[async]>=3" -> "flask"."""
    return canonical_name(re.split(r"[\s\[<>=!~;(@]", spec, maxsplit=1)[0])


def main_dependencies(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> tuple[str, ...]:
    names = {
        _requirement_name(spec)
        for spec in read.strings(project_table.get("dependencies"), "project.dependencies")
    }
    key = "tool.poetry.dependencies"
    for name, spec in read.table(poetry_table.get("dependencies"), key).items():
        if not isinstance(spec, str | Mapping | list):
            read.fail(f"{key}.{name}", "a version string, a table or an array of tables", spec)
        if name != "python":
            names.add(canonical_name(name))
    return tuple(sorted(names))


def group_dependencies(
    read: Reader, poetry_table: Mapping[str, Any], dependency_groups: Mapping[str, Any]
) -> dict[str, tuple[str, ...]]:
    """Canonical names of each dependency group's direct dependencies: Poetry's
    [tool.poetry.group.NAME.dependencies], Poetry 1.1's [tool.poetry.dev-dependencies] (the
    group "dev"), and PEP 735's [dependency-groups] (Poetry 2.2 reads them)."""
    found: dict[str, set[str]] = {}
    legacy = read.table(poetry_table.get("dev-dependencies"), "tool.poetry.dev-dependencies")
    found.setdefault("dev", set()).update(canonical_name(str(n)) for n in legacy)
    for group, table in read.table(poetry_table.get("group"), "tool.poetry.group").items():
        key = f"tool.poetry.group.{group}"
        dependencies = read.table(read.table(table, key).get("dependencies"), f"{key}.dependencies")
        found.setdefault(str(group), set()).update(canonical_name(str(n)) for n in dependencies)
    for group, entries in dependency_groups.items():
        key = f"dependency-groups.{group}"
        names = found.setdefault(str(group), set())
        for entry in read.array(entries, key):
            if isinstance(entry, str):  # a {include-group = "..."} table names no package
                names.add(_requirement_name(entry))
    return {group: tuple(sorted(names)) for group, names in sorted(found.items()) if names}


def scripts(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> dict[str, str]:
    entry_point = 'a "module:function" string'
    scripts = read.string_table(project_table.get("scripts"), "project.scripts", entry_point)
    key = "tool.poetry.scripts"
    for name, value in read.table(poetry_table.get("scripts"), key).items():
        # Poetry 1.8's table form; `type = "file"` scripts are not console entry points.
        if isinstance(value, Mapping):
            value = read.string(value.get("callable"), f"{key}.{name}.callable", entry_point)
            if value is None:
                continue
        scripts.setdefault(str(name), read.required(value, f"{key}.{name}", entry_point))
    return dict(sorted(scripts.items()))


def sources(read: Reader, poetry_table: Mapping[str, Any]) -> tuple[PackageSource, ...]:
    sources = []
    for index, entry in enumerate(read.array(poetry_table.get("source"), "tool.poetry.source")):
        key = f"tool.poetry.source[{index}]"
        if not isinstance(entry, Mapping):
            read.fail(key, 'a table with name = "..." and url = "..."', entry)
        name = read.string(entry.get("name"), f"{key}.name")
        if not name:
            continue  # Poetry itself refuses it; nothing quatrain does depends on it
        _refuse_poetry_1_priority(read, entry, key)
        sources.append(
            PackageSource(
                name=name,
                url=read.string(entry.get("url"), f"{key}.url", "a URL") or None,
                priority=read.string(entry.get("priority"), f"{key}.priority") or "primary",
            )
        )
    return tuple(sources)


# Poetry 1's ways of ranking a source, which Poetry 2 (the Poetry of the images) refuses ("The
# Poetry configuration is invalid"), and what replaces each: a primary source is searched
# instead of PyPI, as `default = true` made it; a supplemental one after the primaries.
_POETRY_1_PRIORITY = {
    ("default", True): 'priority = "primary"',
    ("secondary", True): 'priority = "supplemental"',
    ("priority", "default"): 'priority = "primary"',
    ("priority", "secondary"): 'priority = "supplemental"',
}


def _refuse_poetry_1_priority(read: Reader, entry: Mapping[str, Any], key: str) -> None:
    """Refused here rather than by `poetry export` in the middle of the build."""
    for field in ("default", "secondary", "priority"):
        if field not in entry or (field == "priority" and entry[field] not in _DROPPED):
            continue
        value = entry[field]
        instead = _POETRY_1_PRIORITY.get((field, value), "nothing (remove the line)")
        msg = (
            f"{read.file}: `{key}.{field} = {json.dumps(value)}` is Poetry 1's, and Poetry 2, "
            f"which the images run, refuses it. Write {instead} instead (`poetry source "
            "show` lists the sources), run `poetry lock`, then quatrain again."
        )
        raise ProjectError(msg)


_DROPPED = ("default", "secondary")


def inside(root: Path, relative: str) -> bool:
    """A relative path that stays inside the project, also through symlinks."""
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        return False
    # realpath, not Path.resolve: before Python 3.13 resolve raises RuntimeError on a symlink
    # loop, which leads nowhere (the file checks after this one say so), not out.
    real = Path(os.path.realpath(root / candidate))
    return real.is_relative_to(os.path.realpath(root))
