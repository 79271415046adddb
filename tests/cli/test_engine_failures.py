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


def test_debug_traceback_shows_the_traceback_when_asked() -> None:
    env = {"QUATRAIN_DOCKER": "/nonexistent/docker"}
    result = quatrain("--debug-traceback", "build", str(EXAMPLE), env=env)
    assert result.returncode == 5
    assert "Traceback (most recent call last)" in result.stderr
