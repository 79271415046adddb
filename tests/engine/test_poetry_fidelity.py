"""Poetry fidelity: lock checks that stop before the engine, and test/lint stages that gate."""

from __future__ import annotations

import uuid
from pathlib import Path

from engine_support import Quatrain, locked_copy, stage_names

FAILING_TEST = """
def test_that_fails() -> None:
    assert 1 + 1 == 3, "this project's own test fails"
"""


def test_a_failing_project_test_breaks_the_gated_production_build(
    quatrain: Quatrain, tmp_path: Path, index_url: str, image_tag: str
) -> None:
    project = locked_copy("flask-factory", tmp_path, index_url)
    (project / "tests" / "test_broken.py").write_text(FAILING_TEST)

    ungated = quatrain("build", str(project), "--tag", f"{image_tag}:ungated")
    assert "test" not in stage_names(ungated.stderr)  # BuildKit skips what nothing needs

    gated = quatrain("build", str(project), "--gate", "true", "--tag", f"{image_tag}:gated",
                     check=False)  # fmt: skip
    assert gated.returncode == 6
    assert "this project's own test fails" in gated.stderr
    assert "quatrain: error: The image build failed" in gated.stderr


def test_a_passing_project_test_lets_the_gated_build_through(
    quatrain: Quatrain, tmp_path: Path, index_url: str, image_tag: str
) -> None:
    project = locked_copy("flask-factory", tmp_path, index_url)
    # A test of its own, unique: the engine's build cache outlives the test run, and a cached
    # test stage would prove nothing.
    unique = f"test_that_passes_{uuid.uuid4().hex}"
    (project / "tests" / "test_unique.py").write_text(f"def {unique}() -> None:\n    pass\n")

    result = quatrain("build", str(project), "--gate", "true", "--tag", f"{image_tag}:gate-ok")
    assert "test" in stage_names(result.stderr)
    assert "2 passed" in result.stderr


def test_a_stale_lock_is_refused_before_the_engine_starts(
    quatrain: Quatrain, tmp_path: Path, index_url: str
) -> None:
    project = locked_copy("flask-factory", tmp_path, index_url)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"gunicorn>=23.0"', '"gunicorn>=24.0"'))
    result = quatrain("build", str(project), check=False)
    assert result.returncode == 3
    assert result.stderr.strip() == (
        "quatrain: error: pyproject.toml changed significantly since poetry.lock was last "
        f"generated ({project}). Run `poetry lock` to fix the lock file, then build again."
    )


def test_a_missing_lock_is_refused_and_never_locked_behind_the_users_back(
    quatrain: Quatrain, tmp_path: Path, index_url: str
) -> None:
    project = locked_copy("flask-factory", tmp_path, index_url)
    (project / "poetry.lock").unlink()
    result = quatrain("build", str(project), check=False)
    assert result.returncode == 3
    assert "has no poetry.lock" in result.stderr
    assert "Run `poetry lock` and commit poetry.lock." in result.stderr
    assert not (project / "poetry.lock").exists()
