from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from quatrain import __version__
from quatrain.choosing import poetry_pins
from quatrain.choosing.images import BaseImages
from quatrain.detectors.detect import detect
from quatrain.dockerfile.instructions import env_block
from quatrain.dockerfile.quoting import Expansion
from quatrain.dockerfile.render import (
    COMPOSE,
    DEFAULT_POETRY_VERSION,
    DOCKERFILE,
    DOCKERIGNORE,
    labels,
    poetry_version,
    render,
    sources_to_copy,
)
from quatrain.errors import ConfigurationError
from quatrain.pipeline import make_plan
from quatrain.reading.project import Lock, Project, load_project
from quatrain.settings.options import Options
from unit.conftest import flask_project, lock_text, locked, pep621, write_project

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"
GOLDEN = Path(__file__).parents[1] / "golden"
FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


def stages(dockerfile: str) -> dict[str, list[str]]:
    """The lines of each stage, from its FROM to the line before the next FROM, by stage name."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in dockerfile.splitlines():
        if line.startswith("FROM "):
            current = found.setdefault(line.rsplit(" AS ", 1)[1], [])
        if current is not None:
            current.append(line)
    return found


# The build stage's first lines: production's check that the Dockerfile is the one init wrote
# for these pyproject.toml and poetry.lock (tests of their own below).
STALE_CHECK = ("# init wrote this", "RUN for file in ", "        [ ", "        || ", "    done")


def export_line(build: list[str]) -> str:
    return next(line for line in build if line.startswith("RUN poetry export"))


def from_lines(dockerfile: str) -> list[str]:
    return [line for line in dockerfile.splitlines() if line.startswith("FROM ")]


def example_dockerfile(**cli: str) -> str:
    return make_plan(EXAMPLE, env={}, cli=cli).files[DOCKERFILE]


@pytest.mark.parametrize(
    ("name", "golden"),
    [
        (DOCKERFILE, "coach-planner.Dockerfile"),
        (DOCKERIGNORE, "coach-planner.dockerignore"),
        (COMPOSE, "coach-planner.compose.yaml"),
    ],
)
def test_the_example_project_renders_byte_for_byte_as_its_golden_file(
    name: str, golden: str
) -> None:
    rendered = make_plan(EXAMPLE, env={}, cli={}).files[name].encode("utf-8")
    path = GOLDEN / golden
    # After a deliberate change of the output, `QUATRAIN_UPDATE_GOLDEN=1 pytest tests/unit`
    # rewrites the golden files instead of comparing; review their diff before committing.
    if os.environ.get("QUATRAIN_UPDATE_GOLDEN") == "1":
        path.write_bytes(rendered)
    assert path.read_bytes() == rendered


def test_rendering_twice_gives_identical_bytes() -> None:
    first = make_plan(EXAMPLE, env={}, cli={})
    second = make_plan(EXAMPLE, env={}, cli={})

    assert dict(first.files) == dict(second.files)
    again = render(
        first.project, first.spec, first.resolved.options, images=first.base_images, compose=True
    )
    assert again == dict(first.files)


def test_the_syntax_line_is_first_when_the_syntax_option_is_set() -> None:
    lines = example_dockerfile(syntax="docker/dockerfile:1").splitlines()

    assert lines[:2] == [
        "# syntax=docker/dockerfile:1",
        f"# Dockerfile for coach-planner, by quatrain {__version__}: edit it freely (quatrain "
        "then leaves it alone).",
    ]


def test_there_is_no_syntax_line_by_default() -> None:
    dockerfile = example_dockerfile()

    assert dockerfile.splitlines()[0].startswith(
        f"# Dockerfile for coach-planner, by quatrain {__version__}:"
    )
    assert "# syntax=" not in dockerfile


def test_the_stages_are_staging_development_test_build_production_in_that_order() -> None:
    # The example locks pytest, so it has a `test` stage; it locks no ruff, so no `lint`.
    assert from_lines(example_dockerfile()) == [
        "FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS staging",
        "FROM staging AS development",
        "FROM development AS test",
        "FROM staging AS build",
        "FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS production",
    ]


def test_the_development_stage_installs_dependencies_before_it_copies_the_sources() -> None:
    development = stages(example_dockerfile())["development"]

    install_dependencies = development.index(
        "    && poetry install --no-root --no-directory --no-interaction"
    )
    copy_sources = development.index("COPY . .")
    install_project = development.index(
        "RUN umask 0002 && poetry install --only-root --no-interaction"
    )
    assert install_dependencies < copy_sources < install_project


def test_the_build_stage_installs_dependencies_before_it_copies_the_sources() -> None:
    build = stages(example_dockerfile())["build"]

    export = build.index(
        "RUN poetry export --only main --format requirements.txt --output requirements.txt"
    )
    install = build.index(
        "    && uv pip install --require-hashes --no-deps --compile-bytecode "
        "--requirement requirements.txt"
    )
    copies = [i for i, line in enumerate(build) if line.startswith("COPY ")]
    assert [build[i] for i in copies] == [
        "COPY README.md ./",
        "COPY coach_planner/ ./coach_planner/",
    ]
    assert export < install < min(copies)
    assert max(copies) < build.index(
        'RUN uv build --wheel --no-build-isolation --python "$POETRY_HOME/bin/python" '
        "--out-dir dist"
    )


def test_the_production_stage_runs_as_a_non_root_user_without_poetry() -> None:
    production = stages(example_dockerfile())["production"]
    instructions = [line for line in production if not line.lstrip().startswith("#")]

    assert "USER 10001:10001" in production
    # Poetry's venv is mounted for the SBOM step alone (its packaging and tomli), never copied.
    assert [line for line in instructions if "poetry" in line.lower()] == [
        "    --mount=type=bind,from=staging,source=/opt/poetry,target=/tmp/poetry \\",
        "    python /tmp/quatrain-sbom.py --build /tmp/build --libraries /tmp/poetry \\",
    ]
    assert production.index("USER 10001:10001") < production.index(
        'CMD ["gunicorn", "--graceful-timeout=8", "--threads=4", "--reuse-port", '
        '"--worker-tmp-dir=/dev/shm", "--control-socket=/dev/shm/gunicorn.ctl", '
        '"coach_planner:create_app()"]'
    )


def test_the_uid_option_is_the_production_user() -> None:
    production = stages(example_dockerfile(uid="4242"))["production"]

    assert "USER 4242:4242" in production


def test_hashes_are_required_and_never_dropped_and_nothing_is_evaluated() -> None:
    dockerfile = example_dockerfile()

    assert any("--require-hashes" in line for line in stages(dockerfile)["build"])
    assert "--without-hashes" not in dockerfile
    assert re.search(r"\beval\b", dockerfile) is None


def test_the_pins_are_build_arguments_before_the_first_stage() -> None:
    lines = example_dockerfile(python_version="3.12", debian_release="bookworm").splitlines()
    first_stage = next(i for i, line in enumerate(lines) if line.startswith("FROM "))

    assert [line for line in lines[:first_stage] if line.startswith("ARG ")] == [
        "ARG PYTHON_VERSION=3.12",
        "ARG DEBIAN_RELEASE=bookworm",
        f"ARG POETRY_VERSION={DEFAULT_POETRY_VERSION}",
        "ARG POETRY_PLUGIN_EXPORT_VERSION=1.10.1",
        "ARG UV_VERSION=0.13.9",
    ]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return load_project(flask_project(tmp_path, {"shop/__init__.py": FACTORY}))


def with_lock_header(project: Project, written_by: str | None) -> Project:
    return dataclasses.replace(
        project, lock=Lock(lock_version="2.1", poetry_version=written_by, packages=())
    )


def test_an_explicit_poetry_version_wins_over_the_lock_header(project: Project) -> None:
    assert poetry_version(
        with_lock_header(project, "2.2.1"), Options(poetry_version="2.0.1"), "3.9"
    ) == ("2.0.1")


def test_the_poetry_that_wrote_the_lock_is_pinned_when_it_is_2_or_newer(project: Project) -> None:
    assert poetry_version(with_lock_header(project, "2.2.1"), Options(), "3.13") == "2.2.1"
    assert poetry_version(with_lock_header(project, "3.0"), Options(), "3.13") == "3.0"


@pytest.mark.parametrize("written_by", ["1.8.3", None])
def test_the_default_poetry_is_pinned_for_an_older_or_unknown_lock_writer(
    project: Project, written_by: str | None
) -> None:
    assert poetry_version(with_lock_header(project, written_by), Options(), "3.13") == (
        DEFAULT_POETRY_VERSION
    )


def test_the_default_poetry_is_pinned_when_there_is_no_lock(project: Project) -> None:
    assert poetry_version(dataclasses.replace(project, lock=None), Options(), "3.13") == (
        DEFAULT_POETRY_VERSION
    )


def test_python_3_9_gets_the_newest_poetry_and_plugin_that_run_on_it(project: Project) -> None:
    """Poetry 2.3 and plugin 1.10 need Python 3.10 (their METADATA); python-version 3.9, for a
    lock whose wheels stop there, must still get a staging stage that installs."""
    assert poetry_version(with_lock_header(project, None), Options(), "3.9") == "2.2.1"
    assert poetry_version(with_lock_header(project, "2.4.0"), Options(), "3.9") == "2.2.1"
    assert poetry_version(with_lock_header(project, "2.1.3"), Options(), "3.9") == "2.1.3"
    assert poetry_pins.export_plugin_for("2.2.1", python="3.9") == "1.9.0"
    assert poetry_pins.export_plugin_for("2.2.1", python="3.10") == "1.10.1"


def test_a_python_no_poetry_2_runs_on_is_refused_with_what_to_set(project: Project) -> None:
    with pytest.raises(ConfigurationError) as raised:
        poetry_version(with_lock_header(project, None), Options(), "3.8")

    assert str(raised.value) == (
        "Python 3.8 is too old for Poetry 2, which quatrain's images run for `poetry export`: "
        "its oldest release, 2.0.0, needs Python >=3.9,<4.0. Set python-version to a newer "
        "Python."
    )


def test_a_locked_package_without_a_wheel_makes_the_build_stages_full(tmp_path: Path) -> None:
    lock = lock_text(
        locked("flask"), locked("gunicorn", "23.0.0"), locked("pycrypto", "2.6.1", wheel=False)
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    the_plan = make_plan(root, env={}, cli={})

    assert the_plan.resolved.options.build_flavor == "auto"
    assert the_plan.base_images.build_flavor == "full"
    froms = from_lines(the_plan.files[DOCKERFILE])
    assert froms[0] == "FROM python:${PYTHON_VERSION}-${DEBIAN_RELEASE} AS staging"
    assert froms[-1] == "FROM python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE} AS production"


def test_an_explicit_slim_flavor_wins_over_a_locked_package_without_a_wheel(
    tmp_path: Path,
) -> None:
    lock = lock_text(
        locked("flask"), locked("gunicorn", "23.0.0"), locked("pycrypto", "2.6.1", wheel=False)
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    assert make_plan(root, env={}, cli={"build_flavor": "slim"}).base_images.build_flavor == "slim"


def test_every_locked_wheel_keeps_the_build_stages_slim(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})

    assert make_plan(root, env={}, cli={}).base_images.build_flavor == "slim"


def test_single_modules_are_copied_as_files_and_packages_as_directories(tmp_path: Path) -> None:
    root = flask_project(
        tmp_path,
        {
            "pyproject.toml": pep621(
                extra="""
                    readme = "README.md"
                    [tool.poetry]
                    packages = [
                        { include = "shop", from = "src" },
                        { include = "cli.py" },
                        { include = "extra" },
                    ]
                """
            ),
            "README.md": "# shop\n",
            "src/shop/__init__.py": FACTORY,
            "cli.py": "",
            "extra/__init__.py": "",
        },
    )

    assert sources_to_copy(load_project(root)) == (["README.md", "cli.py"], ["extra", "src"])


def test_labels_leave_out_what_the_project_does_not_say(project: Project) -> None:
    assert labels(project, Options()) == {
        "org.opencontainers.image.title": "shop",
        "org.opencontainers.image.version": "1.2.3",
        "org.opencontainers.image.revision": Expansion("$REVISION"),
    }


def test_an_env_block_expands_quatrains_own_values_and_nothing_of_the_users() -> None:
    pairs: list[tuple[str, str | Expansion]] = [
        ("PATH", Expansion("/opt/venv/bin:$PATH")),
        ("APP", "pkg:create_app()"),
        ("SECRET", "$HOME"),
        ("MODE", "prod"),
    ]

    assert env_block(pairs) == (
        "ENV PATH=/opt/venv/bin:$PATH \\\n"
        '    APP="pkg:create_app()" \\\n'
        '    SECRET="\\$HOME" \\\n'
        "    MODE=prod"
    )


def test_render_takes_the_images_it_is_given(project: Project) -> None:
    images = BaseImages(python_version="3.11", debian_release="bookworm", build_flavor="full")

    dockerfile = render(project, detect(project, Options()), Options(), images=images)[DOCKERFILE]

    assert "ARG PYTHON_VERSION=3.11\nARG DEBIAN_RELEASE=bookworm\n" in dockerfile
    assert "FROM python:${PYTHON_VERSION}-${DEBIAN_RELEASE} AS staging\n" in dockerfile


def test_a_project_in_non_package_mode_is_not_built_as_a_wheel(tmp_path: Path) -> None:
    root = flask_project(
        tmp_path,
        {
            "pyproject.toml": """
                [tool.poetry]
                package-mode = false

                [tool.poetry.dependencies]
                python = ">=3.11"
                flask = "^3.1"
                gunicorn = "^23.0"

                [tool.quatrain]
                app = "wsgi:app"
            """,
            "wsgi.py": "from flask import Flask\n\napp = Flask(__name__)\n",
        },
    )

    dockerfile = make_plan(root, env={}, cli={}).files[DOCKERFILE]

    # Poetry refuses `poetry build` in non-package mode, and there is no wheel to install.
    assert "poetry build" not in dockerfile
    assert ".whl" not in dockerfile
    assert "--only-root" not in dockerfile


# --- the options of issue 3, and the new kinds of project -----------------------------------


def dockerfile_of(root: Path, **cli: Any) -> str:
    return make_plan(root, env={}, cli=cli).files[DOCKERFILE]


def shop(tmp_path: Path, tool_quatrain: str = "") -> Path:
    pyproject = pep621(extra=f"\n[tool.quatrain]\n{tool_quatrain}" if tool_quatrain else "")
    return flask_project(tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pyproject)


def test_the_env_option_is_set_in_both_images_after_what_detection_sets(tmp_path: Path) -> None:
    found = stages(dockerfile_of(shop(tmp_path, 'env = {MODE = "prod", GREETING = "hi there"}')))

    development, production = found["development"], found["production"]
    start = development.index("ENV PORT=8888 \\")
    assert development[start : start + 5] == [
        "ENV PORT=8888 \\",
        '    FLASK_APP="shop:create_app()" \\',
        "    FLASK_DEBUG=1 \\",
        '    GREETING="hi there" \\',
        "    MODE=prod",
    ]
    assert production[1:11] == [
        "ENV PYTHONDONTWRITEBYTECODE=1 \\",
        "    PYTHONUNBUFFERED=1 \\",
        "    PYTHONFAULTHANDLER=1 \\",
        "    VIRTUAL_ENV=/opt/venv \\",
        "    PATH=/opt/venv/bin:$PATH \\",
        "    HOME=/home/app \\",
        "    PORT=8888 \\",
        "    WEB_CONCURRENCY=2 \\",
        '    GREETING="hi there" \\',
        "    MODE=prod",
    ]


def test_the_env_option_replaces_a_detected_variable_of_the_same_name(tmp_path: Path) -> None:
    development = stages(dockerfile_of(shop(tmp_path), env="FLASK_DEBUG=0"))["development"]

    start = development.index("ENV PORT=8888 \\")
    assert development[start : start + 3] == [
        "ENV PORT=8888 \\",
        '    FLASK_APP="shop:create_app()" \\',
        "    FLASK_DEBUG=0",
    ]


def test_the_labels_option_adds_labels_and_overrides_or_removes_metadata_ones(
    tmp_path: Path,
) -> None:
    tool = (
        'labels = {"org.opencontainers.image.title" = "Shop", "com.example.team" = "web", '
        '"org.opencontainers.image.version" = ""}'
    )

    dockerfile = dockerfile_of(shop(tmp_path, tool))

    assert dockerfile.endswith(
        "# Labels last: a new version rebuilds nothing above. quatrain build passes REVISION"
        " (git).\n"
        'ARG REVISION=""\n'
        "LABEL com.example.team=web \\\n"
        "      org.opencontainers.image.revision=$REVISION \\\n"
        "      org.opencontainers.image.title=Shop\n"
    )


def test_labels_merge_the_option_over_the_metadata(project: Project) -> None:
    options = Options(labels={"org.opencontainers.image.version": "1.2.3-rc1", "tier": "web"})

    assert labels(project, options) == {
        "org.opencontainers.image.title": "shop",
        "org.opencontainers.image.version": "1.2.3-rc1",
        "org.opencontainers.image.revision": Expansion("$REVISION"),
        "tier": "web",
    }


APT_LINES = [
    "# Versions follow the Debian release of the base image; apt's lists and downloads",
    "# stay in cache mounts, out of the image.",
    "# hadolint ignore=DL3008",
    "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked \\",
    "    --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \\",
    "    apt-get update \\",
]


def test_apt_packages_are_installed_sorted_in_production_before_the_user_exists(
    tmp_path: Path,
) -> None:
    production = stages(dockerfile_of(shop(tmp_path), apt_packages="libpq5 curl"))["production"]

    start = production.index(APT_LINES[0])
    assert production[start : start + 8] == [
        *APT_LINES,
        "    && apt-get install --yes --no-install-recommends curl libpq5",
        "RUN groupadd --system --gid 10001 app \\",
    ]


def test_build_apt_packages_go_into_staging_before_poetry_and_not_into_production(
    tmp_path: Path,
) -> None:
    found = stages(dockerfile_of(shop(tmp_path, 'build-apt-packages = ["libpq-dev", "gcc"]')))

    staging = found["staging"]
    start = staging.index(APT_LINES[0])
    assert staging[start - 1 : start + 8] == [
        "    PATH=/opt/venv/bin:$PATH",
        *APT_LINES,
        "    && apt-get install --yes --no-install-recommends gcc libpq-dev",
        "# uv installs Poetry and the locked dependencies, several times faster than pip and as "
        "strict",
    ]
    assert not any("apt-get" in line for line in found["production"])


def test_the_user_option_names_the_production_user(tmp_path: Path) -> None:
    production = stages(dockerfile_of(shop(tmp_path), user="web", uid="2000"))["production"]

    start = production.index("RUN groupadd --system --gid 2000 web \\")
    assert production[start : start + 3] == [
        "RUN groupadd --system --gid 2000 web \\",
        "    && useradd --system --create-home --home-dir /home/web --uid 2000 --gid 2000 web \\",
        "    && chgrp 0 /home/web && chmod 0775 /home/web",
    ]
    assert "    HOME=/home/web \\" in production
    assert "USER 2000:2000" in production


def test_the_command_option_replaces_the_production_command_only(tmp_path: Path) -> None:
    tool = 'command = ["gunicorn", "--bind=0.0.0.0:8000", "shop:create_app()"]'

    found = stages(dockerfile_of(shop(tmp_path, tool)))

    production = found["production"]
    assert [line for line in production if line.startswith(("CMD ", "ENTRYPOINT "))] == [
        'CMD ["gunicorn", "--bind=0.0.0.0:8000", "shop:create_app()"]'
    ]
    assert [line for line in found["development"] if line.startswith("CMD ")] == [
        'CMD ["sh", "-c", "exec flask run --host 0.0.0.0 --port \\"$PORT\\""]'
    ]


def test_the_base_and_runtime_image_options_are_the_from_lines_as_given(tmp_path: Path) -> None:
    dockerfile = dockerfile_of(
        shop(tmp_path),
        base_image="registry.example.org/python:3.12-bookworm",
        runtime_image="registry.example.org/python:3.12-slim-bookworm",
    )

    assert from_lines(dockerfile) == [
        "FROM registry.example.org/python:3.12-bookworm AS staging",
        "FROM staging AS development",
        "FROM staging AS build",
        "FROM registry.example.org/python:3.12-slim-bookworm AS production",
    ]


def greeter(tmp_path: Path) -> Path:
    files = {
        "pyproject.toml": pep621(
            "greeter",
            dependencies=["colorama"],
            extra='\n[project.scripts]\ngreet = "greeter.cli:main"\n',
        ),
        "greeter/__init__.py": "",
        "greeter/cli.py": "def main():\n    pass\n",
    }
    return write_project(tmp_path, files, lock=lock_text(locked("colorama", "0.4.6")))


def test_a_console_script_is_the_production_entry_point_with_no_port(tmp_path: Path) -> None:
    dockerfile = dockerfile_of(greeter(tmp_path))
    found = stages(dockerfile)

    production = found["production"]
    user = production.index("USER 10001:10001")
    assert production[user : user + 5] == [
        "USER 10001:10001",
        "# The app: greet (scripts: greet = greeter.cli:main).",
        'ENTRYPOINT ["greet"]',
        "CMD []",
        "# Labels last: a new version rebuilds nothing above. quatrain build passes REVISION"
        " (git).",
    ]
    assert production[1:7] == [
        "ENV PYTHONDONTWRITEBYTECODE=1 \\",
        "    PYTHONUNBUFFERED=1 \\",
        "    PYTHONFAULTHANDLER=1 \\",
        "    VIRTUAL_ENV=/opt/venv \\",
        "    PATH=/opt/venv/bin:$PATH \\",
        "    HOME=/home/app",
    ]
    assert "COPY . ." not in production  # a command-line tool runs from its wheel alone
    development = found["development"]
    entrypoint = development.index('ENTRYPOINT ["poetry", "run"]')
    assert development[entrypoint - 4 : entrypoint + 2] == [
        "COPY . .",
        "# The project itself, editable: the only step an edit re-runs.",
        "RUN umask 0002 && poetry install --only-root --no-interaction",
        "# `poetry run` runs any command given to `docker run` inside the project's environment.",
        'ENTRYPOINT ["poetry", "run"]',
        'CMD ["greet", "--help"]',
    ]
    for word in ("EXPOSE", "HEALTHCHECK", "PORT=", "WEB_CONCURRENCY"):
        assert word not in dockerfile


def test_the_command_option_gives_a_console_script_its_arguments(tmp_path: Path) -> None:
    production = stages(dockerfile_of(greeter(tmp_path), command="--name world"))["production"]

    entrypoint = production.index('ENTRYPOINT ["greet"]')
    assert production[entrypoint : entrypoint + 2] == [
        'ENTRYPOINT ["greet"]',
        'CMD ["--name", "world"]',
    ]


NON_PACKAGE = """
    [project]
    name = "scripts-app"
    version = "0.1.0"
    requires-python = ">=3.11"
    dependencies = ["flask>=3.1", "gunicorn>=23.0"]

    [tool.poetry]
    package-mode = false
