"""The container engine, driven through its command line: Docker with BuildKit, or Podman.

BuildKit comes two ways: the buildx plugin (`docker buildx build --load`), or, on engines up to
22.x without buildx, the classic client with DOCKER_BUILDKIT=1. A Docker 23+ client without
buildx refuses DOCKER_BUILDKIT=1, so that combination is an error with a way out.

Where the result goes differs too. buildx pushes from the builder (`--push`); its `docker`
driver (the engine's own BuildKit) also keeps the image in the engine, and exports no cache but
the inline one. The classic client only builds; the tags are pushed after it with `docker push`,
and it has no `--cache-to` at all.

Podman's own parts (its version check, its build argv and what its builder refuses) are in
podman.py; this module is the interface both engines share: Engine, connect, build_argv,
build, run_argv, capture, running. Podman's run, exec, inspect, logs, stop and rm take the
flags quatrain passes to Docker's.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from quatrain import cmd
from quatrain.errors import BuildError, EngineError, QuatrainError
from quatrain.log import log

# The first client whose `docker build` needs buildx for BuildKit (moby v23.0.0 release notes).
BUILDX_REQUIRED_FROM = 23
# The first Docker Engine that builds the Dockerfile as written: its RUN --mount (cache, secret,
# bind from another stage) needs the Dockerfile frontend 1.2, and an engine uses the frontend
# built into its BuildKit unless a `# syntax=` line pulls another. 18.09 brought BuildKit, but
# its frontend had RUN --mount only in the experimental channel; BuildKit 0.8 made 1.2, which
# moved RUN --mount to the stable one, its built-in frontend (moby/buildkit v0.8.0 and
# dockerfile/1.2.0 release notes, moby/buildkit#1717), and Docker 20.10 is the first engine to
# vendor BuildKit 0.8 (moby v20.10 vendor.conf: buildkit v0.8.x).
MINIMUM_ENGINE = (20, 10)
# Set to 1, verify leaves its containers behind for a look inside (not an option of the image).
KEEP_CONTAINER_VARIABLE = "QUATRAIN_DEBUG_KEEP_CONTAINER"


EngineKind = Literal["docker", "podman"]
DEFAULT_BINARY: dict[EngineKind, str] = {"docker": "docker", "podman": "podman"}


@dataclass(frozen=True, kw_only=True)
class Engine:
    kind: EngineKind = "docker"
    binary: str
    client_version: str
    server_version: str
    buildx: bool
    env: Mapping[str, str]  # the environment every engine command runs with
    keep_containers: bool = False  # QUATRAIN_DEBUG_KEEP_CONTAINER=1: `running` removes none


def binary_for(kind: EngineKind, configured: str | None) -> str:
    """The program to run: the one the user named (the docker option, QUATRAIN_DOCKER or
    --docker), else the engine's own name on PATH; for podman, /usr/bin/podman when PATH
    lacks it (sudo and cron keep a short PATH)."""
    if configured:
        return configured
    found = shutil.which(DEFAULT_BINARY[kind])
    if found is None and kind == "podman" and Path("/usr/bin/podman").is_file():
        return "/usr/bin/podman"
    return DEFAULT_BINARY[kind]


def connect(binary: str, env: Mapping[str, str], *, kind: EngineKind = "docker") -> Engine:
    """Check the engine is there, its daemon answers and BuildKit is usable (Docker), or that
    it is a Podman recent enough for the Dockerfile."""
    if kind == "podman":
        from quatrain.engines import podman  # podman builds on this module's Engine

        return podman.connect(binary, env)
    result = cmd.capture([binary, "version", "--format", "{{json .}}"], env=env)
    versions = parse_version(result.stdout)
    client = str(versions.get("Client", {}).get("Version", ""))
    server = versions.get("Server") or {}
    if result.returncode != 0 or not server:
        msg = (
            f"The Docker daemon is not answering `{binary} version` "
            f"({last_line(result.stderr) or 'no server version'}). Start it (for example "
            "`sudo systemctl start docker`) or point DOCKER_HOST at a running one."
        )
        raise EngineError(msg)
    _check_minimum(binary, str(server.get("Version", "")))
    buildx = cmd.capture([binary, "buildx", "version"], env=env).returncode == 0
    if not buildx and _major(client) >= BUILDX_REQUIRED_FROM:
        msg = (
            f"`{binary}` is Docker client {client} without the buildx plugin, and clients from "
            f"{BUILDX_REQUIRED_FROM}.0 on need buildx for BuildKit builds. Install buildx "
            "(package docker-buildx-plugin or docker-buildx), or point quatrain at a client "
            "that has it with --docker PATH or QUATRAIN_DOCKER=PATH."
        )
        raise EngineError(msg)
    return Engine(
        binary=binary,
        client_version=client,
        server_version=str(server.get("Version", "")),
        buildx=buildx,
        env=dict(env),
        keep_containers=env.get(KEEP_CONTAINER_VARIABLE) == "1",
    )


def _check_minimum(binary: str, server: str) -> None:
    """An engine older than MINIMUM_ENGINE is an EngineError; a version that is not X.Y... (a
    development build) is let through, since nothing can be said about it."""
    found = re.match(r"(\d+)\.(\d+)", server)
    if found is None or (int(found[1]), int(found[2])) >= MINIMUM_ENGINE:
        return
    minimum = ".".join(map(str, MINIMUM_ENGINE))
    msg = (
        f"`{binary}` talks to Docker Engine {server}, and quatrain needs {minimum} or later: "
        f"the Dockerfile's RUN --mount (caches, secrets) needs the Dockerfile frontend 1.2 "
        f"that engines build with from {minimum} on. Upgrade the engine, or point DOCKER_HOST "
        "at a newer one."
    )
    raise EngineError(msg)


def parse_version(stdout: str) -> dict[str, dict[str, object]]:
    """`version --format json` as printed (Docker's and Podman's alike); {} if it is not JSON."""
    try:
        parsed = json.loads(stdout or "{}")
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def last_line(text: str) -> str:
    """An engine's last word on stderr, for an error message."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


