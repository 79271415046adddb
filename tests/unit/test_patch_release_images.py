"""A project pinned to one patch release gets a Debian release whose official images have it."""

from __future__ import annotations

from pathlib import Path

import pytest

from quatrain.pipeline import make_plan
from unit.conftest import flask_project, pep621

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


def _pinned(root: Path, python: str) -> Path:
    pyproject = pep621().replace('requires-python = ">=3.11"', f'requires-python = "=={python}"')
    return flask_project(root, {"shop/__init__.py": FACTORY}, pyproject=pyproject)


def test_a_patch_release_from_before_trixies_images_gets_bookworm_and_inspect_says_why(
    tmp_path: Path,
) -> None:
    the_plan = make_plan(_pinned(tmp_path, "3.11.7"), env={}, cli={})

    images = the_plan.base_images
    assert (images.python_version, images.debian_release) == ("3.11.7", "bookworm")
    assert images.python_reason.endswith("its images are on bookworm (trixie's start at 3.11.13)")
    assert the_plan.warnings == ()


@pytest.mark.parametrize("python", ["3.11.13", "3.12.11", "3.13.6", "3.14.0"])
def test_a_patch_release_with_trixie_images_stays_on_the_default_release(
    tmp_path: Path, python: str
) -> None:
    images = make_plan(_pinned(tmp_path, python), env={}, cli={}).base_images

    assert images.debian_release == "trixie"
    assert "its images are on" not in images.python_reason


def test_a_debian_release_the_user_chose_is_kept_with_a_warning_naming_the_one_that_has_it(
    tmp_path: Path,
) -> None:
    the_plan = make_plan(_pinned(tmp_path, "3.11.7"), env={}, cli={"debian_release": "trixie"})

    assert the_plan.base_images.debian_release == "trixie"
    assert the_plan.warnings == (
        "debian-release trixie: Python 3.11.7 has no official images on it (trixie's start at "
        "3.11.13); python:3.11.7-slim-bookworm exists.",
    )


def test_a_patch_release_older_than_both_releases_images_is_a_warning(tmp_path: Path) -> None:
    the_plan = make_plan(_pinned(tmp_path, "3.11.2"), env={}, cli={})

    assert the_plan.base_images.debian_release == "trixie"
    assert the_plan.warnings == (
        "Python 3.11.2 has no official images on trixie or bookworm (they start at 3.11.13 on "
        "trixie): pull python:3.11.2-slim-trixie will fail; widen the project's Python "
        "constraint or set python-version.",
    )
