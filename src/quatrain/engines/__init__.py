"""The container engines: one module each (docker.py, podman.py) behind one protocol, chosen
from one table by the `engine` option. engine.py holds the Engine value and what every engine's
command line spells alike; the functions here dispatch to the engine's own module.

A new engine is one module that has what EngineModule names, and one entry in ENGINES.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from quatrain import cmd
from quatrain.engines import docker, podman
from quatrain.engines.docker import builder_driver
from quatrain.engines.engine import (
    KEEP_CONTAINER_VARIABLE,
    Engine,
    Outputs,
    build_failure,
    build_flags,
    capture,
    last_line,
    private_files,
    run,
    run_argv,
    running,
    settings_file,
    start,
)
from quatrain.errors import BuildError, EngineError, QuatrainError
from quatrain.settings.schema import EngineKind

__all__ = [
    "ENGINES",
    "KEEP_CONTAINER_VARIABLE",
    "Engine",
    "EngineModule",
    "Outputs",
    "binary_for",
    "build",
    "build_argv",
    "build_env",
    "build_failure",
    "builder_driver",
    "capture",
    "connect",
    "last_line",
    "module_of",
    "private_files",
    "run",
    "run_argv",
    "running",
    "settings_file",
    "start",
]


class EngineModule(Protocol):
    """What an engine's module provides; each is a module of this package."""

    # Its registry cache is a layer cache in a repository (Buildah), not BuildKit's.
    LAYER_CACHE: bool

    def find_binary(self) -> str: ...

    def connect(self, binary: str, env: Mapping[str, str]) -> Engine: ...

    def build_argv(
        self,
        engine: Engine,
        *,
        dockerfile: Path,
        build_args: Mapping[str, str],
        outputs: Outputs,
        flags: Sequence[str],
    ) -> list[str]:
        """The build command up to the context, with `flags` (what every engine spells
        alike) where the engine takes them."""

    def build_env(self, engine: Engine) -> dict[str, str]: ...

    def plain_http_flags(self, loopback: bool) -> list[str]: ...

    def explain_build(
        self, engine: Engine, argv: Sequence[str], lines: Sequence[str]
    ) -> EngineError | None: ...


ENGINES: Mapping[EngineKind, EngineModule] = {"docker": docker, "podman": podman}


def module_of(engine: Engine) -> EngineModule:
    return ENGINES[engine.kind]


def binary_for(kind: EngineKind, configured: str | None) -> str:
    """The program to run: the one the user named (the docker option, QUATRAIN_DOCKER or
    --docker), else the engine's own (its name on PATH)."""
    return configured or ENGINES[kind].find_binary()


def connect(binary: str, env: Mapping[str, str], *, kind: EngineKind = "docker") -> Engine:
    """Check the engine is there and can build the Dockerfile as written."""
    return ENGINES[kind].connect(binary, env)


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
    outputs: Outputs | None = None,
) -> list[str]:
    outputs = outputs or Outputs()
    flags = build_flags(target, tag, build_args, network, secrets, outputs)
    argv = module_of(engine).build_argv(
        engine, dockerfile=dockerfile, build_args=build_args, outputs=outputs, flags=flags
    )
    return [*argv, str(context)]


def build_env(engine: Engine) -> dict[str, str]:
    """The environment the engine's build runs with."""
    return module_of(engine).build_env(engine)


def build(
    engine: Engine,
    argv: Sequence[str],
    *,
    explain: Callable[[Sequence[str]], QuatrainError | None] | None = None,
) -> None:
    """Run a build, streaming the engine's progress to our stderr. A failure is BuildError,
    or what the engine or `explain` makes of the lines when they know better (a base image
    not in Podman's store, a registry that refused)."""
    code, lines = cmd.stream(argv, env=build_env(engine))
    if code == 0:
        return
    if known := module_of(engine).explain_build(engine, argv, lines):
        raise known
    raise (explain(lines) if explain else None) or BuildError(build_failure(lines))
