"""The Dockerfile people read and commit: its size set by the project's shape, never by its
lock; a lock bump changes one line; lines a reviewer can read."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from quatrain.dockerfile import generated
from quatrain.dockerfile.render import DOCKERFILE
from quatrain.pipeline import make_plan
from unit import test_render
from unit.conftest import flask_project, lock_text, locked

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"
FACTORY = "from flask import Flask\n\n\ndef create_app():\n    return Flask(__name__)\n"


def committed(root: Path) -> str:
    """The Dockerfile as init writes it: stamped with its digest line."""
    return generated.stamp(make_plan(root, env={}, cli={}).files[DOCKERFILE])


def shop_with_lock(root: Path, size: int, *, bumped: bool = False) -> Path:
    """The same Flask app with `size` locked packages: flask, gunicorn and a chain of others,
    each with wheels for several platforms; `bumped` raises the first of them a version."""
    others = [f"pkg{i:05d}" for i in range(size - 2)]
    entries = [locked("flask", "3.1.3"), locked("gunicorn", "23.0.0")]
    tags = ("cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-win_amd64", "py3-none-any")
    for index, name in enumerate(others):
        version = "2.0.0" if bumped and index == 0 else "1.0.0"
        entries.append(locked(name, version, wheel_tags=tags))
    return flask_project(root, {"shop/__init__.py": FACTORY}, lock=lock_text(*entries))


def test_the_example_fits_a_page() -> None:
    dockerfile = committed(EXAMPLE)

    assert len(dockerfile.splitlines()) <= 130
    assert len(dockerfile.encode("utf-8")) <= 8 * 1024


def test_the_dockerfile_does_not_grow_with_the_lock(tmp_path: Path) -> None:
    sizes = {n: committed(shop_with_lock(tmp_path / str(n), n)) for n in (7, 100, 1000)}

    lines = {n: len(text.splitlines()) for n, text in sizes.items()}
    sizes_in_bytes = {n: len(text.encode("utf-8")) for n, text in sizes.items()}
    assert len(set(lines.values())) == 1, lines
    assert len(set(sizes_in_bytes.values())) == 1, sizes_in_bytes
    assert "pkg00000" not in sizes[1000]  # no locked package reaches the Dockerfile


def test_a_lock_bump_changes_the_recorded_digest_line_and_nothing_else(tmp_path: Path) -> None:
    before = committed(shop_with_lock(tmp_path / "before", 100))
    after = committed(shop_with_lock(tmp_path / "after", 100, bumped=True))

    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line.startswith(("-", "+")) and not line.startswith(("---", "+++"))
    ]
    # The check that the files are those init wrote for, and init's own digest of the file.
    assert [line[1:].split(maxsplit=1)[0] for line in changed] == ["#", "#", "RUN", "RUN"]
    assert sum(1 for line in changed if "quatrain-digest:" in line) == 2
    assert sum(1 for line in changed if "poetry.lock:" in line) == 2


SHAPES = {
    "shop": test_render.shop,
    "console script": test_render.greeter,
    "package-mode = false": test_render.non_package,
    "django with collectstatic": test_render.django_site,
    "fastapi": test_render.fastapi_app,
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_no_line_is_longer_than_a_reviewer_reads(shape: str, tmp_path: Path) -> None:
    for dockerfile in (committed(EXAMPLE), committed(SHAPES[shape](tmp_path))):
        long_lines = [line for line in dockerfile.splitlines() if len(line) > 200]

        assert long_lines == []
