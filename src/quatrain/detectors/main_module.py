"""Projects that say themselves how they run: a package with a `__main__.py`, or a bot's one
script.

A bot, a worker or a service with its own event loop is often started as `python -m bot`; the
`__main__.py` is the project's own evidence of that, so the image runs it and verify checks
that the process stays up (it may serve no port, or one that its own settings choose). A bot
started as `python bot/main.py` says it in its script: of the modules that import its bot
library, the one with `if __name__ == "__main__":` (or a top-level `client.run(TOKEN)`) is
run, as `python -m bot.main`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import ClassVar

from quatrain.detectors.import_root import sibling_imports
from quatrain.detectors.unserved import UNSERVED
from quatrain.errors import DetectionError
from quatrain.reading import source
from quatrain.reading.project import Project
from quatrain.settings.options import Options
from quatrain.settings.schema import Serve
from quatrain.spec import ServeSpec


def main_modules(project: Project) -> list[str]:
    """The project's top-level packages that have a `__main__.py`, sorted."""
    return sorted(
        module.removesuffix(".__main__")
        for module, _ in source.modules(project)
        if module.endswith(".__main__") and module.count(".") == 1
    )


def bot_script(project: Project) -> tuple[str, str, Path, str] | None:
    """(bot library, module, file, how it runs itself) of the one module that imports a bot
    library the project depends on and runs itself; None when there is none, or several."""
    found = [
        (name, module, path, how)
        for name, unserved in UNSERVED.items()
        if unserved.bot and name in project.dependencies
        for module, path in source.importing_modules(project, unserved.imports)
        if (how := how_it_runs(path))
    ]
    return found[0] if len(found) == 1 else None


def bot_console_script(project: Project) -> tuple[str, str] | None:
    """(console script, bot library) of the one console script whose function lives in a module
    that imports a bot library the project depends on: the project's own name for starting the
    bot (`poetry run bot`); None when there is none, or several."""
    found = []
    for name, unserved in UNSERVED.items():
        if not unserved.bot or name not in project.dependencies:
            continue
        importing = {module for module, _ in source.importing_modules(project, unserved.imports)}
        found += [
            (script, name)
            for script, target in sorted(project.scripts.items())
            if target.partition(":")[0].strip() in importing
        ]
    return found[0] if len(found) == 1 else None


# What a bot's script calls at its top level to start: `client.run(TOKEN)` (discord.py),
# `dp.run_polling(bot)` (aiogram), `bot.infinity_polling()` (pyTelegramBotAPI),
# `executor.start_polling(dp)` (aiogram 2), `asyncio.run(main())`.
_STARTS = frozenset({"run", "run_polling", "start_polling", "infinity_polling", "polling"})


def how_it_runs(path: Path) -> str | None:
    """A top-level `if __name__ == "__main__":`, or a top-level call that starts the bot, as
    single-file bots are written (`client.run(settings.BOT_TOKEN)` as the last line)."""
    tree = source.parse(path)
    for node in tree.body if tree is not None else []:
        if source.is_main_guard(node):
            return 'if __name__ == "__main__"'
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr in _STARTS
        ):
            return f"{ast.unparse(node.value.func)}(...)"
    return None


def root_scripts(project: Project) -> list[tuple[str, str]]:
    """(file, how) of the scripts at the project's root that run themselves: a main guard, or
    a top-level call of a function they define (`main()` as the last line). For a refusal's
    `command = ["python", file]`: quatrain never runs a script the project does not name."""
    found = []
    for path in sorted(project.root.glob("*.py")):
        tree = source.parse(path)
        if tree is None or path.stem in source.SKIPPED_ROOT_MODULES:
            continue
        defined = {
            n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        for node in tree.body:
            if source.is_main_guard(node):
                found.append((path.name, 'if __name__ == "__main__"'))
                break
            called = (
                node.value.func
                if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                else None
            )
            if isinstance(called, ast.Name) and called.id in defined:
                found.append((path.name, f"{called.id}() at its top level"))
                break
    return found


# Directories whose scripts are never the program: tests, migrations, environments, docs.
_NOT_THE_PROGRAM = frozenset(
    {"tests", "test", "migrations", "alembic", "docs", "venv", ".venv", "node_modules", "build"}
)


def scripts_below(project: Project) -> list[str]:
    """The scripts one or two directories below the root with `if __name__ == "__main__":`
    (src/server.py), as paths relative to the root. For a refusal's `command`, like
    root_scripts: quatrain never runs a script the project does not name."""
    found = []
    for path in sorted([*project.root.glob("*/*.py"), *project.root.glob("*/*/*.py")]):
        parts = path.relative_to(project.root).parts
        if any(part in _NOT_THE_PROGRAM or part.startswith(".") for part in parts[:-1]):
            continue
        tree = source.parse(path)
        if tree is not None and any(source.is_main_guard(node) for node in tree.body):
            found.append("/".join(parts))
    return found


def run_module(
    project: Project, module: str, framework: str, detector: str, found_in: str = ""
) -> ServeSpec:
    """`python -m module`; or, when the module imports its siblings as top-level modules
    (`from handlers import ...` in app/__main__.py), the file itself (`python app`, `python
    bot/main.py`), which puts its directory first on sys.path as its authors run it."""
    found_in = found_in or f"{module.replace('.', '/')}/__main__.py"
    command: tuple[str, ...] = ("python", "-m", module)
    path = source.module_file(project, f"{module}.__main__") or source.module_file(project, module)
    siblings = sibling_imports(project, path) if path is not None else []
    if module == "__main__":
        # A __main__.py at the root is no module `-m` can find (its __spec__ is None): Python
        # runs it only as a file, with the root first on sys.path.
        command = ("python", "__main__.py")
    elif path is not None and siblings:
        relative = path.relative_to(project.root)
        script = relative.parent if path.name == "__main__.py" else relative
        command = ("python", script.as_posix())
        found_in += f" (it imports {', '.join(siblings)} beside it: run as a script)"
    return ServeSpec(
        detector=detector,
        kind="worker",
        framework=framework,
        app=module,
        found_in=found_in,
        production_command=command,
        development_command=command,
    )


class MainModuleDetector:
    name: ClassVar[Serve] = "module"
    fallback: ClassVar[bool] = True
    looks_for: ClassVar[str] = (
        "one top-level package with a __main__.py, or the one script of a bot library with "
        '`if __name__ == "__main__":`, run as python -m'
    )

    def detect(self, project: Project, options: Options) -> ServeSpec | None:
        if options.command:
            return None  # the command option says what runs; the command detector has it
        found = main_modules(project)
        if options.app is not None:
            if options.app not in found:
                msg = (
                    f"app = {options.app!r} is no package of {project.name} with a "
                    f"__main__.py (found: {', '.join(found) or 'none'})."
                )
                raise DetectionError(msg)
            found = [options.app]
        if not found:
            return self._bot_script(project) if options.app is None else None
        if len(found) > 1:
            msg = (
                f"{project.name} has several packages with a __main__.py ({', '.join(found)}). "
                'Choose the one the image runs with app = "NAME" in [tool.quatrain] (or --app).'
            )
            raise DetectionError(msg)
        return run_module(project, found[0], "python -m", self.name)

    def _bot_script(self, project: Project) -> ServeSpec | None:
        found = bot_script(project)
        if found is None:
            return None
        library, module, path, how = found
        where = f"{path.relative_to(project.root).as_posix()}: {how}"
        return run_module(project, module, library, self.name, found_in=where)
