"""The article's seven usages (PRODUCT.md), each checked on real images."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from engine_support import PROJECTS, Quatrain, docker, locked_copy, stage_names

from quatrain import engines
from quatrain.checking.verify import PROBE


def http_status(engine: engines.Engine, container: str, port: int, *, wait: float = 60) -> str:
    """Ask the server inside the container, on its own loopback; '' when nothing answers."""
    result = docker(
        engine, "exec", container, "python", "-c", PROBE, f"http://127.0.0.1:{port}/", str(wait),
        check=False,
    )  # fmt: skip
    return result.stdout.strip() if result.returncode == 0 else ""


def run_in(
    engine: engines.Engine, image: str, *command: str, entrypoint: str | None = None
) -> subprocess.CompletedProcess[str]:
    args = ["run", "--rm", "--network", "none"]
    if entrypoint:
        args += ["--entrypoint", entrypoint]
    return docker(engine, *args, image, *command)


@pytest.fixture(scope="module")
def initialized_project(
    tmp_path_factory: pytest.TempPathFactory, index_url: str, quatrain: Quatrain
) -> Path:
    project = locked_copy("flask-factory", tmp_path_factory.mktemp("init"), index_url)
    quatrain("init", str(project))
    return project


def plain_docker_build(
    engine: engines.Engine, project: Path, tag: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`docker build` exactly as a user would type it after `quatrain init`."""
    result = subprocess.run(
        [engine.binary, "build", "--progress=plain", "--network", "host", "--tag", tag,
         *extra, str(project)],
        env={**os.environ, "DOCKER_BUILDKIT": "1"}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]
    return result


def image_config(engine: engines.Engine, image: str) -> Mapping[str, object]:
    config = json.loads(
        docker(engine, "image", "inspect", "--format", "{{json .Config}}", image).stdout
    )
    assert isinstance(config, dict)
    return config


def test_1_docker_build_without_target_gives_production_and_skips_development(
    engine: engines.Engine, initialized_project: Path, image_tag: str
) -> None:
    tag = f"{image_tag}:usage-1"
    progress = plain_docker_build(engine, initialized_project, tag).stderr
    stages = stage_names(progress)
    assert {"build", "production"} <= stages
    assert "development" not in stages
    config = image_config(engine, tag)
    assert config["User"] == "10001:10001"
    assert config["Cmd"] == [
        "gunicorn", "--graceful-timeout=8", "--threads=4", "--reuse-port",
        "--worker-tmp-dir=/dev/shm", "--control-socket=/dev/shm/gunicorn.ctl",
        "factory_app:create_app()",
    ]  # fmt: skip


def test_2_target_development_runs_only_staging_and_development(
    engine: engines.Engine, initialized_project: Path, image_tag: str
) -> None:
    tag = f"{image_tag}:usage-2"
    progress = plain_docker_build(engine, initialized_project, tag, "--target", "development")
    stages = stage_names(progress.stderr)
    assert "development" in stages
    assert stages <= {"staging", "development"}
    assert image_config(engine, tag)["Entrypoint"] == ["poetry", "run"]


def test_3_production_serves_on_8888_by_default(
    engine: engines.Engine, production_image: str
) -> None:
    with engines.running(engine, production_image) as container:
        assert http_status(engine, container, 8888) == "200"


def test_3_production_serves_on_port_when_it_is_set_and_not_on_8888(
    engine: engines.Engine, production_image: str
) -> None:
    with engines.running(engine, production_image, env={"PORT": "5555"}) as container:
        assert http_status(engine, container, 5555) == "200"
        assert http_status(engine, container, 8888, wait=0) == ""


def test_4_development_runs_the_flask_dev_server_with_debug_on(
    engine: engines.Engine, development_image: str
) -> None:
    with engines.running(engine, development_image) as container:
        assert http_status(engine, container, 8888) == "200"
        logs = docker(engine, "logs", container)
        assert "Debug mode: on" in logs.stdout + logs.stderr


@pytest.mark.parametrize("which", ["production", "development"])
def test_5_a_command_replaces_the_default_and_keeps_its_arguments_intact(
    engine: engines.Engine, production_image: str, development_image: str, which: str
) -> None:
    image = production_image if which == "production" else development_image
    tricky = ["a b", "$HOME", '"quoted"', "$(echo no)"]
    printed = run_in(engine, image, "python", "-c", "import sys; print(sys.argv[1:])", *tricky)
    assert printed.stdout.strip() == repr(tricky)


@pytest.mark.parametrize("which", ["production", "development"])
def test_5_python_runs_in_the_project_environment(
    engine: engines.Engine, production_image: str, development_image: str, which: str
) -> None:
    image = production_image if which == "production" else development_image
    verify = PROJECTS / "flask-factory" / "verify"
    result = docker(
        engine, "run", "--rm", "--network", "none", "--volume", f"{verify}:/verify:ro",
        image, "python", "/verify", which,
    )  # fmt: skip
    assert result.stdout.strip().endswith(f"verify {which}: ok")


@pytest.mark.parametrize("which", ["production", "development"])
def test_6_a_bash_entrypoint_has_the_venv_active(
    engine: engines.Engine, production_image: str, development_image: str, which: str
) -> None:
    image = production_image if which == "production" else development_image
    script = 'command -v python; python -c "import factory_app; print(factory_app.GREETING)"'
    result = run_in(engine, image, "-c", script, entrypoint="/bin/bash")
    assert result.stdout.splitlines() == ["/opt/venv/bin/python", "hello from factory_app"]


def test_7_python_debian_and_poetry_pins_are_build_arguments_with_defaults(
    quatrain: Quatrain, engine: engines.Engine, flask_project: Path, image_tag: str
) -> None:
    dockerfile = quatrain("init", "--stdout", str(flask_project)).stdout
    for line in (
        "ARG PYTHON_VERSION=3.11",
        "ARG DEBIAN_RELEASE=bookworm",
        "ARG POETRY_VERSION=2.5.1",
    ):
        assert line in dockerfile.splitlines()
    tag = f"{image_tag}:usage-7"
    quatrain(
        "build", str(flask_project), "--target", "development", "--tag", tag,
        "--build-arg", "POETRY_VERSION=2.5.0",
    )  # fmt: skip
    assert run_in(engine, tag, "poetry", "--version").stdout.strip() == "Poetry (version 2.5.0)"
