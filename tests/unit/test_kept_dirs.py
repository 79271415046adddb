"""Directories a project commits empty (a .gitkeep alone) are writable in production."""

from __future__ import annotations

from pathlib import Path

from quatrain.pipeline import make_plan
from quatrain.reading.kept_dirs import kept_dirs
from unit.conftest import flask_project, lock_text, locked, pep621, write_project, write_tree

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


def test_a_directory_with_only_placeholders_is_kept_for_the_app_and_others_are_not(
    tmp_path: Path,
) -> None:
    write_tree(
        tmp_path,
        {
            "logs/.gitkeep": "",
            "var/uploads/.keep": "",
            "var/cache/.gitignore": "*\n!.gitignore\n",
            "media/.empty": "",
            "static/.gitkeep": "",
            "static/site.css": "body {}\n",  # holds a real file: not kept empty
            "shop/__init__.py": "",
            "nested/with/sub/.gitkeep": "",  # at the depth limit, still found
            "a/b/c/d/.gitkeep": "",  # beyond it
            ".cache/x/.gitkeep": "",  # hidden: tools' state
            "node_modules/pkg/.gitkeep": "",
            "odd name/.gitkeep": "",  # a RUN line would need quoting: left alone
            "$(touch pwned)/.gitkeep": "",
            "-rf/.gitkeep": "",  # never read as an option of mkdir or chown
        },
    )

    assert kept_dirs(tmp_path) == (
        "logs", "media", "nested/with/sub", "var/cache", "var/uploads",
    )  # fmt: skip


def test_a_directory_holding_a_placeholder_and_a_subdirectory_is_not_kept_empty(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {"logs/.gitkeep": "", "logs/archive/.gitkeep": ""})

    assert kept_dirs(tmp_path) == ("logs/archive",)


def production_lines(root: Path) -> list[str]:
    dockerfile = make_plan(root, env={}, cli={}).files["Dockerfile"]
    return dockerfile.split("FROM ", 3)[-1].splitlines()


def test_production_makes_the_kept_directories_writable_beside_the_data_directory(
    tmp_path: Path,
) -> None:
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY, "logs/.gitkeep": ""})

    lines = production_lines(root)

    assert (
        "# /app/logs: kept empty in the project (a .gitkeep alone), for the app to write into."
        in lines
    )
    assert (
        'RUN set -- /app/data /app/logs && mkdir -p "$@" && chown 10001:0 "$@" '
        '&& chmod 0775 "$@" \\'
    ) in lines


def test_a_command_line_tool_ships_no_sources_so_no_kept_directory(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": pep621(
            "tool", dependencies=["click"], extra='\n[project.scripts]\ntool = "tool.cli:main"\n'
        ),
        "tool/__init__.py": "",
        "tool/cli.py": "def main():\n    pass\n",
        "logs/.gitkeep": "",
    }
    root = write_project(tmp_path, files, lock=lock_text(locked("click")))

    assert not [line for line in production_lines(root) if "/app/logs" in line]
