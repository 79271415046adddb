"""`quatrain inspect`: what was decided, and where each option's value came from."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import pytest

from quatrain.log import Logger
from quatrain.pipeline import make_plan
from quatrain.plan import Plan
from quatrain.report import as_json, as_text, describe
from quatrain.settings.options import FIELDS, option_key
from quatrain.spec import ServeSpec
from unit.conftest import flask_project, lock_text, locked, pep621, write_project

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"
FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


@pytest.fixture
def example() -> Plan:
    return make_plan(EXAMPLE, env={}, cli={})


def test_describe_has_the_project_the_serve_spec_the_images_and_every_option(
    example: Plan,
) -> None:
    described = describe(example)

    assert list(described) == ["project", "serve", "images", "daemonless", "options"]
    assert described["daemonless"] == {
        "refused_because": [],
        "without_wheels": {"linux/amd64": [], "linux/arm64": []},
    }
    assert described["project"] == {
        "name": "coach-planner",
        "version": "0.1.0",
        "root": str(EXAMPLE),
        "package_mode": True,
        "not_a_package": None,
        "packages": ["coach_planner"],
        "python_constraint": ">=3.11,<4.0",
        "lock_version": "2.1",
        "locked_by_poetry": "2.5.1",
    }
    fields = {f.name for f in dataclasses.fields(ServeSpec)}
    assert set(described["serve"]) == fields | {"http", "loop"}
    assert described["serve"]["http"] is True
    assert described["images"] == {
        "python_version": "3.15",
        "python_reason": "the newest official Python that >=3.11,<4.0 admits is 3.15; "
        "its compiled package has wheels for 3.15",
        "build_flavor": "slim",
        "source_builds": [],
        "poetry_version": "2.5.1",
        "debian_release": "trixie",
        "build": "python:3.15-slim-trixie",
        "runtime": "python:3.15-slim-trixie",
    }
    assert list(described["options"]) == [option_key(name) for name in FIELDS]
    assert described["options"]["port"] == {"value": 8888, "source": "default"}


def test_each_option_says_which_layer_its_value_came_from(tmp_path: Path) -> None:
    pyproject = pep621(
        extra="\n[tool.quatrain]\nport = 9000\nworkers = 3\napt-packages = ['curl']\n"
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pyproject)

    options = describe(
        make_plan(root, env={"QUATRAIN_WORKERS": "5", "QUATRAIN_ENV": "A=1"}, cli={"threads": 8})
    )["options"]

    assert {key: options[key] for key in ("port", "workers", "env", "threads", "uid")} == {
        "port": {"value": 9000, "source": "pyproject"},
        "workers": {"value": 5, "source": "env"},
        "env": {"value": {"A": "1"}, "source": "env"},
        "threads": {"value": 8, "source": "flag"},
        "uid": {"value": 10001, "source": "default"},
    }
    assert options["apt-packages"] == {"value": ["curl"], "source": "pyproject"}


def test_the_images_show_the_overrides_as_given(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})
    cli = {"base_image": "registry.example.org/py:3.12", "runtime_image": "gcr.io/distroless/py"}

    images = describe(make_plan(root, env={}, cli=cli))["images"]

    assert (images["build"], images["runtime"]) == (
        "registry.example.org/py:3.12",
        "gcr.io/distroless/py",
    )


def test_as_text_for_the_example_project(example: Plan) -> None:
    assert as_text(example) == (
        f"project      coach-planner 0.1.0 ({EXAMPLE})\n"
        "serve        flask: flask (wsgi) coach_planner:create_app()\n"
        "found in     coach_planner/__init__.py: create_app()\n"
        "production   gunicorn --graceful-timeout=8 --threads=4 --reuse-port "
        "--worker-tmp-dir=/dev/shm --control-socket=/dev/shm/gunicorn.ctl "
        "'coach_planner:create_app()'\n"
        "development  sh -c 'exec flask run --host 0.0.0.0 --port \"$PORT\"'\n"
        "dev loop     the dev server reloads an edited source; a lock change rebuilds and "
        "restarts\n"
        "layout       a package (coach_planner): its wheel installed and its sources shipped\n"
        "images       build python:3.15-slim-trixie, runtime python:3.15-slim-trixie\n"
        "python       3.15: the newest official Python that >=3.11,<4.0 admits is 3.15; its "
        "compiled package has wheels for 3.15\n"
        "from source  nothing (every runtime package has a wheel)\n"
        "engine none  assembles linux/amd64, linux/arm64\n"
        "\n"
        "options (value, and where it came from):\n"
        "  python-version                (auto)                       default\n"
        '  debian-release                "trixie"                     default\n'
        '  build-flavor                  "auto"                       default\n'
        "  base-image                    (auto)                       default\n"
        "  runtime-image                 (auto)                       default\n"
        "  poetry-version                (auto)                       default\n"
        "  poetry-plugin-export-version  (auto)                       default\n"
        '  uv-version                    "0.13.9"                     default\n'
        '  serve                         "auto"                       default\n'
        "  app                           (auto)                       default\n"
        "  command                       (auto)                       default\n"
        "  ca-bundle                     (auto)                       default\n"
        "  keep-ca-bundle                false                        default\n"
        "  private-sources               []                           default\n"
        "  extras                        []                           default\n"
        "  groups                        []                           default\n"
        "  test-command                  (auto)                       default\n"
        "  lint-command                  (auto)                       default\n"
        "  gate                          false                        default\n"
        "  port                          8888                         default\n"
        "  workers                       2                            default\n"
        "  threads                       4                            default\n"
        "  access-log                    false                        default\n"
        "  image-name                    (auto)                       default\n"
        '  user                          "app"                        default\n'
        "  uid                           10001                        default\n"
        "  env                           {}                           default\n"
        "  labels                        {}                           default\n"
        "  apt-packages                  []                           default\n"
        "  build-apt-packages            []                           default\n"
        "  build-args                    {}                           default\n"
        "  build-env                     {}                           default\n"
        '  engine                        "docker"                     default\n'
        '  docker                        "docker"                     default\n'
        "  network                       (auto)                       default\n"
        "  cache-ref                     (auto)                       default\n"
        "  builder                       (auto)                       default\n"
        "  syntax                        (auto)                       default\n"
        "  compose                       true                         default\n"
    )


def test_as_text_shows_a_value_from_each_layer_with_its_source(tmp_path: Path) -> None:
    pyproject = pep621(extra='\n[tool.quatrain]\nenv = {MODE = "prod"}\n')
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pyproject)

    text = as_text(make_plan(root, env={"QUATRAIN_WORKERS": "5"}, cli={"gate": True}))

    lines = text.splitlines()
    assert '  env                           {"MODE": "prod"}             pyproject' in lines
    assert "  workers                       5                            env" in lines
    assert "  gate                          true                         flag" in lines


def test_as_json_parses_to_what_describe_says(example: Plan) -> None:
    parsed = json.loads(as_json(example))

    assert parsed == json.loads(json.dumps(describe(example)))
    assert parsed["serve"]["production_command"][-1] == "coach_planner:create_app()"
    assert parsed["serve"]["development_env"] == [
        ["FLASK_APP", "coach_planner:create_app()"],
        ["FLASK_DEBUG", "1"],
    ]
    assert as_json(example).endswith("}")


def greeter(root: Path) -> Path:
    files = {
        "pyproject.toml": pep621(
            "greeter",
            dependencies=["colorama"],
            extra='\n[project.scripts]\ngreet = "greeter.cli:main"\n',
        ),
        "greeter/__init__.py": "",
    }
    return write_project(root, files, lock=lock_text(locked("colorama", "0.4.6")))


def test_as_text_of_a_console_script_shows_its_entry_point(tmp_path: Path) -> None:
    lines = as_text(
        make_plan(greeter(tmp_path), env={}, cli={"command": "--name world"})
    ).splitlines()

    assert lines[1:3] == [
        "serve        console-script: console-script (cli) greet",
        "found in     scripts: greet = greeter.cli:main",
    ]
    assert lines[4] == "development  greet --help"
    assert lines[5].startswith("dev loop     a command-line tool: a shell at a terminal")


def test_a_console_scripts_production_line_is_its_entry_point(tmp_path: Path) -> None:
    lines = as_text(make_plan(greeter(tmp_path), env={}, cli={})).splitlines()

    assert lines[3] == "production   greet"


def test_the_production_line_shows_the_command_option_the_image_runs(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})
    the_plan = make_plan(root, env={}, cli={"command": "gunicorn --workers=1 shop:create_app()"})

    assert as_text(the_plan).splitlines()[3] == (
        "production   gunicorn --workers=1 'shop:create_app()'"
    )


def test_inspect_says_a_project_without_a_package_is_an_application_and_why(
    tmp_path: Path,
) -> None:
    pyproject = pep621("orders-service")
    root = flask_project(tmp_path, {"app/main.py": FACTORY}, pyproject=pyproject)

    lines = as_text(make_plan(root, env={}, cli={})).splitlines()

    assert lines[6] == (
        "layout       an application (no package named like the project (orders_service/, "
        "orders_service.py or src/orders_service/) and none declared in [tool.poetry] "
        "packages): its sources are shipped"
    )


def test_inspect_shows_build_envs_names_and_never_its_values(tmp_path: Path) -> None:
    project = flask_project(tmp_path, {"shop/__init__.py": FACTORY})
    plan = make_plan(
        project,
        env={"QUATRAIN_BUILD_ENV": "SECRET_KEY=canary-env-7c1"},
        cli={"build_env": "DATABASE_URL=postgres://u:canary-flag-9d2@db/x"},
    )

    shown = json.loads(as_json(plan))["options"]["build-env"]
    assert shown == {"value": {"DATABASE_URL": "(hidden)"}, "source": "flag"}
    for text in (as_json(plan), as_text(plan)):
        assert "canary" not in text


def test_a_warning_with_a_line_break_or_a_bidi_override_stays_one_visible_line() -> None:
    stream = io.StringIO()

    Logger(stream).warning("flask\nquatrain: error: forged \u202egnp.exe \x1b[31mred")

    assert stream.getvalue() == (
        "quatrain: warning: flask\\nquatrain: error: forged \\u202egnp.exe \\x1b[31mred\n"
    )


def test_inspect_names_the_celery_worker_beside_a_web_app_as_a_second_image(
    tmp_path: Path,
) -> None:
    worker = "from celery import Celery\n\ncelery = Celery('shop')\n"
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), locked("celery", "5.4.0"))
    root = flask_project(
        tmp_path,
        {"shop/__init__.py": FACTORY, "shop/tasks.py": worker},
        pyproject=pep621(dependencies=["flask", "gunicorn", "celery"]),
        lock=lock,
    )

    plan = make_plan(root, env={}, cli={})

    assert plan.spec.detector == "flask"  # the web app wins
    also = [line for line in as_text(plan).splitlines() if line.startswith("also ")]
    assert len(also) == 1
    assert also[0].startswith("also         a Celery worker (shop/tasks.py")
    assert also[0].endswith(
        'command = ["celery", "-A", "shop.tasks", "worker", "--loglevel=INFO"] for its image'
    )
