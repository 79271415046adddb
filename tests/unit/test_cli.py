"""The command line up to the engine: exit codes and messages, in-process through `main`."""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # no stubs installed

from quatrain import __version__
from quatrain.__main__ import main
from quatrain.pipeline import make_plan
from quatrain.report import as_text
from quatrain.settings.options import FIELDS, option_key
from unit.conftest import flask_project, lock_text, locked, pep621

REPOSITORY = Path(__file__).parents[2]
FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


@pytest.fixture(autouse=True)
def no_quatrain_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """`main` reads os.environ: start every test without the caller's QUATRAIN_* settings."""
    for name in list(os.environ):
        if name.startswith("QUATRAIN_"):
            monkeypatch.delenv(name)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return flask_project(tmp_path / "shop", {"shop/__init__.py": FACTORY})


def test_a_missing_lock_is_exit_3_and_says_to_run_poetry_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=None)

    assert main(["init", str(root)]) == 3
    assert capsys.readouterr().err == (
        f"quatrain: error: {root} has no poetry.lock. quatrain installs exactly what the lock "
        "says, and locking inside the image would make every build differ. Run `poetry lock` "
        "and commit poetry.lock.\n"
    )


def test_build_stops_at_a_missing_lock_before_it_looks_for_an_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=None)

    assert main(["build", str(root), "--docker", "/nonexistent/docker"]) == 3
    assert capsys.readouterr().err == (
        f"quatrain: error: {root} has no poetry.lock. quatrain installs exactly what the lock "
        "says, and locking inside the image would make every build differ. Run `poetry lock` "
        "and commit poetry.lock.\n"
    )


def test_an_unknown_tool_quatrain_key_is_exit_2_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = pep621(extra='\n[tool.quatrain]\npyhton-version = "3.12"\n')
    root = flask_project(tmp_path, {"pyproject.toml": pyproject, "shop/__init__.py": FACTORY})

    assert main(["init", str(root)]) == 2
    assert capsys.readouterr().err == (
        "quatrain: error: Option 'pyhton-version' is not supported in [tool.quatrain]. "
        "Perhaps you meant 'python-version'?\n"
    )


