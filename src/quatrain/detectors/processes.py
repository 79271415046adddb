"""What serves no HTTP: a console script, a Celery worker, a command the user names."""

from __future__ import annotations

from typing import ClassVar

from quatrain.detectors.candidates import only_candidate
from quatrain.detectors.main_module import bot_console_script
from quatrain.errors import DetectionError
from quatrain.reading.project import Project, canonical_name
from quatrain.settings.options import Options
from quatrain.settings.schema import Serve
from quatrain.spec import ServeSpec


class ConsoleScriptDetector:
    name: ClassVar[Serve] = "console-script"
    fallback: ClassVar[bool] = True
    looks_for: ClassVar[str] = "console scripts in [project.scripts] or [tool.poetry.scripts]"

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        scripts = project.scripts
        if scripts and not project.package_mode:
            if options.command:
                return None  # the command option says what runs
            # Poetry installs a project's scripts with the project; an application is never
            # installed, so the image would have no such command.
            msg = (
                f"{project.name} declares console scripts ({', '.join(scripts)}), but it is an "
                "application (no package Poetry would install), so production has no such "
                "command. Declare the package that holds them in [tool.poetry] packages, or set "
                'command = ["python", "-m", "MODULE"] (or the script\'s file) in [tool.quatrain].'
            )
            raise DetectionError(msg)
        if options.app is not None and scripts:
            if options.app not in scripts:
                msg = (
                    f"app = {options.app!r} names no console script of {project.name} "
                    f"(it has {', '.join(scripts)})."
                )
                raise DetectionError(msg)
            script = options.app
        elif len(set(scripts.values())) == 1:
            # One program under several names (commitizen's cz and git-cz): the shortest.
            script = min(scripts, key=lambda name: (len(name), name))
        elif not scripts:
            return None
        elif bot := bot_console_script(project):
            script = bot[0]  # of several, the one that starts the project's bot
        elif named := [s for s in scripts if canonical_name(s) == canonical_name(project.name)]:
            script = named[0]  # the tool is named like the project; the others are on PATH too
        else:
            return _toolbox(project)
        if (bot := bot_console_script(project)) and bot[0] == script:
            return _bot(script, bot[1], target=scripts[script])
        return ServeSpec(
            detector=self.name,
            kind="cli",
            framework="console-script",
            app=script,
            found_in=f"scripts: {script} = {scripts[script]}",
            production_entrypoint=(script,),
            production_command=(),
            development_command=(script, "--help"),
        )


def _bot(script: str, library: str, *, target: str) -> ServeSpec:
    """A console script that starts a bot: the image runs it and must stay up, as a bot's own
    script is run (main_module.py), not a command-line tool asked for --help."""
    command = (script,)
    return ServeSpec(
        detector=ConsoleScriptDetector.name,
        kind="worker",
        framework=library,
        app=script,
        found_in=f"scripts: {script} = {target} (its module starts a {library} bot)",
        production_command=command,
        development_command=command,
    )


def _toolbox(project: Project) -> ServeSpec:
    """Several console scripts, none named like the project: every one on PATH, and no entry
    point, so that `docker run IMAGE SCRIPT ARGS` runs any of them; without one, the image says
    which it has."""
    scripts = sorted(project.scripts)
    listing = f"{project.name}: docker run IMAGE COMMAND [ARGS...], with COMMAND one of:"
    return ServeSpec(
        detector=ConsoleScriptDetector.name,
        kind="cli",
        framework="console-script",
        app=scripts[0],  # the one `verify` runs with --help
        found_in=f"scripts: {', '.join(scripts)} (none named like the project: all on PATH)",
        production_command=("sh", "-c", 'printf "%s\\n" "$@"', "sh", listing, *scripts),
        development_command=(scripts[0], "--help"),
    )


class CeleryDetector:
    """A Celery app's image runs a worker: it serves no port, so it is verified by staying up."""

    name: ClassVar[Serve] = "celery"
    fallback: ClassVar[bool] = True
    looks_for: ClassVar[str] = "a celery dependency and a module-level `app = Celery(...)`"

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if "celery" not in project.dependencies:
            return None
        if options.app:
            target, found_in = options.app, "the app option"
        else:
            candidate = only_candidate(project, ("celery",))
            if candidate is None:
                return None
            # `-A module` finds `app` or `celery` itself; any other name is given.
            plain = candidate.attribute in ("app", "celery") and not candidate.factory
            target = candidate.module if plain else candidate.app
            found_in = candidate.found_in
        command = ("celery", "-A", target, "worker", "--loglevel=INFO")
        return ServeSpec(
            detector=self.name,
            kind="worker",
            framework="celery",
            app=target,
            found_in=found_in,
            production_command=command,
            development_command=command,
            production_server="celery",
        )


class CommandDetector:
    """The command option names a long-running process that no detector recognised (a bot, an
    RQ worker): run it, and verify it stays up."""

    name: ClassVar[Serve] = "command"
    fallback: ClassVar[bool] = True
    looks_for: ClassVar[str] = "a command = [...] in [tool.quatrain] for a long-running process"

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if not options.command:
            return None
        return ServeSpec(
            detector=self.name,
            kind="worker",
            framework="command",
            app=" ".join(options.command),
            found_in="the command option",
            production_command=options.command,
            development_command=options.command,
        )
