"""The authors' own evidence of how they start the project (Procfile, Dockerfile, compose
files), read as text, chooses among several apps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quatrain.detectors.detect import detect
from quatrain.errors import DetectionError
from quatrain.reading import evidence
from quatrain.reading.project import load_project
from quatrain.settings.options import Options
from unit.conftest import lock_text, locked, write_project

FIXTURE = Path(__file__).parents[1] / "projects" / "authors-evidence"
LOCK = lock_text(locked("fastapi", "0.115.0"), locked("uvicorn", "0.30.0"))


def fixture_copy(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(FIXTURE, root)
    files = {"pyproject.toml": (root / "pyproject.toml").read_text(encoding="utf-8")}
    return write_project(root, files, lock=LOCK)


def test_of_two_apps_the_one_the_authors_compose_file_starts_is_served(tmp_path: Path) -> None:
    spec = detect(load_project(fixture_copy(tmp_path)), Options())

    assert spec.app == "service.main:app"
    assert spec.found_in == (
        "service/main.py: app (the one deploy/docker-compose.yml runs; not "
        "`sensor.http_service:app`)"
    )


def test_without_the_evidence_the_two_apps_are_the_users_choice(tmp_path: Path) -> None:
    root = fixture_copy(tmp_path)
    (root / "deploy/docker-compose.yml").unlink()

    with pytest.raises(DetectionError, match="Found more than one app"):
        detect(load_project(root), Options())


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        ("Procfile", "web: gunicorn shop.wsgi:app --log-file -\n", True),
        ("Dockerfile", 'CMD ["uvicorn", "shop.wsgi:app", "--port", "80"]\n', True),
        ("docker/Dockerfile.prod", "CMD gunicorn 'shop.wsgi:app'\n", True),
        ("fly.toml", '[processes]\napp = "gunicorn shop.wsgi:app"\n', True),
        ("Procfile", "web: gunicorn myshop.wsgi:app\n", False),  # another module
        ("Procfile", "web: gunicorn shop.wsgi:application\n", False),  # another attribute
        ("tests/Procfile", "web: gunicorn shop.wsgi:app\n", False),  # not the authors' start
    ],
)
def test_evidence_names_a_target_only_as_a_whole_word_in_the_files_that_start_a_project(
    tmp_path: Path, name: str, text: str, named: bool
) -> None:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text, encoding="utf-8")

    found = evidence.naming(evidence.evidence(tmp_path), "shop.wsgi:app")

    assert found == (name if named else None)
