"""build-env: settings that only a build step needs (Django's collectstatic) reach that step as
a BuildKit secret and end up in no layer, no history and no config of the image."""

from __future__ import annotations

import uuid
from pathlib import Path

from engine_support import Quatrain, django_site_new_to_the_cache, docker
from test_private_source import occurrences

from quatrain import engines


def test_collectstatic_gets_a_build_time_secret_key_that_no_image_keeps(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    # As real sites write it: no default, the key must come from the environment.
    project = django_site_new_to_the_cache(tmp_path, index_url, key_from_environment=True)
    secret = f"build-only-{uuid.uuid4().hex}"
    tag = f"{image_tag}:build-env"

    refused = quatrain("build", str(project), "--tag", tag, check=False)
    assert refused.returncode == 6
    assert "KeyError: 'DJANGO_SECRET_KEY'" in refused.stdout + refused.stderr

    quatrain("build", str(project), "--tag", tag, "--build-env", f"DJANGO_SECRET_KEY={secret}")
    collected = docker(
        engine, "run", "--rm", "--network", "none", "--entrypoint", "ls", tag, "/opt/static/mysite"
    )
    assert collected.stdout.split()  # the static files were collected at build time
    assert occurrences(engine, tag, secret.encode()) == []


def test_new_build_env_settings_re_run_collectstatic_though_the_secret_is_not_in_the_cache_key(
    quatrain: Quatrain, engine: engines.Engine, tmp_path: Path, index_url: str,
    image_tag: str,
) -> None:  # fmt: skip
    project = django_site_new_to_the_cache(tmp_path, index_url)
    tag = f"{image_tag}:build-env-digest"

    # The settings choose where collectstatic writes: the second build must run it again.
    for static_root in ("/opt/static-a", "/opt/static-b"):
        quatrain(
            "build", str(project), "--tag", tag, "--build-env", f"DJANGO_STATIC_ROOT={static_root}"
        )

    listed = docker(engine, "run", "--rm", "--network", "none", "--entrypoint", "ls", tag, "/opt")
    assert "static-b" in listed.stdout.split()