"""


def non_package(tmp_path: Path) -> Path:
    files = {
        "pyproject.toml": NON_PACKAGE,
        "app.py": "from flask import Flask\n\napp = Flask('x')\n",
    }
    return write_project(
        tmp_path, files, lock=lock_text(locked("flask"), locked("gunicorn", "23.0.0"))
    )


def test_a_non_package_project_says_so_and_installs_its_dependencies_only(
    tmp_path: Path,
) -> None:
    dockerfile = dockerfile_of(non_package(tmp_path))
    found = stages(dockerfile)

    assert dockerfile.splitlines()[3:8] == [
        "# Needs BuildKit (the default since Docker 23; DOCKER_BUILDKIT=1 before that).",
        "#",
        "# scripts-app sets package-mode = false: there is no wheel to build. The build stage",
        "# installs the locked dependencies only, and production copies the sources next to them.",
        "",
    ]
    assert found["development"][:8] == [
        "FROM staging AS development",
        "# Dependencies first, from the lock (an edit never re-runs this); group-writable, for"
        " quatrain dev.",
        "RUN --mount=type=cache,target=/var/cache/pypoetry \\",
        '    umask 0002 && python -m venv "$VIRTUAL_ENV" \\',
        "    && poetry install --no-root --no-directory --no-interaction",
        "COPY . .",
        "ENV PORT=8888 \\",
        "    FLASK_APP=app:app \\",
    ]
    assert [line for line in found["build"] if not line.startswith(STALE_CHECK)] == [
        "FROM staging AS build",
        "RUN poetry export --only main --format requirements.txt --output requirements.txt",
        "# Dependencies before sources (an edit re-runs neither step); no pip: production installs"
        " nothing.",
        "RUN --mount=type=cache,target=/root/.cache/uv \\",
        '    python -m venv --without-pip "$VIRTUAL_ENV" \\',
        "    && uv pip install --require-hashes --no-deps --compile-bytecode "
        "--requirement requirements.txt",
        "",
        "# production: a fresh slim image with the locked dependencies and the sources;",
        "# no Poetry, no compilers; a non-root user.",
    ]
    production = found["production"]
    # The SBOM once everything it lists is installed: the venv and the sources (no wheel here).
    venv = production.index("COPY --from=build /opt/venv /opt/venv")
    assert production[venv : venv + 16] == [
        "COPY --from=build /opt/venv /opt/venv",
        "# The sources (less .dockerignore), for files the app reads at run time; read-only for its"
        " user.",
        "COPY . .",
        *SBOM_STEP,
        "# The app may write /app/data, HOME and new files beside its code (the sticky bit guards"
        " the code).",
        'RUN set -- /app/data && mkdir -p "$@" && chown 10001:0 "$@" && chmod 0775 "$@" \\',
        "    && chgrp 10001 /app && chmod 1775 /app",
        "USER 10001:10001",
    ]
    assert "org.opencontainers.image.version" not in dockerfile
    assert production[-1] == "      org.opencontainers.image.title=scripts-app"


# The production stage's SBOM step, for a project that is the build context.
SBOM_STEP = [
    "# The SBOM (CycloneDX, /usr/share/doc/quatrain/sbom.cdx.json) by quatrain-sbom.py: each"
    " file installed, by its hash.",
    "ARG PYTHON_VERSION",
    "ARG DEBIAN_RELEASE",
    'ARG BASE_IMAGE_DIGEST=""',
    "RUN --mount=type=bind,source=quatrain-sbom.py,target=/tmp/quatrain-sbom.py \\",
    "    --mount=type=bind,from=build,source=/app,target=/tmp/build \\",
    "    --mount=type=bind,from=staging,source=/opt/poetry,target=/tmp/poetry \\",
    "    python /tmp/quatrain-sbom.py --build /tmp/build --libraries /tmp/poetry \\",
    '        --base-image "python:${PYTHON_VERSION}-slim-${DEBIAN_RELEASE}" --base-digest'
    ' "$BASE_IMAGE_DIGEST"',
]
MANAGE = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
DJANGO_SETTINGS = """
    INSTALLED_APPS = ["django.contrib.staticfiles"]
    STATIC_ROOT = "/opt/static"
    WSGI_APPLICATION = "mysite.wsgi.application"
