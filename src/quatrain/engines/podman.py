"""Podman as the engine: its version check, its `podman build` argv, and what its builder
(Buildah) cannot do, refused before anything runs.

Podman builds with Buildah: `podman build --format docker`, since the OCI format it writes by
default has no HEALTHCHECK; there is no BuildKit, buildx or builder to choose, and
`--cache-from/--cache-to` name a registry repository, not `type=...` entries. Everything else
(run, exec, inspect, logs, rm) is shared: engine.py.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from quatrain import cmd
from quatrain.engines.engine import (
    KEEP_CONTAINER_VARIABLE,
    Engine,
    Outputs,
    last_line,
    parse_version,
)
from quatrain.errors import EngineError

# Podman's registry cache is a layer cache: Buildah pushes each step's layer to the repository.
LAYER_CACHE = True

# The first Podman whose builder has every RUN --mount the Dockerfile uses: secret mounts came
# with Buildah 1.21 (containers/buildah#3177), cache mounts with Buildah 1.24
# (containers/buildah#3574), which Podman 4.0 carries (containers/podman#14431: "4.1 supports
# type=cache"; 3.4 answers `invalid mount type "cache"`, containers/podman#12062). The engine
# tests run on Debian bookworm's 4.3.1 (Buildah 1.28).
MINIMUM_PODMAN = (4, 0)


def find_binary() -> str:
    """podman on PATH, else /usr/bin/podman when it is there (sudo and cron keep a short
    PATH)."""
    if shutil.which("podman") is None and Path("/usr/bin/podman").is_file():
        return "/usr/bin/podman"
    return "podman"


def connect(binary: str, env: Mapping[str, str]) -> Engine:
    """Check it is a Podman recent enough for the Dockerfile (the server's version, when
    `podman --remote` talks to one)."""
    # Local Podman answers with a Client only; `podman --remote` (a VM, a socket) adds Server.
    result = cmd.capture([binary, "version", "--format", "json"], env=env)
    versions = parse_version(result.stdout)
    client = str(versions.get("Client", {}).get("Version", ""))
    server = str((versions.get("Server") or {}).get("Version", "")) or client
    if result.returncode != 0 or not client:
        msg = (
            f"`{binary} version` did not answer as Podman does "
            f"({last_line(result.stderr) or 'no version'}). Install Podman "
            f"{'.'.join(map(str, MINIMUM_PODMAN))} or later (Debian, Ubuntu: apt-get install "
            "podman), or point quatrain at it with --docker PATH or QUATRAIN_DOCKER=PATH."
        )
        raise EngineError(msg)
    found = re.match(r"(\d+)\.(\d+)", server)
    if found and (int(found[1]), int(found[2])) < MINIMUM_PODMAN:
        minimum = ".".join(map(str, MINIMUM_PODMAN))
        msg = (
            f"`{binary}` is Podman {server}, and quatrain needs {minimum} or later: the "
            "Dockerfile's RUN --mount=type=cache needs Buildah 1.24, which Podman 4.0 brought. "
            "Upgrade Podman, or build with Docker (--engine docker)."
        )
        raise EngineError(msg)
    return Engine(
        kind="podman",
        binary=binary,
        client_version=client,
        server_version=server,
        buildx=False,
        env=dict(env),
        keep_containers=env.get(KEEP_CONTAINER_VARIABLE) == "1",
    )


def build_argv(
    engine: Engine,
    *,
    dockerfile: Path,
    build_args: Mapping[str, str],
    outputs: Outputs,
    flags: Sequence[str],
) -> list[str]:
    """`podman build`, which has no --progress (its output is plain) and keeps layers by
    default; the tags are pushed after it (`podman push`), as with the classic builder."""
    _refuse(engine, outputs, build_args)
    # The Docker format: Podman's default OCI format drops HEALTHCHECK (and SHELL).
    argv = [engine.binary, "build", "--format", "docker", "--file", str(dockerfile)]
    # BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile; Podman 4.3 reads only the
    # context's .dockerignore (checked), so the rules that keep files out are named.
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    if ignore.is_file():
        argv += ["--ignorefile", str(ignore)]
    argv += flags
    epoch = engine.env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        # Buildah dates every file of the new layers and the image itself: two builds of the
        # same inputs give one image ID (checked with Podman 4.3; docs/daemonless.md).
        argv += ["--timestamp", epoch]
    if outputs.plain_http:
        # Buildah 1.28's --tls-verify covers the FROM pulls as well as the cache, and has no
        # per-host form: --pull=never keeps the base images to the store (never pulled then).
        argv += ["--tls-verify=false", "--pull=never"]
    return argv


def build_env(engine: Engine) -> dict[str, str]:
    return dict(engine.env)


def plain_http_flags(loopback: bool) -> list[str]:
    """What `podman push/pull` needs for a registry on loopback, which Docker needs nothing for."""
    return ["--tls-verify=false"] if loopback else []


def _refuse(engine: Engine, outputs: Outputs, build_args: Mapping[str, str]) -> None:
    if "BUILDKIT_INLINE_CACHE" in build_args:  # BuildKit's inline cache, asked by hand
        msg = (
            "BUILDKIT_INLINE_CACHE asks BuildKit for an inline cache, which Podman neither "
            "writes nor reads. Drop that build argument: --cache-ref REGISTRY/NAME gives Podman "
            "its own registry cache (--cache-from/--cache-to that repository)."
        )
        raise EngineError(msg)
    if outputs.builder:
        msg = (
            f"--builder {outputs.builder} chooses a buildx builder, and Podman has none: "
            f"`{engine.binary} build` is the builder. Drop --builder (QUATRAIN_BUILDER), or "
            "build with Docker (--engine docker)."
        )
        raise EngineError(msg)
    for given in (*outputs.cache_from, *outputs.cache_to):
        if "=" in given:
            msg = (
                f"Podman takes a cache as a registry repository (REGISTRY/NAME), not {given!r}: "
                "its --cache-from/--cache-to have no type=... entries. Pass the repository "
                "alone, e.g. --cache-to 127.0.0.1:5000/shop-cache."
            )
            raise EngineError(msg)


# Buildah's words for a FROM image it may not pull: `...: python:3.12-slim: image not known`.
_NOT_IN_STORE = re.compile(r"(\S+): image not known")


def _not_in_store(lines: Sequence[str]) -> str | None:
    return next((m[1] for line in lines if (m := _NOT_IN_STORE.search(line))), None)


def explain_build(engine: Engine, argv: Sequence[str], lines: Sequence[str]) -> EngineError | None:
    """A build with --pull=never (a cache on a loopback registry) that failed for a base image
    not in the store: say which, and how to pull it with TLS."""
    if "--pull=never" not in argv or not (missing := _not_in_store(lines)):
        return None
    msg = (
        f"Podman has no {missing} in its store, and with a cache on a loopback registry "
        "(plain HTTP) quatrain builds with --pull=never, since Podman's --tls-verify=false "
        f"would cover that pull too. Pull it once with TLS (`{engine.binary} pull "
        f"{missing}`) and build again."
    )
    return EngineError(msg)
