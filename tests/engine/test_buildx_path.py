"""The buildx path: the 28.x client with trixie's buildx plugin (docker driver) against the same
engine, for a representative few of what the classic path is tested with: build and verify both
images (cache and bind mounts), a build-time secret, and a push from the builder."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from engine_support import Quatrain, django_site_new_to_the_cache, docker, locked_copy
from shipping import Registry
from test_private_source import occurrences

from quatrain import engines


def test_verify_builds_and_checks_both_images_through_buildx(
    quatrain_buildx: Quatrain, tmp_path: Path, index_url: str, image_tag: str
) -> None:
    project = locked_copy("flask-factory", tmp_path, index_url)

    result = quatrain_buildx("verify", str(project), "--image-name", f"{image_tag}-buildx")

    assert "buildx build --load --progress=plain" in result.stderr
    assert result.stderr.count("[ok] serve: answered HTTP 200 on $PORT=18080") == 2
    assert result.stderr.rstrip().endswith("Both images verified.")


def test_a_build_env_secret_reaches_collectstatic_through_buildx_and_no_layer(
    quatrain_buildx: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    project = django_site_new_to_the_cache(tmp_path, index_url, key_from_environment=True)
    secret = f"build-only-{uuid.uuid4().hex}"
    tag = f"{image_tag}:buildx-build-env"

    quatrain_buildx(
        "build", str(project), "--tag", tag, "--build-env", f"DJANGO_SECRET_KEY={secret}"
    )

    collected = docker(
        engine, "run", "--rm", "--network", "none", "--entrypoint", "ls", tag, "/opt/static/mysite"
    )
    assert collected.stdout.split()
    assert occurrences(engine, tag, secret.encode()) == []


@pytest.mark.registry
def test_buildx_pushes_from_the_builder_with_the_inline_cache_and_keeps_the_image(
    quatrain_buildx: Quatrain, engine: engines.Engine, registry: Registry,
    flask_project: Path,
) -> None:  # fmt: skip
    repository = f"{registry.host}/buildx-{uuid.uuid4().hex[:8]}"

    pushed = quatrain_buildx(
        "build", str(flask_project), "--push", "-t", f"{repository}:1", "--cache-ref",
        f"{repository}-cache",
    )  # fmt: skip

    log = pushed.stderr
    assert "buildx build --push --progress=plain" in log
    assert "--build-arg BUILDKIT_INLINE_CACHE=1" in log
    assert f"pushing {repository}:1 with docker" in log
    assert f"pushing {repository}-cache:production with docker" in log
    assert f"+ {quatrain_buildx.engine.binary} push" not in log  # the builder pushed
    docker(engine, "image", "inspect", f"{repository}:1")  # and the engine has it too
