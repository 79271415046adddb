"""Shipping: push to a real registry, pull back on a clean engine and verify, the engine's own
login, and a build cache in the registry that a second engine builds from."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest
from engine_support import Quatrain, build_steps, docker, locked_copy
from shipping import QuatrainWith, Registry

from quatrain import engines

pytestmark = pytest.mark.registry


def edit(project: Path) -> str:
    """A source edit unique to this run (the build cache outlives it)."""
    text = f"edited {uuid.uuid4().hex}"
    source = project / "src" / "factory_app" / "__init__.py"
    source.write_text(re.sub(r'GREETING = ".*"', f'GREETING = "{text}"', source.read_text()))
    return text


def on(engine: engines.Engine) -> Quatrain:
    return QuatrainWith(engine, extra={"DOCKER_HOST": engine.env["DOCKER_HOST"]})


def steps_matching(steps: dict[str, bool], fragment: str) -> list[bool]:
    found = [cached for title, cached in steps.items() if fragment in title]
    assert found, f"no step with {fragment!r} in {sorted(steps)}"
    return found


def test_pushed_tags_are_pulled_back_on_a_clean_engine_and_verified_without_a_build(
    quatrain: Quatrain, registry: Registry, engine_b: engines.Engine, tmp_path: Path,
    index_url: str,
) -> None:  # fmt: skip
    project = locked_copy("flask-factory", tmp_path, index_url)
    greeting = edit(project)
    repository = f"{registry.host}/shop-{uuid.uuid4().hex[:8]}"

    quatrain("build", str(project), "--push", "-t", f"{repository}:1", "-t", f"{repository}:latest")

    verified = on(engine_b)("verify", str(project), "--from-registry", f"{repository}:latest")
    log = verified.stderr
    assert f"+ {engine_b.binary} pull {repository}:latest" in log
    assert "[ok] serve: answered HTTP 200 on $PORT=18080" in log
    assert "Building" not in log
    assert log.rstrip().endswith(f"{repository}:latest verified.")
    same = docker(engine_b, "run", "--rm", "--network", "none", f"{repository}:latest",
                  "python", "-c", "import factory_app; print(factory_app.GREETING)")  # fmt: skip
    assert same.stdout.strip() == greeting
    # The image's SBOM is in the registry too, an artifact whose subject is the pushed manifest
    # (Distribution 2.8 has no referrers API: the index under the referrers tag lists it).
    name = repository.partition("/")[2]
    digest = "sha256:" + hashlib.sha256(_get(registry, f"{name}/manifests/latest")).hexdigest()
    index = json.loads(_get(registry, f"{name}/manifests/sha256-{digest[7:]}"))
    [entry] = index["manifests"]
    assert entry["artifactType"] == "application/vnd.cyclonedx+json"
    artifact = json.loads(_get(registry, f"{name}/manifests/{entry['digest']}"))
    assert artifact["subject"]["digest"] == digest
    [layer] = artifact["layers"]
    in_image = docker(engine_b, "run", "--rm", "--network", "none", "--entrypoint", "cat",
                      f"{repository}:latest", "/usr/share/doc/quatrain/sbom.cdx.json")  # fmt: skip
    assert _get(registry, f"{name}/blobs/{layer['digest']}").decode() == in_image.stdout


def _get(registry: Registry, path: str) -> bytes:
    accept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    accept += "application/vnd.docker.distribution.manifest.v2+json"
    request = urllib.request.Request(
        f"http://{registry.host}/v2/{path}", headers={"Accept": accept}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return bytes(response.read())


def test_a_registry_behind_auth_says_docker_login_until_the_engine_is_logged_in(
    quatrain: Quatrain, engine: engines.Engine, auth_registry: Registry,
    flask_project: Path, tmp_path: Path,
) -> None:  # fmt: skip
    # A DOCKER_CONFIG of this test's own: the login must not reach the user's ~/.docker.
    config = {"DOCKER_CONFIG": str(tmp_path / "docker-config")}
    tag = f"{auth_registry.host}/private/shop:{uuid.uuid4().hex[:8]}"

    refused = quatrain("build", str(flask_project), "--push", "-t", tag, extra_env=config,
                       check=False)  # fmt: skip
    assert refused.returncode == 9, refused.stderr[-2000:]
    assert f"Run `docker login {auth_registry.host}` and try again" in refused.stderr

    login = subprocess.run(
        [engine.binary, "login", auth_registry.host, "--username", str(auth_registry.username),
         "--password-stdin"],
        input=str(auth_registry.password), env={**os.environ, **config},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert login.returncode == 0, login.stderr
    pushed = quatrain("build", str(flask_project), "--push", "-t", tag, extra_env=config)
    assert f"{tag.rpartition(':')[2]}: digest: sha256:" in pushed.stderr


def test_an_unreachable_registry_is_exit_9_in_plain_words(
    quatrain: Quatrain, flask_project: Path
) -> None:
    refused = quatrain("verify", str(flask_project), "--from-registry", "127.0.0.1:9/shop:1",
                       check=False)  # fmt: skip

    assert refused.returncode == 9
    assert "quatrain: error: The registry 127.0.0.1:9 could not be reached to pull" in (
        refused.stderr
    )


def test_a_second_engine_builds_a_code_edit_from_the_registry_cache_the_first_pushed(
    quatrain: Quatrain, engine_b: engines.Engine, registry: Registry, tmp_path: Path,
    index_url: str,
) -> None:  # fmt: skip
    project = locked_copy("flask-factory", tmp_path, index_url)
    edit(project)
    cache = f"{registry.host}/cache-{uuid.uuid4().hex[:8]}"
    quatrain("build", str(project), "--cache-ref", cache, "--push", "-t", f"{cache}-app:1")
    greeting = edit(project)
    docker(engine_b, "builder", "prune", "--all", "--force")  # B has built nothing

    built = on(engine_b)("build", str(project), "--cache-ref", cache, "-t", "shop:edited")

    # Two builds: the build stage (its own inline cache, tag `build`), then production.
    stage_build, production_build = built.stderr.split("==> Building production image", 1)
    assert f"importing cache manifest from {cache}:build" in stage_build
    assert f"importing cache manifest from {cache}:production" in production_build
    # B installs Poetry and the locked dependencies from neither index: those steps come from
    # the build stage's image A pushed; only the edited sources and what follows them run.
    steps = build_steps(stage_build)
    assert all(steps_matching(steps, '"poetry==2.5.1" "poetry-plugin-export=='))
    assert all(steps_matching(steps, "uv pip install --require-hashes"))
    assert not any(steps_matching(steps, "COPY src/ ./src/"))
    assert not any(steps_matching(steps, "uv build --wheel"))
    # Production's own steps before the venv come from its inline cache.
    assert all(steps_matching(build_steps(production_build), "[production 2/"))
    ran = docker(engine_b, "run", "--rm", "--network", "none", "shop:edited",
                 "python", "-c", "import factory_app; print(factory_app.GREETING)")  # fmt: skip
    assert ran.stdout.strip() == greeting
