"""The development loop: the development image with the project's sources live in it.

`quatrain dev` builds the development target and runs it with the build context mounted where
the image keeps the sources, so the framework's dev server reloads an edit; as the owner of the
project's directory, so that whatever the container writes there (a migration, a lock) stays
theirs; with the port published on 127.0.0.1. When pyproject.toml or poetry.lock changes it
rebuilds (the dependency layer, the rest from the cache) and restarts. Ctrl-C stops and
removes the container. One project, one container: a second `quatrain dev` says the first runs.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from quatrain import engines
from quatrain.dockerfile.render import DEVELOPMENT_RUN_ENV
from quatrain.errors import EngineError, QuatrainError
from quatrain.log import log
from quatrain.reading import source

WATCHED = ("pyproject.toml", "poetry.lock")
POLL_SECONDS = 0.5


@dataclass(frozen=True, kw_only=True)
class Session:
    """How one project's development container runs."""

    name: str  # the container's name: one per project directory
    owner: str  # "UID:GID" of the project directory
    mount: str  # HOST:CONTAINER, the build context where the image keeps the sources
    watched: tuple[Path, ...]  # the files whose change rebuilds
    publish: tuple[str, ...]  # ports, on 127.0.0.1
    network: str | None
    url: str | None  # where the dev server answers, for people
    # Where an edited Python file restarts the container: a process without a reloader of its
    # own (a worker, a bot); () when the dev server reloads by itself.
    restart_on: tuple[Path, ...] = ()


def session(
    *, project: Path, context: Path, name: str, port: int | None, network: str | None,
    restarts: bool = False,
) -> Session:  # fmt: skip
    """The session of a project: its container's name, owner, mount and ports; `restarts`,
    when an edit needs a restart (the development command does not reload)."""
    root = project.resolve()
    owner = root.stat()
    publish = (f"127.0.0.1:{port}:{port}",) if port and network != "host" else ()
    return Session(
        name=f"quatrain-dev-{_name_part(name)}-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}",
        owner=f"{owner.st_uid}:{owner.st_gid}",
        mount=f"{context.resolve()}:/app",
        watched=tuple(root / f for f in WATCHED),
        publish=publish,
        network=network,
        url=f"http://127.0.0.1:{port}/" if port else None,
        restart_on=(root,) if restarts else (),
    )


def _name_part(name: str) -> str:
    """The project's name as a container name may hold it ([a-z0-9-], as the engines accept
    and as the name filter reads literally): a directory's name can hold anything."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "project"


def is_running(engine: engines.Engine, name: str) -> bool:
    found = engines.capture(
        engine, "ps", "--quiet", "--filter", f"name=^{name}$", echo=False
    )  # fmt: skip
    return bool(found.stdout.strip())


def develop(
    engine: engines.Engine,
    dev: Session,
    *,
    build: Callable[[], str],
    env: Mapping[str, str],
    command: Sequence[str] = (),
    interactive: bool = False,
) -> int:
    """Build, then run: `command` once, or the dev server until Ctrl-C, rebuilding and
    restarting when a watched file changes. Returns the exit code to leave with."""
    if is_running(engine, dev.name):
        msg = (
            f"quatrain dev already runs for this project, in container {dev.name}"
            + (f" ({dev.url})" if dev.url else "")
            + f". Use that one, or stop it first: `{engine.binary} stop {dev.name}`."
        )
        raise EngineError(msg)
    image = build()
    with engines.settings_file({**dict(DEVELOPMENT_RUN_ENV), **env}) as env_file:

        def argv(image: str) -> list[str]:
            return engines.run_argv(
                engine, image, command=command, env_file=env_file, network=dev.network,
                publish=dev.publish, interactive=interactive, name=dev.name,
                user=dev.owner, groups=["0"], volumes=[dev.mount],
            )  # fmt: skip

        if command:
            return engines.run(engine, argv(image))
        log.info(
            (f"Serving on {dev.url}; " if dev.url else "")
            + ("an edited .py file restarts it" if dev.restart_on else "edits reload in place")
            + ", a change of "
            + " or ".join(p.name for p in dev.watched)
            + " rebuilds. Ctrl-C stops."
        )
        return _serve(engine, dev, build=build, argv=argv, image=image)


def _serve(
    engine: engines.Engine,
    dev: Session,
    *,
    build: Callable[[], str],
    argv: Callable[[str], list[str]],
    image: str,
) -> int:
    stamps = _stamps(dev.watched)
    sources = _source_stamps(dev.restart_on)
    process = engines.start(engine, argv(image))
    try:
        while True:
            time.sleep(POLL_SECONDS)
            if process.poll() is not None:  # a worker that finished, or a server that failed
                ended = f"The development container ended (exit {process.returncode})."
                (log.info if process.returncode == 0 else log.error)(ended)
                return process.returncode
            if dev.restart_on and (now_sources := _source_stamps(dev.restart_on)) != sources:
                sources = now_sources
                log.info("A Python file changed: restarting.")
                _stop(engine, dev, process)
                process = engines.start(engine, argv(image))
                continue
            if (now := _stamps(dev.watched)) == stamps:
                continue
            stamps = now
            log.info("pyproject.toml or poetry.lock changed: rebuilding.")
            try:
                image = build()
            except QuatrainError as error:  # keep serving the last image that built
                log.error(f"{error} Still serving the previous image; save again to retry.")
                continue
            _stop(engine, dev, process)
            process = engines.start(engine, argv(image))
    finally:
        _stop(engine, dev, process)


def _stop(engine: engines.Engine, dev: Session, process: subprocess.Popen[bytes]) -> None:
    """Stop and remove the container (run with --rm), and wait for its `run` to return."""
    if process.poll() is None:
        engines.capture(engine, "stop", "--time", "3", dev.name, echo=False)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            engines.capture(engine, "rm", "--force", dev.name, echo=False)
            process.kill()


def _stamps(paths: Sequence[Path]) -> tuple[tuple[int, int] | None, ...]:
    """What a change of the watched files changes: each one's mtime and size."""
    found: list[tuple[int, int] | None] = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            found.append(None)
        else:
            found.append((stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _source_stamps(roots: Sequence[Path]) -> frozenset[tuple[str, int, int]]:
    """The project's Python files, each with its mtime and size: an edit, a new file or a
    removed one changes it. Only .py: a worker that writes its state files beside its code
    must not restart itself."""
    found: set[tuple[str, int, int]] = set()
    for root in roots:
        for path in source.python_files(root):
            try:
                stat = path.stat()
            except OSError:  # removed meanwhile
                continue
            found.add((str(path), stat.st_mtime_ns, stat.st_size))
    return frozenset(found)
