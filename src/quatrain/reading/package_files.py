"""What a Poetry project ships, read from its pyproject.toml: the packages the wheel holds, the
files `poetry build` reads (readme, license files, include patterns), and the files Poetry reads
before any command. A path that leads out of the project, or a declared file that is missing,
is a ProjectError naming the key; the field readers are pyproject.py's."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quatrain.errors import ProjectError
from quatrain.reading.pyproject import INSIDE, Reader, inside


@dataclass(frozen=True, kw_only=True)
class PackageDir:
    """One importable package (or module) the wheel ships, and where it lives in the project."""

    name: str  # the import name: "coach_planner"
    path: str  # relative to the project root, POSIX: "src/coach_planner" or "tool.py"

    @property
    def top(self) -> str:
        """The first path component, which is what the Dockerfile copies: "src" or the package."""
        return self.path.split("/", 1)[0]


def manifest_files(read: Reader, project_table: Mapping[str, Any]) -> tuple[str, ...]:
    """Files Poetry reads whenever it loads the pyproject, before any command runs: a PEP 639
    `license = {file = ...}` (Poetry refuses to start without it, `poetry export` too)."""
    license_table = project_table.get("license")
    if not (isinstance(license_table, Mapping) and "file" in license_table):
        return ()
    path = read.path(license_table["file"], "project.license.file")
    return (path,) if (read.root / path).is_file() else ()


def build_files(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> set[str]:
    """The readme, license and LICENSE*/COPYING* files `poetry build` reads, those that exist."""
    root = read.root
    candidates = _readmes(read, project_table, poetry_table)
    license_table = project_table.get("license")
    if isinstance(license_table, Mapping) and "file" in license_table:
        candidates.append((license_table["file"], "project.license.file"))
    key = "project.license-files"
    candidates += [
        (p, f"{key}[{i}]")
        for i, p in enumerate(read.array(project_table.get("license-files"), key))
    ]
    files = set()
    for value, where in candidates:
        path = read.path(value, where)
        if (root / path).is_file():
            files.add(path)
    # poetry-core adds LICENSE*/COPYING* files from the root to every wheel it builds.
    for found in sorted([*root.glob("LICEN[CS]E*"), *root.glob("COPYING*")]):
        if not inside(root, found.name):
            msg = (
                f"{found} is a symlink out of the project, and `poetry build` packs every "
                "LICENSE* and COPYING* file: the build could not copy it. Put the file itself "
                "in the project."
            )
            raise ProjectError(msg)
        if found.is_file():
            files.add(found.name)
    return files


def check_readmes(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> None:
    """A readme the metadata names must exist, or poetry-core cannot build the package: say so
    before a build, and name the file of another case (a project made on macOS or Windows)."""
    for value, key in _readmes(read, project_table, poetry_table):
        path = read.path(value, key)
        if (read.root / path).is_file():
            continue
        wanted = Path(path)
        folder = read.root / wanted.parent
        others = (
            sorted(
                f.name
                for f in folder.iterdir()
                if f.name.lower() == wanted.name.lower() and f.name != wanted.name
            )
            if folder.is_dir()
            else []
        )
        if (read.root / path).is_symlink():
            why = " (it is a link to nothing)"
        elif others:
            why = (
                f" ({', '.join(others)} is, but names are case-sensitive in the image, as on Linux)"
            )
        else:
            why = ""
        msg = (
            f"{read.file} sets {key} = {json.dumps(path)}, and the project has no such file{why}. "
            "Poetry cannot build the package without it: rename the file, or fix the setting."
        )
        raise ProjectError(msg)


def _readmes(
    read: Reader, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> list[tuple[object, str]]:
    """(path, key) of each readme: a path, an array of paths (Poetry's) or a {file = ...}
    table ([project]'s; one with `text` instead names no file)."""
    key = "project.readme" if "readme" in project_table else "tool.poetry.readme"
    readme = project_table.get("readme", poetry_table.get("readme"))
    if isinstance(readme, Mapping):
        return [(readme["file"], f"{key}.file")] if "file" in readme else []
    if isinstance(readme, list):
        return [(path, f"{key}[{i}]") for i, path in enumerate(readme)]
    if readme is None or readme == "":
        return []
    return [(read.required(readme, key, "a path, an array of paths or a {file = ...} table"), key)]


def included_tops(
    read: Reader, poetry_table: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The top-level directories and files that [tool.poetry] include patterns match:
    `poetry build` packs them, so the build stage must have them."""
    root = read.root
    directories: set[str] = set()
    files: set[str] = set()
    for index, entry in enumerate(read.array(poetry_table.get("include"), "tool.poetry.include")):
        key = f"tool.poetry.include[{index}]"
        if isinstance(entry, Mapping):
            entry, key = entry.get("path"), f"{key}.path"
        pattern = read.path(entry, key)
        try:
            matches = sorted(root.glob(pattern))
        except (ValueError, NotImplementedError):  # "**x": not a pattern pathlib reads
            read.fail(key, "a glob pattern", pattern)
        for match in matches:
            parts = match.relative_to(root).parts
            if not parts or parts[0].startswith("."):
                continue
            if not inside(root, parts[0]):
                read.leads_out(key, pattern, parts[0])
            (directories if (root / parts[0]).is_dir() else files).add(parts[0])
    return tuple(sorted(directories)), tuple(sorted(files))


def find_packages(
    read: Reader, name: str, poetry_table: Mapping[str, Any]
) -> tuple[tuple[PackageDir, ...], str | None]:
    """The packages Poetry would build, or none and why (the project is then an application)."""
    root = read.root
    declared = poetry_table.get("packages")
    if declared is not None:
        if not isinstance(declared, list):
            read.fail("tool.poetry.packages", "an array of {include = ...} tables", declared)
        found = [_declared_package(read, entry, i) for i, entry in enumerate(declared)]
        missing = [f"`{path}`" for path, package in found if package is None]
        if missing:
            return (), (
                f"[tool.poetry] packages declares {', '.join(missing)}, which "
                f"{'does' if len(missing) == 1 else 'do'} not exist, so Poetry cannot build it"
            )
        return tuple(p for _, p in found if p is not None), None
    import_name = re.sub(r"[-.]+", "_", name).lower()
    # poetry-core's own search order.
    for candidate in (
        import_name,
        f"{import_name}.py",
        f"src/{import_name}",
        f"src/{import_name}.py",
    ):
        if (root / candidate).exists():
            return (PackageDir(name=import_name, path=candidate),), None
    return (), (
        f"no package named like the project ({import_name}/, {import_name}.py or src/"
        f"{import_name}/) and none declared in [tool.poetry] packages"
    )


def _declared_package(read: Reader, entry: Any, index: int) -> tuple[str, PackageDir | None]:
    """(path, the package), or (path, None) when nothing is there."""
    key = f"tool.poetry.packages[{index}]"
    if not isinstance(entry, Mapping):
        read.fail(key, 'a table with include = "name"', entry)
    read.required(entry.get("include"), f"{key}.include", "the package's name or path")
    base = entry.get("from", "")
    if not isinstance(base, str):
        read.fail(f"{key}.from", "a directory name", base)
    include, base = str(entry["include"]), base.rstrip("/")
    path = f"{base}/{include}" if base else include
    if not inside(read.root, path):
        read.fail(key, INSIDE, path)
    if not (read.root / path).exists():
        return path, None
    return path, PackageDir(name=include.removesuffix(".py").replace("/", "."), path=path)
