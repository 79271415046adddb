"""`quatrain build` and `quatrain verify` end to end: caching, the user's tree, failures."""

from __future__ import annotations

import uuid
from pathlib import Path

from engine_support import Quatrain, build_steps, docker, locked_copy

from quatrain import engines


def step_cached(steps: dict[str, bool], fragment: str) -> bool:
    matching = [cached for title, cached in steps.items() if fragment in title]
    assert len(matching) == 1, f"expected one step with {fragment!r} in {sorted(steps)}"
    return matching[0]


def test_a_source_edit_rebuilds_both_images_without_reinstalling_dependencies(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy("flask-factory", tmp_path, index_url)
    production, development = f"{image_tag}:edit-production", f"{image_tag}:edit-development"
    quatrain("build", str(project), "--tag", production)
    quatrain("build", str(project), "--target", "development", "--tag", development)
    # Unique text: the engine's build cache outlives the test run and remembers earlier edits.
    edited = f"edited {uuid.uuid4().hex}"
    source = project / "src" / "factory_app" / "__init__.py"
    source.write_text(source.read_text().replace('"hello from factory_app"', f'"{edited}"'))

    rebuilt = build_steps(quatrain("build", str(project), "--tag", production).stderr)
    assert step_cached(rebuilt, "poetry export")
    assert step_cached(rebuilt, "uv pip install --require-hashes")
    assert step_cached(rebuilt, "COPY --from=build /opt/venv /opt/venv")
    assert not step_cached(rebuilt, "uv build --wheel")  # the edit was seen

    rebuilt_dev = build_steps(
        quatrain("build", str(project), "--target", "development", "--tag", development).stderr
    )
    assert step_cached(rebuilt_dev, "poetry install --no-root")
    assert not step_cached(rebuilt_dev, "poetry install --only-root")

    for image in (production, development):
        greeting = docker(
            engine, "run", "--rm", "--network", "none", image,
            "python", "-c", "import factory_app; print(factory_app.GREETING)",
        )  # fmt: skip
        assert greeting.stdout.strip() == edited


def test_build_without_init_leaves_the_tree_alone_and_keeps_ignored_files_out(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy("flask-factory", tmp_path, index_url)
    (project / ".venv").mkdir()
    (project / ".venv" / "stray").write_text("a local virtualenv must not reach the image")
    (project / ".env").write_text("SECRET=do-not-ship")
    before = sorted(str(p.relative_to(project)) for p in project.rglob("*"))

    tag = f"{image_tag}:no-init"
    quatrain("build", str(project), "--target", "development", "--tag", tag)

    assert sorted(str(p.relative_to(project)) for p in project.rglob("*")) == before
    listing = docker(engine, "run", "--rm", "--network", "none", tag, "ls", "-A", "/app")
    assert ".venv" not in listing.stdout.split()
    assert ".env" not in listing.stdout.split()
    assert "src" in listing.stdout.split()


def test_verify_checks_both_images_and_a_clean_stop_on_sigterm(
    quatrain: Quatrain, flask_project: Path, image_tag: str
) -> None:
    result = quatrain("verify", str(flask_project), "--image-name", f"{image_tag}-verify")
    log = result.stderr
    assert "[ok] import: `python -c 'import factory_app'` works" in log
    assert log.count("[ok] serve: answered HTTP 200 on $PORT=18080") == 2
    assert "[ok] stop: stopped cleanly on SIGTERM (exit 0)" in log
    assert log.rstrip().endswith("Both images verified.")


def test_verify_fails_with_its_own_exit_code_when_the_app_errors(
    quatrain: Quatrain, tmp_path: Path, index_url: str, image_tag: str
) -> None:
    project = locked_copy("flask-factory", tmp_path, index_url)
    source = project / "src" / "factory_app" / "__init__.py"
    source.write_text(source.read_text().replace("return GREETING", "raise RuntimeError('boom')"))
    result = quatrain("verify", str(project), "--image-name", f"{image_tag}-broken", check=False)
    assert result.returncode == 7
    assert "[FAILED] serve: no good answer on $PORT=18080" in result.stderr
    assert "answered HTTP 500" in result.stderr
    assert "quatrain: error: The images were built, but these checks failed: production: serve" in (
        result.stderr
    )


def test_run_builds_then_runs_a_command_with_the_given_environment(
    quatrain: Quatrain, flask_project: Path, image_tag: str
) -> None:
    script = "import os, factory_app; print(factory_app.GREETING, os.environ['GREETING_TO'])"
    result = quatrain(
        "run", str(flask_project), "--tag", f"{image_tag}:run", "--run-env", "GREETING_TO=docker",
        "--", "python", "-c", script,
    )  # fmt: skip
    assert result.stdout.strip().splitlines()[-1] == "hello from factory_app docker"
