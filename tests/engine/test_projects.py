"""Every kind of project builds both images with zero configuration and passes its own
`verify` script inside each image, after `quatrain verify` has checked serving and stopping."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from engine_support import PROJECTS, Quatrain, docker, locked_copy

from quatrain import engines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def hadolint() -> str:
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert found, "hadolint is a test dependency: pip install -e '.[test]'"
    return found


def expected(case: str) -> tuple[str, str]:
    """(detector, app) that `quatrain inspect` must report, from the project's expected.toml."""
    found = tomllib.loads((PROJECTS / case / "expected.toml").read_text(encoding="utf-8"))
    return found["detector"], found["app"]


# Every project with an expected.toml: a new fixture is tested by adding the file.
CASES = sorted(path.parent.name for path in PROJECTS.glob("*/expected.toml"))


@pytest.mark.parametrize("case", CASES)
def test_the_project_builds_verifies_and_passes_its_checks_inside_both_images(
    case: str, quatrain: Quatrain, engine: engines.Engine, tmp_path: Path,
    index_url: str, image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy(case, tmp_path, index_url)
    serve = json.loads(quatrain("inspect", "--json", str(project)).stdout)["serve"]
    assert (serve["detector"], serve["app"]) == expected(case)

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
