"""The commands that serve an app, in production and in development, chosen from the lock.

No command needs `eval`: gunicorn and uvicorn read $PORT/$WEB_CONCURRENCY themselves where
they can; where a server only takes the port on its command line, `sh -c 'exec ...'` expands
it and hands PID 1 to the server, so SIGTERM reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quatrain.errors import ProjectError
from quatrain.reading.lock import LockedPackage
from quatrain.reading.project import Lock, canonical_name
from quatrain.reading.server_config import ServerConfig
from quatrain.reading.wheels import minor_tuple
from quatrain.settings.options import Options

# gunicorn's own ASGI worker is stable from 25.1 (docs/content/2026-news.md).
GUNICORN_ASGI_FROM = (25, 1)
# ... and its control socket (docs/content/guides/gunicornc.md), on by default.
GUNICORN_CONTROL_SOCKET_FROM = (25, 1)
# From 24.0 `--reuse-port` gives every worker its own listening socket (arbiter.spawn_worker);
# before, it only set SO_REUSEPORT on the one socket all workers share, which balances nothing.
GUNICORN_REUSE_PORT_FROM = (24, 0)
# From 20.1 gunicorn loads `module:function("literal", ...)` as well as `module:name`
# (util.import_app parses the text with `ast`).
GUNICORN_CALLS_FROM = (20, 1)


# The server of a WSGI app whose lock has none at all (many lock only `runserver`'s Django or
# Flask's own): gunicorn, pinned by the hash of its wheel on PyPI. It needs no distribution at
# run time (27.0's requirements are all behind extras) and Python 3.10+.
BROUGHT_GUNICORN = LockedPackage(
    name="gunicorn",
    version="27.0.1",
    groups=("main",),
    files=("gunicorn-27.0.1-py3-none-any.whl",),  # the one file that hash is of
    hashes=("sha256:378b26b9a38adcf4592f28828233c1716acc55e833ea06bf48719782efaa0d10",),
)
# ... and on Python 3.9, past its end of life (python_choice.PAST_END_OF_LIFE), the newest
# gunicorn that runs on it. Its one requirement, packaging, is imported by the eventlet and
# gevent workers only; the threads of quatrain's command need nothing more.
BROUGHT_GUNICORN_FOR_3_9 = LockedPackage(
    name="gunicorn",
    version="23.0.0",
    groups=("main",),
    files=("gunicorn-23.0.0-py3-none-any.whl",),
    hashes=("sha256:ec400d38950de4dfd418cff8328b2c8faed0edb0d517d3394e457c317908ca4d",),
)


def brought_gunicorn(python: str | None) -> LockedPackage:
    """The gunicorn quatrain brings for an image of this Python X.Y (or X.Y.Z; None: the
    default choice, 3.10 or later)."""
    if python is not None and minor_tuple(python) < (3, 10):
        return BROUGHT_GUNICORN_FOR_3_9
    return BROUGHT_GUNICORN


@dataclass(frozen=True, kw_only=True)
class Server:
    command: tuple[str, ...]
    requires: str  # the distribution that must be locked in the main group
    brought: tuple[LockedPackage, ...] = ()  # or that quatrain installs, pinned, beside the lock


def locked_in_main(lock: Lock, name: str, extras: Sequence[str] = ()) -> bool:
    """Installed in the production image: the main group, and not only through an extra (one
    of `extras`, which the images install, is as good)."""
    package = lock.package(name)
    if package is None or "main" not in package.groups:
        return False
    chosen = {canonical_name(e) for e in extras}
    through = {canonical_name(e) for e, names in (lock.extras or {}).items() if name in names}
    return not package.optional or bool(chosen & through)


def locked_anywhere(lock: Lock, name: str) -> bool:
    return lock.package(name) is not None


def in_shell(command: str) -> tuple[str, ...]:
    """Exec form that still expands $PORT: `sh -c` runs it and `exec` makes it PID 1."""
    return ("sh", "-c", f"exec {command}")


def gunicorn(
    app: str, options: Options, lock: Lock, *, worker: str | None = None,
    version: str | None = None,
) -> tuple[str, ...]:  # fmt: skip
    """gunicorn's command for the locked gunicorn, or for `version` when quatrain brings it."""
    if version is None:
        locked = lock.package("gunicorn")
        version = locked.version if locked else ""
    # gunicorn binds 0.0.0.0:$PORT and takes its worker count from $WEB_CONCURRENCY by itself.
    # The graceful timeout stays under `docker stop`'s 10 s before SIGKILL.
    worker_flags = (f"--worker-class={worker}",) if worker else (f"--threads={options.threads}",)
    # gunicorn 25.1 opens a control socket under $HOME, which a read-only root filesystem
    # refuses ("Control server error: Read-only file system"): /dev/shm is always writable.
    control = (
        ("--control-socket=/dev/shm/gunicorn.ctl",)
        if at_least(version, GUNICORN_CONTROL_SOCKET_FROM)
        else ()
    )
    # Workers sharing one socket take connections as they come: a keep-alive connection stays
    # on the worker whose accept loop woke first, and a client that opens all its connections
    # at once can find every one on one worker while the others idle (bench/notes.md: all 16
    # of wrk's on one worker, at the requests/s of one worker: under half of two). With a
    # socket per worker the kernel spreads new connections over the workers by address hash.
    reuse_port = ("--reuse-port",) if at_least(version, GUNICORN_REUSE_PORT_FROM) else ()
    return (
        "gunicorn",
        *(("--access-logfile=-",) if options.access_log else ()),
        "--graceful-timeout=8",
        *worker_flags,
        *reuse_port,
        "--worker-tmp-dir=/dev/shm",
        *control,
        app,
    )