@dataclass(frozen=True, kw_only=True)
class Outputs:
    """Where a build's image and cache go besides the engine's image store."""

    extra_tags: tuple[str, ...] = ()  # after the build's own tag
    push: bool = False  # buildx pushes from the builder; the classic path pushes afterwards
    cache_from: tuple[str, ...] = ()
    cache_to: tuple[str, ...] = ()
    builder: str | None = None  # a buildx builder by name; None: the current one
    driver: str = "docker"  # that builder's driver (see builder_driver)
    plain_http: bool = False  # Podman: every cache is on loopback, reached without TLS


def build_argv(
    engine: Engine,
    *,
    context: Path,
    dockerfile: Path,
    target: str | None,
    tag: str | None,
    build_args: Mapping[str, str],
    network: str | None,
    secrets: Mapping[str, Path] | None = None,
    outputs: Outputs = Outputs(),
) -> list[str]:
    if engine.kind == "podman":
        from quatrain.engines import podman  # podman builds on this module's Engine

        return podman.build_argv(
            engine, context=context, dockerfile=dockerfile, target=target, tag=tag,
            build_args=build_args, network=network, secrets=secrets, outputs=outputs,
        )  # fmt: skip
    argv = [engine.binary, *_builder_argv(engine, outputs)]
    argv += ["--progress=plain", "--file", str(dockerfile)]
    argv += build_flags(target, tag, build_args, network, secrets, outputs)
    return [*argv, str(context)]


