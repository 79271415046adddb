"""The SBOM in the production image lists exactly the distributions that Python finds there,
each with the hash of the one file it was installed from; a committed Dockerfile refuses to
build a lock it was not written for."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from engine_support import Quatrain, docker, locked_copy

from quatrain import engines
from quatrain.dockerfile import sbom
from quatrain.reading.lock import canonical_name

# What importlib.metadata finds on the venv's sys.path: every installed distribution with the
# tags its WHEEL file records.
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, json, sys; "
    "print(json.dumps({'python': '.'.join(map(str, sys.version_info[:3])), 'found': sorted("
    "[d.metadata['Name'], d.version, sorted(l[4:].strip() for l in (d.read_text('WHEEL') or '')"
    ".splitlines() if l.startswith('Tag:'))] for d in m.distributions())}))"
)


def in_image(engine: engines.Engine, image: str, *argv: str) -> str:
    return docker(
        engine, "run", "--rm", "--network", "none", "--entrypoint", argv[0], image, *argv[1:]
    ).stdout


def listed(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(name, version) -> component, for every component the SBOM says is an installed
    distribution: the libraries, and the project itself when it has a pypi purl (package mode)."""
    components = [*document["components"], document["metadata"]["component"]]
    return {
        (canonical_name(c["name"]), c["version"]): c
        for c in components
        if c.get("purl", "").startswith("pkg:pypi/")
    }


def expected_hash(lock: dict[str, Any], name: str, version: str, tags: list[str]) -> str | None:
    """The lock's hash of the file with exactly these wheel tags, else of its sdist."""
    entry = next(
        (
            p
            for p in lock["package"]
            if canonical_name(p["name"]) == name and p["version"] == version
        ),
        None,
    )
    if entry is None:
        return None
    files = entry.get("files", [])
    wheels = [f for f in files if f["file"].endswith(".whl")]
    match = next((f for f in wheels if sbom.wheel_tags(f["file"]) == set(tags)), None)
    match = match or next((f for f in files if not f["file"].endswith(".whl")), None)
    return str(match["hash"]) if match else None


def check_against_image(engine: engines.Engine, image: str, project: Path) -> dict[str, Any]:
    """The SBOM read out of the image, checked against what the image holds and the lock."""
    text = in_image(engine, image, "cat", sbom.SBOM_PATH)
    inside = json.loads(in_image(engine, image, "/opt/venv/bin/python", "-c", LIST_DISTRIBUTIONS))
    lock = sbom.load_toml(project / "poetry.lock")

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document: dict[str, Any] = json.loads(text)
    found = {(canonical_name(name), version): tags for name, version, tags in inside["found"]}
    assert set(listed(document)) - set(found) == set(), "in the SBOM, not in the image"
    assert set(found) - set(listed(document)) == set(), "in the image, not in the SBOM"
    for (name, version), component in listed(document).items():
        wanted = expected_hash(lock, name, version, found[(name, version)])
        if wanted is not None:
            assert component["hashes"] == [
                {"alg": "SHA-256", "content": wanted.removeprefix("sha256:")}
            ], name
    python = next(c for c in document["components"] if c["name"] == "cpython")
    assert python["version"] == inside["python"]
    return document


@pytest.mark.parametrize(
    ("case", "package_mode"),
    [("flask-factory", True), ("non-package", False), ("fastapi-app", True)],
)
def test_the_sbom_lists_what_the_image_holds_each_by_the_hash_of_its_file(
    case: str, package_mode: bool, quatrain: Quatrain, engine: engines.Engine,
    tmp_path: Path, index_url: str, image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy(case, tmp_path, index_url)
    # New to BuildKit's cache on every run (production copies the sources before the step),
    # so that the SBOM step really runs.
    (project / "run-id.txt").write_text(uuid.uuid4().hex, encoding="utf-8")
    image = f"{image_tag}:sbom-{case}"
    quatrain("build", str(project), "--tag", image)

    document = check_against_image(engine, image, project)

    root = document["metadata"]["component"]
    assert ("purl" in root) is package_mode
    if package_mode:  # the project's own wheel, hashed as built in this build
        assert len(root["hashes"]) == 1


@pytest.fixture
def initialized(tmp_path: Path, index_url: str, quatrain: Quatrain) -> Path:
    project = locked_copy("flask-factory", tmp_path, index_url)
    quatrain("init", str(project))
    return project


def plain_docker_build(
    engine: engines.Engine, project: Path, tag: str
) -> subprocess.CompletedProcess[str]:
    """`docker build` exactly as a user would type it after `quatrain init`."""
    return subprocess.run(
        [engine.binary, "build", "--progress=plain", "--network", "host", "--tag", tag,
         str(project)],
        env={**os.environ, "DOCKER_BUILDKIT": "1"}, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_a_plain_docker_build_of_the_committed_files_carries_the_same_sbom(
    initialized: Path, engine: engines.Engine, image_tag: str
) -> None:
    image = f"{image_tag}:sbom-plain"

    built = plain_docker_build(engine, initialized, image)

    assert built.returncode == 0, built.stderr[-4000:]
    document = check_against_image(engine, image, initialized)
    assert document["metadata"]["component"]["name"] == "factory-app"


@pytest.mark.parametrize("changed", ["poetry.lock", "pyproject.toml"])
def test_a_plain_docker_build_after_the_lock_changed_stops_and_says_run_init(
    changed: str, initialized: Path, engine: engines.Engine, image_tag: str
) -> None:
    path = initialized / changed
    path.write_text(path.read_text(encoding="utf-8") + "\n# changed after init\n", "utf-8")

    built = plain_docker_build(engine, initialized, f"{image_tag}:stale")

    assert built.returncode != 0
    assert (
        f"{changed} changed since quatrain init wrote this Dockerfile: run quatrain init"
        in built.stderr
    )
    # It stops at the build stage's first step, before any package is installed.
    assert "poetry export" not in built.stderr
    assert "uv pip install --require-hashes" not in built.stderr