# A config file that sets nothing, so that gunicorn reads no ./gunicorn.conf.py (it warns once
# that the name has no .py extension, and reads it all the same).
NO_CONFIG = "--config=/dev/null"


def without_vm_config(command: tuple[str, ...], config: ServerConfig) -> tuple[str, ...]:
    """A gunicorn command that reads none of the project's gunicorn.conf.py, with the settings
    kept from it as flags, after quatrain's own (the last of a flag wins) and before the app."""
    if command[:1] != ("gunicorn",):
        return command
    return ("gunicorn", NO_CONFIG, *command[1:-1], *config.flags, command[-1])


def in_shell_with(command: str, argument: str) -> tuple[str, ...]:
    """Like `in_shell`, with the user's text as the shell's "$1", never parsed as shell."""
    return ("sh", "-c", f"exec {command}", "sh", argument)


def wsgi_server(app: str, lock: Lock, options: Options, project_name: str) -> Server:
    """The locked gunicorn; where production would install none (none locked, or one locked
    only in another group or an extra), the one quatrain brings for the images' Python
    (options.python_version, which the pipeline fills with its choice)."""
    if locked_in_main(lock, "gunicorn", options.extras):
        return Server(command=gunicorn(app, options, lock), requires="gunicorn")
    return brought_server(app, options, lock)


def brought_server(app: str, options: Options, lock: Lock, *, worker: str | None = None) -> Server:
    """gunicorn, pinned by the hash of its wheel, with `worker`: it needs no distribution at
    run time, so nothing it brings can disagree with the lock."""
    brought = brought_gunicorn(options.python_version)
    command = gunicorn(app, options, lock, worker=worker, version=brought.version)
    return Server(command=command, requires="gunicorn", brought=(brought,))


def gunicorn_loads_calls(lock: Lock) -> bool:
    """The gunicorn that wsgi_server chooses (the locked one, else one that quatrain brings,
    20.1 or later whatever the Python) loads `module:function(...)`."""
    locked = lock.package("gunicorn")
    return at_least(locked.version if locked else BROUGHT_GUNICORN.version, GUNICORN_CALLS_FROM)


