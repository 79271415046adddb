"""The layers of pyproject.toml's [tool.importlinter] hold: every stage imports only the stages
before it, and no folder's modules import each other in a circle."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def lint_imports() -> str:
    found = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which(
        "lint-imports"
    )
    if found is None:
        pytest.fail("lint-imports is missing: install the test extra (import-linter)")
    return found


def test_every_stage_imports_only_earlier_stages_and_no_folder_has_a_circle() -> None:
    result = subprocess.run(
        [lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_a_later_stage_imported_by_an_earlier_one_breaks_the_contract(tmp_path: Path) -> None:
    """The check can fail: a copy of the package whose reading stage imports the pipeline."""
    shutil.copytree(ROOT / "src" / "quatrain", tmp_path / "quatrain")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    revision = tmp_path / "quatrain" / "reading" / "revision.py"
    revision.write_text(revision.read_text() + "\nfrom quatrain import pipeline  # noqa\n")
    result = subprocess.run(
        [lint_imports(), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode != 0
    assert "quatrain.reading.revision -> quatrain.pipeline" in result.stdout
