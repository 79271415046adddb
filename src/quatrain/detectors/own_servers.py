"""Apps that run on their framework's own server or worker: Streamlit, Sanic, and aiohttp (its
runner, or gunicorn with aiohttp's worker)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

from quatrain.detectors import aiohttp_apps, servers
from quatrain.detectors.aiohttp_apps import AiohttpApp
from quatrain.detectors.candidates import chosen_app, lock_of
from quatrain.detectors.main_module import main_modules, run_module
from quatrain.errors import DetectionError
from quatrain.reading import source
from quatrain.reading.lock import LockedPackage
from quatrain.reading.project import Project
from quatrain.settings.options import Options
from quatrain.settings.schema import Serve
from quatrain.spec import ServeSpec


class StreamlitDetector:
    """A Streamlit app is a script that Streamlit's own server runs: `streamlit run FILE`."""

    name: ClassVar[Serve] = "streamlit"
    fallback: ClassVar[bool] = False
    looks_for: ClassVar[str] = (
        "a streamlit dependency and one script that imports streamlit (outside pages/), or "
        'app = "path/to/app.py"'
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "streamlit" not in project.dependencies:
            return None
        script, found_in = _streamlit_script(project, options)
        if script is None:
            return None
        if not servers.locked_in_main(lock_of(project), "streamlit"):
            raise servers.missing_server(
                project.name, "streamlit", "a Streamlit app", lock_of(project)
            )
        # Streamlit takes the port only as a flag (or STREAMLIT_SERVER_PORT): a shell expands
        # $PORT, and the script's path is "$1", never parsed as shell.
        flags = '--server.port "$PORT" --server.address 0.0.0.0 --server.headless true'
        return ServeSpec(
            detector=self.name,
            kind="http",
            framework="streamlit",
            app=script,
            found_in=found_in,
            production_command=servers.in_shell_with(f'streamlit run "$1" {flags}', script),
            development_command=servers.in_shell_with(
                f'streamlit run "$1" {flags} --server.runOnSave true', script
            ),
            reloads=True,
            production_server="streamlit",
        )


def _streamlit_script(project: Project, options: Options) -> tuple[str | None, str]:
    if options.app:
        if not options.app.endswith(".py") or not (project.root / options.app).is_file():
            msg = (
                f"app = {options.app!r} is no Python script of {project.name}. For Streamlit, "
                'app is the script\'s path from the project directory, e.g. app = "app.py".'
            )
            raise DetectionError(msg)
        return options.app, "the app option"
    scripts = [
        (module, path)
        for module, path in source.importing_modules(project, "streamlit")
        if "pages" not in path.relative_to(project.root).parts[:-1]
    ]
    found = sorted(path.relative_to(project.root).as_posix() for _, path in scripts)
    if len(found) > 1 and "streamlit_app.py" in found:
        found = ["streamlit_app.py"]  # Streamlit Community Cloud's default entry point
    if len(found) > 1:
        # Modules of the app that import streamlit too (components, helpers): the script is
        # the one that none of the others imports.
        entry = _not_imported_by_the_others(scripts)
        found = [entry.relative_to(project.root).as_posix()] if entry else found
    if len(found) > 1:
        msg = (
            f"{project.name} has several scripts that import streamlit ({', '.join(found)}). "
            'Say which one is the app: app = "path/to/app.py" in [tool.quatrain] (or --app).'
        )
        raise DetectionError(msg)
    return (found[0], f"{found[0]}: import streamlit") if found else (None, "")


def _not_imported_by_the_others(scripts: list[tuple[str, Path]]) -> Path | None:
    """The one of the scripts whose module no other of them imports, if there is one."""
    imported = {
        name
        for _, path in scripts
        if (tree := source.parse(path)) is not None
        for name in source.imported_names(tree)
    }
    entries = [
        path
        for module, path in scripts
        if not any(n == module or n == module.rpartition(".")[2] for n in imported)
    ]
    return entries[0] if len(entries) == 1 else None


# Sanic's command line as the detector uses it (`sanic module:app --host --port --factory
# --access-logs`, sanic/cli/arguments.py) is that of Sanic 21.12 and later.
SANIC_CLI_FROM = (21, 12)
# From 22.9 a worker manager runs the workers, even one, unless --single-process says not to.
# Stopped within a few seconds of its workers being ready, it hangs after they have stopped
# (SIGKILL after docker stop's 10 s; seen with 23.6 and 25.12): one process per container stops
# cleanly, and more containers give more processes.
SANIC_SINGLE_PROCESS_FROM = (22, 9)


class SanicDetector:
    """Sanic runs on its own server, started by its command line: `sanic module:app`, with
    `--factory` for a factory, in one process. It takes the port only as a flag."""

    name: ClassVar[Serve] = "sanic"
    fallback: ClassVar[bool] = False
    looks_for: ClassVar[str] = (
        "a sanic dependency and a module-level `app = Sanic(...)` (or `app: Sanic = ...`) or a "
        "function returning one"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "sanic" not in project.dependencies:
            return None
        chosen = chosen_app(project, options, ("sanic",))
        if chosen is None:
            return None
        app, found_in, _ = chosen
        lock = lock_of(project)
        locked = lock.package("sanic")
        if locked is None or not servers.locked_in_main(lock, "sanic"):
            raise servers.missing_server(project.name, "sanic", "a Sanic app", lock)
        if not servers.at_least(locked.version, SANIC_CLI_FROM):
            module = app.split(":")[0]
            command = ["python", "-m", "sanic", f"{module}.app", "--host=0.0.0.0", "--port=8888"]
            msg = (
                f"{project.name} locks Sanic {locked.version}, older than the command line "
                "quatrain runs (`sanic module:app --host ... --port ...`, from Sanic 21.12). "
                f"Update Sanic, or say what the image runs: command = {json.dumps(command)} "
                "in [tool.quatrain]."
            )
            raise DetectionError(msg)
        factory, target = servers.factory_flag(app)
        bind = f'"$1"{factory} --host 0.0.0.0 --port "$PORT"'
        single = servers.at_least(locked.version, SANIC_SINGLE_PROCESS_FROM)
        processes = " --single-process" if single else ""
        logs = "--access-logs" if options.access_log else "--no-access-logs"
        production = f"sanic {bind}{processes} {logs} --no-motd"
        return ServeSpec(
            detector=self.name,
            kind="http",
            framework="sanic",
            app=app,
            found_in=found_in,
            production_command=servers.in_shell_with(production, target),
            development_command=servers.in_shell_with(f"sanic {bind} --dev", target),
            reloads=True,
            production_server="sanic",
        )


class AiohttpDetector:
    """aiohttp in production: gunicorn with aiohttp's own worker when gunicorn is locked, else
    aiohttp's command line (`python -m aiohttp.web`), which needs a factory taking argv."""

    name: ClassVar[Serve] = "aiohttp"
    fallback: ClassVar[bool] = False
    looks_for: ClassVar[str] = (
        "an aiohttp dependency and a module-level `app = web.Application()` or a function "
        "returning one, in a module that imports aiohttp"
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "aiohttp" not in project.dependencies:
            return None
        found = aiohttp_apps.aiohttp_apps(project)
        chosen = [a for a in found if options.app in (None, _aiohttp_target(a))]
        if options.app and not chosen:
            chosen = [AiohttpApp(module="", attribute=options.app, path="", kind="given")]
        if not chosen:
            return None
        if len(chosen) > 1:
            listed = ", ".join(f"`{_aiohttp_target(a)}` ({a.path})" for a in chosen)
            msg = (
                f"Found more than one aiohttp app in {project.name}: {listed}. Choose one with "
                'app = "module:attribute" in [tool.quatrain] (or --app).'
            )
            raise DetectionError(msg)
        return self._spec(project, options, chosen[0])

    def _spec(self, project: Project, options: Options, app: AiohttpApp) -> ServeSpec:
        target = _aiohttp_target(app)
        lock = lock_of(project)
        gunicorn_locked = servers.locked_in_main(lock, "gunicorn")
        brought: tuple[LockedPackage, ...] = ()
        if app.kind == "argv" or (app.kind == "given" and not gunicorn_locked):
            # A factory of argv is for aiohttp's own runner; gunicorn cannot call it.
            production = servers.in_shell_with(
                'python -m aiohttp.web -H 0.0.0.0 -P "$PORT" "$1"', target
            )
            development, server = production, "aiohttp"
        elif not gunicorn_locked and (top := app.module.split(".")[0]) in main_modules(project):
            # No gunicorn, but the project runs itself (`web.run_app` in its __main__.py), on
            # a port its own settings choose: run that, and check that it stays up.
            return run_module(project, top, "aiohttp", self.name)
        else:
            # aiohttp's deployment guide runs gunicorn with aiohttp's worker: the locked one,
            # or one that quatrain brings.
            chosen = (
                servers.Server(
                    command=servers.gunicorn(target, options, lock, worker=AIOHTTP_WORKER),
                    requires="gunicorn",
                )
                if gunicorn_locked
                else servers.brought_server(target, options, lock, worker=AIOHTTP_WORKER)
            )
            production, brought, server = chosen.command, chosen.brought, "gunicorn"
            development = (*production[:-1], "--reload", production[-1])
        return ServeSpec(
            detector=self.name,
            kind="http",
            framework="aiohttp",
            app=target,
            found_in=f"{app.path}: {app.attribute}" if app.path else "the app option",
            production_command=production,
            development_command=development,
            reloads=server == "gunicorn",  # with --reload; aiohttp.web has no reloader
            production_server=server,
            brought_packages=brought,
        )


AIOHTTP_WORKER = "aiohttp.GunicornWebWorker"


def _aiohttp_target(app: AiohttpApp) -> str:
    if app.kind == "given":
        return app.attribute
    # gunicorn calls a sync factory given as `f()`, and awaits a coroutine function given bare.
    call = "()" if app.kind == "factory" else ""
    return f"{app.module}:{app.attribute}{call}"
