"""The SBOM in the production image lists exactly the distributions that Python finds there."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from engine_support import Quatrain, docker, locked_copy

from quatrain import engines
from quatrain.dockerfile.sbom import SBOM_PATH
from quatrain.reading.lock import canonical_name

# What importlib.metadata finds on the venv's sys.path: every installed distribution.
LIST_DISTRIBUTIONS = (
    "import importlib.metadata as m, json, sys; "
    "print(json.dumps({'python': list(sys.version_info[:2]), "
    "'found': sorted([d.metadata['Name'], d.version] for d in m.distributions())}))"
)


def in_image(engine: engines.Engine, image: str, *argv: str) -> str:
    return docker(
        engine, "run", "--rm", "--network", "none", "--entrypoint", argv[0], image, *argv[1:]
    ).stdout


def listed(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(name, version) of every component the SBOM says is an installed distribution: the
    libraries, and the project itself when it has a pypi purl (its wheel, package mode)."""
    components = [*document["components"], document["metadata"]["component"]]
    return {
        (canonical_name(c["purl"].split("/", 1)[1].rsplit("@", 1)[0]), c["version"])
        for c in components
        if c.get("purl", "").startswith("pkg:pypi/")
    }


@pytest.mark.parametrize(
    ("case", "package_mode"),
    [("flask-factory", True), ("non-package", False), ("fastapi-app", True)],
)
def test_the_sboms_distributions_are_exactly_those_in_the_production_image(
    case: str, package_mode: bool, quatrain: Quatrain, engine: engines.Engine,
    tmp_path: Path, index_url: str, image_tag: str,
) -> None:  # fmt: skip
    project = locked_copy(case, tmp_path, index_url)
    # New to BuildKit's cache on every run (the description is in the SBOM and the labels,
    # not in the lock's content-hash), so the SBOM step really runs.
    pyproject = project / "pyproject.toml"
    run_id = uuid.uuid4().hex[:8]
    pyproject.write_text(
        pyproject.read_text().replace('description = "', f'description = "{run_id} ')
    )
    image = f"{image_tag}:sbom-{case}"
    quatrain("build", str(project), "--tag", image)

    text = in_image(engine, image, "cat", SBOM_PATH)
    inside = json.loads(in_image(engine, image, "/opt/venv/bin/python", "-c", LIST_DISTRIBUTIONS))

    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    document = json.loads(text)
    found = {(canonical_name(name), version) for name, version in inside["found"]}
    assert listed(document) - found == set(), "in the SBOM, not in the image"
    assert found - listed(document) == set(), "in the image, not in the SBOM"
    assert ("purl" in document["metadata"]["component"]) is package_mode
    assert run_id in document["metadata"]["component"]["description"]
    python = next(c for c in document["components"] if c["name"] == "cpython")
    assert python["version"] == "{}.{}".format(*inside["python"])
