"""The development image as people use it: sources mounted from the host, the dev server
reloading on an edit; and [tool.quatrain] overrides doing what they say."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from engine_support import Quatrain, docker, locked_copy

from quatrain import engines
from quatrain.checking.verify import PROBE

# Reads the body once the server answers (PROBE only reports the status).
BODY = """
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()); break
    except OSError:
        if time.monotonic() > deadline: raise
        time.sleep(0.25)
"""

# case -> (mounted directory, edited file, text to replace)
RELOADING = {
    "flask-factory": ("src", "src/factory_app/__init__.py", "hello from factory_app"),
    "fastapi-app": ("fastapi_app", "fastapi_app/main.py", '"fastapi_app"'),
    "django-site": ("mysite", "mysite/views.py", "hello from django"),
}


def body(engine: engines.Engine, container: str, port: int) -> str:
    url = f"http://127.0.0.1:{port}/"
    return docker(engine, "exec", container, "python", "-c", BODY, url).stdout.strip()


@pytest.mark.parametrize("case", sorted(RELOADING))
def test_the_dev_server_reloads_an_edit_made_on_the_host(
    case: str, quatrain: Quatrain, engine: engines.Engine, tmp_path: Path,
    index_url: str, image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy(case, tmp_path, index_url)
    tag = f"{image_tag}:reload-{case}"
    quatrain("build", str(project), "--target", "development", "--tag", tag)
    mounted, edited, old = RELOADING[case]
    run = docker(
        engine, "run", "--detach", "--network", "none",
        "--volume", f"{project / mounted}:/app/{mounted}", tag,
    )  # fmt: skip
    container = run.stdout.strip()
    try:
        assert old in body(engine, container, 8888)
        # Django's StatReloader records the files' times at its first tick, a second after the
        # server answers at the earliest: an edit before it is the state it starts from (seen on
        # a loaded CI machine). Two seconds lets every reloader take its first look.
        time.sleep(2)
        new = old.replace(old.split()[-1].strip('"'), f"edited-{uuid.uuid4().hex[:8]}")
        source = project / edited
        source.write_text(source.read_text().replace(old, new))
        deadline = time.monotonic() + 30
        while new not in (answer := body(engine, container, 8888)):
            assert time.monotonic() < deadline, f"still serving {answer!r} after the edit"
            time.sleep(0.5)
    finally:
        docker(engine, "rm", "--force", container, check=False)


OVERRIDES = """
[tool.quatrain]
port = 5000
workers = 3
user = "web"
uid = 2000
apt-packages = ["jq"]
env = { GREETING_STYLE = "loud" }
labels = { "org.example.team" = "platform" }
"""


def test_tool_quatrain_overrides_shape_the_production_image(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy("flask-factory", tmp_path, index_url)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + OVERRIDES)
    tag = f"{image_tag}:overrides"
    quatrain("build", str(project), "--tag", tag)

    config = json.loads(
        docker(engine, "image", "inspect", "--format", "{{json .Config}}", tag).stdout
    )
    assert config["User"] == "2000:2000"
    assert {"PORT=5000", "WEB_CONCURRENCY=3", "GREETING_STYLE=loud"} <= set(config["Env"])
    assert config["Labels"]["org.example.team"] == "platform"
    assert config["Labels"]["org.opencontainers.image.title"] == "factory-app"
    assert "5000/tcp" in config["ExposedPorts"]
    who = docker(engine, "run", "--rm", "--network", "none", tag, "id", "-un")
    assert who.stdout.strip() == "web"
    jq = docker(engine, "run", "--rm", "--network", "none", tag, "jq", "--version")
    assert jq.stdout.startswith("jq-")
    with engines.running(engine, tag) as container:
        status = docker(engine, "exec", container, "python", "-c", PROBE,
                        "http://127.0.0.1:5000/", "60")  # fmt: skip
        assert status.stdout.strip() == "200"
