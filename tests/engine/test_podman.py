"""Podman as the engine: quatrain builds, runs and verifies with it, and the article's usages
work with `podman` in place of `docker` on the same generated Dockerfile.

Podman keeps a layer cache of its own across runs, as BuildKit does: every project here gets
a README line unique to the run, so that what is checked was built by this run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from engine_support import PROJECTS, Quatrain, docker, locked_copy
from shipping import BASE_IMAGES, QuatrainWith, Registry
from test_push_and_cache import edit
from test_seed_usages import http_status

from quatrain import engines


@pytest.fixture(scope="session")
def podman() -> engines.Engine:
    binary = engines.binary_for("podman", os.environ.get("QUATRAIN_PODMAN"))
    try:
        return engines.connect(binary, dict(os.environ), kind="podman")
    except Exception as error:  # noqa: BLE001 - any failure here means: no podman
        pytest.fail(f"the podman tests need Podman 4 (run scripts/testbed.sh): {error}")


@pytest.fixture(scope="session")
def quatrain_podman(podman: engines.Engine) -> Quatrain:
    return Quatrain(podman)


@pytest.fixture(scope="session")
def podman_tag(podman: engines.Engine) -> Iterator[str]:
    """A repository unique to this run in Podman's store, emptied at the end."""
    repository = f"quatrain-podman-{uuid.uuid4().hex[:8]}"
    yield repository
    listed = engines.capture(podman, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}")
    # Podman names a local image without a registry localhost/NAME.
    tags = [t for t in listed.stdout.split() if t.startswith(f"localhost/{repository}")]
    if tags:
        engines.capture(podman, "image", "rm", "--force", *tags)


def unique_copy(case: str, destination: Path, index_url: str) -> Path:
    project = locked_copy(case, destination, index_url)
    readme = project / "README.md"
    readme.write_text(readme.read_text() + f"\nBuilt by run {uuid.uuid4().hex}.\n")
    return project