"""


def django_site(tmp_path: Path) -> Path:
    files = {
        "pyproject.toml": pep621("mysite", dependencies=["django>=5.2", "gunicorn>=23"]),
        "manage.py": MANAGE,
        "mysite/__init__.py": "",
        "mysite/settings.py": DJANGO_SETTINGS,
    }
    return write_project(
        tmp_path, files, lock=lock_text(locked("django"), locked("gunicorn", "23.0.0"))
    )


def test_django_collects_static_files_once_the_wheel_is_installed(tmp_path: Path) -> None:
    production = stages(dockerfile_of(django_site(tmp_path)))["production"]

    wheel = production.index(
        "    uv pip install --no-deps --no-cache --compile-bytecode /tmp/dist/*.whl"
    )
    assert production[wheel : wheel + 24] == [
        "    uv pip install --no-deps --no-cache --compile-bytecode /tmp/dist/*.whl",
        *SBOM_STEP,
        "# The app may write /app/data, HOME and new files beside its code (the sticky bit guards"
        " the code).",
        'RUN set -- /app/data && mkdir -p "$@" && chown 10001:0 "$@" && chmod 0775 "$@" \\',
        "    && chgrp 10001 /app && chmod 1775 /app",
        "# BuildKit's cache never sees a secret: quatrain build passes a random token that"
        " changes with",
        "# build-env's settings and re-runs the steps below (plain docker build: pass any new"
        " value).",
        'ARG BUILD_ENV_REVISION=""',
        "# Settings this step needs at build time only (build-env: SECRET_KEY, DATABASE_URL, ...)"
        " come",
        "# as a secret, sourced for this step and never in a layer or the image's history."
        " quatrain",
        "# build passes them; plain docker build: --secret id=build-env,src=FILE of KEY='value'"
        " lines.",
        "# hadolint ignore=SC1091",
        "RUN --mount=type=secret,id=build-env,target=/run/secrets/build-env,required=false \\",
        "    if [ -f /run/secrets/build-env ]; then set -a && . /run/secrets/build-env && set +a;"
        " fi \\",
        "    && python -m django collectstatic --noinput",
        "USER 10001:10001",
    ]
    assert "    DJANGO_SETTINGS_MODULE=mysite.settings" in production


FASTAPI_FACTORY = "from fastapi import FastAPI\n\n\ndef create_app():\n    return FastAPI()\n"


def fastapi_app(tmp_path: Path) -> Path:
    files = {
        "pyproject.toml": pep621("api", dependencies=["fastapi", "uvicorn"]),
        "api/__init__.py": FASTAPI_FACTORY,
    }
    return write_project(tmp_path, files, lock=lock_text(locked("fastapi"), locked("uvicorn")))


def test_uvicorn_alone_serves_a_factory_through_sh_exec(tmp_path: Path) -> None:
    production = stages(dockerfile_of(fastapi_app(tmp_path)))["production"]

    assert [line for line in production if line.startswith('CMD ["sh"')] == [
        'CMD ["sh", "-c", "exec uvicorn \\"$1\\" --factory --host 0.0.0.0 '
        '--port \\"$PORT\\" --proxy-headers --no-access-log", "sh", "api:create_app"]'
    ]


def quality(tmp_path: Path, tool_quatrain: str = "") -> Path:
    extra = f"\n[tool.quatrain]\n{tool_quatrain}" if tool_quatrain else ""
    lock = lock_text(
        locked("flask"),
        locked("gunicorn", "23.0.0"),
        locked("pytest", "9.0.0", groups=["dev"]),
        locked("ruff", "0.14.0", groups=["dev"]),
    )
    files = {"pyproject.toml": pep621(extra=extra), "shop/__init__.py": FACTORY}
    return write_project(tmp_path, files, lock=lock)


def test_a_locked_pytest_and_ruff_give_test_and_lint_stages(tmp_path: Path) -> None:
    found = stages(dockerfile_of(quality(tmp_path)))

    assert found["test"][:3] == [
        "FROM development AS test",
        "RUN pytest \\",
        '    && mkdir -p /quatrain-gates && echo "test passed" > /quatrain-gates/test',
    ]
    assert found["lint"][:3] == [
        "FROM development AS lint",
        "RUN ruff check . \\",
        '    && mkdir -p /quatrain-gates && echo "lint passed" > /quatrain-gates/lint',
    ]
    assert not any("quatrain-gates" in line for line in found["production"])


def test_the_gate_makes_production_copy_each_stages_marker(tmp_path: Path) -> None:
    tool = 'gate = true\ntest-command = ["pytest", "-x", "tests/unit"]\nlint-command = []'

    dockerfile = dockerfile_of(quality(tmp_path, tool))
    found = stages(dockerfile)

    assert "lint" not in found  # an empty command turns the stage off
    assert found["test"][1] == "RUN pytest -x tests/unit \\"
    assert (
        "# test: `pytest -x tests/unit` in the development environment; "
        "`docker build --target test .`"
    ) in dockerfile.splitlines()
    production = found["production"]
    workdir = production.index("WORKDIR /app")
    assert production[workdir : workdir + 2] == [
        "WORKDIR /app",
        "COPY --from=test /quatrain-gates/test /usr/local/share/quatrain/gates/",
    ]


def test_extras_and_groups_reach_both_installs(tmp_path: Path) -> None:
    found = stages(dockerfile_of(shop(tmp_path), extras="postgres redis", groups="ops"))

    assert (
        "    && poetry install --no-root --no-directory --no-interaction --extras postgres "
        "--extras redis --with ops"
    ) in found["development"]
    assert export_line(found["build"]) == (
        "RUN poetry export --only main,ops --extras postgres --extras redis "
        "--format requirements.txt --output requirements.txt"
    )


EVERY_OPTION = """
    apt-packages = ["libpq5"]
    build-apt-packages = ["libpq-dev"]
    env = {MODE = "prod"}
    labels = {"com.example.team" = "web"}
    user = "web"
    command = ["gunicorn", "shop:create_app()"]
