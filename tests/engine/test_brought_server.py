"""A WSGI app whose lock has no server: production runs the gunicorn quatrain brings, pinned by
hash, and the SBOM says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from engine_support import Quatrain, locked_copy
from test_sbom import LIST_DISTRIBUTIONS, in_image, listed

from quatrain import engines
from quatrain.dockerfile.sbom import SBOM_PATH
from quatrain.reading.lock import canonical_name


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
    inside = json.loads(in_image(engine, f"{name}:latest", "/opt/venv/bin/python", "-c",
                                 LIST_DISTRIBUTIONS))  # fmt: skip
    found = {(canonical_name(name), version) for name, version in inside["found"]}
    assert ("gunicorn", "27.0.1") in found
    assert listed(json.loads(in_image(engine, f"{name}:latest", "cat", SBOM_PATH))) == found
