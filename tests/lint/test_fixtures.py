"""Every fixture project's own `verify` script is run by some engine test: none is forgotten."""

from __future__ import annotations

from pathlib import Path

PROJECTS = Path(__file__).parents[1] / "projects"
ENGINE_TESTS = Path(__file__).parents[1] / "engine"


def test_every_fixture_with_a_verify_script_is_run_by_an_engine_test() -> None:
    engine_sources = "\n".join(p.read_text(encoding="utf-8") for p in ENGINE_TESTS.glob("*.py"))
    forgotten = [
        verify.parent.name
        for verify in sorted(PROJECTS.glob("*/verify"))
        # test_projects.py runs every project with an expected.toml; others are named by the
        # engine test that builds them.
        if not (verify.parent / "expected.toml").is_file()
        and f'"{verify.parent.name}"' not in engine_sources
    ]
    assert forgotten == []
