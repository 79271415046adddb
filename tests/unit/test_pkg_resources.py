"""setuptools comes with the packages known to import pkg_resources at run time, by version."""

from __future__ import annotations

from pathlib import Path

import pytest

from quatrain.pipeline import plan
from unit.conftest import flask_project, lock_text, locked

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


@pytest.mark.parametrize(
    ("version", "gets_setuptools"),
    [("3.4.1", False), ("4.0", True), ("6.2", True), ("8.0", True), ("9.0", False)],
)
def test_aiosql_4_to_8_gets_setuptools_because_it_imports_pkg_resources(
    tmp_path: Path, version: str, gets_setuptools: bool
) -> None:
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), locked("aiosql", version))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    dockerfile = plan(root, env={}, cli={}).files["Dockerfile"]

    assert ("requirements.setuptools.txt" in dockerfile) is gets_setuptools


@pytest.mark.parametrize(
    ("version", "gets_setuptools"),
    [("1.0.1", True), ("1.1.0", True), ("1.1.1", True), ("1.1.2", False), ("2.6.5", False)],
)
def test_tracerite_before_1_1_2_gets_setuptools_because_it_imports_pkg_resources(
    tmp_path: Path, version: str, gets_setuptools: bool
) -> None:
    """Sanic 23.6 imports tracerite, whose 1.0.1 to 1.1.1 import pkg_resources."""
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), locked("tracerite", version))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    dockerfile = plan(root, env={}, cli={}).files["Dockerfile"]

    assert ("requirements.setuptools.txt" in dockerfile) is gets_setuptools


@pytest.mark.parametrize(
    ("version", "gets_setuptools"),
    [("1.16.2", False), ("1.16.3", True), ("1.19.0", True), ("2.13.0", True), ("2.14.0", False)],
)
def test_dash_1_16_3_to_2_13_gets_setuptools_because_it_imports_pkg_resources(
    tmp_path: Path, version: str, gets_setuptools: bool
) -> None:
    """moaazsidat/dash-playground locks Dash 1.19, whose dash.py imports pkg_resources."""
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), locked("dash", version))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    dockerfile = plan(root, env={}, cli={}).files["Dockerfile"]

    assert ("requirements.setuptools.txt" in dockerfile) is gets_setuptools
