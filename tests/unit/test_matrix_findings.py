"""What scripts/input_matrix.py found: each case that came out unsafe or crashed, as a test.

A finding whose fix lies in a module this file's author does not own stays
`xfail(strict=True)` with the module to fix, so that its mark has to go the day it passes.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from quatrain.detectors.servers import asgi_development, asgi_server
from quatrain.dockerfile import quoting
from quatrain.errors import ProjectError
from quatrain.reading.lock import Lock, LockedPackage
from quatrain.reading.project import load_project
from quatrain.reading.pyproject import inside
from quatrain.settings import schema
from quatrain.settings.options import Options
from unit.conftest import FLASK_LOCK, flask_project, locked, pep621

# --- symlink loops: a traceback (RuntimeError from Path.resolve before Python 3.13) ----------


def test_inside_answers_for_a_symlink_loop_instead_of_raising(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")

    assert inside(tmp_path, "loop")  # a loop leads nowhere, and not out of the project


def test_a_lock_that_is_a_symlink_loop_is_a_project_error_naming_it(tmp_path: Path) -> None:
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": ""}, lock=None)
    (root / "poetry.lock").symlink_to("poetry.lock")

    with pytest.raises(ProjectError, match=r"poetry\.lock is not a file"):
        load_project(root)


def test_a_readme_that_is_a_symlink_loop_is_a_project_error(tmp_path: Path) -> None:
    pyproject = pep621(extra='readme = "README.md"\n')
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": ""}, pyproject=pyproject)
    (root / "README.md").symlink_to("README.md")

    with pytest.raises(ProjectError, match=r"no such file \(it is a link to nothing\)"):
        load_project(root)


def test_an_include_pattern_that_matches_a_symlink_loop_loads(tmp_path: Path) -> None:
    pyproject = pep621(extra='[tool.poetry]\ninclude = ["data*"]\n')
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": ""}, pyproject=pyproject)
    (root / "data").symlink_to("data")

    assert load_project(root).name == "shop"


def test_a_path_dependency_that_is_a_symlink_loop_is_a_project_error(tmp_path: Path) -> None:
    lock = FLASK_LOCK.replace(
        "[metadata]",
        locked("lib").replace(
            "files = [", 'source = {type = "directory", url = "libs/loop"}\nx = ['
        )
        + "\n[metadata]",
    )
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": ""}, lock=lock)
    (root / "libs").mkdir()
    (root / "libs" / "loop").symlink_to("loop")

    project = load_project(root)
    with pytest.raises(ProjectError):
        _ = project.path_dependencies


# --- the app option in uvicorn's `sh -c` line -------------------------------------------------

# Each is a valid app by the schema (a module, `:`, anything on one line), as the matrix found.
HOSTILE_APPS = [
    'shop:a"b',  # an unterminated quote: the container cannot start
    "shop:a && touch /pwned",  # a second command
    "shop:a`id`b",  # command substitution at every start
    "shop:<<EOF",  # a heredoc
    "shop:a\\",  # a trailing backslash joins the next word
]


def uvicorn_lock() -> Lock:
    main = ("main",)
    return Lock(
        lock_version="2.1",
        poetry_version="2.5.1",
        packages=(
            LockedPackage(name="fastapi", version="0.115.0", groups=main),
            LockedPackage(name="uvicorn", version="0.32.0", groups=main),
        ),
    )


def reads_as_one_word(command: tuple[str, ...], app: str) -> bool:
    """sh reads `app` as one word and expands nothing in it: an argument of its own ("$1"),
    or quoted as shlex.quote quotes it."""
    if command[:2] != ("sh", "-c"):
        return app in command
    return app in command[3:] or shlex.quote(app) in command[2]


@pytest.mark.parametrize("app", HOSTILE_APPS)
def test_an_app_served_by_uvicorn_reaches_sh_as_one_word(app: str) -> None:
    server = asgi_server(app, uvicorn_lock(), Options(app=app), "shop")

    assert reads_as_one_word(server.command, app)
    assert reads_as_one_word(asgi_development(app, uvicorn_lock(), server), app)


# --- the largest uid the schema accepts ----------------------------------------------------


def test_the_largest_uid_the_schema_accepts_is_written_too() -> None:
    """The matrix's `--uid=2147483647` passed the schema and then failed the render with
    "use a number from 1 to 2147483646": two rules for one value."""
    largest = schema.RULES["uid"].schema["maximum"]

    assert schema.problem(schema.RULES["uid"], largest) is None
    assert quoting.check_id(largest) == str(largest)