def asgi_server(app: str, lock: Lock, options: Options, project_name: str) -> Server:
    """Follow what the project locks: gunicorn with uvicorn's worker, gunicorn's own ASGI
    worker, or uvicorn alone; where production would install none of them, gunicorn with its
    own ASGI worker, brought."""
    if locked_in_main(lock, "gunicorn", options.extras):
        if locked_in_main(lock, "uvicorn-worker", options.extras):
            worker = "uvicorn_worker.UvicornWorker"
            return Server(command=gunicorn(app, options, lock, worker=worker), requires="gunicorn")
        if locked_in_main(lock, "uvicorn", options.extras):
            # Deprecated since uvicorn 0.30 in favour of uvicorn-worker, and still shipped.
            worker = "uvicorn.workers.UvicornWorker"
            return Server(command=gunicorn(app, options, lock, worker=worker), requires="gunicorn")
        if _version_at_least(lock, "gunicorn", GUNICORN_ASGI_FROM):
            return Server(command=gunicorn(app, options, lock, worker="asgi"), requires="gunicorn")
    if locked_in_main(lock, "uvicorn", options.extras):
        # uvicorn reads $WEB_CONCURRENCY for --workers, but the port only from its flags.
        log = " --no-access-log" if not options.access_log else ""  # uvicorn logs by default
        command = uvicorn(app, f'--host 0.0.0.0 --port "$PORT" --proxy-headers{log}')
        return Server(command=command, requires="uvicorn")
    # No server in production: gunicorn's own ASGI worker, which needs nothing more (uvicorn
    # would bring click and h11, which the lock may hold at other versions).
    # (A gunicorn of the lock's own, too old for that worker, is never replaced behind its back.)
    brought = brought_gunicorn(options.python_version)
    if not locked_in_main(lock, "gunicorn", options.extras) and at_least(
        brought.version, GUNICORN_ASGI_FROM
    ):
        return brought_server(app, options, lock, worker="asgi")
    raise missing_server(project_name, "gunicorn uvicorn-worker", "an ASGI app", lock)


def asgi_development(app: str, lock: Lock, production: Server) -> tuple[str, ...]:
    if locked_anywhere(lock, "uvicorn"):
        return uvicorn(app, '--reload --host 0.0.0.0 --port "$PORT"')
    return (*production.command[:-1], "--reload", production.command[-1])


def uvicorn(app: str, flags: str) -> tuple[str, ...]:
    """uvicorn takes the port only from its flags, so a shell expands $PORT; the app, which may
    be the user's text, is the shell's "$1", never read as shell."""
    factory, target = factory_flag(app)
    return in_shell_with(f'uvicorn "$1"{factory} {flags}', target)


def factory_flag(app: str) -> tuple[str, str]:
    """gunicorn calls `pkg:create_app()` itself; uvicorn and Sanic want `pkg:create_app` and
    `--factory`: (" --factory", "pkg:create_app"), or ("", app) for an app object."""
    if app.endswith("()"):
        return " --factory", app.removesuffix("()")
    return "", app


def _version_at_least(lock: Lock, name: str, minimum: tuple[int, int]) -> bool:
    package = lock.package(name)
    return package is not None and at_least(package.version, minimum)


def at_least(version: str, minimum: tuple[int, int]) -> bool:
    """`version`'s X.Y is `minimum` or later."""
    numbers = [int(part) for part in version.split(".")[:2] if part.isdigit()]
    return bool(numbers) and tuple(numbers) >= minimum


def missing_server(project_name: str, packages: str, what: str, lock: Lock) -> ProjectError:
    """The server is not installed in production; where it is locked instead, if anywhere, is
    said precisely: a development server is never the fallback."""
    notes, removes = [], []
    for name in packages.split():
        package = lock.package(name)
        if package is None or locked_in_main(lock, name):
            continue
        if "main" in package.groups:  # and optional: only an extra installs it
            extras = sorted(e for e, names in (lock.extras or {}).items() if name in names)
            through = f"the extra {', '.join(f'`{e}`' for e in extras)}" if extras else "an extra"
            notes.append(f"{name} is locked only through {through}")
        else:
            groups = ", ".join(f"`{g}`" for g in package.groups)
            plural = "s" if len(package.groups) > 1 else ""
            notes.append(f"{name} is locked only in the {groups} group{plural}")
            removes.append(f"poetry remove --group {package.groups[0]} {name} && ")
    found = (
        f" {'; '.join(notes)}, which the production image does not install (it installs the "
        "main group without extras)."
        if notes
        else ""
    )
    msg = (
        f"{project_name} is {what}, and its production image needs a server that the project "
        f"locks as a runtime dependency; none is.{found} Run `{''.join(removes)}poetry add "
        f"{packages}` and build again."
    )
    return ProjectError(msg)
