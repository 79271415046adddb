"""The real CLI in a subprocess, where the engine is missing or down: one message, its own code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"


def quatrain(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QUATRAIN_")}
    return subprocess.run(
        [sys.executable, "-m", "quatrain", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_missing_docker_binary_is_exit_5_with_what_to_do() -> None:
    result = quatrain("build", str(EXAMPLE), env={"QUATRAIN_DOCKER": "/nonexistent/docker"})
    assert result.returncode == 5
    assert result.stderr.strip().splitlines()[-1] == (
        "quatrain: error: `/nonexistent/docker` was not found. Install it, or point quatrain "
        "at it (for Docker: --docker PATH or QUATRAIN_DOCKER=PATH)."
    )
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(shutil.which("docker") is None and not Path("/usr/bin/docker").exists(),
                    reason="needs a docker client (not a daemon)")  # fmt: skip
def test_a_daemon_that_is_down_is_exit_5_and_says_so(tmp_path: Path) -> None:
    client = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"
    env = {"QUATRAIN_DOCKER": client, "DOCKER_HOST": f"unix://{tmp_path}/no-daemon.sock"}
    result = quatrain("build", str(EXAMPLE), env=env)
    assert result.returncode == 5
    assert "quatrain: error: The Docker daemon is not answering" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("content", "mode", "said"),
    [
        ("docker version\n", 0o755, "could not be run: Exec format error"),
        ("#!/bin/sh\nexit 0\n", 0o644, "is not executable"),
    ],
)
def test_a_docker_that_cannot_be_run_is_exit_5_naming_it(
    tmp_path: Path, content: str, mode: int, said: str
) -> None:
    docker = tmp_path / "docker"
    docker.write_text(content)
    docker.chmod(mode)

    result = quatrain("build", str(EXAMPLE), "--docker", str(docker), env={})

    assert result.returncode == 5
    assert result.stderr.strip().splitlines()[-1].startswith(f"quatrain: error: `{docker}` {said}")
    assert "Traceback" not in result.stderr


def test_debug_traceback_shows_the_traceback_when_asked() -> None:
    env = {"QUATRAIN_DOCKER": "/nonexistent/docker"}
    result = quatrain("--debug-traceback", "build", str(EXAMPLE), env=env)
    assert result.returncode == 5
    assert "Traceback (most recent call last)" in result.stderr


def stub_docker(directory: Path, server: str) -> Path:
    """A docker that answers `version` as an engine of `server` would, and refuses the rest."""
    path = directory / "docker"
    versions = f'{{"Client":{{"Version":"{server}"}},"Server":{{"Version":"{server}"}}}}'
    path.write_text(
        f"#!/bin/sh\n[ \"$1\" = version ] && echo '{versions}' && exit 0\nexit 1\n",
        encoding="utf-8",
    )
    path.chmod(0o755)
    return path


def test_an_engine_older_than_20_10_is_exit_5_before_anything_is_built(tmp_path: Path) -> None:
    docker = stub_docker(tmp_path, "19.03.13")

    result = quatrain("build", str(EXAMPLE), env={"QUATRAIN_DOCKER": str(docker)})

    assert result.returncode == 5
    assert result.stderr.strip().splitlines()[-1] == (
        f"quatrain: error: `{docker}` talks to Docker Engine 19.03.13, and quatrain needs 20.10 "
        "or later: the Dockerfile's RUN --mount (caches, secrets) needs the Dockerfile frontend "
        "1.2 that engines build with from 20.10 on. Upgrade the engine, or point DOCKER_HOST at "
        "a newer one."
    )
    assert f"+ {docker} version --format '{{{{json .}}}}'" in result.stderr  # echoed, captured


def test_debug_traceback_after_the_command_is_the_containers_not_quatrains(
    tmp_path: Path,
) -> None:
    project = tmp_path / "flask-app"
    shutil.copytree(EXAMPLE, project)
    (project / "poetry.lock").unlink()

    result = quatrain("run", str(project), "--", "--debug-traceback", env={})

    assert result.returncode == 3
    assert "has no poetry.lock" in result.stderr
    assert "Traceback" not in result.stderr