def test_a_bad_quatrain_variable_is_exit_2_and_names_the_variable(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUATRAIN_PORT", "abc")

    assert main(["init", "--stdout", str(project)]) == 2
    assert capsys.readouterr().err == (
        "quatrain: error: QUATRAIN_PORT: 'abc' is not a valid port "
        "(expected a whole number from 1 to 65535).\n"
    )


def test_init_stdout_prints_the_dockerfile_alone_so_that_it_pipes_into_hadolint(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = make_plan(project, env={}, cli={}).files

    assert main(["init", "--stdout", str(project)]) == 0

    assert capsys.readouterr().out == files["Dockerfile"]


def test_init_stdout_all_prints_every_file_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    files = make_plan(project, env={}, cli={}).files

    assert main(["init", "--stdout", "--all", str(project)]) == 0

    captured = capsys.readouterr()
    assert captured.out == (
        f"# ----- .dockerignore\n{files['.dockerignore']}# ----- Dockerfile\n{files['Dockerfile']}"
        f"# ----- compose.yaml\n{files['compose.yaml']}"
        f"# ----- quatrain-sbom.py\n{files['quatrain-sbom.py']}"
    )
    assert captured.err == ""
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before


def test_a_flag_wins_over_a_quatrain_variable(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUATRAIN_PORT", "9000")
    monkeypatch.setenv("QUATRAIN_WORKERS", "7")

    assert main(["init", "--stdout", "--port", "7000", str(project)]) == 0

    out = capsys.readouterr().out
    assert "EXPOSE 7000\n" in out
    assert "EXPOSE 9000\n" not in out
    assert "    WEB_CONCURRENCY=7\n" in out


def test_init_writes_every_file_then_reports_them_unchanged(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)

    assert main(["init"]) == 0
    assert capsys.readouterr().err == (
        "  created .dockerignore\n  created Dockerfile\n  created compose.yaml\n"
        "  created quatrain-sbom.py\n"
    )
    assert (
        (project / "Dockerfile")
        .read_text(encoding="utf-8")
        .startswith("# Dockerfile for shop, by quatrain")
    )

    assert main(["init"]) == 0
    assert capsys.readouterr().err == (
        "unchanged .dockerignore\nunchanged Dockerfile\nunchanged compose.yaml\n"
        "unchanged quatrain-sbom.py\n"
    )


def test_init_refuses_a_hand_written_dockerfile_with_exit_8_and_leaves_it_alone(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = "FROM python:3.12-slim\nCOPY . /app\n"
    (project / "Dockerfile").write_text(mine, encoding="utf-8")

    assert main(["init", str(project)]) == 8

    assert capsys.readouterr().err == (
        f"quatrain: error: Not writing Dockerfile in {project}: written by you, or edited since "
        "quatrain wrote it. Your changes are kept. Use --stdout to see what quatrain would "
        "write, or --force to replace (the current file is kept as <name>.bak).\n"
    )
    assert (project / "Dockerfile").read_text(encoding="utf-8") == mine
    assert not (project / ".dockerignore").exists()


def test_init_force_replaces_a_hand_written_dockerfile_and_says_where_it_went(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(project)
    Path("Dockerfile").write_text("FROM python:3.12-slim\n", encoding="utf-8")

    assert main(["init", "--force"]) == 0

    assert capsys.readouterr().err == (
        "  created .dockerignore\n replaced Dockerfile (your version kept as Dockerfile.bak)\n"
        "  created compose.yaml\n  created quatrain-sbom.py\n"
    )
    assert Path("Dockerfile.bak").read_text(encoding="utf-8") == "FROM python:3.12-slim\n"


def test_help_exits_0_and_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0

    out = capsys.readouterr().out
    assert out.startswith("Usage: quatrain [OPTIONS] COMMAND [ARGS]...\n")
    assert [line.split()[0] for line in out.split("Commands:\n", 1)[1].splitlines()] == [
        "build",
        "dev",
        "init",
        "inspect",
        "run",
        "verify",
    ]


def test_every_option_has_a_flag_of_its_own_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--help"]) == 0

    out = capsys.readouterr().out
    assert [name for name in FIELDS if f"--{option_key(name)}" not in out] == []


def test_version_exits_0_and_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"quatrain, version {__version__}\n"


def test_an_unknown_flag_is_a_usage_error_with_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--colour", "blue", str(project)]) == 2
    assert capsys.readouterr().err == (
        "Usage: quatrain init [OPTIONS] [PATH]\n"
        "Try 'quatrain init --help' for help.\n"
        "\n"
        "Error: No such option '--colour'.\n"
    )


def test_inspect_prints_the_report_and_builds_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", str(project), "--port", "7000"]) == 0

    captured = capsys.readouterr()
    assert captured.out == as_text(make_plan(project, env={}, cli={"port": 7000}))
    assert "  port                          7000                         flag\n" in captured.out
    assert captured.err == ""


def test_inspect_json_is_json_with_the_variables_source(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUATRAIN_APT_PACKAGES", "libpq5 curl")

    assert main(["inspect", "--json", str(project)]) == 0

    described = json.loads(capsys.readouterr().out)
    assert described["serve"]["app"] == "shop:create_app()"
    assert described["options"]["apt-packages"] == {"value": ["libpq5", "curl"], "source": "env"}


def test_list_dict_and_bool_flags_reach_the_dockerfile(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["init", "--stdout", str(project), "--apt-packages", "libpq5", "--env", "MODE=prod"]

    assert main([*argv, "--labels", "team=web", "--gate", "true"]) == 0

    out = capsys.readouterr().out
    assert "    && apt-get install --yes --no-install-recommends libpq5\n" in out
    assert "    MODE=prod\n" in out
    assert "      team=web\n" in out


def test_a_project_quatrain_cannot_detect_is_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = flask_project(
        tmp_path, {"shop/__init__.py": "VERSION = 1\n"}, lock=lock_text(locked("flask"))
    )

    assert main(["init", "--stdout", str(root)]) == 4
    assert capsys.readouterr().err.startswith(
        "quatrain: error: shop depends on flask, but quatrain found no app in its modules. "
    )


def test_a_stale_lock_is_exit_3_with_poetrys_words(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("gunicorn>=23", "gunicorn>=24"))

    assert main(["init", "--stdout", str(project)]) == 3
    assert capsys.readouterr().err == (
        "quatrain: error: pyproject.toml changed significantly since poetry.lock was last "
        f"generated ({project}). Run `poetry lock` to fix the lock file, then build again.\n"
    )


def test_ctrl_c_is_exit_130_and_one_line(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("quatrain.dockerfile.generated.write", interrupted)

    assert main(["init", str(project)]) == 130
    # click ends the terminal's ^C line first
    assert capsys.readouterr().err.lstrip("\n") == "quatrain: error: interrupted\n"


def test_init_check_exits_1_until_init_ran_then_0_then_1_once_the_lock_changed(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--check", str(project)]) == 1
    assert "   missing Dockerfile\n" in capsys.readouterr().err
    assert not (project / "Dockerfile").exists()  # the check writes nothing

    assert main(["init", str(project)]) == 0
    capsys.readouterr()
    assert main(["init", "--check", str(project)]) == 0
    assert capsys.readouterr().err == (
        "up to date .dockerignore\nup to date Dockerfile\nup to date compose.yaml\n"
        "up to date quatrain-sbom.py\n"
    )

    lock = project / "poetry.lock"
    lock.write_text(lock.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert main(["init", "--check", str(project)]) == 1
    err = capsys.readouterr().err
    assert "     stale Dockerfile\n" in err
    assert "Dockerfile: not what `quatrain init` writes now for this project" in err


def test_init_check_leaves_out_a_file_the_user_edited(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(project)]) == 0
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    lock = project / "poetry.lock"
    lock.write_text(lock.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    capsys.readouterr()

    assert main(["init", "--check", str(project)]) == 0
    assert "     yours Dockerfile (written or edited by you: not checked)\n" in (
        capsys.readouterr().err
    )


def test_init_check_with_force_or_stdout_is_a_configuration_error(project: Path) -> None:
    assert main(["init", "--check", "--force", str(project)]) == 2
    assert main(["init", "--check", "--stdout", str(project)]) == 2


def test_the_pre_commit_hook_runs_init_check_in_the_repository(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hooks = yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert (hook["id"], hook["language"], hook["pass_filenames"]) == (
        "quatrain-check", "python", False,
    )  # fmt: skip
    for name in ("pyproject.toml", "poetry.lock", "Dockerfile", "sub/.dockerignore"):
        assert re.search(hook["files"], name), name
    program, *args = shlex.split(hook["entry"])
    monkeypatch.chdir(project)  # pre-commit runs the hook at the repository's root

    assert program == "quatrain"
    assert main(args) == 1
    assert main(["init"]) == 0
    assert main(args) == 0


def test_a_repeated_list_or_table_flag_adds_up_as_the_words_of_one_would(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Round 10: `--build-env A=1 --build-env B=2` kept only B, and collectstatic failed.
    args = ["inspect", "--json", str(project), "--build-env", "A=1", "--build-env", "B='two words'",
            "--apt-packages", "libpq5", "--apt-packages", "curl"]  # fmt: skip

    assert main(args) == 0

    options = json.loads(capsys.readouterr().out)["options"]
    assert options["build-env"]["value"] == {"A": "(hidden)", "B": "(hidden)"}
    assert options["apt-packages"]["value"] == ["libpq5", "curl"]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["build", "--platform", "linux/arm64"], "--platform: only with --engine none"),
        (["build", "--load", "docker"], "--load: only with --engine none"),
        (["build", "--engine", "none", "--build-arg", "A=1"], "--build-arg: a Dockerfile build's"),
        (["build", "--engine", "none", "--cache-from", "x"], "--cache-from: a Dockerfile build's"),
        (["build", "--engine", "none", "--target", "development"], "the production image only"),
        (["build", "--engine", "none", "--output", "dir"], "write oci:DIR"),
        (["build", "--engine", "none", "--platform", "linux/s390x"], "not a platform quatrain"),
        (["run", "--engine", "none"], "running and developing need a container engine"),
        (["verify", "--reproducible"], "--reproducible: only with --engine none"),
        (["init", "--runtime-image", "oci:/tmp/layout"], "only the daemonless build reads"),
    ],
)
def test_what_only_the_daemonless_build_takes_and_what_it_cannot_do_are_exit_2_before_any_work(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert main([*argv, str(project)]) == 2
    assert said in capsys.readouterr().err
