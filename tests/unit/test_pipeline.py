"""The pipeline's own decisions: the lock check and what the plan puts together."""

from __future__ import annotations

from pathlib import Path

import dockerfile  # type: ignore[import-not-found]  # compiled Go, ships no stubs
import pytest

from quatrain.errors import ProjectError, QuatrainError
from quatrain.pipeline import check_lock, make_plan
from quatrain.reading.project import load_project
from unit.conftest import flask_project, lock_text, locked, pep621
from unit.test_quoting import buildkit_word

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


def test_a_missing_lock_is_a_project_error(tmp_path: Path) -> None:
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=None))

    with pytest.raises(ProjectError, match=r"has no poetry\.lock\. "):
        check_lock(project)


def test_a_lock_from_another_pyproject_is_a_project_error_in_poetrys_words(
    tmp_path: Path,
) -> None:
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), content_hash="0" * 64)
    project = load_project(flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock))

    with pytest.raises(ProjectError) as raised:
        check_lock(project)

    assert str(raised.value) == (
        "pyproject.toml changed significantly since poetry.lock was last generated "
        f"({tmp_path}). Run `poetry lock` to fix the lock file, then build again."
    )


def test_the_plan_passes_the_image_options_to_the_base_images(tmp_path: Path) -> None:
    the_plan = make_plan(
        flask_project(tmp_path, {"shop/__init__.py": FACTORY}),
        env={"QUATRAIN_BASE_IMAGE": "registry.example.org/python:3.12"},
        cli={"runtime_image": "registry.example.org/python:3.12-slim"},
    )

    assert (the_plan.base_images.build, the_plan.base_images.runtime) == (
        "registry.example.org/python:3.12",
        "registry.example.org/python:3.12-slim",
    )


def test_a_source_build_of_a_known_sdist_gets_its_debian_packages_in_both_stages(
    tmp_path: Path,
) -> None:
    lock = lock_text(
        locked("flask"), locked("gunicorn", "23.0.0"), locked("psycopg2", "2.9.10", wheel=False)
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    the_plan = make_plan(root, env={}, cli={"debian_release": "bookworm"})

    assert the_plan.base_images.build_flavor == "full"
    dockerfile = the_plan.files["Dockerfile"]
    assert "    && apt-get install --yes --no-install-recommends libpq-dev\n" in dockerfile
    assert "    && apt-get install --yes --no-install-recommends libpq5\n" in dockerfile
    assert the_plan.warnings == ()


@pytest.mark.parametrize(
    ("companion", "gets_libpq"), [(None, True), ("psycopg-binary", False), ("psycopg-pool", True)]
)
def test_psycopg_3_gets_libpq5_in_production_unless_its_binary_wheel_brings_it(
    tmp_path: Path, companion: str | None, gets_libpq: bool
) -> None:
    """psycopg 3's pure-Python wheel loads libpq at import (seen on bikeshedder/shark: Django's
    collectstatic failed with "no pq wrapper available"); nothing builds, the image is slim."""
    packages = [locked("flask"), locked("gunicorn", "23.0.0"), locked("psycopg", "3.2.1")]
    if companion:
        packages.append(locked(companion, "3.2.1"))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock_text(*packages))

    the_plan = make_plan(root, env={}, cli={"debian_release": "bookworm"})

    assert the_plan.base_images.build_flavor == "slim"
    dockerfile = the_plan.files["Dockerfile"]
    line = "    && apt-get install --yes --no-install-recommends libpq5\n"
    assert (line in dockerfile) is gets_libpq
    assert "libpq-dev" not in dockerfile


