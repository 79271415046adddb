"""The project's wheel, built on this machine by its own build backend (PEP 517, through
pyproject-hooks) in an environment of its build-system.requires that is made once and kept in
the cache; its files dated SOURCE_DATE_EPOCH, so that one commit gives one wheel."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from quatrain import cmd
from quatrain.assembling.epochs import cache_home
from quatrain.dockerfile import render
from quatrain.errors import BuildError
from quatrain.log import log
from quatrain.plan import Plan


def project_wheel(plan: Plan, directory: Path, env: Mapping[str, str], epoch: int) -> Path | None:
    """The project's wheel, by its build backend (PEP 517, through pyproject-hooks) in a build
    environment of its build-system.requires kept in the cache; dated SOURCE_DATE_EPOCH. None
    for a project that is no package."""
    project = plan.project
    if not project.package_mode:
        return None
    log.step(f"Building the wheel of {project.name}")
    requires = project.build_requires or ("poetry-core",)
    backend = project.build_backend or render.POETRY_CORE_BACKEND
    libraries = _build_environment(requires, _backend_index(plan), env)
    directory.mkdir(parents=True, exist_ok=True)
    # zip cannot hold a time before 1980: a SOURCE_DATE_EPOCH of 0 means the earliest it can.
    extra = {"PYTHONPATH": str(libraries), "SOURCE_DATE_EPOCH": str(max(epoch, _ZIP_EPOCH))}

    stream = cmd.stream

    def runner(
        cmd: Sequence[str],  # pyproject-hooks' name for it
        cwd: str | None = None,
        extra_environ: Mapping[str, str] | None = None,
    ) -> None:
        code, lines = stream(cmd, env={**env, **(extra_environ or {}), **extra}, cwd=cwd)
        if code != 0:
            said = next((line.strip() for line in reversed(lines) if line.strip()), "no message")
            msg = (
                f"The build backend {backend} could not build the wheel of {project.name} ({said})."
            )
            raise BuildError(msg)

    from pyproject_hooks import BuildBackendHookCaller

    caller = BuildBackendHookCaller(
        str(project.root), backend, python_executable=sys.executable, runner=runner
    )
    name = caller.build_wheel(str(directory))
    log.step_end()
    return directory / name


_ZIP_EPOCH = 315532800  # 1980-01-01, the first time a zip entry can carry


def _build_environment(requires: Sequence[str], index: str | None, env: Mapping[str, str]) -> Path:
    """build-system.requires installed once (pip, into a directory of the cache), for every
    build of the same requirements from the same index."""
    key = hashlib.sha256(json.dumps([sorted(requires), index, sys.version]).encode()).hexdigest()[
        :24
    ]
    kept = cache_home(env) / "build-environments" / key
    if kept.is_dir():
        return kept
    partial = kept.with_name(f".{key}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    argv = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--target", str(partial), *(["--index-url", index] if index else []), *requires,
    ]  # fmt: skip
    code, lines = cmd.stream(argv, env=dict(env))
    if code != 0:
        said = next((line.strip() for line in reversed(lines) if line.strip()), "no message")
        msg = f"pip could not install the build backend ({', '.join(requires)}): {said}"
        raise BuildError(msg)
    partial.rename(kept)
    return kept


def _backend_index(plan: Plan) -> str | None:
    """Where pip finds the build backend: the project's primary source, as Poetry's would."""
    primary = [
        s.url for s in plan.project.sources if s.url and s.priority in ("primary", "default")
    ]
    return primary[0] if primary else None
