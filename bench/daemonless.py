"""The daemonless build (`quatrain build --engine none`) against the Dockerfile path and the
floor, side by side in one run on one machine: cold build, code-edit rebuild, and the push of
a code edit (bytes and time).

    python bench/daemonless.py [--repeat N]        default: 5

On the tests' flask-factory fixture, locked against the tests' local index; the base image is
the test bed's python:3.11-slim-bookworm stand-in, in a registry on loopback for the daemonless
build (where a CI runner would read it) and in the engine for the Dockerfile path.

- cold: daemonless with empty quatrain and pip caches; the Dockerfile path as `docker build
  --no-cache` of what `quatrain init` writes.
- code edit: one line added to a module and committed, then the build again (caches warm).
- floor: bench/templates/floor (one wheel build and one copied layer over a cached layer of the
  dependencies), rebuilt after the same edit, as BENCHMARKS.md measures it.
- push: after a code edit, the bytes the registry took in (its storage before and after) and the
  time of build and push, for `--engine none --push` and for `quatrain build` then `docker push`.

Needs the test bed (scripts/testbed.sh) and a Docker engine. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "engine"))

import package_index
import shipping
from engine_support import docker_binary, locked_copy

BASE = "python:3.11-slim-bookworm"
FLOOR = Path(__file__).parent / "templates" / "floor" / "Dockerfile"
DOCKER = docker_binary()


def run(argv: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> None:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{done.stderr[-3000:]}")


def timed(action: Callable[[], None]) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


def git_commit(project: Path, message: str) -> None:
    git = ["git", "-C", str(project), "-c", "user.email=b@example.org", "-c", "user.name=b"]
    if not (project / ".git").exists():
        run([*git, "init", "-q"])
    run([*git, "add", "-A"])
    run([*git, "commit", "-qm", message, "--allow-empty"])


def edit(project: Path, n: int) -> None:
    module = next((project / "src").glob("*/__init__.py"))
    module.write_text(module.read_text() + f"\n# edit {n}\n")
    git_commit(project, f"edit {n}")


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@contextmanager
def registry(root: Path) -> Iterator[shipping.Registry]:
    root.mkdir(parents=True)
    running = shipping.start_registry(root)
    try:
        yield next(running)
    finally:
        running.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    server, index_url = package_index.start(package_index.wheel_directory())
    work = Path(tempfile.mkdtemp(prefix="quatrain-bench-daemonless-"))
    try:
        with registry(work / "registry") as reg:
            results = measure(work, index_url, reg, repeat)
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)
    report(results, repeat)


def measure(work: Path, index_url: str, reg: shipping.Registry, repeat: int) -> dict[str, object]:
    base = f"{reg.host}/python:3.11-slim-bookworm"
    run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"docker-daemon:{BASE}",
         f"docker://{base}"])  # fmt: skip
    project = locked_copy("flask-factory", work, index_url)
    git_commit(project, "locked")
    env = {
        **os.environ, "QUATRAIN_DOCKER": DOCKER, "QUATRAIN_NETWORK": "host",
        "QUATRAIN_PYTHON_VERSION": "3.11", "QUATRAIN_DEBIAN_RELEASE": "bookworm",
    }  # fmt: skip
    quatrain = [sys.executable, "-m", "quatrain"]

    def daemonless(cache: Path, *more: str) -> None:
        run([*quatrain, "build", "--engine", "none", "--runtime-image", base, *more,
             str(project)], env={**env, "XDG_CACHE_HOME": str(cache), "PIP_CACHE_DIR": str(cache / "pip")})  # fmt: skip

    cold_none = []
    for n in range(repeat):
        cache = work / f"cold-cache-{n}"
        cold_none.append(timed(lambda cache=cache: daemonless(cache)))
        shutil.rmtree(cache)
    warm = work / "warm-cache"
    daemonless(warm)
    edit_none = []
    for n in range(repeat):
        edit(project, n)
        edit_none.append(timed(lambda: daemonless(warm)))

    run([*quatrain, "init", str(project)], env=env)
    git_commit(project, "init")
    dockerfile_build = [DOCKER, "build", "--network", "host", "-t", "bench-daemonless:dockerfile"]
    docker_env = {**env, "DOCKER_BUILDKIT": "1"}
    cold_dockerfile = [
        timed(lambda: run([*dockerfile_build, "--no-cache", str(project)], env=docker_env))
        for _ in range(repeat)
    ]
    edit_dockerfile = []
    for n in range(repeat):
        edit(project, 100 + n)
        edit_dockerfile.append(
            timed(lambda: run([*quatrain, "build", "--tag", "bench-daemonless:dockerfile",
                               str(project)], env=env))  # fmt: skip
        )

    floor_project = work / "floor"
    shutil.copytree(project, floor_project, symlinks=True)
    run([sys.executable, "-m", "poetry", "export", "--only", "main", "--output",
         "bench-floor-requirements.txt"], cwd=floor_project)  # fmt: skip
    shutil.copyfile(FLOOR, floor_project / "bench-floor.Dockerfile")
    floor_build = [DOCKER, "build", "--network", "host", "-f", "bench-floor.Dockerfile", "-t",
                   "bench-daemonless:floor", "--build-arg", f"PIP_INDEX_URL={index_url}", "."]  # fmt: skip
    run(floor_build, cwd=floor_project, env=docker_env)
    edit_floor = []
    for n in range(repeat):
        edit(floor_project, 200 + n)
        edit_floor.append(timed(lambda: run(floor_build, cwd=floor_project, env=docker_env)))

    def dockerfile_push(tag: str) -> None:
        run([*quatrain, "build", "--tag", tag, str(project)], env=env)
        run([DOCKER, "push", tag])

    storage = reg.root / "storage"
    pushes: dict[str, list[tuple[float, int]]] = {"none": [], "dockerfile": []}
    daemonless(warm, "--push", "--tag", f"{reg.host}/none:0")
    run([DOCKER, "tag", "bench-daemonless:dockerfile", f"{reg.host}/dockerfile:0"])
    run([DOCKER, "push", f"{reg.host}/dockerfile:0"])
    for n in range(repeat):
        edit(project, 300 + n)
        before = du(storage)
        took = timed(lambda n=n: daemonless(warm, "--push", "--tag", f"{reg.host}/none:{n + 1}"))
        pushes["none"].append((took, du(storage) - before))
        before = du(storage)
        took = timed(lambda n=n: dockerfile_push(f"{reg.host}/dockerfile:{n + 1}"))
        pushes["dockerfile"].append((took, du(storage) - before))
    run([DOCKER, "image", "rm", "bench-daemonless:dockerfile", "bench-daemonless:floor",
         *(f"{reg.host}/dockerfile:{n}" for n in range(repeat + 1))])  # fmt: skip
    return {
        "cold_none": cold_none, "cold_dockerfile": cold_dockerfile, "edit_none": edit_none,
        "edit_dockerfile": edit_dockerfile, "edit_floor": edit_floor, "pushes": pushes,
    }  # fmt: skip


def report(results: dict[str, object], repeat: int) -> None:
    median = statistics.median

    def cell(values: object) -> str:
        numbers = list(values)  # type: ignore[call-overload]
        return f"{median(numbers):.2f} s ({min(numbers):.2f}-{max(numbers):.2f})"

    floor = median(results["edit_floor"])  # type: ignore[arg-type]
    dockerfile_edit = median(results["edit_dockerfile"])  # type: ignore[arg-type]
    none_edit = median(results["edit_none"])  # type: ignore[arg-type]
    cold_ratio = median(results["cold_none"]) / median(results["cold_dockerfile"])  # type: ignore[arg-type]
    print(f"Medians of {repeat} (min-max), flask-factory, one run:\n")
    print("| measure | daemonless | Dockerfile path | floor | daemonless / floor | daemonless / Dockerfile |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| cold build | {cell(results['cold_none'])} | {cell(results['cold_dockerfile'])} | | | {cold_ratio:.2f}x |")
    print(
        f"| code-edit rebuild | {cell(results['edit_none'])} | {cell(results['edit_dockerfile'])} "
        f"| {cell(results['edit_floor'])} | {none_edit / floor:.2f}x | {none_edit / dockerfile_edit:.2f}x |"
    )
    pushes: dict[str, list[tuple[float, int]]] = results["pushes"]  # type: ignore[assignment]
    for name, label in (("none", "daemonless"), ("dockerfile", "Dockerfile path (docker push)")):
        times = [t for t, _ in pushes[name]]
        sizes = [b for _, b in pushes[name]]
        print(f"\nPush of a code edit, {label}: {median(times):.2f} s, {median(sizes) / 1024:.1f} KiB taken in by the registry")


if __name__ == "__main__":
    main()
