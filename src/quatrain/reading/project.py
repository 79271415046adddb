"""Read a Poetry project from disk: its metadata, its packages, its lock. Never import or run it."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from quatrain.errors import ProjectError
from quatrain.reading import package_files, pyproject, wheels
from quatrain.reading.lock import Lock, LockedPackage, canonical_name, load_lock, parse_toml
from quatrain.reading.package_files import PackageDir
from quatrain.reading.pyproject import PackageSource, inside
from quatrain.reading.revision import git_revision

__all__ = [
    "Lock",
    "LockedPackage",
    "PackageDir",
    "PackageSource",
    "Project",
    "canonical_name",
    "git_revision",
    "inside",
    "load_lock",
    "load_project",
]


@dataclass(frozen=True, kw_only=True)
class Project:
    root: Path
    name: str
    version: str
    description: str
    license: str | None
    urls: Mapping[str, str]
    python_constraint: str | None
    package_mode: bool  # Poetry builds and installs a package of the project
    not_a_package: str | None = None  # why it is an application (sources, no wheel), for people
    packages: tuple[PackageDir, ...]
    build_files: tuple[str, ...]  # readme, license and included files `poetry build` reads
    manifest_files: tuple[str, ...] = ()  # read whenever Poetry loads the project: a license
    dependencies: tuple[str, ...]  # canonical names of the main group's direct dependencies
    # group -> canonical names of its direct dependencies (dev-dependencies are "dev")
    group_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    scripts: Mapping[str, str]  # console scripts: name -> "module:function"
    sources: tuple[PackageSource, ...] = ()
    build_dirs: tuple[str, ...] = ()  # top-level directories [tool.poetry] include reaches into
    lock: Lock | None
    tool_quatrain: Mapping[str, Any]
    revision: str | None = None  # the git commit checked out, for the image's labels
    content_hashes: tuple[str, ...] = ()  # digests a fresh lock may carry (see content_hash)
    build_backend: str | None = None  # [build-system] build-backend, "poetry.core.masonry.api"
    build_requires: tuple[str, ...] = ()  # [build-system] requires, as written
    # sha256 of pyproject.toml and poetry.lock as read: a generated Dockerfile checks that the
    # files it builds are those it was written for.
    manifest_digests: Mapping[str, str] = field(default_factory=dict)

    def requested(self, groups: Iterable[str] = ()) -> tuple[str, ...]:
        """The direct dependencies production installs: the main group's and those of the
        chosen groups."""
        chosen = (n for g in groups for n in self.group_dependencies.get(g, ()))
        return tuple(sorted({*self.dependencies, *chosen}))

    def runtime_packages(
        self, groups: Collection[str] = (), extras: Collection[str] = ()
    ) -> tuple[LockedPackage, ...]:
        """The locked packages production installs, on any platform (wheels.runtime_packages);
        none without a lock."""
        if self.lock is None:
            return ()
        requested = self.requested(groups)
        return wheels.runtime_packages(self.lock, groups=groups, extras=extras, requested=requested)

    @property
    def lock_is_fresh(self) -> bool:
        """Poetry's own test: does the lock's content-hash match this pyproject?"""
        if self.lock is None:
            return True
        if self.lock.content_hash is None:
            return False  # Poetry refuses a lock without a content-hash, so do we
        # Before Poetry 2.3 the hash left [dependency-groups] out; Poetry accepts both for
        # locks whose header says so, and only the current hash otherwise.
        accepted = (
            self.content_hashes
            if _before(self.lock.poetry_version, "2.3.0")
            else (self.content_hashes[:1])
        )
        return self.lock.content_hash in accepted

    @property
    def path_dependencies(self) -> tuple[Path, ...]:
        """The directories of locked path dependencies (a monorepo's own libraries)."""
        if self.lock is None:
            return ()
        found = []
        for package in self.lock.packages:
            if package.source_type != "directory" or not package.source_url:
                continue
            # realpath, not Path.resolve: a symlink loop raises there before Python 3.13.
            path = Path(os.path.realpath(self.root / package.source_url))
            if not path.is_dir():
                msg = (
                    f"poetry.lock in {self.root} locks {package.name} from the directory "
                    f"{package.source_url}, which is not a directory (missing, or a symlink "
                    "loop). Fix the path dependency in pyproject.toml and run `poetry lock`."
                )
                raise ProjectError(msg)
            found.append(path)
        return tuple(sorted(found))

    @property
    def needs_git(self) -> bool:
        return self.lock is not None and any(p.source_type == "git" for p in self.lock.packages)

    @property
    def import_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.packages)


