"""A pyproject written for Poetry 1.x ranks its sources with keys Poetry 2 refuses: quatrain
says which key and what replaces it before anything is built (the build's `poetry export`
would fail with "The Poetry configuration is invalid")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quatrain.errors import ProjectError
from quatrain.reading.project import load_project
from unit.conftest import flask_project, pep621

FIXTURE = Path(__file__).parents[1] / "projects" / "poetry1-sources"


def test_the_fixtures_secondary_source_is_refused_naming_the_key_and_its_replacement(
    tmp_path: Path,
) -> None:
    project = tmp_path / "legacy"
    shutil.copytree(FIXTURE, project)

    with pytest.raises(ProjectError) as raised:
        load_project(project)

    assert str(raised.value) == (
        f"{project / 'pyproject.toml'}: `tool.poetry.source[0].default = false` is Poetry 1's, "
        "and Poetry 2, which the images run, refuses it. Write nothing (remove the line) "
        "instead (`poetry source show` lists the sources), run `poetry lock`, then quatrain "
        "again."
    )


@pytest.mark.parametrize(
    ("line", "instead"),
    [
        ("default = true", 'priority = "primary"'),
        ("secondary = true", 'priority = "supplemental"'),
        ('priority = "default"', 'priority = "primary"'),
        ('priority = "secondary"', 'priority = "supplemental"'),
        ("secondary = false", "nothing (remove the line)"),
    ],
)
def test_each_poetry_1_ranking_names_what_poetry_2_reads_instead(
    tmp_path: Path, line: str, instead: str
) -> None:
    source = f'\n[[tool.poetry.source]]\nname = "m"\nurl = "https://m.example.org/simple"\n{line}\n'
    root = flask_project(tmp_path, {"shop/__init__.py": ""}, pyproject=pep621(extra=source))

    with pytest.raises(ProjectError) as raised:
        load_project(root)

    assert f"`tool.poetry.source[0].{line}` is Poetry 1's" in str(raised.value)
    assert f"Write {instead} instead" in str(raised.value)


@pytest.mark.parametrize("priority", ["primary", "supplemental", "explicit"])
def test_poetry_2_priorities_are_read_as_they_are(tmp_path: Path, priority: str) -> None:
    source = (
        f'\n[[tool.poetry.source]]\nname = "mirror"\nurl = "https://m.example.org/simple"\n'
        f'priority = "{priority}"\n'
    )
    root = flask_project(tmp_path, {"shop/__init__.py": ""}, pyproject=pep621(extra=source))

    assert [s.priority for s in load_project(root).sources] == [priority]
