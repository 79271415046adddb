"""Docker as the engine: BuildKit through the buildx plugin or the classic client.

BuildKit comes two ways: the buildx plugin (`docker buildx build --load`), or, on engines up to
22.x without buildx, the classic client with DOCKER_BUILDKIT=1. A Docker 23+ client without
buildx refuses DOCKER_BUILDKIT=1, so that combination is an error with a way out.

Where the result goes differs too. buildx pushes from the builder (`--push`); its `docker`
driver (the engine's own BuildKit) also keeps the image in the engine, and exports no cache but
the inline one. The classic client only builds; the tags are pushed after it with `docker push`,
and it has no `--cache-to` at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from quatrain import cmd
from quatrain.engines.engine import (
    KEEP_CONTAINER_VARIABLE,
    Engine,
    Outputs,
    capture,
    last_line,
    parse_version,
)
from quatrain.errors import EngineError

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
# Docker's registry cache is BuildKit's (cache manifests or the inline cache), not a layer cache.
LAYER_CACHE = False


def find_binary() -> str:
    return "docker"


def connect(binary: str, env: Mapping[str, str]) -> Engine:
    """Check the engine is there, its daemon answers and BuildKit is usable."""
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


def _major(version: str) -> int:
    head = version.split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def build_argv(
    engine: Engine,
    *,
    dockerfile: Path,
    build_args: Mapping[str, str],
    outputs: Outputs,
    flags: Sequence[str],
) -> list[str]:
    """`docker build` or `docker buildx build`, with the flags every engine spells alike."""
    argv = [engine.binary, *_builder_argv(engine, outputs)]
    return [*argv, "--progress=plain", "--file", str(dockerfile), *flags]


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
    # Engines before 23.0 use the legacy builder unless asked; the Dockerfile needs BuildKit.
    return {**engine.env, "DOCKER_BUILDKIT": "1"}


def plain_http_flags(loopback: bool) -> list[str]:
    """Docker reaches a registry on loopback over plain HTTP by itself."""
    return []


def explain_build(engine: Engine, argv: Sequence[str], lines: Sequence[str]) -> EngineError | None:
    """Nothing of Docker's own to say about a failed build beyond the shared explanations."""
    return None
