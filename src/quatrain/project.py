"""Read a Poetry project from disk: its metadata, its packages, its lock. Never import or run it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from packaging.version import InvalidVersion, Version

from quatrain.errors import ProjectError
from quatrain.lock import Lock, LockedPackage, canonical_name, load_lock, parse_toml

__all__ = [
    "Lock",
    "LockedPackage",
    "PackageDir",
    "PackageSource",
    "Project",
    "canonical_name",
    "load_lock",
    "load_project",
]


@dataclass(frozen=True, kw_only=True)
class PackageDir:
    """One importable package (or module) the wheel ships, and where it lives in the project."""

    name: str  # the import name: "coach_planner"
    path: str  # relative to the project root, POSIX: "src/coach_planner" or "tool.py"

    @property
    def top(self) -> str:
        """The first path component, which is what the Dockerfile copies: "src" or the package."""
        return self.path.split("/", 1)[0]


@dataclass(frozen=True, kw_only=True)
class PackageSource:
    """A [[tool.poetry.source]]: where Poetry (and pip, through the export) gets packages."""

    name: str
    url: str | None  # None for the named PyPI source
    priority: str


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
    dependencies: tuple[str, ...]  # canonical names of the main group's direct dependencies
    scripts: Mapping[str, str]  # console scripts: name -> "module:function"
    sources: tuple[PackageSource, ...] = ()
    build_dirs: tuple[str, ...] = ()  # top-level directories [tool.poetry] include reaches into
    lock: Lock | None
    tool_quatrain: Mapping[str, Any]
    revision: str | None = None  # the git commit checked out, for the image's labels
    content_hashes: tuple[str, ...] = ()  # digests a fresh lock may carry (see content_hash)
    build_backend: str | None = None  # [build-system] build-backend, "poetry.core.masonry.api"

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
        return tuple(
            sorted(
                (self.root / p.source_url).resolve()
                for p in self.lock.packages
                if p.source_type == "directory" and p.source_url
            )
        )

    @property
    def needs_git(self) -> bool:
        return self.lock is not None and any(p.source_type == "git" for p in self.lock.packages)

    @property
    def import_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.packages)


def load_project(root: Path) -> Project:
    """Read pyproject.toml (Poetry 1.8 or 2.x shape) and poetry.lock from a project directory."""
    pyproject_path = root / "pyproject.toml"
    if not pyproject_path.is_file():
        msg = (
            f"{root} has no pyproject.toml, so it is not a Poetry project. "
            "Point quatrain at the directory that holds pyproject.toml and poetry.lock."
        )
        raise ProjectError(msg)
    data = _read_toml(pyproject_path)
    project_table: Mapping[str, Any] = data.get("project", {})
    poetry_table: Mapping[str, Any] = data.get("tool", {}).get("poetry", {})
    package_mode = bool(poetry_table.get("package-mode", True))
    name = project_table.get("name") or poetry_table.get("name")
    if not name:
        if package_mode:
            msg = (
                f"{pyproject_path} names no project: set `name` in [project] "
                "(Poetry 2) or [tool.poetry] (Poetry 1.8)."
            )
            raise ProjectError(msg)
        name = root.resolve().name
    packages, not_a_package = (
        _find_packages(root, str(name), poetry_table)
        if package_mode
        else ((), "package-mode = false")
    )
    if not packages:
        # Poetry would fail to install the root; a service kept in app/ is the usual reason.
        package_mode = False
    return Project(
        root=root,
        name=str(name),
        version=str(project_table.get("version") or poetry_table.get("version") or "0"),
        description=str(project_table.get("description") or poetry_table.get("description", "")),
        license=_license(project_table, poetry_table),
        urls=_urls(project_table, poetry_table),
        python_constraint=_python_constraint(project_table, poetry_table),
        package_mode=package_mode,
        not_a_package=not_a_package,
        packages=packages,
        build_files=_build_files(root, project_table, poetry_table),
        build_dirs=_included_tops(root, poetry_table, directories=True),
        dependencies=_main_dependencies(project_table, poetry_table),
        scripts=_scripts(project_table, poetry_table),
        sources=tuple(
            PackageSource(
                name=str(entry["name"]),
                url=str(entry["url"]) if entry.get("url") else None,
                priority=str(entry.get("priority", "primary")),
            )
            for entry in poetry_table.get("source", [])
            if "name" in entry
        ),
        lock=load_lock(root / "poetry.lock"),
        tool_quatrain=data.get("tool", {}).get("quatrain", {}),
        revision=git_revision(root),
        content_hashes=(content_hash(data), content_hash(data, with_dependency_groups=False)),
        build_backend=data.get("build-system", {}).get("build-backend"),
    )


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
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def _read_toml(path: Path) -> dict[str, Any]:
    return parse_toml(path)


def _python_constraint(
    project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> str | None:
    # Poetry locks against tool.poetry.dependencies.python when both are given: it is the
    # narrower one by Poetry's own rule, so it is the one the image must satisfy.
    poetry_python = poetry_table.get("dependencies", {}).get("python")
    if isinstance(poetry_python, str):
        return poetry_python
    requires = project_table.get("requires-python")
    return str(requires) if requires else None


def _license(project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]) -> str | None:
    value = project_table.get("license", poetry_table.get("license"))
    if isinstance(value, Mapping):
        value = value.get("text")
    return str(value) if isinstance(value, str) and value else None


def _urls(project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]) -> dict[str, str]:
    urls = {str(k).lower(): str(v) for k, v in project_table.get("urls", {}).items()}
    for key in ("homepage", "repository", "documentation"):
        if key in poetry_table:
            urls.setdefault(key, str(poetry_table[key]))
    return dict(sorted(urls.items()))


def _main_dependencies(
    project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> tuple[str, ...]:
    names = {
        canonical_name(re.split(r"[\s\[<>=!~;(@]", str(spec), maxsplit=1)[0])
        for spec in project_table.get("dependencies", [])
    }
    names |= {canonical_name(n) for n in poetry_table.get("dependencies", {}) if n != "python"}
    return tuple(sorted(names))


def _scripts(project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]) -> dict[str, str]:
    scripts = {str(k): str(v) for k, v in project_table.get("scripts", {}).items()}
    for name, value in poetry_table.get("scripts", {}).items():
        # Poetry 1.8's table form; `type = "file"` scripts are not console entry points.
        if isinstance(value, Mapping) and "callable" in value:
            value = value["callable"]
        if isinstance(value, str):
            scripts.setdefault(str(name), value)
    return dict(sorted(scripts.items()))


def _build_files(
    root: Path, project_table: Mapping[str, Any], poetry_table: Mapping[str, Any]
) -> tuple[str, ...]:
    readme = project_table.get("readme", poetry_table.get("readme"))
    if isinstance(readme, Mapping):
        readme = readme.get("file")
    candidates = list(readme) if isinstance(readme, list) else [readme] if readme else []
    license_table = project_table.get("license")
    if isinstance(license_table, Mapping) and "file" in license_table:
        candidates.append(license_table["file"])
    candidates += [str(p) for p in project_table.get("license-files", [])]
    # poetry-core adds LICENSE*/COPYING* files from the root to every wheel it builds.
    candidates += [p.name for p in root.glob("LICEN[CS]E*")] + [
        p.name for p in root.glob("COPYING*")
    ]
    files = {str(c) for c in candidates if (root / str(c)).is_file()}
    return tuple(sorted(files | set(_included_tops(root, poetry_table, directories=False))))


def _included_tops(
    root: Path, poetry_table: Mapping[str, Any], *, directories: bool
) -> tuple[str, ...]:
    """The top-level files (or directories) that [tool.poetry] include patterns match:
    `poetry build` packs them, so the build stage must have them."""
    tops = set()
    for entry in poetry_table.get("include", []):
        pattern = entry.get("path") if isinstance(entry, Mapping) else entry
        if not isinstance(pattern, str):
            continue
        for match in root.glob(pattern):
            top = root / match.relative_to(root).parts[0]
            if top.is_dir() == directories and not top.name.startswith("."):
                tops.add(top.name)
    return tuple(sorted(tops))


def _find_packages(
    root: Path, name: str, poetry_table: Mapping[str, Any]
) -> tuple[tuple[PackageDir, ...], str | None]:
    """The packages Poetry would build, or none and why (the project is then an application)."""
    declared = poetry_table.get("packages")
    if declared is not None:
        if not isinstance(declared, list):
            _fail(root, "tool.poetry.packages", "an array of {include = ...} tables")
        found = [_declared_package(root, entry, i) for i, entry in enumerate(declared)]
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


def _declared_package(root: Path, entry: Any, index: int) -> tuple[str, PackageDir | None]:
    """(path, the package), or (path, None) when nothing is there."""
    key = f"tool.poetry.packages[{index}]"
    if not isinstance(entry, Mapping) or not isinstance(entry.get("include"), str):
        _fail(root, key, 'a table with include = "name"')
    base = entry.get("from", "")
    if not isinstance(base, str):
        _fail(root, f"{key}.from", "a directory name")
    include, base = str(entry["include"]), base.strip("/")
    path = f"{base}/{include}" if base else include
    if not inside(root, path):
        _fail(root, key, "a path inside the project (no absolute path, no `..`)")
    if not (root / path).exists():
        return path, None
    return path, PackageDir(name=include.removesuffix(".py").replace("/", "."), path=path)


def inside(root: Path, relative: str) -> bool:
    """A relative path that stays inside the project, also through symlinks."""
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts:
        return False
    return (root / candidate).resolve().is_relative_to(root.resolve())


def _fail(root: Path, key: str, expected: str) -> NoReturn:
    msg = f"{root / 'pyproject.toml'}: `{key}` should be {expected}. Fix it and run quatrain again."
    raise ProjectError(msg)


_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # SHA-1 or SHA-256 repositories
_REF_NAME = re.compile(r"refs/[A-Za-z0-9._/-]+")


def git_revision(root: Path) -> str | None:
    """The commit checked out in the git repository holding `root`, read from .git's files
    (quatrain starts no process to read a project). It goes into a build argument and a
    label, so only a commit id read from a ref inside .git is taken; anything odd is None."""
    try:
        for directory in (root.resolve(), *root.resolve().parents):
            git = directory / ".git"
            if git.is_file():  # a worktree or submodule: "gitdir: <path>"
                target = git.read_text(encoding="utf-8").partition("gitdir:")[2].strip()
                git = (directory / target).resolve()
            if git.is_dir():
                return _resolve_head(git)
    except (OSError, UnicodeDecodeError, ValueError):
        return None  # unreadable, a directory where a file should be, not UTF-8
    return None


def _read_commit(text: str) -> str | None:
    value = text.strip()
    return value if _COMMIT_ID.fullmatch(value) else None


def _resolve_head(git: Path) -> str | None:
    head = (git / "HEAD").read_text(encoding="utf-8").strip() if (git / "HEAD").is_file() else ""
    if not head.startswith("ref:"):
        return _read_commit(head)
    ref = head.partition("ref:")[2].strip()
    if not _REF_NAME.fullmatch(ref) or ".." in ref.split("/"):
        return None  # a ref must name a file under refs/, never one elsewhere
    common = git
    if (git / "commondir").is_file():  # worktrees keep their refs in the main repository
        common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
    for base in (git, common):
        if (base / ref).is_file():
            return _read_commit((base / ref).read_text(encoding="utf-8"))
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return _read_commit(sha)
    return None  # a branch with no commit yet
