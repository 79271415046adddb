"""How the project is served: the detectors of the registry (detectors/__init__.py) are tried in
its order, most specific first; the first that recognises the project wins. Nothing is ever
guessed: no match is an error that says what each detector looked for and how to choose."""

from __future__ import annotations

import ast
import dataclasses
import json

from quatrain.detectors import DETECTORS, Detector
from quatrain.detectors.candidates import ASGI_FRAMEWORKS
from quatrain.detectors.import_root import run_from_import_root
from quatrain.detectors.main_module import (
    bot_console_script,
    bot_script,
    how_it_runs,
    main_modules,
    root_scripts,
    scripts_below,
)
from quatrain.detectors.processes import CeleryDetector
from quatrain.detectors.servers import without_vm_config
from quatrain.detectors.unserved import UNSERVED, Unserved
from quatrain.errors import DetectionError
from quatrain.reading import source
from quatrain.reading.project import Project
from quatrain.reading.server_config import gunicorn_config
from quatrain.settings.options import Options
from quatrain.spec import ServeSpec

__all__ = ["DETECTORS", "Detector", "ServeSpec", "detect"]


# Web frameworks whose presence means the image serves HTTP: a console script is no fallback.
WEB_FRAMEWORKS = ("django", "dash", "streamlit", "sanic", "aiohttp", "flask", *ASGI_FRAMEWORKS)


def detect(project: Project, options: Options) -> ServeSpec:
    chosen = [d for d in DETECTORS if options.serve in ("auto", d.name)]
    refused = False
    for detector in chosen:
        if detector.fallback and options.serve == "auto" and not refused:
            web = [d for d in chosen if not d.fallback]
            inside = _detect_inside_unimportable_directory(project, options, web)
            if inside is not None:
                return inside
            if not options.command:  # the user's command is no silent fallback
                _refuse_web_fallback(project, web)
                if not (
                    main_modules(project) or bot_script(project) or bot_console_script(project)
                ):
                    _refuse_unserved(project)
            refused = True
        if detector.name == "console-script" and _runs_unserved(project, options):
            continue  # the command is the bot or worker itself, not arguments to a script
        spec = detector.detect(project, options)
        if spec is not None:
            spec = run_from_import_root(project, spec)
            return _with_companions(project, options, _without_vm_config(project, spec))
    looked = "; ".join(f"{d.name}: {d.looks_for}" for d in chosen)
    forced = f" (serve = {options.serve!r})" if options.serve != "auto" else ""
    msg = (
        f"quatrain cannot tell how {project.name} is served{forced}. It looked for {looked}. "
        'Say it in [tool.quatrain]: serve = "flask" | "asgi" | "django" | "console-script" '
        'and app = "module:attribute" (or the script name), or --serve/--app.'
    )
    raise DetectionError(msg)


def _without_vm_config(project: Project, spec: ServeSpec) -> ServeSpec:
    """gunicorn starts where the project's gunicorn.conf.py is, which is often written for a
    VM (a unix socket, a daemon, log files under /var): gunicorn reads none of it, keeps its
    capacity and timing settings as flags, and the warning says what was left out."""
    if spec.production_command[:1] != ("gunicorn",):
        return spec
    config = gunicorn_config(project.root, spec.workdir)
    if config is None:
        return spec
    kept = f"kept {', '.join(config.kept)}" if config.kept else "kept nothing"
    left = (
        f"; left out {', '.join(config.left_out)} (the image binds $PORT, stays in the "
        "foreground, logs to stdout and runs as its own user)"
        if config.left_out
        else ""
    )
    return dataclasses.replace(
        spec,
        production_command=without_vm_config(spec.production_command, config),
        development_command=without_vm_config(spec.development_command, config),
        warnings=(
            *spec.warnings,
            f"{config.file} is not read by the image's gunicorn: {kept} (as flags){left}.",
        ),
    )


def _with_companions(project: Project, options: Options, spec: ServeSpec) -> ServeSpec:
    """A web app beats the worker beside it; `inspect` names the worker, whose image is the
    second one a user may want (the same Dockerfile with the command option)."""
    if not spec.http or options.app:
        return spec
    try:
        worker = CeleryDetector().detect(project, options)
    except DetectionError:  # several Celery apps: the user knows which
        return spec
    if worker is None:
        return spec
    command = json.dumps(list(worker.production_command))
    companion = f"a Celery worker ({worker.found_in}): command = {command} for its image"
    return dataclasses.replace(spec, companions=(companion,))


def _runs_unserved(project: Project, options: Options) -> bool:
    return (
        options.serve == "auto"
        and bool(options.command)
        and any(name in project.dependencies for name in UNSERVED)
    )


def _refuse_unserved(project: Project) -> None:
    """A library quatrain cannot prove an image of is a dependency: say what to set."""
    seen = _unserved_dependency(project)
    if seen is None:
        return
    unserved = UNSERVED[seen]
    msg = (
        f"{project.name} depends on {seen}, {unserved.what}, which quatrain does not run by "
        f"itself: {unserved.why}. Say what the image runs: command = "
        f"{_suggested_command(project, unserved)} in [tool.quatrain]; quatrain then runs it and "
        "verify checks that it stays up (pass its settings with --run-env or --env-file)."
    )
    raise DetectionError(msg)


def _unserved_dependency(project: Project) -> str | None:
    return next((name for name in UNSERVED if name in project.dependencies), None)


