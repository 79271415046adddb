"""Cold build, one-line-edit rebuild and image size of the example's production image.

    python bench/core.py [--project examples/flask-app] [--keep-cache]

It empties the engine's build cache first (`docker builder prune --all`) unless --keep-cache:
run it on a machine where that is fine. Base images must be present (scripts/testbed.sh).
Times are wall-clock seconds of one run; compare them only with numbers from the same run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCKER = os.environ.get("QUATRAIN_DOCKER", "/usr/bin/docker")
IMAGE_ENV = {
    "QUATRAIN_DOCKER": DOCKER,
    "QUATRAIN_PYTHON_VERSION": "3.11",
    "QUATRAIN_DEBIAN_RELEASE": "bookworm",
    "QUATRAIN_NETWORK": "host",
}
BASE = "python:3.11-slim-bookworm"


def timed_build(project: Path, tag: str) -> float:
    start = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "quatrain", "build", str(project), "--tag", tag],
        env={**os.environ, **IMAGE_ENV}, check=True, capture_output=True,
    )  # fmt: skip
    return time.monotonic() - start


def image_size(image: str) -> int:
    out = subprocess.run(
        [DOCKER, "image", "inspect", "--format", "{{.Size}}", image],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return int(out.stdout.strip())


def edit_one_line(project: Path) -> None:
    """Append a harmless line to the first Python file of the first package."""
    source = next(p for p in sorted(project.rglob("*.py")) if "tests" not in p.parts)
    source.write_text(source.read_text() + "\nBENCH_EDIT = 1\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=REPO / "examples" / "flask-app")
    parser.add_argument("--keep-cache", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / args.project.name
        shutil.copytree(args.project, project)
        if not args.keep_cache:
            subprocess.run([DOCKER, "builder", "prune", "--all", "--force"], check=True,
                           capture_output=True)  # fmt: skip
        tag = "quatrain-bench-core:latest"
        cold = timed_build(project, tag)
        edit_one_line(project)
        rebuild = timed_build(project, tag)
        size, base = image_size(tag), image_size(BASE)
    print(f"project            {args.project.name}")
    print(f"cold build         {cold:6.1f} s")
    print(f"rebuild after edit {rebuild:6.1f} s  ({rebuild / cold:.2f} of cold)")
    print(f"production image   {size / 1e6:6.1f} MB on {BASE} {base / 1e6:.1f} MB "
          f"(+{(size - base) / 1e6:.1f} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
