"""What scripts/input_matrix.py found: each case that came out unsafe or crashed, as a test.

A finding whose fix lies in a module this file's author does not own stays
`xfail(strict=True)` with the module to fix, so that its mark has to go the day it passes.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from quatrain.__main__ import main
from quatrain.building.build_inputs import dockerfile_for
from quatrain.checking.verify import parse_env_lines
from quatrain.detectors.servers import asgi_development, asgi_server
from quatrain.dockerfile import quoting
from quatrain.errors import ConfigurationError, ProjectError
from quatrain.pipeline import make_plan
from quatrain.reading.lock import Lock, LockedPackage
from quatrain.reading.project import load_project
from quatrain.reading.pyproject import inside
from quatrain.settings import schema
from quatrain.settings.options import Options
from quatrain.settings.resolution import checked
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


# --- round 3 (issue 20): secrets in error messages, tags before the engine, ignore bytes -----

CANARY = "canary-4d1c9e"
FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


@pytest.mark.parametrize(
    ("raw", "source"),
    [
        (f"A=x{CANARY}\nRUN id", "flag"),  # a line break, which the rule refuses
        (f"A='{CANARY}", "env"),  # an unbalanced quote: no NAME=value pairs at all
        (f"A='{CANARY}\r'", "env"),  # a value the rule refuses, under its name
        (f"A={CANARY} {CANARY}", "flag"),  # a second word without a name
    ],
)
def test_a_refused_build_env_names_its_key_and_never_shows_a_value(raw: str, source: str) -> None:
    """The matrix's build-env cases with a canary: the refusal quoted the whole value, and
    an error goes to terminals and CI logs."""
    with pytest.raises(ConfigurationError) as raised:
        checked("build_env", raw, source)  # type: ignore[arg-type]

    assert CANARY not in str(raised.value)
    assert "is not a valid build-env" in str(raised.value)


def test_a_refused_build_env_value_is_named_by_its_key() -> None:
    with pytest.raises(ConfigurationError, match=r"the value of 'SECRET_KEY' \(not shown"):
        checked("build_env", f"SECRET_KEY='{CANARY}\r'", "env")


def test_a_refused_reference_with_a_password_in_it_is_shown_without_the_password() -> None:
    with pytest.raises(ConfigurationError) as raised:
        checked("cache_ref", f"me:{CANARY}@registry.example.org/cache", "flag")

    assert CANARY not in str(raised.value)
    assert "'me:***@registry.example.org/cache'" in str(raised.value)


@pytest.mark.parametrize("word", [f"={CANARY}", CANARY])
def test_a_run_env_word_that_is_no_pair_is_refused_without_showing_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], word: str
) -> None:
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})

    assert main(["verify", str(root), "-e", word]) == 2
    err = capsys.readouterr().err
    assert "--run-env takes KEY=VALUE" in err
    assert CANARY not in err


@pytest.mark.parametrize("line", [f"export TOKEN={CANARY}", CANARY, f"MY TOKEN={CANARY}"])
def test_an_env_file_line_that_is_no_pair_is_refused_without_showing_its_value(line: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_env_lines(f"{line}\n", "prod.env")

    assert "prod.env line 1 is not KEY=VALUE" in str(raised.value)
    assert CANARY not in str(raised.value)


@pytest.mark.parametrize(
    ("tag", "said"),
    [
        ("--help", "'--help' is not an image tag"),
        ("127.0.0.1:99999/shop:1", "names the port 99999"),
        ("shop:1 --network=host", "'shop:1 --network=host' is not an image tag"),
    ],
)
def test_a_bad_tag_is_refused_before_any_engine_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tag: str, said: str
) -> None:
    """The matrix's stub docker was started (`docker version`) before the tag was read: the
    engine is asked only for input that can be built. The unit tests' guard makes any process
    an error other than exit 2."""
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})

    assert main(["build", str(root), "--tag", tag]) == 2
    assert said in capsys.readouterr().err


def test_a_lone_cr_in_the_users_dockerignore_stays_inside_its_line(tmp_path: Path) -> None:
    """BuildKit splits an ignore file at LF alone; read_text's universal newlines made a lone
    CR a line break, so the merged file had two rules where the user's had one."""
    root = flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})
    (root / ".dockerignore").write_bytes(b"secrets/\r!secrets/keep\r\n*.pem\r\n")

    with dockerfile_for(make_plan(root, env={}, cli={})) as (dockerfile, _):
        written = dockerfile.with_name("Dockerfile.dockerignore").read_bytes()

    assert b"\nsecrets/\r!secrets/keep\r\n*.pem\n" in written
