"""`quatrain dev`: the development image serving the project's live sources, as the project's
owner, one container per project, gone after Ctrl-C."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from engine_support import Quatrain, docker, locked_copy

from quatrain import engines
from quatrain.developing import loop

OWNER = 4242  # not the test's own uid (root on CI): the files' owner, not the caller, counts


def answer(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return str(response.read().decode())
    except (OSError, http.client.HTTPException):  # not up yet, or restarting on the edit
        return ""


def wait_for(condition: object, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"{what} within {seconds:.0f} s"
        time.sleep(0.5)


# case -> (project name, edited file, the text it serves that the edit replaces, at which path)
SERVED = {
    "flask-factory": ("factory-app", "src/factory_app/__init__.py", "hello from factory_app", "/"),
    "fastapi-app": ("fastapi-app", "fastapi_app/main.py", '"fastapi_app"', "/"),
    "django-site": ("mysite", "mysite/views.py", "hello from django", "/"),
    # Flask's reloader under Dash; the layout is served as JSON.
    "dash-app": ("dash-app", "board/index.py", "hello from board", "/_dash-layout"),
    "sanic-app": ("sanic-app", "board/web.py", "hello from board", "/"),  # sanic --dev
    # aiohttp's own runner has no reloader: quatrain dev restarts the container.
    "aiohttp-app": ("aiohttp-app", "board/web.py", "hello from board", "/"),
}


@pytest.fixture
def podman_engine() -> engines.Engine:
    binary = engines.binary_for("podman", os.environ.get("QUATRAIN_PODMAN"))
    return engines.connect(binary, dict(os.environ), kind="podman")


@pytest.mark.parametrize(
    ("case", "kind"),
    [("flask-factory", "docker"), ("fastapi-app", "docker"), ("django-site", "docker"),
     ("dash-app", "docker"), ("sanic-app", "docker"), ("aiohttp-app", "docker"),
     ("flask-factory", "podman")],
)  # fmt: skip
def test_dev_serves_live_sources_as_the_projects_owner_once_per_project(
    case: str, kind: str, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str, request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    if kind == "podman":
        engine = request.getfixturevalue("podman_engine")
    quatrain = Quatrain(engine)
    project = locked_copy(case, tmp_path, index_url)
    for path in [project, *project.rglob("*")]:
        os.chown(path, OWNER, OWNER, follow_symlinks=False)
    name, edited_file, old, served_at = SERVED[case]
    port = 20000 + uuid.uuid4().int % 20000
    args = ["dev", str(project), "--port", str(port), "--tag", f"{image_tag}:dev-{case}",
            "--engine", kind]  # fmt: skip
    started = subprocess.Popen(
        [sys.executable, "-m", "quatrain", *args], env=quatrain.env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    container = loop.session(project=project, context=project, name=name, port=port,
                             network="host").name  # fmt: skip
    url = f"http://127.0.0.1:{port}{served_at}"
    try:
        wait_for(lambda: old in answer(url), "the dev server answers", 300)
        # Django's StatReloader first looks at the files a moment after the server answers,
        # and misses an edit made before that: people edit seconds later.
        time.sleep(2)

        source = project / edited_file
        edited = old.replace(old.strip('"'), f"edited-{uuid.uuid4().hex[:8]}")
        source.write_text(source.read_text().replace(old, edited))
        wait_for(lambda: edited in answer(url), "the edit is served", 30)

        docker(engine, "exec", container, "sh", "-c", "echo made > /app/made-in-container.txt")
        made = (project / "made-in-container.txt").stat()
        assert (made.st_uid, made.st_gid) == (OWNER, OWNER)

        second = quatrain(*args, check=False)
        assert second.returncode == 5
        assert f"quatrain dev already runs for this project, in container {container}" in (
            second.stderr
        )
    finally:
        started.send_signal(signal.SIGINT)
        output, _ = started.communicate(timeout=60)
    assert f"Serving on http://127.0.0.1:{port}/" in output
    left = docker(engine, "ps", "--all", "--quiet", "--filter", f"name=^{container}$").stdout
    assert left.strip() == "", "the container is stopped and removed"


def add_tzdata_and_lock(project: Path) -> None:
    """A new runtime dependency of flask-factory, locked against the local index as a user's
    `poetry lock` would after an edit of pyproject.toml."""
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text().replace('"gunicorn>=23.0"', '"gunicorn>=23.0", "tzdata"')
    pyproject.write_text(text)
    subprocess.run(
        [sys.executable, "-m", "poetry", "lock", "--no-interaction"], cwd=project,
        check=True, capture_output=True,
        env={**os.environ, "POETRY_VIRTUALENVS_CREATE": "false"},
    )  # fmt: skip


def start_dev(quatrain: Quatrain, project: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "quatrain", "dev", str(project), *args], env=quatrain.env(),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def test_a_lock_change_rebuilds_and_restarts_with_the_new_dependency(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str, image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy("flask-factory", tmp_path, index_url)
    port = 20000 + uuid.uuid4().int % 20000
    started = start_dev(quatrain, project, "--port", str(port), "--tag", f"{image_tag}:dev-lock")
    name = loop.session(project=project, context=project, name="factory-app", port=port,
                        network="host").name  # fmt: skip
    url = f"http://127.0.0.1:{port}/"

    def imports_tzdata() -> bool:
        found = docker(engine, "exec", name, "python", "-c", "import tzdata", check=False)
        return found.returncode == 0

    try:
        wait_for(lambda: "hello from factory_app" in answer(url), "the dev server answers", 300)
        assert not imports_tzdata()
        add_tzdata_and_lock(project)

        wait_for(imports_tzdata, "the rebuilt image serves with tzdata", 300)
        wait_for(lambda: "hello from factory_app" in answer(url), "it serves again", 60)
    finally:
        started.send_signal(signal.SIGINT)
        output, _ = started.communicate(timeout=60)
    assert "pyproject.toml or poetry.lock changed: rebuilding." in output


def test_a_command_after_the_separator_runs_in_the_dev_setup_and_poetry_add_updates_the_host(
    quatrain: Quatrain, tmp_path: Path, index_url: str, image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy("flask-factory", tmp_path, index_url)
    for path in [project, *project.rglob("*")]:
        os.chown(path, OWNER, OWNER, follow_symlinks=False)

    added = quatrain("dev", str(project), "--tag", f"{image_tag}:dev-add", "--",
                     "poetry", "add", "--no-interaction", "tzdata")  # fmt: skip

    assert "tzdata" in (project / "pyproject.toml").read_text(), added.stderr[-2000:]
    assert 'name = "tzdata"' in (project / "poetry.lock").read_text()
    for name in ("pyproject.toml", "poetry.lock"):
        found = (project / name).stat()
        assert (found.st_uid, found.st_gid) == (OWNER, OWNER), name