"""
CASES: dict[str, Callable[[Path], Path]] = {
    "every-option": lambda root: shop(root, EVERY_OPTION),
    "console-script": greeter,
    "non-package": non_package,
    "django": django_site,
    "fastapi-uvicorn": fastapi_app,
    "quality-stages": lambda root: quality(root, "gate = true"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_kind_of_project_installs_dependencies_before_it_copies_sources(
    tmp_path: Path, case: str
) -> None:
    found = stages(dockerfile_of(CASES[case](tmp_path)))

    development = found["development"]
    install = next(
        i for i, line in enumerate(development) if line.startswith("    && poetry install")
    )
    assert install < development.index("COPY . .")

    build = found["build"]
    export = build.index(
        "RUN poetry export --only main --format requirements.txt --output requirements.txt"
    )
    install = build.index(
        "    && uv pip install --require-hashes --no-deps --compile-bytecode "
        "--requirement requirements.txt"
    )
    copies = [i for i, line in enumerate(build) if line.startswith("COPY ")]
    assert export < install < min(copies, default=len(build))

    production = found["production"]
    venv = production.index("COPY --from=build /opt/venv /opt/venv")
    project = [
        i
        for i, line in enumerate(production)
        if line == "COPY . ."
        or line.endswith("uv pip install --no-deps --no-cache --compile-bytecode /tmp/dist/*.whl")
    ]
    assert 1 <= len(project) <= 2  # the sources, the wheel, or both
    assert venv < min(project)
    assert max(project) < production.index("USER 10001:10001")


def last_run(lines: list[str]) -> str:
    return [line for line in lines if line.startswith("RUN ")][-1]


def test_the_wheel_comes_from_poetry_core_in_poetrys_venv_when_that_is_the_backend(
    tmp_path: Path,
) -> None:
    backend = (
        '\n[build-system]\nrequires = ["poetry-core>=2"]\n'
        'build-backend = "poetry.core.masonry.api"\n'
    )
    project = flask_project(
        tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pep621(extra=backend)
    )

    assert last_run(stages(dockerfile_of(project))["build"]) == (
        'RUN uv build --wheel --no-build-isolation --python "$POETRY_HOME/bin/python" '
        "--out-dir dist"
    )


@pytest.mark.parametrize(
    "build_system",
    ["", '\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'],
    ids=["no-build-system", "hatchling"],
)
def test_any_other_backend_is_left_to_poetry_build(tmp_path: Path, build_system: str) -> None:
    project = flask_project(
        tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pep621(extra=build_system)
    )
    build = stages(dockerfile_of(project))["build"]

    assert last_run(build) == "RUN poetry build --format wheel --no-interaction"
    assert not any("uv build" in line for line in build)


GIT_PACKAGE = """[[package]]
name = "gitlib"
version = "0.3.0"
description = ""
optional = false
python-versions = ">=3.9"
groups = ["main"]
files = []

