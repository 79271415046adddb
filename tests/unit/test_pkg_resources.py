"""setuptools comes with the packages known to import pkg_resources at run time, by version."""

from __future__ import annotations

from pathlib import Path

import pytest

from quatrain.pipeline import make_plan
from unit.conftest import flask_project, lock_text, locked

FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


# (package, version, gets setuptools): the edges of each range in resources/pkg-resources.toml,
# read in every release on PyPI.
CASES = [
    # aiosql 4 to 8 (nsidnev/fastapi-realworld-example-app locks 6.2)
    *[("aiosql", v, gets) for v, gets in
      [("3.4.1", False), ("4.0", True), ("6.2", True), ("8.0", True), ("9.0", False)]],
    # tracerite 1.0.1 to 1.1.1, which Sanic 23.6 imports (super16/my-locations)
    *[("tracerite", v, gets) for v, gets in
      [("1.0.1", True), ("1.1.0", True), ("1.1.1", True), ("1.1.2", False), ("2.6.5", False)]],
    # Dash 1.16.3 to 2.13, whose dash.py imports it (moaazsidat/dash-playground locks 1.19)
    *[("dash", v, gets) for v, gets in
      [("1.16.2", False), ("1.16.3", True), ("1.19.0", True), ("2.13.0", True),
       ("2.14.0", False)]],
    # APScheduler up to 3.10.1, whose __init__.py imports it (Sara2002a/voice-bot1 locks 3.6.3)
    *[("apscheduler", v, gets) for v, gets in
      [("3.6.3", True), ("3.10.1", True), ("3.10.2", False), ("3.11.0", False)]],
]  # fmt: skip


@pytest.mark.parametrize(("package", "version", "gets_setuptools"), CASES)
def test_a_package_that_imports_pkg_resources_gets_setuptools_in_those_versions_only(
    tmp_path: Path, package: str, version: str, gets_setuptools: bool
) -> None:
    lock = lock_text(locked("flask"), locked("gunicorn", "23.0.0"), locked(package, version))
    root = flask_project(tmp_path, {"shop/__init__.py": FACTORY}, lock=lock)

    dockerfile = make_plan(root, env={}, cli={}).files["Dockerfile"]

    assert ("requirements.setuptools.txt" in dockerfile) is gets_setuptools
