"""Which module gunicorn must import to serve a Dash app, and the name of its Flask server
there, read with `ast`. Never run.

A Dash app is often made in one module and finished in another: Dash's own multi-page layout
has `app = Dash(...)` in app.py, and index.py imports it, sets `app.layout` and registers the
callbacks. Serving app.py's server then answers every request with an error, because the
layout and the callbacks are never imported. So the module served is the one that gives the
app its layout.

gunicorn loads a name or a call with literal arguments, never `app.server`. Where the module
names no server (most Dash apps only call `app.run_server()`), gunicorn from 20.1 on is given
the call `pydoc:locate("module.app.server")`: the standard library's `pydoc.locate` imports
the module and returns that attribute, which is the Flask server."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from quatrain.errors import DetectionError
from quatrain.reading import source
from quatrain.reading.project import Project
from quatrain.reading.source import AppCandidate


@dataclass(frozen=True, kw_only=True)
class _Module:
    name: str  # dotted
    path: str  # relative to the project root
    tree: ast.Module
    is_package: bool  # an __init__.py: its relative imports start at itself


def served_server(
    project: Project, candidate: AppCandidate, *, gunicorn_loads_calls: bool
) -> tuple[str, str]:
    """(the app for gunicorn, where it was found) for the Dash app `candidate`: `module:name`,
    or, where no name binds the server and gunicorn loads calls, `pydoc:locate(...)`."""
    made_in = _module(project, candidate.module, project.root / candidate.path)
    home, app_name = _finishing_module(project, made_in, candidate)
    names = _server_names(home, app_name, candidate, made_in)
    if names and not candidate.factory:
        name, how = names[0]
        return f"{home.name}:{name}", f"{home.path}: {how}"
    if candidate.factory or not gunicorn_loads_calls or _shadowed(project, home, app_name):
        raise DetectionError(_no_server_name(project, candidate, home, app_name))
    # Both parts are Python identifiers (from the module's path and its `ast`), so the quoted
    # text is a plain string literal.
    located = f"{home.name}.{app_name}.server"
    how = f"{app_name}.server, which no module-level name binds: gunicorn calls pydoc.locate"
    return f'pydoc:locate("{located}")', f"{home.path}: {how}"


def _shadowed(project: Project, home: _Module, app_name: str) -> bool:
    """A submodule of the package that bears the app's name: pydoc.locate would import it
    instead of taking the attribute."""
    if not home.is_package:
        return False
    package_dir = (project.root / home.path).parent
    return (package_dir / f"{app_name}.py").exists() or (package_dir / app_name).is_dir()


def _module(project: Project, name: str, path: Path) -> _Module:
    tree = source.parse(path) or ast.Module(body=[], type_ignores=[])
    relative = path.relative_to(project.root).as_posix()
    return _Module(name=name, path=relative, tree=tree, is_package=path.name == "__init__.py")


def _finishing_module(
    project: Project, made_in: _Module, candidate: AppCandidate
) -> tuple[_Module, str]:
    """The module that sets the app's layout, and the app's name there: the module that made
    it unless another one sets the layout instead."""
    if _sets_layout(made_in.tree, candidate.attribute):
        return made_in, candidate.attribute
    finishers = []
    for name, path in source.modules(project):
        if name == made_in.name:
            continue
        module = _module(project, name, path)
        local = _imported_as(module, made_in.name, candidate.attribute)
        if local and _sets_layout(module.tree, local):
            finishers.append((module, local))
    if len(finishers) > 1:
        listed = ", ".join(m.path for m, _ in finishers)
        msg = (
            f"{project.name}'s Dash app `{candidate.app}` is given a layout in more than one "
            f"module ({listed}), so quatrain cannot tell which one the site is. Choose its "
            'server with app = "module:server" in [tool.quatrain] (or --app).'
        )
        raise DetectionError(msg)
    return finishers[0] if finishers else (made_in, candidate.attribute)


def _sets_layout(tree: ast.Module, app_name: str) -> bool:
    """A top-level `app.layout = ...`."""
    return any(
        isinstance(node, ast.Assign)
        and any(
            isinstance(t, ast.Attribute)
            and t.attr == "layout"
            and isinstance(t.value, ast.Name)
            and t.value.id == app_name
            for t in node.targets
        )
        for node in tree.body
    )


def _imported_as(module: _Module, from_module: str, name: str) -> str | None:
    """The local name of `from_module.name` in `module`: `from app import app as dash_app`
    -> "dash_app"; relative imports resolved against the module's package."""
    for node in module.tree.body:
        if isinstance(node, ast.ImportFrom) and _resolved(module, node) == from_module:
            for alias in node.names:
                if alias.name == name:
                    return alias.asname or alias.name
    return None


def _resolved(module: _Module, node: ast.ImportFrom) -> str | None:
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    return source.imported_module(node, package)


def _server_names(
    home: _Module, app_name: str, candidate: AppCandidate, made_in: _Module
) -> list[tuple[str, str]]:
    """(name, how it is bound) of the Flask server in the module served: `server = app.server`,
    `Dash(server=server)` where the app is made, or a server imported from there."""
    names = [
        (n, f"{n} = {app_name}.server")
        for n in _aliases_of_attribute(home.tree, app_name, "server")
    ]
    if home is made_in:
        return names + [(n, f"{candidate.attribute} = Dash(server={n})") for n in _passed(home)]
    made_in_names = {n for n, _ in _server_names(made_in, candidate.attribute, candidate, made_in)}
    for name in sorted(made_in_names):
        local = _imported_as(home, made_in.name, name)
        if local:
            names.append((local, f"from {made_in.name} import {name}"))
    return names


def _passed(module: _Module) -> list[str]:
    """Module-level names passed as `server=` to a module-level `Dash(...)` call."""
    bound = {t.id for n in module.tree.body if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name)}  # fmt: skip
    found = []
    for node in module.tree.body:
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if isinstance(value, ast.Call) and source.constructed_framework(value) == "dash":
            for keyword in value.keywords:
                if (
                    keyword.arg == "server"
                    and isinstance(keyword.value, ast.Name)
                    and keyword.value.id in bound
                ):
                    found.append(keyword.value.id)
    return found


def _no_server_name(project: Project, candidate: AppCandidate, home: _Module, app_name: str) -> str:
    where = f"{project.name} has a Dash app, `{candidate.app}` ({candidate.found_in})"
    if home.path != candidate.path:
        where += f", given its layout in {home.path}, which gunicorn must therefore import"
    return (
        f"{where}, but no module-level name for its Flask server, which is what gunicorn "
        f"serves (gunicorn loads a name, or from 20.1 on a call, not `{app_name}.server`). Add "
        f"`server = {app_name}.server` to {home.path}, or set "
        'app = "module:server" in [tool.quatrain] (or --app).'
    )


def _aliases_of_attribute(tree: ast.Module, obj: str, attribute: str) -> list[str]:
    """Module-level names bound to `obj.attribute`: `server = app.server` -> ["server"]."""
    names = []
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == attribute
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id == obj
        ):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names
