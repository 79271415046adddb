"""The ways of containerising a project that the benchmark compares.

Each one writes its Dockerfile (and helper files) into a copy of the project and says how to
run the image so that its server listens on 127.0.0.1 only (the containers share the host's
network): the image's own command and settings, with nothing changed but the bind address."""

from __future__ import annotations

import json
import os
import shutil
import sys
import venv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from harness.config import (
    DEBIAN_RELEASE,
    DOCKERPYZE_VERSION,
    DOWNLOAD_TIMEOUT,
    PYTHON_VERSION,
    SHORT_TIMEOUT,
    TEMPLATES,
)
from harness.proc import CommandError, plain_pip_env, run
from harness.projects import ProjectSpec


class ApproachError(RuntimeError):
    """The approach could not produce a Dockerfile for the project."""


@dataclass(frozen=True)
class RunOptions:
    env: dict[str, str]
    command: list[str] = field(default_factory=list)  # empty: the image's own CMD


class Approach(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def title(self) -> str: ...

    def render(self, project: Path, spec: ProjectSpec) -> Path:
        """Write the Dockerfile into `project` (again after the lock changed); return it."""
        ...

    def run_options(self, spec: ProjectSpec, port: int) -> RunOptions: ...


def _gunicorn_on_loopback(port: int) -> dict[str, str]:
    """For images whose command leaves the address to gunicorn: it reads GUNICORN_CMD_ARGS."""
    return {"PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{port}"}


@dataclass(frozen=True)
class Quatrain:
    """Whatever `quatrain init` currently writes, for the benchmark's Python and Debian."""

    name: str = "quatrain"
    title: str = "quatrain"

    def render(self, project: Path, spec: ProjectSpec) -> Path:
        command = [
            sys.executable,
            "-m",
            "quatrain",
            "init",
            "--stdout",
            "--all",  # every file, each after a `# ----- NAME` line
            str(project),
            "--python-version",
            PYTHON_VERSION,
            "--debian-release",
            DEBIAN_RELEASE,
        ]
        try:
            output = run(command, timeout=SHORT_TIMEOUT).stdout
        except CommandError as error:
            raise ApproachError(str(error)) from error
        files = split_files(output)
        if "Dockerfile" not in files:
            message = f"quatrain init --stdout --all printed no Dockerfile:\n{output[:500]}"
            raise ApproachError(message)
        for name, text in files.items():
            (project / name).write_text(text)
        return project / "Dockerfile"

    def run_options(self, spec: ProjectSpec, port: int) -> RunOptions:
        return RunOptions(_gunicorn_on_loopback(port))


def split_files(output: str) -> dict[str, str]:
    """`quatrain init --stdout --all` prints each file after a `# ----- NAME` line."""
    files: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines(keepends=True):
        if line.startswith("# ----- "):
            current = files.setdefault(line.removeprefix("# ----- ").strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "".join(lines) for name, lines in files.items()}


def article_command(bind: str) -> list[str]:
    """The article's CMD, which its entrypoint expands with `eval`."""
    return [
        "gunicorn",
        f"--bind {bind}",
        "--workers 1",
        "--threads 1",
        "--timeout 0",
        '"$APP_NAME:create_app()"',
    ]


@dataclass(frozen=True)
class Article:
    """The article's Dockerfile, rewritten (bench/templates/article); built from docker/."""

    name: str = "article"
    title: str = "article (2021)"

    def render(self, project: Path, spec: ProjectSpec) -> Path:
        template = (TEMPLATES / "article" / "Dockerfile").read_text()
        if f"CMD {json.dumps(article_command(':$PORT'))}" not in template:
            message = "bench/templates/article/Dockerfile: its CMD differs from article_command"
            raise ApproachError(message)
        directory = project / "docker"
        directory.mkdir(exist_ok=True)
        dockerfile = directory / "Dockerfile"
        dockerfile.write_text(template.replace("@APP_NAME@", spec.package))
        entrypoint = directory / "docker-entrypoint.sh"
        shutil.copyfile(TEMPLATES / "article" / "docker-entrypoint.sh", entrypoint)
        entrypoint.chmod(0o755)
        return dockerfile

    def run_options(self, spec: ProjectSpec, port: int) -> RunOptions:
        return RunOptions({"PORT": str(port)}, article_command("127.0.0.1:$PORT"))


def naive_command(host: str, spec: ProjectSpec) -> str:
    return f'gunicorn --bind {host}:$PORT "{spec.app}"'


@dataclass(frozen=True)
class Naive:
    """One stage: `COPY . .`, `pip install poetry`, `poetry install`, gunicorn."""

    name: str = "naive"
    title: str = "naive single stage"

    def render(self, project: Path, spec: ProjectSpec) -> Path:
        template = (TEMPLATES / "naive" / "Dockerfile").read_text()
        text = template.replace("@APP@", spec.app)
        if f"CMD {naive_command('0.0.0.0', spec)}" not in text:
            message = "bench/templates/naive/Dockerfile: its CMD differs from naive_command"
            raise ApproachError(message)
        dockerfile = project / "Dockerfile"
        dockerfile.write_text(text)
        return dockerfile

    def run_options(self, spec: ProjectSpec, port: int) -> RunOptions:
        return RunOptions({"PORT": str(port)}, ["sh", "-c", naive_command("127.0.0.1", spec)])


_WRITE_DOCKERIGNORE = (
    "import sys\n"
    "from dockerpyze.builder import write_dockerignore_if_needed\n"
    "write_dockerignore_if_needed(sys.argv[1])\n"
)


@dataclass(frozen=True)
class Dockerpyze:
    """poetry-dockerize-plugin, now dockerpyze, from PyPI in a throwaway venv: its generator's
    Dockerfile, with the one setting a user must give it (the command: gunicorn serving the
    app) in `[tool.dpy]`, and the .dockerignore its own build would write."""

    venv: Path
    name: str = "dockerpyze"
    title: str = f"dockerpyze {DOCKERPYZE_VERSION}"

    def render(self, project: Path, spec: ProjectSpec) -> Path:
        pyproject = project / "pyproject.toml"
        if "[tool.dpy]" not in pyproject.read_text():
            entrypoint = json.dumps(["gunicorn", spec.app])
            with pyproject.open("a") as stream:
                stream.write(f"\n[tool.dpy]\nentrypoint = {entrypoint}\n")
        python = str(self.venv / "bin" / "python")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DPY_", "DOCKERIZE_"))}
        try:
            run(
                [str(self.venv / "bin" / "dockerpyze"), "--generate", "--path", str(project)],
                cwd=project,
                env=env,
                timeout=SHORT_TIMEOUT,
            )
            run(
                [python, "-c", _WRITE_DOCKERIGNORE, str(project / ".dockerignore")],
                timeout=SHORT_TIMEOUT,
            )
        except CommandError as error:
            raise ApproachError(str(error)) from error
        return project / "Dockerfile"

    def run_options(self, spec: ProjectSpec, port: int) -> RunOptions:
        return RunOptions(_gunicorn_on_loopback(port))


def dockerpyze_venv() -> Path:
    """dockerpyze from PyPI in a venv of its own under /tmp, made once."""
    directory = Path("/tmp") / "quatrain-bench-dockerpyze" / DOCKERPYZE_VERSION
    stamp = directory / ".complete"
    if not stamp.exists():
        shutil.rmtree(directory, ignore_errors=True)
        venv.create(directory, with_pip=True)
        pip = str(directory / "bin" / "pip")
        run(
            [pip, "install", "--quiet", f"dockerpyze=={DOCKERPYZE_VERSION}"],
            env=plain_pip_env(),
            timeout=DOWNLOAD_TIMEOUT,
        )
        stamp.touch()
    return directory


def all_approaches() -> list[Approach]:
    return [Quatrain(), Article(), Dockerpyze(dockerpyze_venv()), Naive()]