def build_flags(
    target: str | None,
    tag: str | None,
    build_args: Mapping[str, str],
    network: str | None,
    secrets: Mapping[str, Path] | None,
    outputs: Outputs,
) -> list[str]:
    """The flags `docker build`, `docker buildx build` and `podman build` spell alike."""
    flags = ["--target", target] if target else []
    for name in (tag, *outputs.extra_tags) if tag else outputs.extra_tags:
        flags += ["--tag", name]
    for name, value in sorted(build_args.items()):
        flags += ["--build-arg", f"{name}={value}"]
    if network:
        flags += ["--network", network]
    for secret_id, path in sorted((secrets or {}).items()):
        flags += ["--secret", f"id={secret_id},src={path}"]
    for source in outputs.cache_from:
        flags += ["--cache-from", source]
    for destination in outputs.cache_to:
        flags += ["--cache-to", destination]
    return flags


def _builder_argv(engine: Engine, outputs: Outputs) -> list[str]:
    if not engine.buildx:
        _refuse_without_buildx(engine, outputs)
        return ["build"]
    argv = ["buildx", "build", *(["--builder", outputs.builder] if outputs.builder else [])]
    if not outputs.push:
        return [*argv, "--load"]
    # The docker driver's image exporter stores the image in the engine as it pushes; a second
    # exporter (--load beside --push) needs BuildKit 0.13, which the engine's own may not be.
    return [*argv, "--push"] if outputs.driver == "docker" else [*argv, "--push", "--load"]


def _refuse_without_buildx(engine: Engine, outputs: Outputs) -> None:
    if outputs.builder:
        msg = (
            f"--builder {outputs.builder} chooses a buildx builder, and `{engine.binary}` has no "
            "buildx plugin. Install buildx (docker-buildx-plugin or docker-buildx) or drop "
            "--builder (QUATRAIN_BUILDER)."
        )
        raise EngineError(msg)
    if outputs.cache_to:
        msg = (
            f"`{engine.binary} build` (BuildKit without buildx) cannot export a cache: it has no "
            "--cache-to. Use --cache-ref REGISTRY/NAME, which gives it the inline cache "
            "(the final image's layers), or a client with buildx and a docker-container builder."
        )
        raise EngineError(msg)


def builder_driver(engine: Engine, builder: str | None) -> str:
    """The driver of a buildx builder (`docker`, `docker-container`, ...): it decides which
    outputs and caches the builder can export."""
    result = capture(engine, "buildx", "inspect", *([builder] if builder else []))
    if result.returncode != 0:
        msg = (
            f"buildx has no builder {builder or '(current)'} ({last_line(result.stderr)}). "
            "`docker buildx ls` lists the builders; `docker buildx create --name NAME "
            "--driver docker-container` makes one."
        )
        raise EngineError(msg)
    found = re.search(r"^Driver:\s*(\S+)", result.stdout, re.MULTILINE)
    return found[1] if found else "docker"


def build_env(engine: Engine) -> dict[str, str]:
    if engine.kind == "podman":
        return dict(engine.env)
    # Engines before 23.0 use the legacy builder unless asked; the Dockerfile needs BuildKit.
    return {**engine.env, "DOCKER_BUILDKIT": "1"}


def build(
    engine: Engine,
    argv: Sequence[str],
    *,
    explain: Callable[[Sequence[str]], QuatrainError | None] | None = None,
) -> None:
    """Run a build, streaming the engine's progress to our stderr. A failure is BuildError,
    or what `explain` makes of the lines when it knows better (a registry that refused)."""
    code, lines = cmd.stream(argv, env=build_env(engine))
    if code == 0:
        return
    if engine.kind == "podman":
        from quatrain.engines import podman  # podman builds on this module's Engine

        if missing := podman.missing_base_image(engine, argv, lines):
            raise missing
    raise (explain(lines) if explain else None) or BuildError(build_failure(lines))


# uv's words when a package's sdist does not build (uv/crates/uv/src/commands/diagnostics.rs).
_FAILED_SOURCE_BUILD = re.compile(r"Failed to build `([^`]+)`")


