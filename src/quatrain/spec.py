"""ServeSpec: what the images run, as detection decided it. A value, produced by `detect`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from quatrain.reading.lock import LockedPackage

# wsgi/asgi: served by a WSGI/ASGI server; http: a server of its own (Streamlit, aiohttp);
# worker: a long-running process that serves no port (a Celery worker); cli: a console script.
Kind = Literal["wsgi", "asgi", "http", "worker", "cli"]
# How the development loop takes an edit: the dev server reloads it; the container restarts
# (a process with no reloader of its own); or a shell, where a command-line tool is run by hand.
Loop = Literal["reload", "restart", "shell"]


@dataclass(frozen=True, kw_only=True)
class ServeSpec:
    """How the project is served in production and in development."""

    detector: str  # the detector that matched: "flask", "asgi", "django", "console-script"
    kind: Kind
    framework: str  # "flask", "fastapi", "django", "console-script", ...
    app: str  # what the server loads ("pkg:create_app()"), or the console script's name
    found_in: str  # where detection saw it, for people: "src/pkg/__init__.py: create_app()"
    production_command: tuple[str, ...]
    development_command: tuple[str, ...]
    production_entrypoint: tuple[str, ...] = ()  # a console script; () keeps the base image's
    production_env: tuple[tuple[str, str], ...] = ()  # sorted (name, value) pairs
    development_env: tuple[tuple[str, str], ...] = ()
    production_server: str | None = None  # the distribution that must be locked: "gunicorn"
    # The directory (relative to the project) the app runs from: it imports its siblings.
    workdir: str = ""
    # What quatrain installs beside the lock, pinned by hash, because the lock has no server.
    brought_packages: tuple[LockedPackage, ...] = ()
    production_steps: tuple[str, ...] = ()  # shell commands run once the project is installed
    # The production steps read node_modules: npm installs package-lock.json (at the project's
    # root) in a stage of its own, mounted for those steps only (django-npm's NpmFinder).
    node_packages: bool = False
    warnings: tuple[str, ...] = ()  # what detection saw and left to the user, in plain words
    reloads: bool = False  # the development command reloads an edited source by itself
    # The other process a user may want an image of, for people: the Celery worker beside a web
    # app, with the command that runs it.
    companions: tuple[str, ...] = ()

    @property
    def http(self) -> bool:
        return self.kind in ("wsgi", "asgi", "http")

    @property
    def worker(self) -> bool:
        """A process that stays up and serves no port."""
        return self.kind == "worker"

    @property
    def command_line(self) -> bool:
        """A console script: the image runs it with the arguments it is given."""
        return self.kind == "cli"

    @property
    def loop(self) -> Loop:
        """How `quatrain dev` and compose.yaml's development service take an edit."""
        if self.command_line:
            return "shell"
        return "reload" if self.reloads else "restart"
