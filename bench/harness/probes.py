"""Small measurements that explain the big ones: what a site-packages holds, what a venv costs.
The scripts they run inside containers are in in_container/, mounted read-only at /bench."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.config import SHORT_TIMEOUT, SLIM_BASE
from harness.proc import docker

SCRIPTS = Path(__file__).parent / "in_container"
MOUNT = f"--volume={SCRIPTS}:/bench:ro"


def in_container(image: str, *command: str, entrypoint: str | None = None) -> Any:
    """Run `command` in a throwaway container without network; its stdout as JSON."""
    options = ["--entrypoint", entrypoint] if entrypoint else []
    out = docker("run", "--rm", "--network", "none", "--user", "0", MOUNT, *options, image,
                 *command, timeout=SHORT_TIMEOUT)  # fmt: skip
    return json.loads(out.stdout)


def site_packages(image: str) -> dict[str, int]:
    """{path: bytes} of every entry in the image's site-packages directories."""
    sizes: dict[str, int] = in_container(image, "/bench/site_packages.py", entrypoint="python")
    return sizes


def venv_cost() -> dict[str, Any]:
    """What one `python -m venv` costs in the slim base, with pip (ensurepip) and without,
    and what ensurepip puts into it."""
    result: dict[str, Any] = in_container(SLIM_BASE, "python", "/bench/venv_cost.py")
    script = (
        "python -m venv /tmp/v && python /bench/site_packages.py /tmp/v/lib/python3*/site-packages"
    )
    seeded = in_container(SLIM_BASE, "sh", "-c", script)
    result["seed_bytes"] = {path.rsplit("/", 1)[-1]: size for path, size in seeded.items()}
    return result
