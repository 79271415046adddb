"""aiohttp apps in the project's modules, read with `ast`: `app = web.Application()` objects
and the functions that return one, with how each is called (an object, a factory, a
coroutine, or the `argv` factory `python -m aiohttp.web` calls). Never run."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from quatrain.reading import source
from quatrain.reading.project import Project


@dataclass(frozen=True, kw_only=True)
class AiohttpApp:
    module: str
    attribute: str
    path: str
    kind: str  # "object", "factory" (no arguments), "coroutine" (async, no arguments), "argv"


def aiohttp_apps(project: Project) -> list[AiohttpApp]:
    """`app = web.Application()` objects and functions that return one, in modules that import
    aiohttp (`Application` alone is too common a name to trust elsewhere)."""
    found = []
    for module, path in source.importing_modules(project, "aiohttp"):
        tree = source.parse(path)
        relative = path.relative_to(project.root).as_posix()
        for node in tree.body if tree else []:
            kind = _aiohttp_kind(node)
            names = _bound_names(node) if kind == "object" else [getattr(node, "name", "")]
            found += [
                AiohttpApp(module=module, attribute=n, path=relative, kind=kind)
                for n in names
                if kind and n
            ]
    return found


def _aiohttp_kind(node: ast.stmt) -> str:
    if isinstance(node, ast.Assign | ast.AnnAssign):
        return "object" if _is_application(node.value) else ""
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return ""
    if not any(isinstance(n, ast.Return) and _returns_application(n, node) for n in ast.walk(node)):
        return ""
    if source.callable_without_arguments(node):
        return "coroutine" if isinstance(node, ast.AsyncFunctionDef) else "factory"
    return "argv" if len([*node.args.posonlyargs, *node.args.args]) >= 1 else ""


def _returns_application(ret: ast.Return, function: ast.AST) -> bool:
    if _is_application(ret.value):
        return True
    if not isinstance(ret.value, ast.Name):
        return False
    name = ret.value.id
    return any(
        isinstance(n, ast.Assign) and _is_application(n.value) and name in _bound_names(n)
        for n in ast.walk(function)
    )


def _is_application(node: ast.AST | None) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == "Application"


def _bound_names(node: ast.stmt) -> list[str]:
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [t.id for t in targets if isinstance(t, ast.Name)]
