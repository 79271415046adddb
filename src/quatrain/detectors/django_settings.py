"""What a Django site's source says, read with `ast` and never run: the settings module that
manage.py, wsgi.py or asgi.py names, and what that module (with what it star-imports) assigns."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from quatrain.reading.project import Project
from quatrain.reading.source import called_name, entry_modules, imported_module, module_file, parse


def string_assignments(tree: ast.Module) -> dict[str, str]:
    """Module-level `NAME = "text"` assignments, e.g. WSGI_APPLICATION in Django settings."""
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def string_lists(tree: ast.Module) -> dict[str, list[str]]:
    """Module-level `NAME = ["a", "b"]` assignments, e.g. INSTALLED_APPS."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple):
            items = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = [i for i in items if isinstance(i, str)]
    return found


def storage_backends(tree: ast.Module) -> dict[str, str]:
    """A module-level `STORAGES = {"staticfiles": {"BACKEND": "..."}, ...}` (Django 4.2+), as
    alias -> backend; the aliases whose BACKEND is not a literal string are left out."""
    found: dict[str, str] = {}
    for node in tree.body:
        if not (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "STORAGES" for t in node.targets)
            and isinstance(node.value, ast.Dict)
        ):
            continue
        for key, value in zip(node.value.keys, node.value.values, strict=True):
            alias = _constant(key)
            if alias is None or not isinstance(value, ast.Dict):
                continue
            for option, backend in zip(value.keys, value.values, strict=True):
                if _constant(option) == "BACKEND" and (text := _constant(backend)):
                    found[alias] = text
    return found


def assigned_names(tree: ast.Module) -> set[str]:
    """Every module-level name assigned, whatever the value (e.g. STATIC_ROOT)."""
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else []
        )  # fmt: skip
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def environ_default(tree: ast.Module, variable: str) -> str | None:
    """The value a module gives an environment variable, in the forms Django's templates and
    real sites write: `os.environ.setdefault("V", "value")` (also `default="value"`) and
    `os.environ["V"] = "value"`."""
    for node in ast.walk(tree):
        value = _setdefault_value(node, variable) or _environ_assigned(node, variable)
        if value is not None:
            return value
    return None


def _setdefault_value(node: ast.AST, variable: str) -> str | None:
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setdefault"
        and node.args
        and _constant(node.args[0]) == variable
    ):
        return None
    given = node.args[1:2] or [k.value for k in node.keywords if k.arg == "default"]
    return _constant(given[0]) if given else None


def _environ_assigned(node: ast.AST, variable: str) -> str | None:
    if not isinstance(node, ast.Assign):
        return None
    for target in node.targets:
        if (
            isinstance(target, ast.Subscript)
            and _is_environ(target.value)
            and _constant(target.slice) == variable
        ):
            return _constant(node.value)
    return None


def _is_environ(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _constant(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def is_dotted_path(text: str) -> bool:
    """`config.asgi.application`: two or more ASCII identifiers joined by dots, nothing else.
    A setting's value is user text; only this shape may become part of a command."""
    parts = text.split(".")
    return len(parts) >= 2 and all(p.isascii() and p.isidentifier() for p in parts)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a settings module assigns, with what it star-imports beneath it
    (`from .base import *`), as settings packages split across files do."""

    module: str
    strings: Mapping[str, str]
    lists: Mapping[str, list[str]]
    names: frozenset[str]
    storages: Mapping[str, str]  # STORAGES alias -> BACKEND

    @property
    def static_storage(self) -> str:
        """The backend collectstatic writes with: STORAGES' staticfiles, the older
        STATICFILES_STORAGE, or Django's default (the files under STATIC_ROOT)."""
        return self.storages.get("staticfiles") or self.strings.get(
            "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
        )


def read_settings(
    project: Project, module: str, seen: frozenset[str] = frozenset()
) -> Settings | None:
    path = module_file(project, module)
    tree = parse(path) if path else None
    if path is None or tree is None:
        return None
    strings: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    names: set[str] = set()
    storages: dict[str, str] = {}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for imported in _star_imports(tree, package):
        if imported not in seen and (base := read_settings(project, imported, seen | {module})):
            strings |= base.strings
            lists |= base.lists
            names |= base.names
            storages |= base.storages
    own_names = assigned_names(tree)
    strings |= string_assignments(tree)
    lists |= string_lists(tree)
    names |= own_names
    if "STORAGES" in own_names:
        storages = storage_backends(tree)  # a module's STORAGES replaces what it imported
    return Settings(
        module=module, strings=strings, lists=lists, names=frozenset(names), storages=storages
    )


def _star_imports(tree: ast.Module, package: str) -> Iterator[str]:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and [a.name for a in node.names] == ["*"]:
            imported = imported_module(node, package)
            if imported is not None:
                yield imported


def django_entries(project: Project) -> Iterator[tuple[str, ast.Module]]:
    """(where, parsed) of the files that name Django's settings: manage.py, then every
    module of the project named `wsgi` or `asgi` (config/wsgi.py, mysite/asgi.py, ...)."""
    manage = parse(project.root / "manage.py")
    if manage is not None:
        yield "manage.py", manage
    for _, path in entry_modules(project):
        tree = parse(path)
        if tree is not None:
            yield path.relative_to(project.root).as_posix(), tree


def routes_nothing(project: Project, application: str) -> bool:
    """The dotted path (ASGI_APPLICATION) names `ProtocolTypeRouter({})`: Channels' router with
    no route of its own, as Channels 2's tutorial wrote it, when HTTP fell back to Django's
    handler by itself. Channels 3 makes that handler at import, before Django is set up
    (AppRegistryNotReady), and Channels 4 has none."""
    module, _, attribute = application.rpartition(".")
    path = module_file(project, module)
    tree = parse(path) if path else None
    value: ast.AST | None = None
    for node in tree.body if tree is not None else ():
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == attribute for target in node.targets
        ):
            value = node.value  # the last assignment is the one imported
    if not isinstance(value, ast.Call) or value.keywords or len(value.args) != 1:
        return False
    routes = value.args[0]
    return (
        called_name(value.func) == "ProtocolTypeRouter"
        and isinstance(routes, ast.Dict)
        and not routes.keys
    )