[package.source]
type = "git"
url = "https://git.example.org/gitlib.git"
reference = "main"
resolved_reference = "9f0e69287c054cfea75727479174f900f69a6074"
"""


def test_a_git_dependency_installs_from_its_own_requirements_without_hash_checking(
    tmp_path: Path,
) -> None:
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), GIT_PACKAGE)
    project = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)
    found = stages(dockerfile_of(project))
    build = found["build"]

    export = build.index(
        "RUN poetry export --only main --format requirements.txt --output requirements.all.txt \\"
    )
    assert build[export + 1 : export + 3] == [
        "    && grep -v -e '^-e ' -e ' @ file://' -e ' @ git+' requirements.all.txt "
        "> requirements.txt \\",
        "    && grep -e '^--' -e ' @ git+' requirements.all.txt > requirements.git.txt",
    ]
    assert "# Git dependencies (gitlib) go to requirements.git.txt, with the index lines:" in build
    install = build.index(
        "    && uv pip install --require-hashes --no-deps --compile-bytecode "
        "--requirement requirements.txt \\"
    )
    assert build[install + 1] == (
        "    && uv pip install --no-deps --compile-bytecode --requirement requirements.git.txt"
    )
    # uv clones with git, which slim images lack.
    assert any("--no-install-recommends git" in line for line in found["staging"])


def test_a_git_dependency_of_the_development_group_only_leaves_the_build_stage_alone(
    tmp_path: Path,
) -> None:
    dev_only = GIT_PACKAGE.replace('groups = ["main"]', 'groups = ["dev"]')
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), dev_only)
    project = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    build = stages(dockerfile_of(project))["build"]

    assert export_line(build) == (
        "RUN poetry export --only main --format requirements.txt --output requirements.txt"
    )
    assert not any("requirements.git.txt" in line for line in build)


def test_a_pep_639_license_file_is_copied_with_the_manifest_because_poetry_reads_it_on_load(
    tmp_path: Path,
) -> None:
    pyproject = pep621(extra='license = { file = "LICENSE" }\n')
    root = flask_project(
        tmp_path, {"shop/__init__.py": FACTORY, "LICENSE": "MIT\n"}, pyproject=pyproject
    )

    staging = stages(dockerfile_of(root))["staging"]

    assert "COPY pyproject.toml poetry.lock LICENSE ./" in staging


def test_a_readme_in_a_subdirectory_is_copied_to_the_same_place_for_poetry_to_find(
    tmp_path: Path,
) -> None:
    pyproject = pep621(extra='readme = "docs/README.md"\n')
    files = {"shop/__init__.py": FACTORY, "docs/README.md": "# shop\n"}
    root = flask_project(tmp_path, files, pyproject=pyproject)

    build = stages(dockerfile_of(root))["build"]

    assert "COPY docs/README.md ./docs/" in build


def test_only_production_insists_on_the_files_init_wrote_for_development_takes_any_lock() -> None:
    found = stages(example_dockerfile())

    # A lock change rebuilds development (compose watch, quatrain dev) without init.
    for stage in ("staging", "development"):
        assert not [line for line in found[stage] if line.startswith("RUN for file in ")]
    assert [line for line in found["build"] if line.startswith("RUN for file in ")] == [
        line for line in example_dockerfile().splitlines() if line.startswith("RUN for file in ")
    ]
    assert found["build"][1].startswith("# init wrote this")
