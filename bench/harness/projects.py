"""The reference projects, locked against the local index, in both network settings.

Each project is copied (the originals are never touched), its Poetry source pointed at the
local index and locked; a second copy adds one dependency to the lock. For the public setting
both copies are rewritten to name PyPI's simple index instead, with the lock's content hash
refreshed: same versions, same files, same hashes, only the URL differs."""

from __future__ import annotations

import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.config import (
    ADDED_DEPENDENCY,
    BENCH,
    LOCAL,
    LOCK_TIMEOUT,
    PUBLIC,
    PUBLIC_INDEX,
    REPO,
    SHORT_TIMEOUT,
    Network,
)
from harness.proc import run

_IGNORED = shutil.ignore_patterns(
    "poetry.lock", "Dockerfile", ".dockerignore", ".venv", "__pycache__", "dist", "*.egg-info"
)
_CONTENT_HASH = re.compile(r'^content-hash = "[0-9a-f]+"$', re.MULTILINE)
_HASH_SCRIPT = (
    "import sys\n"
    "from poetry.factory import Factory\n"
    "print(Factory().create_poetry(sys.argv[1]).locker._get_content_hash())\n"
)


@dataclass(frozen=True)
class ProjectSpec:
    name: str  # in results and image tags
    source: Path
    package: str  # the import package, whose __init__.py the code edit touches
    app: str  # what gunicorn serves
    source_url: str  # the Poetry source URL in pyproject.toml, replaced by the index URL


PROJECTS = (
    ProjectSpec(
        "flask-app",
        REPO / "examples" / "flask-app",
        "coach_planner",
        "coach_planner:create_app()",
        "https://pypi.org/simple/",
    ),
    ProjectSpec(
        "inventory",
        BENCH / "projects" / "inventory",
        "inventory",
        "inventory:create_app()",
        "@INDEX_URL@",
    ),
)


@dataclass(frozen=True)
class Variant:
    """One project in one network setting: the locked project, and the same after adding
    one dependency (its pyproject.toml and poetry.lock are copied over for that rebuild)."""

    base: Path
    with_dependency: Path


def poetry(project: Path, *args: str, env: dict[str, str]) -> str:
    command = [sys.executable, "-m", "poetry", "--no-interaction", *args]
    return run(command, cwd=project, env=env, timeout=LOCK_TIMEOUT).stdout


def prepare(
    spec: ProjectSpec, index_url: str, root: Path, poetry_env: dict[str, str]
) -> dict[str, Variant]:
    """Lock the project against the local index; derive the public copies; key by network."""
    local = root / spec.name / LOCAL.name
    base = local / "base"
    shutil.copytree(spec.source, base, ignore=_IGNORED)
    _replace(base / "pyproject.toml", spec.source_url, index_url)
    poetry(base, "lock", env=poetry_env)
    with_dependency = local / "with-dependency"
    shutil.copytree(base, with_dependency)
    poetry(with_dependency, "add", "--lock", ADDED_DEPENDENCY, env=poetry_env)
    variants = {LOCAL.name: Variant(base, with_dependency)}
    variants[PUBLIC.name] = _public_copy(variants[LOCAL.name], index_url, poetry_env)
    return variants


def _public_copy(local: Variant, index_url: str, poetry_env: dict[str, str]) -> Variant:
    public_root = local.base.parent.parent / PUBLIC.name
    copies = []
    for project in (local.base, local.with_dependency):
        copy = public_root / project.name
        shutil.copytree(project, copy)
        _replace(copy / "pyproject.toml", index_url, PUBLIC_INDEX)
        _replace(copy / "poetry.lock", index_url.rstrip("/"), PUBLIC_INDEX.rstrip("/"))
        _refresh_content_hash(copy, poetry_env)
        poetry(copy, "check", "--lock", env=poetry_env)
        copies.append(copy)
    return Variant(*copies)


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    if old not in text:
        message = f"{path}: expected {old!r} in it"
        raise RuntimeError(message)
    path.write_text(text.replace(old, new))


def _refresh_content_hash(project: Path, poetry_env: dict[str, str]) -> None:
    """Poetry hashes the sources into the lock: recompute it after the URL changed."""
    command = [sys.executable, "-c", _HASH_SCRIPT, str(project)]
    digest = run(command, env=poetry_env, timeout=SHORT_TIMEOUT).stdout.strip()
    lock = project / "poetry.lock"
    text, count = _CONTENT_HASH.subn(f'content-hash = "{digest}"', lock.read_text())
    if count != 1:
        message = f"{lock}: no content-hash line"
        raise RuntimeError(message)
    lock.write_text(text)


def fresh_copy(variant: Variant, destination: Path) -> Path:
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(variant.base, destination)
    return destination


def add_dependency(project: Path, variant: Variant) -> None:
    for name in ("pyproject.toml", "poetry.lock"):
        shutil.copyfile(variant.with_dependency / name, project / name)


def edit_source(project: Path, spec: ProjectSpec, token: str) -> None:
    """A one-line edit, unique to `token`: the build cache outlives runs."""
    module = project / spec.package / "__init__.py"
    module.write_text(module.read_text() + f'\nBENCH_EDIT = "{token}"\n')


def network_index(network: Network, index_url: str) -> str:
    return index_url if network == LOCAL else PUBLIC_INDEX
