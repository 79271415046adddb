"""A build elsewhere, cached in a registry: how much a clean second engine gains from it.

In one run: engine A builds the flask-factory test project with `--cache-ref` and pushes it;
the source is edited; engine B (a second dockerd that has never built it, base images loaded
by save/load) builds the edit cold without the cache, then, its build cache pruned and the
image removed, cold with the cache. Then B pulls the pushed image and starts it until it
answers HTTP. Prints a Markdown section for BENCHMARKS.md.

    python bench/second_engine.py   (after scripts/testbed.sh, as root: it starts a dockerd)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parents[1] / "tests" / "engine")]

import package_index  # noqa: E402
from engine_support import IMAGE_OPTIONS, build_steps, docker_binary, locked_copy  # noqa: E402
from shipping import ephemeral_port, start_engine_b, start_registry  # noqa: E402

from quatrain import engines  # noqa: E402


def quatrain(engine: engines.Engine, *args: str) -> tuple[float, str]:
    env = {**engine.env, **IMAGE_OPTIONS, "QUATRAIN_DOCKER": engine.binary,
           "QUATRAIN_NETWORK": "host"}  # fmt: skip
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "quatrain", *args], env=env, text=True,
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"quatrain {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return time.monotonic() - started, done.stderr


def docker(engine: engines.Engine, *args: str) -> None:
    subprocess.run([engine.binary, *args], env=dict(engine.env), check=True,
                   capture_output=True)  # fmt: skip


def edit(project: Path) -> None:
    source = project / "src" / "factory_app" / "__init__.py"
    text = re.sub(r'GREETING = ".*"', f'GREETING = "edited {uuid.uuid4().hex}"', source.read_text())
    source.write_text(text)


def cold(engine: engines.Engine, tag: str) -> None:
    subprocess.run([engine.binary, "image", "rm", "--force", tag], env=dict(engine.env),
                   capture_output=True, check=False)  # fmt: skip
    docker(engine, "builder", "prune", "--all", "--force")


def pull_and_serve(engine: engines.Engine, image: str) -> float:
    port = ephemeral_port()
    started = time.monotonic()
    docker(engine, "pull", image)
    docker(engine, "run", "--detach", "--rm", "--name", f"bench-{port}", "--network", "host",
           "--env", f"PORT={port}", image)  # fmt: skip
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                    return time.monotonic() - started
            except urllib.error.HTTPError:
                return time.monotonic() - started
            except OSError:
                time.sleep(0.05)
    finally:
        docker(engine, "rm", "--force", f"bench-{port}")


def reused(progress: str) -> str:
    """The steps of each build that came from a cache, e.g. "[production 2/8]" (with the inline
    cache, quatrain builds the build stage, then production: each has its own numbering)."""
    found = []
    for part in progress.split("==> Building ")[1:]:
        steps = build_steps(part)
        cached = {title.split("]")[0] + "]" for title, hit in steps.items() if hit}
        found.append(", ".join(sorted(cached - {"[internal]"})) or "none")
    return "; then ".join(found) or "none"


def main() -> None:
    with (
        ExitStack() as stack,
        tempfile.TemporaryDirectory(prefix="quatrain-b-", ignore_cleanup_errors=True) as tmp,
    ):
        root = Path(tmp)
        engine_a = engines.connect(docker_binary(), dict(os.environ))
        server, index = package_index.start(package_index.wheel_directory())
        stack.callback(server.terminate)
        (root / "registry").mkdir()
        registry = stack.enter_context(_generated(start_registry(root / "registry")))
        (root / "b").mkdir()
        engine_b = stack.enter_context(_generated(start_engine_b(root / "b", engine_a)))
        project = locked_copy("flask-factory", root, index)
        edit(project)
        cache, image = f"{registry.host}/bench-cache", f"{registry.host}/bench:1"
        pushed, _ = quatrain(engine_a, "build", str(project), "--cache-ref", cache, "--push",
                             "-t", image)  # fmt: skip
        edit(project)
        cold(engine_b, "bench:edit")
        without, _ = quatrain(engine_b, "build", str(project), "-t", "bench:edit")
        cold(engine_b, "bench:edit")
        with_cache, progress = quatrain(engine_b, "build", str(project), "--cache-ref", cache,
                                        "-t", "bench:edit")  # fmt: skip
        cold(engine_b, image)
        serve = pull_and_serve(engine_b, image)
        print(report(pushed, without, with_cache, serve, reused(progress)))


def report(pushed: float, without: float, with_cache: float, serve: float, steps: str) -> str:
    return (
        "## A second engine and the registry cache (bench/second_engine.py)\n\n"
        "Engine A (Docker 20.10, classic BuildKit) builds flask-factory with `--cache-ref` and "
        "pushes to a local registry; after a source edit, engine B (a second dockerd that never "
        "built it) builds cold, without and with the cache. Inline cache, the only mode the "
        "engine's own BuildKit exports: the build stage's image carries its steps under the "
        "tag `build`, production's its own.\n\n"
        "| measure | seconds |\n| --- | --- |\n"
        f"| A: build and push with the cache | {pushed:.1f} |\n"
        f"| B: cold build of the edit, no cache | {without:.1f} |\n"
        f"| B: cold build of the edit, `--cache-ref` | {with_cache:.1f} |\n"
        f"| ratio with / without | {with_cache / without:.2f}x |\n"
        f"| B: pull the pushed image and start it until it answers HTTP | {serve:.1f} |\n\n"
        f"Steps B took from the cache: {steps}.\n"
    )


class _generated:
    """A fixture-style generator (setup, yield, teardown) as a context manager."""

    def __init__(self, generator):  # type: ignore[no-untyped-def]
        self.generator = generator

    def __enter__(self):  # type: ignore[no-untyped-def]
        return next(self.generator)

    def __exit__(self, *_: object) -> None:
        next(self.generator, None)


if __name__ == "__main__":
    main()
