"""A monorepo: the app depends on a library beside it by path. The context is the
repository's root; development installs the library editable, production as a wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from engine_support import PROJECTS, Quatrain, docker

from quatrain import engines


def locked_monorepo(tmp_path: Path, index_url: str) -> Path:
    repository = tmp_path / "monorepo"
    shutil.copytree(PROJECTS / "monorepo", repository)
    app = repository / "apps" / "web"
    pyproject = app / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("@INDEX_URL@", index_url))
    locked = subprocess.run(
        [sys.executable, "-m", "poetry", "lock", "--no-interaction"],
        cwd=app, capture_output=True, text=True, check=False, env=dict(os.environ),
    )  # fmt: skip
    assert locked.returncode == 0, locked.stdout + locked.stderr
    return app


def test_a_path_dependency_outside_the_project_is_built_from_the_monorepo_root(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    app = locked_monorepo(tmp_path, index_url)
    rendered = quatrain("init", "--stdout", "--all", str(app)).stdout
    assert "# ----- Dockerfile.dockerignore" in rendered
    assert "COPY libs/greetings/ /app/libs/greetings/" in rendered
    assert "WORKDIR /app/apps/web" in rendered

    name = f"{image_tag}-monorepo"
    result = quatrain("verify", str(app), "--image-name", name)
    assert result.stderr.rstrip().endswith("Both images verified.")
    verify = PROJECTS / "monorepo" / "verify"
    for target, tag in (("production", f"{name}:latest"), ("development", f"{name}:development")):
        checked = docker(
            engine, "run", "--rm", "--network", "none", "--entrypoint", "python",
            "--volume", f"{verify}:/verify:ro", tag, "/verify", target,
        )  # fmt: skip
        assert checked.stdout.strip().endswith(f"verify {target}: ok")


def test_init_in_a_monorepo_lets_plain_docker_build_from_the_root(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    app = locked_monorepo(tmp_path, index_url)
    quatrain("init", str(app))
    assert (app / "Dockerfile.dockerignore").is_file()
    assert not (app / ".dockerignore").exists()
    tag = f"{image_tag}:monorepo-plain"
    built = subprocess.run(
        [engine.binary, "build", "--network", "host", "--file", "apps/web/Dockerfile",
         "--tag", tag, "."],
        cwd=app.parents[1], env={**os.environ, "DOCKER_BUILDKIT": "1"},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    greeting = docker(engine, "run", "--rm", "--network", "none", "--entrypoint", "python", tag,
                      "-c", "import greetings; print(greetings.greet('x'))")  # fmt: skip
    assert greeting.stdout.strip() == "hello from x via greetings"
