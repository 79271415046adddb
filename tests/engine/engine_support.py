"""Helpers for the engine tests: the CLI runner, project copies, BuildKit progress parsing."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import package_index
import pytest

from quatrain import engines

PROJECTS = Path(__file__).parents[1] / "projects"
# The stand-in images the test bed provides; see scripts/testbed.sh.
IMAGE_OPTIONS = {"QUATRAIN_PYTHON_VERSION": "3.11", "QUATRAIN_DEBIAN_RELEASE": "bookworm"}


def docker_binary() -> str:
    return os.environ.get("QUATRAIN_DOCKER") or (
        "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
    )


@dataclass(frozen=True)
class PrivateIndex:
    url: str
    username: str
    password: str

    def credentials(self, source: str) -> dict[str, str]:
        """Poetry's variables for a source of this name."""
        key = source.upper().replace("-", "_")
        return {
            f"POETRY_HTTP_BASIC_{key}_USERNAME": self.username,
            f"POETRY_HTTP_BASIC_{key}_PASSWORD": self.password,
        }


@dataclass(frozen=True)
class Quatrain:
    """Runs the real CLI in a subprocess against the test engine and stand-in images."""

    engine: engines.Engine

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {
            **os.environ,
            "QUATRAIN_DOCKER": self.engine.binary,
            "QUATRAIN_NETWORK": "host",
            **IMAGE_OPTIONS,
            **(extra or {}),
        }

    def __call__(
        self, *args: str, extra_env: Mapping[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "quatrain", *args],
            env=self.env(extra_env),
            capture_output=True,
            text=True,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(
                f"quatrain {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-6000:]}"
            )
        return result


def locked_copy(
    case: str, destination: Path, index_url: str, *, env: Mapping[str, str] | None = None
) -> Path:
    """Copy a test project, point its Poetry source at the local index and lock it.

    `poetry lock` runs once per case, index and environment in a session; later calls copy
    that locked tree, since Poetry would write the same lock again (2 s a call saved)."""
    key = (case, index_url, tuple(sorted((env or {}).items())))
    if key not in _LOCKED:
        cache = Path(tempfile.mkdtemp(prefix="quatrain-locked-"))
        _LOCKED[key] = _lock(case, cache, index_url, env)
    project = destination / case
    shutil.copytree(_LOCKED[key], project)
    return project


_LOCKED: dict[tuple[str, str, tuple[tuple[str, str], ...]], Path] = {}


def django_site_new_to_the_cache(
    destination: Path, index_url: str, *, key_from_environment: bool = False
) -> Path:
    """The django-site fixture, locked, its settings new to BuildKit's cache, which never sees a
    secret and outlives the test run: collectstatic really runs with build-env's settings.
    `key_from_environment`: SECRET_KEY read from the environment with no default, as real
    sites write it."""
    project = locked_copy("django-site", destination, index_url)
    settings = project / "mysite" / "settings.py"
    text = settings.read_text()
    if key_from_environment:
        text = text.replace(
            'os.environ.get("DJANGO_SECRET_KEY", "django-insecure-quatrain-test-project-only")',
            'os.environ["DJANGO_SECRET_KEY"]',
        )
    settings.write_text(text + f"\n# run {uuid.uuid4().hex}\n")
    return project


@atexit.register
def _remove_locked() -> None:
    for project in _LOCKED.values():
        shutil.rmtree(project.parent, ignore_errors=True)


def _lock(case: str, destination: Path, index_url: str, env: Mapping[str, str] | None) -> Path:
    project = destination / case
    shutil.copytree(
        PROJECTS / case, project, ignore=shutil.ignore_patterns("expected", "expected.toml")
    )
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("@INDEX_URL@", index_url))
    locked = subprocess.run(
        [sys.executable, "-m", "poetry", "lock", "--no-interaction"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "POETRY_VIRTUALENVS_CREATE": "false",
            # Poetry caches a source's files by the source's name ("testbed"): a cache of its own
            # for each set of wheels the index serves, or a lock would miss the files added.
            "POETRY_CACHE_DIR": str(
                package_index.wheel_directory().with_name(
                    f"poetry-{package_index.wheel_directory().name}"
                )
            ),
            **(env or {}),
        },
    )
    if locked.returncode != 0:
        pytest.fail(f"poetry lock failed in {project}:\n{locked.stdout}\n{locked.stderr}")
    return project


def docker(
    engine: engines.Engine, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = engines.capture(engine, *args)
    if check and result.returncode != 0:
        pytest.fail(f"docker {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


def build_steps(progress: str) -> dict[str, bool]:
    """BuildKit's plain progress -> {step title: whether it was CACHED}, e.g.
    {"[build 3/6] RUN --mount=... pip install --require-hashes ...": True}."""
    titles: dict[str, str] = {}
    cached: set[str] = set()
    for line in progress.splitlines():
        if found := re.match(r"#(\d+) (\[[^\]]+\] .*)", line):
            titles.setdefault(found.group(1), found.group(2))
        elif found := re.match(r"#(\d+) CACHED$", line):
            cached.add(found.group(1))
    return {title: number in cached for number, title in titles.items()}


def stage_names(progress: str) -> set[str]:
    """The stages whose steps appear in a build's progress, e.g. {"staging", "build"}."""
    return {m.group(1) for m in re.finditer(r"^#\d+ \[(\w+) \d+/\d+\]", progress, re.MULTILINE)}
