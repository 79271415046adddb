"""Engine tests: real builds on a real engine, through the real command line.

Every test here is marked `engine`; deselect them with `-m "not engine"` on a machine without
Docker. Where the engine is missing they fail rather than skip: a green run that skipped them
would prove nothing. `scripts/testbed.sh` makes a machine ready.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import package_index
import pytest
from engine_support import PrivateIndex, Quatrain, docker_binary, locked_copy
from shipping import (  # noqa: F401 - session fixtures: registries, engine B, buildx
    auth_registry,
    buildx_engine,
    engine_b,
    quatrain_buildx,
    registry,
)

from quatrain import engines


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.engine)


@pytest.fixture(scope="session")
def engine() -> engines.Engine:
    try:
        return engines.connect(docker_binary(), dict(os.environ))
    except Exception as error:  # noqa: BLE001 - any failure here means: no engine
        pytest.fail(f"engine tests need Docker with BuildKit (run scripts/testbed.sh): {error}")


@pytest.fixture(scope="session")
def index_url() -> Iterator[str]:
    server, url = package_index.start(package_index.wheel_directory())
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="session")
def quatrain(engine: engines.Engine) -> Quatrain:
    return Quatrain(engine)


@pytest.fixture(scope="session")
def flask_project(tmp_path_factory: pytest.TempPathFactory, index_url: str) -> Path:
    return locked_copy("flask-factory", tmp_path_factory.mktemp("projects"), index_url)


@pytest.fixture(scope="session")
def image_tag(engine: engines.Engine) -> Iterator[str]:
    """A repository name unique to this run; every image tagged with it is removed at the end."""
    repository = f"quatrain-test-{uuid.uuid4().hex[:8]}"
    yield repository
    listed = engines.capture(engine, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
    tags = [t for t in listed.stdout.split() if t.startswith(repository)]
    if tags:
        engines.capture(engine, "image", "rm", "--force", *tags)


@pytest.fixture(scope="session")
def production_image(quatrain: Quatrain, flask_project: Path, image_tag: str) -> str:
    tag = f"{image_tag}:flask-production"
    quatrain("build", str(flask_project), "--tag", tag)
    return tag


@pytest.fixture(scope="session")
def development_image(quatrain: Quatrain, flask_project: Path, image_tag: str) -> str:
    tag = f"{image_tag}:flask-development"
    quatrain("build", str(flask_project), "--target", "development", "--tag", tag)
    return tag


@pytest.fixture(scope="session")
def private_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateIndex]:
    """The same wheels behind basic auth, with a password unique to this run that netrc and
    TOML must quote: a space, quotes, a backslash, a `#` and brackets."""
    password = "p a\"s\\s#w'd ][x] " + uuid.uuid4().hex
    login = PrivateIndex(url="", username="quatrain", password=password)
    htpasswd = package_index.write_htpasswd(
        tmp_path_factory.mktemp("auth") / "htpasswd", login.username, login.password
    )
    server, url = package_index.start(package_index.wheel_directory(), htpasswd=htpasswd)
    yield PrivateIndex(url=url, username=login.username, password=login.password)
    server.terminate()
    server.wait(timeout=10)