def test_an_unknown_source_build_is_a_warning_that_says_what_to_set(tmp_path: Path) -> None:
    lock = lock_text(
        locked("flask"), locked("gunicorn", "23.0.0"), locked("oddext", "1.0", wheel=False)
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    (warning,) = make_plan(root, env={}, cli={}).warnings

    assert warning == (
        "oddext has no wheel in the lock at all (most often a pure-Python sdist) and builds "
        "from source, and quatrain's table of system packages does not know it: if the build "
        "fails, add the Debian packages it needs with build-apt-packages (and the libraries it "
        "loads with apt-packages)."
    )


def test_unknown_source_builds_with_compiled_code_get_a_warning_of_their_own(
    tmp_path: Path,
) -> None:
    """moaazsidat/dash-playground on 3.9: markupsafe 1.1.1 has compiled wheels up to 3.8;
    dash 1.19 and future have only an sdist."""
    lock = lock_text(
        locked("flask"),
        locked("gunicorn", "23.0.0"),
        locked("markupsafe", "1.1.1", wheel_tags=("cp38-cp38-manylinux1_x86_64",)),
        locked("future", "0.18.2", wheel=False),
        locked("dash", "1.19.0", wheel=False),
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    compiled, sdists = make_plan(root, env={}, cli={}).warnings

    assert compiled.startswith(
        "markupsafe has compiled code and builds from source (no wheel for Python 3.1"
    )
    assert sdists.startswith(
        "dash, future have no wheel in the lock at all (most often a pure-Python sdist) and "
        "build from source, and quatrain's table of system packages does not know them:"
    )


def test_setuptools_comes_pinned_by_hash_when_a_runtime_package_needs_it_and_the_lock_lacks_it(
    tmp_path: Path,
) -> None:
    gunicorn = locked("gunicorn", "20.1.0") + '\n[package.dependencies]\nsetuptools = ">=3.0"\n'
    root = flask_project(
        tmp_path, {"shop/__init__.py": FACTORY}, lock=lock_text(locked("flask"), gunicorn)
    )

    dockerfile = make_plan(root, env={}, cli={}).files["Dockerfile"]

    assert (
        '    echo "setuptools==80.10.2 --hash=sha256:95b30ddfb717250edb492926c92b5221f7ef3fbcc2b07'
        '579bcd4a27da21d0173" > requirements.setuptools.txt \\\n'
        "    && uv pip install --require-hashes --no-deps --compile-bytecode "
        "--requirement requirements.setuptools.txt\n"
    ) in dockerfile


def test_a_poetry_1_1_lock_with_gunicorn_20_gets_setuptools_though_it_names_no_dependency(
    tmp_path: Path,
) -> None:
    lock = lock_text(locked("flask"), locked("gunicorn", "20.1.0"))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    assert "requirements.setuptools.txt" in make_plan(root, env={}, cli={}).files["Dockerfile"]


def test_a_lock_written_by_poetry_2_0_gets_the_export_plugin_that_accepts_it(
    tmp_path: Path,
) -> None:
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), poetry="2.0.1")
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    dockerfile = make_plan(root, env={}, cli={}).files["Dockerfile"]

    assert "ARG POETRY_VERSION=2.0.1\nARG POETRY_PLUGIN_EXPORT_VERSION=1.9.0\n" in dockerfile


def test_a_dependency_an_old_lock_marks_for_windows_on_its_edge_builds_nothing_here(
    tmp_path: Path,
) -> None:
    """Olzhassss/beta: Twisted's `twisted-iocpsupport ; platform_system == "Windows"`. A lock
    older than 2.1 keeps that marker on the edge only, and the package has no Linux wheel:
    `poetry export` leaves it out, so it neither builds nor asks for compilers."""
    windows_edge = (
        'twisted-iocpsupport = {version = ">=1.0", markers = "platform_system == \\"Windows\\""}\n'
    )
    lock = lock_text(
        locked("flask"),
        locked("gunicorn", "23.0.0"),
        locked("twisted", "21.7.0") + "\n[package.dependencies]\n" + windows_edge,
        locked("twisted-iocpsupport", "1.0.1", wheel=False),
        poetry="1.7.1",
        lock_version="2.0",
    )
    pyproject = pep621(dependencies=("flask>=3.1", "gunicorn>=23", "twisted"))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pyproject, lock=lock)

    images = make_plan(root, env={}, cli={}).base_images

    assert (images.build_flavor, images.source_builds) == ("slim", ())


def test_old_sdists_that_build_from_source_get_the_build_tools_of_their_time(
    tmp_path: Path,
) -> None:
    lock = lock_text(
        locked("flask"),
        locked("gunicorn", "23.0.0"),
        locked("pyyaml", "5.4.1", wheel=False),
        poetry="1.7.1",
        lock_version="2.0",
    )
    pyproject = pep621(dependencies=("flask>=3.1", "gunicorn>=23", "pyyaml"))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pyproject, lock=lock)

    dockerfile = make_plan(root, env={}, cli={}).files["Dockerfile"]

    assert (
        "    && printf '%s\\n' 'cython<3' 'setuptools<70' > build-constraints.txt \\\n"
        in dockerfile
    )
    assert (
        "--requirement requirements.txt --build-constraints build-constraints.txt\n" in dockerfile
    )


