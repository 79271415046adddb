"""Podman against Docker on the same project in one run: a cold build and a code-edit rebuild
of the production image, through `quatrain build`, and the ratios.

Cold means no layer of the project and empty cache mounts on the engine under test: for
Docker `docker builder prune --all`, for Podman every image but the stand-ins removed and
Buildah's cache-mount directory emptied. Both read the same local package index. The edit is
one line of the package's source, new to both caches.

    python bench/podman.py   (after scripts/testbed.sh, as root: it empties both caches)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1] / "tests" / "engine")]

import package_index  # noqa: E402
from engine_support import IMAGE_OPTIONS, docker_binary, locked_copy  # noqa: E402

from quatrain import engines  # noqa: E402

BUILDAH_CACHE = Path("/var/tmp/buildah-cache")  # RUN --mount=type=cache of root's Podman 4.3
TAG = "quatrain-bench-podman:latest"


def quatrain(engine: engines.Engine, *args: str) -> float:
    env = {**os.environ, **IMAGE_OPTIONS, "QUATRAIN_DOCKER": engine.binary,
           "QUATRAIN_ENGINE": engine.kind, "QUATRAIN_NETWORK": "host"}  # fmt: skip
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "quatrain", *args], env=env, text=True,
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"quatrain {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started


def run(engine: engines.Engine, *args: str) -> str:
    return subprocess.run([engine.binary, *args], env=dict(engine.env), check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def empty_cache(engine: engines.Engine) -> None:
    subprocess.run([engine.binary, "image", "rm", "--force", TAG], env=dict(engine.env),
                   capture_output=True, check=False)  # fmt: skip
    if engine.kind == "docker":
        run(engine, "builder", "prune", "--all", "--force")
        return
    listed = run(engine, "images", "--all", "--format", "{{.ID}} {{.Repository}}").splitlines()
    keep = {line.split()[0] for line in listed if line.split()[1] == "docker.io/library/python"}
    others = sorted({line.split()[0] for line in listed} - keep)
    if others:
        run(engine, "image", "rm", "--force", *others)
    if BUILDAH_CACHE.is_dir():
        for entry in BUILDAH_CACHE.iterdir():
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def edit(project: Path) -> None:
    source = project / "src" / "factory_app" / "__init__.py"
    text = re.sub(r'GREETING = ".*"', f'GREETING = "edited {uuid.uuid4().hex}"', source.read_text())
    source.write_text(text)


def measure(engine: engines.Engine, project: Path) -> tuple[float, float]:
    empty_cache(engine)
    cold = quatrain(engine, "build", str(project), "--tag", TAG)
    edit(project)
    return cold, quatrain(engine, "build", str(project), "--tag", TAG)


def main() -> None:
    docker = engines.connect(docker_binary(), dict(os.environ))
    podman_binary = engines.binary_for("podman", os.environ.get("QUATRAIN_PODMAN"))
    podman = engines.connect(podman_binary, dict(os.environ), kind="podman")
    server, url = package_index.start(package_index.wheel_directory())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            project = locked_copy("flask-factory", Path(tmp), url)
            times = {engine.kind: measure(engine, project) for engine in (docker, podman)}
    finally:
        server.terminate()
    (d_cold, d_edit), (p_cold, p_edit) = times["docker"], times["podman"]
    print(f"## Podman against Docker (bench/podman.py, {time.strftime('%Y-%m-%d')})\n")
    print(f"flask-factory's production image through `quatrain build`, Docker Engine "
          f"{docker.server_version} (BuildKit, classic client) and Podman "
          f"{podman.server_version}, one run, the same local index.\n")  # fmt: skip
    print("| build | Docker | Podman | Podman / Docker |")
    print("| --- | --- | --- | --- |")
    print(f"| cold | {d_cold:.1f} s | {p_cold:.1f} s | {p_cold / d_cold:.2f} |")
    print(f"| code edit | {d_edit:.1f} s | {p_edit:.1f} s | {p_edit / d_edit:.2f} |")
    print(f"| edit / cold | {d_edit / d_cold:.2f} | {p_edit / p_cold:.2f} | |")


if __name__ == "__main__":
    main()