def podman_build(
    podman: engines.Engine, project: Path, tag: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`podman build` as the README tells a user to type it after `quatrain init`."""
    result = subprocess.run(
        [podman.binary, "build", "--format", "docker", "--network", "host", "--tag", tag,
         *extra, str(project)],
        env=dict(os.environ), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def podman_stages(output: str) -> set[str]:
    """The stages Podman ran: it prints `[2/4] STEP 1/9: FROM python:... AS build` for each."""
    return set(re.findall(r"STEP 1/\d+: FROM \S+ AS (\S+)", output))


def image_inspect(podman: engines.Engine, image: str, field: str) -> object:
    return json.loads(
        docker(podman, "image", "inspect", "--format", f"{{{{json {field}}}}}", image).stdout
    )


def test_verify_with_engine_podman_builds_and_checks_both_images_with_podman_only(
    quatrain_podman: Quatrain, tmp_path: Path, index_url: str, podman_tag: str
) -> None:
    """A console tool, whose checks run commands; a web app's serve and stop checks on Podman
    are those of the pushed image below, and its development server that of usage 4."""
    project = unique_copy("console-tool", tmp_path, index_url)
    result = quatrain_podman(
        "verify", str(project), "--engine", "podman", "--image-name", f"{podman_tag}-console"
    )
    log = result.stderr
    commands = [line for line in log.splitlines() if line.startswith("+ ")]
    assert commands, log
    assert all(line.startswith(f"+ {quatrain_podman.engine.binary} ") for line in commands)
    builds = [line for line in commands if " build --format docker " in line]
    assert len(builds) == 2
    assert all("--ignorefile" in line for line in builds)  # the rendered Dockerfile's rules
    assert log.count("[ok] import:") == 2
    assert log.count("[ok] command:") == 2
    assert log.rstrip().endswith("Both images verified.")


def test_the_engine_may_come_from_pyproject_and_the_dockerfile_is_the_same_for_both(
    quatrain_podman: Quatrain, flask_project: Path, tmp_path: Path, index_url: str
) -> None:
    docker_file = quatrain_podman("init", "--stdout", str(flask_project)).stdout
    podman_file = quatrain_podman("init", "--stdout", "--engine", "podman", str(flask_project))
    from_env = quatrain_podman(
        "init", "--stdout", str(flask_project), extra_env={"QUATRAIN_ENGINE": "podman"}
    )
    assert podman_file.stdout == docker_file == from_env.stdout
    project = locked_copy("flask-factory", tmp_path, index_url)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.quatrain]\nengine = "podman"\n')
    inspected = quatrain_podman("inspect", "--json", str(project)).stdout
    assert json.loads(inspected)["options"]["engine"] == {"value": "podman", "source": "pyproject"}


@pytest.fixture(scope="module")
def initialized(
    tmp_path_factory: pytest.TempPathFactory, index_url: str, quatrain: Quatrain
) -> Path:
    project = unique_copy("flask-factory", tmp_path_factory.mktemp("podman-init"), index_url)
    (project / ".env").write_text("SECRET=do-not-ship\n")
    quatrain("init", str(project))
    return project


@pytest.fixture(scope="module")
def built(podman: engines.Engine, initialized: Path, podman_tag: str) -> Mapping[str, str]:
    """Usage 1 and 2: both images built with plain `podman build`, and what Podman printed."""
    production, development = f"{podman_tag}:usage-1", f"{podman_tag}:usage-2"
    return {
        "production": production,
        "production-output": podman_build(podman, initialized, production).stdout,
        "development": development,
        "development-output": podman_build(
            podman, initialized, development, "--target", "development"
        ).stdout,
    }


def test_1_podman_build_gives_production_with_its_healthcheck_and_skips_development(
    podman: engines.Engine, built: Mapping[str, str], initialized: Path
) -> None:
    stages = podman_stages(built["production-output"])
    assert {"build", "production"} <= stages
    assert "development" not in stages
    config = image_inspect(podman, built["production"], ".Config")
    assert isinstance(config, dict)
    assert config["User"] == "10001:10001"
    assert config["Cmd"][0] == "gunicorn"
    healthcheck = image_inspect(podman, built["production"], ".HealthCheck")
    assert isinstance(healthcheck, dict)
    assert healthcheck["Test"][:3] == ["CMD", "python", "-c"]
    assert "socket.create_connection" in healthcheck["Test"][3]
    listing = docker(
        podman, "run", "--rm", "--network", "none", built["production"], "ls", "-A", "/app"
    )
    assert ".env" not in listing.stdout.split()  # the context's .dockerignore, read by Podman


def test_2_target_development_runs_only_staging_and_development(
    podman: engines.Engine, built: Mapping[str, str]
) -> None:
    assert podman_stages(built["development-output"]) <= {"staging", "development"}
    config = image_inspect(podman, built["development"], ".Config")
    assert isinstance(config, dict)
    assert config["Entrypoint"] == ["poetry", "run"]


def test_3_production_serves_on_port_when_it_is_set_and_not_on_8888(
    podman: engines.Engine, built: Mapping[str, str]
) -> None:
    with engines.running(podman, built["production"], env={"PORT": "5555"}) as container:
        assert http_status(podman, container, 5555) == "200"
        assert http_status(podman, container, 8888, wait=0) == ""


def test_4_development_runs_the_flask_dev_server_with_debug_on(
    podman: engines.Engine, built: Mapping[str, str]
) -> None:
    with engines.running(podman, built["development"]) as container:
        assert http_status(podman, container, 8888) == "200"
        logs = docker(podman, "logs", container)
        assert "Debug mode: on" in logs.stdout + logs.stderr


@pytest.mark.parametrize("which", ["production", "development"])
def test_5_and_6_commands_keep_their_arguments_and_a_bash_entrypoint_has_the_venv(
    podman: engines.Engine, built: Mapping[str, str], which: str
) -> None:
    image = built[which]
    tricky = ["a b", "$HOME", '"quoted"', "$(echo no)"]
    printed = docker(
        podman, "run", "--rm", "--network", "none", image,
        "python", "-c", "import sys; print(sys.argv[1:])", *tricky,
    )  # fmt: skip
    assert printed.stdout.strip() == repr(tricky)
    verify = PROJECTS / "flask-factory" / "verify"
    checked = docker(
        podman, "run", "--rm", "--network", "none", "--volume", f"{verify}:/verify:ro",
        image, "python", "/verify", which,
    )  # fmt: skip
    assert checked.stdout.strip().endswith(f"verify {which}: ok")
    script = 'command -v python; python -c "import factory_app; print(factory_app.GREETING)"'
    shell = docker(
        podman, "run", "--rm", "--network", "none", "--entrypoint", "/bin/bash", image, "-c", script
    )
    assert shell.stdout.splitlines() == ["/opt/venv/bin/python", "hello from factory_app"]


# --- shipping: push, pull back, and the registry cache on a second store --------------------


def registry_tags(registry: Registry, repository: str) -> list[str]:
    with urllib.request.urlopen(f"http://{registry.host}/v2/{repository}/tags/list") as answer:
        return list(json.load(answer)["tags"] or [])


def buildah_steps(output: str) -> dict[str, bool]:
    """Each step Buildah ran (`[2/3] STEP 7/12: RUN ...`) and whether it came from a cache: it
    prints `--> Using cache <id>` under such a step, after `--> Cache pulled from remote` when
    the layer came from --cache-from."""
    steps: dict[str, bool] = {}
    title = None
    for line in output.splitlines():
        if re.match(r"(\[\d+/\d+\] )?STEP \d+/\d+: ", line):
            title = line
            steps[title] = False
        elif title and line.startswith("--> Using cache "):
            steps[title] = True
    return steps


def matching(steps: dict[str, bool], fragment: str) -> list[bool]:
    found = [cached for title, cached in steps.items() if fragment in title]
    assert found, f"no step with {fragment!r} in {[(t[:70], c) for t, c in steps.items()]}"
    return found


@pytest.fixture
def podman_store_b(podman: engines.Engine, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A second Podman store that has built nothing (its own graph and run roots, named by a
    test-owned CONTAINERS_STORAGE_CONF), holding the stand-in base image only."""
    root = tmp_path / "store-b"
    conf = root / "storage.conf"
    root.mkdir()
    conf.write_text(
        f'[storage]\ndriver = "overlay"\ngraphroot = "{root / "graph"}"\n'
        f'runroot = "{root / "run"}"\n'
    )
    env = {"CONTAINERS_STORAGE_CONF": str(conf)}
    with subprocess.Popen(
        [podman.binary, "save", *(f"docker.io/library/{i}" for i in BASE_IMAGES)],
        stdout=subprocess.PIPE, env=dict(podman.env),
    ) as saved:  # fmt: skip
        loaded = subprocess.run(
            [podman.binary, "load", "--quiet"], stdin=saved.stdout, env={**podman.env, **env},
            capture_output=True, check=False,
        )  # fmt: skip
    assert saved.returncode == 0, loaded
    assert loaded.returncode == 0, loaded.stderr
    try:
        yield env
    finally:
        subprocess.run([podman.binary, "rmi", "--all", "--force"], env={**podman.env, **env},
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def pushed(
    quatrain_podman: Quatrain, podman: engines.Engine, registry: Registry,
    tmp_path_factory: pytest.TempPathFactory, index_url: str,
) -> Iterator[PodmanPush]:  # fmt: skip
    """One `quatrain build --push --cache-ref` with Podman, which the tests below share; at the
    end, what was named after the registry leaves Podman's store (the pushed tag, and the cache
    steps Buildah tags there when it pulls them)."""
    project = unique_copy("flask-factory", tmp_path_factory.mktemp("podman-push"), index_url)
    name = f"podman-push-{uuid.uuid4().hex[:8]}"
    image, cache = f"{registry.host}/{name}:1", f"{registry.host}/{name}-cache"
    built = quatrain_podman("build", str(project), "--engine", "podman", "--push", "-t", image,
                            "--cache-ref", cache)  # fmt: skip
    yield PodmanPush(project=project, image=image, cache=cache, output=built.stderr)
    listed = docker(podman, "image", "ls", "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    ours = [t for t in listed if t.startswith(f"{registry.host}/")]
    if ours:
        docker(podman, "image", "rm", "--force", *ours)


@dataclass(frozen=True)
class PodmanPush:
    project: Path
    image: str
    cache: str
    output: str  # what quatrain printed


def test_podman_pushes_to_a_loopback_registry_and_verifies_what_it_pulls_back(
    quatrain_podman: Quatrain, podman: engines.Engine, registry: Registry,
    pushed: PodmanPush,
) -> None:  # fmt: skip
    image = pushed.image
    assert f"+ {podman.binary} push --tls-verify=false {image}" in pushed.output
    tags = registry_tags(registry, image.partition("/")[2].partition(":")[0])
    assert len(tags) == 2
    assert "1" in tags
    sbom_tag = next(t for t in tags if t != "1")  # the SBOM's referrers tag, sha256-<digest>
    assert f"(tag {sbom_tag})" in pushed.output
    docker(podman, "image", "rm", "--force", image)  # what is verified comes from the registry
    verified = quatrain_podman(
        "verify", str(pushed.project), "--engine", "podman", "--from-registry", image
    )
    assert f"+ {podman.binary} pull --tls-verify=false {image}" in verified.stderr
    assert " build " not in verified.stderr
    assert "[ok] serve: answered HTTP 200 on $PORT=18080" in verified.stderr


def test_a_second_podman_store_reads_the_registry_cache_the_first_pushed(
    podman: engines.Engine, registry: Registry, pushed: PodmanPush,
    podman_store_b: dict[str, str], tmp_path: Path,
) -> None:  # fmt: skip
    cache = pushed.cache
    assert f"--cache-to {cache} --tls-verify=false --pull=never" in pushed.output
    cache_tags = registry_tags(registry, cache.partition("/")[2])  # a tag per step
    assert len(cache_tags) == len(re.findall(f"--> Pushing cache {cache}:", pushed.output)) > 10
    project = tmp_path / pushed.project.name
    shutil.copytree(pushed.project, project)
    greeting = edit(project)
    on_b = QuatrainWith(podman, extra=podman_store_b)

    built = on_b("build", str(project), "--engine", "podman", "--cache-ref", cache,
                 "-t", "shop:edited")  # fmt: skip

    steps = buildah_steps(built.stderr)
    # B takes production's first steps from the registry. Buildah 1.28.2 does not reuse the
    # staging and build stages' (Poetry, the locked dependencies) on a store that did not build
    # them: it pulls nothing for staging's ARG steps (the case of containers/buildah#4315), so
    # every later key differs. The README says so.
    assert all(matching(steps, "useradd --system"))
    assert f"--> Cache pulled from remote {cache}:" in built.stderr
    assert not any(matching(steps, "uv pip install --require-hashes"))
    assert not any(matching(steps, "COPY src/ ./src/"))
    b = engines.connect(podman.binary, {**podman.env, **podman_store_b}, kind="podman")
    ran = docker(b, "run", "--rm", "--network", "none", "shop:edited",
                 "python", "-c", "import factory_app; print(factory_app.GREETING)")  # fmt: skip
    assert ran.stdout.strip() == greeting
