"""The Dockerfile with an assets stage (npm for django-npm's collectstatic) passes hadolint."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from quatrain.dockerfile.render import DOCKERFILE
from quatrain.pipeline import make_plan
from unit.test_node_packages import BOTH, _site


def test_the_dockerfile_with_an_assets_stage_has_no_hadolint_finding(tmp_path: Path) -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint is a test dependency: pip install -e '.[test]'"
    root = _site(tmp_path / "site", npm_files=BOTH, django_npm=True)
    dockerfile = tmp_path / DOCKERFILE
    dockerfile.write_text(make_plan(root, env={}, cli={}).files[DOCKERFILE])

    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(dockerfile)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert (result.returncode, result.stdout) == (0, "")
