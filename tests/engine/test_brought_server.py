"""A WSGI app whose lock has no server: production runs the gunicorn quatrain brings, pinned by
hash, and the SBOM says so, by its pin's hash."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

from engine_support import Quatrain, locked_copy
from test_sbom import check_against_image

from quatrain import engines


def test_a_flask_app_without_gunicorn_in_its_lock_is_served_by_the_pinned_one(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy("flask-factory", tmp_path, index_url)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert ', "gunicorn>=23.0"' in text
    # As many projects are: Flask alone, served by its own development server until now. New
    # to BuildKit's cache on every run (the description is in the SBOM and the labels).
    text = text.replace(', "gunicorn>=23.0"', "").replace(
        'description = "', f'description = "{uuid.uuid4().hex[:8]} '
    )
    pyproject.write_text(text)
    subprocess.run(
        [sys.executable, "-m", "poetry", "lock", "--no-interaction"], cwd=project, check=True,
        capture_output=True, env={**os.environ, "POETRY_VIRTUALENVS_CREATE": "false"},
    )  # fmt: skip
    assert 'name = "gunicorn"' not in (project / "poetry.lock").read_text()
    name = f"{image_tag}-brought"  # the session's repository prefix: removed at its end

    verified = quatrain("verify", str(project), "--image-name", name)

    assert "locks no server for its flask app: production runs gunicorn 27.0.1" in (verified.stderr)
    assert "[ok] serve: answered HTTP 200 on $PORT" in verified.stderr
    document = check_against_image(engine, f"{name}:latest", project)
    gunicorn = next(c for c in document["components"] if c["name"] == "gunicorn")
    assert gunicorn["version"] == "27.0.1"
    assert gunicorn["properties"] == [
        {"name": "quatrain:installed-from", "value": "pinned by quatrain"}
    ]
    assert gunicorn["hashes"] == [
        {"alg": "SHA-256",
         "content": "378b26b9a38adcf4592f28828233c1716acc55e833ea06bf48719782efaa0d10"}
    ]  # fmt: skip
