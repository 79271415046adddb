"""The compose.yaml that init writes, run by Compose v2 (the test bed's trixie plugin):
`docker compose watch` serves an edit, and rebuilds on a change of the lock."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import shipping
from engine_support import Quatrain, locked_copy
from shipping import BUILDX_CLIENT
from test_dev_command import add_tzdata_and_lock, answer, wait_for

# The UID compose.yaml runs the development service as: not the test's own (root), but one
# this host knows, as the user's own uid is. Engine 20.10 looks a synced file's owner up in the
# host's passwd database, not the container's (moby #34142).
OWNER = pwd.getpwnam("nobody").pw_uid


@pytest.fixture
def compose_env() -> dict[str, str]:
    config = shipping.testbed_dir() / "docker-config"
    if not (config / "cli-plugins/docker-compose").exists():
        pytest.fail(f"no compose plugin in {config}/cli-plugins: run scripts/testbed.sh")
    return {**os.environ, "DOCKER_CONFIG": str(config), "UID": str(OWNER)}


@pytest.fixture
def compose_project(
    quatrain: Quatrain, tmp_path: Path, index_url: str, image_tag: str
) -> Iterator[tuple[Path, int, list[str]]]:
    """flask-factory with the files init writes, compose.yaml among them, on a port of its
    own; the compose project is taken down (containers, network) at the end."""
    project = locked_copy("flask-factory", tmp_path, index_url)
    port = 20000 + uuid.uuid4().int % 20000
    quatrain("init", str(project), extra_env={"QUATRAIN_PORT": str(port),
                                              "QUATRAIN_IMAGE_NAME": image_tag})  # fmt: skip
    compose = [BUILDX_CLIENT, "compose", "--project-name", f"qt-{uuid.uuid4().hex[:8]}"]
    yield project, port, compose
    config = str(shipping.testbed_dir() / "docker-config")
    subprocess.run([*compose, "down", "--timeout", "3"], cwd=project, capture_output=True,
                   env={**os.environ, "DOCKER_CONFIG": config})  # fmt: skip


def test_compose_watch_serves_an_edit_and_rebuilds_on_a_lock_change(
    compose_project: tuple[Path, int, list[str]], compose_env: dict[str, str]
) -> None:
    project, port, compose = compose_project
    assert "develop:" in (project / "compose.yaml").read_text()
    watch = subprocess.Popen(
        [*compose, "watch"], cwd=project, env=compose_env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(watch.stdout or ()), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}/"

    def in_container(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*compose, "exec", "-T", "development", *argv], cwd=project,
                              env=compose_env, capture_output=True, text=True)  # fmt: skip

    try:
        wait_for(lambda: "hello from factory_app" in answer(url), "compose serves", 300)
        # Compose watches once the container runs, a moment after the server may answer.
        wait_for(lambda: any("Watch enabled" in line for line in lines), "watch is on", 30)
        assert in_container("id", "-u").stdout.strip() == str(OWNER)

        source = project / "src/factory_app/__init__.py"
        edited = f"edited-{uuid.uuid4().hex[:8]}"
        source.write_text(source.read_text().replace("hello from factory_app", edited))
        wait_for(lambda: edited in answer(url), "the synced edit is served", 60)

        assert in_container("python", "-c", "import tzdata").returncode != 0
        add_tzdata_and_lock(project)
        wait_for(lambda: in_container("python", "-c", "import tzdata").returncode == 0,
                 "the rebuilt container imports tzdata", 300)  # fmt: skip
        wait_for(lambda: edited in answer(url), "it serves the edit again", 60)
    finally:
        watch.send_signal(signal.SIGINT)
        try:
            watch.wait(timeout=60)
        except subprocess.TimeoutExpired:
            watch.kill()
        reader.join(timeout=10)
        if watch.stdout:
            watch.stdout.close()
        print("".join(lines)[-5000:])  # for a failure's report
