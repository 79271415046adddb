"""The floors the targets are measured against.

- size: the slim base image plus the runtime dependencies exactly as locked, installed by pip
  (hashes checked, bytecode compiled as pip does) into a directory in a slim container, whose
  files' bytes are added to the base image's size; the project's own wheel (a few kB) is left
  out.
- code-edit rebuild: bench/templates/floor/Dockerfile, one wheel build (its backend already
  installed) and one layer copied into the final image over a cached dependency layer."""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

from harness.buildkit import build, image_size
from harness.config import (
    COLD_BUILD_TIMEOUT,
    IMAGE_PREFIX,
    LOCK_TIMEOUT,
    REBUILD_TIMEOUT,
    SLIM_BASE,
    TEMPLATES,
    Network,
)
from harness.probes import MOUNT
from harness.proc import docker, run
from harness.projects import ProjectSpec, Variant, edit_source

REQUIREMENTS = "bench-floor-requirements.txt"
_FLOOR_SCRIPT = (
    "pip install --quiet --no-cache-dir --no-deps --require-hashes --target /floor "
    "--requirement /in/requirements.txt >&2 && python /bench/site_packages.py /floor"
)


def export_requirements(project: Path, destination: Path, env: dict[str, str]) -> None:
    """The runtime dependencies of the lock, with hashes, as quatrain's build stage exports them."""
    command = [
        sys.executable,
        "-m",
        "poetry",
        "--no-interaction",
        "export",
        "--only",
        "main",
        "--format",
        "requirements.txt",
        "--output",
        str(destination),
    ]
    run(command, cwd=project, env=env, timeout=LOCK_TIMEOUT)


def size_floor(variant: Variant, workdir: Path, poetry_env: dict[str, str]) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    export_requirements(variant.base, workdir / "requirements.txt", poetry_env)
    out = docker(
        "run", "--rm", "--network", "host", f"--volume={workdir}:/in:ro", MOUNT, SLIM_BASE,
        "sh", "-c", _FLOOR_SCRIPT, timeout=COLD_BUILD_TIMEOUT,
    )  # fmt: skip
    entries: dict[str, int] = json.loads(out.stdout)
    site_packages = sum(entries.values())
    base = image_size(SLIM_BASE)
    return {
        "base_bytes": base,
        "site_packages_bytes": site_packages,
        "floor_bytes": base + site_packages,
        "site_packages": {path.rsplit("/", 1)[-1]: size for path, size in entries.items()},
    }


def edit_floor(
    spec: ProjectSpec,
    variant: Variant,
    network: Network,
    index_url: str,
    workdir: Path,
    repetitions: int,
    poetry_env: dict[str, str],
) -> dict[str, Any]:
    """Build the floor once (not measured), then time `repetitions` code-edit rebuilds."""
    project = workdir / "project"
    shutil.copytree(variant.base, project)
    export_requirements(project, project / REQUIREMENTS, poetry_env)
    dockerfile = project / "bench-floor.Dockerfile"
    shutil.copyfile(TEMPLATES / "floor" / "Dockerfile", dockerfile)
    tag = f"{IMAGE_PREFIX}/floor-{spec.name}:{network.name}"
    arguments = {"PIP_INDEX_URL": index_url}
    first = build(project, dockerfile, tag, timeout=COLD_BUILD_TIMEOUT, build_args=arguments)
    edits = []
    for _ in range(repetitions if first.ok else 0):
        edit_source(project, spec, uuid.uuid4().hex)
        edits.append(
            build(project, dockerfile, tag, timeout=REBUILD_TIMEOUT, build_args=arguments).as_dict()
        )
    return {"tag": tag, "first": first.as_dict(), "edits": edits}
