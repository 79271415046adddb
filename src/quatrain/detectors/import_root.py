"""The directory an application runs from, when its app module imports its siblings.

An application (no package, or an app beside the packages) kept in a directory of plain
modules, `src/app.py` beside `src/config.py`, is written to run from that directory:
`import config` finds config.py only when `src/` is on sys.path, as it is when the server
starts there. Read with `ast`, never run.
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path

from quatrain.reading import source
from quatrain.reading.project import Project
from quatrain.spec import ServeSpec


def run_from_import_root(project: Project, spec: ServeSpec) -> ServeSpec:
    """`spec` served from the app module's directory when the module imports, as top-level
    modules, files that are only beside it; else `spec` as it is."""
    module, colon, attribute = spec.app.partition(":")
    parent, dot, leaf = module.rpartition(".")
    if not colon or not dot or spec.workdir:
        return spec
    directory = project.root.joinpath(*parent.split("."))
    module_path = directory / f"{leaf}.py"
    if not module_path.is_file():
        return spec
    # Top-level imports of its siblings resolve only from inside its directory, whether that
    # has an __init__.py or not (TallerDeProgramacion2-2022-2c-Grupo7/FIUBER-Notification-PIN:
    # fastapi_app/app.py does `import config`, run as `python fastapi_app/app.py`), also one
    # the wheel ships as a namespace package (LuisNunes301/mongoPyCrud: mongopycrud/main.py
    # doing `from routes import router`). A module that imports relatively is its package's.
    siblings = sibling_imports(project, module_path)
    if not siblings:
        return spec
    app = f"{leaf}:{attribute}"

    def moved(command: tuple[str, ...]) -> tuple[str, ...]:
        old = (spec.app, spec.app.removesuffix("()"))
        new = {old[0]: app, old[1]: app.removesuffix("()")}
        return tuple(new.get(part, part) for part in command)

    return dataclasses.replace(
        spec,
        app=app,
        workdir=parent.replace(".", "/"),
        found_in=f"{spec.found_in} (it imports {', '.join(siblings)} beside it: run from "
        f"{parent.replace('.', '/')}/)",
        production_command=moved(spec.production_command),
        development_command=moved(spec.development_command),
    )


def sibling_imports(project: Project, module_path: Path) -> list[str]:
    """The names `module_path` imports as top-level modules that are only beside it: found in
    its directory, not at the project's root and not installed by the wheel. Empty when it
    imports none, or when it also imports relatively (then it must run as its package's
    module)."""
    tree = source.parse(module_path)
    if tree is None or any(
        isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree)
    ):
        return []
    directory = module_path.parent
    # A package the wheel installs imports from anywhere (src/main.py beside src/shop/).
    installed = set(project.import_names)
    # A name of the standard library means that module, whatever lies beside the file: an
    # `import logging` beside app/logging.py is no sign that app/ must be on sys.path (from
    # there, the sibling would even shadow the standard library's).
    siblings = [
        n
        for n in _top_level_imports(tree)
        if _module_in(directory, n) and n not in installed and n not in sys.stdlib_module_names
    ]
    if any(_module_in(project.root, n) for n in siblings):
        return []
    return siblings


def _top_level_imports(tree: ast.Module) -> list[str]:
    """The top-level names of the absolute imports anywhere in the module."""
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module.split(".")[0])
    return sorted(set(names))


def _module_in(directory: Path, name: str) -> bool:
    return (directory / f"{name}.py").is_file() or (directory / name).is_dir()
