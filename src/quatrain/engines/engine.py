"""The engine as a value, and what every engine's command line spells alike: Docker's and
Podman's run, exec, inspect, logs, stop and rm take the same flags, and their builds share
most of theirs. What differs is each engine's own module (docker.py, podman.py), chosen from
the table in engines/__init__.py by Engine.kind.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from quatrain import cmd
from quatrain.errors import ConfigurationError, EngineError
from quatrain.log import log
from quatrain.settings.schema import EngineKind

# Set to 1, verify leaves its containers behind for a look inside (not an option of the image).
KEEP_CONTAINER_VARIABLE = "QUATRAIN_DEBUG_KEEP_CONTAINER"


@dataclass(frozen=True, kw_only=True)
class Engine:
    kind: EngineKind = "docker"
    binary: str
    client_version: str
    server_version: str
    buildx: bool
    env: Mapping[str, str]  # the environment every engine command runs with
    keep_containers: bool = False  # QUATRAIN_DEBUG_KEEP_CONTAINER=1: `running` removes none


def parse_version(stdout: str) -> dict[str, dict[str, object]]:
    """`version --format json` as printed (Docker's and Podman's alike); {} if it is not JSON."""
    try:
        parsed = json.loads(stdout or "{}")
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


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


# uv's words when a package's sdist does not build (uv/crates/uv/src/commands/diagnostics.rs).
_FAILED_SOURCE_BUILD = re.compile(r"Failed to build `([^`]+)`")


# poetry-plugin-export's words when a locked package depends on one the lock does not hold
# (walker.py): Poetry before 1.4 never locked setuptools, and Poetry 1.0 still wrote the edge.
_UNLOCKED_DEPENDENCY = re.compile(r"Dependency walk failed at (\S+)")


# uv's words when an index cannot be reached (no DNS answer, no connection): the URL it asked.
_UNREACHED_INDEX = re.compile(r"error sending request for url \((https?://[^/)\s]+)")


def build_failure(lines: Sequence[str]) -> str:
    """What to tell the user about a failed build: an index the build could not reach, which
    package did not build from source, or which dependency the lock names and does not hold,
    and what to do."""
    unreached = sorted({m.group(1) for line in lines if (m := _UNREACHED_INDEX.search(line))})
    if unreached:
        return (
            f"The image build could not reach {', '.join(unreached)}, where poetry.lock says "
            "packages come from (a source in pyproject.toml, or its locked URLs). Build where "
            "that index answers (its network or VPN; credentials go in private-sources), or "
            "lock from an index the build can reach."
        )
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
    env_file: Path | None = None,
    network: str | None = None,
    publish: Sequence[str] = (),
    detach: bool = False,
    interactive: bool = False,
    name: str | None = None,
    entrypoint: str | None = None,
    user: str | None = None,
    groups: Sequence[str] = (),
    volumes: Sequence[str] = (),
) -> list[str]:
    """`run` with the container's settings in `env_file` (see settings_file), never in argv."""
    argv = [engine.binary, "run"]
    argv += ["--detach"] if detach else ["--rm"]
    if interactive:
        argv += ["--interactive", "--tty"]
    if name:
        argv += ["--name", name]
    if user:
        argv += ["--user", user]
    for group in groups:
        argv += ["--group-add", group]
    for volume in volumes:
        argv += ["--volume", volume]
    if entrypoint:
        argv += ["--entrypoint", entrypoint]
    if network:
        argv += ["--network", network]
    for port in publish:
        argv += ["--publish", port]
    if env_file:
        argv += ["--env-file", str(env_file)]
    return [*argv, image, *command]


# The longest setting value passed to a container: the engines read an env file line by line
# with Go's bufio.Scanner, whose line limit is 64 KiB.
MAX_SETTING_LENGTH = 32_768


@contextmanager
def settings_file(env: Mapping[str, str] | None) -> Iterator[Path | None]:
    """The container's settings as an env file only the user can read, removed on exit; None
    without settings. A value in argv would be in the echoed command and in every local
    user's `ps`; the engine reads this file instead (`--env-file`, Docker's and Podman's
    alike: each line KEY=VALUE, the value as written)."""
    if not env:
        yield None
        return
    for key, value in env.items():
        _check_setting(key, value)
    lines = "".join(f"{key}={value}\n" for key, value in sorted(env.items()))
    with private_files({"settings.env": lines}) as paths:
        yield paths["settings.env"]


@contextmanager
def private_files(files: Mapping[str, str]) -> Iterator[dict[str, Path]]:
    """Files the engine reads (secrets, settings) that only the user can read: 0600 in a
    0700 directory, removed on exit; by name."""
    with tempfile.TemporaryDirectory(prefix="quatrain-") as private:
        paths = {}
        for name, text in files.items():
            path = Path(private) / name
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
                out.write(text)
            paths[name] = path
        yield paths


def _check_setting(key: str, value: str) -> None:
    if any(c in value for c in "\n\r\0"):
        msg = (
            f"The setting {key} has a line break or a NUL byte in its value, which a container's "
            "environment file cannot carry. Pass it on one line."
        )
        raise ConfigurationError(msg)
    if len(value) > MAX_SETTING_LENGTH:
        msg = (
            f"The setting {key} is {len(value)} characters long; a container setting may have "
            f"at most {MAX_SETTING_LENGTH}. Put long data in a file the app reads instead."
        )
        raise ConfigurationError(msg)


def run(engine: Engine, argv: Sequence[str]) -> int:
    return cmd.call(argv, env=dict(engine.env))


def start(engine: Engine, argv: Sequence[str]) -> subprocess.Popen[bytes]:
    """A `run` in the foreground of our terminal, handed back running (quatrain dev)."""
    return cmd.start(argv, env=dict(engine.env))


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
    with settings_file(env) as env_file:
        argv = run_argv(
            engine, image, command=command, env_file=env_file, network="none", detach=True
        )
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
