"""compose.yaml from init: what each service builds and runs, read back as YAML, and the
projects it is not written for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs installed

from quatrain.__main__ import main
from quatrain.dockerfile.render import COMPOSE, Layout, render
from quatrain.pipeline import make_plan
from unit.conftest import flask_project, lock_text, locked, pep621, write_project

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


def compose_of(root: Path, **cli: str) -> dict[str, Any]:
    files = make_plan(root, env={}, cli=cli).files
    return dict(yaml.safe_load(files[COMPOSE]))


def test_development_watches_the_sources_and_the_lock_and_production_waits_for_its_profile(
    tmp_path: Path,
) -> None:
    found = compose_of(flask_project(tmp_path, {"shop/__init__.py": FACTORY}))
    development, production = found["services"]["development"], found["services"]["production"]

    assert development["build"] == {"context": ".", "target": "development"}
    assert development["image"] == "shop:development"
    assert development["user"] == "${UID:-1000}"  # Compose fills it in from the environment
    assert development["ports"] == ["127.0.0.1:8888:8888"]
    assert development["env_file"] == [{"path": ".env", "required": False}]
    assert development["environment"] == {"HOME": "/tmp", "POETRY_CACHE_DIR": "/tmp/poetry-cache"}
    assert "command" not in development  # the image's: the dev server that reloads
    assert development["develop"]["watch"] == [
        {"action": "rebuild", "path": "pyproject.toml"},
        {"action": "rebuild", "path": "poetry.lock"},
        {
            "action": "sync",
            "path": ".",
            "target": "/app",
            "ignore": ["pyproject.toml", "poetry.lock", ".venv/"],
        },
    ]
    assert production["profiles"] == ["production"]
    assert production["build"] == {"context": ".", "target": "production"}
    assert production["image"] == "shop:latest"
    assert production["ports"] == ["127.0.0.1:8888:8888"]


def test_the_port_image_name_and_host_network_options_reach_both_services(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})

    found = compose_of(root, port="9000", image_name="registry.example.org/team/shop")
    assert found["services"]["development"]["ports"] == ["127.0.0.1:9000:9000"]
    assert found["services"]["production"]["image"] == "registry.example.org/team/shop:latest"

    hosted = compose_of(root, network="host")
    for service in hosted["services"].values():
        assert service["network_mode"] == "host"
        assert service["build"]["network"] == "host"
        assert "ports" not in service  # the host's network has no published ports


def test_a_worker_restarts_on_an_edit_and_a_tool_stays_up_for_exec(tmp_path: Path) -> None:
    worker = write_project(
        tmp_path / "worker",
        {
            "pyproject.toml": pep621("jobs", dependencies=["celery>=5"]),
            "jobs/__init__.py": "",
            "jobs/celery.py": "from celery import Celery\n\napp = Celery('jobs')\n",
        },
        lock=lock_text(locked("celery", "5.4.0")),
    )
    development = compose_of(worker)["services"]["development"]
    assert development["develop"]["watch"][-1]["action"] == "sync+restart"
    assert "ports" not in development

    tool = write_project(
        tmp_path / "tool",
        {
            "pyproject.toml": pep621("greet", dependencies=["click>=8"])
            + '[project.scripts]\ngreet = "greet.cli:main"\n',
            "greet/__init__.py": "",
            "greet/cli.py": "def main():\n    print('hi')\n",
        },
        lock=lock_text(locked("click", "8.1.7")),
    )
    development = compose_of(tool)["services"]["development"]
    assert development["command"] == ["sleep", "infinity"]
    assert development["develop"]["watch"][-1]["action"] == "sync"


def test_in_a_monorepo_the_context_is_its_root_and_the_paths_lead_to_the_project(
    tmp_path: Path,
) -> None:
    plan = make_plan(flask_project(tmp_path, {"shop/__init__.py": FACTORY}), env={}, cli={})
    options = plan.resolved.options
    layout = Layout(project_dir="apps/shop", path_dependencies=("libs/common",))

    text = render(
        plan.project, plan.spec, options, images=plan.base_images, layout=layout, compose=True
    )[COMPOSE]

    development = yaml.safe_load(text)["services"]["development"]
    assert development["build"]["context"] == "../.."
    assert development["build"]["dockerfile"] == "apps/shop/Dockerfile"
    assert development["develop"]["watch"][0] == {"action": "rebuild", "path": "pyproject.toml"}
    assert development["develop"]["watch"][-1] == {
        "action": "sync",
        "path": "../..",
        "target": "/app",
        "ignore": ["apps/shop/pyproject.toml", "apps/shop/poetry.lock", "apps/shop/.venv/"],
    }


def test_the_compose_option_false_writes_none(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})

    assert COMPOSE not in make_plan(root, env={"QUATRAIN_COMPOSE": "false"}, cli={}).files
    assert COMPOSE not in make_plan(root, env={}, cli={"compose": "no"}).files


@pytest.mark.parametrize("theirs", ["docker-compose.yml", "compose.yml", "docker-compose.yaml"])
def test_beside_the_projects_own_compose_file_init_writes_none_and_says_why(
    tmp_path: Path, theirs: str
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY, theirs: "services: {}\n"})

    plan = make_plan(root, env={}, cli={})

    assert COMPOSE not in plan.files
    assert any(f"shop has {theirs}: init writes no compose.yaml" in n for n in plan.init_notes)
    assert not any("compose.yaml" in w for w in plan.warnings)  # build and the rest: no word


def test_init_leaves_a_compose_yaml_the_user_edited_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})
    assert main(["init", str(root)]) == 0
    compose = root / COMPOSE
    edited = compose.read_text(encoding="utf-8") + "  db:\n    image: postgres:17\n"
    compose.write_text(edited, encoding="utf-8")
    capsys.readouterr()

    assert main(["init", str(root)]) != 0
    assert "Not writing compose.yaml" in capsys.readouterr().err
    assert compose.read_text(encoding="utf-8") == edited


def test_init_says_why_it_writes_no_compose_yaml_beside_the_projects_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY, "compose.yml": "services: {}\n"})

    assert main(["init", str(root)]) == 0

    assert "shop has compose.yml: init writes no compose.yaml beside it" in (
        capsys.readouterr().err
    )
    assert not (root / COMPOSE).exists()
    assert (root / "compose.yml").read_text(encoding="utf-8") == "services: {}\n"
