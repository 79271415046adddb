"""The development loop without an engine: what it runs, when it rebuilds, what it returns."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from quatrain import engines
from quatrain.developing import loop
from quatrain.errors import BuildError, EngineError


class FakeProcess:
    """A `docker run` that ends after `polls` polls with `code`."""

    def __init__(self, argv: Sequence[str], polls: int, code: int, meanwhile: Any = None) -> None:
        self.argv, self.polls, self.returncode = list(argv), polls, None
        self.code, self.meanwhile = code, meanwhile

    def poll(self) -> int | None:
        if self.meanwhile:  # what the user does while it serves
            self.meanwhile, then = None, self.meanwhile
            then()
        self.polls -= 1
        if self.polls <= 0:
            self.returncode = self.code  # type: ignore[assignment]
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self.returncode = self.code  # type: ignore[assignment]
        return self.code


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Records what the loop asks of the engine; nothing is running at first."""
    calls: dict[str, Any] = {"started": [], "captured": [], "ran": []}

    def capture(engine: object, *args: str, echo: bool = True) -> subprocess.CompletedProcess[str]:
        calls["captured"].append(args)
        return subprocess.CompletedProcess(args, 0, stdout=calls.get("ps", ""), stderr="")

    def start(engine: object, argv: Sequence[str]) -> FakeProcess:
        meanwhile = calls.pop("meanwhile", None)
        process = FakeProcess(argv, calls.get("polls", 3), calls.get("code", 0), meanwhile)
        calls["started"].append(process)
        return process

    monkeypatch.setattr(engines, "capture", capture)
    monkeypatch.setattr(engines, "start", start)
    monkeypatch.setattr(engines, "run", lambda engine, argv: calls["ran"].append(argv) or 0)
    monkeypatch.setattr(loop, "POLL_SECONDS", 0)
    calls["engine"] = cast("engines.Engine", type("E", (), {"binary": "docker", "env": {}})())
    return calls


def a_session(tmp_path: Path) -> loop.Session:
    for name in loop.WATCHED:
        (tmp_path / name).write_text("x")
    return loop.session(project=tmp_path, context=tmp_path, name="shop", port=8000, network=None)


def a_restarting_session(tmp_path: Path, script: str) -> loop.Session:
    """A worker's session (no reloader of its own, no port) with its one script."""
    for name in loop.WATCHED:
        (tmp_path / name).write_text("x")
    (tmp_path / script).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / script).write_text("print('hello')\n")
    return loop.session(project=tmp_path, context=tmp_path, name="bot", port=None, network=None,
                        restarts=True)  # fmt: skip


def test_the_container_runs_as_the_projects_owner_with_it_mounted_and_the_port_on_loopback(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    dev = a_session(tmp_path)

    assert loop.develop(engine["engine"], dev, build=lambda: "shop:development", env={}) == 0

    argv = engine["started"][0].argv
    owner = tmp_path.stat()
    assert argv[argv.index("--user") + 1] == f"{owner.st_uid}:{owner.st_gid}"
    assert argv[argv.index("--volume") + 1] == f"{tmp_path.resolve()}:/app"
    assert argv[argv.index("--publish") + 1] == "127.0.0.1:8000:8000"
    assert argv[argv.index("--name") + 1] == dev.name
    assert argv[-1] == "shop:development"


def test_a_lock_change_rebuilds_and_starts_a_new_container(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    dev = a_session(tmp_path)
    builds: list[int] = []

    def build() -> str:
        builds.append(1)
        return f"shop:{len(builds)}"

    engine["meanwhile"] = lambda: (tmp_path / "poetry.lock").write_text("changed, and longer")
    engine["polls"] = 3
    assert loop.develop(engine["engine"], dev, build=build, env={}) == 0

    assert len(builds) == 2
    assert [p.argv[-1] for p in engine["started"]] == ["shop:1", "shop:2"]
    assert ("stop", "--time", "3", dev.name) in engine["captured"]


def test_a_failed_rebuild_keeps_the_last_container_serving(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    dev = a_session(tmp_path)
    builds: list[int] = []

    def build() -> str:
        builds.append(1)
        if len(builds) > 1:
            msg = "the lock does not install"
            raise BuildError(msg)
        return "shop:1"

    engine["meanwhile"] = lambda: (tmp_path / "poetry.lock").write_text("changed, and longer")
    engine["polls"] = 5
    assert loop.develop(engine["engine"], dev, build=build, env={}) == 0

    assert len(builds) == 2
    assert len(engine["started"]) == 1  # never stopped for the failed build


def test_a_container_that_fails_is_its_exit_code(tmp_path: Path, engine: dict[str, Any]) -> None:
    engine["code"] = 3

    assert loop.develop(engine["engine"], a_session(tmp_path), build=lambda: "i", env={}) == 3


def test_a_second_dev_on_the_project_says_the_first_runs(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    engine["ps"] = "abc123\n"
    dev = a_session(tmp_path)

    with pytest.raises(
        EngineError, match=f"already runs for this project, in container {dev.name}"
    ):
        loop.develop(engine["engine"], dev, build=lambda: "i", env={})
    assert engine["started"] == []


def test_a_command_runs_once_in_the_same_setup(tmp_path: Path, engine: dict[str, Any]) -> None:
    dev = a_session(tmp_path)

    code = loop.develop(engine["engine"], dev, build=lambda: "i", env={}, command=["pytest"])

    assert code == 0
    (argv,) = engine["ran"]
    assert argv[-2:] == ["i", "pytest"]
    assert "--user" in argv
    assert engine["started"] == []


@pytest.mark.parametrize("hostile", ["my app", 'x"; rm -rf /', "$(id)`id`\nRUN", "a.b_c", "---"])
def test_a_container_name_holds_only_what_engines_accept_whatever_the_projects_name(
    hostile: str, tmp_path: Path
) -> None:
    dev = loop.session(project=tmp_path, context=tmp_path, name=hostile, port=None, network=None)

    assert re.fullmatch(r"quatrain-dev-[a-z0-9]+(-[a-z0-9]+)*-[0-9a-f]{8}", dev.name), dev.name


def test_without_a_reloader_an_edited_python_file_restarts_the_same_image(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    dev = a_restarting_session(tmp_path, "bot/main.py")
    builds: list[int] = []

    def build() -> str:
        builds.append(1)
        return "bot:development"

    engine["meanwhile"] = lambda: (tmp_path / "bot/main.py").write_text("print('edited')\n")
    engine["polls"] = 3
    assert loop.develop(engine["engine"], dev, build=build, env={}) == 0

    assert len(builds) == 1  # the sources are mounted: no rebuild
    assert [p.argv[-1] for p in engine["started"]] == ["bot:development", "bot:development"]
    assert ("stop", "--time", "3", dev.name) in engine["captured"]


def test_a_file_the_worker_writes_beside_its_code_restarts_nothing(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    dev = a_restarting_session(tmp_path, "main.py")

    def worker_writes() -> None:
        (tmp_path / "state.json").write_text("{}")
        (tmp_path / "__pycache__").mkdir()
        (tmp_path / "__pycache__/main.py").write_text("not a source")

    engine["meanwhile"] = worker_writes
    engine["polls"] = 3
    assert loop.develop(engine["engine"], dev, build=lambda: "bot:development", env={}) == 0

    assert len(engine["started"]) == 1