def test_a_current_lock_whose_packages_all_have_wheels_gets_no_build_constraints(
    tmp_path: Path,
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})

    assert "build-constraints" not in make_plan(root, env={}, cli={}).files["Dockerfile"]


def test_a_project_served_on_python_3_9_gets_a_brought_gunicorn_that_runs_there(
    tmp_path: Path,
) -> None:
    """moaazsidat/dash-playground: a 2021 lock, no gunicorn; 3.9 has wheels the newer lack.
    gunicorn 27 needs Python 3.10, and its install failed on the 3.9 image."""
    lock = lock_text(
        locked("flask"),
        locked("numpy", "1.21.1", wheel_tags=("cp39-cp39-manylinux_2_17_x86_64",)),
        poetry="1.1.11",
        lock_version="1.1",
    )
    pyproject = pep621(dependencies=("flask>=1", "numpy")).replace(">=3.11", ">=3.8")
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, pyproject=pyproject, lock=lock)

    the_plan = make_plan(root, env={}, cli={})

    assert the_plan.base_images.python_version == "3.9"
    assert [(p.name, p.version) for p in the_plan.spec.brought_packages] == [("gunicorn", "23.0.0")]
    assert "echo 'gunicorn==23.0.0 --hash=sha256:" in the_plan.files["Dockerfile"]


def test_an_app_in_a_directory_that_is_no_python_name_gets_that_working_directory(
    tmp_path: Path,
) -> None:
    app = "from flask import Flask\n\napp = Flask(__name__)\n"
    root = flask_project(tmp_path, {"my-site/main.py": app})

    written = make_plan(root, env={}, cli={}).files["Dockerfile"]

    assert written.count("\nWORKDIR /app/my-site\n") == 2  # development and production
    assert "chgrp 10001 /app/my-site && chmod 1775 /app/my-site" in written


@pytest.mark.parametrize("name", ['my site $(id) "x"', "my-site\\", "my-site;RUN id"])
def test_a_hostile_directory_name_of_an_app_reads_back_as_given(tmp_path: Path, name: str) -> None:
    app = "from flask import Flask\n\napp = Flask(__name__)\n"
    root = flask_project(tmp_path, {f"{name}/main.py": app})

    parsed = dockerfile.parse_string(make_plan(root, env={}, cli={}).files["Dockerfile"])
    workdirs = [i.value[0] for i in parsed if i.cmd == "WORKDIR"]
    assert buildkit_word(workdirs[-1]) == f"/app/{name}"  # as BuildKit reads it
    assert [i.cmd for i in parsed].count("WORKDIR") == 4


def test_a_directory_name_with_a_line_break_is_refused_before_any_file_is_written(
    tmp_path: Path,
) -> None:
    app = "from flask import Flask\n\napp = Flask(__name__)\n"
    root = flask_project(tmp_path, {"my-site\nRUN id/main.py": app})

    with pytest.raises(QuatrainError, match="line break"):
        make_plan(root, env={}, cli={})


def _without_files(entry: str) -> str:
    """The entry as lermanDev/petz's lock has every package: an empty files list."""
    start = entry.index("files = [")
    return entry[:start] + "files = []\n"


def test_a_lock_without_hashes_installs_by_version_and_says_so(tmp_path: Path) -> None:
    lock = lock_text(
        locked("flask"), locked("gunicorn", "23.0.0"), _without_files(locked("asgiref", "3.8.1"))
    )
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    the_plan = make_plan(root, env={}, cli={})

    dockerfile = the_plan.files["Dockerfile"]
    assert "uv pip install --no-deps --compile-bytecode --requirement requirements.txt" in (
        dockerfile
    )
    assert "# poetry.lock records no hashes of asgiref:\n" in dockerfile
    assert "--require-hashes --no-deps --compile-bytecode --requirement requirements.txt" not in (
        dockerfile
    )
    assert the_plan.warnings == (
        "poetry.lock records no files, so no hashes, for 1 runtime package (asgiref): "
        "production installs it by its locked version without checking what it downloads, as "
        "`poetry install` does, and quatrain cannot tell whether it has a wheel, so the build "
        "image has compilers. `poetry lock` with a current Poetry records it.",
    )
    assert the_plan.base_images.build_flavor == "full"


def test_a_lock_with_every_hash_requires_them(tmp_path: Path) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY})

    dockerfile = make_plan(root, env={}, cli={}).files["Dockerfile"]

    assert "uv pip install --require-hashes --no-deps --compile-bytecode --requirement " in (
        dockerfile
    )
    assert "records no hashes" not in dockerfile