def load_project(root: Path) -> Project:
    """Read pyproject.toml (Poetry 1.8 or 2.x shape) and poetry.lock from a project directory."""
    pyproject_path = _project_file(root, "pyproject.toml")
    if pyproject_path is None:
        msg = (
            f"{root} has no pyproject.toml, so it is not a Poetry project. "
            "Point quatrain at the directory that holds pyproject.toml and poetry.lock."
        )
        raise ProjectError(msg)
    data = parse_toml(pyproject_path)
    read = pyproject.Reader(pyproject_path)
    project_table = read.table(data.get("project"), "project")
    tool = read.table(data.get("tool"), "tool")
    poetry_table = read.table(tool.get("poetry"), "tool.poetry")
    package_mode = read.boolean(poetry_table.get("package-mode"), "tool.poetry.package-mode")
    name = pyproject.first(read, project_table, poetry_table, "name")
    if not name:
        if package_mode:
            msg = (
                f"{pyproject_path} names no project: set `name` in [project] "
                "(Poetry 2) or [tool.poetry] (Poetry 1.8)."
            )
            raise ProjectError(msg)
        name = root.resolve().name
    packages, not_a_package = (
        package_files.find_packages(read, name, poetry_table)
        if package_mode
        else ((), "package-mode = false")
    )
    if not packages:
        # Poetry would fail to install the root; a service kept in app/ is the usual reason.
        package_mode = False
    if package_mode:
        package_files.check_readmes(read, project_table, poetry_table)
    build_dirs, included_files = package_files.included_tops(read, poetry_table)
    build_system = read.table(data.get("build-system"), "build-system")
    lock_path = _project_file(root, "poetry.lock")
    return Project(
        root=root,
        name=name,
        version=pyproject.first(read, project_table, poetry_table, "version") or "0",
        description=pyproject.first(read, project_table, poetry_table, "description"),
        license=pyproject.license_of(read, project_table, poetry_table),
        urls=pyproject.urls(read, project_table, poetry_table),
        python_constraint=pyproject.python_constraint(read, project_table, poetry_table),
        package_mode=package_mode,
        not_a_package=not_a_package,
        packages=packages,
        build_files=tuple(
            sorted({*package_files.build_files(read, project_table, poetry_table), *included_files})
        ),
        build_dirs=build_dirs,
        manifest_files=package_files.manifest_files(read, project_table),
        dependencies=pyproject.main_dependencies(read, project_table, poetry_table),
        group_dependencies=pyproject.group_dependencies(
            read, poetry_table, read.table(data.get("dependency-groups"), "dependency-groups")
        ),
        scripts=pyproject.scripts(read, project_table, poetry_table),
        sources=pyproject.sources(read, poetry_table),
        lock=load_lock(lock_path) if lock_path is not None else None,
        tool_quatrain=read.table(tool.get("quatrain"), "tool.quatrain"),
        revision=git_revision(root),
        content_hashes=(content_hash(data), content_hash(data, with_dependency_groups=False)),
        build_backend=read.string(build_system.get("build-backend"), "build-system.build-backend"),
        build_requires=tuple(read.strings(build_system.get("requires"), "build-system.requires")),
        manifest_digests={
            path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in (pyproject_path, lock_path)
            if path is not None
        },
    )


def _project_file(root: Path, name: str) -> Path | None:
    """The project's own `name`, None when there is none; a ProjectError when it is a
    directory, or a symlink out of the project, which a build of the project cannot copy."""
    path = root / name
    if not path.is_symlink() and not path.exists():
        return None
    if not inside(root, name):
        msg = (
            f"{path} is a symlink to {path.resolve()}, outside the project: the build copies "
            "the project's directory, where the link would lead nowhere. Put the file itself "
            "in the project (copy it over the link)."
        )
        raise ProjectError(msg)
    if not path.is_file():
        msg = (
            f"{path} is not a file (a directory, or a link to nothing), so it cannot be read. "
            f"Put the project's {name} there."
        )
        raise ProjectError(msg)
    return path


# The pyproject content Poetry hashes into the lock's content-hash (poetry/packages/locker.py,
# Locker._get_content_hash, Poetry 2.5): a change to anything else does not stale the lock.
_HASHED_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")
_HASHED_LEGACY_POETRY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
_HASHED_POETRY_KEYS = (*_HASHED_LEGACY_POETRY_KEYS, "group")


def _before(version: str | None, limit: str) -> bool:
    if version is None:
        return False
    try:
        return Version(version) < Version(limit)
    except InvalidVersion:
        return False


def content_hash(pyproject: Mapping[str, Any], *, with_dependency_groups: bool = True) -> str:
    """Poetry's content-hash of a pyproject. Locks written before Poetry 2.3 hashed no
    [dependency-groups], which `with_dependency_groups=False` reproduces."""
    project = {
        k: v for k in _HASHED_PROJECT_KEYS if (v := pyproject.get("project", {}).get(k)) is not None
    }
    groups = pyproject.get("dependency-groups", {}) if with_dependency_groups else {}
    tool_poetry = pyproject.get("tool", {}).get("poetry", {})
    poetry = {}
    for key in _HASHED_POETRY_KEYS:
        value = tool_poetry.get(key)
        # Legacy keys are hashed even when absent, unless [project] or groups say something.
        if value is None and (key not in _HASHED_LEGACY_POETRY_KEYS or project or groups):
            continue
        poetry[key] = value
    relevant: dict[str, Any] = {}
    if project:
        relevant["project"] = project
    if groups:
        relevant["dependency-groups"] = groups
    relevant = {**relevant, "tool": {"poetry": poetry}} if relevant else poetry
    # Poetry's json.dumps fails on a TOML date; as a string it makes a hash no lock matches.
    text = json.dumps(relevant, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()