def _suggested_command(project: Project, unserved: Unserved) -> str:
    """The command for the module that imports the library; of several, those that run
    themselves (a main guard, a top-level start) are named, the first in the command."""
    found = source.importing_modules(project, unserved.imports)
    running = [m for m, path in found if how_it_runs(path)] if len(found) > 1 else []
    if len(running) > 1:
        first, *others = (m.removesuffix(".__main__") for m in running)
        command = unserved.command.format(module=first)
        verb = "runs itself" if len(others) == 1 else "run themselves"
        return f"{command} (or with {', '.join(others)}, which also {verb})"
    names = running or [m for m, _ in found]
    module = names[0].removesuffix(".__main__") if len(names) == 1 else "YOUR_MODULE"
    return unserved.command.format(module=module)


def _unserved_too(project: Project) -> str:
    """For the web fallback's refusal: a library quatrain does not run that the project also
    depends on (a bot beside an aiohttp client), with the command to set for it."""
    seen = _unserved_dependency(project)
    if seen is None:
        return ""
    unserved = UNSERVED[seen]
    return (
        f" It also depends on {seen}, {unserved.what}, which quatrain does not run by itself "
        f"({unserved.why}); to run that, set command = {_suggested_command(project, unserved)}."
    )


def _detect_inside_unimportable_directory(
    project: Project, options: Options, web_detectors: list[Detector]
) -> ServeSpec | None:
    """The app of a project whose only apps are in one top-level directory that is no Python
    name (RafiRees/broken-flask: broken-flask/app.py): nothing imports it from the root, so it
    is detected as that directory's own project, with its modules named from there, and runs
    from there (spec.workdir), as `cd broken-flask && gunicorn app:app` would."""
    directories = {directory for directory, _ in source.apps_in_unimportable_directories(project)}
    if len(directories) != 1:
        return None
    (directory,) = directories
    inner = dataclasses.replace(
        project, root=project.root / directory, package_mode=False, packages=()
    )
    for detector in web_detectors:
        spec = detector.detect(inner, options)
        if spec is not None:
            found_in = f"{directory}/{spec.found_in} (run from {directory}/, no Python name)"
            return dataclasses.replace(spec, workdir=directory, found_in=found_in)
    return None


def _runs_itself(project: Project) -> str:
    """For the web fallback's refusal: the one script at the root that runs itself
    (theryaz/precipitation-io: app.py calls its main() at import, and its Flask app lives in
    a plugin that main() loads), with the command that runs it."""
    found = root_scripts(project)
    if not found and len(below := scripts_below(project)) == 1:
        # none at the root: the one below it (KuvaevM/puthon-web-2022's src/server.py)
        found = [(below[0], 'if __name__ == "__main__"')]
    if len(found) != 1:
        return ""
    (script, how), command = found[0], json.dumps(["python", found[0][0]])
    return (
        f" {script} runs itself ({how}): if that is how {project.name} starts, set command = "
        f"{command}; verify then checks that it stays up."
    )


def _unimportable(project: Project) -> str:
    """For the web fallback's refusal: an app in a directory no import can reach (its name has
    a `-`), with the command that serves it from inside, for a WSGI app."""
    found = source.apps_in_unimportable_directories(project)
    if not found:
        return ""
    directory, app = found[0]
    framework = f" (a {app.framework.capitalize()} app)" if app.framework else ""
    wsgi = app.framework in ("flask", None) and not app.factory
    # A JSON array of strings is a TOML array too, whatever the directory's name holds.
    command = json.dumps(["gunicorn", "--chdir", directory, app.app])
    example = f" (gunicorn binds $PORT itself): command = {command}" if wsgi else ""
    return (
        f" {app.path} has `{app.attribute}`{framework}, but {directory} is not a Python name, "
        "so nothing imports it from the project's root: rename the directory, or set the "
        f"command that serves it from inside{example}."
    )


def _serves_with(project: Project, framework: str) -> bool:
    """aiohttp is also an HTTP client (discord.py's, aiogram's): it serves only through
    aiohttp.web, which a module of the project must import. The other frameworks serve."""
    if framework != "aiohttp":
        return True
    for path in source.python_files(project.root):
        tree = source.parse(path)
        if tree is not None and (
            source.imports(tree, "aiohttp.web") or _imports_web_from_aiohttp(tree)
        ):
            return True
    return False


def _imports_web_from_aiohttp(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "aiohttp"
        and any(alias.name == "web" for alias in node.names)
        for node in tree.body
    )


def _refuse_web_fallback(project: Project, web_detectors: list[Detector]) -> None:
    """A web framework is a runtime dependency but no app was found: say so rather than fall
    back to a console script, which would give an image that serves nothing."""
    seen = [f for f in WEB_FRAMEWORKS if f in project.dependencies and _serves_with(project, f)]
    if not seen:
        return
    scripts = (
        f" It also has console scripts ({', '.join(project.scripts)})." if project.scripts else ""
    )
    looked = "; ".join(f"{d.name}: {d.looks_for}" for d in web_detectors)
    msg = (
        f"{project.name} depends on {', '.join(seen)}, but quatrain found no app in its modules. "
        f"It looked for {looked}.{scripts}{_unserved_too(project)}{_unimportable(project)}"
        f"{_runs_itself(project)} "
        'Say which: app = "module:attribute" or "module:factory()" in '
        '[tool.quatrain] (or --app), or serve = "console-script" for a command-line image.'
    )
    raise DetectionError(msg)