# poetry-plugin-export's words when a locked package depends on one the lock does not hold
# (walker.py): Poetry before 1.4 never locked setuptools, and Poetry 1.0 still wrote the edge.
_UNLOCKED_DEPENDENCY = re.compile(r"Dependency walk failed at (\S+)")


def build_failure(lines: Sequence[str]) -> str:
    """What to tell the user about a failed build: which package did not build from source,
    or which dependency the lock names and does not hold, and what to do."""
    unlocked = sorted({m.group(1) for line in lines if (m := _UNLOCKED_DEPENDENCY.search(line))})
    if unlocked:
        return (
            f"The image build failed at `poetry export`: poetry.lock names {', '.join(unlocked)} "
            "as a dependency of a locked package but does not lock it (Poetry before 1.4 left "
            "setuptools out of every lock), and the export plugin refuses such a lock. Run "
            "`poetry lock` with a current Poetry, which locks it, and build again."
        )
    failed = sorted({m.group(1) for line in lines if (m := _FAILED_SOURCE_BUILD.search(line))})
    if not failed:
        return (
            "The image build failed; the engine's output above shows the step and its error. "
            "Fix the cause and build again (only the failed step and those after it re-run)."
        )
    return (
        f"The image build failed building {', '.join(failed)} from source: the lock has no "
        "wheel of it for the image's Python and platform, and its build needs tools or system "
        "libraries the image lacks (the compiler's error is above). Add the Debian packages it "
        "needs with build-apt-packages (and the libraries it loads at run time with "
        "apt-packages), or choose a python-version the lock has wheels for: `quatrain inspect` "
        "lists what builds from source."
    )


def run_argv(
    engine: Engine,
    image: str,
    *,
    command: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    network: str | None = None,
    publish: Sequence[str] = (),
    detach: bool = False,
    interactive: bool = False,
    name: str | None = None,
    entrypoint: str | None = None,
) -> list[str]:
    argv = [engine.binary, "run"]
    argv += ["--detach"] if detach else ["--rm"]
    if interactive:
        argv += ["--interactive", "--tty"]
    if name:
        argv += ["--name", name]
    if entrypoint:
        argv += ["--entrypoint", entrypoint]
    if network:
        argv += ["--network", network]
    for port in publish:
        argv += ["--publish", port]
    for key, value in sorted((env or {}).items()):
        argv += ["--env", f"{key}={value}"]
    return [*argv, image, *command]


def run(engine: Engine, argv: Sequence[str]) -> int:
    return cmd.call(argv, env=dict(engine.env))


def capture(engine: Engine, *args: str, echo: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `<docker> ARGS...` and hand back what it printed (`echo=False`: see cmd)."""
    return cmd.capture([engine.binary, *args], env=dict(engine.env), echo=echo)


@contextmanager
def running(
    engine: Engine,
    image: str,
    *,
    env: Mapping[str, str] | None = None,
    command: Sequence[str] = (),
) -> Iterator[str]:
    """A detached container with no network of its own, removed on exit (unless the engine
    keeps containers: QUATRAIN_DEBUG_KEEP_CONTAINER=1).

    With `--network none` the container has only its loopback: servers are reached from inside
    with `docker exec`, so nothing is published on the host and runs cannot clash over ports.
    """
    argv = run_argv(engine, image, command=command, env=env, network="none", detach=True)
    started = cmd.capture(argv, env=dict(engine.env))
    if started.returncode != 0:
        msg = f"Could not start a container from {image}: {last_line(started.stderr)}"
        raise EngineError(msg)
    container = started.stdout.strip()
    try:
        yield container
    finally:
        if engine.keep_containers:
            short, docker = container[:12], engine.binary  # docker takes an id's prefix
            log.info(
                f"Kept container {short} ({KEEP_CONTAINER_VARIABLE}=1): `{docker} logs {short}`; "
                f"`{docker} start {short}`, then `{docker} exec -it {short} sh` to look inside; "
                f"`{docker} rm --force {short}` when done."
            )
        else:
            capture(engine, "rm", "--force", container)
